import { patched } from '@temporalio/workflow';

/** patched() ids: each marks a logic change that running workflows must replay around (see the README). */
export const PATCHES = {
  reconcileFraudStatus: 'reconcile-fraud-status-change',
  notificationsAreHints: 'notifications-are-hints',
  gatewayAnswerCheck: 'gateway-answer-about-this-payment',
  continueAsNew: 'continue-as-new-on-long-history',
  confirmReversalClaims: 'confirm-reversal-claims',
  localWritesAndLookUps: 'local-writes-and-look-ups',
  countEveryClaim: 'count-every-claim-of-a-batch',
  reconcileEvery6Hours: 'reconcile-every-6-hours-to-expiry',
  /**
   * The charge and the downstream deliveries run in the worker first, and one timer waits for the next check however
   * many messages come before it. A workflow that records this patch also takes every patch above as applied: each
   * patch costs its history a marker and a search-attribute upsert the first time it is asked about.
   */
  leanHistory: 'lean-history',
  /**
   * The read-model row is first written with the charge's answer, not before the charge: one write fewer per payment.
   * It replaces lean-history as the one patch a new payment's history records.
   */
  firstWriteWithChargeAnswer: 'first-write-with-the-charge-answer',
  /**
   * A routine notification's audit line (Midtrans repeating what we hold while the payment awaits its money) waits for
   * the payment's next write instead of costing a write of its own. It replaces first-write-with-the-charge-answer as
   * the one patch a new payment's history records.
   */
  routineLinesWait: 'routine-notification-lines-wait-for-the-next-write',
  /**
   * Reconciliation applies Midtrans's answer when its cumulative refund_amount is above ours under the same status (a
   * further partial refund whose notification was lost). Asked with patched() itself, only when that happens, never
   * through applies(): a payment started before it recorded routine-notification-lines-wait-for-the-next-write too.
   */
  reconcileRefundTotals: 'reconcile-refund-totals',
  /**
   * A long history continues as new while downstream deliveries are in flight; the new run makes them again under the
   * same idempotency keys. Asked with patched() itself, only when a delivery is in flight, never through applies().
   */
  continueAsNewBesideDeliveries: 'continue-as-new-beside-deliveries',
  /**
   * Past a run's first 20 look-ups for notifications' claims, one at most every 10 seconds (a timer before it). Asked
   * with patched() itself, only when a look-up would wait, never through applies().
   */
  spaceClaimLookUps: 'space-claim-look-ups',
  /**
   * A closed payment waiting for its deliveries continues as new when its history grows long meanwhile. Asked with
   * patched() itself, only then, never through applies().
   */
  closedContinuesAsNew: 'closed-payment-continues-as-new',
  /**
   * A notification Midtrans signed 200 for a payment we closed unpaid is asked about (its answer goes to a person),
   * also once the payment is closed and waits for its deliveries. Asked with patched() itself, only when such a
   * notification comes, never through applies().
   */
  askAboutPaymentAfterClose: 'ask-about-payment-claimed-after-close',
  /**
   * An expiry answer about another order expires nothing here and goes to an operator, as cancel's and refund's do.
   * Asked with patched() itself, only when such an answer comes, never through applies().
   */
  expireAnswerCheck: 'expire-answer-about-this-payment',
  /**
   * A charge answer about another order keeps nothing of it (its instructions would have the customer pay that order)
   * and goes to an operator. Asked with patched() itself, only when such an answer comes, never through applies().
   */
  chargeAnswerCheck: 'charge-answer-about-this-payment',
  /**
   * A reconcile request (the daily reconciliation's, an operator's) while the closed payment waits for its deliveries
   * looks at Midtrans, and what differs from ours goes to an operator. Asked with patched() itself, only when such a
   * request comes, never through applies().
   */
  reconcileAfterClose: 'reconcile-after-close',
  /**
   * A reconciliation look answered about another order applies nothing and goes to an operator, as a notification's
   * look does. Asked with patched() itself, only when such an answer comes, never through applies().
   */
  reconcileAnswerCheck: 'reconcile-answer-about-this-payment',
  /**
   * A cancel or refund Midtrans did not take (a 401: our server key refused) goes to an operator through the audit
   * trail before the update fails. Asked with patched() itself, only when that happens, never through applies().
   */
  commandNotTakenReviewed: 'command-not-taken-goes-to-an-operator',
} as const;

/** Patches asked with patched() itself, each only where its change applies, never through applies(). */
type AskedAlone =
  | typeof PATCHES.reconcileRefundTotals
  | typeof PATCHES.continueAsNewBesideDeliveries
  | typeof PATCHES.spaceClaimLookUps
  | typeof PATCHES.closedContinuesAsNew
  | typeof PATCHES.askAboutPaymentAfterClose
  | typeof PATCHES.expireAnswerCheck
  | typeof PATCHES.chargeAnswerCheck
  | typeof PATCHES.reconcileAfterClose
  | typeof PATCHES.reconcileAnswerCheck
  | typeof PATCHES.commandNotTakenReviewed;

/** The patches applies() answers for: those up to the one a new payment records (routine-notification-lines-…). */
type PatchId = Exclude<(typeof PATCHES)[keyof typeof PATCHES], AskedAlone>;

/**
 * Whether a change applies to this workflow: it recorded the change's patch, or a later one that takes it as applied
 * (routine-notification-lines-wait-for-the-next-write, then first-write-with-the-charge-answer, then lean-history).
 * The newest is asked first: a new workflow records only it.
 */
export function applies(patch: PatchId): boolean {
  if (patched(PATCHES.routineLinesWait)) return true;
  if (patch === PATCHES.routineLinesWait) return false;
  if (patched(PATCHES.firstWriteWithChargeAnswer)) return true;
  return patch !== PATCHES.firstWriteWithChargeAnswer && (patched(PATCHES.leanHistory) || patched(patch));
}
