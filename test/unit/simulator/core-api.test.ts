import { afterEach, describe, expect, it } from 'vitest';
import { isValidMidtransSignature } from '../../../src/midtrans/signature';
import type { Simulator } from '../../../simulator/app';
import { call, charge, chargeRequest, newOrderId, newSimulator, SERVER_KEY } from './helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MIDTRANS_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** Seconds between two "yyyy-MM-dd HH:mm:ss" times (both GMT+7). */
function secondsBetween(from: string, to: string): number {
  return (Date.parse(`${to.replace(' ', 'T')}Z`) - Date.parse(`${from.replace(' ', 'T')}Z`)) / 1000;
}

let sim: Simulator;
afterEach(() => sim?.close());

describe('authentication', () => {
  it.each([
    ['missing', undefined],
    ['wrong key', `Basic ${Buffer.from('SB-Mid-server-wrong:').toString('base64')}`],
    ['not basic', 'Bearer abc'],
  ])('answers HTTP 401 with body status_code 401 when the server key is %s', async (_case, header) => {
    sim = newSimulator();
    const headers: Record<string, string> = header === undefined ? {} : { authorization: header };
    const response = await sim.app.request('/v2/charge', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(chargeRequest('bank_transfer')),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.status_code).toBe('401');
    expect(body.status_message).toMatch(/Access denied/);
    expect(sim.store.list()).toHaveLength(0);
  });

  it('protects the management endpoints too', async () => {
    sim = newSimulator();
    const response = await sim.app.request('/v2/anything/status');
    expect(response.status).toBe(401);
  });
});

describe('POST /v2/charge: common response fields', () => {
  it('answers a pending bank transfer with every documented field', async () => {
    sim = newSimulator();
    const request = chargeRequest('bank_transfer');
    const { status, body } = await charge(sim, request);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status_code: '201',
      transaction_status: 'pending',
      fraud_status: 'accept',
      gross_amount: '44000.00',
      currency: 'IDR',
      payment_type: 'bank_transfer',
      order_id: (request.transaction_details as { order_id: string }).order_id,
      merchant_id: expect.stringMatching(/^G\d+$/),
      status_message: expect.any(String),
    });
    expect(body.transaction_id).toMatch(UUID);
    expect(body.transaction_time).toMatch(MIDTRANS_TIME);
    expect(body.expiry_time).toMatch(MIDTRANS_TIME);
  });

  it('writes transaction_time in GMT+7', async () => {
    sim = newSimulator();
    const before = Date.now();
    const { body } = await charge(sim, chargeRequest('bank_transfer'));
    const asUtc = Date.parse(`${body.transaction_time.replace(' ', 'T')}Z`) - 7 * 3_600_000;
    expect(Math.abs(asUtc - before)).toBeLessThan(5_000);
  });

  it('accepts gross_amount as an integer string and without item_details', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, {
      payment_type: 'bank_transfer',
      bank_transfer: { bank: 'bni' },
      transaction_details: { order_id: newOrderId(), gross_amount: '15000' },
    });
    expect(body.status_code).toBe('201');
    expect(body.gross_amount).toBe('15000.00');
  });

  it('accepts negative item prices (discounts) when the sum matches', async () => {
    sim = newSimulator();
    const { body } = await charge(
      sim,
      chargeRequest('bank_transfer', {
        transaction_details: { order_id: newOrderId(), gross_amount: 9000 },
        item_details: [
          { id: 'a', price: 10000, quantity: 1, name: 'Ticket' },
          { id: 'd', price: -1000, quantity: 1, name: 'Discount' },
        ],
      }),
    );
    expect(body.status_code).toBe('201');
  });
});

