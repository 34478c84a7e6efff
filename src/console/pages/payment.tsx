import type { DeliveryRow } from '../../db/deliveries';
import type { PaymentAudit, PaymentWithAudit } from '../../db/payments';
import type { PaymentCheckout } from '../../domain';
import type { OperatorAction } from '../../generated/prisma/client';
import { methodOf, oneLine, rupiah, utc } from '../format';
import { Page, StatusBadge, Table, type Banner, type Column } from '../layout';
import { ActionForm } from './actions';

/**
 * Of the customer's details an operator sees the name and e-mail (to match a customer who writes in), never the
 * phone or addresses; the card token never reaches the payments table at all (it lives in payment_checkouts until
 * the charge, and nothing here reads that table). Notifications show what Midtrans said, not their raw bodies.
 */
function customerOf(payment: PaymentWithAudit): string {
  if (payment.personalDataErasedAt) return `erased ${utc(payment.personalDataErasedAt)} (past its retention)`;
  const details = payment.customerDetails;
  if (typeof details !== 'object' || details === null) return '—';
  // As the checkout stored it; a row written by an older version may lack any of them.
  const { firstName, lastName, email } = details as Partial<Record<keyof PaymentCheckout['customer'], unknown>>;
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return [[text(firstName), text(lastName)].filter(Boolean).join(' '), text(email)].filter(Boolean).join(' · ') || '—';
}

const paymentPath = (paymentId: string) => `/console/payments/${encodeURIComponent(paymentId)}`;

const REFUND_COLUMNS: Column<PaymentAudit['refunds'][number]>[] = [
  { head: 'When', cell: (refund) => utc(refund.createdAt) },
  { head: 'Refund key', cell: (refund) => <code>{refund.refundKey}</code> },
  { head: 'Amount', amount: true, cell: (refund) => rupiah(refund.amount) },
  { head: 'Reason', cell: (refund) => refund.reason ?? '' },
  { head: 'Status', cell: (refund) => <StatusBadge status={refund.status} /> },
];

const deliveryColumns = (back: string): Column<DeliveryRow>[] => [
  { head: 'Target', cell: (delivery) => delivery.target },
  { head: 'Event', cell: (delivery) => <code>{delivery.id}</code> },
  { head: 'Status', cell: (delivery) => <StatusBadge status={delivery.status} /> },
  { head: 'Attempts', cell: (delivery) => delivery.attempts },
  {
    head: 'Last answer',
    cell: (delivery) => [delivery.httpStatus === null ? '' : `HTTP ${delivery.httpStatus}`, delivery.lastError ?? ''].filter(Boolean).join(' · '),
  },
  { head: 'Updated', cell: (delivery) => utc(delivery.updatedAt) },
  {
    head: '',
    cell: (delivery) =>
      delivery.status === 'failed' && (
        <ActionForm action={`/console/deliveries/${encodeURIComponent(delivery.id)}/redeliver`} back={back} label="Redeliver" />
      ),
  },
];

const EVENT_COLUMNS: Column<PaymentAudit['events'][number]>[] = [
  { head: 'When', cell: (event) => utc(event.occurredAt) },
  { head: 'Event', cell: (event) => event.kind },
  { head: 'Status', cell: (event) => (event.fromStatus || event.toStatus ? `${event.fromStatus ?? '∅'} → ${event.toStatus ?? '∅'}` : '') },
  { head: 'Source', cell: (event) => event.source },
  { head: 'Detail', cell: (event) => <code>{oneLine(event.detail)}</code> },
];

const OPERATOR_ACTION_COLUMNS: Column<OperatorAction>[] = [
  { head: 'When', cell: (action) => utc(action.at) },
  { head: 'Operator', cell: (action) => action.operator },
  { head: 'Action', cell: (action) => action.action },
  { head: 'On', cell: (action) => <code>{action.target}</code> },
  { head: 'Note', cell: (action) => action.note ?? '' },
];

