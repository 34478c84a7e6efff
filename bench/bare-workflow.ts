import { condition, defineQuery, defineSignal, defineUpdate, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { nextReconciliationAt } from '../src/domain/reconciliation';
import { PAYMENT_STATUS } from '../src/temporal/search-attributes';
import { WakeUpTimer } from '../workflows/wake-up-timer';

/**
 * The Temporal baseline: a workflow of the same shape as workflows/payment.ts on the happy path of a VA payment
 * with a user id, with activities that do nothing. Same messages (update-with-start `chargeCompleted`, signal
 * `midtransNotification`, query `payment`), the same steps in the same order, run in the worker as the payment
 * workflow runs them (local activities), the same timers (one wake-up timer while pending, the refund window after
 * success) and the same status search-attribute upsert; the payment workflow's one patch marker and the upsert
 * beside it are not imitated:
 *
 *   chargePayment → recordPayment(charged) → [update completes]
 *   signal "pending" (the simulator's first notification) → its line waits for the next write
 *   signal "settlement" → fetchMidtransStatus → upsert PaymentStatus → recordPayment(transition, with the waiting line)
 *     → notifyTransactionService ∥ notifyUserService, then wait out the refund window (the workflow stays open)
 */

export interface BareInput {
  paymentId: string;
  userId?: string;
  refundWindowDays: number;
  expiryMinutes: number;
}

export interface BareView {
  paymentId: string;
  status: 'pending' | 'success' | 'expired';
  chargeCompleted: boolean;
}

export interface BareNotification {
  transactionStatus: string;
}

export interface BareActivities {
  recordPayment(snapshot: { paymentId: string; version: number; kind: string; waitingLines: string[] }): Promise<void>;
  chargePayment(request: { paymentId: string }): Promise<void>;
  fetchMidtransStatus(paymentId: string): Promise<void>;
  notifyTransactionService(event: { paymentId: string; status: string }): Promise<void>;
  notifyUserService(event: { paymentId: string; userId: string; status: string }): Promise<void>;
}

export const bareNotificationSignal = defineSignal<[BareNotification]>('midtransNotification');
export const bareQuery = defineQuery<BareView>('payment');
export const bareChargeCompletedUpdate = defineUpdate<BareView>('chargeCompleted');

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

// The same timeouts and retry policies as the payment workflow's local steps (no retry happens on this path).
const acts = proxyLocalActivities<BareActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

export async function bareWorkflow(input: BareInput): Promise<BareView> {
  const startedAt = Date.now();
  const expiresAt = startedAt + input.expiryMinutes * MINUTE;
  const view: BareView = { paymentId: input.paymentId, status: 'pending', chargeCompleted: false };
  const inbox: BareNotification[] = [];
  const deliveries: Promise<void>[] = [];
  let version = 0;
  let waitingLines: string[] = [];

  setHandler(bareQuery, () => ({ ...view }));
  setHandler(bareNotificationSignal, (notification) => {
    inbox.push(notification);
  });
  setHandler(bareChargeCompletedUpdate, async () => {
    await condition(() => view.chargeCompleted);
    return { ...view };
  });

  const record = (kind: string) => {
    const lines = waitingLines;
    waitingLines = [];
    return acts.recordPayment({ paymentId: input.paymentId, version: ++version, kind, waitingLines: lines });
  };

  await acts.chargePayment({ paymentId: input.paymentId });
  await record('charged');
  view.chargeCompleted = true;

  const wakeUp = new WakeUpTimer();
  while (view.status === 'pending') {
    const nextReconcile = nextReconciliationAt({ startedAtMs: startedAt, expiresAtMs: expiresAt }, Date.now());
    const notified = await wakeUp.messageOrDeadline(() => inbox.length > 0, Math.min(expiresAt, nextReconcile));
    if (inbox.length > 0) {
      while (inbox.length > 0) {
        const notification = inbox.shift()!;
        if (notification.transactionStatus !== 'settlement') {
          waitingLines.push(notification.transactionStatus);
          continue;
        }
        await acts.fetchMidtransStatus(input.paymentId);
        view.status = 'success';
        upsertSearchAttributes([{ key: PAYMENT_STATUS, value: 'success' }]);
        await record('transition');
        deliveries.push(acts.notifyTransactionService({ paymentId: input.paymentId, status: 'success' }));
        if (input.userId) deliveries.push(acts.notifyUserService({ paymentId: input.paymentId, userId: input.userId, status: 'success' }));
      }
    } else if (!notified && Date.now() >= expiresAt) {
      view.status = 'expired';
    } else if (!notified) {
      await acts.fetchMidtransStatus(input.paymentId);
    }
  }

  if (view.status === 'success') {
    // The refund window: like the payment workflow, the workflow stays open (a pending timer) after success.
    await wakeUp.messageOrDeadline(() => false, Date.now() + input.refundWindowDays * DAY);
  }
  wakeUp.cancel();
  await Promise.all(deliveries);
  return { ...view };
}
