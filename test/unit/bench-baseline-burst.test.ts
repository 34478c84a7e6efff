import { describe, expect, it } from 'vitest';
import { drainWaitsUntil, type BurstResult } from '../../bench/burst';
import { benchmarkCharts } from '../../bench/charts';
import { parseOptions } from '../../bench/options';
import { chunkOrder, type RunResult } from '../../bench/phases';
import { renderMarkdown, type BenchResults } from '../../bench/report';
import type { WebhookAttempt } from '../../bench/simulator';
import { summarizeWebhooks } from '../../bench/webhooks';
import { benchMeta, benchRun, latencySummary } from '../support/bench-results';

describe('bench --baseline and --burst options', () => {
  it.each([
    [['--baseline'], '132dc95'],
    [['--baseline', '--quick'], '132dc95'],
    [['--baseline', 'HEAD~3', '--quick'], 'HEAD~3'],
    [['--baseline=origin/main'], 'origin/main'],
    [['--quick'], undefined],
  ])('%j measures against %s', (argv, baseline) => {
    const options = parseOptions(argv);
    expect(options.baseline).toBe(baseline);
    if (argv.includes('--quick')) expect(options.mode).toBe('quick');
  });

  it('gives a run with a baseline half as much time again, unless --max-minutes says otherwise', () => {
    expect(parseOptions(['--full']).maxMinutes).toBe(240);
    expect(parseOptions(['--full', '--baseline']).maxMinutes).toBe(360);
    expect(parseOptions(['--baseline', '--max-minutes', '50']).maxMinutes).toBe(50);
  });

  it('refuses a baseline that is not a git ref, one beside --tune, and one without the e2e phase', () => {
    expect(() => parseOptions(['--baseline', 'main;rm -rf /'])).toThrow('--baseline wants a git ref');
    expect(() => parseOptions(['--baseline', '--tune', 'WORKER_MAX_CACHED_WORKFLOWS=500'])).toThrow(/run them apart/);
    expect(() => parseOptions(['--baseline', '--only', 'burst'])).toThrow(/add e2e to --only/);
  });

  it.each([
    [['--quick'], 500],
    [[], 2000],
    [['--full'], 10_000],
    [['--full', '--burst', '300'], 300],
  ])('%j bursts %i settlements', (argv, payments) => {
    expect(parseOptions(argv).burst.payments).toBe(payments);
  });

  it('runs the burst by default and alone with --only burst, never in a tuning comparison', () => {
    expect(parseOptions([]).phases).toEqual(['e2e', 'api', 'scale', 'burst']);
    expect(parseOptions(['--only', 'burst']).phases).toEqual(['burst']);
    expect(() => parseOptions(['--only', 'bursts'])).toThrow('--only: unknown phase bursts');
    expect(() => parseOptions(['--tune', 'WORKER_MAX_CACHED_WORKFLOWS=500', '--only', 'e2e,burst'])).toThrow(/e2e and scale phases only/);
  });

  it('interleaves the baseline between the service and the Temporal baselines, mirrored', () => {
    expect(chunkOrder(true)).toEqual(['service', 'baseline', 'bare', 'minimal', 'minimal', 'bare', 'baseline', 'service']);
    expect(chunkOrder(false)).toEqual(['service', 'bare', 'minimal', 'minimal', 'bare', 'service']);
  });
});

const attempt = (notificationId: number, ms: number, answer: string, outcome: WebhookAttempt['outcome'], first = true): WebhookAttempt => ({
  orderId: `pay-${notificationId}`,
  notificationId,
  transactionStatus: 'settlement',
  at: 1_000 + notificationId,
  ms,
  answer,
  first,
  outcome,
});

describe('webhook answers as the simulator timed them', () => {
  it('counts answers, retried notifications and the ones Midtrans gave up on', () => {
    const summary = summarizeWebhooks([
      attempt(1, 4, '200', 'delivered'),
      attempt(2, 9, '503', 'delivered'),
      attempt(2, 6, '200', 'delivered', false),
      attempt(3, 5000, 'timeout', 'failed'),
      attempt(3, 30, '503', 'failed', false),
    ]);
    expect(summary).toMatchObject({ answers: { 200: 2, 503: 2, timeout: 1 }, notifications: 3, retried: 2, givenUp: 1 });
    expect(summary?.answerMs).toMatchObject({ count: 5, p50: 9, max: 5000 });
  });

  it('has nothing to say when no notification was sent', () => {
    expect(summarizeWebhooks([])).toBeUndefined();
  });
});

const meta = benchMeta;
const summary = latencySummary;

function run(kind: RunResult['kind'], concurrency: number, paymentsPerSecond: number, webhookP50?: number): RunResult {
  return benchRun(kind, {
    concurrency,
    paymentsPerSecond,
    createMs: summary(kind === 'baseline' ? 600 : 120),
    ...(webhookP50 !== undefined ? { webhook: { answerMs: summary(webhookP50), answers: { 200: 80 }, notifications: 80, retried: 0, givenUp: 0 } } : {}),
  });
}