describe('POST /v2/charge: payment types', () => {
  it.each(['bca', 'bni', 'bri', 'cimb'])('bank_transfer %s answers va_numbers[]', async (bank) => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('bank_transfer', { bank_transfer: { bank } }));
    expect(body.va_numbers).toEqual([{ bank, va_number: expect.stringMatching(/^\d+$/) }]);
    expect(body.permata_va_number).toBeUndefined();
    expect(secondsBetween(body.transaction_time, body.expiry_time)).toBe(24 * 3600);
  });

  it('bank_transfer permata answers permata_va_number instead of va_numbers', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('bank_transfer', { bank_transfer: { bank: 'permata' } }));
    expect(body.permata_va_number).toMatch(/^\d+$/);
    expect(body.va_numbers).toBeUndefined();
  });

  it('bank_transfer keeps a merchant-chosen va_number', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('bank_transfer', { bank_transfer: { bank: 'bni', va_number: '12345678' } }));
    expect(body.va_numbers[0].va_number).toBe('12345678');
  });

  it('echannel answers bill_key and biller_code 70012', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('echannel'));
    expect(body).toMatchObject({ status_code: '201', payment_type: 'echannel', biller_code: '70012', bill_key: expect.stringMatching(/^\d+$/) });
    expect(secondsBetween(body.transaction_time, body.expiry_time)).toBe(24 * 3600);
  });

  it('gopay answers the four actions and a 15 minute expiry', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('gopay'));
    expect(body.status_code).toBe('201');
    expect(body.actions.map((a: { name: string }) => a.name)).toEqual(['generate-qr-code', 'deeplink-redirect', 'get-status', 'cancel']);
    for (const action of body.actions) expect(action).toEqual({ name: expect.any(String), method: expect.stringMatching(/^(GET|POST)$/), url: expect.any(String) });
    expect(secondsBetween(body.transaction_time, body.expiry_time)).toBe(15 * 60);
  });

  it('gopay QR action serves an image without the server key', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('gopay'));
    const qr = body.actions.find((a: { name: string }) => a.name === 'generate-qr-code');
    const response = await sim.app.request(qr.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('image/svg+xml');
  });

  it('shopeepay answers a deeplink-redirect action', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('shopeepay'));
    expect(body.actions).toEqual([{ name: 'deeplink-redirect', method: 'GET', url: expect.any(String) }]);
    expect(secondsBetween(body.transaction_time, body.expiry_time)).toBe(15 * 60);
  });

  it('qris answers generate-qr-code, qr_string and the acquirer (gopay by default)', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('qris', { qris: {} }));
    expect(body.actions.map((a: { name: string }) => a.name)).toEqual(['generate-qr-code']);
    expect(body.qr_string).toMatch(/^000201/);
    expect(body.acquirer).toBe('gopay');
    const shopee = await charge(sim, chargeRequest('qris', { qris: { acquirer: 'airpay shopee' } }));
    expect(shopee.body.acquirer).toBe('airpay shopee');
  });

  it.each(['indomaret', 'alfamart'])('cstore %s answers payment_code and store', async (store) => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('cstore', { cstore: { store } }));
    expect(body).toMatchObject({ status_code: '201', store, payment_code: expect.stringMatching(/^\d+$/) });
    expect(secondsBetween(body.transaction_time, body.expiry_time)).toBe(24 * 3600);
  });

  it('ovo is pending with its fixed 65 s expiry, whatever custom_expiry says', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('ovo', { custom_expiry: { expiry_duration: 2, unit: 'hour' } }));
    expect(body).toMatchObject({ status_code: '201', transaction_status: 'pending', payment_type: 'ovo' });
    expect(secondsBetween(body.transaction_time, body.expiry_time)).toBe(65);
  });

  it('ovo with the unregistered sandbox number is denied', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('ovo', { ovo: { payer_phone_number: '+628249134000' } }));
    expect(body).toMatchObject({ status_code: '202', transaction_status: 'deny' });
  });

  it('dana is Snap-only: 402 through the Core API', async () => {
    sim = newSimulator();
    const { status, body } = await charge(sim, chargeRequest('dana'));
    expect(status).toBe(200);
    expect(body.status_code).toBe('402');
  });

  it('an unknown payment_type is a validation error', async () => {
    sim = newSimulator();
    const { status, body } = await charge(sim, chargeRequest('bitcoin'));
    expect(status).toBe(400);
    expect(body.status_code).toBe('400');
    expect(body.validation_messages).toContain('payment_type is not supported');
  });
});

