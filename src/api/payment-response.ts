import type { PaymentStatus, PaymentView } from '../domain';
import type { PaymentWithAudit } from '../db/payments';
import type { Payment } from '../generated/prisma/client';
import type { PaymentResponse } from './schemas';

/** Payment instructions are camelCase in the domain and snake_case on the wire, like the rest of the API. */
function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeCaseKeys(inner)]),
  );
}

/** What the API shows of a payment, from either source: the workflow's view or its read-model row. */
type PaymentSummary = Omit<
  PaymentView,
  'chargeCompleted' | 'history' | 'refunds' | 'readModelVersion' | 'ignoredNotifications' | 'expiresAt'
> & {
  expiresAt: string | null;
};

/** The one mapping from the domain's payment to the API's answer. */
export function paymentResponse(payment: PaymentSummary): PaymentResponse {
  return {
    payment_id: payment.paymentId,
    order_id: payment.orderId,
    user_id: payment.userId ?? null,
    payment_method: payment.method as PaymentResponse['payment_method'],
    bank: payment.bank ?? null,
    amount: payment.amount,
    refunded_amount: payment.refundedAmount,
    currency: 'IDR',
    status: payment.status,
    midtrans_status: payment.midtransStatus ?? null,
    fraud_status: payment.fraudStatus ?? null,
    transaction_id: payment.transactionId ?? null,
    payment_instructions: snakeCaseKeys(payment.instructions) as PaymentResponse['payment_instructions'],
    failure_reason: payment.failureReason ?? null,
    expires_at: payment.expiresAt,
    paid_at: payment.paidAt ?? null,
    created_at: payment.createdAt,
    updated_at: payment.updatedAt,
  };
}

/** The read model's row as the domain's payment: the same fields the workflow's view has. */
function paymentFromRow(row: Payment): PaymentSummary {
  return {
    paymentId: row.id,
    orderId: row.orderId,
    userId: row.userId ?? undefined,
    method: row.paymentMethod,
    bank: row.bank ?? undefined,
    amount: Number(row.amount),
    refundedAmount: Number(row.refundedAmount),
    status: row.status as PaymentStatus,
    midtransStatus: row.midtransStatus ?? undefined,
    fraudStatus: row.fraudStatus ?? undefined,
    transactionId: row.midtransTransactionId ?? undefined,
    instructions: (row.paymentInstructions ?? null) as PaymentView['instructions'],
    failureReason: row.failureReason ?? undefined,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    paidAt: row.paidAt?.toISOString(),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const paymentResponseFromRow = (row: Payment): PaymentResponse => paymentResponse(paymentFromRow(row));

/** GET /payments/{id}: the payment with its audit trail, refunds and notifications. */
export function paymentDetailResponse(row: PaymentWithAudit): PaymentResponse {
  return {
    ...paymentResponseFromRow(row),
    audit_trail: row.events.map((event) => ({
      kind: event.kind,
      from_status: event.fromStatus as PaymentResponse['status'] | null,
      to_status: event.toStatus as PaymentResponse['status'] | null,
      source: event.source as 'api',
      at: event.occurredAt,
      ...(event.detail !== null && { detail: event.detail }),
    })),
    refunds: row.refunds.map((refund) => ({
      refund_key: refund.refundKey,
      amount: refund.amount,
      reason: refund.reason,
      status: refund.status,
      created_at: refund.createdAt,
    })),
    notifications: row.notifications.map((n) => ({
      received_at: n.receivedAt,
      transaction_status: n.transactionStatus,
      outcome: n.outcome,
      signature_valid: n.signatureValid,
    })),
  };
}
