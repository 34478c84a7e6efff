import { createRoute } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { defaultExpiryMinutes, type PaymentCheckout, type PaymentStatus, type PaymentTerms, type PaymentView } from '../../domain';
import { saveCheckout } from '../../db/checkouts';
import type { StoredAnswer } from '../../db/idempotency';
import { searchPayments } from '../../db/payment-search';
import { findPayment, findPaymentStatus, findPaymentWithAudit, listPaymentsOfOrder } from '../../db/payments';
import { markPaymentSpan } from '../../telemetry/tracing';
import type { ApiDependencies } from '../app';
import { ApiError, errorBody, OUTAGE_RETRY_AFTER_SECONDS } from '../errors';
import { idempotencyKeys, type ClaimedKey } from '../idempotency-keys';
import { searchFiltersOf } from '../operator-response';
import { paymentSearchPageSchema, paymentSearchQuery } from '../operator-schemas';
import type { ApiEnv } from '../middleware/request-context';
import { isPaymentIdShaped, newPaymentId } from '../payment-ids';
import { paymentDetailResponse, paymentResponse, paymentResponseFromRow } from '../payment-response';
import {
  API_KEY_SECURITY,
  apiRouter,
  errorResponse,
  IDEMPOTENT_REPLAY_HEADERS,
  idempotencyKeyParameter,
  jsonContent,
  jsonRequestBody,
  MIDTRANS_UNAVAILABLE_RESPONSE,
  OPERATOR_ERRORS,
  OPERATOR_SECURITY,
  STANDARD_ERRORS,
  UPDATE_PENDING_RESPONSE,
} from '../route-docs';
import {
  acceptedPaymentSchema,
  cancelPaymentBody,
  createPaymentBody,
  orderIdParam,
  paymentIdParam,
  paymentListSchema,
  paymentSchema,
  paymentStatusSchema,
  refundPaymentBody,
  type CreatePaymentBody,
} from '../schemas';
import { readValidBody } from '../validation';

/** How soon a client should retry a cancel or refund answered 504 UPDATE_PENDING: a worker or gateway needs seconds. */
const UPDATE_RETRY_AFTER_SECONDS = 5;

/** What the payment's workflow carries: no personal data and no card token (those are the checkout). */
function paymentTerms(paymentId: string, body: CreatePaymentBody): PaymentTerms {
  return {
    paymentId,
    orderId: body.order_id,
    amount: body.amount,
    method: body.payment_method,
    bank: body.bank,
    ...(body.card_token ? { hasCardToken: true } : {}),
    expiryMinutes: body.expiry_minutes ?? defaultExpiryMinutes(body.payment_method, body.bank),
  };
}

/** What the customer entered: stored in PostgreSQL for the charge, never sent to Temporal. */
function paymentCheckout(body: CreatePaymentBody): PaymentCheckout {
  return {
    cardToken: body.card_token,
    customer: {
      firstName: body.customer_details.first_name,
      lastName: body.customer_details.last_name,
      email: body.customer_details.email,
      phone: body.customer_details.phone,
    },
    items: body.item_details,
    description: body.description,
  };
}

/**
 * Links from a new payment to what can be done with it: a client (or a stateful fuzzer) following the document goes
 * from the created payment to its routes with its payment_id.
 */
const PAYMENT_LINKS = {
  GetPayment: { operationId: 'getPayment', parameters: { payment_id: '$response.body#/payment_id' } },
  GetPaymentStatus: { operationId: 'getPaymentStatus', parameters: { payment_id: '$response.body#/payment_id' } },
  CancelPayment: { operationId: 'cancelPayment', parameters: { payment_id: '$response.body#/payment_id' } },
  RefundPayment: { operationId: 'refundPayment', parameters: { payment_id: '$response.body#/payment_id' } },
  ListPaymentsOfOrder: { operationId: 'listPaymentsOfOrder', parameters: { order_id: '$request.body#/order_id' } },
};
const LOCATION_HEADER = { Location: { description: 'The payment: /payments/{payment_id}', schema: { type: 'string' as const } } };

const RETRIED_UPDATE =
  'A retry with the same key and body gets the first answer again (its status and body, 2xx, 4xx or the workflow\'s 5xx) and moves no money; ' +
  'while the first request is still running, the retry waits for the same workflow update.';

