import type { FraudStatus, SimTransaction, TransactionStatus } from './store';

/**
 * Midtrans's status machine (Midtrans docs, Transaction Status Cycle), as the one table the API, the Snap page and the control panel use.
 *
 *   pending    → settlement (capture for cards, authorize for a pre-authorization) | deny | cancel | expire
 *   authorize  → capture (POST /v2/capture) | cancel
 *   capture    → settlement | cancel; capture+challenge → capture+accept (approve) | deny (deny)
 *   settlement → refund | partial_refund (lifecycle.refund) | deny (a reversal within minutes, rare but real)
 *
 * Refunds are not here: they carry amounts and keys, see lifecycle.ts.
 */
export type StatusAction =
  /** The customer pays: VA transfer, QR scan, 3DS OTP; a captured card settles. */
  | 'pay'
  /** The bank/acquirer refuses; on a settled transaction this is the rare reversal. */
  | 'deny'
  | 'expire'
  | 'cancel'
  /** The fraud system holds a card payment for review. */
  | 'challenge'
  /** The merchant approves a challenged card payment (POST /v2/{id}/approve). */
  | 'approve'
  /** The merchant denies a challenged card payment (POST /v2/{id}/deny). */
  | 'fraud_deny'
  /** The merchant captures a pre-authorized card payment (POST /v2/capture). */
  | 'capture';

export interface NextStatus {
  status: TransactionStatus;
  fraudStatus: FraudStatus;
  statusMessage: string;
}

type Current = Pick<SimTransaction, 'status' | 'fraudStatus' | 'paymentType' | 'card'>;

export function nextStatus(tx: Current, action: StatusAction): NextStatus | undefined {
  const isCard = tx.paymentType === 'credit_card';
  const challenged = tx.status === 'capture' && tx.fraudStatus === 'challenge';
  switch (action) {
    case 'pay':
      if (tx.status === 'pending' && isCard) {
        return to(tx.card?.preauthorize ? 'authorize' : 'capture', 'accept', 'Success, Credit Card transaction is successful');
      }
      if (tx.status === 'pending') return to('settlement', tx.fraudStatus, 'Success, transaction is settled');
      if (tx.status === 'capture' && tx.fraudStatus === 'accept') return to('settlement', 'accept', 'Success, transaction is settled');
      return undefined;
    case 'deny':
      if (challenged) return to('deny', 'deny', 'Success, transaction is denied');
      if (tx.status === 'pending' || tx.status === 'settlement') return to('deny', tx.fraudStatus, 'Transaction is denied');
      return undefined;
    case 'fraud_deny':
      return challenged ? to('deny', 'deny', 'Success, transaction is denied') : undefined;
    case 'capture':
      return tx.status === 'authorize' ? to('capture', 'accept', 'Success, Credit Card capture transaction is successful') : undefined;
    case 'approve':
      return challenged ? to('capture', 'accept', 'Success, transaction is approved') : undefined;
    case 'challenge':
      if (isCard && (tx.status === 'pending' || (tx.status === 'capture' && tx.fraudStatus === 'accept'))) {
        return to('capture', 'challenge', 'Challenge by FDS');
      }
      return undefined;
    case 'expire':
      return tx.status === 'pending' ? to('expire', tx.fraudStatus, 'Success, transaction has expired') : undefined;
    case 'cancel':
      // Cards can still be voided after capture, until settlement; everything else only while pending.
      if (tx.status === 'pending' || tx.status === 'authorize' || tx.status === 'capture') {
        return to('cancel', tx.fraudStatus, 'Success, transaction is canceled');
      }
      return undefined;
  }
}

function to(status: TransactionStatus, fraudStatus: FraudStatus, statusMessage: string): NextStatus {
  return { status, fraudStatus, statusMessage };
}

/** Payment types Midtrans can refund through the API (Midtrans docs, Refund Transaction); VA, Mandiri bill and cstore cannot. */
export const REFUNDABLE_PAYMENT_TYPES: ReadonlySet<string> = new Set([
  'credit_card',
  'gopay',
  'shopeepay',
  'qris',
  'dana',
  'ovo',
  'kredivo',
  'akulaku',
]);

/** Refundable only in full (Midtrans docs, Refund Transaction). */
export const FULL_REFUND_ONLY: ReadonlySet<string> = new Set(['shopeepay', 'ovo']);

/** A refund needs money that has settled: refund what is settled, cancel what is only captured. */
export const REFUNDABLE_STATUSES: ReadonlySet<TransactionStatus> = new Set(['settlement', 'partial_refund']);
