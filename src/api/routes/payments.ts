import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { PaymentView } from '../../domain';
import { defaultExpiryMinutes, type PaymentRequest } from '../../domain';
import type { StoredAnswer } from '../../db/idempotency';
import { findPayment, findPaymentStatus, findPaymentWithAudit, listPaymentsOfOrder } from '../../db/payments';
import type { ApiDependencies } from '../app';
import { ApiError, errorBody } from '../errors';
import { idempotencyKeys, type ClaimedKey } from '../idempotency-keys';
import type { ApiEnv } from '../middleware/request-context';
import { paymentDetailResponse, paymentResponseFromRow, paymentResponseFromView } from '../payment-response';
import {
  cancelPaymentBody,
  createPaymentBody,
  orderIdParam,
  paymentIdParam,
  refundPaymentBody,
  type CreatePaymentBody,
} from '../schemas';
import { parseWith, readJsonBody } from '../validation';

/** How soon a client should retry a cancel or refund answered 504 UPDATE_PENDING: a worker or gateway needs seconds. */
const UPDATE_RETRY_AFTER_SECONDS = 5;

/** Payment ids are Midtrans order ids too: `pay-` + 32 hex characters, within Midtrans's 50-character limit. */
const newPaymentId = () => `pay-${randomUUID().replaceAll('-', '')}`;

function toPaymentRequest(paymentId: string, body: CreatePaymentBody): PaymentRequest {
  return {
    paymentId,
    orderId: body.order_id,
    amount: body.amount,
    method: body.payment_method,
    bank: body.bank,
    cardToken: body.card_token,
    customer: {
      firstName: body.customer_details.first_name,
      lastName: body.customer_details.last_name,
      email: body.customer_details.email,
      phone: body.customer_details.phone,
    },
    items: body.item_details,
    description: body.description,
    expiryMinutes: body.expiry_minutes ?? defaultExpiryMinutes(body.payment_method, body.bank),
  };
}

export function paymentRoutes(deps: ApiDependencies) {
  const { db, workflows, config } = deps;
  const app = new Hono<ApiEnv>();
  const keys = idempotencyKeys(db, config.IDEMPOTENCY_KEY_TTL_HOURS);

  app.post('/', async (c) => {
    const body = parseWith(createPaymentBody, (await readJsonBody(c)).json);
    // A retry attaches to the workflow of the key's payment (update-with-start), so it answers with the payment as it is now.
    const paymentId = (await keys.claim(c, 'POST /payments', undefined, body))?.paymentId ?? newPaymentId();
    const outcome = await workflows.start(
      { request: toPaymentRequest(paymentId, body), userId: body.user_id, refundWindowDays: config.REFUND_WINDOW_DAYS },
      config.CREATE_PAYMENT_WAIT_MS,
    );
    c.header('Location', `/payments/${paymentId}`);
    if (outcome.kind === 'charged') return c.json(paymentResponseFromView(outcome.view), 201);
    if (outcome.kind === 'already-closed') {
      const row = await findPayment(db, paymentId);
      if (row) return c.json(paymentResponseFromRow(row), 201);
    }
    return c.json(
      { payment_id: paymentId, status: 'pending' as const, message: 'Midtrans is slow to answer; poll GET /payments/{payment_id}/status' },
      202,
    );
  });

  app.get('/order/:order_id', async (c) => {
    const { order_id } = parseWith(orderIdParam, c.req.param());
    const rows = await listPaymentsOfOrder(db, order_id);
    return c.json({ order_id, payments: rows.map(paymentResponseFromRow) });
  });

  // Reads come from the read model. Every update (charge, cancel, refund) has written it before it answers, so a
  // client reads its own writes; a webhook's effect shows once the workflow has recorded it, milliseconds later. Until
  // the workflow has written its first row (it starts a moment before; longer while PostgreSQL is down), the
  // workflow itself answers, so a payment answered with 202 is never a 404.
  app.get('/:payment_id', async (c) => {
    const { payment_id } = parseWith(paymentIdParam, c.req.param());
    const row = await findPaymentWithAudit(db, payment_id);
    if (row) return c.json(paymentDetailResponse(row));
    return c.json(paymentResponseFromView(await liveView(payment_id)));
  });

  app.get('/:payment_id/status', async (c) => {
    const { payment_id } = parseWith(paymentIdParam, c.req.param());
    const row = await findPaymentStatus(db, payment_id);
    if (row) {
      return c.json({ payment_id, status: row.status, updated_at: row.updatedAt.toISOString(), midtrans_status: row.midtransStatus, source: 'database' });
    }
    const view = await liveView(payment_id);
    return c.json({ payment_id, status: view.status, updated_at: view.updatedAt, midtrans_status: view.midtransStatus ?? null, source: 'workflow' });
  });

  async function liveView(paymentId: string) {
    const view = await workflows.view(paymentId);
    if (!view) throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${paymentId}`);
    return view;
  }

  app.post('/:payment_id/cancel', async (c) => {
    const { payment_id } = parseWith(paymentIdParam, c.req.param());
    const body = parseWith(cancelPaymentBody, (await readJsonBody(c)).json);
    if (!(await findPayment(db, payment_id))) throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${payment_id}`);
    const claimed = await keys.claim(c, 'POST /payments/{payment_id}/cancel', payment_id, body);
    return answerUpdate(c, payment_id, claimed, (updateId) => workflows.cancel(payment_id, { reason: body.reason }, updateId));
  });

  app.post('/:payment_id/refund', async (c) => {
    const { payment_id } = parseWith(paymentIdParam, c.req.param());
    const body = parseWith(refundPaymentBody, (await readJsonBody(c)).json);
    if (!(await findPayment(db, payment_id))) throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${payment_id}`);
    const claimed = await keys.claim(c, 'POST /payments/{payment_id}/refund', payment_id, body);
    return answerUpdate(c, payment_id, claimed, (updateId) => workflows.refund(payment_id, { amount: body.amount, reason: body.reason }, updateId));
  });

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
      return c.json(claimed.answer.body, claimed.answer.status as ContentfulStatusCode);
    }
    const answer = sendUpdate(claimed?.updateId).then(
      (view): StoredAnswer => ({ status: 200, body: paymentResponseFromView(view) }),
      (error: unknown): StoredAnswer => {
        if (error instanceof ApiError) return { status: error.status, body: errorBody(error) };
        throw error;
      },
    );
    if (claimed) {
      answer
        .then((final) => keys.store(claimed, final))
        .catch((error: unknown) => c.get('log').warn({ err: error }, 'the answer to an Idempotency-Key was not stored'));
    } else {
      answer.catch(() => {}); // an error after the deadline has no one left to tell
    }
    const first = await settledWithin(answer, config.UPDATE_WAIT_MS);
    if (first) return c.json(first.body, first.status as ContentfulStatusCode);
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
