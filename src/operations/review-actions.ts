import { randomUUID } from 'node:crypto';
import type { DownstreamRedeliveryInput, PaymentWorkflows } from '../api/payment-workflows';
import { ApiError } from '../api/errors';
import type { Database } from '../db/client';
import { findDelivery } from '../db/deliveries';
import {
  findOperatorAction,
  latestOperatorAction,
  recordOperatorAction,
  type NewOperatorAction,
} from '../db/operator-actions';
import { findPayment } from '../db/payments';
import { findReviewItem, type ReviewQueueOptions } from '../db/reviews';
import type { OperatorAction } from '../generated/prisma/client';

/**
 * What operators do to the review queue, for the API's routes and the console alike. Each action is audited in
 * operator_actions under the operator's name, and is idempotent: a retried request finds its row and does nothing twice.
 */
export interface ReviewActionDependencies {
  db: Database;
  workflows: Pick<PaymentWorkflows, 'requestReconcile' | 'redeliver'>;
  reviewQueue: Pick<ReviewQueueOptions, 'pendingGraceMinutes' | 'processingHours'>;
  /** How long redeliver waits for the downstream service before answering with the delivery still under way. */
  redeliveryWaitMs: number;
}

export interface OperatorRequest {
  /** The operator's name (OPERATOR_TOKENS), for the audit. */
  operator: string;
  note?: string;
  /** An Idempotency-Key the client sent: a retry with it is the same action. */
  requestKey?: string;
}

export interface RedeliveryOutcome {
  action: OperatorAction;
  workflowId: string;
  /** delivered | failed once the redelivery finished; `redelivering` while it is still under way. */
  status: 'delivered' | 'failed' | 'redelivering';
  error?: string;
  /** True when this request was a retry of one already accepted. */
  replayed: boolean;
}

const DELIVERY_TARGETS = ['transaction-service', 'user-service'] as const;
type DeliveryTarget = (typeof DELIVERY_TARGETS)[number];

/**
 * Sends a failed downstream delivery again, through its own small workflow (the payment's may be closed) whose id
 * names the delivery and the state its row was in (attempts, last change): a retried request joins that workflow, and
 * one that comes after it finished gets its outcome.
 */
export async function redeliver(deps: ReviewActionDependencies, deliveryId: string, request: OperatorRequest): Promise<RedeliveryOutcome> {
  const delivery = await findDelivery(deps.db, deliveryId);
  if (!delivery) throw new ApiError('DELIVERY_NOT_FOUND', `no downstream delivery ${deliveryId}`);
  // With an Idempotency-Key a retry is told apart from a new request even once its redelivery has failed again.
  const requestKey =
    request.requestKey === undefined ? undefined : `redeliver:${deliveryId}:request:${request.operator}:${request.requestKey}`;
  const asked = requestKey === undefined ? null : await findOperatorAction(deps.db, requestKey);
  const previous = asked ?? (delivery.status === 'failed' ? null : await latestOperatorAction(deps.db, 'redeliver', deliveryId));
  if (previous) {
    // A retry of a request already accepted, answered with its redelivery. A delivered one starts nothing, even once
    // Temporal has forgotten the redelivery's workflow.
    if (delivery.status === 'delivered') {
      return { action: previous, workflowId: redeliveryWorkflowOf(previous), status: 'delivered', replayed: true };
    }
    return awaitRedelivery(deps, previous, { replayed: true });
  }
  if (delivery.status !== 'failed') {
    throw new ApiError('DELIVERY_NOT_FAILED', `delivery ${deliveryId} is ${delivery.status}: only a failed delivery is sent again`);
  }
  const input = await redeliveryInput(deps.db, delivery);
  // The row as this request found it: every failure of a redelivery changes it (its time, even when PostgreSQL was
  // refusing the attempts' counts), so the next request is a new redelivery, and requests at once are the same one.
  const round = `${delivery.attempts}-${delivery.updatedAt.getTime()}`;
  const workflowId = `redelivery-${deliveryId}-${round}`;
  const { row, recorded } = await recordOperatorAction(deps.db, {
    ...auditOf(request, 'redeliver', deliveryId, delivery.paymentId),
    actionKey: requestKey ?? `redeliver:${deliveryId}:${round}`,
    detail: { workflowId, attempts: delivery.attempts, target: delivery.target },
  });
  return awaitRedelivery(deps, row, { replayed: !recorded, input });
}

async function awaitRedelivery(
  deps: ReviewActionDependencies,
  action: OperatorAction,
  { replayed, input }: { replayed: boolean; input?: DownstreamRedeliveryInput },
): Promise<RedeliveryOutcome> {
  const workflowId = redeliveryWorkflowOf(action);
  // A replayed request has no input of its own, and needs none: the workflow of that id exists already.
  const result = await deps.workflows.redeliver(
    workflowId,
    input ?? (await redeliveryInputOf(deps.db, action.target)),
    deps.redeliveryWaitMs,
  );
  return { action, workflowId, status: result?.status ?? 'redelivering', ...(result?.error && { error: result.error }), replayed };
}

