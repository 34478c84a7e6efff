import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SIZES } from '../support/config';
import { createCharged, histogramText, statusHistogram, type ChaosContext } from '../support/context';
import { eventually, pool } from '../../support/fixtures';
import { checkDownstream, eventRows, historyFacts, paymentRows, waitForStatuses } from '../support/helpers';
import { scenario } from '../support/results';
import { postWebhook } from '../support/context';

/* eslint-disable @typescript-eslint/no-explicit-any -- the simulator's JSON records */

type Notification = Record<string, unknown>;

/** The first notification body Midtrans sent for a transaction with this status (signed by Midtrans itself). */
async function genuineNotification(get: () => ChaosContext, paymentId: string, status: string): Promise<Notification> {
  const tx = await get().sim.transaction(paymentId);
  const found = (tx?.notifications ?? []).find((n: any) => n.body.transaction_status === status);
  if (!found) throw new Error(`no ${status} notification for ${paymentId}`);
  return found.body as Notification;
}

/** The simulator's own record of the Midtrans calls made about one order, by kind. */
async function callsAbout(get: () => ChaosContext, paymentId: string): Promise<{ refunds: { amount: number; key: string }[]; status: string }> {
  const tx = (await get().sim.transaction(paymentId))?.transaction;
  return {
    refunds: ((tx?.refunds ?? []) as any[]).map((r) => ({ amount: Number(r.refund_amount), key: String(r.refund_key) })),
    status: tx?.transaction_status,
  };
}

/**
 * 5f–5i. The attacks of the money-safety issue at full size, by someone who holds genuine signed notification
 * bodies: Midtrans's signature covers only order_id + status_code + gross_amount, so every other field is theirs.
 */
