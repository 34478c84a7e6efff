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

/** One row per (payment, event, target); each attempt updates it so operators see where a delivery stands. */
export async function recordDeliveryAttempt(db: Database, attempt: DeliveryAttempt): Promise<void> {
  const columns = {
    status: attempt.outcome,
    httpStatus: attempt.httpStatus ?? null,
    lastError: attempt.error ?? null,
  };
  await db.downstreamDelivery.upsert({
    where: { idempotencyKey: attempt.idempotencyKey },
    create: {
      id: attempt.idempotencyKey,
      paymentId: attempt.paymentId,
      target: attempt.target,
      idempotencyKey: attempt.idempotencyKey,
      body: attempt.body,
      ...columns,
    },
    update: { ...columns, attempts: { increment: 1 } },
  });
}
