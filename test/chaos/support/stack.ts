import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { PROJECT_ROOT } from '../../../scripts/local-stack/binaries';
import { startDownstreamReceiver, type DownstreamReceiver } from '../../../scripts/local-stack/downstream-receiver';
import { applyMigrations } from '../../../scripts/local-stack/migrations';
import { ensurePrivatePostgres, postgresProgram, privateDatabaseUrl, stopPrivatePostgres } from '../../../scripts/local-stack/postgres';
import { isPortOpen, waitFor } from '../../../scripts/local-stack/processes';
import { ensureTemporalDevServer, type DevServer } from '../../../scripts/local-stack/temporal-server';
import { API_KEY, DATABASE_NAME, PORTS, SERVER_KEY, TASK_QUEUE } from './config';
import { startTappedSimulator, type TappedSimulator } from './simulator-tap';

/**
 * The whole service as separate processes, so each part can be killed and restarted:
 * - PostgreSQL: the chaos suite's own private cluster (TIKETQ_PG_DATA_DIR / TIKETQ_PG_PORT from the chaos vitest
 *   config), database tiketq_chaos, recreated and migrated at every run;
 * - Temporal: a dev server child process persisting to a SQLite file in a temp dir, so it can be SIGKILLed and
 *   started again on the same file;
 * - the worker and the API: `tsx src/worker.ts` / `tsx src/server.ts` child processes configured only through
 *   their environment, each in its own process group (tsx runs the program in a grandchild node process, so the
 *   whole group is signalled);
 * - the Midtrans simulator and the downstream receiver, in this process: they are the outside world, and their
 *   own records are what the suite counts.
 */

export const LOG_DIR = path.join(PROJECT_ROOT, '.data', 'chaos');
const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

/** A service child process (tsx + its node grandchild) in its own process group. */
class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  startedAt = 0;
  starts = 0;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    mkdirSync(LOG_DIR, { recursive: true });
    const log = createWriteStream(path.join(LOG_DIR, `${this.name}.log`), { flags: 'a' });
    log.write(`\n--- ${new Date().toISOString()} start #${this.starts + 1}\n`);
    const child = spawn(TSX, [this.script], { cwd: PROJECT_ROOT, env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.child = child;
    this.startedAt = Date.now();
    this.starts += 1;
    liveGroups.add(child.pid!);
  }

  /** Signals the whole process group (tsx and the node process running the program). */
  private signalGroup(signal: NodeJS.Signals): boolean {
    const pid = this.child?.pid;
    if (!pid) return false;
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false; // the group is gone already
    }
  }

  private groupAlive(): boolean {
    return this.signalGroup(0 as unknown as NodeJS.Signals);
  }

  /** SIGKILL, no goodbye: in-flight activities, HTTP requests and connections are simply cut. */
  async kill(): Promise<void> {
    this.signalGroup('SIGKILL');
    await this.exited;
    await waitFor(`${this.name} process group to disappear`, async () => !this.groupAlive(), 10_000);
    liveGroups.delete(this.child!.pid!);
  }

  /** Graceful stop (SIGTERM: the worker drains, the API closes), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (!this.child?.pid || !this.groupAlive()) return;
    this.signalGroup('SIGTERM');
    const deadline = Date.now() + 15_000;
    while (this.groupAlive() && Date.now() < deadline) await sleep(100);
    if (this.groupAlive()) this.signalGroup('SIGKILL');
    await this.exited;
    liveGroups.delete(this.child.pid);
  }
}

/** Process groups still alive if the test process exits abruptly (last-resort cleanup, synchronous). */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ChaosStack {
  databaseUrl: string;
  apiUrl: string;
  sim: TappedSimulator;
  receiver: DownstreamReceiver;
  temporalAddress: string;
  /** For reading workflow histories (Temporal's own record of what happened). */
  temporal: Client;
  /** For reading the read model and audit log directly (never through the API). */
  db: pg.Pool;
  worker: ServiceProcess;
  api: ServiceProcess;
  startWorker(): Promise<number>;
  killWorker(): Promise<void>;
  killTemporal(): Promise<void>;
  startTemporal(): Promise<number>;
  stopPostgres(): void;
  startPostgres(): Promise<number>;
  /** pg_dump of the service's database (custom format), as a nightly backup would take it. */
  backupDatabase(file: string): void;
  /** pg_restore of such a backup over the live database, in one transaction, while the service runs. */
  restoreDatabase(file: string): void;
  /** `npm run read-model:rebuild` against this stack; its JSON report. */
  rebuildReadModel(): { payments: number; failed: unknown[] };
  close(): Promise<void>;
}

