import { Hono } from 'hono';
import { countPaymentsByStatus } from '../../db/payments';
import type { ApiDependencies } from '../app';
import type { ApiEnv } from '../middleware/request-context';

const withTimeout = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

/** Liveness, readiness (Temporal and PostgreSQL reachable) and Prometheus metrics. */
export function operationsRoutes(deps: ApiDependencies) {
  const app = new Hono<ApiEnv>();

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.get('/ready', async (c) => {
    const [database, temporal] = await Promise.allSettled([
      withTimeout(deps.db.$queryRaw`select 1`, 2_000),
      withTimeout(deps.checkTemporal(), 2_000),
    ]);
    const checks = {
      database: database.status === 'fulfilled' ? 'ok' : 'unavailable',
      temporal: temporal.status === 'fulfilled' ? 'ok' : 'unavailable',
    };
    const ready = database.status === 'fulfilled' && temporal.status === 'fulfilled';
    if (!ready) c.header('Retry-After', '5');
    return c.json({ status: ready ? 'ready' : 'unavailable', checks }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    const byStatus = await withTimeout(countPaymentsByStatus(deps.db), 2_000).catch(() => ({}));
    return c.text(deps.metrics.render(byStatus), 200, { 'content-type': 'text/plain; version=0.0.4' });
  });

  return app;
}
