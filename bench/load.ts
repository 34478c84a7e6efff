import { randomUUID } from 'node:crypto';
import type { DownstreamReceiver } from '../scripts/local-stack/downstream-receiver';
import { sleep } from '../scripts/local-stack/waiting';
import { createPaymentBody, pool } from '../test/support/fixtures';
import { now, round2, say, summarize, tally, type Summary } from './util';

/**
 * The closed-loop load both the real service and the bare baseline get: C virtual clients, each taking one payment
 * at a time through create → pay → "success" visible → both downstream calls done, then the next one.
 */

export interface PaymentTimings {
  id: string;
  createStartedAt: number;
  createMs?: number;
  paySentAt?: number;
  /** The simulator's own time answering this payment's charge(s). */
  gatewayMs?: number;
  /** pay sent → first status poll answering success. */
  paySuccessMs?: number;
  /** create sent → the later of the two downstream calls, as the receiver (or the bare worker) timed them. */
  createDownstreamMs?: number;
  polls: number;
  error?: string;
}

export interface LoadResult {
  count: number;
  concurrency: number;
  completed: number;
  failed: number;
  errors: Record<string, number>;
  createStatuses: Record<string, number>;
  wallSeconds: number;
  /** Completed payments per second of wall time (create of the first → last one's downstream calls). */
  paymentsPerSecond: number;
  createMs: Summary | null;
  /** create minus the gateway's own time answering the charge (absent where no charge reaches the simulator). */
  createMinusGatewayMs?: Summary | null;
  gatewayMs?: Summary | null;
  paySuccessMs: Summary | null;
  createDownstreamMs: Summary | null;
  statusPollsPerPayment: number;
  ids: string[];
  /** Raw timings, for merging chunks of one side of an interleaved comparison. */
  samples: PaymentTimings[];
}

/** The steps one payment takes; implemented over HTTP for the service and over the Temporal client for the bare run. */
export interface PaymentDriver {
  /** Creates the payment; returns its id, or throws. `status` is the HTTP status (or 'ok'). */
  create(): Promise<{ id: string; status: number | string }>;
  /** Pays it; gives up at `deadline` (a 202 means the charge may still be on its way). */
  pay(id: string, deadline: number): Promise<void>;
  /** One status poll: true when the payment is visibly successful. */
  isSuccess(id: string): Promise<boolean>;
  /** The gateway's own time answering this payment's charge, when it charged the simulator. */
  gatewayMs?(id: string): number | undefined;
  /** Resolves with the time both downstream calls were done (ms, Date.now() clock). */
  downstreamDone(id: string, timeoutMs: number): Promise<number>;
}

export interface LoadOptions {
  count: number;
  concurrency: number;
  pollMs: number;
  timeoutMs: number;
  label: string;
}

export async function runLoad(driver: PaymentDriver, options: LoadOptions): Promise<LoadResult> {
  const { count, concurrency, pollMs, timeoutMs, label } = options;
  const results: PaymentTimings[] = [];
  const createStatuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let done = 0;
  const started = now();
  const progress = setInterval(() => say(`  ${label}: ${done}/${count} done`), 10_000);
  progress.unref();
  try {
    await pool(Array.from({ length: count }), concurrency, async () => {
      const timing: PaymentTimings = { id: '', createStartedAt: now(), polls: 0 };
      results.push(timing);
      try {
        const created = await driver.create();
        timing.createMs = now() - timing.createStartedAt;
        timing.id = created.id;
        tally(createStatuses, created.status);
        timing.paySentAt = now();
        const deadline = timing.paySentAt + timeoutMs;
        await driver.pay(created.id, deadline);
        for (;;) {
          timing.polls += 1;
          if (await driver.isSuccess(created.id)) break;
          if (now() > deadline) throw new Error('timeout waiting for success');
          await sleep(pollMs);
        }
        timing.paySuccessMs = now() - timing.paySentAt;
        const downstreamAt = await driver.downstreamDone(created.id, Math.max(1_000, deadline - now()));
        timing.createDownstreamMs = downstreamAt - timing.createStartedAt;
      } catch (error) {
        timing.error = error instanceof Error ? error.message : String(error);
        tally(errors, timing.error.slice(0, 120));
      } finally {
        // Read last: the simulator's charge time reaches this process in a message of its own, after its answer.
        if (timing.id) timing.gatewayMs = driver.gatewayMs?.(timing.id);
        done += 1;
      }
    });
  } finally {
    clearInterval(progress);
  }
  const finished = results.filter((r) => r.createDownstreamMs !== undefined);
  const lastDone = Math.max(...finished.map((r) => r.createStartedAt + r.createDownstreamMs!), started);
  return summarizeLoad(results, { count, concurrency, wallSeconds: (lastDone - started) / 1000, errors, createStatuses });
}

