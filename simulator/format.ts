/** Midtrans's wire formats for time and money, in one place so every body agrees. */

/** Midtrans writes times in Jakarta time (GMT+7) without a zone: "yyyy-MM-dd HH:mm:ss". */
const JAKARTA_OFFSET_MINUTES = 7 * 60;

export function formatMidtransTime(epochMs: number): string {
  const shifted = new Date(epochMs + JAKARTA_OFFSET_MINUTES * 60_000);
  return shifted.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Parses "yyyy-MM-dd HH:mm:ss +0700" (custom_expiry.order_time, Snap expiry.start_time). The zone is optional and
 * defaults to +0700 like Midtrans. Returns undefined for anything else.
 */
export function parseMidtransTime(text: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?: ?([+-])(\d{2}):?(\d{2}))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, sign, offsetHours, offsetMinutes] = match;
  const offset = sign
    ? (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes))
    : JAKARTA_OFFSET_MINUTES;
  const utc = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  return Number.isNaN(utc) ? undefined : utc - offset * 60_000;
}

/** gross_amount and refund amounts go out as two-decimal strings ("44000.00"); signatures depend on it. */
export function formatAmount(amount: number): string {
  return amount.toFixed(2);
}

const UNIT_MS = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type ExpiryUnit = keyof typeof UNIT_MS;

/** Core API documents singular units; Snap examples (and the official clients' tests) send plurals too. */
export function parseExpiryUnit(unit: unknown): ExpiryUnit | undefined {
  if (typeof unit !== 'string') return undefined;
  const singular = unit.toLowerCase().replace(/s$/, '');
  return singular in UNIT_MS ? (singular as ExpiryUnit) : undefined;
}

export function durationMs(duration: number, unit: ExpiryUnit): number {
  return duration * UNIT_MS[unit];
}
