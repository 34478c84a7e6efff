import { httpDriver, runLoad } from './load';
import { minimalDriver, startMinimalWebhookReceiver } from './minimal';
import { holdAndProbe, scaleWarmup, startBareWorker, type Context, type GrowthPoint, type ScaleSettings } from './phases';
import { CpuMeter } from './procs';
import { postgresTrees, SERVER_KEY, type ServiceUnderTest } from './stack';
import { round2, say, summarize, type Summary } from './util';

/**
 * The scale phase's levels and probes for the minimal shape (bench/minimal-workflow.ts), the least a
 * payment-per-workflow design can do: at each level that many minimal-shape workflows held open (charged, waiting
 * for a settlement that does not come), then a probe of minimal-shape payments. What holding workflows open costs a
 * design with no work of its own per open payment (no read model, no reconciliation, no timers): the floor under the
 * service's "probe at 10,000 open against the probe at 0".
 */
export interface MinimalScaleResult {
  label: string;
  /** The cache the minimal-shape worker sized for itself, as the service's worker does (from its memory limit). */
  workerCachedWorkflows: number | null;
  /** The memory limit in MB the worker ran under (the scale phase's, `--worker-memory`); absent: none. */
  workerMemoryMB?: number;
  warmup: { count: number; concurrency: number };
  create: { concurrency: number; count: number; created: number; seconds: number; perSecond: number; createMs: Summary | null; errors: Record<string, number> };
  /** As the service's growth points; `openPending` is the minimal-shape workflows held open, the probes' complete. */
  growth: GrowthPoint[];
}

export async function runMinimalScale(ctx: Context, settings: ScaleSettings): Promise<MinimalScaleResult> {
  const { infra, tracker } = ctx;
  const label = 'scale-minimal';
  const webhook = await startMinimalWebhookReceiver(infra.client, SERVER_KEY);
  let worker: ServiceUnderTest | undefined;
  try {
    say(`${label}: starting the minimal-shape worker`);
    // Under the service's scale worker's memory limit, from which it sizes its cache as that worker does.
    const memoryLimitBytes = settings.workerMemoryMB === undefined ? undefined : settings.workerMemoryMB * 1e6;
    const env = { BARE_SHAPE: 'minimal', BARE_NOTIFICATION_URL: webhook.url };
    const bare = await startBareWorker(ctx, 'minimal-scale-worker', env, (started) => (worker = started), memoryLimitBytes);
    const http = httpDriver({ apiUrl: infra.apiUrl, simulatorUrl: infra.simulator.url, chargeMs: infra.simulator.chargeMs, tracker, tag: label });
    const driver = minimalDriver(infra.client, bare.queue, webhook, tracker, http);
    const warmup = scaleWarmup(settings);
    await runLoad(driver, { pollMs: settings.pollMs, timeoutMs: settings.timeoutMs, count: warmup.count, concurrency: Math.min(warmup.count, warmup.concurrency), label: `${label} warm-up` });
    const pids = () => ({ worker: bare.worker.mainPid, temporal: infra.temporalPid });
    const held: string[] = [];
    const { growth, attempted, createSeconds, allCreateMs, errors } = await holdAndProbe({
      label,
      settings,
      held,
      open: driver.create,
      driver,
      pids,
      cpuMeter: () => new CpuMeter(pids, postgresTrees(infra)),
      midtransStatusCalls: () => infra.midtransCalls.status ?? 0,
      temporalDbBytes: async () => (await infra.temporalStorage()).total,
      stillRuns: () => {
        if (!bare.worker.running) throw new Error(`${label}: the minimal-shape worker exited with ${held.length} workflows held open`);
      },
      openBeforeFirstLevel: 0,
      probesStayOpen: false,
    });
    // The held workflows stay open in this run's Temporal, as the service's unsettled ones do (`--settle`).
    return {
      label,
      workerCachedWorkflows: bare.maxCachedWorkflows ?? null,
      // Only a limit the worker really ran under (a host without a writable cgroup runs it without, and says so).
      ...(settings.workerMemoryMB !== undefined && limitApplied(bare.worker) ? { workerMemoryMB: settings.workerMemoryMB } : {}),
      warmup,
      create: {
        concurrency: settings.createConcurrency,
        count: attempted,
        created: held.length,
        seconds: round2(createSeconds),
        perSecond: createSeconds > 0 ? round2(held.length / createSeconds) : 0,
        createMs: summarize(allCreateMs),
        errors,
      },
      growth,
    };
  } finally {
    try {
      await (worker as ServiceUnderTest | undefined)?.stop();
    } finally {
      await webhook.close();
    }
  }
}

const limitApplied = (worker: ServiceUnderTest) => worker.memoryLimit !== undefined && !('unavailable' in worker.memoryLimit);