function summarizeLoad(
  results: PaymentTimings[],
  totals: { count: number; concurrency: number; wallSeconds: number; errors: Record<string, number>; createStatuses: Record<string, number> },
): LoadResult {
  const finished = results.filter((r) => r.createDownstreamMs !== undefined);
  const pick = (f: (r: PaymentTimings) => number | undefined) => results.map(f).filter((v): v is number => v !== undefined);
  return {
    count: totals.count,
    concurrency: totals.concurrency,
    completed: finished.length,
    failed: results.length - finished.length,
    errors: totals.errors,
    createStatuses: totals.createStatuses,
    wallSeconds: round2(totals.wallSeconds),
    paymentsPerSecond: totals.wallSeconds > 0 ? round2(finished.length / totals.wallSeconds) : 0,
    createMs: summarize(pick((r) => r.createMs)),
    createMinusGatewayMs: summarize(pick((r) => (r.createMs !== undefined && r.gatewayMs !== undefined ? r.createMs - r.gatewayMs : undefined))),
    gatewayMs: summarize(pick((r) => r.gatewayMs)),
    paySuccessMs: summarize(pick((r) => r.paySuccessMs)),
    createDownstreamMs: summarize(pick((r) => r.createDownstreamMs)),
    statusPollsPerPayment: round2(results.reduce((a, r) => a + r.polls, 0) / Math.max(1, results.length)),
    ids: results.map((r) => r.id).filter(Boolean),
    samples: results,
  };
}

/** One side of an interleaved comparison run in several chunks: timings pooled, wall times added. */
export function mergeLoads(parts: LoadResult[]): LoadResult {
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
    return into;
  };
  return summarizeLoad(
    parts.flatMap((p) => p.samples),
    {
      count: parts.reduce((a, p) => a + p.count, 0),
      concurrency: parts[0]?.concurrency ?? 0,
      wallSeconds: parts.reduce((a, p) => a + p.wallSeconds, 0),
      errors: parts.reduce((a, p) => add(a, p.errors), {} as Record<string, number>),
      createStatuses: parts.reduce((a, p) => add(a, p.createStatuses), {} as Record<string, number>),
    },
  );
}

/**
 * Watches the downstream receiver's own records (not the service's word): a payment is done downstream once both
 * the transaction service and the user service got a 2xx-answered call for it. Times are the receiver's.
 */
