import { Prisma } from '../generated/prisma/client';
import type { Database } from './client';

/** received: stored, its signal still to be sent (src/api/notification-forwarder.ts). */
export type NotificationOutcome = 'received' | 'accepted' | 'unknown_payment' | 'payment_closed';

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

export type NotificationClaim =
  | { kind: 'claimed'; id: number }
  | { kind: 'duplicate' }
  | { kind: 'unknown_payment' }
  | { kind: 'over_budget' };

const text = (v: unknown) => (typeof v === 'string' ? v : null);

/**
 * How long the API process that stored a notification has to signal it before a sweep (of any API process) takes it
 * over. A signal takes milliseconds; the lease only matters when the process died or Temporal is unreachable.
 */
const FORWARD_LEASE_SECONDS = 30;

// Hand-written SQL: the webhook is on the hot path (two per payment), and each Prisma model call costs ~1 ms of CPU.

/**
 * Stores a verified notification and decides, atomically, whether it is new: the first row for its (payment,
 * meaning) is claimed, to be signalled; a later copy is only counted on that row (a duplicate). Concurrent copies
 * meet at the unique index, so exactly one of them is claimed. A flood of copies costs one row and one small update
 * each. The claim is leased to this process for FORWARD_LEASE_SECONDS. A payment is known from its checkout on:
 * Midtrans notifies right after it answers the charge, and the payment's row is first written with that answer, so a
 * notification may arrive while only the checkout exists (the write that creates the row deletes it, atomically).
 * A new meaning past `newPerHour` rows stored for the payment in the last hour is over budget: not stored, unless its
 * signed part (status code and amount) is one the payment has never stored: a flood of edits of one signed body can
 * then never keep out the next status Midtrans signs (a settlement after a pending), and each body signed once can add
 * at most three such rows per API process (its status code is at most three characters, so the signed text splits
 * three ways; processes do not see each other's uncommitted rows). The count sees committed rows only: the caller
 * counts its own claims in flight for the payment in `newPerHour`, and passes `newSignedPartPasses` false while it
 * has a claim of the same signed part in flight (docs/api.md).
 */
export async function claimNotification(
  db: Database,
  n: VerifiedNotification,
  newPerHour: number,
  { newSignedPartPasses = true }: { newSignedPartPasses?: boolean } = {},
): Promise<NotificationClaim> {
  const [claimed] = await db.$queryRaw<{ id: bigint }[]>`
    insert into webhook_notifications (payment_id, order_id, transaction_id, transaction_status, fraud_status, status_code,
      gross_amount, signature_valid, outcome, raw_body, body_sha256, meaning_sha256, received_at, forward_after)
    select ${n.paymentId}, ${text(n.body.order_id)}, ${text(n.body.transaction_id)}, ${text(n.body.transaction_status)},
      ${text(n.body.fraud_status)}, ${text(n.body.status_code)}, ${text(n.body.gross_amount)}, true, 'received',
      ${n.rawBody}, ${n.bodySha256}, ${n.meaningSha256}, (now() at time zone 'utc'),
      (now() at time zone 'utc') + make_interval(secs => ${FORWARD_LEASE_SECONDS})
    where ${paymentIsKnown(n.paymentId)} and (${notificationsOfLastHour(n.paymentId)} < ${newPerHour}
      or ${newSignedPartPasses} and not exists (select 1 from webhook_notifications where payment_id = ${n.paymentId}
        and status_code is not distinct from ${text(n.body.status_code)} and gross_amount is not distinct from ${text(n.body.gross_amount)}))
    on conflict (payment_id, meaning_sha256) do nothing
    returning id`;
  if (claimed) return { kind: 'claimed', id: Number(claimed.id) };
  const [counted] = await db.$queryRaw<{ id: bigint }[]>`
    update webhook_notifications
    set duplicate_count = duplicate_count + 1, last_duplicate_at = (now() at time zone 'utc')
    where payment_id = ${n.paymentId} and meaning_sha256 = ${n.meaningSha256}
    returning id`;
  if (counted) return { kind: 'duplicate' };
  // Neither stored nor a copy: a payment we do not know, or a known one whose budget is spent.
  const [spent] = await db.$queryRaw<{ spent: boolean }[]>`
    select ${paymentIsKnown(n.paymentId)} and ${notificationsOfLastHour(n.paymentId)} >= ${newPerHour} as spent`;
  return spent?.spent === true ? { kind: 'over_budget' } : { kind: 'unknown_payment' };
}

/** Its row, or its checkout while the charge has not been answered yet (see claimNotification). */
function paymentIsKnown(paymentId: string): Prisma.Sql {
  return Prisma.sql`(exists (select 1 from payments where id = ${paymentId})
    or exists (select 1 from payment_checkouts where payment_id = ${paymentId}))`;
}

/** The payment's notifications stored in the last hour (index on payment_id, received_at). */
function notificationsOfLastHour(paymentId: string): Prisma.Sql {
  return Prisma.sql`(select count(*) from webhook_notifications
    where payment_id = ${paymentId} and received_at > (now() at time zone 'utc') - interval '1 hour')`;
}

/**
 * Counts a notification refused over budget on the payment's flood record: true when this refusal should ask the
 * payment's workflow to look at Midtrans (the record's first refusal, or the last ask `everyMinutes` ago). Refusals
 * arriving together ask once: the update's condition is checked again on the row another one just changed.
 */
