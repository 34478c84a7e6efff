import { describe, expect, it } from 'vitest';
import { MIDTRANS_TRANSACTION_STATUSES, midtransStatusToPaymentStatus } from '../../src/domain';

describe('midtransStatusToPaymentStatus', () => {
  it.each([
    ['pending', undefined, 'pending'],
    ['pending', 'accept', 'pending'],
    ['capture', 'accept', 'success'],
    ['capture', 'challenge', 'processing'],
    ['capture', 'deny', 'failed'],
    ['capture', undefined, 'processing'],
    ['authorize', 'accept', 'processing'],
    ['settlement', 'accept', 'success'],
    ['settlement', undefined, 'success'],
    ['deny', 'accept', 'failed'],
    ['deny', 'deny', 'failed'],
    ['failure', undefined, 'failed'],
    ['cancel', 'accept', 'canceled'],
    ['expire', 'accept', 'expired'],
    ['refund', 'accept', 'refunded'],
    ['partial_refund', 'accept', 'partially_refunded'],
    ['chargeback', 'accept', 'refunded'],
    ['partial_chargeback', 'accept', 'partially_refunded'],
  ] as const)('%s + %s → %s', (transactionStatus, fraudStatus, expected) => {
    expect(midtransStatusToPaymentStatus(transactionStatus, fraudStatus)).toBe(expected);
  });

  it('maps every documented Midtrans status', () => {
    for (const status of MIDTRANS_TRANSACTION_STATUSES) {
      expect(midtransStatusToPaymentStatus(status, 'accept'), status).not.toBeNull();
    }
  });

  it.each(['', 'settled', 'SETTLEMENT', 'paid', 'unknown'])('does not guess for %j', (status) => {
    expect(midtransStatusToPaymentStatus(status)).toBeNull();
  });
});
