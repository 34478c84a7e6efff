import { describe, expect, it } from 'vitest';
import { SIZES } from '../support/config';
import { createCharged, describeAnswer, histogramText, statusHistogram, type ChaosContext } from '../support/context';
import type { ChaosStack } from '../support/stack';
import { eventually, pool, sleep } from '../../support/fixtures';
import {
  chargeCheck,
  expectedDownstreamKeys,
  paymentBody,
  waitForDownstream,
  waitForStatuses,
  type HttpAnswer,
} from '../support/helpers';
import { scenario } from '../support/results';

/** What goes down in a Temporal outage, and how it comes back. */
interface TemporalOutage {
  heading: string;
  id: string;
  title: string;
  /** What "down" means in the figures. */
  downLabel: string;
  takeDown(stack: ChaosStack): Promise<void>;
  /** Milliseconds until Temporal serves again. */
  bringUp(stack: ChaosStack): Promise<number>;
}

/**
 * 2. The Temporal server is SIGKILLed mid-flight and started again on its database (the dev server on its SQLite
 *    file, or the production server on its PostgreSQL); 2b. Temporal's PostgreSQL is stopped under the running
 *    server and started again (stack topology). In both:
 *  - P: charged payments; half paid at Midtrans just before the kill, half while Temporal is down (their webhooks
 *    are stored and answered 200 at once; the API's notification forwarder signals them once Temporal is back);
 *  - Q: creates with an Idempotency-Key sent as Temporal dies; whatever the API answered, the client retries the
 *    same request with the same key until it gets 201/202, as the API asks.
 */
export function temporalKillScenario(get: () => ChaosContext) {
  temporalOutageScenario(get, {
    heading: '2. Temporal server SIGKILLed and restarted on its database',
    id: 'temporal-kill',
    title: 'Temporal server killed with SIGKILL and restarted on its database',
    downLabel: 'kill → serving again on the same database',
    takeDown: (stack) => stack.killTemporal(),
    bringUp: (stack) => stack.startTemporal(),
  });
}

export function temporalPostgresRestartScenario(get: () => ChaosContext) {
  temporalOutageScenario(get, {
    heading: "2b. Temporal's PostgreSQL stopped under the running server and started again",
    id: 'temporal-postgres-restart',
    title: "Temporal's PostgreSQL stopped (fast shutdown) and started again while the server runs",
    downLabel: 'PostgreSQL stop → Temporal serving again',
    takeDown: async (stack) => {
      if (!stack.temporalPostgres) throw new Error("this topology has no separate Temporal PostgreSQL (CHAOS_TEMPORAL=stack)");
      await stack.temporalPostgres.stop();
    },
    bringUp: (stack) => stack.temporalPostgres!.start(),
  });
}

