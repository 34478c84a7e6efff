import { createHash, randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import type { Database } from '../db/client';
import { DOWNSTREAM_DELIVERY_DAYS } from '../domain';
import { claimIdempotencyKey, purgeExpiredIdempotencyKeys, storeIdempotentAnswer, type StoredAnswer } from '../db/idempotency';
import { ApiError } from './errors';
import type { ApiEnv } from './middleware/request-context';
import { idempotencyKeyHeader } from './schemas';
import { parseWith } from './validation';

export type IdempotentEndpoint = 'POST /payments' | 'POST /payments/{payment_id}/cancel' | 'POST /payments/{payment_id}/refund';

/** A request's Idempotency-Key, claimed for it. */
export interface ClaimedKey {
  caller: string;
  key: string;
  /** For a create, the payment the key is bound to (an earlier request's, on a retry). */
  paymentId: string;
  /** The answer the first request with this key got; null while it has none yet. */
  answer: StoredAnswer | null;
  /** The workflow update this key stands for: a retried request sends the same one, and Temporal applies it once. */
  updateId: string;
}

/** Expired keys are deleted at most this often, by the claim that finds the last purge older than this. */
const PURGE_EVERY_MS = 60_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

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
  return sha256(JSON.stringify(canonical(value)));
}

/**
 * Idempotency-Keys per caller (the API key's fingerprint), kept `ttlHours`: the same key and body get the first
 * request's answer again; the same key on another body, endpoint or payment is 409 IDEMPOTENCY_CONFLICT.
 */
export function idempotencyKeys(db: Database, ttlHours: number, { refundWindowDays }: { refundWindowDays: number }) {
  // A cancel's or refund's row outlives its expiry until the payment's workflow, which still answers the claim's update
  // id, has closed: a refund is made only for a paid payment, whose refund window ends at most refundWindowDays later,
  // and its workflow once the deliveries it waits for have settled.
  const cancelOrRefundKeptForHours = (refundWindowDays + DOWNSTREAM_DELIVERY_DAYS + 1) * 24;
  let lastPurgeAt = 0;

  /** Off the request's path: a claim never waits for the purge, and a failed purge is retried by a later claim. */
  function purgeNowAndThen(c: Context<ApiEnv>) {
    if (Date.now() - lastPurgeAt < PURGE_EVERY_MS) return;
    lastPurgeAt = Date.now();
    purgeExpiredIdempotencyKeys(db).then(
      (purged) => {
        if (purged > 0) c.get('log').info({ purged }, 'expired idempotency keys purged');
      },
      (error: unknown) => c.get('log').warn({ err: error }, 'purging expired idempotency keys failed'),
    );
  }

  return {
    /**
     * Claims the request's Idempotency-Key, if it has one. A create's payment id is derived from (caller, key, body), so
     * a retry names the same payment, and so the same workflow, even when PostgreSQL has lost the key (a restore from
     * an older backup): Temporal's workflow id then keeps the charge single. `paymentId` is the payment a cancel or
     * refund is for.
     */
    async claim(
      c: Context<ApiEnv>,
      endpoint: IdempotentEndpoint,
      paymentId: string | undefined,
      body: unknown,
    ): Promise<ClaimedKey | undefined> {
      const header = c.req.header('idempotency-key');
      if (header === undefined) return undefined;
      const key = parseWith(idempotencyKeyHeader, header);
      const caller = c.get('caller');
      const hash = requestHash(body);
      paymentId ??= `pay-${sha256(`payment\n${caller}\n${key}\n${hash}`).slice(0, 32)}`;
      // A first claim's update id is (caller, key), as API instances from before update_id derive it, so that a retry
      // reaching one of those during a rolling deploy names the same update. A key claimed again past its TTL gets a
      // fresh id: the earlier claim's update is still answered by Temporal as long as the workflow runs. Stored with
      // the claim, so every retry sends it. Hashed: the caller's fingerprint and the client's key stay out of the
      // workflow's history.
      const firstClaimUpdateId = `idempotency-${sha256(`${caller}\n${key}`).slice(0, 32)}`;
      const reclaimUpdateId = `idempotency-${sha256(`${caller}\n${key}\n${randomUUID()}`).slice(0, 32)}`;
      purgeNowAndThen(c);
      const holder = await claimIdempotencyKey(db, {
        caller,
        key,
        endpoint,
        paymentId,
        requestHash: hash,
        updateIds: { firstClaim: firstClaimUpdateId, reclaim: reclaimUpdateId },
        ttlHours,
        keptForHours: endpoint === 'POST /payments' ? ttlHours : cancelOrRefundKeptForHours,
      });
      const samePayment = endpoint === 'POST /payments' || holder.paymentId === paymentId;
      if (holder.endpoint !== endpoint || !samePayment || holder.requestHash !== hash) {
        throw new ApiError(
          'IDEMPOTENCY_CONFLICT',
          'this Idempotency-Key was already used with a different request (body, endpoint or payment)',
        );
      }
      // A claim stored before update_id (or by an older instance) is a first claim's.
      const updateId = holder.updateId ?? firstClaimUpdateId;
      return { caller, key, paymentId: holder.paymentId, answer: holder.answer, updateId };
    },

    /**
     * Keeps the workflow's answer for the key's retries, a 5xx failure of its update included (MIDTRANS_UNAVAILABLE, or
     * INTERNAL_ERROR when Midtrans answered about another order): that update has ended, and sending it again would
     * run it again in a later run of the workflow, where Temporal no longer knows its id. Answers that may change on
     * a retry (an outage's 503, a 504) never reach here.
     */
    async store(claimed: ClaimedKey, answer: StoredAnswer): Promise<void> {
      await storeIdempotentAnswer(db, claimed, answer);
    },
  };
}
