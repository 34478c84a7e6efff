import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { apiOperatorAccess } from '../../src/api/app';
import { ApiError, errorResponse } from '../../src/api/errors';
import { requireOperator, type Operator, type OperatorEnv } from '../../src/api/middleware/operator-access';
import { apiConfig } from '../support/fixtures';

/**
 * Operator identity as the API and its console see it: a token by name (Bearer), or the session cookie signing in
 * sets. The codec server's use of the same module is covered by codec-server.test.ts.
 */
const ANA: Operator = { name: 'ana', token: 'ana-token-0123456789abcdef0123456789' };
const BUDI: Operator = { name: 'budi', token: 'budi-token-0123456789abcdef012345678' };

function operatorsApp(operators: Operator[], nodeEnv?: 'development' | 'test' | 'production') {
  const access = apiOperatorAccess(apiConfig({ OPERATOR_TOKENS: operators, ...(nodeEnv && { NODE_ENV: nodeEnv }) }));
  const app = new Hono<OperatorEnv>();
  app.post('/sign-in', async (c) => {
    const { token } = await c.req.json<{ token: string }>();
    if (!access.operatorHolding(token)) return c.json({ refused: true }, 401);
    await access.signIn(c, token);
    return c.json({ ok: true });
  });
  app.use('/who', requireOperator(access, 'sign in'));
  app.get('/who', (c) => c.json({ operator: c.get('operator') }));
  app.onError((error, c) => (error instanceof ApiError ? errorResponse(c, error) : c.text('boom', 500)));
  return app;
}

const who = async (app: Hono<OperatorEnv>, headers: Record<string, string> = {}) => {
  const response = await app.request('/who', { headers });
  return { status: response.status, body: (await response.json()) as { operator?: string; error?: { code: string } } };
};

describe('operator access on the API', () => {
  it('a Bearer token is its operator, by name; an unknown token is nobody (401 UNAUTHORIZED)', async () => {
    const app = operatorsApp([ANA, BUDI], 'test');
    expect(await who(app, { authorization: `Bearer ${BUDI.token}` })).toEqual({ status: 200, body: { operator: 'budi' } });
    expect(await who(app, { authorization: 'Bearer someone-else' })).toMatchObject({
      status: 401,
      body: { error: { code: 'UNAUTHORIZED' } },
    });
    expect((await who(app)).status).toBe(401);
  });

  it('signing in sets an HttpOnly, SameSite=Strict session cookie that names the operator; a forged one names nobody', async () => {
    const app = operatorsApp([ANA, BUDI], 'test');
    const signIn = await app.request('/sign-in', { method: 'POST', body: JSON.stringify({ token: ANA.token }) });
    const setCookie = signIn.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^tiketq-operator-session-local=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    expect(await who(app, { cookie })).toEqual({ status: 200, body: { operator: 'ana' } });
    const [name, value] = cookie.split('=');
    expect((await who(app, { cookie: `${name}=${value!.replace(/^\d/, (d) => String((Number(d) + 1) % 10))}` })).status).toBe(401);
    // Revoking ana's token (a server without it) ends her session at once; budi's token never signed it.
    expect((await who(operatorsApp([BUDI], 'test'), { cookie })).status).toBe(401);
  });

  it('in production the cookie is __Host- and Secure', async () => {
    const signIn = await operatorsApp([ANA], 'production').request('/sign-in', {
      method: 'POST',
      body: JSON.stringify({ token: ANA.token }),
    });
    expect(signIn.headers.get('set-cookie')).toMatch(/^__Host-tiketq-operator-session=.*Secure/);
  });

  it('without tokens: everyone is the anonymous operator in local development, nobody in production or without NODE_ENV', async () => {
    expect(await who(operatorsApp([], 'development'))).toEqual({ status: 200, body: { operator: 'anonymous' } });
    expect((await who(operatorsApp([], 'production'))).status).toBe(401);
    expect((await who(operatorsApp([]))).status).toBe(401);
  });
});
