import { describe, expect, it } from 'vitest';
import { SEED, SIZES } from '../support/config';
import { describeAnswer, histogramText, statusHistogram, type ChaosContext } from '../support/context';
import { eventually, pool } from '../../support/fixtures';
import { chargeCheck, expectedDownstreamKeys, paymentBody, prng, waitForDownstream, waitForStatuses } from '../support/helpers';
import { scenario } from '../support/results';
import { diffCounts } from '../../../scripts/local-stack/midtrans-simulator';

/** Core API methods the customer can pay from the simulator's control API, with their bank where needed. */
const METHOD_MIX = [
  { method: 'bank_transfer', bank: 'bca' },
  { method: 'bank_transfer', bank: 'bni' },
  { method: 'bank_transfer', bank: 'bri' },
  { method: 'bank_transfer', bank: 'mandiri' },
  { method: 'bank_transfer', bank: 'cimb' },
  { method: 'gopay' },
  { method: 'qris' },
  { method: 'shopeepay' },
  { method: 'indomaret' },
  { method: 'alfamart' },
] as const;

export const GATEWAY_FAULTS = { apiErrorRate: 0.15, apiTimeoutRate: 0.05, ambiguousRate: 0.1 } as const;

/**
 * 4. Midtrans answers 30% of calls badly: 15% 500/503 (nothing applied), 5% hang until the client gives up, and for
 * mutations another 10% are applied and then answered 500 or cut (the ambiguous case). Seeded. Under these faults
 * the payments are created, paid, confirmed and (the refundable ones) refunded.
 */
