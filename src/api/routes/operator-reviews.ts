import { createRoute } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { listReviewItems } from '../../db/reviews';
import { reconcileNow, redeliver, resolveReview, type ReviewActionDependencies } from '../../operations/review-actions';
import type { ApiDependencies } from '../app';
import { operatorActionResponse, reviewItemResponse } from '../operator-response';
import {
  deliveryIdParam,
  operatorNoteBody,
  reconcileSchema,
  redeliverySchema,
  resolutionSchema,
  resolveReviewBody,
  reviewIdParam,
  reviewQueueQuery,
  reviewQueueSchema,
} from '../operator-schemas';
import {
  apiRouter,
  errorResponse,
  idempotencyKeyParameter,
  jsonContent,
  jsonRequestBody,
  OPERATOR_ERRORS,
  OPERATOR_SECURITY,
} from '../route-docs';
import { idempotencyKeyHeader, paymentIdParam } from '../schemas';
import type { ApiEnv } from '../middleware/request-context';
import { parseWith, readValidBody } from '../validation';

const listReviews = (operatorOnly: MiddlewareHandler<ApiEnv>) =>
  createRoute({
    operationId: 'listReviewItems',
    method: 'get',
    path: '/reviews',
    summary: 'Operators: what needs a person (needs_operator_review events, failed deliveries, stuck payments), oldest first',
    description:
      'Pending payments REVIEW_PENDING_GRACE_MINUTES past their expiry and payments processing for REVIEW_PROCESSING_HOURS are ' +
      'listed with the needs_operator_review events and failed downstream deliveries. A resolved item is hidden until its ' +
      'trouble comes back.',
    security: OPERATOR_SECURITY,
    middleware: [operatorOnly] as const,
    request: { query: reviewQueueQuery },
    responses: { 200: { description: 'The review queue', ...jsonContent(reviewQueueSchema) }, ...OPERATOR_ERRORS },
  });

const redeliverRoute = (operatorOnly: MiddlewareHandler<ApiEnv>) =>
  createRoute({
    operationId: 'redeliverDownstreamEvent',
    method: 'post',
    path: '/deliveries/{delivery_id}/redeliver',
    summary: 'Operators: send a failed downstream delivery again',
    description:
      "Runs in a workflow of its own (the payment's may be closed) named after the delivery and its attempts, so a retried " +
      'request joins it instead of sending twice. Waits up to UPDATE_WAIT_MS for the outcome. Audited with the operator.',
    security: OPERATOR_SECURITY,
    middleware: [operatorOnly] as const,
    request: { params: deliveryIdParam },
    requestBody: jsonRequestBody(operatorNoteBody, { required: false }),
    responses: {
      200: { description: 'Delivered, or failed again (back in the review queue)', ...jsonContent(redeliverySchema) },
      202: { description: 'Still under way; ask again to get its outcome', ...jsonContent(redeliverySchema) },
      404: errorResponse('DELIVERY_NOT_FOUND'),
      409: errorResponse('DELIVERY_NOT_FAILED: delivered, or still being retried by its payment'),
      ...OPERATOR_ERRORS,
    },
  });

const reconcileRoute = (operatorOnly: MiddlewareHandler<ApiEnv>) =>
  createRoute({
    operationId: 'reconcilePayment',
    method: 'post',
    path: '/payments/{payment_id}/reconcile',
    summary: "Operators: ask Midtrans for the payment's status now, through its workflow",
    description:
      'The workflow asks Midtrans and applies the answer through the same confirmed path as a notification; the audit trail ' +
      'names the operator. Accepted at once: read the payment to see the outcome.',
    security: OPERATOR_SECURITY,
    middleware: [operatorOnly] as const,
    parameters: idempotencyKeyParameter('A retry with the same key asks once.'),
    request: { params: paymentIdParam },
    requestBody: jsonRequestBody(operatorNoteBody, { required: false }),
    responses: {
      202: { description: 'The workflow has been asked', ...jsonContent(reconcileSchema) },
      404: errorResponse('PAYMENT_NOT_FOUND'),
      409: errorResponse("PAYMENT_WORKFLOW_CLOSED: the payment's workflow has closed"),
      ...OPERATOR_ERRORS,
    },
  });

const resolveRoute = (operatorOnly: MiddlewareHandler<ApiEnv>) =>
  createRoute({
    operationId: 'resolveReviewItem',
    method: 'post',
    path: '/reviews/{review_id}/resolve',
    summary: 'Operators: mark a review item dealt with, with a note',
    security: OPERATOR_SECURITY,
    middleware: [operatorOnly] as const,
    request: { params: reviewIdParam },
    requestBody: jsonRequestBody(resolveReviewBody, { required: true }),
    responses: {
      200: { description: 'Resolved (again: the first resolution, replayed: true)', ...jsonContent(resolutionSchema) },
      404: errorResponse('REVIEW_ITEM_NOT_FOUND'),
      ...OPERATOR_ERRORS,
    },
  });

/** The review queue's settings and what its actions need, from the API's dependencies (the console uses it too). */
export function reviewActionDependencies(deps: ApiDependencies): ReviewActionDependencies {
  return {
    db: deps.db,
    workflows: deps.workflows,
    reviewQueue: {
      pendingGraceMinutes: deps.config.REVIEW_PENDING_GRACE_MINUTES ?? 30,
      processingHours: deps.config.REVIEW_PROCESSING_HOURS ?? 2,
    },
    redeliveryWaitMs: deps.config.UPDATE_WAIT_MS,
  };
}

/** /operations/*: the review queue and operators' actions on it; `operatorOnly` lets only operators in. */
export function operatorReviewRoutes(deps: ApiDependencies, operatorOnly: MiddlewareHandler<ApiEnv>) {
  const app = apiRouter();
  const actions = reviewActionDependencies(deps);

  app.openapi(listReviews(operatorOnly), async (c) => {
    const { limit } = c.req.valid('query');
    const items = await listReviewItems(deps.db, { ...actions.reviewQueue, limit });
    return c.json({ items: items.map(reviewItemResponse) }, 200);
  });

  app.openapi(redeliverRoute(operatorOnly), async (c) => {
    const { delivery_id } = c.req.valid('param');
    const { note } = await readValidBody(c, operatorNoteBody);
    const outcome = await redeliver(actions, delivery_id, { operator: c.get('operator'), note });
    const body = {
      delivery_id,
      status: outcome.status,
      ...(outcome.error !== undefined && { error: outcome.error }),
      workflow_id: outcome.workflowId,
      replayed: outcome.replayed,
      action: operatorActionResponse(outcome.action),
    };
    return outcome.status === 'redelivering' ? c.json(body, 202) : c.json(body, 200);
  });

  app.openapi(reconcileRoute(operatorOnly), async (c) => {
    const { payment_id } = c.req.valid('param');
    const { note } = await readValidBody(c, operatorNoteBody);
    const header = c.req.header('idempotency-key');
    const requestKey = header === undefined ? undefined : parseWith(idempotencyKeyHeader, header);
    const action = await reconcileNow(actions, payment_id, { operator: c.get('operator'), note, requestKey });
    return c.json({ payment_id, action: operatorActionResponse(action) }, 202);
  });

  app.openapi(resolveRoute(operatorOnly), async (c) => {
    const { review_id } = c.req.valid('param');
    const { note } = await readValidBody(c, resolveReviewBody);
    const { action, replayed } = await resolveReview(actions, review_id, { operator: c.get('operator'), note });
    return c.json({ review_id, replayed, action: operatorActionResponse(action) }, 200);
  });

  return app;
}
