import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { notificationMeaningSha256 } from '../../src/midtrans/notification-meaning';

/** A refund notification as Midtrans sends it (docs/midtrans.md §5), two refunds in. */
const refundNotification = {
  transaction_id: 'c0ba3e80-7d1e-4c0b-9cbd-4d1c0a3e2f11',
  order_id: 'pay-0123456789abcdef0123456789abcdef',
  merchant_id: 'G141532850',
  gross_amount: '250000.00',
  currency: 'IDR',
  payment_type: 'gopay',
  transaction_time: '2026-12-01 10:00:00',
  transaction_status: 'partial_refund',
  fraud_status: 'accept',
  status_code: '200',
  status_message: 'midtrans payment notification',
  settlement_time: '2026-12-01 10:01:02',
  refund_amount: '80000.00',
  refunds: [
    { refund_chargeback_id: 1, refund_amount: '50000.00', created_at: '2026-12-01 11:00:00', reason: 'seat', refund_key: 'rk-1' },
    { refund_chargeback_id: 2, refund_amount: '30000.00', created_at: '2026-12-01 12:00:00', reason: 'bag', refund_key: 'rk-2' },
  ],
  signature_key: 'a'.repeat(128),
};

const MEANINGFUL = ['order_id', 'transaction_status', 'status_code', 'fraud_status', 'gross_amount', 'refund_amount', 'settlement_time'];

describe('notification meaning', () => {
  it('ignores what is not money or state: ids, timestamps, messages, the signature, refund reasons', () => {
    const same = {
      ...refundNotification,
      transaction_id: 'another-transaction',
      transaction_time: '2030-01-01 00:00:00',
      status_message: 'retry',
      signature_key: 'b'.repeat(128),
      refunds: [
        { ...refundNotification.refunds[1], reason: 'changed', bank_confirmed_at: '2026-12-02 09:00:00' },
        refundNotification.refunds[0],
      ],
    };
    expect(notificationMeaningSha256(same)).toBe(notificationMeaningSha256(refundNotification));
  });

  const changes: [string, Record<string, unknown>][] = [
    ...MEANINGFUL.map((field): [string, Record<string, unknown>] => [
      field,
      { ...refundNotification, [field]: `${String(refundNotification[field as keyof typeof refundNotification])}0` },
    ]),
    ['a field going missing (fraud_status)', { ...refundNotification, fraud_status: undefined }],
    [
      'one refund amount',
      { ...refundNotification, refunds: [refundNotification.refunds[0], { ...refundNotification.refunds[1], refund_amount: '30001.00' }] },
    ],
    [
      'one refund more',
      {
        ...refundNotification,
        refunds: [...refundNotification.refunds, { refund_chargeback_id: 3, refund_amount: '1.00', refund_key: 'rk-3' }],
      },
    ],
    [
      'a refund key',
      { ...refundNotification, refunds: [refundNotification.refunds[0], { ...refundNotification.refunds[1], refund_key: 'rk-x' }] },
    ],
    ['no refunds at all', { ...refundNotification, refunds: undefined }],
  ];
  it.each(changes)('changes with %s', (_case, changed) => {
    expect(notificationMeaningSha256(changed)).not.toBe(notificationMeaningSha256(refundNotification));
  });

  it('is a hex SHA-256, and a deeply nested value in a meaningful field costs no recursion', () => {
    let nested: unknown = 'x';
    for (let i = 0; i < 100_000; i += 1) nested = [nested];
    expect(notificationMeaningSha256({ ...refundNotification, settlement_time: nested, refunds: [nested] })).toMatch(/^[0-9a-f]{64}$/);
  });
});

// Properties over Midtrans-shaped notifications ---------------------------------------------------------------------