export async function noteOverBudgetRefusal(db: Database, paymentId: string, everyMinutes: number): Promise<boolean> {
  const now = Prisma.sql`(now() at time zone 'utc')`;
  const [asked] = await db.$queryRaw<unknown[]>`
    update notification_floods set refused = refused + 1, last_refused_at = ${now}, look_asked_at = ${now}
    where payment_id = ${paymentId} and look_asked_at <= ${now} - make_interval(mins => ${everyMinutes})
    returning 1`;
  if (asked) return true;
  // xmax = 0: this statement inserted the row, so this is the payment's first refusal.
  const [noted] = await db.$queryRaw<{ first: boolean }[]>`
    insert into notification_floods (payment_id, refused, first_refused_at, last_refused_at, look_asked_at)
    values (${paymentId}, 1, ${now}, ${now}, ${now})
    on conflict (payment_id) do update set refused = notification_floods.refused + 1, last_refused_at = excluded.last_refused_at
    returning xmax = 0 as first`;
  return noted?.first === true;
}

/** A stored notification whose signal is due: its lease ran out, or its last attempt failed and its wait is over. */
export interface DueNotification {
  id: number;
  paymentId: string;
  rawBody: string;
  /** Attempts made before this one. */
  attempts: number;
}

/**
 * Takes up to `limit` notifications whose signal is due, oldest first, and leases them to the caller: concurrent
 * sweeps (several API processes) skip each other's rows, so no two of them send the same signal.
 */
export async function takeDueNotifications(db: Database, limit: number): Promise<DueNotification[]> {
  const rows = await db.$queryRaw<{ id: bigint; payment_id: string; raw_body: string; forward_attempts: number }[]>`
    update webhook_notifications n
    set forward_after = (now() at time zone 'utc') + make_interval(secs => ${FORWARD_LEASE_SECONDS}),
      forward_attempts = n.forward_attempts + 1
    where n.id in (
      select id from webhook_notifications
      where outcome = 'received' and forward_after <= (now() at time zone 'utc')
      order by forward_after
      limit ${limit}::int
      for update skip locked)
    returning n.id, n.payment_id, n.raw_body, n.forward_attempts`;
  return rows.map((r) => ({ id: Number(r.id), paymentId: r.payment_id, rawBody: r.raw_body, attempts: r.forward_attempts }));
}

/** The signal failed: the notification is due again after `seconds`. */
export async function postponeNotification(db: Database, id: number, seconds: number): Promise<void> {
  await db.$executeRaw`
    update webhook_notifications set forward_after = (now() at time zone 'utc') + make_interval(secs => ${seconds})
    where id = ${id} and outcome = 'received'`;
}

/**
 * A signed notification for an order we do not have (another environment sharing the key, or a deleted payment):
 * stored once per meaning, its copies counted on that row, as a payment's are. A flood of copies costs one row.
 *
 * Copies at the same instant (two API processes) take turns on a transaction-scoped advisory lock of the order and
 * meaning, and the statement after it sees the row the turn before committed. A payment's notifications have a unique
 * index for that instead; here it would be a partial one (payment_id null), which Prisma's schema cannot describe.
 */
export async function storeUnknownPaymentNotification(db: Database, n: VerifiedNotification): Promise<void> {
  const orderId = text(n.body.order_id);
  await db.$transaction([
    db.$executeRaw`select pg_advisory_xact_lock(hashtextextended(${`unknown-order-notification:${orderId}:${n.meaningSha256}`}, 0))`,
    db.$executeRaw`
    with counted as (${countUnknownPaymentCopySql(orderId, n.meaningSha256)})
    insert into webhook_notifications (payment_id, order_id, transaction_id, transaction_status, fraud_status, status_code,
      gross_amount, signature_valid, outcome, raw_body, body_sha256, meaning_sha256, received_at)
    select null, ${orderId}, ${text(n.body.transaction_id)}, ${text(n.body.transaction_status)},
      ${text(n.body.fraud_status)}, ${text(n.body.status_code)}, ${text(n.body.gross_amount)}, true, 'unknown_payment',
      ${n.rawBody}, ${n.bodySha256}, ${n.meaningSha256}, (now() at time zone 'utc')
    where not exists (select 1 from counted)`,
  ]);
}

/** Counts a copy of a notification already stored for an order we do not have; false when none is stored yet. */
export async function countUnknownPaymentCopy(db: Database, n: VerifiedNotification): Promise<boolean> {
  const counted = await db.$queryRaw<{ id: bigint }[]>(countUnknownPaymentCopySql(text(n.body.order_id), n.meaningSha256));
  return counted.length > 0;
}

function countUnknownPaymentCopySql(orderId: string | null, meaningSha256: string): Prisma.Sql {
  return Prisma.sql`
    update webhook_notifications
    set duplicate_count = duplicate_count + 1, last_duplicate_at = (now() at time zone 'utc')
    where id = (select id from webhook_notifications
                where payment_id is null and order_id = ${orderId} and meaning_sha256 = ${meaningSha256}
                order by id limit 1)
    returning id`;
}

export async function setNotificationOutcome(db: Database, id: number, outcome: Exclude<NotificationOutcome, 'received'>): Promise<void> {
  await db.$executeRaw`update webhook_notifications set outcome = ${outcome}, forward_after = null where id = ${id}`;
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
