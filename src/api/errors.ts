import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Stable, machine-readable error codes; HTTP statuses are assigned here and nowhere else. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  /** Codec server: a payload under an unknown key id, or altered. */
  PAYLOAD_NOT_DECODABLE: 400,
  UNAUTHORIZED: 401,
  INVALID_SIGNATURE: 401,
  HTTPS_REQUIRED: 403,
  /** Codec server: a browser page whose origin is not in CODEC_ALLOWED_ORIGINS, or a namespace it does not serve. */
  ORIGIN_NOT_ALLOWED: 403,
  NAMESPACE_NOT_SERVED: 403,
  PAYMENT_NOT_FOUND: 404,
  RECONCILIATION_NOT_FOUND: 404,
  /** Operators: no downstream delivery, or no review item, under that id. */
  DELIVERY_NOT_FOUND: 404,
  REVIEW_ITEM_NOT_FOUND: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INVALID_STATE: 409,
  /** A cancel while the charge is still being placed at Midtrans: transient, retry after Retry-After. */
  CHARGE_IN_PROGRESS: 409,
  INVALID_TRANSITION: 409,
  IDEMPOTENCY_CONFLICT: 409,
  /**
   * A cancel or refund whose update failed in an earlier run of the workflow, sent again under its update id (its
   * answer was not kept): not carried out again, final for its key.
   */
  REQUEST_ALREADY_FAILED: 409,
  /** Operators: reconcile asked of a payment whose workflow has closed. */
  PAYMENT_WORKFLOW_CLOSED: 409,
  /** Operators: redeliver asked of a delivery that has not failed (delivered, or still being retried). */
  DELIVERY_NOT_FAILED: 409,
  PAYLOAD_TOO_LARGE: 413,
  /** Webhook: a payment's budget of new notifications for the hour is spent (WEBHOOK_NEW_NOTIFICATIONS_PER_PAYMENT_PER_HOUR). */
  TOO_MANY_NOTIFICATIONS: 429,
  UNSUPPORTED_MEDIA_TYPE: 415,
  REFUND_EXCEEDS_REMAINING: 422,
  NOT_REFUNDABLE: 422,
  PARTIAL_REFUND_NOT_SUPPORTED: 422,
  INVALID_AMOUNT: 422,
  AMOUNT_MISMATCH: 422,
  MIDTRANS_REFUND_REJECTED: 422,
  /**
   * A cancel or refund Midtrans did not take for a reason that is not the order's (it refused our server key, or a
   * proxy in front of it answered): final for its Idempotency-Key.
   */
  MIDTRANS_UNAVAILABLE: 502,
  SERVICE_UNAVAILABLE: 503,
  /** The workflow has not finished the cancel or refund by UPDATE_WAIT_MS; it still will. Retry with the same key. */
  UPDATE_PENDING: 504,
  INTERNAL_ERROR: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

/** Refusals that pass on their own: answered with Retry-After, and never kept as an Idempotency-Key's final answer. */
export const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = { CHARGE_IN_PROGRESS: 5 };

/** Retry-After of a dependency outage's 503 (PostgreSQL or Temporal unreachable). */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && code in ERROR_STATUS;
}

/** The one error envelope: {"error": {"code", "message", "details"}}. */
export function errorBody(error: ApiError) {
  return { error: { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) } };
}

export function errorResponse(c: Context, error: ApiError) {
  if (error.retryAfterSeconds) c.header('Retry-After', String(error.retryAfterSeconds));
  return c.json(errorBody(error), error.status);
}
