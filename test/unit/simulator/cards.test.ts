import { afterEach, describe, expect, it, vi } from 'vitest';
import { LOCAL_SIMULATOR_CLIENT_KEY } from '../../../src/config';
import type { Simulator } from '../../../simulator/app';
import { call, charge, chargeRequest, newSimulator, type Loose } from './helpers';

let sim: Simulator;
afterEach(() => {
  sim?.close();
  vi.useRealTimers();
});

const cardCharge = (tokenId: unknown, extra: Record<string, unknown> = {}) =>
  chargeRequest('credit_card', { credit_card: { token_id: tokenId, ...extra } });

const futureYear = String(new Date().getFullYear() + 1);

/** GET /v2/token as a browser sends it: query parameters and the client key, no server key. */
async function tokenize(card: Record<string, string | undefined>): Promise<{ status: number; body: Loose }> {
  const query = new URLSearchParams(
    Object.entries({
      client_key: LOCAL_SIMULATOR_CLIENT_KEY,
      card_exp_month: '12',
      card_exp_year: futureYear,
      card_cvv: '123',
      ...card,
    }).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const response = await sim.app.request(`/v2/token?${query}`);
  return { status: response.status, body: await response.json() };
}

async function tokenOf(cardNumber: string): Promise<string> {
  const { body } = await tokenize({ card_number: cardNumber });
  expect(body.status_code).toBe('200');
  return body.token_id;
}

async function submitOtp(redirectUrl: string, otp: string): Promise<Response> {
  return sim.app.request(redirectUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `otp=${otp}`,
  });
}

describe('GET /v2/token (card tokenization)', () => {
  it('issues a single-use token "<first 8>-<last 4>-<uuid>" and a per-card hash, with the client key only', async () => {
    sim = newSimulator();
    const first = await tokenize({ card_number: '4811 1111 1111 1114' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      status_code: '200',
      status_message: 'Credit card token is created as Token ID.',
      token_id: expect.stringMatching(/^48111111-1114-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      hash: expect.any(String),
    });
    const second = await tokenize({ card_number: '4811111111111114', card_exp_year: futureYear.slice(2) });
    expect(second.body.token_id).not.toBe(first.body.token_id);
    expect(second.body.hash).toBe(first.body.hash);
    expect((await tokenize({ card_number: '4411111111111118' })).body.hash).not.toBe(first.body.hash);
  });

  it.each([
    ['no card number', { card_number: undefined }, 'card_number is required'],
    ['a number failing the Luhn check', { card_number: '4811111111111115' }, 'card_number does not match with luhn algorithm'],
    ['too few digits', { card_number: '48111111' }, 'card_number must be 12 to 19 digits'],
    ['month 13', { card_exp_month: '13' }, 'card_exp_month must be a month between 01 and 12'],
    ['no year', { card_exp_year: undefined }, 'card_exp_year must be a year in YYYY format'],
    ['an expired year', { card_exp_year: '2020' }, 'card_exp_year must be greater than this year'],
    ['no CVV', { card_cvv: undefined }, 'card_cvv must be 3 or 4 digits'],
  ])('answers 400 with validation_messages (on HTTP 200) for %s, and issues nothing', async (_case, card, message) => {
    sim = newSimulator();
    const { status, body } = await tokenize({ card_number: '4811111111111114', ...card });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status_code: '400',
      status_message: 'One or more parameters in the payload is invalid.',
      validation_messages: [message],
    });
    expect(body.token_id).toBeUndefined();
  });

  it("refuses a card that expired earlier this year: card_exp_month must be greater than this year's month", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2031-06-15T00:00:00Z'));
    sim = newSimulator();
    expect(
      (await tokenize({ card_number: '4811111111111114', card_exp_month: '05', card_exp_year: '2031' })).body.validation_messages,
    ).toEqual(["card_exp_month must be greater than this year's month"]);
    expect((await tokenize({ card_number: '4811111111111114', card_exp_month: '06', card_exp_year: '2031' })).body.status_code).toBe('200');
  });

  it.each([
    ['a wrong client key', 'SB-Mid-client-wrong'],
    ['no client key', undefined],
  ])('answers 401 for %s', async (_case, clientKey) => {
    sim = newSimulator();
    const { status, body } = await tokenize({ card_number: '4811111111111114', client_key: clientKey });
    expect(status).toBe(200);
    expect(body).toMatchObject({ status_code: '401', status_message: expect.stringContaining('client or server key') });
  });

  it('takes the client key it is configured with', async () => {
    sim = newSimulator({ clientKey: 'SB-Mid-client-custom' });
    expect((await tokenize({ card_number: '4811111111111114' })).body.status_code).toBe('401');
    expect((await tokenize({ card_number: '4811111111111114', client_key: 'SB-Mid-client-custom' })).body.status_code).toBe('200');
  });
});

