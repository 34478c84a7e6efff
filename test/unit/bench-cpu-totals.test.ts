import { describe, expect, it } from 'vitest';
import type { ProcessStats } from '../../bench/phases';
import { cpuMsPerPayment, e2eRatio, withFreshRatios } from '../../bench/report';
import { benchMeta, benchRun } from '../support/bench-results';

/**
 * A run's CPU per payment is the sum over every process it measured. A process the bench could not read at the run's
 * start or end (in the run of 2026-12-07 11:24 the API on the production topology at C = 1 and 32) has no figure: a
 * total that left it out would look cheaper than the service is, and every ratio by CPU made from it with it.
 */
const reading = (cpuMsPerPayment: number | null): ProcessStats => ({ peakRssMiB: null, hwmMiB: null, cpuSeconds: null, cpuMsPerPayment });

describe('CPU per payment of a run', () => {
  it('is the sum of its processes', () => {
    expect(cpuMsPerPayment(benchRun('service', { processes: { worker: reading(60), api: reading(35), temporal: reading(50) } }))).toBe(145);
  });

  it('is no figure when a process has no reading', () => {
    expect(cpuMsPerPayment(benchRun('service', { processes: { worker: reading(60), api: reading(null), temporal: reading(50) } }))).toBeNaN();
  });
});

describe('the comparisons of one concurrency', () => {
  const service = benchRun('service', { paymentsPerSecond: 8, processes: { worker: reading(60), api: reading(null), temporal: reading(50) } });
  const bare = benchRun('bare', { paymentsPerSecond: 16, processes: { worker: reading(30), temporal: reading(50) } });
  const minimal = benchRun('minimal', { paymentsPerSecond: 10, processes: { worker: reading(30), temporal: reading(60) } });
  const baseline = benchRun('baseline', { paymentsPerSecond: 4, processes: { worker: reading(100), api: reading(40), temporal: reading(150) } });

  it('keep the ratios by throughput and have none by CPU where the service has no CPU figure', () => {
    expect(e2eRatio(32, { service, bare, minimal, baseline })).toEqual({
      concurrency: 32,
      service: 8,
      bare: 16,
      ratio: 0.5,
      serviceCpuMs: undefined,
      bareCpuMs: 80,
      cpuRatio: null,
      minimal: 10,
      minimalRatio: 0.8,
      minimalCpuMs: 90,
      minimalCpuRatio: null,
      baseline: 4,
      baselineRatio: 2,
      baselineCpuMs: 290,
      baselineCpuRatio: null,
    });
  });

  it('are computed again when a report is re-rendered, for both topologies', () => {
    const stale = { concurrency: 32, service: 8, bare: 16, ratio: 0.5, serviceCpuMs: 110, cpuRatio: 0.73, baselineCpuRatio: 2.64 };
    const e2e = { service: [service], bare: [bare], minimal: [minimal], baseline: [baseline], ratios: [stale] };
    const fresh = withFreshRatios({ meta: benchMeta(), e2e, stack: { meta: benchMeta(), e2e } });
    for (const phase of [fresh, fresh.stack!]) {
      expect(phase.e2e!.ratios).toEqual([e2eRatio(32, { service, bare, minimal, baseline })]);
      expect(phase.e2e!.ratios[0]!.baselineCpuRatio).toBeNull();
    }
  });
});
