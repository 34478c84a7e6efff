import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DownstreamEvent } from '../activities';
import type { MidtransObservation, PaymentCheckout, PaymentState, PaymentTerms, PaymentView } from '../src/domain';

/** The workflow's signature, for clients that start it by name. */
export type PaymentWorkflow = (input: PaymentWorkflowInput) => Promise<PaymentView>;

export { paymentWorkflowId } from '../src/temporal/workflow-ids';

/** What starts a payment workflow (workflow id `payment-<paymentId>`). */
export interface PaymentWorkflowInput {
  /**
   * The payment's terms; the customer's details and card token are its checkout, in PostgreSQL. Workflows started
   * before the checkout moved there carry it here too, and are charged with it.
   */
  request: PaymentTerms & Partial<PaymentCheckout>;
  userId?: string;
  /** The payment stays open for refunds this long after it succeeds. */
  refundWindowDays: number;
  /** The early reconciliation looks, minutes after the start, in place of 1, 5, 15 and 60 (src/domain/reconciliation.ts). */
  reconcileAfterMinutes?: number[];
  /** Continue as new once the history has this many events (tests use a low number; production keeps the default). */
  continueAsNewAfterEvents?: number;
  /** Set when a long history continued as new: everything the previous run knew, deadlines as absolute times. */
  resumed?: ResumedPayment;
}

export interface ResumedPayment {
  state: PaymentState;
  view: PaymentView;
  /** Read-model version and audit event counter: the new run's writes follow the old run's. */
  version: number;
  eventCount: number;
  /** When the first run started: expiry and reconciliation times are counted from it. */
  startedAtMs: number;
  expiryPassed: boolean;
  refundWindowEndsMs?: number;
  /** Notifications received but not yet looked at. */
  inbox: MidtransNotificationSignal[];
  /** Requests for a look at Midtrans not yet made. */
  reconcileRequests?: ReconcileRequest[];
  /**
   * Ids of the cancel and refund updates the earlier runs carried out: Temporal applies an update id once per run, and
   * the API sends a retried request's update again under its id when it has no stored answer for it.
   */
  answeredUpdateIds?: string[];
  /** Ids of the cancel and refund updates the earlier runs accepted and failed: they are not carried out again. */
  failedUpdateIds?: string[];
  /** Downstream deliveries started and not yet settled when the run continued as new: the new run makes them again. */
  deliveriesOwed?: DownstreamDelivery[];
}

/** One event for one downstream service; its idempotency key (the event's) makes a repeat harmless. */
export type DownstreamDelivery =
  | { target: 'transaction-service'; event: DownstreamEvent }
  | { target: 'user-service'; event: DownstreamEvent & { userId: string } };

/**
 * A Midtrans HTTP notification whose signature the API has already verified, as the observation it claims (its field
 * names are in recorded histories), with the row id of the stored notification for the audit trail.
 */
export type MidtransNotificationSignal = MidtransObservation & { notificationId?: number };

/**
 * The payment, update id and update the API sent a cancel or refund under, sealed with it: a sealed payload copied
 * from a history and sent as another update, to this payment or another, is refused (docs/security.md, threat 20).
 */
export interface RequestBinding {
  paymentId: string;
  updateId: string;
  update: 'cancel' | 'refund';
}

export interface CancelRequest {
  reason?: string;
  boundTo?: RequestBinding;
}

/** An operator or the daily reconciliation asks the workflow to look at Midtrans now, as a webhook would make it. */
export interface ReconcileRequest {
  /** Who asked: an operator's identity or `daily-reconciliation`; kept in the audit trail. */
  requestedBy: string;
  reason?: string;
}

export interface RefundRequest {
  /** Integer IDR; absent = everything not yet refunded. */
  amount?: number;
  reason?: string;
  boundTo?: RequestBinding;
}

/** `request` bound to the update it is sent as: how the API (and the tests' client) sends every cancel and refund. */
export function boundRequest<Request extends CancelRequest | RefundRequest>(request: Request, boundTo: RequestBinding): Request {
  return { ...request, boundTo };
}

const REQUEST_FIELDS: Record<RequestBinding['update'], readonly string[]> = {
  cancel: ['reason', 'boundTo'],
  refund: ['amount', 'reason', 'boundTo'],
};

/**
 * Why `request` is not a cancel or refund request sent as the update `expected` names, or undefined when it is. The
 * key opens any sealed payload, so one copied from a history (a notification, another update's request) reaches the
 * workflow as a request would: only its fields and binding tell them apart.
 */
export function requestProblem(request: unknown, expected: RequestBinding): string | undefined {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return 'is not a request';
  const fields = request as Record<string, unknown>;
  const stray = Object.keys(fields).find((field) => !REQUEST_FIELDS[expected.update].includes(field));
  if (stray !== undefined) return `has a field a ${expected.update} request has not: ${stray}`;
  if (fields.reason !== undefined && typeof fields.reason !== 'string') return 'has a reason that is not text';
  if (fields.amount !== undefined && typeof fields.amount !== 'number') return 'has an amount that is not a number';
  const bound = fields.boundTo;
  if (typeof bound !== 'object' || bound === null) return 'is bound to no payment and update';
  const { paymentId, updateId, update, ...rest } = bound as Partial<RequestBinding>;
  if (paymentId !== expected.paymentId || updateId !== expected.updateId || update !== expected.update || Object.keys(rest).length > 0) {
    return 'was sent for another payment or update';
  }
  return undefined;
}

export const midtransNotificationSignal = defineSignal<[MidtransNotificationSignal]>('midtransNotification');
/** Ask Midtrans for this payment's status now and apply its answer, the confirmed path of every notification. */
export const reconcileRequestSignal = defineSignal<[ReconcileRequest]>('reconcileRequest');
export const paymentQuery = defineQuery<PaymentView>('payment');
/** Completes once the Midtrans charge step has finished; used with update-with-start by POST /payments. */
export const chargeCompletedUpdate = defineUpdate<PaymentView>('chargeCompleted');
export const cancelUpdate = defineUpdate<PaymentView, [CancelRequest]>('cancel');
export const refundUpdate = defineUpdate<PaymentView, [RefundRequest]>('refund');
