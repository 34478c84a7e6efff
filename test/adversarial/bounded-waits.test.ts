import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createApp } from '../../src/api/app';
import { createPaymentWorkflows } from '../../src/api/payment-workflows';
import { bundlePaymentWorkflows, createPaymentWorker } from '../../src/temporal/worker';
import { createPaymentBody } from '../support/fixtures';
import { callApi, DOWNSTREAM_SIGNING_SECRET, serveOverHttp, startService, type Service } from '../support/service-harness';

/**
 * The API half of attack 6 of issue 11: with no worker running, POST …/refund hung for 20 s and more, and refunds
 * were applied later although every client had seen a failure. Now cancel and refund answer within UPDATE_WAIT_MS,
 * the update still completes in the workflow, and a retry with the same Idempotency-Key never refunds again.
 */

const UPDATE_WAIT_MS = 2_000;
/** How late an answer may be past the deadline on a busy 2-core machine. */
const SLACK_MS = 3_000;

let s: Service;
let nativeConnection: NativeConnection;
let workflowBundle: Awaited<ReturnType<typeof bundlePaymentWorkflows>>;
/** Payments here run on a task queue whose worker the test starts and stops. */
const taskQueue = `bounded-${randomUUID()}`;
type Api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => ReturnType<typeof callApi>;
let api: Api;
/** A second API process: a retry may reach another instance than the first attempt did. */
let otherApi: Api;
const closeApis: (() => Promise<void>)[] = [];

async function serveApi(): Promise<Api> {
  const config = { ...s.dependencies.config, UPDATE_WAIT_MS };
  const served = await serveOverHttp(createApp({ ...s.dependencies, config, workflows: createPaymentWorkflows(s.client, taskQueue) }));
  closeApis.push(served.close);
  return (method, path, body, headers) => callApi(served.url, method, path, body, headers);
}

beforeAll(async () => {
  s = await startService();
  nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  workflowBundle = await bundlePaymentWorkflows({ traced: false });
  api = await serveApi();
  otherApi = await serveApi();
});
afterAll(async () => {
  await Promise.all(closeApis.map((close) => close()));
  await nativeConnection?.close();
  await s?.close();
});

async function runWorker(): Promise<{ stop(): Promise<void> }> {
  const worker: Worker = await createPaymentWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    payloadEncryptionKeys: s.payloadEncryptionKeys,
    workflowBundle,
    dependencies: { db: s.db, midtrans: s.midtrans, downstream: { transactionServiceUrl: s.receiver.url, userServiceUrl: s.receiver.url, timeoutMs: 5_000, signingSecret: DOWNSTREAM_SIGNING_SECRET } },
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

/** The answer, or 'no answer' when none came by the deadline plus slack; with the time it took. */
async function timed<T>(call: Promise<T>): Promise<{ reply: T | 'no answer'; ms: number }> {
  const started = performance.now();
  const reply = await Promise.race([call, sleep(UPDATE_WAIT_MS + SLACK_MS).then(() => 'no answer' as const)]);
  return { reply, ms: performance.now() - started };
}

const refundsAtMidtrans = async (paymentId: string) => {
  const body = (await (await fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}`)).json()) as {
    transaction: { refunds?: { refund_amount: string }[] };
  };
  return (body.transaction.refunds ?? []).map((r) => r.refund_amount);
};
const statusOf = async (paymentId: string) => (await api('GET', `/payments/${paymentId}/status`)).body.status as string;

describe('attack 6: cancel and refund answer within UPDATE_WAIT_MS', () => {
  it('a refund while no worker runs answers 504 UPDATE_PENDING with Retry-After; once a worker runs it is applied exactly once', async () => {
    const worker = await runWorker();
    const created = await api('POST', '/payments', createPaymentBody({ payment_method: 'gopay', bank: undefined, amount: 100_000 }));
    expect(created.status).toBe(201);
    const id: string = created.body.payment_id;
    await fetch(`${s.simulator.url}/_simulator/transactions/${id}/pay`, { method: 'POST' });
    await s.eventually(() => statusOf(id), (status) => status === 'success');
    await worker.stop();

    const key = `refund-${randomUUID()}`;
    const refund = () => api('POST', `/payments/${id}/refund`, { amount: 30_000, reason: 'one seat' }, { 'idempotency-key': key });
    for (const attempt of [1, 2]) {
      const { reply, ms } = await timed(refund());
      expect(reply, `attempt ${attempt}`).not.toBe('no answer');
      if (reply === 'no answer') return;
      expect(reply.status, `attempt ${attempt}`).toBe(504);
      expect(reply.body.error.code).toBe('UPDATE_PENDING');
      expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(reply.body.error.details.payment).toMatchObject({ payment_id: id, status: 'success', refunded_amount: 0 });
      expect(ms).toBeGreaterThanOrEqual(UPDATE_WAIT_MS - 100);
    }
    // Without a key the client gets the same bounded answer rather than a hang.
    const cancelWithoutKey = await timed(api('POST', `/payments/${id}/cancel`, {}));
    expect(cancelWithoutKey.reply).not.toBe('no answer');
    expect(cancelWithoutKey.reply !== 'no answer' && cancelWithoutKey.reply.status).toBe(504);
    expect(await refundsAtMidtrans(id)).toEqual([]);

    // The update was not canceled: once a worker runs, the workflow applies it without any retry from the client.
    const restarted = await runWorker();
    try {
      await s.eventually(() => statusOf(id), (status) => status === 'partially_refunded', 60_000);
      const retried = await refund();
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ payment_id: id, status: 'partially_refunded', refunded_amount: 30_000 });
      expect((await refund()).body).toEqual(retried.body);
      expect(await refundsAtMidtrans(id)).toEqual(['30000.00']);
      expect((await api('GET', `/payments/${id}`)).body.refunds).toMatchObject([{ amount: 30_000 }]);
    } finally {
      await restarted.stop();
    }
  });

  it('retries on another API instance while the worker is away are 504; when it is back a retry gets the one refund', async () => {
    const worker = await runWorker();
    const created = await api('POST', '/payments', createPaymentBody({ payment_method: 'gopay', bank: undefined, amount: 80_000 }));
    const id: string = created.body.payment_id;
    await fetch(`${s.simulator.url}/_simulator/transactions/${id}/pay`, { method: 'POST' });
    await s.eventually(() => statusOf(id), (status) => status === 'success');
    await worker.stop();

    const key = `refund-${randomUUID()}`;
    const refund = (via: Api) => via('POST', `/payments/${id}/refund`, { amount: 80_000 }, { 'idempotency-key': key });
    const pending = await timed(refund(api));
    expect(pending.reply !== 'no answer' && pending.reply.status).toBe(504);
    // The client retries at once, through the other instance, and keeps retrying while the worker comes back.
    const retried = await timed(refund(otherApi));
    expect(retried.reply !== 'no answer' && retried.reply.status).toBe(504);
    const restarting = runWorker();
    const answers = [];
    for (let attempt = 0; attempt < 30; attempt += 1) {
      const { reply } = await timed(refund(attempt % 2 === 0 ? otherApi : api));
      expect(reply).not.toBe('no answer');
      if (reply === 'no answer') return;
      answers.push(reply.status);
      if (reply.status === 200) {
        expect(reply.body).toMatchObject({ status: 'refunded', refunded_amount: 80_000 });
        break;
      }
      expect(reply.status).toBe(504);
    }
    const restarted = await restarting;
    try {
      expect(answers.at(-1)).toBe(200);
      expect(await refundsAtMidtrans(id)).toEqual(['80000.00']);
    } finally {
      await restarted.stop();
    }
  });
});
