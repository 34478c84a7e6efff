import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKGROUND_CPU_SHARES, parseOptions, WORKER_MEMORY_BUDGET_MB } from '../../bench/options';
import { evenSample, scaleWarmup } from '../../bench/phases';
import type { RunResult } from '../../bench/phases';
import { limitText, renderMarkdown, type BenchResults } from '../../bench/report';
import { benchMeta, benchRun } from '../support/bench-results';

describe('bench --temporal', () => {
  it.each([
    [[], ['dev']],
    [['--temporal', 'dev'], ['dev']],
    [['--temporal', 'stack'], ['stack']],
    [['--temporal=both'], ['dev', 'stack']],
  ])('%j measures %j', (argv, topologies) => {
    expect(parseOptions(argv).topologies).toEqual(topologies);
  });

  it('refuses a topology it does not know', () => {
    expect(() => parseOptions(['--temporal', 'cloud'])).toThrow('--temporal wants dev, stack or both, not cloud');
  });

  it('takes --tune values that are lists themselves', () => {
    expect(parseOptions(['--tune', 'RECONCILE_EARLY_LOOKS_MINUTES=15,60,WORKER_MAX_CACHED_WORKFLOWS=500', '--only', 'scale']).tune).toEqual({
      RECONCILE_EARLY_LOOKS_MINUTES: '15,60',
      WORKER_MAX_CACHED_WORKFLOWS: '500',
    });
    expect(() => parseOptions(['--tune', '15,RECONCILE_EARLY_LOOKS_MINUTES=60'])).toThrow('--tune wants KEY=VALUE pairs, got 15');
  });

  it('keeps an "=" inside a value (a Node flag in NODE_OPTIONS) instead of cutting the value there', () => {
    expect(parseOptions(['--tune', 'NODE_OPTIONS=--max-semi-space-size=32', '--only', 'e2e']).tune).toEqual({ NODE_OPTIONS: '--max-semi-space-size=32' });
  });

  it('takes --set for one run on any topology, without a comparison', () => {
    const options = parseOptions(['--set', 'RECONCILE_EARLY_LOOKS_MINUTES=60', '--only', 'scale', '--temporal', 'stack']);
    expect(options.serviceSettings).toEqual({ RECONCILE_EARLY_LOOKS_MINUTES: '60' });
    expect(options.tune).toEqual({});
    expect(options.topologies).toEqual(['stack']);
    expect(parseOptions([]).serviceSettings).toEqual({});
    expect(() => parseOptions(['--set', 'lower=1'])).toThrow('--set wants KEY=VALUE pairs, got lower=1');
  });

  it('keeps a tuning comparison on the dev server', () => {
    expect(() => parseOptions(['--tune', 'WORKER_MAX_CACHED_WORKFLOWS=500', '--temporal', 'both'])).toThrow(/dev server only/);
  });
});

describe('a report of a tuning comparison alone', () => {
  it('names the dev server it ran on', () => {
    const markdown = renderMarkdown({
      meta: benchMeta(),
      tuning: { meta: benchMeta(), env: { WORKER_MAX_CACHED_WORKFLOWS: '500' }, concurrency: 32, e2e: { baseline: [benchRun('service')], tuned: [benchRun('service')] } },
    });
    expect(markdown).toContain('- Its own stack beside the dev stack: Temporal dev server on');
  });
});

describe('bench --probe', () => {
  it('sizes each scale level\'s probe, and refuses an empty one', () => {
    expect(parseOptions(['--only', 'scale']).scale.probeCount).toBe(64);
    expect(parseOptions(['--only', 'scale', '--probe', '256']).scale.probeCount).toBe(256);
    expect(() => parseOptions(['--probe', '0'])).toThrow('--probe wants a number above 0');
  });
});

describe('bench --probe-after-first-hour', () => {
  it('makes the scale phase wait out the first hour only when asked', () => {
    expect(parseOptions(['--only', 'scale']).scale.probeAfterFirstHour).toBeUndefined();
    expect(parseOptions(['--only', 'scale', '--probe-after-first-hour', '--levels', '0,10000']).scale).toMatchObject({ probeAfterFirstHour: true, levels: [0, 10000] });
  });
});

