import { z } from 'zod';
import type { CoreChargeBody, SnapTransactionBody } from '../domain';

/** Midtrans's public hosts (docs/midtrans.md §1); an environment override is the caller's business. */
export function midtransBaseUrls(isProduction: boolean): { apiBaseUrl: string; snapBaseUrl: string } {
  return isProduction
    ? { apiBaseUrl: 'https://api.midtrans.com', snapBaseUrl: 'https://app.midtrans.com/snap/v1' }
    : { apiBaseUrl: 'https://api.sandbox.midtrans.com', snapBaseUrl: 'https://app.sandbox.midtrans.com/snap/v1' };
}

export interface MidtransErrorDetails {
  /** The body's status_code ("406"), or NETWORK, TIMEOUT, INVALID_RESPONSE, HTTP_<n> when the body has none. */
  code: string;
  httpStatus?: number;
  /** Trying again later may succeed: network trouble, timeouts, 5xx, 429, an unreadable answer to a POST. */
  retryable: boolean;
  /** The request may have been applied even though we got no good answer: ask Midtrans before repeating it. */
  outcomeUnknown: boolean;
  body?: unknown;
}

export class MidtransError extends Error {
  override readonly name = 'MidtransError';
  readonly code: string;
  readonly httpStatus?: number;
  readonly retryable: boolean;
  readonly outcomeUnknown: boolean;
  readonly body?: unknown;

  constructor(message: string, details: MidtransErrorDetails) {
    super(message);
    this.code = details.code;
    this.httpStatus = details.httpStatus;
    this.retryable = details.retryable;
    this.outcomeUnknown = details.outcomeUnknown;
    this.body = details.body;
  }
}

// Lenient schemas: Midtrans adds fields without notice, so unknown fields pass through and only what we read is
// checked. Amounts are two-decimal strings at Midtrans; a number is tolerated and left for the domain to judge.
const statusCode = z.union([z.string(), z.number()]).transform(String);
const amountText = z.union([z.string(), z.number()]).transform(String);

const transactionResponseSchema = z.looseObject({
  status_code: statusCode,
  status_message: z.string().optional(),
  transaction_id: z.string().optional(),
  order_id: z.string().optional(),
  gross_amount: amountText.optional(),
  payment_type: z.string().optional(),
  transaction_status: z.string().optional(),
  fraud_status: z.string().optional(),
});

const refundResponseSchema = z.looseObject({
  ...transactionResponseSchema.shape,
  /** Cumulative amount refunded on the transaction so far. */
  refund_amount: amountText.optional(),
  refund_key: z.string().optional(),
  refund_chargeback_id: z.union([z.number(), z.string()]).optional(),
});

const snapResponseSchema = z.looseObject({
  token: z.string().min(1),
  redirect_url: z.string().min(1),
});

export type MidtransTransactionResponse = z.infer<typeof transactionResponseSchema>;
export type MidtransRefundResponse = z.infer<typeof refundResponseSchema>;
export type MidtransSnapResponse = z.infer<typeof snapResponseSchema>;

export interface MidtransRefundRequest {
  /** Same key = same refund: Midtrans applies a retried request once (for 7 days). */
  refund_key: string;
  /** Integer IDR; absent = the whole remaining amount. */
  amount?: number;
  reason?: string;
}

