import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentBody, sleep } from '../support/fixtures';
import { startService, type Service } from '../support/service-harness';

/**
 * Issue 11, attacks 1, 2 and 6 over HTTP. Midtrans signs only order_id + status_code + gross_amount, so anyone who
 * saw one genuine notification can re-send it with any other field edited, and the signature still holds.
 */
let s: Service;
/** A rotated server key, as far as status look-ups are concerned: every GET /v2/{id}/status answers 401. */
let statusLookupsRefused = false;

const refusingStatus: typeof fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (statusLookupsRefused && (init?.method ?? 'GET') === 'GET' && url.pathname.endsWith('/status')) {
    return Response.json({ status_code: '401', status_message: 'Unknown Merchant server_key/id' }, { status: 401 });
  }
  return fetch(input, init);
};

beforeAll(async () => {
  s = await startService({ midtransFetch: refusingStatus });
});
afterAll(async () => {
  await s?.close();
});

type Body = Record<string, unknown>;
interface SimulatorRecord {
  transaction: Body;
  notifications: Array<{ body: Body }>;
}

const simulatorRecord = async (paymentId: string) =>
  (await (await fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}`)).json()) as SimulatorRecord;
const simulatorAction = (paymentId: string, action: string) =>
  fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}/${action}`, { method: 'POST' });
const postNotification = (body: Body) => s.api('POST', '/payments/webhook', body, { authorization: '' });
const downstreamFor = (paymentId: string) => s.receiver.calls.filter((c) => (c.body as { payment_id?: string }).payment_id === paymentId);
const detailOf = (paymentId: string) => s.api('GET', `/payments/${paymentId}`).then((r) => r.body as Body & { status: string; audit_trail: Body[] });
const statusIs = (paymentId: string, status: string) =>
  s.eventually(
    () => detailOf(paymentId),
    (d) => d.status === status,
  );

/** The latest notification Midtrans sent for the payment (signed, as the simulator sent it). */
async function lastNotification(paymentId: string): Promise<Body> {
  const record = await s.eventually(
    () => simulatorRecord(paymentId),
    (r) => r.notifications.length > 0,
  );
  return record.notifications.at(-1)!.body;
}

async function createPayment(overrides: Record<string, unknown> = {}) {
  const created = await s.api('POST', '/payments/', createPaymentBody(overrides));
  expect(created.status).toBe(201);
  return created.body.payment_id as string;
}

describe('attack 1: a genuine notification with edited unsigned fields', () => {
  it.each([
    ['settlement', { transaction_status: 'settlement' }],
    ['refund', { transaction_status: 'refund', refund_amount: '250000.00' }],
    ['cancel', { transaction_status: 'cancel' }],
    ['expire', { transaction_status: 'expire' }],
  ])('a pending notification (201) edited to %s with an unknown transaction_id is not applied and tells no one', async (_name, edit) => {
    const id = await createPayment();
    const pending = await lastNotification(id);
    expect(pending).toMatchObject({ status_code: '201', transaction_status: 'pending' });

    const forged = await postNotification({ ...pending, ...edit, transaction_id: '00000000-forged-0000-0000-000000000000' });
    expect(forged.status).toBeLessThan(500);
    // Give the workflow time to act on it, then let the customer really pay: the genuine settlement must still win.
    await sleep(2_000);
    expect((await detailOf(id)).status).toBe('pending');
    expect(downstreamFor(id)).toEqual([]);

    expect((await simulatorAction(id, 'pay')).ok).toBe(true);
    const paid = await statusIs(id, 'success');
    const transitions = paid.audit_trail.filter((e) => e.kind === 'transition').map((e) => `${e.from_status}>${e.to_status}`);
    expect(transitions).toEqual(['pending>success']);
    const calls = await s.eventually(
      async () => downstreamFor(id),
      (found) => found.length >= 2,
    );
    expect(calls.map((c) => (c.body as { status: string }).status)).toEqual(['success', 'success']);
  });
});

describe('attack 2: a re-sent settlement carrying another payment’s transaction_id', () => {
  it('leaves A’s transaction unchanged; a refund of A refunds A at Midtrans and leaves B untouched', async () => {
    const a = await createPayment({ payment_method: 'gopay', bank: undefined });
    const b = await createPayment({ payment_method: 'gopay', bank: undefined });
    for (const id of [a, b]) {
      expect((await simulatorAction(id, 'pay')).ok).toBe(true);
      await statusIs(id, 'success');
    }
    const settlementA = await lastNotification(a);
    const transactionB = (await simulatorRecord(b)).transaction.transaction_id as string;
    expect(settlementA.transaction_id).not.toBe(transactionB);

    const resent = await postNotification({ ...settlementA, transaction_id: transactionB });
    expect(resent.status).toBeLessThan(500);
    await sleep(2_000);
    expect((await detailOf(a)).transaction_id).toBe(settlementA.transaction_id);

    const refund = await s.api('POST', `/payments/${a}/refund`, { reason: 'trip cancelled' }, { 'idempotency-key': `refund-${a}` });
    expect(refund.status).toBe(200);
    expect(refund.body.status).toBe('refunded');
    expect((await simulatorRecord(a)).transaction.transaction_status).toBe('refund');
    const atB = await simulatorRecord(b);
    expect(atB.transaction.transaction_status).toBe('settlement');
    expect(atB.transaction.refunds ?? []).toEqual([]);
  });
});

describe('attack 6: status look-ups that keep failing', () => {
  it('a 401 on every status look-up ends in needs_operator_review within seconds, and a cancel still answers', async () => {
    const id = await createPayment();
    const pending = await lastNotification(id);
    statusLookupsRefused = true;
    try {
      const started = Date.now();
      await postNotification({ ...pending, transaction_status: 'settlement' });
      const reviewed = await s.eventually(
        () => detailOf(id),
        (d) => d.audit_trail.some((e) => e.kind === 'needs_operator_review'),
        15_000,
      );
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(reviewed.status).toBe('pending');
      expect(reviewed.audit_trail.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({ reason: 'status_lookup_failed' });

      const cancel = await s.api('POST', `/payments/${id}/cancel`, { reason: 'customer left' }, { 'idempotency-key': `cancel-${id}` });
      expect(cancel.status).toBe(200);
      expect(cancel.body.status).toBe('canceled');
    } finally {
      statusLookupsRefused = false;
    }
  });
});
