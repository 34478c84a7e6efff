import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { midtransNotificationBody } from '../../src/api/schemas';
import { parseWith } from '../../src/api/validation';
import { createPaymentWorkflows } from '../../src/api/payment-workflows';
import { isValidMidtransSignature } from '../../src/midtrans/signature';
import { toMidtransObservation } from '../../src/midtrans/observation';
import type { PaymentView } from '../../src/domain';
import { eventually } from '../../scripts/local-stack/waiting';
import { SERVER_KEY, startPaymentWorkflow, useWorkflowHarness, viewWhen } from '../support/workflow-harness';

/**
 * The webhook's confirmation step at the workflow layer: each notification here is a body written the way Midtrans
 * documents it (reference sheet §5: its fields, "145000.00"-style amounts, the SHA-512 signature), turned into the
 * signal by the webhook's own steps (src/api/routes/webhook.ts): parsed with its schema, its signature checked,
 * `toMidtransObservation`, then `PaymentWorkflows.notify`. What moves the payment must be Midtrans's status API.
 */
const ctx = useWorkflowHarness();

/** What the simulator (Midtrans's side) holds about an order: the facts a genuine notification carries. */
interface MidtransTransaction {
  transaction_id: string;
  order_id: string;
  transaction_time: string;
  va_numbers?: Array<{ bank: string; va_number: string }>;
}

const midtransTransaction = async (orderId: string) =>
  ((await (await ctx.h.simulator.app.request(`/_simulator/transactions/${orderId}`)).json()) as { transaction: MidtransTransaction })
    .transaction;

/** Midtrans's documented signature, computed here from the document, not with our signing code. */
const documentedSignature = (orderId: string, statusCode: string, grossAmount: string) =>
  createHash('sha512').update(orderId + statusCode + grossAmount + SERVER_KEY).digest('hex');

type NotificationBody = Record<string, unknown> & { order_id: string; status_code: string; gross_amount: string; signature_key: string };

/** A bank-transfer (BCA VA) notification of 150,000 IDR with the fields §5 says are always present. */
function vaNotification(
  tx: MidtransTransaction,
  status: { transaction_status: string; status_code: string; status_message: string; settlement_time?: string },
): NotificationBody {
  const grossAmount = '150000.00';
  return {
    transaction_id: tx.transaction_id,
    order_id: tx.order_id,
    merchant_id: 'G141532850',
    gross_amount: grossAmount,
    currency: 'IDR',
    payment_type: 'bank_transfer',
    transaction_time: tx.transaction_time,
    fraud_status: 'accept',
    va_numbers: tx.va_numbers,
    ...status,
    signature_key: documentedSignature(tx.order_id, status.status_code, grossAmount),
  };
}

const settlementOf = (tx: MidtransTransaction) =>
  vaNotification(tx, {
    transaction_status: 'settlement',
    status_code: '200',
    status_message: 'midtrans payment notification',
    settlement_time: '2026-12-03 10:15:00',
  });

let storedNotifications = 0;

/** The webhook's steps from the request body to the signal; throws where the webhook would refuse or answer otherwise. */
/** What the webhook's forwarder is told: the signal was taken, or the payment's workflow has closed. */
async function deliverAsWebhook(body: NotificationBody): Promise<'signalled' | 'closed'> {
  const notification = parseWith(midtransNotificationBody, JSON.parse(JSON.stringify(body)));
  if (!isValidMidtransSignature(notification, SERVER_KEY)) throw new Error('the webhook would refuse this body: INVALID_SIGNATURE');
  storedNotifications += 1;
  return createPaymentWorkflows(ctx.h.env.client, ctx.h.taskQueue).notify(notification.order_id, toMidtransObservation(notification), storedNotifications);
}

async function startVaPayment() {
  const started = await startPaymentWorkflow(ctx.h);
  ctx.lastPayment = started.handle;
  return started;
}

const transitions = (view: PaymentView) => view.history.filter((e) => e.kind === 'transition').map((e) => `${e.from}>${e.to}:${e.source}`);
/** GET /v2/{id}/status about this transaction, by order_id or by Midtrans's transaction_id. */
const statusLookUps = (tx: MidtransTransaction) =>
  ctx.h.midtransCalls.filter((c) => c.method === 'GET' && [`/v2/${tx.order_id}/status`, `/v2/${tx.transaction_id}/status`].includes(c.path)).length;
const downstreamFor = (paymentId: string) => ctx.h.downstreamCalls.filter((c) => c.event.paymentId === paymentId);