describe('charging with a card token', () => {
  it('a token is single-use: the second charge is 411', async () => {
    sim = newSimulator();
    const token = await tokenOf('4411111111111118');
    expect((await charge(sim, cardCharge(token))).body.status_code).toBe('200');
    expect((await charge(sim, cardCharge(token))).body).toMatchObject({
      status_code: '411',
      status_message: 'Token id is missing, invalid, or timed out',
    });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['garbage', 'tok_123'],
    ['token-shaped but never issued', '48111111-1114-0a3c7f8e-7d1e-4c9b-9a55-5f1f6a3c2b10'],
    ['the number of a card outside the sandbox table', '4111111111111111'],
  ])('answers 411 (HTTP 200) when token_id is %s, and creates nothing', async (_case, tokenId) => {
    sim = newSimulator();
    const { status, body } = await charge(sim, cardCharge(tokenId));
    expect(status).toBe(200);
    expect(body.status_code).toBe('411');
    expect(sim.store.list()).toHaveLength(0);
  });

  it('the number of a sandbox test card works as a reusable token (a simulator convenience)', async () => {
    sim = newSimulator();
    expect((await charge(sim, cardCharge('4411111111111118'))).body.status_code).toBe('200');
    expect((await charge(sim, cardCharge('4411 1111 1111 1118'))).body).toMatchObject({ status_code: '200', masked_card: '44111111-1118' });
  });

  it('a tokenized card outside the sandbox table is approved without 3DS', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge(await tokenOf('5264 2210 3887 4659'), { authentication: true }));
    expect(body).toMatchObject({ status_code: '200', transaction_status: 'capture', fraud_status: 'accept', masked_card: '52642210-4659' });
  });
});

