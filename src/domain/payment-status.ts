import { DomainError } from './errors';

export const PAYMENT_STATUSES = [
  'pending',
  'processing',
  'success',
  'failed',
  'expired',
  'canceled',
  'partially_refunded',
  'refunded',
] as const;

export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * The one table of allowed status changes. Everything else (terminal states, "is it paid") is derived from it.
 * partially_refunded → partially_refunded is allowed: each further partial refund is a real change of money.
 */
export const ALLOWED_TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = Object.freeze({
  pending: ['processing', 'success', 'failed', 'expired', 'canceled'],
  processing: ['success', 'failed', 'canceled'],
  success: ['partially_refunded', 'refunded'],
  partially_refunded: ['partially_refunded', 'refunded'],
  failed: [],
  expired: [],
  canceled: [],
  refunded: [],
});

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

export function assertTransition(from: PaymentStatus, to: PaymentStatus): void {
  if (!canTransition(from, to)) {
    throw new DomainError('INVALID_TRANSITION', `payment cannot go from ${from} to ${to}`, { from, to });
  }
}

/** The customer has not paid yet and still may. */
export function isAwaitingPayment(status: PaymentStatus): boolean {
  return status === 'pending' || status === 'processing';
}

/** The money arrived at some point (it may since have been refunded). */
export function isPaid(status: PaymentStatus): boolean {
  return status === 'success' || status === 'partially_refunded' || status === 'refunded';
}

/** Nothing can happen to the payment any more. */
export function isTerminal(status: PaymentStatus): boolean {
  return ALLOWED_TRANSITIONS[status].length === 0;
}
