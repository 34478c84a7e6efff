import { describe, expect, it } from 'vitest';
import { SIZES } from '../support/config';
import { createCharged, describeAnswer, histogramText, statusHistogram, type ChaosContext } from '../support/context';
import { eventually, pool, sleep } from '../../support/fixtures';
import {
  chargeCheck,
  expectedDownstreamKeys,
  expectedStatusFor,
  historyFacts,
  paymentBody,
  waitForDownstream,
  waitForStatuses,
} from '../support/helpers';
import { scenario } from '../support/results';

/**
 * 1. The worker is SIGKILLed with N payments in flight, then started again:
 *  - A: creates whose charge is in flight at the kill (the kill comes once some of their charges reached Midtrans);
 *  - B: charged and waiting for the customer; while the worker is dead half are paid at Midtrans, half canceled
 *    through the API (the cancel update waits for a worker);
 *  - C: paid before the kill, with the downstream services answering 503 to the first two attempts of every call,
 *    so their notifications are between retries when the worker dies.
 * Counted from the simulator (charges, statuses) and the downstream receiver (deliveries, bodies).
 */
export function workerKillScenario(get: () => ChaosContext) {
  describe('1. worker SIGKILLed with payments in flight', () => {
    it('every payment reaches its final state, one charge each, every downstream event delivered with a stable body', async () => {
      const { stack, api, sim } = get();
      const rec = scenario('worker-kill', 'Worker killed with SIGKILL while payments are in flight');
      const n = SIZES.paymentsPerScenario;
      const nA = Math.round(n * 0.4);
      const nB = Math.round(n * 0.3);
      const nC = n - nA - nB;
      stack.receiver.respondWith((_path, attempt) => (attempt <= 2 ? 503 : 200));
      try {
        // C: paid, downstream notifications failing and being retried.
        const C = await createCharged(get(), nC, { tag: 'wk-c', method: 'gopay' });
        for (const id of C) expect((await sim.act(id, 'pay')).status).toBe(200);
        await eventually(
          'a first (failed) downstream attempt for every C payment',
          async () => new Set(stack.receiver.calls.map((c) => c.idempotencyKey)),
          (keys) => C.every((id) => keys.has(`${id}:success:transaction-service`)),
          60_000,
        );

        // B: charged, waiting for the customer.
        const B = await createCharged(get(), nB, { tag: 'wk-b', method: 'bank_transfer', bank: 'bni' });

        // A: creates in flight; the worker dies once some of their charges have reached Midtrans.
        const before = (await sim.stats()).charges.received as number;
        const creating = Array.from({ length: nA }, () =>
          api('POST', '/payments', paymentBody({ tag: 'wk-a', method: 'qris' }), {}, 300_000),
        );
        await eventually(
          'some A charges to reach Midtrans',
          () => sim.stats(),
          (s) => s.charges.received >= before + Math.ceil(nA / 3),
          60_000,
          5,
        );
        const killedAt = Date.now();
        await stack.killWorker();
        const chargesBeforeKill = ((await sim.stats()).charges.received as number) - before;
        rec.figure(
          'charge requests of group A that had reached Midtrans when the worker was killed',
          `${chargesBeforeKill} of ${nA}`,
          'simulator',
        );

        // While the worker is dead: pay half of B at Midtrans, cancel the other half through the API.
        const B1 = B.slice(0, Math.ceil(nB / 2));
        const B2 = B.slice(B1.length);
        for (const id of B1) expect((await sim.act(id, 'pay')).status).toBe(200);
        // A client's cancel carries an Idempotency-Key and is retried while the API answers 504 UPDATE_PENDING
        // (after UPDATE_WAIT_MS with no worker): the retry gets the one cancel's answer.
        let pendingAnswers = 0;
        const cancelUntilAnswered = async (id: string) => {
          for (;;) {
            const answer = await api('POST', `/payments/${id}/cancel`, { reason: 'chaos: customer gave up' }, { 'idempotency-key': `chaos-cancel-${id}` }, 300_000);
            if (answer.status !== 504) return answer;
            pendingAnswers += 1;
          }
        };
        const cancels = B2.map(cancelUntilAnswered);
        await sleep(Math.max(0, SIZES.workerDownMs - (Date.now() - killedAt)));
        const restartMs = await stack.startWorker();
        const downMs = Date.now() - killedAt;
        rec.figure('worker down (kill → restarted worker polling again)', `${(downMs / 1000).toFixed(1)} s`, 'suite');
        rec.figure(
          'worker restart time (process start → polling; includes bundling the workflow code)',
          `${(restartMs / 1000).toFixed(1)} s`,
          'temporal',
        );

        const created = await Promise.all(creating);
        rec.figure('POST /payments answers for group A (in flight across the kill)', histogramText(statusHistogram(created)), 'api');
        for (const answer of created) expect([201, 202], describeAnswer(answer)).toContain(answer.status);
        const A = created.map((a) => a.body.payment_id as string);
        const canceled = await Promise.all(cancels);
        rec.figure(
          'cancel requests sent while the worker was dead, answered after the restart',
          histogramText(statusHistogram(canceled)),
          'api',
        );
        rec.figure('504 UPDATE_PENDING answers to those cancels before their answer (each retried with its key)', pendingAnswers, 'api');
        for (const answer of canceled) {
          expect(answer.status, describeAnswer(answer)).toBe(200);
          expect(answer.body.status).toBe('canceled');
        }

        // A: once Midtrans has each order, the customer pays.
        await eventually(
          'every A order to exist at Midtrans',
          () => chargeCheck(sim, A),
          (c) => c.neverCharged.length === 0,
          180_000,
          1_000,
        );
        for (const id of A) expect((await sim.act(id, 'pay')).status).toBe(200);

        // The right final state is what Midtrans says happened.
        const all = [...A, ...B, ...C];
        const expected = new Map<string, string>();
        for (const id of all) {
          const tx = await sim.transaction(id);
          expected.set(id, expectedStatusFor(tx?.transaction?.transaction_status) ?? 'unknown');
        }
        expect([...expected.values()].filter((s) => s === 'success')).toHaveLength(nA + B1.length + nC);
        expect([...expected.values()].filter((s) => s === 'canceled')).toHaveLength(B2.length);
        const rows = await waitForStatuses(stack, expected, 240_000);
        rec.figure('payments in flight', `${n} (A ${nA} charging, B ${nB} waiting, C ${nC} notifying)`, 'suite');
        rec.figure(
          'payments in the final state Midtrans reports (success / canceled)',
          `${[...rows.values()].filter((r) => r.status === expected.get(r.id)).length} of ${n}`,
          'database',
        );

        const charges = await chargeCheck(sim, all);
        rec.figure('charges applied at Midtrans (chargeAttempts.applied summed)', `${charges.applied} for ${n} payments`, 'simulator');
        rec.figure('charge requests received by Midtrans (chargeAttempts.received summed)', charges.received, 'simulator');
        rec.figure('payments charged twice', charges.doubleCharged.length, 'simulator');
        const facts = await pool(A, 8, (id) => historyFacts(stack, id));
        const retried = facts.filter((f) => f.chargeAttempt > 1).length;
        rec.figure('group A charge activities retried after the kill (attempt > 1 in the workflow history)', retried, 'temporal');

        const keys = all.flatMap((id) => expectedDownstreamKeys(id, rows.get(id)!.status, rows.get(id)!.user_id));
        const downstream = await waitForDownstream(stack, keys, all, 240_000);
        rec.figure(
          'downstream events expected / delivered at least once',
          `${downstream.expectedEvents} / ${downstream.deliveredEvents}`,
          'receiver',
        );
        rec.figure('downstream calls received (including the 503s answered on purpose)', downstream.calls, 'receiver');
        rec.figure('redeliveries of an already delivered event (same Idempotency-Key)', downstream.redeliveries, 'receiver');
        rec.figure('Idempotency-Keys seen with more than one body', downstream.inconsistentKeys.length, 'receiver');

        expect(charges.applied).toBe(n);
        expect(charges.doubleCharged).toEqual([]);
        expect(charges.neverCharged).toEqual([]);
        expect(downstream.missing).toEqual([]);
        expect(downstream.unexpected).toEqual([]);
        expect(downstream.inconsistentKeys).toEqual([]);
        rec.pass();
      } finally {
        stack.receiver.respondWith(() => 200);
        if (!stack.worker.running) await stack.startWorker();
      }
    });
  });
}