function withBaseline(service: [number, number], baseline: [number, number], minimal?: [number, number]): BenchResults['e2e'] {
  const minimalAt = (i: 0 | 1) => (minimal ? { minimal: minimal[i], minimalRatio: null } : {});
  return {
    service: [run('service', 8, service[0], 4), run('service', 32, service[1], 21)],
    bare: [run('bare', 8, 20), run('bare', 32, 22)],
    baseline: [run('baseline', 8, baseline[0], 5), run('baseline', 32, baseline[1], 30)],
    baselineCode: { ref: '132dc95', commit: '132dc95', subject: 'Replay: pre-patch histories', database: 'tiketq_bench_baseline' },
    ratios: [
      { concurrency: 8, service: service[0], bare: 20, ratio: null, serviceCpuMs: 100, baselineCpuMs: 230, baseline: baseline[0], baselineRatio: 2.4, baselineCpuRatio: 2.3, ...minimalAt(0) },
      { concurrency: 32, service: service[1], bare: 22, ratio: null, serviceCpuMs: 90, baselineCpuMs: 200, baseline: baseline[1], baselineRatio: 2.1, baselineCpuRatio: 2.22, ...minimalAt(1) },
    ],
  };
}

function burst(overrides: { reachedSuccess: number; apiPeakRssMiB: number; drained: number | null; limited?: boolean; uncharged?: number }): BurstResult {
  const uncharged = overrides.uncharged ?? 0;
  return {
    label: 'burst',
    payments: 500,
    opened: 500,
    settled: 500 - uncharged,
    create: { concurrency: 16, seconds: 20, createMs: summary(150), errors: {}, chargedAfterSeconds: uncharged ? null : 2.5, uncharged },
    send: { ratePerSecond: 166.7, seconds: 3, payErrors: {} },
    webhook: { answerMs: summary(7), answers: { 200: 480, 503: 40 }, notifications: 500, retried: 20, givenUp: 0 },
    drain: {
      toAllSuccessSeconds: overrides.drained,
      toAllDownstreamSeconds: overrides.drained === null ? null : overrides.drained + 1,
      timedOut: overrides.drained === null,
      waitedForLooks: 500 - uncharged - overrides.reachedSuccess,
    },
    counts: { reachedSuccess: overrides.reachedSuccess, downstreamBoth: overrides.reachedSuccess, statusesAfter: { success: overrides.reachedSuccess } },
    memory: {
      apiPeakRssMiB: overrides.apiPeakRssMiB,
      apiHwmMiB: overrides.apiPeakRssMiB - 1,
      samples: 120,
      budgetMB: 512,
      limit: overrides.limited ? { bytes: 512e6, cgroupPeakMiB: overrides.apiPeakRssMiB + 40, oomKills: 0 } : null,
      limitUnavailable: overrides.limited ? null : 'no writable memory cgroup controller',
      apiHeap: { peakUsedMiB: 90, peakTotalMiB: 130, samples: 24, everySeconds: 15 },
      apiSurvived: true,
      workerHwmMiB: 300,
    },
    processes: {},
  };
}

