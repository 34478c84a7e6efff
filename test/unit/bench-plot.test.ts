import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchmarkCharts } from '../../bench/charts';
import type { MinimalScaleResult } from '../../bench/minimal-scale';
import type { GrowthPoint, RunResult, ScaleResult } from '../../bench/phases';
import { lineChart, niceTicks } from '../../bench/plot';
import { writeReports, type BenchResults } from '../../bench/report';

interface Element {
  name: string;
  attributes: Record<string, string>;
  children: Element[];
  text: string;
}

/** A strict little XML reader: balanced tags, quoted attributes, no stray `<` or `&` in text. Throws otherwise. */
function parseXml(xml: string): Element {
  const root: Element = { name: '#document', attributes: {}, children: [], text: '' };
  const stack = [root];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let at = 0;
  while (at < xml.length) {
    const next = xml.indexOf('<', at);
    const text = xml.slice(at, next < 0 ? xml.length : next);
    if (/&(?!(?:lt|gt|amp|quot|apos);)/.test(text)) throw new Error(`bare & in text at ${at}`);
    stack.at(-1)!.text += text;
    if (next < 0) break;
    token.lastIndex = next;
    const match = token.exec(xml);
    if (!match) throw new Error(`malformed tag at ${next}: ${xml.slice(next, next + 40)}`);
    const [whole, closing, name, rawAttributes, selfClosing] = match;
    if (closing) {
      const open = stack.pop()!;
      if (open.name !== name) throw new Error(`</${name}> closes <${open.name}>`);
    } else {
      const attributes = Object.fromEntries([...rawAttributes!.matchAll(/([\w:-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
      const element: Element = { name: name!, attributes, children: [], text: '' };
      stack.at(-1)!.children.push(element);
      if (!selfClosing) stack.push(element);
    }
    at = next + whole!.length;
  }
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (root.children.length !== 1) throw new Error('not exactly one root element');
  return root.children[0]!;
}

const all = (element: Element, name: string): Element[] => [
  ...element.children.filter((c) => c.name === name),
  ...element.children.flatMap((c) => all(c, name)),
];
const byClass = (element: Element, cls: string) => [element, ...all(element, 'g'), ...all(element, 'text')].filter((e) => e.attributes.class === cls);
const textOf = (element: Element): string => element.text + element.children.map(textOf).join('');

describe('bench SVG line charts', () => {
  const svg = lineChart({
    title: 'Throughput <&> concurrency',
    xLabel: 'concurrent clients',
    yLabel: 'payments / s',
    logX: true,
    series: [
      { name: 'service (dev server)', color: '#111111', points: [[1, 1.2], [8, 3.4], [32, 2.9]] },
      { name: 'minimal & co', color: '#222222', dashed: true, points: [[32, 6.1], [8, 5.5]] },
      { name: 'not measured', color: '#333333', points: [] },
    ],
  });
  const doc = parseXml(svg);

  it('is one well-formed svg element', () => {
    expect(doc.name).toBe('svg');
    expect(doc.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
  });

  it('draws one polyline per series with points, one dot per point, and leaves out the empty series', () => {
    const series = byClass(doc, 'series');
    expect(series.map((s) => s.attributes['data-name'])).toEqual(['service (dev server)', 'minimal &amp; co']);
    expect(series.map((s) => all(s, 'polyline')[0]!.attributes.points!.split(' ').length)).toEqual([3, 2]);
    expect(series.map((s) => all(s, 'circle').length)).toEqual([3, 2]);
    expect(all(series[1]!, 'polyline')[0]!.attributes['stroke-dasharray']).toBeDefined();
  });

  it('draws its points left to right, higher values higher up', () => {
    const points = all(byClass(doc, 'series')[0]!, 'polyline')[0]!.attributes.points!.split(' ').map((p) => p.split(',').map(Number));
    expect(points.map(([x]) => x)).toEqual([...points.map(([x]) => x!)].sort((a, b) => a - b));
    // 3.4 at C=8 is above 1.2 at C=1 (SVG's y grows downwards).
    expect(points[1]![1]).toBeLessThan(points[0]![1]!);
  });

  it('labels the axes and the title, and ticks x at the concurrencies measured on a log scale', () => {
    expect(textOf(byClass(doc, 'title')[0]!)).toBe('Throughput &lt;&amp;&gt; concurrency');
    expect(textOf(byClass(doc, 'x-label')[0]!)).toBe('concurrent clients');
    expect(textOf(byClass(doc, 'y-label')[0]!)).toBe('payments / s');
    expect(all(byClass(doc, 'x-ticks')[0]!, 'text').map(textOf)).toEqual(['1', '8', '32']);
    expect(all(byClass(doc, 'legend')[0]!, 'text').map(textOf)).toEqual(['service (dev server)', 'minimal &amp; co']);
  });

  it('picks round y ticks from zero past the largest value', () => {
    expect(niceTicks(6.1)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(1450)).toEqual([0, 500, 1000, 1500]);
    expect(niceTicks(1100)).toEqual([0, 250, 500, 750, 1000, 1250]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });
});

function e2eRun(kind: RunResult['kind'], concurrency: number, paymentsPerSecond: number): RunResult {
  const summary = { count: 4, mean: 100, p50: 100, p95: 200, p99: 300, max: 400 };
  return {
    kind, label: `${kind}-c${concurrency}`, workerEnv: {}, count: 4, concurrency, completed: 4, failed: 0, errors: {}, createStatuses: {},
    wallSeconds: 1, paymentsPerSecond, createMs: summary, paySuccessMs: summary, createDownstreamMs: summary, statusPollsPerPayment: 1,
    processes: {}, temporalDbBytesAfter: 0,
  };
}

const sweep = (kind: RunResult['kind'], rates: number[]) => rates.map((rate, i) => e2eRun(kind, [1, 8, 32][i]!, rate));
const meta = { mode: 'quick', argv: [], startedAt: '2026-12-03T09:00:00.000Z', machine: { cores: 2, cpuModel: 'cpu', memoryGiB: 8, os: 'Linux', node: 'v20', temporalCli: 't', temporalCliPath: 't', postgres: 'pg', loadAverageStart: [1, 1, 1] }, settings: { ports: { temporal: 1, api: 2, simulator: 3 }, pollMs: 100, timeoutMs: 1000, workerDefaults: {}, sizes: { sweep: [1, 8, 32], count: 4, warmup: 1, api: { connections: 1, durationSeconds: 1, rounds: 1 }, scale: {} as never } } } satisfies BenchResults['meta'];

describe('bench charts from the JSON', () => {
  it('skips the minimal shape where an older report has none, and draws it for each topology that has it', () => {
    const old: BenchResults = { meta, e2e: { service: sweep('service', [1, 2, 3]), bare: sweep('bare', [2, 4, 5]), ratios: [] } };
    const throughput = (results: BenchResults) => parseXml(benchmarkCharts(results).find((c) => c.name === 'throughput')!.svg);
    expect(byClass(throughput(old), 'series').map((s) => s.attributes['data-name'])).toEqual(['service (dev server)', 'same-shape bare (dev server)']);

    const both: BenchResults = {
      ...old,
      e2e: { ...old.e2e!, minimal: sweep('minimal', [3, 5, 6]) },
      stack: { meta, e2e: { service: sweep('service', [1, 2]), bare: sweep('bare', [2, 3]), minimal: sweep('minimal', [2, 4]), ratios: [] } },
    };
    const series = byClass(throughput(both), 'series');
    expect(series).toHaveLength(6);
    expect(series.map((s) => all(s, 'circle').length)).toEqual([3, 3, 3, 2, 2, 2]);
    expect(benchmarkCharts(both).map((c) => c.name)).toEqual(['throughput', 'create-latency']);
  });

  it('draws the minimal shape held open beside the service in the growth charts, where it ran', () => {
    const growthPoint = (openPending: number, paymentsPerSecond: number) =>
      ({ openPending, workerRssMiB: 400 + openPending / 20, probe: { paymentsPerSecond } }) as unknown as GrowthPoint;
    const scale = { growth: [growthPoint(0, 10), growthPoint(10_000, 8)] } as unknown as ScaleResult;
    const scaleMinimal = { growth: [growthPoint(0, 11), growthPoint(0, 12), growthPoint(10_000, 9)] } as unknown as MinimalScaleResult;
    const probe = (results: BenchResults) => byClass(parseXml(benchmarkCharts(results).find((c) => c.name === 'growth-probe')!.svg), 'series');
    const series = probe({ meta, scale, stack: { meta, scale, scaleMinimal } });
    expect(series.map((s) => s.attributes['data-name'])).toEqual(['service (dev server)', 'service (production)', 'minimal shape (production)']);
    expect(series.map((s) => all(s, 'circle').length)).toEqual([2, 2, 3]);
    expect(probe({ meta, scale }).map((s) => s.attributes['data-name'])).toEqual(['service (dev server)']);
  });

  it('writes each chart beside the report and embeds it there', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-plot-'));
    const results: BenchResults = { meta, e2e: { service: sweep('service', [1, 2, 3]), bare: sweep('bare', [2, 4, 5]), ratios: [] } };
    const { md } = writeReports(dir, results, 'bench-test');
    const markdown = readFileSync(md, 'utf8');
    for (const name of ['throughput', 'create-latency']) {
      expect(markdown).toContain(`](images/bench-test-${name}.svg)`);
      expect(parseXml(readFileSync(path.join(dir, 'images', `bench-test-${name}.svg`), 'utf8')).name).toBe('svg');
    }
  });
});
