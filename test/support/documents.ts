import type { PaymentStatus } from '../../src/domain';

// Oracles written from the documents (the seed, the README, Midtrans's reference sheet), never from src: tests
// compare our code with these, so a change the documents do not make fails.

/**
 * The allowed status changes as the documents state them, one edge per row with where it is written. The oracle is
 * the documents, not src/domain/payment-status.ts: a change to the table that the documents do not make fails here.
 *
 * SEED = /work/shared/seed/000_1273bbabdf5f69a5.txt, "## Payment Status Flow" (the original service's diagram):
 *   PENDING → PROCESSING → SUCCESS            PENDING → EXPIRED
 *                      ↘ FAILED ↗ (PENDING)          ↘ CANCELED ↗ (drawn from the SUCCESS line)
 *   SUCCESS → REFUNDED
 * README = README.md, "### The payment workflow": the "Statuses:" sentence, and step 6 ("cancel(reason) is allowed
 * in pending and processing").
 */
export type Source = 'SEED' | 'README';
export const DOCUMENTED_EDGES: readonly { from: PaymentStatus; to: PaymentStatus; sources: Source[] }[] = [
  { from: 'pending', to: 'processing', sources: ['SEED', 'README'] }, // SEED line 1; README "pending → processing"
  { from: 'pending', to: 'success', sources: ['README'] }, // README "pending → … success" (a VA settles with no capture)
  { from: 'pending', to: 'failed', sources: ['SEED', 'README'] }, // SEED "↗ FAILED" from the PENDING line
  { from: 'pending', to: 'expired', sources: ['SEED', 'README'] }, // SEED "PENDING → EXPIRED"
  { from: 'pending', to: 'canceled', sources: ['SEED', 'README'] }, // SEED "↘ CANCELED" from PENDING
  { from: 'processing', to: 'success', sources: ['SEED', 'README'] }, // SEED "PROCESSING → SUCCESS"
  { from: 'processing', to: 'failed', sources: ['SEED', 'README'] }, // SEED "↘ FAILED" from PROCESSING
  { from: 'processing', to: 'canceled', sources: ['README'] }, // README "processing → … canceled"; step 6 cancel
  { from: 'success', to: 'refunded', sources: ['SEED', 'README'] }, // SEED "SUCCESS → REFUNDED"
  { from: 'success', to: 'partially_refunded', sources: ['README'] }, // README: partial refunds (seed has one amount)
  { from: 'partially_refunded', to: 'partially_refunded', sources: ['README'] }, // README: each further partial refund
  { from: 'partially_refunded', to: 'refunded', sources: ['README'] }, // README "partially_refunded → … refunded"
];

/**
 * The seed's diagram also draws an arrow from the SUCCESS line up into CANCELED. The README resolves it the other
 * way: only pending and processing can be canceled (step 6), a paid payment is refunded instead. Kept here so the
 * disagreement stays visible; the README, the later and more precise document, wins.
 */
export const SEED_EDGES_THE_README_OVERRULES = [{ from: 'success', to: 'canceled' }] as const;

/**
 * What Midtrans documents, written from /work/shared/reference/midtrans.md §6 "Statuses and handling", not from our
 * switch. `midtrans` is the meaning Midtrans gives the status (the official client's example mapping);
 * `expected` is that meaning in our vocabulary (README "Statuses"), refined only where our status names are finer
 * than Midtrans's word: Midtrans says "failed" for cancel/expire/failure, and we have canceled and expired; it says
 * "refunded" for partial_refund, and we have partially_refunded.
 */
export type MidtransMeaning = 'paid' | 'needs review' | 'awaiting payment' | 'failed attempt' | 'failed' | 'refunded' | 'disputed';
export const DOCUMENTED_MIDTRANS_MEANINGS: readonly {
  transactionStatus: string;
  fraudStatus?: string;
  midtrans: MidtransMeaning;
  expected: PaymentStatus;
}[] = [
  // "capture+accept or settlement = paid"
  { transactionStatus: 'capture', fraudStatus: 'accept', midtrans: 'paid', expected: 'success' },
  { transactionStatus: 'settlement', fraudStatus: 'accept', midtrans: 'paid', expected: 'success' },
  { transactionStatus: 'settlement', midtrans: 'paid', expected: 'success' },
  // "capture+challenge = needs review": money not ours yet, the merchant approves or denies (§4 approve/deny)
  { transactionStatus: 'capture', fraudStatus: 'challenge', midtrans: 'needs review', expected: 'processing' },
  // "pending = awaiting payment"
  { transactionStatus: 'pending', midtrans: 'awaiting payment', expected: 'pending' },
  { transactionStatus: 'pending', fraudStatus: 'accept', midtrans: 'awaiting payment', expected: 'pending' },
  // "authorize → capture | deny | cancel | expire": a pre-authorisation still waiting for its capture
  { transactionStatus: 'authorize', fraudStatus: 'accept', midtrans: 'awaiting payment', expected: 'processing' },
  // "deny = failed attempt"; "fraud_status: accept | challenge | deny" (a capture the fraud check denied)
  { transactionStatus: 'deny', fraudStatus: 'accept', midtrans: 'failed attempt', expected: 'failed' },
  { transactionStatus: 'deny', fraudStatus: 'deny', midtrans: 'failed attempt', expected: 'failed' },
  { transactionStatus: 'capture', fraudStatus: 'deny', midtrans: 'failed attempt', expected: 'failed' },
  // "cancel/expire/failure = failed"
  { transactionStatus: 'failure', midtrans: 'failed', expected: 'failed' },
  { transactionStatus: 'cancel', fraudStatus: 'accept', midtrans: 'failed', expected: 'canceled' },
  { transactionStatus: 'expire', fraudStatus: 'accept', midtrans: 'failed', expected: 'expired' },
  // "refund/partial_refund = refunded"
  { transactionStatus: 'refund', fraudStatus: 'accept', midtrans: 'refunded', expected: 'refunded' },
  { transactionStatus: 'partial_refund', fraudStatus: 'accept', midtrans: 'refunded', expected: 'partially_refunded' },
];

