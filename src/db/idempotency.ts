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
  await db.$executeRaw`insert into idempotency_keys (key, request_hash, payment_id) values (${key}, ${requestHash}, ${candidatePaymentId}) on conflict (key) do nothing`;
  const held = await db.idempotencyKey.findUniqueOrThrow({ where: { key } });
  return { paymentId: held.paymentId, requestHash: held.requestHash };
}
