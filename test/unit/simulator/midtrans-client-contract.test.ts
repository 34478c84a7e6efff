import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import midtransClient, { type CoreApi, type Snap } from 'midtrans-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SIMULATOR_CLIENT_KEY } from '../../../src/config';
import { isValidMidtransSignature } from '../../../src/midtrans/signature';
import { startSimulator, type RunningSimulator } from '../../../simulator/server';
import { chargeRequest, eventually, newOrderId, SERVER_KEY, type Loose } from './helpers';

/**
 * The simulator held to Midtrans's own Node client (`midtrans-client`, v1.4.3): every Core API and Snap call a
 * merchant makes, over real HTTP, with the client's base URLs pointed at the simulator. The expectations are
 * Midtrans's documented answers (docs.midtrans.com: charge per method, Get Token, status, status B2B, approve, deny,
 * cancel, expire, refund, direct refund, capture, Snap), never what the payment service happens to need.
 *
 * The client resolves with the body, and rejects with a MidtransError when the HTTP status or the body's
 * status_code is 400 or more (407 excepted), carrying the body as `ApiResponse`.
 */

let sim: RunningSimulator;
let receiver: Server;
const notifications: Loose[] = [];
let core: CoreApi;
let snap: Snap;

/** The client has no base-URL option: its ApiConfig getters are the seam (they are read on every call). */
function pointedAtSimulator<T extends CoreApi | Snap>(client: T, url: string): T {
  client.apiConfig.getCoreApiBaseUrl = () => url;
  client.apiConfig.getSnapApiBaseUrl = () => `${url}/snap/v1`;
  return client;
}

