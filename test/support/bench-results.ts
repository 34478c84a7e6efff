import type { RunResult } from '../../bench/phases';
import type { Meta } from '../../bench/report';

/** Hand-made benchmark results for the report's tests: a run's meta, a latency summary and one measured run. */

export function benchMeta(overrides: Partial<Meta['machine']> = {}): Meta {
  return {
    mode: 'quick',
    argv: ['--quick', '--temporal', 'both'],
    startedAt: '2026-12-03T09:00:00.000Z',
    durationSeconds: 120,
    machine: {
      cores: 2,
      cpuModel: 'test cpu',
      memoryGiB: 8,
      os: 'Linux',
      node: 'v20',
      temporalCli: 'temporal 1.5',
      temporalCliPath: 'temporal',
      postgres: 'PostgreSQL 16',
      loadAverageStart: [1, 1, 1],
      loadAverageEnd: [2, 2, 2],
      ...overrides,
    },
    settings: {
      ports: { temporal: 27533, temporalPostgres: 27434 },
      pollMs: 100,
      timeoutMs: 1000,
      workerDefaults: {},
      sizes: { sweep: [8], count: 10, warmup: 1, api: { connections: 1, durationSeconds: 1, rounds: 1 }, scale: {} as never },
    },
  };
}

/** p95 and p99 as 2× and 3× the p50, so a rendered cell shows which figure it took. */
export const latencySummary = (p50: number) => ({ count: 10, mean: p50, p50, p95: p50 * 2, p99: p50 * 3, max: p50 * 4 });

/** 40 payments at C=8, every one completed: create 250, pay → success 400, create → downstream 900 ms at p50. */
export function benchRun(kind: RunResult['kind'], fields: Partial<RunResult> = {}): RunResult {
  return {
    kind,
    label: `${kind}-c${fields.concurrency ?? 8}`,
    workerEnv: {},
    count: 40,
    concurrency: 8,
    completed: 40,
    failed: 0,
    errors: {},
    createStatuses: { 201: 40 },
    wallSeconds: 10,
    paymentsPerSecond: 1,
    createMs: latencySummary(250),
    paySuccessMs: latencySummary(400),
    createDownstreamMs: latencySummary(900),
    statusPollsPerPayment: 4,
    processes: {},
    temporalDbBytesAfter: 0,
    ...fields,
  };
}
