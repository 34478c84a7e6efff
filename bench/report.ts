import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ApiOverheadResult } from './api-overhead';
import { renderCapacity } from './capacity';
import { benchmarkCharts } from './charts';
import type { IoUringRefusal } from './io-uring';
import type { MinimalScaleResult } from './minimal-scale';
import type { Options, Phase } from './options';
import type { BaselineCode } from './baseline';
import type { LimitReading } from './memory-limit';
import { megabytes, type BurstResult } from './burst';
import { QUIET_CORES, QUIET_GIVE_UP_MS, QUIET_WINDOW_MS, SERVICE_PROCESSES, ratio, type GrowthPoint, type RunResult, type ScaleResult, type WorkerThreadsPerPayment } from './phases';
import type { TemporalStorage } from './stack';
import { fmt, mean, row, type Summary } from './util';
import { YARDSTICK_PARTS, type YardstickReading } from './yardstick';

/** docs/benchmarks.json is the raw record; docs/benchmarks.md is rendered from it and nothing else. */

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  temporalCli: string;
  temporalCliPath: string;
  postgres: string;
  /** `temporal-server --version`, when the production topology ran. */
  temporalServer?: string;
  loadAverageStart: number[];
  loadAverageEnd?: number[];
}

export interface Meta {
  /** git commit of the code measured (absent in reports from before it was recorded). */
  commit?: string;
  mode: Options['mode'];
  argv: string[];
  startedAt: string;
  finishedAt?: string;
  durationSeconds?: number;
  machine: Machine;
  settings: {
    ports: Record<string, number | string>;
    pollMs: number;
    timeoutMs: number;
    /** The background tier's cpu weight against 1024 (bench/cpu-weight.ts); null: every process equal. Absent before 2026-12-05. */
    backgroundCpuShares?: number | null;
    /** Whether the services ran with io_uring refused, as containers run them (bench/io-uring.ts). Absent in reports from before 2026-12-06 16:19 UTC: allowed. */
    ioUring?: IoUringRefusal;
    workerDefaults: Record<string, number | boolean> & { WORKER_MAX_CACHED_WORKFLOWS?: number };
    sizes: Pick<Options, 'sweep' | 'count' | 'warmup' | 'api' | 'scale'> & Partial<Pick<Options, 'countAtOne' | 'burst'>>;
  };
  error?: string;
}

export interface TuningResult {
  meta: Meta;
  env: Record<string, string>;
  /** What the two sides differ in, where it is not the worker's environment (the cpu weights). */
  change?: string;
  concurrency: number;
  e2e: { baseline: RunResult[]; tuned: RunResult[] };
  scale?: { baseline: ScaleResult; tuned?: ScaleResult };
}

/** What one Temporal topology measured. */
export interface PhaseResults {
  e2e?: BenchResults['e2e'];
  api?: ApiOverheadResult;
  scale?: ScaleResult;
  /** `--only scale-minimal`: the minimal shape held open and probed at the scale phase's levels. */
  scaleMinimal?: MinimalScaleResult;
  burst?: BurstResult;
}

export interface BenchResults {
  meta: Meta;
  /** Phases re-measured later (`--merge`), with the meta of the run that measured them. */
  /** Keyed by the phase, "… on the production topology" for one re-measured there. */
  phaseMeta?: Partial<Record<Phase | `${Phase} on the production topology`, Meta>>;
  e2e?: {
    service: RunResult[];
    bare: RunResult[];
    /** The minimal shape (bench/minimal-workflow.ts); absent in reports from before it was measured. */
    minimal?: RunResult[];
    /** The service's code at another commit (`--baseline`), in the same interleaved chunks. */
    baseline?: RunResult[];
    baselineCode?: BaselineCode;
    ratios: Array<{
      concurrency: number;
      service: number;
      bare: number;
      ratio: number | null;
      /** CPU ms per payment summed over the attributed processes (PostgreSQL not included). */
      serviceCpuMs?: number;
      bareCpuMs?: number;
      /** bare CPU / service CPU: the throughput share a CPU-bound machine would give the service. */
      cpuRatio?: number | null;
      /** The minimal shape's workflows/s, and the service as a share of it by throughput and by CPU. */
      minimal?: number;
      minimalRatio?: number | null;
      minimalCpuMs?: number;
      minimalCpuRatio?: number | null;
      /** The `--baseline` code's payments/s, and the service ÷ it by throughput and by CPU (baseline CPU ÷ service CPU). */
      baseline?: number;
      baselineRatio?: number | null;
      baselineCpuMs?: number;
      baselineCpuRatio?: number | null;
    }>;
  };
  api?: ApiOverheadResult;
  scale?: ScaleResult;
  scaleMinimal?: MinimalScaleResult;
  burst?: BurstResult;
  tuning?: TuningResult;
  /**
   * The production topology (`--temporal stack` or `both`): temporal-server on PostgreSQL, with the meta of its part
   * of the run. The fields above hold the dev server's.
   */
  stack?: PhaseResults & { meta: Meta };
}

const ms = (s: Summary | null | undefined) => (s ? `${fmt(s.p50)} / ${fmt(s.p95)} / ${fmt(s.p99)}` : '–');
const bytes = (b: number | null | undefined) => (b == null ? '–' : b >= 1 << 20 ? `${fmt(b / (1 << 20))} MiB` : `${fmt(b / 1024)} KiB`);
const times = (v: number | null | undefined) => (v == null || Number.isNaN(v) ? '–' : `${fmt(v, 2)}×`);
const pct = (v: number | null | undefined) => (v == null ? '–' : `${fmt(v * 100, 0)} %`);
const command = (argv: string[]) => (argv.length ? `npm run bench -- ${argv.join(' ')}` : 'npm run bench');

function machineSection(meta: Meta, phaseMeta: BenchResults['phaseMeta'] = {}, stack?: Meta): string[] {
  const m = meta.machine;
  return [
    row(['Cores', `${m.cores} × ${m.cpuModel}`]),
    row(['Memory', `${fmt(m.memoryGiB)} GiB`]),
    row(['OS', m.os]),
    row(['Node.js', `${m.node} (\`npm run bench\` runs on the image's Node 24 from scripts/install-node24.sh)`]),
    row(['Temporal CLI', `${m.temporalCli} (\`${m.temporalCliPath}\`)`]),
    row(['PostgreSQL', m.postgres]),
    row(['Load average (1/5/15 min) at start → end', `${m.loadAverageStart.map((v) => fmt(v, 2)).join(' / ')} → ${(m.loadAverageEnd ?? []).map((v) => fmt(v, 2)).join(' / ') || '–'}`]),
    row(['Date', `${meta.startedAt} (took ${fmt((meta.durationSeconds ?? 0) / 60)} min)`]),
    row(['Mode', `${meta.mode} (\`${command(meta.argv)}\`)`]),
    row(['Code (git commit)', meta.commit ?? 'not recorded']),
    ...(stack
      ? [
          row([
            'Production topology',
            `${stack.machine.temporalServer ?? 'temporal-server'} on PostgreSQL, measured ${stack.startedAt} (took ${fmt((stack.durationSeconds ?? 0) / 60)} min; ` +
              `load average ${stack.machine.loadAverageStart.map((v) => fmt(v, 2)).join(' / ')} → ${(stack.machine.loadAverageEnd ?? []).map((v) => fmt(v, 2)).join(' / ') || '–'})`,
          ]),
        ]
      : []),
    ...(Object.entries(phaseMeta) as [string, Meta][]).map(([phase, pm]) =>
      row([
        `Phase "${phase}" re-measured (\`--merge\`)`,
        `${pm.startedAt}, commit ${pm.commit ?? '?'} (took ${fmt((pm.durationSeconds ?? 0) / 60)} min; load average ${pm.machine.loadAverageStart.map((v) => fmt(v, 2)).join(' / ')} → ${(pm.machine.loadAverageEnd ?? []).map((v) => fmt(v, 2)).join(' / ') || '–'}; \`${command(pm.argv)}\`)`,
      ]),
    ),
  ];
}

function e2eTable(runs: RunResult[]): string[] {
  const lines = [
    row(['C', 'payments', 'payments/s', 'create ms p50 / p95 / p99', "create minus the gateway's own time ms p50 / p95 / p99", 'pay → success visible ms p50 / p95 / p99', 'create → both downstream ms p50 / p95 / p99', 'webhook answered ms p50 / p95 / p99', 'status polls / payment', 'create answers; failed']),
    row(['--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:']),
  ];
  for (const r of runs) {
    lines.push(
      row([
        r.concurrency,
        `${r.completed}/${r.count}`,
        `**${fmt(r.paymentsPerSecond)}**`,
        ms(r.createMs),
        ms(r.createMinusGatewayMs),
        ms(r.paySuccessMs),
        ms(r.createDownstreamMs),
        ms(r.webhook?.answerMs),
        fmt(r.statusPollsPerPayment),
        `${Object.entries(r.createStatuses).map(([k, v]) => `${k}: ${v}`).join(', ')}; ` +
          (r.failed ? `${r.failed} failed (${Object.entries(r.errors).map(([k, v]) => `${k}: ${v}`).join('; ')})` : '0 failed'),
      ]),
    );
  }
  return lines;
}

/** Service against both baselines at each C: throughput and CPU, as shares. */
function ratioTable(ratios: NonNullable<BenchResults['e2e']>['ratios']): string[] {
  const lines = [
    row(['C', 'service payments/s', 'bare workflows/s', 'minimal workflows/s', 'service as a share of bare (throughput)', 'service ÷ minimal (throughput)',
      'CPU ms / payment: service', 'bare', 'minimal', 'service as a share of bare (CPU: bare ÷ service)', 'service ÷ minimal (CPU: minimal ÷ service)']),
    row(['--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:']),
  ];
  for (const r of ratios) {
    lines.push(
      row([r.concurrency, fmt(r.service), fmt(r.bare), fmt(r.minimal), `**${pct(r.ratio)}**`, `**${times(r.minimalRatio)}**`,
        fmt(r.serviceCpuMs), fmt(r.bareCpuMs), fmt(r.minimalCpuMs), `**${pct(r.cpuRatio)}**`, `**${times(r.minimalCpuRatio)}**`]),
    );
  }
  return lines;
}

function minimalSection(e2e: NonNullable<BenchResults['e2e']>): string[] {
  const lines = [
    '### The minimal shape',
    '',
    'The least any payment-per-workflow design can do for a paid payment (`bench/minimal-workflow.ts`): update-with-start',
    'waiting for the charge, one activity charging the simulator (the same Core API call the service makes, with',
    '`X-Override-Notification` pointing at a tiny webhook endpoint in the bench process that checks the signature and',
    'signals the settlement), then the two signed downstream calls to the same receiver, and the workflow completes: no',
    'read-model writes, no status look-up, no timers, no refund window. "pay → success" is the settlement signal taken by',
    'Temporal. It ran in the same interleaved chunks (service, bare, minimal, minimal, bare, service). The goal is the',
    'service at ≥ 0.8× the minimal shape.',
    '',
  ];
  if (!e2e.minimal?.length) return [...lines, 'Not measured in this run.', ''];
  return [
    ...lines,
    ...e2eTable(e2e.minimal),
    '',
    ...resourceTable(e2e.minimal, ['worker', 'temporal', 'postgres', 'simulator', 'bench']),
    '',
    ...minimalGapTable(e2e.service, e2e.minimal),
  ];
}

