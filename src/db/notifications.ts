import type { Database } from './client';

export type NotificationOutcome = 'received' | 'accepted' | 'signal_failed' | 'unknown_payment' | 'payment_closed';

/** A notification whose signature checked out, with the hashes of its bytes and of its meaning. */
export interface VerifiedNotification {
  paymentId: string;
  body: Record<string, unknown>;
  rawBody: string;
  bodySha256: string;
  meaningSha256: string;
}

export type RejectionReason = 'missing_signature' | 'invalid_signature' | 'malformed';

/** What is kept of a refused request: never its body, only enough to see who sends what and how much. */
export interface RejectedNotification {
  reason: RejectionReason;
  bodyBytes: number;
  bodySha256: string;
  sourceAddress: string | null;
  orderId: string | null;
}

export type NotificationClaim = { kind: 'claimed'; id: number } | { kind: 'duplicate' } | { kind: 'unknown_payment' };

const text = (v: unknown) => (typeof v === 'string' ? v : null);

/**
 * A claim older than this that never reached an outcome (the API died between claim and signal) may be taken over by
 * a redelivery. Midtrans redelivers after about 2 minutes; a signal takes milliseconds.
 */
const ABANDONED_CLAIM_SECONDS = 60;

// Hand-written SQL: the webhook is on the hot path (two per payment), and each Prisma model call costs ~1 ms of CPU.

/**
 * Stores a verified notification and decides, atomically, whether it is the one to signal: the first row for its
 * (payment, meaning) is claimed; a later copy is counted on that row and is a duplicate, unless the earlier signal
 * failed or was abandoned, in which case the copy takes the claim over. Concurrent copies meet at the unique index,
 * so exactly one of them is signalled. A flood of copies costs one row and one small update each.
 */
export async function claimNotification(db: Database, n: VerifiedNotification): Promise<NotificationClaim> {
  const [claimed] = await db.$queryRaw<{ id: bigint }[]>`
    insert into webhook_notifications (payment_id, order_id, transaction_id, transaction_status, fraud_status, status_code,
      gross_amount, signature_valid, outcome, raw_body, body_sha256, meaning_sha256, received_at)
    select p.id, ${text(n.body.order_id)}, ${text(n.body.transaction_id)}, ${text(n.body.transaction_status)},
      ${text(n.body.fraud_status)}, ${text(n.body.status_code)}, ${text(n.body.gross_amount)}, true, 'received',
      ${n.rawBody}, ${n.bodySha256}, ${n.meaningSha256}, (now() at time zone 'utc')
    from payments p where p.id = ${n.paymentId}
    on conflict (payment_id, meaning_sha256) do update set outcome = 'received', received_at = excluded.received_at
    where webhook_notifications.outcome = 'signal_failed'
      or (webhook_notifications.outcome = 'received'
        and webhook_notifications.received_at < excluded.received_at - make_interval(secs => ${ABANDONED_CLAIM_SECONDS}))
    returning id`;
  if (claimed) return { kind: 'claimed', id: Number(claimed.id) };
  const [counted] = await db.$queryRaw<{ id: bigint }[]>`
    update webhook_notifications
    set duplicate_count = duplicate_count + 1, last_duplicate_at = (now() at time zone 'utc')
    where payment_id = ${n.paymentId} and meaning_sha256 = ${n.meaningSha256}
    returning id`;
  return counted ? { kind: 'duplicate' } : { kind: 'unknown_payment' };
}

/** A signed notification for an order we do not have (another environment sharing the key, or a deleted payment). */
export async function storeUnknownPaymentNotification(db: Database, n: VerifiedNotification): Promise<void> {
  await db.$executeRaw`
    insert into webhook_notifications (payment_id, order_id, transaction_id, transaction_status, fraud_status, status_code,
      gross_amount, signature_valid, outcome, raw_body, body_sha256, meaning_sha256, received_at)
    values (null, ${text(n.body.order_id)}, ${text(n.body.transaction_id)}, ${text(n.body.transaction_status)},
      ${text(n.body.fraud_status)}, ${text(n.body.status_code)}, ${text(n.body.gross_amount)}, true, 'unknown_payment',
      ${n.rawBody}, ${n.bodySha256}, ${n.meaningSha256}, (now() at time zone 'utc'))`;
}

export async function setNotificationOutcome(db: Database, id: number, outcome: NotificationOutcome): Promise<void> {
  await db.$executeRaw`update webhook_notifications set outcome = ${outcome} where id = ${id}`;
}

export async function storeRejectedNotification(db: Database, r: RejectedNotification): Promise<void> {
  await db.$executeRaw`
    insert into rejected_notifications (reason, body_bytes, body_sha256, source_address, order_id, received_at)
    values (${r.reason}, ${r.bodyBytes}, ${r.bodySha256}, ${r.sourceAddress}, ${r.orderId}, (now() at time zone 'utc'))`;
}

const PURGE_BATCH = 10_000;

/**
 * Deletes refused-notification records older than the retention, in batches so no statement holds locks for long,
 * until none is left or `limit` are deleted. Returns how many were deleted.
 */
export async function purgeRejectedNotifications(db: Database, retentionDays: number, limit = Infinity): Promise<number> {
  let total = 0;
  for (;;) {
    const batch = Math.min(PURGE_BATCH, limit - total);
    const deleted = await db.$executeRaw`
      delete from rejected_notifications where id in (
        select id from rejected_notifications
        where received_at < (now() at time zone 'utc') - make_interval(days => ${retentionDays})
        limit ${batch}::int)`;
    total += deleted;
    if (deleted < batch || total >= limit) return total;
  }
}
