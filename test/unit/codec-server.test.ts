import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { serve, type ServerType } from '@hono/node-server';
import { defaultPayloadConverter } from '@temporalio/common';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodecServer, type CodecServerSettings } from '../../src/codec-server/app';
import { loadCodecServerConfig } from '../../src/codec-server/config';
import { payloadFromJson, payloadToJson } from '../../src/codec-server/payloads-json';
import { PayloadEncryptionCodec, type PayloadEncryptionKey } from '../../src/temporal/payload-codec';

/**
 * The codec server over real HTTP, as the Web UI and the CLI call it: it opens what the worker sealed for an operator
 * and for nobody else, refuses altered payloads and unknown keys, answers CORS only for the Web UI's origin, and logs
 * nothing a payload holds.
 */

const key: PayloadEncryptionKey = { id: 'codec-test', key: randomBytes(32) };
const OPERATOR_TOKEN = randomBytes(32).toString('base64url');
const UI_ORIGIN = 'http://127.0.0.1:47433';
const customer = { email: 'siti.rahma@example.com', phone: '+6281234567890', first_name: 'Siti' };

const logLines: string[] = [];
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  }),
);

function codecConfig(overrides: Partial<CodecServerSettings> = {}): CodecServerSettings {
  return {
    NODE_ENV: 'test',
    CODEC_OPERATOR_TOKENS: [OPERATOR_TOKEN],
    CODEC_ALLOWED_ORIGINS: [UI_ORIGIN],
    CODEC_SESSION_HOURS: 8,
    CODEC_BODY_LIMIT_BYTES: 1024 * 1024,
    TEMPORAL_NAMESPACE: 'default',
    PAYLOAD_ENCRYPTION_KEYS: [key],
    ...overrides,
  };
}

async function listen(app: { fetch: (request: Request) => Response | Promise<Response> }) {
  const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let codecServer: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  codecServer = await listen(createCodecServer(codecConfig(), logger));
});
afterAll(async () => {
  await codecServer?.close();
});

/** What the worker writes into a history: the customer as a JSON payload, sealed with the deployment's key. */
const sealedByWorker = async (keys = [key]) =>
  (await new PayloadEncryptionCodec(keys).encode([defaultPayloadConverter.toPayload(customer)]))[0]!;

async function post(path: string, body: unknown, headers: Record<string, string> = {}, baseUrl = codecServer.url) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}
const asOperator = { authorization: `Bearer ${OPERATOR_TOKEN}` };
const openedCustomer = (payloads: unknown[]) => defaultPayloadConverter.fromPayload(payloadFromJson(payloads[0] as never));

