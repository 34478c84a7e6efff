import { isPaid, isTerminal, PAYMENT_STATUSES, type PaymentStatus } from './payment-status';

/**
 * When a payment is closed, for personal-data retention: when nothing can happen to it any more.
 * - A terminal status (failed, expired, canceled, refunded) closes it when it is reached.
 * - A paid payment with money left (success, partially_refunded) is open for refunds, ours and Midtrans's, until its
 *   refund window (REFUND_WINDOW_DAYS) ends; its workflow completes then, and so does the payment.
 * - A payment still awaiting money (pending, processing) is open.
 */
export const STATUSES_CLOSED_ON_ENTRY: readonly PaymentStatus[] = PAYMENT_STATUSES.filter(isTerminal);
export const STATUSES_CLOSED_AFTER_REFUND_WINDOW: readonly PaymentStatus[] = PAYMENT_STATUSES.filter((s) => isPaid(s) && !isTerminal(s));

export interface RetentionPolicy {
  /** PII_RETENTION_DAYS: how long a closed payment keeps its customer's personal data. */
  retentionDays: number;
  /** REFUND_WINDOW_DAYS: how long a paid payment stays open for refunds. */
  refundWindowDays: number;
}

export interface RetentionCutoffs {
  /** A paid payment whose refund window began before this has closed. */
  refundWindowBeganBefore: Date;
  /** A payment that closed before this is past its retention: its customer's personal data is erased. */
  closedBefore: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The two cut-offs at `now`. Days are 24 hours of UTC, as the workflow counts its refund window. */
export function retentionCutoffs(now: Date, policy: RetentionPolicy): RetentionCutoffs {
  for (const [name, days] of Object.entries(policy)) {
    if (!Number.isSafeInteger(days) || days < 1) throw new RangeError(`${name} must be a whole number of days, at least 1`);
  }
  return {
    refundWindowBeganBefore: new Date(now.getTime() - policy.refundWindowDays * DAY_MS),
    closedBefore: new Date(now.getTime() - policy.retentionDays * DAY_MS),
  };
}
