import { Prisma } from '../generated/prisma/client';
import type { Database } from './client';
import { STATUSES_CLOSED_AFTER_REFUND_WINDOW, STATUSES_CLOSED_ON_ENTRY, type RetentionCutoffs } from '../domain';

// Personal-data retention in the read model (docs/security.md, "Retention"). Both steps work on at most `limit` rows
// per statement and skip rows another transaction holds (a workflow's write, a concurrent run of this job), so two
// runs never touch the same row at once; a skipped row is taken by the next batch or run.

const NOW_UTC = Prisma.sql`(now() at time zone 'utc')`;
const statuses = (list: readonly string[]) => Prisma.sql`array[${Prisma.join(list)}]::text[]`;
const at = (date: Date) => Prisma.sql`${date.toISOString()}::timestamp(3)`;

/**
 * Records when each closed payment closed, for up to `limit` payments not recorded yet; returns how many. The time is
 * the row's own evidence, never earlier than the real close:
 * - a terminal status: the row's last write, which reached that status or came after it (the workflow writes
 *   nothing once it has completed);
 * - a paid payment with money left: the refund window's end, counted from its last write or its payment, whichever
 *   is later (the window opens once the payment is recorded; a refund or notification in the window only moves
 *   the count later).
 * Once recorded, the time no longer depends on REFUND_WINDOW_DAYS or on later writes.
 */
export async function recordPaymentClosures(
  db: Database,
  cutoffs: RetentionCutoffs,
  refundWindowDays: number,
  limit: number,
): Promise<number> {
  return db.$executeRaw`
    with closed as (
      select id from payments
      where closed_at is null
        and (status = any(${statuses(STATUSES_CLOSED_ON_ENTRY)})
          or (status = any(${statuses(STATUSES_CLOSED_AFTER_REFUND_WINDOW)})
            and greatest(paid_at, updated_at) < ${at(cutoffs.refundWindowBeganBefore)}))
      limit ${limit}::int
      for update skip locked)
    update payments p set closed_at = case
        when p.status = any(${statuses(STATUSES_CLOSED_ON_ENTRY)}) then p.updated_at
        else greatest(p.paid_at, p.updated_at) + make_interval(days => ${refundWindowDays}::int)
      end
    from closed where p.id = closed.id`;
}

/**
 * Blanks the customer's name, e-mail and phone (every field of customer_details) of up to `limit` payments that closed
 * before the cut-off and still hold them; returns how many. Amounts, statuses, item details and the audit trail stay.
 * The details are blanked rather than set to null: a null would read as "not written yet" to a late read-model write,
 * which fills it in again from the workflow's input.
 */
export async function erasePersonalDataOfClosedPayments(db: Database, cutoffs: RetentionCutoffs, limit: number): Promise<number> {
  return db.$executeRaw`
    with expired as (
      select id from payments
      where personal_data_erased_at is null and closed_at < ${at(cutoffs.closedBefore)}
      order by closed_at
      limit ${limit}::int
      for update skip locked)
    update payments p set personal_data_erased_at = ${NOW_UTC}, customer_details = case
        when p.customer_details is null then null
        when jsonb_typeof(p.customer_details) = 'object'
          then (select coalesce(jsonb_object_agg(field.key, to_jsonb(''::text)), '{}'::jsonb) from jsonb_each(p.customer_details) field)
        else '{}'::jsonb
      end
    from expired where p.id = expired.id`;
}