export interface MidtransClientOptions {
  serverKey: string;
  apiBaseUrl: string;
  snapBaseUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Body status codes that are answers, not failures. 202 = deny/cancel/expire, still a valid transaction state. */
const ANSWERS = [200, 201, 202];
/** GET status of an expired transaction and POST expire answer 407 (the official client exempts it too). */
const ANSWERS_WITH_EXPIRED = [...ANSWERS, 407];

/** Connection errors that prove the request never reached Midtrans. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

export type MidtransClient = ReturnType<typeof createMidtransClient>;

/**
 * A small typed Midtrans client over fetch. Every answer is judged by the body's `status_code` first (Midtrans
 * reports failures with HTTP 200), then by the HTTP status, and validated before it is returned.
 */
export function createMidtransClient(opts: MidtransClientOptions) {
  const fetchImpl = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const apiBase = opts.apiBaseUrl.replace(/\/+$/, '');
  const snapBase = opts.snapBaseUrl.replace(/\/+$/, '');
  const headers = {
    Authorization: `Basic ${Buffer.from(`${opts.serverKey}:`).toString('base64')}`,
    'Content-Type': 'application/json',
    Accept: 'application/json',
  };
  const transaction = (id: string, action: string) => `${apiBase}/v2/${encodeURIComponent(id)}/${action}`;

  async function call<T>(
    operation: string,
    url: string,
    init: { method: 'GET' | 'POST'; body?: unknown },
    schema: z.ZodType<T>,
    answers: readonly number[],
  ): Promise<T> {
    // A POST that may have reached Midtrans may also have been applied there.
    const mutating = init.method === 'POST';
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(url, {
        method: init.method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw transportError(operation, error, mutating);
    }

    const body = parseJson(text);
    const bodyCode = bodyStatusCode(body);
    const answered = bodyCode !== undefined ? answers.includes(bodyCode) : response.ok;
    if (!answered) {
      const numeric = bodyCode ?? response.status;
      throw new MidtransError(`Midtrans ${operation} failed (${numeric}): ${midtransMessage(body, response)}`, {
        code: bodyCode !== undefined ? String(bodyCode) : `HTTP_${response.status}`,
        httpStatus: response.status,
        retryable: numeric === 429 || numeric >= 500,
        outcomeUnknown: mutating && numeric >= 500,
        body: body ?? text,
      });
    }

    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      // Midtrans said yes in a shape we cannot read. A change may have been applied, so a POST is retried (charge
      // looks first, refund_key makes a refund once); asking the same question again gets the same unreadable answer.
      throw new MidtransError(`Midtrans ${operation} answered an unexpected body: ${parsed.error.message}`, {
        code: 'INVALID_RESPONSE',
        httpStatus: response.status,
        retryable: mutating,
        outcomeUnknown: mutating,
        body: body ?? text,
      });
    }
    return parsed.data;
  }

  return {
    /** Core API charge. Code 406 = the order_id was already charged. */
    charge: (body: CoreChargeBody) =>
      call('charge', `${apiBase}/v2/charge`, { method: 'POST', body }, transactionResponseSchema, ANSWERS),
    /** Snap checkout page for methods only Snap offers (DANA, card without a token). */
    createSnapTransaction: (body: SnapTransactionBody) =>
      call('snap transaction', `${snapBase}/transactions`, { method: 'POST', body }, snapResponseSchema, ANSWERS),
    /** `id` is the order_id or transaction_id. Code 404 = unknown (a Snap order before a method is chosen). */
    getStatus: (id: string) =>
      call('status', transaction(id, 'status'), { method: 'GET' }, transactionResponseSchema, ANSWERS_WITH_EXPIRED),
    /** Code 412 = the transaction can no longer be canceled (e.g. settled). */
    cancel: (id: string) =>
      call('cancel', transaction(id, 'cancel'), { method: 'POST' }, transactionResponseSchema, ANSWERS),
    /** Pending transactions only; Midtrans answers 407 on success. */
    expire: (id: string) =>
      call('expire', transaction(id, 'expire'), { method: 'POST' }, transactionResponseSchema, ANSWERS_WITH_EXPIRED),
    refund: (id: string, request: MidtransRefundRequest) =>
      call('refund', transaction(id, 'refund'), { method: 'POST', body: request }, refundResponseSchema, ANSWERS),
  };
}

function transportError(operation: string, error: unknown, mutating: boolean): MidtransError {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new MidtransError(`Midtrans ${operation} timed out`, { code: 'TIMEOUT', retryable: true, outcomeUnknown: mutating });
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const neverSent = typeof cause?.code === 'string' && NOT_SENT.has(cause.code);
  const reason = error instanceof Error ? `${error.message}${cause?.code ? ` (${String(cause.code)})` : ''}` : String(error);
  return new MidtransError(`Midtrans ${operation} network error: ${reason}`, {
    code: 'NETWORK',
    retryable: true,
    outcomeUnknown: mutating && !neverSent,
  });
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function bodyStatusCode(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null || !('status_code' in body)) return undefined;
  const code = Number(body.status_code);
  return Number.isInteger(code) && code > 0 ? code : undefined;
}

/** Midtrans explains itself in status_message (Core API), validation_messages or error_messages (Snap). */
function midtransMessage(body: unknown, response: Response): string {
  if (typeof body === 'object' && body !== null) {
    const { status_message, validation_messages, error_messages } = body as Record<string, unknown>;
    const texts = (v: unknown) => (Array.isArray(v) ? v.filter((m): m is string => typeof m === 'string') : []);
    const parts = [
      ...(typeof status_message === 'string' && status_message ? [status_message] : []),
      ...texts(validation_messages),
      ...texts(error_messages),
    ];
    if (parts.length > 0) return parts.join('; ');
  }
  return `HTTP ${response.status} ${response.statusText}`.trim();
}
