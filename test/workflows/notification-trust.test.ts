import { WorkflowUpdateFailedError, WorkflowUpdateStage, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { describe, expect, it, vi } from 'vitest';
import { cancelUpdate, midtransNotificationSignal, paymentQuery, reconcileRequestSignal, refundUpdate, type MidtransNotificationSignal, type PaymentWorkflowInput, type RefundRequest } from '../../workflows/messages';
import type { PaymentRequest, PaymentView } from '../../src/domain';
import { toMidtransObservation } from '../../src/midtrans/observation';
import { startPaymentWorkflow, useWorkflowHarness, viewWhen } from '../support/workflow-harness';

/**
 * Issue 11, attacks 1, 2, 4 and 6 against the workflow itself: Midtrans signs only order_id + status_code +
 * gross_amount, so every other field of a genuine notification may have been edited on the way.
 */
const ctx = useWorkflowHarness();

async function startPayment(overrides: Partial<PaymentRequest> = {}, input: { continueAsNewAfterEvents?: number } = {}) {
  const started = await startPaymentWorkflow(ctx.h, overrides, input);
  ctx.lastPayment = started.handle;
  return started;
}

/**
 * Floods a pending payment (continuing as new after 60 events) with its pending notification while PostgreSQL is down:
 * the write of the first duplicate's line, which the run makes before it continues as new, falls back to an activity
 * that retries until the database is back. `meanwhile` runs once that write is retrying; then the database is back.
 */
type HistoryEvents = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>;

/** Waits until the workflow's history from its first signal on (a task completed, markers recorded …) says `done`. */
async function untilHistorySinceFirstSignal(handle: WorkflowHandle, done: (events: HistoryEvents) => boolean): Promise<void> {
  await vi.waitFor(
    async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
      expect(signalled).toBeGreaterThan(-1);
      expect(done(events.slice(signalled))).toBe(true);
    },
    { timeout: 20_000 },
  );
}

async function whileLastWriteBeforeContinuingAsNewRetries<T>(paymentId: string, handle: WorkflowHandle, meanwhile: () => Promise<T>): Promise<T> {
  const pending = await ctx.h.notificationFor(paymentId);
  ctx.h.setReadModelDown(true);
  try {
    for (let i = 0; i < 60; i++) await handle.signal(midtransNotificationSignal, pending);
    const retrying = async () =>
      ((await handle.describe()).raw.pendingActivities ?? []).some((a) => a.activityType?.name?.startsWith('recordPayment') && (a.attempt ?? 1) >= 2);
    await vi.waitFor(async () => expect(await retrying()).toBe(true), { timeout: 20_000 });
    return await meanwhile();
  } finally {
    ctx.h.setReadModelDown(false);
  }
}

const transitions = (view: PaymentView) => view.history.filter((e) => e.kind === 'transition').map((e) => `${e.from}>${e.to}:${e.source}`);
const downstreamFor = (paymentId: string) => ctx.h.downstreamCalls.filter((c) => c.event.paymentId === paymentId);
/** Notifications the workflow looked at and let go: counted in the view, or (older code) one audit line each. */
const notificationsSettled = (view: PaymentView) =>
  Object.values((view as { ignoredNotifications?: Record<string, number> }).ignoredNotifications ?? {}).reduce((a, b) => a + b, 0) +
  view.history.filter((e) => e.kind.startsWith('notification_') || e.kind === 'needs_operator_review').length;
