import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentBody } from '../support/fixtures';
import { startService, type Service } from '../support/service-harness';

/**
 * A cancel sent while the charge is still being placed (POST /payments answered 202, the charge retries in its
 * activity) reached Midtrans before the order did: its cancel answered 404, the payment was canceled here, and the
 * charge then placed a payable order for it. The workflow now refuses such a cancel until the charge has answered.
 */

let s: Service;
/** While set, every charge fails as a network error would, before reaching the simulator. */
let chargesFail = false;
/** While set, every charge waits (as a slow gateway would) until `releaseCharges`, or until its caller gives up. */
let chargesHang = false;
const heldCharges: (() => void)[] = [];
const releaseCharges = () => {
  chargesHang = false;
  for (const release of heldCharges.splice(0)) release();
};
const failingCharges: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (chargesFail && url.pathname.endsWith('/charge')) return Promise.reject(new TypeError('fetch failed'));
  if (chargesHang && url.pathname.endsWith('/charge')) {
    return new Promise((resolve, reject) => {
      heldCharges.push(() => resolve(fetch(input, init)));
      init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error));
    });
  }
  return fetch(input, init);
};

beforeAll(async () => {
  s = await startService({ createWaitMs: 500, updateWaitMs: 3_000, midtransFetch: failingCharges });
});
afterAll(async () => {
  chargesFail = false;
  releaseCharges();
  await s?.close();
});

async function atMidtrans(paymentId: string): Promise<{ transaction: { transaction_status: string } } | null> {
  const response = await fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}`);
  return response.status === 200 ? ((await response.json()) as { transaction: { transaction_status: string } }) : null;
}

/** Once the charge has answered, the cancel's retry with its key cancels, here and at Midtrans, as a new answer. */
async function cancelsOnceCharged(id: string, cancel: () => ReturnType<Service['api']>) {
  await s.eventually(
    () => s.api('GET', `/payments/${id}`),
    (payment) => payment.body.payment_instructions !== null,
  );
  const retried = await cancel();
  expect(retried.status).toBe(200);
  expect(retried.body).toMatchObject({ payment_id: id, status: 'canceled' });
  expect(retried.headers.get('idempotent-replayed')).toBeNull();
  expect((await atMidtrans(id))?.transaction.transaction_status).toBe('cancel');
}

describe('a cancel while the charge is being placed', () => {
  it('is refused 409 CHARGE_IN_PROGRESS with Retry-After, not kept for its key; retried once charged, it cancels at Midtrans', async () => {
    chargesFail = true;
    let id: string;
    const key = `cancel-${randomUUID()}`;
    const cancel = () => s.api('POST', `/payments/${id}/cancel`, { reason: 'changed plans' }, { 'idempotency-key': key });
    try {
      const created = await s.api('POST', '/payments', createPaymentBody());
      expect(created.status).toBe(202);
      id = created.body.payment_id;
      await s.eventually(
        () => s.api('GET', `/payments/${id}`),
        (payment) => payment.status === 200,
      );

      const refused = await cancel();
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('CHARGE_IN_PROGRESS');
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await atMidtrans(id)).toBeNull();
    } finally {
      chargesFail = false;
    }

    await cancelsOnceCharged(id!, cancel);
  });
});

describe('a cancel or refund while the charge is still waiting for the gateway, before the payment has a row', () => {
  it('is the workflow\'s to answer (a retry is asked for), not 404; once charged, the cancel goes through', async () => {
    chargesHang = true;
    let id: string;
    const key = `cancel-${randomUUID()}`;
    const cancel = () => s.api('POST', `/payments/${id}/cancel`, { reason: 'changed plans' }, { 'idempotency-key': key });
    try {
      const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: 'gopay' }));
      expect(created.status).toBe(202);
      id = created.body.payment_id;
      expect(await s.db.payment.findUnique({ where: { id } })).toBeNull();

      // The workflow's task is held by the charge waiting in the worker, so the workflow answers once the charge does;
      // the API answers within its wait, with a retry: refused while the charge is placed, or still pending.
      const refused = await cancel();
      expect(['409 CHARGE_IN_PROGRESS', '504 UPDATE_PENDING']).toContain(`${refused.status} ${refused.body.error?.code}`);
      expect(refused.headers.get('retry-after')).toBe('5');
      // Not paid, so not refundable: the workflow's answer, or still pending, not a 404.
      const refund = await s.api('POST', `/payments/${id}/refund`, { amount: 1_000, reason: 'too early' });
      expect(['409 INVALID_STATE', '504 UPDATE_PENDING']).toContain(`${refund.status} ${refund.body.error?.code}`);
      expect(await atMidtrans(id)).toBeNull();
    } finally {
      releaseCharges();
    }

    await cancelsOnceCharged(id!, cancel);
  });

  it('a payment nobody created is still 404 PAYMENT_NOT_FOUND', async () => {
    const unknown = `pay-${randomUUID().replaceAll('-', '')}`;
    for (const path of [`/payments/${unknown}/cancel`, `/payments/${unknown}/refund`]) {
      const answer = await s.api('POST', path, { reason: 'nobody made it' });
      expect(`${answer.status} ${answer.body.error?.code}`).toBe('404 PAYMENT_NOT_FOUND');
    }
  });
});
