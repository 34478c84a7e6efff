import type { Database } from './client';

/**
 * Claims an Idempotency-Key for a new payment id, or returns who already holds it. The primary key makes the
 * claim atomic: two concurrent requests with one key get the same payment id.
 */
export async function claimIdempotencyKey(
  db: Database,
  key: string,
  requestHash: string,
  candidatePaymentId: string,
): Promise<{ paymentId: string; requestHash: string }> {
  type Holder = { paymentId: string; requestHash: string };
  // One statement: our insert, or the existing holder. The select runs on the statement's snapshot, so it misses a
  // holder that committed while we waited on its row lock; the second read below then finds it.
  const [claimed] = await db.$queryRaw<Holder[]>`
    with inserted as (
      insert into idempotency_keys (key, request_hash, payment_id) values (${key}, ${requestHash}, ${candidatePaymentId})
      on conflict (key) do nothing
      returning payment_id, request_hash)
    select payment_id as "paymentId", request_hash as "requestHash" from inserted
    union all
    select payment_id, request_hash from idempotency_keys where key = ${key}
    limit 1`;
  if (claimed) return claimed;
  const [holder] = await db.$queryRaw<Holder[]>`
    select payment_id as "paymentId", request_hash as "requestHash" from idempotency_keys where key = ${key}`;
  if (!holder) throw new Error(`idempotency key ${key} neither inserted nor found`);
  return holder;
}
