import { z } from 'zod';
import { PAYMENT_METHODS, PAYMENT_STATUSES } from '../domain';
import type { PaymentSearchFilters } from '../db/payment-search';
import type { SearchForm } from './pages/payment-search';

/** Rows on one page of the console's search. */
const PAGE_SIZE = 50;

// A blank field of the form means "any": the browser sends it as an empty string.
const blank = (value: unknown) => (value === '' ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blank, schema.optional());
const trimmedText = (max: number) => optional(z.string().trim().min(1).max(max));
// A day that does not exist (2026-02-30) is refused: Date would roll it over into the next month.
const day = optional(z.iso.date({ message: 'is not a date (YYYY-MM-DD)' }));
const rupiahAmount = optional(z.coerce.number().int('is not whole rupiah').min(0).max(Number.MAX_SAFE_INTEGER));

const searchQuery = z.object({
  status: optional(z.enum(PAYMENT_STATUSES)),
  method: optional(z.enum(PAYMENT_METHODS)),
  order_id: trimmedText(200),
  user_id: trimmedText(200),
  created_from: day,
  created_to: day,
  amount_min: rupiahAmount,
  amount_max: rupiahAmount,
  cursor: optional(z.string().max(500)),
});

const DAY_MS = 86_400_000;

/**
 * The search form's query string as filters, or the problems to show above the form. The dates are whole UTC days,
 * both included (the "to" day ends at its last millisecond).
 */
export function searchFiltersOf(
  query: Record<string, string>,
): { form: SearchForm; filters: PaymentSearchFilters } | { form: SearchForm; filters?: undefined; problem: string } {
  const form: SearchForm = {
    status: query.status,
    method: query.method,
    order_id: query.order_id,
    user_id: query.user_id,
    created_from: query.created_from,
    created_to: query.created_to,
    amount_min: query.amount_min,
    amount_max: query.amount_max,
  };
  const parsed = searchQuery.safeParse(query);
  if (!parsed.success) {
    return { form, problem: `Not searched: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}` };
  }
  const q = parsed.data;
  const filters: PaymentSearchFilters = {
    limit: PAGE_SIZE,
    ...(q.status && { status: [q.status] }),
    ...(q.method && { method: [q.method] }),
    ...(q.order_id !== undefined && { orderId: q.order_id }),
    ...(q.user_id !== undefined && { userId: q.user_id }),
    ...(q.created_from !== undefined && { createdFrom: new Date(`${q.created_from}T00:00:00.000Z`) }),
    ...(q.created_to !== undefined && { createdTo: new Date(Date.parse(`${q.created_to}T00:00:00.000Z`) + DAY_MS - 1) }),
    ...(q.amount_min !== undefined && { amountMin: q.amount_min }),
    ...(q.amount_max !== undefined && { amountMax: q.amount_max }),
    ...(q.cursor !== undefined && { cursor: q.cursor }),
  };
  return { form, filters };
}
