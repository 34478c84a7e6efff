import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { PaymentView } from '../../src/domain';
import { createDatabase } from '../../src/db/client';
import { deleteCheckout, findCheckout, saveCheckout } from '../../src/db/checkouts';
import { findDelivery, listDeliveriesOfPayment, recordDeliveryAttempt } from '../../src/db/deliveries';
import { idempotencyKeys } from '../../src/api/idempotency-keys';
import { claimIdempotencyKey, purgeExpiredIdempotencyKeys } from '../../src/db/idempotency';
import {
  claimNotification,
  noteOverBudgetRefusal,
  purgeRejectedNotifications,
  setNotificationOutcome,
  storeRejectedNotification,
  storeUnknownPaymentNotification,
} from '../../src/db/notifications';
import { findPaymentStatus, findPaymentWithAudit, recordPaymentSnapshot } from '../../src/db/payments';
import { listReviewItems } from '../../src/db/reviews';

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

/** Webhook notifications a payment may store new per hour, as the API's default. */
const NEW_PER_HOUR = 30;

describe('read model writes and reads', () => {
  it('a payment recorded through its lifecycle, each write retried, reads back exactly once per fact', async () => {
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    const created = { customerDetails: { firstName: 'Budi', email: 'budi@example.com' }, itemDetails: [{ id: 'CGK-DPS', price: 1_250_000, quantity: 1 }], description: 'CGK → DPS' };
    const instructions = { kind: 'deeplink' as const, deeplinkUrl: 'gojek://pay/1' };
    const paid = { status: 'success' as const, midtransStatus: 'settlement', transactionId: 'tx-1', paidAt: '2026-11-26T01:05:00.000Z', instructions };
    const refund = { refundKey: `${id}-refund-1`, amount: 250_000, reason: 'one seat', status: 'succeeded' as const, at: '2026-11-26T02:00:00.000Z' };
    const writes: Parameters<typeof recordPaymentSnapshot>[] = [
      [db, { view: viewOf(id), version: 1, created }],
      [db, { view: viewOf(id, { instructions }), version: 2 }, [{ key: '1-charged', kind: 'charged', source: 'charge', at: '2026-11-26T01:02:04.000Z', detail: { instructions: 'deeplink' } }]],
      [
        db,
        { view: viewOf(id, paid), version: 3 },
        // A line that waited for this write (Midtrans repeating the pending status) comes with it, before its own.
        [
          { key: '2-notification_ignored', kind: 'notification_ignored', source: 'webhook', at: '2026-11-26T01:02:05.000Z', detail: { reason: 'duplicate' } },
          { key: '3-transition', kind: 'transition', from: 'pending', to: 'success', source: 'webhook', at: '2026-11-26T01:05:00.000Z' },
        ],
      ],
      [
        db,
        { view: viewOf(id, { ...paid, instructions: null, status: 'partially_refunded', refundedAmount: 250_000, refunds: [refund] }), version: 4 },
        [{ key: '4-refund', kind: 'refund', from: 'success', to: 'partially_refunded', source: 'api', at: refund.at, detail: { amount: 250_000 } }],
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
      { kind: 'notification_ignored', fromStatus: null, toStatus: null, source: 'webhook', occurredAt: '2026-11-26T01:02:05.000Z', detail: { reason: 'duplicate' } },
      { kind: 'transition', fromStatus: 'pending', toStatus: 'success', source: 'webhook', occurredAt: '2026-11-26T01:05:00.000Z', detail: null },
      { kind: 'refund', fromStatus: 'success', toStatus: 'partially_refunded', source: 'api', occurredAt: refund.at, detail: { amount: 250_000 } },
    ]);
    expect(row!.refunds).toEqual([{ refundKey: refund.refundKey, amount: 250_000, reason: 'one seat', status: 'succeeded', createdAt: refund.at }]);
    expect(row!.notifications).toEqual([]);

    const status = await findPaymentStatus(db, id);
    expect(status).toEqual({ status: 'partially_refunded', updatedAt: row!.updatedAt, midtransStatus: 'settlement' });
  });

  it('a write whose row is gone (database restored from a backup, table truncated) recreates it; an older write never wins', async () => {
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    const refund = { refundKey: `${id}-refund-1`, amount: 250_000, status: 'succeeded' as const, at: '2026-11-26T02:00:00.000Z' };
    const refunded = viewOf(id, { status: 'partially_refunded', midtransStatus: 'settlement', transactionId: 'tx-9', refundedAmount: 250_000, refunds: [refund], paidAt: '2026-11-26T01:05:00.000Z' });
    // The first write this database sees is the fourth of the payment: no row exists for it.
    await recordPaymentSnapshot(db, { view: refunded, version: 4 }, [{ key: '3-refund', kind: 'refund', from: 'success', to: 'partially_refunded', source: 'api', at: refund.at }]);
    // A late retry of an older write arrives after it.
    await recordPaymentSnapshot(db, { view: viewOf(id, { status: 'success', midtransStatus: 'settlement' }), version: 3 }, [{ key: '2-transition', kind: 'transition', from: 'pending', to: 'success', source: 'webhook', at: '2026-11-26T01:05:00.000Z' }]);
    const row = await findPaymentWithAudit(db, id);
    expect(row).toMatchObject({
      id,
      orderId: refunded.orderId,
      userId: 'user-7',
      paymentMethod: 'gopay',
      amount: 1_250_000n,
      refundedAmount: 250_000n,
      status: 'partially_refunded',
      midtransTransactionId: 'tx-9',
      version: 4,
    });
    expect(row!.createdAt.toISOString()).toBe('2026-11-26T01:02:03.456Z');
    expect(row!.events.map((e) => e.kind)).toEqual(['transition', 'refund']);
    expect(row!.refunds.map((r) => r.amount)).toEqual([250_000]);
    // The first write, replayed late, brings the customer details without turning the state back.
    await recordPaymentSnapshot(db, { view: viewOf(id), version: 1, created: { customerDetails: { firstName: 'Budi' }, itemDetails: [], description: 'late' } });
    expect(await findPaymentWithAudit(db, id)).toMatchObject({ status: 'partially_refunded', version: 4, customerDetails: { firstName: 'Budi' }, description: 'late' });
  });

  it("a payment's checkout is stored once, fills the row's details, and is deleted by the first write after the charge step", async () => {
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    const checkout = {
      cardToken: `tok-${id}`,
      customer: { firstName: 'Siti', lastName: 'Rahma', email: 'siti@example.com', phone: '+6281234567890' },
      items: [{ id: 'CGK-KNO', name: 'Flight Jakarta-Medan', price: 1_250_000, quantity: 1 }],
      description: 'Flight booking',
    };
    await saveCheckout(db, id, checkout);
    // A retried create (same payment, same body) writes nothing new, and cannot replace what is stored.
    await saveCheckout(db, id, { ...checkout, cardToken: 'tok-other', customer: { firstName: 'Other' } });
    expect(await findCheckout(db, id)).toEqual(checkout);

    // The workflow's first write carries no details: they come from the checkout.
    await recordPaymentSnapshot(db, { view: viewOf(id), version: 1 });
    expect(await findPaymentWithAudit(db, id)).toMatchObject({
      customerDetails: checkout.customer,
      itemDetails: checkout.items,
      description: checkout.description,
    });
    expect(await findCheckout(db, id)).toEqual(checkout); // the charge has not run yet

    // Once the payment's row exists, a create retried after the charge used the token cannot bring it back.
    await deleteCheckout(db, id);
    await saveCheckout(db, id, checkout);
    expect(await findCheckout(db, id)).toBeNull();

    // A checkout the charge could not delete (a restored backup had it, or the delete failed) goes with the first
    // write after the charge step; a write before it leaves it alone.
    const id2 = `pay-${randomUUID().replaceAll('-', '')}`;
    await saveCheckout(db, id2, checkout);
    await recordPaymentSnapshot(db, { view: viewOf(id2, { chargeCompleted: false }), version: 1 });
    expect(await findCheckout(db, id2)).not.toBeNull();
    await recordPaymentSnapshot(db, { view: viewOf(id2, { chargeCompleted: true }), version: 2 });
    expect(await findCheckout(db, id2)).toBeNull();
    expect(await findPaymentWithAudit(db, id2)).toMatchObject({ version: 2, customerDetails: checkout.customer });
  });

  it('a checkout no charge used within 24 hours (its workflow never started) is deleted by a later create', async () => {
    const abandoned = `pay-${randomUUID().replaceAll('-', '')}`;
    const recent = `pay-${randomUUID().replaceAll('-', '')}`;
    const checkout = { cardToken: 'tok-abandoned', customer: { firstName: 'Siti' }, items: [] };
    await saveCheckout(db, abandoned, checkout);
    await saveCheckout(db, recent, checkout);
    await db.$executeRaw`update payment_checkouts set created_at = created_at - interval '25 hours' where payment_id = ${abandoned}`;
    await db.$executeRaw`update payment_checkouts set created_at = created_at - interval '23 hours' where payment_id = ${recent}`;

    await saveCheckout(db, `pay-${randomUUID().replaceAll('-', '')}`, checkout);
    expect(await findCheckout(db, abandoned)).toBeNull();
    expect(await findCheckout(db, recent)).toEqual(checkout);
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

  const updateIdsFor = (paymentId: string) => ({ firstClaim: `first-claim-${paymentId}`, reclaim: `reclaim-${paymentId}` });

  it('an Idempotency-Key claimed by 20 concurrent requests has exactly one holder, and every request is told who', async () => {
    const claim = { caller: 'caller-a', key: `idem-${randomUUID()}`, endpoint: 'POST /payments', ttlHours: 24 };
    const candidates = Array.from({ length: 20 }, (_, i) => `pay-candidate-${i}`);
    const answers = await Promise.all(
      candidates.map((paymentId) => claimIdempotencyKey(db, { ...claim, requestHash: 'hash-a', paymentId, updateIds: updateIdsFor(paymentId) })),
    );
    const holders = new Set(answers.map((a) => a.paymentId));
    expect(holders.size).toBe(1);
    expect(candidates).toContain([...holders][0]);
    expect(answers.every((a) => a.requestHash === 'hash-a')).toBe(true);
    // Later, with another body: the holder and ITS hash come back, so the API can answer 409.
    expect(await claimIdempotencyKey(db, { ...claim, requestHash: 'hash-b', paymentId: 'pay-late', updateIds: updateIdsFor('pay-late') })).toEqual({
      endpoint: 'POST /payments',
      paymentId: [...holders][0],
      requestHash: 'hash-a',
      updateId: `first-claim-${[...holders][0]}`,
      answer: null,
    });
  });

  it('an answer that comes after its key was claimed again past its TTL is not stored for the new request', async () => {
    const key = `late-${randomUUID()}`;
    const refund = { caller: 'caller-late', key, endpoint: 'POST /payments/{payment_id}/refund', paymentId: 'pay-late-answer', ttlHours: 24 };
    const first = await claimIdempotencyKey(db, { ...refund, requestHash: 'hash-first', updateIds: { firstClaim: 'update-first', reclaim: 'unused' } });
    // The first request's update is still pending (a worker outage) when its key expires and another request claims it.
    await db.$executeRaw`update idempotency_keys set expires_at = now() - interval '1 minute' where caller = 'caller-late' and key = ${key}`;
    const second = await claimIdempotencyKey(db, { ...refund, requestHash: 'hash-second', updateIds: { firstClaim: 'unused', reclaim: 'update-second' } });
    expect(second.updateId).toBe('update-second');

    const keys = idempotencyKeys(db, 24, { refundWindowDays: 30 });
    await keys.store({ caller: refund.caller, key, paymentId: refund.paymentId, answer: first.answer, updateId: first.updateId! }, { status: 200, body: { old: true } });
    const [row] = await db.$queryRaw<{ status: number | null }[]>`select response_status as status from idempotency_keys where caller = 'caller-late' and key = ${key}`;
    expect(row!.status).toBeNull();
    await keys.store({ caller: refund.caller, key, paymentId: refund.paymentId, answer: null, updateId: 'update-second' }, { status: 200, body: { new: true } });
    const [stored] = await db.$queryRaw<{ body: unknown }[]>`select response_body as body from idempotency_keys where caller = 'caller-late' and key = ${key}`;
    expect(stored!.body).toEqual({ new: true });
  });

  it('an Idempotency-Key stored before keys were per caller still finds its payment, for the same body only, until it expires', async () => {
    const key = `legacy-${randomUUID()}`;
    const expired = `legacy-expired-${randomUUID()}`;
    await db.$executeRaw`insert into idempotency_keys (caller, key, endpoint, request_hash, payment_id, expires_at, purge_after)
      values ('', ${key}, 'POST /payments', 'hash-a', 'pay-legacy', (now() at time zone 'utc') + interval '1 hour', (now() at time zone 'utc') + interval '1 hour'),
             ('', ${expired}, 'POST /payments', 'hash-a', 'pay-legacy-expired', (now() at time zone 'utc') - interval '1 hour', (now() at time zone 'utc') - interval '1 hour')`;
    const claim = (caller: string, forKey: string, requestHash: string, paymentId: string) =>
      claimIdempotencyKey(db, { caller, key: forKey, endpoint: 'POST /payments', requestHash, paymentId, updateIds: updateIdsFor(paymentId), ttlHours: 24 });
    expect((await claim('caller-a', key, 'hash-a', 'pay-new-a')).paymentId).toBe('pay-legacy');
    expect((await claim('caller-b', key, 'hash-b', 'pay-new-b')).paymentId).toBe('pay-new-b');
    expect((await claim('caller-c', expired, 'hash-a', 'pay-new-c')).paymentId).toBe('pay-new-c');
  });

  it('the purge deletes a create\'s key at its expiry, and keeps a cancel\'s or refund\'s for as long as it was claimed to be kept', async () => {
    const caller = `purge-${randomUUID()}`;
    const claim = (key: string, endpoint: string, keptForHours: number) =>
      claimIdempotencyKey(db, { caller, key, endpoint, requestHash: 'hash', paymentId: 'pay-kept', updateIds: updateIdsFor(key), ttlHours: 24, keptForHours });
    await claim('create', 'POST /payments', 24);
    await claim('refund', 'POST /payments/{payment_id}/refund', 31 * 24);
    await claim('cancel', 'POST /payments/{payment_id}/cancel', 31 * 24);
    const age = (interval: string) =>
      db.$executeRaw`update idempotency_keys set created_at = created_at - ${interval}::interval, expires_at = expires_at - ${interval}::interval,
        purge_after = purge_after - ${interval}::interval where caller = ${caller}`;
    const left = async () => (await db.$queryRaw<{ key: string }[]>`select key from idempotency_keys where caller = ${caller} order by key`).map((k) => k.key);

    await age('25 hours');
    await purgeExpiredIdempotencyKeys(db);
    expect(await left()).toEqual(['cancel', 'refund']);
    // Expired, so claimed again as a new request (a fresh update id), though the row is still there.
    expect((await claim('refund', 'POST /payments/{payment_id}/refund', 31 * 24)).updateId).toBe('reclaim-refund');
    // Claimed again for a create, the cancel's key is still kept as long as the cancel needed.
    await claim('cancel', 'POST /payments', 24);
    await age('25 hours');
    await purgeExpiredIdempotencyKeys(db);
    expect(await left()).toEqual(['cancel', 'refund']);
    await age('32 days');
    await purgeExpiredIdempotencyKeys(db);
    expect(await left()).toEqual([]);

    // A key inserted by the code before purge_after (a deploy rolling out): taken at the next purge.
    await db.$executeRaw`insert into idempotency_keys (caller, key, endpoint, request_hash, payment_id, expires_at)
      values (${caller}, 'older-code', 'POST /payments', 'hash', 'pay-kept', (now() at time zone 'utc') + interval '1 day')`;
    await purgeExpiredIdempotencyKeys(db);
    expect(await left()).toEqual([]);
  });

  it('a delivery whose retries ran out (the workflow records downstream_failed) is failed, in the review queue; another target\'s row and another event\'s are left as they are', async () => {
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    await recordPaymentSnapshot(db, { view: viewOf(id, { status: 'success', midtransStatus: 'settlement' }), version: 1 });
    const attempt = (target: string, outcome: 'delivered' | 'retrying', eventKey = 'success') =>
      recordDeliveryAttempt(db, { paymentId: id, target, idempotencyKey: `${id}:${eventKey}:${target}`, body: { payment_id: id }, outcome, ...(outcome === 'retrying' && { httpStatus: 503, error: `${target} answered HTTP 503` }) });
    await attempt('transaction-service', 'retrying');
    await attempt('user-service', 'delivered');
    await attempt('transaction-service', 'retrying', 'refund-1');
    // The 7 days of the delivery's activity are over: the workflow's write of that, retried as Temporal retries it.
    const gaveUp = [db, { view: viewOf(id, { status: 'success', midtransStatus: 'settlement' }), version: 2 },
      [{ key: '2-downstream_failed', kind: 'downstream_failed', source: 'downstream' as const, at: new Date(Date.now() + 1_000).toISOString(),
        detail: { event: 'success', target: 'transaction-service', error: 'Activity task timed out' } }]] as const;
    await recordPaymentSnapshot(...gaveUp);
    await recordPaymentSnapshot(...gaveUp);

    // As the console and a redelivery see them.
    const statuses = (await listDeliveriesOfPayment(db, id)).map((d) => `${d.id} ${d.status}`).sort();
    expect(statuses).toEqual([`${id}:refund-1:transaction-service retrying`, `${id}:success:transaction-service failed`, `${id}:success:user-service delivered`]);
    expect(await findDelivery(db, `${id}:success:transaction-service`)).toMatchObject({ status: 'failed' });
    expect(await findDelivery(db, `${id}:refund-1:transaction-service`)).toMatchObject({ status: 'retrying' });
    const queue = await listReviewItems(db, { pendingGraceMinutes: 60, processingHours: 24, paymentId: id });
    expect(queue.map((item) => `${item.kind} ${item.deliveryId} ${item.reason}`)).toEqual([`failed_delivery ${id}:success:transaction-service retries ran out; last error: transaction-service answered HTTP 503`]);
  });

  describe('a delivery the workflow gave up on, whoever wrote its line', () => {
    const queueOf = async (id: string) =>
      (await listReviewItems(db, { pendingGraceMinutes: 60, processingHours: 24, paymentId: id })).map((item) => item.deliveryId);
    const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
    async function paidWithRetrying(...targets: string[]) {
      const id = `pay-${randomUUID().replaceAll('-', '')}`;
      await recordPaymentSnapshot(db, { view: viewOf(id, { status: 'success', midtransStatus: 'settlement' }), version: 1 });
      for (const target of targets) {
        await recordDeliveryAttempt(db, { paymentId: id, target, idempotencyKey: `${id}:success:${target}`, body: { payment_id: id }, outcome: 'retrying', httpStatus: 503, error: `${target} answered HTTP 503` });
      }
      return id;
    }

    it('a line written by a worker from before the fix (a rolling deploy, a rollback): the delivery is in the review queue', async () => {
      const id = await paidWithRetrying('transaction-service');
      // The statement of the code before: the line only, nothing done to the delivery's row.
      await db.$executeRaw`insert into payment_events (payment_id, event_key, kind, source, detail, occurred_at)
        values (${id}, '2-downstream_failed', 'downstream_failed', 'downstream', ${JSON.stringify({ event: 'success', error: 'Activity task timed out' })}::jsonb, ${iso(1_000)}::timestamp(3))`;
      expect(await queueOf(id)).toEqual([`${id}:success:transaction-service`]);
    });

    it('an attempt still running when the deadline fired, recorded just after the line (or the clocks a little apart): still given up', async () => {
      const id = await paidWithRetrying('transaction-service');
      await recordPaymentSnapshot(db, { view: viewOf(id, { status: 'success', midtransStatus: 'settlement' }), version: 2 }, [
        { key: '2-downstream_failed', kind: 'downstream_failed', source: 'downstream', at: iso(-50),
          detail: { event: 'success', target: 'transaction-service', error: 'Activity task timed out' } },
      ]);
      // The abandoned attempt answers within its start-to-close time (30 s) and records itself after the line.
      await recordDeliveryAttempt(db, { paymentId: id, target: 'transaction-service', idempotencyKey: `${id}:success:transaction-service`, body: { payment_id: id }, outcome: 'retrying', httpStatus: 503 });
      expect(await queueOf(id)).toEqual([`${id}:success:transaction-service`]);
      expect(await findDelivery(db, `${id}:success:transaction-service`)).toMatchObject({ status: 'failed' });
    });

    it('a line written again (a rebuild, a retried write) while an operator\'s redelivery retries: not given up again', async () => {
      const id = await paidWithRetrying('transaction-service');
      const line = [db, { view: viewOf(id, { status: 'success', midtransStatus: 'settlement' }), version: 2 },
        [{ key: '2-downstream_failed', kind: 'downstream_failed', source: 'downstream' as const, at: iso(-10 * 60_000),
          detail: { event: 'success', target: 'transaction-service', error: 'Activity task timed out' } }]] as const;
      await db.$executeRaw`update downstream_deliveries set updated_at = updated_at - interval '20 minutes' where payment_id = ${id}`;
      await recordPaymentSnapshot(...line);
      expect(await queueOf(id)).toEqual([`${id}:success:transaction-service`]);
      // The operator's redelivery: its attempt is after the line.
      await recordDeliveryAttempt(db, { paymentId: id, target: 'transaction-service', idempotencyKey: `${id}:success:transaction-service`, body: { payment_id: id }, outcome: 'retrying', httpStatus: 503 });
      await recordPaymentSnapshot(...line);
      expect(await queueOf(id)).toEqual([]);
    });

    it('a line from before lines named their target (one service\'s 4xx) leaves the other service\'s delivery, retrying since, alone', async () => {
      const id = await paidWithRetrying('user-service');
      await recordPaymentSnapshot(db, { view: viewOf(id, { status: 'success', midtransStatus: 'settlement' }), version: 2 }, [
        { key: '2-downstream_failed', kind: 'downstream_failed', source: 'downstream', at: iso(-10 * 60_000), detail: { event: 'success', error: 'transaction-service answered 422' } },
      ]);
      expect(await queueOf(id)).toEqual([]);
    });
  });

  it('a notification that arrives between the charge and the first write (only the checkout exists yet) is claimed, and the row shows it', async () => {
    // Midtrans notifies right after it answers the charge, and the payment's row is first written with that answer:
    // under load the notification can win the race. It is stored and answered like any other, not refused or sent inline.
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    const notification = { paymentId: id, body: { order_id: id, transaction_status: 'pending' }, rawBody: '{}', bodySha256: 'sha', meaningSha256: 'pending-1' };
    expect(await claimNotification(db, notification, NEW_PER_HOUR)).toEqual({ kind: 'unknown_payment' });
    await saveCheckout(db, id, { customer: { firstName: 'Ani' }, items: [] });
    expect(await claimNotification(db, notification, NEW_PER_HOUR)).toMatchObject({ kind: 'claimed' });
    expect(await claimNotification(db, notification, NEW_PER_HOUR)).toEqual({ kind: 'duplicate' });

    await recordPaymentSnapshot(db, { view: viewOf(id), version: 1, checkoutUsed: true });
    expect(await findCheckout(db, id)).toBeNull();
    const audit = await findPaymentWithAudit(db, id);
    expect(audit!.notifications.map((n) => [n.outcome, n.transactionStatus])).toEqual([['received', 'pending']]);
  });

  it('a new meaning past the hourly budget is over budget and not stored; a copy of a stored one is still a duplicate', async () => {
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    await recordPaymentSnapshot(db, { view: viewOf(id), version: 1, created: { customerDetails: {}, itemDetails: [] } });
    const notification = (meaningSha256: string) => ({ paymentId: id, body: { order_id: id }, rawBody: '{}', bodySha256: 'sha', meaningSha256 });
    expect(await claimNotification(db, notification('meaning-a'), 2)).toMatchObject({ kind: 'claimed' });
    expect(await claimNotification(db, notification('meaning-b'), 2)).toMatchObject({ kind: 'claimed' });
    expect(await claimNotification(db, notification('meaning-c'), 2)).toEqual({ kind: 'over_budget' });
    expect(await claimNotification(db, notification('meaning-a'), 2)).toEqual({ kind: 'duplicate' });
    // An hour on, the budget is whole again.
    await db.$executeRaw`update webhook_notifications set received_at = received_at - interval '61 minutes' where payment_id = ${id}`;
    expect(await claimNotification(db, notification('meaning-c'), 2)).toMatchObject({ kind: 'claimed' });
    const meanings = await db.$queryRaw<{ meaning: string }[]>`select meaning_sha256 as meaning from webhook_notifications where payment_id = ${id} order by id`;
    expect(meanings.map((m) => m.meaning)).toEqual(['meaning-a', 'meaning-b', 'meaning-c']);
  });

  it('past the budget, a signed part (status code and amount) the payment never stored is claimed once; its later meanings are over budget', async () => {
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    await recordPaymentSnapshot(db, { view: viewOf(id), version: 1, created: { customerDetails: {}, itemDetails: [] } });
    const notification = (meaningSha256: string, status_code: string) => ({
      paymentId: id,
      body: { order_id: id, status_code, gross_amount: '250000.00' },
      rawBody: '{}',
      bodySha256: 'sha',
      meaningSha256,
    });
    expect(await claimNotification(db, notification('pending-a', '201'), 2)).toMatchObject({ kind: 'claimed' });
    expect(await claimNotification(db, notification('pending-b', '201'), 2)).toMatchObject({ kind: 'claimed' });
    expect(await claimNotification(db, notification('pending-c', '201'), 2)).toEqual({ kind: 'over_budget' });
    // While the caller claims the same signed part already, it waits for the budget like any other.
    expect(await claimNotification(db, notification('settled-a', '200'), 2, { newSignedPartPasses: false })).toEqual({ kind: 'over_budget' });
    expect(await claimNotification(db, notification('settled-a', '200'), 2)).toMatchObject({ kind: 'claimed' });
    expect(await claimNotification(db, notification('settled-b', '200'), 2)).toEqual({ kind: 'over_budget' });
    expect(await claimNotification(db, notification('settled-a', '200'), 2)).toEqual({ kind: 'duplicate' });
  });

  it('a payment we no longer know is unknown, not over budget, whatever rows its notifications left', async () => {
    // Notifications stored while only its checkout existed, then the checkout purged (abandoned): no row, no checkout.
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    await db.$executeRaw`insert into webhook_notifications (payment_id, order_id, signature_valid, outcome, raw_body, body_sha256, meaning_sha256)
      select ${id}, ${id}, true, 'accepted', '{}', 'sha', 'meaning-' || n from generate_series(1, 3) as n`;
    const notification = { paymentId: id, body: { order_id: id }, rawBody: '{}', bodySha256: 'sha', meaningSha256: 'meaning-new' };
    expect(await claimNotification(db, notification, 2)).toEqual({ kind: 'unknown_payment' });
  });

  it('refusals over budget ask for a look once per interval, even when they arrive together, and are all counted', async () => {
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    expect(await noteOverBudgetRefusal(db, id, 10)).toBe(true);
    expect(await noteOverBudgetRefusal(db, id, 10)).toBe(false);
    await db.$executeRaw`update notification_floods set look_asked_at = look_asked_at - interval '11 minutes' where payment_id = ${id}`;
    const together = await Promise.all(Array.from({ length: 10 }, () => noteOverBudgetRefusal(db, id, 10)));
    expect(together.filter(Boolean)).toHaveLength(1);
    const [flood] = await db.$queryRaw<{ refused: number }[]>`select refused from notification_floods where payment_id = ${id}`;
    expect(flood?.refused).toBe(12);
  });

  it('one claim per (payment, meaning): copies are counted on it whatever became of its signal', async () => {
    const id = `pay-${randomUUID().replaceAll('-', '')}`;
    const notification = (meaningSha256: string) => ({
      paymentId: id,
      body: { order_id: id, transaction_status: 'settlement' },
      rawBody: '{}',
      bodySha256: 'sha-bytes',
      meaningSha256,
    });
    expect(await claimNotification(db, notification('meaning-1'), NEW_PER_HOUR)).toEqual({ kind: 'unknown_payment' });
    await recordPaymentSnapshot(db, { view: viewOf(id), version: 1, created: { customerDetails: {}, itemDetails: [] } });

    const claims = await Promise.all(Array.from({ length: 10 }, () => claimNotification(db, notification('meaning-1'), NEW_PER_HOUR)));
    const claimed = claims.filter((c) => c.kind === 'claimed');
    expect(claimed).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'duplicate')).toHaveLength(9);
    const claimId = (claimed[0] as { id: number }).id;
    expect(await claimNotification(db, notification('meaning-2'), NEW_PER_HOUR)).toMatchObject({ kind: 'claimed' });

    // Its signal still to be sent (the forwarder's job, whatever happens to it): a copy is a duplicate all the same.
    await db.$executeRaw`update webhook_notifications set received_at = received_at - interval '1 hour' where id = ${claimId}`;
    expect(await claimNotification(db, notification('meaning-1'), NEW_PER_HOUR)).toEqual({ kind: 'duplicate' });
    await setNotificationOutcome(db, claimId, 'accepted');
    expect(await claimNotification(db, notification('meaning-1'), NEW_PER_HOUR)).toEqual({ kind: 'duplicate' });

    const rows = await db.$queryRaw<{ meaning: string; outcome: string; duplicates: number; leased: boolean }[]>`
      select meaning_sha256 as meaning, outcome, duplicate_count as duplicates, forward_after is not null as leased
      from webhook_notifications where payment_id = ${id} order by id`;
    expect(rows).toEqual([
      { meaning: 'meaning-1', outcome: 'accepted', duplicates: 11, leased: false },
      { meaning: 'meaning-2', outcome: 'received', duplicates: 0, leased: true },
    ]);
    const audit = await findPaymentWithAudit(db, id);
    expect(audit!.notifications.map((n) => [n.outcome, n.transactionStatus, n.signatureValid])).toEqual([
      ['accepted', 'settlement', true],
      ['received', 'settlement', true],
    ]);
    expect(Math.abs(Date.parse(audit!.notifications[1]!.receivedAt) - Date.now())).toBeLessThan(120_000);
  });

  it('copies of a notification for an order that is not ours, stored at once by two API processes, are one row and counted', async () => {
    // Two processes, each with its own connections, as two API replicas receiving Midtrans's copies at the same instant.
    const other = createDatabase(inject('databaseUrl'), 10);
    const mine = createDatabase(inject('databaseUrl'), 10);
    try {
      for (let round = 0; round < 5; round++) {
        const orderId = `ORDER-ELSEWHERE-${randomUUID()}`;
        const notification = { paymentId: orderId, body: { order_id: orderId, transaction_status: 'settlement' }, rawBody: '{}', bodySha256: 'sha', meaningSha256: 'meaning-elsewhere' };
        await Promise.all(Array.from({ length: 20 }, (_, i) => storeUnknownPaymentNotification(i % 2 ? other : mine, notification)));
        const rows = await db.$queryRaw<{ duplicates: number }[]>`
          select duplicate_count as duplicates from webhook_notifications where order_id = ${orderId}`;
        expect(rows).toEqual([{ duplicates: 19 }]);
      }
    } finally {
      await Promise.all([other.$disconnect(), mine.$disconnect()]);
    }
  });

  it('refused notifications past their retention are purged, newer ones kept', async () => {
    const bodySha256 = `sha-${randomUUID()}`;
    const refusal = { reason: 'invalid_signature' as const, bodyBytes: 10, bodySha256, sourceAddress: '192.0.2.1', orderId: null };
    await storeRejectedNotification(db, refusal);
    await storeRejectedNotification(db, refusal);
    await db.$executeRaw`
      update rejected_notifications set received_at = received_at - interval '8 days'
      where id = (select min(id) from rejected_notifications where body_sha256 = ${bodySha256})`;
    expect(await purgeRejectedNotifications(db, 7)).toBeGreaterThanOrEqual(1);
    const left = await db.$queryRaw<{ n: bigint }[]>`select count(*) as n from rejected_notifications where body_sha256 = ${bodySha256}`;
    expect(Number(left[0]!.n)).toBe(1);
  });
});
