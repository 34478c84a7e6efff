import { sleep } from '../scripts/local-stack/waiting';
import { nextReconciliationAt } from '../src/domain/reconciliation';
import { pool } from '../test/support/fixtures';
import { httpDriver } from './load';
import { processStats, statusesOf, type Context, type ProcessStats } from './phases';
import { CpuMeter, readMemory } from './procs';
import { measuredParts, postgresTrees, startPaymentServices } from './stack';
import { readLimit } from './memory-limit';
import { mib, now, round1, round2, say, summarize, tally, type Summary } from './util';
import { summarizeWebhooks, type WebhookSummary } from './webhooks';

/**
 * The settlement burst: N payments opened, then Midtrans settles all of them at the rate of the target
 * (10,000 within 60 s) and sends each settlement notification to the service's signed webhook (POST
 * /payments/webhook) as it does in production, retrying refused ones on its schedule. Measured: how the webhook
 * answered, whether every payment reached success (none lost) and how long that took after the last notification,
 * and the API's resident memory throughout against its budget.
 */

export interface BurstSize {
  payments: number;
  createConcurrency: number;
}

/** The burst, 10,000 settlements within 60 s; every size is sent at this rate. */
export const BURST_RATE_PER_SECOND = 10_000 / 60;
/** The API's memory budget in the issue (MB = 10^6 bytes; RSS is read in KiB). */
export const API_MEMORY_BUDGET_MB = 512;
const MEMORY_SAMPLE_MS = 100;
/** Pay calls to the simulator at once: the rate's 167 a second needs about 20 when each takes 100 ms. */
const MAX_PAY_CALLS_IN_FLIGHT = 64;
/** As often as a common Prometheus scrape: /metrics also counts payments by status and lists the review queue. */
const HEAP_SAMPLE_MS = 15_000;
/** The drain gives up after this long without a payment reaching `success`, unless a reconciliation look is still due. */
const STALL_MS = 120_000;
/** A reconciliation look's time to bring a payment to `success`: replay, a status call, the bookkeeping. */
const LOOK_GRACE_MS = 120_000;

export interface BurstResult {
  label: string;
  payments: number;
  opened: number;
  /** The opened payments Midtrans was charged for, which it settles; older reports settled all opened. */
  settled?: number;
  create: {
    concurrency: number;
    seconds: number;
    createMs: Summary | null;
    errors: Record<string, number>;
    /** Last create answered → every opened payment's charge at Midtrans (a 202 leaves the charge on its way); null when some never came. */
    chargedAfterSeconds?: number | null;
    /** Opened but never charged at Midtrans within the wait: not settled, not counted below. */
    uncharged?: number;
  };
  send: {
    ratePerSecond: number;
    /** First settlement sent → last settlement sent (the simulator's first POST of each). */
    seconds: number | null;
    payErrors: Record<string, number>;
  };
  /** The settlement notifications only (not the pending ones sent at charge time). */
  webhook: WebhookSummary | null;
  drain: {
    /** Last settlement notification sent → the last of these payments `success` in PostgreSQL. */
    toAllSuccessSeconds: number | null;
    /** Last settlement notification sent → the last downstream call for these payments (receiver's clock). */
    toAllDownstreamSeconds: number | null;
    timedOut: boolean;
    /** Payments the drain waited for past its stall, for their next reconciliation look (their notifications given up). */
    waitedForLooks?: number;
  };
  counts: { reachedSuccess: number; downstreamBoth: number; statusesAfter: Record<string, number> };
  memory: {
    /** Highest API VmRSS sampled every 100 ms from the first settlement to the end of the drain. */
    apiPeakRssMiB: number | null;
    /** The API's VmHWM at the end: its peak since it started for this phase (creates included). */
    apiHwmMiB: number | null;
    samples: number;
    budgetMB: number;
    /** The memory limit the API ran under, as a container's (a cgroup of budgetMB); null when none could be made here. */
    limit: { bytes: number; cgroupPeakMiB: number | null; oomKills: number | null } | null;
    /** Why the API ran without its limit (null when it had it). */
    limitUnavailable: string | null;
    /** V8's heap as the API's /metrics reports it, sampled every `everySeconds`: in use, and reserved from the system. */
    apiHeap: { peakUsedMiB: number | null; peakTotalMiB: number | null; samples: number; everySeconds: number };
    /** Whether the API was still running at the end (an OOM kill, or any crash, ends it). */
    apiSurvived: boolean;
    workerHwmMiB: number | null;
  };
  /** CPU from the first settlement to the end of the drain, per settled payment. */
  processes: Record<string, ProcessStats>;
}

