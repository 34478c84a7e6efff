import { describe, expect, it } from 'vitest';
import { SEED, SIZES } from '../support/config';
import { createCharged, describeAnswer, histogramText, statusHistogram, type ChaosContext } from '../support/context';
import { expectedDownstreamKeys, prng, waitForDownstream, waitForStatuses } from '../support/helpers';
import { scenario } from '../support/results';

const PAID = 1_000_000;

/**
 * 6. Money under concurrency: R refund requests at once on one GoPay payment of 1,000,000 IDR whose amounts add up
 * to far more than was paid. Whatever the interleaving, no more than was paid is refunded, every 200 answer is a
 * state the payment really went through, and Midtrans's own refund list says the same.
 */
export function concurrentRefundsScenario(get: () => ChaosContext) {
  describe('6. concurrent refunds on one payment', () => {
    it('never refunds more than was paid; every 200 is consistent with the final state; Midtrans agrees', async () => {
      const { stack, api, sim } = get();
      const rec = scenario('concurrent-refunds', 'Concurrent refunds on one payment, asking for more than was paid');
      const r = SIZES.concurrentRefunds;
      const random = prng(SEED + 6);
      const amounts = Array.from({ length: r }, () => (20 + Math.floor(random() * 71)) * 1_000);
      while (amounts.reduce((s, a) => s + a, 0) <= PAID) amounts[amounts.indexOf(Math.min(...amounts))]! += 50_000;
      const asked = amounts.reduce((s, a) => s + a, 0);

      const [id] = await createCharged(get(), 1, { tag: 'refunds', method: 'gopay', amount: PAID });
      expect((await sim.act(id!, 'pay')).status).toBe(200);
      await waitForStatuses(stack, new Map([[id!, 'success']]), 60_000);

      const answers = await Promise.all(
        amounts.map((amount, i) => api('POST', `/payments/${id}/refund`, { amount, reason: `chaos refund ${i + 1}` }, {}, 300_000)),
      );
      const ok = answers.map((a, i) => ({ answer: a, amount: amounts[i]! })).filter(({ answer }) => answer.status === 200);
      const refused = answers.filter((a) => a.status !== 200);
      const refundedOk = ok.reduce((s, o) => s + o.amount, 0);
      rec.figure('refund requests sent at once', `${r}, asking for ${asked} IDR in total on a ${PAID} IDR payment`, 'suite');
      rec.figure('answers', histogramText(statusHistogram(answers)), 'api');
      rec.figure('refusal codes', [...new Set(refused.map((a) => a.body?.error?.code ?? `HTTP ${a.status}`))].join(', ') || '-', 'api');
      rec.figure('IDR refunded by the requests answered 200', refundedOk, 'api');

      // Midtrans's own record of the order.
      const tx = (await sim.transaction(id!)).transaction;
      const atMidtrans = ((tx.refunds ?? []) as { refund_amount: string; refund_key: string }[]).map((x) => ({
        amount: Number(x.refund_amount),
        key: x.refund_key,
      }));
      const refundedAtMidtrans = atMidtrans.reduce((s, x) => s + x.amount, 0);
      rec.figure(
        'refunds at Midtrans',
        `${atMidtrans.length} (${new Set(atMidtrans.map((x) => x.key)).size} distinct refund_key), ${refundedAtMidtrans} IDR, status ${tx.transaction_status}`,
        'simulator',
      );

      // The read model once the workflow has written its last refund.
      const finalStatus = refundedOk === PAID ? 'refunded' : 'partially_refunded';
      const rows = await waitForStatuses(stack, new Map([[id!, finalStatus]]), 60_000);
      const row = rows.get(id!)!;
      const { rows: dbRefunds } = await stack.db.query<{ refund_key: string; amount: number }>(
        'select refund_key, amount::float8 as amount from refunds where payment_id = $1',
        [id],
      );
      const order = (key: string) => Number(/-r(\d+)$/.exec(key)?.[1] ?? NaN); // refund_key = <payment id>-r<sequence>
      dbRefunds.sort((a, b) => order(a.refund_key) - order(b.refund_key));
      rec.figure('final state', `${row.status}, refunded_amount ${row.refunded_amount} IDR, ${dbRefunds.length} refunds`, 'database');

      // Every 200 answer is a prefix of the final refund list: its refunded_amount is the running total at some
      // position k, the refund at k has this request's amount, and no two answers claim the same position.
      const prefix: number[] = [];
      dbRefunds.reduce((s, x) => (prefix.push(s + x.amount), s + x.amount), 0);
      const positions = ok.map(({ answer, amount }) => {
        const k = prefix.indexOf(answer.body.refunded_amount);
        return {
          k,
          matches: k >= 0 && dbRefunds[k]!.amount === amount,
          statusOk: answer.body.status === (answer.body.refunded_amount === PAID ? 'refunded' : 'partially_refunded'),
        };
      });
      const inconsistent = positions.filter((p) => !p.matches || !p.statusOk).length;
      rec.figure('200 answers inconsistent with the final refund list', inconsistent, 'database');

      const refundKeys = dbRefunds.length;
      const keys = expectedDownstreamKeys(id!, 'success', row.user_id, refundKeys);
      const downstream = await waitForDownstream(stack, keys, [id!], 120_000);
      rec.figure(
        'downstream events expected / delivered (success + one per refund, both services)',
        `${downstream.expectedEvents} / ${downstream.deliveredEvents}`,
        'receiver',
      );
      const refundBodies = stack.receiver.calls.filter(
        (c) =>
          c.path === '/transactions/payments/notify' &&
          (c.body as { payment_id?: string }).payment_id === id &&
          c.idempotencyKey?.includes(':refund-'),
      );
      const notifiedTotal = [
        ...new Map(refundBodies.map((c) => [c.idempotencyKey, (c.body as { refund_amount: number }).refund_amount])).values(),
      ].reduce((s, a) => s + a, 0);
      rec.figure('IDR of refunds the transaction service was told about', notifiedTotal, 'receiver');

      for (const a of refused) {
        expect(a.status, describeAnswer(a)).toBeLessThan(500);
        expect(['REFUND_EXCEEDS_REMAINING', 'INVALID_STATE']).toContain(a.body?.error?.code);
      }
      expect(refundedOk).toBeLessThanOrEqual(PAID);
      expect(refundedAtMidtrans).toBe(refundedOk);
      expect(atMidtrans).toHaveLength(ok.length);
      expect(new Set(atMidtrans.map((x) => x.key)).size).toBe(atMidtrans.length);
      expect(row.refunded_amount).toBe(refundedOk);
      expect(dbRefunds).toHaveLength(ok.length);
      expect(inconsistent).toBe(0);
      expect(new Set(positions.map((p) => p.k)).size).toBe(ok.length);
      expect(notifiedTotal).toBe(refundedOk);
      rec.pass();
    });
  });
}
