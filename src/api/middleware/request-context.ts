import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from '../../logger';
import type { ApiMetrics } from '../metrics';

export type ApiEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    /** Who sent the request, as a fingerprint of its API key (set by requireApiKey): Idempotency-Keys are scoped to it. */
    caller: string;
    /** The operator's name on the operators' routes (set by requireOperator): their actions are audited under it. */
    operator: string;
  };
};

/** A request id on every response and log line; one access-log line and one metrics sample per request. */
export function requestContext(logger: Logger, metrics: ApiMetrics): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    const paymentId = c.req.path.match(/^\/payments\/([^/]+)/)?.[1];
    const log = logger.child({ requestId, ...(paymentId && !['order', 'webhook'].includes(paymentId) ? { paymentId } : {}) });
    c.set('requestId', requestId);
    c.set('log', log);
    // Before the handler: a header set on a finished response makes @hono/node-server rebuild it (3× the CPU).
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const matched = routePath(c, -1);
    const route = matched && matched !== '*' && matched !== '/*' ? matched : 'unmatched';
    metrics.observeRequest(c.req.method, route, c.res.status, seconds);
    log.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(seconds * 1000) }, 'request');
  };
}
