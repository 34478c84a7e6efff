import { WORKER_MEMORY_BUDGET_MB } from './options';
import type { ScaleResult } from './phases';
import type { BenchResults } from './report';
import { fmt, mean, row } from './util';

/**
 * docs/capacity.md: cores and storage for a payment volume, computed from what the production topology measured
 * (`npm run bench -- --temporal stack` or `both`). Rendered with the benchmark report, so a new run rewrites it.
 */

/** The parts that scale with payments; the bench process (load driver, simulator, receiver) is not production. */
export const CAPACITY_PARTS: Array<[part: string, label: string]> = [
  ['temporal', 'Temporal services (frontend, history, matching, worker)'],
  ['temporalPostgres', "Temporal's PostgreSQL (persistence + visibility)"],
  ['worker', 'Payment workers'],
  ['api', 'API'],
  ['postgres', 'Our PostgreSQL (read model, audit log)'],
];

export interface Load {
  paymentsPerDay: number;
  /** Share of a day's paid payments that fall in its busiest hour. */
  busiestHourShare: number;
  /** CPU a part may use of the cores it is given, leaving room for bursts, restarts and a lost node. */
  targetUtilization: number;
}

export const LOADS: Load[] = [1_000_000, 10_000_000].map((paymentsPerDay) => ({ paymentsPerDay, busiestHourShare: 0.2, targetUtilization: 0.6 }));

export const peakPaymentsPerSecond = (load: Load) => (load.paymentsPerDay * load.busiestHourShare) / 3600;

/** Cores a part needs in the busiest hour, for a payment that costs it `cpuMsPerPayment`. */
export function coresNeeded(cpuMsPerPayment: number, load: Load): number {
  return (peakPaymentsPerSecond(load) * cpuMsPerPayment) / 1000 / load.targetUtilization;
}

export interface CapacityInputs {
  /** Mean CPU ms per paid payment (create → paid → both downstream calls) over the end-to-end runs, by part. */
  cpuMsPerPayment: Record<string, number>;
  concurrencies: number[];
  /** History events of one paid payment, by type (TOTAL = all). */
  historyShape?: Record<string, number>;
  /** Growth of Temporal's databases per pending payment held open (the scale phase's first and last levels). */
  bytesPerOpenPendingPayment?: number;
  /** Midtrans status calls per payment during the scale phase (confirmations and reconciliation wake-ups). */
  statusCallsPerPaymentInScalePhase?: number;
  openPaymentsHeld?: number;
}

/** What the production topology measured, reduced to the model's inputs; undefined when it did not run. */
export function capacityInputs(results: BenchResults): CapacityInputs | undefined {
  const all = results.stack?.e2e?.service ?? [];
  // C = 1 measures latency: its CPU per payment carries the idle machinery's cost, which load would spread thinner.
  const runs = all.some((run) => run.concurrency > 1) ? all.filter((run) => run.concurrency > 1) : all;
  if (runs.length === 0) return undefined;
  const cpuMsPerPayment: Record<string, number> = {};
  for (const [part] of CAPACITY_PARTS) {
    const values = runs.map((run) => run.processes[part]?.cpuMsPerPayment).filter((v): v is number => typeof v === 'number');
    if (values.length) cpuMsPerPayment[part] = mean(values);
  }
  const inputs: CapacityInputs = { cpuMsPerPayment, concurrencies: runs.map((run) => run.concurrency), historyShape: runs.find((run) => run.historyShape)?.historyShape };
  const growth = results.stack?.scale?.growth ?? [];
  const first = growth[0];
  const last = growth.at(-1);
  if (first && last && last.openPending > first.openPending) {
    inputs.bytesPerOpenPendingPayment = (last.temporalDbBytes - first.temporalDbBytes) / (last.openPending - first.openPending);
    inputs.openPaymentsHeld = last.openPending;
  }
  const scale = results.stack?.scale;
  if (scale?.simulator.paymentsCreatedInPhase) inputs.statusCallsPerPaymentInScalePhase = (scale.midtransCalls.status ?? 0) / scale.simulator.paymentsCreatedInPhase;
  return inputs;
}

