import { describe, expect, it } from 'vitest';
import { MIDTRANS_TRANSACTION_STATUSES, midtransStatusToPaymentStatus, refundedUpTo } from '../../src/domain';
import { DEPARTS_FROM_MIDTRANS, DOCUMENTED_MIDTRANS_MEANINGS as DOCUMENTED, DOCUMENTED_TRANSACTION_STATUSES } from '../support/documents';

describe('midtransStatusToPaymentStatus, against Midtrans documentation', () => {
  it.each(DOCUMENTED)('$transactionStatus + $fraudStatus (Midtrans: $midtrans) → $expected', (row) => {
    expect(midtransStatusToPaymentStatus(row.transactionStatus, row.fraudStatus)).toBe(row.expected);
  });

  it.each(DEPARTS_FROM_MIDTRANS)('$transactionStatus (Midtrans: $midtrans) → $expected, by the README', (row) => {
    expect(midtransStatusToPaymentStatus(row.transactionStatus, row.fraudStatus)).toBe(row.expected);
  });

  it('a capture without a fraud verdict is never counted as paid', () => {
    // §6 counts only capture+accept as paid; a missing verdict is not an accept.
    expect(midtransStatusToPaymentStatus('capture', undefined)).not.toBe('success');
  });

  it('knows exactly the statuses Midtrans documents', () => {
    expect([...MIDTRANS_TRANSACTION_STATUSES].sort()).toEqual([...DOCUMENTED_TRANSACTION_STATUSES].sort());
    const covered = new Set([...DOCUMENTED, ...DEPARTS_FROM_MIDTRANS].map((row) => row.transactionStatus));
    expect([...covered].sort()).toEqual([...DOCUMENTED_TRANSACTION_STATUSES].sort());
  });

  // §6 "lenient JSON parsing (new fields appear)", "confirm with GET status": an unknown value is not guessed.
  it.each(['', 'settled', 'SETTLEMENT', 'paid', 'unknown', 'disputed'])('does not guess for %j', (status) => {
    expect(midtransStatusToPaymentStatus(status)).toBeNull();
  });
});

describe('refundedUpTo: what a refund call answered, read back from a status body', () => {
  const refunds = [
    { refund_chargeback_id: 1, refund_amount: '30000.00', refund_key: 'pay-1-r1' },
    { refund_chargeback_id: 2, refund_amount: '60000.00', refund_key: 'pay-1-r2' },
  ];

  it('is the total refunded up to and including the refund held under the key, not the total of all', () => {
    expect(refundedUpTo(refunds, 'pay-1-r1', 30_000)).toBe(30_000);
    expect(refundedUpTo(refunds, 'pay-1-r2', 60_000)).toBe(90_000);
  });

  it.each([
    ['a key Midtrans does not hold', refunds, 'pay-1-r3', 10_000],
    ['the key with another amount', refunds, 'pay-1-r1', 60_000],
    ['an unreadable amount before it', [{ refund_amount: 'thirty', refund_key: 'pay-1-r1' }, refunds[1]], 'pay-1-r2', 60_000],
    ['no refunds[]', undefined, 'pay-1-r1', 30_000],
    ['refunds[] that is not a list', { refund_key: 'pay-1-r1' }, 'pay-1-r1', 30_000],
  ])('is null for %s', (_name, list, key, amount) => {
    expect(refundedUpTo(list, key, amount)).toBeNull();
  });
});