/** The input the workflow's current run started with (after a continue-as-new: what the previous run carried). */
async function inputOfLatestRun(workflowId: string): Promise<PaymentWorkflowInput> {
  const [started] = (await ctx.h.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  // Through the client's data converter: the payload is encrypted.
  const { loadedDataConverter } = ctx.h.env.client.options;
  return decodeFromPayloadsAtIndex<PaymentWorkflowInput>(loadedDataConverter, 0, started?.workflowExecutionStartedEventAttributes?.input?.payloads);
}
const simulatorTransaction = async (id: string) =>
  ((await (await ctx.h.simulator.app.request(`/_simulator/transactions/${id}`)).json()) as { transaction: Record<string, string> }).transaction;

describe('a notification is a hint to ask Midtrans, never a fact', () => {
  it.each([
    ['settlement', { transactionStatus: 'settlement' }],
    ['capture accept', { transactionStatus: 'capture', fraudStatus: 'accept' }],
    ['refund', { transactionStatus: 'refund', refundAmount: '150000.00' }],
    ['cancel', { transactionStatus: 'cancel' }],
    ['expire', { transactionStatus: 'expire' }],
  ])('a genuine pending notification edited to %s with an unknown transaction_id changes nothing', async (_name, edit) => {
    const { request, handle } = await startPayment();
    const pending = await ctx.h.notificationFor(request.paymentId);
    expect(pending.statusCode).toBe('201');
    await handle.signal(midtransNotificationSignal, { ...pending, ...edit, transactionId: 'forged-0000-unknown' });
    const view = await viewWhen(handle, (v) => v.status !== 'pending' || notificationsSettled(v) > 0);
    expect(view.status).toBe('pending');
    expect(transitions(view)).toEqual([]);
    expect(view.transactionId).toBe(pending.transactionId);
    expect(downstreamFor(request.paymentId)).toEqual([]);
    // Midtrans was asked about our own order, never about the id the notification carried.
    expect(ctx.h.midtransCalls.some((c) => c.path.includes('forged-0000-unknown'))).toBe(false);
    await handle.terminate('test done');
  });

  it('a settlement of A re-sent with B’s transaction_id leaves A’s transaction alone; a refund of A refunds A, not B', async () => {
    const a = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    const b = await startPaymentWorkflow(ctx.h, { method: 'gopay', bank: undefined, expiryMinutes: 15 });
    for (const p of [a, b]) {
      await ctx.h.simulatorControl(p.request.paymentId, 'pay');
      await p.handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(p.request.paymentId));
      await viewWhen(p.handle, (v) => v.status === 'success');
    }
    const settlementA = await ctx.h.notificationFor(a.request.paymentId);
    const settlementB = await ctx.h.notificationFor(b.request.paymentId);
    expect(settlementA.transactionId).not.toBe(settlementB.transactionId);

    const before = notificationsSettled(await a.handle.query(paymentQuery));
    await a.handle.signal(midtransNotificationSignal, { ...settlementA, transactionId: settlementB.transactionId });
    const view = await viewWhen(a.handle, (v) => notificationsSettled(v) > before);
    expect(view.transactionId).toBe(settlementA.transactionId);

    const refunded = await a.handle.executeUpdate(refundUpdate, { args: [{ reason: 'trip cancelled' }] });
    expect(refunded).toMatchObject({ status: 'refunded', refundedAmount: a.request.amount });
    expect((await simulatorTransaction(a.request.paymentId)).transaction_status).toBe('refund');
    expect((await simulatorTransaction(b.request.paymentId)).transaction_status).toBe('settlement');
    const refundCalls = ctx.h.midtransCalls.filter((c) => c.path.endsWith('/refund'));
    expect(refundCalls.some((c) => c.path.includes(settlementB.transactionId!) || c.path.includes(b.request.paymentId))).toBe(false);
    await b.handle.terminate('test done');
  });
});

