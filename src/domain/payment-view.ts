import type { PaymentInstructions } from './payment-instructions';
import type { PaymentStatus } from './payment-status';

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

/** The payment as its workflow knows it: what the `payment` query and every update return, and what the read model stores. */
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
