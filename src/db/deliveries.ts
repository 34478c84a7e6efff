import type { DownstreamDelivery } from '../generated/prisma/client';
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

/** A delivery's row, for the operators' redelivery. */
export function findDelivery(db: Database, deliveryId: string) {
  return db.downstreamDelivery.findUnique({ where: { id: deliveryId } });
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
export function listDeliveriesOfPayment(db: Database, paymentId: string): Promise<DeliveryRow[]> {
  return db.downstreamDelivery.findMany({
    where: { paymentId },
    select: { id: true, target: true, status: true, attempts: true, httpStatus: true, lastError: true, createdAt: true, updatedAt: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
}
