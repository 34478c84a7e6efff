import { ApplicationFailure } from '@temporalio/activity';
import type { Database } from '../src/db/client';
import { recordDeliveryAttempt } from '../src/db/deliveries';

export interface DownstreamEvent {
  paymentId: string;
  orderId: string;
  userId?: string;
  /** Stable per payment event (e.g. `success`, `refund-1`): with the payment id it makes the Idempotency-Key. */
  eventKey: string;
  status: string;
  amount: number;
  refundAmount?: number;
}

export interface DownstreamConfig {
  transactionServiceUrl: string;
  userServiceUrl: string;
  timeoutMs: number;
}

/** Failures worth retrying for days: the service may come back. Other 4xx will not get better by retrying. */
const isRetryableHttpStatus = (status: number) => status >= 500 || status === 408 || status === 429;

export const DOWNSTREAM_REJECTED = 'DownstreamRejected';

export function createDownstreamActivities(db: Database, config: DownstreamConfig) {
  async function deliver(target: string, url: string, event: DownstreamEvent, body: object): Promise<void> {
    const idempotencyKey = `${event.paymentId}:${event.eventKey}:${target}`;
    const base = { paymentId: event.paymentId, target, idempotencyKey, body };
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(config.timeoutMs),
      });
      await response.arrayBuffer();
    } catch (error) {
      await recordDeliveryAttempt(db, { ...base, outcome: 'retrying', error: String(error) });
      throw error;
    }
    if (response.ok) {
      await recordDeliveryAttempt(db, { ...base, outcome: 'delivered', httpStatus: response.status });
      return;
    }
    const retryable = isRetryableHttpStatus(response.status);
    const error = `${target} answered HTTP ${response.status}`;
    await recordDeliveryAttempt(db, { ...base, outcome: retryable ? 'retrying' : 'failed', httpStatus: response.status, error });
    if (retryable) throw ApplicationFailure.retryable(error, 'DownstreamUnavailable');
    throw ApplicationFailure.nonRetryable(error, DOWNSTREAM_REJECTED, { httpStatus: response.status });
  }

  return {
    /** POST {TRANSACTION_SERVICE_URL}/transactions/payments/notify, as in the original service. */
    async notifyTransactionService(event: DownstreamEvent): Promise<void> {
      await deliver('transaction-service', `${config.transactionServiceUrl}/transactions/payments/notify`, event, {
        order_id: event.orderId,
        payment_id: event.paymentId,
        status: event.status,
        amount: event.amount,
        ...(event.refundAmount !== undefined ? { refund_amount: event.refundAmount } : {}),
      });
    },

    /** POST {USER_SERVICE_URL}/users/{user_id}/payments: the user's payment history. */
    async notifyUserService(event: DownstreamEvent & { userId: string }): Promise<void> {
      await deliver('user-service', `${config.userServiceUrl}/users/${encodeURIComponent(event.userId)}/payments`, event, {
        payment_id: event.paymentId,
        amount: event.amount,
        status: event.status,
        ...(event.refundAmount !== undefined ? { refund_amount: event.refundAmount } : {}),
      });
    },
  };
}
