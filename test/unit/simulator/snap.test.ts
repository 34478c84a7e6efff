import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../simulator/app';
import { isValidMidtransSignature } from '../../../src/midtrans/signature';
import { call, charge, chargeRequest, newOrderId, newSimulator, SERVER_KEY } from './helpers';

let sim: Simulator;
afterEach(() => sim?.close());

function snapRequest(extra: Record<string, unknown> = {}) {
  return {
    transaction_details: { order_id: newOrderId('snap'), gross_amount: 75000 },
    item_details: [{ id: 't', price: 75000, quantity: 1, name: 'Festival pass' }],
    ...extra,
  };
}

async function choose(token: string, paymentMethod: string, action: 'pay' | 'fail' | 'abandon') {
  return sim.app.request(`/snap/v3/redirection/${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ payment_method: paymentMethod, action }).toString(),
  });
}

describe('POST /snap/v1/transactions', () => {
  it('answers 201 {token, redirect_url} pointing at this simulator', async () => {
    sim = newSimulator();
    const { status, body } = await call(sim, 'POST', '/snap/v1/transactions', snapRequest());
    expect(status).toBe(201);
    expect(Object.keys(body).sort()).toEqual(['redirect_url', 'token']);
    expect(body.redirect_url).toBe(`http://localhost/snap/v3/redirection/${body.token}`);
  });

  it('builds redirect_url from publicBaseUrl when configured', async () => {
    sim = newSimulator({ publicBaseUrl: 'https://sim.tiketq.test/' });
    const { body } = await call(sim, 'POST', '/snap/v1/transactions', snapRequest());
    expect(body.redirect_url).toBe(`https://sim.tiketq.test/snap/v3/redirection/${body.token}`);
  });

  it('answers 401 {error_messages:["Access denied…"]} for a wrong key', async () => {
    sim = newSimulator();
    const { status, body } = await call(sim, 'POST', '/snap/v1/transactions', snapRequest(), {
      authorization: `Basic ${Buffer.from('nope:').toString('base64')}`,
    });
    expect(status).toBe(401);
    expect(body.error_messages[0]).toMatch(/^Access denied/);
  });

  it('answers 400 {error_messages} when items do not add up, or amounts have decimals', async () => {
    sim = newSimulator();
    const mismatch = await call(sim, 'POST', '/snap/v1/transactions', snapRequest({ transaction_details: { order_id: newOrderId(), gross_amount: 1 } }));
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error_messages).toContain('transaction_details.gross_amount is not equal to the sum of item_details');
    const decimals = await call(sim, 'POST', '/snap/v1/transactions', {
      transaction_details: { order_id: newOrderId(), gross_amount: 1000.5 },
    });
    expect(decimals.status).toBe(400);
  });

  it('answers 400 "order_id has already been taken" for a reused order_id', async () => {
    sim = newSimulator();
    const request = snapRequest();
    await call(sim, 'POST', '/snap/v1/transactions', request);
    const { status, body } = await call(sim, 'POST', '/snap/v1/transactions', request);
    expect(status).toBe(400);
    expect(body.error_messages).toEqual(['transaction_details.order_id has already been taken']);
    // A Snap token also holds the order_id against Core API charges.
    const core = await charge(sim, chargeRequest('bank_transfer', { transaction_details: request.transaction_details, item_details: undefined }));
    expect(core.body.status_code).toBe('406');
  });
});