const createPayment = createRoute({
  operationId: 'createPayment',
  method: 'post',
  path: '/',
  summary: 'Create a payment and charge it through Midtrans',
  security: API_KEY_SECURITY,
  parameters: idempotencyKeyParameter('A retry with the same key and body answers with the same payment as it is now, and charges once.'),
  requestBody: jsonRequestBody(createPaymentBody, { required: true }),
  responses: {
    201: {
      description: 'Charged: the payment with its payment_instructions',
      headers: LOCATION_HEADER,
      links: PAYMENT_LINKS,
      ...jsonContent(paymentSchema),
    },
    202: {
      description: 'Midtrans is slow; the payment exists and is pending',
      headers: LOCATION_HEADER,
      links: PAYMENT_LINKS,
      ...jsonContent(acceptedPaymentSchema),
    },
    409: errorResponse('IDEMPOTENCY_CONFLICT: the key was used with another body'),
    ...STANDARD_ERRORS,
  },
});

const listOrderPayments = createRoute({
  operationId: 'listPaymentsOfOrder',
  method: 'get',
  path: '/order/{order_id}',
  summary: 'All payments of a TiketQ order, newest first',
  security: API_KEY_SECURITY,
  request: { params: orderIdParam },
  responses: { 200: { description: 'Payments', ...jsonContent(paymentListSchema) }, ...STANDARD_ERRORS },
});

const searchPaymentsRoute = (operatorOnly: MiddlewareHandler<ApiEnv>) =>
  createRoute({
    operationId: 'searchPayments',
    method: 'get',
    path: '/',
    summary: 'Operators: find payments by status, method, order, user, time and amount, newest first, a page at a time',
    description:
      'Every filter narrows (AND); ranges include both ends. Keyset pagination: pass next_cursor as `cursor` for the next ' +
      'page; payments created meanwhile never shift or repeat later pages. For operators only (an operator token).',
    security: OPERATOR_SECURITY,
    middleware: [operatorOnly] as const,
    request: { query: paymentSearchQuery },
    responses: { 200: { description: 'One page of payments', ...jsonContent(paymentSearchPageSchema) }, ...OPERATOR_ERRORS },
  });

const getPayment = createRoute({
  operationId: 'getPayment',
  method: 'get',
  path: '/{payment_id}',
  summary: 'A payment with its audit trail, refunds and received notifications',
  security: API_KEY_SECURITY,
  request: { params: paymentIdParam },
  responses: {
    200: { description: 'The payment', ...jsonContent(paymentSchema) },
    404: errorResponse('PAYMENT_NOT_FOUND'),
    ...STANDARD_ERRORS,
  },
});

const getPaymentStatus = createRoute({
  operationId: 'getPaymentStatus',
  method: 'get',
  path: '/{payment_id}/status',
  summary: 'The current status: from the read model, or from the workflow while the payment has no row yet (source says which)',
  security: API_KEY_SECURITY,
  request: { params: paymentIdParam },
  responses: {
    200: { description: 'Status', ...jsonContent(paymentStatusSchema) },
    404: errorResponse('PAYMENT_NOT_FOUND'),
    ...STANDARD_ERRORS,
  },
});

const cancelPayment = createRoute({
  operationId: 'cancelPayment',
  method: 'post',
  path: '/{payment_id}/cancel',
  summary: 'Cancel a pending or processing payment (also at Midtrans)',
  security: API_KEY_SECURITY,
  parameters: idempotencyKeyParameter(RETRIED_UPDATE),
  request: { params: paymentIdParam },
  requestBody: jsonRequestBody(cancelPaymentBody, { required: false }),
  responses: {
    200: { description: 'Canceled', headers: IDEMPOTENT_REPLAY_HEADERS, ...jsonContent(paymentSchema) },
    404: errorResponse('PAYMENT_NOT_FOUND'),
    409: errorResponse(
      'INVALID_STATE: the payment can no longer be canceled; CHARGE_IN_PROGRESS: the charge is still being placed at Midtrans, retry after Retry-After; IDEMPOTENCY_CONFLICT; REQUEST_ALREADY_FAILED: this request failed earlier and its answer was lost, send a new one with a new key',
    ),
    ...STANDARD_ERRORS,
    502: MIDTRANS_UNAVAILABLE_RESPONSE,
    504: UPDATE_PENDING_RESPONSE,
  },
});

const refundPayment = createRoute({
  operationId: 'refundPayment',
  method: 'post',
  path: '/{payment_id}/refund',
  summary: 'Refund all or part of a paid payment',
  security: API_KEY_SECURITY,
  parameters: idempotencyKeyParameter(RETRIED_UPDATE),
  request: { params: paymentIdParam },
  requestBody: jsonRequestBody(refundPaymentBody, { required: false }),
  responses: {
    200: { description: 'Refunded', headers: IDEMPOTENT_REPLAY_HEADERS, ...jsonContent(paymentSchema) },
    404: errorResponse('PAYMENT_NOT_FOUND'),
    409: errorResponse(
      'INVALID_STATE: not paid, or the refund window has closed; IDEMPOTENCY_CONFLICT; REQUEST_ALREADY_FAILED: this request failed earlier and its answer was lost, send a new one with a new key',
    ),
    422: errorResponse('REFUND_EXCEEDS_REMAINING, NOT_REFUNDABLE, PARTIAL_REFUND_NOT_SUPPORTED, MIDTRANS_REFUND_REJECTED'),
    ...STANDARD_ERRORS,
    502: MIDTRANS_UNAVAILABLE_RESPONSE,
    504: UPDATE_PENDING_RESPONSE,
  },
});

