import { Prisma } from '../generated/prisma/client';
import type { Database } from './client';
import {
  SWEPT_STATUSES,
  type DriftKind,
  type PaymentCursor,
  type PaymentToReconcile,
  type ReconciliationCounts,
  type ReconciliationDifferenceRecord,
  type ReconciliationRunStatus,
  type ReconciliationWindow,
} from '../domain';

// The daily reconciliation's reads and writes (workflows/daily-reconciliation.ts) and the drift reports the API lists.
// Every write is idempotent, so a retried activity or a replayed run records each difference and count once.

const at = (iso: string) => Prisma.sql`${iso}::timestamp(3)`;
const NOW_UTC = Prisma.sql`(now() at time zone 'utc')`;

/**
 * Up to `limit` payments after `after`, in (updated_at, id) order (index payments_updated_at_id_idx): those written in
 * the window, and those the sweep compares today. A payment is written no earlier than it was paid, so one scan of
 * updated_at from the earlier of the two bounds finds both.
 */
export function paymentsToReconcile(
  db: Database,
  window: ReconciliationWindow,
  after: PaymentCursor | null,
  limit: number,
): Promise<PaymentToReconcile[]> {
  const { touchedSince, touchedUntil, sweep } = window;
  const afterCursor = after ? Prisma.sql`and (updated_at, id) > (${at(after.updatedAt)}, ${after.id})` : Prisma.empty;
  const scanFrom = sweep && sweep.paidSince < touchedSince ? sweep.paidSince : touchedSince;
  const daysSincePaid = Prisma.sql`(${at(touchedUntil)}::date - paid_at::date)`;
  const sweptToday = sweep
    ? Prisma.sql`or (status in (${Prisma.join(SWEPT_STATUSES)}) and paid_at >= ${at(sweep.paidSince)}
        and (${daysSincePaid} % ${sweep.everyDays}::int = 0 and ${daysSincePaid} < ${sweep.refundWindowDays}::int
          or ${daysSincePaid} = ${sweep.refundWindowDays}::int))`
    : Prisma.empty;
  return db.$queryRaw<PaymentToReconcile[]>`
    select id, status, amount::float8 as amount, refunded_amount::float8 as "refundedAmount", to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "updatedAt"
    from payments
    where updated_at >= ${at(scanFrom)} and updated_at < ${at(touchedUntil)}
      and (updated_at >= ${at(touchedSince)} ${sweptToday}) ${afterCursor}
    order by updated_at, id
    limit ${limit}::int`;
}

/**
 * Records a run as started. Runs never overlap (the schedule skips a run while one goes on), so one still `running`
 * from another workflow was ended without finishing, by its time limit or by hand: it is marked abandoned.
 */
export async function beginReconciliationRun(
  db: Database,
  run: ReconciliationWindow & { runId: string; workflowId: string; startedAt: string },
): Promise<void> {
  await db.$executeRaw`
    update reconciliation_runs set status = 'abandoned'
    where status = 'running' and workflow_id <> ${run.workflowId} and started_at < ${at(run.startedAt)}`;
  await db.$executeRaw`
    insert into reconciliation_runs (id, workflow_id, touched_since, touched_until, sweep_every_days, swept_paid_since, status, started_at)
    values (${run.runId}, ${run.workflowId}, ${at(run.touchedSince)}, ${at(run.touchedUntil)}, ${run.sweep?.everyDays ?? null}::int,
      ${run.sweep ? at(run.sweep.paidSince) : null}, 'running', ${at(run.startedAt)})
    on conflict (id) do nothing`;
}

/**
 * Records a page's differences (a difference already recorded for the payment in this run stays as it was), the
 * run's counts so far and its status, in one transaction. Returns the differences this call recorded, by kind.
 */
export async function recordReconciliationPage(
  db: Database,
  runId: string,
  differences: readonly ReconciliationDifferenceRecord[],
  counts: ReconciliationCounts,
  status: ReconciliationRunStatus,
): Promise<Partial<Record<DriftKind, number>>> {
  return db.$transaction(async (tx) => {
    const recorded: Partial<Record<DriftKind, number>> = {};
    for (const d of differences) {
      const inserted = await tx.$executeRaw`
        insert into reconciliation_differences (run_id, payment_id, kind, our_status, midtrans_status, midtrans_fraud_status, outcome, detail, found_at)
        values (${runId}, ${d.paymentId}, ${d.kind}, ${d.ourStatus}, ${d.midtransStatus}, ${d.midtransFraudStatus}, ${d.outcome},
          ${d.detail === undefined ? null : JSON.stringify(d.detail)}::jsonb, ${NOW_UTC})
        on conflict (run_id, payment_id) do nothing`;
      if (inserted > 0) recorded[d.kind] = (recorded[d.kind] ?? 0) + 1;
    }
    await tx.$executeRaw`
      update reconciliation_runs set payments_checked = ${counts.paymentsChecked}::int, differences_found = ${counts.differencesFound}::int,
        handed_to_workflow = ${counts.handedToWorkflow}::int, needs_person = ${counts.needsPerson}::int,
        status = ${status}, finished_at = case when ${status} = 'running' then null else coalesce(finished_at, ${NOW_UTC}) end
      where id = ${runId}`;
    return recorded;
  });
}

/** When the latest run started, and when the latest completed one finished: seconds since the epoch, null if none. */
export async function lastReconciliationTimes(db: Database): Promise<{ lastStarted: number | null; lastCompleted: number | null }> {
  const [row] = await db.$queryRaw<{ lastStarted: number | null; lastCompleted: number | null }[]>`
    select extract(epoch from max(started_at))::float8 as "lastStarted",
      extract(epoch from max(finished_at) filter (where status = 'completed'))::float8 as "lastCompleted"
    from reconciliation_runs`;
  return row ?? { lastStarted: null, lastCompleted: null };
}

export type ReconciliationRunRow = Awaited<ReturnType<typeof listReconciliationRuns>>[number];

/** Runs newest first, `limit` of them, after the run `before` (keyset: started_at, id, both descending). */
export function listReconciliationRuns(db: Database, limit: number, before?: { startedAt: Date; id: string }) {
  return db.reconciliationRun.findMany({
    where: before ? { OR: [{ startedAt: { lt: before.startedAt } }, { startedAt: before.startedAt, id: { lt: before.id } }] } : undefined,
    orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
}

/** A run with its differences in the order they were found; null when there is no such run. */
export function findReconciliationRun(db: Database, runId: string) {
  return db.reconciliationRun.findUnique({
    where: { id: runId },
    include: { differences: { orderBy: { id: 'asc' } } },
  });
}
