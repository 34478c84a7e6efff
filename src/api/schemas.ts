import { z } from 'zod';
import { BANKS, PAYMENT_METHODS, PAYMENT_STATUSES } from '../domain';

/** Request and response schemas: they validate input and generate /openapi.json, so the docs cannot drift. */

// Midtrans order_id: at most 50 of [A-Za-z0-9-_~.]; payment ids we mint are Midtrans order ids too.
const midtransOrderId = z
  .string()
  .min(1)
  .max(50)
  .regex(/^[A-Za-z0-9\-_~.]+$/, 'only letters, digits, "-", "_", "~" and "."');
// z.int() is a safe integer, so the OpenAPI document says "integer" too.
const wholeRupiah = 'must be a whole number of rupiah (IDR has no decimals)';
const idrAmount = z.int({ error: wholeRupiah }).positive({ error: 'must be a positive whole number of rupiah' });
// user_id is a path segment of the user-service call: a dot segment or a slash would move the call elsewhere.
const tiketqUserId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'letters, digits, ".", "_", ":", "@" and "-", starting with a letter or digit')
  .describe('The TiketQ user, told about the payment at POST {USER_SERVICE_URL}/users/{user_id}/payments.');
const phone = z.string().regex(/^\+?[0-9]{8,15}$/, 'must be 8 to 15 digits, optionally starting with +');

export const paymentIdParam = z.object({ payment_id: midtransOrderId });
export const orderIdParam = z.object({ order_id: z.string().min(1).max(100) });

export const createPaymentBody = z
  .object({
    order_id: z.string().min(1).max(100).describe('The TiketQ order this payment is for; an order may have many payments.'),
    amount: idrAmount.describe('Integer IDR. 100000.0 is accepted, 100000.5 is not.'),
    payment_method: z.enum(PAYMENT_METHODS),
    bank: z.enum(BANKS).optional().describe('Required with bank_transfer, refused otherwise.'),
    customer_details: z.object({
      first_name: z.string().min(1).max(255),
      last_name: z.string().max(255).optional(),
      email: z.string().email().max(255),
      phone: phone.optional(),
    }),
    item_details: z
      .array(
        z.object({
          id: z.string().min(1).max(50),
          price: z.int({ error: wholeRupiah }),
          quantity: z.number().int().min(1).max(10_000),
          name: z.string().min(1).max(255),
        }),
      )
      .min(1)
      .max(100),
    description: z.string().max(255).optional(),
    user_id: tiketqUserId.optional(),
    card_token: z.string().min(1).max(255).optional().describe('A single-use token from Midtrans client-side card tokenization.'),
    expiry_minutes: z
      .number()
      .int()
      .min(1)
      .max(180 * 24 * 60)
      .optional(),
  })
  .superRefine((body, ctx) => {
    if (body.payment_method === 'bank_transfer' && !body.bank) {
      ctx.addIssue({ code: 'custom', path: ['bank'], message: 'bank is required for bank_transfer' });
    }
    if (body.payment_method !== 'bank_transfer' && body.bank) {
      ctx.addIssue({ code: 'custom', path: ['bank'], message: 'bank is only allowed with bank_transfer' });
    }
    if (body.payment_method === 'ovo' && !body.customer_details.phone) {
      ctx.addIssue({ code: 'custom', path: ['customer_details', 'phone'], message: 'OVO payments need the customer phone' });
    }
    if (body.card_token && body.payment_method !== 'credit_card') {
      ctx.addIssue({ code: 'custom', path: ['card_token'], message: 'card_token is only allowed with credit_card' });
    }
    // zod runs this even when a refinement above failed: a fractional amount, price or quantity is already reported
    // and BigInt would throw on it.
    const whole = [body.amount, ...body.item_details.flatMap((item) => [item.price, item.quantity])].every(Number.isSafeInteger);
    if (!whole) return;
    // Midtrans rejects a charge whose items do not add up to the amount; BigInt keeps the sum exact.
    const total = body.item_details.reduce((sum, item) => sum + BigInt(item.price) * BigInt(item.quantity), 0n);
    if (total !== BigInt(body.amount)) {
      ctx.addIssue({ code: 'custom', path: ['item_details'], message: `items add up to ${total}, not the amount ${body.amount}` });
    }
  });
export type CreatePaymentBody = z.infer<typeof createPaymentBody>;

export const cancelPaymentBody = z.object({ reason: z.string().min(1).max(255).optional() });
export const refundPaymentBody = z.object({
  amount: idrAmount.optional().describe('Integer IDR; absent = everything not yet refunded.'),
  reason: z.string().min(1).max(255).optional(),
});

export const idempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** Lenient: Midtrans adds fields over time; only what we use is validated. */
export const midtransNotificationBody = z.looseObject({
  order_id: z.string().min(1).max(100),
  status_code: z.string().min(1).max(3),
  gross_amount: z.string().min(1).max(32),
  signature_key: z.string().max(256).optional(),
  transaction_status: z.string().min(1).max(50),
  fraud_status: z.string().max(50).optional(),
  transaction_id: z.string().max(100).optional(),
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

export const paymentSchema = z.object({
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
});
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
export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });
export const webhookAckSchema = z.object({ status: z.string() });
