import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { notificationTargets, readJsonObject, requireServerKey, respond, withApiFaults } from '../api-guards';
import { checkPaymentType, isRejection, planCharge, validatePaymentMethod } from '../charge';
import { findForApi, type SimulatorDeps } from '../context';
import { readCustomExpiry, readOrder, readRefundRequest, readWholeAmount, type Json } from '../requests';
import { actionBody, apiError, chargeBody, MESSAGES, statusBody, validationError } from '../responses';
import type { SimTransaction } from '../store';
import type { StatusAction } from '../transitions';

/** Core API: POST /v2/charge and the management endpoints under /v2/{order_id or transaction_id}. */
export function coreApiRoutes(deps: SimulatorDeps): Hono {
  const api = new Hono();
  const auth = requireServerKey(deps.serverKey, 'core');

  api.post('/v2/charge', auth, async (c) => {
    const body = await readJsonObject(c);
    // Counted before faults: tests prove "no double charge" by comparing received with applied.
    const orderId = body && typeof (body.transaction_details as Json | undefined)?.order_id === 'string'
      ? ((body.transaction_details as Json).order_id as string)
      : undefined;
    deps.store.recordChargeReceived(orderId);
    return withApiFaults(c, deps, true, () => (body ? charge(c, deps, body) : respond(c, apiError('413', MESSAGES.malformed))));
  });

  api.get('/v2/:id/status', auth, (c) =>
    withApiFaults(c, deps, false, () => {
      const tx = findForApi(deps, c.req.param('id'));
      return tx ? respond(c, statusBody(tx, deps.serverKey)) : notFound(c);
    }),
  );

  // All transactions Midtrans holds for the order, newest first, `per_page` (default 10) at a time from page 0.
  api.get('/v2/:id/status/b2b', auth, (c) =>
    withApiFaults(c, deps, false, () => {
      const tx = findForApi(deps, c.req.param('id'));
      if (!tx) return notFound(c);
      const page = wholeQuery(c.req.query('page'), 0);
      const perPage = Math.max(1, wholeQuery(c.req.query('per_page'), 10));
      const transactions = deps.store.historyOf(tx.orderId).reverse().slice(page * perPage, (page + 1) * perPage);
      return respond(c, {
        status_code: '200',
        status_message: 'Success, transactions are retrieved',
        transactions: transactions.map((each) => statusBody(each, deps.serverKey)),
      });
    }),
  );

  // Captures a pre-authorized card payment (credit_card.type "authorize") by its transaction_id.
  api.post('/v2/capture', auth, async (c) => {
    const body = await readJsonObject(c);
    return withApiFaults(c, deps, true, () => {
      if (!body) return respond(c, apiError('413', MESSAGES.malformed));
      const messages: string[] = [];
      if (typeof body.transaction_id !== 'string' || body.transaction_id === '') messages.push('transaction_id is required');
      if (body.gross_amount !== undefined) readWholeAmount(body.gross_amount, 'gross_amount', messages);
      if (messages.length > 0) return respond(c, validationError(messages));
      const tx = deps.store.find(body.transaction_id as string)?.transaction;
      if (!tx) return notFound(c);
      if (!deps.lifecycle.change(tx, 'capture')) return respond(c, apiError('412', MESSAGES.cannotModify));
      return respond(c, actionBody(tx, '200', 'Success, Credit Card capture transaction is successful'));
    });
  });

  const statusChange = (path: string, action: StatusAction, statusCode: string, statusMessage: string) =>
    api.post(`/v2/:id/${path}`, auth, (c) =>
      withApiFaults(c, deps, true, () => {
        const tx = findForApi(deps, c.req.param('id'));
        if (!tx) return notFound(c);
        if (!deps.lifecycle.change(tx, action)) return respond(c, apiError('412', MESSAGES.cannotModify));
        return respond(c, actionBody(tx, statusCode, statusMessage));
      }),
    );
  statusChange('cancel', 'cancel', '200', 'Success, transaction is canceled');
  // Midtrans answers a successful expire with body status_code 407 (on HTTP 200).
  statusChange('expire', 'expire', '407', 'Success, transaction has expired');
  statusChange('approve', 'approve', '200', 'Success, transaction is approved');
  statusChange('deny', 'fraud_deny', '200', 'Success, transaction is denied');

  const refund = (c: Context) =>
    withApiFaults(c, deps, true, async () => {
      const tx = findForApi(deps, c.req.param('id') ?? '');
      if (!tx) return notFound(c);
      return refundTransaction(c, deps, tx);
    });
  api.post('/v2/:id/refund', auth, refund);
  // The older "direct refund" path behaves the same here.
  api.post('/v2/:id/refund/online/direct', auth, refund);

  return api;
}

async function charge(c: Context, deps: SimulatorDeps, body: Json): Promise<Response> {
  const messages: string[] = [];
  const now = Date.now();
  const paymentType = checkPaymentType(body.payment_type);
  const order = readOrder(body, messages);
  if (paymentType.kind === 'invalid') messages.push(paymentType.message);
  if (paymentType.kind === 'supported') validatePaymentMethod(body.payment_type as string, body, messages);
  const requestedExpiryAt = readCustomExpiry(body.custom_expiry, now, messages);
  if (messages.length > 0 || !order) return respond(c, validationError(messages));
  if (paymentType.kind === 'not_activated') return respond(c, apiError('402', MESSAGES.channelNotActivated));
  if (deps.store.isOrderIdTaken(order.orderId, now)) return respond(c, apiError('406', MESSAGES.duplicateOrderId));

  const transactionId = randomUUID();
  const plan = planCharge(body.payment_type as string, {
    transactionId,
    order,
    body,
    baseUrl: deps.baseUrl(c),
    cardToken: (token) => deps.store.cardToken(token),
  });
  if (isRejection(plan)) return respond(c, apiError(plan.statusCode, plan.statusMessage));

  const tx = deps.lifecycle.open(plan, {
    transactionId,
    orderId: order.orderId,
    grossAmount: order.grossAmount,
    channel: 'core',
    targets: notificationTargets(c),
    transactionTime: now,
    requestedExpiryAt,
  });
  deps.store.recordChargeApplied(order.orderId);
  return respond(c, chargeBody(tx));
}

async function refundTransaction(c: Context, deps: SimulatorDeps, tx: SimTransaction): Promise<Response> {
  const body = await readJsonObject(c);
  if (!body) return respond(c, apiError('413', MESSAGES.malformed));
  const messages: string[] = [];
  const request = readRefundRequest(body, messages);
  if (!request) return respond(c, validationError(messages));
  const outcome = deps.lifecycle.refund(tx, request);
  if (outcome.kind === 'rejected') return respond(c, apiError(outcome.statusCode, outcome.statusMessage));
  return respond(c, outcome.body);
}

function wholeQuery(value: string | undefined, fallback: number): number {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : fallback;
}

function notFound(c: Context): Response {
  return respond(c, apiError('404', MESSAGES.notFound));
}
