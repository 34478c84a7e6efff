import { DomainError } from './errors';
import { wholeRupiahOrNull } from './money';
import { midtransStatusToPaymentStatus, type MidtransObservation } from './midtrans-status';
import { isApiRefundable, supportsPartialRefund, type PaymentMethod } from './payment-methods';
import {
  assertTransition,
  canTransition,
  isAwaitingPayment,
  isPaid,
  isTerminal,
  type PaymentStatus,
} from './payment-status';

/**
 * What the payment workflow knows about one payment. Invariants the functions below keep:
 * 0 ≤ refundedAmount ≤ amount, refundedAmount never decreases, and status refunded ⇔ everything refunded.
 */
export interface PaymentState {
  paymentId: string;
  orderId: string;
  method: PaymentMethod;
  amount: number;
  status: PaymentStatus;
  refundedAmount: number;
  midtransStatus?: string;
  fraudStatus?: string;
  transactionId?: string;
}

/**
 * What to do with one Midtrans report.
 * - transition: move to `to`. `via: 'success'` when Midtrans reports a refund or chargeback while we still
 *   await payment: it only refunds settled money, so the settlement report was late or lost and the payment
 *   passes through success first (both steps are in the table). `refundedAmount` is the cumulative refunded
 *   total Midtrans reported, when it did.
 * - ignored: duplicate (our status already says this), stale (the table does not allow it from where we are:
 *   an older report, or a reversal, see isSettlementReversal), unknown_status (confirm with a status lookup).
 * - rejected: the report is not about this payment or its amount; never act on it.
 */
export type NotificationDecision =
  | { kind: 'transition'; to: PaymentStatus; via?: 'success'; refundedAmount?: number }
  | { kind: 'ignored'; reason: 'duplicate' | 'stale' | 'unknown_status' }
  | { kind: 'rejected'; reason: 'amount_mismatch' | 'order_mismatch' };

export interface StatusChange {
  from: PaymentStatus;
  to: PaymentStatus;
}

const ignored = (reason: 'duplicate' | 'stale' | 'unknown_status'): NotificationDecision => ({ kind: 'ignored', reason });
const rejected = (reason: 'amount_mismatch' | 'order_mismatch'): NotificationDecision => ({ kind: 'rejected', reason });

/**
 * Decides what a Midtrans report (notification or status lookup) means for the payment. Midtrans delivers
 * duplicates and out of order, so the answer depends only on the current state and the report, never on arrival
 * order: any order of the same reports of one Midtrans lifecycle ends in the same status.
 */
export function decideOnMidtransStatus(state: PaymentState, obs: MidtransObservation): NotificationDecision {
  const mismatch = answerMismatch(state, obs);
  if (mismatch) return rejected(mismatch);

  const reported = midtransStatusToPaymentStatus(obs.transactionStatus, obs.fraudStatus);
  if (reported === null) return ignored('unknown_status');
  if (reported === 'refunded' || reported === 'partially_refunded') return decideOnRefundReport(state, obs, reported);
  if (reported === state.status) return ignored('duplicate');
  if (!canTransition(state.status, reported)) return ignored('stale');
  return { kind: 'transition', to: reported };
}

/**
 * Refund and chargeback reports. When Midtrans gives the cumulative refunded amount, it decides between refunded
 * and partially_refunded (never the other way round), and an amount below what we already counted is an older
 * report. Without an amount, a full refund means everything and a partial one leaves our count as it is.
 */
function decideOnRefundReport(
  state: PaymentState,
  obs: MidtransObservation,
  reported: 'refunded' | 'partially_refunded',
): NotificationDecision {
  let to: PaymentStatus = reported;
  let refundedTotal: number | undefined = reported === 'refunded' ? state.amount : undefined;
  if (obs.refundAmount !== undefined) {
    const total = wholeRupiahOrNull(obs.refundAmount);
    if (total === null || total <= 0 || total > state.amount) return rejected('amount_mismatch');
    refundedTotal = total;
    to = total === state.amount ? 'refunded' : 'partially_refunded';
  }
  if (refundedTotal !== undefined && refundedTotal < state.refundedAmount) return ignored('stale');
  const sameTotal = refundedTotal === undefined || refundedTotal === state.refundedAmount;
  if (to === state.status && sameTotal) return ignored('duplicate');

  const refundedAmount = refundedTotal === undefined ? {} : { refundedAmount: refundedTotal };
  if (isAwaitingPayment(state.status)) return { kind: 'transition', to, via: 'success', ...refundedAmount };
  if (!canTransition(state.status, to)) return ignored('stale');
  return { kind: 'transition', to, ...refundedAmount };
}

/**
 * Midtrans reports more refunded in all than we have counted, whatever its status says: a further partial refund (one
 * made in its dashboard) leaves transaction_status at partial_refund and only refund_amount moves.
 */
