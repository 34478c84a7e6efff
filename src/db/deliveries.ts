import { Prisma, type DownstreamDelivery } from '../generated/prisma/client';
import type { Database } from './client';

export interface DeliveryAttempt {
  paymentId: string;
  target: string;
  idempotencyKey: string;
  body: object;
  outcome: 'delivered' | 'failed' | 'retrying';
  httpStatus?: number;
  error?: string;
}

/**
 * One row per (payment, event, target); each attempt updates it so operators see where a delivery stands. One
 * statement (insert or update), where Prisma's upsert took a transaction of three round trips.
 */
export async function recordDeliveryAttempt(db: Database, attempt: DeliveryAttempt): Promise<void> {
  await db.$executeRaw`
    insert into downstream_deliveries (id, payment_id, target, idempotency_key, body, status, http_status, last_error, updated_at)
    values (${attempt.idempotencyKey}, ${attempt.paymentId}, ${attempt.target}, ${attempt.idempotencyKey}, ${JSON.stringify(attempt.body)}::jsonb,
      ${attempt.outcome}, ${attempt.httpStatus ?? null}::int, ${attempt.error ?? null}, (now() at time zone 'utc'))
    on conflict (idempotency_key) do update set status = excluded.status, http_status = excluded.http_status,
      last_error = excluded.last_error, attempts = downstream_deliveries.attempts + 1, updated_at = excluded.updated_at`;
}

/**
 * A retrying delivery the payment's workflow gave up on (its activity's 7 days ran out): a `downstream_failed` line for
 * its event and target (or its event alone, from before lines named their target) written no earlier than a minute
 * before its last attempt. Read, not written on the row: lines come from workers of every version, and may be written
 * again (a rebuild) after an operator's redelivery has touched the row. The minute: an attempt still running when the
 * deadline fired records itself within its start-to-close time (30 s) after the line, and the line's time is the
 * worker's clock, the row's PostgreSQL's. `d` is the alias of downstream_deliveries in the query.
 */
const givenUpLine = (d: Prisma.Sql, e: Prisma.Sql) => Prisma.sql`${e}.kind = 'downstream_failed' and ${e}.payment_id = ${d}.payment_id
  and ${d}.status = 'retrying' and ${e}.occurred_at > ${d}.updated_at - interval '1 minute'
  and ${d}.idempotency_key = ${e}.payment_id || ':' || (${e}.detail->>'event') || ':' || coalesce(${e}.detail->>'target', ${d}.target)`;

/**
 * The ids of given-up deliveries, found from the lines (payment_events by kind): a query that reads every retrying
 * delivery would grow with a downstream service's outage.
 */
export const givenUpDeliveryIds = () =>
  Prisma.sql`select g.id from payment_events ge join downstream_deliveries g on ${givenUpLine(Prisma.raw('g'), Prisma.raw('ge'))}`;

/** How the queue and the console begin a given-up delivery's error, before its last one. */
export const GIVEN_UP_ERROR = 'retries ran out; last error: ';

/** The row as operators act on it: a delivery given up on is failed. */
function asOperatorsSeeIt<T extends Pick<DownstreamDelivery, 'id' | 'status' | 'lastError'>>(row: T, givenUp: ReadonlySet<string>): T {
  return givenUp.has(row.id) ? { ...row, status: 'failed', lastError: GIVEN_UP_ERROR + (row.lastError ?? 'unknown') } : row;
}

/** Given-up deliveries among a few (one delivery, one payment's), each looked up by its own lines. */
async function givenUpOf(db: Database, where: Prisma.Sql): Promise<Set<string>> {
  const rows = await db.$queryRaw<{ id: string }[]>`select d.id from downstream_deliveries d
    where ${where} and exists (select 1 from payment_events e where ${givenUpLine(Prisma.raw('d'), Prisma.raw('e'))})`;
  return new Set(rows.map((row) => row.id));
}

/** A delivery's row, for the operators' redelivery (a delivery given up on is failed). */
export async function findDelivery(db: Database, deliveryId: string) {
  const row = await db.downstreamDelivery.findUnique({ where: { id: deliveryId } });
  if (row?.status !== 'retrying') return row;
  return asOperatorsSeeIt(row, await givenUpOf(db, Prisma.sql`d.id = ${deliveryId}`));
}

/** The delivery gave up: failed, with why, so it is back in the review queue. */
export async function markDeliveryFailed(db: Database, deliveryId: string, error: string): Promise<void> {
  await db.$executeRaw`
    update downstream_deliveries set status = 'failed', last_error = ${error}, updated_at = (now() at time zone 'utc')
    where id = ${deliveryId} and status <> 'delivered'`;
}

export type DeliveryRow = Pick<
  DownstreamDelivery,
  'id' | 'target' | 'status' | 'attempts' | 'httpStatus' | 'lastError' | 'createdAt' | 'updatedAt'
>;

/** A payment's calls to the transaction and user services, oldest first (their bodies are the payment's own fields). */
export async function listDeliveriesOfPayment(db: Database, paymentId: string): Promise<DeliveryRow[]> {
  const rows = await db.downstreamDelivery.findMany({
    where: { paymentId },
    select: { id: true, target: true, status: true, attempts: true, httpStatus: true, lastError: true, createdAt: true, updatedAt: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  if (!rows.some((row) => row.status === 'retrying')) return rows;
  const givenUp = await givenUpOf(db, Prisma.sql`d.payment_id = ${paymentId}`);
  return rows.map((row) => asOperatorsSeeIt(row, givenUp));
}
