import proto from '@temporalio/proto';
import { sleep } from '../scripts/local-stack/waiting';
import { waitForWorkerToPoll } from '../scripts/local-stack/readiness';
import { bareDriver } from './bare';
import { minimalDriver, startMinimalWebhookReceiver } from './minimal';
import { DownstreamTracker, httpDriver, mergeLoads, runLoad, type LoadResult, type PaymentDriver } from './load';
import { readLimit, type LimitReading } from './memory-limit';
import { CpuMeter, readMemory, RssSampler, ThreadsMeter, type ThreadsUsage } from './procs';
import {
  measuredParts,
  postgresTrees,
  SERVER_KEY,
  spawnIpcService,
  startPaymentServices,
  type Cleanup,
  type Infra,
  type PaymentServices,
  type ServiceCode,
  type ServiceUnderTest,
  type TemporalStorage,
} from './stack';
import { pool } from '../test/support/fixtures';
import { mib, now, round2, say, summarize, tally, type Summary } from './util';
import { summarizeWebhooks, type WebhookSummary } from './webhooks';
import { readYardstick, type YardstickReading } from './yardstick';
import { DEFAULT_EARLY_LOOKS_MINUTES } from '../src/domain/reconciliation';
import { workflowCacheSize } from '../src/temporal/workflow-cache';

export interface Context {
  cleanup: Cleanup;
  infra: Infra;
  tracker: DownstreamTracker;
}

export interface LoadSettings {
  count: number;
  warmup: number;
  pollMs: number;
  timeoutMs: number;
}

export interface ProcessStats {
  /** Highest VmRSS sampled during the measured window. */
  peakRssMiB: number | null;
  /** VmHWM at the end: the peak since the process started (it started for this run). */
  hwmMiB: number | null;
  cpuSeconds: number | null;
  cpuMsPerPayment: number | null;
}

export interface RunResult extends Omit<LoadResult, 'ids' | 'samples'> {
  /** baseline: the service's code at another commit (`--baseline`). */
  kind: 'service' | 'bare' | 'minimal' | 'baseline';
  label: string;
  workerEnv: Record<string, string>;
  processes: Record<string, ProcessStats>;
  /** Requests the (simulated) Midtrans got per completed payment, by kind; the service side only. */
  midtransCallsPerPayment?: Record<string, number>;
  temporalDbBytesAfter: number;
  /** History events of one workflow of this run, by type (the shape check between service and baseline). */
  historyShape?: Record<string, number>;
  /** How the webhook answered this run's Midtrans notifications (absent where the simulator sent none). */
  webhook?: WebhookSummary;
}

async function historyShape(infra: Infra, workflowId: string): Promise<Record<string, number> | undefined> {
  try {
    const history = await infra.client.workflow.getHandle(workflowId).fetchHistory();
    const counts: Record<string, number> = {};
    for (const event of history.events ?? []) {
      const name = (proto.temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType)).replace(/^EVENT_TYPE_/, '');
      tally(counts, name);
    }
    counts.TOTAL = history.events?.length ?? 0;
    return counts;
  } catch (error) {
    say(`  could not read the history of ${workflowId}: ${String(error)}`);
    return undefined;
  }
}

export function processStats(
  pids: Record<string, number | undefined>,
  peaks: Record<string, number>,
  cpu: Record<string, number | null>,
  payments: number,
  names: string[],
): Record<string, ProcessStats> {
  const stats: Record<string, ProcessStats> = {};
  for (const name of [...names, 'bench']) {
    const cpuSeconds = cpu[name] ?? null;
    stats[name] = {
      peakRssMiB: name === 'bench' ? mib(readMemory(process.pid)?.rssKiB) : mib(peaks[name]),
      hwmMiB: mib(readMemory(name === 'bench' ? process.pid : pids[name])?.hwmKiB),
      cpuSeconds: cpuSeconds === null ? null : round2(cpuSeconds),
      cpuMsPerPayment: cpuSeconds === null || payments === 0 ? null : round2((cpuSeconds * 1000) / payments),
    };
  }
  return stats;
}

/** One measured run of the real service at concurrency C, on its own fresh worker and API (used by --tune). */
export async function runServiceE2e(
  ctx: Context,
  concurrency: number,
  settings: LoadSettings,
  workerEnv: Record<string, string> = {},
): Promise<RunResult> {
  const { infra, tracker } = ctx;
  const label = `e2e-c${concurrency}${Object.keys(workerEnv).length ? '-tuned' : ''}`;
  say(`${label}: starting worker and API`);
  const services = await startPaymentServices(ctx.cleanup, infra, label, workerEnv);
  try {
    const driver = httpDriver({ apiUrl: infra.apiUrl, simulatorUrl: infra.simulator.url, chargeMs: infra.simulator.chargeMs, tracker, tag: label });
    say(`${label}: warm-up, ${settings.warmup} payments`);
    await runLoad(driver, { ...settings, count: settings.warmup, concurrency: Math.min(concurrency, settings.warmup), label: `${label} warm-up` });
    say(`${label}: ${settings.count} payments at concurrency ${concurrency}`);
    const meter = new SideMeter(services.pids, () => infra.midtransCalls, postgresTrees(infra));
    meter.begin();
    const load = await runLoad(driver, { ...settings, concurrency, label });
    meter.end();
    say(`${label}: ${load.paymentsPerSecond} payments/s, ${load.completed}/${load.count} completed, create p50 ${load.createMs?.p50} ms`);
    return await toRunResult(ctx, 'service', label, workerEnv, load, meter, measuredParts(infra, ['worker', 'api']), 'payment-');
  } finally {
    await services.stop();
  }
}

