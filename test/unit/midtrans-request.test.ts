import { describe, expect, it } from 'vitest';
import { buildMidtransCharge, formatMidtransTime, withoutCheckout, type PaymentRequest } from '../../src/domain';

// 2024-03-10 17:30:05 UTC is 2024-03-11 00:30:05 in Jakarta: the date changes at +0700.
const NOW = new Date('2024-03-10T17:30:05Z');
const ORDER_TIME = '2024-03-11 00:30:05 +0700';

function request(overrides: Partial<PaymentRequest> = {}): PaymentRequest {
  return {
    paymentId: 'pay_01HXYZ',
    orderId: 'ord-42',
    amount: 150000,
    method: 'bank_transfer',
    bank: 'bca',
    customer: { firstName: 'Budi', lastName: 'Santoso', email: 'budi@example.com', phone: '+628123456789' },
    items: [
      { id: 'ticket-vip', name: 'VIP ticket', price: 100000, quantity: 1 },
      { id: 'ticket-reg', name: 'Regular ticket', price: 50000, quantity: 1 },
    ],
    description: 'Konser Jakarta',
    expiryMinutes: 60,
    ...overrides,
  };
}

const commonBody = {
  transaction_details: { order_id: 'pay_01HXYZ', gross_amount: 150000 },
  item_details: [
    { id: 'ticket-vip', name: 'VIP ticket', price: 100000, quantity: 1 },
    { id: 'ticket-reg', name: 'Regular ticket', price: 50000, quantity: 1 },
  ],
  customer_details: { first_name: 'Budi', last_name: 'Santoso', email: 'budi@example.com', phone: '+628123456789' },
};
const customExpiry = { order_time: ORDER_TIME, expiry_duration: 60, unit: 'minute' };

