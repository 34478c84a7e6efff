import { Prisma, type Payment } from '../generated/prisma/client';
import type { Database } from './client';
import { GIVEN_UP_ERROR, givenUpDeliveryIds } from './deliveries';

/** Why a payment needs a person. */
export const REVIEW_KINDS = ['operator_review_event', 'failed_delivery', 'pending_past_expiry', 'processing_too_long', 'paid_after_close'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];

export interface ReviewItem {
  /**
   * The item's id for POST /operations/reviews/{id}/resolve: `event:<payment event id>`, `delivery:<delivery id>`,
   * `pending:<payment id>`, `processing:<payment id>` or `paid-after-close:<payment id>`.
   */
  id: string;
  kind: ReviewKind;
  /** The workflow's reason (settlement_reversed, status_lookup_failed, …) or what the queue saw. */
  reason: string;
  /** When it started to need a person: a resolution older than this does not hide it (the trouble came back). */
  since: Date;
  paymentId: string;
  /** The payment's row (render it with paymentResponseFromRow); null when the read model lacks it. */
  payment: Payment | null;
  /** Set on failed deliveries: POST /operations/deliveries/{deliveryId}/redeliver. */
  deliveryId?: string;
  /** Set on needs_operator_review events: the payment_events row. */
  eventId?: string;
}

export interface ReviewQueueOptions {
  /** A pending payment this long past its expiry (REVIEW_PENDING_GRACE_MINUTES). */
  pendingGraceMinutes: number;
  /** A processing payment unchanged this long (REVIEW_PROCESSING_HOURS). */
  processingHours: number;
  /** At most this many items, oldest first (default 200). */
  limit?: number;
  /** Only this payment's items (the console's payment page). */
  paymentId?: string;
  /** Resolved items too (to answer a retried resolve). */
  includeResolved?: boolean;
}

interface ReviewRow {
  id: string;
  kind: ReviewKind;
  reason: string;
  since: Date;
  payment_id: string;
  delivery_id: string | null;
  event_id: string | null;
}

/**
 * What needs a person now, oldest first. An item is hidden once an operator resolved it (an operator_actions row
 * `resolve` on its id) at or after its `since`: a delivery that fails again, or a payment that moves and gets stuck
 * again, comes back.
 */
export async function listReviewItems(db: Database, options: ReviewQueueOptions): Promise<ReviewItem[]> {
  const rows = await reviewRows(db, options);
  const payments = await db.payment.findMany({ where: { id: { in: [...new Set(rows.map((row) => row.payment_id))] } } });
  const byId = new Map(payments.map((payment) => [payment.id, payment]));
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    reason: row.reason,
    since: row.since,
    paymentId: row.payment_id,
    payment: byId.get(row.payment_id) ?? null,
    ...(row.delivery_id !== null && { deliveryId: row.delivery_id }),
    ...(row.event_id !== null && { eventId: row.event_id }),
  }));
}

/** The review queue's items by kind, every kind present (0 when empty), counted up to `limit` items in all. */
export async function countReviewItems(db: Database, options: ReviewQueueOptions): Promise<Record<ReviewKind, number>> {
  const counts = Object.fromEntries(REVIEW_KINDS.map((kind) => [kind, 0])) as Record<ReviewKind, number>;
  // Without the payments' rows: a Prometheus scrape counts the queue, and a queue of 1,000 would load 1,000 payments.
  for (const row of await reviewRows(db, { limit: 1_000, ...options })) counts[row.kind] += 1;
  return counts;
}

