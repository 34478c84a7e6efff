import { z } from '@hono/zod-openapi';
import { PAYMENT_METHODS, PAYMENT_STATUSES } from '../domain';
import { MAX_SEARCH_LIMIT } from '../db/payment-search';
import { REVIEW_KINDS } from '../db/reviews';
import { paymentSchema, storableText, tiketqUserId } from './schemas';

/** The operators' routes' schemas (GET /payments, /operations/*): they validate input and generate /openapi.json. */

/** `a,b,c` of `values`: the query string's way to ask for any of several. */
const anyOf = (values: readonly string[], what: string) =>
  z
    .string()
    .regex(new RegExp(`^(${values.join('|')})(,(${values.join('|')}))*$`), `one or more ${what}, comma-separated: ${values.join(', ')}`)
    .describe(`Any of these ${what}, comma-separated`);
const instant = (what: string) =>
  z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone, like 2026-12-03T10:00:00Z' }).describe(what);
const rupiah = (what: string) =>
  z.coerce
    .number({ error: 'must be a whole number of rupiah' })
    .int({ error: 'must be a whole number of rupiah' })
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .describe(what);

export const paymentSearchQuery = z
  .object({
    status: anyOf(PAYMENT_STATUSES, 'statuses').optional(),
    payment_method: anyOf(PAYMENT_METHODS, 'methods').optional(),
    order_id: storableText(1, 100).optional(),
    user_id: tiketqUserId.optional(),
    created_from: instant('Created at or after').optional(),
    created_to: instant('Created at or before').optional(),
    updated_from: instant('Last changed at or after').optional(),
    updated_to: instant('Last changed at or before').optional(),
    amount_min: rupiah('Amount at least (integer IDR)').optional(),
    amount_max: rupiah('Amount at most (integer IDR)').optional(),
    limit: z.coerce.number().int().min(1).max(MAX_SEARCH_LIMIT).default(50).describe(`Payments per page, 1–${MAX_SEARCH_LIMIT}`),
    cursor: z.string().min(1).max(500).optional().describe("The previous page's next_cursor; opaque"),
  })
  .refine((q) => !(q.created_from && q.created_to) || Date.parse(q.created_from) <= Date.parse(q.created_to), {
    path: ['created_to'],
    message: 'must not be before created_from',
  })
  .refine((q) => !(q.updated_from && q.updated_to) || Date.parse(q.updated_from) <= Date.parse(q.updated_to), {
    path: ['updated_to'],
    message: 'must not be before updated_from',
  })
  .refine((q) => q.amount_min === undefined || q.amount_max === undefined || q.amount_min <= q.amount_max, {
    path: ['amount_max'],
    message: 'must not be below amount_min',
  });
export type PaymentSearchQuery = z.infer<typeof paymentSearchQuery>;

export const paymentSearchPageSchema = z.object({
  payments: z.array(paymentSchema).describe('Newest first (created_at, then payment_id, descending)'),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
});

export const operatorActionSchema = z
  .object({
    id: z.string(),
    operator: z.string().describe('The operator name from OPERATOR_TOKENS'),
    action: z.enum(['redeliver', 'reconcile', 'resolve']),
    target: z.string(),
    payment_id: z.string().nullable(),
    note: z.string().nullable(),
    at: z.string(),
  })
  .openapi('OperatorAction');

export const reviewItemSchema = z
  .object({
    id: z.string().describe('event:<id>, delivery:<delivery id>, pending:<payment id>, processing:<payment id> or paid-after-close:<payment id>'),
    kind: z.enum(REVIEW_KINDS),
    reason: z.string(),
    since: z.string(),
    payment_id: z.string(),
    delivery_id: z.string().nullable().describe('For failed_delivery: POST /operations/deliveries/{delivery_id}/redeliver'),
    event_id: z.string().nullable(),
    payment: paymentSchema.nullable(),
  })
  .openapi('ReviewItem');

export const reviewQueueSchema = z.object({ items: z.array(reviewItemSchema).describe('Oldest first') });

export const reviewQueueQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(200).describe('Items at most, oldest first'),
});

export const deliveryIdParam = z.object({ delivery_id: z.string().min(1).max(200) });
export const reviewIdParam = z.object({ review_id: z.string().min(1).max(300) });

export const operatorNoteBody = z.object({ note: storableText(1, 1000).optional() });
export const resolveReviewBody = z.object({ note: storableText(1, 1000).describe('Why it needs no more attention; kept in the audit') });

export const redeliverySchema = z.object({
  delivery_id: z.string(),
  status: z
    .enum(['delivered', 'failed', 'redelivering'])
    .describe('redelivering: still under way after UPDATE_WAIT_MS; ask again (the same request joins it)'),
  error: z.string().optional(),
  workflow_id: z.string(),
  replayed: z.boolean().describe('True when an earlier request had already asked for this redelivery'),
  action: operatorActionSchema,
});

export const reconcileSchema = z.object({ payment_id: z.string(), action: operatorActionSchema });
export const resolutionSchema = z.object({ review_id: z.string(), replayed: z.boolean(), action: operatorActionSchema });
