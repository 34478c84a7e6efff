import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app';
import { purgeExpiredIdempotencyKeys } from '../../src/db/idempotency';
import { createPaymentBody } from '../support/fixtures';
import { callApi, serveOverHttp, startService, type Service } from '../support/service-harness';

/**
 * Attack 3 of issue 11 (a retried refund refunds twice) and the Idempotency-Key half of attack 8 (keys were global and
 * kept forever), end to end over HTTP: the money that moves is counted at the Midtrans simulator.
 */

let s: Service;
/**
 * What Midtrans, or what stands in front of it, answers for a while (`whileMidtrans`): a rotated server key refuses
 * every refund and cancel with 401; a proxy or firewall refuses every refund with a bare HTTP 401 or 403; Midtrans
 * rejects every refund for the order (414) in an HTTP 200, as it may: the code is in the body.
 */
type MidtransFault = 'server key rotated' | 'refunds rejected' | 401 | 403;
let fault: MidtransFault | undefined;
const json = (body: unknown, status: number) => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));
const midtransFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const refund = url.pathname.endsWith('/refund');
  if ((fault === 401 || fault === 403) && refund) {
    return Promise.resolve(new Response('<html><body>Access denied</body></html>', { status: fault, headers: { 'content-type': 'text/html' } }));
  }
  if (fault === 'refunds rejected' && refund) return json({ status_code: '414', status_message: 'Refund request is rejected' }, 200);
  if (fault === 'server key rotated' && /\/(refund|cancel)$/.test(url.pathname)) {
    return json({ status_code: '401', status_message: 'Unknown Merchant server_key/id' }, 401);
  }
  return fetch(input, init);
};
/** `call`'s answer while Midtrans answers with `midtransFault`. */
async function whileMidtrans<T>(midtransFault: MidtransFault, call: () => Promise<T>): Promise<T> {
  fault = midtransFault;
  try {
    return await call();
  } finally {
    fault = undefined;
  }
}
beforeAll(async () => {
  s = await startService({ midtransFetch });
});
afterAll(() => s?.close());

interface MidtransTransaction {
  transaction: { transaction_status: string; refund_amount?: string; refunds?: { refund_amount: string }[] };
  history: { status: string }[];
}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The update id API instances from before idempotency_keys.update_id send for a key: from (caller, key) only. */
const olderInstancesUpdateId = (caller: string, key: string) => `idempotency-${sha256(`${caller}\n${key}`).slice(0, 32)}`;
const atMidtrans = async (paymentId: string) =>
  (await (await fetch(`${s.simulator.url}/_simulator/transactions/${paymentId}`)).json()) as MidtransTransaction;