describe('3-D Secure (cards with Full Authentication, charged with authentication: true)', () => {
  it('4811 1111 1111 1114: 201 pending with redirect_url (≈10 min) → OTP page → 112233 → capture/accept, notified', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge(await tokenOf('4811111111111114'), { authentication: true }));
    expect(body).toMatchObject({
      status_code: '201',
      transaction_status: 'pending',
      fraud_status: 'accept',
      masked_card: '48111111-1114',
      redirect_url: expect.stringContaining(`/v2/token/rba/redirect/${body.transaction_id}`),
    });
    const minutes = (Date.parse(body.expiry_time.replace(' ', 'T')) - Date.parse(body.transaction_time.replace(' ', 'T'))) / 60_000;
    expect(minutes).toBe(10);

    const page = await sim.app.request(body.redirect_url);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(
      new RegExp(`<form method="post" action="/v2/token/rba/redirect/${body.transaction_id}">[\\s\\S]*name="otp"`),
    );

    const submitted = await submitOtp(body.redirect_url, '112233');
    expect(submitted.status).toBe(200);
    expect(await submitted.text()).toContain('capture');
    const status = (await call(sim, 'GET', `/v2/${body.order_id}/status`)).body;
    expect(status).toMatchObject({
      status_code: '200',
      transaction_status: 'capture',
      fraud_status: 'accept',
      approval_code: expect.any(String),
    });
    expect(sim.store.find(body.order_id)!.transaction.notifications.map((n) => n.body.transaction_status)).toEqual(['pending', 'capture']);

    // The page is done once authentication is: a second OTP changes nothing.
    expect(await (await sim.app.request(body.redirect_url)).text()).toContain('Authentication is already complete');
    await submitOtp(body.redirect_url, '000000');
    expect(sim.store.find(body.order_id)!.transaction.status).toBe('capture');
  });

  it('a wrong OTP fails authentication: deny', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge(await tokenOf('4811111111111114'), { authentication: true }));
    await submitOtp(body.redirect_url, '000000');
    expect(sim.store.find(body.order_id)!.transaction).toMatchObject({ status: 'deny', fraudStatus: 'accept' });
  });

  it('4911 1111 1111 1113: authenticated, then denied by the bank', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge(await tokenOf('4911111111111113'), { authentication: true }));
    expect(body).toMatchObject({ status_code: '201', transaction_status: 'pending', redirect_url: expect.any(String) });
    await submitOtp(body.redirect_url, '112233');
    expect((await call(sim, 'GET', `/v2/${body.order_id}/status`)).body).toMatchObject({
      status_code: '202',
      transaction_status: 'deny',
      fraud_status: 'accept',
    });
  });

  it('authentication defaults to false: 4811 and 5211 are captured at once without it', async () => {
    sim = newSimulator();
    for (const card of ['4811111111111114', '5211111111111117']) {
      const { body } = await charge(sim, cardCharge(await tokenOf(card)));
      expect(body).toMatchObject({ status_code: '200', transaction_status: 'capture', fraud_status: 'accept' });
      expect(body.redirect_url).toBeUndefined();
    }
    const asString = (await charge(sim, cardCharge(await tokenOf('5211111111111117'), { authentication: 'true' }))).body;
    expect(asString).toMatchObject({ status_code: '201', redirect_url: expect.any(String) });
  });

  it('a pre-authorization (type authorize) is authorize after the OTP, then capture through POST /v2/capture', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge(await tokenOf('4811111111111114'), { authentication: true, type: 'authorize' }));
    await submitOtp(body.redirect_url, '112233');
    expect((await call(sim, 'GET', `/v2/${body.order_id}/status`)).body).toMatchObject({
      status_code: '200',
      transaction_status: 'authorize',
    });
    const captured = await call(sim, 'POST', '/v2/capture', { transaction_id: body.transaction_id, gross_amount: 44000 });
    expect(captured.body).toMatchObject({ status_code: '200', transaction_status: 'capture', fraud_status: 'accept' });
    expect((await call(sim, 'POST', '/v2/capture', { transaction_id: body.transaction_id })).body.status_code).toBe('412');
    expect((await call(sim, 'POST', '/v2/capture', { transaction_id: 'no-such-transaction' })).body.status_code).toBe('404');
    expect((await call(sim, 'POST', '/v2/capture', {})).body.status_code).toBe('400');
  });
});

describe('sandbox test cards without 3DS (Attempted Authentication)', () => {
  it.each([
    ['4411 1111 1111 1118', '200', 'capture', 'accept'],
    ['4511 1111 1111 1117', '201', 'capture', 'challenge'],
    ['4611 1111 1111 1116', '202', 'deny', 'deny'],
    ['4711 1111 1111 1115', '202', 'deny', 'accept'],
    ['5410 1111 1111 1116', '200', 'capture', 'accept'],
    ['5510 1111 1111 1115', '201', 'capture', 'challenge'],
    ['5411 1111 1111 1115', '202', 'deny', 'deny'],
    ['5511 1111 1111 1114', '202', 'deny', 'accept'],
  ])('%s → status_code %s, %s, fraud %s, even with authentication: true', async (card, statusCode, status, fraud) => {
    sim = newSimulator();
    const { status: http, body } = await charge(sim, cardCharge(await tokenOf(card), { authentication: true }));
    expect(http).toBe(200);
    expect(body).toMatchObject({ status_code: statusCode, transaction_status: status, fraud_status: fraud });
    expect(body.redirect_url).toBeUndefined();
  });

  it('the control panel challenge action puts an accepted card on review', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge('4411111111111118'));
    const { body: view } = await call(sim, 'POST', `/_simulator/transactions/${body.order_id}/challenge`);
    expect(view.transaction).toMatchObject({ status_code: '201', transaction_status: 'capture', fraud_status: 'challenge' });
  });

  it('a captured card settles with a second /_simulator pay', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge('4411111111111118'));
    const { body: view } = await call(sim, 'POST', `/_simulator/transactions/${body.order_id}/pay`);
    expect(view.transaction).toMatchObject({ status_code: '200', transaction_status: 'settlement', settlement_time: expect.any(String) });
  });
});