/** RSS peaks and CPU seconds of one side, over the chunks it ran (the other side's chunks are not counted). */
class SideMeter {
  private readonly sampler: RssSampler;
  private cpu: CpuMeter | undefined;
  private callsBefore: Record<string, number> = {};
  readonly cpuSeconds: Record<string, number | null> = {};
  readonly calls: Record<string, number> = {};

  constructor(
    readonly pids: () => Record<string, number | undefined>,
    private readonly counters?: () => Record<string, number>,
    /** Process trees whose CPU counts too (PostgreSQL): no RSS, their memory is shared and spread over backends. */
    private readonly trees?: () => Record<string, number | undefined>,
  ) {
    this.sampler = new RssSampler(pids);
  }

  begin(): void {
    this.sampler.start();
    this.cpu = new CpuMeter(this.pids, this.trees).start();
    this.callsBefore = { ...this.counters?.() };
  }

  end(): void {
    this.sampler.stop();
    for (const [kind, count] of Object.entries(this.counters?.() ?? {})) {
      this.calls[kind] = (this.calls[kind] ?? 0) + count - (this.callsBefore[kind] ?? 0);
    }
    for (const [name, seconds] of Object.entries(this.cpu!.stop())) {
      const before = this.cpuSeconds[name];
      this.cpuSeconds[name] = seconds === null || before === null ? null : (before ?? 0) + seconds;
    }
  }

  peaks(): Record<string, number> {
    return this.sampler.stop();
  }
}

function perPayment(calls: Record<string, number>, payments: number): Record<string, number> | undefined {
  if (Object.keys(calls).length === 0 || payments === 0) return undefined;
  return Object.fromEntries(Object.entries(calls).map(([kind, n]) => [kind, round2(n / payments)]));
}

function callsDelta(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(now).map(([kind, n]) => [kind, n - (before[kind] ?? 0)]).filter(([, n]) => n !== 0));
}

async function toRunResult(
  ctx: Context,
  kind: RunResult['kind'],
  label: string,
  workerEnv: Record<string, string>,
  load: LoadResult,
  meter: SideMeter,
  names: string[],
  workflowPrefix: string,
): Promise<RunResult> {
  const { ids, samples: _samples, ...rest } = load;
  return {
    kind,
    label,
    workerEnv,
    ...rest,
    processes: processStats(meter.pids(), meter.peaks(), meter.cpuSeconds, load.completed, names),
    midtransCallsPerPayment: perPayment(meter.calls, load.completed),
    temporalDbBytesAfter: (await ctx.infra.temporalStorage()).total,
    webhook: summarizeWebhooks(await ctx.infra.webhookAttempts(ids)),
    historyShape: ids[0] ? await historyShape(ctx.infra, `${workflowPrefix}${ids[0]}`) : undefined,
  };
}

/** The sides of one concurrency's comparison, in the order their first chunks run (the second chunks run in reverse). */
export function chunkOrder(withBaseline: boolean): Array<'service' | 'baseline' | 'bare' | 'minimal'> {
  const first = withBaseline ? (['service', 'baseline', 'bare', 'minimal'] as const) : (['service', 'bare', 'minimal'] as const);
  return [...first, ...[...first].reverse()];
}

export interface PairResult {
  service: RunResult;
  bare: RunResult;
  minimal: RunResult;
  /** The service's code at the `--baseline` commit. */
  baseline?: RunResult;
  services?: PaymentServices;
  ids: string[];
}

/**
 * A bare-worker process (bench/bare-worker.ts: the same-shape bare workflow, or the minimal shape with BARE_SHAPE=minimal)
 * on a task queue of its own, optionally under a memory limit, once it polls; `started` learns of the process first,
 * so that a caller can stop it should the wait fail. `maxCachedWorkflows` is the cache the worker sized for itself.
 */
export async function startBareWorker(
  ctx: Context,
  label: string,
  env: Record<string, string>,
  started: (worker: ServiceUnderTest) => void,
  memoryLimitBytes?: number,
): Promise<{ worker: ServiceUnderTest; queue: string; maxCachedWorkflows: number | undefined }> {
  const queue = `bench-${label}-${Date.now().toString(36)}`;
  const { service: worker, ready } = await spawnIpcService(ctx.cleanup, ctx.infra, label, 'bench/bare-worker.ts', ctx.infra.serviceEnv(queue, env), {
    background: true,
    memoryLimitBytes,
  });
  started(worker);
  await waitForWorkerToPoll(ctx.infra.client, worker, queue);
  return { worker, queue, maxCachedWorkflows: typeof ready.maxCachedWorkflows === 'number' ? ready.maxCachedWorkflows : undefined };
}

/**
 * The service, the same-shape bare baseline and the minimal shape at concurrency C, side by side (and with `baseline`
 * the service's code at another commit, its own worker and API): all started (fresh worker and API for the service,
 * a fresh worker for each Temporal baseline), all warmed up, then the load in chunks ordered service, [baseline,] bare,
 * minimal, minimal, bare, [baseline,] service so the machine's drifting background load hits them alike. A side's idle
 * processes only long-poll meanwhile.
 */
