import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { startDownstreamReceiver, type DownstreamReceiver } from '../scripts/local-stack/downstream-receiver';
import { applyMigrations } from '../scripts/local-stack/migrations';
import { ensurePrivatePostgres } from '../scripts/local-stack/postgres';
import { isPortOpen, ServiceProcess } from '../scripts/local-stack/processes';
import { PROJECT_ROOT } from '../scripts/local-stack/binaries';
import { isolatedEnvironment, serviceEnvironment } from '../scripts/local-stack/service-environment';
import { PERSISTENCE_DATABASE, startTemporalCluster, VISIBILITY_DATABASE } from '../scripts/local-stack/temporal-cluster';
import { ensureTemporalDevServer } from '../scripts/local-stack/temporal-server';
import { waitFor } from '../scripts/local-stack/waiting';
import { waitForHttpOk, waitForWorkerToPoll } from '../scripts/local-stack/readiness';
import { TEST_PAYLOAD_ENCRYPTION_KEYS, testDataConverter } from '../test/support/fixtures';
import type { Topology } from './options';
import { createCpuWeightGroup, type CpuWeightGroup } from './cpu-weight';
import { withIoUringAsContainersRunIt } from './io-uring';
import { createMemoryLimit, type MemoryLimit } from './memory-limit';
import { findNodeProgram, parentOf, sqliteBytes } from './procs';
import { attachSimulator, SIMULATOR_PROCESS_ENTRY, simulatorEnvironment, type BenchSimulator, type WebhookAttempt } from './simulator';
import { now, say, withTimeout } from './util';

/**
 * The benchmark's own stack, on ports apart from the dev stack's so both can run at once: a Temporal dev server
 * (headless, SQLite file in a temp dir) on 27233, the private PostgreSQL cluster with its own database, the Midtrans
 * simulator on 28900 as a child process (bench/simulator.ts), the downstream receiver in this process, and the worker
 * and the API as separate child processes (`tsx src/worker.ts`, `tsx src/server.ts`) so their memory can be read from /proc; with `--baseline`,
 * a second worker and API from the baseline's checkout, its API on 28001 (baseline.ts).
 * With `--temporal stack` the dev server is replaced by the production topology (scripts/local-stack/temporal-cluster.ts,
 * as `npm run stack` runs it): temporal-server on its own PostgreSQL cluster, started from empty databases.
 */

export const PORTS = { temporal: 27233, api: 28000, simulator: 28900, baselineApi: 28001 } as const;
/** The production topology's ports: apart from `npm run stack` (7533/6533), the chaos suite (26933) and the tests. */
export const STACK_PORTS = { temporal: 27533, temporalMembership: 26533, temporalPostgres: 27434 } as const;

/** What Temporal keeps on disk: the dev server's SQLite file, or the production topology's two databases. */
export type TemporalStorage = ReturnType<typeof sqliteBytes> | { persistence: number; visibility: number; total: number };
export const SERVER_KEY = 'SB-Mid-server-benchmark';
export const DATABASE = 'tiketq_bench';

/** Stops run in reverse order of registration, each bounded in time; also on errors and signals. */
export class Cleanup {
  private readonly stops: Array<{ what: string; stop: () => Promise<void> }> = [];

  add(what: string, stop: () => Promise<void>): () => void {
    const entry = { what, stop };
    this.stops.push(entry);
    return () => {
      const index = this.stops.indexOf(entry);
      if (index >= 0) this.stops.splice(index, 1);
    };
  }

