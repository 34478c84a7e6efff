import { isDeepStrictEqual } from 'node:util';
import type { ReceivedCall } from '../../../scripts/local-stack/downstream-receiver';
import { mulberry32, type FaultConfigInput } from '../../../simulator/faults';
import { API_KEY, SEED } from './config';
import type { ChaosStack } from './stack';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers of the API and the simulator, read loosely */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The suite's own deterministic choices use the simulator's fault dice (mulberry32). */
export const prng = (seed = SEED): (() => number) => mulberry32(seed);

export async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError ? ` (last error: ${String(lastError)})` : ` (last: ${JSON.stringify(last)?.slice(0, 1_500)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(everyMs);
  }
}

/** Runs `task` over `items` with at most `limit` at once; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!, index);
      }
    }),
  );
  return results;
}

export interface HttpAnswer {
  status: number;
  body: any;
  /** Set when no HTTP answer came back at all (connection refused, reset, client timeout). */
  error?: string;
}

export async function http(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<HttpAnswer> {
  const { timeoutMs = 120_000, ...rest } = init;
  try {
    const response = await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body };
  } catch (error) {
    return { status: 0, body: null, error: String((error as Error).cause ?? error) };
  }
}

export function apiClient(stack: ChaosStack) {
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs?: number) =>
    http(`${stack.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      timeoutMs,
    });
}

/** The simulator's control API: its own records and the customer's actions. */
export function simulatorClient(stack: ChaosStack) {
  const base = `${stack.sim.url}/_simulator`;
  return {
    /** GET /_simulator/transactions/{id}: the transaction, its notifications and chargeAttempts; null if Midtrans never saw the order. */
    async transaction(id: string): Promise<any | null> {
      const answer = await http(`${base}/transactions/${id}`);
      if (answer.status === 404) return null;
      if (answer.status !== 200) throw new Error(`simulator answered ${answer.status} for ${id}`);
      return answer.body;
    },
    async act(id: string, action: 'pay' | 'deny' | 'expire' | 'cancel' | 'notify'): Promise<HttpAnswer> {
      return http(`${base}/transactions/${id}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    },
    async faults(config: FaultConfigInput): Promise<void> {
      const answer = await http(`${base}/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(config),
      });
      if (answer.status !== 200) throw new Error(`faults not accepted: ${JSON.stringify(answer.body)}`);
    },
    async stats(): Promise<any> {
      return (await http(`${base}/stats`)).body;
    },
  };
}

export type SimulatorClient = ReturnType<typeof simulatorClient>;

let orderCounter = 0;
/** A valid POST /payments body. */
export function paymentBody(options: { method?: string; bank?: string; amount?: number; userId?: string | null; tag: string }) {
  orderCounter += 1;
  const { method = 'bank_transfer', amount = 150_000, tag } = options;
  const bank = method === 'bank_transfer' ? (options.bank ?? 'bca') : undefined;
  return {
    order_id: `CHAOS-${tag}-${Date.now().toString(36)}-${orderCounter}`,
    amount,
    payment_method: method,
    ...(bank ? { bank } : {}),
    customer_details: { first_name: 'Chaos', last_name: 'Monkey', email: 'chaos@example.com', phone: '+6281234567890' },
    item_details: [{ id: 'CGK-DPS', price: amount, quantity: 1, name: 'Flight Jakarta-Bali' }],
    description: `chaos suite ${tag}`,
    ...(options.userId === null ? {} : { user_id: options.userId ?? `chaos-user-${orderCounter % 7}` }),
  };
}

/** Midtrans status → the status our payment must end in. */
export function expectedStatusFor(midtransStatus: string | undefined): string | undefined {
  switch (midtransStatus) {
    case 'settlement':
    case 'capture':
      return 'success';
    case 'cancel':
      return 'canceled';
    case 'expire':
      return 'expired';
    case 'deny':
    case 'failure':
      return 'failed';
    case 'refund':
      return 'refunded';
    case 'partial_refund':
      return 'partially_refunded';
    default:
      return undefined;
  }
}

// The read model, read directly (never through the API) ---------------------------------------------------------------

export interface PaymentRow {
  id: string;
  status: string;
  amount: number;
  refunded_amount: number;
  user_id: string | null;
}

