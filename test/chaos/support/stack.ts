import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { PROJECT_ROOT } from '../../../scripts/local-stack/binaries';
import { startDownstreamReceiver, type DownstreamReceiver } from '../../../scripts/local-stack/downstream-receiver';
import { applyMigrations } from '../../../scripts/local-stack/migrations';
import { ensurePrivatePostgres, postgresProgram, privateDatabaseUrl, stopPrivatePostgres } from '../../../scripts/local-stack/postgres';
import { startTappedSimulator, type TappedSimulator } from '../../../scripts/local-stack/midtrans-simulator';
import { serviceProcess } from '../../../scripts/local-stack/artifact';
import { isPortOpen, TSX, type ServiceProcess } from '../../../scripts/local-stack/processes';
import { serviceEnvironment } from '../../../scripts/local-stack/service-environment';
import { startTemporalCluster } from '../../../scripts/local-stack/temporal-cluster';
import { ensureTemporalDevServer, isServing, type DevServer } from '../../../scripts/local-stack/temporal-server';
import { waitFor } from '../../../scripts/local-stack/waiting';
import { waitForHttpOk, waitForWorkerToPoll } from '../../../scripts/local-stack/readiness';
import { TEST_PAYLOAD_ENCRYPTION_KEYS, testDataConverter } from '../../support/fixtures';
import { API_KEY, DATABASE_NAME, PORTS, SERVER_KEY, TASK_QUEUE, TOPOLOGY } from './config';

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
  /** The second worker on the same task queue (stack topology only): it keeps running while `worker` is killed. */
  secondWorker?: ServiceProcess;
  api: ServiceProcess;
  startWorker(): Promise<number>;
  killWorker(): Promise<void>;
  /** What is killed and restarted in scenario 2: the dev server on its SQLite file, or the production server. */
  temporalDescription: string;
  killTemporal(): Promise<void>;
  startTemporal(): Promise<number>;
  /** Temporal's own PostgreSQL (stack topology only). */
  temporalPostgres?: { stop(): Promise<void>; start(): Promise<number> };
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

/** The worker's and the API's environment: only through it are they configured (no Temporal or database leaks in). */
function serviceEnv(databaseUrl: string, receiver: DownstreamReceiver): NodeJS.ProcessEnv {
  const simulatorUrl = `http://127.0.0.1:${PORTS.simulator}`;
  return serviceEnvironment(
    {
      databaseUrl,
      temporalAddress: `127.0.0.1:${PORTS.temporal}`,
      apiPort: PORTS.api,
      host: '127.0.0.1',
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      midtrans: { url: simulatorUrl, serverKey: SERVER_KEY },
      downstream: { transactionServiceUrl: receiver.url, userServiceUrl: receiver.url, signingSecret: receiver.signingSecret },
      payloadEncryptionKeys: TEST_PAYLOAD_ENCRYPTION_KEYS,
    },
    {
      tuning: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_POOL_SIZE: '10',
        // A Midtrans call that hangs is given up after 5 s (production default 15 s), so timeouts cost seconds, not minutes.
        MIDTRANS_TIMEOUT_MS: '5000',
        DOWNSTREAM_TIMEOUT_MS: '5000',
        API_KEYS: API_KEY,
        // POST /payments answers 202 after 4 s without a charge result (the default is 10 s).
        CREATE_PAYMENT_WAIT_MS: '4000',
      },
    },
  );
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

/** The Temporal side of the chaos stack, whichever topology runs it. */
interface TemporalSide {
  description: string;
  kill(): Promise<void>;
  /** Milliseconds until it serves again. */
  start(): Promise<number>;
  postgres?: { stop(): Promise<void>; start(): Promise<number> };
  stop(): Promise<void>;
}

async function devServerTemporal(dbFile: string): Promise<TemporalSide> {
  let devServer: DevServer | undefined;
  const start = async (): Promise<number> => {
    const started = Date.now();
    devServer = await ensureTemporalDevServer({ port: PORTS.temporal, dbFile, logFile: path.join(LOG_DIR, 'temporal.log') });
    if (!devServer.startedHere || !devServer.process) throw new Error('the chaos Temporal dev server must be a child of this process');
    return Date.now() - started;
  };
  await start();
  return {
    description: 'the Temporal dev server, restarted on its SQLite file',
    async kill() {
      if (!devServer?.process) throw new Error('no Temporal dev server child to kill');
      await devServer.process.kill();
      devServer = undefined;
    },
    start,
    stop: async () => devServer?.stop(),
  };
}