describe('DANA (Snap): Midtrans knows the order only by its transaction_id', () => {
  async function paidDana() {
    const started = await startPayment({ method: 'dana', bank: undefined, expiryMinutes: 15 });
    const token = (started.charged.instructions as { token: string }).token;
    const chosen = await ctx.h.simulator.app.request(`/snap/v3/redirection/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ payment_method: 'dana', action: 'pay' }).toString(),
    });
    expect(chosen.status).toBeLessThan(400);
    const tx = await simulatorTransaction(started.request.paymentId);
    expect(tx.transaction_status).toBe('settlement');
    return { ...started, tx };
  }

  it('the hinted transaction_id is asked about, and its answer counts because its order_id is ours; the refund follows it', async () => {
    const { request, handle, tx } = await paidDana();
    await handle.signal(midtransNotificationSignal, toMidtransObservation(tx));
    const paid = await viewWhen(handle, (v) => v.status === 'success');
    expect(paid.transactionId).toBe(tx.transaction_id);
    const refunded = await handle.executeUpdate(refundUpdate, { args: [{ reason: 'trip cancelled' }] });
    expect(refunded.status).toBe('refunded');
    expect(ctx.h.midtransCalls.filter((c) => c.path.endsWith('/refund')).at(-1)?.path).toBe(`/v2/${tx.transaction_id}/refund`);
    expect(request.paymentId).not.toBe(tx.transaction_id);
  });

  it('a hinted transaction_id of another DANA payment is asked about, but its answer is not ours: nothing is applied', async () => {
    const other = await paidDana();
    const { request, handle, tx } = await paidDana();
    await handle.signal(midtransNotificationSignal, { ...toMidtransObservation(tx), transactionId: other.tx.transaction_id });
    const view = await viewWhen(handle, (v) => v.history.some((e) => e.kind === 'needs_operator_review'));
    expect(view.status).toBe('pending');
    expect(view.transactionId).toBeUndefined();
    expect(view.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({ reason: 'unknown_at_midtrans' });
    expect(downstreamFor(request.paymentId)).toEqual([]);
    await other.handle.terminate('test done');
    await handle.terminate('test done');
  });
});

describe('a payment claimed paid after it was closed here, while its workflow still runs', () => {
  it('a DANA payment canceled here only, then paid: its settlement, signalled while the deliveries wait, is asked about and goes to an operator', async () => {
    let down = true;
    ctx.h.setDownstreamAnswer(() => (down ? 503 : 200));
    const { request, handle, charged } = await startPayment({ method: 'dana', bank: undefined, expiryMinutes: 15 });
    // Midtrans knows no DANA order by our order id: its cancel answers 404, so the payment is canceled here only.
    const canceled = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed plans' }] });
    expect(canceled.status).toBe('canceled');
    // The customer pays on the Snap page meanwhile; Midtrans notifies.
    const token = (charged.instructions as { token: string }).token;
    const paid = await ctx.h.simulator.app.request(`/snap/v3/redirection/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ payment_method: 'dana', action: 'pay' }).toString(),
    });
    expect(paid.status).toBeLessThan(400);
    const tx = await simulatorTransaction(request.paymentId);
    expect(tx.transaction_status).toBe('settlement');
    await handle.signal(midtransNotificationSignal, toMidtransObservation(tx));
    // The workflow has taken the signal while its canceled delivery still fails.
    await untilHistorySinceFirstSignal(handle, (events) => events.some((e) => e.workflowTaskCompletedEventAttributes));

    down = false;
    const final = await handle.result();
    expect(final.status).toBe('canceled');
    const review = final.history.find((e) => e.kind === 'needs_operator_review');
    expect(review?.detail).toMatchObject({ reason: 'paid_after_close' });
    // Midtrans was asked, by the transaction id the notification hinted at, not taken at its word.
    expect(ctx.h.midtransCalls.some((c) => c.path === `/v2/${tx.transaction_id}/status`)).toBe(true);
  });

  it('a reconcile request (the daily reconciliation\'s, an operator\'s) while a canceled payment\'s deliveries wait: Midtrans is asked, and what differs goes to an operator', async () => {
    let down = true;
    ctx.h.setDownstreamAnswer(() => (down ? 503 : 200));
    try {
      const { handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
      expect((await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed plans' }] })).status).toBe('canceled');
      // Midtrans now says the order was paid (its notification lost): the daily reconciliation finds the difference
      // and hands it to the workflow, which still runs, for its canceled delivery.
      ctx.h.editMidtransAnswers((path, body) => (path.endsWith('/status') ? { ...body, transaction_status: 'settlement', status_code: '200' } : body));
      await handle.signal(reconcileRequestSignal, { requestedBy: 'daily-reconciliation', reason: 'Midtrans says settlement; the read model has canceled' });
      await untilHistorySinceFirstSignal(handle, (events) => events.some((e) => e.workflowTaskCompletedEventAttributes));
      down = false;
      const final = await handle.result();
      expect(final.status).toBe('canceled');
      expect(final.history.some((e) => e.kind === 'reconciliation_requested')).toBe(true);
      expect(final.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({
        reason: 'midtrans_differs_after_close',
        drift: 'status_mismatch',
        midtrans_status: 'settlement',
      });
    } finally {
      ctx.h.editMidtransAnswers(null);
      ctx.h.setDownstreamAnswer(() => 200);
    }
  });
});

describe('status look-ups that keep failing', () => {
  it('a 401 on every status look-up ends in needs_operator_review at once, and a cancel still answers', async () => {
    const { request, handle } = await startPayment();
    const pending = await ctx.h.notificationFor(request.paymentId);
    ctx.h.failStatusLookups(401);
    try {
      await handle.signal(midtransNotificationSignal, { ...pending, transactionStatus: 'settlement' });
      const reviewed = await viewWhen(handle, (v) => v.history.some((e) => e.kind === 'needs_operator_review'), 15_000);
      expect(reviewed.status).toBe('pending');
      expect(reviewed.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({ reason: 'status_lookup_failed' });
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('cancel did not answer in 15 s')), 15_000));
      const canceled = await Promise.race([handle.executeUpdate(cancelUpdate, { args: [{ reason: 'customer left' }] }), timeout]);
      expect(canceled.status).toBe('canceled');
    } finally {
      ctx.h.failStatusLookups(null);
    }
  });
});

