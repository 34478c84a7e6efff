import { Prisma } from '../generated/prisma/client';
import type { Database } from './client';

/** The clock idempotency keys are stored in: UTC, like every timestamp the read model writes. */
const NOW_UTC = Prisma.sql`(now() at time zone 'utc')`;

/** Rows stored before keys were per caller; honoured for the same key and body until they expire. */
const LEGACY_CALLER = '';

/** A request that carries an Idempotency-Key. */
export interface IdempotentRequest {
  /** Fingerprint of the API key that sent it. */
  caller: string;
  key: string;
  /** "POST /payments", "POST /payments/{payment_id}/refund", … */
  endpoint: string;
  /** For a create: the id a new payment would get; otherwise the payment the request is about. */
  paymentId: string;
  requestHash: string;
  /** The workflow update the claim stands for: a key's first claim, or a claim of a key past its TTL. */
  updateIds: { firstClaim: string; reclaim: string };
  ttlHours: number;
  /** How long the row is kept from the claim (purge_after), at least `ttlHours`: longer for a cancel or refund. */
  keptForHours?: number;
}

export interface StoredAnswer {
  status: number;
  body: unknown;
}

/** The request that holds a key: ours when we claimed it, or an earlier one. */
export interface IdempotencyHolder {
  endpoint: string;
  paymentId: string;
  requestHash: string;
  /** Null while the first request is in flight, or its workflow update is still pending. */
  answer: StoredAnswer | null;
  /** Null for a claim stored before update ids were. */
  updateId: string | null;
}

type HolderRow = { endpoint: string; paymentId: string; requestHash: string; updateId: string | null; status: number | null; body: unknown };
const holderOf = ({ status, body, ...held }: HolderRow): IdempotencyHolder => ({
  ...held,
  answer: status === null ? null : { status, body },
});

/**
 * Claims the caller's Idempotency-Key for a request, or returns the request that already holds it. The primary key
 * (caller, key) makes the claim atomic: concurrent requests with one key see one holder. An expired key is taken over
 * as if it were absent, so the TTL holds exactly, however far the purge has got. A create whose key and body match a
 * row from before keys were per caller gets that row's payment, so a retry across the deploy never charges twice.
 */
export async function claimIdempotencyKey(db: Database, request: IdempotentRequest): Promise<IdempotencyHolder> {
  const { caller, key, endpoint, paymentId, requestHash, updateIds, ttlHours } = request;
  const keptForHours = Math.max(ttlHours, request.keptForHours ?? ttlHours);
  const columns = Prisma.sql`endpoint, payment_id as "paymentId", request_hash as "requestHash", update_id as "updateId", response_status as status, response_body as body`;
  // One statement: our insert, or the existing holder. The select runs on the statement's snapshot, so it misses a
  // holder that committed while we waited on its row lock; the second read below then finds it.
  const [claimed] = await db.$queryRaw<HolderRow[]>`
    with inserted as (
      insert into idempotency_keys (caller, key, endpoint, request_hash, update_id, payment_id, created_at, expires_at, purge_after)
      values (${caller}, ${key}, ${endpoint}, ${requestHash}, ${updateIds.firstClaim},
        coalesce((select payment_id from idempotency_keys where caller = ${LEGACY_CALLER} and key = ${key}
          and endpoint = ${endpoint} and request_hash = ${requestHash} and expires_at > ${NOW_UTC}), ${paymentId}),
        ${NOW_UTC}, ${NOW_UTC} + make_interval(hours => ${ttlHours}::int), ${NOW_UTC} + make_interval(hours => ${keptForHours}::int))
      on conflict (caller, key) do update set endpoint = excluded.endpoint, request_hash = excluded.request_hash,
        update_id = ${updateIds.reclaim}, payment_id = excluded.payment_id, response_status = null, response_body = null, created_at = excluded.created_at,
        expires_at = excluded.expires_at, purge_after = greatest(idempotency_keys.purge_after, excluded.purge_after)
        where idempotency_keys.expires_at <= ${NOW_UTC}
      returning ${columns})
    select * from inserted
    union all
    -- Not an expired row: one that a concurrent claim took over while we waited is read again below, as it is now.
    select ${columns} from idempotency_keys where caller = ${caller} and key = ${key} and expires_at > ${NOW_UTC}
    limit 1`;
  if (claimed) return holderOf(claimed);
  const [holder] = await db.$queryRaw<HolderRow[]>`select ${columns} from idempotency_keys where caller = ${caller} and key = ${key}`;
  if (!holder) throw new Error('idempotency key neither inserted nor found');
  return holderOf(holder);
}

/**
 * Stores the answer a retry with this key gets again; the first answer stored wins. Only on the claim the answer is
 * for (its update id; a claim from before update_id has none): a key claimed again past its TTL holds another request.
 */
export async function storeIdempotentAnswer(
  db: Database,
  claim: { caller: string; key: string; updateId: string },
  answer: StoredAnswer,
): Promise<void> {
  await db.$executeRaw`
    update idempotency_keys set response_status = ${answer.status}::int, response_body = ${JSON.stringify(answer.body)}::jsonb
    where caller = ${claim.caller} and key = ${claim.key} and response_status is null
      and (update_id = ${claim.updateId} or update_id is null)`;
}

/** Deletes up to `limit` keys past their purge_after (the oldest first); returns how many. */
export async function purgeExpiredIdempotencyKeys(db: Database, limit = 10_000): Promise<number> {
  return db.$executeRaw`
    delete from idempotency_keys where (caller, key) in (
      select caller, key from idempotency_keys where purge_after <= ${NOW_UTC} order by purge_after limit ${limit}::int)`;
}
