import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { workerIsPolling } from '../../scripts/local-stack/readiness';
import { createDatabase, type Database } from '../../src/db/client';
import { requiredMigrations } from '../../src/db/schema-migrations';
import { eventually, TEST_PAYLOAD_ENCRYPTION_KEYS } from '../support/fixtures';
import { unusedPortBelowEphemeralRange } from '../support/ports';
import { privateDatabase } from '../support/service-harness';

/**
 * The worker process as `npm run worker` starts it (src/worker.ts, in a child: Temporal's runtime is installed once
 * per process, before any connection, so it cannot share this test's process with the harness's worker): its health
 * endpoint, Node's metrics, Temporal's own worker metrics, and the SDK's logs as pino's JSON lines. It starts against a
 * database whose newest migration has not finished, as when code is deployed before `prisma migrate deploy`; a second
 * worker started then is stopped with SIGTERM while it waits.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');

/** A worker process as `npm run worker` starts it, on this file's database, with its output kept line by line. */
function startWorker(env: Record<string, string>) {
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/worker.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      PAYLOAD_ENCRYPTION_KEYS: TEST_PAYLOAD_ENCRYPTION_KEYS,
      // Nothing is charged here; the gateway only has to be a loopback address for the public simulator key.
      MIDTRANS_API_BASE_URL: 'http://127.0.0.1:9',
      MIDTRANS_SNAP_BASE_URL: 'http://127.0.0.1:9/snap/v1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const complete = pending.split('\n');
    pending = complete.pop()!;
    lines.push(...complete);
  });
  child.stderr!.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  /** Its output lines that are pino's JSON records. */
  const records = () =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const saidSchemaIsBehind = () =>
    eventually(
      'the worker to say the database schema is behind',
      async () => records().find((r) => String(r.msg).includes('schema is behind')),
      (record) => record !== undefined || child.exitCode !== null,
      90_000,
      100,
    );
  return { child, lines, records, saidSchemaIsBehind };
}

const stopped = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));

let worker: ReturnType<typeof startWorker>;
const ports = { metrics: 0, health: 0 };
const taskQueue = `it-telemetry-${randomUUID()}`;
let database: Awaited<ReturnType<typeof privateDatabase>>;
let db: Database;
let temporal: Client;
/** What the worker did while the database lacked its newest migration, and how a second one took SIGTERM then. */
const whileBehind = {
  logged: undefined as Record<string, unknown> | undefined,
  polled: undefined as boolean | undefined,
  health: 'not asked',
  started: false,
  stoppedBySigtermWithinMs: undefined as number | undefined,
};
const newest = requiredMigrations().at(-1)!;

const healthStatus = () =>
  fetch(`http://127.0.0.1:${ports.health}/health`).then(
    (r) => String(r.status),
    () => 'no answer',
  );

beforeAll(async () => {
  [ports.metrics, ports.health] = [await unusedPortBelowEphemeralRange(), await unusedPortBelowEphemeralRange()];
  database = await privateDatabase();
  db = createDatabase(database.url, 2);
  temporal = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
  await db.$executeRaw`update _prisma_migrations set finished_at = null where migration_name = ${newest}`;

  // A worker waiting for migrations stops on SIGTERM at once (docker stop, a rolling deploy giving up).
  const waiting = startWorker({ TEMPORAL_TASK_QUEUE: `${taskQueue}-waiting` });
  await waiting.saidSchemaIsBehind();
  const signalled = Date.now();
  waiting.child.kill('SIGTERM');
  await Promise.race([stopped(waiting.child).then(() => (whileBehind.stoppedBySigtermWithinMs = Date.now() - signalled)), sleep(10_000)]);
  waiting.child.kill('SIGKILL');

  worker = startWorker({ TEMPORAL_TASK_QUEUE: taskQueue, WORKER_METRICS_PORT: String(ports.metrics), WORKER_HEALTH_PORT: String(ports.health) });
  whileBehind.logged = await worker.saidSchemaIsBehind();
  // Longer than a worker takes from its schema check to its first poll (bundling the workflows included).
  await sleep(5_000);
  whileBehind.polled = await workerIsPolling(temporal, taskQueue);
  whileBehind.health = await healthStatus();
  whileBehind.started = worker.lines.some((line) => line.includes('"worker started"'));
  await db.$executeRaw`update _prisma_migrations set finished_at = now() where migration_name = ${newest}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const health = await fetch(`http://127.0.0.1:${ports.health}/health`).catch(() => undefined);
    if (health?.status === 200) break;
    if (worker.child.exitCode !== null || Date.now() > deadline) throw new Error(`the worker did not become healthy:\n${worker.lines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
});

afterAll(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGTERM');
    await Promise.race([stopped(worker.child), sleep(30_000)]);
    worker.child.kill('SIGKILL');
  }
  await temporal?.connection.close();
  await db?.$disconnect();
  await database?.drop();
});

describe('the worker process', () => {
  it('does not poll while the database lacks a migration of this code, says which, and starts once it has it', () => {
    expect(whileBehind.logged, worker.lines.join('\n')).toMatchObject({ level: 50, component: 'worker', pending: [newest] });
    expect(whileBehind).toMatchObject({ polled: false, health: 'no answer', started: false });
    // It started after the migration finished: beforeAll waited for its health check.
    expect(worker.lines.some((line) => line.includes('"worker started"'))).toBe(true);
  });

  it('stops at once on SIGTERM while it waits for migrations', () => {
    expect(whileBehind.stoppedBySigtermWithinMs).toBeLessThan(5_000);
  });

  it('answers GET /health with its state and task queue while it polls', async () => {
    const health = await fetch(`http://127.0.0.1:${ports.health}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', state: 'RUNNING', taskQueue });
  });

  it("serves Node's process metrics (prom-client) beside the health check", async () => {
    const metrics = await fetch(`http://127.0.0.1:${ports.health}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    expect(text).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes [1-9]/m);
  });

  it("serves Temporal's own worker metrics for Prometheus on WORKER_METRICS_PORT", async () => {
    const metrics = await fetch(`http://127.0.0.1:${ports.metrics}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    // The core's gauges of this worker's task slots, labelled with its task queue.
    expect(text).toMatch(new RegExp(`^temporal_worker_task_slots_available\\{.*task_queue="${taskQueue}".*\\} \\d+`, 'm'));
  });

  it("writes the Temporal SDK's own log lines through pino (JSON, with the service's fields)", async () => {
    // The health endpoint can answer RUNNING before the SDK's line about it reaches our stdout reader.
    const stateChange = await eventually(
      'the SDK to log its RUNNING state',
      async () => worker.records().find((r) => r.msg === 'Worker state changed' && r.state === 'RUNNING'),
      (record) => record !== undefined,
      15_000,
      100,
    ).catch(() => undefined);
    expect(stateChange, worker.lines.join('\n')).toMatchObject({
      service: 'tiketq-payments',
      component: 'worker',
      sdkComponent: 'worker',
      taskQueue,
    });
    // Nothing the SDK says bypasses pino any more.
    expect(worker.lines.filter((line) => line.includes('Worker state changed') && !line.startsWith('{'))).toEqual([]);
  });
});
