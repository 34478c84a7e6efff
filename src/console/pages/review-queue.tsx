import type { ReviewItem } from '../../db/reviews';
import { rupiah, utc } from '../format';
import { Page, StatusBadge, Table, type Banner, type Column } from '../layout';
import { ActionForm } from './actions';

const KIND_TEXT: Record<ReviewItem['kind'], string> = {
  operator_review_event: 'the workflow asks for a person',
  failed_delivery: 'downstream delivery failed',
  pending_past_expiry: 'pending past its expiry',
  processing_too_long: 'processing too long',
  paid_after_close: 'Midtrans says paid, closed unpaid here',
};

const BACK = '/console/reviews';

const REVIEW_COLUMNS: Column<ReviewItem>[] = [
  { head: 'Since', cell: (item) => utc(item.since) },
  {
    head: 'Why',
    cell: (item) => (
      <>
        <strong>{KIND_TEXT[item.kind]}</strong>
        <br />
        <span class="muted">{item.reason}</span>
      </>
    ),
  },
  {
    head: 'Payment',
    cell: (item) => (
      <>
        <a href={`/console/payments/${encodeURIComponent(item.paymentId)}`}>{item.paymentId}</a>
        {item.payment && (
          <>
            <br />
            <span class="muted">order {item.payment.orderId}</span>
          </>
        )}
      </>
    ),
  },
  { head: 'Amount', amount: true, cell: (item) => (item.payment ? rupiah(item.payment.amount) : '') },
  { head: 'Status', cell: (item) => item.payment && <StatusBadge status={item.payment.status} /> },
  {
    head: 'Actions',
    cell: (item) => (
      <>
        {item.deliveryId !== undefined && (
          <ActionForm action={`/console/deliveries/${encodeURIComponent(item.deliveryId)}/redeliver`} back={BACK} label="Redeliver" />
        )}{' '}
        <ActionForm
          action={`/console/payments/${encodeURIComponent(item.paymentId)}/reconcile`}
          back={BACK}
          label="Reconcile now"
          title="Ask Midtrans for the status now, through the workflow"
        />{' '}
        <ActionForm action={`/console/reviews/${encodeURIComponent(item.id)}/resolve`} back={BACK} label="Resolve">
          <input name="note" placeholder="note (required)" aria-label={`Note resolving ${item.id}`} required maxlength={1000} />
        </ActionForm>
      </>
    ),
  },
];

/** What needs a person, oldest first, each with the actions that can settle it. */
export function ReviewQueuePage(props: { operator: string; items: readonly ReviewItem[]; banner?: Banner }) {
  return (
    <Page title="Review queue" operator={props.operator} section="reviews" banner={props.banner}>
      <h1>Review queue</h1>
      <Table columns={REVIEW_COLUMNS} rows={props.items} empty="Nothing needs a person." rowId={(item) => item.id} />
    </Page>
  );
}