describe('POST /v2/charge: validation', () => {
  it('rejects items that do not add up to gross_amount (HTTP 400, body 400)', async () => {
    sim = newSimulator();
    const { status, body } = await charge(
      sim,
      chargeRequest('bank_transfer', { transaction_details: { order_id: newOrderId(), gross_amount: 45000 } }),
    );
    expect(status).toBe(400);
    expect(body.status_code).toBe('400');
    expect(body.validation_messages).toContain('transaction_details.gross_amount is not equal to the sum of item_details');
    expect(sim.store.list()).toHaveLength(0);
  });

  it.each([
    ['gross_amount number', { transaction_details: { order_id: 'dec-1', gross_amount: 44000.5 }, item_details: undefined }],
    ['gross_amount string', { transaction_details: { order_id: 'dec-2', gross_amount: '44000.50' }, item_details: undefined }],
    ['item price', { transaction_details: { order_id: 'dec-3', gross_amount: 44000 }, item_details: [{ id: 'a', price: 43999.5, quantity: 1, name: 'x' }, { id: 'b', price: 0.5, quantity: 1, name: 'y' }] }],
  ])('rejects decimals (%s)', async (_case, override) => {
    sim = newSimulator();
    const { status, body } = await charge(sim, chargeRequest('bank_transfer', override));
    expect(status).toBe(400);
    expect(body.status_code).toBe('400');
    expect(body.validation_messages.join(' ')).toMatch(/decimal/);
  });

  it('lists every problem at once', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, { payment_type: 'bank_transfer', transaction_details: {} });
    expect(body.validation_messages).toEqual(
      expect.arrayContaining([
        'transaction_details.order_id is required',
        'transaction_details.gross_amount is required',
        'bank_transfer is required',
      ]),
    );
  });

  it.each([
    ['too long', 'x'.repeat(51)],
    ['with a space', 'order 1'],
    ['with #', 'order#1'],
  ])('rejects an order_id %s', async (_case, orderId) => {
    sim = newSimulator();
    const { status } = await charge(sim, chargeRequest('bank_transfer', { transaction_details: { order_id: orderId, gross_amount: 44000 } }));
    expect(status).toBe(400);
  });

  it('accepts the allowed order_id characters - _ ~ .', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('bank_transfer', { transaction_details: { order_id: 'A-b_c~d.9', gross_amount: 44000 } }));
    expect(body.status_code).toBe('201');
    expect((await call(sim, 'GET', '/v2/A-b_c~d.9/status')).body.order_id).toBe('A-b_c~d.9');
  });

  it('rejects zero gross_amount and a bad bank', async () => {
    sim = newSimulator();
    const zero = await charge(sim, chargeRequest('bank_transfer', { transaction_details: { order_id: newOrderId(), gross_amount: 0 }, item_details: undefined }));
    expect(zero.body.status_code).toBe('400');
    const bank = await charge(sim, chargeRequest('bank_transfer', { bank_transfer: { bank: 'mandiri' } }));
    expect(bank.body.status_code).toBe('400');
  });

  it('answers malformed JSON with body 413 (HTTP 400)', async () => {
    sim = newSimulator();
    const { status, body } = await call(sim, 'POST', '/v2/charge', '{"payment_type": ');
    expect(status).toBe(400);
    expect(body.status_code).toBe('413');
  });
});