describe('notifications through the webhook’s own steps are confirmed with Midtrans', () => {
  it('a genuine settlement, confirmed by the status look-up, makes the payment paid', async () => {
    const { request, handle } = await startVaPayment();
    await ctx.h.simulatorControl(request.paymentId, 'pay');
    const tx = await midtransTransaction(request.paymentId);
    const lookUpsBefore = statusLookUps(tx);

    await deliverAsWebhook(settlementOf(tx));
    const paid = await viewWhen(handle, (v) => v.status === 'success');
    expect(transitions(paid)).toEqual(['pending>success:webhook']);
    expect(paid).toMatchObject({ midtransStatus: 'settlement', transactionId: tx.transaction_id });
    expect(statusLookUps(tx) - lookUpsBefore).toBe(1);
    await eventually('both downstream services told of the success', async () => downstreamFor(request.paymentId), (calls) => calls.length === 2);
    expect(downstreamFor(request.paymentId).map((c) => [c.target, c.event.status])).toEqual(
      expect.arrayContaining([
        ['transaction-service', 'success'],
        ['user-service', 'success'],
      ]),
    );
    await handle.terminate('test done');
  });

  it('a signed notification whose unsigned fields claim a settlement Midtrans does not confirm: the status API wins', async () => {
    const { request, handle } = await startVaPayment();
    await ctx.h.simulatorControl(request.paymentId, 'expire');
    const tx = await midtransTransaction(request.paymentId);
    const expiry = vaNotification(tx, { transaction_status: 'expire', status_code: '202', status_message: 'midtrans payment notification' });
    // Midtrans signs only order_id + status_code + gross_amount: everything else can be edited on the way.
    const edited = { ...expiry, transaction_status: 'settlement', fraud_status: 'accept', payment_type: 'credit_card', transaction_id: 'edited-4f1c-settled' };
    expect(isValidMidtransSignature(edited, SERVER_KEY)).toBe(true);

    await deliverAsWebhook(edited);
    const view = await viewWhen(handle, (v) => v.status !== 'pending');
    expect(view.status).toBe('expired');
    expect(transitions(view)).toEqual(['pending>expired:webhook']);
    expect(view).toMatchObject({ midtransStatus: 'expire', transactionId: tx.transaction_id });
    expect(ctx.h.midtransCalls.some((c) => c.path.includes('edited-4f1c-settled'))).toBe(false);
    expect(downstreamFor(request.paymentId).map((c) => c.event.status)).not.toContain('success');
  });

  it('duplicates of a confirmed settlement are counted, not confirmed again, and change nothing', async () => {
    const { request, handle } = await startVaPayment();
    await ctx.h.simulatorControl(request.paymentId, 'pay');
    const tx = await midtransTransaction(request.paymentId);
    const settlement = settlementOf(tx);
    await deliverAsWebhook(settlement);
    await viewWhen(handle, (v) => v.status === 'success');
    await eventually('the success delivered downstream', async () => downstreamFor(request.paymentId), (calls) => calls.length === 2);
    const lookUpsAfterFirst = statusLookUps(tx);

    for (let copy = 0; copy < 4; copy++) await deliverAsWebhook(settlement);
    const view = await viewWhen(handle, (v) => (v.ignoredNotifications?.duplicate ?? 0) >= 4);
    expect(view.ignoredNotifications).toEqual({ duplicate: 4 });
    expect(transitions(view)).toEqual(['pending>success:webhook']);
    expect(statusLookUps(tx)).toBe(lookUpsAfterFirst);
    expect(downstreamFor(request.paymentId)).toHaveLength(2);
    await handle.terminate('test done');
  });

  it('a notification for a closed payment (its refund window over) reaches no workflow: it is recorded payment_closed', async () => {
    const { request, handle } = await startVaPayment();
    await ctx.h.simulatorControl(request.paymentId, 'pay');
    const tx = await midtransTransaction(request.paymentId);
    await deliverAsWebhook(settlementOf(tx));
    await viewWhen(handle, (v) => v.status === 'success');

    await ctx.h.env.sleep('30 days');
    await ctx.h.env.sleep('2 minutes');
    await eventually('the workflow closed after its refund window', () => handle.describe(), (d) => d.status.name === 'COMPLETED');
    const lookUps = statusLookUps(tx);
    const recorded = ctx.h.snapshots.length;

    // 'closed' is what the forwarder records as payment_closed (src/api/notification-forwarder.ts).
    await expect(deliverAsWebhook(settlementOf(tx))).resolves.toBe('closed');
    const reversal = vaNotification(tx, { transaction_status: 'deny', status_code: '202', status_message: 'midtrans payment notification' });
    await expect(deliverAsWebhook(reversal)).resolves.toBe('closed');
    expect(statusLookUps(tx)).toBe(lookUps);
    expect(ctx.h.snapshots).toHaveLength(recorded);
  });
});
