import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentBody as createPaymentSchema } from '../../src/api/schemas';
import { BANKS, PAYMENT_METHODS } from '../../src/domain';
import { midtransSignature } from '../../src/midtrans/signature';
import { API_KEY, createPaymentBody, SERVER_KEY } from '../support/fixtures';
import { startService, type Service } from '../support/service-harness';
import { documentedErrorStatus } from '../support/documents';

/**
 * Random and malformed requests against every endpoint, in-process through `app.request`: whatever arrives, the API
 * answers below 500, and every error is the one JSON envelope with the status the documents give its code.
 *
 * Each valid POST /payments starts a real workflow and a charge at the simulator, so valid bodies are generated
 * rarely and a budget refuses to send more than CREATE_BUDGET of them (further valid ones are skipped with fc.pre).
 */

const CREATE_BUDGET = 25;
let createsSent = 0;
let created = 0;
/** Statuses seen by the running property: each property asserts it reached the interesting branches. */
let seen = new Map<number, number>();
const startCounting = () => {
  seen = new Map();
};
const expectStatusesSeen = (...statuses: number[]) => expect([...seen.keys()]).toEqual(expect.arrayContaining(statuses));

let s: Service;
/** Real payments the fuzzer can hit: one pending, one paid (refundable), and one that only receives signed webhooks. */
const real = { pending: '', paid: '', webhookTarget: '' };

beforeAll(async () => {
  s = await startService();
  const create = async (overrides: Record<string, unknown>) => {
    const response = await s.api('POST', '/payments', createPaymentBody({ bank: undefined, ...overrides }));
    expect(response.status).toBe(201);
    return response.body.payment_id as string;
  };
  [real.pending, real.paid, real.webhookTarget] = await Promise.all([
    create({ payment_method: 'qris' }),
    create({ payment_method: 'gopay', amount: 900_000 }),
    create({ payment_method: 'dana', amount: 120_000 }),
  ]);
  await fetch(`${s.simulator.url}/_simulator/transactions/${real.paid}/pay`, { method: 'POST' });
  await s.eventually(
    () => s.api('GET', `/payments/${real.paid}/status`),
    (r) => r.body.status === 'success',
  );
});
afterAll(async () => {
  await s?.close();
});

// Arbitraries ------------------------------------------------------------------------------------------------------

type FuzzRequest = { method: string; path: string; headers: Record<string, string>; body?: string };

/** Strings PostgreSQL and UTF-8 cannot store, mixed with ordinary text. */
const awkwardUnit = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '\ud800', '\udfff', '\u202e', '\ufeff', '\n', '"', '\\') },
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const awkwardString = fc.string({ unit: awkwardUnit, maxLength: 40 });

/** Anything JavaScript can hold, as JSON text (or its String() when JSON cannot say it). */
const toJsonText = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '{"unserializable":true}';
  }
};

const jsonText = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.jsonValue({ stringUnit: awkwardUnit }).map((v) => JSON.stringify(v)),
  fc.anything({ maxDepth: 3 }).map(toJsonText),
);

/** Text that is mostly not JSON: random code points, bytes, truncated or corrupted JSON, whitespace. */
const rawText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.tuple(jsonText, fc.nat()).map(([text, cut]) => text.slice(0, cut % (text.length + 1))),
  fc
    .tuple(jsonText, fc.nat(), fc.constantFrom('{', '}', '"', ',', ':', '\\', '\u0000', 'NaN'))
    .map(([text, at, junk]) => text.slice(0, at % (text.length + 1)) + junk + text.slice(at % (text.length + 1))),
  fc.constantFrom(
    '',
    ' ',
    '\n\t',
    'null',
    'true',
    '0',
    '-0',
    '1e400',
    '[]',
    '{}',
    '""',
    '{"a":1}{"b":2}',
    '['.repeat(2000) + ']'.repeat(2000),
  ),
);

