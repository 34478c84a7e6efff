import type { BlockList } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';

/** The TCP peer's address; undefined when the request did not come through @hono/node-server (app.request in tests). */
function peerAddress(c: Context): string | undefined {
  const bindings = c.env as { incoming?: unknown; server?: { incoming?: unknown } } | undefined;
  if (!bindings?.incoming && !bindings?.server?.incoming) return undefined;
  return getConnInfo(c).remote.address;
}

const isTrusted = (proxies: BlockList, address: string | undefined) =>
  address !== undefined && proxies.check(address, address.includes(':') ? 'ipv6' : 'ipv4');

/**
 * Rejects plain HTTP when enforced. X-Forwarded-Proto is anyone's to write, so it counts only when the TCP peer is one
 * of `trustedProxies`; then the last value is the one that proxy wrote itself (values before it came from its client).
 */
export function enforceHttps(enabled: boolean, trustedProxies: BlockList): MiddlewareHandler {
  return async (c, next) => {
    if (!enabled) return next();
    const forwarded = c.req.header('x-forwarded-proto');
    const scheme =
      forwarded !== undefined && isTrusted(trustedProxies, peerAddress(c))
        ? forwarded.split(',').at(-1)?.trim().toLowerCase()
        : new URL(c.req.url).protocol.replace(':', '');
    if (scheme !== 'https') throw new ApiError('HTTPS_REQUIRED', 'this API only accepts HTTPS requests');
    await next();
    c.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  };
}
