import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { midtransSignature } from '../../../src/midtrans/signature';
import { SERVER_KEY, SIZES } from '../support/config';
import { createCharged, histogramText, statusHistogram, type ChaosContext } from '../support/context';
import { eventually, pool } from '../../support/fixtures';
import {
  checkDownstream,
  eventRows,
  expectedDownstreamKeys,
  historyFacts,
  paymentRows,
  waitUntilAtRest,
  waitForDownstream,
  waitForStatuses,
  type HttpAnswer,
} from '../support/helpers';
import { scenario } from '../support/results';
import { postWebhook } from '../support/context';

/* eslint-disable @typescript-eslint/no-explicit-any -- the simulator's JSON records */

type Notification = Record<string, unknown>;

/** Deliveries the simulator recorded for a transaction's notifications, optionally only one transaction_status. */
function deliveriesOf(tx: any, status?: string): { state: string; attempts: { at: string; status?: number }[]; body: any }[] {
  return (tx?.notifications ?? [])
    .filter((n: any) => status === undefined || n.body.transaction_status === status)
    .flatMap((n: any) => n.deliveries.map((d: any) => ({ ...d, body: n.body })));
}

/**
 * 5. Webhook abuse: forged signatures, mass redelivery of one settlement, notifications out of order (settlement
 * before pending), amount mismatches, and notifications dropped entirely (5e, checked at the end of the run).
 */