describe('Snap redirect page', () => {
  it('shows the order, the amount and the enabled methods as a plain form', async () => {
    sim = newSimulator();
    const request = snapRequest({ enabled_payments: ['bca_va', 'gopay', 'not_a_method'] });
    const { body } = await call(sim, 'POST', '/snap/v1/transactions', request);
    const page = await sim.app.request(`/snap/v3/redirection/${body.token}`);
    const text = await page.text();
    expect(page.status).toBe(200);
    expect(text).toContain(request.transaction_details.order_id);
    expect(text).toContain('75.000');
    expect(text).toContain('value="bca_va"');
    expect(text).toContain('value="gopay"');
    expect(text).not.toContain('value="credit_card"');
    expect(text).not.toMatch(/<script|<link|https?:\/\/(?!localhost)/);
  });

  it('keeps the order invisible (404) until a method is picked, then pay → settlement', async () => {
    sim = newSimulator();
    const request = snapRequest({ enabled_payments: ['bca_va'] });
    const { body } = await call(sim, 'POST', '/snap/v1/transactions', request);
    const orderId = request.transaction_details.order_id;
    expect((await call(sim, 'GET', `/v2/${orderId}/status`)).body.status_code).toBe('404');

    const result = await choose(body.token, 'bca_va', 'pay');
    expect(result.status).toBe(200);
    const status = (await call(sim, 'GET', `/v2/${orderId}/status`)).body;
    expect(status).toMatchObject({ status_code: '200', transaction_status: 'settlement', payment_type: 'bank_transfer', gross_amount: '75000.00' });
    expect(status.va_numbers[0].bank).toBe('bca');
    expect(isValidMidtransSignature(status, SERVER_KEY)).toBe(true);
    // Creation and settlement were both notified.
    const tx = sim.store.find(orderId)!.transaction;
    expect(tx.notifications.map((n) => n.body.transaction_status)).toEqual(['pending', 'settlement']);
  });

  it('card: pay → capture+accept; fail → deny', async () => {
    sim = newSimulator();
    const paid = snapRequest();
    await choose((await call(sim, 'POST', '/snap/v1/transactions', paid)).body.token, 'credit_card', 'pay');
    expect(sim.store.find(paid.transaction_details.order_id)!.transaction).toMatchObject({ status: 'capture', fraudStatus: 'accept', paymentType: 'credit_card' });

    const failed = snapRequest();
    await choose((await call(sim, 'POST', '/snap/v1/transactions', failed)).body.token, 'credit_card', 'fail');
    expect(sim.store.find(failed.transaction_details.order_id)!.transaction.status).toBe('deny');
  });

  it('abandon leaves the chosen method pending (visible in status)', async () => {
    sim = newSimulator();
    const request = snapRequest();
    const { body } = await call(sim, 'POST', '/snap/v1/transactions', request);
    await choose(body.token, 'gopay', 'abandon');
    expect((await call(sim, 'GET', `/v2/${request.transaction_details.order_id}/status`)).body).toMatchObject({
      status_code: '201',
      transaction_status: 'pending',
      payment_type: 'gopay',
    });
    // Coming back later shows the transaction with its buttons; paying then settles it.
    const page = await (await sim.app.request(`/snap/v3/redirection/${body.token}`)).text();
    expect(page).toContain('pending');
    await choose(body.token, 'gopay', 'pay');
    expect(sim.store.find(request.transaction_details.order_id)!.transaction.status).toBe('settlement');
  });

  it('redirects to callbacks.finish with order_id, status_code and transaction_status', async () => {
    sim = newSimulator();
    const request = snapRequest({ callbacks: { finish: 'https://tiketq.example/done?x=1', error: 'https://tiketq.example/error' } });
    const { body } = await call(sim, 'POST', '/snap/v1/transactions', request);
    const result = await choose(body.token, 'other_qris', 'pay');
    expect(result.status).toBe(303);
    const location = new URL(result.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://tiketq.example/done');
    expect(Object.fromEntries(location.searchParams)).toEqual({
      x: '1',
      order_id: request.transaction_details.order_id,
      status_code: '200',
      transaction_status: 'settlement',
    });
  });

  it('sends a failed payment to callbacks.error', async () => {
    sim = newSimulator();
    const request = snapRequest({ callbacks: { finish: 'https://tiketq.example/done', error: 'https://tiketq.example/error' } });
    const { body } = await call(sim, 'POST', '/snap/v1/transactions', request);
    const result = await choose(body.token, 'bca_va', 'fail');
    expect(result.headers.get('location')).toMatch(/^https:\/\/tiketq\.example\/error\?.*transaction_status=deny/);
  });

  it('refuses a method that was not enabled', async () => {
    sim = newSimulator();
    const { body } = await call(sim, 'POST', '/snap/v1/transactions', snapRequest({ enabled_payments: ['bca_va'] }));
    const result = await choose(body.token, 'gopay', 'pay');
    expect(result.status).toBe(400);
    expect(sim.store.list()).toHaveLength(0);
  });

  it('applies Snap expiry to the transaction once a method is picked', async () => {
    sim = newSimulator();
    const request = snapRequest({ expiry: { start_time: '2099-05-01 08:00:00 +0700', unit: 'minutes', duration: 30 } });
    const { body } = await call(sim, 'POST', '/snap/v1/transactions', request);
    await choose(body.token, 'bni_va', 'abandon');
    expect((await call(sim, 'GET', `/v2/${request.transaction_details.order_id}/status`)).body.expiry_time).toBe('2099-05-01 08:30:00');
  });

  it('answers 404 for an unknown token', async () => {
    sim = newSimulator();
    expect((await sim.app.request('/snap/v3/redirection/not-a-token')).status).toBe(404);
  });
});
