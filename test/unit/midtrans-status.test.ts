import { describe, expect, it } from 'vitest';
import { MIDTRANS_TRANSACTION_STATUSES, midtransStatusToPaymentStatus, type PaymentStatus } from '../../src/domain';

/**
 * What Midtrans documents, written from /work/shared/reference/midtrans.md §6 "Statuses and handling", not from our
 * switch. `midtrans` is the meaning Midtrans gives the status (the official client's example mapping);
 * `expected` is that meaning in our vocabulary (README "Statuses"), refined only where our status names are finer
 * than Midtrans's word: Midtrans says "failed" for cancel/expire/failure, and we have canceled and expired; it says
 * "refunded" for partial_refund, and we have partially_refunded.
 */
type MidtransMeaning = 'paid' | 'needs review' | 'awaiting payment' | 'failed attempt' | 'failed' | 'refunded' | 'disputed';
const DOCUMENTED: readonly {
  transactionStatus: string;
  fraudStatus?: string;
  midtrans: MidtransMeaning;
  expected: PaymentStatus;
}[] = [
  // "capture+accept or settlement = paid"
  { transactionStatus: 'capture', fraudStatus: 'accept', midtrans: 'paid', expected: 'success' },
  { transactionStatus: 'settlement', fraudStatus: 'accept', midtrans: 'paid', expected: 'success' },
  { transactionStatus: 'settlement', midtrans: 'paid', expected: 'success' },
  // "capture+challenge = needs review": money not ours yet, the merchant approves or denies (§4 approve/deny)
  { transactionStatus: 'capture', fraudStatus: 'challenge', midtrans: 'needs review', expected: 'processing' },
  // "pending = awaiting payment"
  { transactionStatus: 'pending', midtrans: 'awaiting payment', expected: 'pending' },
  { transactionStatus: 'pending', fraudStatus: 'accept', midtrans: 'awaiting payment', expected: 'pending' },
  // "authorize → capture | deny | cancel | expire": a pre-authorisation still waiting for its capture
  { transactionStatus: 'authorize', fraudStatus: 'accept', midtrans: 'awaiting payment', expected: 'processing' },
  // "deny = failed attempt"; "fraud_status: accept | challenge | deny" (a capture the fraud check denied)
  { transactionStatus: 'deny', fraudStatus: 'accept', midtrans: 'failed attempt', expected: 'failed' },
  { transactionStatus: 'deny', fraudStatus: 'deny', midtrans: 'failed attempt', expected: 'failed' },
  { transactionStatus: 'capture', fraudStatus: 'deny', midtrans: 'failed attempt', expected: 'failed' },
  // "cancel/expire/failure = failed"
  { transactionStatus: 'failure', midtrans: 'failed', expected: 'failed' },
  { transactionStatus: 'cancel', fraudStatus: 'accept', midtrans: 'failed', expected: 'canceled' },
  { transactionStatus: 'expire', fraudStatus: 'accept', midtrans: 'failed', expected: 'expired' },
  // "refund/partial_refund = refunded"
  { transactionStatus: 'refund', fraudStatus: 'accept', midtrans: 'refunded', expected: 'refunded' },
  { transactionStatus: 'partial_refund', fraudStatus: 'accept', midtrans: 'refunded', expected: 'partially_refunded' },
];

/**
 * "chargeback = disputed". We have no disputed status; the README decides that a chargeback "counts as money
 * leaving: refunded / partially_refunded". This is where our mapping departs from Midtrans's documentation (for
 * the lead to confirm or change); the rows pin the README's decision, and the departure is named in
 * docs/testing.md.
 */
const DEPARTS_FROM_MIDTRANS: typeof DOCUMENTED = [
  { transactionStatus: 'chargeback', fraudStatus: 'accept', midtrans: 'disputed', expected: 'refunded' },
  { transactionStatus: 'partial_chargeback', fraudStatus: 'accept', midtrans: 'disputed', expected: 'partially_refunded' },
];

/** Every transaction_status §6 names (its transitions and its mapping together). */
const DOCUMENTED_TRANSACTION_STATUSES = [
  'pending',
  'settlement',
  'expire',
  'cancel',
  'deny',
  'capture',
  'refund',
  'partial_refund',
  'chargeback',
  'partial_chargeback',
  'authorize',
  'failure',
];

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
