import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';

/** Rejects plain HTTP when enforced; behind a proxy the scheme comes from X-Forwarded-Proto. */
export function enforceHttps(enabled: boolean): MiddlewareHandler {
  return async (c, next) => {
    if (!enabled) return next();
    const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim();
    const scheme = forwarded ?? new URL(c.req.url).protocol.replace(':', '');
    if (scheme !== 'https') throw new ApiError('HTTPS_REQUIRED', 'this API only accepts HTTPS requests');
    await next();
    c.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  };
}
