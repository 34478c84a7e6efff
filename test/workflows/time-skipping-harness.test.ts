import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { midtransNotificationSignal } from '../../workflows/messages';
import { startPaymentWorkflow, useWorkflowHarness } from '../support/workflow-harness';

/**
 * The harness itself: time skipping must still work after a test ends its workflow while an activity is running (on
 * a loaded machine, the usual case). A locked server makes `env.sleep` wait in real time: an hour takes an hour.
 */
const ctx = useWorkflowHarness();

/** Real milliseconds an hour of workflow time took, or 'still sleeping' after `boundMs`. */
async function realTimeOfAnHour(boundMs: number): Promise<number | 'still sleeping'> {
  const startedAt = Date.now();
  const skipped = ctx.h.env.sleep('1 hour').then(() => Date.now() - startedAt);
  return Promise.race([skipped, sleep(boundMs).then(() => 'still sleeping' as const)]);
}

describe('the time-skipping harness', () => {
  it('a workflow terminated while its status look-up runs leaves time skipping on: an hour passes in seconds', async () => {
    const { request, handle } = await startPaymentWorkflow(ctx.h);
    const pending = await ctx.h.notificationFor(request.paymentId);
    const lookUp = ctx.h.holdStatusLookups();
    await handle.signal(midtransNotificationSignal, { ...pending, transactionStatus: 'settlement' });
    await lookUp.arrived;
    const terminated = handle.terminate('test done');
    await sleep(1_000);
    lookUp.release();
    await terminated;
    // Seconds are the margin for a loaded machine; a locked server needs the whole hour.
    expect(await realTimeOfAnHour(20_000)).not.toBe('still sleeping');
  });
});
