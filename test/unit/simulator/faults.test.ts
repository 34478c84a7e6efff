import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../simulator/app';
import { FaultInjector, parseFaultEnv } from '../../../simulator/faults';
import { AUTH_HEADER, call, charge, chargeRequest, eventually, newSimulator } from './helpers';

let sim: Simulator;
afterEach(() => sim?.close());

describe('fault configuration', () => {
  it('GET/POST /_simulator/faults reads and replaces the configuration', async () => {
    sim = newSimulator();
    const initial = await (await sim.app.request('/_simulator/faults')).json();
    expect(initial).toMatchObject({ apiErrorRate: 0, apiTimeoutRate: 0, ambiguousRate: 0, notificationReorder: false });
    const posted = await sim.app.request('/_simulator/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiErrorRate: 0.25, seed: 7 }),
    });
    expect(await posted.json()).toMatchObject({ apiErrorRate: 0.25, ambiguousRate: 0, seed: 7 });
    expect(sim.faults()).toMatchObject({ apiErrorRate: 0.25, seed: 7 });
  });

  it('rejects rates outside 0..1 and unknown fields', async () => {
    sim = newSimulator();
    for (const body of [{ apiErrorRate: 2 }, { bogus: true }]) {
      const response = await sim.app.request('/_simulator/faults', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
    }
  });

  it('reads MIDTRANS_SIM_FAULTS JSON', () => {
    expect(parseFaultEnv('{"ambiguousRate":0.1,"seed":3}')).toMatchObject({ ambiguousRate: 0.1, seed: 3, apiErrorRate: 0 });
    expect(parseFaultEnv('')).toEqual({});
    expect(() => parseFaultEnv('{"apiErrorRate":-1}')).toThrow();
  });

  it('makes the same decisions for the same seed', () => {
    const decisions = (seed: number) => {
      const faults = new FaultInjector({ apiErrorRate: 0.3, apiTimeoutRate: 0.1, ambiguousRate: 0.2, seed });
      return Array.from({ length: 50 }, () => faults.pickApiFault(true));
    };
    expect(decisions(42)).toEqual(decisions(42));
    expect(decisions(42)).not.toEqual(decisions(43));
    expect(new Set(decisions(42))).toEqual(new Set(['none', 'error', 'timeout', 'ambiguous']));
  });
});

