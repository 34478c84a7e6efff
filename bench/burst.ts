import { sleep } from '../scripts/local-stack/waiting';
import { pool } from '../test/support/fixtures';
import { httpDriver } from './load';
import { processStats, statusesOf, type Context, type ProcessStats } from './phases';
import { CpuMeter, readMemory } from './procs';
import { measuredParts, postgresTrees, startPaymentServices } from './stack';
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

export interface BurstResult {
  label: string;
  payments: number;
  opened: number;
  create: { concurrency: number; seconds: number; createMs: Summary | null; errors: Record<string, number> };
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
  };
  counts: { reachedSuccess: number; downstreamBoth: number; statusesAfter: Record<string, number> };
  memory: {
    /** Highest API VmRSS sampled every 100 ms from the first settlement to the end of the drain. */
    apiPeakRssMiB: number | null;
    /** The API's VmHWM at the end: its peak since it started for this phase (creates included). */
    apiHwmMiB: number | null;
    samples: number;
    budgetMB: number;
    workerHwmMiB: number | null;
  };
  /** CPU from the first settlement to the end of the drain, per settled payment. */
  processes: Record<string, ProcessStats>;
}

/** MiB → MB, for the budget. */
export const megabytes = (mebibytes: number) => (mebibytes * 2 ** 20) / 1e6;

export async function runBurst(ctx: Context, size: BurstSize, options: { timeoutMs: number }): Promise<BurstResult> {
  const { infra, tracker } = ctx;
  const label = 'burst';
  say(`${label}: starting worker and API`);
  const services = await startPaymentServices(ctx.cleanup, infra, label);
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
        tally(createErrors, error instanceof Error ? error.message : String(error));
      }
    });
    const createSeconds = (now() - createStart) / 1000;

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
    say(`${label}: Midtrans settles ${opened.length} payments at ${round1(BURST_RATE_PER_SECOND)}/s, each notified to the webhook`);
    const payErrors: Record<string, number> = {};
    const paying: Array<Promise<void>> = [];
    const sendStart = now();
    for (const [index, id] of opened.entries()) {
      const wait = sendStart + (index * 1000) / BURST_RATE_PER_SECOND - now();
      if (wait >= 1) await sleep(wait);
      paying.push(driver.pay(id, now() + options.timeoutMs).catch((error: unknown) => tally(payErrors, error instanceof Error ? error.message : String(error))));
    }
    await Promise.all(paying);

    // Until all reached success and both downstream calls: bounded by two minutes without progress, and by a deadline
    // loose enough for a slow drain (3.3 a second), which is what the phase measures.
    const deadline = now() + Math.max(300_000, opened.length * 300);
    let lastProgress = now();
    let lastDone = -1;
    let lastLine = 0;
    let timedOut = false;
    let success = 0;
    let downstream = tracker.count(opened);
    for (;;) {
      success = (await statusesOf(infra, opened)).success ?? 0;
      downstream = tracker.count(opened);
      if (success + downstream.both !== lastDone) {
        lastDone = success + downstream.both;
        lastProgress = now();
      }
      if (now() - lastLine > 10_000) {
        lastLine = now();
        say(`  ${label}: success ${success}/${opened.length}, both downstream calls ${downstream.both}/${opened.length}`);
      }
      if (success >= opened.length && downstream.both >= opened.length) break;
      if (now() > deadline || now() - lastProgress > 120_000) {
        timedOut = true;
        break;
      }
      await sleep(500);
    }
    clearInterval(sampler);
    const cpuUsed = cpu.stop();

    const settlements = infra.webhookAttempts(opened).filter((a) => a.transactionStatus === 'settlement');
    const firstSends = settlements.filter((a) => a.first).map((a) => a.at);
    const lastSent = firstSends.length ? Math.max(...firstSends) : undefined;
    const { rows } = await infra.db.query<{ last: Date | null }>('select max(paid_at) as last from payments where id = any($1)', [opened]);
    const lastPaidAt = rows[0]?.last?.getTime();
    const downstreamTimes = opened.map((id) => tracker.doneAt(id)).filter((t): t is number => t !== undefined);
    const since = (t: number | undefined, complete: boolean) => (t !== undefined && lastSent !== undefined && complete ? round2((t - lastSent) / 1000) : null);
    const pids = services.pids();
    const result: BurstResult = {
      label,
      payments: size.payments,
      opened: opened.length,
      create: { concurrency: size.createConcurrency, seconds: round2(createSeconds), createMs: summarize(createMs), errors: createErrors },
      send: {
        ratePerSecond: round1(BURST_RATE_PER_SECOND),
        seconds: firstSends.length ? round2((Math.max(...firstSends) - Math.min(...firstSends)) / 1000) : null,
        payErrors,
      },
      webhook: summarizeWebhooks(settlements) ?? null,
      drain: {
        toAllSuccessSeconds: since(lastPaidAt, success >= opened.length),
        toAllDownstreamSeconds: since(downstreamTimes.length ? Math.max(...downstreamTimes) : undefined, downstreamTimes.length >= opened.length),
        timedOut,
      },
      counts: { reachedSuccess: success, downstreamBoth: downstream.both, statusesAfter: await statusesOf(infra, opened) },
      memory: {
        apiPeakRssMiB: samples ? mib(peakKiB) : null,
        apiHwmMiB: mib(readMemory(pids.api)?.hwmKiB),
        samples,
        budgetMB: API_MEMORY_BUDGET_MB,
        workerHwmMiB: mib(readMemory(pids.worker)?.hwmKiB),
      },
      processes: processStats(pids, {}, cpuUsed, success, measuredParts(infra, ['worker', 'api'])),
    };
    say(
      `${label}: ${success}/${opened.length} success, drained ${result.drain.toAllSuccessSeconds ?? '–'} s after the last notification; ` +
        `webhook p50/p95/p99 ${result.webhook?.answerMs?.p50}/${result.webhook?.answerMs?.p95}/${result.webhook?.answerMs?.p99} ms ` +
        `(${JSON.stringify(result.webhook?.answers ?? {})}); API peak RSS ${result.memory.apiPeakRssMiB} MiB (VmHWM ${result.memory.apiHwmMiB})`,
    );
    return result;
  } finally {
    await services.stop();
  }
}
