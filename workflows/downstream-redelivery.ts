import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { DownstreamEvent, RedeliveryActivities } from '../activities';

/** What an operator's redelivery sends again: the delivery's event as the payment workflow first sent it. */
export interface DownstreamRedeliveryInput {
  deliveryId: string;
  target: 'transaction-service' | 'user-service';
  event: DownstreamEvent;
}

export interface DownstreamRedeliveryResult {
  deliveryId: string;
  status: 'delivered' | 'failed';
  error?: string;
}

/**
 * A few quick attempts only: an operator is waiting for the answer, and a delivery that still fails goes back to the
 * review queue as failed, from where it can be sent again. A 4xx other than 408/429 is final, as in the payment workflow.
 */
const { notifyTransactionService, notifyUserService } = proxyActivities<RedeliveryActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 4,
    nonRetryableErrorTypes: ['DownstreamRejected'],
  },
});

const { recordRedeliveryFailure } = proxyActivities<RedeliveryActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * An operator's redelivery of one downstream event (POST /operations/deliveries/{id}/redeliver), in a workflow of its
 * own because the payment's workflow may be closed. Its id names the delivery and the attempt it follows, so a retried
 * request starts nothing twice. The delivery's row ends delivered or failed.
 */
export async function downstreamRedeliveryWorkflow({
  deliveryId,
  target,
  event,
}: DownstreamRedeliveryInput): Promise<DownstreamRedeliveryResult> {
  try {
    if (target === 'user-service') {
      if (event.userId === undefined) throw ApplicationFailure.nonRetryable('the payment has no user id', 'DownstreamRejected');
      await notifyUserService({ ...event, userId: event.userId });
    } else {
      await notifyTransactionService(event);
    }
    return { deliveryId, status: 'delivered' };
  } catch (error) {
    if (!(error instanceof ActivityFailure) && !(error instanceof ApplicationFailure)) throw error;
    const message = error.cause?.message ?? error.message;
    await recordRedeliveryFailure(deliveryId, message);
    return { deliveryId, status: 'failed', error: message };
  }
}