const amount = fc.integer({ min: 1, max: 50_000_000 }).map((n) => `${n}.00`);
const refund = fc.record(
  {
    refund_chargeback_id: fc.nat(),
    refund_amount: amount,
    created_at: fc.string(),
    reason: fc.string(),
    refund_key: fc.string({ minLength: 1 }),
  },
  { requiredKeys: ['refund_chargeback_id', 'refund_amount'] },
);
const notification = fc.record(
  {
    order_id: fc.stringMatching(/^pay-[0-9a-f]{32}$/),
    transaction_status: fc.constantFrom('pending', 'settlement', 'capture', 'deny', 'cancel', 'expire', 'refund', 'partial_refund'),
    status_code: fc.constantFrom('200', '201', '202', '407'),
    fraud_status: fc.constantFrom('accept', 'challenge', 'deny'),
    gross_amount: amount,
    refund_amount: amount,
    settlement_time: fc.string(),
    refunds: fc.array(refund, { maxLength: 4 }),
    transaction_id: fc.uuid(),
    status_message: fc.string(),
    signature_key: fc.stringMatching(/^[0-9a-f]{128}$/),
  },
  { requiredKeys: ['order_id', 'transaction_status', 'status_code', 'gross_amount'] },
);
/** Field names Midtrans might add some day; none of them is meaningful. */
const unknownFields = fc.dictionary(
  fc.string({ minLength: 1 }).filter((key) => !MEANINGFUL.includes(key) && key !== 'refunds' && key !== '__proto__'),
  fc.jsonValue(),
  { maxKeys: 4 },
);

/** The same object with its keys (and its refunds' keys) in another order, sent through JSON text in another layout. */
function reshaped(body: Record<string, unknown>, order: number[], indent: number): Record<string, unknown> {
  const shuffle = <T>(items: T[]) =>
    items
      .map((item, i) => [order[i % order.length]! * 1_000 + i, item] as const)
      .sort(([a], [b]) => a - b)
      .map(([, item]) => item);
  const refunds = Array.isArray(body.refunds)
    ? body.refunds.map((r) => Object.fromEntries(shuffle(Object.entries(r as object))))
    : body.refunds;
  const text = JSON.stringify(Object.fromEntries(shuffle(Object.entries({ ...body, refunds }))), null, indent);
  return JSON.parse(`\n ${text}\t\n`) as Record<string, unknown>;
}

describe('notification meaning (properties)', () => {
  it('reformatting, reordering keys and adding unknown fields never change it', () => {
    fc.assert(
      fc.property(
        notification,
        unknownFields,
        unknownFields,
        fc.array(fc.nat(50), { minLength: 1 }),
        fc.nat(8),
        (body, extra, refundExtra, order, indent) => {
          const refunds = body.refunds?.map((r) => ({ ...refundExtraWithout(refundExtra), ...r }));
          const copy = reshaped({ ...extra, ...body, ...(refunds ? { refunds } : {}) }, order, indent);
          expect(notificationMeaningSha256(copy)).toBe(notificationMeaningSha256(body));
        },
      ),
    );
  });

  it('changing any one meaningful field (or one refund amount) changes it', () => {
    const meaningful = fc.constantFrom(...MEANINGFUL, 'refunds');
    fc.assert(
      fc.property(notification, meaningful, fc.string({ minLength: 1 }), (body, field, suffix) => {
        let changed: Record<string, unknown>;
        if (field === 'refunds') {
          const refunds = body.refunds ?? [];
          changed =
            refunds.length === 0
              ? { ...body, refunds: [{ refund_chargeback_id: 1, refund_amount: '1.00' }] }
              : { ...body, refunds: [{ ...refunds[0]!, refund_amount: `${refunds[0]!.refund_amount}${suffix}` }, ...refunds.slice(1)] };
        } else {
          const value = (body as Record<string, unknown>)[field];
          changed = { ...body, [field]: `${typeof value === 'string' ? value : ''}${suffix}` };
        }
        expect(notificationMeaningSha256(changed)).not.toBe(notificationMeaningSha256(body));
      }),
    );
  });
});

/** Unknown fields for a refund entry must not shadow the entry's own meaningful fields. */
function refundExtraWithout(extra: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(extra).filter(([key]) => !['refund_chargeback_id', 'refund_key', 'refund_amount'].includes(key)),
  );
}