describe('benchmark report: against the baseline code, webhook answers and settlement bursts', () => {
  const results: BenchResults = {
    meta: meta(),
    e2e: withBaseline([12, 14], [5, 6.7], [9, 16.75]),
    burst: burst({ reachedSuccess: 500, apiPeakRssMiB: 180, drained: 4.2, limited: true }),
    stack: { meta: meta(), e2e: withBaseline([9, 10], [3.7, 4.8]), burst: burst({ reachedSuccess: 487, apiPeakRssMiB: 500, drained: null, uncharged: 10 }) },
  };
  const markdown = renderMarkdown(results);
  const section = (heading: string) => markdown.slice(markdown.indexOf(heading), markdown.indexOf('\n## ', markdown.indexOf(heading) + 1));

  it('gives service ÷ baseline per C and topology, by throughput and by CPU, with the commit measured', () => {
    const against = section('## 7. Against the code before issue 16');
    expect(against).toContain('commit 132dc95 ("Replay: pre-patch histories"; `--baseline 132dc95`)');
    expect(against).toContain('| 8 | dev server (SQLite) | 12 | 5 | **2.40×** | 1.80× | 100 | 230 | **2.30×** | 120 | 600 | 12 | 15 |');
    expect(against).toContain('| 32 | production topology (temporal-server on PostgreSQL) | 10 | 4.8 | **2.10×** | – | 90 | 200 | **2.22×** | 120 | 600 | 63 | 90 |');
    expect(markdown).toContain('- Against the code before this work (132dc95) on the production topology (temporal-server on PostgreSQL): the service runs at **2.40× / 2.10×** its throughput and 2.30× / 2.22× by CPU (C = 8 / 32; baseline 3.7 / 4.8 payments/s; goal ≥ 2×).');
  });

  it("gives what the minimal shape reached against the baseline in the same run, the 2× goal's ceiling", () => {
    expect(markdown).toContain(
      '- Against the code before this work (132dc95) on the dev server (SQLite): the service runs at **2.40× / 2.10×** its throughput and 2.30× / 2.22× by CPU ' +
        "(C = 8 / 32; baseline 5 / 6.7 payments/s; goal ≥ 2×; the minimal shape 1.80× / 2.50× the baseline's throughput in the same run).",
    );
    expect(section('## 7. Against the code before issue 16')).toContain('| 32 | dev server (SQLite) | 14 | 6.7 | **2.10×** | 2.50× |');
  });

  it('names the 50 ms target for the webhook at C=32 and shows its answer times in the e2e table', () => {
    expect(markdown).toContain('- Webhook answered under the end-to-end load on the dev server (SQLite), ms p99: C=8 12; **C=32 63** (target ≤ 50 ms at C=32;');
    expect(section('## 1. End-to-end payments')).toContain('| 900 / 1800 / 2700 | 21 / 42 / 63 | 4 |');
  });

  it('reports each burst: charged and settled, answers, none lost or how many not, the drain, and API memory against 512 MB', () => {
    const bursts = section('## 8. Settlement bursts').split('\n');
    expect(bursts).toEqual(
      expect.arrayContaining([
        '| charged at Midtrans, so settled (a 202 leaves the charge on its way) | 500; the last 2.5 s after the last create | 490; 10 never came |',
        '| reached success (PostgreSQL) | 500 / 500 (none lost) | 487 / 490 (**3 not (yet) success**) |',
        '| drain: last notification → last `success` | **4.2 s** | **not all** |',
        '| webhook answers | 200: 480, 503: 40 | 200: 480, 503: 40 |',
        '| API VmHWM (whole phase) | 179 MiB (188 MB): within the 512 MB budget | 499 MiB (523 MB): **over the 512 MB budget** |',
        "| API memory limit (a cgroup, as a container's) | 512 MB; charged to it at most 220 MiB (231 MB), OOM kills 0; the API ran to the end | none: no writable memory cgroup controller |",
        '| API V8 heap peak: in use / reserved (its /metrics) | 90 MiB (94 MB) / 130 MiB (136 MB), 24 samples, every 15 s | 90 MiB (94 MB) / 130 MiB (136 MB), 24 samples, every 15 s |',
        'On the production topology (temporal-server on PostgreSQL) the drain stalled with 3 payments short of `success` and waited for their next reconciliation look (Midtrans had given up their notifications).',
        'On the production topology (temporal-server on PostgreSQL) the wait gave up (deadline, or two minutes without progress and no reconciliation look left to wait for): the counts are what had arrived.',
      ]),
    );
    expect(markdown).toContain('- Settlement burst on the dev server (SQLite): 500 settlements sent in 3 s, webhook answered p50 / p95 / p99 7 / 14 / 21 ms; 500/500 reached success (none lost), drained **4.2 s** after the last notification; API peak RSS 180 MiB (189 MB), within the 512 MB budget.');
  });

  it('has neither section when the run measured neither', () => {
    const plain = renderMarkdown({ meta: meta(), e2e: { service: [run('service', 8, 12)], bare: [run('bare', 8, 20)], ratios: [] } });
    expect(plain).not.toContain('## 7. Against the code before issue 16');
    expect(plain).not.toContain('## 8. Settlement bursts');
    expect(plain).not.toContain('Webhook answered under the end-to-end load');
  });

  it('draws the baseline as a series of the throughput plot on both topologies', () => {
    const throughput = benchmarkCharts(results).find((chart) => chart.name === 'throughput')!.svg;
    expect(throughput).toContain('data-name="service at 132dc95 (dev server)"');
    expect(throughput).toContain('data-name="service at 132dc95 (production)"');
  });
});

describe('the burst drain, stalled', () => {
  const MINUTE = 60_000;
  const start = Date.UTC(2026, 11, 4, 12, 0);
  const va = (startedAtMs: number) => ({ startedAtMs, expiresAtMs: startedAtMs + 24 * 60 * MINUTE });

  it('waits for the latest next reconciliation look of the payments short of success, plus a look\'s grace', () => {
    // 20 minutes in: the first payment's next look is at 60 minutes, the one opened 10 minutes later at 15 (its 25th minute).
    expect(drainWaitsUntil([va(start), va(start + 10 * MINUTE)], start + 20 * MINUTE)).toBe(start + 60 * MINUTE + 2 * MINUTE);
    expect(drainWaitsUntil([va(start + 10 * MINUTE)], start + 20 * MINUTE)).toBe(start + 25 * MINUTE + 2 * MINUTE);
  });

  it('follows the first hour\'s looks the run gave the service', () => {
    expect(drainWaitsUntil([va(start)], start + 2 * MINUTE, [15, 60])).toBe(start + 17 * MINUTE);
  });

  it('has nothing to wait for when every payment reached success', () => {
    expect(drainWaitsUntil([], start)).toBeUndefined();
  });
});