export function webhookAbuseScenario(get: () => ChaosContext) {
  describe('5. webhook abuse', () => {
    it('5a. forged signatures change nothing', async () => {
      const { stack, sim } = get();
      const rec = scenario('webhook-forged', 'Forged webhook signatures');
      const k = SIZES.forgedNotifications;
      const targets = await createCharged(get(), SIZES.forgedNotifications >= 100 ? 5 : 2, {
        tag: 'wh-forged',
        method: 'bank_transfer',
        bank: 'bca',
      });
      const txs = await pool(targets, 4, (id) => sim.transaction(id));
      const kinds = ['random', 'wrong-key', 'flipped', 'missing', 'amount-tampered'] as const;
      const forged = Array.from({ length: k }, (_, i) => {
        const tx = txs[i % txs.length]!.transaction;
        const kind = kinds[i % kinds.length]!;
        const status = ['settlement', 'capture', 'deny', 'cancel', 'expire', 'refund'][i % 6]!;
        const statusCode = status === 'settlement' || status === 'capture' || status === 'refund' ? '200' : '202';
        const gross = tx.gross_amount as string;
        const base: Notification = {
          transaction_time: tx.transaction_time,
          transaction_status: status,
          transaction_id: tx.transaction_id,
          status_message: 'midtrans payment notification',
          status_code: statusCode,
          payment_type: tx.payment_type,
          order_id: tx.order_id,
          merchant_id: tx.merchant_id,
          gross_amount: gross,
          fraud_status: 'accept',
          currency: 'IDR',
        };
        const right = midtransSignature(tx.order_id, statusCode, gross, SERVER_KEY);
        switch (kind) {
          case 'random':
            return { ...base, signature_key: randomBytes(64).toString('hex') };
          case 'wrong-key':
            return { ...base, signature_key: midtransSignature(tx.order_id, statusCode, gross, 'SB-Mid-server-an-attacker') };
          case 'flipped':
            return { ...base, signature_key: `${right.slice(0, 20)}${right[20] === 'a' ? 'b' : 'a'}${right.slice(21)}` };
          case 'missing':
            return base;
          case 'amount-tampered':
            return { ...base, gross_amount: '1.00', signature_key: right };
        }
      });
      const answers = await pool(forged, SIZES.webhookConcurrency, (body) => postWebhook(get(), body));
      rec.figure('forged notifications sent (random, other key, one digit flipped, missing, amount changed after signing)', k, 'suite');
      rec.figure('answers', histogramText(statusHistogram(answers)), 'api');

      // Validly signed but with transaction_status changed (Midtrans's signature does not cover it): the workflow
      // confirms with the status API before acting, so this changes nothing either.
      const tampered = targets.map((id, i) => {
        const genuine = deliveriesOf(txs[i], 'pending')[0]!.body;
        return { ...genuine, transaction_status: 'settlement', order_id: id };
      });
      const tamperedAnswers = await pool(tampered, 4, (body) => postWebhook(get(), body));
      rec.figure(
        'validly signed notifications with transaction_status changed to settlement',
        `${tampered.length}, answered ${histogramText(statusHistogram(tamperedAnswers))}`,
        'api',
      );

      // Every signal was in the workflow's history before its webhook answered: once each workflow has handled all
      // of them (their status look-ups closed), anything they could change has been recorded.
      await waitUntilAtRest(stack, targets, 60_000);
      const rows = await paymentRows(stack, targets);
      const events = await eventRows(stack, targets);
      const transitions = targets.reduce((s, id) => s + (events.get(id) ?? []).filter((e) => e.kind === 'transition').length, 0);
      const facts = await pool(targets, 4, (id) => historyFacts(stack, id));
      const genuineDelivered = (await pool(targets, 4, (id) => sim.transaction(id))).reduce(
        (s, tx) => s + deliveriesOf(tx).filter((d) => d.state === 'delivered').length,
        0,
      );
      const signals = facts.reduce((s, f) => s + f.signals, 0);
      const downstream = checkDownstream(stack, [], targets);
      const atMidtrans = await pool(targets, 4, async (id) => (await sim.transaction(id))?.transaction?.transaction_status);
      rec.figure(
        'target payments still pending',
        `${[...rows.values()].filter((r) => r.status === 'pending').length} of ${targets.length}`,
        'database',
      );
      rec.figure('transitions in their audit log', transitions, 'database');
      rec.figure(
        'signals their workflows received (genuine deliveries + validly signed tampered ones)',
        `${signals} (≤ ${genuineDelivered} + ${tampered.length})`,
        'temporal',
      );
      rec.figure('downstream calls for them', downstream.calls, 'receiver');

      expect(answers.every((a) => a.status === 401 && a.body?.error?.code === 'INVALID_SIGNATURE')).toBe(true);
      expect(tamperedAnswers.every((a) => a.status === 200)).toBe(true);
      expect([...rows.values()].every((r) => r.status === 'pending')).toBe(true);
      expect(atMidtrans.every((s) => s === 'pending')).toBe(true);
      expect(transitions).toBe(0);
      expect(signals).toBeLessThanOrEqual(genuineDelivered + tampered.length);
      expect(downstream.calls).toBe(0);
      rec.pass();
    });

    it('5b. redeliveries of one settlement make one transition', async () => {
      const { stack, sim } = get();
      const rec = scenario('webhook-duplicates', 'Duplicate deliveries of one settlement');
      const k = SIZES.duplicateDeliveries;
      const [id] = await createCharged(get(), 1, { tag: 'wh-dup', method: 'gopay' });
      expect((await sim.act(id!, 'pay')).status).toBe(200);
      // Midtrans redelivers the same bytes (the simulator's "notify" re-sends the last notification), racing the first.
      const batch = SIZES.webhookConcurrency;
      for (let sent = 0; sent < k; sent += batch) {
        const resends = await pool(Array.from({ length: Math.min(batch, k - sent) }), batch, () => sim.act(id!, 'notify'));
        expect(resends.every((r) => r.status === 200)).toBe(true);
        await eventually(
          'the redeliveries of this batch to finish',
          async () => deliveriesOf(await sim.transaction(id!), 'settlement'),
          (list) => list.length >= sent + resends.length + 1 && list.every((d) => d.state === 'delivered' || d.state === 'failed'),
          120_000,
          100,
        );
      }
      await waitForStatuses(stack, new Map([[id!, 'success']]), 60_000);
      await waitUntilAtRest(stack, [id!], 60_000);
      const tx = await sim.transaction(id!);
      const settlement = deliveriesOf(tx, 'settlement');
      const attempts = settlement.flatMap((d) => d.attempts);
      const events = (await eventRows(stack, [id!])).get(id!)!;
      const transitions = events.filter((e) => e.kind === 'transition');
      const facts = await historyFacts(stack, id!);
      const rows = await paymentRows(stack, [id!]);
      const downstream = await waitForDownstream(stack, expectedDownstreamKeys(id!, 'success', rows.get(id!)!.user_id), [id!], 60_000);
      rec.figure(
        'settlement notifications delivered (1 + redeliveries)',
        `${settlement.filter((d) => d.state === 'delivered').length} of ${k + 1}`,
        'simulator',
      );
      rec.figure(
        'webhook answers to them',
        histogramText(statusHistogram(attempts.map((a) => ({ status: a.status ?? 0, body: null }) as HttpAnswer))),
        'simulator',
      );
      rec.figure(
        'signals that reached the workflow (the API drops byte-identical redeliveries it already signalled)',
        facts.signals,
        'temporal',
      );
      rec.figure('transitions', transitions.map((t) => `${t.from_status} → ${t.to_status} (${t.source})`).join(', '), 'database');
      rec.figure('downstream calls (2 events: transaction service, user service)', downstream.calls, 'receiver');

      expect(settlement.every((d) => d.state === 'delivered')).toBe(true);
      expect(transitions).toHaveLength(1);
      expect(transitions[0]).toMatchObject({ from_status: 'pending', to_status: 'success' });
      expect(downstream.calls).toBe(downstream.expectedEvents);
      expect(downstream.unexpected).toEqual([]);
      rec.pass();
    });

    it('5c. settlement delivered before pending: the payment stays success', async () => {
      const { stack, sim } = get();
      const rec = scenario('webhook-out-of-order', 'Notifications out of order (settlement, then pending)');
      const m = SIZES.forgedNotifications >= 100 ? 10 : 3;
      // The simulator holds every notification for 5 s, then sends what it held newest first.
      await sim.faults({ notificationReorder: true, notificationDelayMs: 5_000 });
      let ids: string[];
      try {
        ids = await createCharged(get(), m, { tag: 'wh-order', method: 'qris' }, m);
        for (const id of ids) expect((await sim.act(id, 'pay')).status).toBe(200);
        await eventually(
          'the held notifications to be delivered',
          () => pool(ids, 4, (id) => sim.transaction(id)),
          (txs) => txs.every((tx) => deliveriesOf(tx).length >= 2 && deliveriesOf(tx).every((d) => d.state === 'delivered')),
          60_000,
        );
      } finally {
        await sim.faults({});
      }
      await waitForStatuses(stack, new Map(ids.map((id) => [id, 'success'])), 60_000);
      await waitUntilAtRest(stack, ids, 60_000);
      const txs = await pool(ids, 4, (id) => sim.transaction(id));
      const reversed = txs.filter((tx) => {
        const first = (status: string) => Date.parse(deliveriesOf(tx, status)[0]?.attempts[0]?.at ?? '');
        return first('settlement') < first('pending');
      }).length;
      const events = await eventRows(stack, ids);
      const rows = await paymentRows(stack, ids);
      const stale = ids.filter((id) =>
        (events.get(id) ?? []).some(
          // Stale when it came after the settlement was confirmed; a duplicate of the payment's own pending when both
          // reached the workflow in one batch, before the confirmation. Either way ignored, and on the audit trail.
          (e) => e.kind === 'notification_ignored' && ['stale', 'duplicate'].includes(e.detail?.reason) && e.detail?.transaction_status === 'pending',
        ),
      ).length;
      rec.figure('payments whose settlement webhook arrived before their pending webhook', `${reversed} of ${m}`, 'simulator');
      rec.figure(
        'payments still success after the late pending',
        `${[...rows.values()].filter((r) => r.status === 'success').length} of ${m}`,
        'database',
      );
      rec.figure('late pending notifications recorded as ignored (stale, or duplicate when batched with the settlement)', stale, 'database');

      expect(reversed).toBe(m);
      expect([...rows.values()].every((r) => r.status === 'success')).toBe(true);
      expect(stale).toBe(m);
      rec.pass();
    });

    it('5d. an amount mismatch is rejected and recorded', async () => {
      const { stack, sim } = get();
      const rec = scenario('webhook-amount-mismatch', 'Amount mismatch in a validly signed notification');
      const m = SIZES.forgedNotifications >= 100 ? 5 : 2;
      const ids = await createCharged(get(), m, { tag: 'wh-amount', method: 'bank_transfer', bank: 'bni', amount: 300_000 });
      const answers = await pool(ids, 4, async (id) => {
        const tx = (await sim.transaction(id)).transaction;
        const gross = '290000.00';
        return postWebhook(get(), {
          transaction_time: tx.transaction_time,
          transaction_status: 'settlement',
          transaction_id: tx.transaction_id,
          status_code: '200',
          payment_type: tx.payment_type,
          order_id: id,
          gross_amount: gross,
          fraud_status: 'accept',
          currency: 'IDR',
          signature_key: midtransSignature(id, '200', gross, SERVER_KEY),
        });
      });
      const rejected = await eventually(
        'the mismatches to be recorded',
        () => eventRows(stack, ids),
        (ev) => ids.every((id) => (ev.get(id) ?? []).some((e) => e.kind === 'notification_rejected')),
        60_000,
      );
      const rows = await paymentRows(stack, ids);
      const stored = await stack.db.query<{ n: string }>(
        "select count(*) as n from webhook_notifications where payment_id = any($1) and gross_amount = '290000.00'",
        [ids],
      );
      rec.figure(
        'settlement notifications for 290000.00 on 300000 payments (validly signed)',
        `${m}, answered ${histogramText(statusHistogram(answers))}`,
        'api',
      );
      rec.figure(
        'recorded as notification_rejected (amount_mismatch)',
        ids.filter((id) => rejected.get(id)!.some((e) => e.kind === 'notification_rejected' && e.detail?.reason === 'amount_mismatch'))
          .length,
        'database',
      );
      rec.figure('stored with the payment (notifications)', Number(stored.rows[0]!.n), 'database');
      rec.figure('payments still pending', `${[...rows.values()].filter((r) => r.status === 'pending').length} of ${m}`, 'database');
      rec.figure('downstream calls for them', checkDownstream(stack, [], ids).calls, 'receiver');
      expect([...rows.values()].every((r) => r.status === 'pending')).toBe(true);
      expect(checkDownstream(stack, [], ids).calls).toBe(0);

      // The real payment still goes through afterwards.
      for (const id of ids) expect((await sim.act(id, 'pay')).status).toBe(200);
      await waitForStatuses(stack, new Map(ids.map((id) => [id, 'success'])), 60_000);
      rec.figure('then paid for real: success', `${m} of ${m}`, 'database');
      rec.pass();
    });
  });
}