describe('attack 3: a retried refund or cancel moves money once', () => {
  it('two identical 30,000 refunds with one Idempotency-Key (at once, then a late retry) refund 30,000 once at Midtrans', async () => {
    const id = await s.paidPayment(100_000);
    const key = `refund-${randomUUID()}`;
    const refund = () => s.api('POST', `/payments/${id}/refund`, { amount: 30_000, reason: 'one seat' }, { 'idempotency-key': key });

    const [first, concurrent] = await Promise.all([refund(), refund()]);
    const retried = await refund();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'partially_refunded', refunded_amount: 30_000 });
    for (const again of [concurrent, retried]) {
      expect(again.status).toBe(first.status);
      expect(again.body).toEqual(first.body);
    }
    const midtrans = await atMidtrans(id);
    expect(midtrans.transaction.refunds?.map((r) => r.refund_amount)).toEqual(['30000.00']);
    expect((await s.api('GET', `/payments/${id}`)).body).toMatchObject({ refunded_amount: 30_000, refunds: [{ amount: 30_000 }] });

    // The key is bound to its request: another body, another endpoint or another payment is a conflict, not a refund.
    const otherAmount = await s.api('POST', `/payments/${id}/refund`, { amount: 20_000, reason: 'one seat' }, { 'idempotency-key': key });
    expect(otherAmount.status).toBe(409);
    expect(otherAmount.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    const otherEndpoint = await s.api('POST', `/payments/${id}/cancel`, {}, { 'idempotency-key': key });
    expect(otherEndpoint.body.error?.code).toBe('IDEMPOTENCY_CONFLICT');
    const otherPayment = await s.paidPayment(50_000);
    const elsewhere = await s.api('POST', `/payments/${otherPayment}/refund`, { amount: 30_000, reason: 'one seat' }, { 'idempotency-key': key });
    expect(elsewhere.body.error?.code).toBe('IDEMPOTENCY_CONFLICT');
    expect((await atMidtrans(otherPayment)).transaction.refunds ?? []).toEqual([]);

    // A new key is a new refund.
    const second = await s.api('POST', `/payments/${id}/refund`, { amount: 30_000, reason: 'one seat' }, { 'idempotency-key': `${key}-2` });
    expect(second.body).toMatchObject({ status: 'partially_refunded', refunded_amount: 60_000 });
    expect((await atMidtrans(id)).transaction.refunds?.map((r) => r.refund_amount)).toEqual(['30000.00', '30000.00']);
  });

  it('a retry reaching an API instance that has no stored answer (the first one died before storing it) still refunds once', async () => {
    const id = await s.paidPayment(100_000);
    const key = `refund-${randomUUID()}`;
    const body = { amount: 30_000, reason: 'one seat' };
    const first = await s.api('POST', `/payments/${id}/refund`, body, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    await s.eventually(
      () => s.db.$queryRaw<{ status: number | null }[]>`select response_status as status from idempotency_keys where key = ${key}`,
      ([row]) => row?.status === 200,
    );
    await s.db.$executeRaw`update idempotency_keys set response_status = null, response_body = null where key = ${key}`;

    // Another API process: nothing in memory, nothing stored; only the update id tells Temporal it is the same refund.
    const served = await serveOverHttp(createApp(s.dependencies));
    try {
      const retried = await callApi(served.url, 'POST', `/payments/${id}/refund`, body, { 'idempotency-key': key });
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ status: 'partially_refunded', refunded_amount: 30_000 });
    } finally {
      await served.close();
    }
    expect((await atMidtrans(id)).transaction.refunds?.map((r) => r.refund_amount)).toEqual(['30000.00']);
  });

  it('a refund Midtrans refused for good (a rotated server key) is 502 MIDTRANS_UNAVAILABLE, final for its key, moving nothing; once fixed, a new key refunds once', async () => {
    const id = await s.paidPayment(100_000);
    const key = `refund-${randomUUID()}`;
    const refund = () => s.api('POST', `/payments/${id}/refund`, { amount: 40_000, reason: 'one seat' }, { 'idempotency-key': key });
    const refused = await whileMidtrans('server key rotated', refund);
    expect(refused.status, JSON.stringify(refused.body)).toBe(502);
    expect(refused.body.error.code).toBe('MIDTRANS_UNAVAILABLE');
    // Not a refusal that passes on its own: no Retry-After.
    expect(refused.headers.get('retry-after')).toBeNull();
    await expect(atMidtrans(id)).resolves.toMatchObject({ transaction: { transaction_status: 'settlement' } });

    // The server key is fixed. The key's answer is final, kept in PostgreSQL: its retry is answered from there, and
    // its update is never sent again (in a later run of the workflow, after continue-as-new, Temporal would no longer
    // know its id and would run it again). The request again with a new key refunds, once.
    const sameKey = await refund();
    expect(sameKey.status).toBe(502);
    expect(sameKey.body).toEqual(refused.body);
    expect(sameKey.headers.get('idempotent-replayed')).toBe('true');
    expect((await atMidtrans(id)).transaction.refunds ?? []).toEqual([]);
    const newKey = await s.api('POST', `/payments/${id}/refund`, { amount: 40_000, reason: 'one seat' }, { 'idempotency-key': `refund-${randomUUID()}` });
    expect(newKey.status, JSON.stringify(newKey.body)).toBe(200);
    expect(newKey.body).toMatchObject({ status: 'partially_refunded', refunded_amount: 40_000 });
    const midtrans = await atMidtrans(id);
    expect(midtrans.transaction.refunds?.map((r) => r.refund_amount)).toEqual(['40000.00']);
  });

  it.each([
    ['PostgreSQL unreachable', () => Object.assign(new Error("Can't reach database server"), { name: 'DriverAdapterError', cause: { kind: 'DatabaseNotReachable' } })],
    ['any other failure of the write', () => new Error('the statement failed')],
  ])("a refund's final 502 that could not be kept (%s) is answered as an outage (503, Retry-After): the key's retry gets the 502, kept", async (_why, storeError) => {
    const id = await s.paidPayment(80_000);
    const key = `refund-${randomUUID()}`;
    // The API's database refuses to store the key's answer, as PostgreSQL down at that moment would.
    let storesFail = true;
    const db = new Proxy(s.dependencies.db, {
      get(target, property, receiver) {
        if (property !== '$executeRaw') return Reflect.get(target, property, receiver) as unknown;
        return (strings: TemplateStringsArray, ...values: unknown[]) =>
          storesFail && strings.join('?').includes('set response_status') ? Promise.reject(storeError()) : target.$executeRaw(strings, ...values);
      },
    });
    const served = await serveOverHttp(createApp({ ...s.dependencies, db }));
    const refund = () => callApi(served.url, 'POST', `/payments/${id}/refund`, { amount: 20_000 }, { 'idempotency-key': key });
    try {
      const unkept = await whileMidtrans('server key rotated', refund);
      expect(unkept.status, JSON.stringify(unkept.body)).toBe(503);
      expect(unkept.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(unkept.headers.get('retry-after')).not.toBeNull();
      storesFail = false;
      // The same update again: Temporal answers it with its outcome (this run), which is kept now.
      const answered = await refund();
      expect(answered.status, JSON.stringify(answered.body)).toBe(502);
      expect(answered.body.error.code).toBe('MIDTRANS_UNAVAILABLE');
      expect((await refund()).headers.get('idempotent-replayed')).toBe('true');
      expect((await atMidtrans(id)).transaction.refunds ?? []).toEqual([]);
    } finally {
      await served.close();
    }
  });

  it.each([401, 403] as const)('a refund refused by a bare HTTP %d in front of Midtrans is 502 MIDTRANS_UNAVAILABLE, not a refusal of the order', async (status) => {
    const id = await s.paidPayment(60_000);
    const refused = await whileMidtrans(status, () => s.api('POST', `/payments/${id}/refund`, { amount: 10_000 }, { 'idempotency-key': `refund-${randomUUID()}` }));
    expect(refused.status, JSON.stringify(refused.body)).toBe(502);
    expect(refused.body.error.code).toBe('MIDTRANS_UNAVAILABLE');
    expect((await atMidtrans(id)).transaction.refunds ?? []).toEqual([]);
  });

  it('a refund Midtrans rejects for the order (414) is answered 422 MIDTRANS_REFUND_REJECTED and kept for its key: the retry gets it again, replayed', async () => {
    const id = await s.paidPayment(100_000);
    const key = `refund-${randomUUID()}`;
    const refund = () => s.api('POST', `/payments/${id}/refund`, { amount: 10_000 }, { 'idempotency-key': key });
    const rejected = await whileMidtrans('refunds rejected', refund);
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(422);
    expect(rejected.body.error.code).toBe('MIDTRANS_REFUND_REJECTED');
    expect(rejected.headers.get('idempotent-replayed')).toBeNull();
    // Midtrans would take it now, but the key's answer is final: the same status and body, marked as replayed.
    const replayed = await refund();
    expect(replayed.status).toBe(422);
    expect(replayed.body).toEqual(rejected.body);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect((await atMidtrans(id)).transaction.refunds ?? []).toEqual([]);
    expect((await s.api('GET', `/payments/${id}`)).body).toMatchObject({ status: 'success', refunded_amount: 0 });
  });

  it('a partial refund of a ShopeePay payment is 422 PARTIAL_REFUND_NOT_SUPPORTED and moves nothing; the whole amount refunds', async () => {
    const id = await s.paidPayment(75_000, 'shopeepay');
    const partial = await s.api('POST', `/payments/${id}/refund`, { amount: 25_000 }, { 'idempotency-key': `refund-${randomUUID()}` });
    expect(partial.status, JSON.stringify(partial.body)).toBe(422);
    expect(partial.body.error.code).toBe('PARTIAL_REFUND_NOT_SUPPORTED');
    expect((await atMidtrans(id)).transaction.refunds ?? []).toEqual([]);
    const whole = await s.api('POST', `/payments/${id}/refund`, {}, { 'idempotency-key': `refund-${randomUUID()}` });
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    expect(whole.body).toMatchObject({ status: 'refunded', refunded_amount: 75_000 });
  });

  it('a request refused before its key is claimed (400, 404) leaves the key unused: the key then does its own request', async () => {
    const id = await s.paidPayment(100_000);
    const key = `refund-${randomUUID()}`;
    const invalid = await s.api('POST', `/payments/${id}/refund`, { amount: -5 }, { 'idempotency-key': key });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('VALIDATION_FAILED');
    const unknown = await s.api('POST', '/payments/pay-00000000000000000000000000000000/refund', { amount: 5_000 }, { 'idempotency-key': key });
    expect(unknown.status).toBe(404);
    // Neither bound the key: here it is a first request, not a conflict with either of them.
    const refunded = await s.api('POST', `/payments/${id}/refund`, { amount: 5_000 }, { 'idempotency-key': key });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);
    expect(refunded.body).toMatchObject({ refunded_amount: 5_000 });
  });

  it('a cancel Midtrans refused for good is 502 MIDTRANS_UNAVAILABLE and cancels nothing; once fixed, a new key cancels', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody());
    expect(created.status).toBe(201);
    const id: string = created.body.payment_id;
    const key = `cancel-${randomUUID()}`;
    const cancel = () => s.api('POST', `/payments/${id}/cancel`, { reason: 'changed plans' }, { 'idempotency-key': key });
    const refused = await whileMidtrans('server key rotated', cancel);
    expect(refused.status, JSON.stringify(refused.body)).toBe(502);
    expect(refused.body.error.code).toBe('MIDTRANS_UNAVAILABLE');
    expect((await cancel()).headers.get('idempotent-replayed')).toBe('true');
    expect((await atMidtrans(id)).transaction.transaction_status).toBe('pending');
    const retried = await s.api('POST', `/payments/${id}/cancel`, { reason: 'changed plans' }, { 'idempotency-key': `cancel-${randomUUID()}` });
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body).toMatchObject({ payment_id: id, status: 'canceled' });
    expect((await atMidtrans(id)).transaction.transaction_status).toBe('cancel');
  });

  it('a cancel retried with its Idempotency-Key answers the first answer again; Midtrans cancels once', async () => {
    const created = await s.api('POST', '/payments', createPaymentBody());
    const id: string = created.body.payment_id;
    const key = `cancel-${randomUUID()}`;
    const cancel = () => s.api('POST', `/payments/${id}/cancel`, { reason: 'changed plans' }, { 'idempotency-key': key });

    const [first, concurrent] = await Promise.all([cancel(), cancel()]);
    const retried = await cancel();
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ payment_id: id, status: 'canceled' });
    for (const again of [concurrent, retried]) {
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
    }
    expect((await atMidtrans(id)).history.filter((h) => h.status === 'cancel')).toHaveLength(1);
    const otherReason = await s.api('POST', `/payments/${id}/cancel`, { reason: 'another reason' }, { 'idempotency-key': key });
    expect(otherReason.status).toBe(409);
    expect(otherReason.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
  });
});

