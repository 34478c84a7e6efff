import type { Database } from './client';
import type { PaymentHistoryEntry, PaymentView } from '../../workflows/messages';

/** One audit event; `key` is deterministic per workflow step so a retried write lands once. */
export interface PaymentEventRecord extends PaymentHistoryEntry {
  key: string;
}

export interface PaymentSnapshot {
  view: PaymentView;
  /** Strictly increasing per payment: a late retry of an older write never overwrites newer state. */
  version: number;
  /** Present only when the payment is first recorded. */
  created?: { customerDetails: unknown; itemDetails: unknown; description?: string };
}

function paymentColumns(view: PaymentView) {
  return {
    status: view.status,
    refundedAmount: BigInt(view.refundedAmount),
    paymentInstructions: view.instructions ?? undefined,
    midtransTransactionId: view.transactionId ?? null,
    midtransStatus: view.midtransStatus ?? null,
    fraudStatus: view.fraudStatus ?? null,
    failureReason: view.failureReason ?? null,
    expiresAt: new Date(view.expiresAt),
    paidAt: view.paidAt ? new Date(view.paidAt) : null,
  };
}

/** Writes the payment's new state and its audit event atomically; both writes are idempotent. */
export async function recordPaymentSnapshot(db: Database, snapshot: PaymentSnapshot, event?: PaymentEventRecord) {
  const { view, version } = snapshot;
  await db.$transaction(async (tx) => {
    if (snapshot.created) {
      await tx.payment.upsert({
        where: { id: view.paymentId },
        update: {},
        create: {
          id: view.paymentId,
          orderId: view.orderId,
          userId: view.userId ?? null,
          paymentMethod: view.method,
          bank: view.bank ?? null,
          amount: BigInt(view.amount),
          description: snapshot.created.description ?? null,
          customerDetails: snapshot.created.customerDetails ?? undefined,
          itemDetails: snapshot.created.itemDetails ?? undefined,
          createdAt: new Date(view.createdAt),
          version,
          ...paymentColumns(view),
        },
      });
    } else {
      await tx.payment.updateMany({
        where: { id: view.paymentId, version: { lt: version } },
        data: { ...paymentColumns(view), version },
      });
    }
    for (const refund of view.refunds) {
      await tx.refund.upsert({
        where: { refundKey: refund.refundKey },
        update: {},
        create: {
          id: refund.refundKey,
          paymentId: view.paymentId,
          refundKey: refund.refundKey,
          amount: BigInt(refund.amount),
          reason: refund.reason ?? null,
          status: refund.status,
          createdAt: new Date(refund.at),
        },
      });
    }
    if (event) {
      await tx.paymentEvent.upsert({
        where: { paymentId_eventKey: { paymentId: view.paymentId, eventKey: event.key } },
        update: {},
        create: {
          paymentId: view.paymentId,
          eventKey: event.key,
          kind: event.kind,
          fromStatus: event.from ?? null,
          toStatus: event.to ?? null,
          source: event.source,
          detail: (event.detail ?? undefined) as object | undefined,
          occurredAt: new Date(event.at),
        },
      });
    }
  });
}

export function findPayment(db: Database, paymentId: string) {
  return db.payment.findUnique({ where: { id: paymentId } });
}

/** The payment with its audit trail, refunds and the notifications received for it. */
export function findPaymentWithAudit(db: Database, paymentId: string) {
  return db.payment.findUnique({
    where: { id: paymentId },
    include: {
      events: { orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }] },
      refunds: { orderBy: { createdAt: 'asc' } },
      notifications: { orderBy: { receivedAt: 'asc' } },
    },
  });
}

export function listPaymentsOfOrder(db: Database, orderId: string) {
  return db.payment.findMany({ where: { orderId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 200 });
}

export async function countPaymentsByStatus(db: Database): Promise<Record<string, number>> {
  const groups = await db.payment.groupBy({ by: ['status'], _count: { _all: true } });
  return Object.fromEntries(groups.map((g) => [g.status, g._count._all]));
}
