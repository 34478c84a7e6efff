import { continueAsNew, getExternalWorkflowHandle, log, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { FoundDifference, ReconciliationActivities } from '../activities';
import {
  isSettledByPaymentWorkflow,
  type PaymentCursor,
  type ReconciliationCounts,
  type ReconciliationDifferenceRecord,
  type ReconciliationWindow,
} from '../src/domain';
import { paymentWorkflowId, reconcileRequestSignal } from './messages';

export interface DailyReconciliationInput {
  /** RECONCILIATION_LOOKBACK_DAYS: the payments last written this many days before the run are compared. */
  lookbackDays: number;
  /**
   * RECONCILIATION_SWEEP_EVERY_DAYS: a paid payment last written before the window is compared every this many days
   * while it is within REFUND_WINDOW_DAYS (`refundWindowDays`). Absent or 0: no sweep.
   */
  sweepEveryDays?: number;
  refundWindowDays?: number;
  /** RECONCILIATION_MIDTRANS_CALLS_PER_SECOND: the pace of status look-ups. */
  midtransCallsPerSecond: number;
  /** Payments read, asked about and recorded together. */
  pageSize: number;
  /** Pages per workflow run before it continues as new, so no history grows without bound. */
  pagesPerRun: number;
  /** Set when a run continued as new: where the reconciliation stands. */
  progress?: ReconciliationProgress;
}

export interface ReconciliationProgress {
  runId: string;
  window: ReconciliationWindow;
  after: PaymentCursor | null;
  counts: ReconciliationCounts;
}

export interface DailyReconciliationResult extends ReconciliationCounts {
  runId: string;
}

/** Who asks the payment workflows to look at Midtrans, in their audit trail. */
export const DAILY_RECONCILIATION = 'daily-reconciliation';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Database steps: idempotent, so retries are free. */
const { beginReconciliationRun, readPaymentsToReconcile, recordReconciliationPage } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * A page of look-ups takes pageSize / callsPerSecond seconds; the heartbeat notices a worker that died halfway. A
 * permanent Midtrans error (a rotated server key) fails the activity at once; transient ones are retried for an hour.
 */
const { compareWithMidtrans } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * The scheduled job (src/temporal/schedules.ts) that compares every payment written in the last `lookbackDays`, and the
 * sweep's slice of older paid ones (ReconciliationSweep), with Midtrans's status, page by page, records the
 * differences as a drift report (GET /operations/reconciliations), and hands each status difference to its payment
 * workflow, which asks Midtrans itself and applies the answer as it does a notification's. A difference whose workflow
 * has closed, or that no status change can fix, is left for a person.
 */
export async function dailyReconciliationWorkflow(input: DailyReconciliationInput): Promise<DailyReconciliationResult> {
  const progress = input.progress ?? (await beginRun(input));
  let finished: boolean;
  try {
    finished = await reconcilePages(input, progress);
  } catch (error) {
    // A step that failed for good (a rotated server key, Midtrans down past the retries) ends the run; its report
    // says so, with what it had found, and the next scheduled run starts afresh.
    await recordReconciliationPage({ runId: progress.runId, differences: [], counts: progress.counts, status: 'failed' });
    throw error;
  }
  if (finished) {
    log.info('daily reconciliation finished', { runId: progress.runId, ...progress.counts });
    return { runId: progress.runId, ...progress.counts };
  }
  return continueAsNew<typeof dailyReconciliationWorkflow>({ ...input, progress });
}

/**
 * Up to `pagesPerRun` pages from `progress.after` on (fewer when Temporal suggests continuing as new), each compared,
 * handed over and recorded; `progress` moves with them. True once the last page is done.
 */
async function reconcilePages(input: DailyReconciliationInput, progress: ReconciliationProgress): Promise<boolean> {
  const { runId, window, counts } = progress;
  for (let pages = 0; pages < input.pagesPerRun; pages += 1) {
    const payments = await readPaymentsToReconcile({ window, after: progress.after, limit: input.pageSize });
    const differences = await compareWithMidtrans({ payments, callsPerSecond: input.midtransCallsPerSecond });
    const recorded = await Promise.all(differences.map(handOver));
    counts.paymentsChecked += payments.length;
    counts.differencesFound += recorded.length;
    counts.handedToWorkflow += recorded.filter((d) => d.outcome === 'handed_to_workflow').length;
    counts.needsPerson += recorded.filter((d) => d.outcome === 'needs_person').length;
    const last = payments.length < input.pageSize ? undefined : payments[payments.length - 1];
    await recordReconciliationPage({ runId, differences: recorded, counts, status: last ? 'running' : 'completed' });
    if (!last) return true;
    progress.after = { updatedAt: last.updatedAt, id: last.id };
    // Pages full of differences (a signal each) grow the history faster than pagesPerRun assumes.
    if (workflowInfo().continueAsNewSuggested) return false;
  }
  return false;
}

/**
 * The window ends when the run starts. A payment written later (by a notification, or by its workflow after this run
 * handed it a difference) is the next run's, so no payment is compared twice in one run.
 */
async function beginRun({ lookbackDays, sweepEveryDays, refundWindowDays }: DailyReconciliationInput): Promise<ReconciliationProgress> {
  const now = Date.now();
  const daysAgo = (days: number) => new Date(now - days * DAY_MS).toISOString();
  const window: ReconciliationWindow = { touchedSince: daysAgo(lookbackDays), touchedUntil: new Date(now).toISOString() };
  if (sweepEveryDays && refundWindowDays) {
    window.sweep = { paidSince: daysAgo(refundWindowDays + 1), everyDays: sweepEveryDays, refundWindowDays };
  }
  const runId = uuid4();
  await beginReconciliationRun({ runId, workflowId: workflowInfo().workflowId, startedAt: window.touchedUntil, ...window });
  return { runId, window, after: null, counts: { paymentsChecked: 0, differencesFound: 0, handedToWorkflow: 0, needsPerson: 0 } };
}

/**
 * Signals the payment's workflow to reconcile now. Signalling a workflow that has closed fails: its payment is closed
 * to us (a terminal status, or its refund window over), so only a person can act on what Midtrans says.
 */
async function handOver(difference: FoundDifference): Promise<ReconciliationDifferenceRecord> {
  const { paymentId, kind, ourStatus, midtrans } = difference;
  const record = {
    paymentId,
    kind,
    ourStatus,
    midtransStatus: midtrans?.transactionStatus ?? null,
    midtransFraudStatus: midtrans?.fraudStatus ?? null,
  };
  if (!isSettledByPaymentWorkflow(kind)) {
    const detail = { reason: 'not a status the payment workflow can apply', grossAmount: midtrans?.grossAmount, refundAmount: midtrans?.refundAmount };
    return { ...record, outcome: 'needs_person', detail };
  }
  const says = kind === 'refund_not_counted' ? `${record.midtransStatus} with ${midtrans?.refundAmount} refunded in all` : record.midtransStatus;
  try {
    await getExternalWorkflowHandle(paymentWorkflowId(paymentId)).signal(reconcileRequestSignal, {
      requestedBy: DAILY_RECONCILIATION,
      reason: `Midtrans says ${says}; the read model has ${ourStatus}`,
    });
    return { ...record, outcome: 'handed_to_workflow' };
  } catch (error) {
    return { ...record, outcome: 'needs_person', detail: { reason: 'the payment workflow has closed', signalError: String(error) } };
  }
}
