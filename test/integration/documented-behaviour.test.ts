import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDownstreamActivities, type DownstreamEvent } from '../../activities/downstream';
import { createApp } from '../../src/api/app';
import { paymentWorkflowId } from '../../src/api/payment-workflows';
import { midtransSignature } from '../../src/midtrans/signature';
import { createPaymentBody, SERVER_KEY } from '../support/fixtures';
import { DOWNSTREAM_SIGNING_SECRET, startService, type Service } from '../support/service-harness';

/**
 * Behaviour the README promises that no other test exercised, each over real HTTP against the shared Temporal dev
 * server, PostgreSQL and the Midtrans simulator. Expectations are the README's words, written out as data.
 */

let s: Service;
beforeAll(async () => {
  s = await startService();
});
afterAll(async () => {
  await s?.close();
});

const statusOf = (paymentId: string) => s.api('GET', `/payments/${paymentId}/status`).then((r) => r.body.status as string);
const simulatorAction = (paymentId: string, action: string) =>
  fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}/${action}`, { method: 'POST' });
const atMidtrans = async (paymentId: string) =>
  ((await (await fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}`)).json()) as { transaction: Record<string, any> }) // eslint-disable-line @typescript-eslint/no-explicit-any -- Midtrans's body, read loosely
    .transaction;

async function paidPayment(overrides: Record<string, unknown>) {
  const created = await s.api('POST', '/payments', createPaymentBody(overrides));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.payment_id as string;
  expect((await simulatorAction(id, 'pay')).ok).toBe(true);
  await s.eventually(
    () => statusOf(id),
    (status) => status === 'success',
  );
  return id;
}

describe('the real downstream activity against a real HTTP receiver (README "Downstream", step 5)', () => {
  // README: "Network errors, 5xx, 408 and 429 are retried for 7 days … Other 4xx are final and are recorded as a
  // failed delivery (downstream_deliveries …)".
  const RETRIED = [500, 502, 503, 504, 408, 429];
  const FINAL = [400, 401, 403, 404, 409, 410, 422];

  let receiver: Server;
  let receiverUrl: string;
  let answerWith = 200;
  let paymentId: string;
  beforeAll(async () => {
    receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(answerWith, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    // downstream_deliveries rows belong to a payment: a real one, created through the API.
    const created = await s.api('POST', '/payments', createPaymentBody());
    paymentId = created.body.payment_id;
  });
  afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  const activitiesAt = (url: string) =>
    createDownstreamActivities(s.db, { transactionServiceUrl: url, userServiceUrl: url, timeoutMs: 2_000, signingSecret: DOWNSTREAM_SIGNING_SECRET });
  const event = (eventKey: string): DownstreamEvent => ({ paymentId, orderId: 'ORDER-DOWNSTREAM', eventKey, status: 'success', amount: 250_000 });

  /** What Temporal does with what the activity threw, under the workflow's policy (DownstreamRejected is final). */
  function temporalRetries(error: unknown): boolean {
    if (error instanceof ApplicationFailure) return !error.nonRetryable && error.type !== 'DownstreamRejected';
    return true;
  }

  async function outcome(eventKey: string, url = receiverUrl) {
    const thrown = await new MockActivityEnvironment()
      .run(activitiesAt(url).notifyTransactionService, event(eventKey))
      .then(() => undefined)
      .catch((error: unknown) => error);
    const rows = await s.db.$queryRaw<{ status: string; http_status: number | null }[]>`
      select status, http_status from downstream_deliveries where idempotency_key = ${`${paymentId}:${eventKey}:transaction-service`}`;
    return { thrown, row: rows[0] };
  }

  it('a 2xx is delivered and recorded as delivered', async () => {
    answerWith = 200;
    const { thrown, row } = await outcome('ok');
    expect(thrown).toBeUndefined();
    expect(row).toEqual({ status: 'delivered', http_status: 200 });
  });

  it.each(RETRIED)('HTTP %i is retried (recorded as retrying)', async (status) => {
    answerWith = status;
    const { thrown, row } = await outcome(`retried-${status}`);
    expect(thrown).toBeInstanceOf(Error);
    expect(temporalRetries(thrown)).toBe(true);
    expect(row).toEqual({ status: 'retrying', http_status: status });
  });

  it.each(FINAL)('HTTP %i is final: DownstreamRejected, recorded as a failed delivery', async (status) => {
    answerWith = status;
    const { thrown, row } = await outcome(`final-${status}`);
    expect(thrown).toBeInstanceOf(ApplicationFailure);
    expect(thrown).toMatchObject({ type: 'DownstreamRejected', nonRetryable: true });
    expect(temporalRetries(thrown)).toBe(false);
    expect(row).toEqual({ status: 'failed', http_status: status });
  });

  it('a network error (nobody listening) is retried', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { thrown, row } = await outcome('network', deadUrl);
    expect(thrown).toBeInstanceOf(Error);
    expect(temporalRetries(thrown)).toBe(true);
    expect(row).toEqual({ status: 'retrying', http_status: null });
  });
});