/**
 * "chargeback = disputed". We have no disputed status; the README decides that a chargeback "counts as money
 * leaving: refunded / partially_refunded". This is where our mapping departs from Midtrans's documentation (for
 * the lead to confirm or change); the rows pin the README's decision, and the departure is named in
 * docs/testing.md.
 */
export const DEPARTS_FROM_MIDTRANS: typeof DOCUMENTED_MIDTRANS_MEANINGS = [
  { transactionStatus: 'chargeback', fraudStatus: 'accept', midtrans: 'disputed', expected: 'refunded' },
  { transactionStatus: 'partial_chargeback', fraudStatus: 'accept', midtrans: 'disputed', expected: 'partially_refunded' },
];

/** Every transaction_status §6 names (its transitions and its mapping together). */
export const DOCUMENTED_TRANSACTION_STATUSES = [
  'pending',
  'settlement',
  'expire',
  'cancel',
  'deny',
  'capture',
  'refund',
  'partial_refund',
  'chargeback',
  'partial_chargeback',
  'authorize',
  'failure',
];

/** Whether the documents allow `from → to`. */
export function documentedEdgeAllows(from: PaymentStatus, to: PaymentStatus): boolean {
  return DOCUMENTED_EDGES.some((edge) => edge.from === from && edge.to === to);
}

/**
 * Error code → HTTP status, as the documents give it. README = README.md "### The API" (the table and the error
 * paragraph) and "Security and operations"; SECURITY = docs/security.md; RFC 9110 = a code the README does not
 * name, whose status follows from the HTTP meaning (listed in docs/testing.md as undocumented).
 */
export const DOCUMENTED_ERROR_STATUS: Readonly<Record<string, { status: number; source: string }>> = {
  MALFORMED_JSON: { status: 400, source: 'README: "malformed JSON is a 400"' },
  VALIDATION_FAILED: { status: 400, source: 'RFC 9110 §15.5.1 (README: "100000.5 is rejected", status not given)' },
  INVALID_SIGNATURE: { status: 401, source: 'README webhook: "A bad or missing signature is a 401"' },
  UNAUTHORIZED: { status: 401, source: 'RFC 9110 §15.5.2 (README: "The API key is required", status not given)' },
  HTTPS_REQUIRED: { status: 403, source: 'README: "rejects plain HTTP with 403 HTTPS_REQUIRED"' },
  NOT_FOUND: { status: 404, source: 'README: "an unknown route a 404"' },
  PAYMENT_NOT_FOUND: { status: 404, source: 'README: "a payment answered with 202 is never a 404"; "An unknown order is a 404"' },
  RECONCILIATION_NOT_FOUND: { status: 404, source: 'docs/api.md: "404 RECONCILIATION_NOT_FOUND"' },
  METHOD_NOT_ALLOWED: { status: 405, source: 'README: "a method it does not take a 405 with an Allow header"' },
  INVALID_STATE: { status: 409, source: 'README API table: cancel/refund "409 INVALID_STATE"' },
  IDEMPOTENCY_CONFLICT: { status: 409, source: 'README API table: "409 IDEMPOTENCY_CONFLICT"' },
  INVALID_TRANSITION: { status: 409, source: 'RFC 9110 §15.5.10 conflict with the current state (not in README)' },
  PAYLOAD_TOO_LARGE: { status: 413, source: 'README: "a body over the limit a 413"' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, source: 'RFC 9110 §15.5.16 (not in README)' },
  REFUND_EXCEEDS_REMAINING: { status: 422, source: 'README API table: "422 REFUND_EXCEEDS_REMAINING"' },
  NOT_REFUNDABLE: { status: 422, source: 'README: "a VA payment answers 422 NOT_REFUNDABLE"' },
  PARTIAL_REFUND_NOT_SUPPORTED: { status: 422, source: 'README API table: "422 … PARTIAL_REFUND_NOT_SUPPORTED"' },
  INVALID_AMOUNT: { status: 422, source: 'RFC 9110 §15.5.21 like the README refund amount errors (not in README)' },
  AMOUNT_MISMATCH: { status: 422, source: 'RFC 9110 §15.5.21 like the README refund amount errors (not in README)' },
  MIDTRANS_REFUND_REJECTED: { status: 422, source: 'RFC 9110 §15.5.21 like the README refund errors (not in README)' },
  MIDTRANS_UNAVAILABLE: { status: 502, source: 'docs/api.md: "502 MIDTRANS_UNAVAILABLE" (RFC 9110 §15.6.3, an invalid answer from upstream)' },
  INTERNAL_ERROR: { status: 500, source: 'RFC 9110 §15.6.1; docs/reliability.md "500 INTERNAL_ERROR"' },
  SERVICE_UNAVAILABLE: { status: 503, source: 'README: "a dependency outage is a 503 with Retry-After"' },
  UPDATE_PENDING: { status: 504, source: 'docs/security.md row 6: "a 504 UPDATE_PENDING"' },
};

/** The HTTP status the documents give an error code; undefined for a code no document names. */
export const documentedErrorStatus = (code: unknown): number | undefined =>
  typeof code === 'string' && Object.hasOwn(DOCUMENTED_ERROR_STATUS, code) ? DOCUMENTED_ERROR_STATUS[code]!.status : undefined;