const thousands = (v: number) => Math.round(v).toLocaleString('en-US');
const human = (n: number) => (n >= 1_000_000 ? `${fmt(n / 1_000_000, 0)} M` : thousands(n));
const count = (n: number | undefined, one: string, many = `${one}s`) => `${n ?? 0} ${n === 1 ? one : many}`;
const cores = (n: number) => `${fmt(n)} ${fmt(n) === '1' ? 'core' : 'cores'}`;
const gib = (bytes: number) => `${fmt(bytes / 2 ** 30, bytes < 10 * 2 ** 30 ? 1 : 0)} GiB`;

/** What a worker replica's memory held in the scale phase, under the limit it ran with (older reports have none). */
function workerMemoryLines(scale: ScaleResult | undefined): string[] {
  const limit = scale?.workerMemory?.limit;
  const peak = scale?.processes?.worker?.hwmMiB;
  if (!scale || !limit || peak == null) return [];
  const ended = scale.workerMemory!.workerSurvived ? 'and ran to the end' : '**and did not run to the end**';
  const cache = scale.workerCachedWorkflows;
  const notFull = cache !== undefined && scale.counts.open < cache ? ` (its cache of ${thousands(cache)} not yet full)` : '';
  return [
    `  Each replica also needs memory for its workflow cache: with ${thousands(scale.counts.open)} payments open${notFull} its peak was ${thousands(Math.round(peak))} MiB under a`,
    `  ${thousands(limit.bytes / 1e6)} MB limit, ${ended}. docker-compose.yml gives each worker ${fmt(WORKER_MEMORY_BUDGET_MB / 1000)} GB, and a worker sizes its cache from its limit`,
    '  unless `WORKER_MAX_CACHED_WORKFLOWS` says otherwise (docs/operations.md, "Worker memory").',
  ];
}

