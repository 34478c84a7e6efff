import { PAYMENT_METHODS, PAYMENT_STATUSES } from '../../domain';
import type { Payment } from '../../generated/prisma/client';
import { methodOf, rupiah, utc } from '../format';
import { Page, StatusBadge, Table, type Banner, type Column } from '../layout';

/** The search form's fields as the operator typed them (query-string names), to show them again above the results. */
export interface SearchForm {
  status?: string;
  method?: string;
  order_id?: string;
  user_id?: string;
  created_from?: string;
  created_to?: string;
  amount_min?: string;
  amount_max?: string;
}

export function PaymentSearchPage(props: {
  operator: string;
  form: SearchForm;
  payments: readonly Payment[];
  /** The link to the next page, or undefined on the last one. */
  nextPage?: string;
  /** True when this page is not the first (a link back to the first page). */
  paged: boolean;
  banner?: Banner;
}) {
  const { form, payments } = props;
  return (
    <Page title="Payments" operator={props.operator} section="payments" banner={props.banner}>
      <h1>Payments</h1>
      <form class="filters" method="get" action="/console/payments" role="search">
        <label>
          Order id
          <input name="order_id" value={form.order_id ?? ''} />
        </label>
        <label>
          User id
          <input name="user_id" value={form.user_id ?? ''} />
        </label>
        <Choice label="Status" name="status" options={PAYMENT_STATUSES} chosen={form.status} />
        <Choice label="Method" name="method" options={PAYMENT_METHODS} chosen={form.method} />
        <label>
          Created from (UTC)
          <input type="date" name="created_from" value={form.created_from ?? ''} />
        </label>
        <label>
          Created to (UTC)
          <input type="date" name="created_to" value={form.created_to ?? ''} />
        </label>
        <label>
          Amount from (IDR)
          <input type="number" name="amount_min" min="0" step="1" value={form.amount_min ?? ''} />
        </label>
        <label>
          Amount to (IDR)
          <input type="number" name="amount_max" min="0" step="1" value={form.amount_max ?? ''} />
        </label>
        <button type="submit">Search</button>
        <a href="/console/payments">Clear</a>
      </form>
      <Table columns={SEARCH_COLUMNS} rows={payments} empty="No payment matches." />
      <p class="pager">
        {props.paged && <a href={searchLink(form)}>First page</a>} {props.nextPage && <a href={props.nextPage}>Next page →</a>}
      </p>
    </Page>
  );
}

/** The search's own link with `extra` (the cursor) added; blank fields are left out. */
export function searchLink(form: SearchForm, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...form, ...extra })) if (value) query.set(name, value);
  const text = query.toString();
  return text ? `/console/payments?${text}` : '/console/payments';
}

const SEARCH_COLUMNS: Column<Payment>[] = [
  { head: 'Created', cell: (payment) => utc(payment.createdAt) },
  { head: 'Payment', cell: (payment) => <a href={`/console/payments/${encodeURIComponent(payment.id)}`}>{payment.id}</a> },
  { head: 'Order', cell: (payment) => payment.orderId },
  { head: 'User', cell: (payment) => payment.userId ?? '' },
  { head: 'Method', cell: methodOf },
  { head: 'Amount', amount: true, cell: (payment) => rupiah(payment.amount) },
  { head: 'Refunded', amount: true, cell: (payment) => (payment.refundedAmount > 0n ? rupiah(payment.refundedAmount) : '') },
  { head: 'Status', cell: (payment) => <StatusBadge status={payment.status} /> },
  { head: 'Updated', cell: (payment) => utc(payment.updatedAt) },
];

function Choice(props: { label: string; name: string; options: readonly string[]; chosen: string | undefined }) {
  return (
    <label>
      {props.label}
      <select name={props.name}>
        <option value="">any</option>
        {props.options.map((option) => (
          <option value={option} selected={props.chosen === option}>
            {option}
          </option>
        ))}
      </select>
    </label>
  );
}