describe('answers about another order move nothing', () => {
  it('a refund answer about another order is refused and recorded for an operator', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    await ctx.h.simulatorControl(request.paymentId, 'pay');
    await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(request.paymentId));
    await viewWhen(handle, (v) => v.status === 'success');
    ctx.h.editMidtransAnswers((path, body) => (path.endsWith('/refund') ? { ...body, order_id: 'pay-someone-else' } : body));
    try {
      const error = await handle.executeUpdate(refundUpdate, { args: [{ reason: 'trip cancelled' }] }).catch((e: unknown) => e);
      expect((error as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'INTERNAL_ERROR' });
    } finally {
      ctx.h.editMidtransAnswers(null);
    }
    const view = await handle.query(paymentQuery);
    expect(view).toMatchObject({ status: 'success', refundedAmount: 0, refunds: [] });
    expect(view.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({
      reason: 'refund_answer_not_ours',
      order_id: 'pay-someone-else',
    });
    expect(downstreamFor(request.paymentId).filter((c) => c.event.eventKey.startsWith('refund'))).toEqual([]);
    await handle.terminate('test done');
  });

  it('a charge answer about another order shows the customer nothing of it: an operator is told, and the payment waits for the looks', async () => {
    // A gateway or proxy mixing answers up: the virtual account of someone else's order, whose payment would be theirs.
    ctx.h.editMidtransAnswers((path, body) =>
      path === '/v2/charge' ? { ...body, order_id: 'pay-someone-else', va_numbers: [{ bank: 'bca', va_number: '99999999999' }] } : body,
    );
    const started = await startPayment().finally(() => ctx.h.editMidtransAnswers(null));
    expect(JSON.stringify(started.charged)).not.toContain('99999999999');
    expect(started.charged.instructions).toBeNull();
    const view = await started.handle.query(paymentQuery);
    expect(view.status).toBe('pending');
    expect(view.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({
      reason: 'charge_answer_not_ours',
      order_id: 'pay-someone-else',
    });
    await started.handle.terminate('test done');
  });

  it.each([
    ['another status than ours (it was recorded as a rejected notification)', { transaction_status: 'settlement', status_code: '200' }],
    ['the status we hold (it was recorded as nothing)', {}],
  ])('a reconciliation look answered about another order, with %s, applies nothing and is told to an operator', async (_what, edit) => {
    const { handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    ctx.h.editMidtransAnswers((path, body) => (path.endsWith('/status') ? { ...body, order_id: 'pay-someone-else', ...edit } : body));
    try {
      // Asked twice, one after the other: each request's line and look are in the history (each a local activity's
      // marker), whatever came of them, and the second shows what the first left (its replay checks the first's commands).
      for (const [asked, markers] of [['the customer says they paid', 2], ['asked again', 4]] as const) {
        await handle.signal(reconcileRequestSignal, { requestedBy: 'operator:ana', reason: asked });
        await untilHistorySinceFirstSignal(handle, (events) => events.filter((e) => e.markerRecordedEventAttributes).length >= markers);
      }
      const view = await handle.query(paymentQuery);
      expect(view.status).toBe('pending');
      expect(view.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({
        reason: 'status_answer_not_ours',
        order_id: 'pay-someone-else',
      });
    } finally {
      ctx.h.editMidtransAnswers(null);
    }
    await handle.terminate('test done');
  });

  it('a cancel answer about another order cancels nothing here', async () => {
    const { request, handle } = await startPayment();
    ctx.h.editMidtransAnswers((path, body) => (path.endsWith('/cancel') ? { ...body, order_id: 'pay-someone-else' } : body));
    try {
      const error = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'customer left' }] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    } finally {
      ctx.h.editMidtransAnswers(null);
    }
    const view = await handle.query(paymentQuery);
    expect(view.status).toBe('pending');
    expect(view.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({ reason: 'cancel_answer_not_ours' });
    expect(downstreamFor(request.paymentId)).toEqual([]);
    await handle.terminate('test done');
  });

  it('an expiry answer about another order expires nothing here: an operator is told, and the next look decides', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    await ctx.h.env.sleep('10 minutes'); // past the early looks; the expiry step's answer is its status look-up
    ctx.h.editMidtransAnswers((path, body) => (path.endsWith('/status') ? { ...body, order_id: 'pay-someone-else' } : body));
    try {
      await ctx.h.env.sleep('6 minutes');
    } finally {
      ctx.h.editMidtransAnswers(null);
    }
    const view = await viewWhen(handle, (v) => v.status !== 'pending' || v.history.some((e) => e.kind === 'needs_operator_review'));
    expect(view.status).toBe('pending');
    expect(view.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({
      reason: 'expire_answer_not_ours',
      order_id: 'pay-someone-else',
    });
    expect(downstreamFor(request.paymentId)).toEqual([]);
    await handle.terminate('test done');
  });
});

describe('a refund answer that does not add up', () => {
  it('a refund answer whose total does not fit what we refunded still records the refund Midtrans made, for an operator to check', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15, amount: 300_000 });
    await ctx.h.simulatorControl(request.paymentId, 'pay');
    await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(request.paymentId));
    await viewWhen(handle, (v) => v.status === 'success');
    // Midtrans took the refund (its answer says refund), but its cumulative refund_amount is less than this refund.
    ctx.h.editMidtransAnswers((path, body) => (path.endsWith('/refund') ? { ...body, refund_amount: '1.00' } : body));
    let refunded: PaymentView;
    try {
      const answered = handle.executeUpdate(refundUpdate, { args: [{ amount: 100_000, reason: 'one seat' }] });
      const stuck = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the refund update was never answered')), 15_000));
      refunded = await Promise.race([answered, stuck]);
    } finally {
      ctx.h.editMidtransAnswers(null);
    }
    expect(refunded).toMatchObject({ status: 'partially_refunded', refundedAmount: 100_000, refunds: [{ amount: 100_000 }] });
    expect(refunded.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({
      reason: 'refund_answer_mismatch',
      amount: 100_000,
      midtrans_refund_amount: '1.00',
    });
    expect(downstreamFor(request.paymentId).map((c) => c.event.eventKey)).toContain('refund-1');
    await handle.terminate('test done');
  });
});

