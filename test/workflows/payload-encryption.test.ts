import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PayloadEncryptionKey } from '../../src/temporal/payload-codec';
import { bundlePaymentWorkflows } from '../../src/temporal/worker';
import { withoutCheckout } from '../../src/domain';
import { chargeCompletedUpdate, midtransNotificationSignal, refundUpdate } from '../../workflows/messages';
import type { paymentWorkflow } from '../../workflows/payment';
import { TEST_PAYLOAD_KEY } from '../support/fixtures';
import { PayloadEncryptionCodec } from '../../src/temporal/payload-codec';
import { bytesOf, keyIdsOf, payloadsIn, tracingHeadersIn } from '../support/history-payloads';
import {
  createWorkflowHarness,
  paymentRequest,
  startPaymentWorkflow,
  useWorkflowHarness,
  viewWhen,
  type WorkflowHarness,
} from '../support/workflow-harness';

/**
 * The payment workflow under an encrypting codec: every payload in its history is sealed, and a key rotation (the
 * worker restarting with a new first key and the old one behind it) leaves running payments working.
 */

const ctx = useWorkflowHarness();

async function payAndNotify(h: WorkflowHarness, handle: Awaited<ReturnType<typeof startPaymentWorkflow>>['handle'], paymentId: string) {
  await h.simulatorControl(paymentId, 'pay');
  await handle.signal(midtransNotificationSignal, await h.notificationFor(paymentId));
  return viewWhen(handle, (v) => v.status === 'success');
}

describe('encrypted payloads', () => {
  // Named "encrypted …": under RECORD_HISTORIES its history is the replay tests' encrypted one.
  it('encrypted: a VA payment paid and notified keeps every payload of its history sealed with the key', async () => {
    const { request, handle } = await startPaymentWorkflow(ctx.h);
    ctx.lastPayment = handle;
    await payAndNotify(ctx.h, handle, request.paymentId);

    const history = await handle.fetchHistory();
    const payloads = payloadsIn(history);
    // Workflow input, activity inputs and results, the update's outcome and the signal, at least.
    expect(payloads.length).toBeGreaterThanOrEqual(6);
    expect(new Set(keyIdsOf(payloads))).toEqual(new Set([TEST_PAYLOAD_KEY.id]));
    // The one plain payload: the trace context of each activity the server schedules (the workflow's tracing
    // interceptors), and nothing else. Steps run in the worker (local activities) carry none into the history.
    const traceContexts = tracingHeadersIn(history);
    const scheduledActivities = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
    expect(traceContexts).toHaveLength(scheduledActivities);
    for (const header of traceContexts) expect(header).toEqual({ traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/) });
    const raw = bytesOf(payloads);
    const { customer } = request;
    for (const secret of [customer.email, customer.phone, customer.firstName, customer.lastName, request.orderId]) {
      expect(raw.includes(secret!), secret).toBe(false);
    }
  });
});

