import { createHash } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Hono } from 'hono';
import { findNotifiedPayment, setNotificationOutcome, storeNotification, type NotificationOutcome } from '../../db/notifications';
import { isValidMidtransSignature } from '../../midtrans/signature';
import type { ApiDependencies } from '../app';
import { ApiError } from '../errors';
import type { ApiEnv } from '../middleware/request-context';
import { midtransNotificationBody } from '../schemas';
import { parseWith, readJsonBody } from '../validation';

/**
 * The Midtrans notification bridge: verify, store, then signal the payment's workflow. It answers within Midtrans's
 * 5 s budget because it only writes one row and sends one signal; it never waits on downstream services.
 */
export function webhookRoutes(deps: ApiDependencies) {
  const { db, workflows, config, metrics } = deps;
  const app = new Hono<ApiEnv>();

  // Load shedding: when Temporal or PostgreSQL slows down under a burst, waiting requests only hold memory and add
  // stalled calls to the backlog. A 503 with Retry-After costs nothing and Midtrans delivers the notification again.
  let inFlight = 0;
  app.use('*', async (c, next) => {
    if (inFlight >= config.WEBHOOK_MAX_IN_FLIGHT) {
      metrics.countWebhook('shed');
      throw new ApiError('SERVICE_UNAVAILABLE', 'too many notifications in flight; deliver it again later', undefined, 30);
    }
    inFlight += 1;
    try {
      await next();
    } finally {
      inFlight -= 1;
    }
  });

  app.post('/', async (c) => {
    const { raw, json } = await readJsonBody(c);
    const log = c.get('log');
    const notification = parseWith(midtransNotificationBody, json);
    const bodySha256 = createHash('sha256').update(raw).digest('hex');
    const signatureValid = isValidMidtransSignature(notification, config.MIDTRANS_SERVER_KEY);
    const payment = signatureValid ? await findNotifiedPayment(db, notification.order_id, bodySha256) : null;
    const paymentId = notification.order_id;
    const store = (outcome: NotificationOutcome) =>
      storeNotification(db, { paymentId: payment ? paymentId : null, body: notification, rawBody: raw, bodySha256, signatureValid, outcome });
    const answer = (outcome: NotificationOutcome) => {
      metrics.countWebhook(outcome);
      return c.json({ status: outcome });
    };

    if (!signatureValid) {
      await store('invalid_signature');
      metrics.countWebhook('invalid_signature');
      log.warn({ orderId: notification.order_id }, 'notification with an invalid signature refused');
      throw new ApiError('INVALID_SIGNATURE', 'signature_key does not match this notification');
    }
    // No row, yet the workflow may exist: the read model lost it (a restore) and the workflow's next write heals it.
    if (!payment && !(await workflows.exists(paymentId))) {
      await store('unknown_payment');
      metrics.countWebhook('unknown_payment');
      throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${notification.order_id}`);
    }
    if (payment?.alreadySignalled) {
      await store('duplicate');
      return answer('duplicate');
    }
    const id = await store('received');
    try {
      await workflows.notify(paymentId, {
        transactionStatus: notification.transaction_status,
        fraudStatus: notification.fraud_status,
        statusCode: notification.status_code,
        grossAmount: notification.gross_amount,
        orderId: notification.order_id,
        transactionId: notification.transaction_id,
        refundAmount: typeof notification.refund_amount === 'string' ? notification.refund_amount : undefined,
        notificationId: id,
      });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      // The workflow has closed (final, refund window over): keep the notification for the audit trail.
      await setNotificationOutcome(db, id, 'payment_closed');
      log.warn({ transactionStatus: notification.transaction_status }, 'notification for a closed payment stored, not applied');
      return answer('payment_closed');
    }
    await setNotificationOutcome(db, id, 'accepted');
    return answer('accepted');
  });

  return app;
}
