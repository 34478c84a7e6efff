import { createHash } from 'node:crypto';

/**
 * What a Midtrans notification says, as one SHA-256: two notifications with the same fingerprint are one
 * notification, whatever their bytes, key order or extra fields. Midtrans redelivers and reformats; a replayer can
 * re-send a signed body in endless shapes. Only the fields that move money or state count.
 */
const MEANINGFUL_FIELDS = [
  'order_id',
  'transaction_status',
  'status_code',
  'fraud_status',
  'gross_amount',
  'refund_amount',
  'settlement_time',
] as const;

/** Each entry of `refunds[]` is known by its id, key and amount; its reason, timestamps and bank confirmation are not money. */
const REFUND_FIELDS = ['refund_chargeback_id', 'refund_key', 'refund_amount'] as const;

/**
 * Midtrans sends these fields as strings (numbers for refund_chargeback_id). Anything else is not a Midtrans
 * notification; all such values count as one, so an attacker's nested value costs neither recursion nor a new meaning.
 */
function scalar(value: unknown): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return '[not a scalar]';
}

function refundMeaning(refund: unknown): string {
  if (refund === null || typeof refund !== 'object' || Array.isArray(refund)) return JSON.stringify(scalar(refund));
  const entry = refund as Record<string, unknown>;
  return JSON.stringify(REFUND_FIELDS.map((field) => scalar(entry[field])));
}

/** Hex SHA-256 of the notification's meaning: the fields above in a fixed order, refunds as an unordered list. */
export function notificationMeaningSha256(notification: Record<string, unknown>): string {
  const { refunds } = notification;
  const meaning = [
    ...MEANINGFUL_FIELDS.map((field) => scalar(notification[field])),
    Array.isArray(refunds) ? refunds.map(refundMeaning).sort() : scalar(refunds),
  ];
  return createHash('sha256').update(JSON.stringify(meaning)).digest('hex');
}