function temporalOutageScenario(get: () => ChaosContext, outage: TemporalOutage) {
  describe(outage.heading, () => {
    it('every payment completes; no 202 for a payment that does not exist; one charge each', async () => {
      const { stack, api, sim } = get();
      const rec = scenario(outage.id, outage.title);
      rec.note(`Temporal: ${stack.temporalDescription}`);
      const n = SIZES.paymentsPerScenario;
      const nP = Math.ceil(n / 2);
      const nQ = n - nP;

      const P = await createCharged(get(), nP, { tag: 'tk-p', method: 'bank_transfer', bank: 'bri' });
      const P1 = P.slice(0, Math.ceil(nP / 2));
      const P2 = P.slice(P1.length);
      for (const id of P1) expect((await sim.act(id, 'pay')).status).toBe(200);

      // Q: creates sent as Temporal dies (Q1) and while it is dead (Q2).
      const bodies = Array.from({ length: nQ }, (_, i) => ({
        key: `chaos-tk-${Date.now()}-${i}`,
        body: paymentBody({ tag: 'tk-q', method: 'gopay' }),
      }));
      const nQ1 = Math.ceil(nQ / 2);
      const post = ({ key, body }: (typeof bodies)[number]) => api('POST', '/payments', body, { 'idempotency-key': key }, 300_000);
      const firstTries = bodies.slice(0, nQ1).map(post);
      await sleep(50);
      const killedAt = Date.now();
      await outage.takeDown(stack);
      firstTries.push(...bodies.slice(nQ1).map(post));
      for (const id of P2) expect((await sim.act(id, 'pay')).status).toBe(200);

      // A read during the outage (the live view needs Temporal; the API falls back to the database).
      const readStarted = Date.now();
      const reading = api('GET', `/payments/${P[0]}/status`, undefined, {}, 60_000).then((a) => ({ ...a, ms: Date.now() - readStarted }));
      // Temporal is shared by every API process: a /ready that failed with it would take them all out of a load
      // balancer's rotation, and the webhook with them, though the webhook does not need Temporal (below).
      const readyDuring = await api('GET', '/ready', undefined, {}, 30_000);
      await sleep(Math.max(0, SIZES.temporalDownMs - (Date.now() - killedAt)));
      const restartMs = await outage.bringUp(stack);
      const downMs = Date.now() - killedAt;
      rec.figure(`Temporal down (${outage.downLabel})`, `${(downMs / 1000).toFixed(1)} s`, 'suite');
      rec.figure('Temporal restart time', `${(restartMs / 1000).toFixed(1)} s`, 'suite');
      const readDuring = await reading;
      rec.figure(
        'GET /payments/{id}/status sent during the outage',
        `${readDuring.status} after ${(readDuring.ms / 1000).toFixed(1)} s (source: ${readDuring.body?.source ?? '-'})`,
        'api',
      );
      expect(readDuring.status).toBe(200);
      rec.figure('GET /ready during the outage', `${readyDuring.status} ${JSON.stringify(readyDuring.body ?? null)}`, 'api');
      expect(readyDuring.status).toBe(200);
      expect(readyDuring.body).toEqual({ status: 'degraded', checks: { database: 'ok', temporal: 'unavailable', schema: 'ok' } });

      const first = await Promise.all(firstTries);
      rec.figure(
        'first POST /payments answers, Q1 (sent as Temporal was killed)',
        histogramText(statusHistogram(first.slice(0, nQ1))),
        'api',
      );
      rec.figure(
        'first POST /payments answers, Q2 (sent while Temporal was dead)',
        histogramText(statusHistogram(first.slice(nQ1))),
        'api',
      );
      const retried: HttpAnswer[] = [];
      const finalAnswers = await pool(bodies, 8, async ({ key, body }, i) => {
        let answer = first[i]!;
        while (answer.status !== 201 && answer.status !== 202) {
          expect([0, 503], describeAnswer(answer)).toContain(answer.status);
          await sleep(1_000);
          answer = await api('POST', '/payments', body, { 'idempotency-key': key }, 300_000);
          retried.push(answer);
        }
        return answer;
      });
      rec.figure('client retries of group Q with the same Idempotency-Key', retried.length, 'api');
      const Q = finalAnswers.map((a) => a.body.payment_id as string);
      // Every payment id the API ever handed out must exist in Temporal.
      const handedOut = [
        ...new Set([...first, ...retried].filter((a) => a.status === 201 || a.status === 202).map((a) => a.body.payment_id as string)),
      ];
      expect(handedOut.every((id) => Q.includes(id))).toBe(true);
      const missing = (
        await pool(handedOut, 8, (id) =>
          stack.temporal.workflow
            .getHandle(`payment-${id}`)
            .describe()
            .then(
              () => null,
              () => id,
            ),
        )
      ).filter(Boolean);
      rec.figure('payment ids answered 201/202 that Temporal does not know', missing.length, 'temporal');
      expect(missing).toEqual([]);

      await eventually(
        'every Q order to exist at Midtrans',
        () => chargeCheck(sim, Q),
        (c) => c.neverCharged.length === 0,
        180_000,
        1_000,
      );
      for (const id of Q) expect((await sim.act(id, 'pay')).status).toBe(200);

      const all = [...P, ...Q];
      const rows = await waitForStatuses(stack, new Map(all.map((id) => [id, 'success'])), 240_000);
      rec.figure(
        'payments in flight',
        `${n} (P ${nP} charged, paid before/during the outage; Q ${nQ} created as/while Temporal was down)`,
        'suite',
      );
      rec.figure('payments that reached success', `${[...rows.values()].filter((r) => r.status === 'success').length} of ${n}`, 'database');

      // The webhooks of P2 hit the outage: what the simulator recorded about their delivery.
      const p2Deliveries = await pool(P2, 8, async (id) => {
        const tx = await sim.transaction(id);
        const settlement = (tx?.notifications ?? []).filter(
          (nt: { body: { transaction_status: string } }) => nt.body.transaction_status === 'settlement',
        );
        const attempts = settlement.flatMap((nt: { deliveries: { attempts: { status?: number }[] }[] }) =>
          nt.deliveries.flatMap((d) => d.attempts),
        );
        return {
          failed: attempts.filter((a: { status?: number }) => !(a.status && a.status < 300)).length,
          delivered: settlement.some((nt: { deliveries: { state: string }[] }) => nt.deliveries.some((d) => d.state === 'delivered')),
        };
      });
      rec.figure(
        'settlement webhooks sent during the outage: attempts not answered 2xx (Midtrans would retry them)',
        p2Deliveries.reduce((s, d) => s + d.failed, 0),
        'simulator',
      );
      rec.figure(
        'of those settlements, delivered in the end',
        `${p2Deliveries.filter((d) => d.delivered).length} of ${P2.length}`,
        'simulator',
      );

      const charges = await chargeCheck(sim, all);
      rec.figure('charges applied at Midtrans', `${charges.applied} for ${n} payments`, 'simulator');
      rec.figure('payments charged twice', charges.doubleCharged.length, 'simulator');
      const keys = all.flatMap((id) => expectedDownstreamKeys(id, 'success', rows.get(id)!.user_id));
      const downstream = await waitForDownstream(stack, keys, all, 180_000);
      rec.figure('downstream events expected / delivered', `${downstream.expectedEvents} / ${downstream.deliveredEvents}`, 'receiver');
      rec.figure('Idempotency-Keys seen with more than one body', downstream.inconsistentKeys.length, 'receiver');

      // Temporal is not on the webhook's path: Midtrans had nothing to deliver again.
      expect(p2Deliveries.reduce((s, d) => s + d.failed, 0)).toBe(0);
      expect(charges.applied).toBe(n);
      expect(charges.doubleCharged).toEqual([]);
      expect(downstream.inconsistentKeys).toEqual([]);
      expect(downstream.unexpected).toEqual([]);
      expect(stack.worker.running).toBe(true);
      rec.pass();
    });
  });
}
