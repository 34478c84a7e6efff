import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDownstreamActivities, type DownstreamEvent } from '../../activities/downstream';
import { createPaymentBody } from '../support/fixtures';
import { DOWNSTREAM_SIGNING_SECRET, startService, type Service } from '../support/service-harness';

/**
 * Calls to TiketQ's transaction and user services (attack 7): the payment's data must not choose where a call goes,
 * and nobody but this service can tell those services that a payment was paid.
 */

let s: Service;
beforeAll(async () => {
  s = await startService();
});
afterAll(async () => {
  await s?.close();
});

/** Workflows Temporal knows for an order, through the OrderId search attribute every payment workflow carries. */
const workflowsOfOrder = async (orderId: string) => (await s.client.workflow.count(`OrderId = "${orderId}"`)).count;

describe('attack 7: user_id shapes the downstream URL', () => {
  it('a payment whose user_id is a dot segment or holds a slash is a 400 VALIDATION_FAILED: no row, no workflow', async () => {
    // Visibility lags behind the start: a payment the API accepts is seen first, so a zero below means "never started".
    const accepted = createPaymentBody({ user_id: 'user-42.tiketq:id@b2b_1' });
    expect((await s.api('POST', '/payments', accepted)).status).toBe(201);
    await s.eventually(
      () => workflowsOfOrder(accepted.order_id),
      (count) => count === 1,
    );

    for (const userId of ['..', '.', '../admin', 'a/b', '.hidden', 'user 42', 'user%2F42']) {
      const body = createPaymentBody({ user_id: userId });
      const reply = await s.api('POST', '/payments', body);
      expect(reply.status, `${userId}: ${JSON.stringify(reply.body)}`).toBe(400);
      expect(reply.body.error.code).toBe('VALIDATION_FAILED');
      expect(reply.body.error.details.map((d: { path: string }) => d.path)).toEqual(['user_id']);
      expect(await s.db.payment.count({ where: { orderId: body.order_id } })).toBe(0);
      expect(await workflowsOfOrder(body.order_id)).toBe(0);
    }
  });
});

/** An HTTP server that keeps every request exactly as it arrived: the bytes a receiver verifies. */
async function startRecordingServer() {
  const requests: { path: string; headers: IncomingHttpHeaders; raw: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ path: req.url ?? '/', headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const webhookHeaders = (headers: IncomingHttpHeaders) => ({
  'webhook-id': String(headers['webhook-id']),
  'webhook-timestamp': String(headers['webhook-timestamp']),
  'webhook-signature': String(headers['webhook-signature']),
});

const OTHER_SECRET = `whsec_${Buffer.from('not-the-tiketq-downstream-secret').toString('base64')}`;

describe('attack 7: calls to the transaction and user services are signed (Standard Webhooks)', () => {
  it('each call carries webhook-id (its idempotency key, the same on a retry), webhook-timestamp and a signature that verifies with DOWNSTREAM_SIGNING_SECRET only, over the exact body', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody());
    expect(created.status).toBe(201);
    const paymentId: string = created.body.payment_id;
    const services = await startRecordingServer();
    try {
      const config = {
        transactionServiceUrl: services.url,
        userServiceUrl: services.url,
        timeoutMs: 5_000,
        signingSecret: DOWNSTREAM_SIGNING_SECRET,
      };
      const downstream = createDownstreamActivities(s.db, config);
      const event: DownstreamEvent = { paymentId, orderId: created.body.order_id, eventKey: 'success', status: 'success', amount: 250_000 };
      await downstream.notifyTransactionService(event);
      await downstream.notifyTransactionService(event); // an activity retry
      await downstream.notifyUserService({ ...event, userId: 'user-42' });

      expect(services.requests.map((r) => r.path)).toEqual([
        '/transactions/payments/notify',
        '/transactions/payments/notify',
        '/users/user-42/payments',
      ]);
      const [first, retry, user] = services.requests;
      expect(first!.headers['webhook-id']).toBe(`${paymentId}:success:transaction-service`);
      expect(retry!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
      expect(user!.headers['webhook-id']).toBe(`${paymentId}:success:user-service`);
      for (const request of services.requests) {
        expect(request.headers['webhook-id']).toBe(request.headers['idempotency-key']);
        expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
        const headers = webhookHeaders(request.headers);
        expect(new Webhook(DOWNSTREAM_SIGNING_SECRET).verify(request.raw, headers)).toEqual(JSON.parse(request.raw));
        expect(() => new Webhook(OTHER_SECRET).verify(request.raw, headers)).toThrow(WebhookVerificationError);
        const edited = request.raw.replace('"status":"success"', '"status":"refunded"');
        expect(edited).not.toBe(request.raw);
        expect(() => new Webhook(DOWNSTREAM_SIGNING_SECRET).verify(edited, headers)).toThrow(WebhookVerificationError);
      }
    } finally {
      await services.close();
    }
  });

  it('the downstream receiver answers 401 to an unsigned or wrongly signed call and records what it verified', async () => {
    const body = JSON.stringify({ order_id: 'ORDER-FORGED', payment_id: 'pay-forged', status: 'success', amount: 250_000 });
    const signed = (secret: string) => {
      const at = new Date();
      const id = `forged-${at.getTime()}`;
      return {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(id, at, body),
      };
    };
    const post = (headers: Record<string, string>) =>
      fetch(`${s.receiver.url}/transactions/payments/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });

    s.receiver.reset();
    expect((await post({})).status).toBe(401);
    expect((await post(signed(OTHER_SECRET))).status).toBe(401);
    expect((await post(signed(DOWNSTREAM_SIGNING_SECRET))).status).toBe(200);
    expect(s.receiver.calls).toMatchObject([
      { answeredWith: 401, signatureValid: false },
      { answeredWith: 401, signatureValid: false },
      { answeredWith: 200, signatureValid: true },
    ]);
  });

  it('a paid payment reaches both services through the worker with signatures the receiver verified', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody());
    const paymentId: string = created.body.payment_id;
    expect((await fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}/pay`, { method: 'POST' })).ok).toBe(true);
    const calls = await s.eventually(
      async () => s.receiver.calls.filter((call) => (call.body as { payment_id?: string }).payment_id === paymentId),
      (found) => found.length >= 2,
    );
    expect(calls.map((call) => call.path).sort()).toEqual(['/transactions/payments/notify', '/users/user-42/payments']);
    expect(calls).toMatchObject([
      { answeredWith: 200, signatureValid: true },
      { answeredWith: 200, signatureValid: true },
    ]);
  });
});
