import { z } from '@hono/zod-openapi';
import { BANKS, PAYMENT_METHODS, PAYMENT_STATUSES, type PaymentMethod } from '../domain';
import { ERROR_CODES } from './errors';

/**
 * Request and response schemas: they validate input and generate /openapi.json (routes/*.ts declare them with their
 * routes), so the document says what the API enforces.
 */

// Midtrans order_id: at most 50 of [A-Za-z0-9-_~.]; payment ids we mint are Midtrans order ids too.
export const midtransOrderId = z
  .string()
  .min(1)
  .max(50)
  .regex(/^[A-Za-z0-9\-_~.]+$/, 'only letters, digits, "-", "_", "~" and "."');
// z.int() is a safe integer, so the OpenAPI document says "integer" too.
const wholeRupiah = 'must be a whole number of rupiah (IDR has no decimals)';
const idrAmount = z.int({ error: wholeRupiah }).positive({ error: 'must be a positive whole number of rupiah' });
// user_id is a path segment of the user-service call: a dot segment or a slash would move the call elsewhere.
export const tiketqUserId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'letters, digits, ".", "_", ":", "@" and "-", starting with a letter or digit')
  .describe('The TiketQ user, told about the payment at POST {USER_SERVICE_URL}/users/{user_id}/payments.');
const phone = (missing?: string) =>
  z
    .string(missing ? { error: (issue) => (issue.input === undefined ? missing : undefined) } : undefined)
    .regex(/^\+?[0-9]{8,15}$/, 'must be 8 to 15 digits, optionally starting with +');

/**
 * Free text without U+0000, which PostgreSQL cannot store (a legal JSON escape all the same). Unpaired surrogates,
 * which UTF-8 cannot encode, are refused too (validation.ts; a pattern for them is not portable to other regex
 * dialects, so the document says it in words). Lengths count code points, as JSON Schema's maxLength does, so a
 * client's count and ours agree even for emoji (zod's max counts UTF-16 units).
 */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what it refuses
const STORABLE_TEXT = /^[^\u0000]*$/;
export const storableText = (min: number, max: number) =>
  z
    .string()
    .regex(STORABLE_TEXT, 'must not contain U+0000')
    .refine((text) => {
      const length = [...text].length;
      return length >= min && length <= max;
    }, `must be ${min} to ${max} characters`)
    .meta({ minLength: min, maxLength: max });

export const paymentIdParam = z.object({ payment_id: midtransOrderId });
export const orderIdParam = z.object({ order_id: storableText(1, 100) });

// Fields every payment method takes. `bank`, `card_token` and the customer's phone depend on the method: see below.
const customerDetails = z.object({
  first_name: storableText(1, 255),
  last_name: storableText(0, 255).optional(),
  email: z.email().max(255),
  phone: phone().optional(),
});
const paymentFields = z.object({
  order_id: storableText(1, 100).describe('The TiketQ order this payment is for; an order may have many payments.'),
  amount: idrAmount.describe('Integer IDR. 100000.0 is accepted, 100000.5 is not.'),
  customer_details: customerDetails,
  item_details: z
    .array(
      z.object({
        id: storableText(1, 50),
        price: z.int({ error: wholeRupiah }),
        quantity: z.number().int().min(1).max(10_000),
        name: storableText(1, 255),
      }),
    )
    .min(1)
    .max(100)
    .describe('Σ price × quantity must equal `amount` exactly (Midtrans refuses the charge otherwise).'),
  description: storableText(0, 255).optional(),
  user_id: tiketqUserId.optional(),
  expiry_minutes: z
    .number()
    .int()
    .min(1)
    .max(180 * 24 * 60)
    .optional(),
});

// `never` is how a field is refused for a method: the document then says `"bank": {"not": {}}` there, so a client
// (or a fuzzer) reading it knows the field is not allowed rather than learning it from a 400.
const onlyWithBankTransfer = z.never({ error: 'bank is only allowed with bank_transfer' }).optional();
const onlyWithCreditCard = z.never({ error: 'card_token is only allowed with credit_card' }).optional();