/**
 * CPU ms per payment of every process a run measured (worker, API, Temporal, databases, simulator, bench); NaN when one
 * of them has no reading (its process was not found at the run's start or end), since a total without it looks cheaper.
 */
export const cpuMsPerPayment = (r: RunResult) => Object.values(r.processes).reduce((a, p) => a + (p.cpuMsPerPayment ?? NaN), 0);

type E2eRatio = NonNullable<BenchResults['e2e']>['ratios'][number];
const cpuRatio = (numerator: number, denominator: number) => (Number.isFinite(numerator) ? ratio(numerator, denominator) : null);
const wholeMs = (v: number) => (Number.isFinite(v) ? Math.round(v) : undefined);

/** The comparisons of one concurrency's runs, by throughput and by CPU; a side without a CPU figure has no CPU ratio. */
/** What the least any payment-per-workflow design can do reached against the --baseline code: the 2× goal's ceiling in that run. */
const minimalOverBaseline = (x: E2eRatio) => (x.minimal !== undefined && x.baseline !== undefined ? ratio(x.minimal, x.baseline) : null);

export function e2eRatio(concurrency: number, runs: { service: RunResult; bare: RunResult; minimal?: RunResult; baseline?: RunResult }): E2eRatio {
  const { service, bare, minimal, baseline } = runs;
  return {
    concurrency,
    service: service.paymentsPerSecond,
    bare: bare.paymentsPerSecond,
    ratio: ratio(service.paymentsPerSecond, bare.paymentsPerSecond),
    serviceCpuMs: wholeMs(cpuMsPerPayment(service)),
    bareCpuMs: wholeMs(cpuMsPerPayment(bare)),
    cpuRatio: cpuRatio(cpuMsPerPayment(bare), cpuMsPerPayment(service)),
    ...(minimal
      ? {
          minimal: minimal.paymentsPerSecond,
          minimalRatio: ratio(service.paymentsPerSecond, minimal.paymentsPerSecond),
          minimalCpuMs: wholeMs(cpuMsPerPayment(minimal)),
          minimalCpuRatio: cpuRatio(cpuMsPerPayment(minimal), cpuMsPerPayment(service)),
        }
      : {}),
    ...(baseline
      ? {
          baseline: baseline.paymentsPerSecond,
          baselineRatio: ratio(service.paymentsPerSecond, baseline.paymentsPerSecond),
          baselineCpuMs: wholeMs(cpuMsPerPayment(baseline)),
          baselineCpuRatio: cpuRatio(cpuMsPerPayment(baseline), cpuMsPerPayment(service)),
        }
      : {}),
  };
}

/** The e2e comparisons computed again from the runs (`--render`), so a report follows the way they are computed now. */
export function withFreshRatios(results: BenchResults): BenchResults {
  const fresh = <T extends { e2e?: BenchResults['e2e'] }>(phase: T): T => {
    const e2e = phase.e2e;
    if (!e2e) return phase;
    const ratios = e2e.service.map((service, i) =>
      e2eRatio(e2e.ratios[i]?.concurrency ?? service.concurrency, { service, bare: e2e.bare[i]!, minimal: e2e.minimal?.[i], baseline: e2e.baseline?.[i] }),
    );
    return { ...phase, e2e: { ...e2e, ratios } };
  };
  return { ...fresh(results), ...(results.stack ? { stack: fresh(results.stack) } : {}) };
}

const GAP_PARTS = ['worker', 'api', 'postgres', 'temporal', 'simulator', 'bench'];

/** A difference in whole ms with its sign (− / +), 0 when it rounds to nothing. */
const signed = (v: number) => (Number.isNaN(v) ? '–' : Math.round(v) === 0 ? '0' : `${v < 0 ? '−' : '+'}${fmt(Math.abs(v), 0)}`);

/**
 * Where the service's CPU per payment goes beyond the minimal shape's, part by part, and the ratio by CPU the service
 * would reach if its worker cost no more than the minimal shape's: what the parts the minimal shape lacks cost alone.
 */
function minimalGapTable(service: RunResult[], minimal: RunResult[]): string[] {
  // Temporal's own PostgreSQL (the production topology) counts as Temporal.
  // A part the shape does not have costs nothing; a part it has without a reading is no figure.
  const part = (r: RunResult, name: string) =>
    name === 'temporal' ? temporalCpu(r.processes) : r.processes[name] ? (r.processes[name].cpuMsPerPayment ?? NaN) : 0;
  const lines = [
    "Where the service's CPU per payment goes beyond the minimal shape's (ms, same C), and the service ÷ minimal shape by",
    "CPU as measured and as it would be with the minimal shape's worker (every other part as measured), and the CPU per",
    'payment the goal of 0.8× allows (minimal ÷ 0.8) with how far the service is over it:',
    '',
    row(['C', 'service CPU ms', 'minimal CPU ms', ...GAP_PARTS.map((p) => `${p}: service − minimal`), 'service ÷ minimal by CPU', "with the minimal shape's worker",
      'the 0.8× goal allows ms', 'service over it ms']),
    row(['--:', '--:', '--:', ...GAP_PARTS.map(() => '--:'), '--:', '--:', '--:', '--:']),
  ];
  for (const s of service) {
    const m = minimal.find((r) => r.concurrency === s.concurrency);
    if (!m || cpuMsPerPayment(s) === 0) continue;
    lines.push(
      row([
        s.concurrency,
        fmt(cpuMsPerPayment(s), 0),
        fmt(cpuMsPerPayment(m), 0),
        ...GAP_PARTS.map((p) => signed(part(s, p) - part(m, p))),
        times(cpuMsPerPayment(m) / cpuMsPerPayment(s)),
        times(cpuMsPerPayment(m) / (cpuMsPerPayment(s) - part(s, 'worker') + part(m, 'worker'))),
        fmt(cpuMsPerPayment(m) / 0.8, 0),
        signed(cpuMsPerPayment(s) - cpuMsPerPayment(m) / 0.8),
      ]),
    );
  }
  return [...lines, ''];
}

/** The Temporal server's peak is sampled in the scale phase; PostgreSQL's memory is shared across backends. */
const NO_RSS_COLUMN = new Set(['bench', 'simulator', 'temporal', 'postgres']);

function resourceTable(runs: RunResult[], names: string[]): string[] {
  const lines = [
    row(['run', ...names.map((n) => `${n} CPU ms / payment`), ...names.filter((n) => !NO_RSS_COLUMN.has(n)).map((n) => `${n} peak RSS (VmHWM) MiB`), 'Temporal DB after', 'Midtrans requests / payment']),
    row(['--', ...names.map(() => '--:'), ...names.filter((n) => !NO_RSS_COLUMN.has(n)).map(() => '--:'), '--:', '--']),
  ];
  for (const r of runs) {
    lines.push(
      row([
        r.label,
        ...names.map((n) => fmt(r.processes[n]?.cpuMsPerPayment)),
        ...names.filter((n) => !NO_RSS_COLUMN.has(n)).map((n) => fmt(r.processes[n]?.hwmMiB)),
        bytes(r.temporalDbBytesAfter),
        r.midtransCallsPerPayment ? Object.entries(r.midtransCallsPerPayment).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(', ') : '–',
      ]),
    );
  }
  return lines;
}

/** The held payments the scale phase settled: all of them unless `--settle` sampled. */
const heldSettled = (s: ScaleResult) => s.counts.settled ?? s.counts.open;