const clientOptions = { isProduction: false, serverKey: SERVER_KEY, clientKey: LOCAL_SIMULATOR_CLIENT_KEY };

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      notifications.push(JSON.parse(Buffer.concat(chunks).toString()));
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const notificationUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/midtrans`;
  sim = await startSimulator({ serverKey: SERVER_KEY, notificationUrl, refundConfirmationDelayMs: 10 });
  core = pointedAtSimulator(new midtransClient.CoreApi(clientOptions), sim.url);
  snap = pointedAtSimulator(new midtransClient.Snap(clientOptions), sim.url);
});

afterAll(async () => {
  await sim?.close();
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

/** The sandbox's "payment simulator": the customer pays (or the card settles). */
async function customerPays(id: string): Promise<void> {
  const response = await fetch(`${sim.url}/_simulator/transactions/${id}/pay`, { method: 'POST' });
  expect(response.status).toBe(200);
}

const futureYear = String(new Date().getFullYear() + 1);
const card = (cardNumber: string, extra: Record<string, string> = {}) => ({
  card_number: cardNumber,
  card_exp_month: '12',
  card_exp_year: futureYear,
  card_cvv: '123',
  client_key: core.apiConfig.clientKey,
  ...extra,
});

const rejection = (apiResponse: Record<string, unknown>) => ({ name: 'MidtransError', ApiResponse: expect.objectContaining(apiResponse) });

const TRANSACTION_FIELDS = {
  transaction_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
  merchant_id: expect.any(String),
  gross_amount: '44000.00',
  currency: 'IDR',
  transaction_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
};

describe('Core API charge, one per payment method (201 pending with the method’s payment details)', () => {
  it.each(['bca', 'bni', 'bri', 'cimb'])('bank_transfer %s: va_numbers', async (bank) => {
    const answer = await core.charge(chargeRequest('bank_transfer', { bank_transfer: { bank } }));
    expect(answer).toMatchObject({
      ...TRANSACTION_FIELDS,
      status_code: '201',
      status_message: 'Success, Bank Transfer transaction is created',
      payment_type: 'bank_transfer',
      transaction_status: 'pending',
      fraud_status: 'accept',
      va_numbers: [{ bank, va_number: expect.stringMatching(/^\d+$/) }],
      expiry_time: expect.any(String),
    });
  });

  it('bank_transfer permata: permata_va_number instead of va_numbers', async () => {
    const answer = await core.charge(chargeRequest('bank_transfer', { bank_transfer: { bank: 'permata' } }));
    expect(answer).toMatchObject({ status_code: '201', transaction_status: 'pending', permata_va_number: expect.stringMatching(/^\d+$/) });
    expect(answer.va_numbers).toBeUndefined();
  });

  it('echannel (Mandiri bill): bill_key and biller_code 70012', async () => {
    const answer = await core.charge(chargeRequest('echannel'));
    expect(answer).toMatchObject({
      status_code: '201',
      payment_type: 'echannel',
      transaction_status: 'pending',
      bill_key: expect.stringMatching(/^\d+$/),
      biller_code: '70012',
    });
  });

  it('gopay: the four actions', async () => {
    const answer = await core.charge(chargeRequest('gopay'));
    expect(answer).toMatchObject({ status_code: '201', payment_type: 'gopay', transaction_status: 'pending' });
    expect(answer.actions.map((action: Loose) => action.name)).toEqual(['generate-qr-code', 'deeplink-redirect', 'get-status', 'cancel']);
    for (const action of answer.actions)
      expect(action).toMatchObject({ method: expect.stringMatching(/^(GET|POST)$/), url: expect.any(String) });
  });

  it('shopeepay: a deeplink-redirect action', async () => {
    const answer = await core.charge(chargeRequest('shopeepay'));
    expect(answer).toMatchObject({ status_code: '201', payment_type: 'shopeepay', transaction_status: 'pending' });
    expect(answer.actions).toEqual([{ name: 'deeplink-redirect', method: 'GET', url: expect.any(String) }]);
  });

  it('qris: a generate-qr-code action and the QR payload', async () => {
    const answer = await core.charge(chargeRequest('qris'));
    expect(answer).toMatchObject({
      status_code: '201',
      payment_type: 'qris',
      transaction_status: 'pending',
      acquirer: 'gopay',
      qr_string: expect.any(String),
    });
    expect(answer.actions).toEqual([{ name: 'generate-qr-code', method: 'GET', url: expect.any(String) }]);
    expect((await fetch(answer.actions[0].url)).headers.get('content-type')).toContain('image/');
  });

  it.each(['indomaret', 'alfamart'])('cstore %s: payment_code', async (store) => {
    const answer = await core.charge(chargeRequest('cstore', { cstore: { store, message: 'TiketQ' } }));
    expect(answer).toMatchObject({
      status_code: '201',
      payment_type: 'cstore',
      transaction_status: 'pending',
      store,
      payment_code: expect.stringMatching(/^\d+$/),
    });
  });

  it('ovo: pending on the payer’s phone; the sandbox’s unregistered number is denied at once', async () => {
    expect(await core.charge(chargeRequest('ovo'))).toMatchObject({
      status_code: '201',
      payment_type: 'ovo',
      transaction_status: 'pending',
    });
    expect(await core.charge(chargeRequest('ovo', { ovo: { payer_phone_number: '+628249134000' } }))).toMatchObject({
      status_code: '202',
      transaction_status: 'deny',
    });
  });

  it('dana through Core API: 402, the channel is offered only through Snap', async () => {
    await expect(core.charge(chargeRequest('dana'))).rejects.toMatchObject(rejection({ status_code: '402' }));
  });

  it('a second charge with the same order_id is 406; a bad server key is 401; a zero amount or no body is 400', async () => {
    const request = chargeRequest('bank_transfer');
    await core.charge(request);
    await expect(core.charge(request)).rejects.toMatchObject(rejection({ status_code: '406' }));

    const stranger = pointedAtSimulator(new midtransClient.CoreApi({ ...clientOptions, serverKey: 'SB-Mid-server-wrong' }), sim.url);
    await expect(stranger.charge(chargeRequest('bank_transfer'))).rejects.toMatchObject({ httpStatusCode: 401 });

    const zero = chargeRequest('bank_transfer', {
      transaction_details: { order_id: newOrderId('zero'), gross_amount: 0 },
      item_details: undefined,
    });
    await expect(core.charge(zero)).rejects.toMatchObject(rejection({ status_code: '400' }));
    await expect(core.charge(null as unknown as Record<string, unknown>)).rejects.toMatchObject(
      rejection({ status_code: '400', validation_messages: expect.arrayContaining(['payment_type is required']) }),
    );
  });
});

describe('card tokenization (GET /v2/token) and the 3-D Secure flow', () => {
  it('tokenizes a sandbox card with the client key: token_id "<8-digit BIN>-<last 4>-<uuid>" and a hash', async () => {
    const answer = await core.cardToken(card('4811 1111 1111 1114'));
    expect(answer).toMatchObject({
      status_code: '200',
      status_message: 'Credit card token is created as Token ID.',
      token_id: expect.stringMatching(/^48111111-1114-[0-9a-f-]{36}$/),
      hash: expect.any(String),
    });
  });

  it('refuses a card number that fails the Luhn check, an expired card, and a wrong client key', async () => {
    await expect(core.cardToken(card('4811111111111115'))).rejects.toMatchObject(
      rejection({ status_code: '400', validation_messages: expect.arrayContaining(['card_number does not match with luhn algorithm']) }),
    );
    await expect(core.cardToken(card('4811111111111114', { card_exp_year: '2020' }))).rejects.toMatchObject(
      rejection({ status_code: '400', validation_messages: expect.arrayContaining(['card_exp_year must be greater than this year']) }),
    );
    await expect(core.cardToken(card('4811111111111114', { client_key: 'SB-Mid-client-wrong' }))).rejects.toMatchObject(
      rejection({ status_code: '401' }),
    );
  });

  it('4811 1111 1111 1114 with authentication: 201 + redirect_url → OTP 112233 → capture/accept, notified', async () => {
    const { token_id } = await core.cardToken(card('4811111111111114'));
    const request = chargeRequest('credit_card', { credit_card: { token_id, authentication: true } });
    const charged = await core.charge(request);
    expect(charged).toMatchObject({
      ...TRANSACTION_FIELDS,
      status_code: '201',
      // Midtrans docs, Card Feature: 3D Secure: the sample 3DS charge answer.
      status_message: 'Success, Credit Card transaction is successful',
      payment_type: 'credit_card',
      transaction_status: 'pending',
      masked_card: '48111111-1114',
      card_type: 'credit',
      three_ds_version: '2',
      redirect_url: expect.stringMatching(/^http:\/\//),
    });

    const page = await fetch(charged.redirect_url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<form[^>]*method="post"[\s\S]*name="otp"/);
    const submitted = await fetch(charged.redirect_url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'otp=112233',
    });
    expect(submitted.status).toBe(200);

    const status = await core.transaction.status(charged.order_id);
    expect(status).toMatchObject({
      status_code: '200',
      transaction_status: 'capture',
      fraud_status: 'accept',
      masked_card: '48111111-1114',
      approval_code: expect.any(String),
    });
    await eventually(() =>
      expect(notifications.filter((n) => n.order_id === charged.order_id).map((n) => n.transaction_status)).toEqual(['pending', 'capture']),
    );
    const captured = notifications.find((n) => n.order_id === charged.order_id && n.transaction_status === 'capture');
    expect(isValidMidtransSignature(captured, SERVER_KEY)).toBe(true);

    // A token is single-use: Midtrans answers 411 to a second charge with it.
    await expect(core.charge(chargeRequest('credit_card', { credit_card: { token_id, authentication: true } }))).rejects.toMatchObject(
      rejection({ status_code: '411' }),
    );
  });

  it('4411 1111 1111 1118 (not enrolled in 3DS): captured at once, 200 capture/accept', async () => {
    const { token_id } = await core.cardToken(card('4411111111111118'));
    const answer = await core.charge(chargeRequest('credit_card', { credit_card: { token_id } }));
    expect(answer).toMatchObject({
      status_code: '200',
      transaction_status: 'capture',
      fraud_status: 'accept',
      masked_card: '44111111-1118',
    });
    expect(answer.redirect_url).toBeUndefined();
  });

  it.each(['48111111-1114-0a3c7f8e-7d1e-4c9b-9a55-5f1f6a3c2b10', '481111-1114-0a3c7f8e-7d1e-4c9b-9a55-5f1f6a3c2b10'])(
    'a token_id Midtrans never issued (%s) is 411',
    async (token_id) => {
      await expect(core.charge(chargeRequest('credit_card', { credit_card: { token_id } }))).rejects.toMatchObject(
        rejection({ status_code: '411' }),
      );
    },
  );

  it('pre-authorization: type authorize → 200 authorize; POST /v2/capture → 200 capture', async () => {
    const { token_id } = await core.cardToken(card('4411111111111118'));
    const authorized = await core.charge(chargeRequest('credit_card', { credit_card: { token_id, type: 'authorize' } }));
    expect(authorized).toMatchObject({ status_code: '200', transaction_status: 'authorize', fraud_status: 'accept' });
    const captured = await core.capture({ transaction_id: authorized.transaction_id, gross_amount: 44000 });
    expect(captured).toMatchObject({
      status_code: '200',
      transaction_id: authorized.transaction_id,
      transaction_status: 'capture',
      fraud_status: 'accept',
    });
  });
});

describe('management calls', () => {
  it('status and status B2B of a pending VA; 404 for an unknown id', async () => {
    const charged = await core.charge(chargeRequest('bank_transfer'));
    expect(await core.transaction.status(charged.order_id)).toMatchObject({
      ...TRANSACTION_FIELDS,
      status_code: '201',
      transaction_status: 'pending',
      signature_key: expect.stringMatching(/^[0-9a-f]{128}$/),
    });
    expect(await core.transaction.status(charged.transaction_id)).toMatchObject({ order_id: charged.order_id });

    const b2b = await core.transaction.statusb2b(charged.order_id);
    expect(b2b).toMatchObject({ status_code: '200', status_message: 'Success, transactions are retrieved' });
    expect(b2b.transactions).toEqual([expect.objectContaining({ order_id: charged.order_id, transaction_status: 'pending' })]);

    await expect(core.transaction.status('no-such-order')).rejects.toMatchObject(rejection({ status_code: '404' }));
  });

  it('notification(): the client looks the notified transaction up by its transaction_id', async () => {
    const charged = await core.charge(chargeRequest('bank_transfer'));
    await eventually(() => expect(notifications.some((n) => n.order_id === charged.order_id)).toBe(true));
    const notified = notifications.find((n) => n.order_id === charged.order_id);
    expect(await core.transaction.notification(JSON.stringify(notified))).toMatchObject({
      order_id: charged.order_id,
      transaction_status: 'pending',
    });
  });

  it('approve and deny a card held for review (4511 1111 1111 1117, challenged by FDS); 412 when nothing is held', async () => {
    const challenged = async () => {
      const { token_id } = await core.cardToken(card('4511111111111117'));
      return core.charge(chargeRequest('credit_card', { credit_card: { token_id } }));
    };
    const first = await challenged();
    expect(first).toMatchObject({ transaction_status: 'capture', fraud_status: 'challenge' });
    expect(await core.transaction.approve(first.order_id)).toMatchObject({
      status_code: '200',
      status_message: 'Success, transaction is approved',
      transaction_status: 'capture',
      fraud_status: 'accept',
    });
    const second = await challenged();
    expect(await core.transaction.deny(second.order_id)).toMatchObject({
      status_code: '200',
      status_message: 'Success, transaction is denied',
      transaction_status: 'deny',
      fraud_status: 'deny',
    });
    await expect(core.transaction.approve(first.order_id)).rejects.toMatchObject(rejection({ status_code: '412' }));
  });

  it('cancel a pending transaction: 200 cancel; then 412', async () => {
    const charged = await core.charge(chargeRequest('gopay'));
    expect(await core.transaction.cancel(charged.order_id)).toMatchObject({
      status_code: '200',
      status_message: 'Success, transaction is canceled',
      transaction_status: 'cancel',
    });
    await expect(core.transaction.cancel(charged.order_id)).rejects.toMatchObject(rejection({ status_code: '412' }));
  });

  it('expire a pending transaction: body status_code 407 (the client resolves it), and the order_id is free again', async () => {
    const request = chargeRequest('bank_transfer');
    const charged = await core.charge(request);
    expect(await core.transaction.expire(charged.order_id)).toMatchObject({ status_code: '407', transaction_status: 'expire' });
    expect(await core.transaction.status(charged.order_id)).toMatchObject({ status_code: '407', transaction_status: 'expire' });
    expect(await core.charge(request)).toMatchObject({ status_code: '201', order_id: charged.order_id });
  });

  it('refund (partial, idempotent by refund_key) and direct refund of settled payments; 412 before settlement, 414 for a VA', async () => {
    const gopay = await core.charge(chargeRequest('gopay'));
    await expect(core.transaction.refund(gopay.order_id, { amount: 1000 })).rejects.toMatchObject(rejection({ status_code: '412' }));
    await customerPays(gopay.order_id);
    const refund = { refund_key: `rf-${gopay.order_id}`, amount: 4000, reason: 'seat changed' };
    const refunded = await core.transaction.refund(gopay.order_id, refund);
    expect(refunded).toMatchObject({
      status_code: '200',
      status_message: 'Success, refund request is approved',
      transaction_status: 'partial_refund',
      refund_amount: '4000.00',
      refund_key: refund.refund_key,
      refund_chargeback_id: expect.any(Number),
    });
    expect(await core.transaction.refund(gopay.order_id, refund)).toMatchObject({ refund_chargeback_id: refunded.refund_chargeback_id });

    const qris = await core.charge(chargeRequest('qris'));
    await customerPays(qris.order_id);
    expect(await core.transaction.refundDirect(qris.order_id, { refund_key: `rd-${qris.order_id}`, amount: 44000 })).toMatchObject({
      status_code: '200',
      transaction_status: 'refund',
      refund_amount: '44000.00',
    });

    const va = await core.charge(chargeRequest('bank_transfer'));
    await customerPays(va.order_id);
    await expect(core.transaction.refund(va.order_id, { amount: 1000 })).rejects.toMatchObject(rejection({ status_code: '414' }));
  });
});

describe('Snap', () => {
  const snapRequest = () => ({ transaction_details: { order_id: newOrderId('snap'), gross_amount: 44000 }, credit_card: { secure: true } });

  it('createTransaction answers 201 with a token and the redirect_url of the payment page', async () => {
    const answer = await snap.createTransaction(snapRequest());
    expect(answer).toEqual({ token: expect.any(String), redirect_url: `${sim.url}/snap/v3/redirection/${answer.token}` });
    expect((await fetch(answer.redirect_url)).status).toBe(200);
  });

  it('a Snap payment page for one method (enabled_payments ["dana"]) and an expiry', async () => {
    const answer = await snap.createTransaction({ ...snapRequest(), enabled_payments: ['dana'], expiry: { unit: 'minute', duration: 15 } });
    expect(answer).toEqual({ token: expect.any(String), redirect_url: expect.stringContaining(answer.token) });
    expect(await (await fetch(answer.redirect_url)).text()).toContain('value="dana"');
  });

  it('createTransactionToken and createTransactionRedirectUrl', async () => {
    const token = await snap.createTransactionToken(snapRequest());
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    const url = await snap.createTransactionRedirectUrl(snapRequest());
    expect(url).toMatch(new RegExp(`^${sim.url}/snap/v3/redirection/[0-9a-f-]{36}$`));
  });

  it('the order is 404 on status until the customer picks a method', async () => {
    const request = snapRequest();
    await snap.createTransaction(request);
    await expect(snap.transaction.status(request.transaction_details.order_id)).rejects.toMatchObject(rejection({ status_code: '404' }));
  });

  it('400 error_messages for a taken order_id or items that do not add up; 401 for a bad server key', async () => {
    const request = snapRequest();
    await snap.createTransaction(request);
    await expect(snap.createTransaction(request)).rejects.toMatchObject({
      httpStatusCode: 400,
      ApiResponse: { error_messages: expect.arrayContaining(['transaction_details.order_id has already been taken']) },
    });
    await expect(
      snap.createTransaction({ ...snapRequest(), item_details: [{ id: 'a', price: 1000, quantity: 1, name: 'Ticket' }] }),
    ).rejects.toMatchObject({ httpStatusCode: 400, ApiResponse: { error_messages: expect.any(Array) } });

    const stranger = pointedAtSimulator(new midtransClient.Snap({ ...clientOptions, serverKey: 'SB-Mid-server-wrong' }), sim.url);
    await expect(stranger.createTransaction(snapRequest())).rejects.toMatchObject({ httpStatusCode: 401 });
  });
});
