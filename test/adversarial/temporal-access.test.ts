import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MISSING_BINARY_HINT, resolveTemporalCli } from '../../scripts/local-stack/binaries';
import { paymentWorkflowId } from '../../src/api/payment-workflows';
import { createPaymentBody } from '../support/fixtures';
import { startService, type Service } from '../support/service-harness';
import { paymentRequest } from '../support/workflow-harness';
import { midtransNotificationSignal, paymentQuery, refundUpdate, type PaymentWorkflowInput } from '../../workflows/messages';

/**
 * Someone who reaches the Temporal frontend but holds no payload key (a leaked network path, the Web UI, a stolen
 * CLI profile): whatever they send is written without encryption. The worker and the API open only what was sealed
 * with a key, so nothing unsealed moves money or starts a charge (docs/security.md,
 * threat 19).
 */

const run = promisify(execFile);

let s: Service;
let intruder: Client;
beforeAll(async () => {
  s = await startService();
  intruder = new Client({ connection: s.client.connection, namespace: 'default' });
});
afterAll(async () => {
  await s?.close();
});

const atMidtrans = async (paymentId: string) => {
  const answer = await fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}`);
  return answer.status === 404 ? undefined : ((await answer.json()) as { transaction: { refunds?: unknown[] } });
};


/** How a call ended within `ms`: its answer, its error, or nothing yet. */
async function within<T>(ms: number, call: Promise<T>): Promise<{ answered: T } | { failed: unknown } | 'no answer'> {
  return Promise.race([call.then((answered) => ({ answered }), (failed: unknown) => ({ failed })), sleep(ms).then(() => 'no answer' as const)]);
}

describe('a client without the payload key', () => {
  it('sends a paid payment a refund update: nothing is refunded, and the payment still refunds through the API', async () => {
    const id = await s.paidPayment(100_000);
    const handle = intruder.workflow.getHandle(paymentWorkflowId(id));

    const outcome = await within(15_000, handle.executeUpdate(refundUpdate, { args: [{ reason: 'not ours to ask' }] }));
    // Rejected before it was accepted, so it is not in the history either.
    expect(outcome).toMatchObject({ failed: { name: 'WorkflowUpdateFailedError', cause: { message: 'Unknown encoding: binary/refused-unencrypted' } } });
    expect((await atMidtrans(id))?.transaction.refunds ?? []).toEqual([]);
    expect((await s.api('GET', `/payments/${id}`)).body).toMatchObject({ status: 'success', refunded_amount: 0 });

    // The refused update left the payment working: a refund through the API, with its key, goes through once.
    const refunded = await s.api('POST', `/payments/${id}/refund`, { amount: 40_000, reason: 'one seat' }, { 'idempotency-key': `refund-${id}` });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);
    expect(refunded.body).toMatchObject({ status: 'partially_refunded', refunded_amount: 40_000 });
    expect((await atMidtrans(id))?.transaction.refunds).toHaveLength(1);
  });

  it('starts a payment workflow of its own, the whole request in its input: Midtrans is never charged for it', async () => {
    const request = paymentRequest({ method: 'gopay', bank: undefined, amount: 75_000 });
    const input: PaymentWorkflowInput = { request, refundWindowDays: 30 };
    const handle = await intruder.workflow.start('paymentWorkflow', {
      workflowId: paymentWorkflowId(request.paymentId),
      taskQueue: s.taskQueue,
      args: [input],
    });
    try {
      // The worker took its first workflow task, and it failed on the refused input, more than once.
      await s.eventually(
        () => s.client.workflow.getHandle(handle.workflowId).describe(),
        (d) => (d.raw.pendingWorkflowTask?.attempt ?? 0) >= 2,
      );
      const history = await intruder.workflow.getHandle(handle.workflowId).fetchHistory();
      const failure = history.events?.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.message;
      expect(failure).toBe('Unknown encoding: binary/refused-unencrypted');
      expect(await atMidtrans(request.paymentId)).toBeUndefined();
      expect(s.simulator.simulator.store.chargeAttempts(request.paymentId)).toBeUndefined();
    } finally {
      await handle.terminate('adversarial test cleanup');
    }
  });


  it("signals a made-up settlement: no look-up is made on its word, and an operator's reset without signals sets the payment going", async () => {
    const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: 'gopay', bank: undefined, amount: 60_000 }));
    expect(created.status).toBe(201);
    const id: string = created.body.payment_id;
    const workflowId = paymentWorkflowId(id);
    const lookUps = () => s.simulator.requests.status ?? 0;
    const lookUpsBefore = lookUps();

    await intruder.workflow.getHandle(workflowId).signal(midtransNotificationSignal, {
      orderId: id,
      transactionStatus: 'settlement',
      statusCode: '200',
      grossAmount: 60_000,
    } as never);
    // The signal is in the history and cannot be opened: the workflow task that carries it fails, again and again.
    const wedged = await s.eventually(
      () => s.client.workflow.getHandle(workflowId).describe(),
      (d) => (d.raw.pendingWorkflowTask?.attempt ?? 0) >= 2,
    );
    expect(wedged.status.name).toBe('RUNNING');
    expect(lookUps()).toBe(lookUpsBefore);
    expect((await s.api('GET', `/payments/${id}/status`)).body.status).toBe('pending');

    // docs/operations.md, "A workflow task fails on a refused payload": reset to the last workflow task that completed,
    // with no signal after it applied again.
    const cli = resolveTemporalCli();
    if (cli.kind !== 'path') throw new Error(MISSING_BINARY_HINT);
    await run(cli.path, ['workflow', 'reset', '--address', inject('temporalAddress'), '--workflow-id', workflowId, '--type', 'LastWorkflowTask',
      '--reapply-exclude', 'Signal', '--reason', 'a signal written without the payload key']);

    // The customer pays: Midtrans's own notification, through the webhook, completes the payment.
    await fetch(`${s.simulator.url}/_simulator/transactions/${id}/pay`, { method: 'POST' });
    await s.eventually(
      () => s.api('GET', `/payments/${id}/status`),
      (status) => status.body.status === 'success',
    );
    expect(lookUps()).toBeGreaterThan(lookUpsBefore);
  });
});

describe('a client without the payload key, with sealed payloads copied from a history', () => {
  /** The sealed input of the payment's `name` signals, as its history holds them (ciphertext). */
  async function sealedSignals(paymentId: string, name: string) {
    const history = await intruder.workflow.getHandle(paymentWorkflowId(paymentId)).fetchHistory();
    return (history.events ?? []).flatMap((event) => {
      const signaled = event.workflowExecutionSignaledEventAttributes;
      return signaled?.signalName === name ? [signaled.input!] : [];
    });
  }
  /** The sealed arguments of the payment's accepted `name` updates, as its history holds them (ciphertext). */
  async function sealedArguments(paymentId: string, name: 'refund' | 'cancel') {
    const history = await intruder.workflow.getHandle(paymentWorkflowId(paymentId)).fetchHistory();
    return (history.events ?? []).flatMap((event) => {
      const accepted = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
      return accepted?.input?.name === name ? [accepted.input.args!] : [];
    });
  }
  /** An update sent as the server takes it: the copied payloads as they are, under an update id of the sender's. */
  async function replayUpdate(paymentId: string, name: 'refund' | 'cancel', args: temporal.api.common.v1.IPayloads, updateId = `intruder-${randomUUID()}`) {
    const sent = intruder.workflowService.updateWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: paymentWorkflowId(paymentId) },
      request: { meta: { updateId, identity: 'intruder' }, input: { name, args } },
      waitPolicy: { lifecycleStage: temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
    });
    return within(15_000, sent);
  }
  /** A paid 100,000 payment refunded through the API, once per amount, each under a key of its own. */
  async function refundedPayment(amounts: number[]): Promise<string> {
    const paid = await s.paidPayment(100_000);
    for (const [index, amount] of amounts.entries()) {
      const answer = await s.api('POST', `/payments/${paid}/refund`, { amount, reason: 'one seat' }, { 'idempotency-key': `refund-${paid}-${index}` });
      expect(answer.status).toBe(200);
    }
    return paid;
  }
  const refundsAtMidtrans = async (paymentId: string) => (await atMidtrans(paymentId))?.transaction.refunds?.length ?? 0;

  it("sends a refund's sealed arguments again, to its payment and to another: neither refunds", async () => {
    const refunded = await s.paidPayment(100_000);
    const answer = await s.api('POST', `/payments/${refunded}/refund`, { amount: 30_000, reason: 'one seat' }, { 'idempotency-key': `refund-${refunded}` });
    expect(answer.status).toBe(200);
    const [sealed] = await sealedArguments(refunded, 'refund');
    expect(sealed?.payloads?.[0]?.metadata?.encoding && Buffer.from(sealed.payloads[0].metadata.encoding).toString()).toBe('binary/encrypted');
    const other = await s.paidPayment(100_000);

    const again = await replayUpdate(refunded, 'refund', sealed!);
    const elsewhere = await replayUpdate(other, 'refund', sealed!);

    expect(await refundsAtMidtrans(refunded)).toBe(1);
    expect(await refundsAtMidtrans(other)).toBe(0);
    expect((await s.api('GET', `/payments/${refunded}`)).body).toMatchObject({ refunded_amount: 30_000 });
    expect((await s.api('GET', `/payments/${other}`)).body).toMatchObject({ status: 'success', refunded_amount: 0 });
    for (const outcome of [again, elsewhere]) {
      expect(outcome).toMatchObject({ answered: { outcome: { failure: { applicationFailureInfo: { type: 'REQUEST_NOT_FOR_THIS_UPDATE' } } } } });
    }
  });

  it("sends a cancel's sealed arguments to another payment awaiting its customer: it is not canceled, and is paid", async () => {
    const create = () => s.api('POST', '/payments', createPaymentBody({ payment_method: 'gopay', bank: undefined, amount: 45_000 }));
    const created = await Promise.all([create(), create()]);
    // 201: charged, so a cancel is not refused CHARGE_IN_PROGRESS.
    expect(created.map((c) => c.status)).toEqual([201, 201]);
    const [canceled, awaiting] = created.map((c) => c.body.payment_id as string);
    const answer = await s.api('POST', `/payments/${canceled}/cancel`, { reason: 'changed plans' }, { 'idempotency-key': `cancel-${canceled}` });
    expect(answer.body).toMatchObject({ status: 'canceled' });
    const [sealed] = await sealedArguments(canceled!, 'cancel');

    const outcome = await replayUpdate(awaiting!, 'cancel', sealed!);

    expect(outcome).toMatchObject({ answered: { outcome: { failure: { applicationFailureInfo: { type: 'REQUEST_NOT_FOR_THIS_UPDATE' } } } } });
    await fetch(`${s.simulator.url}/_simulator/transactions/${awaiting}/pay`, { method: 'POST' });
    await s.eventually(
      () => s.api('GET', `/payments/${awaiting}/status`),
      (status) => status.body.status === 'success',
    );
  });

  it("sends a payment's sealed settlement notification as refund arguments, and as cancel arguments to a payment awaiting its customer: nothing moves", async () => {
    const paid = await s.paidPayment(100_000);
    const [notification] = await sealedSignals(paid, 'midtransNotification');
    expect(notification?.payloads).toHaveLength(1);
    const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: 'gopay', bank: undefined, amount: 45_000 }));
    expect(created.status).toBe(201);
    const awaiting: string = created.body.payment_id;

    const refund = await replayUpdate(paid, 'refund', notification!);
    const cancel = await replayUpdate(awaiting, 'cancel', notification!);

    expect(await refundsAtMidtrans(paid)).toBe(0);
    expect((await s.api('GET', `/payments/${paid}`)).body).toMatchObject({ status: 'success', refunded_amount: 0 });
    expect((await s.api('GET', `/payments/${awaiting}/status`)).body.status).toBe('pending');
    for (const outcome of [refund, cancel]) {
      expect(outcome).toMatchObject({ answered: { outcome: { failure: { applicationFailureInfo: { type: 'REQUEST_NOT_FOR_THIS_UPDATE' } } } } });
    }
  });

  it("restarts a refunded payment's workflow from its copied input and sends its copied refunds under their own update ids: Midtrans is not asked again", async () => {
    const paid = await refundedPayment([10_000, 20_000]);
    const workflowId = paymentWorkflowId(paid);
    const history = await intruder.workflow.getHandle(workflowId).fetchHistory();
    const firstInput = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input;
    const [first, second] = (history.events ?? []).flatMap((e) => {
      const accepted = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
      return accepted?.input?.name === 'refund' ? [accepted] : [];
    });
    const refundsAsked = () => s.simulator.requests.refund ?? 0;
    const asked = refundsAsked();

    // The workflow's memory of its updates goes with it; the same input starts it again under its own id.
    await intruder.workflow.getHandle(workflowId).terminate('restarted by an intruder');
    await intruder.workflowService.startWorkflowExecution({
      namespace: 'default',
      workflowId,
      workflowType: { name: 'paymentWorkflow' },
      taskQueue: { name: s.taskQueue },
      input: firstInput,
      requestId: randomUUID(),
      identity: 'intruder',
    });
    // It finds its order at Midtrans and runs as the paid payment again.
    await s.eventually(
      () => s.client.workflow.getHandle(workflowId).query(paymentQuery).catch(() => null),
      (view) => view?.status === 'partially_refunded' || view?.status === 'success',
    );

    // The second refund (20,000) comes to the copy as its first: under refund_key -r1, which Midtrans holds for
    // 10,000. Refused, and an operator is told.
    const refused = await replayUpdate(paid, 'refund', second!.input!.args!, second!.meta!.updateId!);
    expect(refused).toMatchObject({ answered: { outcome: { failure: { applicationFailureInfo: { type: 'REQUEST_ALREADY_FAILED' } } } } });
    const clone = await s.client.workflow.getHandle(workflowId).query(paymentQuery);
    expect(clone.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({ reason: 'refund_update_carried_out_by_another_run' });
    // The first one matches what Midtrans holds under -r1: answered from Midtrans's record, nothing sent.
    const answered = await replayUpdate(paid, 'refund', first!.input!.args!, first!.meta!.updateId!);
    expect(answered).toMatchObject({ answered: { outcome: { success: expect.anything() } } });

    expect(refundsAsked()).toBe(asked);
    expect((await atMidtrans(paid))?.transaction.refunds).toHaveLength(2);
  });

  it("an operator's reset to before two refunds carries them out again in the new run: each counted once, as it was, and Midtrans refunds nothing again", async () => {
    const paid = await refundedPayment([30_000, 60_000]);
    const workflowId = paymentWorkflowId(paid);
    const events = (await s.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const acceptedAt = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'refund');
    // The workflow task that accepted the first refund: a reset to it discards what it completed, the acceptance with it.
    const taskBefore = events.slice(0, acceptedAt).findLast((e) => e.workflowTaskCompletedEventAttributes);
    const refundsAsked = () => s.simulator.requests.refund ?? 0;
    const asked = refundsAsked();

    // As `temporal workflow reset` does by default: the updates and signals after the reset point are applied again.
    await s.client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId },
      reason: 'an operator reset',
      workflowTaskFinishEventId: taskBefore!.eventId,
      requestId: randomUUID(),
    });
    const view = await s.eventually(
      () => s.client.workflow.getHandle(workflowId).query(paymentQuery).catch(() => null),
      (v) => v?.refunds.length === 2,
    );
    expect(view?.refunds.map((r) => [r.refundKey, r.amount])).toEqual([
      [`${paid}-r1`, 30_000],
      [`${paid}-r2`, 60_000],
    ]);
    expect(view).toMatchObject({ status: 'partially_refunded', refundedAmount: 90_000 });
    expect(view?.history.filter((e) => e.kind === 'needs_operator_review')).toEqual([]);
    expect(refundsAsked()).toBe(asked);
    expect((await atMidtrans(paid))?.transaction.refunds).toHaveLength(2);
  });
});
