import { describe, expect, it } from 'vitest';
import { capacityInputs, coresNeeded, LOADS, renderCapacity } from '../../bench/capacity';
import type { GrowthPoint, RunResult } from '../../bench/phases';
import type { BenchResults } from '../../bench/report';

const load = { paymentsPerDay: 1_000_000, busiestHourShare: 0.2, targetUtilization: 0.6 };

describe('capacity model: cores', () => {
  it('1 M a day with 20 % in the busiest hour is 55.6 payments/s; 100 CPU ms each at 60 % busy needs 9.26 cores', () => {
    // 1,000,000 × 0.2 / 3,600 s = 55.56 /s; × 0.1 CPU s = 5.556 cores busy; ÷ 0.6 = 9.259 cores.
    expect(coresNeeded(100, load)).toBeCloseTo(9.259, 3);
  });

  it('scales linearly with the volume and the CPU per payment', () => {
    expect(coresNeeded(100, { ...load, paymentsPerDay: 10_000_000 })).toBeCloseTo(92.59, 2);
    expect(coresNeeded(50, load)).toBeCloseTo(4.63, 2);
    expect(coresNeeded(100, { ...load, targetUtilization: 1 })).toBeCloseTo(5.556, 3);
  });

  it('models the two volumes the issue asks about', () => {
    expect(LOADS.map((l) => l.paymentsPerDay)).toEqual([1_000_000, 10_000_000]);
  });
});

const run = (concurrency: number, cpu: Record<string, number>): RunResult =>
  ({
    kind: 'service',
    concurrency,
    processes: Object.fromEntries(Object.entries(cpu).map(([part, ms]) => [part, { cpuMsPerPayment: ms }])),
    historyShape: { TOTAL: 60, WORKFLOW_TASK_COMPLETED: 9, ACTIVITY_TASK_SCHEDULED: 8, TIMER_STARTED: 2, WORKFLOW_EXECUTION_SIGNALED: 1, WORKFLOW_EXECUTION_UPDATE_ACCEPTED: 1, WORKFLOW_EXECUTION_STARTED: 1 },
  }) as unknown as RunResult;

const point = (openPending: number, temporalDbBytes: number, calls: number, seconds: number): GrowthPoint =>
  ({ openPending, temporalDbBytes, midtransStatusCallsSincePrevious: calls, secondsSincePrevious: seconds }) as unknown as GrowthPoint;

const withStack = (): BenchResults =>
  ({
    meta: { settings: { workerDefaults: { WORKER_MAX_CACHED_WORKFLOWS: 3000 } } },
    stack: {
      meta: { startedAt: '2026-12-03T10:00:00.000Z', machine: { cores: 2, temporalServer: 'temporal version 1.32.2' } },
      e2e: {
        service: [
          run(8, { temporal: 100, temporalPostgres: 60, worker: 80, api: 30, postgres: 10, bench: 500 }),
          run(32, { temporal: 140, temporalPostgres: 80, worker: 60, api: 50, postgres: 10, bench: 700 }),
        ],
        bare: [],
        ratios: [],
      },
      scale: {
        simulator: { paymentsCreatedInPhase: 0 },
        midtransCalls: {},
        growth: [point(0, 1_000_000, 0, 0), point(1000, 11_240_000, 500, 600), point(2000, 21_480_000, 1500, 1200)],
      },
    },
  }) as unknown as BenchResults;

describe('capacity model: inputs from the production topology', () => {
  it('takes the mean CPU per payment over the runs, without the bench process', () => {
    const inputs = capacityInputs(withStack())!;
    expect(inputs.cpuMsPerPayment).toEqual({ temporal: 120, temporalPostgres: 70, worker: 70, api: 40, postgres: 10 });
    expect(inputs.concurrencies).toEqual([8, 32]);
  });

  it('leaves the latency run at C = 1 out of the CPU means when runs under load exist', () => {
    const results = withStack();
    results.stack!.e2e!.service.unshift(run(1, { temporal: 900, temporalPostgres: 900, worker: 900, api: 900, postgres: 900, bench: 900 }));
    const inputs = capacityInputs(results)!;
    expect(inputs.cpuMsPerPayment).toEqual({ temporal: 120, temporalPostgres: 70, worker: 70, api: 40, postgres: 10 });
    expect(inputs.concurrencies).toEqual([8, 32]);
  });

  it('takes storage per open payment from the growth between the first and last levels', () => {
    // (21,480,000 − 1,000,000) B / 2,000 payments = 10,240 B = 10 KiB each.
    expect(capacityInputs(withStack())!.bytesPerOpenPendingPayment).toBe(10_240);
  });

  it('counts the status calls per payment of the scale phase', () => {
    const results = withStack();
    (results.stack!.scale as unknown as Record<string, unknown>).simulator = { paymentsCreatedInPhase: 2500 };
    (results.stack!.scale as unknown as Record<string, unknown>).midtransCalls = { status: 6000, charge: 2500 };
    expect(capacityInputs(results)!.statusCallsPerPaymentInScalePhase).toBe(2.4);
  });

  it('has no model without the production topology', () => {
    expect(capacityInputs({ meta: {} } as unknown as BenchResults)).toBeUndefined();
    expect(renderCapacity({ meta: {} } as unknown as BenchResults)).toBeUndefined();
  });

  it('renders the cores per part for both volumes, and the shard and Cloud guidance', () => {
    const markdown = renderCapacity(withStack())!;
    // Temporal services: 120 ms → 55.56/s × 0.12 s ÷ 0.6 = 11.1 cores; at 10 M/day 111.1.
    expect(markdown).toContain('| Temporal services (frontend, history, matching, worker) | 11.1 cores | 111.1 cores |');
    // All parts: 310 ms → 28.7 and 287 cores.
    expect(markdown).toContain('| **all parts** | **28.7 cores** | **287 cores** |');
    expect(markdown).toContain('## numHistoryShards');
    expect(markdown).toContain('## When to move to Temporal Cloud');
    expect(markdown).toContain('10 KiB per pending payment held open');
  });

  it("gives a worker replica's memory from the scale phase, under the limit it ran with", () => {
    const results = withStack();
    const scale = results.stack!.scale!;
    Object.assign(scale, {
      counts: { open: 6_000 },
      processes: { worker: { hwmMiB: 1180.4 } },
      workerMemory: { limit: { bytes: 2e9, cgroupPeakMiB: 1156, oomKills: 0 }, limitUnavailable: null, workerSurvived: true },
    });
    expect(renderCapacity(results)).toContain('with 6,000 payments open its peak was 1,180 MiB under a\n  2,000 MB limit, and ran to the end.');
    Object.assign(scale, { workerCachedWorkflows: 3_000 });
    expect(renderCapacity(results)).toContain('with 6,000 payments open its peak was');
    Object.assign(scale, { counts: { open: 1_500 } });
    expect(renderCapacity(results)).toContain('with 1,500 payments open (its cache of 3,000 not yet full) its peak was');
    scale.workerMemory!.workerSurvived = false;
    expect(renderCapacity(results)).toContain('**and did not run to the end**');
    delete scale.workerMemory;
    expect(renderCapacity(results)).not.toContain('its peak was');
  });

  it("names the run's workflow cache size, not a fixed default", () => {
    expect(renderCapacity(withStack())).toContain('`WORKER_MAX_CACHED_WORKFLOWS`, 3,000 per worker in this run');
  });
});
