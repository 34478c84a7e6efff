import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { UNTRACED_WORKFLOW_SINKS } from '../../src/telemetry/tracing';
import { defaultPayloadConverter } from '@temporalio/common';
import { encryptedDataConverter, PayloadEncryptionCodec } from '../../src/temporal/payload-codec';
import { paymentWorkflowId } from '../../src/temporal/workflow-ids';
import type { PaymentWorkflowInput } from '../../workflows/messages';
import { bundlePaymentWorkflows } from '../../src/temporal/worker';
import { TEST_PAYLOAD_KEY, testDataConverter } from '../support/fixtures';
import { keyIdsOf, payloadsIn } from '../support/history-payloads';
import { HISTORIES_DIR } from '../support/workflow-harness';

/**
 * Determinism guard: every recorded history (one per workflow-test scenario, and the daily reconciliation's from
 * before its sweep) must replay against today's workflow code. A change that alters the sequence of commands fails here; guard such changes with `patched()`.
 * Re-record with `npm run replay:record` only when the histories should change.
 */
const histories = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

let workflowBundle: WorkflowBundle;
/** A traced worker's bundle (its interceptors add headers, no commands): every history replays with it too. */
let tracedWorkflowBundle: WorkflowBundle;
beforeAll(async () => {
  [workflowBundle, tracedWorkflowBundle] = await Promise.all([bundlePaymentWorkflows({ traced: false }), bundlePaymentWorkflows({ traced: true })]);
}, 120_000);

describe('replay of recorded payment histories', () => {
  it('has recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThanOrEqual(10);
  });

  it.each(histories)('%s replays deterministically, untraced and traced', async (file) => {
    const history = readHistory(file);
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(['paymentWorkflow', 'dailyReconciliationWorkflow']).toContain(started?.workflowType?.name);
    // With the codec, as every worker runs; histories from before encryption pass through it untouched, as they do
    // where ACCEPT_UNENCRYPTED_PAYLOADS is on.
    const dataConverter = encryptedDataConverter([TEST_PAYLOAD_KEY], { acceptUnencrypted: true });
    const workflowId = await workflowIdOf(history, file);
    for (const bundle of [workflowBundle, tracedWorkflowBundle]) {
      await expect(
        Worker.runReplayHistory({ workflowBundle: bundle, sinks: UNTRACED_WORKFLOW_SINKS, replayName: file, dataConverter }, history, workflowId),
      ).resolves.toBeUndefined();
    }
  });
});

/**
 * The workflow id a history ran under, which it does not hold: a payment's is `payment-<its payment id>`, and the
 * workflow checks it (another payment's input fails its first task). Other workflows replay under the file's name.
 */
async function workflowIdOf(history: temporal.api.history.v1.History, file: string): Promise<string> {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (started?.workflowType?.name !== 'paymentWorkflow') return file;
  const [input] = await new PayloadEncryptionCodec([TEST_PAYLOAD_KEY], { acceptUnencrypted: true }).decode(started.input?.payloads ?? []);
  return paymentWorkflowId(defaultPayloadConverter.fromPayload<PaymentWorkflowInput>(input!).request.paymentId);
}

function readHistory(file: string) {
  return temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
}

describe('replay of a history recorded with encrypted payloads', () => {
  const encrypted = histories.filter((file) => file.startsWith('encrypted-'));

  it('there is one, and every payload in it is sealed with the tests key', () => {
    expect(encrypted.length).toBeGreaterThanOrEqual(1);
    for (const file of encrypted) expect(new Set(keyIdsOf(payloadsIn(readHistory(file))))).toEqual(new Set([TEST_PAYLOAD_KEY.id]));
  });

  it.each(encrypted)('%s fails clearly, naming the key id, with keys that do not include its key', async (file) => {
    const otherKey = { id: 'another', key: randomBytes(32) };
    const replay = Worker.runReplayHistory(
      { workflowBundle, sinks: UNTRACED_WORKFLOW_SINKS, replayName: file, dataConverter: encryptedDataConverter([otherKey]) },
      readHistory(file),
      file,
    );
    // The SDK quotes the codec's message inside its own, escaping the quotes.
    await expect(replay).rejects.toThrow(new RegExp(`key id \\\\*"${TEST_PAYLOAD_KEY.id}\\\\*", which is not in PAYLOAD_ENCRYPTION_KEYS`));
  });

  it.each(encrypted)('%s fails without any codec: the SDK does not know the encoding', async (file) => {
    const replay = Worker.runReplayHistory({ workflowBundle, sinks: UNTRACED_WORKFLOW_SINKS, replayName: file }, readHistory(file), file);
    await expect(replay).rejects.toThrow(/Unknown encoding: binary\/encrypted/);
  });
});

describe('replay of a history recorded before encryption', () => {
  const unencrypted = histories.filter((file) => keyIdsOf(payloadsIn(readHistory(file))).includes('none'));

  it('there are some', () => {
    expect(unencrypted.length).toBeGreaterThanOrEqual(1);
  });

  it.each(unencrypted)('%s fails on its unencrypted payloads where they are refused (ACCEPT_UNENCRYPTED_PAYLOADS off)', async (file) => {
    const replay = Worker.runReplayHistory({ workflowBundle, sinks: UNTRACED_WORKFLOW_SINKS, replayName: file, dataConverter: testDataConverter() }, readHistory(file), file);
    await expect(replay).rejects.toThrow(/Unknown encoding: binary\/refused-unencrypted/);
  });
});
