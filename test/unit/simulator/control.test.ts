import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../simulator/app';
import { call, charge, chargeRequest, newSimulator, readJson } from './helpers';

let sim: Simulator;
afterEach(() => sim?.close());

/** Control routes need no server key. */
async function control(method: string, path: string, body?: unknown) {
  const response = await sim.app.request(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await readJson(response) };
}

describe('/_simulator transaction actions', () => {
  it.each([
    ['pay', 'bank_transfer', 'settlement', '200'],
    ['deny', 'bank_transfer', 'deny', '202'],
    ['expire', 'qris', 'expire', '407'],
    ['cancel', 'gopay', 'cancel', '202'],
  ])('%s moves a pending %s to %s', async (action, paymentType, expected, statusCode) => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest(paymentType));
    const { status, body: view } = await control('POST', `/_simulator/transactions/${body.order_id}/${action}`);
    expect(status).toBe(200);
    expect(view.transaction).toMatchObject({ transaction_status: expected, status_code: statusCode });
    expect(view.history.map((h: { status: string }) => h.status)).toEqual(['pending', expected]);
  });

  it('deny on a settled transaction is the rare reversal', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('gopay'));
    await control('POST', `/_simulator/transactions/${body.order_id}/pay`);
    const { body: view } = await control('POST', `/_simulator/transactions/${body.order_id}/deny`);
    expect(view.transaction.transaction_status).toBe('deny');
  });

  it('approve clears a challenge', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('credit_card', { credit_card: { token_id: '4511111111111117' } }));
    const { body: view } = await control('POST', `/_simulator/transactions/${body.order_id}/approve`);
    expect(view.transaction).toMatchObject({ transaction_status: 'capture', fraud_status: 'accept' });
  });

  it('answers 409 for an action the status does not allow, 404 for unknown transactions and actions', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('bank_transfer'));
    await control('POST', `/_simulator/transactions/${body.order_id}/pay`);
    expect((await control('POST', `/_simulator/transactions/${body.order_id}/expire`)).status).toBe(409);
    expect((await control('POST', '/_simulator/transactions/nope/pay')).status).toBe(404);
    expect((await control('POST', `/_simulator/transactions/${body.order_id}/explode`)).status).toBe(404);
  });

  it('notify re-sends the last notification byte for byte', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('bank_transfer'));
    const { body: view } = await control('POST', `/_simulator/transactions/${body.order_id}/notify`);
    expect(view.notifications).toHaveLength(2);
    expect(view.notifications[1].body).toEqual(view.notifications[0].body);
  });

  it('HTML form posts are redirected back to the panel (with the error, if any)', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('bank_transfer'));
    const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' };
    const ok = await sim.app.request(`/_simulator/transactions/${body.order_id}/pay`, form);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/_simulator');
    const refused = await sim.app.request(`/_simulator/transactions/${body.order_id}/pay`, form);
    expect(refused.headers.get('location')).toMatch(/^\/_simulator\?error=/);
  });
});

describe('/_simulator inspection', () => {
  it('GET /_simulator lists transactions with buttons, without external assets', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('bank_transfer'));
    const page = await sim.app.request('/_simulator');
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain(body.order_id);
    expect(html).toContain(`/_simulator/transactions/${body.transaction_id}/pay`);
    expect(html).toContain(`/_simulator/transactions/${body.transaction_id}/expire`);
    expect(html).not.toMatch(/<script|<link /);
  });

  it('GET /_simulator/transactions/{order_id} shows the transaction, notifications and charge attempts', async () => {
    sim = newSimulator();
    const request = chargeRequest('bank_transfer');
    const { body } = await charge(sim, request);
    await charge(sim, request); // 406: received but not applied
    const { body: view } = await control('GET', `/_simulator/transactions/${body.order_id}`);
    expect(view.transaction).toMatchObject({ order_id: body.order_id, transaction_status: 'pending' });
    expect(view.chargeAttempts).toEqual({ received: 2, applied: 1 });
    expect(view.notifications[0].body).toMatchObject({ transaction_status: 'pending', status_code: '201', signature_key: expect.any(String) });
  });

  it('shows charge attempts for an order that never applied, 404 for one never seen', async () => {
    sim = newSimulator();
    const request = chargeRequest('bank_transfer', { bank_transfer: { bank: 'nope' } });
    await charge(sim, request);
    const orderId = (request.transaction_details as { order_id: string }).order_id;
    const { status, body } = await control('GET', `/_simulator/transactions/${orderId}`);
    expect(status).toBe(200);
    expect(body).toEqual({ transaction: null, chargeAttempts: { received: 1, applied: 0 } });
    expect((await control('GET', '/_simulator/transactions/never-seen')).status).toBe(404);
  });

  it('GET /_simulator/transactions lists everything', async () => {
    sim = newSimulator();
    await charge(sim, chargeRequest('bank_transfer'));
    await charge(sim, chargeRequest('gopay'));
    const { body } = await control('GET', '/_simulator/transactions');
    expect(body.map((v: { transaction: { payment_type: string } }) => v.transaction.payment_type)).toEqual(['bank_transfer', 'gopay']);
  });

  it('GET /_simulator/stats counts charges and notifications', async () => {
    sim = newSimulator();
    const request = chargeRequest('bank_transfer');
    await charge(sim, request);
    await charge(sim, request);
    const { body } = await control('GET', '/_simulator/stats');
    expect(body).toMatchObject({
      charges: { received: 2, applied: 1 },
      notifications: { created: 1, sent: 0, delivered: 0, failed: 0, dropped: 0 },
      transactions: 1,
    });
  });

  it('POST /_simulator/reset forgets transactions, stats and faults', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('bank_transfer'));
    await control('POST', '/_simulator/faults', { apiErrorRate: 0.5 });
    expect((await control('POST', '/_simulator/reset')).body).toEqual({ reset: true });
    expect(sim.store.list()).toHaveLength(0);
    expect((await control('GET', '/_simulator/stats')).body.charges).toEqual({ received: 0, applied: 0 });
    expect((await control('GET', '/_simulator/faults')).body.apiErrorRate).toBe(0);
    expect((await call(sim, 'GET', `/v2/${body.order_id}/status`)).body.status_code).toBe('404');
    // The order_id is free again.
    expect((await charge(sim, chargeRequest('bank_transfer', { transaction_details: { order_id: body.order_id, gross_amount: 44000 } }))).body.status_code).toBe('201');
  });
});
