import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { PROJECT_ROOT } from '../scripts/local-stack/binaries';
import { startDownstreamReceiver, type DownstreamReceiver } from '../scripts/local-stack/downstream-receiver';
import { applyMigrations } from '../scripts/local-stack/migrations';
import { ensurePrivatePostgres } from '../scripts/local-stack/postgres';
import { isPortOpen } from '../scripts/local-stack/processes';
import { ensureTemporalDevServer } from '../scripts/local-stack/temporal-server';
import { createSimulator, type SimulatorOptions } from '../simulator/app';
import { commandLine, descendantsOf, findDescendant, parentOf } from './procs';
import { now, pollUntil, say, sleep, withTimeout } from './util';

/**
 * The benchmark's own stack, on ports apart from the dev stack's so both can run at once: a Temporal dev server
 * (headless, SQLite file in a temp dir) on 27233, the private PostgreSQL cluster with its own database, the Midtrans
 * simulator on 28900 and the downstream receiver (both in this process), and the worker and the API as separate
 * child processes (`tsx src/worker.ts`, `tsx src/server.ts`) so their memory can be read from /proc.
 */

export const PORTS = { temporal: 27233, api: 28000, simulator: 28900 } as const;
export const SERVER_KEY = 'SB-Mid-server-benchmark';
export const DATABASE = 'tiketq_bench';
const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

/** Stops run in reverse order of registration, each bounded in time; also on errors and signals. */
export class Cleanup {
  private readonly stops: Array<{ what: string; stop: () => Promise<void> }> = [];
  private readonly groups = new Set<number>();
  private readonly pids = new Set<number>();

  add(what: string, stop: () => Promise<void>): () => void {
    const entry = { what, stop };
    this.stops.push(entry);
    return () => {
      const index = this.stops.indexOf(entry);
      if (index >= 0) this.stops.splice(index, 1);
    };
  }

