import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app';
import { ApiError } from '../../src/api/errors';
import { PAYMENT_METHODS, PAYMENT_STATUSES } from '../../src/domain';
import type { Payment, Prisma } from '../../src/generated/prisma/client';
import { API_KEY, createPaymentBody } from '../support/fixtures';
import { callApi, serveOverHttp, startService, type Service } from '../support/service-harness';

/**
 * The operators' API over HTTP with the whole service behind it (PostgreSQL, Temporal, worker, Midtrans simulator,
 * downstream receiver): search, the review queue, and its audited actions.
 */
const ANA = { name: 'ana', token: 'integration-test-operator-token' };
const BUDI = { name: 'budi', token: 'integration-test-operator-token-2' };

let s: Service;
let operatorsApi: Awaited<ReturnType<typeof serveOverHttp>>;
beforeAll(async () => {
  s = await startService();
  const config = { ...s.dependencies.config, NODE_ENV: 'test' as const, OPERATOR_TOKENS: [ANA, BUDI], UPDATE_WAIT_MS: 20_000 };
  operatorsApi = await serveOverHttp(createApp({ ...s.dependencies, config }));
});
afterAll(async () => {
  await operatorsApi?.close();
  await s?.close();
});
afterEach(async () => {
  s.receiver.respondWith(() => 200);
  await fetch(`${s.simulator.url}/_simulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
});

const as =
  (operator: { token: string }) =>
  (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    callApi(operatorsApi.url, method, path, body, { authorization: `Bearer ${operator.token}`, ...headers });
const ana = as(ANA);
const budi = as(BUDI);
const withApiKey = (method: string, path: string, body?: unknown) => callApi(operatorsApi.url, method, path, body);

/** `payments_review_queue_items{kind}` as the API's GET /metrics serves it (the review-queue alert reads it). */
async function queueGauge(kind: string): Promise<number> {
  const metrics = await withApiKey('GET', '/metrics');
  const line = String(metrics.body).split('\n').find((l) => l.startsWith(`payments_review_queue_items{kind="${kind}"}`));
  return Number(line?.split(' ').at(-1));
}

const newPaymentId = () => `pay-${randomUUID().replaceAll('-', '')}`;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A payment row as the workflow would have written it: the search and the queue read the read model only. */
function paymentRow(fields: Partial<Prisma.PaymentCreateManyInput> & { createdAt: Date }) {
  return {
    id: newPaymentId(),
    orderId: `ORDER-OPS-${randomUUID().slice(0, 8)}`,
    userId: null,
    paymentMethod: 'qris',
    amount: 100_000n,
    status: 'pending',
    updatedAt: fields.createdAt,
    ...fields,
  };
}

describe('who is an operator', () => {
  it('an API key opens no operator route (401), an operator token opens them, and an operator token is not an API key', async () => {
    for (const [method, path] of [
      ['GET', '/payments'],
      ['GET', '/operations/reviews'],
      ['POST', '/operations/deliveries/nope/redeliver'],
      ['POST', `/operations/payments/${newPaymentId()}/reconcile`],
      ['POST', '/operations/reviews/pending:nope/resolve'],
    ] as const) {
      const body = method === 'POST' ? { note: 'x' } : undefined;
      const refused = await withApiKey(method, path, body);
      expect(refused.status, `${method} ${path}`).toBe(401);
      expect(refused.body.error.code).toBe('UNAUTHORIZED');
      expect(refused.body.error.message).toMatch(/operator/);
      expect((await callApi(operatorsApi.url, method, path, body, { authorization: 'Bearer wrong-token' })).status).toBe(401);
    }
    expect((await ana('GET', '/payments?limit=1')).status).toBe(200);
    expect((await budi('GET', '/operations/reviews?limit=1')).status).toBe(200);
    // The other way round: an operator's token does not create payments.
    expect((await ana('POST', '/payments', createPaymentBody())).status).toBe(401);
    expect((await withApiKey('GET', '/payments/order/ORDER-1')).status).toBe(200);
  });

  it('an app without OPERATOR_TOKENS outside local development has no operators at all', async () => {
    // s.app's config has no NODE_ENV and no tokens, as a config built by hand might.
    const refused = await s.api('GET', '/payments');
    expect(refused.status).toBe(401);
    const open = await serveOverHttp(createApp({ ...s.dependencies, config: { ...s.dependencies.config, NODE_ENV: 'development' } }));
    try {
      // Local development without tokens: everyone is the anonymous operator (as everyone is the caller without API keys).
      expect((await callApi(open.url, 'GET', '/payments?limit=1', undefined, { authorization: '' })).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('the OpenAPI document has every operator route, secured by the operator schemes and not the API key', async () => {
    const doc = (await s.api('GET', '/openapi.json')).body;
    const operations = [
      doc.paths['/payments'].get,
      doc.paths['/operations/reviews'].get,
      doc.paths['/operations/deliveries/{delivery_id}/redeliver'].post,
      doc.paths['/operations/payments/{payment_id}/reconcile'].post,
      doc.paths['/operations/reviews/{review_id}/resolve'].post,
    ];
    for (const operation of operations) {
      // The token only: the console's session cookie opens the console, not these routes.
      expect(operation.security).toEqual([{ operatorToken: [] }]);
      expect(operation.responses['401']).toBeDefined();
    }
    expect(doc.paths['/payments'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(
      [
        'amount_max',
        'amount_min',
        'created_from',
        'created_to',
        'cursor',
        'limit',
        'order_id',
        'payment_method',
        'status',
        'updated_from',
        'updated_to',
        'user_id',
      ].sort(),
    );
    expect(doc.components.securitySchemes.operatorToken).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('GET /payments: search with keyset pages', () => {
  /** Pages through a search to its end; fails on a loop. */
  async function allPages(query: Record<string, string>, limit: number) {
    const seen: { payment_id: string; created_at: string }[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 1_000; page += 1) {
      const params = new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
      const reply = await ana('GET', `/payments?${params}`);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect(reply.body.payments.length).toBeLessThanOrEqual(limit);
      seen.push(...reply.body.payments);
      cursor = reply.body.next_cursor;
      if (cursor === null) return seen.map((p) => p.payment_id);
      expect(reply.body.payments).toHaveLength(limit);
    }
    throw new Error('the search never reached its last page');
  }

  /** 150 payments of one user over 12 instants (many share one: the payment id breaks the tie), in a window of their own. */
  const user = `ops-user-${randomUUID().slice(0, 8)}`;
  const windowStart = Date.UTC(1990, 0, 1) + Math.floor(Math.random() * 5_000) * HOUR;
  const instants = Array.from({ length: 12 }, (_, i) => new Date(windowStart + i * MINUTE));
  const methods = ['qris', 'gopay', 'bank_transfer', 'credit_card'] as const;
  let generated: Payment[] = [];

  beforeAll(async () => {
    const random = fc.sample(
      fc.record({
        instant: fc.integer({ min: 0, max: instants.length - 1 }),
        status: fc.constantFrom(...PAYMENT_STATUSES),
        method: fc.constantFrom(...methods),
        amount: fc.integer({ min: 10_000, max: 2_000_000 }),
        changedAfterMinutes: fc.integer({ min: 0, max: 600 }),
      }),
      { numRuns: 150, seed: 17 },
    );
    const rows = random.map((r) => {
      const createdAt = instants[r.instant]!;
      return paymentRow({
        userId: user,
        orderId: `ORDER-OPS-${r.instant % 3}`,
        status: r.status,
        paymentMethod: r.method,
        amount: BigInt(r.amount),
        createdAt,
        updatedAt: new Date(createdAt.getTime() + r.changedAfterMinutes * MINUTE),
      });
    });
    await s.db.payment.createMany({ data: rows });
    generated = await s.db.payment.findMany({ where: { userId: user } });
    expect(generated).toHaveLength(150);
  });

  const newestFirst = (a: Payment, b: Payment) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

  it('pages through every match exactly once, newest first, whatever the filters and page size (generated searches)', async () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            status: fc.subarray([...PAYMENT_STATUSES], { minLength: 1 }),
            payment_method: fc.subarray([...methods], { minLength: 1 }),
            created: fc.tuple(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 11 })),
            updatedFromMinutes: fc.integer({ min: 0, max: 700 }),
            amount: fc.tuple(fc.integer({ min: 0, max: 2_100_000 }), fc.integer({ min: 0, max: 2_100_000 })),
            order: fc.integer({ min: 0, max: 2 }),
          },
          { requiredKeys: [] },
        ),
        fc.integer({ min: 1, max: 40 }),
        async (filters, limit) => {
          const query: Record<string, string> = { user_id: user };
          let expected = [...generated];
          if (filters.status) {
            query.status = filters.status.join(',');
            expected = expected.filter((p) => filters.status!.includes(p.status as never));
          }
          if (filters.payment_method) {
            query.payment_method = filters.payment_method.join(',');
            expected = expected.filter((p) => filters.payment_method!.includes(p.paymentMethod as never));
          }
          if (filters.created) {
            const [from, to] = [Math.min(...filters.created), Math.max(...filters.created)];
            query.created_from = iso(instants[from]!.getTime());
            query.created_to = iso(instants[to]!.getTime());
            expected = expected.filter((p) => p.createdAt >= instants[from]! && p.createdAt <= instants[to]!);
          }
          if (filters.updatedFromMinutes !== undefined) {
            const from = windowStart + filters.updatedFromMinutes * MINUTE;
            query.updated_from = iso(from);
            expected = expected.filter((p) => p.updatedAt.getTime() >= from);
          }
          if (filters.amount) {
            const [min, max] = [Math.min(...filters.amount), Math.max(...filters.amount)];
            Object.assign(query, { amount_min: String(min), amount_max: String(max) });
            expected = expected.filter((p) => Number(p.amount) >= min && Number(p.amount) <= max);
          }
          if (filters.order !== undefined) {
            query.order_id = `ORDER-OPS-${filters.order}`;
            expected = expected.filter((p) => p.orderId === query.order_id);
          }
          expect(await allPages(query, limit)).toEqual(expected.sort(newestFirst).map((p) => p.id));
        },
      ),
      { numRuns: 30, seed: 1717 },
    );
  });

  it('payments created while an operator pages never shift, repeat or skip later pages', async () => {
    const query = new URLSearchParams({ user_id: user, limit: '20' });
    const first = await ana('GET', `/payments?${query}`);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    // Newer than everything shown: they belong before the first page, not in the pages still to come.
    await s.db.payment.createMany({
      data: Array.from({ length: 5 }, () => paymentRow({ userId: user, createdAt: new Date(windowStart + HOUR) })),
    });
    const ids: string[] = first.body.payments.map((p: { payment_id: string }) => p.payment_id);
    let cursor: string | null = first.body.next_cursor;
    while (cursor) {
      const page = await ana('GET', `/payments?${new URLSearchParams({ user_id: user, limit: '20', cursor })}`);
      ids.push(...page.body.payments.map((p: { payment_id: string }) => p.payment_id));
      cursor = page.body.next_cursor;
    }
    expect(ids).toEqual([...generated].sort(newestFirst).map((p) => p.id));
  });

  it('answers each payment as every other read does (one rendering), with the default page of 50', async () => {
    const reply = await ana('GET', `/payments?user_id=${user}`);
    expect(reply.body.payments).toHaveLength(50);
    const one = reply.body.payments[0];
    const [ofOrder] = (await s.api('GET', `/payments/order/${one.order_id}`)).body.payments.filter(
      (p: { payment_id: string }) => p.payment_id === one.payment_id,
    );
    expect(one).toEqual(ofOrder);
  });

  it.each([
    ['an unknown status', 'status=paid'],
    ['an unknown method', 'payment_method=cash'],
    ['a limit of 0', 'limit=0'],
    ['a limit over 200', 'limit=201'],
    ['a date without a time zone', 'created_from=2026-12-03T10:00:00'],
    ['a range that ends before it starts', 'created_from=2026-12-03T10:00:00Z&created_to=2026-12-02T10:00:00Z'],
    ['an amount below the minimum', 'amount_min=500&amount_max=100'],
    ['a fractional amount', 'amount_min=10.5'],
    ['a cursor that is not ours', 'cursor=bm90LWEtY3Vyc29y'],
    ['a user id with a slash', 'user_id=a/b'],
  ])('refuses %s with 400 VALIDATION_FAILED in the error envelope', async (_what, query) => {
    const reply = await ana('GET', `/payments?${query}`);
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('VALIDATION_FAILED');
    expect(reply.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.any(String) })]));
  });

  it('filters also on a payment method the generated rows never use', async () => {
    const reply = await ana(
      'GET',
      `/payments?user_id=${user}&payment_method=${PAYMENT_METHODS.find((m) => !methods.includes(m as never))}`,
    );
    expect(reply.body).toEqual({ payments: [], next_cursor: null });
  });
});

describe('the review queue and its actions', () => {
  const reviews = async () => (await ana('GET', '/operations/reviews?limit=1000')).body.items as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON
  const auditOf = (target: string) => s.db.operatorAction.findMany({ where: { target }, orderBy: { id: 'asc' } });
  const statusOf = (paymentId: string) => s.api('GET', `/payments/${paymentId}/status`).then((r) => r.body.status as string);
  const simulatorAction = (paymentId: string, action: string) =>
    fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}/${action}`, { method: 'POST' });
  /** A paid payment whose delivery to the transaction service was refused for good (a 4xx is final). */
  async function paidWithRefusedDelivery(paymentMethod: 'gopay' | 'qris'): Promise<{ paymentId: string; deliveryId: string }> {
    s.receiver.respondWith((path) => (path === '/transactions/payments/notify' ? 422 : 200));
    const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: paymentMethod, bank: undefined }));
    const paymentId = created.body.payment_id as string;
    await simulatorAction(paymentId, 'pay');
    const deliveryId = `${paymentId}:success:transaction-service`;
    await s.eventually(
      () => s.db.downstreamDelivery.findUnique({ where: { id: deliveryId } }),
      (row) => row?.status === 'failed',
    );
    return { paymentId, deliveryId };
  }
  /**
   * A redelivery's outcome as a client gets it: a 202 (still under way after UPDATE_WAIT_MS, which a loaded machine
   * can reach) is answered by asking again with the same Idempotency-Key, which must join the same redelivery, even
   * when it ends failed. `replayed` is the first answer's.
   */
  async function redeliverToTheEnd(operator: typeof ana, path: string, body: unknown, idempotencyKey: string = randomUUID()) {
    const key = { 'idempotency-key': idempotencyKey };
    const first = await operator('POST', path, body, key);
    let answer = first;
    for (const started = Date.now(); answer.status === 202 && Date.now() - started < 60_000; ) {
      answer = await operator('POST', path, body, key);
      expect(answer.body).toMatchObject({ replayed: true, workflow_id: first.body.workflow_id });
    }
    return { status: answer.status, body: { ...answer.body, replayed: first.body.replayed } };
  }

  it('lists each kind with its reason, the payment and the ids to act on; resolving with a note hides it, audited with the name', async () => {
    const now = Date.now();
    const stuckPending = paymentRow({ createdAt: new Date(now - 3 * HOUR), expiresAt: new Date(now - 2 * HOUR) });
    const freshPending = paymentRow({ createdAt: new Date(now - 30 * MINUTE), expiresAt: new Date(now - 10 * MINUTE) });
    const stuckProcessing = paymentRow({ status: 'processing', createdAt: new Date(now - 6 * HOUR), updatedAt: new Date(now - 5 * HOUR) });
    const reversed = paymentRow({ status: 'success', createdAt: new Date(now - HOUR) });
    await s.db.payment.createMany({ data: [stuckPending, freshPending, stuckProcessing, reversed] });
    const event = await s.db.paymentEvent.create({
      data: {
        paymentId: reversed.id,
        eventKey: 'review-1',
        kind: 'needs_operator_review',
        source: 'webhook',
        detail: { reason: 'settlement_reversed' },
        occurredAt: new Date(now - 20 * MINUTE),
      },
    });

    const items = await reviews();
    const find = (id: string) => items.find((item) => item.id === id);
    expect(find(`pending:${stuckPending.id}`)).toMatchObject({
      kind: 'pending_past_expiry',
      payment_id: stuckPending.id,
      since: new Date(stuckPending.expiresAt!).toISOString(),
      payment: { payment_id: stuckPending.id, status: 'pending', order_id: stuckPending.orderId },
    });
    // Within the 30-minute grace the expiry timer may still be on its way.
    expect(find(`pending:${freshPending.id}`)).toBeUndefined();
    expect(find(`processing:${stuckProcessing.id}`)).toMatchObject({ kind: 'processing_too_long', payment: { status: 'processing' } });
    expect(find(`event:${event.id}`)).toMatchObject({
      kind: 'operator_review_event',
      reason: 'settlement_reversed',
      event_id: String(event.id),
      payment_id: reversed.id,
      payment: { status: 'success' },
    });
    // Oldest first.
    const sinces = items.map((item) => item.since);
    expect(sinces).toEqual([...sinces].sort());

    const stuckBefore = await queueGauge('processing_too_long');
    expect(stuckBefore).toBeGreaterThanOrEqual(1);

    const missingNote = await ana('POST', `/operations/reviews/${encodeURIComponent(`event:${event.id}`)}/resolve`, {});
    expect(missingNote.status).toBe(400);
    expect(missingNote.body.error.code).toBe('VALIDATION_FAILED');

    for (const id of [`pending:${stuckPending.id}`, `processing:${stuckProcessing.id}`, `event:${event.id}`]) {
      const resolved = await budi('POST', `/operations/reviews/${encodeURIComponent(id)}/resolve`, { note: `checked ${id} at Midtrans` });
      expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
      expect(resolved.body).toMatchObject({ review_id: id, replayed: false, action: { operator: 'budi', action: 'resolve', target: id } });
      // A retried resolve is the same resolution: no second audit line.
      const again = await budi('POST', `/operations/reviews/${encodeURIComponent(id)}/resolve`, { note: 'again' });
      expect(again.body).toMatchObject({ replayed: true, action: { id: resolved.body.action.id, note: `checked ${id} at Midtrans` } });
      expect(await auditOf(id)).toMatchObject([{ operator: 'budi', action: 'resolve', note: `checked ${id} at Midtrans` }]);
    }
    const after = (await reviews()).map((item) => item.id);
    // The gauge counts what the queue lists: the resolved stuck payment is one fewer.
    expect(await queueGauge('processing_too_long')).toBe(stuckBefore - 1);
    expect(after).not.toContain(`pending:${stuckPending.id}`);
    expect(after).not.toContain(`processing:${stuckProcessing.id}`);
    expect(after).not.toContain(`event:${event.id}`);

    const unknown = await ana('POST', `/operations/reviews/${encodeURIComponent(`pending:${freshPending.id}`)}/resolve`, { note: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('REVIEW_ITEM_NOT_FOUND');
  });

  it('Midtrans saying paid after we closed a payment unpaid is in the queue, once per payment; resolving hides it', async () => {
    // A notification that reaches a closed workflow is kept, not applied: a late DANA settlement (Midtrans finds DANA
    // orders by transaction_id only, so our look-ups by order id could not see it before the expiry), or a customer
    // who paid a Snap order after it was canceled here.
    const now = Date.now();
    const expired = paymentRow({ status: 'expired', paymentMethod: 'dana', createdAt: new Date(now - HOUR) });
    const canceled = paymentRow({ status: 'canceled', createdAt: new Date(now - HOUR) });
    const paid = paymentRow({ status: 'success', createdAt: new Date(now - HOUR) });
    // Midtrans signs order_id, status_code and gross_amount only: a replayed 202 (expire) with its status edited to
    // settlement says nothing about money.
    const edited = paymentRow({ status: 'expired', createdAt: new Date(now - HOUR) });
    await s.db.payment.createMany({ data: [expired, canceled, paid, edited] });
    const closedNotification = (paymentId: string, transactionStatus: string, statusCode: string, minutesAgo: number) => ({
      paymentId,
      orderId: paymentId,
      transactionStatus,
      statusCode,
      grossAmount: '100000.00',
      signatureValid: true,
      outcome: 'payment_closed',
      rawBody: '{}',
      bodySha256: randomUUID(),
      meaningSha256: randomUUID(),
      receivedAt: new Date(now - minutesAgo * MINUTE),
    });
    await s.db.webhookNotification.createMany({
      data: [
        closedNotification(expired.id, 'settlement', '200', 20),
        closedNotification(expired.id, 'settlement', '200', 10),
        closedNotification(canceled.id, 'expire', '202', 15),
        closedNotification(paid.id, 'settlement', '200', 15),
        closedNotification(edited.id, 'settlement', '202', 15),
      ],
    });

    const items = (await reviews()).filter((item) => [expired.id, canceled.id, paid.id, edited.id].includes(item.payment_id));
    expect(items.map((item) => [item.id, item.kind])).toEqual([[`paid-after-close:${expired.id}`, 'paid_after_close']]);
    expect(items[0]).toMatchObject({ since: new Date(now - 20 * MINUTE).toISOString(), payment: { status: 'expired' } });
    expect(items[0]!.reason).toMatch(/settlement/);

    const id = `paid-after-close:${expired.id}`;
    const resolved = await budi('POST', `/operations/reviews/${encodeURIComponent(id)}/resolve`, { note: 'refunded by hand at Midtrans' });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect((await reviews()).map((item) => item.id)).not.toContain(id);
  });

  it('a delivery the transaction service refused is in the queue; redelivered while it still refuses it fails again, then it is delivered', async () => {
    const transactionCalls = (key: string) =>
      s.receiver.calls.filter((c) => c.path === '/transactions/payments/notify' && c.idempotencyKey === key);
    const { paymentId, deliveryId } = await paidWithRefusedDelivery('gopay');
    const item = (await reviews()).find((i) => i.id === `delivery:${deliveryId}`);
    expect(item).toMatchObject({ kind: 'failed_delivery', delivery_id: deliveryId, payment_id: paymentId, payment: { status: 'success' } });
    expect(item!.reason).toMatch(/422/);

    const path = `/operations/deliveries/${encodeURIComponent(deliveryId)}/redeliver`;
    const stillRefused = await redeliverToTheEnd(ana, path, { note: 'transaction service says it is fixed' }, 'ana-1');
    expect(stillRefused.status, JSON.stringify(stillRefused.body)).toBe(200);
    expect(stillRefused.body).toMatchObject({
      status: 'failed',
      replayed: false,
      action: { operator: 'ana', action: 'redeliver', target: deliveryId },
    });
    expect((await reviews()).map((i) => i.id)).toContain(`delivery:${deliveryId}`);
    // Its retry (the same Idempotency-Key) is told its outcome: nothing is sent again.
    const retryOfFailed = await ana('POST', path, {}, { 'idempotency-key': 'ana-1' });
    expect(retryOfFailed.body).toMatchObject({ status: 'failed', replayed: true, workflow_id: stillRefused.body.workflow_id });
    expect(transactionCalls(deliveryId)).toHaveLength(2);

    s.receiver.respondWith(() => 200);
    const delivered = await redeliverToTheEnd(budi, path, {});
    expect(delivered.status, JSON.stringify({ answer: delivered.body, sent: transactionCalls(deliveryId) })).toBe(200);
    expect(delivered.body).toMatchObject({ status: 'delivered', replayed: false, action: { operator: 'budi' } });
    expect(delivered.body.workflow_id).not.toBe(stillRefused.body.workflow_id);
    expect(await s.db.downstreamDelivery.findUnique({ where: { id: deliveryId } })).toMatchObject({ status: 'delivered', httpStatus: 200 });
    const calls = transactionCalls(deliveryId);
    expect(calls.map((c) => c.answeredWith)).toEqual([422, 422, 200]);
    expect(calls.at(-1)!.body).toEqual(calls[0]!.body);
    expect((await reviews()).map((i) => i.id)).not.toContain(`delivery:${deliveryId}`);

    // The same request again (a client retrying after a lost answer): its outcome, and nothing sent twice.
    const retried = await budi('POST', path, {});
    expect(retried.body).toMatchObject({ status: 'delivered', replayed: true, workflow_id: delivered.body.workflow_id });
    expect(transactionCalls(deliveryId)).toHaveLength(3);
    expect((await auditOf(deliveryId)).map((a) => [a.operator, a.action])).toEqual([
      ['ana', 'redeliver'],
      ['budi', 'redeliver'],
    ]);

    const unknown = await ana('POST', '/operations/deliveries/nope/redeliver', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('DELIVERY_NOT_FOUND');
    const userDelivery = `${paymentId}:success:user-service`;
    const notFailed = await ana('POST', `/operations/deliveries/${encodeURIComponent(userDelivery)}/redeliver`, {});
    expect(notFailed.status).toBe(409);
    expect(notFailed.body.error.code).toBe('DELIVERY_NOT_FAILED');
  });

  it('two redeliver requests at once (a double click, a client retry) send the event once, under one audit line', async () => {
    const { deliveryId } = await paidWithRefusedDelivery('qris');
    s.receiver.respondWith(() => 200);
    const path = `/operations/deliveries/${encodeURIComponent(deliveryId)}/redeliver`;
    const answers = await Promise.all([ana('POST', path, {}), ana('POST', path, {})]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.map((a) => a.body.status)).toEqual(['delivered', 'delivered']);
    expect(answers[0]!.body.workflow_id).toBe(answers[1]!.body.workflow_id);
    expect(answers.map((a) => a.body.replayed).sort()).toEqual([false, true]);
    const sent = s.receiver.calls.filter((c) => c.path === '/transactions/payments/notify' && c.idempotencyKey === deliveryId);
    expect(sent.map((c) => c.answeredWith)).toEqual([422, 200]);
    expect(await auditOf(deliveryId)).toHaveLength(1);
  });

  it('a redelivery whose attempts could not be recorded (PostgreSQL refusing them) does not block the next one', async () => {
    const { deliveryId } = await paidWithRefusedDelivery('gopay');
    const path = `/operations/deliveries/${encodeURIComponent(deliveryId)}/redeliver`;
    const sent = () => s.receiver.calls.filter((c) => c.path === '/transactions/payments/notify' && c.idempotencyKey === deliveryId);
    // While the first redelivery runs, no attempt of it reaches the delivery's row (an outage of the database); its
    // failure still does, once the database is back: the row is failed again with the attempts it had.
    const trigger = `refuse_attempts_${randomUUID().replaceAll('-', '')}`;
    await s.db.$executeRawUnsafe(`create function ${trigger}() returns trigger language plpgsql as $$
      begin if new.id = '${deliveryId}' and new.attempts <> old.attempts then raise exception 'database unavailable'; end if; return new; end $$`);
    await s.db.$executeRawUnsafe(`create trigger ${trigger} before update on downstream_deliveries for each row execute function ${trigger}()`);
    try {
      const first = await redeliverToTheEnd(ana, path, { note: 'during the outage' });
      expect(first.body).toMatchObject({ status: 'failed' });
    } finally {
      await s.db.$executeRawUnsafe(`drop trigger ${trigger} on downstream_deliveries`);
      await s.db.$executeRawUnsafe(`drop function ${trigger}()`);
    }
    const sentDuringOutage = sent().length;
    s.receiver.respondWith(() => 200);
    const next = await redeliverToTheEnd(ana, path, { note: 'after the outage' });
    expect(next.body).toMatchObject({ status: 'delivered', replayed: false });
    expect(sent().length).toBeGreaterThan(sentDuringOutage);
    expect(await s.db.downstreamDelivery.findUnique({ where: { id: deliveryId } })).toMatchObject({ status: 'delivered' });
  });

  it('a resolved item comes back when its trouble does (the delivery fails again after the resolution)', async () => {
    const paymentId = newPaymentId();
    const deliveryId = `${paymentId}:success:user-service`;
    await s.db.payment.create({ data: paymentRow({ id: paymentId, status: 'success', createdAt: new Date(Date.now() - HOUR) }) });
    await s.db.downstreamDelivery.create({
      data: {
        id: deliveryId,
        paymentId,
        target: 'user-service',
        idempotencyKey: deliveryId,
        body: { payment_id: paymentId, amount: 100_000, status: 'success' },
        status: 'failed',
        lastError: 'user-service answered HTTP 410',
        updatedAt: new Date(Date.now() - 10 * MINUTE),
      },
    });
    const id = `delivery:${deliveryId}`;
    expect((await reviews()).map((i) => i.id)).toContain(id);
    expect((await ana('POST', `/operations/reviews/${encodeURIComponent(id)}/resolve`, { note: 'user deleted' })).status).toBe(200);
    expect((await reviews()).map((i) => i.id)).not.toContain(id);
    await s.db.downstreamDelivery.update({ where: { id: deliveryId }, data: { updatedAt: new Date(Date.now() + MINUTE) } });
    expect((await reviews()).find((i) => i.id === id)).toMatchObject({ kind: 'failed_delivery', reason: 'user-service answered HTTP 410' });
  });

  it('reconcile now: a payment Midtrans settled without a notification moves to success, and its audit trail names the operator', async () => {
    await fetch(`${s.simulator.url}/_simulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ notificationDropRate: 1 }),
    });
    const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: 'qris', bank: undefined }));
    const paymentId = created.body.payment_id as string;
    expect((await simulatorAction(paymentId, 'pay')).ok).toBe(true);
    // No notification comes; the workflow's own first look is a minute away.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await statusOf(paymentId)).toBe('pending');

    const asked = await budi(
      'POST',
      `/operations/payments/${paymentId}/reconcile`,
      { note: 'customer says paid' },
      { 'idempotency-key': 'rec-1' },
    );
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    expect(asked.body).toMatchObject({
      payment_id: paymentId,
      action: { operator: 'budi', action: 'reconcile', note: 'customer says paid' },
    });
    await s.eventually(
      () => statusOf(paymentId),
      (status) => status === 'success',
      20_000,
    );
    const trail = (await s.api('GET', `/payments/${paymentId}`)).body.audit_trail as { kind: string; source: string; detail?: unknown }[];
    expect(trail.find((e) => e.kind === 'reconciliation_requested')?.detail).toMatchObject({
      requestedBy: ['budi'],
      reasons: ['customer says paid'],
    });
    expect(trail.find((e) => e.kind === 'transition')).toMatchObject({ source: 'reconciliation' });

    // The same Idempotency-Key again is the same request: one audit line.
    const retried = await budi(
      'POST',
      `/operations/payments/${paymentId}/reconcile`,
      { note: 'customer says paid' },
      { 'idempotency-key': 'rec-1' },
    );
    expect(retried.body.action.id).toBe(asked.body.action.id);
    expect((await auditOf(paymentId)).map((a) => [a.operator, a.action, a.note])).toEqual([['budi', 'reconcile', 'customer says paid']]);
  });

  it('reconcile sent twice at once with one key while Temporal refuses the signal: neither is told it was asked, nothing is audited', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: 'qris', bank: undefined }));
    const paymentId = created.body.payment_id as string;
    const { workflows } = s.dependencies;
    const config = { ...s.dependencies.config, NODE_ENV: 'test' as const, OPERATOR_TOKENS: [ANA, BUDI] };
    const temporalDown = await serveOverHttp(
      createApp({
        ...s.dependencies,
        config,
        workflows: {
          ...workflows,
          // Temporal taking a moment to fail the signal, as an unreachable frontend does.
          requestReconcile: () =>
            new Promise<never>((_resolve, reject) =>
              setTimeout(() => reject(new ApiError('SERVICE_UNAVAILABLE', 'Temporal is unreachable', undefined, 5)), 300),
            ),
        },
      }),
    );
    try {
      const ask = () =>
        callApi(temporalDown.url, 'POST', `/operations/payments/${paymentId}/reconcile`, { note: 'customer says paid' }, {
          authorization: `Bearer ${BUDI.token}`,
          'idempotency-key': 'rec-down',
        });
      const first = ask();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const answers = await Promise.all([first, ask()]);
      expect(answers.map((a) => `${a.status} ${a.body.error?.code}`)).toEqual(['503 SERVICE_UNAVAILABLE', '503 SERVICE_UNAVAILABLE']);
    } finally {
      await temporalDown.close();
    }
    expect(await auditOf(paymentId)).toEqual([]);
  });

  it('reconcile: an unknown payment is 404; a payment whose workflow has closed is 409 PAYMENT_WORKFLOW_CLOSED, and nothing is audited', async () => {
    const unknown = await ana('POST', `/operations/payments/${newPaymentId()}/reconcile`, {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('PAYMENT_NOT_FOUND');

    const created = await s.api('POST', '/payments', createPaymentBody({ payment_method: 'qris', bank: undefined }));
    const paymentId = created.body.payment_id as string;
    expect((await s.api('POST', `/payments/${paymentId}/cancel`, {})).body.status).toBe('canceled');
    await s.eventually(
      () => s.client.workflow.getHandle(`payment-${paymentId}`).describe(),
      (description) => description.status.name !== 'RUNNING',
    );
    const closed = await ana('POST', `/operations/payments/${paymentId}/reconcile`, {});
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe('PAYMENT_WORKFLOW_CLOSED');
    expect(await auditOf(paymentId)).toEqual([]);
  });
});

describe('an API key holder', () => {
  it('still lists an order with its own key (the operators did not take that route)', async () => {
    const reply = await callApi(operatorsApi.url, 'GET', '/payments/order/ORDER-OPS-0', undefined, { authorization: `Bearer ${API_KEY}` });
    expect(reply.status).toBe(200);
  });
});
