import { createRoute, z } from '@hono/zod-openapi';
import { countPaymentsByStatus } from '../../db/payments';
import { lastReconciliationTimes } from '../../db/reconciliations';
import { pendingMigrationsCheck } from '../../db/schema-migrations';
import { countReviewItems } from '../../db/reviews';
import type { ApiDependencies } from '../app';
import { reviewActionDependencies } from './operator-reviews';
import { apiRouter, errorResponse, jsonContent, METRICS_SECURITY } from '../route-docs';
import { healthSchema, readinessSchema } from '../schemas';

const withTimeout = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

const health = createRoute({
  operationId: 'health',
  method: 'get',
  path: '/health',
  summary: 'Process is up',
  responses: { 200: { description: 'ok', ...jsonContent(healthSchema) } },
});

const ready = createRoute({
  operationId: 'ready',
  method: 'get',
  path: '/ready',
  summary:
    'PostgreSQL reachable with every migration of this code applied, and the process not shutting down; Temporal reported, not required',
  description:
    'Temporal is shared by every API process: without it they all still answer the webhook (a notification is stored and ' +
    'signalled once Temporal is back) and reads, so it only makes the answer "degraded". Creates, cancels and refunds ' +
    'answer 503 SERVICE_UNAVAILABLE meanwhile. A database without one of the migrations this code was built with ' +
    '(code deployed before `prisma migrate deploy`) is a 503 until it has them.',
  responses: {
    200: { description: 'ready, or degraded (Temporal unreachable)', ...jsonContent(readinessSchema) },
    503: {
      description: "PostgreSQL unreachable, its schema behind this code's, or the process draining; retry after the Retry-After header",
      headers: { 'Retry-After': { description: 'Seconds to wait before asking again', schema: { type: 'integer' } } },
      ...jsonContent(readinessSchema),
    },
  },
});

const metrics = createRoute({
  operationId: 'metrics',
  method: 'get',
  path: '/metrics',
  summary: "Prometheus metrics: Node's process metrics, requests by route, Midtrans notifications, payments by status",
  security: METRICS_SECURITY,
  responses: {
    200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
    401: errorResponse('UNAUTHORIZED'),
  },
});

/** Liveness, readiness (PostgreSQL reachable and migrated; Temporal reported) and Prometheus metrics. */
export function operationsRoutes(deps: ApiDependencies) {
  const app = apiRouter();
  const pendingMigrations = pendingMigrationsCheck(deps.db);

  app.openapi(health, (c) => c.json({ status: 'ok' as const }, 200));

  app.openapi(ready, async (c) => {
    const [database, temporal, pending] = await Promise.allSettled([
      withTimeout(deps.db.$queryRaw`select 1`, 2_000),
      withTimeout(deps.checkTemporal(), 2_000),
      withTimeout(pendingMigrations(), 2_000),
    ]);
    const checks = {
      database: database.status === 'fulfilled' ? ('ok' as const) : ('unavailable' as const),
      temporal: temporal.status === 'fulfilled' ? ('ok' as const) : ('unavailable' as const),
      schema: pending.status === 'rejected' ? ('unavailable' as const) : pending.value.length > 0 ? ('behind' as const) : ('ok' as const),
    };
    const draining = deps.isDraining?.() === true;
    // A schema that cannot be read (an application user without SELECT on _prisma_migrations) is not one known to be
    // behind: only that takes the process out of rotation, as it keeps a worker from polling.
    if (!draining && checks.database === 'ok' && checks.schema !== 'behind') {
      return c.json({ status: checks.temporal === 'ok' ? ('ready' as const) : ('degraded' as const), checks }, 200);
    }
    c.header('Retry-After', '5');
    return c.json({ status: draining ? ('draining' as const) : ('unavailable' as const), checks }, 503);
  });

  app.openapi(metrics, async (c) => {
    const [byStatus, reviewsByKind, reconciliation] = await Promise.all([
      withTimeout(countPaymentsByStatus(deps.db), 2_000).catch(() => undefined),
      withTimeout(countReviewItems(deps.db, reviewActionDependencies(deps).reviewQueue), 2_000).catch(() => undefined),
      withTimeout(lastReconciliationTimes(deps.db), 2_000).catch(() => undefined),
    ]);
    return c.text(await deps.metrics.render(byStatus, reviewsByKind, reconciliation), 200, { 'content-type': deps.metrics.contentType });
  });

  return app;
}
