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
import { isPortOpen, TSX, tsxService, type ServiceProcess } from '../../../scripts/local-stack/processes';
import { serviceEnvironment } from '../../../scripts/local-stack/service-environment';
import { ensureTemporalDevServer, type DevServer } from '../../../scripts/local-stack/temporal-server';
import { waitForHttpOk, waitForWorkerToPoll } from '../../../scripts/local-stack/readiness';
import { TEST_PAYLOAD_ENCRYPTION_KEYS, testDataConverter } from '../../support/fixtures';
import { API_KEY, DATABASE_NAME, PORTS, SERVER_KEY, TASK_QUEUE } from './config';

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
    if (!devServer.startedHere || !devServer.process) throw new Error('the chaos Temporal dev server must be a child of this process');
    return Date.now() - started;
  };
  await startTemporal();

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
  const worker = tsxService('worker', 'src/worker.ts', { env, output: logFile('worker') });
  const api = tsxService('api', 'src/server.ts', { env, output: logFile('api') });
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
    api,
    startWorker,
    killWorker: () => worker.kill(),
    async killTemporal() {
      if (!devServer?.process) throw new Error('no Temporal dev server child to kill');
      await devServer.process.kill();
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
