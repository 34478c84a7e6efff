import { wholeRupiahOrNull } from './money';
import { midtransStatusToPaymentStatus, type MidtransObservation } from './midtrans-status';
import { ALLOWED_TRANSITIONS, isPaid, PAYMENT_STATUSES, type PaymentStatus } from './payment-status';

/** What the daily reconciliation can find wrong between our record of a payment and Midtrans's (drift report kinds). */
export const DRIFT_KINDS = [
  'status_mismatch',
  'refund_not_counted',
  'refunded_amount_mismatch',
  'amount_mismatch',
  'missing_at_midtrans',
  'unrecognised_midtrans_status',
  'answer_not_ours',
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** Our read model's record of a payment, as the reconciliation compares it. */
export interface RecordedPayment {
  /** The payment id, which is the order id Midtrans knows it by. */
  id: string;
  status: PaymentStatus;
  /** Integer IDR. */
  amount: number;
  /** Integer IDR refunded so far, as counted; absent from pages a worker read before it was compared (not compared). */
  refundedAmount?: number;
}

/**
 * How our record differs from Midtrans's answer to a status lookup (null: Midtrans does not know the order), or null
 * when they agree. Statuses are compared through the one mapping, midtransStatusToPaymentStatus.
 * - missing_at_midtrans: Midtrans does not know an order that, by our record, reached it (paid, or held at processing).
 *   A payment that never reached Midtrans (a Snap order before a method was chosen, a refused charge) agrees.
 * - answer_not_ours: the answer names another order (a gateway or proxy mixing answers up): it says nothing of ours.
 * - unrecognised_midtrans_status: a status the mapping does not know; nobody should guess what it means.
 * - amount_mismatch: Midtrans holds another amount than we charged.
 * - status_mismatch: Midtrans's status means another status than ours.
 * - refund_not_counted: the statuses agree, but Midtrans's cumulative refund_amount is above what we counted: a further
 *   partial refund (one made in its dashboard) leaves transaction_status at partial_refund and its notification was lost.
 * - refunded_amount_mismatch: the statuses agree, but Midtrans's refund_amount is below what we counted, above the
 *   payment, or unreadable.
 */
export function reconciliationDrift(ours: RecordedPayment, midtrans: MidtransObservation | null): DriftKind | null {
  if (midtrans === null) return isPaid(ours.status) || ours.status === 'processing' ? 'missing_at_midtrans' : null;
  if (midtrans.orderId !== ours.id) return 'answer_not_ours';
  const theirs = midtransStatusToPaymentStatus(midtrans.transactionStatus, midtrans.fraudStatus);
  if (theirs === null) return 'unrecognised_midtrans_status';
  if (wholeRupiahOrNull(midtrans.grossAmount) !== ours.amount) return 'amount_mismatch';
  if (theirs !== ours.status) return 'status_mismatch';
  return refundDrift(ours, midtrans.refundAmount);
}

/** A total the payment workflow can count (whole rupiah, above ours, within the payment) is its; any other a person's. */
function refundDrift({ amount, refundedAmount: counted }: RecordedPayment, refundAmount: string | undefined): DriftKind | null {
  if (counted === undefined || refundAmount === undefined) return null;
  const theirs = wholeRupiahOrNull(refundAmount);
  if (theirs === counted) return null;
  return theirs !== null && theirs > counted && theirs <= amount ? 'refund_not_counted' : 'refunded_amount_mismatch';
}

// The drift report's shapes, shared by the reconciliation workflow, its activities and src/db/reconciliations.ts.

/** Where a keyset scan of payments stands: the last payment read, in (updated_at, id) order. */
export interface PaymentCursor {
  /** ISO time, exactly as stored (milliseconds, UTC). */
  updatedAt: string;
  id: string;
}

export interface PaymentToReconcile extends RecordedPayment {
  updatedAt: string;
}

export interface ReconciliationWindow {
  /** ISO times: the payments last written in [touchedSince, touchedUntil). */
  touchedSince: string;
  touchedUntil: string;
  /** Also the paid payments last written before touchedSince that Midtrans can still refund, a slice a day. */
  sweep?: ReconciliationSweep;
}

/**
 * A refund or chargeback made in Midtrans's dashboard while our webhook was away longer than Midtrans's retries
 * (about 6 hours) is never heard of, and the payment is not written again, so no window would ever include it. The
 * sweep compares such a payment on the days a multiple of `everyDays` after the day it was paid, and on the refund
 * window's last day (`refundWindowDays` after), while it was paid since `paidSince` (a day before the window opened).
 */
export interface ReconciliationSweep {
  paidSince: string;
  everyDays: number;
  refundWindowDays: number;
}

/** The statuses a refund or a chargeback in Midtrans's dashboard can still move: the ones the sweep compares. */
export const SWEPT_STATUSES: readonly PaymentStatus[] = PAYMENT_STATUSES.filter((status) => ALLOWED_TRANSITIONS[status].includes('refunded'));

/**
 * A run goes on until its last page (completed) or until a step fails for good (failed: the next run starts afresh).
 * Abandoned: it ended without finishing (Temporal ended it at its time limit, or someone terminated it), which is known
 * only once the next run starts; its counts are what it had found.
 */
export const RECONCILIATION_RUN_STATUSES = ['running', 'completed', 'failed', 'abandoned'] as const;
export type ReconciliationRunStatus = (typeof RECONCILIATION_RUN_STATUSES)[number];

export type DifferenceOutcome = 'handed_to_workflow' | 'needs_person';

export interface ReconciliationDifferenceRecord {
  paymentId: string;
  kind: DriftKind;
  ourStatus: PaymentStatus;
  midtransStatus: string | null;
  midtransFraudStatus: string | null;
  outcome: DifferenceOutcome;
  detail?: Record<string, unknown>;
}

export interface ReconciliationCounts {
  paymentsChecked: number;
  differencesFound: number;
  handedToWorkflow: number;
  needsPerson: number;
}

/**
 * A status mismatch and a refund not counted are the payment workflow's to settle: it asks Midtrans itself and applies
 * the answer through its transition table (a higher refund total too). The other kinds are not something the workflow
 * can apply: a person looks at them.
 */
export function isSettledByPaymentWorkflow(kind: DriftKind): boolean {
  return kind === 'status_mismatch' || kind === 'refund_not_counted';
}
