import type { MiddlewareHandler } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { ApiError } from '../errors';

/**
 * Hono's csrf check (Fetch Metadata, then Origin): a form posted from a page of another origin is refused with 403
 * ORIGIN_NOT_ALLOWED, `refusal` its message. Requests a form cannot make are left to the route: a browser preflights
 * them, and nothing here grants that.
 */
export function ownOriginForms(refusal: string): MiddlewareHandler {
  const check = csrf({
    // The Host the browser asked for, not the URL the server sees: behind a TLS proxy that one is http://.
    origin: (origin, c) => URL.canParse(origin) && new URL(origin).host === c.req.header('host'),
  });
  return async (c, next) => {
    try {
      await check(c, next);
    } catch (error) {
      if (error instanceof HTTPException && error.status === 403) throw new ApiError('ORIGIN_NOT_ALLOWED', refusal);
      throw error;
    }
  };
}
