import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/local-stack/binaries';
import { sleep } from '../support/fixtures';
import { unusedPortBelowEphemeralRange } from '../support/ports';

/**
 * The private PostgreSQL cluster as a newcomer meets it: started from any checkout, never confused with another
 * checkout's cluster, stopped by whatever started it, and failing fast with a clear message when it cannot start.
 * Each test uses its own port and data directory, so none of them touches the cluster the other tests use.
 */

const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function run(command: string, args: string[], env: Record<string, string>, cwd = PROJECT_ROOT) {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd,
    env: { ...process.env, DATABASE_URL: '', ...env },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}`, ms: Date.now() - started };
}

const clusterEnv = (port: number, dataDirName: string) => ({ TIKETQ_PG_PORT: String(port), TIKETQ_PG_DATA_DIR: path.join('.data', dataDirName) });

/** The data directory of the PostgreSQL server answering on `port`, or null when none answers. */
async function dataDirectoryOn(port: number): Promise<string | null> {
  const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>('show data_directory');
    return rows[0]!.data_directory;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Stops whatever cluster answers on `port` (fast shutdown through its postmaster pid) and removes its data. */
async function removeClusterOn(port: number): Promise<void> {
  const dataDir = await dataDirectoryOn(port);
  if (!dataDir) return;
  const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGINT');
  // Until the postmaster has exited, not only stopped answering: under load it still writes its last files after
  // that, and a removal racing it left a half-deleted directory that the next run's initdb refused.
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 300 && alive(); i++) await sleep(100);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(`${dataDir}.log`, { force: true });
  // As root the cluster sits in a per-checkout folder outside the checkout: remove it once it is empty.
  try {
    rmdirSync(path.dirname(dataDir));
  } catch {
    // other clusters of that checkout still live there
  }
}

const whenDone = (port: number) => cleanups.push(() => removeClusterOn(port));

describe('the private PostgreSQL cluster', () => {
  it('starts from a checkout inside a private (0700) directory, as root or not', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'tiketq-checkout-'));
    chmodSync(parent, 0o700);
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const checkout = path.join(parent, 'p');
    // The working tree as a fresh clone would have it (tracked and new files), sharing this checkout's node_modules.
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: PROJECT_ROOT })
      .toString()
      .split('\0')
      .filter((f) => f && !f.startsWith('node_modules/'));
    execFileSync('mkdir', ['-p', checkout]);
    execFileSync('tar', ['-cf', path.join(parent, 'tree.tar'), '--null', '-T', '-'], { cwd: PROJECT_ROOT, input: files.join('\0') });
    execFileSync('tar', ['-xf', path.join(parent, 'tree.tar')], { cwd: checkout });
    symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(checkout, 'node_modules'));

    const port = await unusedPortBelowEphemeralRange();
    const started = run(path.join(checkout, 'node_modules', '.bin', 'tsx'), ['scripts/db-start.ts', 'tiketq'], clusterEnv(port, 'postgres'), checkout);
    whenDone(port);
    expect(started.output).not.toMatch(/Permission denied/);
    expect(started.status).toBe(0);
    expect(started.output).toContain(`127.0.0.1:${port}/tiketq`);
    expect(await dataDirectoryOn(port)).not.toBeNull();
  });

  it("refuses to use another checkout's cluster that holds the port, and says whose it is", async () => {
    const port = await unusedPortBelowEphemeralRange();
    const theirs = run(TSX, ['scripts/db-start.ts', 'postgres'], clusterEnv(port, 'postgres-test-theirs'));
    whenDone(port);
    expect(theirs.status).toBe(0);
    const theirDataDir = await dataDirectoryOn(port);

    const ours = run(TSX, ['scripts/db-start.ts', 'tiketq'], clusterEnv(port, 'postgres-test-ours'));
    expect(ours.status).not.toBe(0);
    expect(ours.output).toContain(`another PostgreSQL cluster is listening on 127.0.0.1:${port}`);
    expect(ours.output).toContain(theirDataDir);
    expect(ours.output).toMatch(/TIKETQ_PG_PORT/);
    // Nothing was created in their cluster on our behalf.
    const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` });
    await client.connect();
    const { rowCount } = await client.query("select 1 from pg_database where datname = 'tiketq'");
    await client.end();
    expect(rowCount).toBe(0);
  });

  it('the migration check stops the cluster it started, on success and on failure', async () => {
    const port = await unusedPortBelowEphemeralRange();
    whenDone(port);
    const passed = run('npm', ['run', '-s', 'check:migrations'], clusterEnv(port, 'postgres-test-check'));
    expect(passed.status).toBe(0);
    expect(await dataDirectoryOn(port)).toBeNull();

    // A command that fails still leaves nothing running.
    const failed = run(TSX, ['scripts/with-private-postgres.ts', 'tiketq', '--', 'node', '-e', 'process.exit(3)'], clusterEnv(port, 'postgres-test-check'));
    expect(failed.status).toBe(3);
    expect(await dataDirectoryOn(port)).toBeNull();
  });

  it('when the cluster cannot start, the migration check fails fast and says why (no engine download)', async () => {
    // Something that is not PostgreSQL holds the port.
    const squatter = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => squatter.close());
    const { port } = squatter.address() as net.AddressInfo;
    const check = spawn('npm', ['run', '-s', 'check:migrations'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: '', ...clusterEnv(port, 'postgres-test-squatted') },
    });
    let output = '';
    check.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    check.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const started = Date.now();
    const status = await new Promise<number | null>((resolve) => check.once('exit', resolve));
    expect(status).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(output).toContain(`127.0.0.1:${port} is in use by something that is not a PostgreSQL server`);
    expect(output).not.toMatch(/libquery_engine|ENOTFOUND/);
  });
});
