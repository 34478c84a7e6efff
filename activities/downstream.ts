import { ApplicationFailure } from '@temporalio/activity';
import { Webhook } from 'standardwebhooks';
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
  /** `whsec_<base64>`: signs every call (Standard Webhooks), so only this service can tell them a payment was paid. */
  signingSecret: string;
}

/** Failures worth retrying for days: the service may come back. Other 4xx will not get better by retrying. */
const isRetryableHttpStatus = (status: number) => status >= 500 || status === 408 || status === 429;

export const DOWNSTREAM_REJECTED = 'DownstreamRejected';

export function createDownstreamActivities(db: Database, config: DownstreamConfig) {
  const signer = new Webhook(config.signingSecret);

  async function deliver(target: string, url: string, event: DownstreamEvent, body: object): Promise<void> {
    const idempotencyKey = `${event.paymentId}:${event.eventKey}:${target}`;
    const base = { paymentId: event.paymentId, target, idempotencyKey, body };
    const payload = JSON.stringify(body);
    // The webhook-id is the idempotency key, the same on every retry; each attempt is signed at its own time, so a
    // receiver's replay window (5 minutes in Standard Webhooks) never refuses a retry that comes hours later.
    const signedAt = new Date();
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
          'webhook-id': idempotencyKey,
          'webhook-timestamp': String(Math.floor(signedAt.getTime() / 1000)),
          'webhook-signature': signer.sign(idempotencyKey, signedAt, payload),
        },
        body: payload,
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