describe('bench --probe-when-quiet', () => {
  it('makes the scale phase wait for the service to be quiet only when asked', () => {
    expect(parseOptions(['--only', 'scale']).scale.probeWhenQuiet).toBeUndefined();
    expect(parseOptions(['--only', 'scale', '--probe-when-quiet']).scale.probeWhenQuiet).toBe(true);
  });

  it('is refused with the CPU profiler on, whose sampling keeps the service from ever being quiet', () => {
    const profiling = { BENCH_CPU_PROF_DIR: '/tmp/profiles' };
    expect(() => parseOptions(['--only', 'scale', '--probe-when-quiet'], profiling)).toThrow('BENCH_CPU_PROF_DIR');
    expect(parseOptions(['--only', 'scale'], profiling).scale.probeWhenQuiet).toBeUndefined();
  });
});

describe('the scale phase\'s warm-up', () => {
  it('takes at least a probe\'s worth of payments at the probe\'s concurrency, so the first probe meets warm processes', () => {
    expect(scaleWarmup(parseOptions(['--only', 'scale', '--probe', '384']).scale)).toEqual({ count: 384, concurrency: 32 });
    expect(scaleWarmup({ warmup: 50, probeCount: 32, probeConcurrency: 16 })).toEqual({ count: 50, concurrency: 16 });
  });
});

describe('bench --settle', () => {
  it('settles a sample spread over the held payments only when asked', () => {
    expect(parseOptions(['--only', 'scale']).scale.settleCount).toBeUndefined();
    expect(parseOptions(['--only', 'scale', '--settle', '2000']).scale.settleCount).toBe(2000);
    expect(() => parseOptions(['--settle', '0'])).toThrow('--settle wants a number above 0');
  });

  it('takes every n-th payment in creation order, and all of them when the sample is not smaller', () => {
    const held = Array.from({ length: 10 }, (_, i) => `p${i}`);
    expect(evenSample(held, 4)).toEqual(['p0', 'p2', 'p5', 'p7']);
    expect(evenSample(held, 10)).toBe(held);
    expect(evenSample(held, undefined)).toBe(held);
  });
});

const meta = benchMeta;
const cpu = (cpuMsPerPayment: number) => ({ peakRssMiB: null, hwmMiB: null, cpuSeconds: null, cpuMsPerPayment });

function run(kind: RunResult['kind'], paymentsPerSecond: number, processes: Record<string, number>): RunResult {
  return benchRun(kind, { paymentsPerSecond, processes: Object.fromEntries(Object.entries(processes).map(([name, ms]) => [name, cpu(ms)])) });
}

function e2e(service: RunResult, bare: RunResult): BenchResults['e2e'] {
  return { service: [service], bare: [bare], ratios: [{ concurrency: 8, service: service.paymentsPerSecond, bare: bare.paymentsPerSecond, ratio: null }] };
}

const devOnly: BenchResults = {
  meta: meta(),
  e2e: e2e(run('service', 5.1, { temporal: 61, worker: 40, api: 12, postgres: 9, bench: 20 }), run('bare', 9.5, { temporal: 55, worker: 20 })),
};

