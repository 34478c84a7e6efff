import { z } from 'zod';
import {
  acceptedPaymentSchema,
  paymentIdParam,
  cancelPaymentBody,
  createPaymentBody,
  errorSchema,
  idempotencyKeyHeader,
  midtransNotificationBody,
  paymentListSchema,
  paymentSchema,
  paymentStatusSchema,
  refundPaymentBody,
  webhookAckSchema,
} from './schemas';

/** OpenAPI 3.1 generated from the same zod schemas that validate requests (3.1 uses JSON Schema 2020-12). */
const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') => ({
  content: { 'application/json': { schema: jsonSchema(schema, io) } },
});
const error = (description: string) => ({ description, ...json(errorSchema) });
const paymentIdParameter = { name: 'payment_id', in: 'path', required: true, schema: jsonSchema(paymentIdParam.shape.payment_id, 'input') };
const secured = [{ bearerAuth: [] }, { apiKeyHeader: [] }];
const idempotencyKeyParameter = (retried: string) => ({
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    `Per caller (the API key), kept IDEMPOTENCY_KEY_TTL_HOURS (default 24). ${retried} ` +
    'The same key with another body, endpoint or payment is 409 IDEMPOTENCY_CONFLICT.',
  schema: jsonSchema(idempotencyKeyHeader, 'input'),
});
const updatePending = {
  description:
    'UPDATE_PENDING: the workflow has not finished within UPDATE_WAIT_MS (a worker away, Midtrans slow). The request is ' +
    'not canceled and still completes; retry after Retry-After with the same Idempotency-Key to get its answer. ' +
    'details.payment is the payment as the read model has it now.',
  headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
  ...json(errorSchema.extend({ error: errorSchema.shape.error.extend({ details: z.object({ payment: paymentSchema.nullable() }) }) })),
};
const replayedHeader = {
  'Idempotent-Replayed': { description: '"true" when this is the stored answer to an earlier request with the same key', schema: { type: 'string' } },
};

const standardErrors = {
  400: error('Invalid input (VALIDATION_FAILED, MALFORMED_JSON)'),
  401: error('Missing or wrong API key (UNAUTHORIZED)'),
  405: error('The path exists but does not take this method (METHOD_NOT_ALLOWED); see the Allow header'),
  413: error('Body over the size limit (PAYLOAD_TOO_LARGE)'),
  503: error('A dependency is unavailable (SERVICE_UNAVAILABLE); retry after the Retry-After header'),
};

const RETRIED_UPDATE =
  'A retry with the same key and body gets the first answer again (its status and body, 2xx or 4xx) and moves no money; ' +
  'while the first request is still running, the retry waits for the same workflow update.';

export function buildOpenApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'TiketQ Payment Service',
      version: '0.1.0',
      description:
        'Payments for TiketQ tickets through Midtrans. Each payment is a Temporal workflow; this API starts, queries, ' +
        'signals and updates them. Amounts are integer IDR. Errors use one envelope: {"error": {"code", "message", "details"}}.',
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
    paths: {
      '/payments': {
        post: {
          summary: 'Create a payment and charge it through Midtrans',
          security: secured,
          parameters: [idempotencyKeyParameter('A retry with the same key and body answers with the same payment as it is now, and charges once.')],
          requestBody: { required: true, ...json(createPaymentBody, 'input') },
          responses: {
            201: { description: 'Charged: the payment with its payment_instructions', ...json(paymentSchema) },
            202: { description: 'Midtrans is slow; the payment exists and is pending', ...json(acceptedPaymentSchema) },
            409: error('IDEMPOTENCY_CONFLICT: the key was used with another body'),
            ...standardErrors,
          },
        },
      },
      '/payments/{payment_id}': {
        get: {
          summary: 'A payment with its audit trail, refunds and received notifications',
          security: secured,
          parameters: [paymentIdParameter],
          responses: { 200: { description: 'The payment', ...json(paymentSchema) }, 404: error('PAYMENT_NOT_FOUND'), ...standardErrors },
        },
      },
      '/payments/{payment_id}/status': {
        get: {
          summary: 'The current status: live from the workflow while it runs, from the database after',
          security: secured,
          parameters: [paymentIdParameter],
          responses: { 200: { description: 'Status', ...json(paymentStatusSchema) }, 404: error('PAYMENT_NOT_FOUND'), ...standardErrors },
        },
      },
      '/payments/{payment_id}/cancel': {
        post: {
          summary: 'Cancel a pending or processing payment (also at Midtrans)',
          security: secured,
          parameters: [paymentIdParameter, idempotencyKeyParameter(RETRIED_UPDATE)],
          requestBody: { required: false, ...json(cancelPaymentBody, 'input') },
          responses: {
            200: { description: 'Canceled', headers: replayedHeader, ...json(paymentSchema) },
            404: error('PAYMENT_NOT_FOUND'),
            409: error('INVALID_STATE: the payment can no longer be canceled; IDEMPOTENCY_CONFLICT'),
            ...standardErrors,
            504: updatePending,
          },
        },
      },
      '/payments/{payment_id}/refund': {
        post: {
          summary: 'Refund all or part of a paid payment',
          security: secured,
          parameters: [paymentIdParameter, idempotencyKeyParameter(RETRIED_UPDATE)],
          requestBody: { required: false, ...json(refundPaymentBody, 'input') },
          responses: {
            200: { description: 'Refunded', headers: replayedHeader, ...json(paymentSchema) },
            404: error('PAYMENT_NOT_FOUND'),
            409: error('INVALID_STATE: not paid, or the refund window has closed; IDEMPOTENCY_CONFLICT'),
            422: error('REFUND_EXCEEDS_REMAINING, NOT_REFUNDABLE, PARTIAL_REFUND_NOT_SUPPORTED, MIDTRANS_REFUND_REJECTED'),
            ...standardErrors,
            504: updatePending,
          },
        },
      },
      '/payments/order/{order_id}': {
        get: {
          summary: 'All payments of a TiketQ order, newest first',
          security: secured,
          parameters: [{ name: 'order_id', in: 'path', required: true, schema: { type: 'string', maxLength: 100 } }],
          responses: { 200: { description: 'Payments', ...json(paymentListSchema) }, ...standardErrors },
        },
      },
      '/payments/webhook': {
        post: {
          summary: 'Midtrans HTTP notification (signature-verified; no API key)',
          requestBody: { required: true, ...json(midtransNotificationBody, 'input') },
          responses: {
            200: { description: 'Accepted, duplicate, or stored for a closed payment', ...json(webhookAckSchema) },
            400: error('VALIDATION_FAILED, MALFORMED_JSON'),
            401: error('INVALID_SIGNATURE'),
            404: error('PAYMENT_NOT_FOUND'),
            413: error('PAYLOAD_TOO_LARGE'),
            503: error('SERVICE_UNAVAILABLE'),
          },
        },
      },
      '/health': {
        get: { summary: 'Process is up', responses: { 200: { description: 'ok', ...json(z.object({ status: z.literal('ok') })) } } },
      },
      '/ready': {
        get: {
          summary: 'Temporal and PostgreSQL reachable',
          responses: {
            200: { description: 'ready', ...json(z.object({ status: z.string(), checks: z.record(z.string(), z.string()) })) },
            503: { description: 'not ready', ...json(z.object({ status: z.string(), checks: z.record(z.string(), z.string()) })) },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          security: secured,
          responses: {
            200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
            401: error('UNAUTHORIZED'),
          },
        },
      },
    },
  };
}
