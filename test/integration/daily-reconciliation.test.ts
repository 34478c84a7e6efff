import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReconciliationActivities } from '../../activities/daily-reconciliation';
import { createApp } from '../../src/api/app';
import { paymentWorkflowId } from '../../src/api/payment-workflows';
import { midtransStatusToPaymentStatus, type DriftKind, type PaymentStatus } from '../../src/domain';
import { serveWorkerHealth } from '../../src/temporal/worker';
import type { DailyReconciliationInput, DailyReconciliationResult } from '../../workflows/daily-reconciliation';
import { createPaymentBody, pool, sleep } from '../support/fixtures';
import { callApi, privateDatabase, serveOverHttp, startService, type Service } from '../support/service-harness';

/**
 * The daily reconciliation against the whole service (dev server, PostgreSQL, the simulator over HTTP), chaos-style:
 * 40 payments settled at Midtrans with 5 % of the notifications never delivered, and gateway states changed behind
 * our back (settled, expired, refunded at Midtrans with every notification dropped, one of them a second partial
 * refund under the same status). One run, started directly,
 * finds each difference, counts it, and hands it to the payment's workflow, after which every payment's status is
 * Midtrans's; a payment whose workflow has closed is left for a person.
 *
 * The run compares every payment in its window, so the test has a database of its own: other test files' payments
 * (at other simulators) would be differences too.
 */

let database: Awaited<ReturnType<typeof privateDatabase>>;
let service: Service;
/** The API the test creates payments through: the service's, but with each payment's own early looks a day away. */
let api: (method: string, path: string, body?: unknown) => ReturnType<typeof callApi>;
/** The same app as an operator calls it: the report routes take an operator token, not an API key. */
let operator: (method: string, path: string, token?: string) => ReturnType<typeof callApi>;
let closeApi: () => Promise<void>;
const OPERATOR = { name: 'ana', token: 'integration-test-reconciliation-operator' };

beforeAll(async () => {
  database = await privateDatabase();
  service = await startService({ databaseUrl: database.url });
  // A payment workflow asks Midtrans on its own a minute after it starts, which would fix a lost notification before
  // the reconciliation runs: its early looks are moved out of the test's way, so the differences are the run's to find.
  const workflows = service.dependencies.workflows;
  const app = createApp({
    ...service.dependencies,
    config: { ...service.dependencies.config, OPERATOR_TOKENS: [OPERATOR] },
    workflows: { ...workflows, start: (input, waitMs) => workflows.start({ ...input, reconcileAfterMinutes: [24 * 60] }, waitMs) },
  });
  const served = await serveOverHttp(app);
  api = (method, path, body) => callApi(served.url, method, path, body);
  operator = (method, path, token = OPERATOR.token) => callApi(served.url, method, path, undefined, { authorization: `Bearer ${token}` });
  closeApi = served.close;
}, 180_000);

afterAll(async () => {
  await closeApi?.();
  await service?.close();
  await database?.drop();
});

