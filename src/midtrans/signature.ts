import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Midtrans notification signature: hex(SHA512(order_id + status_code + gross_amount + server_key)).
 * The inputs must be the strings exactly as received (gross_amount keeps its ".00").
 */
export function midtransSignature(orderId: string, statusCode: string, grossAmount: string, serverKey: string): string {
  return createHash('sha512').update(orderId + statusCode + grossAmount + serverKey).digest('hex');
}

/** Constant-time check of a received `signature_key`; false for anything missing or malformed. */
export function isValidMidtransSignature(
  notification: { order_id?: unknown; status_code?: unknown; gross_amount?: unknown; signature_key?: unknown },
  serverKey: string,
): boolean {
  const { order_id, status_code, gross_amount, signature_key } = notification;
  if (typeof order_id !== 'string' || typeof status_code !== 'string' || typeof gross_amount !== 'string') return false;
  if (typeof signature_key !== 'string' || !/^[0-9a-f]{128}$/i.test(signature_key)) return false;
  const expected = Buffer.from(midtransSignature(order_id, status_code, gross_amount, serverKey), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature_key, 'hex'));
}