/** MiB → MB, for the budget. */
export const megabytes = (mebibytes: number) => (mebibytes * 2 ** 20) / 1e6;

/**
 * A stalled drain's payments still short of `success` are those whose settlement notification Midtrans gave up on;
 * the service finds each at its next reconciliation look. Until when the drain waits for them: the latest of those
 * looks and a look's grace, or undefined when none is left.
 */
export function drainWaitsUntil(stalled: { startedAtMs: number; expiresAtMs: number }[], nowMs: number, earlyLooksMinutes?: readonly number[]): number | undefined {
  if (stalled.length === 0) return undefined;
  return Math.max(...stalled.map((terms) => nextReconciliationAt({ ...terms, earlyLooksMinutes }, nowMs))) + LOOK_GRACE_MS;
}

export async function runBurst(ctx: Context, size: BurstSize, options: { timeoutMs: number; earlyLooksMinutes: readonly number[] }): Promise<BurstResult> {
  const { infra, tracker } = ctx;
  const label = 'burst';
  say(`${label}: starting worker and API`);
  // The API runs as it would in a container limited to the budget: Node sizes its heap from the limit, and the
  // kernel kills it past the limit, which ends the phase with settlements unapplied.
  const services = await startPaymentServices(ctx.cleanup, infra, label, {}, undefined, { apiMemoryBytes: API_MEMORY_BUDGET_MB * 1e6 });
  const heap = sampleApiHeap(infra.apiUrl);
  try {
    const driver = httpDriver({ apiUrl: infra.apiUrl, simulatorUrl: infra.simulator.url, tracker, tag: label });
    say(`${label}: opening ${size.payments} payments at concurrency ${size.createConcurrency}`);
    const opened: string[] = [];
    const createMs: number[] = [];
    const createErrors: Record<string, number> = {};
    const createStart = now();
    await pool(Array.from({ length: size.payments }), size.createConcurrency, async () => {
      const started = now();
      try {
        opened.push((await driver.createOnly()).id);
        createMs.push(now() - started);
      } catch (error) {
        tally(createErrors, describeError(error));
      }
    });
    const createSeconds = (now() - createStart) / 1000;
    // Midtrans settles only what it was charged: wait for the charges still on their way, as long as they come.
    const charging = await waitForCharges(infra, opened, options.timeoutMs);
    const settled = opened.filter((id) => infra.simulator.chargeMs.has(id));
    if (settled.length < opened.length) say(`${label}: ${opened.length - settled.length} payments never reached Midtrans; they are left out`);

    let peakKiB = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      const reading = readMemory(services.pids().api);
      if (reading) {
        peakKiB = Math.max(peakKiB, reading.rssKiB);
        samples += 1;
      }
    }, MEMORY_SAMPLE_MS);
    const cpu = new CpuMeter(services.pids, postgresTrees(infra)).start();
    say(`${label}: Midtrans settles ${settled.length} payments at ${round1(BURST_RATE_PER_SECOND)}/s, each notified to the webhook`);
    const payErrors: Record<string, number> = {};
    const sendStart = now();
    // At most this many at once, each at its turn in the rate: on a saturated machine the pay calls queue here instead
    // of in the simulator's accept queue, where they timed out connecting (1,329 of 10,000 on the production topology,
    // 2026-12-04).
    await pool(settled, MAX_PAY_CALLS_IN_FLIGHT, async (id, index) => {
      const wait = sendStart + (index * 1000) / BURST_RATE_PER_SECOND - now();
      if (wait >= 1) await sleep(wait);
      await driver.pay(id, now() + options.timeoutMs).catch((error: unknown) => tally(payErrors, describeError(error)));
    });

    // Until all reached success and both downstream calls: bounded by two minutes without progress (or, after them, by
    // the next reconciliation look of the payments still short), and by a deadline loose enough for a slow drain
    // (3.3 a second), which is what the phase measures.
    const deadline = now() + Math.max(300_000, settled.length * 300);
    let lastProgress = now();
    let lookDue: number | undefined;
    let waitedForLooks = 0;
    let lastDone = -1;
    let lastLine = 0;
    let timedOut = false;
    let success = 0;
    let downstream = tracker.count(settled);
    for (;;) {
      success = (await statusesOf(infra, settled)).success ?? 0;
      downstream = tracker.count(settled);
      if (success + downstream.both !== lastDone) {
        lastDone = success + downstream.both;
        lastProgress = now();
      }
      if (now() - lastLine > 10_000) {
        lastLine = now();
        say(`  ${label}: success ${success}/${settled.length}, both downstream calls ${downstream.both}/${settled.length}`);
      }
      if (success >= settled.length && downstream.both >= settled.length) break;
      if (now() - lastProgress <= STALL_MS) lookDue = undefined;
      else if (lookDue === undefined && success < settled.length) {
        const stalled = await unfinishedTerms(infra, settled);
        lookDue = drainWaitsUntil(stalled, now(), options.earlyLooksMinutes);
        waitedForLooks = Math.max(waitedForLooks, stalled.length);
        if (lookDue !== undefined) say(`  ${label}: ${stalled.length} not yet success; waiting for their next reconciliation look, until ${new Date(lookDue).toISOString()}`);
      }
      if (now() > deadline || (now() - lastProgress > STALL_MS && !(lookDue !== undefined && now() < lookDue))) {
        timedOut = true;
        break;
      }
      await sleep(500);
    }
    clearInterval(sampler);
    heap.stop();
    const cpuUsed = cpu.stop();

    const settlements = (await infra.webhookAttempts(settled)).filter((a) => a.transactionStatus === 'settlement');
    const firstSends = settlements.filter((a) => a.first).map((a) => a.at);
    const lastSent = firstSends.length ? Math.max(...firstSends) : undefined;
    const { rows } = await infra.db.query<{ last: Date | null }>('select max(paid_at) as last from payments where id = any($1)', [settled]);
    const lastPaidAt = rows[0]?.last?.getTime();
    const downstreamTimes = settled.map((id) => tracker.doneAt(id)).filter((t): t is number => t !== undefined);
    const since = (t: number | undefined, complete: boolean) => (t !== undefined && lastSent !== undefined && complete ? round2((t - lastSent) / 1000) : null);
    const pids = services.pids();
    const result: BurstResult = {
      label,
      payments: size.payments,
      opened: opened.length,
      settled: settled.length,
      create: {
        concurrency: size.createConcurrency,
        seconds: round2(createSeconds),
        createMs: summarize(createMs),
        errors: createErrors,
        chargedAfterSeconds: charging,
        uncharged: opened.length - settled.length,
      },
      send: {
        ratePerSecond: round1(BURST_RATE_PER_SECOND),
        seconds: firstSends.length ? round2((Math.max(...firstSends) - Math.min(...firstSends)) / 1000) : null,
        payErrors,
      },
      webhook: summarizeWebhooks(settlements) ?? null,
      drain: {
        toAllSuccessSeconds: since(lastPaidAt, success >= settled.length),
        toAllDownstreamSeconds: since(downstreamTimes.length ? Math.max(...downstreamTimes) : undefined, downstreamTimes.length >= settled.length),
        timedOut,
        waitedForLooks,
      },
      counts: { reachedSuccess: success, downstreamBoth: downstream.both, statusesAfter: await statusesOf(infra, settled) },
      memory: {
        apiPeakRssMiB: samples ? mib(peakKiB) : null,
        apiHwmMiB: mib(readMemory(pids.api)?.hwmKiB),
        samples,
        budgetMB: API_MEMORY_BUDGET_MB,
        ...readLimit(services.api.memoryLimit),
        apiHeap: heap.result(),
        apiSurvived: services.api.running,
        workerHwmMiB: mib(readMemory(pids.worker)?.hwmKiB),
      },
      processes: processStats(pids, {}, cpuUsed, success, measuredParts(infra, ['worker', 'api'])),
    };
    say(
      `${label}: ${success}/${settled.length} success, drained ${result.drain.toAllSuccessSeconds ?? '–'} s after the last notification; ` +
        `webhook p50/p95/p99 ${result.webhook?.answerMs?.p50}/${result.webhook?.answerMs?.p95}/${result.webhook?.answerMs?.p99} ms ` +
        `(${JSON.stringify(result.webhook?.answers ?? {})}); API peak RSS ${result.memory.apiPeakRssMiB} MiB (VmHWM ${result.memory.apiHwmMiB})`,
    );
    return result;
  } finally {
    heap.stop();
    await services.stop();
  }
}