export class DownstreamTracker {
  private cursor = 0;
  private readonly seen = new Map<string, { transaction?: number; user?: number }>();
  private readonly waiters = new Map<string, Array<(at: number) => void>>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly receiver: DownstreamReceiver) {
    this.timer = setInterval(() => this.scan(), 5);
    this.timer.unref();
  }

  private scan(): void {
    const { calls } = this.receiver;
    for (; this.cursor < calls.length; this.cursor++) {
      const call = calls[this.cursor]!;
      if (call.answeredWith >= 300) continue;
      const paymentId = (call.body as { payment_id?: unknown } | null)?.payment_id;
      if (typeof paymentId !== 'string') continue;
      const entry = this.seen.get(paymentId) ?? {};
      if (call.path === '/transactions/payments/notify') entry.transaction ??= call.at;
      else if (call.path.startsWith('/users/')) entry.user ??= call.at;
      this.seen.set(paymentId, entry);
      if (entry.transaction !== undefined && entry.user !== undefined) {
        const at = Math.max(entry.transaction, entry.user);
        for (const resolve of this.waiters.get(paymentId) ?? []) resolve(at);
        this.waiters.delete(paymentId);
      }
    }
  }

  /** Both calls' time, if both arrived. */
  doneAt(paymentId: string): number | undefined {
    const entry = this.seen.get(paymentId);
    return entry?.transaction !== undefined && entry.user !== undefined ? Math.max(entry.transaction, entry.user) : undefined;
  }

  /** How many payments of `ids` got both calls, and how many calls each target got for them. */
  count(ids: Iterable<string>): { both: number; transaction: number; user: number } {
    this.scan();
    let both = 0;
    let transaction = 0;
    let user = 0;
    for (const id of ids) {
      const entry = this.seen.get(id);
      if (entry?.transaction !== undefined) transaction += 1;
      if (entry?.user !== undefined) user += 1;
      if (entry?.transaction !== undefined && entry.user !== undefined) both += 1;
    }
    return { both, transaction, user };
  }

  wait(paymentId: string, timeoutMs: number): Promise<number> {
    this.scan();
    const at = this.doneAt(paymentId);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout waiting for both downstream calls')), timeoutMs);
      const list = this.waiters.get(paymentId) ?? [];
      list.push((value) => {
        clearTimeout(timer);
        resolve(value);
      });
      this.waiters.set(paymentId, list);
    });
  }

  close(): void {
    clearInterval(this.timer);
  }
}

export interface HttpDriverOptions {
  apiUrl: string;
  simulatorUrl: string;
  tracker: DownstreamTracker;
  tag: string;
  /** The simulator's charge timings by order id (the payment id). */
  chargeMs?: Map<string, number>;
}

async function simulatorStatus(simulatorUrl: string, id: string): Promise<string | undefined> {
  const response = await fetch(`${simulatorUrl}/_simulator/transactions/${id}`);
  const body = (await response.json().catch(() => null)) as { transaction?: { transaction_status?: string } } | null;
  return body?.transaction?.transaction_status;
}

/** The real thing: POST /payments on the API, pay at the simulator (it sends the webhook), poll GET …/status. */
export function httpDriver({ apiUrl, simulatorUrl, tracker, tag, chargeMs }: HttpDriverOptions): PaymentDriver & { createOnly(): Promise<{ id: string; status: number }> } {
  async function create(): Promise<{ id: string; status: number }> {
    const response = await fetch(`${apiUrl}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      // A VA payment as TiketQ's checkout sends it, for a user of its own (so both downstream calls).
      body: JSON.stringify(createPaymentBody({ user_id: `user-${randomUUID().slice(0, 8)}` }, `BENCH-${tag}`)),
    });
    const body = (await response.json().catch(() => null)) as { payment_id?: string } | null;
    if ((response.status !== 201 && response.status !== 202) || !body?.payment_id) {
      throw new Error(`POST /payments answered ${response.status}`);
    }
    return { id: body.payment_id, status: response.status };
  }
  return {
    create,
    createOnly: create,
    gatewayMs: (id) => chargeMs?.get(id),
    async pay(id, deadline) {
      // After a 202 the charge may still be on its way to the simulator: retry a 404 until the payment's deadline.
      // A connection that failed on a saturated machine is retried too; it may have paid, so a 409 after one is
      // checked against the transaction's status.
      let dropped = false;
      for (;;) {
        let status: number;
        try {
          const response = await fetch(`${simulatorUrl}/_simulator/transactions/${id}/pay`, { method: 'POST' });
          await response.arrayBuffer();
          status = response.status;
        } catch (error) {
          if (now() > deadline) throw error;
          dropped = true;
          await sleep(250);
          continue;
        }
        if (status === 200 || (status === 409 && dropped && (await simulatorStatus(simulatorUrl, id)) === 'settlement')) return;
        if (status !== 404 || now() > deadline) throw new Error(`simulator pay answered ${status}`);
        await sleep(250);
      }
    },
    async isSuccess(id) {
      const response = await fetch(`${apiUrl}/payments/${id}/status`);
      const body = (await response.json().catch(() => null)) as { status?: string } | null;
      return response.status === 200 && body?.status === 'success';
    },
    downstreamDone: (id, timeoutMs) => tracker.wait(id, timeoutMs),
  };
}