describe('API faults', () => {
  it('apiErrorRate 1: answers 500/503 and applies nothing', async () => {
    sim = newSimulator({ faults: { apiErrorRate: 1, seed: 1 } });
    const request = chargeRequest('bank_transfer');
    const statuses = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const { status, body } = await charge(sim, request);
      statuses.add(status);
      expect(body.status_code).toBe(String(status));
    }
    expect([...statuses].every((s) => s === 500 || s === 503)).toBe(true);
    expect(sim.store.list()).toHaveLength(0);
    const orderId = (request.transaction_details as { order_id: string }).order_id;
    expect(sim.store.chargeAttempts(orderId)).toEqual({ received: 10, applied: 0 });
  });

  it('ambiguousRate 1: the charge is applied although the answer is 500; the retry gets 406', async () => {
    sim = newSimulator({ faults: { ambiguousRate: 1, seed: 5 } });
    const request = chargeRequest('bank_transfer');
    const orderId = (request.transaction_details as { order_id: string }).order_id;
    const first = await charge(sim, request);
    expect(first.status).toBe(500);
    expect(first.body.status_code).toBe('500');

    sim.configureFaults({});
    const status = await call(sim, 'GET', `/v2/${orderId}/status`);
    expect(status.body).toMatchObject({ status_code: '201', transaction_status: 'pending' });
    expect((await charge(sim, request)).body.status_code).toBe('406');
    expect(sim.store.chargeAttempts(orderId)).toEqual({ received: 2, applied: 1 });
  });

  it('ambiguousRate 1 on a refund: applied once; the retry with the same refund_key answers the result', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('gopay'));
    await call(sim, 'POST', `/_simulator/transactions/${body.order_id}/pay`);
    sim.configureFaults({ ambiguousRate: 1 });
    expect((await call(sim, 'POST', `/v2/${body.order_id}/refund`, { refund_key: 'amb', amount: 1000 })).status).toBe(500);
    sim.configureFaults({});
    const retry = await call(sim, 'POST', `/v2/${body.order_id}/refund`, { refund_key: 'amb', amount: 1000 });
    expect(retry.body).toMatchObject({ status_code: '200', refund_amount: '1000.00' });
    expect(sim.store.find(body.order_id)!.transaction.refunds).toHaveLength(1);
  });

  it('ambiguous never hits reads: GET status is answered normally', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('gopay'));
    sim.configureFaults({ ambiguousRate: 1 });
    expect((await call(sim, 'GET', `/v2/${body.order_id}/status`)).status).toBe(200);
  });

  it('apiTimeoutRate 1: hangs without applying until the client gives up', async () => {
    sim = newSimulator({ faults: { apiTimeoutRate: 1 } });
    const request = chargeRequest('bank_transfer');
    const controller = new AbortController();
    const pending = Promise.resolve(sim.app.request('/v2/charge', {
      method: 'POST',
      headers: { authorization: AUTH_HEADER, 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: controller.signal,
    }));
    let answered = false;
    void pending.then(() => (answered = true));
    const orderId = (request.transaction_details as { order_id: string }).order_id;
    // The simulator has the request (it counts it on arrival) and has not answered it.
    await eventually(() => expect(sim.store.chargeAttempts(orderId)?.received).toBe(1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    controller.abort();
    expect((await pending).status).toBe(504);
    expect(sim.store.list()).toHaveLength(0);
  });

  it('apiTimeout gives up on its own after apiHangMaxMs, and close() releases hanging requests', async () => {
    sim = newSimulator({ faults: { apiTimeoutRate: 1 }, apiHangMaxMs: 50 });
    expect((await charge(sim, chargeRequest('bank_transfer'))).status).toBe(504);

    sim = newSimulator({ faults: { apiTimeoutRate: 1 } });
    const request = chargeRequest('bank_transfer');
    const pending = charge(sim, request);
    const orderId = (request.transaction_details as { order_id: string }).order_id;
    await eventually(() => expect(sim.store.chargeAttempts(orderId)?.received).toBe(1));
    sim.close();
    expect((await pending).status).toBe(504);
  });

  it('seeded error rates give the same outcome sequence on every run', async () => {
    const run = async () => {
      sim = newSimulator({ faults: { apiErrorRate: 0.5, seed: 99 } });
      const outcomes: number[] = [];
      for (let i = 0; i < 12; i++) outcomes.push((await charge(sim, chargeRequest('bank_transfer'))).status);
      sim.close();
      return outcomes;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first).toContain(200);
    expect(first.some((s) => s >= 500)).toBe(true);
  });
});

describe('notification faults (recorded, no receiver needed)', () => {
  it('notificationDropRate 1: notifications are recorded as dropped and never sent', async () => {
    sim = newSimulator({ notificationUrl: 'http://127.0.0.1:9/unused', faults: { notificationDropRate: 1 } });
    const { body } = await charge(sim, chargeRequest('bank_transfer'));
    const tx = sim.store.find(body.order_id)!.transaction;
    expect(tx.notifications[0]).toMatchObject({ dropped: true, deliveries: [] });
    expect(sim.store.stats.notifications.dropped).toBe(1);
  });

  it('notificationDuplicateRate 1: every notification is delivered twice', async () => {
    sim = newSimulator({ notificationUrl: 'http://127.0.0.1:9/unused', faults: { notificationDuplicateRate: 1, notificationDelayMs: 60_000 } });
    const { body } = await charge(sim, chargeRequest('bank_transfer'));
    const tx = sim.store.find(body.order_id)!.transaction;
    expect(tx.notifications[0]!.deliveries.map((d) => d.copy)).toEqual([1, 2]);
  });
});
