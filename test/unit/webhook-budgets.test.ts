import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app';
import { createApiMetrics } from '../../src/api/metrics';
import type { PaymentWorkflows } from '../../src/api/payment-workflows';
import { loadConfig } from '../../src/config';
import type { Database } from '../../src/db/client';
import { midtransSignature } from '../../src/midtrans/signature';
import { sleep } from '../support/fixtures';

/**
 * The webhook's two budgets with a database that never answers: refused (unsigned) requests and verified
 * notifications are counted apart, so a flood of the first can neither shed the second nor pile up on PostgreSQL.
 */
const SERVER_KEY = 'SB-Mid-server-unit';

function appWith(db: unknown, logged: { level: number; msg: string; suppressed?: number }[] = []) {
  const metrics = createApiMetrics();
  const app = createApp({
    // Small budgets, read from the environment as in production.
    config: loadConfig({
      DATABASE_URL: 'postgresql://unused@127.0.0.1:1/unused',
      MIDTRANS_SERVER_KEY: SERVER_KEY,
      WEBHOOK_MAX_IN_FLIGHT: '2',
      WEBHOOK_MAX_UNVERIFIED_IN_FLIGHT: '3',
    }),
    db: db as Database,
    workflows: {} as PaymentWorkflows,
    logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
    metrics,
    checkTemporal: async () => {},
  });
  return { app, metrics };
}

const orderId = (n: number) => `pay-0123456789abcdef0123456789ab${String(n).padStart(4, '0')}`;
const post = (app: ReturnType<typeof appWith>['app'], body: Record<string, unknown>) =>
  app.request('/payments/webhook', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const settlement = (n: number) => ({
  order_id: orderId(n),
  status_code: '200',
  gross_amount: '250000.00',
  transaction_status: 'settlement',
});
const signed = (n: number) => ({ ...settlement(n), signature_key: midtransSignature(orderId(n), '200', '250000.00', SERVER_KEY) });
const forged = (n: number) => ({ ...settlement(n), signature_key: 'f'.repeat(128) });

/** A database whose every statement hangs until released; counts statements by kind. */
function stalledDatabase() {
  let release!: () => void;
  const stalled = new Promise<never>((_, reject) => {
    release = () => reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
  });
  stalled.catch(() => {});
  const calls = { records: 0, claims: 0 };
  const db = {
    $executeRaw: () => (calls.records++, stalled),
    $queryRaw: () => (calls.claims++, stalled),
  };
  return { db, calls, release };
}
const tick = () => sleep(20);

describe('webhook budgets', () => {
  it('refusals past WEBHOOK_MAX_UNVERIFIED_IN_FLIGHT are answered 401 at once, unrecorded; verified notifications still get through', async () => {
    const { db, calls, release } = stalledDatabase();
    const { app, metrics } = appWith(db);
    const held = [1, 2, 3].map((n) => post(app, forged(n)));
    await tick();
    expect(calls.records).toBe(3);

    const past = await post(app, forged(4));
    expect(past.status).toBe(401);
    expect(calls.records).toBe(3);
    expect(await metrics.render({})).toMatch(/^midtrans_webhook_refusals_unrecorded_total 1$/m);

    // The verified budget (2) is untouched by the three stalled refusals: two genuine notifications reach the database.
    const genuine = [5, 6].map((n) => post(app, signed(n)));
    await tick();
    expect(calls.claims).toBe(2);
    // A third is shed by the verified budget, not by the unsigned traffic.
    expect((await post(app, signed(7))).status).toBe(503);

    release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([401, 401, 401]);
    expect((await Promise.all(genuine)).map((r) => r.status)).toEqual([503, 503]);
    expect(await metrics.render({})).toMatch(/^midtrans_webhooks_total\{outcome="invalid_signature"\} 4$/m);
    // The three whose insert failed are unrecorded too.
    expect(await metrics.render({})).toMatch(/^midtrans_webhook_refusals_unrecorded_total 4$/m);
  });

  it('refusals are logged at most once per 10 s, with the number suppressed', async () => {
    const logged: { level: number; msg: string; suppressed?: number; reason?: string }[] = [];
    const { app } = appWith({ $executeRaw: async () => 1 }, logged);
    for (let n = 0; n < 50; n += 1) expect((await post(app, forged(n))).status).toBe(401);
    const refusals = logged.filter((l) => l.msg === 'notification refused');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ level: 40, reason: 'invalid_signature', suppressed: 0 });
  });
});
