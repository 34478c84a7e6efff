import { describe, expect, it } from 'vitest';
import { isSettledByPaymentWorkflow, reconciliationDrift, DRIFT_KINDS, type MidtransObservation, type PaymentStatus } from '../../src/domain';

/** What the daily reconciliation counts as a difference between our record and Midtrans's answer. */

const midtrans = (transactionStatus: string, fields: Partial<MidtransObservation> = {}): MidtransObservation => ({
  transactionStatus,
  grossAmount: '250000.00',
  orderId: 'pay-1',
  ...fields,
});
const ours = (status: PaymentStatus, amount = 250_000, refundedAmount = status === 'refunded' ? amount : 0) => ({ id: 'pay-1', status, amount, refundedAmount });

describe('reconciliationDrift', () => {
  it.each([
    ['pending', 'pending'],
    ['success', 'settlement'],
    ['expired', 'expire'],
    ['refunded', 'refund'],
    ['partially_refunded', 'partial_refund'],
    ['failed', 'deny'],
    ['canceled', 'cancel'],
    ['processing', 'authorize'],
  ] as const)('agrees when ours is %s and Midtrans says %s', (status, midtransStatus) => {
    expect(reconciliationDrift(ours(status), midtrans(midtransStatus))).toBeNull();
  });

  it.each([
    ['pending', 'settlement'],
    ['pending', 'expire'],
    ['success', 'refund'],
    ['success', 'partial_refund'],
    ['expired', 'settlement'],
    ['success', 'chargeback'],
  ] as const)('ours %s while Midtrans says %s is a status mismatch', (status, midtransStatus) => {
    expect(reconciliationDrift(ours(status), midtrans(midtransStatus))).toBe('status_mismatch');
  });

  it.each([
    ['agrees with ours', 'settlement'],
    ['differs from ours', 'expire'],
  ] as const)('an answer about another order is answer_not_ours, whether its status %s', (_when, midtransStatus) => {
    // A gateway or proxy mixing answers up: it says nothing about our payment, and hides or invents a difference.
    expect(reconciliationDrift(ours('success'), midtrans(midtransStatus, { orderId: 'pay-someone-else' }))).toBe('answer_not_ours');
    expect(isSettledByPaymentWorkflow('answer_not_ours')).toBe(false);
  });

  it('reads a card capture by its fraud verdict: accepted is paid, challenged is still processing', () => {
    expect(reconciliationDrift(ours('success'), midtrans('capture', { fraudStatus: 'accept' }))).toBeNull();
    expect(reconciliationDrift(ours('success'), midtrans('capture', { fraudStatus: 'challenge' }))).toBe('status_mismatch');
    expect(reconciliationDrift(ours('processing'), midtrans('capture', { fraudStatus: 'challenge' }))).toBeNull();
  });

  it('an order Midtrans does not know is a difference only when, by our record, it reached Midtrans', () => {
    for (const status of ['success', 'partially_refunded', 'refunded', 'processing'] as const) {
      expect(reconciliationDrift(ours(status), null), status).toBe('missing_at_midtrans');
    }
    for (const status of ['pending', 'failed', 'expired', 'canceled'] as const) {
      expect(reconciliationDrift(ours(status), null), status).toBeNull();
    }
  });

  it('another amount, or one Midtrans wrote unreadably, is an amount mismatch even when the statuses agree', () => {
    expect(reconciliationDrift(ours('success', 250_000), midtrans('settlement', { grossAmount: '25000.00' }))).toBe('amount_mismatch');
    expect(reconciliationDrift(ours('success', 250_000), midtrans('settlement', { grossAmount: '' }))).toBe('amount_mismatch');
  });

  it('a status the mapping does not know is left to a person, not guessed', () => {
    expect(reconciliationDrift(ours('success'), midtrans('settled_twice'))).toBe('unrecognised_midtrans_status');
  });

  it('under the same status, a refund total above ours is a refund not counted, one below or unreadable a refunded-amount mismatch', () => {
    const counted = ours('partially_refunded', 250_000, 50_000);
    // A further partial refund in Midtrans's dashboard, its notification lost: only refund_amount moves.
    expect(reconciliationDrift(counted, midtrans('partial_refund', { refundAmount: '80000.00' }))).toBe('refund_not_counted');
    expect(reconciliationDrift(counted, midtrans('partial_refund', { refundAmount: '50000.00' }))).toBeNull();
    expect(reconciliationDrift(counted, midtrans('partial_refund', { refundAmount: '30000.00' }))).toBe('refunded_amount_mismatch');
    expect(reconciliationDrift(counted, midtrans('partial_refund', { refundAmount: 'lots' }))).toBe('refunded_amount_mismatch');
    // Above the payment, no look can count it: a person's, not the workflow's.
    expect(reconciliationDrift(counted, midtrans('partial_refund', { refundAmount: '250000.01' }))).toBe('refunded_amount_mismatch');
    expect(reconciliationDrift(counted, midtrans('partial_refund', { refundAmount: '300000.00' }))).toBe('refunded_amount_mismatch');
    expect(reconciliationDrift(ours('refunded'), midtrans('refund', { refundAmount: '260000.00' }))).toBe('refunded_amount_mismatch');
    expect(reconciliationDrift(counted, midtrans('partial_refund'))).toBeNull(); // no total to compare
    expect(reconciliationDrift(ours('refunded'), midtrans('refund', { refundAmount: '250000.00' }))).toBeNull();
    // A status that differs is a status mismatch first: the workflow's look applies the total with it.
    expect(reconciliationDrift(ours('success'), midtrans('partial_refund', { refundAmount: '80000.00' }))).toBe('status_mismatch');
  });

  it('a status mismatch and a refund not counted are the payment workflow’s to settle; the rest a person’s', () => {
    expect(DRIFT_KINDS.filter(isSettledByPaymentWorkflow)).toEqual(['status_mismatch', 'refund_not_counted']);
  });
});
