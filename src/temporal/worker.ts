import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
  makeTelemetryFilterString,
  type LogLevel,
  type WorkflowBundle,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createActivities, type ActivityDependencies } from '../../activities';
import type { Logger } from '../logger';
import { UNTRACED_WORKFLOW_SINKS, WORKFLOW_TRACING_MODULE, type PaymentTracing } from '../telemetry/tracing';
import { encryptedDataConverter, type PayloadEncryptionKey } from './payload-codec';
import { sandboxPreloads } from './workflow-preloads';
import { reconciliationDriftTotal } from './worker-metrics';

export const WORKFLOWS_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows/index.ts');

export interface PaymentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dependencies: ActivityDependencies;
  /** PAYLOAD_ENCRYPTION_KEYS: the worker seals what it sends with the first and opens payloads sealed with any. */
  payloadEncryptionKeys: readonly PayloadEncryptionKey[];
  /** ACCEPT_UNENCRYPTED_PAYLOADS: open unsealed payloads (histories from before encryption) instead of refusing them. */
  acceptUnencryptedPayloads?: boolean;
  /** A prebuilt bundle (tests build it once, the image loads dist/workflow-bundle.js); otherwise bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /** WORKFLOW_STACK_TRACES: the SDK's stack traces for every promise kept (debugging; costs CPU), when bundled at start. */
  stackTraces?: boolean;
  shutdownGraceTimeMs?: number;
  maxCachedWorkflows?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  /** The process's tracing (src/telemetry/tracing.ts); absent = the workflows' spans go nowhere. */
  tracing?: PaymentTracing;
}

/**
 * Bundles the deterministic workflow code (webpack + swc); replay tests and `npm run build` use the same bundles.
 * The tracing interceptors go in only for a worker that traces: they run inside every workflow the worker holds, and
 * untraced they cost two thirds of its throughput and most of its memory per open payment (docs/tuning.md change 11).
 * They add headers, no commands, so a history replays with either bundle (test/replay/replay.test.ts).
 *
 * Our workflow modules are preloaded: evaluated once when the worker's V8 context is made and shared, frozen, by
 * every workflow it holds, instead of evaluated again and kept per workflow (docs/tuning.md change 15). That is safe
 * because they hold no state of their own at module level: a workflow's state lives in what its function builds.
 *
 * Without `stackTraces` the bundle also preloads src/temporal/workflow-stack-traces.ts, which turns the SDK's
 * per-promise stack traces off (docs/tuning.md change 22).
 */
export function bundlePaymentWorkflows({ traced, stackTraces = false }: { traced: boolean; stackTraces?: boolean }): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    preloadModules: [...sandboxPreloads({ stackTraces }), WORKFLOWS_PATH],
    workflowInterceptorModules: traced ? [WORKFLOW_TRACING_MODULE] : [],
    logger: quietBundlerLogger,
  });
}

/**
 * `npm run build` writes the untraced bundle at WORKFLOW_BUNDLE_PATH and the other three beside it, so that a worker
 * that traces or asks for stack traces (WORKFLOW_STACK_TRACES) needs no webpack in the image either.
 */
export function prebuiltBundlePath(untracedPath: string, { traced, stackTraces = false }: { traced: boolean; stackTraces?: boolean }): string {
  const suffix = `${traced ? '-traced' : ''}${stackTraces ? '-stack-traces' : ''}`;
  return suffix ? untracedPath.replace(/(\.js)?$/, `${suffix}.js`) : untracedPath;
}

const quietBundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string, meta?: unknown) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: unknown) => console.error(message, meta ?? ''),
};

export async function createPaymentWorker(options: PaymentWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle ?? (await bundlePaymentWorkflows({ traced: options.tracing !== undefined, stackTraces: options.stackTraces })),
    activities: createActivities(options.dependencies),
    dataConverter: encryptedDataConverter(options.payloadEncryptionKeys, { acceptUnencrypted: options.acceptUnencryptedPayloads }),
    interceptors: options.tracing?.workerInterceptors,
    sinks: options.tracing?.workflowSinks ?? UNTRACED_WORKFLOW_SINKS,
    // The SDK rejects an explicit undefined here (its default applies only when the key is absent).
    ...(options.shutdownGraceTimeMs !== undefined && { shutdownGraceTime: options.shutdownGraceTimeMs }),
    maxCachedWorkflows: options.maxCachedWorkflows,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions,
    maxConcurrentLocalActivityExecutions: options.maxConcurrentLocalActivityExecutions,
    maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTaskExecutions,
  });
}

const TEMPORAL_LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR' };

/**
 * Temporal's process-wide runtime, installed before the first connection (the SDK allows one per process): the SDK's
 * own logs, the workflows' and activities' context loggers and the Rust core's logs all go to our pino logger (so its
 * redaction applies), and, with `metricsBindAddress`, the core serves its worker metrics (task slots, poll and
 * schedule-to-start latencies, sticky cache) for Prometheus at http://<bindAddress>/metrics.
 */
export function installWorkerRuntime(logger: Logger, options: { metricsBindAddress?: string } = {}): void {
  const level = TEMPORAL_LEVELS[logger.level] ?? 'ERROR';
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
      const pinoLevel = entryLevel.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
      logger[pinoLevel]({ ...meta }, message);
    }),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: level }) },
      ...(options.metricsBindAddress ? { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } } : {}),
    },
  });
}

/**
 * The worker's own small HTTP endpoint: GET /health answers 200 while the worker polls its task queue (state RUNNING)
 * and 503 otherwise (starting, draining, stopped or failed), with the state and task queue; GET /metrics is the
 * process's Node metrics (prom-client's defaults: CPU, memory, event-loop lag, GC) and the activities' own counters
 * (src/temporal/worker-metrics.ts). Temporal's worker metrics are the core's own endpoint (installWorkerRuntime).
 */
export async function serveWorkerHealth(worker: Pick<Worker, 'getState' | 'options'>, host: string, port: number): Promise<Server> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registry.registerMetric(reconciliationDriftTotal);
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/health') {
      const state = worker.getState();
      response.writeHead(state === 'RUNNING' ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: state === 'RUNNING' ? 'ok' : 'unavailable', state, taskQueue: worker.options.taskQueue }));
      return;
    }
    if (request.method === 'GET' && request.url === '/metrics') {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'GET /health or GET /metrics' }));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  return server;
}
