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

/** Every notification is stored as received, before anything acts on it. */
export async function storeNotification(db: Database, n: ReceivedNotification): Promise<number> {
  const row = await db.webhookNotification.create({
    data: {
      paymentId: n.paymentId,
      orderId: text(n.body.order_id),
      transactionId: text(n.body.transaction_id),
      transactionStatus: text(n.body.transaction_status),
      fraudStatus: text(n.body.fraud_status),
      statusCode: text(n.body.status_code),
      grossAmount: text(n.body.gross_amount),
      signatureValid: n.signatureValid,
      outcome: n.outcome,
      rawBody: n.rawBody,
      bodySha256: n.bodySha256,
    },
    select: { id: true },
  });
  return row.id;
}

export async function setNotificationOutcome(db: Database, id: number, outcome: NotificationOutcome): Promise<void> {
  await db.webhookNotification.update({ where: { id }, data: { outcome } });
}

/** Midtrans redelivers the same bytes; an identical body already signalled is a duplicate. */
export async function wasAlreadySignalled(db: Database, paymentId: string, bodySha256: string): Promise<boolean> {
  const found = await db.webhookNotification.findFirst({
    where: { paymentId, bodySha256, outcome: { in: ['accepted', 'payment_closed'] } },
    select: { id: true },
  });
  return found !== null;
}