const simulatorControl = async (path: string, body?: unknown) => {
  const response = await fetch(`${service.simulator.url}/_simulator${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  expect(response.status, `simulator ${path}`).toBe(200);
};

const readModelStatus = async (paymentId: string) => (await service.db.payment.findUnique({ where: { id: paymentId } }))?.status;
const readModelRefunded = async (paymentId: string) => Number((await service.db.payment.findUnique({ where: { id: paymentId } }))?.refundedAmount);
const midtransStatus = async (paymentId: string): Promise<PaymentStatus | null> => {
  const body = await service.midtrans.getStatus(paymentId);
  return midtransStatusToPaymentStatus(body.transaction_status ?? '', body.fraud_status);
};

async function reconcile(): Promise<DailyReconciliationResult> {
  const input: DailyReconciliationInput = { lookbackDays: 1, midtransCallsPerSecond: 50, pageSize: 10, pagesPerRun: 2 };
  return service.client.workflow.execute('dailyReconciliationWorkflow', {
    taskQueue: service.taskQueue,
    workflowId: `daily-reconciliation-test-${randomBytes(4).toString('hex')}`,
    args: [input],
  });
}

describe('the daily reconciliation finds and fixes lost notifications and changes made behind our back', () => {
  let ids: string[];
  /** What was done to each payment at Midtrans without us hearing of it. */
  let behindOurBack: Record<string, { ours: PaymentStatus; kind: DriftKind; outcome: 'handed_to_workflow' | 'needs_person' }>;
  /** Refunded 30,000 through our API, then 20,000 more in Midtrans's dashboard: still partial_refund there. */
  let refundedTwice: string;
  let firstRun: DailyReconciliationResult;
  let secondRun: DailyReconciliationResult;

  beforeAll(async () => {
    const created = await pool(Array.from({ length: 44 }), 6, async () => {
      const response = await api('POST', '/payments', createPaymentBody({ payment_method: 'gopay', amount: 150_000, expiry_minutes: 180 }, 'ORDER-RECON'));
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      return response.body.payment_id as string;
    });
    ids = created;
    // 40 payments are settled; 38 of their notifications are delivered.
    await pool(ids.slice(0, 38), 6, (id) => simulatorControl(`/transactions/${id}/pay`));
    await service.eventually(
      () => Promise.all(ids.slice(0, 38).map(readModelStatus)),
      (statuses) => statuses.every((s) => s === 'success'),
      60_000,
    );
    refundedTwice = ids[4]!;
    const refunded = await api('POST', `/payments/${refundedTwice}/refund`, { amount: 30_000, reason: 'one seat' });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);

    // From here on Midtrans's notifications are lost: 2 of the 40 settlements (5 %), and every change below.
    await simulatorControl('/faults', { notificationDropRate: 1 });
    const [full1, full2, partial, closed] = ids.slice(0, 4) as [string, string, string, string];
    await service.client.workflow.getHandle(paymentWorkflowId(closed)).terminate('the test closes this payment workflow early');
    for (const id of ids.slice(38, 40)) await simulatorControl(`/transactions/${id}/pay`);
    for (const id of ids.slice(40, 42)) await simulatorControl(`/transactions/${id}/expire`);
    for (const id of [full1, full2, closed]) await service.midtrans.refund(id, { refund_key: `${id}-dashboard` });
    await service.midtrans.refund(partial, { refund_key: `${partial}-dashboard`, amount: 50_000 });
    await service.midtrans.refund(refundedTwice, { refund_key: `${refundedTwice}-dashboard`, amount: 20_000 });

    behindOurBack = {
      [full1]: { ours: 'success', kind: 'status_mismatch', outcome: 'handed_to_workflow' },
      [full2]: { ours: 'success', kind: 'status_mismatch', outcome: 'handed_to_workflow' },
      [partial]: { ours: 'success', kind: 'status_mismatch', outcome: 'handed_to_workflow' },
      [closed]: { ours: 'success', kind: 'status_mismatch', outcome: 'needs_person' },
      [refundedTwice]: { ours: 'partially_refunded', kind: 'refund_not_counted', outcome: 'handed_to_workflow' },
      ...Object.fromEntries(ids.slice(38, 42).map((id) => [id, { ours: 'pending', kind: 'status_mismatch', outcome: 'handed_to_workflow' }])),
    };
    // The drift is real: nothing has told the read model.
    for (const [id, { ours, kind }] of Object.entries(behindOurBack)) {
      expect(await readModelStatus(id)).toBe(ours);
      if (kind === 'status_mismatch') expect(await midtransStatus(id)).not.toBe(ours);
    }
    expect(await readModelRefunded(refundedTwice)).toBe(30_000);
    expect((await service.midtrans.getStatus(refundedTwice)).refund_amount).toBe('50000.00');
    firstRun = await reconcile();
  }, 240_000);

  it('the run compares every payment, across continue-as-new, and counts each difference', () => {
    expect(firstRun).toMatchObject({
      paymentsChecked: ids.length,
      differencesFound: Object.keys(behindOurBack).length,
      handedToWorkflow: Object.keys(behindOurBack).length - 1,
      needsPerson: 1,
    });
  });

  it('afterwards each payment whose workflow runs has Midtrans’s status; the closed one is left as it was', async () => {
    const closed = Object.keys(behindOurBack).find((id) => behindOurBack[id]!.outcome === 'needs_person')!;
    const open = ids.filter((id) => id !== closed);
    const expected = await Promise.all(open.map(midtransStatus));
    expect(new Set(expected)).toEqual(new Set(['success', 'refunded', 'partially_refunded', 'expired', 'pending']));
    const statuses = await service.eventually(
      () => Promise.all(open.map(readModelStatus)),
      (now) => now.every((status, i) => status === expected[i]),
      60_000,
    );
    expect(statuses).toEqual(expected);
    expect(await readModelStatus(closed)).toBe('success');
    await service.eventually(() => readModelRefunded(refundedTwice), (amount) => amount === 50_000, 60_000);
  });

  it('the report lists each difference with our status, Midtrans’s and what was done with it', async () => {
    const list = await operator('GET', '/operations/reconciliations');
    expect(list.status).toBe(200);
    const run = list.body.reconciliations.find((r: { reconciliation_id: string }) => r.reconciliation_id === firstRun.runId);
    expect(run).toMatchObject({
      status: 'completed',
      payments_checked: ids.length,
      differences_found: firstRun.differencesFound,
      handed_to_workflow: firstRun.handedToWorkflow,
      needs_person: 1,
      sweep: null,
    });

    const detail = await operator('GET', `/operations/reconciliations/${firstRun.runId}`);
    expect(detail.status).toBe(200);
    const found = Object.fromEntries(
      detail.body.differences.map((d: { payment_id: string; our_status: string; kind: string; outcome: string; midtrans_status: string }) => [
        d.payment_id,
        { ours: d.our_status, kind: d.kind, outcome: d.outcome },
      ]),
    );
    expect(found).toEqual(behindOurBack);
    const midtransSays = Object.fromEntries(detail.body.differences.map((d: { payment_id: string; midtrans_status: string }) => [d.payment_id, d.midtrans_status]));
    expect(new Set(Object.values(midtransSays))).toEqual(new Set(['settlement', 'expire', 'refund', 'partial_refund']));
  });

  it('the next run finds only what still needs a person, and the list pages newest first', async () => {
    secondRun = await reconcile();
    expect(secondRun).toMatchObject({ paymentsChecked: ids.length, differencesFound: 1, handedToWorkflow: 0, needsPerson: 1 });

    const first = await operator('GET', '/operations/reconciliations?limit=1');
    expect(first.status).toBe(200);
    expect(first.body.reconciliations.map((r: { reconciliation_id: string }) => r.reconciliation_id)).toEqual([secondRun.runId]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await operator('GET', `/operations/reconciliations?limit=1&cursor=${first.body.next_cursor}`);
    expect(second.body.reconciliations.map((r: { reconciliation_id: string }) => r.reconciliation_id)).toEqual([firstRun.runId]);
    expect(second.body.next_cursor).toBeNull();
  });

  it('the worker counts each difference it recorded by kind, and the OpenAPI document has the report routes', async () => {
    const health = await serveWorkerHealth({ getState: () => 'RUNNING', options: { taskQueue: service.taskQueue } } as Parameters<typeof serveWorkerHealth>[0], '127.0.0.1', 0);
    try {
      const metrics = await (await fetch(`http://127.0.0.1:${(health.address() as AddressInfo).port}/metrics`)).text();
      // This file's process recorded both runs' differences: one refund not counted, the rest status mismatches.
      expect(metrics).toContain(`payments_reconciliation_drift_total{kind="status_mismatch"} ${firstRun.differencesFound + secondRun.differencesFound - 1}`);
      expect(metrics).toContain('payments_reconciliation_drift_total{kind="refund_not_counted"} 1');
    } finally {
      health.close();
    }
    const document = await api('GET', '/openapi.json');
    expect(Object.keys(document.body.paths)).toEqual(expect.arrayContaining(['/operations/reconciliations', '/operations/reconciliations/{reconciliation_id}']));
  });

  it('refuses a cursor it did not give out, and answers 404 for an unknown run', async () => {
    const badCursor = await operator('GET', '/operations/reconciliations?cursor=not-a-cursor');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.code).toBe('VALIDATION_FAILED');
    const unknown = await operator('GET', '/operations/reconciliations/no-such-run');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('RECONCILIATION_NOT_FOUND');
    const withApiKey = await api('GET', '/operations/reconciliations');
    expect(withApiKey.status).toBe(401);
    const unknownToken = await operator('GET', '/operations/reconciliations', 'not-an-operator-token');
    expect(unknownToken.status).toBe(401);
  });

  it('a run its time limit ended is shown abandoned once the next one starts, and /metrics says when the last run started and completed', async () => {
    // One look a second, ten to a page: Temporal ends the run (as the schedule's 20 hours would) inside its first page.
    const input: DailyReconciliationInput = { lookbackDays: 1, midtransCallsPerSecond: 1, pageSize: 10, pagesPerRun: 2 };
    const workflowId = `daily-reconciliation-test-cut-short-${randomBytes(4).toString('hex')}`;
    const cutShort = await service.client.workflow.start('dailyReconciliationWorkflow', {
      taskQueue: service.taskQueue,
      workflowId,
      args: [input],
      workflowExecutionTimeout: '3 seconds',
    });
    await expect(cutShort.result()).rejects.toThrow();
    const row = await service.db.reconciliationRun.findFirstOrThrow({ where: { workflowId } });
    expect(row.status).toBe('running');

    const next = await reconcile();
    const abandoned = await operator('GET', `/operations/reconciliations/${row.id}`);
    expect(abandoned.status).toBe(200);
    expect(abandoned.body).toMatchObject({ status: 'abandoned', finished_at: null });
    const nextRun = (await operator('GET', `/operations/reconciliations/${next.runId}`)).body;
    expect(nextRun.status).toBe('completed');

    const metrics = await api('GET', '/metrics');
    expect(metrics.status).toBe(200);
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics.body)?.[1]);
    expect(gauge('payments_reconciliation_last_started_timestamp_seconds')).toBeCloseTo(Date.parse(nextRun.started_at) / 1000, 3);
    expect(gauge('payments_reconciliation_last_completed_timestamp_seconds')).toBeCloseTo(Date.parse(nextRun.finished_at) / 1000, 3);
  });
});

