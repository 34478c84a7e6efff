import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/**
 * CORS for browsers. CORS headers matter only to browsers, which always send Origin. Hono's cors touches the response
 * before and after the handler, which makes @hono/node-server rebuild it (about 3× the CPU of a read); server-to-server
 * calls skip it. Every response varies by Origin all the same, so caches never serve one origin's answer to another.
 */
export function corsForBrowsers(origins: string[]): MiddlewareHandler {
  const forBrowsers = cors({ origin: origins, allowHeaders: ['Authorization', 'X-API-Key', 'Content-Type', 'Idempotency-Key'] });
  return (c, next) => {
    if (c.req.header('origin') !== undefined) return forBrowsers(c, next);
    c.header('Vary', 'Origin');
    return next();
  };
}