export function reportsMoreRefunded(state: PaymentState, obs: MidtransObservation): boolean {
  const decision = decideOnMidtransStatus(state, obs);
  return decision.kind === 'transition' && decision.refundedAmount !== undefined && decision.refundedAmount > state.refundedAmount;
}

/** Moves to `to` if the table allows it. Reaching refunded means everything is refunded. */
export function applyTransition(state: PaymentState, to: PaymentStatus): PaymentState {
  assertTransition(state.status, to);
  return { ...state, status: to, refundedAmount: to === 'refunded' ? state.amount : state.refundedAmount };
}

/**
 * What a notification claims, as a hint: the decision its signed fields (order_id, status_code, gross_amount) and
 * its unsigned status fields would lead to. Midtrans signs nothing else, so a claim only decides whether to ask
 * Midtrans (a `transition` is worth a status look-up); the transaction_id it carries is left out, never learned.
 */
export function notificationClaim(state: PaymentState, notification: MidtransObservation): NotificationDecision {
  const { transactionId: _unsigned, ...claim } = notification;
  return decideOnMidtransStatus(state, claim);
}

/**
 * Decide and apply in one step: the reducer the workflow runs for every Midtrans report. `steps` lists each
 * status change made (two when passing through success), for the audit trail. Midtrans's own status is recorded
 * when the report moved us or agreed with us; a stale or rejected report changes nothing.
 */
export function applyMidtransObservation(
  state: PaymentState,
  obs: MidtransObservation,
): { state: PaymentState; decision: NotificationDecision; steps: StatusChange[] } {
  const decision = decideOnMidtransStatus(state, obs);
  if (decision.kind === 'transition') {
    const steps: StatusChange[] = [];
    let next = state;
    for (const to of decision.via ? [decision.via, decision.to] : [decision.to]) {
      steps.push({ from: next.status, to });
      next = applyTransition(next, to);
    }
    if (decision.refundedAmount !== undefined) {
      next = { ...next, refundedAmount: Math.max(next.refundedAmount, decision.refundedAmount) };
    }
    return { state: withMidtransFacts(next, obs), decision, steps };
  }
  if (decision.kind === 'ignored' && decision.reason === 'duplicate') {
    return { state: withMidtransFacts(state, obs), decision, steps: [] };
  }
  return { state, decision, steps: [] };
}

function withMidtransFacts(state: PaymentState, obs: MidtransObservation): PaymentState {
  return {
    ...state,
    midtransStatus: obs.transactionStatus,
    fraudStatus: obs.fraudStatus ?? state.fraudStatus,
    transactionId: obs.transactionId ?? state.transactionId,
  };
}

/**
 * Midtrans says money we counted as received did not arrive: a settlement turned into deny (it happens within
 * minutes), or a captured card was canceled or failed. The table does not allow success → failed, so the decision
 * is `ignored: stale`; this predicate is how the workflow notices and raises an audit alert for a person, since
 * tickets may already have been issued.
 */
export function isSettlementReversal(state: PaymentState, obs: MidtransObservation): boolean {
  if (!isPaid(state.status) || !isAboutThisPayment(state, obs)) return false;
  const reported = midtransStatusToPaymentStatus(obs.transactionStatus, obs.fraudStatus);
  return reported === 'failed' || reported === 'canceled' || reported === 'expired';
}

/**
 * Midtrans says the customer paid after we closed the payment as failed, expired or canceled (for example a VA
 * paid in the last second while our timer fired). The money is at Midtrans but the table cannot reopen the payment:
 * the workflow raises an audit alert so someone refunds the customer.
 */
export function isPaymentAfterClose(state: PaymentState, obs: MidtransObservation): boolean {
  if (!isTerminal(state.status) || isPaid(state.status) || !isAboutThisPayment(state, obs)) return false;
  const reported = midtransStatusToPaymentStatus(obs.transactionStatus, obs.fraudStatus);
  return reported !== null && isPaid(reported);
}

/**
 * A notification saying so, with the status code Midtrans signs (200: paid): worth asking Midtrans about, whatever
 * its unsigned fields, since the signature binds that code to this order and amount.
 */
export function claimsPaymentAfterClose(state: PaymentState, notification: MidtransObservation): boolean {
  return notification.statusCode === '200' && isPaymentAfterClose(state, notification);
}

function isAboutThisPayment(state: PaymentState, obs: MidtransObservation): boolean {
  return answerMismatch(state, obs) === null;
}

/**
 * Why a Midtrans answer (charge, status, cancel, expire, refund) is not about this payment, or null when it is: its
 * order_id must be our paymentId (see buildMidtransCharge) and its gross_amount our amount. An answer about another
 * order says nothing about our money and is never applied, whatever id we asked with.
 */
export function answerMismatch(state: PaymentState, obs: MidtransObservation): 'order_mismatch' | 'amount_mismatch' | null {
  if (obs.orderId !== state.paymentId) return 'order_mismatch';
  if (wholeRupiahOrNull(obs.grossAmount) !== state.amount) return 'amount_mismatch';
  return null;
}

