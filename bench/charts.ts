import type { GrowthPoint, RunResult } from './phases';
import { lineChart, PALETTE, type Series } from './plot';
import type { BenchResults, PhaseResults } from './report';

/** The report's plots, each from the JSON alone: a chart without any measured series is left out. */
export interface Chart {
  /** File name stem: `<report base name>-<name>.svg`. */
  name: string;
  title: string;
  svg: string;
}

const TOPOLOGIES: Array<{ short: string; pick: (r: BenchResults) => PhaseResults | undefined; dashed: boolean }> = [
  { short: 'dev server', pick: (r) => r, dashed: false },
  { short: 'production', pick: (r) => r.stack, dashed: true },
];

const byConcurrency = (runs: RunResult[] | undefined, y: (run: RunResult) => number | null | undefined): Array<[number, number]> =>
  (runs ?? []).flatMap((run) => {
    const value = y(run);
    return value == null ? [] : [[run.concurrency, value] as [number, number]];
  });

export function benchmarkCharts(results: BenchResults): Chart[] {
  const charts: Chart[] = [];
  const add = (name: string, title: string, series: Series[], axes: { xLabel: string; yLabel: string; logX?: boolean }) => {
    if (series.some((s) => s.points.length > 0)) charts.push({ name, title, svg: lineChart({ title, series, ...axes }) });
  };
  const topologies = TOPOLOGIES.map((t) => ({ ...t, phases: t.pick(results) })).filter((t) => t.phases);

  const baselineCommit = results.e2e?.baselineCode?.commit ?? results.stack?.e2e?.baselineCode?.commit;
  const kinds = [
    ['service', 'service'],
    ['bare', 'same-shape bare'],
    ['minimal', 'minimal shape'],
    ['baseline', `service at ${baselineCommit ?? 'the baseline'}`],
  ] as const;
  add(
    'throughput',
    'End-to-end throughput against concurrency',
    topologies.flatMap((t) =>
      kinds.map(([kind, label], i) => ({
        name: `${label} (${t.short})`,
        color: PALETTE[i]!,
        dashed: t.dashed,
        points: byConcurrency(t.phases!.e2e?.[kind], (run) => run.paymentsPerSecond),
      })),
    ),
    { xLabel: 'concurrent clients (C, log scale)', yLabel: 'payments / s', logX: true },
  );

  const percentiles = ['p50', 'p95', 'p99'] as const;
  add(
    'create-latency',
    'POST /payments latency against concurrency',
    topologies.flatMap((t) =>
      percentiles.map((p, i) => ({
        name: `create ${p} (${t.short})`,
        color: PALETTE[i + 3]!,
        dashed: t.dashed,
        points: byConcurrency(t.phases!.e2e?.service, (run) => run.createMs?.[p]),
      })),
    ),
    { xLabel: 'concurrent clients (C, log scale)', yLabel: 'ms', logX: true },
  );

  // The service's scale phase and, where it ran (`--only scale-minimal`), the minimal shape's, in the throughput chart's colours.
  const shapes = [
    { label: 'service', color: PALETTE[0]!, points: (phases: PhaseResults) => phases.scale?.growth },
    { label: 'minimal shape', color: PALETTE[2]!, points: (phases: PhaseResults) => phases.scaleMinimal?.growth },
  ];
  const growth = (pick: (g: GrowthPoint) => number | null) =>
    topologies.flatMap((t) =>
      shapes.map((shape) => ({
        name: `${shape.label} (${t.short})`,
        color: shape.color,
        dashed: t.dashed,
        points: (shape.points(t.phases!) ?? []).flatMap((g) => {
          const value = pick(g);
          return value == null ? [] : [[g.openPending, value] as [number, number]];
        }),
      })),
    );
  const openAxis = 'open pending payments (the minimal shape: its workflows held open)';
  add('growth-memory', 'Worker memory against open payments', growth((g) => g.workerRssMiB), { xLabel: openAxis, yLabel: 'worker RSS (MiB)' });
  add('growth-probe', 'Probe throughput against open payments', growth((g) => g.probe.paymentsPerSecond), {
    xLabel: openAxis,
    yLabel: 'probe payments / s',
  });
  return charts;
}
