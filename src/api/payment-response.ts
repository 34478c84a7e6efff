import type { PaymentView } from '../domain';
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

export function paymentResponseFromView(view: PaymentView): PaymentResponse {
  return {
    payment_id: view.paymentId,
    order_id: view.orderId,
    user_id: view.userId ?? null,
    payment_method: view.method as PaymentResponse['payment_method'],
    bank: view.bank ?? null,
    amount: view.amount,
    refunded_amount: view.refundedAmount,
    currency: 'IDR',
    status: view.status,
    midtrans_status: view.midtransStatus ?? null,
    fraud_status: view.fraudStatus ?? null,
    transaction_id: view.transactionId ?? null,
    payment_instructions: snakeCaseKeys(view.instructions) as PaymentResponse['payment_instructions'],
    failure_reason: view.failureReason ?? null,
    expires_at: view.expiresAt,
    paid_at: view.paidAt ?? null,
    created_at: view.createdAt,
    updated_at: view.updatedAt,
  };
}

export function paymentResponseFromRow(row: Payment): PaymentResponse {
  return {
    payment_id: row.id,
    order_id: row.orderId,
    user_id: row.userId,
    payment_method: row.paymentMethod as PaymentResponse['payment_method'],
    bank: row.bank,
    amount: Number(row.amount),
    refunded_amount: Number(row.refundedAmount),
    currency: 'IDR',
    status: row.status as PaymentResponse['status'],
    midtrans_status: row.midtransStatus,
    fraud_status: row.fraudStatus,
    transaction_id: row.midtransTransactionId,
    payment_instructions: snakeCaseKeys(row.paymentInstructions ?? null) as PaymentResponse['payment_instructions'],
    failure_reason: row.failureReason,
    expires_at: row.expiresAt?.toISOString() ?? null,
    paid_at: row.paidAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

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