describe('paid payments written before the window are compared every few days while they can be refunded', () => {
  const DAY_MS = 24 * 60 * 60 * 1000;
  /**
   * Days before the run each was created, paid and last written. Paid 14 days ago: a day the sweep compares it (every
   * 7 days), also when it was created 40 days ago (a long expiry) and its refund window began at payment. Paid 10
   * days ago: not such a day. Paid 30 days ago: the refund window's last day, compared whatever the sweep's days, so a
   * refund made after the last multiple of 7 is found too. Paid 35 days ago: past the refund window although a
   * multiple of 7, last written (a partial refund, say) 21 days ago. Paid 14 days ago and refunded in full through our
   * API, and expired unpaid: nothing at Midtrans can move them again.
   */
  const AGES = {
    due: [14, 14, 14],
    paidLate: [40, 14, 14],
    lastDay: [30, 30, 30],
    notDue: [10, 10, 10],
    pastRefundWindow: [35, 35, 21],
    refunded: [14, 14, 14],
    expired: [14, null, 14],
  } as const;
  const paymentOf: Partial<Record<keyof typeof AGES, string>> = {};
  let run: DailyReconciliationResult;
  /** Payments written in the run's window: the other tests' and none of these. */
  let writtenInWindow: number;

  beforeAll(async () => {
    await simulatorControl('/faults', { notificationDropRate: 0 });
    for (const age of Object.keys(AGES) as (keyof typeof AGES)[]) {
      const response = await api('POST', '/payments', createPaymentBody({ payment_method: 'gopay', amount: 150_000, expiry_minutes: 180 }, 'ORDER-SWEEP'));
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      paymentOf[age] = response.body.payment_id as string;
    }
    const paid = [paymentOf.due!, paymentOf.paidLate!, paymentOf.lastDay!, paymentOf.notDue!, paymentOf.pastRefundWindow!];
    for (const id of [...paid, paymentOf.refunded!]) await simulatorControl(`/transactions/${id}/pay`);
    await simulatorControl(`/transactions/${paymentOf.expired}/expire`);
    await service.eventually(() => Promise.all(paid.map(readModelStatus)), (statuses) => statuses.every((s) => s === 'success'), 60_000);
    await service.eventually(() => readModelStatus(paymentOf.refunded!), (status) => status === 'success', 60_000);
    expect((await api('POST', `/payments/${paymentOf.refunded}/refund`, { reason: 'trip canceled' })).status).toBe(200);
    await service.eventually(() => readModelStatus(paymentOf.refunded!), (status) => status === 'refunded', 60_000);
    await service.eventually(() => readModelStatus(paymentOf.expired!), (status) => status === 'expired', 60_000);
    // Their rows as they would be after days without a write. The days are counted to the run's day, so not across
    // midnight (UTC).
    const untilMidnight = DAY_MS - (Date.now() % DAY_MS);
    if (untilMidnight < 60_000) await sleep(untilMidnight + 1_000);
    const runDay = Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS / 2;
    const daysBefore = (days: number | null) => (days === null ? null : new Date(runDay - days * DAY_MS));
    for (const [age, [created, paidDaysAgo, written]] of Object.entries(AGES)) {
      await service.db.$executeRaw`update payments
        set created_at = ${daysBefore(created)}, paid_at = ${daysBefore(paidDaysAgo)}, updated_at = ${daysBefore(written)}
        where id = ${paymentOf[age as keyof typeof AGES]}`;
    }
    // Refunded in Midtrans's dashboard while every notification is lost (an outage longer than Midtrans's retries).
    await simulatorControl('/faults', { notificationDropRate: 1 });
    for (const id of paid) await service.midtrans.refund(id, { refund_key: `${id}-dashboard` });
    writtenInWindow = await service.db.payment.count({ where: { updatedAt: { gte: new Date(Date.now() - DAY_MS) } } });
    const input: DailyReconciliationInput = { lookbackDays: 1, midtransCallsPerSecond: 50, pageSize: 10, pagesPerRun: 2, sweepEveryDays: 7, refundWindowDays: 30 };
    run = await service.client.workflow.execute('dailyReconciliationWorkflow', {
      taskQueue: service.taskQueue,
      workflowId: `daily-reconciliation-sweep-test-${randomBytes(4).toString('hex')}`,
      args: [input],
    });
  }, 180_000);

  it('the payments due today are compared, their refunds handed to their workflows and counted', async () => {
    const detail = await operator('GET', `/operations/reconciliations/${run.runId}`);
    expect(detail.status).toBe(200);
    // The report says what the run swept: every 7 days, paid within the 30-day refund window (and the day it ends).
    expect(detail.body.sweep.every_days).toBe(7);
    expect(Date.parse(detail.body.started_at) - Date.parse(detail.body.sweep.paid_since)).toBe(31 * DAY_MS);
    const found = (id: string | undefined) => detail.body.differences.find((d: { payment_id: string }) => d.payment_id === id);
    for (const id of [paymentOf.due, paymentOf.paidLate, paymentOf.lastDay]) {
      expect(found(id)).toMatchObject({ our_status: 'success', midtrans_status: 'refund', kind: 'status_mismatch', outcome: 'handed_to_workflow' });
      await service.eventually(() => readModelStatus(id!), (status) => status === 'refunded', 60_000);
    }
  });

  it('one not due today, past its refund window, or closed unpaid, is left alone', async () => {
    expect(run.paymentsChecked).toBe(writtenInWindow + 3);
    const detail = await operator('GET', `/operations/reconciliations/${run.runId}`);
    const comparedIds = new Set(detail.body.differences.map((d: { payment_id: string }) => d.payment_id));
    expect(comparedIds.has(paymentOf.notDue)).toBe(false);
    expect(comparedIds.has(paymentOf.pastRefundWindow)).toBe(false);
    expect(await readModelStatus(paymentOf.notDue!)).toBe('success');
  });
});

describe('the look-ups of a page', () => {
  it('start no faster than the configured calls per second, without waiting for each other', async () => {
    const startedAt: number[] = [];
    const lookUp = async () => {
      startedAt.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, 200));
      return null;
    };
    const { compareWithMidtrans } = createReconciliationActivities(service.db, lookUp);
    const payments = Array.from({ length: 11 }, (_, i) => ({ id: `pay-${i}`, status: 'pending' as const, amount: 1, updatedAt: '' }));
    const began = Date.now();
    await new MockActivityEnvironment().run(compareWithMidtrans, { payments, callsPerSecond: 20 });
    const took = Date.now() - began;
    // 11 look-ups at 20/s: the last starts 500 ms after the first; 200 ms each one after another would be 2.2 s.
    expect(startedAt.at(-1)! - startedAt[0]!).toBeGreaterThanOrEqual(490);
    expect(took).toBeLessThan(1_500);
  });
});