/**
 * Checks a refund request against the payment and Midtrans's rules. Absent `requested` = everything not yet
 * refunded. Returns the amount to send to Midtrans and the status the payment will have afterwards.
 */
export function decideRefund(
  state: PaymentState,
  requested?: number,
): { amount: number; resultingStatus: 'partially_refunded' | 'refunded' } {
  if (state.status !== 'success' && state.status !== 'partially_refunded') {
    throw new DomainError('INVALID_STATE', `a ${state.status} payment cannot be refunded`, { status: state.status });
  }
  if (!isApiRefundable(state.method)) {
    throw new DomainError('NOT_REFUNDABLE', `Midtrans cannot refund ${state.method} payments through its API`, {
      method: state.method,
    });
  }
  const remaining = state.amount - state.refundedAmount;
  if (remaining <= 0) throw new DomainError('INVALID_STATE', 'nothing is left to refund', { remaining });
  if (requested !== undefined && (!Number.isSafeInteger(requested) || requested <= 0)) {
    throw new DomainError('INVALID_AMOUNT', 'refund amount must be a positive whole number of rupiah', { requested });
  }
  const amount = requested ?? remaining;
  if (amount > remaining) {
    throw new DomainError('REFUND_EXCEEDS_REMAINING', `only ${remaining} IDR is left to refund`, {
      requested: amount,
      remaining,
    });
  }
  if (amount < state.amount && !supportsPartialRefund(state.method)) {
    throw new DomainError('PARTIAL_REFUND_NOT_SUPPORTED', `${state.method} payments can only be refunded in full`, {
      method: state.method,
      requested: amount,
      amount: state.amount,
    });
  }
  return { amount, resultingStatus: amount === remaining ? 'refunded' : 'partially_refunded' };
}

/**
 * Records a refund Midtrans accepted. Pass Midtrans's cumulative `refund_amount` from the refund response when
 * there is one: the refund's own notification may have reached the workflow first, and the cumulative total
 * counts that money once where adding `amount` again would count it twice.
 */
export function applyRefund(state: PaymentState, amount: number, midtransRefundedTotal?: number): PaymentState {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new DomainError('INVALID_AMOUNT', 'refund amount must be a positive whole number of rupiah', { amount });
  }
  if (midtransRefundedTotal !== undefined && (!Number.isSafeInteger(midtransRefundedTotal) || midtransRefundedTotal < amount)) {
    throw new DomainError('AMOUNT_MISMATCH', 'Midtrans reported less refunded in total than this refund', {
      amount,
      midtransRefundedTotal,
    });
  }
  const refundedAmount =
    midtransRefundedTotal === undefined
      ? state.refundedAmount + amount
      : Math.max(state.refundedAmount, midtransRefundedTotal);
  if (refundedAmount > state.amount) {
    throw new DomainError('REFUND_EXCEEDS_REMAINING', 'refunds would exceed the payment amount', {
      refundedAmount,
      amount: state.amount,
    });
  }
  const status: PaymentStatus = refundedAmount === state.amount ? 'refunded' : 'partially_refunded';
  if (status === state.status && refundedAmount === state.refundedAmount) return state; // already counted
  assertTransition(state.status, status);
  return { ...state, status, refundedAmount };
}

/** Only a payment still awaiting money can be canceled; afterwards it is a refund. */
export function decideCancel(state: PaymentState): void {
  if (!isAwaitingPayment(state.status)) {
    throw new DomainError('INVALID_STATE', `a ${state.status} payment cannot be canceled`, { status: state.status });
  }
}

const MIDTRANS_KEY_CHARS = /^[A-Za-z0-9\-_~.]+$/;
const MAX_REFUND_KEY_LENGTH = 50;

/**
 * Midtrans's `refund_key` for the n-th refund of a payment. Deterministic, so a retried refund activity sends
 * the same key and Midtrans applies it once. Kept to 50 URL-safe characters, the limit Midtrans puts on ids;
 * a paymentId too long for that is shortened with a hash of the whole id so keys stay distinct.
 */
export function refundKey(paymentId: string, sequence: number): string {
  if (!MIDTRANS_KEY_CHARS.test(paymentId)) {
    throw new DomainError('VALIDATION_FAILED', 'paymentId has characters Midtrans does not accept', { paymentId });
  }
  if (!Number.isSafeInteger(sequence) || sequence < 0) {
    throw new DomainError('VALIDATION_FAILED', 'refund sequence must be a non-negative integer', { sequence });
  }
  const suffix = `-r${sequence}`;
  if (paymentId.length + suffix.length <= MAX_REFUND_KEY_LENGTH) return paymentId + suffix;
  const digest = `~${fnv1a32(paymentId)}`;
  return paymentId.slice(0, MAX_REFUND_KEY_LENGTH - suffix.length - digest.length) + digest + suffix;
}

/** FNV-1a, 32 bits, as 8 hex digits: a pure, deterministic fingerprint (not for security). */
function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