export function renderCapacity(results: BenchResults): string | undefined {
  const inputs = capacityInputs(results);
  if (!inputs) return undefined;
  const meta = results.stack!.meta;
  const total = CAPACITY_PARTS.reduce((a, [part]) => a + (inputs.cpuMsPerPayment[part] ?? 0), 0);
  const shape = inputs.historyShape;
  const refundWindowDays = 30;
  const cacheSize = results.stack?.scale?.workerCachedWorkflows ?? results.meta.settings.workerDefaults.WORKER_MAX_CACHED_WORKFLOWS;
  const lines = [
    '# Capacity model',
    '',
    'Generated by `bench/capacity.ts` from the production topology\'s figures in [benchmarks.json](benchmarks.json)',
    `(\`npm run bench -- --temporal both\`; this one measured ${meta.startedAt}, ${meta.machine.temporalServer ?? 'temporal-server'},`,
    `${meta.machine.cores} cores). It is a model: it multiplies measured CPU per payment by a payment rate. Re-run the benchmark on`,
    'the hardware you deploy to before buying it, and watch the real figures (CPU per part, schedule-to-start latency) once live.',
    '',
    '## What one paid payment costs',
    '',
    `Create → paid (a signed notification, confirmed with Midtrans's status API) → both downstream calls, measured end to end on`,
    `\`temporal-server\` with PostgreSQL persistence, mean over the runs at C = ${inputs.concurrencies.join(', ')}:`,
    '',
    row(['part', 'CPU ms per paid payment', 'share']),
    row(['--', '--:', '--:']),
    ...CAPACITY_PARTS.filter(([part]) => inputs.cpuMsPerPayment[part] !== undefined).map(([part, label]) =>
      row([label, fmt(inputs.cpuMsPerPayment[part]!), `${fmt((inputs.cpuMsPerPayment[part]! / total) * 100, 0)} %`]),
    ),
    row(['**all parts**', `**${fmt(total)}**`, '100 %']),
    '',
    ...(shape
      ? [
          `Its workflow history: ${count(shape.TOTAL, 'event')}, ${count(shape.WORKFLOW_TASK_COMPLETED, 'workflow task')}, ${count(shape.ACTIVITY_TASK_SCHEDULED, 'activity', 'activities')}, ` +
            `${count(shape.TIMER_STARTED, 'timer')}, ${count(shape.WORKFLOW_EXECUTION_SIGNALED, 'signal')}, ${count(shape.WORKFLOW_EXECUTION_UPDATE_ACCEPTED, 'update')}. ` +
            'Temporal\'s cost follows the workflow tasks and activities: fewer of them per payment is the next saving (docs/tuning.md).',
          '',
        ]
      : []),
    '## Cores for 1 M and 10 M payments a day',
    '',
    'The busiest hour carries 20 % of the day\'s paid payments, each part runs at most 60 % busy (room for bursts, a deploy and a',
    'lost node), and every paid payment costs what the table above says. Cores = peak payments/s × CPU ms ÷ 1000 ÷ 0.6.',
    '',
    row(['part', ...LOADS.map((l) => `${human(l.paymentsPerDay)}/day (peak ${fmt(peakPaymentsPerSecond(l))}/s)`)]),
    row(['--', ...LOADS.map(() => '--:')]),
    ...CAPACITY_PARTS.filter(([part]) => inputs.cpuMsPerPayment[part] !== undefined).map(([part, label]) =>
      row([label, ...LOADS.map((l) => cores(coresNeeded(inputs.cpuMsPerPayment[part]!, l)))]),
    ),
    row(['**all parts**', ...LOADS.map((l) => `**${cores(coresNeeded(total, l))}**`)]),
    '',
    `Over the whole day the mean rate is ${fmt((3600 / 86_400 / LOADS[0]!.busiestHourShare) * 100, 0)} % of the peak (1 M/day: ${fmt(LOADS[0]!.paymentsPerDay / 86_400)}/s mean, ${fmt(peakPaymentsPerSecond(LOADS[0]!))}/s peak), so autoscaled`,
    'workers and API replicas spend most of the day below these counts. Temporal and both databases are sized for the peak.',
    '',
    '## Holding payments open',
    '',
    `A paid payment stays open for its ${refundWindowDays}-day refund window, so at a steady ${human(LOADS[0]!.paymentsPerDay)} paid payments a day about`,
    `${human(LOADS[0]!.paymentsPerDay * refundWindowDays)} workflows are open at once (${human(LOADS[1]!.paymentsPerDay * refundWindowDays)} at ${human(LOADS[1]!.paymentsPerDay)}/day). An open paid payment waits on one timer: it costs`,
    'no CPU until a refund, a late notification or the window\'s end wakes it, and no worker memory once the sticky cache',
    `evicts it (\`WORKER_MAX_CACHED_WORKFLOWS\`${cacheSize === undefined ? '' : `, ${thousands(cacheSize)} per worker in this run`}; a cache miss replays the history, and a reconciliation look at an evicted payment cost about 60 ms of worker CPU and 25 ms of Temporal's, docs/tuning.md).`,
    'What it costs is storage in Temporal\'s database, and the history stays after it closes for the namespace\'s retention.',
    '',
    ...(inputs.bytesPerOpenPendingPayment !== undefined
      ? [
          `Measured: Temporal's databases grew by ${fmt(inputs.bytesPerOpenPendingPayment / 1024)} KiB per pending payment held open (${thousands(inputs.openPaymentsHeld ?? 0)} held;`,
          'on-disk size with indexes and visibility). A paid payment\'s history is longer, so take about twice that for it: at 1 M/day,',
          `${human(LOADS[0]!.paymentsPerDay * refundWindowDays)} open paid payments take about ${gib(LOADS[0]!.paymentsPerDay * refundWindowDays * 2 * inputs.bytesPerOpenPendingPayment)}, at 10 M/day about ${gib(LOADS[1]!.paymentsPerDay * refundWindowDays * 2 * inputs.bytesPerOpenPendingPayment)}, plus the closed`,
          'histories kept for the retention period. Size Temporal\'s PostgreSQL disk for that, and its memory for the hot part.',
          '',
        ]
      : []),
    'An unpaid payment is not idle: reconciliation asks Midtrans about it 1, 5, 15 and 60 minutes after the start, then every',
    '6 hours up to 5 minutes before expiry, so a 24-hour VA left unpaid makes 8 status look-ups (26 with the hourly schedule',
    'before it), each a workflow task and a local activity, and a longer expiry 4 a day.' +
      (inputs.statusCallsPerPaymentInScalePhase !== undefined
        ? ` In the scale phase (payments held for minutes, then settled) Midtrans got ${fmt(inputs.statusCallsPerPaymentInScalePhase, 2)} status calls per payment.`
        : ''),
    '',
    '## Scaling out',
    '',
    '- **Workers** are stateless: any number of replicas poll the same task queue (`TEMPORAL_TASK_QUEUE`), and Temporal spreads',
    '  workflow and activity tasks across them. Add replicas when schedule-to-start latency grows or task slots stay full;',
    '  each replica\'s `WORKER_MAX_CONCURRENT_ACTIVITIES` × replicas must fit Midtrans\'s rate limits and our PostgreSQL pool.',
    ...workerMemoryLines(results.stack?.scale),
    '- **API** replicas are stateless too (idempotency lives in PostgreSQL and in Temporal\'s workflow ids); put them behind a',
    '  load balancer that honours `/ready` (503 while draining).',
    '- **Connections**: every worker and API replica opens `DATABASE_POOL_SIZE` connections to our PostgreSQL; its',
    '  `max_connections` must exceed replicas × pool size (docker-compose.yml allows 8 such processes), or put PgBouncer in front.',
    '- **Temporal** scales by running frontend, history and matching as separate services with their own replicas; history is',
    '  the one that does the work (and the CPU above). Its PostgreSQL becomes the limit first: past one primary\'s capacity, the',
    '  self-hosted options are a bigger primary or Cassandra.',
    '',
    '## numHistoryShards',
    '',
    'Fixed when Temporal\'s schema is first set up and never changeable after, so choose for the volume you expect in years, not',
    'today. Each shard owns a slice of workflow ids and orders that slice\'s updates; shards are spread across history',
    'replicas, so the count bounds how far history can scale out. Few shards cap throughput; very many cost memory and',
    'database connections per history host. For this service: **512** for up to a few million payments a day (a common',
    'starting point that leaves room to grow), **4,096** when planning for 10 M a day and more. The local stack and the',
    'benchmark use 4 (two cores; the CPU, not the shards, was the limit there).',
    '',
    '## When to move to Temporal Cloud',
    '',
    `- When Temporal and its PostgreSQL need more than a handful of machines (the table above: ${fmt(
      coresNeeded((inputs.cpuMsPerPayment.temporal ?? 0) + (inputs.cpuMsPerPayment.temporalPostgres ?? 0), LOADS[1]!),
    )} cores`,
    '  at 10 M/day for Temporal alone), or its database outgrows one primary: running history, matching and Cassandra well is',
    '  a team\'s job.',
    '- When you need multi-region failover for payments (Cloud\'s replicated namespaces) rather than restore-from-backup.',
    '- When the bill compares well: Cloud charges per action (a workflow start, each activity, timer, signal and update), so',
    `  count the actions in one payment's history (above: about ${shape ? (shape.WORKFLOW_EXECUTION_STARTED ?? 1) + (shape.ACTIVITY_TASK_SCHEDULED ?? 0) + (shape.TIMER_STARTED ?? 0) + (shape.WORKFLOW_EXECUTION_SIGNALED ?? 0) + (shape.WORKFLOW_EXECUTION_UPDATE_ACCEPTED ?? 0) : '?'} per paid payment) × payments a month, plus storage, against`,
    '  the machines above and the engineers who run them. The service needs no change: point `TEMPORAL_ADDRESS`,',
    '  `TEMPORAL_NAMESPACE` and `TEMPORAL_TLS` / `TEMPORAL_API_KEY` at Cloud; the payload codec keeps payloads unreadable to it.',
    '',
  ];
  return lines.join('\n');
}
