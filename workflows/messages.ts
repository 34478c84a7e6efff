import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PaymentInstructions, PaymentRequest, PaymentState, PaymentStatus } from '../src/domain';

/** What starts a payment workflow (workflow id `payment-<paymentId>`). */
export interface PaymentWorkflowInput {
  request: PaymentRequest;
  userId?: string;
  /** The payment stays open for refunds this long after it succeeds. */
  refundWindowDays: number;
  /** Ask Midtrans for the status this many minutes after the charge when no notification came (lost webhooks). */
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
}

/** A Midtrans HTTP notification whose signature the API has already verified. */
export interface MidtransNotificationSignal {
  transactionStatus: string;
  fraudStatus?: string;
  statusCode: string;
  grossAmount: string;
  orderId: string;
  transactionId?: string;
  /** Cumulative refunded amount Midtrans reports on refund notifications ("50000.00"). */
  refundAmount?: string;
  /** Row id of the stored notification, for the audit trail. */
  notificationId?: number;
}

export type PaymentEventSource = 'api' | 'webhook' | 'timer' | 'reconciliation' | 'charge' | 'downstream';

export interface PaymentHistoryEntry {
  kind: string;
  from?: PaymentStatus;
  to?: PaymentStatus;
  source: PaymentEventSource;
  at: string;
  detail?: Record<string, unknown>;
}

export interface RefundView {
  refundKey: string;
  amount: number;
  reason?: string;
  status: 'succeeded';
  at: string;
}

/** The payment as the workflow knows it: returned by the `payment` query and by every update. */
export interface PaymentView {
  paymentId: string;
  orderId: string;
  userId?: string;
  method: string;
  bank?: string;
  amount: number;
  refundedAmount: number;
  status: PaymentStatus;
  midtransStatus?: string;
  fraudStatus?: string;
  transactionId?: string;
  instructions: PaymentInstructions | null;
  failureReason?: string;
  chargeCompleted: boolean;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  paidAt?: string;
  history: PaymentHistoryEntry[];
  refunds: RefundView[];
  /** The version of the payment's latest read-model write: what `npm run read-model:rebuild` writes it back as. */
  readModelVersion?: number;
  /** Notifications that changed nothing, by reason (duplicate, stale, unconfirmed, …): counted, not audited each. */
  ignoredNotifications?: Record<string, number>;
}

/** The audit event key of the payment's n-th history entry (1-based): one per step, so a retried write lands once. */
export const auditEventKey = (sequence: number, kind: string) => `${sequence}-${kind}`;

export interface CancelRequest {
  reason?: string;
}

export interface RefundRequest {
  /** Integer IDR; absent = everything not yet refunded. */
  amount?: number;
  reason?: string;
}

export const midtransNotificationSignal = defineSignal<[MidtransNotificationSignal]>('midtransNotification');
export const paymentQuery = defineQuery<PaymentView>('payment');
/** Completes once the Midtrans charge step has finished; used with update-with-start by POST /payments. */
export const chargeCompletedUpdate = defineUpdate<PaymentView>('chargeCompleted');
export const cancelUpdate = defineUpdate<PaymentView, [CancelRequest]>('cancel');
export const refundUpdate = defineUpdate<PaymentView, [RefundRequest]>('refund');
