import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app';
import { createApiMetrics } from '../../src/api/metrics';
import type { PaymentWorkflows } from '../../src/api/payment-workflows';
import { loadConfig } from '../../src/config';
import type { Database } from '../../src/db/client';
import { createLogger } from '../../src/logger';

/**
 * Attack: with ENFORCE_HTTPS=true, anyone who reaches the API's port over plain HTTP says "X-Forwarded-Proto: https"
 * and is served as if TLS protected the request (API keys and payment data in clear text on the wire). The header
 * counts only when the TCP peer is a proxy listed in TRUSTED_PROXIES. Over real HTTP, because the peer address
 * exists only on a real socket.
 */

let server: ServerType | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** The API on a random port of `hostname`, configured through the environment as in production. */
async function startApi(env: NodeJS.ProcessEnv, hostname = '127.0.0.1'): Promise<string> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'postgresql://unused@127.0.0.1/unused',
    MIDTRANS_SERVER_KEY: `SB-Mid-server-${randomBytes(12).toString('hex')}`,
    ENFORCE_HTTPS: 'true',
    ...env,
  });
  const app = createApp({
    config,
    db: {} as Database,
    workflows: {} as PaymentWorkflows,
    logger: createLogger('silent', 'api'),
    metrics: createApiMetrics(),
    checkTemporal: async () => {},
  });
  return new Promise((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
  });
}

const claimingHttps = (base: string, proto = 'https') => fetch(`${base}/health`, { headers: { 'x-forwarded-proto': proto } });

async function expectHttpsRequired(response: Response) {
  expect(response.status).toBe(403);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('HTTPS_REQUIRED');
  expect(response.headers.get('strict-transport-security')).toBeNull();
}

describe('attack 8: X-Forwarded-Proto from an untrusted peer', () => {
  it('with no TRUSTED_PROXIES, plain HTTP claiming X-Forwarded-Proto: https from 127.0.0.1 is refused with 403 HTTPS_REQUIRED', async () => {
    const base = await startApi({});
    await expectHttpsRequired(await claimingHttps(base));
  });

  it('a peer outside TRUSTED_PROXIES is refused although other proxies are trusted', async () => {
    const base = await startApi({ TRUSTED_PROXIES: '10.0.0.0/8,::2' });
    await expectHttpsRequired(await claimingHttps(base));
  });

  it('with TRUSTED_PROXIES=127.0.0.1, the proxy says https and is served with HSTS', async () => {
    const base = await startApi({ TRUSTED_PROXIES: '127.0.0.1' });
    const response = await claimingHttps(base);
    expect(response.status).toBe(200);
    expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    // The trusted proxy saying http is believed too.
    await expectHttpsRequired(await claimingHttps(base, 'http'));
    // No header from a trusted proxy: the connection itself is plain HTTP.
    await expectHttpsRequired(await fetch(`${base}/health`));
  });

  it('a trusted IPv4 proxy is recognised on a dual-stack listener (peer ::ffff:127.0.0.1)', async () => {
    const base = await startApi({ TRUSTED_PROXIES: '127.0.0.0/8' }, '::');
    expect((await claimingHttps(base)).status).toBe(200);
  });
});