function serviceEnv(databaseUrl: string, receiver: DownstreamReceiver): NodeJS.ProcessEnv {
  // Nothing Temporal- or database-related leaks in from the caller's environment (envconfig reads TEMPORAL_*).
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('TEMPORAL_') && !key.startsWith('MIDTRANS_') && key !== 'DATABASE_URL'),
  );
  return {
    ...inherited,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '10',
    TEMPORAL_ADDRESS: `127.0.0.1:${PORTS.temporal}`,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    MIDTRANS_API_BASE_URL: `http://127.0.0.1:${PORTS.simulator}`,
    MIDTRANS_SNAP_BASE_URL: `http://127.0.0.1:${PORTS.simulator}/snap/v1`,
    MIDTRANS_SERVER_KEY: SERVER_KEY,
    // A Midtrans call that hangs is given up after 5 s (production default 15 s), so timeouts cost seconds, not minutes.
    MIDTRANS_TIMEOUT_MS: '5000',
    TRANSACTION_SERVICE_URL: receiver.url,
    USER_SERVICE_URL: receiver.url,
    DOWNSTREAM_SIGNING_SECRET: receiver.signingSecret,
    DOWNSTREAM_TIMEOUT_MS: '5000',
    HOST: '127.0.0.1',
    PORT: String(PORTS.api),
    API_KEYS: API_KEY,
    // POST /payments answers 202 after 4 s without a charge result (the default is 10 s).
    CREATE_PAYMENT_WAIT_MS: '4000',
  };
}

/** Temporal's view of who polls the task queue: the restarted worker is ready once it polls both queue kinds. */
async function workerIsPolling(client: Client, since: number): Promise<boolean> {
  const service = client.connection.workflowService;
  // TaskQueueType 1 = workflow, 2 = activity (temporal.api.enums.v1.TaskQueueType).
  for (const taskQueueType of [1, 2]) {
    const described = await service.describeTaskQueue({ namespace: 'default', taskQueue: { name: TASK_QUEUE }, taskQueueType });
    const fresh = (described.pollers ?? []).some((p) => {
      const seconds = Number(p.lastAccessTime?.seconds ?? 0);
      const nanos = p.lastAccessTime?.nanos ?? 0;
      return seconds * 1000 + nanos / 1e6 >= since;
    });
    if (!fresh) return false;
  }
  return true;
}

async function freshDatabase(): Promise<{ url: string }> {
  await ensurePrivatePostgres('postgres');
  const client = new pg.Client({ connectionString: privateDatabaseUrl('postgres') });
  await client.connect();
  try {
    await client.query(`drop database if exists "${DATABASE_NAME}" with (force)`);
  } finally {
    await client.end();
  }
  const chaos = await ensurePrivatePostgres(DATABASE_NAME);
  applyMigrations(chaos.url);
  return { url: chaos.url };
}

