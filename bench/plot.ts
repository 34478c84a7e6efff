/**
 * Line charts as SVG text, drawn from the benchmark's JSON. Hand-written because a chart is a few dozen elements and a
 * plotting library would bring a browser or a canvas binding into the bench for it.
 */

export interface Series {
  name: string;
  points: Array<[x: number, y: number]>;
  color: string;
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** A log scale for x (concurrency 1 … 128); ticks at the x values measured. */
  logX?: boolean;
  width?: number;
  height?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'] as const;

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
const num = (v: number) => Number(v.toFixed(1)).toString();
const label = (v: number) => (Math.abs(v) >= 10_000 ? `${num(v / 1000)}k` : Number(v.toPrecision(6)).toString());

/** About five round steps from 0 to at least `max`. */
export function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step - 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Tick marks (or grid lines) with their labels, one per value. */
function ticks(
  cls: string,
  values: number[],
  line: (v: number) => [number, number, number, number, string],
  text: (v: number) => [number, number, string],
): string[] {
  return [
    `<g class="${cls}" fill="#333333">`,
    ...values.map((v) => {
      const [x1, y1, x2, y2, stroke] = line(v);
      const [x, y, anchor] = text(v);
      return `<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}" stroke="${stroke}"/><text x="${num(x)}" y="${num(y)}" text-anchor="${anchor}">${label(v)}</text>`;
    }),
    `</g>`,
  ];
}

/** A chart with one polyline (and a dot per point) per series that has points; series without points are left out. */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 720;
  const height = spec.height ?? 400;
  const series = spec.series.filter((s) => s.points.length > 0);
  const margin = { left: 70, right: 20, top: 40, bottom: 60 + 18 * Math.ceil(series.length / 2) };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const ys = series.flatMap((s) => s.points.map(([, y]) => y));
  const yTicks = niceTicks(Math.max(0, ...ys));
  const yMax = yTicks.at(-1)!;
  const logX = spec.logX === true && xs.every((x) => x > 0);
  const tx = (x: number) => (logX ? Math.log(x) : x);
  const xTicks = logX ? [...new Set(xs)].sort((a, b) => a - b) : niceTicks(Math.max(0, ...xs));
  const [xMin, xMax] = logX ? [tx(xTicks[0] ?? 1), tx(xTicks.at(-1) ?? 1)] : [0, xTicks.at(-1)!];
  const px = (x: number) => margin.left + (xMax === xMin ? plotW / 2 : ((tx(x) - xMin) / (xMax - xMin)) * plotW);
  const py = (y: number) => margin.top + plotH - (y / yMax) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="title" x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
    `<g class="axes" stroke="#333333">`,
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}"/>`,
    `</g>`,
    ...ticks('y-ticks', yTicks, (v) => [margin.left, py(v), margin.left + plotW, py(v), '#e5e5e5'], (v) => [margin.left - 6, py(v) + 4, 'end']),
    ...ticks('x-ticks', xTicks, (v) => [px(v), margin.top + plotH, px(v), margin.top + plotH + 5, '#333333'], (v) => [px(v), margin.top + plotH + 18, 'middle']),
    `<text class="x-label" x="${margin.left + plotW / 2}" y="${margin.top + plotH + 38}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text class="y-label" x="16" y="${margin.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${margin.top + plotH / 2})">${escapeXml(spec.yLabel)}</text>`,
  ];
  for (const s of series) {
    const points = [...s.points].sort((a, b) => a[0] - b[0]);
    out.push(
      `<g class="series" data-name="${escapeXml(s.name)}" stroke="${s.color}" fill="${s.color}">`,
      `<polyline fill="none" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${points.map(([x, y]) => `${num(px(x))},${num(py(y))}`).join(' ')}"/>`,
      ...points.map(([x, y]) => `<circle cx="${num(px(x))}" cy="${num(py(y))}" r="3.5"><title>${escapeXml(`${s.name}: ${label(x)} → ${label(y)}`)}</title></circle>`),
      `</g>`,
    );
  }
  out.push(`<g class="legend">`);
  series.forEach((s, i) => {
    const x = margin.left + (i % 2) * (plotW / 2);
    const y = margin.top + plotH + 58 + 18 * Math.floor(i / 2);
    out.push(
      `<line x1="${num(x)}" y1="${y - 4}" x2="${num(x + 28)}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>` +
        `<text x="${num(x + 34)}" y="${y}">${escapeXml(s.name)}</text>`,
    );
  });
  out.push(`</g>`, `</svg>`, '');
  return out.join('\n');
}
