import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CoreChargeBody, SnapTransactionBody } from '../../src/domain';
import { createMidtransClient, MidtransError, midtransBaseUrls } from '../../src/midtrans/client';

// A real HTTP server on a random local port; each test says how it answers.
interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Handler = (req: Received, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;
let received: Received[];

const json = (res: ServerResponse, httpStatus: number, body: unknown) => {
  res.writeHead(httpStatus, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      received.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  handler = (_req, res) => json(res, 500, { status_code: '500', status_message: 'no handler' });
});

const SERVER_KEY = 'SB-Mid-server-test';
const client = (timeoutMs = 2_000) =>
  createMidtransClient({ serverKey: SERVER_KEY, apiBaseUrl: `${baseUrl}/`, snapBaseUrl: `${baseUrl}/snap/v1`, timeoutMs });

const chargeBody: CoreChargeBody = {
  payment_type: 'bank_transfer',
  transaction_details: { order_id: 'pay-1', gross_amount: 44000 },
  customer_details: { first_name: 'Budi' },
  bank_transfer: { bank: 'bca' },
};
const pendingVa = {
  status_code: '201',
  status_message: 'Success, Bank Transfer transaction is created',
  transaction_id: '6ee793df-9b1d-4343-8eda-cc9663b4222f',
  order_id: 'pay-1',
  gross_amount: '44000.00',
  payment_type: 'bank_transfer',
  transaction_status: 'pending',
  fraud_status: 'accept',
  va_numbers: [{ bank: 'bca', va_number: '490526303019299' }],
};

async function failure(promise: Promise<unknown>): Promise<MidtransError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MidtransError);
  return error as MidtransError;
}