describe('buildMidtransCharge', () => {
  it.each(['bca', 'bni', 'bri', 'permata', 'cimb'] as const)('bank_transfer %s → core VA', (bank) => {
    expect(buildMidtransCharge(request({ bank }), NOW)).toEqual({
      api: 'core',
      body: { ...commonBody, custom_expiry: customExpiry, payment_type: 'bank_transfer', bank_transfer: { bank } },
    });
  });

  it('bank_transfer mandiri → core echannel with a truncated label', () => {
    const charge = buildMidtransCharge(
      request({ bank: 'mandiri', description: 'Festival musik akhir pekan di Jakarta Selatan' }),
      NOW,
    );
    expect(charge).toMatchObject({
      api: 'core',
      body: { payment_type: 'echannel', echannel: { bill_info1: 'Payment:', bill_info2: 'Festival musik akhir pekan di' } },
    });
    expect(buildMidtransCharge(request({ bank: 'mandiri', description: undefined }), NOW).body).toMatchObject({
      echannel: { bill_info2: 'TiketQ' },
    });
  });

  it('bank_transfer without a bank is refused', () => {
    expect(() => buildMidtransCharge(request({ bank: undefined }), NOW)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });

  it('gopay → core gopay, with the app callback when given', () => {
    expect(buildMidtransCharge(request({ method: 'gopay', bank: undefined }), NOW)).toEqual({
      api: 'core',
      body: { ...commonBody, custom_expiry: customExpiry, payment_type: 'gopay' },
    });
    expect(
      buildMidtransCharge(request({ method: 'gopay', callbackUrl: 'tiketq://paid' }), NOW).body,
    ).toMatchObject({ payment_type: 'gopay', gopay: { enable_callback: true, callback_url: 'tiketq://paid' } });
  });

  it('shopeepay → core shopeepay', () => {
    expect(buildMidtransCharge(request({ method: 'shopeepay', callbackUrl: 'https://tiketq.id/done' }), NOW)).toEqual({
      api: 'core',
      body: {
        ...commonBody,
        custom_expiry: customExpiry,
        payment_type: 'shopeepay',
        shopeepay: { callback_url: 'https://tiketq.id/done' },
      },
    });
  });

  it('qris → core qris acquired by gopay', () => {
    expect(buildMidtransCharge(request({ method: 'qris' }), NOW).body).toMatchObject({
      payment_type: 'qris',
      qris: { acquirer: 'gopay' },
      custom_expiry: customExpiry,
    });
  });

  it.each(['indomaret', 'alfamart'] as const)('%s → core cstore with a till label of ≤ 20 characters', (store) => {
    expect(buildMidtransCharge(request({ method: store, description: 'Konser Jakarta Raya 2024' }), NOW)).toEqual({
      api: 'core',
      body: {
        ...commonBody,
        custom_expiry: customExpiry,
        payment_type: 'cstore',
        cstore: { store, message: 'Konser Jakarta Raya' },
      },
    });
  });

  it('ovo → core ovo with the payer phone and no custom expiry (Midtrans fixes it)', () => {
    const charge = buildMidtransCharge(request({ method: 'ovo' }), NOW);
    expect(charge).toEqual({
      api: 'core',
      body: { ...commonBody, payment_type: 'ovo', ovo: { payer_phone_number: '+628123456789' } },
    });
    expect(charge.body).not.toHaveProperty('custom_expiry');
  });

  it('ovo without a phone is refused', () => {
    const customer = { firstName: 'Budi' };
    expect(() => buildMidtransCharge(request({ method: 'ovo', customer }), NOW)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(() => buildMidtransCharge(request({ method: 'ovo', customer: { ...customer, phone: '  ' } }), NOW)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });

  it('credit_card with a token → core 3DS charge', () => {
    expect(buildMidtransCharge(request({ method: 'credit_card', cardToken: 'tok-481111-1114' }), NOW)).toEqual({
      api: 'core',
      body: {
        ...commonBody,
        custom_expiry: customExpiry,
        payment_type: 'credit_card',
        credit_card: { token_id: 'tok-481111-1114', authentication: true },
      },
    });
  });

  it('credit_card without a token → Snap limited to cards', () => {
    expect(buildMidtransCharge(request({ method: 'credit_card' }), NOW)).toEqual({
      api: 'snap',
      body: {
        ...commonBody,
        enabled_payments: ['credit_card'],
        expiry: { start_time: ORDER_TIME, unit: 'minute', duration: 60 },
        credit_card: { secure: true },
      },
    });
  });

  it('dana → Snap limited to DANA', () => {
    expect(buildMidtransCharge(request({ method: 'dana' }), NOW)).toEqual({
      api: 'snap',
      body: {
        ...commonBody,
        enabled_payments: ['dana'],
        expiry: { start_time: ORDER_TIME, unit: 'minute', duration: 60 },
      },
    });
  });

  it('truncates item names to 50 characters without splitting an emoji', () => {
    const name = `${'x'.repeat(49)}🎫 and more`;
    const items = [{ id: 'a', name, price: 150000, quantity: 1 }];
    const body = buildMidtransCharge(request({ items }), NOW).body;
    expect(body.item_details?.[0]?.name).toBe(`${'x'.repeat(49)}🎫`);
  });

  it('leaves out empty customer fields and an empty item list', () => {
    const body = buildMidtransCharge(request({ customer: { firstName: 'Ani', email: '' }, items: [] }), NOW).body;
    expect(body.customer_details).toEqual({ first_name: 'Ani' });
    expect(body).not.toHaveProperty('item_details');
  });

  it('refuses items that do not add up to the amount', () => {
    expect(() => buildMidtransCharge(request({ amount: 140000 }), NOW)).toThrow(
      expect.objectContaining({ code: 'AMOUNT_MISMATCH', details: { amount: 140000, itemsTotal: 150000 } }),
    );
  });

  it.each([
    [{ amount: 150000.5 }, 'INVALID_AMOUNT'],
    [{ amount: 0 }, 'INVALID_AMOUNT'],
    [{ paymentId: 'pay/1' }, 'VALIDATION_FAILED'],
    [{ paymentId: 'p'.repeat(51) }, 'VALIDATION_FAILED'],
    [{ expiryMinutes: 0 }, 'VALIDATION_FAILED'],
    [{ expiryMinutes: 1.5 }, 'VALIDATION_FAILED'],
  ] as const)('refuses %j with %s', (overrides, code) => {
    expect(() => buildMidtransCharge(request(overrides), NOW)).toThrow(expect.objectContaining({ code }));
  });

  it('uses the payment id, not the TiketQ order id, as Midtrans order_id', () => {
    expect(buildMidtransCharge(request(), NOW).body.transaction_details.order_id).toBe('pay_01HXYZ');
  });
});

describe('withoutCheckout', () => {
  it("keeps a payment's terms and drops the customer, the items, the description and the card token, remembering a token came", () => {
    const terms = withoutCheckout(request({ method: 'credit_card', bank: undefined, cardToken: 'tok-481111-1114', callbackUrl: 'tiketq://paid' }));
    expect(terms).toEqual({
      paymentId: 'pay_01HXYZ',
      orderId: 'ord-42',
      amount: 150000,
      method: 'credit_card',
      bank: undefined,
      hasCardToken: true,
      expiryMinutes: 60,
      callbackUrl: 'tiketq://paid',
    });
    expect(withoutCheckout(request())).not.toHaveProperty('hasCardToken');
    // Terms alone (a run that continued as new) stay as they are.
    expect(withoutCheckout(terms)).toEqual(terms);
  });
});

describe('formatMidtransTime', () => {
  it.each([
    ['2024-03-10T17:30:05Z', '2024-03-11 00:30:05 +0700'],
    ['2024-12-31T16:59:59Z', '2024-12-31 23:59:59 +0700'],
    ['2024-12-31T17:00:00Z', '2025-01-01 00:00:00 +0700'],
    ['2024-02-28T20:00:00Z', '2024-02-29 03:00:00 +0700'],
    ['2024-06-01T08:05:09+07:00', '2024-06-01 08:05:09 +0700'],
  ])('%s → %s', (iso, expected) => {
    expect(formatMidtransTime(new Date(iso))).toBe(expected);
  });

  it('refuses an invalid date', () => {
    expect(() => formatMidtransTime(new Date('nope'))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

// Boundaries a StrykerJS run found no test pinning (docs/testing.md, "Mutation score").
describe('request edges', () => {
  const now = new Date('2026-12-01T03:00:00Z');

  it('a one-minute expiry is accepted; zero minutes is not', () => {
    expect(() => buildMidtransCharge(request({ expiryMinutes: 1 }), now)).not.toThrow();
    expect(() => buildMidtransCharge(request({ expiryMinutes: 0 }), now)).toThrow(/expiryMinutes/);
  });

  it('a blank description labels the store payment "TiketQ", not blanks', () => {
    const charge = buildMidtransCharge(request({ method: 'indomaret', bank: undefined, description: '   ' }), now);
    expect(charge).toMatchObject({ api: 'core', body: { payment_type: 'cstore', cstore: { message: 'TiketQ' } } });
  });
});