  /** Process groups this run created (detached children): killed outright if the bench exits without cleaning up. */
  trackGroup(pgid: number): () => void {
    this.groups.add(pgid);
    return () => this.groups.delete(pgid);
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

  /** A single process we started (not a group leader): killed outright too if the bench exits without cleaning up. */
  trackPid(pid: number): void {
    this.pids.add(pid);
  }

  /** Last resort on process exit (synchronous): SIGKILL every group and process we started that is still there. */
  killGroupsNow(): void {
    for (const target of [...[...this.groups].map((g) => -g), ...this.pids]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.groups.clear();
    this.pids.clear();
  }
}

export interface Infra {
  tmpDir: string;
  databaseUrl: string;
  db: pg.Pool;
  temporalAddress: string;
  temporalDbFile: string;
  temporalPid: number | undefined;
  /** PostgreSQL's postmaster: its process tree is the whole cluster (CPU is read for the tree). */
  postgresPid: number | undefined;
  client: Client;
  simulator: { url: string; close(): Promise<void> };
  /** Requests the simulator received, by kind (charge, status, cancel, …, control): Midtrans API usage. */
  midtransCalls: Record<string, number>;
  receiver: DownstreamReceiver;
  apiUrl: string;
  /** Environment every service child gets; a run adds its task queue and tuning variables. */
  serviceEnv(taskQueue: string, extra?: Record<string, string>): NodeJS.ProcessEnv;
}

export async function startInfra(cleanup: Cleanup, options: { keepTmp: boolean }): Promise<Infra> {
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

  const temporalDbFile = path.join(tmpDir, 'temporal.db');
  say(`Temporal dev server on 127.0.0.1:${PORTS.temporal} (headless, SQLite ${temporalDbFile})`);
  const temporal = await ensureTemporalDevServer({ port: PORTS.temporal, dbFile: temporalDbFile, logFile: path.join(tmpDir, 'temporal.log') });
  cleanup.add('Temporal dev server', () => temporal.stop());
  const temporalPid = descendantsOf(process.pid).find((pid) => {
    const cmd = commandLine(pid);
    return cmd.includes('start-dev') && cmd.includes(String(PORTS.temporal));
  });
  if (temporalPid) cleanup.trackPid(temporalPid);
  const connection = await Connection.connect({ address: temporal.address });
  cleanup.add('Temporal client', () => connection.close());
  const client = new Client({ connection, namespace: 'default' });

  const receiver = await startDownstreamReceiver(0);
  cleanup.add('downstream receiver', () => receiver.close());
  const apiUrl = `http://127.0.0.1:${PORTS.api}`;
  // Midtrans's dashboard setting: notifications go to the API's webhook. Midtrans retries a failed notification after
  // 2 min, 10 min, 30 min, 1.5 h and 3.5 h; scaled by 1/20 here (6 s … 10.5 min), so a burst the service answers with
  // 503 is retried over minutes, as Midtrans would, not hammered and dropped within seconds (which the 10,000-payment
  // run did at 1/2,000: 7,896 notifications gave up, and those payments waited for hourly reconciliation).
  const { simulator, calls: midtransCalls } = await startCountingSimulator({
    port: PORTS.simulator,
    serverKey: SERVER_KEY,
    notificationUrl: `${apiUrl}/payments/webhook`,
    retryScale: 0.05,
  });
  cleanup.add('Midtrans simulator', () => simulator.close());
  say(`simulator ${simulator.url}, receiver ${receiver.url}`);

  return {
    tmpDir,
    databaseUrl: postgres.url,
    db,
    temporalAddress: temporal.address,
    temporalDbFile,
    temporalPid,
    postgresPid,
    client,
    simulator,
    receiver,
    midtransCalls,
    apiUrl,
    serviceEnv(taskQueue, extra = {}) {
      const env: NodeJS.ProcessEnv = { ...process.env };
      // Connection settings of some other Temporal (a profile, Cloud keys) must not leak into the benchmark.
      for (const key of Object.keys(env)) {
        if (key.startsWith('TEMPORAL_') || key.startsWith('MIDTRANS_') || key.startsWith('WORKER_')) delete env[key];
      }
      return {
        ...env,
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(PORTS.api),
        API_KEYS: '',
        DATABASE_URL: postgres.url,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TASK_QUEUE: taskQueue,
        MIDTRANS_SERVER_KEY: SERVER_KEY,
        MIDTRANS_API_BASE_URL: simulator.url,
        MIDTRANS_SNAP_BASE_URL: `${simulator.url}/snap/v1`,
        TRANSACTION_SERVICE_URL: receiver.url,
        USER_SERVICE_URL: receiver.url,
        DOWNSTREAM_SIGNING_SECRET: receiver.signingSecret,
        ...extra,
      };
    },
  };
}

/** What a request to the simulator is, for counting Midtrans API usage. */
function midtransCallKind(method: string, pathname: string): string {
  if (pathname.startsWith('/_simulator')) return 'control';
  if (method === 'POST' && pathname === '/v2/charge') return 'charge';
  if (pathname.startsWith('/snap/')) return 'snap';
  const action = pathname.match(/^\/v2\/[^/]+\/([a-z]+)$/)?.[1];
  return action ?? 'other';
}

/**
 * startSimulator (simulator/server.ts), plus a count of the requests it gets by kind: the simulator's own
 * stats count charges and notifications, not status calls (confirmations and the reconciliation of open payments).
 */
async function startCountingSimulator(options: SimulatorOptions & { port: number }) {
  const { port, ...simulatorOptions } = options;
  const simulator = createSimulator(simulatorOptions);
  const calls: Record<string, number> = {};
  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve(
      {
        fetch: (request: Request, env: unknown) => {
          const kind = midtransCallKind(request.method, new URL(request.url).pathname);
          calls[kind] = (calls[kind] ?? 0) + 1;
          return simulator.app.fetch(request, env);
        },
        port,
        hostname: '127.0.0.1',
      },
      () => resolve(started as Server),
    );
    started.once('error', reject);
  });
  return {
    calls,
    simulator: {
      url: `http://127.0.0.1:${port}`,
      close: async () => {
        simulator.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      },
    },
  };
}

/** A `tsx <entry>` child in its own process group, logging to a file; `mainPid` is the node process tsx runs. */
export interface ServiceProcess {
  name: string;
  wrapperPid: number;
  mainPid: number | undefined;
  child: ChildProcess;
  logFile: string;
  exited(): boolean;
  stop(): Promise<void>;
}

