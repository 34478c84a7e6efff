import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundlePaymentWorkflows } from '../../src/temporal/worker';
import { testDataConverter } from '../support/fixtures';
import { HISTORIES_DIR } from '../support/workflow-harness';

/**
 * Determinism guard: every recorded history (one per workflow-test scenario) must replay against today's workflow
 * code. A change that alters the sequence of commands fails here; guard such changes with `patched()`.
 * Re-record with `npm run replay:record` only when the histories should change.
 */
const histories = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

let workflowBundle: WorkflowBundle;
beforeAll(async () => {
  workflowBundle = await bundlePaymentWorkflows();
});

describe('replay of recorded payment histories', () => {
  it('has recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThanOrEqual(10);
  });

  it.each(histories)('%s replays deterministically', async (file) => {
    const history = temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(started?.workflowType?.name).toBe('paymentWorkflow');
    // With the codec, as every worker runs: histories from before encryption pass through it untouched.
    await expect(
      Worker.runReplayHistory({ workflowBundle, replayName: file, dataConverter: testDataConverter() }, history, file),
    ).resolves.toBeUndefined();
  });
});