describe('benchmark report: dev server and production topology side by side', () => {
  it('has no comparison section when only the dev server ran', () => {
    const markdown = renderMarkdown(devOnly);
    expect(markdown).toContain('## 1. End-to-end payments');
    expect(markdown).not.toContain('## 6. Dev server and production topology');
    expect(markdown).not.toContain('production topology (temporal-server on PostgreSQL)');
  });

  it('puts both topologies in one table, with the CPU per payment of Temporal, of its PostgreSQL and of the simulator', () => {
    const both: BenchResults = {
      ...devOnly,
      stack: {
        meta: meta({ temporalServer: 'temporal version 1.32.2' }),
        e2e: e2e(
          run('service', 3.3, { temporal: 27, temporalPostgres: 33, worker: 41, api: 13, postgres: 10, simulator: 6, bench: 21 }),
          run('bare', 7.7, { temporal: 24, temporalPostgres: 30, worker: 19 }),
        ),
      },
    };
    const markdown = renderMarkdown(both);
    const section = markdown.slice(markdown.indexOf('## 6. Dev server and production topology side by side'));
    const rows = section.split('\n').filter((line) => line.startsWith('| 8 |'));
    expect(rows).toEqual([
      '| 8 | dev server (SQLite) | 40/40 | **5.1** | 250 / 500 / 750 | 400 / 800 / 1200 | 900 / 1800 / 2700 | 61 | – | 40 | 12 | 9 | – | 20 | 9.5 | 55 | – | – |',
      '| 8 | production topology (temporal-server on PostgreSQL) | 40/40 | **3.3** | 250 / 500 / 750 | 400 / 800 / 1200 | 900 / 1800 / 2700 | 27 | 33 | 41 | 13 | 10 | 6 | 21 | 7.7 | 54 | – | – |',
    ]);
    expect(section).toContain('temporal version 1.32.2');
    expect(markdown).toContain('**3.3 payments/s** at best (C=8) against 5.1 on the dev server (C=8); Temporal costs 27 CPU ms per payment in the server and 33 ms in its PostgreSQL');
  });

  it('does not describe a dev server when only the production topology ran', () => {
    const stackOnly: BenchResults = { meta: meta(), stack: { meta: meta(), e2e: devOnly.e2e } };
    const markdown = renderMarkdown(stackOnly);
    expect(markdown).toContain('Temporal server on PostgreSQL on 27533 (see section 6)');
    expect(markdown).not.toContain('Temporal dev server on');
    expect(markdown).not.toContain('## 1. End-to-end payments');
  });

  it('reports the service against the minimal shape per C and topology, and "–" where a report has none', () => {
    const old = renderMarkdown(devOnly);
    expect(old).toContain('| 8 | 5.1 | 9.5 | – | **–** | **–** |');
    expect(old).not.toContain('Against the minimal shape');

    const withMinimal: BenchResults = {
      ...devOnly,
      e2e: {
        ...devOnly.e2e!,
        minimal: [run('minimal', 10.2, { temporal: 30, worker: 15 })],
        ratios: [{ concurrency: 8, service: 5.1, bare: 9.5, ratio: 0.54, serviceCpuMs: 142, bareCpuMs: 75, cpuRatio: 0.53, minimal: 10.2, minimalRatio: 0.5, minimalCpuMs: 45, minimalCpuRatio: 0.32 }],
      },
    };
    const markdown = renderMarkdown(withMinimal);
    expect(markdown).toContain('| 8 | 5.1 | 9.5 | 10.2 | **54 %** | **0.50×** | 142 | 75 | 45 | **53 %** | **0.32×** |');
    expect(markdown).toContain('Against the minimal shape (charge, one signal, two downstream calls) on the dev server (SQLite): the service runs at **0.50×** of it by throughput and 0.32× by CPU (C = 8');
    expect(markdown).toContain('| minimal-c8 | 15 |');
  });

  it("shows where the service's CPU goes beyond the minimal shape's, and the ratio a worker as cheap as its would give", () => {
    const withMinimal: BenchResults = {
      ...devOnly,
      e2e: { ...devOnly.e2e!, minimal: [run('minimal', 10.2, { temporal: 30, worker: 15, bench: 5 })] },
    };
    // service: temporal 61, worker 40, api 12, postgres 9, bench 20 = 142; minimal: 30 + 15 + 5 = 50.
    // With the minimal shape's worker: 142 - 40 + 15 = 117, and 50 / 117 = 0.43.
    expect(renderMarkdown(withMinimal)).toContain('| 8 | 142 | 50 | +25 | +12 | +9 | +31 | 0 | +15 | 0.35× | 0.43× |');
    expect(renderMarkdown(devOnly)).not.toContain("with the minimal shape's worker");
  });
});