describe('less data in the first place', () => {
  const card = { method: 'credit_card' as const, bank: undefined, cardToken: '4411111111111118', expiryMinutes: 10, description: 'Booking for Budi' };
  const chargeSentFor = (paymentId: string) =>
    ctx.h.midtransCalls.find((call) => call.path === '/v2/charge' && JSON.stringify(call.body).includes(paymentId))?.body;

  it('a card payment started as the API starts it: its history, opened with the key, holds no customer detail, item name or card token', async () => {
    const { request, handle, charged } = await startPaymentWorkflow(ctx.h, card);
    ctx.lastPayment = handle; // under RECORD_HISTORIES: the replay tests' history of a workflow started with terms only
    expect(charged.status).toBe('success');
    // The card token is gone once Midtrans has answered the charge.
    expect(ctx.h.checkouts.has(request.paymentId)).toBe(false);
    await payAndNotify(ctx.h, handle, request.paymentId); // a captured card settles before it can be refunded
    const refunded = await handle.executeUpdate(refundUpdate, { args: [{ amount: 50_000, reason: 'one seat' }] });
    expect(refunded.status).toBe('partially_refunded');

    const opened = bytesOf(await new PayloadEncryptionCodec([TEST_PAYLOAD_KEY]).decode(payloadsIn(await handle.fetchHistory())));
    // The payment's own facts are there, so the search below reads the right bytes.
    expect(opened.includes(request.paymentId)).toBe(true);
    const { customer, items } = request;
    for (const secret of [customer.email, customer.phone, customer.firstName, customer.lastName, items[0]!.name, request.description, request.cardToken]) {
      expect(opened.includes(secret!), `${secret} in the decoded history`).toBe(false);
    }
    // The charge still had them: Midtrans got the customer, the items and the token.
    expect(chargeSentFor(request.paymentId)).toMatchObject({
      customer_details: { first_name: customer.firstName, email: customer.email, phone: customer.phone },
      item_details: [{ name: items[0]!.name }],
      credit_card: { token_id: request.cardToken },
    });
    // No read-model write carries them either: PostgreSQL has them from the API.
    const writes = ctx.h.snapshots.filter((w) => w.snapshot.view.paymentId === request.paymentId);
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.some((w) => w.snapshot.created)).toBe(false);
  });

  it('a payment whose checkout is not stored (lost in a restore of PostgreSQL) fails without charging', async () => {
    const request = paymentRequest({ method: 'gopay', bank: undefined, expiryMinutes: 15 });
    const handle = await ctx.h.env.client.workflow.start<typeof paymentWorkflow>('paymentWorkflow', {
      workflowId: `payment-${request.paymentId}`,
      taskQueue: ctx.h.taskQueue,
      args: [{ request: withoutCheckout(request), refundWindowDays: 30 }],
    });
    const charged = await handle.executeUpdate(chargeCompletedUpdate);
    expect(charged.status).toBe('failed');
    expect(charged.failureReason).toContain('CHECKOUT_MISSING');
    expect(ctx.h.chargeRequestsFor(request.paymentId)).toBe(0);
    expect((await handle.result()).status).toBe('failed');
  });

  it('a workflow started with the whole request in its input, as older code did, is charged with it and completes', async () => {
    const { request, handle, charged } = await startPaymentWorkflow(ctx.h, card, { olderInput: true });
    // Nothing was stored for it: its input is all it has.
    expect(ctx.h.checkouts.has(request.paymentId)).toBe(false);
    expect(charged).toMatchObject({ status: 'success', midtransStatus: 'capture' });
    expect(chargeSentFor(request.paymentId)).toMatchObject({
      transaction_details: { order_id: request.paymentId, gross_amount: request.amount },
      customer_details: { first_name: request.customer.firstName, email: request.customer.email },
      item_details: [{ name: request.items[0]!.name }],
      credit_card: { token_id: request.cardToken },
    });
    // Its first read-model write carries the details, as it did: PostgreSQL has no checkout for it.
    const [first] = ctx.h.snapshots.filter((w) => w.snapshot.view.paymentId === request.paymentId);
    expect(first?.snapshot.created).toEqual({ customerDetails: request.customer, itemDetails: request.items, description: request.description });

    await payAndNotify(ctx.h, handle, request.paymentId);
    const refunded = await handle.executeUpdate(refundUpdate, { args: [{}] });
    expect(refunded).toMatchObject({ status: 'refunded', refundedAmount: request.amount });
    expect((await handle.result()).status).toBe('refunded');
  });
});

describe('key rotation', () => {
  const keyA: PayloadEncryptionKey = { id: 'rotation-a', key: randomBytes(32) };
  const keyB: PayloadEncryptionKey = { id: 'rotation-b', key: randomBytes(32) };
  let h: WorkflowHarness;
  beforeAll(async () => {
    // Without a sticky cache every workflow task replays the history, so each one proves the payloads sealed under A still open.
    h = await createWorkflowHarness(await bundlePaymentWorkflows({ traced: false }), { payloadEncryptionKeys: [keyA], maxCachedWorkflows: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a payment started under key A is paid, refunded and completes after the worker restarts with keys "B,A"', async () => {
    const { request, handle, charged } = await startPaymentWorkflow(h, { method: 'gopay', bank: undefined, expiryMinutes: 15 });
    expect(charged.status).toBe('pending');

    await h.rotatePayloadKeys([keyB, keyA]);
    // The new worker has no cached workflow: it replays the history sealed under A, then handles messages sealed with B.
    await payAndNotify(h, handle, request.paymentId);
    const refunded = await handle.executeUpdate(refundUpdate, { args: [{}] });
    expect(refunded).toMatchObject({ status: 'refunded' });
    const final = await handle.result();
    expect(final.status).toBe('refunded');

    const keyIds = keyIdsOf(payloadsIn(await handle.fetchHistory()));
    expect(keyIds).not.toContain('none');
    expect(keyIds[0]).toBe('rotation-a'); // the workflow's input
    expect(keyIds.at(-1)).toBe('rotation-b'); // its result
  });
});
