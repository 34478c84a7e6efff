import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PaymentActivities } from '../activities';
import { DOWNSTREAM_DELIVERY_DAYS } from '../src/domain';

/** One activity group: only these activities, each called with the group's options. */
const group = <Name extends keyof PaymentActivities>(options: Parameters<typeof proxyActivities>[0]) =>
  proxyActivities<Pick<PaymentActivities, Name>>(options);

const MIDTRANS_RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' };

/**
 * Midtrans commands: the client gives up after its own HTTP timeout, so 30 s per attempt is ample. Retries back off
 * to one a minute. `confirmNotification` is the status look-up of notifications that reached a workflow before the
 * notifications-are-hints patch; they replay with these options.
 */
export const {
  cancelAtMidtrans,
  refundAtMidtrans,
  expireAtMidtrans,
  fetchMidtransStatus: confirmNotification,
} = group<'cancelAtMidtrans' | 'refundAtMidtrans' | 'expireAtMidtrans' | 'fetchMidtransStatus'>({
  startToCloseTimeout: '30 seconds',
  retry: MIDTRANS_RETRY,
});

/**
 * Status look-ups: a permanent error (a rotated server key, an answer we cannot read) fails at once, transient ones
 * are retried for 10 minutes. Then the workflow records needs_operator_review and goes on (reconciliation asks again
 * later), so a cancel or refund never waits behind a look-up that cannot succeed.
 */
export const { fetchMidtransStatus } = group<'fetchMidtransStatus'>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: MIDTRANS_RETRY,
});

/** A charge that still cannot be placed after 15 minutes is resolved by asking for the status. */
export const { chargePayment } = group<'chargePayment'>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '15 minutes',
  retry: MIDTRANS_RETRY,
});

/** PostgreSQL writes are idempotent: retry until the database is back, however long that takes. */
export const { recordPayment, recordPaymentLines } = group<'recordPayment' | 'recordPaymentLines'>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * The read-model write and the status look-up also run as local activities: in the worker, inside the workflow task,
 * recorded as one marker instead of three events and a workflow task of their own. Both may run more than once (a
 * write is a versioned upsert, a look-up only reads). Three quick attempts only: a local activity that keeps failing
 * holds its workflow task open, and every heartbeat of that task is written to the history, so a longer outage falls
 * back to the activity above, whose retries the server keeps out of the history however long they take.
 */
const QUICK_LOCAL_RETRY = { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 3 };

export const { recordPayment: recordPaymentInWorker, recordPaymentLines: recordPaymentLinesInWorker } = proxyLocalActivities<
  Pick<PaymentActivities, 'recordPayment' | 'recordPaymentLines'>
>({
  startToCloseTimeout: '10 seconds',
  retry: QUICK_LOCAL_RETRY,
});

/**
 * The Midtrans client gives up after 15 s; permanent errors fail at once, as in the activity. A charge may run twice
 * here too: its second run finds the order Midtrans already took (activities/midtrans.ts).
 */
export const { fetchMidtransStatus: fetchMidtransStatusInWorker, chargePayment: chargePaymentInWorker } = proxyLocalActivities<
  Pick<PaymentActivities, 'fetchMidtransStatus' | 'chargePayment'>
>({
  startToCloseTimeout: '20 seconds',
  retry: QUICK_LOCAL_RETRY,
});

/**
 * Downstream services: network errors, 5xx, 408 and 429 are retried for a week with backoff up to an hour;
 * any other 4xx is final (DownstreamRejected) and stays visible as a failed delivery.
 */
export const { notifyTransactionService, notifyUserService } = group<'notifyTransactionService' | 'notifyUserService'>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: `${DOWNSTREAM_DELIVERY_DAYS} days`,
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', nonRetryableErrorTypes: ['DownstreamRejected'] },
});

/** Deliveries run in the worker first, like the writes: a receiver's idempotency key makes a second run harmless. */
export const { notifyTransactionService: notifyTransactionServiceInWorker, notifyUserService: notifyUserServiceInWorker } =
  proxyLocalActivities<Pick<PaymentActivities, 'notifyTransactionService' | 'notifyUserService'>>({
    startToCloseTimeout: '30 seconds',
    retry: QUICK_LOCAL_RETRY,
  });