/**
 * Seconds from now until every payment's charge reached the simulator; null when the charges stopped coming for
 * `quietMs` first. A 202 from POST /payments leaves the charge on its way, and a busy worker may take minutes.
 */
async function waitForCharges(infra: Context['infra'], ids: string[], quietMs: number): Promise<number | null> {
  const started = now();
  let charged = 0;
  let lastProgress = now();
  for (;;) {
    const count = ids.filter((id) => infra.simulator.chargeMs.has(id)).length;
    if (count === ids.length) return round2((now() - started) / 1000);
    if (count > charged) {
      charged = count;
      lastProgress = now();
    }
    if (now() - lastProgress > quietMs) return null;
    await sleep(1_000);
  }
}

/** fetch's "fetch failed" says nothing by itself: its cause's code (a connect timeout, a reset) does. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  return detail ? `${error.message} (${detail})` : error.message;
}

/** Peaks of V8's heap in use and reserved, from the API's own /metrics (Node's default metrics). */
function sampleApiHeap(apiUrl: string) {
  let peakUsed = 0;
  let peakTotal = 0;
  let samples = 0;
  const gauge = (text: string, name: string) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1] ?? NaN);
  const timer = setInterval(() => {
    fetch(`${apiUrl}/metrics`, { signal: AbortSignal.timeout(2_000) })
      .then((response) => response.text())
      .then((text) => {
        const used = gauge(text, 'nodejs_heap_size_used_bytes');
        const total = gauge(text, 'nodejs_heap_size_total_bytes');
        if (!Number.isFinite(used) || !Number.isFinite(total)) return;
        peakUsed = Math.max(peakUsed, used);
        peakTotal = Math.max(peakTotal, total);
        samples += 1;
      })
      .catch(() => {}); // a busy or stopped API misses a sample; the count says how many were read
  }, HEAP_SAMPLE_MS);
  return {
    stop: () => clearInterval(timer),
    result: () => ({
      peakUsedMiB: samples ? round1(peakUsed / 2 ** 20) : null,
      peakTotalMiB: samples ? round1(peakTotal / 2 ** 20) : null,
      samples,
      everySeconds: HEAP_SAMPLE_MS / 1000,
    }),
  };
}

/** The reconciliation terms of the payments not yet `success`, as the read model has them. */
async function unfinishedTerms(infra: Context['infra'], ids: string[]): Promise<{ startedAtMs: number; expiresAtMs: number }[]> {
  const { rows } = await infra.db.query<{ created_at: Date; expires_at: Date }>(
    "select created_at, expires_at from payments where id = any($1) and status <> 'success' and expires_at is not null",
    [ids],
  );
  return rows.map((r) => ({ startedAtMs: r.created_at.getTime(), expiresAtMs: r.expires_at.getTime() }));
}