const redeliveryWorkflowOf = (action: OperatorAction) => (action.detail as { workflowId: string }).workflowId;

async function redeliveryInputOf(db: Database, deliveryId: string): Promise<DownstreamRedeliveryInput> {
  const delivery = await findDelivery(db, deliveryId);
  if (!delivery) throw new ApiError('DELIVERY_NOT_FOUND', `no downstream delivery ${deliveryId}`);
  return redeliveryInput(db, delivery);
}

/**
 * The delivery's event as the payment workflow sent it: its id is `<payment id>:<event key>:<target>`, its body the
 * amounts and status; order and user come from the payment's row (the user service's URL names the user).
 */
async function redeliveryInput(
  db: Database,
  delivery: { id: string; paymentId: string; target: string; body: unknown },
): Promise<DownstreamRedeliveryInput> {
  const target = delivery.target as DeliveryTarget;
  const prefix = `${delivery.paymentId}:`;
  const suffix = `:${delivery.target}`;
  if (!DELIVERY_TARGETS.includes(target) || !delivery.id.startsWith(prefix) || !delivery.id.endsWith(suffix)) {
    throw new ApiError('DELIVERY_NOT_FAILED', `delivery ${delivery.id} is not one this service can send again`);
  }
  const eventKey = delivery.id.slice(prefix.length, -suffix.length);
  const body = delivery.body as { order_id?: string; status: string; amount: number; refund_amount?: number };
  const payment = await findPayment(db, delivery.paymentId);
  const orderId = body.order_id ?? payment?.orderId;
  const userId = payment?.userId ?? undefined;
  if (orderId === undefined || (target === 'user-service' && userId === undefined)) {
    throw new ApiError('DELIVERY_NOT_FAILED', `delivery ${delivery.id} cannot be sent again: its payment's row is missing`);
  }
  return {
    deliveryId: delivery.id,
    target,
    event: {
      paymentId: delivery.paymentId,
      orderId,
      ...(userId !== undefined && { userId }),
      eventKey,
      status: body.status,
      amount: body.amount,
      ...(body.refund_amount !== undefined && { refundAmount: body.refund_amount }),
    },
  };
}

/**
 * Asks the payment's workflow to look at Midtrans now (reconcileRequestSignal): it applies Midtrans's answer through
 * the confirmed path of every notification, and its audit trail names the operator. A closed workflow is
 * PAYMENT_WORKFLOW_CLOSED. The action is recorded once the ask has been taken, so no audit line or answer says an ask
 * happened that did not; a retry with the same Idempotency-Key after that gets the record and asks nothing. Two
 * requests with one key at the same instant may both ask: a look, not a command, so that is harmless.
 */
export async function reconcileNow(deps: ReviewActionDependencies, paymentId: string, request: OperatorRequest): Promise<OperatorAction> {
  const payment = await findPayment(deps.db, paymentId);
  if (!payment) throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${paymentId}`);
  const actionKey = `reconcile:${paymentId}:${request.operator}:${request.requestKey ?? randomUUID()}`;
  const recorded = await findOperatorAction(deps.db, actionKey);
  if (recorded) return recorded;
  await deps.workflows.requestReconcile(paymentId, { requestedBy: request.operator, ...(request.note && { reason: request.note }) });
  return (await recordOperatorAction(deps.db, { ...auditOf(request, 'reconcile', paymentId, paymentId), actionKey })).row;
}

/**
 * Marks a review item dealt with, with the operator's note: it leaves the queue until its trouble comes back (a new
 * failure of the delivery, the payment stuck again). Resolving it again returns the first resolution.
 */
export async function resolveReview(
  deps: ReviewActionDependencies,
  reviewId: string,
  request: OperatorRequest & { note: string },
): Promise<{ action: OperatorAction; replayed: boolean }> {
  const item = await findReviewItem(deps.db, deps.reviewQueue, reviewId);
  if (!item) throw new ApiError('REVIEW_ITEM_NOT_FOUND', `no review item ${reviewId} (it may no longer need a person)`);
  const { row, recorded } = await recordOperatorAction(deps.db, {
    ...auditOf(request, 'resolve', reviewId, item.paymentId),
    actionKey: `resolve:${reviewId}:${item.since.toISOString()}`,
    detail: { kind: item.kind, reason: item.reason, since: item.since.toISOString() },
  });
  return { action: row, replayed: !recorded };
}

function auditOf(request: OperatorRequest, action: NewOperatorAction['action'], target: string, paymentId: string) {
  return { operator: request.operator, action, target, paymentId, ...(request.note !== undefined && { note: request.note }) };
}
