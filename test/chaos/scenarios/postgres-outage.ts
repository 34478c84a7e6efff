import { describe, expect, it } from 'vitest';
import { paymentQuery } from '../../../workflows/messages';
import { SIZES } from '../support/config';
import { createCharged, describeAnswer, histogramText, statusHistogram, type ChaosContext } from '../support/context';
import { eventually, pool, sleep } from '../../support/fixtures';
import {
  chargeCheck,
  eventRows,
  expectedDownstreamKeys,
  paymentBody,
  waitForDownstream,
  waitForStatuses,
  type HttpAnswer,
} from '../support/helpers';
import { scenario } from '../support/results';

/**
 * 3. PostgreSQL is stopped (pg_ctl -m fast) mid-flight and started again after a while:
 *  - R: charged payments, half paid at Midtrans just before the stop, half during the outage (the webhook cannot
 *    store the notification: it must answer 503 so Midtrans retries);
 *  - S: created during the outage. The checkout (customer details, card token) goes to PostgreSQL before the
 *    workflow starts, so the API answers 503 until the database is back; each client retries with its
 *    Idempotency-Key, as the API asks, and gets its payment then.
 * Meanwhile the API's reads must answer 503 SERVICE_UNAVAILABLE, and recover with no restart.
 * Afterwards every transition the workflows made must be in the audit log.
 */
