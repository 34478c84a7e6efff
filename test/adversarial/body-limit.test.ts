import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { midtransSignature } from '../../src/midtrans/signature';
import { API_KEY, createPaymentBody, SERVER_KEY } from '../support/fixtures';
import { startService, type Service } from '../support/service-harness';

/**
 * Attack 9 (CVE-2026-44456): a body sent with `Transfer-Encoding: chunked` has no Content-Length for the limit to
 * read, so only counting the bytes as they arrive can refuse it. Each body here would be valid if read whole (JSON
 * allows the trailing whitespace that makes it too large), so a bypass would show as a created payment or a stored
 * notification, not only as a status code.
 */

let s: Service;
beforeAll(async () => {
  s = await startService();
});
afterAll(async () => {
  await s?.close();
});

const BODY_LIMIT_BYTES = 64 * 1024;
const CHUNK_BYTES = 8 * 1024;

type Reply = { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience

/** POSTs `body` over a real socket in chunks, with `Transfer-Encoding: chunked` and no Content-Length. */
function postChunked(path: string, body: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${s.apiUrl}${path}`, {
      // A connection of its own: after refusing a body it has not read to the end, @hono/node-server closes the
      // connection within 500 ms, which a kept-alive socket reused by the next request would see as a hang-up.
      agent: false,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', ...headers },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolve({ status: response.statusCode ?? 0, body: text });
        }
      });
    });
    for (let at = 0; at < body.length; at += CHUNK_BYTES) request.write(body.slice(at, at + CHUNK_BYTES));
    request.end();
  });
}

/** Valid JSON of exactly `size` bytes: `value` followed by whitespace. */
function paddedJson(value: unknown, size: number): string {
  const json = JSON.stringify(value);
  expect(Buffer.byteLength(json)).toBeLessThan(size);
  return json + ' '.repeat(size - Buffer.byteLength(json));
}

describe('attack 9: a chunked body over BODY_LIMIT_BYTES', () => {
  it('POST /payments answers 413 PAYLOAD_TOO_LARGE and creates no payment', async () => {
    const payment = createPaymentBody();
    const atLimit = await postChunked('/payments', paddedJson(createPaymentBody(), BODY_LIMIT_BYTES), {
      authorization: `Bearer ${API_KEY}`,
    });
    expect([201, 202], JSON.stringify(atLimit.body)).toContain(atLimit.status); // the same shape at the limit is read

    const reply = await postChunked('/payments', paddedJson(payment, BODY_LIMIT_BYTES + 1), { authorization: `Bearer ${API_KEY}` });
    expect(reply.status, JSON.stringify(reply.body)).toBe(413);
    expect(reply.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await s.db.payment.count({ where: { orderId: payment.order_id } })).toBe(0);
    const listed = await s.api('GET', `/payments/order/${payment.order_id}`);
    expect(listed.body.payments ?? []).toEqual([]);
  });

  it('POST /payments/webhook answers 413 PAYLOAD_TOO_LARGE and neither stores nor applies the notification', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody());
    expect(created.status).toBe(201);
    const id: string = created.body.payment_id;
    const settlement = {
      order_id: id,
      status_code: '200',
      gross_amount: '250000.00',
      transaction_status: 'settlement',
      fraud_status: 'accept',
      signature_key: midtransSignature(id, '200', '250000.00', SERVER_KEY),
    };

    const reply = await postChunked('/payments/webhook', paddedJson(settlement, BODY_LIMIT_BYTES * 4));
    expect(reply.status, JSON.stringify(reply.body)).toBe(413);
    expect(reply.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    // The simulator's own `pending` notification of the charge may be stored; the settlement must not be.
    expect(await s.db.webhookNotification.count({ where: { orderId: id, transactionStatus: 'settlement' } })).toBe(0);
    expect((await s.api('GET', `/payments/${id}/status`)).body.status).toBe('pending');
  });

  it('POST /payments/{id}/cancel answers 413 PAYLOAD_TOO_LARGE and leaves the payment pending', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody());
    expect(created.status).toBe(201);
    const id: string = created.body.payment_id;

    const reply = await postChunked(`/payments/${id}/cancel`, paddedJson({ reason: 'customer asked' }, BODY_LIMIT_BYTES + 1), {
      authorization: `Bearer ${API_KEY}`,
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(413);
    expect(reply.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await s.api('GET', `/payments/${id}/status`)).body.status).toBe('pending');
  });
});