function scaleSection(s: ScaleResult): string[] {
  const lines: string[] = [];
  lines.push(
    row(['What', 'Value']),
    row(['--', '--:']),
    row(['Open pending VA payments held at once (24 h expiry)', `${s.counts.open} of ${s.openTarget}`]),
    row([`Time to create them (POST /payments, concurrency ${s.create.concurrency})`, `${fmt(s.create.seconds)} s (${fmt(s.create.perSecond)} /s); create ms p50 / p95 / p99 ${ms(s.create.createMs)}`]),
    ...(s.counts.settled === undefined ? [] : [row(['Settled (`--settle`: a sample spread over the creation order; the rest stayed open)', `${s.counts.settled} of ${s.counts.open}`])]),
    row(['Statuses before settling', Object.entries(s.pendingBeforeSettle).map(([k, v]) => `${k}: ${v}`).join(', ')]),
    row([`Time to send all pay requests (simulator control, concurrency ${s.settle.concurrency})`, `${fmt(s.settle.payRequestsSeconds)} s`]),
    row(['Time to settle: first pay → last one `success` in PostgreSQL', s.settle.toAllSuccessSeconds == null ? 'not all reached success' : `${fmt(s.settle.toAllSuccessSeconds)} s`]),
    row(['Time to settle: first pay → last downstream call received', s.settle.toAllDownstreamSeconds == null ? 'not all received' : `${fmt(s.settle.toAllDownstreamSeconds)} s`]),
    row(['Reached success (PostgreSQL)', `${s.counts.reachedSuccess} / ${heldSettled(s)}`]),
    row(['Both downstream calls received (receiver\'s records)', `${s.counts.downstreamBoth} / ${heldSettled(s)} (transaction ${s.counts.downstreamTransaction}, user ${s.counts.downstreamUser})`]),
    row(['GET …/status sample', `${s.counts.statusApiSample.success}/${s.counts.statusApiSample.checked} success, ${s.counts.statusApiSample.fromWorkflow} answered live from the workflow`]),
    row(['Simulator charges received / applied (whole phase)', `${s.simulator.chargesReceived} / ${s.simulator.chargesApplied} for ${s.simulator.paymentsCreatedInPhase} payments created in the phase (open + warm-up + probes)`]),
    row(['Simulator notifications created / delivered / failed', `${s.simulator.notificationsCreated} / ${s.simulator.notificationsDelivered} / ${s.simulator.notificationsFailed}`]),
    row(['Midtrans requests during the phase (after warm-up), by kind', Object.entries(s.midtransCalls ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ')]),
    row(['Worker peak RSS (VmHWM)', `${fmt(s.processes.worker?.hwmMiB)} MiB`]),
    row(["Worker memory limit (a cgroup, as a container's)", workerLimitText(s)]),
    row(['API peak RSS (VmHWM)', `${fmt(s.processes.api?.hwmMiB)} MiB`]),
    row(['Temporal server peak RSS in the phase (sampled)', `${fmt(s.processes.temporal?.peakRssMiB)} MiB`]),
    'persistence' in s.temporalDbBytes
      ? row(["Temporal's PostgreSQL databases at the end", storage(s.temporalDbBytes)])
      : row(['Temporal SQLite file at the end (db + wal + shm)', `${bytes(s.temporalDbBytes.total)} (${bytes(s.temporalDbBytes.db)} + ${bytes(s.temporalDbBytes.wal)} + ${bytes(s.temporalDbBytes.shm)})`]),
    row(['CPU ms per open payment (create + hold + settle): worker / API / Temporal / PostgreSQL / simulator / bench', ['worker', 'api', 'temporal', 'postgres', 'simulator', 'bench'].map((n) => fmt(s.processes[n]?.cpuMsPerPayment)).join(' / ')]),
  );
  if (s.settle.timedOut) lines.push('', '**The settle wait gave up (deadline or two minutes without progress); the counts above are what had arrived.**');
  if (Object.keys(s.create.errors).length) lines.push('', `Create errors: ${JSON.stringify(s.create.errors)}`);
  if (Object.keys(s.settle.payErrors).length) lines.push('', `Pay errors: ${JSON.stringify(s.settle.payErrors)}`);
  return lines;
}

function growthSection(s: ScaleResult): string[] {
  const lines = [
    row(['open pending', 'open workflows', 'create /s (this step)', 'create ms p50 / p99 (this step)', 'Midtrans status calls since previous row', 'worker RSS MiB', 'API RSS MiB', 'Temporal RSS MiB', 'Temporal DB', 'probe started after the step', 'probe payments/s', 'Midtrans status calls during the probe', 'probe pay → success ms p50 / p95 / p99', 'probe create → downstream ms p50 / p95 / p99', "probe CPU ms / payment: worker / API / Temporal / Temporal's PostgreSQL / our PostgreSQL"]),
    row(['--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:']),
  ];
  for (const g of s.growth) {
    lines.push(
      row([
        g.openPending,
        g.openWorkflows,
        fmt(g.createPerSecondThisStep),
        g.createMsThisStep ? `${fmt(g.createMsThisStep.p50)} / ${fmt(g.createMsThisStep.p99)}` : '–',
        g.midtransStatusCallsSincePrevious === undefined ? '–' : `${g.midtransStatusCallsSincePrevious} in ${fmt(g.secondsSincePrevious, 0)} s`,
        fmt(g.workerRssMiB),
        fmt(g.apiRssMiB),
        fmt(g.temporalRssMiB),
        bytes(g.temporalDbBytes),
        g.probeStartedAfterSeconds === undefined
          ? '–'
          : g.probeWaitedForQuiet
            ? `${fmt(g.probeStartedAfterSeconds, 0)} s${g.probeWaitedForQuiet.quiet ? '' : ` (not quiet: ${fmt(g.probeWaitedForQuiet.cores, 2)} cores)`}`
            : `${fmt(g.probeStartedAfterSeconds / 60, 0)} min`,
        `**${fmt(g.probe.paymentsPerSecond)}**${g.probe.failed ? ` (${g.probe.failed} failed)` : ''}`,
        g.midtransStatusCallsDuringProbe ?? '–',
        ms(g.probe.paySuccessMs),
        ms(g.probe.createDownstreamMs),
        g.probeCpuMsPerPayment ? SERVICE_PROCESSES.map((name) => fmt(g.probeCpuMsPerPayment?.[name], 1)).join(' / ') : '–',
      ]),
    );
  }
  if (s.growth.some((g) => g.hostYardstick)) lines.push('', ...hostYardstickTable(s.growth));
  if (s.growth.some((g) => g.probeWorkerThreads)) lines.push('', ...workerThreadsTable(s.growth));
  return lines;
}

/** Each probe's payments/s against the mean of the probes at the lowest level (the target's "at 0 open"). */
export function probeRatios(growth: Array<Pick<GrowthPoint, 'openPending' | 'probe'>>): Array<number | null> {
  const lowest = Math.min(...growth.map((g) => g.openPending));
  const base = mean(growth.filter((g) => g.openPending === lowest).map((g) => g.probe.paymentsPerSecond));
  return growth.map((g) => (base > 0 ? g.probe.paymentsPerSecond / base : null));
}

export function minimalGrowthSection(s: MinimalScaleResult): string[] {
  const first = s.growth[0]?.probe;
  const cores = ['worker', 'temporal', 'temporalPostgres'];
  const ratios = probeRatios(s.growth);
  const lines = [
    `At each level that many minimal-shape workflows (bench/minimal-workflow.ts) are held open, charged and waiting for a`,
    `settlement that does not come, and a probe of ${first?.count ?? '?'} minimal-shape payments at C=${first?.concurrency ?? '?'} is timed (the probes'`,
    'workflows complete, so they do not stay open). The least a payment-per-workflow design does for an open payment:',
    `nothing but be open, and cached by its worker (a cache of ${fmt(s.workerCachedWorkflows, 0)}, which it sized as the service's worker sizes its own${s.workerMemoryMB ? `, under the same ${fmt(s.workerMemoryMB, 0)} MB memory limit` : ''}). The`,
    `worker took ${s.warmup.count} warm-up payments first. Its held workflows were created at ${fmt(s.create.perSecond)} a second` +
      `${Object.keys(s.create.errors).length ? ` (errors: ${Object.entries(s.create.errors).map(([e, n]) => `${n}× ${e}`).join('; ')})` : ''}.`,
    '',
    row(['held open', 'worker RSS MiB', 'Temporal RSS MiB', 'Temporal DB', 'probe started after the step', 'probe payments/s', '÷ the probes at the lowest level', 'probe create → downstream ms p50 / p95 / p99', "probe CPU ms / payment: worker / Temporal / Temporal's PostgreSQL"]),
    row(['--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:']),
    ...s.growth.map((g, i) =>
      row([
        g.openPending,
        fmt(g.workerRssMiB),
        fmt(g.temporalRssMiB),
        bytes(g.temporalDbBytes),
        g.probeStartedAfterSeconds === undefined
          ? '–'
          : `${fmt(g.probeStartedAfterSeconds, 0)} s${g.probeWaitedForQuiet && !g.probeWaitedForQuiet.quiet ? ` (not quiet: ${fmt(g.probeWaitedForQuiet.cores, 2)} cores)` : ''}`,
        `**${fmt(g.probe.paymentsPerSecond)}**${g.probe.failed ? ` (${g.probe.failed} failed)` : ''}`,
        times(ratios[i]),
        ms(g.probe.createDownstreamMs),
        g.probeCpuMsPerPayment ? cores.map((name) => fmt(g.probeCpuMsPerPayment?.[name], 1)).join(' / ') : '–',
      ]),
    ),
  ];
  if (s.growth.some((g) => g.hostYardstick)) lines.push('', ...hostYardstickTable(s.growth, 'held open'));
  if (s.growth.some((g) => g.probeWorkerThreads)) lines.push('', ...workerThreadsTable(s.growth, 'held open'));
  return lines;
}

/** `level` heads the first column: what each row's `openPending` counts. */
export function hostYardstickTable(growth: Array<Pick<GrowthPoint, 'openPending' | 'hostYardstick'>>, level = 'open pending'): string[] {
  const decimals: Record<keyof YardstickReading, number> = { integerNs: 2, aesGcmNs: 0, jsonNs: 0, memoryChaseNs: 0, cacheChaseNs: 0 };
  const reading = (r: YardstickReading | null | undefined) => (r ? YARDSTICK_PARTS.map((part) => fmt(r[part], decimals[part])).join(' / ') : '–');
  return [
    'The host yardstick (`--host-yardstick`): a fixed piece of work in a process of its own, its CPU ns per operation',
    '(register arithmetic / AES-256-GCM over 1 KiB / a JSON round trip / one step of a random walk through 64 MiB / the',
    'same through 4 MiB, which the last-level cache holds unless neighbours evict it), read just before each probe and',
    'again 5 s into it. It does none of the service\'s work: what moves it is the host, and during a probe how much of',
    'the shared caches and memory its neighbours, our processes among them, take.',
    '',
    row([level, 'before the probe', 'during the probe']),
    row(['--:', '--', '--']),
    ...growth.map((g) => row([g.openPending, reading(g.hostYardstick?.beforeProbe), reading(g.hostYardstick?.duringProbe)])),
  ];
}

export function workerThreadsTable(growth: Array<Pick<GrowthPoint, 'openPending' | 'probeWorkerThreads'>>, level = 'open pending'): string[] {
  // Columns for every thread name any probe saw, the busiest (in any probe) first.
  const busiest = new Map<string, number>();
  for (const g of growth) for (const [name, ms] of Object.entries(g.probeWorkerThreads?.byThreadMs ?? {})) busiest.set(name, Math.max(busiest.get(name) ?? 0, ms));
  const names = [...busiest].sort((a, b) => b[1] - a[1]).map(([name]) => name);
  const cells = (t: WorkerThreadsPerPayment | null | undefined) =>
    t
      ? [fmt(t.userMs, 1), fmt(t.systemMs, 1), ...names.map((name) => fmt(t.byThreadMs[name] ?? 0, 1)), fmt(t.endedThreadsMs, 1), fmt(t.minorFaults, 0)]
      : Array<string>(names.length + 4).fill('–');
  return [
    'The worker over each probe as the kernel counts it, per probe payment: CPU ms in user and in system time, then by',
    'thread (MainThread runs the local activities and the bridge to the SDK\'s core, WorkerThread the workflows, V8Worker',
    'the garbage collector\'s and compiler\'s helpers; the core\'s own threads are workflow-proces, its workflows\' state',
    'machines, and tokio-runtime-w, its gRPC; threads that ended within the probe are mostly Node\'s watchdog for each',
    'entry into a workflow\'s sandbox), and minor page faults.',
    '',
    row([level, 'user ms', 'system ms', ...names.map((name) => `${name} ms`), 'ended threads ms', 'minor faults']),
    row(['--:', '--:', '--:', ...names.map(() => '--:'), '--:', '--:']),
    ...growth.map((g) => row([g.openPending, ...cells(g.probeWorkerThreads)])),
  ];
}

function tuningSection(t: TuningResult): string[] {
  const env = Object.entries(t.env).map(([k, v]) => `\`${k}=${v}\``).join(', ');
  const lines = [
    `Change tried: ${t.change ?? `${env} for the worker`} (everything else as in the runs above). Baseline and tuned ran in one invocation`,
    `(${t.meta.startedAt}, \`${command(t.meta.argv)}\`; load average ${t.meta.machine.loadAverageStart.map((v) => fmt(v, 2)).join(' / ')} → ${(t.meta.machine.loadAverageEnd ?? []).map((v) => fmt(v, 2)).join(' / ')}),`,
    'each run on a fresh worker, API and task queue' +
      (t.e2e.baseline.length ? '; end-to-end runs in the order baseline, tuned, tuned, baseline' : '') +
      (t.scale ? '; the scale phase once each, baseline first (not interleaved, so drift in the background load can bias it)' : '') +
      '.',
    '',
  ];
  if (t.e2e.baseline.length || t.e2e.tuned.length) {
    lines.push(`End-to-end at concurrency ${t.concurrency}:`, '');
    lines.push(
      row(['run', 'payments/s', 'create ms p50 / p95 / p99', 'pay → success ms p50 / p95 / p99', 'create → downstream ms p50 / p95 / p99', 'webhook answered ms p50 / p95 / p99', 'worker CPU ms / payment', 'worker VmHWM MiB']),
      row(['--', '--:', '--:', '--:', '--:', '--:', '--:', '--:']),
    );
    const all = [...t.e2e.baseline.map((r) => ['baseline', r] as const), ...t.e2e.tuned.map((r) => ['tuned', r] as const)];
    for (const [kind, r] of all) {
      lines.push(row([kind, fmt(r.paymentsPerSecond), ms(r.createMs), ms(r.paySuccessMs), ms(r.createDownstreamMs), ms(r.webhook?.answerMs), fmt(r.processes.worker?.cpuMsPerPayment), fmt(r.processes.worker?.hwmMiB)]));
    }
    const b = mean(t.e2e.baseline.map((r) => r.paymentsPerSecond));
    const tu = mean(t.e2e.tuned.map((r) => r.paymentsPerSecond));
    lines.push('', `Mean payments/s: baseline ${fmt(b)}, tuned ${fmt(tu)} (${fmt(((tu - b) / b) * 100, 0)} %).`, '');
  }
  if (t.scale) {
    const { baseline, tuned } = t.scale;
    const pair = (f: (s: ScaleResult) => string) => [f(baseline), tuned ? f(tuned) : '–'];
    lines.push(
      `Scale (${baseline.openTarget} open pending, then settled):`,
      '',
      row(['', 'baseline', 'tuned']),
      row(['--', '--:', '--:']),
      row(['time to create', ...pair((s) => `${fmt(s.create.seconds)} s`)]),
      row(['time to settle (→ all success)', ...pair((s) => (s.settle.toAllSuccessSeconds == null ? 'incomplete' : `${fmt(s.settle.toAllSuccessSeconds)} s`))]),
      row(['time to settle (→ all downstream)', ...pair((s) => (s.settle.toAllDownstreamSeconds == null ? 'incomplete' : `${fmt(s.settle.toAllDownstreamSeconds)} s`))]),
      row(['reached success', ...pair((s) => `${s.counts.reachedSuccess} / ${heldSettled(s)}`)]),
      row(['worker VmHWM', ...pair((s) => `${fmt(s.processes.worker?.hwmMiB)} MiB`)]),
      row(['worker CPU ms per open payment', ...pair((s) => fmt(s.processes.worker?.cpuMsPerPayment))]),
      row(['Temporal CPU ms per open payment', ...pair((s) => fmt(s.processes.temporal?.cpuMsPerPayment))]),
      row(['probe payments/s at each level', ...pair((s) => s.growth.map((g) => `${g.openPending}: ${fmt(g.probe.paymentsPerSecond)}`).join(', '))]),
      '',
    );
  }
  return lines;
}

/** The setup's line on io_uring: refused as in a container, or why not (reports from before 2026-12-06 16:19 UTC did not). */
function ioUringText(refusal: IoUringRefusal | undefined): string {
  const why =
    '  Node 24, where the SDK\'s deadlock watchdog sets one up on every entry into a workflow (docs/operations.md, "io_uring and seccomp").';
  if (!refusal) return `- io_uring: allowed to every process, unlike in a container (the bench refuses it since 2026-12-06 16:19 UTC). It matters on\n${why}`;
  if (!refusal.refused) return `- io_uring: allowed to every process, unlike in a container (${refusal.reason}). It matters on\n${why}`;
  return (
    '- io_uring: refused to every Node process the bench starts, as the default seccomp profile of Docker 25+ and containerd 2.0\n' +
    `  refuses it to the image's (\`bench/without-io-uring.py\`). It matters on\n${why}`
  );
}

/** The setup's line on cpu weights: the background tier's, as docker-compose.yml gives it, or every process equal. */
function cpuWeightsText(shares: number | null | undefined): string {
  if (shares === undefined) return '- CPU weights: not recorded (runs before 2026-12-05 gave every process the same weight).';
  if (shares === null) return '- CPU weights: every process at the same weight (`--cpu-weights equal`, or no cgroup v1 cpu controller to set them).';
  return (
    `- CPU weights as docker-compose.yml's \`cpu_shares\`: every worker, Temporal and Temporal's PostgreSQL in one cpu cgroup at ${shares},\n` +
    '  the API, our PostgreSQL, the simulator and the bench at the default 1024 (`bench/cpu-weight.ts`). A weight only counts while\n' +
    '  the two cores are saturated; `--cpu-weights equal` runs without it.'
  );
}

const TOPOLOGY_NAMES = { dev: 'dev server (SQLite)', stack: 'production topology (temporal-server on PostgreSQL)' } as const;

/** The parts a payment costs CPU in, in the order the comparison shows them; the dev server has no separate database. */
const CPU_PARTS: Array<[string, string]> = [
  ['temporal', 'Temporal server'],
  ['temporalPostgres', "Temporal's PostgreSQL"],
  ['worker', 'worker'],
  ['api', 'API'],
  ['postgres', 'our PostgreSQL'],
  ['simulator', 'Midtrans simulator'],
  ['bench', 'bench process'],
];

const storage = (s: TemporalStorage | undefined) =>
  !s ? '–' : 'persistence' in s ? `${bytes(s.total)} (persistence ${bytes(s.persistence)} + visibility ${bytes(s.visibility)})` : `${bytes(s.total)} (SQLite file with -wal and -shm)`;

/** The topologies with results, dev server first. */
function measuredTopologies(results: BenchResults): Array<[string, PhaseResults]> {
  const all: Array<[string, PhaseResults | undefined]> = [
    [TOPOLOGY_NAMES.dev, results],
    [TOPOLOGY_NAMES.stack, results.stack],
  ];
  return all.filter((entry): entry is [string, PhaseResults] => Boolean(entry[1]?.e2e || entry[1]?.scale));
}

// A process the run measured without a reading is no figure, as in cpuMsPerPayment; one it does not have costs nothing.
const temporalCpu = (processes: Record<string, { cpuMsPerPayment: number | null } | undefined>) =>
  (processes.temporal ? (processes.temporal.cpuMsPerPayment ?? NaN) : 0) +
  (processes.temporalPostgres ? (processes.temporalPostgres.cpuMsPerPayment ?? NaN) : 0);

/** Dev server and production topology side by side: end-to-end at each C, then the scale phase. */
export function topologySection(results: BenchResults): string[] {
  const topologies = measuredTopologies(results);
  const stackMeta = results.stack?.meta;
  const ports = stackMeta?.settings.ports ?? {};
  const lines = [
    `The production topology, as \`npm run stack\` runs it: ${stackMeta?.machine.temporalServer ?? 'temporal-server'} (frontend, history, matching`,
    `and worker services in one process) on its own PostgreSQL cluster (persistence and SQL visibility, fsync on, 4 history`,
    `shards, started from empty databases), frontend on ${ports.temporal ?? '?'}, its PostgreSQL on ${ports.temporalPostgres ?? '?'}; worker, API, our PostgreSQL,`,
    'simulator and receiver as above. With `--temporal both` the dev server ran first, then the production topology, each on',
    'its own freshly started stack, in one invocation. "Temporal\'s PostgreSQL" is that whole cluster (postmaster and backends);',
    'the dev server keeps its SQLite inside its own process. The API phase does not depend on Temporal and runs on the dev server only.',
    '',
  ];
  const e2e = topologies.filter(([, r]) => r.e2e?.service.length);
  if (e2e.length) {
    lines.push(
      'End-to-end payments, and the bare workflow of the same shape (Temporal\'s own cost: server and its PostgreSQL CPU ms per workflow):',
      '',
      row(['C', 'Temporal', 'payments', 'payments/s', 'create ms p50 / p95 / p99', 'pay → success ms p50 / p95 / p99', 'create → both downstream ms p50 / p95 / p99',
        ...CPU_PARTS.map(([, label]) => `${label} CPU ms / payment`), 'bare workflows/s', 'bare: Temporal CPU ms / workflow',
        'minimal workflows/s', 'minimal: Temporal CPU ms / workflow']),
      row(['--:', '--', '--:', '--:', '--:', '--:', '--:', ...CPU_PARTS.map(() => '--:'), '--:', '--:', '--:', '--:']),
    );
    const concurrencies = [...new Set(e2e.flatMap(([, r]) => r.e2e!.service.map((run) => run.concurrency)))].sort((a, b) => a - b);
    for (const c of concurrencies) {
      for (const [name, r] of e2e) {
        const run = r.e2e!.service.find((x) => x.concurrency === c);
        if (!run) continue;
        const bare = r.e2e!.bare.find((x) => x.concurrency === c);
        const minimal = r.e2e!.minimal?.find((x) => x.concurrency === c);
        lines.push(
          row([
            c,
            name,
            `${run.completed}/${run.count}`,
            `**${fmt(run.paymentsPerSecond)}**`,
            ms(run.createMs),
            ms(run.paySuccessMs),
            ms(run.createDownstreamMs),
            ...CPU_PARTS.map(([part]) => fmt(run.processes[part]?.cpuMsPerPayment)),
            fmt(bare?.paymentsPerSecond),
            bare ? fmt(temporalCpu(bare.processes)) : '–',
            fmt(minimal?.paymentsPerSecond),
            minimal ? fmt(temporalCpu(minimal.processes)) : '–',
          ]),
        );
      }
    }
    lines.push('');
    const stack = results.stack?.e2e;
    if (stack?.minimal?.length) lines.push('On the production topology (Temporal: its server and its PostgreSQL):', '', ...minimalGapTable(stack.service, stack.minimal));
  }
  const scale = topologies.filter(([, r]) => r.scale).map(([name, r]) => [name, r.scale!] as const);
  if (scale.length) {
    const each = (f: (s: ScaleResult) => string) => row(scale.map(([, s]) => f(s)));
    const line = (what: string, f: (s: ScaleResult) => string) => `| ${what} ${each(f)}`;
    lines.push(
      'Many open payments at once (the scale phase), side by side:',
      '',
      row(['', ...scale.map(([name]) => name)]),
      row(['--', ...scale.map(() => '--:')]),
      line('open pending VA payments held at once', (s) => `${s.counts.open} of ${s.openTarget}`),
      line('time to create them', (s) => `${fmt(s.create.seconds)} s (${fmt(s.create.perSecond)} /s)`),
      line('create ms p50 / p95 / p99', (s) => ms(s.create.createMs)),
      line('settle: first pay → last `success`', (s) => (s.settle.toAllSuccessSeconds == null ? 'not all reached success' : `${fmt(s.settle.toAllSuccessSeconds)} s`)),
      line('settle: first pay → last downstream call', (s) => (s.settle.toAllDownstreamSeconds == null ? 'not all received' : `${fmt(s.settle.toAllDownstreamSeconds)} s`)),
      line('reached success', (s) => `${s.counts.reachedSuccess} / ${heldSettled(s)}`),
      ...CPU_PARTS.map(([part, label]) => line(`${label} CPU ms per open payment (create + hold + settle)`, (s) => fmt(s.processes[part]?.cpuMsPerPayment))),
      line('worker / API peak RSS (VmHWM)', (s) => `${fmt(s.processes.worker?.hwmMiB)} / ${fmt(s.processes.api?.hwmMiB)} MiB`),
      line("worker memory limit (a cgroup, as a container's)", workerLimitText),
      line('Temporal server peak RSS in the phase (sampled)', (s) => `${fmt(s.processes.temporal?.peakRssMiB)} MiB`),
      line('Temporal storage at the end', (s) => storage(s.temporalDbBytes)),
      line('probe payments/s at each level of open payments', (s) => s.growth.map((g) => `${g.openPending}: ${fmt(g.probe.paymentsPerSecond)}`).join(', ')),
      '',
    );
  }
  return lines;
}

/** When the phase ended before every payment settled: what Midtrans (the simulator) still had to deliver. */
function undeliveredNote(scale: ScaleResult): string {
  const waiting = scale.simulator.notificationsCreated - scale.simulator.notificationsDelivered - scale.simulator.notificationsFailed;
  if (scale.counts.reachedSuccess >= heldSettled(scale) || waiting <= 0) return '';
  return (
    ` When the phase stopped waiting, ${waiting} notifications were not delivered yet (refused by the webhook or still queued for the ` +
    "simulator's next retry, on Midtrans's schedule scaled by 1/20) and none had been given up: those payments were still pending, not lost."
  );
}

/** Create latency per C (p50 / p95 / p99), and minus the gateway's own time where the simulator timed it. */
function createLatencyFigures(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const [name, r] of measuredTopologies(results)) {
    const runs = [...(r.e2e?.service ?? [])].sort((a, b) => a.concurrency - b.concurrency);
    if (!runs.length) continue;
    const net = runs.some((run) => run.createMinusGatewayMs);
    lines.push(
      `- Create latency on the ${name}, ms p50 / p95 / p99: ${runs.map((run) => `C=${run.concurrency} ${ms(run.createMs)}`).join('; ')}` +
        (net ? `. Minus the gateway's own time (the simulator's charge handling): ${runs.map((run) => `C=${run.concurrency} ${ms(run.createMinusGatewayMs)}`).join('; ')}.` : '.'),
    );
  }
  return lines;
}

/** The --baseline code: who it is, how it ran, and the service against it per C and topology. */
function baselineSection(results: BenchResults): string[] {
  const topologies = measuredTopologies(results).filter(([, r]) => r.e2e?.baseline?.length);
  const code = topologies[0]?.[1].e2e?.baselineCode;
  if (!code) return [];
  const lines = [
    `The service's own code at commit ${code.commit} ("${code.subject}"; \`--baseline ${code.ref}\`), run from a second checkout`,
    '(a git worktree with its own `npm ci`) as its own worker and API processes, on its own task queue, API port and database',
    `(\`${code.database}\` in the same PostgreSQL cluster, migrated with that commit's own migrations), against the same Temporal,`,
    "simulator and downstream receiver. Its charges reach the simulator through a pass-through front that adds Midtrans's",
    '`X-Override-Notification` header, so Midtrans notifies the baseline\'s own webhook. It ran in the same interleaved chunks',
    'as the other sides (service, baseline, bare, minimal, minimal, bare, baseline, service), half its payments in each of its',
    'two chunks. The goal: the service at ≥ 2× the baseline\'s throughput on both topologies. CPU: baseline CPU ms per payment',
    '÷ the service\'s (every attributed process, PostgreSQL clusters included), the share a CPU-bound machine would give.',
    '"Minimal shape ÷ baseline": the same comparison for the least any payment-per-workflow design can do (section 2), run',
    'in the same chunks; where it is under 2×, no such design reached the goal in this run.',
    '',
    row(['C', 'Temporal', 'service payments/s', 'baseline payments/s', 'service ÷ baseline (throughput)', 'minimal shape ÷ baseline (throughput)',
      'CPU ms / payment: service', 'baseline', 'service ÷ baseline (CPU: baseline ÷ service)', 'create ms p50: service', 'baseline',
      'webhook answered ms p99: service', 'baseline']),
    row(['--:', '--', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:']),
  ];
  for (const [name, r] of topologies) {
    for (const x of r.e2e!.ratios.filter((ratio) => ratio.baseline !== undefined)) {
      const service = r.e2e!.service.find((run) => run.concurrency === x.concurrency);
      const baseline = r.e2e!.baseline!.find((run) => run.concurrency === x.concurrency);
      lines.push(
        row([x.concurrency, name, fmt(x.service), fmt(x.baseline), `**${times(x.baselineRatio)}**`, times(minimalOverBaseline(x)), fmt(x.serviceCpuMs), fmt(x.baselineCpuMs),
          `**${times(x.baselineCpuRatio)}**`, fmt(service?.createMs?.p50, 0), fmt(baseline?.createMs?.p50, 0), fmt(service?.webhook?.answerMs?.p99), fmt(baseline?.webhook?.answerMs?.p99)]),
      );
    }
  }
  lines.push(
    '',
    'On a CPU-bound machine, 2× the throughput needs at most half the baseline\'s CPU per payment. What that allows, how far',
    'the service is over it, and what the service\'s worker and API, the parts both codes have in full, cost alone:',
    '',
    row(['C', 'Temporal', 'service CPU ms / payment', 'the 2× goal allows (baseline ÷ 2) ms', 'service over it ms', 'service worker + API ms']),
    row(['--:', '--', '--:', '--:', '--:', '--:']),
  );
  for (const [name, r] of topologies) {
    for (const x of r.e2e!.ratios.filter((ratio) => ratio.baseline !== undefined && ratio.serviceCpuMs && ratio.baselineCpuMs)) {
      const service = r.e2e!.service.find((run) => run.concurrency === x.concurrency);
      const worker = service?.processes.worker?.cpuMsPerPayment;
      const api = service?.processes.api?.cpuMsPerPayment;
      const workerAndApi = worker != null && api != null ? worker + api : undefined;
      lines.push(row([x.concurrency, name, fmt(x.serviceCpuMs, 0), fmt(x.baselineCpuMs! / 2, 0), signed(x.serviceCpuMs! - x.baselineCpuMs! / 2), fmt(workerAndApi, 0)]));
    }
  }
  lines.push('');
  for (const [name, r] of topologies) {
    lines.push(`The baseline's runs on the ${name}:`, '', ...e2eTable(r.e2e!.baseline!), '', ...resourceTable(r.e2e!.baseline!, ['worker', 'api', 'temporal', 'postgres', 'simulator', 'bench']), '');
  }
  return lines;
}

const mb = (mebibytes: number | null | undefined) => (mebibytes == null ? '–' : `${fmt(mebibytes, 0)} MiB (${fmt(megabytes(mebibytes), 0)} MB)`);

/** Whether the API stayed within its memory budget, by the higher of the sampled peak and VmHWM. */
function memoryVerdict(b: BurstResult): string {
  const peak = Math.max(b.memory.apiPeakRssMiB ?? 0, b.memory.apiHwmMiB ?? 0);
  if (!peak) return 'not read';
  return megabytes(peak) <= b.memory.budgetMB ? `within the ${b.memory.budgetMB} MB budget` : `**over the ${b.memory.budgetMB} MB budget**`;
}

/** Runs before a limit existed have no reading: they ran with the heap ceiling Node takes from the host. */
export function limitText(reading: LimitReading | undefined, who: string, survived: boolean): string {
  if (reading?.limit) {
    const { bytes, cgroupPeakMiB, oomKills } = reading.limit;
    const ended = survived ? `the ${who} ran to the end` : `**the ${who} did not run to the end**`;
    return `${fmt(bytes / 1e6, 0)} MB; charged to it at most ${mb(cgroupPeakMiB)}, OOM kills ${oomKills ?? '–'}; ${ended}`;
  }
  return reading?.limitUnavailable ? `none: ${reading.limitUnavailable}` : 'none (heap ceiling from the host\'s memory)';
}

const apiLimitText = (b: BurstResult) => limitText(b.memory, 'API', b.memory.apiSurvived);
const workerLimitText = (s: ScaleResult) => limitText(s.workerMemory, 'worker', s.workerMemory?.workerSurvived ?? true);

const lostNote = (b: BurstResult) =>
  b.counts.reachedSuccess >= settledOf(b) ? 'none lost' : `**${settledOf(b) - b.counts.reachedSuccess} not (yet) success**`;
/** The payments Midtrans settled: the opened ones it was charged for (reports before that distinction settled all). */
const settledOf = (b: BurstResult) => b.settled ?? b.opened;

function measuredBursts(results: BenchResults): Array<[string, BurstResult]> {
  const all: Array<[string, BurstResult | undefined]> = [
    [TOPOLOGY_NAMES.dev, results.burst],
    [TOPOLOGY_NAMES.stack, results.stack?.burst],
  ];
  return all.filter((entry): entry is [string, BurstResult] => entry[1] !== undefined);
}

/** The settlement burst on each topology, side by side. */
export function burstSection(results: BenchResults): string[] {
  const measured = measuredBursts(results);
  if (!measured.length) return [];
  const first = measured[0]![1];
  const line = (what: string, f: (b: BurstResult) => string) => row([what, ...measured.map(([, b]) => f(b))]);
  const seconds = (v: number | null) => (v == null ? 'not all' : `${fmt(v)} s`);
  const lines = [
    `N payments opened through POST /payments (BCA VA, concurrency ${first.create.concurrency}) on a fresh worker and API; once their`,
    'charges are at Midtrans (a 202 leaves one on its way; the ones that never come are left out and counted), the',
    `simulator settles them at ${fmt(first.send.ratePerSecond)} per second (the rate of the target, 10,000 within 60 s) and, as Midtrans does,`,
    'sends each settlement as a signed notification to the real webhook (POST /payments/webhook), retrying a refused or',
    "timed-out one on Midtrans's schedule scaled by 1/20. The webhook's answer time is the simulator's: POST sent → answer",
    'read (whole milliseconds; the simulator runs as a process of its own, apart from the load driver). "Drain": the last',
    'settlement notification sent → the last of these payments `success` in PostgreSQL (and → its last downstream call).',
    'The drain ends two minutes after the last progress, unless payments short of `success` (their notifications given up by',
    'Midtrans) still have a reconciliation look to come: then it waits for that look.',
    `The API's resident memory (VmRSS) is sampled every 100 ms from the first settlement to the end of the drain; its VmHWM`,
    'covers the whole phase. Where the row "API memory limit" gives one, the API ran in a memory cgroup limited to the budget,',
    'as in a container with that limit: Node sizes its heap from the limit (about half of it) instead of from the host\'s',
    'memory, and the kernel kills the API past it. The targets: none lost, API memory ≤ 512 MB throughout, the drain time reported.',
    '',
    row(['', ...measured.map(([name]) => name)]),
    row(['--', ...measured.map(() => '--:')]),
    line('payments opened', (b) => `${b.opened} of ${b.payments} in ${fmt(b.create.seconds)} s (create ms p50 / p95 / p99 ${ms(b.create.createMs)})`),
    line('charged at Midtrans, so settled (a 202 leaves the charge on its way)', (b) =>
      b.create.uncharged === undefined
        ? 'not waited for'
        : `${settledOf(b)}; ${b.create.chargedAfterSeconds == null ? `${b.create.uncharged} never came` : `the last ${fmt(b.create.chargedAfterSeconds)} s after the last create`}`),
    line('settlement notifications sent: first → last', (b) => `${b.webhook?.notifications ?? 0} in ${seconds(b.send.seconds)}`),
    line('webhook answered ms p50 / p95 / p99 (every POST, retries included)', (b) => `**${ms(b.webhook?.answerMs)}**`),
    line('webhook answers', (b) => Object.entries(b.webhook?.answers ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ') || '–'),
    line('notifications retried / given up by Midtrans', (b) => `${b.webhook?.retried ?? 0} / ${b.webhook?.givenUp ?? 0}`),
    line('reached success (PostgreSQL)', (b) => `${b.counts.reachedSuccess} / ${settledOf(b)} (${lostNote(b)})`),
    line("both downstream calls (receiver's records)", (b) => `${b.counts.downstreamBoth} / ${settledOf(b)}`),
    line('drain: last notification → last `success`', (b) => `**${seconds(b.drain.toAllSuccessSeconds)}**`),
    line('drain: last notification → last downstream call', (b) => seconds(b.drain.toAllDownstreamSeconds)),
    line('API peak RSS, sampled every 100 ms (burst and drain)', (b) => `**${mb(b.memory.apiPeakRssMiB)}**, ${b.memory.samples} samples`),
    line('API VmHWM (whole phase)', (b) => `${mb(b.memory.apiHwmMiB)}: ${memoryVerdict(b)}`),
    line('API memory limit (a cgroup, as a container\'s)', apiLimitText),
    line('API V8 heap peak: in use / reserved (its /metrics)', (b) =>
      b.memory.apiHeap
        ? `${mb(b.memory.apiHeap.peakUsedMiB)} / ${mb(b.memory.apiHeap.peakTotalMiB)}, ${b.memory.apiHeap.samples} samples, every ${fmt(b.memory.apiHeap.everySeconds)} s`
        : 'not read'),
    line('worker VmHWM', (b) => mb(b.memory.workerHwmMiB)),
    ...CPU_PARTS.map(([part, label]) => line(`${label} CPU ms per settled payment (burst and drain)`, (b) => fmt(b.processes[part]?.cpuMsPerPayment))),
    '',
  ];
  for (const [name, b] of measured) {
    if (b.drain.waitedForLooks)
      lines.push(`On the ${name} the drain stalled with ${b.drain.waitedForLooks} payments short of \`success\` and waited for their next reconciliation look (Midtrans had given up their notifications).`, '');
    if (b.drain.timedOut) lines.push(`On the ${name} the wait gave up (deadline, or two minutes without progress and no reconciliation look left to wait for): the counts are what had arrived.`, '');
    const errors = { ...b.create.errors, ...b.send.payErrors };
    if (Object.keys(errors).length) lines.push(`Errors on the ${name}: ${JSON.stringify(errors)}`, '');
  }
  return lines;
}

/** The service against the --baseline code per C, for each topology that ran it. */
function baselineFigures(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const [name, r] of measuredTopologies(results)) {
    const ratios = (r.e2e?.ratios ?? []).filter((x) => x.baseline !== undefined);
    if (!ratios.length) continue;
    lines.push(
      `- Against the code before this work (${r.e2e!.baselineCode?.commit ?? 'the baseline'}) on the ${name}: the service runs at ` +
        `**${ratios.map((x) => times(x.baselineRatio)).join(' / ')}** its throughput and ${ratios.map((x) => times(x.baselineCpuRatio)).join(' / ')} by CPU ` +
        `(C = ${ratios.map((x) => x.concurrency).join(' / ')}; baseline ${ratios.map((x) => fmt(x.baseline)).join(' / ')} payments/s; goal ≥ 2×` +
        (ratios.some((x) => x.minimal !== undefined)
          ? `; the minimal shape ${ratios.map((x) => times(minimalOverBaseline(x))).join(' / ')} the baseline's throughput in the same run).`
          : ').'),
    );
  }
  return lines;
}

/** The webhook's answer time under the end-to-end load per C, against the 50 ms target at C = 32. */
function webhookFigures(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const [name, r] of measuredTopologies(results)) {
    const runs = [...(r.e2e?.service ?? [])].filter((run) => run.webhook).sort((a, b) => a.concurrency - b.concurrency);
    if (!runs.length) continue;
    lines.push(
      `- Webhook answered under the end-to-end load on the ${name}, ms p99: ` +
        `${runs.map((run) => (run.concurrency === 32 ? `**C=32 ${fmt(run.webhook!.answerMs?.p99)}**` : `C=${run.concurrency} ${fmt(run.webhook!.answerMs?.p99)}`)).join('; ')} ` +
        '(target ≤ 50 ms at C=32; every Midtrans notification of the run, pending and settlement, timed by the simulator that sent it).',
    );
  }
  for (const [name, b] of measuredBursts(results)) {
    lines.push(
      `- Settlement burst on the ${name}: ${b.webhook?.notifications ?? 0} settlements sent in ${fmt(b.send.seconds)} s, webhook answered ` +
        `p50 / p95 / p99 ${ms(b.webhook?.answerMs)} ms; ${b.counts.reachedSuccess}/${settledOf(b)} reached success (${lostNote(b)}), ` +
        `drained ${b.drain.toAllSuccessSeconds == null ? '**not completely**' : `**${fmt(b.drain.toAllSuccessSeconds)} s** after the last notification`}; ` +
        `API peak RSS ${mb(Math.max(b.memory.apiPeakRssMiB ?? 0, b.memory.apiHwmMiB ?? 0) || null)}, ${memoryVerdict(b)}.`,
    );
  }
  return lines;
}

/** Service ÷ minimal shape per C, by throughput and by CPU, for each topology that measured it. */
function minimalFigures(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const [name, r] of measuredTopologies(results)) {
    const ratios = (r.e2e?.ratios ?? []).filter((x) => x.minimal !== undefined);
    if (!ratios.length) continue;
    lines.push(
      `- Against the minimal shape (charge, one signal, two downstream calls) on the ${name}: the service runs at ` +
        `**${ratios.map((x) => times(x.minimalRatio)).join(' / ')}** of it by throughput and ${ratios.map((x) => times(x.minimalCpuRatio)).join(' / ')} by CPU ` +
        `(C = ${ratios.map((x) => x.concurrency).join(' / ')}; minimal ${ratios.map((x) => fmt(x.minimal)).join(' / ')} workflows/s, ` +
        `${ratios.map((x) => fmt(x.minimalCpuMs)).join(' / ')} CPU ms each; goal ≥ 0.8×).`,
    );
  }
  return lines;
}

/** The few numbers a reader wants first, computed from the raw results (so a re-run rewrites them correctly). */
function keyFigures(results: BenchResults): string[] {
  const lines: string[] = [];
  const e2e = results.e2e;
  if (e2e?.service.length) {
    const best = e2e.service.reduce((a, b) => (b.paymentsPerSecond > a.paymentsPerSecond ? b : a));
    const lowest = e2e.service.reduce((a, b) => (b.concurrency < a.concurrency ? b : a));
    lines.push(
      `- End-to-end: **${fmt(best.paymentsPerSecond)} payments/s** at best (C=${best.concurrency}); at C=${lowest.concurrency} a payment takes ` +
        `${fmt(lowest.createMs?.p50, 0)} ms to create (p50) and ${fmt(lowest.createDownstreamMs?.p50, 0)} ms from create to both downstream calls. ` +
        'Past saturation, latency grows with C while throughput stays flat; creates slower than `CREATE_PAYMENT_WAIT_MS` (10 s) answer 202.',
    );
    const cpuRatios = e2e.ratios.map((r) => r.cpuRatio).filter((v): v is number => typeof v === 'number');
    const tputRatios = e2e.ratios.map((r) => r.ratio).filter((v): v is number => typeof v === 'number');
    if (cpuRatios.length) {
      lines.push(
        `- Against bare Temporal workflows of the same shape: the service costs ${fmt(mean(e2e.ratios.map((r) => r.serviceCpuMs ?? NaN)), 0)} CPU ms per payment ` +
          `vs ${fmt(mean(e2e.ratios.map((r) => r.bareCpuMs ?? NaN)), 0)} for the bare workflow, i.e. it runs at **${cpuRatios.map(pct).join(' / ')}** of the baseline ` +
          `by CPU (C = ${e2e.ratios.map((r) => r.concurrency).join(' / ')}); by measured throughput ${tputRatios.map(pct).join(' / ')} (noisier).`,
      );
    }
  }
  lines.push(...baselineFigures(results), ...minimalFigures(results), ...createLatencyFigures(results), ...webhookFigures(results));
  if (e2e?.service.length) {
    const worker = mean(e2e.service.map((r) => r.processes.worker?.cpuMsPerPayment ?? NaN));
    const temporalCpu = mean(e2e.service.map((r) => r.processes.temporal?.cpuMsPerPayment ?? NaN));
    const api = mean(e2e.service.map((r) => r.processes.api?.cpuMsPerPayment ?? NaN));
    const postgresCpu = mean(e2e.service.map((r) => r.processes.postgres?.cpuMsPerPayment ?? NaN));
    const benchCpu = mean(e2e.service.map((r) => (r.processes.bench?.cpuMsPerPayment ?? NaN) + (r.processes.simulator?.cpuMsPerPayment ?? 0)));
    lines.push(
      `- Where the CPU goes per payment: Temporal dev server ${fmt(temporalCpu, 0)} ms, worker ${fmt(worker, 0)} ms, API ${fmt(api, 0)} ms, ` +
        `PostgreSQL ${fmt(postgresCpu, 0)} ms, and ${fmt(benchCpu, 0)} ms in the bench's load driver, downstream receiver and Midtrans simulator. ` +
        'The dev server (SQLite) is the largest single cost, even for bare workflows.',
    );
  }
  const api = results.api;
  if (api) {
    const byName = (n: string) => api.targets.find((t) => t.name === n);
    const bare = byName('bare');
    const detail = byName('detail');
    const status = byName('status');
    const detailVsEquivalent = api.ratios.find((r) => r.name === 'detail')?.throughputVsEquivalent;
    if (bare && detail && status) {
      lines.push(
        `- API reads: GET /payments/{id} ${fmt(detail.reqPerSecond, 0)} req/s (p99 ${fmt(detail.p99Ms, 0)} ms), GET …/status ${fmt(status.reqPerSecond, 0)} req/s ` +
          `(p99 ${fmt(status.p99Ms, 0)} ms), against ${fmt(bare.reqPerSecond, 0)} req/s (p99 ${fmt(bare.p99Ms, 0)} ms) for a bare primary-key read route: ` +
          `**${fmt(detail.reqPerSecond / bare.reqPerSecond, 2)}×** and **${fmt(status.reqPerSecond / bare.reqPerSecond, 2)}×** of it` +
          (detailVsEquivalent !== undefined ? `; the detail runs at **${fmt(detailVsEquivalent, 2)}×** a bare route running its same statement.` : '.'),
      );
    }
  }
  const scale = results.scale;
  if (scale) {
    const cacheSize = scale.workerCachedWorkflows ?? results.meta.settings.workerDefaults.WORKER_MAX_CACHED_WORKFLOWS ?? 2000;
    const withRss = scale.growth.filter((g) => g.workerRssMiB != null);
    const first = withRss[0];
    const last = withRss.at(-1);
    // Growth per workflow while the sticky cache fills, and after it is full (where it should be flat).
    const fillEnd = [...withRss].reverse().find((g) => g.openWorkflows <= cacheSize);
    const fullStart = withRss.find((g) => g.openWorkflows > cacheSize);
    const perWorkflowKiB = (a?: (typeof withRss)[number], b?: (typeof withRss)[number]) =>
      a && b && b.openWorkflows > a.openWorkflows ? ((b.workerRssMiB! - a.workerRssMiB!) * 1024) / (b.openWorkflows - a.openWorkflows) : null;
    const filling = perWorkflowKiB(first, fillEnd);
    const full = perWorkflowKiB(fullStart, last);
    lines.push(
      `- ${scale.counts.open} open pending payments: created in ${fmt(scale.create.seconds, 0)} s, settled ` +
        `(all success) ${scale.settle.toAllSuccessSeconds == null ? '**not completely**' : `in ${fmt(scale.settle.toAllSuccessSeconds, 0)} s`}; ` +
        `${scale.counts.reachedSuccess}/${heldSettled(scale)}${scale.counts.settled === undefined ? '' : ' settled (a sample)'} reached success, simulator charges received/applied ${scale.simulator.chargesReceived}/${scale.simulator.chargesApplied} ` +
        `for ${scale.simulator.paymentsCreatedInPhase} payments. Worker peak RSS ${fmt(scale.processes.worker?.hwmMiB, 0)} MiB, API ${fmt(scale.processes.api?.hwmMiB, 0)} MiB.` +
        undeliveredNote(scale),
    );
    if (first && last && last !== first) {
      lines.push(
        `- Worker memory: ${withRss.map((g) => `${fmt(g.workerRssMiB, 0)} MiB at ${g.openWorkflows}`).join(', ')} open workflows. ` +
          (filling !== null ? `About ${fmt(filling, 0)} KiB per workflow while the sticky cache fills (\`WORKER_MAX_CACHED_WORKFLOWS\` = ${cacheSize})` : '') +
          (full !== null ? `; **${fmt(full, 0)} KiB per workflow once it is full** (${fullStart!.openWorkflows} → ${last.openWorkflows}).` : '.'),
      );
    }
    const status = scale.midtransCalls?.status;
    if (status !== undefined) {
      lines.push(
        `- Holding payments open costs Midtrans calls: ${status} status calls during the phase for ${scale.simulator.paymentsCreatedInPhase} payments ` +
          '(one confirmation per settlement, the rest reconciliation wake-ups 1, 5, 15 and 60 minutes after each charge, then every 6 hours).',
      );
    }
  }
  const production = results.stack?.e2e?.service ?? [];
  if (production.length) {
    const best = production.reduce((a, b) => (b.paymentsPerSecond > a.paymentsPerSecond ? b : a));
    const devBest = e2e?.service.length ? e2e.service.reduce((a, b) => (b.paymentsPerSecond > a.paymentsPerSecond ? b : a)) : undefined;
    const server = mean(production.map((r) => r.processes.temporal?.cpuMsPerPayment ?? NaN));
    const itsPostgres = mean(production.map((r) => r.processes.temporalPostgres?.cpuMsPerPayment ?? NaN));
    const devServer = e2e?.service.length ? mean(e2e.service.map((r) => r.processes.temporal?.cpuMsPerPayment ?? NaN)) : undefined;
    lines.push(
      `- Production topology (temporal-server on PostgreSQL): **${fmt(best.paymentsPerSecond)} payments/s** at best (C=${best.concurrency})` +
        (devBest ? ` against ${fmt(devBest.paymentsPerSecond)} on the dev server (C=${devBest.concurrency})` : '') +
        `; Temporal costs ${fmt(server, 0)} CPU ms per payment in the server and ${fmt(itsPostgres, 0)} ms in its PostgreSQL` +
        (devServer !== undefined ? ` (the dev server: ${fmt(devServer, 0)} ms in all).` : '.'),
    );
  }
  return lines;
}

/** `plots`: the charts written beside the report, as paths relative to it. */
export function renderMarkdown(results: BenchResults, plots: Array<{ title: string; path: string }> = []): string {
  const { meta } = results;
  const out: string[] = [
    '# Benchmarks: TiketQ Payment Service',
    '',
    'Generated by `bench/run.ts` from `docs/benchmarks.json` (the raw numbers). This is a benchmark, not a test: it reports',
    'and asserts nothing. The machine is shared with other work, so absolute numbers are noisy; compare numbers taken side',
    'by side in one run (the baseline, the ratios, before/after), and read the load average below as the noise level.',
    '',
    'Run it: `npm run bench` (about 15 minutes), `npm run bench -- --quick` (smoke, about 2 minutes, writes to',
    '`bench/results/`), `npm run bench -- --full` (2,000 payments per concurrency, 10,000 open). A tuning comparison:',
    '`npm run bench -- --tune WORKER_MAX_CACHED_WORKFLOWS=500 --only scale` (adds a "Tuning" section to the existing report).',
    'Re-measure some phases into the existing report: `npm run bench -- --only e2e,api --merge` (the Machine table says when).',
    'Temporal topology: `--temporal dev` (default, the dev server), `--temporal stack` (temporal-server on PostgreSQL, as',
    '`npm run stack` runs it) or `--temporal both` (one then the other in one invocation; compared side by side in section 6).',
    'Against older code: `--baseline <ref>` (default 132dc95, the commit before issue 16\'s work) adds that commit\'s worker and',
    'API to the end-to-end phase (section 7). The settlement burst alone: `--only burst` (500 / 2,000 / 10,000 payments in',
    '`--quick` / default / `--full`, or `--burst N`; section 8). Open payments past their first hour of reconciliation',
    'look-ups: `--only scale --probe-after-first-hour` (each level probed an hour after its creates; section 5); once the',
    'service is quiet after a step\'s creates: `--probe-when-quiet`; the host\'s own speed timed before and during each',
    'probe by a fixed piece of work beside the service: `--host-yardstick`. The same levels and probes for the minimal shape',
    '(its workflows held open, charged and waiting for a settlement): `--only scale-minimal`, a run of its own.',
    'A service setting for the whole run, on either topology: `--set RECONCILE_EARLY_LOOKS_MINUTES=60` (the command line below names it); the probe\'s size: `--probe N`; settle only a sample of N held payments: `--settle N`; the scale phase\'s worker runs under docker-compose.yml\'s memory limit, another with `--worker-memory MB` (0: none); every worker, Temporal and its PostgreSQL run at docker-compose.yml\'s cpu weight, every process equal with `--cpu-weights equal`, and `--compare-cpu-weights --temporal dev` (or `stack`) compares the two at C=32.',
    'Tuning history, before and after each change: [tuning.md](tuning.md).',
    '',
    ...(() => {
      const figures = keyFigures(results);
      return figures.length ? ['## Key figures', '', ...figures, ''] : [];
    })(),
    ...(plots.length
      ? [
          '## Plots',
          '',
          'Drawn by the bench from the JSON (`bench/charts.ts`); solid lines: dev server, dashed: production topology.',
          '',
          ...plots.flatMap((plot) => [`![${plot.title}](${plot.path})`, '']),
        ]
      : []),
    '## Machine',
    '',
    row(['', '']),
    row(['--', '--']),
    ...machineSection(meta, results.phaseMeta, results.stack?.meta),
    '',
    '## Setup',
    '',
    `- Its own stack beside the dev stack: ${
      results.e2e || results.api || results.scale || results.tuning
        ? `Temporal dev server on ${meta.settings.ports.temporal} (headless, SQLite file in a temp dir)`
        : `Temporal server on PostgreSQL on ${meta.settings.ports.temporal} (see section 6)`
    }, API on`,
    `  ${meta.settings.ports.api}, Midtrans simulator on ${meta.settings.ports.simulator} (a process of its own, \`bench/simulator-process.ts\`; in reports`,
    '  where the "simulator" column is empty (–) it ran inside the benchmark process), the downstream receiver on a random port inside the',
    '  benchmark process, the private PostgreSQL cluster with its own database `tiketq_bench` (emptied at the start).',
    '- The worker and the API are separate processes (`tsx src/worker.ts`, `tsx src/server.ts`) with `LOG_LEVEL=warn` and, as',
    '  the image runs them, Node\'s source maps off (tsx turns them on; `bench/without-source-maps.mjs` turns them off again, for',
    '  every side alike since 2026-12-06 14:23 UTC), started',
    '  fresh on a new task queue for every measured run, so each run\'s VmHWM is its own peak. RSS is the program tsx runs;',
    '  the tsx wrapper process (≈ 60–70 MiB more) is not counted. Worker settings unless stated: ' +
      Object.entries(meta.settings.workerDefaults).map(([k, v]) => `\`${k}=${v}\``).join(', ') + '.',
    cpuWeightsText(meta.settings.backgroundCpuShares),
    ioUringText(meta.settings.ioUring),
    `- Load: C virtual clients in a closed loop. Each creates a BCA VA payment with a \`user_id\` and an \`Idempotency-Key\``,
    `  (POST /payments → 201), pays it through the simulator's control (the simulator then sends the signed webhook), polls`,
    `  \`GET /payments/{id}/status\` every ${meta.settings.pollMs} ms until it says \`success\`, then waits until the receiver has recorded both`,
    '  downstream calls (transaction service and user service), and takes the next payment. A warm-up precedes every run.',
    '  "pay → success" has the poll interval as its resolution; "create → both downstream" uses the receiver\'s own timestamps.',
    '- The webhook\'s answer time is taken where Midtrans\'s notifications are sent: the simulator times each POST to',
    '  POST /payments/webhook (sent → answer read, whole ms) and the e2e tables report every notification of the run\'s',
    '  payments (pending and settlement); the target is p99 ≤ 50 ms at C=32. On a saturated machine the simulator\'s own',
    '  wait for CPU adds to it.',
    '- With `--baseline`, the service\'s code at an older commit runs as a fourth side of the end-to-end phase, from its own',
    '  checkout, with its own worker, API (port 28001) and database (section 7). The settlement burst (section 8) opens N',
    '  payments, has the simulator settle them at 10,000 per 60 s with a signed notification each to the real webhook, and',
    '  reads the webhook\'s answers, the drain time to all `success`, and the API\'s memory against its 512 MB budget.',
    '- CPU ms per payment = user + system CPU time of the process during the measured window / completed payments. The',
    '  "bench" process hosts the load driver and the receiver; "simulator" is the Midtrans simulator. "postgres" is the whole private cluster (the',
    '  postmaster, its live backends and the ones it reaped): nothing else should use it while the benchmark runs.',
    '',
  ];

  if (results.e2e) {
    const { service, bare, ratios } = results.e2e;
    out.push('## 1. End-to-end payments', '', ...e2eTable(service), '');
    if (service.length) {
      const best = service.reduce((a, b) => (b.paymentsPerSecond > a.paymentsPerSecond ? b : a));
      out.push(`Highest throughput: **${fmt(best.paymentsPerSecond)} payments/s at C=${best.concurrency}**.`, '');
    }
    out.push('Resources per run (worker and API restarted for each run; the Temporal server lives through the whole benchmark):', '');
    out.push(...resourceTable(service, ['worker', 'api', 'temporal', 'postgres', 'simulator', 'bench']), '');
    out.push('## 2. The Temporal limit: bare workflows of the same shape', '');
    out.push(
      'The same closed-loop load against `bench/bare-workflow.ts` on the same dev server, with a bare worker process of the',
      'same settings (`bench/bare-worker.ts`): the same update-with-start, the same two notification signals (pending, sent',
      'when the charge ran; then settlement), the same six activities in the same order (with empty bodies), the same',
      'timers and search-attribute upsert. The service answers status polls from PostgreSQL; the bare run "polls" a message its',
      'worker sends when the success is recorded, at no cost. What remains is Temporal\'s own cost (server + SDK) for',
      'this workflow shape. Service, bare and the minimal shape (below) ran side by side at each C: all started, all warmed',
      'up, then the load in chunks ordered service, bare, minimal, minimal, bare, service (half the payments per chunk;',
      'reports from before the minimal shape ran service, bare, bare, service)' +
        (results.e2e.baseline?.length ? '; with `--baseline`, its code\'s chunks ran right after the service\'s first and right before its last (section 7).' : '.'),
      '',
    );
    out.push(...e2eTable(bare), '');
    out.push(...resourceTable(bare, ['worker', 'temporal', 'postgres', 'simulator', 'bench']), '');
    out.push(...minimalSection(results.e2e));
    out.push(
      'The ratio by throughput is what the issue asks for; on this shared 2-core machine it moves with the neighbours\' load.',
      'The CPU cost per payment (user + system time of every attributed process: worker, API, Temporal server, and the',
      'Midtrans simulator, the bench process with driver and receiver, and PostgreSQL) is far steadier. On a CPU-bound box the',
      'throughput share follows baseline CPU / service CPU. "–": not measured in this run.',
      '',
      ...ratioTable(ratios),
      '',
    );
    const shapes: Array<[string, Record<string, number> | undefined]> = [
      ['payment workflow', service.find((r) => r.historyShape)?.historyShape],
      ['bare workflow', bare.find((r) => r.historyShape)?.historyShape],
      ['minimal shape', results.e2e.minimal?.find((r) => r.historyShape)?.historyShape],
    ];
    const measured = shapes.filter(([, shape]) => shape);
    if (measured.length) {
      out.push('Shape check: the history of one workflow of each, by event type, once both downstream calls were done:', '');
      const types = [...new Set(measured.flatMap(([, shape]) => Object.keys(shape!)))].sort((a, b) => (a === 'TOTAL' ? 1 : b === 'TOTAL' ? -1 : a.localeCompare(b)));
      out.push(row(['event type', ...measured.map(([name]) => name)]), row(['--', ...measured.map(() => '--:')]));
      for (const type of types) out.push(row([type === 'TOTAL' ? '**total**' : type, ...measured.map(([, shape]) => shape![type] ?? 0)]));
      out.push('');
    }
  }

  if (results.api) {
    const a = results.api;
    out.push('## 3. API overhead', '');
    out.push(
      `autocannon, ${a.connections} connections, ${a.durationSeconds} s per run, ${a.rounds} round(s) alternating the order, cycling over`,
      `${a.distinctIds} payments created in the last end-to-end run (succeeded, their workflows open in the refund window).`,
      'The baseline `bare` is a bare Hono route (`bench/bare-api.ts`) doing one primary-key read in one SQL statement with the',
      'same Prisma client and pool size on the same database; `bare-orm` is the same read through Prisma\'s findUnique. Both',
      'API routes read the read model with one SQL statement each (see src/db/payments.ts). Numbers are means over the rounds.',
      '',
      row(['target', 'what', 'req/s', 'p50 ms', 'p99 ms', 'req/s vs bare', 'p99 vs bare', 'req/s vs its equivalent bare read']),
      row(['--', '--', '--:', '--:', '--:', '--:', '--:', '--:']),
    );
    for (const t of a.targets) {
      const r = a.ratios.find((x) => x.name === t.name);
      const bad = t.runs.reduce((n, x) => n + x.non2xx + x.errors, 0);
      const vsEquivalent = r?.throughputVsEquivalent !== undefined ? `**${fmt(r.throughputVsEquivalent, 2)}×** (${r.equivalent})` : '–';
      out.push(
        row([
          t.name,
          t.what + (bad ? ` (**${bad} non-2xx/errors**)` : ''),
          `**${fmt(t.reqPerSecond)}**`,
          fmt(t.p50Ms),
          fmt(t.p99Ms),
          r ? `${fmt(r.throughputVsBare, 2)}×` : '1×',
          r ? `${fmt(r.p99VsBare, 2)}×` : '1×',
          vsEquivalent,
        ]),
      );
    }
    out.push('');
  }

  if (results.scale) {
    out.push('## 4. Scale: many open payments at once', '', ...scaleSection(results.scale), '');
    out.push('## 5. Growth: throughput and memory as open payments accumulate', '');
    out.push(
      'Taken during the scale phase: after each step of pending payments is created, memory and the Temporal database size',
      `are read and a probe of ${results.scale.growth[0]?.probe.count ?? '?'} end-to-end payments at C=${results.scale.growth[0]?.probe.concurrency ?? '?'} is timed. "open workflows" adds the`,
      'probes and warm-up payments already settled (they stay open for refunds). RSS here is VmRSS at that moment.',
      ...(results.scale.warmup
        ? [`Before the first level the service took ${results.scale.warmup.count} warm-up payments at C=${results.scale.warmup.concurrency}, at least a probe's worth, so that the first probe meets processes as warm as the later ones do.`]
        : []),
      results.scale.growth.some((g) => g.probeWaitedForQuiet)
        ? `With \`--probe-when-quiet\` a level is probed once the worker, the API, Temporal and both PostgreSQL clusters together used under ${QUIET_CORES} of a core for ${QUIET_WINDOW_MS / 1000} s (waiting at most ${QUIET_GIVE_UP_MS / 60_000} minutes): what holding the open payments costs once the step's burst of creates has drained from Temporal's queues. "probe started after the step" is that wait; a wait that gave up is marked.`
        : results.scale.growth.some((g) => (g.probeStartedAfterSeconds ?? 0) > 60)
        ? 'With `--probe-after-first-hour` a level is probed once its youngest payment is past its first hour of reconciliation look-ups (docs/workflow.md), as payments opened over a day would be; without it, right after the step\'s burst of creates, when every open payment is still in its first hour.'
        : 'Each level is probed right after its step of creates, when every open payment is still in its first hour of reconciliation look-ups: the worst case.',
      '',
      ...growthSection(results.scale),
      '',
    );
  }

  const minimalHeld: Array<[string, MinimalScaleResult | undefined]> = [
    ['', results.scaleMinimal],
    [' on the production topology', results.stack?.scaleMinimal],
  ];
  for (const [where, minimal] of minimalHeld) {
    if (!minimal) continue;
    out.push(`${results.scale ? '###' : '## 5.'} The minimal shape held open${where} (\`--only scale-minimal\`)`, '', ...minimalGrowthSection(minimal), '');
  }

  if (results.stack) out.push('## 6. Dev server and production topology side by side', '', ...topologySection(results));
  if (results.stack?.scale) {
    out.push('### Growth on the production topology', '', 'As section 5, with Temporal on PostgreSQL.', '', ...growthSection(results.stack.scale), '');
  }

  const againstBaseline = baselineSection(results);
  if (againstBaseline.length) out.push('## 7. Against the code before issue 16 (`--baseline`)', '', ...againstBaseline);

  const bursts = burstSection(results);
  if (bursts.length) out.push('## 8. Settlement bursts', '', ...bursts);

  if (results.tuning) out.push('## Tuning: one change, before and after', '', ...tuningSection(results.tuning));

  out.push(
    '## Not measured, and limits',
    '',
    '- PostgreSQL\'s memory (shared buffers are spread over its backends), and its CPU if something else used the cluster',
    '  during the run (the dev stack and the tests use the same private cluster).',
    ...(results.stack
      ? ['- Temporal\'s services as separate processes or hosts, and Cassandra persistence: the production topology here runs all', '  four services in one process on PostgreSQL, as `npm run stack` does.']
      : [
          '- A production-like Temporal (PostgreSQL or Cassandra persistence, separate history/matching services): the dev server',
          '  keeps everything in one SQLite file, which is likely a large part of the "Temporal limit" measured here.',
        ]),
    '- Several workers, or network latency between the services: everything runs on one 2-core machine over loopback,',
    '  and the load driver, simulator and receiver compete for the same cores as the service.',
    '- Failure paths (Midtrans faults, slow downstreams, expiry at scale): the runs here are the happy path only.',
    '- Workflow-cache eviction costs beyond what the scale phase shows, and long-run (days) growth of open workflows.',
    '- The API\'s peak memory in the scale phase is the settle burst (every payment paid within about a minute). Load',
    '  shedding (`WEBHOOK_MAX_IN_FLIGHT`) bounds it; the scale phase only reports it, the settlement burst (section 8)',
    '  measures it against the 512 MB budget.',
    '',
  );
  if (meta.error) out.push(`**This run stopped early: ${meta.error}. The sections above hold what was measured before that.**`, '');
  return out.join('\n');
}

/** Writes the raw JSON, the report, and the capacity model when the production topology ran. */
export function writeReports(outDir: string, results: BenchResults, baseName = 'benchmarks'): { json: string; md: string; capacity?: string } {
  mkdirSync(outDir, { recursive: true });
  const json = path.join(outDir, `${baseName}.json`);
  const md = path.join(outDir, `${baseName}.md`);
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  const charts = benchmarkCharts(results);
  if (charts.length) mkdirSync(path.join(outDir, 'images'), { recursive: true });
  const plots = charts.map((chart) => {
    const relative = `images/${baseName}-${chart.name}.svg`;
    writeFileSync(path.join(outDir, relative), chart.svg);
    return { title: chart.title, path: relative };
  });
  writeFileSync(md, renderMarkdown(results, plots));
  const model = renderCapacity(results);
  if (!model) return { json, md };
  const capacity = path.join(outDir, baseName === 'benchmarks' ? 'capacity.md' : `${baseName}-capacity.md`);
  writeFileSync(capacity, model);
  return { json, md, capacity };
}