export async function runPair(ctx: Context, concurrency: number, settings: LoadSettings, keepServices = false, baseline?: ServiceCode): Promise<PairResult> {
  const { infra, tracker } = ctx;
  const serviceLabel = `e2e-c${concurrency}`;
  const baselineLabel = `baseline-c${concurrency}`;
  const bareLabel = `bare-c${concurrency}`;
  const minimalLabel = `minimal-c${concurrency}`;
  say(`${serviceLabel}: starting worker and API, ${baseline ? "the baseline's worker and API, " : ''}the bare worker and the minimal-shape worker`);
  const services = await startPaymentServices(ctx.cleanup, infra, serviceLabel);
  const workers: ServiceUnderTest[] = [];
  let baselineServices: PaymentServices | undefined;
  const webhook = await startMinimalWebhookReceiver(infra.client, SERVER_KEY);
  const stopBaselines = async () => {
    await Promise.all([...workers.map((w) => w.stop()), baselineServices?.stop()]);
    await webhook.close();
  };
  try {
    const startBaseline = (label: string, env: Record<string, string>) => startBareWorker(ctx, label, env, (worker) => workers.push(worker));
    const bare = await startBaseline('bare-worker', {});
    const minimal = await startBaseline('minimal-worker', { BARE_SHAPE: 'minimal', BARE_NOTIFICATION_URL: webhook.url });
    if (baseline) baselineServices = await startPaymentServices(ctx.cleanup, infra, baselineLabel, {}, baseline);
    const http = httpDriver({ apiUrl: infra.apiUrl, simulatorUrl: infra.simulator.url, chargeMs: infra.simulator.chargeMs, tracker, tag: serviceLabel });
    const baselinePids = (worker: ServiceUnderTest) => () => ({ worker: worker.mainPid, temporal: infra.temporalPid, simulator: infra.simulatorPid });
    type Side = { label: string; driver: PaymentDriver; meter: SideMeter; parts: LoadResult[] };
    const sides: Record<'service' | 'bare' | 'minimal', Side> & { baseline?: Side } = {
      service: { label: serviceLabel, driver: http, meter: new SideMeter(services.pids, () => infra.midtransCalls, postgresTrees(infra)), parts: [] as LoadResult[] },
      ...(baselineServices && baseline
        ? {
            baseline: {
              label: baselineLabel,
              driver: httpDriver({ apiUrl: baseline.apiUrl, simulatorUrl: infra.simulator.url, chargeMs: infra.simulator.chargeMs, tracker, tag: baselineLabel }),
              meter: new SideMeter(baselineServices.pids, () => infra.midtransCalls, postgresTrees(infra)),
              parts: [] as LoadResult[],
            },
          }
        : {}),
      bare: { label: bareLabel, driver: bareDriver(infra.client, bare.queue, bare.worker), meter: new SideMeter(baselinePids(bare.worker), undefined, postgresTrees(infra)), parts: [] as LoadResult[] },
      minimal: {
        label: minimalLabel,
        driver: minimalDriver(infra.client, minimal.queue, webhook, tracker, http),
        meter: new SideMeter(baselinePids(minimal.worker), () => infra.midtransCalls, postgresTrees(infra)),
        parts: [] as LoadResult[],
      },
    };
    for (const side of Object.values(sides) as Side[]) {
      say(`${side.label}: warm-up, ${settings.warmup} payments`);
      await runLoad(side.driver, { ...settings, count: settings.warmup, concurrency: Math.min(concurrency, settings.warmup), label: `${side.label} warm-up` });
    }
    // Each chunk at least C payments, so every chunk really reaches concurrency C.
    const count = Math.max(settings.count, 2 * concurrency);
    const first = Math.ceil(count / 2);
    const order = chunkOrder(sides.baseline !== undefined);
    for (const [index, name] of order.entries()) {
      const chunk = index < order.length / 2 ? first : count - first;
      const side = sides[name];
      if (chunk <= 0 || !side) continue;
      say(`${side.label}: ${chunk} payments at concurrency ${concurrency}`);
      side.meter.begin();
      const part = await runLoad(side.driver, { ...settings, count: chunk, concurrency, label: side.label });
      side.meter.end();
      side.parts.push(part);
      say(`${side.label}: chunk ${part.paymentsPerSecond}/s, ${part.completed}/${part.count} completed`);
    }
    const result = async (side: Side, kind: RunResult['kind'], apps: string[], prefix: string) =>
      toRunResult(ctx, kind, side.label, {}, mergeLoads(side.parts), side.meter, measuredParts(infra, apps), prefix);
    const service = await result(sides.service, 'service', ['worker', 'api'], 'payment-');
    const bareResult = await result(sides.bare, 'bare', ['worker'], 'bare-');
    const minimalResult = await result(sides.minimal, 'minimal', ['worker'], 'minimal-');
    const baselineResult = sides.baseline ? await result(sides.baseline, 'baseline', ['worker', 'api'], 'payment-') : undefined;
    say(
      `C=${concurrency}: service ${service.paymentsPerSecond}/s${baselineResult ? `, baseline ${baselineResult.paymentsPerSecond}/s` : ''}, ` +
        `bare ${bareResult.paymentsPerSecond}/s, minimal ${minimalResult.paymentsPerSecond}/s; webhook answered p99 ${service.webhook?.answerMs?.p99 ?? '–'} ms`,
    );
    await stopBaselines();
    const pair: PairResult = { service, bare: bareResult, minimal: minimalResult, ...(baselineResult ? { baseline: baselineResult } : {}), ids: mergeLoads(sides.service.parts).ids };
    if (keepServices) return { ...pair, services };
    await services.stop();
    return pair;
  } catch (error) {
    await stopBaselines();
    await services.stop();
    throw error;
  }
}

