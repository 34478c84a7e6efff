import { describe, expect, it } from 'vitest';
import type { MinimalScaleResult } from '../../bench/minimal-scale';
import { parseOptions, PHASES } from '../../bench/options';
import type { GrowthPoint } from '../../bench/phases';
import { probeRatios, renderMarkdown } from '../../bench/report';
import { benchMeta } from '../support/bench-results';

function point(held: number, paymentsPerSecond: number, walkMs: number): GrowthPoint {
  return {
    openPending: held,
    openWorkflows: held,
    createdThisStep: 0,
    createSecondsThisStep: 0,
    createPerSecondThisStep: null,
    createMsThisStep: null,
    workerRssMiB: 400 + held / 10,
    apiRssMiB: null,
    temporalRssMiB: 300,
    temporalDbBytes: 50 << 20,
    midtransStatusCallsSincePrevious: 0,
    secondsSincePrevious: 1,
    probeStartedAfterSeconds: 5,
    probeCpuMsPerPayment: { worker: 30, temporal: 50, temporalPostgres: null },
    probeWorkerThreads: { userMs: 25, systemMs: 5, minorFaults: 10, majorFaults: 0, byThreadMs: { MainThread: 12, 'workflow-proces': walkMs }, endedThreadsMs: 1 },
    probe: { count: 384, concurrency: 32, completed: 384, failed: 0, paymentsPerSecond, createMs: null, paySuccessMs: null, createDownstreamMs: null },
  };
}

const minimal: MinimalScaleResult = {
  label: 'scale-minimal',
  workerCachedWorkflows: 3000,
  warmup: { count: 384, concurrency: 32 },
  create: { concurrency: 32, count: 10_000, created: 10_000, seconds: 500, perSecond: 20, createMs: null, errors: {} },
  growth: [point(0, 20, 1.5), point(0, 24, 1.6), point(10_000, 16.5, 14.2)],
};

describe('bench --only scale-minimal', () => {
  it('is measured only when named, and alone', () => {
    expect(PHASES).not.toContain('scale-minimal');
    expect(parseOptions([]).phases).not.toContain('scale-minimal');
    expect(parseOptions(['--only', 'scale-minimal', '--levels', '0,10000']).phases).toEqual(['scale-minimal']);
    expect(() => parseOptions(['--only', 'scale,scale-minimal'])).toThrow('--only scale-minimal runs alone');
    expect(() => parseOptions(['--only', 'scale-minimal', '--tune', 'WORKER_MAX_CACHED_WORKFLOWS=1000'])).toThrow('--tune compares the e2e and scale phases only');
  });

  it('compares each probe with the mean of the probes at the lowest level', () => {
    expect(probeRatios(minimal.growth)).toEqual([20 / 22, 24 / 22, 16.5 / 22]);
    expect(probeRatios([point(500, 0, 0)])).toEqual([null]);
  });

  it('reports the held workflows, each probe against those at the lowest level and the worker by thread', () => {
    const markdown = renderMarkdown({ meta: benchMeta(), scaleMinimal: minimal });
    const section = markdown.slice(markdown.indexOf('## 5. The minimal shape held open (`--only scale-minimal`)'));
    expect(section).toContain('a cache of 3000');
    const rows = section.split('\n').filter((line) => /^\| 10000 \|/.test(line));
    expect(rows[0]).toContain('| **16.5** | 0.75× |');
    expect(rows[0]).toContain('| 30 / 50 / – |');
    expect(section).toContain('| held open | user ms | system ms | workflow-proces ms | MainThread ms |');
    expect(rows[1]).toContain('| 14.2 |');
    expect(markdown).not.toContain('## 4. Scale');
  });

  it('puts the production topology\'s run under its own heading', () => {
    const markdown = renderMarkdown({ meta: benchMeta(), stack: { meta: benchMeta(), scaleMinimal: minimal } });
    expect(markdown).toContain('The minimal shape held open on the production topology');
  });
});
