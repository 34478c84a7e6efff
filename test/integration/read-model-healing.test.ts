import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDownstreamActivities } from '../../activities/downstream';
import { rebuildReadModel } from '../../src/operations/read-model-rebuild';
import { paymentQuery } from '../../workflows/messages';
import { createPaymentBody, sleep } from '../support/fixtures';
import { DOWNSTREAM_SIGNING_SECRET, startService, type Service } from '../support/service-harness';

/**
 * The read model heals itself: after PostgreSQL loses rows (restored from an older backup, a table truncated by
 * mistake), the payment workflow's next write recreates the payment's row, and no activity is left retrying. The
 * customer and item details are not in Temporal (only PostgreSQL ever had them), so a row lost after its charge comes
 * back without them (docs/security.md, "Where personal data lives").
 */
let service: Service;
beforeAll(async () => {
  service = await startService();
});
afterAll(() => service?.close());

/** What a restore from an older backup does to one payment: its rows are gone, in one statement. */
async function forgetPayment(paymentId: string) {
  // The workflow may be writing an audit event meanwhile (its foreign key then blocks the delete): try again.
  for (let attempt = 1; ; attempt++) {
    try {
      await service.db.$executeRaw`
        with events as (delete from payment_events where payment_id = ${paymentId}),
          refunds as (delete from refunds where payment_id = ${paymentId}),
          deliveries as (delete from downstream_deliveries where payment_id = ${paymentId}),
          notifications as (update webhook_notifications set payment_id = null where payment_id = ${paymentId})
        delete from payments where id = ${paymentId}`;
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(200);
    }
  }
}

/**
 * A pending payment has written its charge, and its workflow has counted the first (pending) notification, whose
 * audit line waits for the next write: nothing moves until it is paid. Answers what the API shows then.
 */
async function waitUntilQuiet(paymentId: string) {
  const workflow = service.client.workflow.getHandle(`payment-${paymentId}`);
  await service.eventually(() => workflow.query(paymentQuery), (view) => view.ignoredNotifications?.duplicate === 1);
  return service.api('GET', `/payments/${paymentId}`);
}

describe('a read model that lost a payment', () => {
  it("is recreated by the workflow's next transition, without the customer details, and no activity keeps retrying", async () => {
    const { api, simulator, client } = service;
    const body = createPaymentBody({ payment_method: 'gopay', bank: undefined });
    const created = await api('POST', '/payments', body);
    expect(created.status).toBe(201);
    const paymentId: string = created.body.payment_id;
    await waitUntilQuiet(paymentId);
    await forgetPayment(paymentId);
    expect((await api('GET', `/payments/${paymentId}/status`)).body.source).toBe('workflow');

    expect((await fetch(`${simulator.url}/_simulator/transactions/${paymentId}/pay`, { method: 'POST' })).status).toBe(200);
    const healed = await service.eventually(
      () => api('GET', `/payments/${paymentId}`),
      (answer) => answer.status === 200 && answer.body.status === 'success',
      20_000,
    );
    expect(healed.body).toMatchObject({ payment_id: paymentId, order_id: body.order_id, amount: body.amount, payment_method: 'gopay', user_id: body.user_id });
    // The details were in PostgreSQL only, and the charge has deleted the checkout: nothing brings them back.
    const row = await service.db.payment.findUnique({ where: { id: paymentId } });
    expect(row).toMatchObject({ status: 'success', description: null, customerDetails: null, itemDetails: null });
    const described = await client.workflow.getHandle(`payment-${paymentId}`).describe();
    const retrying = (described.raw.pendingActivities ?? []).filter((a) => (a.attempt ?? 1) > 1);
    expect(retrying).toEqual([]);
  });
});

