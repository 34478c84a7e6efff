import { loadConfig } from './config';
import { createDatabase } from './db/client';
import { waitForMigrations } from './db/schema-migrations';
import { createLogger } from './logger';
import { createMidtransClient, midtransBaseUrls } from './midtrans/client';
import { startTracing } from './telemetry/tracing';
import { connectClient, connectWorker } from './temporal/connection';
import { applySchedules, scheduledJobs } from './temporal/schedules';
import { createPaymentWorker, installWorkerRuntime, prebuiltBundlePath, serveWorkerHealth } from './temporal/worker';
import { workflowCacheSize } from './temporal/workflow-cache';
import { UNENCRYPTED_ACCEPTED_WARNING } from './temporal/payload-codec';

/** The worker process: `npm run worker`. Scale it out by running more of them on the same task queue. */
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, 'worker');
if (config.ACCEPT_UNENCRYPTED_PAYLOADS) logger.warn(UNENCRYPTED_ACCEPTED_WARNING);
const db = createDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
// Code deployed before its migrations would fail every write that names a new column: such a worker does not poll yet.
// Before Temporal's runtime is installed, which takes SIGTERM over: a waiting worker still stops when told to.
const schema = await waitForMigrations(db, (pending) =>
  logger.error({ pending }, 'the database schema is behind this code: waiting for prisma migrate deploy before polling'),
);
if (schema.kind === 'unchecked') logger.warn({ err: schema.error }, 'could not ask PostgreSQL which migrations it has: polling anyway');
installWorkerRuntime(logger, {
  metricsBindAddress: config.WORKER_METRICS_PORT ? `${config.HOST}:${config.WORKER_METRICS_PORT}` : undefined,
});
const tracing = await startTracing('worker', { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
const defaults = midtransBaseUrls(config.MIDTRANS_IS_PRODUCTION);
const midtrans = createMidtransClient({
  serverKey: config.MIDTRANS_SERVER_KEY,
  apiBaseUrl: config.MIDTRANS_API_BASE_URL ?? defaults.apiBaseUrl,
  snapBaseUrl: config.MIDTRANS_SNAP_BASE_URL ?? defaults.snapBaseUrl,
  timeoutMs: config.MIDTRANS_TIMEOUT_MS,
});
const cache = workflowCacheSize(config.WORKER_MAX_CACHED_WORKFLOWS);
if (cache.fits === 0) {
  logger.warn(cache, "the worker's memory limit leaves no room for a workflow cache: expect it to be OOM-killed");
} else if (cache.maxCachedWorkflows > cache.fits) {
  logger.warn(cache, "the workflow cache is larger than the worker's memory holds: past its memory limit the worker is OOM-killed");
}
const { connection, namespace } = await connectWorker({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE });
const worker = await createPaymentWorker({
  connection,
  namespace,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  payloadEncryptionKeys: config.PAYLOAD_ENCRYPTION_KEYS,
  acceptUnencryptedPayloads: config.ACCEPT_UNENCRYPTED_PAYLOADS,
  workflowBundle: config.WORKFLOW_BUNDLE_PATH
    ? { codePath: prebuiltBundlePath(config.WORKFLOW_BUNDLE_PATH, { traced: tracing !== undefined, stackTraces: config.WORKFLOW_STACK_TRACES }) }
    : undefined,
  stackTraces: config.WORKFLOW_STACK_TRACES,
  shutdownGraceTimeMs: config.WORKER_SHUTDOWN_GRACE_MS,
  dependencies: {
    db,
    midtrans,
    downstream: {
      transactionServiceUrl: config.TRANSACTION_SERVICE_URL,
      userServiceUrl: config.USER_SERVICE_URL,
      timeoutMs: config.DOWNSTREAM_TIMEOUT_MS,
      signingSecret: config.DOWNSTREAM_SIGNING_SECRET,
    },
  },
  maxCachedWorkflows: cache.maxCachedWorkflows,
  maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
  maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
  maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
  tracing,
});
// The scheduled jobs (personal-data retention, …) are applied by every worker, so a deploy updates them. A failure
// (say, an API key without schedule permissions) is logged and leaves payments running: `npm run schedules:apply` then.
const scheduler = await connectClient({ address: config.TEMPORAL_ADDRESS, namespace }, config.PAYLOAD_ENCRYPTION_KEYS, {
  acceptUnencryptedPayloads: config.ACCEPT_UNENCRYPTED_PAYLOADS,
});
await applySchedules(scheduler, scheduledJobs(config), 'worker').then(
  (applied) => {
    logger.info({ schedules: applied }, 'schedules applied');
    const kept = applied.filter(({ outcome }) => outcome === 'kept').map(({ scheduleId }) => scheduleId);
    if (kept.length > 0) {
      logger.warn(
        { schedules: kept, taskQueue: config.TEMPORAL_TASK_QUEUE },
        "schedules start their runs on another task queue than this worker's: left there; npm run schedules:apply moves them here",
      );
    }
  },
  (error: unknown) => logger.error({ err: error }, 'schedules not applied: run npm run schedules:apply'),
);
await scheduler.connection.close();
const health = config.WORKER_HEALTH_PORT ? await serveWorkerHealth(worker, config.HOST, config.WORKER_HEALTH_PORT) : undefined;
logger.info(
  {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    namespace,
    metricsPort: config.WORKER_METRICS_PORT,
    healthPort: config.WORKER_HEALTH_PORT,
    maxCachedWorkflows: cache.maxCachedWorkflows,
    cacheSizedBy: cache.sizedBy,
    memoryMiB: cache.memoryMiB,
    memorySource: cache.memorySource,
    workflowStackTraces: config.WORKFLOW_STACK_TRACES,
  },
  'worker started',
);
// Worker.run() handles SIGINT/SIGTERM itself: it stops polling and lets running tasks finish.
await worker.run();
health?.close();
await Promise.allSettled([connection.close(), db.$disconnect(), tracing?.shutdown()]);
logger.info('worker stopped');
