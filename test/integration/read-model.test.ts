import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { PaymentView } from '../../workflows/messages';
import { createDatabase } from '../../src/db/client';
import { recordDeliveryAttempt } from '../../src/db/deliveries';
import { claimIdempotencyKey } from '../../src/db/idempotency';
import { findNotifiedPayment, setNotificationOutcome, storeNotification } from '../../src/db/notifications';
import { findPaymentStatus, findPaymentWithAudit, recordPaymentSnapshot } from '../../src/db/payments';

/**
 * The read model's hand-written SQL against the real PostgreSQL: the writes the workflow's activities make (idempotent,
 * versioned, atomic) and the reads the API answers from. Temporal retries activities, so every write is made twice here.
 */

const db = createDatabase(inject('databaseUrl'), 2);
afterAll(() => db.$disconnect());

function viewOf(paymentId: string, overrides: Partial<PaymentView> = {}): PaymentView {
  return {
    paymentId,
    orderId: `ORDER-${paymentId.slice(-8)}`,
    userId: 'user-7',
    method: 'gopay',
    amount: 1_250_000,
    refundedAmount: 0,
    status: 'pending',
    instructions: null,
    chargeCompleted: false,
    createdAt: '2026-11-26T01:02:03.456Z',
    updatedAt: '2026-11-26T01:02:03.456Z',
    expiresAt: '2026-11-27T01:02:03.456Z',
    history: [],
    refunds: [],
    ...overrides,
  };
}

