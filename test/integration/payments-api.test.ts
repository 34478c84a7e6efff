import { randomUUID } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../src/api/app';
import { createPaymentWorkflows, paymentWorkflowId } from '../../src/api/payment-workflows';
import { createDatabase } from '../../src/db/client';
import { findPaymentStatus } from '../../src/db/payments';
import { midtransSignature } from '../../src/midtrans/signature';
import { bundlePaymentWorkflows, createPaymentWorker } from '../../src/temporal/worker';
import { API_KEY, apiConfig, createPaymentBody, SERVER_KEY } from '../support/fixtures';
import { startService, type Service } from '../support/service-harness';

let s: Service;
beforeAll(async () => {
  s = await startService();
});
afterAll(async () => {
  await s?.close();
});

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const statusOf = (paymentId: string) => s.api('GET', `/payments/${paymentId}/status`).then((r) => r.body.status as string);
const downstreamFor = (paymentId: string) => s.receiver.calls.filter((c) => (c.body as { payment_id?: string }).payment_id === paymentId);
const simulatorAction = (paymentId: string, action: string) =>
  fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}/${action}`, { method: 'POST' });

describe('payments over HTTP: API + worker + Temporal dev server + PostgreSQL + Midtrans simulator', () => {
  it('create → pay at Midtrans → signed webhook → success → both downstream calls, with the audit trail', async () => {
    const created = await s.api('POST', '/payments/', createPaymentBody());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending', currency: 'IDR', payment_method: 'bank_transfer' });
    expect(created.body.payment_instructions).toMatchObject({ kind: 'virtual_account', bank: 'bca' });
    expect(created.body.payment_instructions.va_number).toMatch(/^\d+$/);
    const id = created.body.payment_id as string;

    expect((await simulatorAction(id, 'pay')).ok).toBe(true);
    await s.eventually(
      () => statusOf(id),
      (status) => status === 'success',
    );
    const calls = await s.eventually(
      async () => downstreamFor(id),
      (found) => found.length >= 2,
    );
    expect(calls.map((c) => c.path).sort()).toEqual(['/transactions/payments/notify', '/users/user-42/payments']);
    expect(calls.every((c) => c.idempotencyKey?.startsWith(`${id}:success:`))).toBe(true);
    expect(calls.find((c) => c.path === '/transactions/payments/notify')?.body).toEqual({
      order_id: created.body.order_id,
      payment_id: id,
      status: 'success',
      amount: 250_000,
    });

    const detail = await s.api('GET', `/payments/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.status).toBe('success');
    expect(detail.body.paid_at).not.toBeNull();
    const trail = detail.body.audit_trail.filter((e: { kind: string }) => e.kind === 'transition');
    expect(trail).toMatchObject([{ from_status: 'pending', to_status: 'success', source: 'webhook' }]);
    expect(detail.body.notifications.map((n: { outcome: string }) => n.outcome)).toContain('accepted');
  });

  it("a new payment's row holds the customer and item details of its checkout, and the checkout is gone once the charge is answered", async () => {
    const body = createPaymentBody();
    const created = await s.api('POST', '/payments', body);
    expect(created.status).toBe(201);
    const id = created.body.payment_id as string;
    // POST /payments answers once the charge's answer is written: the row is there.
    const row = await s.db.payment.findUnique({ where: { id } });
    expect(row).toMatchObject({
      customerDetails: { firstName: 'Siti', lastName: 'Rahma', email: 'siti@example.com', phone: '+6281234567890' },
      itemDetails: [{ id: 'CGK-KNO', price: body.amount, quantity: 1, name: 'Flight Jakarta-Medan' }],
      description: 'Flight booking payment',
    });
    expect(await s.db.$queryRaw`select payment_id from payment_checkouts where payment_id = ${id}`).toEqual([]);
  });

  it('starts each payment with the early reconciliation looks RECONCILE_EARLY_LOOKS_MINUTES gives', async () => {
    const { workflows } = s.dependencies;
    const looks: Array<number[] | undefined> = [];
    const app = createApp({
      ...s.dependencies,
      config: apiConfig({ RECONCILE_EARLY_LOOKS_MINUTES: [15, 60] }),
      workflows: {
        ...workflows,
        start: (input, waitMs) => {
          looks.push(input.reconcileAfterMinutes);
          return workflows.start(input, waitMs);
        },
      },
    });
    const created = await app.request('/payments', {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(createPaymentBody()),
    });
    expect(created.status).toBe(201);
    expect(looks).toEqual([[15, 60]]);
  });

  it('cancel a pending payment; a second cancel is a 409 INVALID_STATE', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: 'qris', bank: undefined }));
    expect(created.status).toBe(201);
    const id = created.body.payment_id;
    const canceled = await s.api('POST', `/payments/${id}/cancel`, { reason: 'customer changed plans' });
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
    const again = await s.api('POST', `/payments/${id}/cancel`, { reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INVALID_STATE');
  });

  it('refund: partial then over the remaining (422) then the rest; VA refunds are NOT_REFUNDABLE', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: 'gopay', bank: undefined, amount: 400_000 }));
    const id = created.body.payment_id;
    await simulatorAction(id, 'pay');
    await s.eventually(
      () => statusOf(id),
      (status) => status === 'success',
    );

    const partial = await s.api('POST', `/payments/${id}/refund`, { amount: 150_000, reason: 'one seat' });
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({ status: 'partially_refunded', refunded_amount: 150_000 });
    const tooMuch = await s.api('POST', `/payments/${id}/refund`, { amount: 250_001 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.error.code).toBe('REFUND_EXCEEDS_REMAINING');
    const rest = await s.api('POST', `/payments/${id}/refund`, { reason: 'trip cancelled' });
    expect(rest.body).toMatchObject({ status: 'refunded', refunded_amount: 400_000 });

    // Read-your-writes: an update answers only after the read model has its result, so no polling here.
    expect((await s.api('GET', `/payments/${id}/status`)).body).toMatchObject({ status: 'refunded', source: 'database' });
    const detail = await s.api('GET', `/payments/${id}`);
    expect(detail.body).toMatchObject({ status: 'refunded', refunded_amount: 400_000 });
    expect(detail.body.refunds).toEqual([
      { refund_key: expect.any(String), amount: 150_000, reason: 'one seat', status: 'succeeded', created_at: expect.stringMatching(ISO_INSTANT) },
      { refund_key: expect.any(String), amount: 250_000, reason: 'trip cancelled', status: 'succeeded', created_at: expect.stringMatching(ISO_INSTANT) },
    ]);
    const refundEvents = detail.body.audit_trail.filter((e: { kind: string }) => e.kind === 'refund');
    expect(refundEvents).toMatchObject([
      { from_status: 'success', to_status: 'partially_refunded', source: 'api', detail: { amount: 150_000 } },
      { from_status: 'partially_refunded', to_status: 'refunded', source: 'api', detail: { amount: 250_000 } },
    ]);
    expect(detail.body.audit_trail.every((e: { at: string }) => ISO_INSTANT.test(e.at))).toBe(true);
    // Midtrans's own record of this order: both refunds, with the keys and amounts the read model shows, and no other.
    const atMidtrans = (await (await fetch(`${s.simulator.url}/_simulator/transactions/${id}`)).json()) as {
      transaction: { order_id: string; transaction_status: string; refund_amount: string; refunds: { refund_key: string; refund_amount: string }[] };
    };
    expect(atMidtrans.transaction).toMatchObject({ order_id: id, transaction_status: 'refund', refund_amount: '400000.00' });
    expect(atMidtrans.transaction.refunds.map((r) => [r.refund_key, r.refund_amount])).toEqual(
      detail.body.refunds.map((r: { refund_key: string; amount: number }) => [r.refund_key, `${r.amount}.00`]),
    );

    const va = await s.api('POST', '/payments', createPaymentBody());
    await simulatorAction(va.body.payment_id, 'pay');
    await s.eventually(
      () => statusOf(va.body.payment_id),
      (status) => status === 'success',
    );
    const vaRefund = await s.api('POST', `/payments/${va.body.payment_id}/refund`, {});
    expect(vaRefund.status).toBe(422);
    expect(vaRefund.body.error.code).toBe('NOT_REFUNDABLE');
  });

  it('lists the payments of an order, newest first', async () => {
    const body = createPaymentBody();
    const first = await s.api('POST', '/payments', body);
    const second = await s.api('POST', '/payments', { ...body, payment_method: 'indomaret', bank: undefined });
    const listed = await s.api('GET', `/payments/order/${body.order_id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.payments.map((p: { payment_id: string }) => p.payment_id)).toEqual([second.body.payment_id, first.body.payment_id]);
  });

  it('Idempotency-Key: same body → same payment and one charge; different body → 409', async () => {
    const body = createPaymentBody();
    const key = `idem-${Date.now()}`;
    const [a, b] = await Promise.all([
      s.api('POST', '/payments', body, { 'idempotency-key': key }),
      s.api('POST', '/payments', body, { 'idempotency-key': key }),
    ]);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.payment_id).toBe(a.body.payment_id);
    const sim = (await (await fetch(`${s.simulator.url}/_simulator/transactions/${a.body.payment_id}`)).json()) as {
      chargeAttempts: unknown;
    };
    expect(sim.chargeAttempts).toEqual({ received: 1, applied: 1 });
    const conflict = await s.api(
      'POST',
      '/payments',
      { ...body, amount: body.amount + 1, item_details: [{ ...body.item_details[0]!, price: body.amount + 1 }] },
      { 'idempotency-key': key },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('webhooks: a forged signature is a 401 and changes nothing; a duplicate is a 200 no-op; unknown order is 404', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody());
    const id = created.body.payment_id;
    const forged = {
      order_id: id,
      status_code: '200',
      gross_amount: '250000.00',
      transaction_status: 'settlement',
      fraud_status: 'accept',
      signature_key: 'f'.repeat(128),
    };
    const refused = await s.api('POST', '/payments/webhook', forged, { authorization: '' });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('INVALID_SIGNATURE');
    expect(await statusOf(id)).toBe('pending');

    await simulatorAction(id, 'pay');
    await s.eventually(
      () => statusOf(id),
      (status) => status === 'success',
    );
    const genuine = { ...forged, signature_key: midtransSignature(id, '200', '250000.00', SERVER_KEY), transaction_id: 'x' };
    const first = await s.api('POST', '/payments/webhook', genuine, { authorization: '' });
    const duplicate = await s.api('POST', '/payments/webhook', genuine, { authorization: '' });
    expect(first.status).toBe(200);
    expect(duplicate.status).toBe(200);
    expect(duplicate.body.status).toBe('duplicate');
    const detail = await s.api('GET', `/payments/${id}`);
    expect(detail.body.audit_trail.filter((e: { kind: string }) => e.kind === 'transition')).toHaveLength(1);

    const unknown = {
      ...genuine,
      order_id: 'pay-does-not-exist',
      signature_key: midtransSignature('pay-does-not-exist', '200', '250000.00', SERVER_KEY),
    };
    const missing = await s.api('POST', '/payments/webhook', unknown, { authorization: '' });
    expect(missing.status).toBe(404);
  });
});

describe('reads before the workflow has written its first row', () => {
  it('GET …/status and GET /payments/{id} answer from the live workflow, never 404, until the read model has the row', async () => {
    // A worker whose PostgreSQL is unreachable (nothing listens on port 1): its first write keeps retrying, as in an
    // outage, so the workflow exists while the read model has no row for it. The charge does not wait for the read
    // model, so whether the live view has Midtrans's instructions yet depends on how fast the simulator answered.
    const taskQueue = `${s.taskQueue}-no-db`;
    const unreachableDb = createDatabase('postgresql://postgres@127.0.0.1:1/nowhere', 1);
    const worker = await createPaymentWorker({
      connection: await NativeConnection.connect({ address: inject('temporalAddress') }),
      namespace: 'default',
      taskQueue,
      payloadEncryptionKeys: s.payloadEncryptionKeys,
      workflowBundle: await bundlePaymentWorkflows({ traced: false }),
      dependencies: {
        db: unreachableDb,
        midtrans: s.midtrans,
        downstream: { transactionServiceUrl: s.receiver.url, userServiceUrl: s.receiver.url, timeoutMs: 5_000, signingSecret: s.receiver.signingSecret },
      },
    });
    const running = worker.run();
    const workflows = createPaymentWorkflows(s.client, taskQueue);
    const paymentId = `pay-${randomUUID().replaceAll('-', '')}`;
    try {
      const body = createPaymentBody();
      const outcome = await workflows.start(
        {
          request: { paymentId, orderId: body.order_id, amount: body.amount, method: 'bank_transfer', bank: 'bca', customer: { firstName: 'Budi', email: 'budi@example.com' }, items: body.item_details, expiryMinutes: 60 },
          refundWindowDays: 30,
        },
        300,
      );
      expect(outcome.kind).toBe('still-charging');
      const app = createApp({ ...s.dependencies, workflows });
      const status = await app.request(`/payments/${paymentId}/status`, { headers: { authorization: `Bearer ${API_KEY}` } });
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({ payment_id: paymentId, status: 'pending', source: 'workflow' });
      const detail = await app.request(`/payments/${paymentId}`, { headers: { authorization: `Bearer ${API_KEY}` } });
      expect(detail.status).toBe(200);
      expect(await detail.json()).toMatchObject({ payment_id: paymentId, order_id: body.order_id, status: 'pending' });
      expect(await findPaymentStatus(s.db, paymentId)).toBeNull();
    } finally {
      await s.client.workflow.getHandle(paymentWorkflowId(paymentId)).terminate('test over').catch(() => {});
      worker.shutdown();
      await running;
      await unreachableDb.$disconnect();
    }
  });
});