/** What a payment method adds to the shared fields: one schema per method, so each says what it allows. */
const methodFields = <M extends PaymentMethod, S extends z.ZodRawShape>(method: M, shape: S) =>
  z
    .object({ payment_method: z.literal(method), bank: onlyWithBankTransfer, card_token: onlyWithCreditCard, ...shape })
    .meta({ title: method });

const paymentMethodFields = z.discriminatedUnion(
  'payment_method',
  [
    methodFields('bank_transfer', { bank: z.enum(BANKS).describe('The bank of the virtual account (Mandiri: a bill payment).') }),
    methodFields('credit_card', {
      card_token: storableText(1, 255).optional().describe('A single-use token from Midtrans client-side card tokenization.'),
    }),
    methodFields('ovo', {
      customer_details: z.object({
        phone: phone('OVO payments need the customer phone').describe('OVO charges the wallet of this phone.'),
      }),
    }),
    methodFields('gopay', {}),
    methodFields('dana', {}),
    methodFields('shopeepay', {}),
    methodFields('qris', {}),
    methodFields('indomaret', {}),
    methodFields('alfamart', {}),
  ],
  { error: `must be one of ${PAYMENT_METHODS.join(', ')}` },
);
// Fails to compile when a payment method has no schema above.
const everyMethodHasFields: PaymentMethod extends z.infer<typeof paymentMethodFields>['payment_method'] ? true : never = true;
void everyMethodHasFields;

/**
 * The shared fields and the method's own (allOf in the document, so every problem of a body is reported at once,
 * not only the method's). One rule JSON Schema cannot state is checked here and written in `item_details`:
 * the items must add up to the amount.
 */
export const createPaymentBody = z
  .intersection(paymentFields, paymentMethodFields)
  .superRefine((body, ctx) => {
    // zod runs this even when a check above failed: a fractional amount, price or quantity is already reported and
    // BigInt would throw on it.
    const whole = [body.amount, ...body.item_details.flatMap((item) => [item.price, item.quantity])].every(Number.isSafeInteger);
    if (!whole) return;
    // Midtrans rejects a charge whose items do not add up to the amount; BigInt keeps the sum exact.
    const total = body.item_details.reduce((sum, item) => sum + BigInt(item.price) * BigInt(item.quantity), 0n);
    if (total !== BigInt(body.amount)) {
      ctx.addIssue({ code: 'custom', path: ['item_details'], message: `items add up to ${total}, not the amount ${body.amount}` });
    }
  })
  .meta({
    // A body that passes every rule, the item sum included: a client's starting point, and a fuzzer's first valid call.
    examples: [
      {
        order_id: 'ORDER-12345',
        amount: 100_000,
        payment_method: 'bank_transfer',
        bank: 'bni',
        customer_details: { first_name: 'John', last_name: 'Doe', email: 'john.doe@example.com', phone: '+6281234567890' },
        item_details: [{ id: 'item1', price: 100_000, quantity: 1, name: 'Flight Ticket Jakarta-Bali' }],
        description: 'Flight booking payment',
        user_id: 'user-1',
      },
    ],
  });
export type CreatePaymentBody = z.infer<typeof createPaymentBody>;

export const cancelPaymentBody = z.object({ reason: storableText(1, 255).optional() });
export const refundPaymentBody = z.object({
  amount: idrAmount.optional().describe('Integer IDR; absent = everything not yet refunded.'),
  reason: storableText(1, 255).optional(),
});

export const idempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** Midtrans writes these fields in printable ASCII (ids, digits, status words); anything else is not Midtrans. */
const midtransField = (min: number, max: number) =>
  z.string().regex(new RegExp(`^[\\x21-\\x7e]{${min},${max}}$`), `${min} to ${max} printable ASCII characters`);

