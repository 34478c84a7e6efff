import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Simulator } from '../../../simulator/app';
import { call, charge, chargeRequest, eventually, newSimulator } from './helpers';

let sim: Simulator;
afterEach(() => {
  sim?.close();
  vi.useRealTimers();
});

/**
 * The simulator's timers run on a fake clock here, so "not yet expired" and "never expires" are checked at exact
 * instants however loaded the machine is. Only setTimeout/clearTimeout are faked: Date stays real, so expiry_time
 * is computed as in production.
 */
const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

describe('pending transactions expire at expiry_time', () => {
  it('custom_expiry of 20 seconds expires (expiryScale 0.005 → 100 ms) and notifies status_code 202', async () => {
    fakeTimers();
    sim = newSimulator({ expiryScale: 0.005 });
    const { body } = await charge(sim, chargeRequest('bank_transfer', { custom_expiry: { expiry_duration: 20, unit: 'second' } }));
    const seconds = (Date.parse(body.expiry_time.replace(' ', 'T')) - Date.parse(body.transaction_time.replace(' ', 'T'))) / 1000;
    expect(seconds).toBe(20);

    // The timer is (expiry_time − now) × 0.005 ≤ 100 ms, minus the few real milliseconds the charge took.
    vi.advanceTimersByTime(80);
    expect((await call(sim, 'GET', `/v2/${body.order_id}/status`)).body.transaction_status).toBe('pending');
    vi.advanceTimersByTime(20);
    vi.useRealTimers();
    const status = (await call(sim, 'GET', `/v2/${body.order_id}/status`)).body;
    expect(status).toMatchObject({ status_code: '407', transaction_status: 'expire' });
    const tx = sim.store.find(body.order_id)!.transaction;
    expect(tx.notifications.at(-1)!.body).toMatchObject({ transaction_status: 'expire', status_code: '202' });
    // Expired frees the order_id.
    expect((await charge(sim, chargeRequest('bank_transfer', { transaction_details: { order_id: body.order_id, gross_amount: 44000 } }))).body.status_code).toBe('201');
  });

  it('OVO expires after its fixed 65 s (scaled)', async () => {
    sim = newSimulator({ expiryScale: 0.002 });
    const { body } = await charge(sim, chargeRequest('ovo'));
    await eventually(() => expect(sim.store.find(body.order_id)!.transaction.status).toBe('expire'));
  });

  it('a card waiting for 3DS expires after about 10 minutes (scaled)', async () => {
    sim = newSimulator({ expiryScale: 0.0002 });
    const { body } = await charge(sim, chargeRequest('credit_card', { credit_card: { token_id: '4811111111111114', authentication: true } }));
    await eventually(() => expect(sim.store.find(body.order_id)!.transaction.status).toBe('expire'));
  });

  it('a paid transaction does not expire later', async () => {
    fakeTimers();
    sim = newSimulator({ expiryScale: 0.005 });
    const { body } = await charge(sim, chargeRequest('gopay', { custom_expiry: { expiry_duration: 20, unit: 'second' } }));
    // A control transaction with the same expiry shows the clock did pass the expiry.
    const control = (await charge(sim, chargeRequest('gopay', { custom_expiry: { expiry_duration: 20, unit: 'second' } }))).body;
    await call(sim, 'POST', `/_simulator/transactions/${body.order_id}/pay`);
    vi.advanceTimersByTime(1_000);
    expect(sim.store.find(control.order_id)!.transaction.status).toBe('expire');
    const tx = sim.store.find(body.order_id)!.transaction;
    expect(tx.status).toBe('settlement');
    expect(tx.history.map((h) => h.status)).toEqual(['pending', 'settlement']);
  });

  it('close() cancels expiry timers', async () => {
    fakeTimers();
    sim = newSimulator({ expiryScale: 0.005 });
    const { body } = await charge(sim, chargeRequest('bank_transfer', { custom_expiry: { expiry_duration: 20, unit: 'second' } }));
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    sim.close();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(sim.store.find(body.order_id)!.transaction.status).toBe('pending');
  });
});
