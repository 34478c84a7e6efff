import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { bundlePaymentWorkflows } from '../../src/temporal/worker';
import { refundUpdate } from '../../workflows/messages';
import { createWorkflowHarness, startPaymentWorkflow, type WorkflowHarness } from '../support/workflow-harness';

/**
 * The SDK records a stack trace for every promise a workflow creates, for the Web UI's Stack Trace tab; our workers
 * turn that off (docs/tuning.md change 22) unless started with WORKFLOW_STACK_TRACES=true. Both sides are pinned: a
 * worker without traces must not pay for them, and one asked for them must show where a payment waits.
 */
const STACK_FRAME = /^\s+at /m;

describe('stack traces in payment workflows', () => {
  let harness: WorkflowHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function waitingPayment(stackTraces: boolean): Promise<WorkflowHandle> {
    harness = await createWorkflowHarness(await bundlePaymentWorkflows({ traced: false, stackTraces }));
    const { handle } = await startPaymentWorkflow(harness);
    return handle;
  }

  /** A refund of a payment not paid yet: its validator, workflow code, refuses it with an error. */
  async function refusedRefund(handle: WorkflowHandle): Promise<Error> {
    const error = await handle.executeUpdate(refundUpdate, { args: [{ amount: 1_000 }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    return (error as WorkflowUpdateFailedError).cause as Error;
  }

  it('by default: the Stack Trace query has no frames, and an error from workflow code carries its message only', async () => {
    const handle = await waitingPayment(false);
    const stacks = await handle.query<string>('__stack_trace');
    expect(stacks).not.toMatch(STACK_FRAME);
    const refused = await refusedRefund(handle);
    expect(refused.message).toMatch(/refund/i);
    expect(refused.stack ?? '').not.toMatch(STACK_FRAME);
    await handle.terminate('test done');
  }, 60_000);

  it('with WORKFLOW_STACK_TRACES: the query shows where the payment waits, and the error where it was thrown', async () => {
    const handle = await waitingPayment(true);
    const stacks = await handle.query<string>('__stack_trace');
    expect(stacks).toMatch(/at messageOrDeadline \(.*workflows\/payment\.ts:\d+/);
    const refused = await refusedRefund(handle);
    expect(refused.stack).toMatch(/workflows\/payment-entity\.ts:\d+/);
    await handle.terminate('test done');
  }, 60_000);
});
