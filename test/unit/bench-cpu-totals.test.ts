import { describe, expect, it } from 'vitest';
import type { ProcessStats } from '../../bench/phases';
import { cpuMsPerPayment } from '../../bench/report';
import { benchRun } from '../support/bench-results';

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