export interface ScaleSettings {
  levels: number[];
  createConcurrency: number;
  probeCount: number;
  probeConcurrency: number;
  settleConcurrency: number;
  pollMs: number;
  timeoutMs: number;
  warmup: number;
  /**
   * Probe each level only once its youngest payment is past its first hour of reconciliation look-ups, as open
   * payments that arrived over a day would be; false probes right after the step's burst of creates (the worst case).
   */
  probeAfterFirstHour?: boolean;
  /**
   * Probe each level only once the service's processes are quiet (`waitForQuiet`): what holding the open payments
   * costs, with the step's burst of creates drained from Temporal's queues.
   */
  probeWhenQuiet?: boolean;
  /** Read the host yardstick before each probe and while it runs (`readYardstick`). */
  hostYardstick?: boolean;
  /** The worker's memory limit in MB, as a container's (a cgroup); undefined runs it with the host's memory. */
  workerMemoryMB?: number;
  /**
   * Settle only this many of the held payments, spread evenly over their creation order; undefined settles all. At
   * 50,000 open the settle alone would take longer than the creates: a sample shows the held payments still complete.
   */
  settleCount?: number;
}

export interface GrowthPoint {
  openPending: number;
  /** Open payment workflows on this run's task queue: pending + earlier probes and warm-up (succeeded, in their refund window). */
  openWorkflows: number;
  createdThisStep: number;
  createSecondsThisStep: number;
  createPerSecondThisStep: number | null;
  createMsThisStep: Summary | null;
  workerRssMiB: number | null;
  apiRssMiB: number | null;
  temporalRssMiB: number | null;
  temporalDbBytes: number;
  /** Midtrans status calls since the previous point (charge confirmations, settlements, and reconciliation wake-ups). */
  midtransStatusCallsSincePrevious: number;
  secondsSincePrevious: number;
  /** Seconds from the step's last create to the probe's start: 0 unless the probe waited out the first hour. */
  probeStartedAfterSeconds?: number;
  /** Midtrans status calls while the probe ran: its own payments' and any open payment's reconciliation. */
  midtransStatusCallsDuringProbe?: number;
  /**
   * CPU ms each process used while the probe ran, per completed probe payment (the open payments' own work, such as
   * their reconciliation look-ups, counts in it): where a slower probe at a higher level lost its time.
   */
  probeCpuMsPerPayment?: Record<string, number | null>;
  /** With `probeWhenQuiet`: how long the probe waited, the cores the service used in the last window, and whether it got quiet. */
  probeWaitedForQuiet?: QuietWait;
  /** With `hostYardstick`: the fixed work's CPU cost just before the probe and while it ran. */
  hostYardstick?: { beforeProbe: YardstickReading | null; duringProbe: YardstickReading | null };
  /** The worker's CPU over the probe as the kernel splits it, per completed probe payment; absent in older reports. */
  probeWorkerThreads?: WorkerThreadsPerPayment | null;
  probe: Pick<LoadResult, 'count' | 'concurrency' | 'completed' | 'failed' | 'paymentsPerSecond' | 'createMs' | 'paySuccessMs' | 'createDownstreamMs'>;
}

/** A process's CPU over a window split by user and system time and by thread, per payment (ms; faults as counts). */
export interface WorkerThreadsPerPayment {
  userMs: number;
  systemMs: number;
  minorFaults: number;
  majorFaults: number;
  /** Live threads' CPU summed by the kernel's name for them, busiest first. */
  byThreadMs: Record<string, number>;
  /** Threads that ended within the window, such as Node's watchdog for each entry into a workflow's sandbox. */
  endedThreadsMs: number;
}

export function threadsPerPayment(usage: ThreadsUsage | null, payments: number): WorkerThreadsPerPayment | null {
  if (!usage || payments === 0) return null;
  const perPayment = (seconds: number) => round2((seconds * 1000) / payments);
  const byName = new Map<string, number>();
  for (const thread of usage.threads) byName.set(thread.name, (byName.get(thread.name) ?? 0) + thread.seconds);
  return {
    userMs: perPayment(usage.userSeconds),
    systemMs: perPayment(usage.systemSeconds),
    minorFaults: round2(usage.minorFaults / payments),
    majorFaults: round2(usage.majorFaults / payments),
    byThreadMs: Object.fromEntries([...byName].sort((a, b) => b[1] - a[1]).map(([name, seconds]) => [name, perPayment(seconds)])),
    endedThreadsMs: perPayment(usage.endedThreadsSeconds),
  };
}

type SimulatorStats = {
  charges: { received: number; applied: number };
  notifications: { created: number; sent: number; delivered: number; failed: number; dropped: number };
  transactions: number;
};

async function simulatorStats(infra: Infra): Promise<SimulatorStats> {
  const response = await fetch(`${infra.simulator.url}/_simulator/stats`);
  return (await response.json()) as SimulatorStats;
}

interface QuietWait {
  seconds: number;
  cores: number;
  quiet: boolean;
}

/**
 * The service's own processes (not the bench, not the simulator): whose CPU says whether the service is still busy
 * with earlier work, and whose CPU per probe payment the growth table shows, in its column's order.
 */