export function paymentRoutes(deps: ApiDependencies, operatorOnly: MiddlewareHandler<ApiEnv>) {
  const { db, workflows, config } = deps;
  const app = apiRouter();
  const keys = idempotencyKeys(db, config.IDEMPOTENCY_KEY_TTL_HOURS, { refundWindowDays: config.REFUND_WINDOW_DAYS });

  app.openapi(createPayment, async (c) => {
    const body = await readValidBody(c, createPaymentBody);
    // A retry attaches to the workflow of the key's payment (update-with-start), so it answers with the payment as it is now.
    const paymentId = (await keys.claim(c, 'POST /payments', undefined, body))?.paymentId ?? newPaymentId();
    markPaymentSpan(paymentId);
    // The checkout first: the workflow's charge reads it by payment id. A retry of this create writes it once.
    await saveCheckout(db, paymentId, paymentCheckout(body));
    const outcome = await workflows.start(
      {
        request: paymentTerms(paymentId, body),
        userId: body.user_id,
        refundWindowDays: config.REFUND_WINDOW_DAYS,
        reconcileAfterMinutes: config.RECONCILE_EARLY_LOOKS_MINUTES,
      },
      config.CREATE_PAYMENT_WAIT_MS,
    );
    c.header('Location', `/payments/${paymentId}`);
    if (outcome.kind === 'charged') return c.json(paymentResponse(outcome.view), 201);
    if (outcome.kind === 'already-closed') {
      const row = await findPayment(db, paymentId);
      if (row) return c.json(paymentResponseFromRow(row), 201);
    }
    return c.json(
      { payment_id: paymentId, status: 'pending' as const, message: 'Midtrans is slow to answer; poll GET /payments/{payment_id}/status' },
      202,
    );
  });

  app.openapi(searchPaymentsRoute(operatorOnly), async (c) => {
    const page = await searchPayments(db, searchFiltersOf(c.req.valid('query')));
    return c.json({ payments: page.payments.map(paymentResponseFromRow), next_cursor: page.nextCursor }, 200);
  });

  app.openapi(listOrderPayments, async (c) => {
    const { order_id } = c.req.valid('param');
    const rows = await listPaymentsOfOrder(db, order_id);
    return c.json({ order_id, payments: rows.map(paymentResponseFromRow) }, 200);
  });

  // Reads come from the read model. Every update (charge, cancel, refund) has written it before it answers, so a
  // client reads its own writes; a webhook's effect shows once the workflow has recorded it, milliseconds later. Until
  // the workflow has written its first row (it starts a moment before; longer while PostgreSQL is down), the
  // workflow itself answers, so a payment answered with 202 is never a 404.
  app.openapi(getPayment, async (c) => {
    const { payment_id } = c.req.valid('param');
    const row = await findPaymentWithAudit(db, payment_id);
    if (row) return c.json(paymentDetailResponse(row), 200);
    return c.json(paymentResponse(await liveView(payment_id)), 200);
  });

  app.openapi(getPaymentStatus, async (c) => {
    const { payment_id } = c.req.valid('param');
    const row = await findPaymentStatus(db, payment_id);
    if (row) {
      return c.json(
        {
          payment_id,
          status: row.status as PaymentStatus,
          updated_at: row.updatedAt.toISOString(),
          midtrans_status: row.midtransStatus,
          source: 'database' as const,
        },
        200,
      );
    }
    const view = await liveView(payment_id);
    return c.json(
      {
        payment_id,
        status: view.status,
        updated_at: view.updatedAt,
        midtrans_status: view.midtransStatus ?? null,
        source: 'workflow' as const,
      },
      200,
    );
  });

  async function liveView(paymentId: string) {
    const view = await workflows.view(paymentId);
    if (!view) throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${paymentId}`);
    return view;
  }

  app.openapi(cancelPayment, async (c) => {
    const { payment_id } = c.req.valid('param');
    const body = await readValidBody(c, cancelPaymentBody);
    await requirePayment(payment_id);
    const claimed = await keys.claim(c, 'POST /payments/{payment_id}/cancel', payment_id, body);
    return answerUpdate(c, payment_id, claimed, (updateId) => workflows.cancel(payment_id, { reason: body.reason }, updateId));
  });

  app.openapi(refundPayment, async (c) => {
    const { payment_id } = c.req.valid('param');
    const body = await readValidBody(c, refundPaymentBody);
    await requirePayment(payment_id);
    const claimed = await keys.claim(c, 'POST /payments/{payment_id}/refund', payment_id, body);
    return answerUpdate(c, payment_id, claimed, (updateId) =>
      workflows.refund(payment_id, { amount: body.amount, reason: body.reason }, updateId),
    );
  });

  /**
   * A cancel or refund is for a payment with a row, or with only its workflow: after a 202 the row waits for the
   * charge's answer (the workflow then answers CHARGE_IN_PROGRESS), and after a restore it waits for the next write.
   */
  async function requirePayment(paymentId: string): Promise<void> {
    if (await findPayment(db, paymentId)) return;
    if (isPaymentIdShaped(paymentId) && (await workflows.exists(paymentId))) return;
    throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${paymentId}`);
  }

  /**
   * Cancel and refund: the first answer again when the key has one; otherwise the workflow's answer within
   * UPDATE_WAIT_MS, or 504 UPDATE_PENDING with the payment as the read model has it. The update is not abandoned:
   * it completes in the workflow, and its answer is stored for the key's retry whenever it comes.
   */
  async function answerUpdate(
    c: Context<ApiEnv>,
    paymentId: string,
    claimed: ClaimedKey | undefined,
    sendUpdate: (updateId: string | undefined) => Promise<PaymentView>,
  ) {
    if (claimed?.answer) {
      c.header('Idempotent-Replayed', 'true');
      return sendAnswer(c, claimed.answer);
    }
    const answer = sendUpdate(claimed?.updateId).then(
      (view): StoredAnswer => ({ status: 200, body: paymentResponse(view) }),
      (error: unknown): StoredAnswer => {
        // The workflow's answer is final for the key, a failure of its update included; a transient refusal (with
        // Retry-After) is answered as an error, and the key's retry asks the workflow again.
        if (error instanceof ApiError && !error.retryAfterSeconds) return { status: error.status, body: errorBody(error) };
        throw error;
      },
    );
    // A failure of the workflow's own is answered only once kept: the key's retry must never send its ended update
    // again, which a later run of the workflow would run again. Unkept (PostgreSQL down), it is an outage's 503, and
    // the retry asks the same update, which Temporal answers from this run. Anything else is kept on the way.
    const kept = claimed
      ? answer.then(async (final) => {
          if (final.status >= 500) await keys.store(claimed, final).catch((error: unknown) => unkept(c, error));
          return final;
        })
      : answer;
    if (claimed) {
      kept
        .then((final) => (final.status < 500 ? keys.store(claimed, final) : undefined))
        .catch((error: unknown) => {
          if (!(error instanceof ApiError)) c.get('log').warn({ err: error }, 'the answer to an Idempotency-Key was not stored');
        });
    } else {
      answer.catch(() => {}); // an error after the deadline has no one left to tell
    }
    const first = await settledWithin(kept, config.UPDATE_WAIT_MS);
    if (first) return sendAnswer(c, first);
    const row = await findPayment(db, paymentId);
    throw new ApiError(
      'UPDATE_PENDING',
      `the payment's workflow has not finished this request within ${config.UPDATE_WAIT_MS} ms; it still will. ` +
        'Retry with the same Idempotency-Key to get its answer (without a key, a retry is a new request).',
      { payment: row ? paymentResponseFromRow(row) : null },
      UPDATE_RETRY_AFTER_SECONDS,
    );
  }

  return app;
}

/**
 * An update's answer as it was given (a payment, or the error envelope with its status). Which documented status it
 * has is known only at run time, so it is sent untyped; the route tests check it against the document.
 */
const sendAnswer = (c: Context<ApiEnv>, answer: StoredAnswer) => c.json(answer.body, answer.status as ContentfulStatusCode) as never;

/** A final answer that could not be kept is not given: the client retries with the same key, as after any outage. */
function unkept(c: Context<ApiEnv>, error: unknown): never {
  c.get('log').warn({ err: error }, "a cancel or refund's final failure was not kept for its Idempotency-Key; answered as an outage");
  throw new ApiError('SERVICE_UNAVAILABLE', 'the answer could not be kept; retry with the same Idempotency-Key', undefined, OUTAGE_RETRY_AFTER_SECONDS);
}

/** The promise's value if it settles within `ms`, else undefined (the promise itself runs on). */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
