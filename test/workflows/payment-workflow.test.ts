import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it, vi } from 'vitest';
import type { PaymentRequest, PaymentView } from '../../src/domain';
import { withoutCheckout } from '../../src/domain';
import {
  cancelUpdate,
  chargeCompletedUpdate,
  midtransNotificationSignal,
  paymentQuery,
  reconcileRequestSignal,
  refundUpdate,
} from '../../workflows/messages';
import { PAYMENT_STATUS } from '../../src/temporal/search-attributes';
import { patchIdsIn, paymentRequest, scheduledActivityTypesIn, startPaymentWorkflow, useWorkflowHarness, viewWhen } from '../support/workflow-harness';

// Real production durations throughout: 24 h VA expiry, 30-day refund window. The time-skipping server makes them
// take milliseconds.
const REFUND_WINDOW_DAYS = 30;
const DAY_MS = 24 * 3600_000;

const ctx = useWorkflowHarness();

async function startPayment(overrides: Partial<PaymentRequest> = {}, userId: string | undefined = 'user-7') {
  const started = await startPaymentWorkflow(ctx.h, overrides, { userId, refundWindowDays: REFUND_WINDOW_DAYS });
  ctx.lastPayment = started.handle;
  return started;
}

const eventually = viewWhen;

/** Fails instead of hanging when a message is blocked behind something it must not wait for. */
async function withinSeconds<T>(seconds: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${seconds} s: blocked`)), seconds * 1000);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function payAndNotify(handle: WorkflowHandle, paymentId: string) {
  await ctx.h.simulatorControl(paymentId, 'pay');
  await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(paymentId));
  return eventually(handle, (v) => v.status === 'success');
}

const transitions = (view: PaymentView) => view.history.filter((e) => e.kind === 'transition').map((e) => `${e.from}>${e.to}:${e.source}`);
/** The read-model writes of a payment, in order: version, audit lines, and what the row said. */
const writesFor = (paymentId: string) =>
  ctx.h.snapshots
    .filter((w) => w.snapshot.view.paymentId === paymentId)
    .map((w) => ({
      version: w.snapshot.version,
      event: w.events.map((e) => e.kind).join(' + ') || null,
      status: w.snapshot.view.status,
      instructions: w.snapshot.view.instructions?.kind ?? null,
    }));
const callsFor = (paymentId: string) => ctx.h.downstreamCalls.filter((c) => c.event.paymentId === paymentId);

describe('payment workflow', () => {
  it('bank transfer (VA): paid two hours in, stays open 30 days for refunds, then completes as success', async () => {
    const { request, handle, charged } = await startPayment();
    expect(charged.status).toBe('pending');
    expect(charged.instructions).toMatchObject({ kind: 'virtual_account', bank: 'bca' });
    await ctx.h.env.sleep('2 hours');
    const paid = await payAndNotify(handle, request.paymentId);
    const paidAtMs = Date.parse(paid.paidAt!);
    // A minute before the window ends the payment is still open for refunds (VA has no API refund: the refusal is
    // about the method, not the window).
    await ctx.h.env.sleep(REFUND_WINDOW_DAYS * DAY_MS - 60_000);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const notByApi = await handle.executeUpdate(refundUpdate, { args: [{}] }).catch((e: unknown) => e);
    expect((notByApi as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'NOT_REFUNDABLE' });
    const final = await handle.result();
    const closedAtMs = (await handle.describe()).closeTime!.getTime();
    expect(closedAtMs - paidAtMs).toBeGreaterThanOrEqual(REFUND_WINDOW_DAYS * DAY_MS);
    expect(closedAtMs - paidAtMs).toBeLessThan(REFUND_WINDOW_DAYS * DAY_MS + 60_000);
    expect(final.status).toBe('success');
    expect(transitions(final)).toEqual(['pending>success:webhook']);
    const calls = callsFor(request.paymentId);
    expect(calls.map((c) => `${c.target}:${c.event.status}`).sort()).toEqual(['transaction-service:success', 'user-service:success']);
    // The read model gets each write's own event, never the whole history again (it would grow every write).
    const writes = ctx.h.snapshots.filter((w) => w.snapshot.view.paymentId === request.paymentId);
    expect(writes.map((w) => w.events.map((e) => e.kind))).toEqual([['charged'], ['transition']]);
    expect(writes.every((w) => !('history' in w.snapshot.view))).toBe(true);
  });

  it.each([
    ['gopay', { method: 'gopay' as const, bank: undefined, expiryMinutes: 15 }, 'qr_code'],
    ['qris', { method: 'qris' as const, bank: undefined, expiryMinutes: 15 }, 'qr_code'],
    ['indomaret', { method: 'indomaret' as const, bank: undefined }, 'store_payment_code'],
    ['mandiri bill', { method: 'bank_transfer' as const, bank: 'mandiri' as const }, 'bill_payment'],
  ])('%s: instructions exposed, paid before expiry', async (_name, overrides, instructionKind) => {
    const { request, handle, charged } = await startPayment(overrides);
    expect(charged.instructions?.kind).toBe(instructionKind);
    await ctx.h.env.sleep('5 minutes');
    const paid = await payAndNotify(handle, request.paymentId);
    expect(paid.status).toBe('success');
  });

  it('card with a token that needs no 3DS is captured by the charge itself', async () => {
    const { charged } = await startPayment({ method: 'credit_card', bank: undefined, cardToken: '4411111111111118', expiryMinutes: 10 });
    expect(charged.status).toBe('success');
    expect(charged.midtransStatus).toBe('capture');
  });

  it('a card held for fraud review is not expired by our timer; the merchant approves it at Midtrans hours later → success', async () => {
    const { request, handle, charged } = await startPayment({ method: 'credit_card', bank: undefined, cardToken: '4511111111111117', expiryMinutes: 10 });
    expect(charged).toMatchObject({ status: 'processing', midtransStatus: 'capture', fraudStatus: 'challenge' });
    await ctx.h.env.sleep('3 hours');
    const held = await handle.query(paymentQuery);
    expect(held.status).toBe('processing');
    expect(held.history.filter((e) => e.kind === 'expiry_deferred')).toHaveLength(1);
    const failedTasks = (await handle.fetchHistory()).events?.filter((e) => e.workflowTaskFailedEventAttributes) ?? [];
    expect(failedTasks).toHaveLength(0);

    // Its notification is lost: past expiry (10 minutes) reconciliation looks every 6 hours, and finds it at 6 h 10.
    await ctx.h.simulatorControl(request.paymentId, 'approve');
    await ctx.h.env.sleep(189 * 60_000);
    expect((await handle.query(paymentQuery)).status).toBe('processing');
    await ctx.h.env.sleep(2 * 60_000);
    const paid = await eventually(handle, (v) => v.status === 'success');
    expect(transitions(paid)).toEqual(['pending>processing:charge', 'processing>success:reconciliation']);
    // The fix is behind patched(): a new history carries one marker, the newest patch's, which takes every older patch
    // as applied; histories from before the fix replay without any.
    expect(patchIdsIn(await handle.fetchHistory())).toEqual(['routine-notification-lines-wait-for-the-next-write']);
    expect(callsFor(request.paymentId).map((c) => `${c.target}:${c.event.status}`).sort()).toEqual(['transaction-service:success', 'user-service:success']);
  });

  it('dana goes through Snap and exposes the redirect URL', async () => {
    const { handle, charged } = await startPayment({ method: 'dana', bank: undefined, expiryMinutes: 15 });
    expect(charged.instructions).toMatchObject({ kind: 'redirect' });
    expect(String((charged.instructions as { redirectUrl: string }).redirectUrl)).toContain('/snap/v3/redirection/');
    await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'test cleanup' }] });
  });

  it('expires after 24 hours when nobody pays, at Midtrans too', async () => {
    const { request, handle } = await startPayment();
    const final = await handle.result();
    expect(final.status).toBe('expired');
    expect(transitions(final)).toEqual(['pending>expired:timer']);
    expect(Date.parse(final.updatedAt) - Date.parse(final.createdAt)).toBeGreaterThanOrEqual(24 * 3600_000);
    const status = (await ctx.h.midtrans.getStatus(request.paymentId)) as { transaction_status: string };
    expect(status.transaction_status).toBe('expire');
    expect(callsFor(request.paymentId).map((c) => `${c.target}:${c.event.status}`)).toEqual(['transaction-service:expired']);
  });

  it('a payment settled in the last minute before expiry is a success, not an expiry', async () => {
    const { request, handle } = await startPayment();
    await ctx.h.env.sleep(24 * 3600_000 - 60_000);
    await ctx.h.simulatorControl(request.paymentId, 'pay'); // the notification is lost
    await ctx.h.env.sleep('2 minutes'); // past the expiry timer
    const view = await eventually(handle, (v) => v.status !== 'pending');
    expect(view.status).toBe('success');
    expect(transitions(view)).toEqual(['pending>success:timer']);
    await handle.terminate('test done');
  });

  it('a lost webhook is recovered by reconciliation', async () => {
    const { request, handle } = await startPayment();
    await ctx.h.simulatorControl(request.paymentId, 'pay'); // Midtrans settles, the notification never arrives
    await ctx.h.env.sleep('2 minutes');
    const view = await eventually(handle, (v) => v.status === 'success');
    expect(transitions(view)).toEqual(['pending>success:reconciliation']);
    await handle.terminate('test done');
  });

  it('with early looks at 15 and 60 minutes (RECONCILE_EARLY_LOOKS_MINUTES), the first look waits 15 minutes and finds a lost webhook', async () => {
    const { request, handle } = await startPaymentWorkflow(ctx.h, {}, { userId: 'user-7', refundWindowDays: REFUND_WINDOW_DAYS, reconcileAfterMinutes: [15, 60] });
    ctx.lastPayment = handle;
    await ctx.h.simulatorControl(request.paymentId, 'pay'); // the notification never arrives
    const firstTimer = (await handle.fetchHistory()).events?.find((e) => e.timerStartedEventAttributes)?.timerStartedEventAttributes;
    const firstWaitMinutes = Number(firstTimer?.startToFireTimeout?.seconds ?? 0) / 60;
    expect(firstWaitMinutes).toBeGreaterThan(14);
    expect(firstWaitMinutes).toBeLessThanOrEqual(15);
    await ctx.h.env.sleep('16 minutes');
    const view = await eventually(handle, (v) => v.status === 'success');
    expect(transitions(view)).toEqual(['pending>success:reconciliation']);
    await handle.terminate('test done');
  });

  it('cancel: a pending payment is canceled at Midtrans and here', async () => {
    const { request, handle } = await startPayment();
    const view = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'customer changed plans' }] });
    expect(view.status).toBe('canceled');
    const status = (await ctx.h.midtrans.getStatus(request.paymentId)) as { transaction_status: string };
    expect(status.transaction_status).toBe('cancel');
    const final = await handle.result();
    expect(final.status).toBe('canceled');
    const err = await handle.executeUpdate(cancelUpdate, { args: [{}] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowNotFoundError);
    // The row says why, as the cancel's answer did: GET /payments/{id} reads the row.
    const canceledRow = ctx.h.snapshots.filter((w) => w.snapshot.view.paymentId === request.paymentId && w.snapshot.view.status === 'canceled');
    expect(canceledRow.map((w) => w.snapshot.view.failureReason)).toEqual(['customer changed plans']);
  });

  it('cancel is rejected once paid, and the rejected update writes nothing', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    await payAndNotify(handle, request.paymentId);
    const before = (await handle.query(paymentQuery)).history.length;
    const error = await handle.executeUpdate(cancelUpdate, { args: [{}] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((error as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'INVALID_STATE' });
    expect((await handle.query(paymentQuery)).history.length).toBe(before);
    await handle.terminate('test done');
  });

  it('refunds: partial, then the rest; over the remaining is refused; Midtrans agrees', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15, amount: 300_000 });
    await payAndNotify(handle, request.paymentId);
    const partial = await handle.executeUpdate(refundUpdate, { args: [{ amount: 100_000, reason: 'one passenger cancelled' }] });
    expect(partial).toMatchObject({ status: 'partially_refunded', refundedAmount: 100_000 });

    const tooMuch = await handle.executeUpdate(refundUpdate, { args: [{ amount: 200_001 }] }).catch((e: unknown) => e);
    expect((tooMuch as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'REFUND_EXCEEDS_REMAINING' });

    const rest = await handle.executeUpdate(refundUpdate, { args: [{ reason: 'trip cancelled' }] });
    expect(rest).toMatchObject({ status: 'refunded', refundedAmount: 300_000 });
    expect(rest.refunds.map((r) => r.amount)).toEqual([100_000, 200_000]);

    const status = (await ctx.h.midtrans.getStatus(request.paymentId)) as unknown as { transaction_status: string; refund_amount: string };
    expect(status.transaction_status).toBe('refund');
    expect(status.refund_amount).toBe('300000.00');
    const final = await handle.result();
    expect(final.status).toBe('refunded');
    const refundCalls = callsFor(request.paymentId).filter((c) => c.event.eventKey.startsWith('refund-'));
    expect(refundCalls.map((c) => `${c.target}:${c.event.eventKey}:${c.event.refundAmount}`).sort()).toEqual([
      'transaction-service:refund-1:100000',
      'transaction-service:refund-2:200000',
      'user-service:refund-1:100000',
      'user-service:refund-2:200000',
    ]);
  });

  it('a refund while Midtrans refuses our server key (401) fails MIDTRANS_UNAVAILABLE, and goes to an operator through the audit trail', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15, amount: 300_000 });
    ctx.lastPayment = handle;
    await payAndNotify(handle, request.paymentId);
    ctx.h.refuseRefundsAndCancels(401);
    const refused = await handle.executeUpdate(refundUpdate, { args: [{ amount: 100_000, reason: 'one seat' }] }).catch((e: unknown) => e);
    ctx.h.refuseRefundsAndCancels(null);
    expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'MIDTRANS_UNAVAILABLE' });

    const view = await handle.query(paymentQuery);
    expect(view).toMatchObject({ status: 'success', refundedAmount: 0 });
    // The attempt is in the audit trail, and in the review queue: a customer asked for money back and did not get it.
    expect(view.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({
      reason: 'refund_not_taken_by_midtrans',
      amount: 100_000,
      refund_key: `${request.paymentId}-r1`,
      error: expect.stringContaining('401'),
    });
    expect(writesFor(request.paymentId).at(-1)?.event).toBe('needs_operator_review');

    // Once the key is fixed, the same refund goes through once.
    const refunded = await handle.executeUpdate(refundUpdate, { args: [{ amount: 100_000, reason: 'one seat' }] });
    expect(refunded).toMatchObject({ status: 'partially_refunded', refundedAmount: 100_000 });
  });

  it('a cancel while Midtrans refuses our server key (401) fails MIDTRANS_UNAVAILABLE, and goes to an operator through the audit trail', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    ctx.lastPayment = handle;
    ctx.h.refuseRefundsAndCancels(401);
    const refused = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed plans' }] }).catch((e: unknown) => e);
    ctx.h.refuseRefundsAndCancels(null);
    expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'MIDTRANS_UNAVAILABLE' });

    const view = await handle.query(paymentQuery);
    expect(view.status).toBe('pending');
    expect(view.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({
      reason: 'cancel_not_taken_by_midtrans',
      error: expect.stringContaining('401'),
    });
    expect(writesFor(request.paymentId).at(-1)?.event).toBe('needs_operator_review');

    const canceled = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed plans' }] });
    expect(canceled.status).toBe('canceled');
  });

  it('a refund Midtrans applied but whose answers are lost for 25 minutes is retried under its refund_key until answered, and counted once', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15, amount: 300_000 });
    await payAndNotify(handle, request.paymentId);
    // 1 + 2 + 4 + … s, then one a minute: 30 lost answers outlast 25 minutes; the activity has no deadline to give up at.
    ctx.h.loseRefundAnswers(30);
    const pending = handle.startUpdate(refundUpdate, { args: [{ amount: 100_000, reason: 'one passenger cancelled' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
    await (await pending);
    await ctx.h.env.sleep('30 minutes');
    const refunded = await (await pending).result();
    expect(refunded).toMatchObject({ status: 'partially_refunded', refundedAmount: 100_000 });
    const refundCalls = () =>
      ctx.h.midtransCalls.filter((c) => c.path.endsWith('/refund') && String(c.body?.refund_key).startsWith(request.paymentId)).map((c) => c.body?.refund_key);
    expect(refundCalls()).toHaveLength(31);
    expect(new Set(refundCalls()).size).toBe(1);
    const atMidtrans = async () => (await ctx.h.midtrans.getStatus(request.paymentId)) as unknown as { refund_amount: string };
    expect((await atMidtrans()).refund_amount).toBe('100000.00');

    // The next refund is a new refund_key, not a replay of the first.
    const next = await handle.executeUpdate(refundUpdate, { args: [{ amount: 50_000, reason: 'a second passenger cancelled' }] });
    expect(next).toMatchObject({ refundedAmount: 150_000 });
    expect(new Set(refundCalls()).size).toBe(2);
    expect((await atMidtrans()).refund_amount).toBe('150000.00');
    await vi.waitFor(() =>
      expect(callsFor(request.paymentId).filter((c) => c.event.eventKey.startsWith('refund-')).map((c) => `${c.target}:${c.event.eventKey}:${c.event.refundAmount}`).sort()).toEqual([
        'transaction-service:refund-1:100000',
        'transaction-service:refund-2:50000',
        'user-service:refund-1:100000',
        'user-service:refund-2:50000',
      ]),
    );
    await handle.terminate('test done');
  });

  it('further partial refunds made at Midtrans (its dashboard), their notifications lost, are each counted by an asked-for look', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15, amount: 300_000 });
    await payAndNotify(handle, request.paymentId);
    await handle.executeUpdate(refundUpdate, { args: [{ amount: 100_000, reason: 'one passenger cancelled' }] });
    // Each refund leaves Midtrans at partial_refund with a higher total; no notification of them reaches us.
    const refundAtMidtransThenAsk = async (amount: number, total: number) => {
      await ctx.h.midtrans.refund(request.paymentId, { refund_key: `dashboard-${total}`, amount, reason: 'goodwill' });
      await handle.signal(reconcileRequestSignal, { requestedBy: 'daily-reconciliation', reason: 'refunded_amount_mismatch' });
      return eventually(handle, (v) => v.refundedAmount === total, 15_000);
    };
    await refundAtMidtransThenAsk(50_000, 150_000);
    const counted = await refundAtMidtransThenAsk(30_000, 180_000);

    expect(counted.status).toBe('partially_refunded');
    expect(transitions(counted)).toEqual([
      'pending>success:webhook',
      'partially_refunded>partially_refunded:reconciliation',
      'partially_refunded>partially_refunded:reconciliation',
    ]);
    // Downstream hears of money it did not ask to move, as of any refund Midtrans reports, with how much each moved.
    await vi.waitFor(() =>
      expect(callsFor(request.paymentId).map((c) => `${c.target}:${c.event.eventKey}:${c.event.refundAmount}`)).toEqual(
        expect.arrayContaining([
          'transaction-service:midtrans-partially_refunded-150000:50000',
          'user-service:midtrans-partially_refunded-150000:50000',
          'transaction-service:midtrans-partially_refunded-180000:30000',
          'user-service:midtrans-partially_refunded-180000:30000',
        ]),
      ),
    );
    // A refund through the API starts from Midtrans's total: 120,000 is left.
    const tooMuch = await handle.executeUpdate(refundUpdate, { args: [{ amount: 120_001 }] }).catch((e: unknown) => e);
    expect((tooMuch as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'REFUND_EXCEEDS_REMAINING' });
    await handle.terminate('test done');
  });

  it('a VA payment cannot be refunded through the API', async () => {
    const { request, handle } = await startPayment();
    await payAndNotify(handle, request.paymentId);
    const error = await handle.executeUpdate(refundUpdate, { args: [{}] }).catch((e: unknown) => e);
    expect((error as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'NOT_REFUNDABLE' });
    await handle.terminate('test done');
  });

  it('duplicate and out-of-order notifications change nothing after the first', async () => {
    const { request, handle } = await startPayment();
    const pending = await ctx.h.notificationFor(request.paymentId);
    await payAndNotify(handle, request.paymentId);
    const settlement = await ctx.h.notificationFor(request.paymentId);
    await handle.signal(midtransNotificationSignal, settlement);
    await handle.signal(midtransNotificationSignal, settlement);
    await handle.signal(midtransNotificationSignal, pending);
    await handle.signal(midtransNotificationSignal, { ...settlement, grossAmount: '1.00' });
    const counted = (v: PaymentView) => Object.values(v.ignoredNotifications ?? {}).reduce((a, b) => a + b, 0);
    const view = await eventually(handle, (v) => counted(v) >= 4);
    expect(view.status).toBe('success');
    expect(transitions(view)).toEqual(['pending>success:webhook']);
    // Counted by reason; only the first of each reason is written to the audit trail (a flood must not grow it).
    expect(view.ignoredNotifications).toEqual({ duplicate: 2, stale: 1, amount_mismatch: 1 });
    const audited = view.history.filter((e) => e.kind.startsWith('notification_')).map((e) => `${e.kind}:${String(e.detail?.reason)}`);
    expect(audited).toEqual(['notification_ignored:duplicate', 'notification_ignored:stale', 'notification_rejected:amount_mismatch']);
    await handle.terminate('test done');
  });

  it('a charge whose answer was lost is resolved through the status API, never charged twice', async () => {
    ctx.h.loseNextChargeAnswer();
    const { request, charged } = await startPayment();
    expect(charged.status).toBe('pending');
    expect(charged.instructions).toMatchObject({ kind: 'virtual_account' });
    expect(ctx.h.chargeRequestsFor(request.paymentId)).toBe(1);
    // The retry found the order at Midtrans: the checkout is used, and deleted.
    expect(ctx.h.checkouts.has(request.paymentId)).toBe(false);
  });

  it('the read-model row is first written with the charge’s answer: version 1 carries the `charged` audit line', async () => {
    const { request, charged } = await startPayment();
    expect(charged.instructions).toMatchObject({ kind: 'virtual_account' });
    const writes = writesFor(request.paymentId);
    expect(writes[0]).toEqual({ version: 1, event: 'charged', status: 'pending', instructions: 'virtual_account' });
    expect(writes).toHaveLength(1);
  });

  /** Every audit line a payment's writes carried, in the order they were written. */
  const linesWritten = (paymentId: string) =>
    ctx.h.snapshots.filter((w) => w.snapshot.view.paymentId === paymentId).flatMap((w) => w.events.map((e) => e.key));
  const historyKeys = (view: PaymentView) => view.history.map((e, i) => `${i + 1}-${e.kind}`);

  it('the charge’s pending notification costs no write of its own: its audit line comes with the settlement’s write, in order', async () => {
    const { request, handle } = await startPayment();
    await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(request.paymentId));
    await eventually(handle, (v) => v.ignoredNotifications?.duplicate === 1);
    expect(writesFor(request.paymentId).map((w) => w.event)).toEqual(['charged']);
    // The charge's answer gave Midtrans's id and status: the `charged` write has them, not the next one.
    const [charged] = ctx.h.snapshots.filter((w) => w.snapshot.view.paymentId === request.paymentId);
    expect(charged!.snapshot.view).toMatchObject({ midtransStatus: 'pending', transactionId: expect.any(String) as string });
    const paid = await payAndNotify(handle, request.paymentId);
    expect(writesFor(request.paymentId).map((w) => [w.version, w.event])).toEqual([
      [1, 'charged'],
      [2, 'notification_ignored + transition'],
    ]);
    expect(linesWritten(request.paymentId)).toEqual(historyKeys(paid));
    expect(linesWritten(request.paymentId)).toEqual(['1-charged', '2-notification_ignored', '3-transition']);
    await handle.terminate('test done');
  });

  it.each([
    ['a cancel', (handle: WorkflowHandle) => handle.executeUpdate(cancelUpdate, { args: [{ reason: 'customer changed plans' }] }), 'canceled'],
    ['the expiry', (handle: WorkflowHandle) => handle.result(), 'expired'],
  ])('a line waiting for a write is written with %s’s', async (_what, end, status) => {
    const { request, handle } = await startPayment();
    await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(request.paymentId));
    await eventually(handle, (v) => v.ignoredNotifications?.duplicate === 1);
    const ended = await end(handle);
    expect(ended.status).toBe(status);
    expect(writesFor(request.paymentId).map((w) => w.event)).toEqual(['charged', 'notification_ignored + transition']);
    expect(linesWritten(request.paymentId)).toEqual(historyKeys(ended));
  });

  it('a stale notification while a card is held for fraud review waits too, and comes with the cancel’s write', async () => {
    const { request, handle, charged } = await startPayment({ method: 'credit_card', bank: undefined, cardToken: '4511111111111117', expiryMinutes: 10 });
    expect(charged.status).toBe('processing');
    const challenge = await ctx.h.notificationFor(request.paymentId);
    // Midtrans's pending notification from before the capture, arriving late.
    await handle.signal(midtransNotificationSignal, { ...challenge, transactionStatus: 'pending', fraudStatus: undefined, statusCode: '201' });
    await eventually(handle, (v) => v.ignoredNotifications?.stale === 1);
    expect(writesFor(request.paymentId).map((w) => w.event)).toEqual(['charged', 'transition']);
    const canceled = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'fraud review too slow' }] });
    expect(writesFor(request.paymentId).map((w) => w.event)).toEqual(['charged', 'transition', 'notification_ignored + transition']);
    const carried = ctx.h.snapshots.filter((w) => w.snapshot.view.paymentId === request.paymentId).at(-1)!.events[0];
    expect(carried?.detail).toMatchObject({ reason: 'stale', transaction_status: 'pending' });
    expect(linesWritten(request.paymentId)).toEqual(historyKeys(canceled));
  });

  it('a line only waits while the payment awaits its money: a repeated settlement is written at once', async () => {
    const { request, handle } = await startPayment();
    await payAndNotify(handle, request.paymentId);
    await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(request.paymentId));
    await eventually(handle, (v) => v.ignoredNotifications?.duplicate === 1);
    await vi.waitFor(() => expect(writesFor(request.paymentId).map((w) => w.event)).toEqual(['charged', 'transition', 'notification_ignored']));
    await handle.terminate('test done');
  });

  it('Midtrans slow past the worker’s quick attempts: the payment is recorded before the charge activity takes over, and charged once', async () => {
    // Three quick attempts in the worker, then the activity's first attempt, fail; its second goes through.
    ctx.h.failNextCharges(4);
    const { request, handle, charged } = await startPayment();
    expect(charged).toMatchObject({ status: 'pending', instructions: { kind: 'virtual_account' } });
    expect(writesFor(request.paymentId)).toEqual([
      { version: 1, event: null, status: 'pending', instructions: null },
      { version: 2, event: 'charged', status: 'pending', instructions: 'virtual_account' },
    ]);
    const scheduled = ((await handle.fetchHistory()).events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
    expect(scheduled.filter((name) => name === 'chargePayment')).toHaveLength(1);
    expect(ctx.h.chargeRequestsFor(request.paymentId)).toBe(5);
  });

  it('a cancel while the charge is still being placed is refused CHARGE_IN_PROGRESS, not applied to an order Midtrans has not got yet', async () => {
    // The worker's quick attempts and the activity's first ones fail: POST /payments has answered 202 with the payment
    // id meanwhile, and the client may cancel. Midtrans knows no order yet (its cancel is a 404), so a cancel applied
    // now would cancel here an order the charge then places: a payable VA for a canceled payment.
    ctx.h.failNextCharges(5);
    const request = paymentRequest();
    const { cardToken, customer, items, description } = request;
    ctx.h.checkouts.set(request.paymentId, { cardToken, customer, items, description });
    const handle = await ctx.h.env.client.workflow.start('paymentWorkflow', {
      workflowId: `payment-${request.paymentId}`,
      taskQueue: ctx.h.taskQueue,
      args: [{ request: withoutCheckout(request), userId: 'user-7', refundWindowDays: REFUND_WINDOW_DAYS }],
    });
    ctx.lastPayment = handle;
    await vi.waitFor(() => expect(writesFor(request.paymentId)).not.toHaveLength(0), { timeout: 30_000 });
    const refused = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'CHARGE_IN_PROGRESS' });

    const charged = await handle.executeUpdate(chargeCompletedUpdate);
    expect(charged).toMatchObject({ status: 'pending', instructions: { kind: 'virtual_account' } });
    const canceled = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }] });
    expect(canceled.status).toBe('canceled');
    expect(await ctx.h.midtrans.getStatus(request.paymentId)).toMatchObject({ transaction_status: 'cancel' });
    expect((await handle.result()).status).toBe('canceled');
  });

  it('a charge that gave up without an answer, for an order Midtrans took: the status API finds it pending, and the row is written all the same', async () => {
    // The charge reaches Midtrans and its answer is lost; the retry's look-up is refused for good (401) once, so the
    // charge gives up; the workflow's own look-up then finds the order pending, which changes nothing to record.
    ctx.h.loseNextChargeAnswer();
    ctx.h.failStatusLookups(401, { times: 1 });
    const { request, charged } = await startPayment();
    expect(charged).toMatchObject({ status: 'pending', midtransStatus: 'pending' });
    expect(ctx.h.chargeRequestsFor(request.paymentId)).toBe(1);
    expect(writesFor(request.paymentId)).toEqual([{ version: 1, event: null, status: 'pending', instructions: null }]);
  });

  it('a charge Midtrans rejects fails the payment with its reason', async () => {
    const { request, handle, charged } = await startPayment({
      method: 'credit_card',
      bank: undefined,
      // Denied by the bank at charge time: not enrolled in 3DS, so the charge itself is the decision.
      cardToken: '4711111111111115',
      expiryMinutes: 10,
    });
    expect(charged.status).toBe('failed');
    // A refusal is final: the card token goes with the checkout.
    expect(ctx.h.checkouts.has(request.paymentId)).toBe(false);
    const final = await handle.result();
    expect(final.status).toBe('failed');
    expect(transitions(final)).toEqual(['pending>failed:charge']);
  });

  it('downstream failing several times is retried until delivered; payment and queries are not blocked', async () => {
    let transactionServiceUp = false;
    ctx.h.setDownstreamAnswer((target) => (target === 'transaction-service' && !transactionServiceUp ? 503 : 200));
    try {
      const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
      await payAndNotify(handle, request.paymentId);
      const txSuccessCalls = () => callsFor(request.paymentId).filter((c) => c.target === 'transaction-service' && c.event.eventKey === 'success');
      await vi.waitFor(() => expect(txSuccessCalls().length).toBeGreaterThanOrEqual(1), { timeout: 20_000 });
      // The success delivery is failing right now: a query and a refund must still answer.
      const queried = await handle.query(paymentQuery);
      expect(queried).toMatchObject({ status: 'success', refundedAmount: 0 });
      const refunded = await withinSeconds(10, handle.executeUpdate(refundUpdate, { args: [{ amount: 50_000, reason: 'seat change' }] }));
      expect(refunded).toMatchObject({ status: 'partially_refunded', refundedAmount: 50_000 });
      expect((await handle.query(paymentQuery)).refundedAmount).toBe(50_000);
      expect(transactionServiceUp).toBe(false);

      transactionServiceUp = true;
      const final = await handle.result();
      expect(final.status).toBe('partially_refunded');
      const attempts = txSuccessCalls().map((c) => c.attempt);
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts).toEqual(attempts.map((_, i) => i + 1));
      expect(final.history.some((e) => e.kind === 'downstream_failed')).toBe(false);
      // Only the failing service goes on in an activity: the user service had the success at once, and only once.
      const successCalls = (target: string) => callsFor(request.paymentId).filter((c) => c.target === target && c.event.eventKey === 'success');
      expect(successCalls('user-service').map((c) => c.attempt)).toEqual([1]);
      const deliveries = scheduledActivityTypesIn(await handle.fetchHistory()).filter((type) => type.startsWith('notify'));
      expect(new Set(deliveries)).toEqual(new Set(['notifyTransactionService']));
    } finally {
      ctx.h.setDownstreamAnswer(() => 200);
    }
  });

  it('PostgreSQL down past the worker’s quick attempts: the write falls back to an activity that retries until the database is back', async () => {
    const { request, handle } = await startPayment();
    // The pending notification's line waits for the settlement's write, which carries both.
    await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(request.paymentId));
    await eventually(handle, (v) => v.ignoredNotifications?.duplicate === 1);
    ctx.h.setReadModelDown(true);
    try {
      await ctx.h.simulatorControl(request.paymentId, 'pay');
      await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(request.paymentId));
      // The server retries the write now: attempt after attempt, with no workflow task held open meanwhile.
      const retrying = async () =>
        ((await handle.describe()).raw.pendingActivities ?? []).find((a) => a.activityType?.name === 'recordPaymentLines' && (a.attempt ?? 1) >= 3);
      await vi.waitFor(async () => expect(await retrying()).toBeDefined(), { timeout: 20_000 });
      expect((await handle.query(paymentQuery)).status).toBe('success');
    } finally {
      ctx.h.setReadModelDown(false);
    }
    const written = () => ctx.h.snapshots.filter((w) => w.snapshot.view.paymentId === request.paymentId && w.events.some((e) => e.to === 'success'));
    await vi.waitFor(() => expect(written()).toHaveLength(1), { timeout: 20_000 });
    expect(written()[0]!.events.map((e) => e.kind)).toEqual(['notification_ignored', 'transition']);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    // A write carrying several lines is an activity of its own name: a worker from before, which knows only
    // recordPayment(snapshot, event), never takes it and drops all but one line.
    const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(scheduled.filter((name) => name.startsWith('recordPayment'))).toEqual(['recordPaymentLines']);
    await vi.waitFor(() => expect(callsFor(request.paymentId)).toHaveLength(2), { timeout: 20_000 });
    await handle.terminate('test done');
  });

  it('a downstream service down for the whole 7 days: the delivery gives up and its line names the event and the target', async () => {
    ctx.h.setDownstreamAnswer((target) => (target === 'transaction-service' ? 503 : 200));
    try {
      const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
      await payAndNotify(handle, request.paymentId);
      await ctx.h.env.sleep('8 days');
      const failed = (await handle.query(paymentQuery)).history.filter((e) => e.kind === 'downstream_failed');
      expect(failed.map((e) => e.detail)).toEqual([expect.objectContaining({ event: 'success', target: 'transaction-service' })]);
      // The read model's write of that line is what marks the delivery's row failed (test/integration/read-model.test.ts).
      const written = ctx.h.snapshots.filter((w) => w.snapshot.view.paymentId === request.paymentId).flatMap((w) => w.events);
      expect(written.filter((e) => e.kind === 'downstream_failed').map((e) => e.detail)).toEqual(failed.map((e) => e.detail));
      await handle.terminate('test done');
    } finally {
      ctx.h.setDownstreamAnswer(() => 200);
    }
  });

  it('a downstream 4xx is final and recorded as a failed delivery', async () => {
    ctx.h.setDownstreamAnswer((target) => (target === 'user-service' ? 422 : 200));
    const { request, handle } = await startPayment();
    await payAndNotify(handle, request.paymentId);
    const final = await handle.result();
    expect(final.status).toBe('success');
    expect(callsFor(request.paymentId).filter((c) => c.target === 'user-service')).toHaveLength(1);
    expect(final.history.find((e) => e.kind === 'downstream_failed')?.detail).toMatchObject({ event: 'success', error: 'user-service answered 422' });
    // Refused for good is final: no activity goes on retrying it, and the transaction service is not called again.
    expect(callsFor(request.paymentId).filter((c) => c.target === 'transaction-service')).toHaveLength(1);
    expect(scheduledActivityTypesIn(await handle.fetchHistory())).toEqual([]);
    ctx.h.setDownstreamAnswer(() => 200);
  });
});

describe('payment workflow: documented behaviour', () => {
  it("a payment's input started under another payment's workflow id charges nothing: its first workflow task fails", async () => {
    const request = paymentRequest({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    const workflowId = `payment-${request.paymentId}-copy`;
    await ctx.h.env.client.workflow.start('paymentWorkflow', {
      workflowId,
      taskQueue: ctx.h.taskQueue,
      // The whole request in the input, as older code started payments: nothing else stands between it and a charge.
      args: [{ request, refundWindowDays: REFUND_WINDOW_DAYS }],
    });
    // The first attempt's failure is in the history; the test server retries it later than a real one would.
    const failure = await vi.waitFor(
      async () => {
        const history = await ctx.h.env.client.workflow.getHandle(workflowId).fetchHistory();
        const failed = history.events?.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.message;
        expect(failed).toBeDefined();
        return failed;
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(failure).toBe(`workflow ${workflowId} was started with the input of payment ${request.paymentId}`);
    expect((await ctx.h.env.client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
    expect(ctx.h.chargeRequestsFor(request.paymentId)).toBe(0);
    await ctx.h.env.client.workflowService.terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId }, reason: 'test done' });
  });

  it('the refund window closes REFUND_WINDOW_DAYS after success: a refund a minute before is made, one a minute after is refused', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15, amount: 300_000 });
    await payAndNotify(handle, request.paymentId);
    await ctx.h.env.sleep(REFUND_WINDOW_DAYS * DAY_MS - 60_000);
    // The refund's delivery keeps failing, so the workflow is still running (finishing its deliveries) when the
    // window has closed: the later refund must be refused by the window, not by a closed workflow.
    ctx.h.setDownstreamAnswer(() => 503);
    try {
      const early = await handle.executeUpdate(refundUpdate, { args: [{ amount: 100_000, reason: 'one passenger cancelled' }] });
      expect(early).toMatchObject({ status: 'partially_refunded', refundedAmount: 100_000 });
      await ctx.h.env.sleep('2 minutes');
      expect((await handle.describe()).status.name).toBe('RUNNING');
      const late = await handle.executeUpdate(refundUpdate, { args: [{ amount: 100_000 }] }).catch((e: unknown) => e);
      expect(late).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((late as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'INVALID_STATE' });
      expect((late as WorkflowUpdateFailedError).cause?.message).toMatch(/refund window/);
    } finally {
      ctx.h.setDownstreamAnswer(() => 200);
    }
    const final = await handle.result();
    expect(final).toMatchObject({ status: 'partially_refunded', refundedAmount: 100_000 });
    expect(final.refunds.map((r) => r.amount)).toEqual([100_000]);
    const status = (await ctx.h.midtrans.getStatus(request.paymentId)) as unknown as { refund_amount: string };
    expect(status.refund_amount).toBe('100000.00');
  });

  // The time-skipping server keeps no search attributes (describe() answers `{}` for them, even registered), so
  // the test reads the workflow's upsert commands from its history: what a real cluster would index.
  it('each transition updates the PaymentStatus search attribute', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15, amount: 300_000 });
    const tagged = async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      return events
        .map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[PAYMENT_STATUS.name])
        .filter((payload) => payload !== undefined && payload !== null)
        .map((payload) => defaultPayloadConverter.fromPayload<string>(payload));
    };
    await payAndNotify(handle, request.paymentId);
    expect(await tagged()).toEqual(['success']);
    await handle.executeUpdate(refundUpdate, { args: [{ amount: 100_000 }] });
    expect(await tagged()).toEqual(['success', 'partially_refunded']);
    await handle.executeUpdate(refundUpdate, { args: [{}] });
    expect(await tagged()).toEqual(['success', 'partially_refunded', 'refunded']);
    await handle.result();
  });

  it('a challenged card the merchant denies at Midtrans → failed', async () => {
    const { request, handle, charged } = await startPayment({ method: 'credit_card', bank: undefined, cardToken: '4511111111111117', expiryMinutes: 10 });
    expect(charged).toMatchObject({ status: 'processing', fraudStatus: 'challenge' });
    await ctx.h.simulatorControl(request.paymentId, 'deny');
    await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(request.paymentId));
    const decided = await eventually(handle, (v) => v.status !== 'processing' || (v.ignoredNotifications?.stale ?? 0) > 0);
    expect(decided.status).toBe('failed');
    const final = await handle.result();
    expect(transitions(final)).toEqual(['pending>processing:charge', 'processing>failed:webhook']);
    expect(callsFor(request.paymentId).map((c) => `${c.target}:${c.event.status}`)).toEqual(['transaction-service:failed']);
  });

  it('cancel while processing (a challenged card): canceled at Midtrans and here', async () => {
    const { request, handle, charged } = await startPayment({ method: 'credit_card', bank: undefined, cardToken: '4511111111111117', expiryMinutes: 10 });
    expect(charged.status).toBe('processing');
    const view = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'fraud review too slow' }] });
    expect(view.status).toBe('canceled');
    const status = (await ctx.h.midtrans.getStatus(request.paymentId)) as { transaction_status: string };
    expect(status.transaction_status).toBe('cancel');
    const final = await handle.result();
    expect(transitions(final)).toEqual(['pending>processing:charge', 'processing>canceled:api']);
    expect(callsFor(request.paymentId).map((c) => `${c.target}:${c.event.status}`)).toEqual(['transaction-service:canceled']);
  });

  it('a settlement reversed into deny is recorded as needs_operator_review, and the payment stays paid', async () => {
    const { request, handle } = await startPayment({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    await payAndNotify(handle, request.paymentId);
    await ctx.h.simulatorControl(request.paymentId, 'deny');
    await handle.signal(midtransNotificationSignal, await ctx.h.notificationFor(request.paymentId));
    const view = await eventually(handle, (v) => v.history.some((e) => e.kind === 'needs_operator_review'), 5_000).finally(() =>
      handle.terminate('test done'),
    );
    expect(view.status).toBe('success');
    expect(transitions(view)).toEqual(['pending>success:webhook']);
    expect(view.history.find((e) => e.kind === 'needs_operator_review')?.detail).toMatchObject({ reason: 'settlement_reversed', transaction_status: 'deny' });
  });
});
