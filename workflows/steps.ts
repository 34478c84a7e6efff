import { ActivityFailure, ApplicationFailure, log, TimeoutFailure } from '@temporalio/workflow';
import {
  chargePayment,
  chargePaymentInWorker,
  fetchMidtransStatus,
  fetchMidtransStatusInWorker,
  notifyDownstreamServicesInWorker,
  notifyTransactionService,
  notifyTransactionServiceInWorker,
  notifyUserService,
  notifyUserServiceInWorker,
  recordPayment,
  recordPaymentInWorker,
  recordPaymentLines,
  recordPaymentLinesInWorker,
} from './activity-proxies';
import type { ChargeInput, ChargeOutcome, DownstreamEvent, DownstreamTarget, PaymentActivities } from '../activities';
import { applies, PATCHES } from './patches';

/**
 * Patched: the step runs in the worker first (a local activity, see activity-proxies.ts); when it gives up for a reason
 * retrying may fix (PostgreSQL, Midtrans or a downstream service down past its quick attempts), the activity takes over
 * and retries as long as it always did. Unpatched workflows replay the activity they scheduled: that promise is
 * returned as is, so their commands keep their order.
 */
function inWorkerFirst<Args extends unknown[], Result>(
  step: string,
  patch: typeof PATCHES.localWritesAndLookUps | typeof PATCHES.leanHistory | typeof PATCHES.routineLinesWait | typeof PATCHES.deliveriesTogether,
  inWorker: (...args: Args) => Promise<Result>,
  activity: (...args: Args) => Promise<Result>,
): (...args: Args) => Promise<Result> {
  return (...args) => {
    if (!applies(patch)) return activity(...args);
    return inWorker(...args).catch((error: unknown) => {
      if (!activityGaveUp(error) || failedForGood(error)) throw error;
      log.warn(`${step} falls back to an activity`, { error: failureMessage(error) });
      return activity(...args);
    });
  };
}

const writeOneLine = inWorkerFirst('read-model write', PATCHES.localWritesAndLookUps, recordPaymentInWorker, recordPayment);
const writeLines = inWorkerFirst('read-model write', PATCHES.routineLinesWait, recordPaymentLinesInWorker, recordPaymentLines);
type RecordPaymentLines = Parameters<PaymentActivities['recordPaymentLines']>;

/**
 * One read-model write: the row as of a step, and its audit lines. Patched: workflows from before
 * routine-notification-lines-wait-for-the-next-write have one line at most, and write it through recordPayment.
 */
export function writeReadModel(snapshot: RecordPaymentLines[0], lines: RecordPaymentLines[1] = []): Promise<void> {
  return applies(PATCHES.routineLinesWait) ? writeLines(snapshot, lines) : writeOneLine(snapshot, ...lines);
}
/** A permanent error (a rotated server key) fails at once, in the worker as in the activity. */
export const askMidtransForStatus = inWorkerFirst(
  'status look-up',
  PATCHES.localWritesAndLookUps,
  fetchMidtransStatusInWorker,
  fetchMidtransStatus,
);
/**
 * The charge answers inside the workflow task that starts the payment, so POST /payments waits for one task.
 * `beforeActivity` runs once should the activity take over from the worker.
 */
export function placeCharge(request: ChargeInput, beforeActivity?: () => Promise<void>): Promise<ChargeOutcome> {
  const activity = beforeActivity ? (terms: ChargeInput) => beforeActivity().then(() => chargePayment(terms)) : chargePayment;
  return inWorkerFirst('charge', PATCHES.leanHistory, chargePaymentInWorker, activity)(request);
}
/** The user service's calls carry the payment's user: the workflow addresses it only for a payment that has one. */
const withUser = (event: DownstreamEvent) => ({ ...event, userId: event.userId! });
const deliverOneByOne: Record<DownstreamTarget, (event: DownstreamEvent) => Promise<void>> = {
  'transaction-service': inWorkerFirst('transaction-service delivery', PATCHES.leanHistory, notifyTransactionServiceInWorker, notifyTransactionService),
  'user-service': (event) =>
    inWorkerFirst('user-service delivery', PATCHES.leanHistory, notifyUserServiceInWorker, notifyUserService)(withUser(event)),
};
/** Each target's own activity, retried for a week: where a delivery the worker could not make goes on. */
const keepDelivering: Record<DownstreamTarget, (event: DownstreamEvent) => Promise<void>> = {
  'transaction-service': notifyTransactionService,
  'user-service': (event) => notifyUserService(withUser(event)),
};

/**
 * One payment event to each target; a promise per target, settled once its delivery is made or has failed for good.
 * Patched: the worker calls every target in one local activity, and a target it could not reach (for a reason
 * retrying may fix) goes on in that target's own activity, so the other is not called again. Unpatched workflows
 * replay a local activity per target.
 */
export function deliverDownstream(event: DownstreamEvent, targets: readonly DownstreamTarget[]): Promise<void>[] {
  if (!applies(PATCHES.deliveriesTogether)) return targets.map((target) => deliverOneByOne[target](event));
  const together = notifyDownstreamServicesInWorker(event, [...targets]).catch((error: unknown) => {
    if (!activityGaveUp(error) || failedForGood(error)) throw error;
    return null; // the worker itself failed: every target goes on in its own activity
  });
  return targets.map(async (target) => {
    const outcome = (await together)?.find((o) => o.target === target);
    if (outcome?.delivered) return;
    if (outcome?.final) throw ApplicationFailure.nonRetryable(outcome.error);
    log.warn(`${target} delivery falls back to an activity`, { error: outcome?.error ?? 'the local activity gave up' });
    return keepDelivering[target](event);
  });
}

/**
 * An activity that failed for good (its retries spent, or an error it may not retry). A local activity's failure
 * reaches the workflow as its cause (the ApplicationFailure or TimeoutFailure), without the ActivityFailure around it.
 */
export function activityGaveUp(error: unknown): error is ActivityFailure | ApplicationFailure | TimeoutFailure {
  return error instanceof ActivityFailure || error instanceof ApplicationFailure || error instanceof TimeoutFailure;
}

/** Failed with a non-retryable error: asking again gives the same answer. */
function failedForGood(error: ActivityFailure | ApplicationFailure | TimeoutFailure): boolean {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure && cause.nonRetryable === true;
}

/** The reason an activity failed, as its cause says it. */
export function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}
