import { Context } from '@temporalio/activity';
import type { Database } from '../src/db/client';
import { beginReconciliationRun, paymentsToReconcile, recordReconciliationPage } from '../src/db/reconciliations';
import {
  reconciliationDrift,
  type DriftKind,
  type MidtransObservation,
  type PaymentCursor,
  type PaymentToReconcile,
  type ReconciliationCounts,
  type ReconciliationDifferenceRecord,
  type ReconciliationRunStatus,
  type ReconciliationWindow,
} from '../src/domain';
import { reconciliationDriftTotal } from '../src/temporal/worker-metrics';

/** A payment whose record differs from Midtrans's answer: what the workflow hands over or leaves for a person. */
export interface FoundDifference {
  paymentId: string;
  kind: DriftKind;
  ourStatus: PaymentToReconcile['status'];
  midtrans: MidtransObservation | null;
}

/** Midtrans's status API as the payment workflow asks it (activities/midtrans.ts): null when Midtrans does not know the order. */
export type MidtransStatusLookup = (paymentId: string) => Promise<MidtransObservation | null>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The daily reconciliation's steps: read a page of payments, ask Midtrans about each, record what differs. */
export function createReconciliationActivities(db: Database, lookUpStatus: MidtransStatusLookup) {
  return {
    async beginReconciliationRun(run: ReconciliationWindow & { runId: string; workflowId: string; startedAt: string }): Promise<void> {
      await beginReconciliationRun(db, run);
    },

    async readPaymentsToReconcile(input: { window: ReconciliationWindow; after: PaymentCursor | null; limit: number }): Promise<PaymentToReconcile[]> {
      return paymentsToReconcile(db, input.window, input.after, input.limit);
    },

    /**
     * Asks Midtrans for each payment's status, at most `callsPerSecond` look-ups started per second (a look-up does not
     * wait for the one before it, so a slow answer does not slow the pace). A failed look-up fails the page, which is
     * retried whole: asking twice changes nothing at Midtrans.
     */
    async compareWithMidtrans(input: { payments: PaymentToReconcile[]; callsPerSecond: number }): Promise<FoundDifference[]> {
      const interval = 1_000 / input.callsPerSecond;
      const startedAt = Date.now();
      const lookUps: Promise<FoundDifference | null>[] = [];
      for (const [index, payment] of input.payments.entries()) {
        const wait = startedAt + index * interval - Date.now();
        if (wait > 0) await sleep(wait);
        Context.current().heartbeat(index);
        lookUps.push(
          lookUpStatus(payment.id).then((midtrans) => {
            const kind = reconciliationDrift(payment, midtrans);
            return kind && { paymentId: payment.id, kind, ourStatus: payment.status, midtrans };
          }),
        );
      }
      // Every look-up is awaited, so none is left running (or unhandled) when one fails.
      const settled = await Promise.allSettled(lookUps);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      return settled.flatMap((s) => (s.status === 'fulfilled' && s.value ? [s.value] : []));
    },

    /** Idempotent: a difference is recorded (and counted in payments_reconciliation_drift_total) once per run. */
    async recordReconciliationPage(input: {
      runId: string;
      differences: ReconciliationDifferenceRecord[];
      counts: ReconciliationCounts;
      status: ReconciliationRunStatus;
    }): Promise<void> {
      const recorded = await recordReconciliationPage(db, input.runId, input.differences, input.counts, input.status);
      for (const [kind, count] of Object.entries(recorded)) reconciliationDriftTotal.inc({ kind }, count);
      // Counts only: which payments is in the report, never in the logs.
      Context.current().log.info('reconciliation page recorded', { runId: input.runId, ...input.counts, status: input.status });
    },
  };
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;