describe('status look-ups that fail for a while', () => {
  it('transient errors are retried for 10 minutes, then needs_operator_review, and the payment still settles later', async () => {
    const { request, handle } = await startPayment();
    const pending = await ctx.h.notificationFor(request.paymentId);
    ctx.h.failStatusLookups(503);
    try {
      await handle.signal(midtransNotificationSignal, { ...pending, transactionStatus: 'settlement' });
      await ctx.h.env.sleep('11 minutes');
      const reviewed = await viewWhen(handle, (v) => v.history.some((e) => e.kind === 'needs_operator_review'));
      expect(reviewed.status).toBe('pending');
      expect(reviewed.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({ reason: 'status_lookup_failed' });
    } finally {
      ctx.h.failStatusLookups(null);
    }
    await ctx.h.simulatorControl(request.paymentId, 'pay'); // its notification is lost: reconciliation finds it
    await ctx.h.env.sleep('61 minutes');
    const paid = await viewWhen(handle, (v) => v.status === 'success');
    expect(transitions(paid)).toEqual(['pending>success:reconciliation']);
    await handle.terminate('test done');
  });
});

describe('an expiry Midtrans cannot confirm', () => {
  it('is not applied: recorded for an operator; reconciliation learns from Midtrans that it expired', async () => {
    const { handle } = await startPayment();
    ctx.h.failStatusLookups(401);
    try {
      await ctx.h.env.sleep(24 * 3600_000 + 60_000);
      const unconfirmed = await viewWhen(handle, (v) => v.history.some((e) => e.detail?.reason === 'expiry_unconfirmed'));
      expect(unconfirmed.status).toBe('pending');
    } finally {
      ctx.h.failStatusLookups(null);
    }
    await ctx.h.env.sleep('6 hours'); // past expiry, reconciliation looks every 6 hours
    const expired = await viewWhen(handle, (v) => v.status === 'expired');
    expect(transitions(expired)).toEqual(['pending>expired:reconciliation']);
  });
});

describe('a paid payment claimed reversed', () => {
  it('a genuine settlement edited to deny, sent 20 times, costs one status look-up and changes nothing: Midtrans still says settlement', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    await ctx.h.simulatorControl(request.paymentId, 'pay');
    const settlement = await ctx.h.notificationFor(request.paymentId);
    await handle.signal(midtransNotificationSignal, settlement);
    await viewWhen(handle, (v) => v.status === 'success');
    const lookUps = () => ctx.h.midtransCalls.filter((c) => c.method === 'GET' && c.path.endsWith('/status')).length;
    const before = lookUps();
    for (let i = 0; i < 20; i++) await handle.signal(midtransNotificationSignal, { ...settlement, transactionStatus: 'deny' });
    const view = await viewWhen(handle, (v) => notificationsSettled(v) >= 20);
    expect(view.status).toBe('success');
    expect(view.history.some((e) => e.kind === 'needs_operator_review')).toBe(false);
    expect(view.ignoredNotifications).toEqual({ unconfirmed: 1, stale: 19 });
    expect(lookUps() - before).toBe(1);
    await handle.terminate('test done');
  });
});

describe('a flood of claims', () => {
  it('a genuine pending notification edited to settlement, sent 60 times over seconds, costs 20 look-ups, then one each 10 s; the payment still settles', async () => {
    // One signed body, its unsigned fields edited: each copy is a new meaning the API signals, and each claims a change
    // worth asking Midtrans about. Unbounded, a single payment could spend the merchant's Midtrans API quota.
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    const pending = await ctx.h.notificationFor(request.paymentId);
    const lookUps = () => ctx.h.midtransCalls.filter((c) => c.method === 'GET' && c.path.endsWith('/status')).length;
    const before = lookUps();
    const claim = (i: number) => ({ ...pending, transactionStatus: 'settlement', transactionId: `edited-${i}` });
    for (let i = 0; i < 20; i++) {
      await handle.signal(midtransNotificationSignal, claim(i));
      await viewWhen(handle, (v) => notificationsSettled(v) >= i + 1);
    }
    expect(lookUps() - before).toBe(20);
    for (let i = 20; i < 60; i++) {
      await handle.signal(midtransNotificationSignal, claim(i));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await ctx.h.env.sleep('1 minute');
    const counted = await viewWhen(handle, (v) => notificationsSettled(v) >= 60, 30_000);
    expect(counted.status).toBe('pending');
    // The 40 after the first 20 came within seconds: one or two spaced look-ups answer them all, and the minute
    // skipped brings the payment's own look at 1 minute.
    expect(lookUps() - before).toBeLessThanOrEqual(23);

    await ctx.h.simulatorControl(request.paymentId, 'pay');
    await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(request.paymentId));
    await ctx.h.env.sleep('20 seconds');
    expect((await viewWhen(handle, (v) => v.status === 'success', 30_000)).status).toBe('success');
    await handle.terminate('test done');
  });
});