/** A valid create body: random (even unusual) text in the free fields, items that add up. */
const validCreateBody = fc
  .record({
    method: fc.constantFrom(...PAYMENT_METHODS),
    bank: fc.constantFrom(...BANKS),
    price: fc.integer({ min: 1, max: 50_000_000 }),
    quantity: fc.integer({ min: 1, max: 4 }),
    firstName: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
    description: fc.option(fc.string({ unit: 'binary', maxLength: 60 }), { nil: undefined }),
    orderId: fc.stringMatching(/^[A-Za-z0-9-]{1,40}$/),
  })
  .map(({ method, bank, price, quantity, firstName, description, orderId }) => ({
    order_id: `FUZZ-${orderId}`,
    amount: price * quantity,
    payment_method: method,
    ...(method === 'bank_transfer' ? { bank } : {}),
    customer_details: { first_name: firstName, email: 'fuzz@example.com', phone: '+6281234567890' },
    item_details: [{ id: 'ITEM-1', price, quantity, name: 'Fuzzed ticket' }],
    ...(description === undefined ? {} : { description }),
  }));

/** A valid body with one to three fields removed, replaced by random JSON or awkward text, or nudged. */
const brokenCreateBody = fc
  .tuple(
    validCreateBody,
    fc.array(
      fc.tuple(
        fc.constantFrom(
          'order_id',
          'amount',
          'payment_method',
          'bank',
          'customer_details',
          'customer_details.first_name',
          'customer_details.email',
          'customer_details.phone',
          'item_details',
          'item_details.0.price',
          'item_details.0.quantity',
          'card_token',
          'expiry_minutes',
        ),
        fc.oneof(
          fc.constant(undefined),
          fc.jsonValue({ maxDepth: 2 }),
          awkwardString,
          fc.double(),
          fc.integer(),
          fc.constantFrom(0, -1, 0.5, 2 ** 53, 1e21, '100000', null, [], {}),
        ),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([body, edits]) => {
    const copy = structuredClone(body) as Record<string, unknown>;
    for (const [path, value] of edits) {
      const keys = path.split('.');
      let target: Record<string, unknown> | undefined = copy;
      for (const key of keys.slice(0, -1)) {
        const next: unknown = target?.[key];
        target = next !== null && typeof next === 'object' ? (next as Record<string, unknown>) : undefined;
      }
      if (!target) continue;
      if (value === undefined) delete target[keys.at(-1)!];
      else target[keys.at(-1)!] = value;
    }
    return copy;
  });

const createBodyText = fc.oneof(
  { weight: 1, arbitrary: validCreateBody.map((b) => JSON.stringify(b)) },
  { weight: 25, arbitrary: brokenCreateBody.map((b) => JSON.stringify(b)) },
  { weight: 8, arbitrary: jsonText },
  { weight: 6, arbitrary: rawText },
);

/** Header values the fetch API can carry: Latin-1 without control characters. */
const headerText = fc.string({
  unit: fc
    .integer({ min: 0x20, max: 0xff })
    .filter((c) => c !== 0x7f)
    .map((c) => String.fromCharCode(c)),
  maxLength: 120,
});

const authHeaders = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Record<string, string>>({ authorization: `Bearer ${API_KEY}` }) },
  { weight: 4, arbitrary: fc.constant<Record<string, string>>({ 'x-api-key': API_KEY }) },
  { weight: 1, arbitrary: fc.constant<Record<string, string>>({}) },
  { weight: 1, arbitrary: headerText.map((v) => ({ authorization: v })) },
  { weight: 1, arbitrary: headerText.map((v) => ({ authorization: `Bearer ${v}` })) },
  { weight: 1, arbitrary: headerText.map((v) => ({ 'x-api-key': v })) },
);

const otherHeaders = fc.record(
  {
    'idempotency-key': fc.oneof(headerText, fc.constantFrom('fuzz-key-1', 'fuzz-key-2'), fc.stringMatching(/^[\x21-\x7e]{1,300}$/)),
    'content-type': fc.oneof(
      fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'),
      headerText,
    ),
    'x-request-id': headerText,
    'x-forwarded-proto': fc.constantFrom('http', 'https', 'https, http', ''),
    origin: fc.constantFrom('https://app.tiketq.com', 'null', 'https://evil.example'),
    accept: fc.constantFrom('application/json', 'text/html', '*/*'),
  },
  { requiredKeys: [] },
);

const headers = fc.tuple(authHeaders, otherHeaders).map(([auth, other]) => ({ ...other, ...auth }));

