import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../simulator/app';
import { call, charge, chargeRequest, eventually, newSimulator, type Loose } from './helpers';

let sim: Simulator;
afterEach(() => sim?.close());

/** A settled transaction of `paymentType` (a card test charge captures, and one pay settles it); returns its order_id. */
async function settled(paymentType: string, extra: Record<string, unknown> = {}): Promise<string> {
  const { body } = await charge(sim, chargeRequest(paymentType, extra));
  await call(sim, 'POST', `/_simulator/transactions/${body.order_id}/pay`);
  expect(sim.store.find(body.order_id)?.transaction.status).toBe('settlement');
  return body.order_id;
}

describe('POST /v2/{id}/refund', () => {
  it.each(['credit_card', 'gopay', 'qris', 'shopeepay', 'ovo'])('refunds a settled %s in full', async (paymentType) => {
    sim = newSimulator();
    const orderId = await settled(paymentType);
    const { status, body } = await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: `${paymentType}-r1`, reason: 'event cancelled' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status_code: '200',
      status_message: 'Success, refund request is approved',
      transaction_status: 'refund',
      refund_amount: '44000.00',
      refund_key: `${paymentType}-r1`,
      refund_chargeback_id: expect.any(Number),
      gross_amount: '44000.00',
    });
  });

  it('a partial refund makes partial_refund with the cumulative refund_amount, listed in refunds[]', async () => {
    sim = newSimulator();
    const orderId = await settled('gopay');
    const first = await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'p1', amount: 10000 });
    expect(first.body).toMatchObject({ transaction_status: 'partial_refund', refund_amount: '10000.00' });
    const second = await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'p2', amount: 4000 });
    expect(second.body).toMatchObject({ transaction_status: 'partial_refund', refund_amount: '14000.00' });

    const status = (await call(sim, 'GET', `/v2/${orderId}/status`)).body;
    expect(status).toMatchObject({ transaction_status: 'partial_refund', refund_amount: '14000.00' });
    expect(status.refunds).toEqual([
      expect.objectContaining({ refund_key: 'p1', refund_amount: '10000.00' }),
      expect.objectContaining({ refund_key: 'p2', refund_amount: '4000.00' }),
    ]);

    const rest = await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'p3' });
    expect(rest.body).toMatchObject({ transaction_status: 'refund', refund_amount: '44000.00' });
  });

  it('is idempotent by refund_key: a retry answers the same result and refunds once', async () => {
    sim = newSimulator();
    const orderId = await settled('qris');
    const first = await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'same', amount: 5000 });
    const retry = await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'same', amount: 5000 });
    expect(retry.body).toEqual(first.body);
    const tx = sim.store.find(orderId)!.transaction;
    expect(tx.refunds).toHaveLength(1);
    expect((await call(sim, 'GET', `/v2/${orderId}/status`)).body.refund_amount).toBe('5000.00');
  });

  it('answers 406 when a refund_key is reused with a different amount', async () => {
    sim = newSimulator();
    const orderId = await settled('qris');
    await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'k', amount: 5000 });
    const { status, body } = await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'k', amount: 6000 });
    expect(status).toBe(200);
    expect(body.status_code).toBe('406');
  });

  it.each([
    ['bank_transfer', {}],
    ['echannel', {}],
    ['cstore', {}],
  ])('answers 414 for %s: no API refund for VA, Mandiri bill and convenience stores', async (paymentType, extra) => {
    sim = newSimulator();
    const orderId = await settled(paymentType, extra);
    const { status, body } = await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'r' });
    expect(status).toBe(200);
    expect(body.status_code).toBe('414');
    expect(sim.store.find(orderId)!.transaction.status).toBe('settlement');
  });

  it.each(['shopeepay', 'ovo'])('answers 414 for a partial refund of %s', async (paymentType) => {
    sim = newSimulator();
    const orderId = await settled(paymentType);
    const { body } = await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'part', amount: 1000 });
    expect(body.status_code).toBe('414');
  });

  it('answers 414 for more than what is left', async () => {
    sim = newSimulator();
    const orderId = await settled('credit_card');
    await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'a', amount: 40000 });
    const { body } = await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'b', amount: 4001 });
    expect(body.status_code).toBe('414');
  });

  it('answers 412 for a transaction that is not settled: pending, captured (cancel it instead) or fully refunded', async () => {
    sim = newSimulator();
    const pending = (await charge(sim, chargeRequest('gopay'))).body.order_id;
    expect((await call(sim, 'POST', `/v2/${pending}/refund`, {})).body.status_code).toBe('412');

    const captured = (await charge(sim, chargeRequest('credit_card'))).body.order_id;
    const capturedRefund = await call(sim, 'POST', `/v2/${captured}/refund`, {});
    expect(capturedRefund.body.status_code).toBe('412');
    expect(capturedRefund.body.status_message).toMatch(/cancel/);

    const refunded = await settled('gopay');
    await call(sim, 'POST', `/v2/${refunded}/refund`, {});
    expect((await call(sim, 'POST', `/v2/${refunded}/refund`, { refund_key: 'again' })).body.status_code).toBe('412');
  });

  it('answers 400 for a decimal amount or a bad refund_key', async () => {
    sim = newSimulator();
    const orderId = await settled('gopay');
    const decimal = await call(sim, 'POST', `/v2/${orderId}/refund`, { amount: 100.5 });
    expect(decimal.status).toBe(400);
    expect(decimal.body.status_code).toBe('400');
    expect((await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'has space' })).body.status_code).toBe('400');
  });

  it('works by transaction_id and through the direct refund path', async () => {
    sim = newSimulator();
    const orderId = await settled('gopay');
    const transactionId = sim.store.find(orderId)!.transaction.transactionId;
    const { body } = await call(sim, 'POST', `/v2/${transactionId}/refund/online/direct`, { refund_key: 'direct', amount: 1000 });
    expect(body).toMatchObject({ status_code: '200', transaction_status: 'partial_refund' });
  });

  it('is followed by two notifications; the second confirms the refund (bank_confirmed_at)', async () => {
    sim = newSimulator();
    const orderId = await settled('gopay');
    const tx = sim.store.find(orderId)!.transaction;
    const before = tx.notifications.length;
    await call(sim, 'POST', `/v2/${orderId}/refund`, { refund_key: 'n' });
    await eventually(() => expect(tx.notifications.length).toBe(before + 2));
    const [first, second] = tx.notifications.slice(before).map((n) => n.body as Loose);
    expect(first).toMatchObject({ transaction_status: 'refund', status_code: '200', refund_amount: '44000.00' });
    expect(first!.refunds[0].bank_confirmed_at).toBeUndefined();
    expect(second!.refunds[0].bank_confirmed_at).toEqual(expect.any(String));
  });
});