// 5e. Notifications dropped entirely --------------------------------------------------------------------------------

let dropped: { ids: string[]; paidAt: number } | undefined;

/** Started first thing in the run: the workflow reconciles 1 minute after its start, so the check comes last. */
export async function startDroppedNotifications(ctx: ChaosContext): Promise<void> {
  const ids = await createCharged(ctx, SIZES.droppedPayments, { tag: 'wh-dropped', method: 'gopay' });
  await ctx.sim.faults({ notificationDropRate: 1 });
  try {
    for (const id of ids) expect((await ctx.sim.act(id, 'pay')).status).toBe(200);
  } finally {
    await ctx.sim.faults({});
  }
  dropped = { ids, paidAt: Date.now() };
}

export function droppedNotificationsCheck(get: () => ChaosContext) {
  describe('5e. notifications dropped entirely', () => {
    it('reconciliation (status polling 1 minute after the charge) still settles the payments', async () => {
      const { stack, sim } = get();
      const rec = scenario('webhook-dropped', 'Notifications dropped entirely (notificationDropRate 1)');
      if (!dropped) throw new Error('the dropped-notification payments were not started');
      const { ids, paidAt } = dropped;
      const txs = await pool(ids, 4, (id) => sim.transaction(id));
      const settlementDropped = txs.filter((tx) =>
        (tx?.notifications ?? []).some((n: any) => n.body.transaction_status === 'settlement' && n.dropped),
      ).length;
      const settlementSent = txs.reduce((s, tx) => s + deliveriesOf(tx, 'settlement').length, 0);
      rec.figure(
        'payments paid at Midtrans with the settlement notification dropped',
        `${settlementDropped} of ${ids.length}`,
        'simulator',
      );
      rec.figure('settlement notifications Midtrans sent for them', settlementSent, 'simulator');
      const rows = await waitForStatuses(
        stack,
        new Map(ids.map((id) => [id, 'success'])),
        180_000,
        'reconciliation to settle the dropped payments',
      );
      const events = await eventRows(stack, ids);
      const byReconciliation = ids.filter((id) =>
        (events.get(id) ?? []).some((e) => e.kind === 'transition' && e.to_status === 'success' && e.source === 'reconciliation'),
      );
      const { rows: timing } = await stack.db.query<{ s: number }>(
        "select extract(epoch from max(e.occurred_at - p.created_at))::float8 as s from payment_events e join payments p on p.id = e.payment_id where e.payment_id = any($1) and e.kind = 'transition'",
        [ids],
      );
      rec.figure('settled by reconciliation (audit source "reconciliation")', `${byReconciliation.length} of ${ids.length}`, 'database');
      rec.figure(
        'latest settlement after the workflow started',
        `${timing[0]?.s?.toFixed(1)} s (paid ${((paidAt - Date.now()) / -1000).toFixed(0)} s before this check)`,
        'database',
      );
      const keys = ids.flatMap((id) => expectedDownstreamKeys(id, 'success', rows.get(id)!.user_id));
      const downstream = await waitForDownstream(stack, keys, ids, 120_000);
      rec.figure('downstream events expected / delivered', `${downstream.expectedEvents} / ${downstream.deliveredEvents}`, 'receiver');
      rec.note(
        'These payments are started first thing in the run and checked last, so the other scenarios run during their one-minute wait (and some of their chaos too).',
      );

      expect(settlementDropped).toBe(ids.length);
      expect(settlementSent).toBe(0);
      expect(byReconciliation).toHaveLength(ids.length);
      rec.pass();
    });
  });
}