describe('a workflow defends its own history', () => {
  it('duplicate notifications are counted, and only the first is written to the audit trail', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    await ctx.h.simulatorControl(request.paymentId, 'pay');
    const settlement = await ctx.h.notificationFor(request.paymentId);
    for (let i = 0; i < 30; i++) await handle.signal(midtransNotificationSignal, settlement);
    const view = await viewWhen(handle, (v) => (v.ignoredNotifications?.duplicate ?? 0) >= 29);
    expect(view.status).toBe('success');
    expect(view.history.filter((e) => e.kind.startsWith('notification_')).map((e) => e.detail?.reason)).toEqual(['duplicate']);
    expect((view as { ignoredNotifications?: Record<string, number> }).ignoredNotifications).toEqual({ duplicate: 29 });
    await handle.terminate('test done');
  });

  it('notifications that reach the workflow in one task are each accounted for: one applied, the rest counted duplicates', async () => {
    await ctx.withoutStickyCache();
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    await ctx.h.simulatorControl(request.paymentId, 'pay');
    const settlement = await ctx.h.notificationFor(request.paymentId);
    const lookUps = () => ctx.h.midtransCalls.filter((c) => c.method === 'GET' && c.path.endsWith('/status')).length;
    const before = lookUps();
    await ctx.h.withWorkerStopped(async () => {
      for (let i = 0; i < 3; i++) await handle.signal(midtransNotificationSignal, settlement);
    });
    const view = await viewWhen(handle, (v) => v.status === 'success' && (v.ignoredNotifications?.duplicate ?? 0) >= 2, 30_000);
    expect(transitions(view)).toEqual(['pending>success:webhook']);
    expect(view.ignoredNotifications).toEqual({ duplicate: 2 });
    expect(lookUps() - before).toBe(1);
    await handle.terminate('test done');
  });

  it('a flood while awaiting payment continues as new, carrying the first run’s start time, state and counters', async () => {
    const { request, handle, charged } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 }, { continueAsNewAfterEvents: 60 });
    const pending = await ctx.h.notificationFor(request.paymentId);
    for (let i = 0; i < 60; i++) await handle.signal(midtransNotificationSignal, pending);
    const latest = ctx.h.env.client.workflow.getHandle(handle.workflowId);
    // The first run may count all 60 before it continues as new (it writes its waiting line first): wait for the new run.
    await vi.waitFor(async () => expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId), { timeout: 30_000 });
    const view = await viewWhen(latest, (v) => notificationsSettled(v) >= 60);
    expect(view).toMatchObject({ status: 'pending', ignoredNotifications: { duplicate: 60 }, chargeCompleted: true, instructions: charged.instructions });

    // Expiry and reconciliation are counted from the first run's start, which the new run's input carries.
    const { resumed } = await inputOfLatestRun(handle.workflowId);
    expect(resumed?.startedAtMs).toBe(Date.parse(charged.createdAt));
    expect(resumed?.state).toMatchObject({ paymentId: request.paymentId, status: 'pending', transactionId: pending.transactionId });
    expect(resumed).toMatchObject({ expiryPassed: false, version: expect.any(Number) as number });
    expect(resumed!.version).toBeGreaterThanOrEqual(2);
    // The first duplicate's audit line waited for a write; the run wrote it before it continued as new.
    const firstRunLines = ctx.h.snapshots.filter((w) => w.snapshot.view.paymentId === request.paymentId && w.snapshot.version <= resumed!.version);
    expect(firstRunLines.flatMap((w) => w.events.map((e) => `${e.kind}:${String(e.detail?.reason)}`))).toContain('notification_ignored:duplicate');
    await latest.terminate('test done');
    // The run that continued as new is the history worth replaying.
    ctx.lastPayment = ctx.h.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
  });

  it('a cancel sent while the run writes its waiting line before continuing as new is applied, not abandoned', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 }, { continueAsNewAfterEvents: 60 });
    // Accepted (its validator ran) while the write still retries.
    const canceled = await whileLastWriteBeforeContinuingAsNewRetries(request.paymentId, handle, () =>
      handle.startUpdate(cancelUpdate, { args: [{ reason: 'customer changed plans' }], waitForStage: WorkflowUpdateStage.ACCEPTED }),
    );
    await expect(canceled.result()).resolves.toMatchObject({ status: 'canceled' });
    const latest = ctx.h.env.client.workflow.getHandle(handle.workflowId);
    expect((await viewWhen(latest, (v) => v.status === 'canceled')).status).toBe('canceled');
  });

  it('a flood after payment continues as new with refunds, counters and the refund window intact', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15, amount: 300_000 }, { continueAsNewAfterEvents: 60 });
    await ctx.h.simulatorControl(request.paymentId, 'pay');
    const settlement = await ctx.h.notificationFor(request.paymentId);
    await handle.signal(midtransNotificationSignal, settlement);
    await viewWhen(handle, (v) => v.status === 'success');
    const partial = await handle.executeUpdate(refundUpdate, { args: [{ amount: 100_000, reason: 'one passenger' }] });
    for (let i = 0; i < 40; i++) await handle.signal(midtransNotificationSignal, settlement);
    const latest = ctx.h.env.client.workflow.getHandle(handle.workflowId);
    await viewWhen(latest, (v) => notificationsSettled(v) >= 40);
    expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId);
    // The refund window is the first run's: 30 days from the payment, not from the new run.
    const { resumed } = await inputOfLatestRun(handle.workflowId);
    const windowFromPayment = resumed!.refundWindowEndsMs! - Date.parse(partial.paidAt!);
    expect(windowFromPayment).toBeGreaterThanOrEqual(30 * 86_400_000);
    expect(windowFromPayment).toBeLessThan(30 * 86_400_000 + 60_000);

    const rest = await latest.executeUpdate(refundUpdate, { args: [{ reason: 'trip cancelled' }] });
    expect(rest).toMatchObject({ status: 'refunded', refundedAmount: 300_000 });
    expect(rest.refunds.map((r) => [r.refundKey, r.amount])).toEqual([
      [`${request.paymentId}-r1`, 100_000],
      [`${request.paymentId}-r2`, 200_000],
    ]);
    expect(transitions(rest)).toEqual(['pending>success:webhook']);
    // The latest run's result, not the chain's from the first run: when a query or signal meets the continue-as-new,
    // the time-skipping server can leave the first run with a task it never closes, and a result followed from there
    // never came (reproduced: the workflow completed, and the call still waited 20 s later).
    const final = await latest.result();
    expect(final.status).toBe('refunded');
    expect(downstreamFor(request.paymentId).filter((c) => c.target === 'transaction-service').map((c) => c.event.eventKey)).toEqual([
      'success',
      'refund-1',
      'refund-2',
    ]);
  });
});