export function webhookAttacksScenario(get: () => ChaosContext) {
  describe('5f–5i. attacks with genuine notification bodies', () => {
    it('5f. edited unsigned fields never move a payment or money', async () => {
      const { stack } = get();
      const rec = scenario('webhook-edited', 'Signed notifications with edited unsigned fields (attack 1)');
      const k = SIZES.attackNotifications;
      const targets = await createCharged(get(), 5, { tag: 'wh-edited', method: 'gopay' });
      const genuine = await pool(targets, 5, (id) => genuineNotification(get, id, 'pending'));
      const statuses = ['settlement', 'capture', 'refund', 'partial_refund', 'cancel', 'expire', 'deny', 'chargeback'];
      const edited = Array.from({ length: k }, (_, i) => {
        const base = genuine[i % genuine.length]!;
        const other = genuine[(i + 1) % genuine.length]!;
        return {
          ...base,
          transaction_status: statuses[i % statuses.length],
          // An id Midtrans does not know, or another payment's genuine one.
          transaction_id: i % 2 === 0 ? randomUUID() : other.transaction_id,
          fraud_status: i % 3 === 0 ? 'accept' : 'challenge',
          settlement_time: `2026-12-02 10:${String(i % 60).padStart(2, '0')}:00`,
          refund_amount: i % 4 === 0 ? base.gross_amount : undefined,
        };
      });
      const answers = await pool(edited, SIZES.webhookConcurrency, (body) => postWebhook(get(), body));
      rec.figure('edited copies of 5 genuine pending notifications', `${k} (status, transaction_id, fraud_status, settlement_time, refund_amount edited)`, 'suite');
      rec.figure('answers', histogramText(statusHistogram(answers)), 'api');

      // The workflows confirm each hint with Midtrans: wait until none has work left, so nothing is still in flight.
      await eventually(
        'the target workflows to finish with every notification',
        () => pool(targets, 5, (id) => stack.temporal.workflow.getHandle(`payment-${id}`).describe()),
        (described) => described.every((d) => (d.raw.pendingActivities ?? []).length === 0 && !d.raw.pendingWorkflowTask),
        300_000,
        500,
      );
      const facts = await pool(targets, 5, (id) => historyFacts(stack, id));
      const rows = await paymentRows(stack, targets);
      const events = await eventRows(stack, targets);
      const transitions = targets.reduce((s, id) => s + (events.get(id) ?? []).filter((e) => e.kind === 'transition').length, 0);
      const atMidtrans = await pool(targets, 5, (id) => callsAbout(get, id));
      const downstream = checkDownstream(stack, [], targets);
      rec.figure('signals the 5 workflows received', facts.reduce((s, f) => s + f.signals, 0), 'temporal');
      rec.figure('payments still pending', `${[...rows.values()].filter((r) => r.status === 'pending').length} of 5`, 'database');
      rec.figure('transitions in their audit log', transitions, 'database');
      rec.figure('refunds at Midtrans for them', atMidtrans.reduce((s, m) => s + m.refunds.length, 0), 'simulator');
      rec.figure('downstream calls for them', downstream.calls, 'receiver');

      // 429: a payment's new notifications past its hourly budget (WEBHOOK_NEW_NOTIFICATIONS_PER_PAYMENT_PER_HOUR).
      expect(answers.every((a) => a.status === 200 || a.status === 503 || a.status === 429)).toBe(true);
      expect([...rows.values()].every((r) => r.status === 'pending')).toBe(true);
      expect(transitions).toBe(0);
      expect(atMidtrans.every((m) => m.status === 'pending' && m.refunds.length === 0)).toBe(true);
      expect(downstream.calls).toBe(0);
      rec.pass();
    });

    it("5g. a settlement re-sent with another payment's transaction_id never redirects a refund", async () => {
      const { stack, api, sim } = get();
      const rec = scenario('webhook-redirect', "A settlement re-sent with another payment's transaction_id (attack 2)");
      const [a, b] = await createCharged(get(), 2, { tag: 'wh-redirect', method: 'gopay', amount: 200_000 });
      for (const id of [a!, b!]) expect((await sim.act(id, 'pay')).status).toBe(200);
      await waitForStatuses(stack, new Map([[a!, 'success'], [b!, 'success']]), 60_000);
      const settlementOfA = await genuineNotification(get, a!, 'settlement');
      const settlementOfB = await genuineNotification(get, b!, 'settlement');
      const k = Math.max(10, Math.floor(SIZES.attackNotifications / 10));
      const resent = Array.from({ length: k }, (_, i) => ({
        ...settlementOfA,
        transaction_id: settlementOfB.transaction_id,
        settlement_time: `2026-12-02 11:${String(i % 60).padStart(2, '0')}:00`,
      }));
      const answers = await pool(resent, SIZES.webhookConcurrency, (body) => postWebhook(get(), body));
      const refund = await api('POST', `/payments/${a}/refund`, { amount: 50_000, reason: 'one seat' });
      const [atA, atB] = await Promise.all([callsAbout(get, a!), callsAbout(get, b!)]);
      const row = (await stack.db.query('select midtrans_transaction_id from payments where id = $1', [a])).rows[0];
      rec.figure("A's settlement re-sent with B's transaction_id", `${k}, answered ${histogramText(statusHistogram(answers))}`, 'api');
      rec.figure('refund of 50,000 on A', `HTTP ${refund.status}`, 'api');
      rec.figure('refunds Midtrans applied to A / to B', `${atA.refunds.length} (${atA.refunds.reduce((s, r) => s + r.amount, 0)} IDR) / ${atB.refunds.length}`, 'simulator');
      rec.figure("A's stored transaction_id is still A's own", String(row?.midtrans_transaction_id === settlementOfA.transaction_id), 'database');

      expect(refund.status).toBe(200);
      expect(atA.refunds.map((r) => r.amount)).toEqual([50_000]);
      expect(atB.refunds).toEqual([]);
      expect(row?.midtrans_transaction_id).toBe(settlementOfA.transaction_id);
      rec.pass();
    });

    it('5h. reformatted copies of one settlement make one signal', async () => {
      const { stack, sim } = get();
      const rec = scenario('webhook-reformatted', 'Reformatted copies of one signed settlement (attack 4)');
      const [id] = await createCharged(get(), 1, { tag: 'wh-reformatted', method: 'gopay' });
      expect((await sim.act(id!, 'pay')).status).toBe(200);
      await waitForStatuses(stack, new Map([[id!, 'success']]), 60_000);
      const before = await historyFacts(stack, id!);
      const settlement = await genuineNotification(get, id!, 'settlement');
      const k = SIZES.attackNotifications;
      const copies = Array.from({ length: k }, (_, i) => {
        const keys = Object.keys(settlement);
        const reordered = Object.fromEntries((i % 2 === 0 ? keys.reverse() : keys).map((key) => [key, settlement[key]]));
        return JSON.stringify(reordered, null, i % 5) + ' '.repeat(i % 7);
      });
      const answers = await pool(copies, SIZES.webhookConcurrency, (body) => postWebhook(get(), body));
      const after = await historyFacts(stack, id!);
      const { rows } = await stack.db.query<{ n: number; duplicates: number }>(
        'select count(*)::int as n, coalesce(sum(duplicate_count), 0)::int as duplicates from webhook_notifications where payment_id = $1',
        [id],
      );
      rec.figure('copies sent (keys reordered, whitespace changed)', k, 'suite');
      rec.figure('answers', histogramText(statusHistogram(answers)), 'api');
      rec.figure('signals added to the workflow by the copies', after.signals - before.signals, 'temporal');
      rec.figure('history events added', after.events - before.events, 'temporal');
      rec.figure('notification rows for the payment / duplicates counted on them', `${rows[0]!.n} / ${rows[0]!.duplicates}`, 'database');

      expect(answers.every((a) => a.status === 200 && a.body?.status === 'duplicate')).toBe(true);
      expect(after.signals - before.signals).toBe(0);
      rec.pass();
    });

    it('5i. unsigned 60 KB requests cost a small record each, never their bodies', async () => {
      const { stack } = get();
      const rec = scenario('webhook-unsigned', 'Unsigned requests with 60 KB bodies (attack 5)');
      const k = SIZES.attackNotifications;
      const startedAt = new Date();
      const size = async () =>
        (await stack.db.query<{ bytes: string }>("select pg_total_relation_size('rejected_notifications')::text as bytes")).rows[0]!.bytes;
      const { rows: before } = await stack.db.query<{ n: number }>('select count(*)::int as n from webhook_notifications');
      const bytesBefore = Number(await size());
      const padding = 'x'.repeat(60 * 1024);
      const bodies = Array.from({ length: k }, (_, i) => ({ order_id: `pay-${randomUUID().replaceAll('-', '')}`, status_code: '200', gross_amount: '1.00', transaction_status: 'settlement', signature_key: `forged-${i}`, padding }));
      const answers = await pool(bodies, SIZES.webhookConcurrency, (body) => postWebhook(get(), body));
      const bytesAfter = Number(await size());
      const { rows: after } = await stack.db.query<{ n: number }>('select count(*)::int as n from webhook_notifications');
      // The records themselves (the table grows by whole 8 KiB pages, so its size says little for a few rows).
      const { rows: records } = await stack.db.query<{ n: number; largest: number | null; total: number | null }>(
        `select count(*)::int as n, max(pg_column_size(r.*))::int as largest, sum(pg_column_size(r.*))::int as total
         from rejected_notifications r where received_at >= $1::timestamp`,
        [startedAt.toISOString().replace('Z', '')],
      );
      rec.figure('unsigned requests of 60 KB', `${k} (${((k * padding.length) / 1024 / 1024).toFixed(1)} MiB of bodies)`, 'suite');
      rec.figure('answers', histogramText(statusHistogram(answers)), 'api');
      rec.figure('records kept / their total size / the largest', `${records[0]!.n} / ${records[0]!.total ?? 0} bytes / ${records[0]!.largest ?? 0} bytes`, 'database');
      rec.figure('growth of rejected_notifications on disk (with indexes, whole pages)', `${bytesAfter - bytesBefore} bytes`, 'database');
      rec.figure('rows added to webhook_notifications', after[0]!.n - before[0]!.n, 'database');

      expect(answers.every((a) => a.status === 401)).toBe(true);
      expect(after[0]!.n).toBe(before[0]!.n);
      expect(records[0]!.largest ?? 0).toBeLessThan(1024);
      expect(records[0]!.total ?? 0).toBeLessThan(k * 1024);
      rec.pass();
    });
  });
}
