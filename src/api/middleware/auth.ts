import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';

function sameKey(candidate: string, key: string): boolean {
  const a = Buffer.from(candidate);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * API key on the management API: `Authorization: Bearer <key>` or `X-API-Key: <key>`. Several keys may be valid at
 * once so they can be rotated. With no keys configured (local development only) every request passes.
 */
export function requireApiKey(keys: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    if (keys.length === 0) return next();
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
    const candidate = bearer ?? c.req.header('x-api-key');
    if (!candidate || !keys.some((key) => sameKey(candidate, key))) {
      throw new ApiError('UNAUTHORIZED', 'a valid API key is required (Authorization: Bearer <key> or X-API-Key)');
    }
    return next();
  };
}