describe('a read model that lost a closed payment', () => {
  it("answers a notification for it as for an order it does not know (stored, 404), not with a 500: its workflow has closed", async () => {
    const { api, simulator } = service;
    const created = await api('POST', '/payments', createPaymentBody({ payment_method: 'gopay', bank: undefined }));
    const paymentId: string = created.body.payment_id;
    expect((await api('POST', `/payments/${paymentId}/cancel`, { reason: 'changed plans' })).body.status).toBe('canceled');
    await service.client.workflow.getHandle(`payment-${paymentId}`).result();
    await forgetPayment(paymentId);

    const record = (await (await fetch(`${simulator.url}/_simulator/transactions/${paymentId}`)).json()) as { notifications: { body: unknown }[] };
    const genuine = record.notifications.at(-1)!.body;
    const answer = await fetch(`${service.apiUrl}/payments/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(genuine) });
    expect(answer.status).toBe(404);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('PAYMENT_NOT_FOUND');
    // Kept: counted on the row the restore left of the same notification (its payment id gone), or a row of its own.
    const kept = await service.db.webhookNotification.findMany({ where: { orderId: paymentId, paymentId: null } });
    expect(kept.some((row) => row.outcome === 'unknown_payment' || row.duplicateCount > 0)).toBe(true);
  });
});

describe('a downstream delivery for a payment whose row the read model lost', () => {
  it('is delivered once and recorded: its bookkeeping never fails the activity, so it is not retried until a rebuild', async () => {
    const paymentId = randomUUID();
    const downstream = createDownstreamActivities(service.db, {
      transactionServiceUrl: service.receiver.url,
      userServiceUrl: service.receiver.url,
      timeoutMs: 2_000,
      signingSecret: DOWNSTREAM_SIGNING_SECRET,
    });
    const thrown = await new MockActivityEnvironment()
      .run(downstream.notifyTransactionService, { paymentId, orderId: 'ORDER-LOST-ROW', eventKey: 'success', status: 'success', amount: 250_000 })
      .then(() => undefined)
      .catch((error: unknown) => error);
    expect(thrown).toBeUndefined();
    // Only this payment's calls: the previous test's payment may still be delivering its own.
    expect(service.receiver.calls.filter((call) => call.idempotencyKey?.startsWith(`${paymentId}:`))).toHaveLength(1);
    const rows = await service.db.$queryRaw<{ status: string }[]>`
      select status from downstream_deliveries where idempotency_key = ${`${paymentId}:success:transaction-service`}`;
    expect(rows).toEqual([{ status: 'delivered' }]);
  });
});

describe('npm run read-model:rebuild', () => {
  it('re-projects open payments whose rows and audit trail were lost, without waiting for their next transition', async () => {
    const { api, client, db } = service;
    const created = await api('POST', '/payments', createPaymentBody());
    expect(created.status).toBe(201);
    const paymentId: string = created.body.payment_id;
    const before = await waitUntilQuiet(paymentId);
    await forgetPayment(paymentId);

    const onlyOurs = { where: `TaskQueue = '${service.taskQueue}'` };
    const report = await rebuildReadModel(client, db, onlyOurs);
    expect(report.failed).toEqual([]);
    expect(report.payments).toBeGreaterThanOrEqual(1);
    const after = await api('GET', `/payments/${paymentId}`);
    expect(after.status).toBe(200);
    // Everything the workflow knows comes back, with the pending notification's line that was waiting for a write;
    // the notifications were only ever in PostgreSQL.
    const comparable = ({ updated_at: _at, notifications: _n, ...rest }: Record<string, unknown>) => rest;
    const known = { ...comparable(before.body), audit_trail: [...before.body.audit_trail, expect.objectContaining({ kind: 'notification_ignored' })] };
    expect(before.body.audit_trail.map((line: { kind: string }) => line.kind)).toEqual(['charged']);
    expect(comparable(after.body)).toEqual(known);
    const row = await db.payment.findUnique({ where: { id: paymentId } });
    expect(row).toMatchObject({ status: 'pending', customerDetails: null, itemDetails: null });

    // Twice is the same as once.
    await rebuildReadModel(client, db, onlyOurs);
    expect(comparable((await api('GET', `/payments/${paymentId}`)).body)).toEqual(known);
  });
});

describe('an Idempotency-Key the database lost (restored from a backup taken before the create)', () => {
  it('a retried create still names the same payment and Midtrans charges once', async () => {
    const { api, simulator, db } = service;
    const body = createPaymentBody();
    const headers = { 'idempotency-key': `restore-${Date.now()}` };
    const first = await api('POST', '/payments', body, headers);
    expect(first.status).toBe(201);
    await db.$executeRaw`delete from idempotency_keys where payment_id = ${first.body.payment_id}`;

    const retry = await api('POST', '/payments', body, headers);
    expect([200, 201]).toContain(retry.status);
    expect(retry.body.payment_id).toBe(first.body.payment_id);
    const charged = (await fetch(`${simulator.url}/_simulator/transactions/${first.body.payment_id}`).then((r) => r.json())) as { chargeAttempts: { applied: number } };
    expect(charged.chargeAttempts.applied).toBe(1);

    // The same key on another request is never passed off as the old payment.
    await db.$executeRaw`delete from idempotency_keys where payment_id = ${first.body.payment_id}`;
    const other = await api('POST', '/payments', createPaymentBody(), headers);
    expect(other.status).toBe(201);
    expect(other.body.payment_id).not.toBe(first.body.payment_id);
  });
});
