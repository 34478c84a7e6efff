/** Small helpers shared by the benchmark modules: clock, progress lines, percentiles. */

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with Date.now() (the receiver's timestamps). */
export const now = (): number => performance.timeOrigin + performance.now();

const startedAt = now();
/** Progress goes to stderr, so stdout stays clean. */
export function say(message: string): void {
  const elapsed = ((now() - startedAt) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${elapsed}s] ${message}\n`);
}

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles (ms). Empty input gives nulls in the report, never zeros that look like data. */
export function summarize(values: number[]): Summary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    count: sorted.length,
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    p50: round(rank(50)),
    p95: round(rank(95)),
    p99: round(rank(99)),
    max: round(sorted.at(-1)!),
  };
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const round1 = (v: number) => Math.round(v * 10) / 10;
export const round2 = (v: number) => Math.round(v * 100) / 100;
export const mib = (kib: number | null | undefined) => (kib == null ? null : round1(kib / 1024));

/** Counts values into a { value: count } record (HTTP statuses, outcomes). */
export function tally(into: Record<string, number>, key: string | number): void {
  into[String(key)] = (into[String(key)] ?? 0) + 1;
}

/** Markdown report cells: a number with `digits` decimals (".0" dropped), "–" for no value. */
export const fmt = (v: number | null | undefined, digits = 1) => (v == null || Number.isNaN(v) ? '–' : v.toFixed(digits).replace(/\.0+$/, ''));
export const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
export const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);