export function postgresOutageScenario(get: () => ChaosContext) {
  describe('3. PostgreSQL stopped mid-flight', () => {
    it('activities retry, no transition is lost, reads answer 503 meanwhile and recover by themselves', async () => {
      const { stack, api, sim } = get();
      const rec = scenario('postgres-outage', 'PostgreSQL stopped mid-flight, then started again');
      const n = SIZES.paymentsPerScenario;
      const nR = Math.ceil(n / 2);
      const nS = n - nR;

      const R = await createCharged(get(), nR, { tag: 'pg-r', method: 'bank_transfer', bank: 'permata' });
      const R1 = R.slice(0, Math.ceil(nR / 2));
      const R2 = R.slice(R1.length);
      for (const id of R1) expect((await sim.act(id, 'pay')).status).toBe(200);

      const stoppedAt = Date.now();
      stack.stopPostgres();
      const firstAnswers: HttpAnswer[] = [];
      const creating = Array.from({ length: nS }, async (_, index) => {
        const body = paymentBody({ tag: 'pg-s', method: 'qris' });
        const headers = { 'idempotency-key': `pg-s-${stoppedAt}-${index}` };
        for (let attempt = 1; ; attempt++) {
          const answer = await api('POST', '/payments', body, headers, 300_000);
          if (attempt === 1) firstAnswers.push(answer);
          if (answer.status !== 503 || Date.now() - stoppedAt > 300_000) return answer;
          await sleep(1_000);
        }
      });
      for (const id of R2) expect((await sim.act(id, 'pay')).status).toBe(200);

      // Reads while the database is down.
      const reads: HttpAnswer[] = [];
      const readiness: HttpAnswer[] = [];
      let i = 0;
      while (Date.now() - stoppedAt < SIZES.postgresDownMs) {
        const id = R[i++ % R.length]!;
        reads.push(await api('GET', `/payments/${id}`, undefined, {}, 30_000));
        reads.push(await api('GET', `/payments/${id}/status`, undefined, {}, 30_000));
        if (i % 4 === 1) readiness.push(await api('GET', '/ready', undefined, {}, 30_000));
        await sleep(250);
      }
      const startMs = await stack.startPostgres();
      const restartedAt = Date.now();
      rec.figure('PostgreSQL down (stop → started again)', `${((restartedAt - stoppedAt) / 1000).toFixed(1)} s`, 'suite');
      rec.figure('API reads during the outage (GET /payments/{id} and /status)', histogramText(statusHistogram(reads)), 'api');
      const codes = new Set(reads.map((r) => r.body?.error?.code ?? `status ${r.status}`));
      rec.figure('error codes of those reads', [...codes].join(', '), 'api');
      rec.figure('GET /ready during the outage', histogramText(statusHistogram(readiness)), 'api');

      // The API recovers by itself: no restart, the pool reconnects.
      await eventually(
        'the API to read the database again',
        () => api('GET', `/payments/${R[0]}`),
        (a) => a.status === 200,
        60_000,
        100,
      );
      rec.figure(
        'API reads answering 200 again after PostgreSQL started (no API restart)',
        `${((Date.now() - restartedAt) / 1000).toFixed(1)} s`,
        'api',
      );

      const created = await Promise.all(creating);
      rec.figure('POST /payments sent during the outage, first answers', histogramText(statusHistogram(firstAnswers)), 'api');
      for (const answer of firstAnswers) expect([201, 202, 503], describeAnswer(answer)).toContain(answer.status);
      rec.figure('the same creates retried with their Idempotency-Key', histogramText(statusHistogram(created)), 'api');
      for (const answer of created) expect([201, 202], describeAnswer(answer)).toContain(answer.status);
      const S = created.map((a) => a.body.payment_id as string);
      await eventually(
        'every S order to exist at Midtrans',
        () => chargeCheck(sim, S),
        (c) => c.neverCharged.length === 0,
        180_000,
        1_000,
      );
      for (const id of S) expect((await sim.act(id, 'pay')).status).toBe(200);

      const all = [...R, ...S];
      const rows = await waitForStatuses(stack, new Map(all.map((id) => [id, 'success'])), 300_000);
      rec.figure('payments in flight', `${n} (R ${nR} charged, paid before/during the outage; S ${nS} created during it)`, 'suite');
      rec.figure('payments that reached success', `${[...rows.values()].filter((r) => r.status === 'success').length} of ${n}`, 'database');

      // No transition lost: the audit log holds every event the workflow recorded, the success transition once.
      const events = await eventRows(stack, all);
      const views = await pool(all, 8, (id) => stack.temporal.workflow.getHandle(`payment-${id}`).query(paymentQuery));
      let lost = 0;
      let transitions = 0;
      let webhookFailures = 0;
      all.forEach((id, index) => {
        const logged = events.get(id) ?? [];
        const view = views[index]!;
        if (logged.length !== view.history.length) lost += Math.abs(view.history.length - logged.length);
        const successes = logged.filter((e) => e.kind === 'transition' && e.to_status === 'success');
        transitions += successes.length;
        expect(successes, `${id}: one pending → success transition in the audit log`).toHaveLength(1);
        expect(
          logged.some((e) => e.kind === 'charged'),
          `${id}: the charge is in the audit log`,
        ).toBe(true);
      });
      rec.figure('workflow history entries missing from the audit log', lost, 'database');
      rec.figure('success transitions in the audit log', `${transitions} for ${n} payments`, 'database');
      for (const id of R2) {
        const tx = await sim.transaction(id);
        for (const nt of tx?.notifications ?? []) {
          for (const d of nt.deliveries)
            webhookFailures += d.attempts.filter((a: { status?: number }) => !(a.status && a.status < 300)).length;
        }
      }
      rec.figure('webhook attempts refused during the outage (Midtrans retried them)', webhookFailures, 'simulator');

      const charges = await chargeCheck(sim, all);
      rec.figure('charges applied at Midtrans', `${charges.applied} for ${n} payments`, 'simulator');
      const keys = all.flatMap((id) => expectedDownstreamKeys(id, 'success', rows.get(id)!.user_id));
      const downstream = await waitForDownstream(stack, keys, all, 180_000);
      rec.figure('downstream events expected / delivered', `${downstream.expectedEvents} / ${downstream.deliveredEvents}`, 'receiver');
      rec.figure(
        'redeliveries (a delivery whose database record failed is sent again, same key and body)',
        downstream.redeliveries,
        'receiver',
      );
      rec.figure('Idempotency-Keys seen with more than one body', downstream.inconsistentKeys.length, 'receiver');

      expect(reads.length).toBeGreaterThan(0);
      expect(
        reads.every((r) => r.status === 503 && r.body?.error?.code === 'SERVICE_UNAVAILABLE'),
        histogramText(statusHistogram(reads)),
      ).toBe(true);
      expect(readiness.every((r) => r.status === 503)).toBe(true);
      expect(lost).toBe(0);
      expect(charges.applied).toBe(n);
      expect(charges.doubleCharged).toEqual([]);
      expect(downstream.inconsistentKeys).toEqual([]);
      expect(downstream.unexpected).toEqual([]);
      rec.note(`PostgreSQL start took ${startMs} ms.`);
      rec.pass();
    });
  });
}
