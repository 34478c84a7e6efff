import { DomainError } from './errors';

// Money is whole rupiah in a JS number. IDR has no minor unit in practice and Midtrans rejects decimals,
// so every amount must be a safe integer; strings are decoded by hand, never through parseFloat.

/** "100000", "100000.0" or "100000.00" (Midtrans writes two decimals that are always zero for IDR). */
const WHOLE_RUPIAH = /^(\d+)(?:\.(\d{1,2}))?$/;

/** Non-negative whole rupiah from a decimal string, or null when it is not one. */
function wholeRupiahFromString(text: string): number | null {
  const match = WHOLE_RUPIAH.exec(text);
  if (!match) return null;
  const [, integerPart = '', fraction = ''] = match;
  if (/[^0]/.test(fraction)) return null;
  // Digits above 2^53 - 1 round to at least 2^53, which is not a safe integer: no silent precision loss.
  const value = Number(integerPart);
  return Number.isSafeInteger(value) ? value : null;
}

function invalidAmount(value: unknown): DomainError {
  return new DomainError('INVALID_AMOUNT', 'amount must be a positive whole number of rupiah', { value });
}

/** A positive amount of IDR from API input: a safe integer, or a decimal string with a zero fraction. */
export function parseIdrAmount(value: unknown): number {
  const amount =
    typeof value === 'number' ? value : typeof value === 'string' ? wholeRupiahFromString(value.trim()) : null;
  if (amount === null || !Number.isSafeInteger(amount) || amount <= 0) throw invalidAmount(value);
  return amount;
}

/** Midtrans's `gross_amount` spelling: 100000 → "100000.00". */
export function formatGrossAmount(idr: number): string {
  if (!Number.isSafeInteger(idr) || idr < 0) throw invalidAmount(idr);
  return `${idr}.00`;
}

/**
 * Midtrans's two-decimal amount string ("100000.00") as whole rupiah. Zero is accepted (it is a well-formed
 * amount); whether an amount makes sense is the caller's rule.
 */
export function parseGrossAmount(s: string): number {
  const amount = typeof s === 'string' ? wholeRupiahFromString(s) : null;
  if (amount === null) throw invalidAmount(s);
  return amount;
}

/** Σ price × quantity. Negative prices are discounts (Midtrans allows them); the total must stay a safe integer. */
export function sumItems(items: readonly { price: number; quantity: number }[]): number {
  let total = 0;
  for (const { price, quantity } of items) {
    if (!Number.isSafeInteger(price)) throw invalidAmount(price);
    if (!Number.isSafeInteger(quantity) || quantity < 1) {
      throw new DomainError('INVALID_AMOUNT', 'item quantity must be a positive integer', { quantity });
    }
    const lineTotal = price * quantity;
    if (!Number.isSafeInteger(lineTotal)) throw invalidAmount(lineTotal);
    total += lineTotal;
    if (!Number.isSafeInteger(total)) throw invalidAmount(total);
  }
  return total;
}

/** Midtrans's amount text as whole rupiah, or null when it is absent or not one (a reader that must not throw). */
export function wholeRupiahOrNull(text: string | undefined): number | null {
  return typeof text === 'string' ? wholeRupiahFromString(text) : null;
}