async function productionTemporal(): Promise<TemporalSide> {
  const cluster = await startTemporalCluster({
    postgres: { name: path.join('.data', 'postgres-chaos-temporal'), port: PORTS.temporalPostgres, maxConnections: 300 },
    frontendPort: PORTS.temporal,
    membershipPort: PORTS.temporalMembership,
    namespace: 'default',
    numHistoryShards: 4,
    logDir: LOG_DIR,
    fresh: true,
  });
  const address = `127.0.0.1:${PORTS.temporal}`;
  const serving = async (since: number) => {
    await waitFor(`the Temporal server on ${address}`, () => isServing(address).catch(() => false), 120_000);
    return Date.now() - since;
  };
  return {
    description: 'the Temporal server (PostgreSQL persistence), restarted on its database',
    kill: () => cluster.server.kill(),
    async start() {
      const started = Date.now();
      cluster.server.start();
      return serving(started);
    },
    postgres: {
      stop: async () => cluster.postgres.stop(),
      async start() {
        const started = Date.now();
        await cluster.postgres.start();
        return serving(started);
      },
    },
    stop: () => cluster.stop(),
  };
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
  const temporalAddress = `127.0.0.1:${PORTS.temporal}`;
  const temporalSide = TOPOLOGY === 'stack' ? await productionTemporal() : await devServerTemporal(path.join(tempDir, 'temporal.db'));
  const receiver = await startDownstreamReceiver(PORTS.receiver);
  const sim = await startTappedSimulator({
    port: PORTS.simulator,
    serverKey: SERVER_KEY,
    notificationUrl: `http://127.0.0.1:${PORTS.api}/payments/webhook`,
    // Midtrans retries failed notifications after ~2, 10, 30, 90, 210 min; here after 1.2, 6, 18, 54, 126 s.
    retryScale: 0.01,
    apiHangMaxMs: 30_000,
  });

  const connection = await Connection.connect({ address: temporalAddress });
  const temporal = new Client({ connection, namespace: 'default', dataConverter: testDataConverter() });
  const db = new pg.Pool({ connectionString: databaseUrl, max: 4, connectionTimeoutMillis: 3_000 });
  db.on('error', () => {}); // idle clients die with the PostgreSQL outage; the pool replaces them

  const env = serviceEnv(databaseUrl, receiver);
  const logFile = (name: string) => ({ logFile: path.join(LOG_DIR, `${name}.log`) });
  const worker = serviceProcess('worker', 'worker', { env, output: logFile('worker') });
  const secondWorker = TOPOLOGY === 'stack' ? serviceProcess('worker-2', 'worker', { env, output: logFile('worker-2') }) : undefined;
  const api = serviceProcess('api', 'server', { env, output: logFile('api') });
  const apiUrl = `http://127.0.0.1:${PORTS.api}`;

  const startWorker = async (): Promise<number> => {
    worker.start();
    return waitForWorkerToPoll(temporal, worker, TASK_QUEUE);
  };
  const startApi = async () => {
    api.start();
    await waitForHttpOk(api, `${apiUrl}/health`);
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
    secondWorker,
    api,
    startWorker,
    killWorker: () => worker.kill(),
    temporalDescription: temporalSide.description,
    killTemporal: () => temporalSide.kill(),
    startTemporal: () => temporalSide.start(),
    temporalPostgres: temporalSide.postgres,
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
      await attempt(() => secondWorker?.stop());
      await attempt(() => sim.close());
      await attempt(() => receiver.close());
      await attempt(() => connection.close());
      await attempt(() => db.end());
      await attempt(() => temporalSide.stop());
      await attempt(() => stopPrivatePostgres());
      rmSync(tempDir, { recursive: true, force: true });
      if (errors.length > 0) throw new AggregateError(errors, 'the chaos stack did not stop cleanly');
    },
  };

  try {
    await Promise.all([startWorker(), startApi()]);
    if (secondWorker) {
      secondWorker.start();
      await waitForWorkerToPoll(temporal, secondWorker, TASK_QUEUE);
    }
  } catch (error) {
    await stack.close().catch(() => {});
    throw error;
  }
  return stack;
}
