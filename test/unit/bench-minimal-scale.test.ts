import { describe, expect, it } from 'vitest';
import type { MinimalScaleResult } from '../../bench/minimal-scale';
import { parseOptions, PHASES } from '../../bench/options';
import type { PaymentDriver } from '../../bench/load';
import { holdAndProbe, type GrowthPoint, type HoldAndProbeSide } from '../../bench/phases';
import { CpuMeter } from '../../bench/procs';
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
  workerMemoryMB: 2000,
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
    expect(() => parseOptions(['--only', 'scale-minimal', '--settle', '500'])).toThrow('settles none of its held workflows');
    expect(() => parseOptions(['--only', 'scale-minimal', '--probe-after-first-hour'])).toThrow('no reconciliation look-ups');
    expect(parseOptions(['--only', 'scale-minimal']).scale.workerMemoryMB).toBe(2000);
  });

  it('compares each probe with the mean of the probes at the lowest level', () => {
    expect(probeRatios(minimal.growth)).toEqual([20 / 22, 24 / 22, 16.5 / 22]);
    expect(probeRatios([point(500, 0, 0)])).toEqual([null]);
  });

  it('reports the held workflows, each probe against those at the lowest level and the worker by thread', () => {
    const markdown = renderMarkdown({ meta: benchMeta(), scaleMinimal: minimal });
    const section = markdown.slice(markdown.indexOf('## 5. The minimal shape held open (`--only scale-minimal`)'));
    expect(section).toContain('a cache of 3000, which it sized as the service\'s worker sizes its own, under the same 2000 MB memory limit');
    const rows = section.split('\n').filter((line) => /^\| 10000 \|/.test(line));
    expect(rows[0]).toContain('| **16.5** | 0.75× |');
    expect(rows[0]).toContain('| 30 / 50 / – |');
    expect(section).toContain('| held open | user ms | system ms | workflow-proces ms | MainThread ms |');
    expect(rows[1]).toContain('| 14.2 |');
  });

  it('puts the production topology\'s run under its own heading', () => {
    const markdown = renderMarkdown({ meta: benchMeta(), stack: { meta: benchMeta(), scaleMinimal: minimal } });
    expect(markdown).toContain('The minimal shape held open on the production topology');
  });
});

describe('holdAndProbe, the scale phase\'s levels for any shape', () => {
  function fakeSide(probesStayOpen: boolean) {
    let made = 0;
    let statusCalls = 0;
    const probed: string[] = [];
    const waits: number[] = [];
    const driver: PaymentDriver = {
      async create() {
        const id = `probe-${probed.length}`;
        probed.push(id);
        statusCalls += 1;
        return { id, status: 'ok' };
      },
      async pay() {},
      async isSuccess() {
        return true;
      },
      async downstreamDone() {
        return Date.now();
      },
    };
    const side: HoldAndProbeSide = {
      label: 'fake',
      settings: { levels: [5, 0, 3], createConcurrency: 2, probeCount: 2, probeConcurrency: 1, settleConcurrency: 1, pollMs: 1, timeoutMs: 1_000, warmup: 0 },
      held: [],
      async open() {
        made += 1;
        // The fourth create fails: it is counted as attempted and as an error, and not held.
        if (made === 4) throw new Error('charge refused');
        return { id: `held-${made}`, status: 201 };
      },
      driver,
      pids: () => ({}),
      cpuMeter: () => new CpuMeter(() => ({})),
      midtransStatusCalls: () => statusCalls,
      temporalDbBytes: async () => 1024,
      stillRuns: () => {},
      openBeforeFirstLevel: 4,
      probesStayOpen,
      beforeProbe: async () => {
        waits.push(side.held.length);
      },
    };
    return { side, waits };
  }

  it('creates up to each level in increasing order, counts what stays open, and waits before a probe only after creates', async () => {
    const { side, waits } = fakeSide(true);
    const result = await holdAndProbe(side);
    expect(result.growth.map((g) => g.openPending)).toEqual([0, 3, 4]);
    // Held + the warm-up's 4 + every earlier probe's 2, since the service's probes stay open.
    expect(result.growth.map((g) => g.openWorkflows)).toEqual([4, 9, 12]);
    expect(result.attempted).toBe(5);
    expect(result.errors).toEqual({ 'charge refused': 1 });
    expect(result.statuses).toEqual({ '201': 4 });
    expect(side.held).toEqual(['held-1', 'held-2', 'held-3', 'held-5']);
    expect(waits).toEqual([3, 4]);
    expect(result.growth.map((g) => g.midtransStatusCallsDuringProbe)).toEqual([2, 2, 2]);
    expect(result.growth.map((g) => g.probe.completed)).toEqual([2, 2, 2]);
  });

  it('does not count probes as open when they complete (the minimal shape)', async () => {
    const { side } = fakeSide(false);
    const result = await holdAndProbe(side);
    expect(result.growth.map((g) => g.openWorkflows)).toEqual([4, 7, 8]);
  });
});
