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
} as const;

type PatchId = (typeof PATCHES)[keyof typeof PATCHES];

/** Whether a change applies to this workflow: it recorded the change's patch, or the lean-history patch after it. */
export function applies(patch: PatchId): boolean {
  return patched(PATCHES.leanHistory) || patched(patch);
}
