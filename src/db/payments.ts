import { Prisma, type Payment } from '../generated/prisma/client';
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

// The API's hot reads are hand-written SQL: Prisma's JS query interpreter costs about 1 ms of CPU per findUnique, and
// a findUnique with three includes runs four queries (~2 ms). One statement each here (measured in docs/benchmarks.md).

/** Every column of `payments` under its Prisma field name; typed so that a new column cannot be forgotten here. */
const PAYMENT_COLUMNS: Record<keyof Payment, string> = {
  id: 'id',
  orderId: 'order_id',
  userId: 'user_id',
  paymentMethod: 'payment_method',
  bank: 'bank',
  amount: 'amount',
  refundedAmount: 'refunded_amount',
  currency: 'currency',
  status: 'status',
  description: 'description',
  customerDetails: 'customer_details',
  itemDetails: 'item_details',
  paymentInstructions: 'payment_instructions',
  midtransTransactionId: 'midtrans_transaction_id',
  midtransStatus: 'midtrans_status',
  fraudStatus: 'fraud_status',
  failureReason: 'failure_reason',
  expiresAt: 'expires_at',
  paidAt: 'paid_at',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  version: 'version',
};
const SELECT_PAYMENT = Prisma.raw(
  Object.entries(PAYMENT_COLUMNS)
    .map(([field, column]) => `p.${column} as "${field}"`)
    .join(', '),
);
/** Timestamps are stored as UTC without a zone; this renders them exactly as Date.toISOString() does. */
const iso = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The audit trail of a payment, oldest first; timestamps as ISO strings. */
export interface PaymentAudit {
  events: { kind: string; fromStatus: string | null; toStatus: string | null; source: string; occurredAt: string; detail: unknown }[];
  refunds: { refundKey: string; amount: number; reason: string | null; status: string; createdAt: string }[];
  notifications: { receivedAt: string; transactionStatus: string | null; outcome: string; signatureValid: boolean }[];
}
export type PaymentWithAudit = Payment & PaymentAudit;

const SELECT_AUDIT = Prisma.raw(`
  (select coalesce(json_agg(json_build_object('kind', e.kind, 'fromStatus', e.from_status, 'toStatus', e.to_status,
      'source', e.source, 'occurredAt', ${iso('e.occurred_at')}, 'detail', e.detail) order by e.occurred_at, e.id), '[]')
    from payment_events e where e.payment_id = p.id) as "events",
  (select coalesce(json_agg(json_build_object('refundKey', r.refund_key, 'amount', r.amount, 'reason', r.reason,
      'status', r.status, 'createdAt', ${iso('r.created_at')}) order by r.created_at, r.id), '[]')
    from refunds r where r.payment_id = p.id) as "refunds",
  (select coalesce(json_agg(json_build_object('receivedAt', ${iso('n.received_at')}, 'transactionStatus', n.transaction_status,
      'outcome', n.outcome, 'signatureValid', n.signature_valid) order by n.received_at, n.id), '[]')
    from webhook_notifications n where n.payment_id = p.id) as "notifications"`);

/** The payment with its audit trail, refunds and the notifications received for it, in one statement. */
export async function findPaymentWithAudit(db: Database, paymentId: string): Promise<PaymentWithAudit | null> {
  const rows = await db.$queryRaw<PaymentWithAudit[]>`select ${SELECT_PAYMENT}, ${SELECT_AUDIT} from payments p where p.id = ${paymentId}`;
  return rows[0] ?? null;
}

export type PaymentStatusRow = Pick<Payment, 'status' | 'updatedAt' | 'midtransStatus'>;

/** What GET …/status answers: one primary-key read of three columns. */
export async function findPaymentStatus(db: Database, paymentId: string): Promise<PaymentStatusRow | null> {
  const rows = await db.$queryRaw<PaymentStatusRow[]>`
    select status, updated_at as "updatedAt", midtrans_status as "midtransStatus" from payments where id = ${paymentId}`;
  return rows[0] ?? null;
}

export function listPaymentsOfOrder(db: Database, orderId: string) {
  return db.payment.findMany({ where: { orderId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 200 });
}

export async function countPaymentsByStatus(db: Database): Promise<Record<string, number>> {
  const groups = await db.payment.groupBy({ by: ['status'], _count: { _all: true } });
  return Object.fromEntries(groups.map((g) => [g.status, g._count._all]));
}
