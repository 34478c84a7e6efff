import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { RetentionActivities, RetentionBatch, RetentionBatchResult } from '../../activities';
import { UNTRACED_WORKFLOW_SINKS } from '../../src/telemetry/tracing';
import type { personalDataRetentionWorkflow } from '../../workflows/personal-data-retention';
import { useTimeSkippingEnvironment } from '../support/workflow-harness';

/**
 * The scheduled retention workflow's loop, with the batch activity stood in for: it calls batches until one comes back
 * short, and stops at its cap however much is left (the next scheduled run goes on).
 */

const ts = useTimeSkippingEnvironment();

const BATCH: RetentionBatch = { retentionDays: 365, refundWindowDays: 30, batchSize: 10 };

/** Runs the workflow against batches that answer `answers` in turn; returns its result and the inputs it sent. */
async function runWith(answers: RetentionBatchResult[], maxBatches: number) {
  const calls: RetentionBatch[] = [];
  const activities: Pick<RetentionActivities, 'erasePersonalDataBatch'> = {
    erasePersonalDataBatch: async (input) => {
      calls.push(input);
      const answer = answers[calls.length - 1];
      if (!answer) throw new Error('called once too often');
      return answer;
    },
  };
  const taskQueue = `retention-${randomUUID()}`;
  const worker = await Worker.create({ connection: ts.env.nativeConnection, taskQueue, workflowBundle: ts.bundle, activities, sinks: UNTRACED_WORKFLOW_SINKS });
  const result = await worker.runUntil(
    ts.env.client.workflow.execute<typeof personalDataRetentionWorkflow>('personalDataRetentionWorkflow', {
      taskQueue,
      workflowId: taskQueue,
      args: [{ batch: BATCH, maxBatches }],
    }),
  );
  return { result, calls };
}

const full = (erased: number): RetentionBatchResult => ({ closuresRecorded: 10, erased, more: true });

describe('personalDataRetentionWorkflow', () => {
  it('calls batches until one comes back short, and adds up what they did', async () => {
    const { result, calls } = await runWith([full(10), full(4), { closuresRecorded: 3, erased: 7, more: false }], 500);
    expect(result).toEqual({ closuresRecorded: 23, erased: 21, batches: 3 });
    expect(calls).toEqual([BATCH, BATCH, BATCH]);
  });

  it('stops at maxBatches while there is more, leaving the rest to the next run', async () => {
    const { result, calls } = await runWith([full(10), full(10), full(10)], 2);
    expect(result).toEqual({ closuresRecorded: 20, erased: 20, batches: 2 });
    expect(calls).toHaveLength(2);
  });
});
