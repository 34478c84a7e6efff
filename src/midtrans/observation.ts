import type { MidtransObservation } from '../domain';

/**
 * What a Midtrans body says about one transaction: a notification, or the answer of the status, charge, cancel or
 * refund API. Values stay as Midtrans wrote them (the domain judges them); a number is read as its text.
 */
export function toMidtransObservation(body: Record<string, unknown>): MidtransObservation {
  return {
    transactionStatus: text(body.transaction_status) ?? 'unknown',
    fraudStatus: text(body.fraud_status),
    grossAmount: text(body.gross_amount) ?? '',
    orderId: text(body.order_id) ?? '',
    statusCode: text(body.status_code),
    transactionId: text(body.transaction_id),
    refundAmount: text(body.refund_amount),
  };
}

/** Midtrans writes these fields as text or numbers. Anything else reads as one unreadable text, never through its own toString. */
function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : '[not a scalar]';
}