/** Path segments for payment and order ids: real ones, near-misses, unicode, raw bytes, stray "%", very long. */
const idSegment = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        () => real.pending,
        () => real.paid,
        () => 'pay-00000000000000000000000000000000',
        () => 'x',
      )
      .map((f) => f()),
  },
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9\-_~.]{1,60}$/) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 })
      .map((bytes) => bytes.map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('')),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[%0-9A-Za-z._~-]{1,20}$/) },
  { weight: 1, arbitrary: fc.integer({ min: 51, max: 8_000 }).map((n) => 'p'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      'order',
      'webhook',
      'status',
      '.',
      '..',
      '%2e%2e',
      '%2F',
      '%00',
      'a%00b',
      '%ED%A0%80',
      ';',
      ',',
      '@',
      ':',
      '$',
      '*',
    ),
  },
);

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PURGE', 'PROPFIND', 'get', 'post', 'patch'];

// Sending and checking -----------------------------------------------------------------------------------------------

/** An id that is empty or a dot segment disappears from the URL, which then names another route. */
function collapsesPath(id: string): boolean {
  let decoded = id;
  try {
    decoded = decodeURIComponent(id);
  } catch {
    // not percent-encoded text: taken as is
  }
  return decoded === '' || decoded === '.' || decoded === '..';
}

const KNOWN_STATUSES = new Set([200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429]);

/** True for a body that would start a real payment workflow (over-approximated: the key is not considered). */
function wouldCreatePayment(method: string, body: string | undefined): boolean {
  if (method.toUpperCase() !== 'POST' || body === undefined) return false;
  try {
    return createPaymentSchema.safeParse(JSON.parse(body)).success;
  } catch {
    return false;
  }
}

/** Sends one request and checks the two invariants; returns the status and parsed body for endpoint-specific checks. */
async function sendAndCheck(request: FuzzRequest): Promise<{ status: number; body: unknown }> {
  const { method, path, headers: requestHeaders } = request;
  const bodyless = ['GET', 'HEAD'].includes(method.toUpperCase());
  const body = bodyless ? undefined : request.body;
  if (wouldCreatePayment(method, body)) {
    // The budget: never more than CREATE_BUDGET real workflows from the fuzzer.
    fc.pre(createsSent < CREATE_BUDGET);
    createsSent += 1;
  }
  const response = await s.app.request(path, { method, headers: requestHeaders, body });
  const text = await response.text();
  const where = `${method} ${path.slice(0, 200)} → ${response.status} ${text.slice(0, 300)}`;

  if (response.status >= 500) throw new Error(`5xx: ${where}`);
  if (!KNOWN_STATUSES.has(response.status)) throw new Error(`undocumented status: ${where}`);
  if (response.status === 405 && !response.headers.get('allow')) throw new Error(`405 without an Allow header: ${where}`);
  if (response.status === 201 || response.status === 202) created += 1;
  seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
  if (method.toUpperCase() === 'HEAD') {
    if (text !== '') throw new Error(`HEAD with a body: ${where}`);
    return { status: response.status, body: undefined };
  }
  if (response.status === 204) return { status: response.status, body: undefined };

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Only the HTML docs page and Prometheus text are not JSON, and both are successes.
    if (response.status >= 400) throw new Error(`non-JSON error: ${where}`);
    return { status: response.status, body: text };
  }
  if (response.status >= 400) {
    if (!response.headers.get('content-type')?.startsWith('application/json'))
      throw new Error(`error without a JSON content type: ${where}`);
    const envelope = parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const keys = Object.keys(envelope ?? {});
    const errorKeys = Object.keys(envelope?.error ?? {});
    const valid =
      keys.length === 1 &&
      keys[0] === 'error' &&
      errorKeys.every((k) => ['code', 'message', 'details'].includes(k)) &&
      documentedErrorStatus(envelope.error?.code) === response.status &&
      typeof envelope.error?.message === 'string' &&
      envelope.error.message.length > 0;
    if (!valid) throw new Error(`not the error envelope: ${where}`);
  }
  return { status: response.status, body: parsed };
}

const errorCode = (body: unknown) => (body as { error?: { code?: string } }).error?.code;

function signedOddRefundAmount(): string {
  const fields = { order_id: real.webhookTarget, status_code: '200', gross_amount: '120000.00', transaction_status: 'pending' };
  const signature_key = midtransSignature(fields.order_id, fields.status_code, fields.gross_amount, SERVER_KEY);
  return JSON.stringify({ ...fields, refund_amount: { toString: [] }, signature_key });
}

// Properties ----------------------------------------------------------------------------------------------------------