describe('Midtrans client', () => {
  it('charges with Basic auth of "serverKey:" and JSON headers, keeping unknown fields', async () => {
    handler = (_req, res) => json(res, 200, pendingVa);
    const response = await client().charge(chargeBody);

    expect(response).toEqual(pendingVa);
    const [req] = received;
    expect(req).toMatchObject({ method: 'POST', url: '/v2/charge' });
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from(`${SERVER_KEY}:`).toString('base64')}`);
    expect(req?.headers.authorization).toBe('Basic U0ItTWlkLXNlcnZlci10ZXN0Og==');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers.accept).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual(chargeBody);
  });

  it('treats a failure in the body status_code as an error even with HTTP 200', async () => {
    handler = (_req, res) =>
      json(res, 200, {
        status_code: '400',
        status_message: 'One or more parameters in the payload is invalid.',
        validation_messages: ['transaction_details.gross_amount is not equal to the sum of item_details'],
      });
    const error = await failure(client().charge(chargeBody));
    expect(error).toMatchObject({ code: '400', httpStatus: 200, retryable: false, outcomeUnknown: false });
    expect(error.message).toContain('gross_amount is not equal to the sum');
  });

  it('406 duplicate order id: non-retryable, code 406', async () => {
    handler = (_req, res) =>
      json(res, 200, { status_code: '406', status_message: 'The request could not be completed due to a conflict with the current state of the target resource, please try again', id: 'f6f2...' });
    const error = await failure(client().charge(chargeBody));
    expect(error).toMatchObject({ code: '406', retryable: false, outcomeUnknown: false });
  });

  it('5xx after sending a charge: retryable and the outcome unknown', async () => {
    handler = (_req, res) => json(res, 500, { status_code: '500', status_message: 'Sorry, an internal error occurred' });
    const inBody = await failure(client().charge(chargeBody));
    expect(inBody).toMatchObject({ code: '500', httpStatus: 500, retryable: true, outcomeUnknown: true });

    handler = (_req, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    };
    const fromProxy = await failure(client().charge(chargeBody));
    expect(fromProxy).toMatchObject({ code: 'HTTP_502', httpStatus: 502, retryable: true, outcomeUnknown: true });

    // A status lookup changes nothing: retryable, but no unknown outcome.
    const onGet = await failure(client().getStatus('pay-1'));
    expect(onGet).toMatchObject({ code: 'HTTP_502', retryable: true, outcomeUnknown: false });
  });

  it('429: retryable, nothing applied', async () => {
    handler = (_req, res) => json(res, 429, { status_code: '429', status_message: 'Too many requests' });
    expect(await failure(client().refund('pay-1', { refund_key: 'pay-1-r1' }))).toMatchObject({
      code: '429',
      retryable: true,
      outcomeUnknown: false,
    });
  });

  it('times out: retryable, outcome unknown for a charge', async () => {
    handler = (_req, res) => setTimeout(() => json(res, 200, pendingVa), 1_000).unref();
    const started = Date.now();
    const error = await failure(client(100).charge(chargeBody));
    expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true, outcomeUnknown: true });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('network error before sending: retryable, nothing applied', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = createMidtransClient({ serverKey: SERVER_KEY, apiBaseUrl: `http://127.0.0.1:${port}`, snapBaseUrl: '' });
    expect(await failure(unreachable.charge(chargeBody))).toMatchObject({ code: 'NETWORK', retryable: true, outcomeUnknown: false });
  });

  it('404 on status: unknown transaction, not retryable', async () => {
    handler = (_req, res) => json(res, 404, { status_code: '404', status_message: "Transaction doesn't exist." });
    const error = await failure(client().getStatus('pay-unknown'));
    expect(error).toMatchObject({ code: '404', httpStatus: 404, retryable: false, outcomeUnknown: false });
    expect(error.message).toContain("Transaction doesn't exist.");
    expect(received[0]).toMatchObject({ method: 'GET', url: '/v2/pay-unknown/status' });
  });

  it('encodes the id in the path', async () => {
    handler = (_req, res) => json(res, 200, { ...pendingVa, status_code: '200' });
    await client().getStatus('a b/c');
    expect(received[0]?.url).toBe('/v2/a%20b%2Fc/status');
  });

  it('202 deny/cancel is an answer for status and cancel; 407 is the answer of expire', async () => {
    handler = (_req, res) => json(res, 200, { ...pendingVa, status_code: '202', transaction_status: 'deny' });
    expect(await client().getStatus('pay-1')).toMatchObject({ status_code: '202', transaction_status: 'deny' });
    handler = (_req, res) => json(res, 200, { ...pendingVa, status_code: '202', transaction_status: 'cancel' });
    expect(await client().cancel('pay-1')).toMatchObject({ transaction_status: 'cancel' });
    handler = (_req, res) => json(res, 200, { ...pendingVa, status_code: '407', status_message: 'Success, transaction is expired', transaction_status: 'expire' });
    expect(await client().expire('pay-1')).toMatchObject({ status_code: '407', transaction_status: 'expire' });
    expect(await client().getStatus('pay-1')).toMatchObject({ status_code: '407' });
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /v2/pay-1/status',
      'POST /v2/pay-1/cancel',
      'POST /v2/pay-1/expire',
      'GET /v2/pay-1/status',
    ]);
  });

  it('412 on cancel is a refusal', async () => {
    handler = (_req, res) => json(res, 200, { status_code: '412', status_message: 'Merchant cannot modify the status of the transaction' });
    expect(await failure(client().cancel('pay-1'))).toMatchObject({ code: '412', retryable: false });
  });

  it('refunds with the refund key and returns the cumulative amount', async () => {
    handler = (_req, res) =>
      json(res, 200, {
        status_code: '200',
        status_message: 'Success, refund request is approved',
        transaction_id: 'tx-1',
        order_id: 'pay-1',
        gross_amount: '100000.00',
        transaction_status: 'partial_refund',
        refund_chargeback_id: 1,
        refund_amount: '30000.00',
        refund_key: 'pay-1-r1',
      });
    const response = await client().refund('pay-1', { refund_key: 'pay-1-r1', amount: 30000, reason: 'customer request' });
    expect(response).toMatchObject({ transaction_status: 'partial_refund', refund_amount: '30000.00' });
    expect(received[0]).toMatchObject({ method: 'POST', url: '/v2/pay-1/refund' });
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({ refund_key: 'pay-1-r1', amount: 30000, reason: 'customer request' });
  });

  it('an answer without what we read is an invalid response', async () => {
    handler = (_req, res) => json(res, 200, { hello: 'world' });
    expect(await failure(client().charge(chargeBody))).toMatchObject({ code: 'INVALID_RESPONSE', retryable: true, outcomeUnknown: true });
  });

  it('a status look-up answered in a shape we cannot read, or refused for the server key, is not worth retrying', async () => {
    handler = (_req, res) => json(res, 200, { status_code: 200, gross_amount: { odd: true } });
    expect(await failure(client().getStatus('pay-1'))).toMatchObject({ code: 'INVALID_RESPONSE', retryable: false, outcomeUnknown: false });
    handler = (_req, res) => json(res, 401, { status_code: '401', status_message: 'Unknown Merchant server_key/id' });
    expect(await failure(client().getStatus('pay-1'))).toMatchObject({ code: '401', httpStatus: 401, retryable: false });
  });

  describe('Snap', () => {
    const snapBody: SnapTransactionBody = {
      transaction_details: { order_id: 'pay-2', gross_amount: 10000 },
      customer_details: { first_name: 'Ani' },
      enabled_payments: ['dana'],
      expiry: { start_time: '2024-03-11 00:30:05 +0700', unit: 'minute', duration: 15 },
    };

    it('creates a transaction: 201 {token, redirect_url}', async () => {
      const answer = { token: 'tok-1', redirect_url: 'https://app.sandbox.midtrans.com/snap/v3/redirection/tok-1' };
      handler = (_req, res) => json(res, 201, answer);
      expect(await client().createSnapTransaction(snapBody)).toEqual(answer);
      expect(received[0]).toMatchObject({ method: 'POST', url: '/snap/v1/transactions' });
    });

    it('400 with error_messages keeps Midtrans\'s words', async () => {
      handler = (_req, res) => json(res, 400, { error_messages: ['transaction_details.order_id has already been taken'] });
      const error = await failure(client().createSnapTransaction(snapBody));
      expect(error).toMatchObject({ code: 'HTTP_400', httpStatus: 400, retryable: false });
      expect(error.message).toContain('order_id has already been taken');
    });

    it('401 access denied is not retryable', async () => {
      handler = (_req, res) => json(res, 401, { error_messages: ['Access denied due to unauthorized transaction, please check client or server key'] });
      expect(await failure(client().createSnapTransaction(snapBody))).toMatchObject({ code: 'HTTP_401', retryable: false });
    });
  });

  it('knows the public hosts', () => {
    expect(midtransBaseUrls(false)).toEqual({
      apiBaseUrl: 'https://api.sandbox.midtrans.com',
      snapBaseUrl: 'https://app.sandbox.midtrans.com/snap/v1',
    });
    expect(midtransBaseUrls(true)).toEqual({ apiBaseUrl: 'https://api.midtrans.com', snapBaseUrl: 'https://app.midtrans.com/snap/v1' });
  });
});