export function spawnService(
  cleanup: Cleanup,
  infra: Infra,
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  options: { ipc?: boolean } = {},
): ServiceProcess {
  const logFile = path.join(infra.tmpDir, `${name}-${Date.now()}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(TSX, [...(process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : []), entry], {
    cwd: PROJECT_ROOT,
    env,
    detached: true,
    stdio: ['ignore', fd, fd, ...(options.ipc ? (['ipc'] as const) : [])],
  });
  closeSync(fd);
  if (!child.pid) throw new Error(`could not start ${name}`);
  const wrapperPid = child.pid;
  const untrack = cleanup.trackGroup(wrapperPid);
  let exitedFlag = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exitedFlag = true;
      resolve();
    }),
  );
  const service: ServiceProcess = {
    name,
    wrapperPid,
    mainPid: undefined,
    child,
    logFile,
    exited: () => exitedFlag,
    async stop() {
      if (!exitedFlag) {
        // tsx relays SIGTERM to the program: the worker drains, the API finishes in-flight requests.
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(15_000)]);
      }
      try {
        process.kill(-wrapperPid, 'SIGKILL'); // whatever of the group is left (a hung program, esbuild's service)
      } catch {
        // the group is gone
      }
      await Promise.race([exited, sleep(2_000)]);
      untrack();
      removeCleanup();
    },
  };
  const removeCleanup = cleanup.add(name, () => service.stop());
  return service;
}

/** Finds the program tsx runs (its RSS is the service's RSS; the tsx wrapper is reported apart). */
async function resolveMainPid(service: ServiceProcess, needle: string): Promise<void> {
  await pollUntil(() => {
    service.mainPid = findDescendant(service.wrapperPid, needle);
    return service.mainPid !== undefined || service.exited();
  }, 50, 20_000);
}

export function logTail(service: ServiceProcess, lines = 30): string {
  try {
    return readFileSync(service.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function workflowPollers(client: Client, taskQueue: string): Promise<number> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: taskQueue, kind: 1 /* NORMAL */ },
    taskQueueType: 1 /* WORKFLOW */,
  });
  return response.pollers?.length ?? 0;
}

/** Waits until a worker polls `taskQueue`; fails fast if the process died. */
export async function waitForWorker(infra: Infra, service: ServiceProcess, taskQueue: string, timeoutMs = 120_000): Promise<void> {
  const ok = await pollUntil(async () => {
    if (service.exited()) throw new Error(`${service.name} exited during start:\n${logTail(service)}`);
    return (await workflowPollers(infra.client, taskQueue).catch(() => 0)) > 0;
  }, 250, timeoutMs);
  if (!ok) throw new Error(`${service.name} did not poll ${taskQueue} within ${timeoutMs} ms:\n${logTail(service)}`);
}

export interface PaymentServices {
  taskQueue: string;
  worker: ServiceProcess;
  api: ServiceProcess;
  /** Resolved pids for sampling: worker, api (the programs), and the tsx wrappers. */
  pids(): Record<string, number | undefined>;
  stop(): Promise<void>;
}

/** The worker and the API as separate processes on a fresh task queue, ready to take payments. */
export async function startPaymentServices(
  cleanup: Cleanup,
  infra: Infra,
  label: string,
  extraEnv: Record<string, string> = {},
): Promise<PaymentServices> {
  const taskQueue = `bench-${label}-${Date.now().toString(36)}`;
  const env = infra.serviceEnv(taskQueue, extraEnv);
  const started = now();
  const worker = spawnService(cleanup, infra, 'worker', 'src/worker.ts', env);
  const api = spawnService(cleanup, infra, 'api', 'src/server.ts', env);
  const stop = async () => {
    await Promise.all([api.stop(), worker.stop()]);
  };
  try {
    await Promise.all([resolveMainPid(worker, 'src/worker.ts'), resolveMainPid(api, 'src/server.ts')]);
    await waitForWorker(infra, worker, taskQueue);
    const ready = await pollUntil(async () => {
      if (api.exited()) throw new Error(`api exited during start:\n${logTail(api)}`);
      const response = await fetch(`${infra.apiUrl}/ready`).catch(() => null);
      return response?.status === 200;
    }, 250, 60_000);
    if (!ready) throw new Error(`the API did not become ready:\n${logTail(api)}`);
  } catch (error) {
    await stop();
    throw error;
  }
  say(`worker (pid ${worker.mainPid}) and API (pid ${api.mainPid}) up on ${taskQueue} in ${((now() - started) / 1000).toFixed(1)} s`);
  return {
    taskQueue,
    worker,
    api,
    pids: () => ({ worker: worker.mainPid, api: api.mainPid, workerTsx: worker.wrapperPid, apiTsx: api.wrapperPid, temporal: infra.temporalPid }),
    stop,
  };
}

/** A bench child (bare worker, bare API) that reports `{ type: 'ready', … }` over IPC when it can take work. */
export async function spawnIpcService(
  cleanup: Cleanup,
  infra: Infra,
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
): Promise<{ service: ServiceProcess; ready: Record<string, unknown> }> {
  const service = spawnService(cleanup, infra, name, entry, env, { ipc: true });
  const ready = await withTimeout(
    new Promise<Record<string, unknown>>((resolve, reject) => {
      service.child.on('message', (message: Record<string, unknown>) => {
        if (message?.type === 'ready') resolve(message);
      });
      service.child.once('exit', () => reject(new Error(`${name} exited during start:\n${logTail(service)}`)));
    }),
    120_000,
    `${name} to start`,
  ).catch(async (error: unknown) => {
    await service.stop();
    throw error;
  });
  await resolveMainPid(service, entry);
  return { service, ready };
}
