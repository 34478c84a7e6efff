import type { Database } from './client';

export type NotificationOutcome =
  | 'received'
  | 'accepted'
  | 'duplicate'
  | 'invalid_signature'
  | 'unknown_payment'
  | 'payment_closed';

export interface ReceivedNotification {
  paymentId: string | null;
  body: Record<string, unknown>;
  rawBody: string;
  bodySha256: string;
  signatureValid: boolean;
  outcome: NotificationOutcome;
}

const text = (v: unknown) => (typeof v === 'string' ? v : null);

// Hand-written SQL: the webhook is on the hot path (two per payment), and each Prisma model call costs ~1 ms of CPU.

/** Every notification is stored as received, before anything acts on it. */
export async function storeNotification(db: Database, n: ReceivedNotification): Promise<number> {
  const [row] = await db.$queryRaw<{ id: number }[]>`
    insert into webhook_notifications (payment_id, order_id, transaction_id, transaction_status, fraud_status, status_code,
      gross_amount, signature_valid, outcome, raw_body, body_sha256, received_at)
    values (${n.paymentId}, ${text(n.body.order_id)}, ${text(n.body.transaction_id)}, ${text(n.body.transaction_status)},
      ${text(n.body.fraud_status)}, ${text(n.body.status_code)}, ${text(n.body.gross_amount)}, ${n.signatureValid}, ${n.outcome},
      ${n.rawBody}, ${n.bodySha256}, (now() at time zone 'utc'))
    returning id`;
  return row!.id;
}

export async function setNotificationOutcome(db: Database, id: number, outcome: NotificationOutcome): Promise<void> {
  await db.$executeRaw`update webhook_notifications set outcome = ${outcome} where id = ${id}`;
}

/**
 * The payment a notification names (its order_id is our payment id), and whether the same bytes were already
 * signalled to its workflow (Midtrans redelivers identical bodies). Null when there is no such payment.
 */
export async function findNotifiedPayment(db: Database, paymentId: string, bodySha256: string): Promise<{ alreadySignalled: boolean } | null> {
  const [row] = await db.$queryRaw<{ alreadySignalled: boolean }[]>`
    select exists (
      select 1 from webhook_notifications n
      where n.payment_id = p.id and n.body_sha256 = ${bodySha256} and n.outcome in ('accepted', 'payment_closed')
    ) as "alreadySignalled"
    from payments p where p.id = ${paymentId}`;
  return row ?? null;
}
