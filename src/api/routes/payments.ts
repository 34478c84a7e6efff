import { createHash, randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { defaultExpiryMinutes, type PaymentRequest } from '../../domain';
import { claimIdempotencyKey } from '../../db/idempotency';
import { findPayment, findPaymentStatus, findPaymentWithAudit, listPaymentsOfOrder } from '../../db/payments';
import type { ApiDependencies } from '../app';
import { ApiError } from '../errors';
import type { ApiEnv } from '../middleware/request-context';
import { paymentDetailResponse, paymentResponseFromRow, paymentResponseFromView } from '../payment-response';
import {
  cancelPaymentBody,
  createPaymentBody,
  idempotencyKeyHeader,
  orderIdParam,
  paymentIdParam,
  refundPaymentBody,
  type CreatePaymentBody,
} from '../schemas';
import { parseWith, readJsonBody } from '../validation';

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

/** Canonical JSON (sorted keys), so the same body in another key order is still the same request. */
function requestHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex');
}

export function paymentRoutes(deps: ApiDependencies) {
  const { db, workflows, config } = deps;
  const app = new Hono<ApiEnv>();

  app.post('/', async (c) => {
    const body = parseWith(createPaymentBody, (await readJsonBody(c)).json);
    const key = c.req.header('idempotency-key');
    let paymentId = newPaymentId();
    if (key !== undefined) {
      const validKey = parseWith(idempotencyKeyHeader, key);
      const hash = requestHash(body);
      const held = await claimIdempotencyKey(db, validKey, hash, paymentId);
      if (held.requestHash !== hash) {
        throw new ApiError('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was already used with a different request body');
      }
      paymentId = held.paymentId;
    }
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
    const view = await workflows.cancel(payment_id, { reason: body.reason });
    return c.json(paymentResponseFromView(view));
  });

  app.post('/:payment_id/refund', async (c) => {
    const { payment_id } = parseWith(paymentIdParam, c.req.param());
    const body = parseWith(refundPaymentBody, (await readJsonBody(c)).json);
    if (!(await findPayment(db, payment_id))) throw new ApiError('PAYMENT_NOT_FOUND', `no payment ${payment_id}`);
    const view = await workflows.refund(payment_id, { amount: body.amount, reason: body.reason });
    return c.json(paymentResponseFromView(view));
  });

  return app;
}
