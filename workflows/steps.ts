import { ActivityFailure, ApplicationFailure, log, TimeoutFailure } from '@temporalio/workflow';
import {
  chargePayment,
  chargePaymentInWorker,
  fetchMidtransStatus,
  fetchMidtransStatusInWorker,
  notifyTransactionService,
  notifyTransactionServiceInWorker,
  notifyUserService,
  notifyUserServiceInWorker,
  recordPayment,
  recordPaymentInWorker,
  recordPaymentLines,
  recordPaymentLinesInWorker,
} from './activity-proxies';
import type { ChargeInput, ChargeOutcome, PaymentActivities } from '../activities';
import { applies, PATCHES } from './patches';

/**
 * Patched: the step runs in the worker first (a local activity, see activity-proxies.ts); when it gives up for a reason
 * retrying may fix (PostgreSQL, Midtrans or a downstream service down past its quick attempts), the activity takes over
 * and retries as long as it always did. Unpatched workflows replay the activity they scheduled: that promise is
 * returned as is, so their commands keep their order.
 */
function inWorkerFirst<Args extends unknown[], Result>(
  step: string,
  patch: typeof PATCHES.localWritesAndLookUps | typeof PATCHES.leanHistory | typeof PATCHES.routineLinesWait,
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
export const deliverToTransactionService = inWorkerFirst(
  'transaction-service delivery',
  PATCHES.leanHistory,
  notifyTransactionServiceInWorker,
  notifyTransactionService,
);
export const deliverToUserService = inWorkerFirst('user-service delivery', PATCHES.leanHistory, notifyUserServiceInWorker, notifyUserService);

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
