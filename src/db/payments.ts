import { Prisma, type Payment } from '../generated/prisma/client';
import type { Database } from './client';
import type { PaymentHistoryEntry, PaymentView } from '../domain';

/** One audit event; `key` is deterministic per workflow step so a retried write lands once. */
export interface PaymentEventRecord extends PaymentHistoryEntry {
  key: string;
}

export interface PaymentSnapshot {
  /** The payment's state; its history is not part of it (each write carries its own audit events). */
  view: Omit<PaymentView, 'history'>;
  /** Strictly increasing per payment: a late retry of an older write never overwrites newer state. */
  version: number;
  /**
   * The customer and item details, sent only by the first write of workflows started before the checkout moved to
   * PostgreSQL (their input still carries it). Every other write takes them from the payment's stored checkout.
   */
  created?: { customerDetails: unknown; itemDetails: unknown; description?: string };
  /**
   * The charge has answered: this write deletes the payment's checkout, after copying its details into the row in the
   * same statement. Without it, the first write whose view says the charge step is over does.
   */
  checkoutUsed?: boolean;
}

/** ISO-8601 text; the columns are `timestamp(3)` holding UTC, and PostgreSQL drops the zone of such a literal. */
const at = (iso: string | null | undefined) => iso ?? null;
/** Prisma's @updatedAt, for writes that do not go through Prisma's model API. */
const NOW_UTC = Prisma.sql`(now() at time zone 'utc')`;

/** Columns a newer snapshot replaces; an older one (a late retry) leaves them as they are. */
const SNAPSHOT_COLUMNS = [
  'status',
  'refunded_amount',
  'midtrans_transaction_id',
  'midtrans_status',
  'fraud_status',
  'failure_reason',
  'expires_at',
  'paid_at',
  'version',
  'updated_at',
];
const NEWER_SNAPSHOT_WINS = Prisma.raw(
  [
    ...SNAPSHOT_COLUMNS.map((c) => `${c} = case when excluded.version > p.version then excluded.${c} else p.${c} end`),
    // A later snapshot without instructions keeps the ones the charge gave.
    `payment_instructions = case when excluded.version > p.version then coalesce(excluded.payment_instructions, p.payment_instructions)
      else coalesce(p.payment_instructions, excluded.payment_instructions) end`,
  ].join(',\n'),
);

/**
 * Writes the payment's new state, any new refunds and its audit events in ONE statement (so atomically); every part is
 * idempotent. Every write is an upsert of the whole snapshot: when the row is missing (the database was restored
 * from an older backup, a table truncated), any write recreates it, so the read model heals at the next write
 * instead of failing on the audit events' foreign key forever. The version decides between snapshots: an older
 * write never overwrites a newer one. Customer and item details come from the payment's checkout (what POST /payments
 * stored) into a row that lacks them, so they never travel through Temporal; once the snapshot says the charge step
 * is over, the checkout (its card token with it) is deleted, in case the charge could not delete it itself.
 * Hand-written SQL: through Prisma's model API the same write took a transaction of up to eight round trips and
 * about 4 ms of worker CPU.
 */
export async function recordPaymentSnapshot(db: Database, snapshot: PaymentSnapshot, events: readonly PaymentEventRecord[] = []): Promise<void> {
  const { view, version, created, checkoutUsed = false } = snapshot;
  const instructions = view.instructions ? JSON.stringify(view.instructions) : null;
  const writePayment = Prisma.sql`insert into payments as p (id, order_id, user_id, payment_method, bank, amount, description, customer_details,
        item_details, created_at, version, payment_instructions, status, refunded_amount, midtrans_transaction_id, midtrans_status, fraud_status,
        failure_reason, expires_at, paid_at, updated_at)
      values (${view.paymentId}, ${view.orderId}, ${view.userId ?? null}, ${view.method}, ${view.bank ?? null}, ${view.amount}::bigint,
        coalesce(${created?.description ?? null}::text, (select description from checkout)),
        coalesce(${jsonOrNull(created?.customerDetails)}::jsonb, (select customer_details from checkout)),
        coalesce(${jsonOrNull(created?.itemDetails)}::jsonb, (select item_details from checkout)),
        ${view.createdAt}::timestamp(3), ${version}::int, ${instructions}::jsonb, ${view.status}, ${view.refundedAmount}::bigint,
        ${view.transactionId ?? null}, ${view.midtransStatus ?? null}, ${view.fraudStatus ?? null}, ${view.failureReason ?? null},
        ${at(view.expiresAt)}::timestamp(3), ${at(view.paidAt)}::timestamp(3), ${NOW_UTC})
      on conflict (id) do update set ${NEWER_SNAPSHOT_WINS},
        customer_details = coalesce(p.customer_details, excluded.customer_details),
        item_details = coalesce(p.item_details, excluded.item_details),
        description = coalesce(p.description, excluded.description)
      where excluded.version > p.version or (p.customer_details is null and excluded.customer_details is not null)`;
  const refunds = JSON.stringify(
    view.refunds.map((r) => ({ refund_key: r.refundKey, amount: r.amount, reason: r.reason ?? null, status: r.status, created_at: r.at })),
  );
  const eventRows = JSON.stringify(
    events.map((event) => ({
      event_key: event.key,
      kind: event.kind,
      from_status: event.from ?? null,
      to_status: event.to ?? null,
      source: event.source,
      detail: event.detail ?? null,
      occurred_at: event.at,
    })),
  );
  await db.$executeRaw`
    with checkout as (
      select customer_details, item_details, description from payment_checkouts where payment_id = ${view.paymentId}),
    payment as (${writePayment}),
    new_refunds as (
      insert into refunds (id, payment_id, refund_key, amount, reason, status, created_at, updated_at)
      select r.refund_key, ${view.paymentId}, r.refund_key, r.amount, r.reason, r.status, r.created_at::timestamp(3), ${NOW_UTC}
      from jsonb_to_recordset(${refunds}::jsonb) as r(refund_key text, amount bigint, reason text, status text, created_at text)
      on conflict (refund_key) do nothing),
    new_event as (
    insert into payment_events (payment_id, event_key, kind, from_status, to_status, source, detail, occurred_at)
    select ${view.paymentId}, e.event_key, e.kind, e.from_status, e.to_status, e.source, nullif(e.detail, 'null'::jsonb), e.occurred_at::timestamp(3)
    from jsonb_to_recordset(${eventRows}::jsonb) as e(event_key text, kind text, from_status text, to_status text,
      source text, detail jsonb, occurred_at text)
    on conflict (payment_id, event_key) do nothing),
    used_checkout as (
      delete from payment_checkouts where payment_id = ${view.paymentId} and ${view.chargeCompleted === true || checkoutUsed}::boolean)
    select 1`;
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
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
  closedAt: 'closed_at',
  personalDataErasedAt: 'personal_data_erased_at',
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
