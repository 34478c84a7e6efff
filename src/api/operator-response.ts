import type { PaymentMethod, PaymentStatus } from '../domain';
import { decodeSearchCursor, type PaymentSearchFilters } from '../db/payment-search';
import type { ReviewItem } from '../db/reviews';
import type { OperatorAction } from '../generated/prisma/client';
import { ApiError } from './errors';
import type { PaymentSearchQuery } from './operator-schemas';
import { paymentResponseFromRow } from './payment-response';

/** GET /payments's query as the search's filters; a cursor that is not ours is VALIDATION_FAILED. */
export function searchFiltersOf(query: PaymentSearchQuery): PaymentSearchFilters {
  if (query.cursor !== undefined && decodeSearchCursor(query.cursor) === undefined) {
    throw new ApiError('VALIDATION_FAILED', 'the request is not valid', [
      { path: 'cursor', message: 'is not a cursor this search returned (pass next_cursor as it came)' },
    ]);
  }
  const date = (iso: string | undefined) => (iso === undefined ? undefined : new Date(iso));
  return {
    status: query.status?.split(',') as PaymentStatus[] | undefined,
    method: query.payment_method?.split(',') as PaymentMethod[] | undefined,
    orderId: query.order_id,
    userId: query.user_id,
    createdFrom: date(query.created_from),
    createdTo: date(query.created_to),
    updatedFrom: date(query.updated_from),
    updatedTo: date(query.updated_to),
    amountMin: query.amount_min,
    amountMax: query.amount_max,
    limit: query.limit,
    cursor: query.cursor,
  };
}

export function operatorActionResponse(action: OperatorAction) {
  return {
    id: action.id.toString(),
    operator: action.operator,
    action: action.action as 'redeliver' | 'reconcile' | 'resolve',
    target: action.target,
    payment_id: action.paymentId,
    note: action.note,
    at: action.at.toISOString(),
  };
}

export function reviewItemResponse(item: ReviewItem) {
  return {
    id: item.id,
    kind: item.kind,
    reason: item.reason,
    since: item.since.toISOString(),
    payment_id: item.paymentId,
    delivery_id: item.deliveryId ?? null,
    event_id: item.eventId ?? null,
    payment: item.payment ? paymentResponseFromRow(item.payment) : null,
  };
}