describe('attack 8: Idempotency-Keys belong to one caller and expire', () => {
  const CALLER_A = `caller-a-${randomUUID()}`;
  const CALLER_B = `caller-b-${randomUUID()}`;
  const as = (caller: string, key: string) => ({ authorization: `Bearer ${caller}`, 'idempotency-key': key });

  it("a key used by caller A is invisible to caller B: B's request with A's key and body is B's own payment", async () => {
    const served = await serveOverHttp(createApp({ ...s.dependencies, config: { ...s.dependencies.config, API_KEYS: [CALLER_A, CALLER_B] } }));
    try {
      const key = `shared-${randomUUID()}`;
      const body = createPaymentBody();
      const a = await callApi(served.url, 'POST', '/payments', body, as(CALLER_A, key));
      const b = await callApi(served.url, 'POST', '/payments', body, as(CALLER_B, key));
      expect(a.status).toBe(201);
      expect(b.status).toBe(201);
      expect(b.body.payment_id).not.toBe(a.body.payment_id);
      // Another body under the same key is B's own request too, not a conflict with A's.
      const bOther = await callApi(served.url, 'POST', '/payments', createPaymentBody(), as(CALLER_B, `${key}-other`));
      const aOther = await callApi(served.url, 'POST', '/payments', createPaymentBody(), as(CALLER_A, `${key}-other`));
      expect([bOther.status, aOther.status]).toEqual([201, 201]);
      expect(aOther.body.payment_id).not.toBe(bOther.body.payment_id);
      // Each caller's retry still finds its own payment.
      expect((await callApi(served.url, 'POST', '/payments', body, as(CALLER_A, key))).body.payment_id).toBe(a.body.payment_id);
      expect((await callApi(served.url, 'POST', '/payments', body, as(CALLER_B, key))).body.payment_id).toBe(b.body.payment_id);

      // Callers are stored as fingerprints, never as the API key itself.
      const rows = await s.db.$queryRaw<{ caller: string }[]>`select caller from idempotency_keys where key = ${key}`;
      expect(new Set(rows.map((r) => r.caller)).size).toBe(2);
      expect(rows.some((r) => r.caller.includes(CALLER_A) || r.caller.includes(CALLER_B))).toBe(false);
    } finally {
      await served.close();
    }
  });

  it('a key past its TTL no longer binds its request and is purged', async () => {
    const reused = `ttl-reused-${randomUUID()}`;
    const forgotten = `ttl-forgotten-${randomUUID()}`;
    const first = await s.api('POST', '/payments', createPaymentBody(), { 'idempotency-key': reused });
    await s.api('POST', '/payments', createPaymentBody(), { 'idempotency-key': forgotten });
    const kept = `ttl-kept-${randomUUID()}`;
    await s.api('POST', '/payments', createPaymentBody(), { 'idempotency-key': kept });
    await s.db.$executeRaw`update idempotency_keys set created_at = now() - interval '25 hours', expires_at = now() - interval '1 hour',
      purge_after = now() - interval '1 hour' where key in (${reused}, ${forgotten})`;

    // An expired key is free again: another body is a new payment, not IDEMPOTENCY_CONFLICT.
    const again = await s.api('POST', '/payments', createPaymentBody(), { 'idempotency-key': reused });
    expect(again.status).toBe(201);
    expect(again.body.payment_id).not.toBe(first.body.payment_id);

    // Expired rows nobody reuses are deleted by the purge that a later claim starts (a fresh API process runs it at once).
    const served = await serveOverHttp(createApp(s.dependencies));
    try {
      expect((await callApi(served.url, 'POST', '/payments', createPaymentBody(), { 'idempotency-key': `ttl-trigger-${randomUUID()}` })).status).toBe(201);
      const count = (key: string) =>
        s.db.$queryRaw<{ n: number }[]>`select count(*)::int as n from idempotency_keys where key = ${key}`.then(([row]) => row!.n);
      await s.eventually(() => count(forgotten), (n) => n === 0, 10_000);
      expect(await count(kept)).toBe(1);
    } finally {
      await served.close();
    }
  });

  it.each([
    ['while its expired row is still there', false],
    // What the API does once a minute, and the request-records retention job daily.
    ['after the purge has run', true],
  ])('a refund key reused past its TTL for another refund of the same payment is a new refund, %s', async (_when, purged) => {
    const id = await s.paidPayment(100_000);
    const key = `ttl-refund-${randomUUID()}`;
    const first = await s.api('POST', `/payments/${id}/refund`, { amount: 30_000, reason: 'one seat' }, { 'idempotency-key': key });
    expect(first.body).toMatchObject({ refunded_amount: 30_000 });
    await s.db.$executeRaw`update idempotency_keys set created_at = now() - interval '25 hours', expires_at = now() - interval '1 hour'
      where key = ${key}`;
    if (purged) await purgeExpiredIdempotencyKeys(s.db);

    // The payment's workflow still runs, and Temporal still knows the first request's update: the new one must not be it.
    const second = await s.api('POST', `/payments/${id}/refund`, { amount: 20_000, reason: 'another seat' }, { 'idempotency-key': key });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ refunded_amount: 50_000 });
    expect((await atMidtrans(id)).transaction.refunds?.map((r) => r.refund_amount)).toEqual(['30000.00', '20000.00']);
  });

  it('a refund key reused once its refund window and a day have passed, the payment\'s workflow still open for a retrying delivery, does not get the first refund\'s answer', async () => {
    const id = await s.paidPayment(100_000);
    const key = `past-window-${randomUUID()}`;
    const first = await s.api('POST', `/payments/${id}/refund`, { amount: 30_000, reason: 'one seat' }, { 'idempotency-key': key });
    expect(first.body).toMatchObject({ refunded_amount: 30_000 });
    // A workflow closes only once its downstream deliveries have settled, up to 7 days after its window: the row is
    // aged as if REFUND_WINDOW_DAYS + 1 days had passed while a delivery still retried.
    const aged = `${s.dependencies.config.REFUND_WINDOW_DAYS + 1} days 1 hour`;
    await s.db.$executeRaw`update idempotency_keys set created_at = created_at - ${aged}::interval, expires_at = expires_at - ${aged}::interval,
      purge_after = purge_after - ${aged}::interval where key = ${key}`;
    await purgeExpiredIdempotencyKeys(s.db);

    // Temporal still answers the first refund's update id: sent again, it would say 200 and refund nothing. (The window
    // here is open in real time, so the new request is a new refund; at that age the workflow would refuse it, 409.)
    const second = await s.api('POST', `/payments/${id}/refund`, { amount: 20_000, reason: 'another seat' }, { 'idempotency-key': key });
    expect(second.body).not.toEqual(first.body);
    expect(second.body).toMatchObject({ refunded_amount: 50_000 });
    expect((await atMidtrans(id)).transaction.refunds?.map((r) => r.refund_amount)).toEqual(['30000.00', '20000.00']);
  });

  it('a refund claimed before update ids were stored (in flight over the deploy) is retried under the update id it was sent with', async () => {
    const id = await s.paidPayment(100_000);
    const key = `legacy-claim-${randomUUID()}`;
    const body = { amount: 30_000, reason: 'one seat' };
    // The caller's fingerprint as the API stores it, from a key this caller used.
    const probeKey = `probe-${randomUUID()}`;
    await s.api('POST', '/payments', createPaymentBody(), { 'idempotency-key': probeKey });
    const [probe] = await s.db.$queryRaw<{ caller: string }[]>`select caller from idempotency_keys where key = ${probeKey}`;
    const caller = probe!.caller;
    // What the API before the update_id column did: the update under an id from (caller, key), and a claim with no
    // answer yet (its request answered 504 UPDATE_PENDING, say).
    await s.dependencies.workflows.refund(id, body, olderInstancesUpdateId(caller, key));
    await s.db.$executeRaw`insert into idempotency_keys (caller, key, endpoint, request_hash, payment_id, created_at, expires_at, purge_after)
      values (${caller}, ${key}, 'POST /payments/{payment_id}/refund', ${sha256(JSON.stringify(body))}, ${id},
        now() at time zone 'utc', (now() at time zone 'utc') + interval '1 hour', (now() at time zone 'utc') + interval '1 hour')`;

    const retried = await s.api('POST', `/payments/${id}/refund`, body, { 'idempotency-key': key });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ refunded_amount: 30_000 });
    expect((await atMidtrans(id)).transaction.refunds?.map((r) => r.refund_amount)).toEqual(['30000.00']);
  });

  it('a first claim of a key sends the update id API instances before update_id send, so a retry reaching one during a rolling deploy is the same update', async () => {
    const id = await s.paidPayment(100_000);
    const key = `rolling-${randomUUID()}`;
    const first = await s.api('POST', `/payments/${id}/refund`, { amount: 30_000, reason: 'one seat' }, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    const [row] = await s.db.$queryRaw<{ caller: string; update_id: string | null }[]>`select caller, update_id from idempotency_keys where key = ${key}`;
    const olderInstancesId = olderInstancesUpdateId(row!.caller, key);
    expect(row!.update_id ?? olderInstancesId).toBe(olderInstancesId);
    // The older instance's retry (its stored answer not there yet) is the same update: Temporal answers it, no refund.
    await s.dependencies.workflows.refund(id, { amount: 30_000, reason: 'one seat' }, olderInstancesId);
    expect((await atMidtrans(id)).transaction.refunds?.map((r) => r.refund_amount)).toEqual(['30000.00']);
  });
});