export const SERVICE_PROCESSES = ['worker', 'api', 'temporal', 'temporalPostgres', 'postgres'];
/** Quiet: the service's processes together under this share of one core over one window. */
export const QUIET_CORES = 0.15;
export const QUIET_WINDOW_MS = 5_000;
export const QUIET_GIVE_UP_MS = 5 * 60_000;
const YARDSTICK_INTO_PROBE_MS = 5_000;

/** Waits until the service's processes are quiet over a window, at most QUIET_GIVE_UP_MS. */
async function waitForQuiet(meter: () => CpuMeter): Promise<QuietWait> {
  const started = now();
  for (;;) {
    const window = meter().start();
    await sleep(QUIET_WINDOW_MS);
    const used = window.stop();
    const cores = round2(SERVICE_PROCESSES.reduce((sum, name) => sum + (used[name] ?? 0), 0) / (QUIET_WINDOW_MS / 1000));
    const quiet = cores < QUIET_CORES;
    if (quiet || now() - started >= QUIET_GIVE_UP_MS) return { seconds: round2((now() - started) / 1000), cores, quiet };
  }
}

/** The last early reconciliation look, after which an open payment is looked at every 6 hours. */
const FIRST_HOUR_MS = Math.max(...DEFAULT_EARLY_LOOKS_MINUTES) * 60_000;

/**
 * Waits `ms` for the step's youngest payment to pass its last early look, then until Midtrans has had no status call
 * for 30 s (those looks run late on a busy worker), at most 15 minutes more.
 */
async function waitOutFirstHour(infra: Infra, label: string, ms: number): Promise<void> {
  say(`${label}: waiting ${Math.round(ms / 60_000)} min for the open payments' first-hour look-ups to pass`);
  const until = now() + ms;
  while (now() < until) await sleep(Math.min(60_000, until - now()));
  const giveUpAt = now() + 15 * 60_000;
  let calls = infra.midtransCalls.status ?? 0;
  let quietSince = now();
  while (now() - quietSince < 30_000 && now() < giveUpAt) {
    await sleep(5_000);
    const nowCalls = infra.midtransCalls.status ?? 0;
    if (nowCalls !== calls) quietSince = now();
    calls = nowCalls;
  }
}

export interface ScaleResult {
  label: string;
  workerEnv: Record<string, string>;
  openTarget: number;
  /** Payments taken before the first level (absent in reports from before it was recorded). */
  warmup?: { count: number; concurrency: number };
  create: {
    concurrency: number;
    count: number;
    created: number;
    seconds: number;
    perSecond: number;
    createMs: Summary | null;
    statuses: Record<string, number>;
    errors: Record<string, number>;
  };
  pendingBeforeSettle: Record<string, number>;
  settle: {
    concurrency: number;
    payRequestsSeconds: number;
    /** First pay request → the last of these payments marked success in PostgreSQL (its paid_at). */
    toAllSuccessSeconds: number | null;
    /** First pay request → the last downstream call for these payments (receiver's clock). */
    toAllDownstreamSeconds: number | null;
    payErrors: Record<string, number>;
    timedOut: boolean;
  };
  counts: {
    open: number;
    /** The held payments the phase settled (`--settle N`); absent when it settled all of them. */
    settled?: number;
    reachedSuccess: number;
    statusesAfter: Record<string, number>;
    downstreamBoth: number;
    downstreamTransaction: number;
    downstreamUser: number;
    statusApiSample: { checked: number; success: number; fromWorkflow: number };
  };
  simulator: {
    chargesReceived: number;
    chargesApplied: number;
    notificationsCreated: number;
    notificationsDelivered: number;
    notificationsFailed: number;
    /** Of the whole phase: the open payments plus warm-up and probe payments. */
    paymentsCreatedInPhase: number;
  };
  processes: Record<string, ProcessStats>;
  /** Requests the simulator got during the phase (after warm-up), by kind. */
  midtransCalls: Record<string, number>;
  temporalDbBytes: TemporalStorage;
  growth: GrowthPoint[];
  /** The worker's memory limit (`--worker-memory`) and whether it ran to the end under it; absent in older reports. */
  workerMemory?: LimitReading & { workerSurvived: boolean };
  /** The cache the worker sized for itself (from its limit, unless WORKER_MAX_CACHED_WORKFLOWS was set); absent in older reports. */
  workerCachedWorkflows?: number;
}