export async function startChaosStack(): Promise<ChaosStack> {
  if (!process.env.TIKETQ_PG_DATA_DIR) {
    // Scenario 3 stops PostgreSQL: never the shared cluster that dev, the other tests and benchmarks use.
    throw new Error('TIKETQ_PG_DATA_DIR is not set: run the chaos suite with test/chaos/vitest.config.ts (its own PostgreSQL cluster)');
  }
  for (const [name, port] of Object.entries(PORTS)) {
    if (await isPortOpen('127.0.0.1', port)) {
      throw new Error(`port ${port} (${name}) is already in use: a chaos stack from an earlier run may still be up; stop it first`);
    }
  }
  mkdirSync(LOG_DIR, { recursive: true });
  // The chaos cluster is ours whether or not it was already up: it is stopped at the end.
  const { url: databaseUrl } = await freshDatabase();

  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'tiketq-chaos-'));
  const temporalDb = path.join(tempDir, 'temporal.db');
  const temporalAddress = `127.0.0.1:${PORTS.temporal}`;
  let devServer: DevServer | undefined;
  const startTemporal = async (): Promise<number> => {
    const started = Date.now();
    devServer = await ensureTemporalDevServer({ port: PORTS.temporal, dbFile: temporalDb, logFile: path.join(LOG_DIR, 'temporal.log') });
    if (!devServer.startedHere || !devServer.child) throw new Error('the chaos Temporal dev server must be a child of this process');
    return Date.now() - started;
  };
  await startTemporal();

  const receiver = await startDownstreamReceiver(PORTS.receiver);
  const sim = await startTappedSimulator(PORTS.simulator, {
    serverKey: SERVER_KEY,
    notificationUrl: `http://127.0.0.1:${PORTS.api}/payments/webhook`,
    // Midtrans retries failed notifications after ~2, 10, 30, 90, 210 min; here after 1.2, 6, 18, 54, 126 s.
    retryScale: 0.01,
    apiHangMaxMs: 30_000,
  });

  const connection = await Connection.connect({ address: temporalAddress });
  const temporal = new Client({ connection, namespace: 'default' });
  const db = new pg.Pool({ connectionString: databaseUrl, max: 4, connectionTimeoutMillis: 3_000 });
  db.on('error', () => {}); // idle clients die with the PostgreSQL outage; the pool replaces them

  const env = serviceEnv(databaseUrl, receiver);
  const worker = new ServiceProcess('worker', 'src/worker.ts', env);
  const api = new ServiceProcess('api', 'src/server.ts', env);
  const apiUrl = `http://127.0.0.1:${PORTS.api}`;

  const startWorker = async (): Promise<number> => {
    worker.start();
    const since = worker.startedAt;
    await waitFor(
      'the worker to poll its task queue',
      async () => {
        if (!worker.running) throw new Error(`the worker exited; see ${path.join(LOG_DIR, 'worker.log')}`);
        return workerIsPolling(temporal, since);
      },
      120_000,
    );
    return Date.now() - since;
  };
  const startApi = async () => {
    api.start();
    await waitFor('the API to answer /health', async () => (await fetch(`${apiUrl}/health`)).ok, 60_000);
  };

  const stack: ChaosStack = {
    databaseUrl,
    apiUrl,
    sim,
    receiver,
    temporalAddress,
    temporal,
    db,
    worker,
    api,
    startWorker,
    killWorker: () => worker.kill(),
    async killTemporal() {
      const child = devServer?.child;
      if (!child?.pid) throw new Error('no Temporal dev server child to kill');
      const exited = new Promise<void>((resolve) =>
        child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
      );
      child.kill('SIGKILL');
      await exited;
      devServer = undefined;
    },
    startTemporal,
    stopPostgres() {
      stopPrivatePostgres();
    },
    async startPostgres() {
      const started = Date.now();
      await ensurePrivatePostgres(DATABASE_NAME);
      return Date.now() - started;
    },
    backupDatabase(file) {
      execFileSync(postgresProgram('pg_dump'), ['--format=custom', `--file=${file}`, `--dbname=${databaseUrl}`]);
    },
    restoreDatabase(file) {
      execFileSync(postgresProgram('pg_restore'), ['--clean', '--if-exists', '--single-transaction', `--dbname=${databaseUrl}`, file]);
    },
    rebuildReadModel() {
      // It exits 1 when some payment could not be re-projected; the report says which, so read it either way.
      const run = spawnSync(TSX, ['scripts/read-model-rebuild.ts'], { cwd: PROJECT_ROOT, env, encoding: 'utf8' });
      if (!run.stdout) throw new Error(`read-model:rebuild printed no report: ${run.stderr}`);
      return JSON.parse(run.stdout) as { payments: number; failed: unknown[] };
    },
    async close() {
      const errors: unknown[] = [];
      const attempt = async (step: () => Promise<unknown> | unknown) => {
        try {
          await step();
        } catch (error) {
          errors.push(error);
        }
      };
      await attempt(() => api.stop());
      await attempt(() => worker.stop());
      await attempt(() => sim.close());
      await attempt(() => receiver.close());
      await attempt(() => connection.close());
      await attempt(() => db.end());
      await attempt(() => devServer?.stop());
      await attempt(() => stopPrivatePostgres());
      rmSync(tempDir, { recursive: true, force: true });
      if (errors.length > 0) throw new AggregateError(errors, 'the chaos stack did not stop cleanly');
    },
  };

  try {
    await Promise.all([startWorker(), startApi()]);
  } catch (error) {
    await stack.close().catch(() => {});
    throw error;
  }
  return stack;
}