describe('a notification for a closed payment (README "Webhook bridge")', () => {
  it('is answered 200 once stored, then recorded payment_closed, logged at warn and shown in the payment, over HTTP', async () => {
    // A canceled payment's workflow ends at once (it has no refund window): a genuinely closed payment.
    const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: 'qris', bank: undefined }));
    const id = created.body.payment_id as string;
    expect((await s.api('POST', `/payments/${id}/cancel`, { reason: 'customer left' })).status).toBe(200);
    const handle = s.client.workflow.getHandle(paymentWorkflowId(id));
    await s.eventually(
      async () => (await handle.describe()).status.name,
      (status) => status !== 'RUNNING',
    );

    // An API of its own, over a real socket, whose log lines this test can read.
    const logged: { level: number; msg: string; transactionStatus?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    // Its own forwarder too (the service's logs to its own logger).
    const app = createApp({ ...s.dependencies, forwarder: undefined, logger });
    const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    try {
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // Money reported after we closed: Midtrans's settlement, signed with the server key.
      const notification = {
        order_id: id,
        status_code: '200',
        gross_amount: '250000.00',
        transaction_status: 'settlement',
        fraud_status: 'accept',
        transaction_id: 'tx-after-close',
        signature_key: midtransSignature(id, '200', '250000.00', SERVER_KEY),
      };
      const response = await fetch(`${url}/payments/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(notification),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'accepted' });
      // The forwarder finds no workflow to signal.
      const settlementsStored = async () =>
        ((await s.api('GET', `/payments/${id}`)).body.notifications as { transaction_status: string; outcome: string }[]).filter(
          (n) => n.transaction_status === 'settlement',
        );
      await s.eventually(settlementsStored, (stored) => stored[0]?.outcome === 'payment_closed');
      expect(await settlementsStored()).toMatchObject([{ outcome: 'payment_closed' }]);
      expect(logged.filter((line) => line.level === 40 && line.transactionStatus === 'settlement')).toHaveLength(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect((await s.api('GET', `/payments/${id}`)).body.status).toBe('canceled');
  });
});

describe('default expiries per method (README "The payment workflow", step 3)', () => {
  // "Default expiries: 24 h for VA, bill and stores; 15 min for QRIS, GoPay, ShopeePay and DANA; 10 min for cards;
  // OVO is fixed by Midtrans."
  const DAY = 24 * 60;
  const README_DEFAULT_EXPIRY_MINUTES: [string, Record<string, unknown>, number][] = [
    ['VA (BNI)', { payment_method: 'bank_transfer', bank: 'bni' }, DAY],
    ['VA (Permata)', { payment_method: 'bank_transfer', bank: 'permata' }, DAY],
    ['bill (Mandiri)', { payment_method: 'bank_transfer', bank: 'mandiri' }, DAY],
    ['store (Indomaret)', { payment_method: 'indomaret', bank: undefined }, DAY],
    ['store (Alfamart)', { payment_method: 'alfamart', bank: undefined }, DAY],
    ['QRIS', { payment_method: 'qris', bank: undefined }, 15],
    ['GoPay', { payment_method: 'gopay', bank: undefined }, 15],
    ['ShopeePay', { payment_method: 'shopeepay', bank: undefined }, 15],
    ['DANA', { payment_method: 'dana', bank: undefined }, 15],
    ['card (3DS)', { payment_method: 'credit_card', bank: undefined, card_token: '4811111111111114' }, 10],
  ];
  const minutesBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 60_000;
  /** Midtrans writes times as "yyyy-MM-dd HH:mm:ss" in GMT+7. */
  const midtransTime = (text: string) => `${text.replace(' ', 'T')}+07:00`;

  it.each(README_DEFAULT_EXPIRY_MINUTES)('%s: %s → %i minutes, here and at Midtrans', async (_label, method, minutes) => {
    const created = await s.api('POST', '/payments', createPaymentBody(method));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    // Our own clock starts a moment after the row's created_at.
    expect(minutesBetween(created.body.created_at, created.body.expires_at)).toBeGreaterThanOrEqual(minutes);
    expect(minutesBetween(created.body.created_at, created.body.expires_at)).toBeLessThan(minutes + 1);
    if (method.payment_method === 'dana') return; // a Snap order exists at Midtrans only once the customer picks DANA
    const tx = await atMidtrans(created.body.payment_id);
    const atGateway = minutesBetween(midtransTime(tx.transaction_time), midtransTime(tx.expiry_time));
    expect(Math.abs(atGateway - minutes) * 60).toBeLessThanOrEqual(2);
  });

  it('OVO: Midtrans fixes the expiry; ours waits past it', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: 'ovo', bank: undefined }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const tx = await atMidtrans(created.body.payment_id);
    const atGateway = minutesBetween(midtransTime(tx.transaction_time), midtransTime(tx.expiry_time));
    // docs/midtrans.md §2: OVO has a fixed 65-second expiry.
    expect(atGateway * 60).toBeCloseTo(65, 0);
    expect(minutesBetween(created.body.created_at, created.body.expires_at)).toBeGreaterThan(atGateway);
  });
});

describe('concurrent refunds are serialized (README step 6), over HTTP', () => {
  it('ten refunds at once on one payment never refund more than was paid; Midtrans agrees refund by refund', async () => {
    const paid = 400_000;
    const each = 60_000;
    const id = await paidPayment({ payment_method: 'gopay', bank: undefined, amount: paid });

    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => s.api('POST', `/payments/${id}/refund`, { amount: each, reason: `seat ${i + 1}` })),
    );
    const accepted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    // Serialized, each refund sees the ones before it: six fit into 400,000, the seventh finds 40,000 left.
    expect(accepted).toHaveLength(Math.floor(paid / each));
    expect(refused.map((a) => [a.status, a.body.error?.code])).toEqual(
      Array.from({ length: 10 - accepted.length }, () => [422, 'REFUND_EXCEEDS_REMAINING']),
    );

    const detail = await s.api('GET', `/payments/${id}`);
    expect(detail.body).toMatchObject({ status: 'partially_refunded', refunded_amount: accepted.length * each });
    const ours = detail.body.refunds as { refund_key: string; amount: number }[];
    expect(ours).toHaveLength(accepted.length);
    expect(new Set(ours.map((r) => r.refund_key)).size).toBe(ours.length);

    const tx = await atMidtrans(id);
    const theirs = tx.refunds as { refund_key: string; refund_amount: string }[];
    expect(tx.refund_amount).toBe(`${accepted.length * each}.00`);
    expect(theirs.map((r) => [r.refund_key, r.refund_amount]).sort()).toEqual(ours.map((r) => [r.refund_key, `${r.amount}.00`]).sort());
  });
});