export async function statusesOf(infra: Infra, ids: string[]): Promise<Record<string, number>> {
  const { rows } = await infra.db.query<{ status: string; n: string }>(
    'select status, count(*)::text as n from payments where id = any($1) group by status',
    [ids],
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** One shape's side of the scale phase: what holding workflows open and probing at each level needs from it. */
export interface HoldAndProbeSide {
  label: string;
  settings: ScaleSettings;
  /** The ids of the workflows held open so far, in creation order; the levels' creates append to it. */
  held: string[];
  /** Starts one workflow that stays open (a pending payment). */
  open(): Promise<{ id: string; status: number | string }>;
  driver: PaymentDriver;
  pids: () => Record<string, number | undefined>;
  cpuMeter: () => CpuMeter;
  midtransStatusCalls: () => number;
  temporalDbBytes: () => Promise<number>;
  /** Throws when the side can no longer take work (its worker exited). */
  stillRuns: () => void;
  /** Workflows already open before the first level (the warm-up's, when its payments stay open). */
  openBeforeFirstLevel: number;
  /** Whether a probe's payments stay open after it: the service's do, through their refund window. */
  probesStayOpen: boolean;
  /** Waits after a step's creates, before its probe (the service's open payments' first hour of look-ups). */
  beforeProbe?: (stepEnd: number) => Promise<void>;
}

export interface HoldAndProbeResult {
  growth: GrowthPoint[];
  attempted: number;
  createSeconds: number;
  allCreateMs: number[];
  statuses: Record<string, number>;
  errors: Record<string, number>;
}

/** The levels in increasing order: create the step's workflows to hold open, read memory and storage, then probe. */
export async function holdAndProbe(side: HoldAndProbeSide): Promise<HoldAndProbeResult> {
  const { label, settings, held, driver } = side;
  const loadSettings = { pollMs: settings.pollMs, timeoutMs: settings.timeoutMs };
  const allCreateMs: number[] = [];
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let createSeconds = 0;
  let attempted = 0;
  let openElsewhere = side.openBeforeFirstLevel;
  let statusCallsAtPoint = side.midtransStatusCalls();
  let pointAt = now();
  const growth: GrowthPoint[] = [];
  for (const level of [...settings.levels].sort((a, b) => a - b)) {
    const toCreate = Math.max(0, level - held.length);
    const stepMs: number[] = [];
    const stepStart = now();
    if (toCreate > 0) {
      say(`${label}: creating ${toCreate} workflows to hold open (→ ${level}) at concurrency ${settings.createConcurrency}`);
      let made = 0;
      const progress = setInterval(() => say(`  ${label}: created ${made}/${toCreate}`), 10_000);
      try {
        await pool(Array.from({ length: toCreate }), settings.createConcurrency, async () => {
          side.stillRuns();
          const started = now();
          attempted += 1;
          try {
            const created = await side.open();
            const ms = now() - started;
            stepMs.push(ms);
            allCreateMs.push(ms);
            held.push(created.id);
            tally(statuses, String(created.status));
          } catch (error) {
            tally(errors, error instanceof Error ? error.message : String(error));
          } finally {
            made += 1;
          }
        });
      } finally {
        clearInterval(progress);
      }
    }
    side.stillRuns();
    const stepSeconds = (now() - stepStart) / 1000;
    if (toCreate > 0) createSeconds += stepSeconds;
    const pids = side.pids();
    const point: Omit<GrowthPoint, 'probe'> = {
      openPending: held.length,
      openWorkflows: held.length + openElsewhere,
      createdThisStep: stepMs.length,
      createSecondsThisStep: round2(toCreate > 0 ? stepSeconds : 0),
      createPerSecondThisStep: toCreate > 0 ? round2(stepMs.length / stepSeconds) : null,
      createMsThisStep: summarize(stepMs),
      workerRssMiB: mib(readMemory(pids.worker)?.rssKiB),
      apiRssMiB: mib(readMemory(pids.api)?.rssKiB),
      temporalRssMiB: mib(readMemory(pids.temporal)?.rssKiB),
      temporalDbBytes: await side.temporalDbBytes(),
      midtransStatusCallsSincePrevious: side.midtransStatusCalls() - statusCallsAtPoint,
      secondsSincePrevious: round2((now() - pointAt) / 1000),
    };
    statusCallsAtPoint = side.midtransStatusCalls();
    pointAt = now();
    const stepEnd = stepStart + stepSeconds * 1000;
    if (side.beforeProbe && toCreate > 0) await side.beforeProbe(stepEnd);
    const waited = settings.probeWhenQuiet ? await waitForQuiet(side.cpuMeter) : undefined;
    if (waited) say(`${label}: probing after ${waited.seconds} s, the service at ${waited.cores} cores${waited.quiet ? '' : ' (not quiet: gave up waiting)'}`);
    const probeStartedAfterSeconds = round2((now() - stepEnd) / 1000);
    say(`${label}: ${held.length} held open; worker RSS ${point.workerRssMiB} MiB; probing ${settings.probeCount} payments at concurrency ${settings.probeConcurrency}`);
    const yardstickBefore = settings.hostYardstick ? await readYardstick() : undefined;
    const statusCallsBeforeProbe = side.midtransStatusCalls();
    const probeCpu = side.cpuMeter().start();
    const probeWorkerThreads = new ThreadsMeter(pids.worker).start();
    // Read a few seconds in, once the probe has the service busy; its cost to the probe is the same at every level.
    const yardstickDuring = settings.hostYardstick ? sleep(YARDSTICK_INTO_PROBE_MS).then(readYardstick) : undefined;
    const probe = await runLoad(driver, { ...loadSettings, count: settings.probeCount, concurrency: settings.probeConcurrency, label: `${label} probe @${level}` });
    const probeCpuSeconds = probeCpu.stop();
    const workerThreads = probeWorkerThreads.stop();
    const hostYardstick = yardstickDuring ? { beforeProbe: yardstickBefore ?? null, duringProbe: await yardstickDuring } : undefined;
    if (side.probesStayOpen) openElsewhere += probe.count;
    growth.push({
      ...point,
      probeStartedAfterSeconds,
      midtransStatusCallsDuringProbe: side.midtransStatusCalls() - statusCallsBeforeProbe,
      ...(waited ? { probeWaitedForQuiet: waited } : {}),
      ...(hostYardstick ? { hostYardstick } : {}),
      probeWorkerThreads: threadsPerPayment(workerThreads, probe.completed),
      probeCpuMsPerPayment: Object.fromEntries(
        Object.entries(probeCpuSeconds).map(([name, seconds]) => [name, seconds === null || probe.completed === 0 ? null : round2((seconds * 1000) / probe.completed)]),
      ),
      probe: {
        count: probe.count,
        concurrency: probe.concurrency,
        completed: probe.completed,
        failed: probe.failed,
        paymentsPerSecond: probe.paymentsPerSecond,
        createMs: probe.createMs,
        paySuccessMs: probe.paySuccessMs,
        createDownstreamMs: probe.createDownstreamMs,
      },
    });
    say(`${label}: probe @${level} held open: ${probe.paymentsPerSecond} payments/s`);
  }
  return { growth, attempted, createSeconds, allCreateMs, statuses, errors };
}

/**
 * Scale and growth: M pending VA payments (24 h expiry) held open at once, created in steps; at each step the
 * memory, the Temporal database size and a probe of end-to-end throughput; then all of them settled.
 */
export async function runScale(ctx: Context, settings: ScaleSettings, workerEnv: Record<string, string> = {}): Promise<ScaleResult> {
  const { infra, tracker } = ctx;
  const label = `scale${Object.keys(workerEnv).length ? '-tuned' : ''}`;
  const openTarget = Math.max(...settings.levels);
  say(`${label}: starting worker and API`);
  const workerMemoryBytes = settings.workerMemoryMB === undefined ? undefined : settings.workerMemoryMB * 1e6;
  const services = await startPaymentServices(ctx.cleanup, infra, label, workerEnv, undefined, { workerMemoryBytes });
  const cacheSetting = infra.serviceEnv(services.taskQueue, workerEnv).WORKER_MAX_CACHED_WORKFLOWS;
  const workerCachedWorkflows = workflowCacheSize(
    cacheSetting ? Number(cacheSetting) : undefined,
    workerMemoryBytes === undefined ? undefined : { bytes: workerMemoryBytes, source: 'cgroup' },
  ).maxCachedWorkflows;
  // Without its worker the phase would go on creating payments that never charge: it ends, saying why.
  const workerStillRuns = () => {
    if (services.worker.running) return;
    const { limit } = readLimit(services.worker.memoryLimit);
    const killed = limit?.oomKills ? `: OOM-killed at its ${limit.bytes / 1e6} MB memory limit` : '';
    throw new Error(`${label}: the worker exited with ${pending.length} payments open${killed}`);
  };
  const pending: string[] = [];
  try {
    const driver = httpDriver({ apiUrl: infra.apiUrl, simulatorUrl: infra.simulator.url, chargeMs: infra.simulator.chargeMs, tracker, tag: label });
    const loadSettings = { pollMs: settings.pollMs, timeoutMs: settings.timeoutMs };
    const statsBefore = await simulatorStats(infra);
    let phasePayments = 0;
    const warmup = scaleWarmup(settings);
    await runLoad(driver, { ...loadSettings, count: warmup.count, concurrency: Math.min(warmup.count, warmup.concurrency), label: `${label} warm-up` });
    phasePayments += warmup.count;
    const sampler = new RssSampler(services.pids).start();
    const cpu = new CpuMeter(services.pids, postgresTrees(infra)).start();
    const callsAtStart = { ...infra.midtransCalls };

    const held = await holdAndProbe({
      label,
      settings,
      held: pending,
      open: driver.createOnly,
      driver,
      pids: services.pids,
      cpuMeter: () => new CpuMeter(services.pids, postgresTrees(infra)),
      midtransStatusCalls: () => infra.midtransCalls.status ?? 0,
      temporalDbBytes: async () => (await infra.temporalStorage()).total,
      stillRuns: workerStillRuns,
      openBeforeFirstLevel: warmup.count,
      probesStayOpen: true,
      ...(settings.probeAfterFirstHour ? { beforeProbe: (stepEnd: number) => waitOutFirstHour(infra, label, stepEnd + FIRST_HOUR_MS - now()) } : {}),
    });
    phasePayments += held.attempted + settings.levels.length * settings.probeCount;
    const { growth, createSeconds, attempted, allCreateMs, statuses, errors } = held;

    const pendingBeforeSettle = await statusesOf(infra, pending);
    const toSettle = evenSample(pending, settings.settleCount);
    say(`${label}: settling ${toSettle.length} payments at concurrency ${settings.settleConcurrency} (statuses now ${JSON.stringify(pendingBeforeSettle)})`);
    const settleStart = now();
    const payErrors: Record<string, number> = {};
    let paid = 0;
    const payProgress = setInterval(() => say(`  ${label}: paid ${paid}/${toSettle.length}`), 10_000);
    try {
      await pool(toSettle, settings.settleConcurrency, async (id) => {
        workerStillRuns();
        try {
          await driver.pay(id, now() + settings.timeoutMs);
        } catch (error) {
          tally(payErrors, error instanceof Error ? error.message : String(error));
        } finally {
          paid += 1;
        }
      });
    } finally {
      clearInterval(payProgress);
    }
    const payRequestsSeconds = (now() - settleStart) / 1000;
    say(`${label}: ${toSettle.length} pay requests sent in ${payRequestsSeconds.toFixed(1)} s; waiting for success and downstream calls`);

    // Wait for all of them, bounded: an overall deadline, and giving up after two minutes without progress.
    const deadline = settleStart + Math.max(300_000, toSettle.length * 300);
    let lastProgress = now();
    let lastDone = -1;
    let timedOut = false;
    let successCount = 0;
    let downstream = tracker.count(toSettle);
    let lastLine = 0;
    for (;;) {
      successCount = (await statusesOf(infra, toSettle)).success ?? 0;
      downstream = tracker.count(toSettle);
      const doneNow = successCount + downstream.both;
      if (doneNow !== lastDone) {
        lastDone = doneNow;
        lastProgress = now();
      }
      if (now() - lastLine > 10_000) {
        lastLine = now();
        say(`  ${label}: success ${successCount}/${toSettle.length}, both downstream calls ${downstream.both}/${toSettle.length} (${((now() - settleStart) / 1000).toFixed(0)} s)`);
      }
      if (successCount >= toSettle.length && downstream.both >= toSettle.length) break;
      if (now() > deadline || now() - lastProgress > 120_000) {
        timedOut = true;
        break;
      }
      await sleep(1_000);
    }

    const { rows } = await infra.db.query<{ last: Date | null }>('select max(paid_at) as last from payments where id = any($1)', [toSettle]);
    const lastPaidAt = rows[0]?.last?.getTime();
    const downstreamTimes = toSettle.map((id) => tracker.doneAt(id)).filter((t): t is number => t !== undefined);
    const statusesAfter = await statusesOf(infra, toSettle);

    // A sample through the API itself: GET …/status should say success, live from the workflow.
    const sample = toSettle.filter((_, i) => i % Math.max(1, Math.floor(toSettle.length / 50)) === 0).slice(0, 50);
    let sampleSuccess = 0;
    let sampleFromWorkflow = 0;
    await pool(sample, 8, async (id) => {
      const response = await fetch(`${infra.apiUrl}/payments/${id}/status`, { signal: AbortSignal.timeout(10_000) }).catch(() => null);
      const body = (await response?.json().catch(() => null)) as { status?: string; source?: string } | null;
      if (body?.status === 'success') sampleSuccess += 1;
      if (body?.source === 'workflow') sampleFromWorkflow += 1;
    });

    const peaks = sampler.stop();
    const cpuUsed = cpu.stop();
    const statsAfter = await simulatorStats(infra);
    const result: ScaleResult = {
      label,
      workerEnv,
      openTarget,
      warmup,
      create: {
        concurrency: settings.createConcurrency,
        count: attempted,
        created: pending.length,
        seconds: round2(createSeconds),
        perSecond: createSeconds > 0 ? round2(pending.length / createSeconds) : 0,
        createMs: summarize(allCreateMs),
        statuses,
        errors,
      },
      pendingBeforeSettle,
      settle: {
        concurrency: settings.settleConcurrency,
        payRequestsSeconds: round2(payRequestsSeconds),
        toAllSuccessSeconds: lastPaidAt && successCount >= toSettle.length ? round2((lastPaidAt - settleStart) / 1000) : null,
        toAllDownstreamSeconds:
          downstreamTimes.length >= toSettle.length && downstreamTimes.length > 0 ? round2((Math.max(...downstreamTimes) - settleStart) / 1000) : null,
        payErrors,
        timedOut,
      },
      counts: {
        open: pending.length,
        ...(toSettle.length < pending.length ? { settled: toSettle.length } : {}),
        reachedSuccess: statusesAfter.success ?? 0,
        statusesAfter,
        downstreamBoth: downstream.both,
        downstreamTransaction: downstream.transaction,
        downstreamUser: downstream.user,
        statusApiSample: { checked: sample.length, success: sampleSuccess, fromWorkflow: sampleFromWorkflow },
      },
      simulator: {
        chargesReceived: statsAfter.charges.received - statsBefore.charges.received,
        chargesApplied: statsAfter.charges.applied - statsBefore.charges.applied,
        notificationsCreated: statsAfter.notifications.created - statsBefore.notifications.created,
        notificationsDelivered: statsAfter.notifications.delivered - statsBefore.notifications.delivered,
        notificationsFailed: statsAfter.notifications.failed - statsBefore.notifications.failed,
        paymentsCreatedInPhase: phasePayments,
      },
      processes: processStats(services.pids(), peaks, cpuUsed, pending.length, measuredParts(infra, ['worker', 'api'])),
      midtransCalls: callsDelta(infra.midtransCalls, callsAtStart),
      temporalDbBytes: await infra.temporalStorage(),
      growth,
      workerMemory: { ...readLimit(services.worker.memoryLimit), workerSurvived: services.worker.running },
      workerCachedWorkflows,
    };
    say(
      `${label}: created ${pending.length} in ${result.create.seconds} s, all success after ${result.settle.toAllSuccessSeconds} s, ` +
        `worker VmHWM ${result.processes.worker?.hwmMiB} MiB`,
    );
    return result;
  } finally {
    await services.stop();
  }
}

/**
 * The scale phase's warm-up: at least a probe's worth, at the probe's concurrency. Every process's first few hundred
 * payments cost more (JIT, pools, caches), and the first probe at 0 open would pay for them (docs/tuning.md, "The probe
 * at 10,000 open with a host yardstick").
 */
export function scaleWarmup(settings: Pick<ScaleSettings, 'warmup' | 'probeCount' | 'probeConcurrency'>): { count: number; concurrency: number } {
  return { count: Math.max(settings.warmup, settings.probeCount), concurrency: settings.probeConcurrency };
}

/** `count` items spread evenly over `items`, in order; all of them when `count` is undefined or not smaller. */
export function evenSample<T>(items: T[], count: number | undefined): T[] {
  if (count === undefined || count >= items.length) return items;
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

export const ratio = (a: number, b: number) => (b > 0 ? round2(a / b) : null);