export function gatewayFaultsScenario(get: () => ChaosContext) {
  describe('4. Midtrans 5xx / timeouts / ambiguous answers on 30% of calls', () => {
    it('every payment settles, zero double charges, zero double refunds', async () => {
      const { stack, api, sim } = get();
      const rec = scenario('gateway-faults', 'Midtrans failing 30% of calls (5xx, timeouts, ambiguous mutations)');
      rec.note(
        'Phase 1: the 30% mix on every call. Phase 2: every charge and refund is applied, then answered 500 or cut (ambiguousRate 1). The Midtrans call counts cover both phases.',
      );
      const n = SIZES.paymentsPerScenario;
      const random = prng(SEED + 4);
      const before = stack.sim.counts();
      await sim.faults({ ...GATEWAY_FAULTS, seed: SEED });
      rec.figure('fault configuration', JSON.stringify({ ...GATEWAY_FAULTS, seed: SEED }), 'simulator');
      try {
        const plan = Array.from({ length: n }, () => METHOD_MIX[Math.floor(random() * METHOD_MIX.length)]!);
        const created = await pool(plan, 10, (m) =>
          api('POST', '/payments', paymentBody({ tag: 'gf', ...m, amount: 200_000 }), {}, 300_000),
        );
        rec.figure('POST /payments answers under faults', histogramText(statusHistogram(created)), 'api');
        for (const answer of created) expect([201, 202], describeAnswer(answer)).toContain(answer.status);
        const ids = created.map((a) => a.body.payment_id as string);
        await eventually(
          'every order to exist at Midtrans',
          () => chargeCheck(sim, ids),
          (c) => c.neverCharged.length === 0,
          300_000,
          1_000,
        );
        for (const id of ids) expect((await sim.act(id, 'pay')).status).toBe(200);
        const rows = await waitForStatuses(stack, new Map(ids.map((id) => [id, 'success'])), 420_000);
        rec.figure(
          'phase 1 payments',
          `${n} (${[...new Set(plan.map((m) => ('bank' in m ? `${m.method}/${m.bank}` : m.method)))].length} method/bank kinds)`,
          'suite',
        );
        rec.figure('payments settled (success)', `${[...rows.values()].filter((r) => r.status === 'success').length} of ${n}`, 'database');

        // Refunds under the same faults: partial for GoPay / QRIS, full for ShopeePay (its only kind).
        const refundable = ids.filter((_, i) => ['gopay', 'qris', 'shopeepay'].includes(plan[i]!.method));
        const refundAmount = (id: string) => (plan[ids.indexOf(id)]!.method === 'shopeepay' ? 200_000 : 50_000);
        const refunds = await pool(refundable, 6, (id) =>
          api('POST', `/payments/${id}/refund`, { amount: refundAmount(id), reason: 'chaos: faults' }, {}, 300_000),
        );
        rec.figure('refund requests under faults', histogramText(statusHistogram(refunds)), 'api');
        for (const answer of refunds) expect(answer.status, describeAnswer(answer)).toBe(200);

        // Phase 2: every charge, then every refund, applied and then answered 500 or cut (ambiguousRate 1), for sure.
        const beforePhase2 = stack.sim.counts();
        const m = SIZES.paymentsPerScenario >= 100 ? 10 : 3;
        await sim.faults({ ambiguousRate: 1, seed: SEED });
        const ambiguousCreates = await pool(Array.from({ length: m }), m, () =>
          api('POST', '/payments', paymentBody({ tag: 'gf-amb', method: 'gopay', amount: 200_000 }), {}, 300_000),
        );
        for (const answer of ambiguousCreates) expect([201, 202], describeAnswer(answer)).toContain(answer.status);
        const ambiguous = ambiguousCreates.map((a) => a.body.payment_id as string);
        // A charge retry asks for the status first (not a mutation, so it is answered), so charges resolve under the fault.
        await eventually(
          'the ambiguous charges to be resolved',
          () => chargeCheck(sim, ambiguous),
          (c) => c.neverCharged.length === 0,
          120_000,
          1_000,
        );
        await sim.faults({});
        for (const id of ambiguous) expect((await sim.act(id, 'pay')).status).toBe(200);
        await waitForStatuses(stack, new Map(ambiguous.map((id) => [id, 'success'])), 180_000);
        // A refund retry resends the same refund_key: it can only succeed once Midtrans answers again, so the fault is
        // lifted as soon as every refund has been applied (and answered badly) once.
        await sim.faults({ ambiguousRate: 1, seed: SEED });
        const refunding = ambiguous.map((id) =>
          api('POST', `/payments/${id}/refund`, { amount: 50_000, reason: 'chaos: ambiguous' }, {}, 300_000),
        );
        try {
          await eventually(
            'every refund to be applied at Midtrans under the fault',
            () => pool(ambiguous, 4, async (id) => ((await sim.transaction(id))?.transaction?.refunds ?? []).length as number),
            (counts) => counts.every((c) => c >= 1),
            120_000,
            100,
          );
        } finally {
          await sim.faults({});
        }
        const ambiguousRefunds = await Promise.all(refunding);
        for (const answer of ambiguousRefunds) expect(answer.status, describeAnswer(answer)).toBe(200);
        const ambiguousCharges = await chargeCheck(sim, ambiguous);
        const ambiguousRefundLists = await pool(
          ambiguous,
          4,
          async (id) => ((await sim.transaction(id))?.transaction?.refunds ?? []) as unknown[],
        );
        const phase2 = diffCounts(stack.sim.counts(), beforePhase2);
        rec.figure(
          'phase 2 (ambiguousRate 1): payments / charges answered ambiguously / charges applied',
          `${m} / ${phase2.charge.ambiguous} / ${ambiguousCharges.applied}`,
          'simulator',
        );
        rec.figure(
          'phase 2: refund requests / refund calls answered ambiguously / refunds applied at Midtrans',
          `${m} / ${phase2.refund.ambiguous} / ${ambiguousRefundLists.reduce((s, l) => s + l.length, 0)}`,
          'simulator',
        );
        expect(phase2.charge.ambiguous).toBeGreaterThanOrEqual(m);
        expect(phase2.refund.ambiguous).toBeGreaterThanOrEqual(m);
        expect(ambiguousCharges.applied).toBe(m);
        expect(ambiguousRefundLists.every((l) => l.length === 1)).toBe(true);

        const counts = diffCounts(stack.sim.counts(), before);
        const line = (kind: keyof typeof counts) => {
          const c = counts[kind];
          return `${c.ok + c.error + c.timeout + c.ambiguous} calls: ${c.error} 5xx, ${c.timeout} hung until the client gave up, ${c.ambiguous} applied-then-failed`;
        };
        rec.figure('POST /v2/charge', line('charge'), 'simulator');
        rec.figure('GET /v2/{id}/status', line('status'), 'simulator');
        rec.figure('POST /v2/{id}/refund', line('refund'), 'simulator');
        const total = Object.values(counts).reduce((s, c) => s + c.ok + c.error + c.timeout + c.ambiguous, 0);
        const faulted = Object.values(counts).reduce((s, c) => s + c.error + c.timeout + c.ambiguous, 0);
        rec.figure(
          'Midtrans API calls answered badly',
          `${faulted} of ${total} (${((100 * faulted) / Math.max(total, 1)).toFixed(1)}%)`,
          'simulator',
        );

        const charges = await chargeCheck(sim, ids);
        rec.figure('charges applied at Midtrans', `${charges.applied} for ${n} payments`, 'simulator');
        rec.figure('charge requests received (errored and timed-out requests included)', charges.received, 'simulator');
        rec.figure('payments charged twice', charges.doubleCharged.length, 'simulator');

        let doubleRefunds = 0;
        let refundsAtMidtrans = 0;
        let refundedAtMidtrans = 0;
        for (const id of refundable) {
          const tx = await sim.transaction(id);
          const list = (tx?.transaction?.refunds ?? []) as { refund_amount: string }[];
          if (list.length !== 1) doubleRefunds += Math.max(0, list.length - 1);
          refundsAtMidtrans += list.length;
          refundedAtMidtrans += list.reduce((s, r) => s + Number(r.refund_amount), 0);
          expect(list, `${id}: exactly one refund at Midtrans`).toHaveLength(1);
          expect(Number(list[0]!.refund_amount)).toBe(refundAmount(id));
        }
        const asked = refundable.reduce((s, id) => s + refundAmount(id), 0);
        rec.figure('phase 1 refunds applied at Midtrans', `${refundsAtMidtrans} for ${refundable.length} requests`, 'simulator');
        rec.figure('IDR refunded at Midtrans / asked for', `${refundedAtMidtrans} / ${asked}`, 'simulator');
        rec.figure('double refunds', doubleRefunds, 'simulator');

        const after = await waitForStatuses(
          stack,
          new Map(
            ids.map((id) => [id, refundable.includes(id) ? (refundAmount(id) === 200_000 ? 'refunded' : 'partially_refunded') : 'success']),
          ),
          120_000,
          'refunded payments to show it',
        );
        const keys = ids.flatMap((id) =>
          expectedDownstreamKeys(id, after.get(id)!.status, after.get(id)!.user_id, refundable.includes(id) ? 1 : 0),
        );
        const downstream = await waitForDownstream(stack, keys, ids, 180_000);
        rec.figure('downstream events expected / delivered', `${downstream.expectedEvents} / ${downstream.deliveredEvents}`, 'receiver');

        expect(charges.applied).toBe(n);
        expect(charges.doubleCharged).toEqual([]);
        expect(doubleRefunds).toBe(0);
        expect(refundedAtMidtrans).toBe(asked);
        expect(faulted).toBeGreaterThan(0);
        expect(downstream.inconsistentKeys).toEqual([]);
        rec.pass();
      } finally {
        await sim.faults({});
      }
    });
  });
}
