import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from './binaries';

/**
 * A project-private PostgreSQL cluster from Debian's binaries: data in .data/postgres, its own port, so it never
 * clashes with a system cluster. Started only when DATABASE_URL is not set.
 */
export const PRIVATE_PG_PORT = Number(process.env.TIKETQ_PG_PORT ?? 54329);
/**
 * TIKETQ_PG_DATA_DIR (relative to the project) selects another private cluster: the chaos suite stops and restarts
 * its own cluster (.data/postgres-chaos on its own port) so it never takes down the one dev, tests and benchmarks use.
 */
const DATA_DIR = path.resolve(PROJECT_ROOT, process.env.TIKETQ_PG_DATA_DIR ?? path.join('.data', 'postgres'));
const LOG_FILE = `${DATA_DIR}.log`;
/** initdb refuses to run as root; when we are root the cluster belongs to this unprivileged user. */
const CLUSTER_OWNER = 'postgres';

export function privateDatabaseUrl(database: string): string {
  return `postgresql://postgres@127.0.0.1:${PRIVATE_PG_PORT}/${database}`;
}

function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

function installPostgresIfRoot(): string {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || process.env.CI !== 'true') {
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
  const asRoot = process.getuid?.() === 0;
  const [cmd, fullArgs] = asRoot ? ['runuser', ['-u', CLUSTER_OWNER, '--', binary, ...args]] : [binary, args];
  execFileSync(cmd, fullArgs, { stdio: ['ignore', 'pipe', 'pipe'], cwd: os.tmpdir() });
}

function initCluster(binDir: string): void {
  if (existsSync(path.join(DATA_DIR, 'PG_VERSION'))) return;
  console.error(`[postgres] initialising a private cluster in ${path.relative(PROJECT_ROOT, DATA_DIR)}`);
  mkdirSync(DATA_DIR, { recursive: true });
  chmodSync(DATA_DIR, 0o700);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', CLUSTER_OWNER]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', CLUSTER_OWNER]).toString().trim());
    chownSync(DATA_DIR, uid, gid);
    chownSync(path.dirname(DATA_DIR), uid, gid);
  }
  // Trust on loopback only: a local development cluster that nothing outside this machine can reach.
  asClusterOwner(path.join(binDir, 'initdb'), ['-D', DATA_DIR, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale']);
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function ensureDatabase(database: string): Promise<void> {
  const client = new pg.Client({ connectionString: privateDatabaseUrl('postgres') });
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

/** Starts (or reuses) the private cluster and makes sure `database` exists. */
export async function ensurePrivatePostgres(database: string): Promise<PrivatePostgres> {
  const url = privateDatabaseUrl(database);
  const binDir = findBinDir() ?? installPostgresIfRoot();
  const pgCtl = path.join(binDir, 'pg_ctl');
  let startedHere = false;
  if (!(await canConnect(privateDatabaseUrl('postgres')))) {
    initCluster(binDir);
    console.error(`[postgres] starting on 127.0.0.1:${PRIVATE_PG_PORT}`);
    const serverOptions = `-p ${PRIVATE_PG_PORT} -c listen_addresses=127.0.0.1 -k ${DATA_DIR} -c max_connections=200 -c fsync=off`;
    asClusterOwner(pgCtl, ['-D', DATA_DIR, '-l', LOG_FILE, '-o', serverOptions, '-w', '-t', '60', 'start']);
    startedHere = true;
  }
  await ensureDatabase(database);
  return {
    url,
    startedHere,
    async stop() {
      if (startedHere) asClusterOwner(pgCtl, ['-D', DATA_DIR, '-m', 'fast', '-w', 'stop']);
    },
  };
}

/** Stops the private cluster if it is running (used by chaos tests and `npm run dev` shutdown). */
export function stopPrivatePostgres(): void {
  const binDir = findBinDir();
  if (binDir && existsSync(path.join(DATA_DIR, 'postmaster.pid'))) {
    asClusterOwner(path.join(binDir, 'pg_ctl'), ['-D', DATA_DIR, '-m', 'fast', '-w', 'stop']);
  }
}