/** Lenient: Midtrans adds fields over time; only what we use is validated. */
export const midtransNotificationBody = z.looseObject({
  order_id: midtransField(1, 100),
  status_code: midtransField(1, 3),
  gross_amount: midtransField(1, 32),
  signature_key: midtransField(0, 256).optional(),
  transaction_status: midtransField(1, 50),
  fraud_status: midtransField(0, 50).optional(),
  transaction_id: midtransField(0, 100).optional(),
});

// Responses ------------------------------------------------------------------------------------------------------
const paymentStatus = z.enum(PAYMENT_STATUSES);

export const paymentInstructionsSchema = z
  .looseObject({ kind: z.string() })
  .nullable()
  .describe('VA number, bill key, QR, store payment code, deeplink or redirect URL, depending on the method.');

export const auditEventSchema = z.object({
  kind: z.string(),
  from_status: paymentStatus.nullable(),
  to_status: paymentStatus.nullable(),
  source: z.enum(['api', 'webhook', 'timer', 'reconciliation', 'charge', 'downstream']),
  at: z.string(),
  detail: z.unknown().optional(),
});

export const refundSchema = z.object({
  refund_key: z.string(),
  amount: z.number().int(),
  reason: z.string().nullable(),
  status: z.string(),
  created_at: z.string(),
});

export const paymentSchema = z
  .object({
    payment_id: z.string(),
    order_id: z.string(),
    user_id: z.string().nullable(),
    payment_method: z.enum(PAYMENT_METHODS),
    bank: z.string().nullable(),
    amount: z.number().int(),
    refunded_amount: z.number().int(),
    currency: z.literal('IDR'),
    status: paymentStatus,
    midtrans_status: z.string().nullable(),
    fraud_status: z.string().nullable(),
    transaction_id: z.string().nullable(),
    payment_instructions: paymentInstructionsSchema,
    failure_reason: z.string().nullable(),
    expires_at: z.string().nullable(),
    paid_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    audit_trail: z.array(auditEventSchema).optional(),
    refunds: z.array(refundSchema).optional(),
    notifications: z
      .array(
        z.object({ received_at: z.string(), transaction_status: z.string().nullable(), outcome: z.string(), signature_valid: z.boolean() }),
      )
      .optional(),
  })
  .openapi('Payment');
export type PaymentResponse = z.infer<typeof paymentSchema>;

export const paymentStatusSchema = z.object({
  payment_id: z.string(),
  status: paymentStatus,
  updated_at: z.string(),
  midtrans_status: z.string().nullable(),
  source: z
    .enum(['workflow', 'database'])
    .describe('database: the read model (always, once the workflow has written its first row); workflow: the live workflow before that.'),
});

export const paymentListSchema = z.object({ order_id: z.string(), payments: z.array(paymentSchema) });
export const acceptedPaymentSchema = z.object({ payment_id: z.string(), status: z.literal('pending'), message: z.string() });
export const errorSchema = z
  .object({ error: z.object({ code: z.enum(ERROR_CODES), message: z.string(), details: z.unknown().optional() }) })
  .openapi('Error');
export const webhookAckSchema = z.object({ status: z.enum(['accepted', 'duplicate']) });
export const healthSchema = z.object({ status: z.literal('ok') });
const dependencyCheck = z.enum(['ok', 'unavailable']);
export const readinessSchema = z.object({
  status: z
    .enum(['ready', 'degraded', 'unavailable', 'draining'])
    .describe('degraded: Temporal unreachable (200); unavailable: PostgreSQL unreachable, or its schema behind this code (503)'),
  checks: z.object({
    database: dependencyCheck,
    temporal: dependencyCheck,
    schema: z
      .enum(['ok', 'behind', 'unavailable'])
      .describe(
        "behind: a migration of this code's prisma/migrations is not applied yet (prisma migrate deploy), 503; unavailable: not readable (PostgreSQL unreachable, or no SELECT on _prisma_migrations)",
      ),
  }),
});
