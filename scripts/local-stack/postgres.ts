import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from './binaries';
import { isPortOpen } from './processes';

/**
 * A project-private PostgreSQL cluster from Debian's binaries, on its own port so it never clashes with a system
 * cluster. Started only when DATABASE_URL is not set.
 *
 * Where its data lives: as a normal user, in the checkout (.data/postgres). As root, initdb refuses to run, so the
 * cluster belongs to the unprivileged `postgres` user, who cannot reach a checkout below a private (0700) directory
 * such as /root or `mktemp -d`; its data then lives in /var/lib/tiketq-postgres/<checkout name>-<hash of its path>/,
 * one directory per checkout, so two checkouts never share a cluster.
 */
export const PRIVATE_PG_PORT = Number(process.env.TIKETQ_PG_PORT ?? 54329);
/**
 * TIKETQ_PG_DATA_DIR (relative to the project) selects another private cluster: the chaos suite stops and restarts
 * its own cluster (.data/postgres-chaos on its own port) so it never takes down the one dev, tests and benchmarks use.
 */
const CLUSTER_NAME = process.env.TIKETQ_PG_DATA_DIR ?? path.join('.data', 'postgres');
const CLUSTER_OWNER = 'postgres';
const ROOT_CLUSTERS_DIR = '/var/lib/tiketq-postgres';
const isRoot = () => process.getuid?.() === 0;

/** This checkout's cluster directory for `name` (see above for why root keeps it outside the checkout). */
export function privateClusterDataDir(name: string = CLUSTER_NAME): string {
  if (!isRoot()) return path.resolve(PROJECT_ROOT, name);
  const checkoutKey = `${path.basename(PROJECT_ROOT)}-${createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 12)}`;
  return path.join(ROOT_CLUSTERS_DIR, checkoutKey, path.normalize(name).replace(/^\.data\//, ''));
}

export function privateDatabaseUrl(database: string, port: number = PRIVATE_PG_PORT): string {
  return `postgresql://postgres@127.0.0.1:${port}/${database}`;
}

function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

/** A PostgreSQL client program (pg_dump, pg_restore, …) of the installed server's version. */
export function postgresProgram(name: string): string {
  const binDir = findBinDir();
  if (!binDir) throw new Error('PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin)');
  return path.join(binDir, name);
}

function installPostgresIfRoot(): string {
  if (!isRoot() || process.env.CI !== 'true') {
    throw new Error(
      'PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin). Install them with ' +
        '`sudo apt-get install -y postgresql`, or set DATABASE_URL to an existing database.',
    );
  }
  console.error('[postgres] installing Debian package postgresql (CI, running as root)');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'postgresql'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const binDir = findBinDir();
  if (!binDir) throw new Error('postgresql was installed but no /usr/lib/postgresql/*/bin/initdb was found');
  return binDir;
}

function asClusterOwner(binary: string, args: string[]): void {
  const [cmd, fullArgs] = isRoot() ? ['runuser', ['-u', CLUSTER_OWNER, '--', binary, ...args]] : [binary, args];
  execFileSync(cmd, fullArgs, { stdio: ['ignore', 'pipe', 'pipe'], cwd: os.tmpdir() });
}

/** Where a private cluster lives and listens. */
export interface ClusterSettings {
  /** Relative to the project, e.g. `.data/postgres`; see privateClusterDataDir for where root keeps it. */
  name: string;
  port: number;
  /** Sized for every pool that connects to it. */
  maxConnections?: number;
  /** Off for development data that can be recreated; on where a crash must not lose committed data. */
  fsync?: boolean;
}

const DEFAULT_CLUSTER: ClusterSettings = { name: CLUSTER_NAME, port: PRIVATE_PG_PORT };

function initCluster(binDir: string, dataDir: string): void {
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  console.error(`[postgres] initialising a private cluster in ${dataDir}`);
  mkdirSync(dataDir, { recursive: true });
  chmodSync(dataDir, 0o700);
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', CLUSTER_OWNER]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', CLUSTER_OWNER]).toString().trim());
    chownSync(dataDir, uid, gid);
    // pg_ctl writes the server log beside the data directory.
    chownSync(path.dirname(dataDir), uid, gid);
  }
  // Trust on loopback only: a local development cluster that nothing outside this machine can reach.
  asClusterOwner(path.join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale']);
}

