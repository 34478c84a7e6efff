import { wholeRupiahOrNull } from './money';
import type { PaymentStatus } from './payment-status';

/** Every `transaction_status` Midtrans documents. */
export const MIDTRANS_TRANSACTION_STATUSES = [
  'pending',
  'capture',
  'authorize',
  'settlement',
  'deny',
  'failure',
  'cancel',
  'expire',
  'refund',
  'partial_refund',
  'chargeback',
  'partial_chargeback',
] as const;
export type MidtransTransactionStatus = (typeof MIDTRANS_TRANSACTION_STATUSES)[number];

/** What Midtrans told us about one transaction, from a notification or a status lookup (strings as received). */
export type MidtransObservation = {
  transactionStatus: string;
  fraudStatus?: string;
  grossAmount: string;
  orderId: string;
  statusCode?: string;
  transactionId?: string;
  /** Cumulative amount refunded so far, as Midtrans writes it ("25000.00"); present on refund reports. */
  refundAmount?: string;
};

/**
 * The one mapping from Midtrans's `transaction_status` (+ `fraud_status`) to our status; null for a status we do
 * not know (Midtrans adds values: ignore and confirm with a status lookup rather than guess).
 *
 * - capture is a card charge: `accept` = paid; `challenge` = held for fraud review; `deny` = refused. A capture
 *   without a fraud verdict is treated as under review, never as paid.
 * - authorize (card pre-authorisation) waits for capture: processing.
 * - chargeback / partial_chargeback: we have no "disputed" status. A chargeback is money leaving us after the
 *   payment succeeded, exactly what a refund is to the ledger, so they map to refunded / partially_refunded.
 *   The Midtrans status stays recorded beside ours, so a dispute remains distinguishable from a refund.
 */
export function midtransStatusToPaymentStatus(transactionStatus: string, fraudStatus?: string): PaymentStatus | null {
  switch (transactionStatus) {
    case 'pending':
      return 'pending';
    case 'capture':
      if (fraudStatus === 'accept') return 'success';
      if (fraudStatus === 'deny') return 'failed';
      return 'processing';
    case 'authorize':
      return 'processing';
    case 'settlement':
      return 'success';
    case 'deny':
    case 'failure':
      return 'failed';
    case 'cancel':
      return 'canceled';
    case 'expire':
      return 'expired';
    case 'refund':
    case 'chargeback':
      return 'refunded';
    case 'partial_refund':
    case 'partial_chargeback':
      return 'partially_refunded';
    default:
      return null;
  }
}

/**
 * What Midtrans had refunded in all once it made the refund it holds under `refundKey`, of `amount`: the total its
 * refund call answered then. `refunds` is a status body's `refunds[]`, in the order Midtrans made them. Null when it
 * holds no such refund, or an amount up to it cannot be read.
 */
export function refundedUpTo(refunds: unknown, refundKey: string, amount: number): number | null {
  const made = (Array.isArray(refunds) ? refunds : []).map((refund: unknown) => {
    const { refund_key: key, refund_amount: refunded } = (refund ?? {}) as Record<string, unknown>;
    return { key, amount: wholeRupiahOrNull(typeof refunded === 'string' ? refunded : typeof refunded === 'number' ? String(refunded) : undefined) };
  });
  const at = made.findIndex((refund) => refund.key === refundKey && refund.amount === amount);
  if (at < 0) return null;
  let total = 0;
  for (const refund of made.slice(0, at + 1)) {
    if (refund.amount === null) return null;
    total += refund.amount;
  }
  return total;
}
