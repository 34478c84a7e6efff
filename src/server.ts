import { serve } from '@hono/node-server';
import { createApp } from './api/app';
import { createApiMetrics } from './api/metrics';
import { createNotificationForwarder } from './api/notification-forwarder';
import { createPaymentWorkflows } from './api/payment-workflows';
import { loadConfig } from './config';
import { createDatabase } from './db/client';
import { pendingMigrations, requiredMigrations } from './db/schema-migrations';
import { createLogger } from './logger';
import { startTracing } from './telemetry/tracing';
import { connectClient } from './temporal/connection';
import { UNENCRYPTED_ACCEPTED_WARNING } from './temporal/payload-codec';

/** The API process: `npm run api`. Configured only by environment variables (src/config.ts). */
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, 'api');
if (config.ACCEPT_UNENCRYPTED_PAYLOADS) logger.warn(UNENCRYPTED_ACCEPTED_WARNING);
if (config.API_KEYS.length === 0) {
  // Production refuses this (src/config.ts); anywhere else it must not go unnoticed.
  logger.warn(
    'API_KEYS is empty: the payment API accepts every request without a key. Local development only: set API_KEYS wherever anyone else can reach the API.',
  );
}
const tracing = await startTracing('api', { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
const db = createDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
pendingMigrations(db, requiredMigrations()).then(
  (pending) => {
    if (pending.length > 0) {
      logger.error({ pending }, 'the database schema is behind this code: /ready answers 503 until prisma migrate deploy has run');
    }
  },
  (error: unknown) => logger.warn({ err: error }, 'could not ask PostgreSQL which migrations it has: /ready asks again'),
);
const client = await connectClient(
  { address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE },
  config.PAYLOAD_ENCRYPTION_KEYS,
  { tracing, acceptUnencryptedPayloads: config.ACCEPT_UNENCRYPTED_PAYLOADS },
);

let stopping = false;
const workflows = createPaymentWorkflows(client, config.TEMPORAL_TASK_QUEUE);
const metrics = createApiMetrics();
const forwarder = createNotificationForwarder({ db, workflows, logger, metrics });
forwarder.start();
const app = createApp({
  config,
  db,
  workflows,
  forwarder,
  logger,
  metrics,
  // The namespace, not just the connection: a server that lost its database still answers health checks.
  checkTemporal: async () => {
    await client.workflowService.describeNamespace({ namespace: client.options.namespace });
  },
  isDraining: () => stopping,
  traced: tracing !== undefined,
});

const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  logger.info({ port: info.port }, `API listening on http://${config.HOST}:${info.port} (docs at /docs)`);
});

// Graceful shutdown: /ready turns 503 and requests are still served for API_DRAIN_DELAY_MS (so a load balancer
// notices and stops sending), then the server stops accepting, lets in-flight requests finish and closes connections.
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, drainDelayMs: config.API_DRAIN_DELAY_MS }, 'shutting down');
  const forced = setTimeout(() => process.exit(1), config.API_DRAIN_DELAY_MS + 15_000).unref();
  await new Promise((resolve) => setTimeout(resolve, config.API_DRAIN_DELAY_MS));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await forwarder.stop(5_000);
  await Promise.allSettled([client.connection.close(), db.$disconnect(), tracing?.shutdown()]);
  clearTimeout(forced);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
