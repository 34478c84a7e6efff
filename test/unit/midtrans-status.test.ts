import { describe, expect, it } from 'vitest';
import { MIDTRANS_TRANSACTION_STATUSES, midtransStatusToPaymentStatus } from '../../src/domain';
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
