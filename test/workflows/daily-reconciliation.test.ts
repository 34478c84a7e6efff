import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { ReconciliationActivities } from '../../activities';
import type { PaymentToReconcile, ReconciliationRunStatus, ReconciliationWindow } from '../../src/domain';
import type { DailyReconciliationInput, dailyReconciliationWorkflow } from '../../workflows/daily-reconciliation';
import { useTimeSkippingEnvironment } from '../support/workflow-harness';

/**
 * The daily reconciliation's loop with its activities stood in for: pages follow the cursor across continue-as-new
 * with the counts carried, and a step that fails for good marks the run failed in its report before the run fails.
 */

const ts = useTimeSkippingEnvironment();

const payment = (i: number): PaymentToReconcile => ({ id: `pay-${String(i).padStart(3, '0')}`, status: 'pending', amount: 1_000, updatedAt: `2026-12-01T00:00:${String(i).padStart(2, '0')}.000Z` });
const PAYMENTS = Array.from({ length: 23 }, (_, i) => payment(i));

/** Runs the workflow over PAYMENTS; `failOnPage` makes that page's look-ups fail for good. */
async function runWith(input: Omit<DailyReconciliationInput, 'lookbackDays' | 'midtransCallsPerSecond'>, failOnPage?: number) {
  const pagesRecorded: { status: ReconciliationRunStatus; paymentsChecked: number; differences: number }[] = [];
  const cursors: (string | null)[] = [];
  const windows: ReconciliationWindow[] = [];
  let comparisons = 0;
  const activities: Pick<ReconciliationActivities, 'beginReconciliationRun' | 'readPaymentsToReconcile' | 'compareWithMidtrans' | 'recordReconciliationPage'> = {
    beginReconciliationRun: async () => {},
    readPaymentsToReconcile: async ({ window, after, limit }) => {
      cursors.push(after?.id ?? null);
      windows.push(window);
      return PAYMENTS.filter((p) => after === null || p.id > after.id).slice(0, limit);
    },
    compareWithMidtrans: async ({ payments }) => {
      comparisons += 1;
      if (comparisons === failOnPage) throw ApplicationFailure.nonRetryable('Midtrans refused the server key', 'MidtransPermanentError');
      // Every third payment has been settled at Midtrans; its workflow id names no running workflow here.
      return payments
        .filter((p) => Number(p.id.slice(-3)) % 3 === 0)
        .map((p) => ({ paymentId: p.id, kind: 'status_mismatch' as const, ourStatus: p.status, midtrans: { transactionStatus: 'settlement', grossAmount: '1000.00', orderId: p.id } }));
    },
    recordReconciliationPage: async ({ status, counts, differences }) => {
      pagesRecorded.push({ status, paymentsChecked: counts.paymentsChecked, differences: differences.length });
    },
  };
  const taskQueue = `reconciliation-${randomUUID()}`;
  const worker = await Worker.create({ connection: ts.env.nativeConnection, taskQueue, workflowBundle: ts.bundle, activities });
  const outcome = await worker.runUntil(
    ts.env.client.workflow
      .execute<typeof dailyReconciliationWorkflow>('dailyReconciliationWorkflow', {
        taskQueue,
        workflowId: taskQueue,
        args: [{ lookbackDays: 3, midtransCallsPerSecond: 100, ...input }],
      })
      .catch((error: unknown) => error),
  );
  return { outcome, pagesRecorded, cursors, windows };
}

describe('dailyReconciliationWorkflow', () => {
  it('reads page after page by cursor across continue-as-new and carries its counts', async () => {
    const { outcome, pagesRecorded, cursors } = await runWith({ pageSize: 5, pagesPerRun: 2 });
    // 23 payments in pages of 5: 5 pages, the last one short; a workflow run does 2 of them, then continues as new.
    expect(cursors).toEqual([null, 'pay-004', 'pay-009', 'pay-014', 'pay-019']);
    expect(pagesRecorded.map((p) => p.paymentsChecked)).toEqual([5, 10, 15, 20, 23]);
    expect(pagesRecorded.map((p) => p.status)).toEqual(['running', 'running', 'running', 'running', 'completed']);
    // pay-000, 003, …, 021: 8 differences. No payment workflow runs here, so each one is left for a person.
    expect(outcome).toMatchObject({ paymentsChecked: 23, differencesFound: 8, handedToWorkflow: 0, needsPerson: 8 });
  });

  it('sweeps the older paid payments every sweepEveryDays within the refund window, and none when it is 0', async () => {
    const DAY_MS = 24 * 60 * 60 * 1000;
    const swept = await runWith({ pageSize: 5, pagesPerRun: 10, sweepEveryDays: 7, refundWindowDays: 30 });
    const windows = new Set(swept.windows.map((w) => JSON.stringify(w)));
    expect(windows.size).toBe(1);
    const [window] = swept.windows as [ReconciliationWindow];
    expect(window.sweep?.everyDays).toBe(7);
    expect(Date.parse(window.touchedUntil) - Date.parse(window.sweep!.paidSince)).toBe(31 * DAY_MS);
    expect(window.sweep?.refundWindowDays).toBe(30);
    expect(Date.parse(window.touchedUntil) - Date.parse(window.touchedSince)).toBe(3 * DAY_MS);
    const off = await runWith({ pageSize: 5, pagesPerRun: 10, sweepEveryDays: 0, refundWindowDays: 30 });
    expect(off.windows[0]!.sweep).toBeUndefined();
  });

  it('a step that fails for good marks the run failed, with what it had found, and fails the workflow', async () => {
    const { outcome, pagesRecorded } = await runWith({ pageSize: 5, pagesPerRun: 10 }, 3);
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
    expect(pagesRecorded.map((p) => p.status)).toEqual(['running', 'running', 'failed']);
    expect(pagesRecorded.at(-1)).toMatchObject({ paymentsChecked: 10, differences: 0 });
  });
});
