import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import type { ApiEnv } from './request-context';

/** The caller when no API keys are configured (local development): everyone is one caller. */
export const ANONYMOUS_CALLER = 'anonymous';

/** Who holds an API key, without storing the key: its SHA-256 (keys are long random secrets, so no salt is needed). */
export const callerFingerprint = (key: string) => createHash('sha256').update(key).digest('hex');

export function sameKey(candidate: string, key: string): boolean {
  const a = Buffer.from(candidate);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * API key on the management API: `Authorization: Bearer <key>` or `X-API-Key: <key>`. Several keys may be valid at
 * once so they can be rotated. With no keys configured (local development only) every request passes. The key's
 * fingerprint goes on the context as the caller.
 */
export function requireApiKey(keys: readonly string[]): MiddlewareHandler<ApiEnv> {
  const callers = keys.map((key) => ({ key, fingerprint: callerFingerprint(key) }));
  return async (c, next) => {
    if (callers.length === 0) {
      c.set('caller', ANONYMOUS_CALLER);
      return next();
    }
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
    const candidate = bearer ?? c.req.header('x-api-key');
    const caller = candidate === undefined ? undefined : callers.find(({ key }) => sameKey(candidate, key));
    if (!caller) {
      throw new ApiError('UNAUTHORIZED', 'a valid API key is required (Authorization: Bearer <key> or X-API-Key)');
    }
    c.set('caller', caller.fingerprint);
    return next();
  };
}