const NOTIFICATION_COLUMNS: Column<PaymentAudit['notifications'][number]>[] = [
  { head: 'Received', cell: (notification) => utc(notification.receivedAt) },
  { head: 'Transaction status', cell: (notification) => notification.transactionStatus ?? '' },
  { head: 'Outcome', cell: (notification) => notification.outcome },
  { head: 'Signature', cell: (notification) => (notification.signatureValid ? 'valid' : 'invalid') },
];

/** Everything about one payment an operator looks at, and the actions on it. */
export function PaymentPage(props: {
  operator: string;
  payment: PaymentWithAudit;
  deliveries: readonly DeliveryRow[];
  operatorActions: readonly OperatorAction[];
  workflowUrl: string;
  banner?: Banner;
}) {
  const { payment } = props;
  const here = paymentPath(payment.id);
  return (
    <Page title={`Payment ${payment.id}`} operator={props.operator} section="payments" banner={props.banner}>
      <h1>
        Payment <code>{payment.id}</code> <StatusBadge status={payment.status} />
      </h1>
      <div class="actions">
        <a href={props.workflowUrl} rel="noopener noreferrer" target="_blank">
          Its workflow in the Temporal Web UI
        </a>
        <ActionForm action={`${here}/reconcile`} back={here} label="Reconcile now" title="Ask Midtrans for the status now, through the workflow" />
      </div>
      <dl>
        <dt>Order</dt>
        <dd>
          <a href={`/console/payments?order_id=${encodeURIComponent(payment.orderId)}`}>{payment.orderId}</a>
        </dd>
        <dt>User</dt>
        <dd>{payment.userId ?? '—'}</dd>
        <dt>Method</dt>
        <dd>{methodOf(payment)}</dd>
        <dt>Amount</dt>
        <dd>{rupiah(payment.amount)}</dd>
        <dt>Refunded</dt>
        <dd>{rupiah(payment.refundedAmount)}</dd>
        <dt>Remaining</dt>
        <dd>{rupiah(payment.amount - payment.refundedAmount)}</dd>
        <dt>Midtrans</dt>
        <dd>
          {[
            payment.midtransStatus ?? '—',
            payment.fraudStatus ? `fraud status ${payment.fraudStatus}` : '',
            payment.midtransTransactionId ? `transaction ${payment.midtransTransactionId}` : '',
          ]
            .filter(Boolean)
            .join(' · ')}
        </dd>
        <dt>Failure</dt>
        <dd>{payment.failureReason ?? '—'}</dd>
        <dt>Description</dt>
        <dd>{payment.description ?? '—'}</dd>
        <dt>Customer</dt>
        <dd>{customerOf(payment)}</dd>
        <dt>Created</dt>
        <dd>{utc(payment.createdAt)}</dd>
        <dt>Expires</dt>
        <dd>{utc(payment.expiresAt) || '—'}</dd>
        <dt>Paid</dt>
        <dd>{utc(payment.paidAt) || '—'}</dd>
        <dt>Updated</dt>
        <dd>{utc(payment.updatedAt)}</dd>
      </dl>

      <h2>Refunds</h2>
      <Table columns={REFUND_COLUMNS} rows={payment.refunds} empty="None." />
      <h2>Downstream deliveries</h2>
      <Table columns={deliveryColumns(here)} rows={props.deliveries} empty="None yet." rowId={(delivery) => delivery.id} />
      <h2>Audit trail</h2>
      <Table columns={EVENT_COLUMNS} rows={payment.events} empty="No event yet." />
      <h2>Operator actions</h2>
      <Table columns={OPERATOR_ACTION_COLUMNS} rows={props.operatorActions} empty="None." />
      <h2>Midtrans notifications</h2>
      <Table columns={NOTIFICATION_COLUMNS} rows={payment.notifications} empty="None received." />
    </Page>
  );
}