describe('read model writes and reads', () => {
  it('a payment recorded through its lifecycle, each write retried, reads back exactly once per fact', async () => {
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    const created = { customerDetails: { firstName: 'Budi', email: 'budi@example.com' }, itemDetails: [{ id: 'CGK-DPS', price: 1_250_000, quantity: 1 }], description: 'CGK → DPS' };
    const instructions = { kind: 'deeplink' as const, deeplinkUrl: 'gojek://pay/1' };
    const paid = { status: 'success' as const, midtransStatus: 'settlement', transactionId: 'tx-1', paidAt: '2026-11-26T01:05:00.000Z', instructions };
    const refund = { refundKey: `${id}-refund-1`, amount: 250_000, reason: 'one seat', status: 'succeeded' as const, at: '2026-11-26T02:00:00.000Z' };
    const writes: Parameters<typeof recordPaymentSnapshot>[] = [
      [db, { view: viewOf(id), version: 1, created }],
      [db, { view: viewOf(id, { instructions }), version: 2 }, { key: '1-charged', kind: 'charged', source: 'charge', at: '2026-11-26T01:02:04.000Z', detail: { instructions: 'deeplink' } }],
      [db, { view: viewOf(id, paid), version: 3 }, { key: '2-transition', kind: 'transition', from: 'pending', to: 'success', source: 'webhook', at: '2026-11-26T01:05:00.000Z' }],
      [
        db,
        { view: viewOf(id, { ...paid, instructions: null, status: 'partially_refunded', refundedAmount: 250_000, refunds: [refund] }), version: 4 },
        { key: '3-refund', kind: 'refund', from: 'success', to: 'partially_refunded', source: 'api', at: refund.at, detail: { amount: 250_000 } },
      ],
    ];
    for (const write of writes) {
      await recordPaymentSnapshot(...write);
      await recordPaymentSnapshot(...write); // Temporal's retry of the same activity
    }
    // A late retry of an older write, after newer ones landed: it must change nothing.
    await recordPaymentSnapshot(...writes[1]!);

    const row = await findPaymentWithAudit(db, id);
    expect(row).toMatchObject({
      id,
      userId: 'user-7',
      amount: 1_250_000n,
      refundedAmount: 250_000n,
      status: 'partially_refunded',
      midtransStatus: 'settlement',
      midtransTransactionId: 'tx-1',
      description: 'CGK → DPS',
      customerDetails: created.customerDetails,
      itemDetails: created.itemDetails,
      // A later snapshot without instructions keeps the ones the charge gave.
      paymentInstructions: instructions,
      version: 4,
    });
    expect(row!.createdAt.toISOString()).toBe('2026-11-26T01:02:03.456Z');
    expect(row!.paidAt?.toISOString()).toBe('2026-11-26T01:05:00.000Z');
    expect(row!.expiresAt?.toISOString()).toBe('2026-11-27T01:02:03.456Z');
    expect(Math.abs(row!.updatedAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(row!.events).toEqual([
      { kind: 'charged', fromStatus: null, toStatus: null, source: 'charge', occurredAt: '2026-11-26T01:02:04.000Z', detail: { instructions: 'deeplink' } },
      { kind: 'transition', fromStatus: 'pending', toStatus: 'success', source: 'webhook', occurredAt: '2026-11-26T01:05:00.000Z', detail: null },
      { kind: 'refund', fromStatus: 'success', toStatus: 'partially_refunded', source: 'api', occurredAt: refund.at, detail: { amount: 250_000 } },
    ]);
    expect(row!.refunds).toEqual([{ refundKey: refund.refundKey, amount: 250_000, reason: 'one seat', status: 'succeeded', createdAt: refund.at }]);
    expect(row!.notifications).toEqual([]);

    const status = await findPaymentStatus(db, id);
    expect(status).toEqual({ status: 'partially_refunded', updatedAt: row!.updatedAt, midtransStatus: 'settlement' });
  });

  it('an unknown payment reads as null', async () => {
    expect(await findPaymentWithAudit(db, 'pay-00000000000000000000000000000000')).toBeNull();
    expect(await findPaymentStatus(db, 'pay-00000000000000000000000000000000')).toBeNull();
  });

  it('a downstream delivery is one row per event and target, counting attempts and keeping the last outcome', async () => {
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    await recordPaymentSnapshot(db, { view: viewOf(id), version: 1, created: { customerDetails: {}, itemDetails: [] } });
    const attempt = { paymentId: id, target: 'transaction-service', idempotencyKey: `${id}:success:transaction-service`, body: { payment_id: id, status: 'success' } };
    await recordDeliveryAttempt(db, { ...attempt, outcome: 'retrying', httpStatus: 503, error: 'transaction-service answered HTTP 503' });
    await recordDeliveryAttempt(db, { ...attempt, outcome: 'retrying', error: 'TypeError: fetch failed' });
    await recordDeliveryAttempt(db, { ...attempt, outcome: 'delivered', httpStatus: 200 });
    const rows = await db.downstreamDelivery.findMany({ where: { paymentId: id } });
    expect(rows).toMatchObject([{ idempotencyKey: attempt.idempotencyKey, status: 'delivered', httpStatus: 200, lastError: null, attempts: 3, body: attempt.body }]);
  });

  it('an Idempotency-Key claimed by 20 concurrent requests has exactly one holder, and every request is told who', async () => {
    const claim = { caller: 'caller-a', key: `idem-${randomUUID()}`, endpoint: 'POST /payments', ttlHours: 24 };
    const candidates = Array.from({ length: 20 }, (_, i) => `pay-candidate-${i}`);
    const answers = await Promise.all(candidates.map((paymentId) => claimIdempotencyKey(db, { ...claim, requestHash: 'hash-a', paymentId })));
    const holders = new Set(answers.map((a) => a.paymentId));
    expect(holders.size).toBe(1);
    expect(candidates).toContain([...holders][0]);
    expect(answers.every((a) => a.requestHash === 'hash-a')).toBe(true);
    // Later, with another body: the holder and ITS hash come back, so the API can answer 409.
    expect(await claimIdempotencyKey(db, { ...claim, requestHash: 'hash-b', paymentId: 'pay-late' })).toEqual({
      endpoint: 'POST /payments',
      paymentId: [...holders][0],
      requestHash: 'hash-a',
      answer: null,
    });
  });

  it('an Idempotency-Key stored before keys were per caller still finds its payment, for the same body only, until it expires', async () => {
    const key = `legacy-${randomUUID()}`;
    const expired = `legacy-expired-${randomUUID()}`;
    await db.$executeRaw`insert into idempotency_keys (caller, key, endpoint, request_hash, payment_id, expires_at)
      values ('', ${key}, 'POST /payments', 'hash-a', 'pay-legacy', (now() at time zone 'utc') + interval '1 hour'),
             ('', ${expired}, 'POST /payments', 'hash-a', 'pay-legacy-expired', (now() at time zone 'utc') - interval '1 hour')`;
    const claim = (caller: string, forKey: string, requestHash: string, paymentId: string) =>
      claimIdempotencyKey(db, { caller, key: forKey, endpoint: 'POST /payments', requestHash, paymentId, ttlHours: 24 });
    expect((await claim('caller-a', key, 'hash-a', 'pay-new-a')).paymentId).toBe('pay-legacy');
    expect((await claim('caller-b', key, 'hash-b', 'pay-new-b')).paymentId).toBe('pay-new-b');
    expect((await claim('caller-c', expired, 'hash-a', 'pay-new-c')).paymentId).toBe('pay-new-c');
  });

  it('a notification is a duplicate only once the same bytes were signalled (accepted or payment_closed)', async () => {
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    expect(await findNotifiedPayment(db, id, 'sha-1')).toBeNull();
    await recordPaymentSnapshot(db, { view: viewOf(id), version: 1, created: { customerDetails: {}, itemDetails: [] } });
    expect(await findNotifiedPayment(db, id, 'sha-1')).toEqual({ alreadySignalled: false });
    const stored = (outcome: 'received' | 'invalid_signature') =>
      storeNotification(db, { paymentId: id, body: { order_id: id, transaction_status: 'settlement' }, rawBody: '{}', bodySha256: 'sha-1', signatureValid: true, outcome });
    const received = await stored('received');
    await stored('invalid_signature');
    expect(await findNotifiedPayment(db, id, 'sha-1')).toEqual({ alreadySignalled: false });
    await setNotificationOutcome(db, received, 'accepted');
    expect(await findNotifiedPayment(db, id, 'sha-1')).toEqual({ alreadySignalled: true });
    expect(await findNotifiedPayment(db, id, 'sha-2')).toEqual({ alreadySignalled: false });
    const audit = await findPaymentWithAudit(db, id);
    expect(audit!.notifications.map((n) => [n.outcome, n.transactionStatus, n.signatureValid])).toEqual([
      ['accepted', 'settlement', true],
      ['invalid_signature', 'settlement', true],
    ]);
    expect(Math.abs(Date.parse(audit!.notifications[0]!.receivedAt) - Date.now())).toBeLessThan(60_000);
  });
});