  async runAll(): Promise<void> {
    while (this.stops.length > 0) {
      const { what, stop } = this.stops.pop()!;
      try {
        await withTimeout(stop(), 30_000, `stopping ${what}`);
      } catch (error) {
        say(`cleanup: ${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

export interface Infra {
  tmpDir: string;
  databaseUrl: string;
  db: pg.Pool;
  temporalAddress: string;
  temporalStorage(): Promise<TemporalStorage>;
  temporalPid: number | undefined;
  /** The postmaster of Temporal's own PostgreSQL (production topology only). */
  temporalPostgresPid: number | undefined;
  /**
   * The background tier's cpu cgroup (docker-compose.yml's `cpu_shares` for the worker, Temporal and its PostgreSQL):
   * Temporal is in it from the start, every worker the run starts joins it. Undefined with `--cpu-weights equal`.
   */
  background: CpuWeightGroup | undefined;
  /** PostgreSQL's postmaster: its process tree is the whole cluster (CPU is read for the tree). */
  postgresPid: number | undefined;
  client: Client;
  simulator: BenchSimulator;
  simulatorPid: number | undefined;
  /** Requests the simulator received, by kind (charge, status, cancel, …, control): Midtrans API usage. */
  midtransCalls: Record<string, number>;
  receiver: DownstreamReceiver;
  apiUrl: string;
  /** Environment every service child gets; a run adds its task queue and tuning variables, and other code its own places. */
  serviceEnv(taskQueue: string, extra?: Record<string, string>, code?: ServiceCode): NodeJS.ProcessEnv;
  /** Every delivery attempt of the notifications the simulator sent for these orders, as the sender timed them. */
  webhookAttempts(orderIds: Iterable<string>): Promise<WebhookAttempt[]>;
}

/** Where a worker and API run from, and the places of their own: the working tree's, or a baseline checkout's. */
export interface ServiceCode {
  root: string;
  apiPort: number;
  apiUrl: string;
  databaseUrl: string;
  midtransUrl: string;
}

/** The parts a run's CPU is attributed to: the given programs, Temporal, our PostgreSQL, and Temporal's PostgreSQL if it has one. */
export function measuredParts(infra: Infra, apps: string[]): string[] {
  return [...apps, 'temporal', 'postgres', ...(infra.temporalPostgresPid ? ['temporalPostgres'] : []), 'simulator'];
}

/** PostgreSQL clusters are read as process trees: their backends come and go during a run. */
export function postgresTrees(infra: Infra): () => Record<string, number | undefined> {
  return () => ({ postgres: infra.postgresPid, ...(infra.temporalPostgresPid ? { temporalPostgres: infra.temporalPostgresPid } : {}) });
}

interface TemporalUnderTest {
  address: string;
  pid: number | undefined;
  postgresPid?: number;
  storage(): Promise<TemporalStorage>;
}

async function startDevTemporal(cleanup: Cleanup, tmpDir: string): Promise<TemporalUnderTest> {
  const dbFile = path.join(tmpDir, 'temporal.db');
  say(`Temporal dev server on 127.0.0.1:${PORTS.temporal} (headless, SQLite ${dbFile})`);
  const temporal = await ensureTemporalDevServer({ port: PORTS.temporal, dbFile, logFile: path.join(tmpDir, 'temporal.log') });
  cleanup.add('Temporal dev server', () => temporal.stop());
  return { address: temporal.address, pid: temporal.process?.pid, storage: async () => sqliteBytes(dbFile) };
}

async function startProductionTemporal(cleanup: Cleanup, tmpDir: string): Promise<TemporalUnderTest> {
  say(`Temporal server on PostgreSQL: frontend 127.0.0.1:${STACK_PORTS.temporal}, its PostgreSQL on ${STACK_PORTS.temporalPostgres} (empty databases)`);
  const cluster = await startTemporalCluster({
    postgres: { name: path.join('.data', 'postgres-bench-temporal'), port: STACK_PORTS.temporalPostgres, maxConnections: 300, fsync: true },
    frontendPort: STACK_PORTS.temporal,
    membershipPort: STACK_PORTS.temporalMembership,
    namespace: 'default',
    numHistoryShards: 4,
    logDir: tmpDir,
    fresh: true,
  });
  cleanup.add('Temporal server and its PostgreSQL', () => cluster.stop());
  const db = new pg.Pool({ connectionString: cluster.postgres.url, max: 1 });
  cleanup.add('Temporal PostgreSQL pool', () => db.end());
  const backendPid = (await db.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
  return {
    address: cluster.address,
    pid: cluster.server.pid,
    postgresPid: backendPid ? parentOf(backendPid) : undefined,
    async storage() {
      const { rows } = await db.query<{ persistence: string; visibility: string }>(
        'select pg_database_size($1)::text as persistence, pg_database_size($2)::text as visibility',
        [PERSISTENCE_DATABASE, VISIBILITY_DATABASE],
      );
      const persistence = Number(rows[0]?.persistence ?? 0);
      const visibility = Number(rows[0]?.visibility ?? 0);
      return { persistence, visibility, total: persistence + visibility };
    },
  };
}

export async function startInfra(
  cleanup: Cleanup,
  options: {
    keepTmp: boolean;
    topology: Topology;
    /** Every worker's and API's settings for the run (--set); a phase's own win. */
    serviceSettings?: Record<string, string>;
    /** The background tier's cpu weight; undefined: every process at the default weight. */
    backgroundCpuShares?: number;
  },
): Promise<Infra> {
  for (const [name, port] of Object.entries(PORTS)) {
    if (await isPortOpen('127.0.0.1', port)) {
      throw new Error(`port ${port} (${name}) is already in use: is another benchmark running? Stop it first.`);
    }
  }
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'tiketq-bench-'));
  cleanup.add('temp dir', async () => {
    if (options.keepTmp) say(`kept ${tmpDir}`);
    else rmSync(tmpDir, { recursive: true, force: true });
  });
  say(`temp dir ${tmpDir}`);

  say(`PostgreSQL: private cluster, database ${DATABASE}`);
  const postgres = await ensurePrivatePostgres(DATABASE);
  if (postgres.startedHere) say('PostgreSQL was not running: started it, and will stop it at the end');
  cleanup.add('PostgreSQL', () => postgres.stop());
  applyMigrations(postgres.url);
  const db = new pg.Pool({ connectionString: postgres.url, max: 4 });
  const backendPid = (await db.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
  const postgresPid = backendPid ? parentOf(backendPid) : undefined;
  cleanup.add('bench pg pool', () => db.end());
  // The benchmark's own database: start each run from empty tables, so earlier runs do not skew it.
  await db.query(
    'truncate table payment_events, refunds, webhook_notifications, downstream_deliveries, idempotency_keys, payments restart identity cascade',
  );

  const weightGroup = options.backgroundCpuShares === undefined ? undefined : createCpuWeightGroup('background', options.backgroundCpuShares);
  if (weightGroup && 'unavailable' in weightGroup) say(`every process at the same cpu weight: ${weightGroup.unavailable}`);
  const background = weightGroup && !('unavailable' in weightGroup) ? weightGroup : undefined;
  // Registered before Temporal's stop, so it runs after it: a cgroup is removed once empty.
  if (background) cleanup.add('background cpu cgroup', async () => background.remove());
  const temporal = options.topology === 'stack' ? await startProductionTemporal(cleanup, tmpDir) : await startDevTemporal(cleanup, tmpDir);
  if (background) {
    if (temporal.pid === undefined) throw new Error('Temporal started without a pid to weigh: run with --cpu-weights equal');
    background.adopt(temporal.pid, temporal.postgresPid);
    requireInBackground(background, 'Temporal', temporal.pid, temporal.postgresPid);
    say(`background tier (workers, Temporal${temporal.postgresPid ? ' and its PostgreSQL' : ''}) at cpu weight ${background.shares} against 1024`);
  }
  const connection = await Connection.connect({ address: temporal.address });
  cleanup.add('Temporal client', () => connection.close());
  // Encrypted like production, so the benchmark counts the codec's cost.
  const client = new Client({ connection, namespace: 'default', dataConverter: testDataConverter() });

  const receiver = await startDownstreamReceiver(0);
  cleanup.add('downstream receiver', () => receiver.close());
  const apiUrl = `http://127.0.0.1:${PORTS.api}`;
  // Midtrans's dashboard setting: notifications go to the API's webhook. Midtrans retries a failed notification after
  // 2 min, 10 min, 30 min, 1.5 h and 3.5 h; scaled by 1/20 here (6 s … 10.5 min), so a burst the service answers with
  // 503 is retried over minutes, as Midtrans would, not hammered and dropped within seconds (which the 10,000-payment
  // run did at 1/2,000: 7,896 notifications gave up, and those payments waited for hourly reconciliation).
  const simulatorEnv = simulatorEnvironment({ port: PORTS.simulator, serverKey: SERVER_KEY, notificationUrl: `${apiUrl}/payments/webhook`, retryScale: 0.05 });
  const started = await spawnIpcService(cleanup, { tmpDir }, 'simulator', SIMULATOR_PROCESS_ENTRY, { ...isolatedEnvironment(), ...simulatorEnv });
  const simulator = attachSimulator(started.service.child!, { url: String(started.ready.url) });
  say(`simulator ${simulator.url} (pid ${started.service.mainPid}), receiver ${receiver.url}`);

  return {
    tmpDir,
    databaseUrl: postgres.url,
    db,
    temporalAddress: temporal.address,
    temporalStorage: () => temporal.storage(),
    temporalPid: temporal.pid,
    temporalPostgresPid: temporal.postgresPid,
    background,
    postgresPid,
    client,
    simulator,
    simulatorPid: started.service.mainPid,
    receiver,
    midtransCalls: simulator.requests,
    apiUrl,
    webhookAttempts: (orderIds) => simulator.webhookAttempts(orderIds),
    serviceEnv: (taskQueue, extra = {}, code) =>
      serviceEnvironment(
        {
          databaseUrl: code?.databaseUrl ?? postgres.url,
          temporalAddress: temporal.address,
          apiPort: code?.apiPort ?? PORTS.api,
          host: '127.0.0.1',
          namespace: 'default',
          taskQueue,
          midtrans: { url: code?.midtransUrl ?? simulator.url, serverKey: SERVER_KEY },
          downstream: { transactionServiceUrl: receiver.url, userServiceUrl: receiver.url, signingSecret: receiver.signingSecret },
          payloadEncryptionKeys: TEST_PAYLOAD_ENCRYPTION_KEYS,
        },
        { base: isolatedEnvironment(), tuning: { NODE_ENV: 'development', LOG_LEVEL: 'warn', API_KEYS: '', ...options.serviceSettings, ...extra } },
      ),
  };
}

/** A service the benchmark samples: `mainPid` is the program tsx runs (its RSS is the service's; tsx's is reported apart). */
export class ServiceUnderTest extends ServiceProcess {
  mainPid: number | undefined;
  /** The memory limit it runs under (a cgroup), or why it runs without the one asked for. */
  memoryLimit: MemoryLimit | { unavailable: string } | undefined;
}

/** How the bench starts a service's program: through tsx, as the image runs dist/, with Node's source maps off. */
export function serviceCommand(root: string, entry: string, nodeOptions: string[] = []): { command: string; args: string[] } {
  const withoutSourceMaps = path.join(PROJECT_ROOT, 'bench', 'without-source-maps.mjs');
  return { command: path.join(root, 'node_modules', '.bin', 'tsx'), args: [...nodeOptions, '--import', withoutSourceMaps, entry] };
}

export function spawnService(
  cleanup: Cleanup,
  infra: Pick<Infra, 'tmpDir'> & Partial<Pick<Infra, 'background'>>,
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  /** `background`: runs in the background tier's cpu cgroup (every worker does). */
  options: { ipc?: boolean; root?: string; memoryLimitBytes?: number; background?: boolean } = {},
): ServiceUnderTest {
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  const root = options.root ?? PROJECT_ROOT;
  const memoryLimit = options.memoryLimitBytes === undefined ? undefined : createMemoryLimit(name, options.memoryLimitBytes);
  const applied = memoryLimit && !('unavailable' in memoryLimit) ? memoryLimit : undefined;
  if (memoryLimit && 'unavailable' in memoryLimit) say(`${name}: runs without its memory limit: ${memoryLimit.unavailable}`);
  const tsx = withIoUringAsContainersRunIt(serviceCommand(root, entry, profile), env);
  const weighted = options.background && infra.background ? infra.background.wrap(tsx.command, tsx.args) : tsx;
  const { command, args } = applied ? applied.wrap(weighted.command, weighted.args) : weighted;
  const service = new ServiceUnderTest(name, command, args, {
    env,
    cwd: root,
    output: { logFile: path.join(infra.tmpDir, `${name}-${Date.now()}.log`) },
    ipc: options.ipc,
  });
  service.memoryLimit = memoryLimit;
  service.start();
  cleanup.add(name, async () => {
    await service.stop();
    applied?.remove();
  });
  return service;
}

async function resolveMainPid(service: ServiceUnderTest, needle: string): Promise<void> {
  await waitFor(
    `the program ${service.name} runs`,
    async () => {
      service.mainPid = findNodeProgram(service.pid!, needle);
      return service.mainPid !== undefined || !service.running;
    },
    20_000,
    50,
  );
}

export interface PaymentServices {
  taskQueue: string;
  worker: ServiceUnderTest;
  api: ServiceUnderTest;
  /** Resolved pids for sampling: worker, api (the programs), and the tsx wrappers. */
  pids(): Record<string, number | undefined>;
  stop(): Promise<void>;
}

/**
 * The worker and the API as separate processes on a fresh task queue, ready to take payments; from the working tree,
 * or from another checkout (`code`, the baseline) with its own API port, database and route to the simulator.
 */
export async function startPaymentServices(
  cleanup: Cleanup,
  infra: Infra,
  label: string,
  extraEnv: Record<string, string> = {},
  code?: ServiceCode,
  limits: { apiMemoryBytes?: number; workerMemoryBytes?: number } = {},
): Promise<PaymentServices> {
  const taskQueue = `bench-${label}-${Date.now().toString(36)}`;
  const env = infra.serviceEnv(taskQueue, extraEnv, code);
  const started = now();
  const prefix = code ? 'baseline-' : '';
  const worker = spawnService(cleanup, infra, `${prefix}worker`, 'src/worker.ts', env, { root: code?.root, memoryLimitBytes: limits.workerMemoryBytes, background: true });
  const api = spawnService(cleanup, infra, `${prefix}api`, 'src/server.ts', env, { root: code?.root, memoryLimitBytes: limits.apiMemoryBytes });
  const stop = async () => {
    await Promise.all([api.stop(), worker.stop()]);
  };
  try {
    await Promise.all([resolveMainPid(worker, 'src/worker.ts'), resolveMainPid(api, 'src/server.ts')]);
    if (infra.background?.active) requireInBackground(infra.background, `${prefix}worker`, worker.pid, worker.mainPid);
    await waitForWorkerToPoll(infra.client, worker, taskQueue);
    await waitForHttpOk(api, `${code?.apiUrl ?? infra.apiUrl}/ready`);
  } catch (error) {
    await stop();
    throw error;
  }
  say(`worker (pid ${worker.mainPid}) and API (pid ${api.mainPid}) up on ${taskQueue} in ${((now() - started) / 1000).toFixed(1)} s`);
  return {
    taskQueue,
    worker,
    api,
    pids: () => ({ worker: worker.mainPid, api: api.mainPid, workerTsx: worker.pid, apiTsx: api.pid, temporal: infra.temporalPid, simulator: infra.simulatorPid }),
    stop,
  };
}

/** A bench child (bare worker, bare API) that reports `{ type: 'ready', … }` over IPC when it can take work. */
export async function spawnIpcService(
  cleanup: Cleanup,
  infra: Pick<Infra, 'tmpDir'> & Partial<Pick<Infra, 'background'>>,
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  options: { background?: boolean; memoryLimitBytes?: number } = {},
): Promise<{ service: ServiceUnderTest; ready: Record<string, unknown> }> {
  const service = spawnService(cleanup, infra, name, entry, env, { ipc: true, background: options.background, memoryLimitBytes: options.memoryLimitBytes });
  const ready = await withTimeout(
    new Promise<Record<string, unknown>>((resolve, reject) => {
      service.child!.on('message', (message: Record<string, unknown>) => {
        if (message?.type === 'ready') resolve(message);
      });
      service.child!.once('exit', () => reject(new Error(`${name} exited during start:\n${service.logTail()}`)));
    }),
    120_000,
    `${name} to start`,
  ).catch(async (error: unknown) => {
    await service.stop();
    throw error;
  });
  await resolveMainPid(service, entry);
  if (options.background && infra.background?.active) requireInBackground(infra.background, name, service.pid, service.mainPid);
  return { service, ready };
}

/** A process of the background tier found outside its cpu cgroup would skew every figure of the run: stop instead. */
function requireInBackground(group: CpuWeightGroup, what: string, ...pids: Array<number | undefined>): void {
  // A process that has exited is not outside: its exit is reported where it is awaited.
  const outside = pids.filter((pid) => pid !== undefined && existsSync(`/proc/${pid}`) && !group.contains(pid));
  if (outside.length > 0) throw new Error(`${what}: process ${outside.join(', ')} is not in the background tier's cpu cgroup ${group.dir}`);
}