async function reviewRows(db: Database, options: ReviewQueueOptions): Promise<ReviewRow[]> {
  const limit = options.limit ?? 200;
  const onlyPayment = options.paymentId ?? null;
  const includeResolved = options.includeResolved === true;
  const grace = options.pendingGraceMinutes;
  const hours = options.processingHours;
  // Each kind is read oldest first along its own index and cut at `limit` before they are merged, so a queue grown
  // long (thousands of expired payments after an outage) still costs one short index scan per kind.
  const stillOpen = (id: Prisma.Sql, since: Prisma.Sql, paymentId: Prisma.Sql) => Prisma.sql`
    (${onlyPayment}::text is null or ${paymentId} = ${onlyPayment}::text)
    and (${includeResolved} or not exists (
      select 1 from operator_actions a where a.action = 'resolve' and a.target = ${id} and a.at >= ${since}))`;
  return db.$queryRaw<ReviewRow[]>`
    select * from (
      (select 'event:' || e.id as id, 'operator_review_event' as kind, coalesce(e.detail->>'reason', 'needs_operator_review') as reason,
         e.occurred_at as since, e.payment_id, null as delivery_id, e.id::text as event_id
       from payment_events e
       where e.kind = 'needs_operator_review' and ${stillOpen(Prisma.sql`'event:' || e.id`, Prisma.sql`e.occurred_at`, Prisma.sql`e.payment_id`)}
       order by e.occurred_at limit ${limit}::int)
      union all
      (select 'delivery:' || d.id, 'failed_delivery', coalesce(d.last_error, 'delivery failed'), d.updated_at, d.payment_id, d.id, null
       from downstream_deliveries d
       where d.status = 'failed' and ${stillOpen(Prisma.sql`'delivery:' || d.id`, Prisma.sql`d.updated_at`, Prisma.sql`d.payment_id`)}
       order by d.updated_at limit ${limit}::int)
      union all
      -- Retrying, but given up on by the payment's workflow (src/db/deliveries.ts): found from its lines.
      (select 'delivery:' || d.id, 'failed_delivery', ${GIVEN_UP_ERROR} || coalesce(d.last_error, 'unknown'), d.updated_at, d.payment_id, d.id, null
       from downstream_deliveries d
       where d.id in (${givenUpDeliveryIds()}) and ${stillOpen(Prisma.sql`'delivery:' || d.id`, Prisma.sql`d.updated_at`, Prisma.sql`d.payment_id`)}
       order by d.updated_at limit ${limit}::int)
      union all
      (select 'pending:' || p.id, 'pending_past_expiry', 'pending ' || ${grace}::int || ' minutes past its expiry', p.expires_at, p.id, null, null
       from payments p
       where p.status = 'pending' and p.expires_at < (now() at time zone 'utc') - make_interval(mins => ${grace}::int)
         and ${stillOpen(Prisma.sql`'pending:' || p.id`, Prisma.sql`p.expires_at`, Prisma.sql`p.id`)}
       order by p.expires_at limit ${limit}::int)
      union all
      (select 'processing:' || p.id, 'processing_too_long', 'processing for more than ' || ${hours}::int || ' hours', p.updated_at, p.id, null, null
       from payments p
       where p.status = 'processing' and p.updated_at < (now() at time zone 'utc') - make_interval(hours => ${hours}::int)
         and ${stillOpen(Prisma.sql`'processing:' || p.id`, Prisma.sql`p.updated_at`, Prisma.sql`p.id`)}
       order by p.updated_at limit ${limit}::int)
      union all
      -- A signed notification said paid after the payment's workflow closed it unpaid: kept, not applied. Paid by its
      -- status_code 200, which Midtrans signs (its transaction_status is not signed, so it is only named). One item per
      -- payment, since its first such notification.
      (select 'paid-after-close:' || p.id, 'paid_after_close',
         'a signed notification said paid (status_code 200, ' || late.statuses || ') after the payment closed ' || p.status
           || ': check it at Midtrans', late.since, p.id, null, null
       from (select n.payment_id, min(n.received_at) as since, string_agg(distinct coalesce(n.transaction_status, '?'), ', ') as statuses
             from webhook_notifications n
             where n.outcome = 'payment_closed' and n.status_code = '200'
             group by n.payment_id) late
       join payments p on p.id = late.payment_id
       where p.status in ('expired', 'canceled', 'failed')
         and ${stillOpen(Prisma.sql`'paid-after-close:' || p.id`, Prisma.sql`late.since`, Prisma.sql`p.id`)}
       order by late.since limit ${limit}::int)
    ) queue
    order by since, id
    limit ${limit}::int`;
}

/** One review item by id, whether or not it is resolved; undefined when nothing needs a person under that id. */
export async function findReviewItem(db: Database, options: ReviewQueueOptions, id: string): Promise<ReviewItem | undefined> {
  // Ids name their payment or delivery, so the look-up is narrow; the queue's own rules decide whether it is an item.
  const paymentId = await paymentOfReviewId(db, id);
  if (paymentId === undefined) return undefined;
  const items = await listReviewItems(db, { ...options, limit: 10_000, paymentId, includeResolved: true });
  return items.find((item) => item.id === id);
}

async function paymentOfReviewId(db: Database, id: string): Promise<string | undefined> {
  const [kind, ...rest] = id.split(':');
  const key = rest.join(':');
  if (kind === 'pending' || kind === 'processing' || kind === 'paid-after-close') return key;
  if (kind === 'delivery') return (await db.downstreamDelivery.findUnique({ where: { id: key }, select: { paymentId: true } }))?.paymentId;
  if (kind === 'event' && /^\d{1,18}$/.test(key)) {
    return (await db.paymentEvent.findUnique({ where: { id: BigInt(key) }, select: { paymentId: true } }))?.paymentId;
  }
  return undefined;
}
