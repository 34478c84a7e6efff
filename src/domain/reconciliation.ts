/**
 * When a payment awaiting money asks Midtrans for its status although no notification came (lost webhooks).
 *
 * Midtrans notifies a settlement within seconds and, when our endpoint fails, retries about 2, 12, 42 minutes,
 * 2 h 12 and 5 h 42 after its first attempt (docs/midtrans.md §6). So: look often while payments are usually made and
 * Midtrans is still retrying (the early steps: 1, 5, 15 and 60 minutes), then every 6 hours, the span of Midtrans's own
 * retries, timed so that the last look falls 5 minutes before expiry. A payment whose notifications are all lost is
 * found within minutes in its first hour and at most 7 hours later after that, and no open payment costs more than
 * 4 look-ups a day once its first hour is over.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export const DEFAULT_EARLY_LOOKS_MINUTES: readonly number[] = [1, 5, 15, 60];
/** The steady pace after the early steps: Midtrans's retries end 5 h 42 after its first attempt. */
export const RECONCILE_EVERY_MS = 6 * HOUR_MS;
/** The last look before expiry, so a payment made late with its notification lost counts before the order expires. */
export const LAST_LOOK_BEFORE_EXPIRY_MS = 5 * MINUTE_MS;
/** An early look this close to expiry already is the last look. */
const LAST_LOOK_WINDOW_MS = 10 * MINUTE_MS;
/** Looks after the early steps keep at least this far apart: the pace never goes back to the early steps'. */
const LEAST_GAP_AFTER_EARLY_MS = HOUR_MS;

export interface ReconciliationTerms {
  startedAtMs: number;
  expiresAtMs: number;
  /** Minutes after the start; tests may use others. */
  earlyLooksMinutes?: readonly number[];
}

/**
 * Every look before expiry, in order. The expiry step asks Midtrans itself, so nothing is looked up at the expiry.
 * - The early steps before expiry. The last look is the early step in the last 10 minutes if there is one, else a look
 *   5 minutes before expiry, which replaces the last early step when they would come less than an hour apart.
 * - Between the early steps and the last look, one look every 6 hours counted back from the last look, none less than
 *   an hour after the last early step.
 */
export function reconciliationLooksBeforeExpiry({ startedAtMs, expiresAtMs, earlyLooksMinutes = DEFAULT_EARLY_LOOKS_MINUTES }: ReconciliationTerms): number[] {
  const early = earlyLooksAt(startedAtMs, earlyLooksMinutes).filter((t) => t < expiresAtMs);
  let lastLook = early.at(-1);
  let ahead = early.slice(0, -1);
  if (lastLook === undefined || lastLook < expiresAtMs - LAST_LOOK_WINDOW_MS) {
    if (expiresAtMs - LAST_LOOK_BEFORE_EXPIRY_MS <= startedAtMs) return early;
    ahead = lastLook !== undefined && expiresAtMs - LAST_LOOK_BEFORE_EXPIRY_MS - lastLook >= LEAST_GAP_AFTER_EARLY_MS ? early : ahead;
    lastLook = expiresAtMs - LAST_LOOK_BEFORE_EXPIRY_MS;
  }
  const paced: number[] = [];
  const pacedFrom = (ahead.at(-1) ?? startedAtMs) + LEAST_GAP_AFTER_EARLY_MS;
  for (let t = lastLook - RECONCILE_EVERY_MS; t >= pacedFrom; t -= RECONCILE_EVERY_MS) paced.unshift(t);
  return [...ahead, ...paced, lastLook];
}

/**
 * The first look after `nowMs`. Past expiry (a card held for fraud review stays open until the merchant decides), the
 * early steps still to come, then every 6 hours after the expiry.
 */
export function nextReconciliationAt(terms: ReconciliationTerms, nowMs: number): number {
  const beforeExpiry = reconciliationLooksBeforeExpiry(terms).find((t) => t > nowMs);
  if (beforeExpiry !== undefined) return beforeExpiry;
  const { startedAtMs, expiresAtMs, earlyLooksMinutes = DEFAULT_EARLY_LOOKS_MINUTES } = terms;
  const earlyAfterExpiry = earlyLooksAt(startedAtMs, earlyLooksMinutes).find((t) => t > expiresAtMs && t > nowMs);
  const periodsPast = Math.max(0, Math.floor((nowMs - expiresAtMs) / RECONCILE_EVERY_MS));
  const paced = expiresAtMs + (periodsPast + 1) * RECONCILE_EVERY_MS;
  return Math.min(earlyAfterExpiry ?? paced, paced);
}

function earlyLooksAt(startedAtMs: number, minutes: readonly number[]): number[] {
  return [...new Set(minutes)].sort((a, b) => a - b).map((m) => startedAtMs + m * MINUTE_MS);
}