describe('POST /encode and /decode', () => {
  it('round-trips: /encode seals (no plain text, our key id), /decode opens it back to the same payload', async () => {
    const plain = payloadToJson(defaultPayloadConverter.toPayload(customer));
    const encoded = await post('/encode', { payloads: [plain] }, asOperator);
    expect(encoded.status).toBe(200);
    expect(encoded.text).not.toContain(customer.email);
    const sealed = payloadFromJson(encoded.body.payloads[0]);
    expect(Buffer.from(sealed.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(sealed.metadata!['encryption-key-id']!).toString()).toBe(key.id);
    expect(Buffer.from(sealed.data!).includes(customer.email)).toBe(false);

    const decoded = await post('/decode', { payloads: encoded.body.payloads }, asOperator);
    expect(decoded.status).toBe(200);
    expect(decoded.body.payloads).toEqual([plain]);
  });

  it("opens what the worker's codec sealed, and passes an unencrypted payload (from before encryption, or sent without a key) through untouched", async () => {
    const plainFromBefore = payloadToJson(defaultPayloadConverter.toPayload({ order_id: 'ORDER-OLD' }));
    const decoded = await post('/decode', { payloads: [payloadToJson(await sealedByWorker()), plainFromBefore] }, asOperator);
    expect(decoded.status).toBe(200);
    expect(openedCustomer(decoded.body.payloads)).toEqual(customer);
    expect(decoded.body.payloads[1]).toEqual(plainFromBefore);
  });

  it('answers at any path depth and ignores the query, as Temporal UI calls it (…/decode?preserveStorageRefs=true)', async () => {
    const body = { payloads: [payloadToJson(await sealedByWorker())] };
    const decoded = await post('/codec/tiketq/decode?preserveStorageRefs=true', body, asOperator);
    expect(decoded.status).toBe(200);
    expect(openedCustomer(decoded.body.payloads)).toEqual(customer);
    expect((await post('/codec/tiketq/decode', body)).status).toBe(401);
  });

  it('refuses a payload under a key id it does not hold: 400 PAYLOAD_NOT_DECODABLE naming the id, nothing decoded', async () => {
    const otherKey = { id: 'retired-2025', key: randomBytes(32) };
    const decoded = await post(
      '/decode',
      { payloads: [payloadToJson(await sealedByWorker()), payloadToJson(await sealedByWorker([otherKey]))] },
      asOperator,
    );
    expect(decoded.status).toBe(400);
    expect(decoded.body.error.code).toBe('PAYLOAD_NOT_DECODABLE');
    expect(decoded.body.error.message).toContain('"retired-2025"');
    expect(decoded.body.payloads).toBeUndefined();
    expect(decoded.text).not.toContain(customer.email);
  });

  it('refuses an altered payload: 400 PAYLOAD_NOT_DECODABLE, nothing decoded', async () => {
    const sealed = await sealedByWorker();
    const data = Buffer.from(sealed.data!);
    data[20]! ^= 0x01;
    const decoded = await post('/decode', { payloads: [payloadToJson({ ...sealed, data })] }, asOperator);
    expect(decoded.status).toBe(400);
    expect(decoded.body.error.code).toBe('PAYLOAD_NOT_DECODABLE');
    expect(decoded.body.error.message).toMatch(/failed authentication/);
    expect(decoded.text).not.toContain(customer.email);
  });

  it.each([
    ['not JSON', '{"payloads": [', 'MALFORMED_JSON'],
    ['payloads that are not a list', { payloads: 'all of them' }, 'VALIDATION_FAILED'],
    ['data that is not base64', { payloads: [{ metadata: {}, data: 'not base64!' }] }, 'VALIDATION_FAILED'],
  ])('refuses a body that is %s with 400 %s', async (_what, body, code) => {
    const response = await post('/decode', body, asOperator);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(code);
  });

  it('refuses a body that is not application/json with 415 (a plain HTML form cannot post to it)', async () => {
    const response = await post('/decode', JSON.stringify({ payloads: [payloadToJson(await sealedByWorker())] }), {
      ...asOperator,
      'content-type': 'text/plain',
    });
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(response.text).not.toContain(customer.email);
  });

  it('refuses a body over CODEC_BODY_LIMIT_BYTES with 413, declared or streamed', async () => {
    // A server of its own: it answers before reading the body and drops the connection, which a shared pool would reuse.
    const limited = await listen(createCodecServer(codecConfig({ CODEC_BODY_LIMIT_BYTES: 64 * 1024 }), logger));
    try {
      const big = JSON.stringify({ payloads: [{ metadata: {}, data: 'A'.repeat(64 * 1024) }] });
      expect((await post('/decode', big, asOperator, limited.url)).status).toBe(413);
      const streamed = await fetch(`${limited.url}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...asOperator },
        body: new Blob([big]).stream(),
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status).toBe(413);
      expect(((await streamed.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    } finally {
      await limited.close();
    }
  });

  it('takes {} as no payloads: protobuf JSON leaves out an empty list, and the Temporal CLI sends it so', async () => {
    for (const path of ['/decode', '/encode']) {
      const response = await post(path, {}, asOperator);
      expect(response.status, response.text).toBe(200);
      expect(response.body).toEqual({ payloads: [] });
    }
  });

  it('refuses another namespace: 403 NAMESPACE_NOT_SERVED', async () => {
    const response = await post(
      '/decode',
      { payloads: [payloadToJson(await sealedByWorker())] },
      { ...asOperator, 'x-namespace': 'other' },
    );
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('NAMESPACE_NOT_SERVED');
  });
});

describe('operator access', () => {
  const sealedBody = async () => ({ payloads: [payloadToJson(await sealedByWorker())] });

  it.each([
    ['no credentials', {}],
    ['a wrong bearer token', { authorization: `Bearer ${randomBytes(32).toString('base64url')}` }],
    ['a forged session cookie', { cookie: 'tiketq-codec-session-local=4102444800000.Zm9yZ2Vk' }],
  ])('with %s: 401 UNAUTHORIZED in the error envelope, and nothing decoded', async (_what, headers) => {
    for (const path of ['/decode', '/encode']) {
      const response = await post(path, await sealedBody(), headers);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('/login') } });
      expect(response.text).not.toContain(customer.email);
    }
  });

  it('signs an operator in with the token (POST /login): an HttpOnly, SameSite=Strict session cookie that decodes', async () => {
    // As a browser posts the form: with its page's origin.
    const signIn = (token: string, baseUrl = codecServer.url) =>
      fetch(`${baseUrl}/login`, { method: 'POST', headers: { origin: baseUrl }, body: new URLSearchParams({ token }) });
    const refused = await signIn('not-the-token');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('set-cookie')).toBeNull();

    const signedIn = await signIn(OPERATOR_TOKEN);
    expect(signedIn.status).toBe(200);
    const setCookie = signedIn.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(OPERATOR_TOKEN);
    const cookie = setCookie.split(';')[0]!;

    const decoded = await post('/decode', await sealedBody(), { cookie, origin: UI_ORIGIN });
    expect(decoded.status).toBe(200);
    expect(openedCustomer(decoded.body.payloads)).toEqual(customer);

    // The token is revoked (a server without it in CODEC_OPERATOR_TOKENS): its session ends with it.
    const afterRevocation = await listen(
      createCodecServer(codecConfig({ CODEC_OPERATOR_TOKENS: [randomBytes(32).toString('base64url')] }), logger),
    );
    try {
      const refusedSession = await post('/decode', await sealedBody(), { cookie }, afterRevocation.url);
      expect(refusedSession.status).toBe(401);
    } finally {
      await afterRevocation.close();
    }
  });

  it('refuses a sign-in or sign-out form posted from another site: 403, no cookie set or deleted', async () => {
    // A page elsewhere would sign the browser in under the attacker's own token (decodes logged as theirs), or out.
    for (const path of ['/login', '/logout']) {
      const forged = await fetch(`${codecServer.url}${path}`, {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        body: new URLSearchParams({ token: OPERATOR_TOKEN }),
      });
      expect(forged.status, path).toBe(403);
      expect(forged.headers.get('set-cookie'), path).toBeNull();
    }
    // The codec server's own page still signs in.
    const own = await fetch(`${codecServer.url}/login`, {
      method: 'POST',
      headers: { origin: codecServer.url, 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ token: OPERATOR_TOKEN }),
    });
    expect(own.status).toBe(200);
  });

  it('in production the session cookie is Secure and __Host- (this host only, https only), and it decodes', async () => {
    const production = await listen(createCodecServer(codecConfig({ NODE_ENV: 'production' }), logger));
    try {
      const signedIn = await fetch(`${production.url}/login`, { method: 'POST', headers: { origin: production.url }, body: new URLSearchParams({ token: OPERATOR_TOKEN }) });
      const setCookie = signedIn.headers.get('set-cookie')!;
      expect(setCookie).toMatch(/^__Host-tiketq-codec-session=/);
      expect(setCookie).toMatch(/; Secure/);
      expect(setCookie).toMatch(/; Path=\//);
      const decoded = await post('/decode', await sealedBody(), { cookie: setCookie.split(';')[0]! }, production.url);
      expect(decoded.status).toBe(200);
    } finally {
      await production.close();
    }
  });

  it('logs who decoded how many payloads, never what they hold or the token', async () => {
    logLines.length = 0;
    await post('/decode', await sealedBody(), asOperator);
    const log = logLines.join('');
    expect(log).toContain('"direction":"decode"');
    expect(log).toContain('"payloads":1');
    for (const secret of [customer.email, customer.phone, customer.first_name, OPERATOR_TOKEN]) expect(log).not.toContain(secret);
  });
});

describe('CORS for the Web UI', () => {
  const preflight = (origin: string) =>
    fetch(`${codecServer.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });

  it("answers the UI origin's preflight with its origin, credentials allowed, and the protocol's headers", async () => {
    const response = await preflight(UI_ORIGIN);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
  });

  it('refuses another origin, preflight and request alike: 403 ORIGIN_NOT_ALLOWED, no CORS grant, nothing decoded', async () => {
    const response = await preflight('https://evil.example');
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();

    const request = await post('/decode', await (async () => ({ payloads: [payloadToJson(await sealedByWorker())] }))(), {
      ...asOperator,
      origin: 'https://evil.example',
    });
    expect(request.status).toBe(403);
    expect(request.body.error.code).toBe('ORIGIN_NOT_ALLOWED');
    expect(request.text).not.toContain(customer.email);
  });

  it("lets the UI read a refusal (its 401 carries the UI's CORS grant)", async () => {
    const response = await post('/decode', { payloads: [] }, { origin: UI_ORIGIN });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  });
});

describe('configuration', () => {
  const secret = () => randomBytes(32).toString('base64url');
  const productionEnv = (): NodeJS.ProcessEnv => ({
    NODE_ENV: 'production',
    CODEC_SERVER_HOST: '0.0.0.0',
    CODEC_OPERATOR_TOKENS: `${secret()},${secret()}`,
    CODEC_ALLOWED_ORIGINS: 'https://temporal-ui.tiketq.internal',
    PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  });
  const refusal = (env: NodeJS.ProcessEnv) => {
    try {
      loadCodecServerConfig(env);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('starts in production with keys, long tokens and https origins', () => {
    expect(refusal(productionEnv())).toBeUndefined();
  });

  it.each([
    ['no payload keys', { PAYLOAD_ENCRYPTION_KEYS: '' }, 'PAYLOAD_ENCRYPTION_KEYS:'],
    ['no operator tokens', { CODEC_OPERATOR_TOKENS: '' }, 'CODEC_OPERATOR_TOKENS:'],
    ['a short operator token', { CODEC_OPERATOR_TOKENS: 'short-token' }, 'CODEC_OPERATOR_TOKENS:'],
    ["the tests' operator token", { CODEC_OPERATOR_TOKENS: 'integration-test-operator-token' }, 'CODEC_OPERATOR_TOKENS:'],
    ['a plain-http UI origin', { CODEC_ALLOWED_ORIGINS: 'http://temporal-ui.tiketq.internal' }, 'CODEC_ALLOWED_ORIGINS:'],
  ])('refuses production with %s, naming the variable and no secret', (_what, spoil, variable) => {
    const env: NodeJS.ProcessEnv = { ...productionEnv(), ...spoil };
    const message = refusal(env);
    expect(message).toContain(variable);
    for (const token of (env.CODEC_OPERATOR_TOKENS ?? '').split(',').filter(Boolean)) expect(message).not.toContain(token);
  });

  it('runs open (no tokens) outside production only on loopback', () => {
    const keys = `k1:${randomBytes(32).toString('base64')}`;
    expect(refusal({ PAYLOAD_ENCRYPTION_KEYS: keys })).toBeUndefined();
    expect(refusal({ PAYLOAD_ENCRYPTION_KEYS: keys, CODEC_SERVER_HOST: '0.0.0.0' })).toContain('CODEC_OPERATOR_TOKENS:');
    expect(refusal({ PAYLOAD_ENCRYPTION_KEYS: keys, CODEC_ALLOWED_ORIGINS: 'http://127.0.0.1:8233/' })).toContain('CODEC_ALLOWED_ORIGINS:');
  });
});
