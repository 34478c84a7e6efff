export const PAYMENT_METHODS = [
  'credit_card',
  'bank_transfer',
  'gopay',
  'ovo',
  'dana',
  'shopeepay',
  'qris',
  'indomaret',
  'alfamart',
] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/** Banks for `bank_transfer`. Mandiri is a bill payment (echannel) at Midtrans, the others virtual accounts. */
export const BANKS = ['bca', 'mandiri', 'bni', 'bri', 'permata', 'cimb'] as const;
export type Bank = (typeof BANKS)[number];

type RefundSupport = 'full_and_partial' | 'full_only' | 'none';

/** What Midtrans allows per method: the one place these facts live. */
const METHOD_RULES: Readonly<Record<PaymentMethod, { expiryMinutes: number; refund: RefundSupport }>> = {
  // Card awaiting 3DS expires after about 10 minutes at Midtrans.
  credit_card: { expiryMinutes: 10, refund: 'full_and_partial' },
  // VA, Mandiri bill and convenience stores: 24 h default. Midtrans cannot refund them through the API
  // (the money goes back by manual transfer), so we never promise it.
  bank_transfer: { expiryMinutes: 24 * 60, refund: 'none' },
  indomaret: { expiryMinutes: 24 * 60, refund: 'none' },
  alfamart: { expiryMinutes: 24 * 60, refund: 'none' },
  gopay: { expiryMinutes: 15, refund: 'full_and_partial' },
  qris: { expiryMinutes: 15, refund: 'full_and_partial' },
  dana: { expiryMinutes: 15, refund: 'full_and_partial' },
  shopeepay: { expiryMinutes: 15, refund: 'full_only' },
  // Midtrans fixes OVO's expiry itself (about 60-65 s) and accepts no custom expiry. We wait 2 minutes, the
  // whole minute above it, so our own timer never fires before Midtrans has decided.
  ovo: { expiryMinutes: 2, refund: 'full_only' },
};

/**
 * How long the customer has to pay when the caller does not say. Every bank_transfer bank shares the 24 h
 * default; `bank` is accepted so callers need not special-case bank transfers.
 */
export function defaultExpiryMinutes(method: PaymentMethod, _bank?: Bank): number {
  return METHOD_RULES[method].expiryMinutes;
}

/** Midtrans's refund API works for this method (VA and convenience-store payments are refunded by hand). */
export function isApiRefundable(method: PaymentMethod): boolean {
  return METHOD_RULES[method].refund !== 'none';
}

/** Midtrans accepts a refund of less than the remaining amount (not for ShopeePay and OVO). */
export function supportsPartialRefund(method: PaymentMethod): boolean {
  return METHOD_RULES[method].refund === 'full_and_partial';
}