describe('POST /v2/charge: order_id reuse', () => {
  it('answers 406 (on HTTP 200) for an order_id that is pending or paid', async () => {
    sim = newSimulator();
    const request = chargeRequest('bank_transfer');
    expect((await charge(sim, request)).body.status_code).toBe('201');
    const duplicate = await charge(sim, request);
    expect(duplicate.status).toBe(200);
    expect(duplicate.body.status_code).toBe('406');
    const orderId = (request.transaction_details as { order_id: string }).order_id;
    await call(sim, 'POST', `/_simulator/transactions/${orderId}/pay`);
    expect((await charge(sim, request)).body.status_code).toBe('406');
    expect(sim.store.historyOf(orderId)).toHaveLength(1);
  });

  it.each(['expire', 'cancel'])('frees the order_id after /%s', async (action) => {
    sim = newSimulator();
    const request = chargeRequest('bank_transfer');
    const first = await charge(sim, request);
    const orderId = first.body.order_id;
    await call(sim, 'POST', `/v2/${orderId}/${action}`);
    const second = await charge(sim, request);
    expect(second.body.status_code).toBe('201');
    expect(second.body.transaction_id).not.toBe(first.body.transaction_id);
    // {id} = order_id now means the newest transaction; the old one is still reachable by transaction_id.
    expect((await call(sim, 'GET', `/v2/${orderId}/status`)).body.transaction_id).toBe(second.body.transaction_id);
    expect((await call(sim, 'GET', `/v2/${first.body.transaction_id}/status`)).body.transaction_status).toBe(action);
  });

  it('frees the order_id after a card deny', async () => {
    sim = newSimulator();
    const request = chargeRequest('credit_card', { credit_card: { token_id: '4911111111111113' } });
    expect((await charge(sim, request)).body.transaction_status).toBe('deny');
    const retry = await charge(sim, { ...request, credit_card: { token_id: '4411111111111118' } });
    expect(retry.body.transaction_status).toBe('capture');
  });
});

describe('custom_expiry', () => {
  it('sets expiry_time from the transaction time', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('bank_transfer', { custom_expiry: { expiry_duration: 90, unit: 'minute' } }));
    expect(secondsBetween(body.transaction_time, body.expiry_time)).toBe(90 * 60);
  });

  it('counts from order_time when given (yyyy-MM-dd HH:mm:ss +0700)', async () => {
    sim = newSimulator();
    const { body } = await charge(
      sim,
      chargeRequest('bank_transfer', { custom_expiry: { order_time: '2099-01-01 10:00:00 +0700', expiry_duration: 2, unit: 'day' } }),
    );
    expect(body.expiry_time).toBe('2099-01-03 10:00:00');
  });

  it('rejects a unit it does not know', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, chargeRequest('bank_transfer', { custom_expiry: { expiry_duration: 2, unit: 'week' } }));
    expect(body.status_code).toBe('400');
  });
});

describe('GET /v2/{id}/status', () => {
  it('answers 404 "Transaction doesn\'t exist." on HTTP 200 for an unknown id', async () => {
    sim = newSimulator();
    const { status, body } = await call(sim, 'GET', '/v2/nope-123/status');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status_code: '404', status_message: "Transaction doesn't exist." });
  });

  it('finds a transaction by order_id and by transaction_id, with a valid signature_key', async () => {
    sim = newSimulator();
    const created = (await charge(sim, chargeRequest('echannel'))).body;
    for (const id of [created.order_id, created.transaction_id]) {
      const { body } = await call(sim, 'GET', `/v2/${id}/status`);
      expect(body).toMatchObject({
        status_code: '201',
        transaction_id: created.transaction_id,
        order_id: created.order_id,
        gross_amount: '44000.00',
        transaction_status: 'pending',
        bill_key: created.bill_key,
        biller_code: '70012',
      });
      expect(isValidMidtransSignature(body, SERVER_KEY)).toBe(true);
    }
  });

  it('shows settlement_time once paid, and body 407 for an expired transaction', async () => {
    sim = newSimulator();
    const paid = (await charge(sim, chargeRequest('qris'))).body;
    await call(sim, 'POST', `/_simulator/transactions/${paid.order_id}/pay`);
    const settled = (await call(sim, 'GET', `/v2/${paid.order_id}/status`)).body;
    expect(settled).toMatchObject({ status_code: '200', transaction_status: 'settlement', settlement_time: expect.stringMatching(MIDTRANS_TIME) });

    const expired = (await charge(sim, chargeRequest('gopay'))).body;
    await call(sim, 'POST', `/v2/${expired.order_id}/expire`);
    const { status, body } = await call(sim, 'GET', `/v2/${expired.order_id}/status`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status_code: '407', transaction_status: 'expire' });
    expect(isValidMidtransSignature(body, SERVER_KEY)).toBe(true);
  });
});