export async function paymentRows(stack: ChaosStack, ids: readonly string[]): Promise<Map<string, PaymentRow>> {
  const { rows } = await stack.db.query<PaymentRow>(
    'select id, status, amount::float8 as amount, refunded_amount::float8 as refunded_amount, user_id from payments where id = any($1)',
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

export interface EventRow {
  payment_id: string;
  event_key: string;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  source: string;
  detail: any;
}

export async function eventRows(stack: ChaosStack, ids: readonly string[]): Promise<Map<string, EventRow[]>> {
  const { rows } = await stack.db.query<EventRow>(
    'select payment_id, event_key, kind, from_status, to_status, source, detail from payment_events where payment_id = any($1) order by occurred_at, id',
    [ids],
  );
  const byPayment = new Map<string, EventRow[]>(ids.map((id) => [id, []]));
  for (const row of rows) byPayment.get(row.payment_id)?.push(row);
  return byPayment;
}

export async function waitForStatuses(
  stack: ChaosStack,
  expected: ReadonlyMap<string, string>,
  timeoutMs: number,
  what = 'payments to reach their final status',
): Promise<Map<string, PaymentRow>> {
  const ids = [...expected.keys()];
  return eventually(
    `${what} (${ids.length})`,
    () => paymentRows(stack, ids),
    (rows) => ids.every((id) => rows.get(id)?.status === expected.get(id)),
    timeoutMs,
    500,
  ).catch(async (error: unknown) => {
    const rows = await paymentRows(stack, ids).catch(() => new Map<string, PaymentRow>());
    const wrong = ids
      .filter((id) => rows.get(id)?.status !== expected.get(id))
      .map((id) => `${id}: ${rows.get(id)?.status ?? 'missing'} ≠ ${expected.get(id)}`);
    throw new Error(`${String(error).slice(0, 300)}; not there: ${wrong.slice(0, 10).join('; ')}`);
  });
}

// Temporal's own record ------------------------------------------------------------------------------------------------

export async function history(stack: ChaosStack, paymentId: string) {
  return stack.temporal.workflow.getHandle(`payment-${paymentId}`).fetchHistory();
}

/** Facts from a payment workflow's history: signals received, and the last attempt number of its charge activity. */
export async function historyFacts(
  stack: ChaosStack,
  paymentId: string,
): Promise<{ signals: number; chargeAttempt: number; events: number }> {
  const events = (await history(stack, paymentId)).events ?? [];
  const scheduled = new Map<string, string>();
  let signals = 0;
  let chargeAttempt = 0;
  for (const event of events) {
    if (event.workflowExecutionSignaledEventAttributes) signals += 1;
    const s = event.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(event.eventId), s.activityType?.name ?? '');
    const started = event.activityTaskStartedEventAttributes;
    if (started && scheduled.get(String(started.scheduledEventId)) === 'chargePayment')
      chargeAttempt = Math.max(chargeAttempt, started.attempt ?? 1);
  }
  return { signals, chargeAttempt, events: events.length };
}

/**
 * Whether a workflow has finished reacting to everything it received: no workflow task is scheduled since its last
 * completed one (a signal, update, activity result or fired timer schedules one), and every activity it scheduled
 * has closed. Timers may still be running: they are the workflow waiting, not reacting. The events a completed task
 * writes after itself are its commands (activities and timers started, search attributes), not new input.
 */
export async function isAtRest(stack: ChaosStack, paymentId: string): Promise<boolean> {
  const events = (await history(stack, paymentId)).events ?? [];
  const open = new Set<string>();
  let taskPending = false;
  for (const event of events) {
    if (event.workflowTaskScheduledEventAttributes) taskPending = true;
    if (event.workflowTaskCompletedEventAttributes) taskPending = false;
    if (event.activityTaskScheduledEventAttributes) open.add(String(event.eventId));
    const closed =
      event.activityTaskCompletedEventAttributes ??
      event.activityTaskFailedEventAttributes ??
      event.activityTaskTimedOutEventAttributes ??
      event.activityTaskCanceledEventAttributes;
    if (closed) open.delete(String(closed.scheduledEventId));
  }
  return !taskPending && open.size === 0;
}

/** Waits until every workflow has handled all it received (see isAtRest): absence checks come after this. */
export async function waitUntilAtRest(stack: ChaosStack, paymentIds: readonly string[], timeoutMs: number): Promise<void> {
  await eventually(
    `${paymentIds.length} workflow(s) to finish handling what they received`,
    () => pool(paymentIds, 4, (id) => isAtRest(stack, id)),
    (atRest) => atRest.every(Boolean),
    timeoutMs,
  );
}

// The downstream receiver's own record ---------------------------------------------------------------------------------

export function expectedDownstreamKeys(paymentId: string, status: string, userId: string | null, refunds = 0): string[] {
  const keys: string[] = [];
  const both = (event: string) => [`${paymentId}:${event}:transaction-service`, ...(userId ? [`${paymentId}:${event}:user-service`] : [])];
  if (status === 'success' || status === 'partially_refunded' || status === 'refunded') keys.push(...both('success'));
  if (status === 'failed' || status === 'expired' || status === 'canceled') keys.push(`${paymentId}:${status}:transaction-service`);
  for (let n = 1; n <= refunds; n++) keys.push(...both(`refund-${n}`));
  return keys;
}

export interface DownstreamCheck {
  expectedEvents: number;
  deliveredEvents: number;
  missing: string[];
  unexpected: string[];
  calls: number;
  failedAttempts: number;
  /** 2xx answers beyond the first per Idempotency-Key: at-least-once redeliveries. */
  redeliveries: number;
  /** Keys seen with more than one distinct body. */
  inconsistentKeys: string[];
}

const paymentOf = (call: ReceivedCall) => (call.body as { payment_id?: string } | null)?.payment_id;

export function checkDownstream(stack: ChaosStack, expectedKeys: readonly string[], paymentIds: readonly string[]): DownstreamCheck {
  const ids = new Set(paymentIds);
  const calls = stack.receiver.calls.filter((c) => ids.has(paymentOf(c) ?? ''));
  const byKey = new Map<string, ReceivedCall[]>();
  for (const call of calls) {
    const key = call.idempotencyKey ?? '(none)';
    byKey.set(key, [...(byKey.get(key) ?? []), call]);
  }
  const ok = (c: ReceivedCall) => c.answeredWith >= 200 && c.answeredWith < 300;
  const expected = new Set(expectedKeys);
  const missing = expectedKeys.filter((k) => !(byKey.get(k) ?? []).some(ok));
  const unexpected = [...byKey.keys()].filter((k) => !expected.has(k));
  let redeliveries = 0;
  const inconsistentKeys: string[] = [];
  for (const [key, list] of byKey) {
    redeliveries += Math.max(0, list.filter(ok).length - 1);
    if (list.some((c) => !isDeepStrictEqual(c.body, list[0]!.body))) inconsistentKeys.push(key);
  }
  return {
    expectedEvents: expected.size,
    deliveredEvents: expected.size - missing.length,
    missing,
    unexpected,
    calls: calls.length,
    failedAttempts: calls.filter((c) => !ok(c)).length,
    redeliveries,
    inconsistentKeys,
  };
}

export async function waitForDownstream(
  stack: ChaosStack,
  expectedKeys: readonly string[],
  paymentIds: readonly string[],
  timeoutMs: number,
): Promise<DownstreamCheck> {
  return eventually(
    `${expectedKeys.length} downstream events to be delivered`,
    async () => checkDownstream(stack, expectedKeys, paymentIds),
    (check) => check.missing.length === 0,
    timeoutMs,
    500,
  );
}

// Charges at the simulator ---------------------------------------------------------------------------------------------

export interface ChargeCheck {
  orders: number;
  received: number;
  applied: number;
  /** Orders with more than one applied charge (a double charge). */
  doubleCharged: string[];
  /** Orders Midtrans never charged. */
  neverCharged: string[];
}

export async function chargeCheck(sim: SimulatorClient, ids: readonly string[]): Promise<ChargeCheck> {
  const txs = await pool(ids, 16, (id) => sim.transaction(id));
  let received = 0;
  let applied = 0;
  const doubleCharged: string[] = [];
  const neverCharged: string[] = [];
  txs.forEach((tx, i) => {
    const attempts = tx?.chargeAttempts ?? { received: 0, applied: 0 };
    received += attempts.received;
    applied += attempts.applied;
    if (attempts.applied > 1) doubleCharged.push(ids[i]!);
    if (attempts.applied === 0) neverCharged.push(ids[i]!);
  });
  return { orders: ids.length, received, applied, doubleCharged, neverCharged };
}