describe('fuzzing the API: never a 5xx, every error in the envelope', () => {
  it('POST /payments with random, broken and occasionally valid bodies and headers', async () => {
    startCounting();
    await fc.assert(
      fc.asyncProperty(createBodyText, headers, fc.constantFrom('/payments', '/payments/'), async (body, requestHeaders, path) => {
        const { status, body: answer } = await sendAndCheck({ method: 'POST', path, headers: requestHeaders, body });
        expect([201, 202, 400, 401, 409, 413]).toContain(status);
        if (status === 201) expect(answer).toMatchObject({ status: expect.any(String), currency: 'IDR' });
        if (status === 409) expect(errorCode(answer)).toBe('IDEMPOTENCY_CONFLICT');
      }),
      { numRuns: 900 },
    );
    expect(seen.get(400)).toBeGreaterThan(100);
    expect(seen.get(401)).toBeGreaterThan(0);
    expect(created).toBeGreaterThan(0);
    expect(createsSent).toBeLessThanOrEqual(CREATE_BUDGET);
    expect(created).toBeLessThanOrEqual(createsSent);
  });

  it('GET a payment, its status and an order’s payments with random ids', async () => {
    startCounting();
    await fc.assert(
      fc.asyncProperty(
        idSegment,
        fc.constantFrom('/payments/%s', '/payments/%s/status', '/payments/order/%s'),
        fc.constantFrom('GET', 'HEAD', 'get'),
        headers,
        async (id, template, method, requestHeaders) => {
          const path = template.replace('%s', id);
          const { status } = await sendAndCheck({ method, path, headers: requestHeaders });
          // An empty or dot-segment id collapses the path onto another route (GET /payments/ is POST-only), and
          // /payments/webhook is the POST-only webhook, not a payment: 405.
          const postOnly = collapsesPath(id) || (template === '/payments/%s' && id === 'webhook');
          expect([200, 400, 401, 404, ...(postOnly ? [405] : [])]).toContain(status);
        },
      ),
      { numRuns: 700 },
    );
    expectStatusesSeen(200, 400, 401, 404);
  });

  it('POST cancel and refund with random ids and bodies, including real pending and paid payments', async () => {
    startCounting();
    const cancelOrRefundBody = fc.oneof(
      {
        weight: 2,
        arbitrary: fc
          .record(
            { amount: fc.oneof(fc.integer({ min: -10, max: 1_000_000 }), fc.double(), fc.constant(2 ** 53)), reason: awkwardString },
            { requiredKeys: [] },
          )
          .map((b) => JSON.stringify(b)),
      },
      { weight: 2, arbitrary: jsonText },
      { weight: 2, arbitrary: rawText },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
    const paymentId = fc.oneof(
      fc
        .constantFrom(
          () => real.pending,
          () => real.paid,
        )
        .map((f) => f()),
      idSegment,
    );
    await fc.assert(
      fc.asyncProperty(
        paymentId,
        fc.constantFrom('cancel', 'refund'),
        cancelOrRefundBody,
        headers,
        async (id, action, body, requestHeaders) => {
          const { status, body: answer } = await sendAndCheck({
            method: 'POST',
            path: `/payments/${id}/${action}`,
            headers: requestHeaders,
            body,
          });
          expect([200, 400, 401, 404, 409, 413, 422, ...(collapsesPath(id) ? [405] : [])]).toContain(status);
          if (status === 404) expect(['PAYMENT_NOT_FOUND', 'NOT_FOUND']).toContain(errorCode(answer));
        },
      ),
      { numRuns: 700 },
    );
    expectStatusesSeen(400, 401, 404);
    // Some requests must have got through to a real payment's workflow (done, refused as a state, or as an amount).
    expect((seen.get(200) ?? 0) + (seen.get(409) ?? 0) + (seen.get(422) ?? 0)).toBeGreaterThan(0);
  });

  it('POST /payments/webhook with random bodies, near-miss signatures and correctly signed notifications', async () => {
    startCounting();
    // Mostly well-formed fields, so that many signed notifications get past validation to the signature and the workflow.
    const usually = (wellFormed: fc.Arbitrary<string>) =>
      fc.oneof({ weight: 4, arbitrary: wellFormed }, { weight: 1, arbitrary: awkwardString });
    const notification = fc.record(
      {
        order_id: usually(
          fc
            .constantFrom(
              () => real.webhookTarget,
              () => 'pay-00000000000000000000000000000000',
            )
            .map((f) => f()),
        ),
        status_code: usually(fc.constantFrom('200', '201', '202', '407', '412')),
        gross_amount: usually(fc.constantFrom('120000.00', '120000', '1.00', '0.00', '-1')),
        transaction_status: usually(
          fc.constantFrom('pending', 'settlement', 'capture', 'deny', 'cancel', 'expire', 'refund', 'partial_refund', 'chargeback'),
        ),
        fraud_status: usually(fc.constantFrom('accept', 'challenge', 'deny')),
        transaction_id: fc.oneof(fc.uuid(), awkwardString),
        refund_amount: fc.oneof(fc.constantFrom('1000.00', '999999999.00'), fc.jsonValue()),
        extra: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: ['order_id', 'status_code', 'gross_amount', 'transaction_status'] },
    );
    const signed = fc
      .tuple(notification, fc.constantFrom('right', 'upper', 'flipped', 'random', 'missing', 'other-key'))
      .map(([n, kind]) => {
        const sign = (key: string) => midtransSignature(String(n.order_id), String(n.status_code), String(n.gross_amount), key);
        const right = sign(SERVER_KEY);
        const signatureKey = {
          right,
          upper: right.toUpperCase(),
          flipped: `${right.slice(0, 10)}${right[10] === '0' ? '1' : '0'}${right.slice(11)}`,
          random: undefined,
          missing: undefined,
          'other-key': sign('SB-Mid-server-someone-else'),
        }[kind];
        return JSON.stringify(
          kind === 'random' ? { ...n, signature_key: 'ab'.repeat(64) } : { ...n, ...(signatureKey ? { signature_key: signatureKey } : {}) },
        );
      });
    const webhookBody = fc.oneof({ weight: 4, arbitrary: signed }, { weight: 2, arbitrary: jsonText }, { weight: 2, arbitrary: rawText });
    const outcomes = new Set<string>();

    await fc.assert(
      fc.asyncProperty(webhookBody, headers, async (body, requestHeaders) => {
        const { status, body: answer } = await sendAndCheck({ method: 'POST', path: '/payments/webhook', headers: requestHeaders, body });
        // 429: the payment's hourly budget of new notifications spent by the fuzzer's own signed variations.
        expect([200, 400, 401, 404, 413, 429]).toContain(status);
        if (status === 401) expect(errorCode(answer)).toBe('INVALID_SIGNATURE');
        if (status === 429) expect(errorCode(answer)).toBe('TOO_MANY_NOTIFICATIONS');
        if (status === 404) expect(errorCode(answer)).toBe('PAYMENT_NOT_FOUND');
        if (status === 200) {
          const outcome = (answer as { status: string }).status;
          expect(['accepted', 'duplicate']).toContain(outcome);
          outcomes.add(outcome);
        }
      }),
      // Found by this property in CI: a signed body whose refund_amount is an object with a toString that is not a function.
      { numRuns: 700, examples: [[signedOddRefundAmount(), { authorization: `Bearer ${API_KEY}` }]] },
    );
    expectStatusesSeen(200, 400, 401, 404);
    // The signed branch must really have been stored for its workflow, or this property proved less than it claims.
    expect(outcomes.has('accepted')).toBe(true);
  });

  it('random methods, paths and headers anywhere', async () => {
    startCounting();
    const path = fc.oneof(
      fc.constantFrom(
        '/',
        '/health',
        '/ready',
        '/metrics',
        '/openapi.json',
        '/docs',
        '/docs/',
        '/docs/assets/init.js',
        '/payments',
        '/payments/webhook',
      ),
      fc.array(idSegment, { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`),
      fc.array(idSegment, { minLength: 1, maxLength: 3 }).map((segments) => `/payments/${segments.join('/')}`),
      fc.tuple(idSegment, headerText).map(([id, query]) => `/payments/${id}?${encodeURIComponent(query)}`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHODS),
        path,
        headers,
        fc.option(fc.oneof(jsonText, rawText), { nil: undefined }),
        async (method, p, requestHeaders, body) => {
          await sendAndCheck({ method, path: p, headers: requestHeaders, body });
        },
      ),
      { numRuns: 700 },
    );
    expectStatusesSeen(200, 204, 400, 401, 404);
    expect(createsSent).toBeLessThanOrEqual(CREATE_BUDGET);
  });
});