describe('bench --worker-memory', () => {
  it("runs the scale phase's worker under the compose file's budget unless told otherwise, and 0 lifts the limit", () => {
    expect(parseOptions(['--only', 'scale']).scale.workerMemoryMB).toBe(WORKER_MEMORY_BUDGET_MB);
    expect(parseOptions(['--only', 'scale', '--worker-memory', '1500']).scale.workerMemoryMB).toBe(1500);
    expect(parseOptions(['--only', 'scale', '--worker-memory', '0']).scale.workerMemoryMB).toBeUndefined();
    expect(() => parseOptions(['--worker-memory', 'lots'])).toThrow('--worker-memory wants a number of MB (0: no limit), not lots');
    expect(() => parseOptions(['--worker-memory', '1000,2000'])).toThrow('--worker-memory wants a number of MB (0: no limit), not 1000,2000');
  });

  it('reports the limit, what the cgroup was charged at most, its OOM kills and whether the worker ran to the end', () => {
    const reading = (oomKills: number) => ({ limit: { bytes: 1e9, cgroupPeakMiB: 953.7, oomKills }, limitUnavailable: null });
    expect(limitText(reading(0), 'worker', true)).toBe('1000 MB; charged to it at most 954 MiB (1000 MB), OOM kills 0; the worker ran to the end');
    expect(limitText(reading(1), 'worker', false)).toBe('1000 MB; charged to it at most 954 MiB (1000 MB), OOM kills 1; **the worker did not run to the end**');
    expect(limitText({ limit: null, limitUnavailable: 'not root' }, 'worker', true)).toBe('none: not root');
    expect(limitText(undefined, 'worker', true)).toBe("none (heap ceiling from the host's memory)");
  });

  it("matches the worker's mem_limit in docker-compose.yml", () => {
    const compose = readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8');
    const worker = compose.slice(compose.indexOf('\n  worker:\n'), compose.indexOf('\n  midtrans-simulator:\n'));
    expect(worker.match(/^ {4}mem_limit: (\d+)$/m)?.[1]).toBe(String(WORKER_MEMORY_BUDGET_MB * 1e6));
  });
});

describe('bench --cpu-weights', () => {
  it("runs the background tier at the compose file's weight unless told equal, and compares the two in the end-to-end phase alone", () => {
    expect(parseOptions([]).backgroundCpuShares).toBe(BACKGROUND_CPU_SHARES);
    expect(parseOptions(['--cpu-weights', 'equal']).backgroundCpuShares).toBeUndefined();
    expect(() => parseOptions(['--cpu-weights', 'fair'])).toThrow('--cpu-weights wants compose or equal, not fair');
    const compare = parseOptions(['--compare-cpu-weights', '--temporal', 'stack']);
    expect(compare).toMatchObject({ compareCpuWeights: true, phases: ['e2e'], topologies: ['stack'], backgroundCpuShares: BACKGROUND_CPU_SHARES });
    expect(() => parseOptions(['--compare-cpu-weights', '--temporal', 'both'])).toThrow('--compare-cpu-weights compares on one topology');
    expect(() => parseOptions(['--compare-cpu-weights', '--only', 'e2e,scale'])).toThrow('--compare-cpu-weights compares the end-to-end phase');
    expect(() => parseOptions(['--compare-cpu-weights', '--tune', 'WORKER_MAX_CONCURRENT_ACTIVITIES=8'])).toThrow('compares the cpu weights alone');
  });

  it("matches the cpu_shares of the worker, Temporal and Temporal's PostgreSQL in docker-compose.yml, and leaves the API and PostgreSQL at the default", () => {
    const compose = readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8');
    const service = (name: string) => {
      const start = compose.indexOf(`\n  ${name}:\n`);
      expect(start, name).toBeGreaterThanOrEqual(0);
      const next = compose.slice(start + 1).search(/\n {2}[a-z][\w-]*:\n/);
      return compose.slice(start, next < 0 ? undefined : start + 1 + next);
    };
    for (const name of ['worker', 'temporal', 'temporal-postgres']) {
      expect(service(name).match(/^ {4}cpu_shares: (\d+)/m)?.[1], name).toBe(String(BACKGROUND_CPU_SHARES));
    }
    for (const name of ['api', 'postgres']) expect(service(name), name).not.toMatch(/cpu_shares/);
  });
});
