import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../simulator/app';
import { resolveCardToken } from '../../../simulator/cards';
import { call, charge, chargeRequest, newSimulator } from './helpers';

let sim: Simulator;
afterEach(() => sim?.close());

const cardCharge = (tokenId: unknown, extra: Record<string, unknown> = {}) =>
  chargeRequest('credit_card', { credit_card: { token_id: tokenId, ...extra } });

describe('card token convention', () => {
  it('accepts a Midtrans-shaped token "<bin6>-<last4>-<anything>" and the raw card number', () => {
    expect(resolveCardToken('481111-1114-0a3c7f8e-7d1e-4c9b-9a55-5f1f6a3c2b10')).toMatchObject({ scenario: 'accept_3ds', singleUse: true });
    expect(resolveCardToken('4811111111111114')).toMatchObject({ scenario: 'accept_3ds', singleUse: false });
    expect(resolveCardToken('4811 1111 1111 1114')).toMatchObject({ maskedCard: '481111-1114' });
    expect(resolveCardToken('4111111111111111')).toBeUndefined();
    expect(resolveCardToken('481111-9999-x')).toBeUndefined();
    expect(resolveCardToken(undefined)).toBeUndefined();
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['garbage', 'tok_123'],
    ['a card that is not a sandbox test card', '4111111111111111'],
  ])('answers 411 (HTTP 200) when token_id is %s', async (_case, tokenId) => {
    sim = newSimulator();
    const { status, body } = await charge(sim, cardCharge(tokenId));
    expect(status).toBe(200);
    expect(body.status_code).toBe('411');
    expect(sim.store.list()).toHaveLength(0);
  });

  it('answers 411 when a Midtrans-shaped token is used a second time (tokens are single-use)', async () => {
    sim = newSimulator();
    const token = '441111-1118-single-use';
    expect((await charge(sim, cardCharge(token))).body.status_code).toBe('200');
    expect((await charge(sim, cardCharge(token))).body.status_code).toBe('411');
    // The raw card number is a reusable convenience.
    expect((await charge(sim, cardCharge('4411111111111118'))).body.status_code).toBe('200');
    expect((await charge(sim, cardCharge('4411111111111118'))).body.status_code).toBe('200');
  });
});

describe('sandbox test cards', () => {
  it('4811 1111 1111 1114: pending with a 3DS redirect_url (≈10 min), then capture+accept once paid', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge('481111-1114-abc', { authentication: true }));
    expect(body).toMatchObject({
      status_code: '201',
      transaction_status: 'pending',
      fraud_status: 'accept',
      masked_card: '481111-1114',
      redirect_url: expect.stringContaining(`/v2/token/rba/redirect/${body.transaction_id}`),
    });
    const minutes = (Date.parse(body.expiry_time.replace(' ', 'T')) - Date.parse(body.transaction_time.replace(' ', 'T'))) / 60_000;
    expect(minutes).toBe(10);

    await call(sim, 'POST', `/_simulator/transactions/${body.order_id}/pay`);
    const status = (await call(sim, 'GET', `/v2/${body.order_id}/status`)).body;
    expect(status).toMatchObject({ status_code: '200', transaction_status: 'capture', fraud_status: 'accept', approval_code: expect.any(String) });
  });

  it('the 3DS page accepts OTP 112233 and captures', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge('4811111111111114'));
    const page = await sim.app.request(body.redirect_url);
    expect(await page.text()).toContain('name="otp"');
    const submitted = await sim.app.request(body.redirect_url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'otp=112233',
    });
    expect(submitted.status).toBe(200);
    expect(sim.store.find(body.order_id)?.transaction).toMatchObject({ status: 'capture', fraudStatus: 'accept' });
  });

  it('the 3DS page denies on a wrong OTP', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge('4811111111111114'));
    await sim.app.request(body.redirect_url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'otp=000000',
    });
    expect(sim.store.find(body.order_id)?.transaction.status).toBe('deny');
  });

  it('4411 1111 1111 1118: capture+accept at once, no redirect', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge('441111-1118-x'));
    expect(body).toMatchObject({ status_code: '200', transaction_status: 'capture', fraud_status: 'accept' });
    expect(body.redirect_url).toBeUndefined();
  });

  it('5211 1111 1111 1117 (Mastercard): accept; 3DS only with authentication: true', async () => {
    sim = newSimulator();
    expect((await charge(sim, cardCharge('521111-1117-a'))).body).toMatchObject({ status_code: '200', transaction_status: 'capture' });
    const with3ds = (await charge(sim, cardCharge('521111-1117-b', { authentication: true }))).body;
    expect(with3ds).toMatchObject({ status_code: '201', transaction_status: 'pending', redirect_url: expect.any(String) });
  });

  it('4911 1111 1111 1113: denied by the bank, status_code 202, fraud accept', async () => {
    sim = newSimulator();
    const { status, body } = await charge(sim, cardCharge('491111-1113-x'));
    expect(status).toBe(200);
    expect(body).toMatchObject({ status_code: '202', transaction_status: 'deny', fraud_status: 'accept' });
  });

  it('4611 1111 1111 1116: denied by fraud detection, fraud_status deny', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge('461111-1116-x'));
    expect(body).toMatchObject({ status_code: '202', transaction_status: 'deny', fraud_status: 'deny' });
  });

  it('4511 1111 1111 1117 (simulator choice): capture+challenge with status_code 201', async () => {
    sim = newSimulator();
    const { body } = await charge(sim, cardCharge('451111-1117-x'));
    expect(body).toMatchObject({ status_code: '201', transaction_status: 'capture', fraud_status: 'challenge' });
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