describe('cancel / expire', () => {
  it('cancels a pending transaction: 200 "Success, transaction is canceled"', async () => {
    sim = newSimulator();
    const { order_id } = (await charge(sim, chargeRequest('gopay'))).body;
    const { status, body } = await call(sim, 'POST', `/v2/${order_id}/cancel`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status_code: '200', status_message: 'Success, transaction is canceled', transaction_status: 'cancel' });
  });

  it('cancels a captured card payment before settlement', async () => {
    sim = newSimulator();
    const { order_id } = (await charge(sim, chargeRequest('credit_card'))).body;
    expect((await call(sim, 'POST', `/v2/${order_id}/cancel`)).body.transaction_status).toBe('cancel');
  });

  it('answers 412 when the status cannot change (settled, or already cancelled)', async () => {
    sim = newSimulator();
    const { order_id } = (await charge(sim, chargeRequest('bank_transfer'))).body;
    await call(sim, 'POST', `/_simulator/transactions/${order_id}/pay`);
    const cancel = await call(sim, 'POST', `/v2/${order_id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body.status_code).toBe('412');
    expect((await call(sim, 'POST', `/v2/${order_id}/expire`)).body.status_code).toBe('412');
  });

  it('expires a pending transaction with body status_code 407 on HTTP 200', async () => {
    sim = newSimulator();
    const { order_id } = (await charge(sim, chargeRequest('cstore'))).body;
    const { status, body } = await call(sim, 'POST', `/v2/${order_id}/expire`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status_code: '407', transaction_status: 'expire' });
  });

  it.each(['cancel', 'expire', 'refund', 'approve', 'deny'])('/%s of an unknown id is 404', async (action) => {
    sim = newSimulator();
    const { status, body } = await call(sim, 'POST', `/v2/unknown-order/${action}`, {});
    expect(status).toBe(200);
    expect(body.status_code).toBe('404');
  });
});

describe('approve / deny (card fraud challenge)', () => {
  async function challenged() {
    const { body } = await charge(sim, chargeRequest('credit_card', { credit_card: { token_id: '4511111111111117' } }));
    expect(body).toMatchObject({ status_code: '201', transaction_status: 'capture', fraud_status: 'challenge' });
    return body.order_id as string;
  }

  it('approve turns capture+challenge into capture+accept', async () => {
    sim = newSimulator();
    const orderId = await challenged();
    const { body } = await call(sim, 'POST', `/v2/${orderId}/approve`);
    expect(body).toMatchObject({ status_code: '200', transaction_status: 'capture', fraud_status: 'accept' });
  });

  it('deny turns capture+challenge into deny', async () => {
    sim = newSimulator();
    const orderId = await challenged();
    const { body } = await call(sim, 'POST', `/v2/${orderId}/deny`);
    expect(body).toMatchObject({ status_code: '200', transaction_status: 'deny', fraud_status: 'deny' });
  });

  it('answers 412 for a transaction that is not challenged', async () => {
    sim = newSimulator();
    const { order_id } = (await charge(sim, chargeRequest('credit_card'))).body;
    expect((await call(sim, 'POST', `/v2/${order_id}/approve`)).body.status_code).toBe('412');
    expect((await call(sim, 'POST', `/v2/${order_id}/deny`)).body.status_code).toBe('412');
  });
});

describe('DANA (Snap only, transaction_id only)', () => {
  it('is not found by order_id on the management API, only by transaction_id', async () => {
    sim = newSimulator();
    const created = await call(sim, 'POST', '/snap/v1/transactions', {
      transaction_details: { order_id: newOrderId('dana'), gross_amount: 10000 },
      enabled_payments: ['dana'],
    });
    const form = new URLSearchParams({ payment_method: 'dana', action: 'pay' });
    await sim.app.request(`/snap/v3/redirection/${created.body.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const tx = sim.store.list()[0]!;
    expect((await call(sim, 'GET', `/v2/${tx.orderId}/status`)).body.status_code).toBe('404');
    expect((await call(sim, 'GET', `/v2/${tx.transactionId}/status`)).body).toMatchObject({
      status_code: '200',
      payment_type: 'dana',
      transaction_status: 'settlement',
    });
  });
});
