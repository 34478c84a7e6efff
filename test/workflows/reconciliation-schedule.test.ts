import { describe, expect, it } from 'vitest';
import type { PaymentRequest, PaymentView } from '../../src/domain';
import { paymentQuery, reconcileRequestSignal } from '../../workflows/messages';
import { startPaymentWorkflow, useWorkflowHarness, viewWhen } from '../support/workflow-harness';

// Real durations on the time-skipping server: a 24-hour VA and its look-ups as production makes them.
const ctx = useWorkflowHarness();

async function startPayment(overrides: Partial<PaymentRequest> = {}) {
  const started = await startPaymentWorkflow(ctx.h, overrides);
  ctx.lastPayment = started.handle;
  return started;
}

/** Each test has its own harness, so every status look-up it saw is about its one payment (by Midtrans's transaction id). */
const statusLookUps = () => ctx.h.midtransCalls.filter((c) => c.method === 'GET' && c.path.endsWith('/status')).length;
const transitions = (view: PaymentView) => view.history.filter((e) => e.kind === 'transition').map((e) => `${e.from}>${e.to}:${e.source}`);

describe('reconciliation of an open payment', () => {
  it('an unpaid 24-hour VA asks Midtrans for its status 8 times, then once more as it expires', async () => {
    const { handle } = await startPayment();
    const final = await handle.result();
    expect(final.status).toBe('expired');
    expect(transitions(final)).toEqual(['pending>expired:timer']);
    expect(Date.parse(final.updatedAt) - Date.parse(final.createdAt)).toBeGreaterThanOrEqual(24 * 3600_000);
    // Looks at 1, 5, 15 and 60 minutes, then 6 hours apart ending 5 minutes before expiry: 5 h 55, 11 h 55, 17 h 55,
    // 23 h 55 (8); the expiry step reads the status once more after expiring the order (9).
    expect(statusLookUps()).toBe(9);
    expect(ctx.h.midtransCalls.filter((c) => c.method === 'POST' && c.path.endsWith('/expire'))).toHaveLength(1);
  });

  it('a payment whose notifications were all lost is found by the next look-up, 6 hours apart after the first hour', async () => {
    const { request, handle } = await startPayment();
    await ctx.h.env.sleep('3 hours');
    await ctx.h.simulatorControl(request.paymentId, 'pay'); // Midtrans settles; no notification ever reaches us
    // The looks after the first hour come at 5 h 55 and every 6 hours after: nothing is asked in between.
    await ctx.h.env.sleep(170 * 60_000);
    expect((await handle.query(paymentQuery)).status).toBe('pending');
    const lookUpsBefore = statusLookUps();
    await ctx.h.env.sleep('10 minutes');
    const paid = await viewWhen(handle, (v) => v.status === 'success');
    expect(transitions(paid)).toEqual(['pending>success:reconciliation']);
    expect(statusLookUps() - lookUpsBefore).toBe(1);
    await handle.terminate('test done');
  });
});

describe('reconciliation asked for by a person or the daily job', () => {
  it('a look asked for now is made at once, recorded with who asked, and applies what Midtrans confirms', async () => {
    const { request, handle } = await startPayment();
    await ctx.h.env.sleep('2 hours');
    await ctx.h.simulatorControl(request.paymentId, 'pay'); // Midtrans settles; no notification reaches us
    const lookUpsBefore = statusLookUps();
    await handle.signal(reconcileRequestSignal, { requestedBy: 'operator:ayu', reason: 'customer says paid' });
    await handle.signal(reconcileRequestSignal, { requestedBy: 'daily-reconciliation' });
    const paid = await viewWhen(handle, (v) => v.status === 'success');
    expect(transitions(paid)).toEqual(['pending>success:reconciliation']);
    const asked = paid.history.find((e) => e.kind === 'reconciliation_requested');
    expect(asked?.detail).toMatchObject({ requestedBy: expect.arrayContaining(['operator:ayu']) as unknown });
    // Well before the next scheduled look (5 h 55): only the asked-for look reached Midtrans, once for both asks
    // that arrived together, or once each.
    expect(statusLookUps() - lookUpsBefore).toBeGreaterThanOrEqual(1);
    expect(statusLookUps() - lookUpsBefore).toBeLessThanOrEqual(2);
    await handle.terminate('test done');
  });

  it('a look asked for while the payment is unchanged at Midtrans changes nothing', async () => {
    const { handle } = await startPayment();
    const lookUpsBefore = statusLookUps();
    await handle.signal(reconcileRequestSignal, { requestedBy: 'operator:ayu' });
    const view = await viewWhen(handle, (v) => v.history.some((e) => e.kind === 'reconciliation_requested'));
    await ctx.h.env.sleep('10 seconds');
    const after = await handle.query(paymentQuery);
    expect(after.status).toBe('pending');
    expect(transitions(after)).toEqual([]);
    expect(view.status).toBe('pending');
    expect(statusLookUps()).toBeGreaterThan(lookUpsBefore);
    await handle.terminate('test done');
  });
});