describe('a continue-as-new carries what its run owed', () => {
  /** A paid 300,000 payment whose runs continue as new after 60 events, and its settlement notification. */
  async function paidPaymentContinuingAsNew() {
    const started = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15, amount: 300_000 }, { continueAsNewAfterEvents: 60 });
    await ctx.h.simulatorControl(started.request.paymentId, 'pay');
    const settlement = await ctx.h.notificationFor(started.request.paymentId);
    await started.handle.signal(midtransNotificationSignal, settlement);
    await viewWhen(started.handle, (v) => v.status === 'success');
    return { ...started, settlement };
  }
  /** Copies of the settlement until the run continues as new; the latest run's handle. */
  async function floodUntilContinuedAsNew(handle: WorkflowHandleWithFirstExecutionRunId, settlement: MidtransNotificationSignal) {
    for (let i = 0; i < 40; i++) await handle.signal(midtransNotificationSignal, settlement);
    const latest = ctx.h.env.client.workflow.getHandle(handle.workflowId);
    await vi.waitFor(async () => expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId), { timeout: 30_000 });
    return latest;
  }

  it('a refund retried with its update id after the run continued as new refunds once: Midtrans sees one refund', async () => {
    // The API sends a retried request's update again under the same id (derived from its Idempotency-Key) when it has no
    // stored answer for it (its first instance died, or storing failed). Temporal applies an update id once per run.
    const { request, handle, settlement } = await paidPaymentContinuingAsNew();
    const updateId = `idempotency-${request.paymentId.slice(4)}`;
    const first = await handle.executeUpdate(refundUpdate, { args: [{ amount: 100_000, reason: 'one seat' }], updateId });
    expect(first).toMatchObject({ status: 'partially_refunded', refundedAmount: 100_000 });

    const latest = await floodUntilContinuedAsNew(handle, settlement);

    const retried = await latest.executeUpdate(refundUpdate, { args: [{ amount: 100_000, reason: 'one seat' }], updateId });
    expect(retried).toMatchObject({ status: 'partially_refunded', refundedAmount: 100_000 });
    expect(retried.refunds.map((r) => r.refundKey)).toEqual([`${request.paymentId}-r1`]);
    const refundsAtMidtrans = () =>
      ctx.h.midtransCalls.filter((c) => c.path.endsWith('/refund') && String(c.body?.refund_key).startsWith(`${request.paymentId}-`));
    expect(refundsAtMidtrans()).toHaveLength(1);
    // A new update id is a new refund.
    const next = await latest.executeUpdate(refundUpdate, { args: [{ amount: 50_000, reason: 'another seat' }] });
    expect(next.refundedAmount).toBe(150_000);
    expect(refundsAtMidtrans().map((c) => c.body?.refund_key)).toEqual([`${request.paymentId}-r1`, `${request.paymentId}-r2`]);
    await latest.terminate('test done');
  });

  it('a refund that failed, sent again with its update id after the run continued as new, refunds nothing', async () => {
    // Temporal answers a repeated update id within its run only; a run that continues as new carries the ids it answered.
    const { request, handle, settlement } = await paidPaymentContinuingAsNew();
    const updateId = `idempotency-${request.paymentId.slice(4)}`;
    const refund = { args: [{ amount: 100_000, reason: 'one seat' }] as [RefundRequest], updateId };
    ctx.h.refuseRefundsAndCancels(401);
    const failed = await handle.executeUpdate(refundUpdate, refund).catch((e: unknown) => e);
    ctx.h.refuseRefundsAndCancels(null);
    expect((failed as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'MIDTRANS_UNAVAILABLE' });

    const latest = await floodUntilContinuedAsNew(handle, settlement);

    const again = await latest.executeUpdate(refundUpdate, refund).catch((e: unknown) => e);
    expect((again as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'REQUEST_ALREADY_FAILED' });
    expect(ctx.h.midtransCalls.filter((c) => c.path.endsWith('/refund') && c.method === 'POST' && String(c.body?.refund_key).startsWith(`${request.paymentId}-`))).toHaveLength(1);
    expect((await latest.query(paymentQuery)).refundedAmount).toBe(0);
    await latest.terminate('test done');
  });

  it('a cancel applied while the run heads to continue as new is still delivered downstream, by the next run', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 }, { continueAsNewAfterEvents: 60 });
    // The cancel is accepted while the run's last write retries; it finishes, starting its deliveries, as the run
    // continues as new.
    const canceled = await whileLastWriteBeforeContinuingAsNewRetries(request.paymentId, handle, () =>
      handle.startUpdate(cancelUpdate, { args: [{ reason: 'customer changed plans' }], waitForStage: WorkflowUpdateStage.ACCEPTED }),
    );
    await expect(canceled.result()).resolves.toMatchObject({ status: 'canceled' });
    const latest = ctx.h.env.client.workflow.getHandle(handle.workflowId);
    expect((await latest.result()).status).toBe('canceled');
    await vi.waitFor(() => expect(downstreamFor(request.paymentId).map((c) => [c.target, c.event.eventKey])).toContainEqual(['transaction-service', 'canceled']), {
      timeout: 10_000,
    });
  });

  it('a flood while the transaction service is down still continues as new; the next run delivers once it is back', async () => {
    // A signed body's unsigned fields make endless distinct notifications, each a signal: a run that waited for a
    // delivery retrying for up to 7 days would grow to Temporal's history limit, which terminates it.
    let down = true;
    ctx.h.setDownstreamAnswer(() => (down ? 503 : 200));
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 }, { continueAsNewAfterEvents: 60 });
    ctx.lastPayment = ctx.h.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId); // the run that continued
    await ctx.h.simulatorControl(request.paymentId, 'pay');
    const settlement = await ctx.h.notificationFor(request.paymentId);
    await handle.signal(midtransNotificationSignal, settlement);
    await viewWhen(handle, (v) => v.status === 'success');
    for (let i = 0; i < 40; i++) await handle.signal(midtransNotificationSignal, settlement);

    const latest = ctx.h.env.client.workflow.getHandle(handle.workflowId);
    await vi.waitFor(async () => expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId), { timeout: 30_000 });
    const { resumed } = await inputOfLatestRun(handle.workflowId);
    expect(resumed?.deliveriesOwed?.map((d) => [d.target, d.event.eventKey]).sort()).toEqual([
      ['transaction-service', 'success'],
      ['user-service', 'success'],
    ]);
    const callsWhileDown = downstreamFor(request.paymentId).length;
    down = false;
    await vi.waitFor(() => expect(downstreamFor(request.paymentId).length).toBeGreaterThanOrEqual(callsWhileDown + 2), { timeout: 30_000 });
    const view = await latest.query(paymentQuery);
    expect(view.history.filter((e) => e.kind === 'downstream_failed')).toEqual([]);
    await latest.terminate('test done');
  });

  it('a flood while a closed payment’s delivery retries continues as new; the next run delivers it and completes', async () => {
    // A final payment waits for its deliveries before it completes, and still takes every signal meanwhile.
    let down = true;
    ctx.h.setDownstreamAnswer(() => (down ? 503 : 200));
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 }, { continueAsNewAfterEvents: 60 });
    ctx.lastPayment = ctx.h.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId); // the run that continued
    await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'customer changed plans' }] });
    const pending = await ctx.h.notificationFor(request.paymentId);
    for (let i = 0; i < 40; i++) await handle.signal(midtransNotificationSignal, pending);

    const latest = ctx.h.env.client.workflow.getHandle(handle.workflowId);
    await vi.waitFor(async () => expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId), { timeout: 30_000 });
    const { resumed } = await inputOfLatestRun(handle.workflowId);
    expect(resumed?.deliveriesOwed?.map((d) => [d.target, d.event.eventKey])).toEqual([['transaction-service', 'canceled']]);
    // Nothing reads notifications once the payment is closed: they are not carried from run to run.
    expect(resumed?.inbox).toEqual([]);
    const callsWhileDown = downstreamFor(request.paymentId).length;
    down = false;
    await vi.waitFor(() => expect(downstreamFor(request.paymentId).length).toBeGreaterThan(callsWhileDown), { timeout: 30_000 });
    await vi.waitFor(async () => expect((await latest.describe()).status.name).toBe('COMPLETED'), { timeout: 30_000 });
  });

  it('an operator’s reconcile request that reaches the run as it continues as new is looked at in the next run', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 }, { continueAsNewAfterEvents: 60 });
    // The request arrives while the run's last write before it continues as new retries.
    await whileLastWriteBeforeContinuingAsNewRetries(request.paymentId, handle, () =>
      handle.signal(reconcileRequestSignal, { requestedBy: 'operator-ani', reason: 'customer says paid' }),
    );
    const latest = ctx.h.env.client.workflow.getHandle(handle.workflowId);
    await vi.waitFor(async () => expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId), { timeout: 30_000 });
    const view = await viewWhen(latest, (v) => v.history.some((e) => e.kind === 'reconciliation_requested'), 20_000);
    expect(view.history.find((e) => e.kind === 'reconciliation_requested')?.detail).toMatchObject({ requestedBy: ['operator-ani'] });
    await latest.terminate('test done');
  });
});