type ServerOnPort = { kind: 'none' } | { kind: 'ours' } | { kind: 'foreign'; dataDirectory: string } | { kind: 'unusable'; reason: string };

const sameDirectory = (a: string, b: string) => {
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : path.resolve(p));
  return real(a) === real(b);
};

/** Who answers on the port: nobody, this checkout's cluster, another cluster, or something we cannot use. */
async function serverOnPort(port: number, dataDir: string): Promise<ServerOnPort> {
  if (!(await isPortOpen('127.0.0.1', port))) return { kind: 'none' };
  const client = new pg.Client({ connectionString: privateDatabaseUrl('postgres', port), connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>('show data_directory');
    const dataDirectory = rows[0]!.data_directory;
    return sameDirectory(dataDirectory, dataDir) ? { kind: 'ours' } : { kind: 'foreign', dataDirectory };
  } catch (error) {
    return { kind: 'unusable', reason: error instanceof Error ? error.message : String(error) };
  } finally {
    await client.end().catch(() => {});
  }
}

async function ensureDatabase(database: string, port: number): Promise<void> {
  const client = new pg.Client({ connectionString: privateDatabaseUrl('postgres', port) });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
}

export interface PrivatePostgres {
  url: string;
  /** True when this call started the server (so the caller should stop it). */
  startedHere: boolean;
  stop(): Promise<void>;
}

const portAdvice = (port: number) => `Stop it, or give this checkout its own port: TIKETQ_PG_PORT=<a free port> (or set DATABASE_URL) instead of ${port}.`;

/**
 * Starts (or reuses) this checkout's cluster and makes sure `database` exists. A server on the port that is not this
 * checkout's cluster is never used: its database would silently hold another checkout's payments.
 */
export async function ensurePrivatePostgres(database: string, cluster: ClusterSettings = DEFAULT_CLUSTER): Promise<PrivatePostgres> {
  const { port, maxConnections = 200, fsync = false } = cluster;
  const dataDir = privateClusterDataDir(cluster.name);
  const url = privateDatabaseUrl(database, port);
  const binDir = findBinDir() ?? installPostgresIfRoot();
  const pgCtl = path.join(binDir, 'pg_ctl');
  let startedHere = false;
  const onPort = await serverOnPort(port, dataDir);
  if (onPort.kind === 'foreign') {
    throw new Error(
      `another PostgreSQL cluster is listening on 127.0.0.1:${port} (data directory ${onPort.dataDirectory}), ` +
        `not this checkout's (${dataDir}). ${portAdvice(port)}`,
    );
  }
  if (onPort.kind === 'unusable') {
    throw new Error(
      `127.0.0.1:${port} is in use by something that is not a PostgreSQL server this checkout can use ` +
        `(${onPort.reason}). ${portAdvice(port)}`,
    );
  }
  if (onPort.kind === 'none') {
    initCluster(binDir, dataDir);
    console.error(`[postgres] starting on 127.0.0.1:${port} (data in ${dataDir})`);
    const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dataDir} -c max_connections=${maxConnections} -c fsync=${fsync ? 'on' : 'off'}`;
    asClusterOwner(pgCtl, ['-D', dataDir, '-l', `${dataDir}.log`, '-o', serverOptions, '-w', '-t', '60', 'start']);
    startedHere = true;
  }
  await ensureDatabase(database, port);
  return {
    url,
    startedHere,
    async stop() {
      if (startedHere) asClusterOwner(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    },
  };
}

/** Stops this checkout's cluster if it is running (used by chaos tests and `npm run dev` shutdown). */
export function stopPrivatePostgres(cluster: ClusterSettings = DEFAULT_CLUSTER): void {
  const binDir = findBinDir();
  const dataDir = privateClusterDataDir(cluster.name);
  if (binDir && existsSync(path.join(dataDir, 'postmaster.pid'))) {
    asClusterOwner(path.join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  }
}
