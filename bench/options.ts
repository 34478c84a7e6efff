import type { BurstSize } from './burst';
import type { ScaleSettings } from './phases';

/**
 * Command line and sizes. Three modes:
 *   default  sized to finish in about 15 minutes on the 2-core machine
 *   --quick  a smoke run in about 2 minutes (writes to bench/results/, not docs/)
 *   --full   the sizes: 2,000 payments per concurrency, 10,000 open payments
 * Other flags: --only e2e,api,scale,burst,scale-minimal   --tune KEY=VALUE[,KEY=VALUE] (a value may be a list: KEY=15,60)   --sweep 1,8,32   --count N   --levels 0,1000
 *              --set KEY=VALUE[,KEY=VALUE]   (service settings for the whole run, on any topology; --tune compares, --set does not)
 *              --probe N   (payments in each scale level's probe)   --settle N   (settle only N of the scale phase's held payments)
 *              --worker-memory MB   (the scale phase's worker, and scale-minimal's, runs under a container-style memory limit; 0: none)
 *              --cpu-weights compose|equal   (the background tier at docker-compose.yml's cpu weight, the default; or all equal)
 *              --compare-cpu-weights   (end-to-end runs at C=32 under both weights, equal, compose, compose, equal)
 *              --burst N   --poll-ms N   --out DIR   --keep-tmp   --max-minutes N
 *              --temporal dev|stack|both   (the dev server, the production topology, or one then the other)
 *              --baseline [REF]   (the end-to-end phase also runs a checkout of REF, 132dc95 unless given, side by side)
 *              --probe-after-first-hour   (the scale phase probes each level once its payments are past their first hour)
 *              --probe-when-quiet   (the scale phase probes each level once the service's processes are quiet)
 *              --host-yardstick   (the scale phase times a fixed piece of work before and during each probe: the host's speed)
 *              --render   (only re-render benchmarks.md from benchmarks.json)
 *              --merge    (re-measure the --only phases and replace just them in the existing report)
 */

export type Mode = 'quick' | 'default' | 'full';
export type Phase = 'e2e' | 'api' | 'scale' | 'burst' | 'scale-minimal';
/** What a run measures unless `--only` says otherwise. */
export const PHASES: Phase[] = ['e2e', 'api', 'scale', 'burst'];
/**
 * Run only when named: the scale phase's levels and probes for the minimal shape (bench/minimal-scale.ts), what holding
 * workflows open costs the least a payment-per-workflow design can do.
 */
export const OPT_IN_PHASES: Phase[] = ['scale-minimal'];
/** The commit before issue 16's work: what `--baseline` without a value measures the service against. */
export const DEFAULT_BASELINE_REF = '132dc95';
/** The worker's memory budget in MB: docker-compose.yml's `mem_limit` for it. The scale phase's worker runs under it. */
export const WORKER_MEMORY_BUDGET_MB = 2000;
/**
 * The background tier's CPU weight: docker-compose.yml's `cpu_shares` for the worker, Temporal and Temporal's
 * PostgreSQL, against the default 1024 of the API and our PostgreSQL. The webhook must answer Midtrans within seconds;
 * the background's work is durable and can wait (docs/operations.md, "CPU weights").
 */
export const BACKGROUND_CPU_SHARES = 64;
/** dev: `temporal server start-dev` (SQLite). stack: temporal-server on PostgreSQL, as `npm run stack` runs it. */
export type Topology = 'dev' | 'stack';

export interface Options {
  mode: Mode;
  phases: Phase[];
  /** The Temporal topologies measured, in order. */
  topologies: Topology[];
  sweep: number[];
  count: number;
  /** Payments per side at C = 1 (a latency measurement: fewer suffice, and each takes a round trip's time). */
  countAtOne: number;
  warmup: number;
  pollMs: number;
  timeoutMs: number;
  api: { connections: number; durationSeconds: number; rounds: number };
  scale: Omit<ScaleSettings, 'pollMs' | 'timeoutMs'>;
  burst: BurstSize;
  /** A git ref whose worker and API run beside the service in the end-to-end phase; undefined = no such comparison. */
  baseline?: string;
  /** Environment of the tuned side's worker and API for the before/after comparison (--tune); empty = no comparison. */
  tune: Record<string, string>;
  /** Settings of every worker and API the run starts, on any topology (--set); the report's command line names them. */
  serviceSettings: Record<string, string>;
  /** Concurrency of the tuning comparison's end-to-end runs. */
  tuneConcurrency: number;
  /** The background tier's cpu weight (BACKGROUND_CPU_SHARES); undefined with `--cpu-weights equal`. */
  backgroundCpuShares: number | undefined;
  /** A tuning comparison whose two sides differ only in the background tier's cpu weight. */
  compareCpuWeights: boolean;
  outDir: string;
  keepTmp: boolean;
  /** Only re-render benchmarks.md from the existing benchmarks.json. */
  renderOnly: boolean;
  /** Replace only the phases run in the existing report. */
  merge: boolean;
  maxMinutes: number;
  argv: string[];
}

const SIZES: Record<Mode, Omit<Options, 'mode' | 'phases' | 'topologies' | 'tune' | 'serviceSettings' | 'outDir' | 'keepTmp' | 'renderOnly' | 'merge' | 'argv' | 'tuneConcurrency' | 'baseline' | 'backgroundCpuShares' | 'compareCpuWeights'>> = {
  quick: {
    sweep: [1, 16],
    count: 60,
    countAtOne: 8,
    warmup: 10,
    pollMs: 100,
    timeoutMs: 120_000,
    api: { connections: 16, durationSeconds: 3, rounds: 1 },
    scale: { levels: [0, 100, 200], createConcurrency: 16, probeCount: 32, probeConcurrency: 16, settleConcurrency: 16, warmup: 10 },
    burst: { payments: 500, createConcurrency: 16 },
    maxMinutes: 6,
  },
  default: {
    sweep: [1, 8, 32, 128],
    count: 200,
    countAtOne: 40,
    warmup: 16,
    pollMs: 100,
    timeoutMs: 180_000,
    api: { connections: 32, durationSeconds: 8, rounds: 2 },
    scale: { levels: [0, 750, 1500], createConcurrency: 32, probeCount: 64, probeConcurrency: 32, settleConcurrency: 32, warmup: 16 },
    burst: { payments: 2000, createConcurrency: 32 },
    maxMinutes: 30,
  },
  full: {
    sweep: [1, 8, 32, 128],
    count: 2000,
    countAtOne: 200,
    warmup: 50,
    pollMs: 100,
    timeoutMs: 300_000,
    api: { connections: 32, durationSeconds: 20, rounds: 3 },
    scale: { levels: [0, 1000, 5000, 10000], createConcurrency: 32, probeCount: 400, probeConcurrency: 32, settleConcurrency: 32, warmup: 50 },
    burst: { payments: 10_000, createConcurrency: 32 },
    maxMinutes: 240,
  },
};

function numbers(value: string, flag: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${flag} wants a comma-separated list of integers`);
  return list;
}

/** One whole number of MB; 0 means none. */
function megabytes(value: string, flag: string): number {
  if (!/^\d+$/.test(value.trim())) throw new Error(`${flag} wants a number of MB (0: no limit), not ${value}`);
  return Number(value);
}

function positive(value: string, flag: string): number {
  const n = numbers(value, flag)[0]!;
  if (n < 1) throw new Error(`${flag} wants a number above 0`);
  return n;
}

/**
 * KEY=VALUE pairs, comma-separated; a value may be a list itself (RECONCILE_EARLY_LOOKS_MINUTES=15,60): an item without
 * "=" continues the value before. A value may hold "=" itself (NODE_OPTIONS=--max-semi-space-size=32).
 */
function settingsList(value: string | undefined, flag: string): Record<string, string> {
  const settings: Record<string, string> = {};
  let lastKey: string | undefined;
  for (const pair of value?.split(',') ?? []) {
    const split = pair.indexOf('=');
    const [key, item] = split < 0 ? [pair, undefined] : [pair.slice(0, split), pair.slice(split + 1)];
    if (item === undefined && lastKey && key?.trim()) {
      settings[lastKey] += `,${key.trim()}`;
      continue;
    }
    if (!key || item === undefined || !/^[A-Z_]+$/.test(key.trim())) throw new Error(`${flag} wants KEY=VALUE pairs, got ${pair}`);
    lastKey = key.trim();
    settings[lastKey] = item.trim();
  }
  return settings;
}

function parseTopologies(value: string): Topology[] {
  if (value === 'both') return ['dev', 'stack'];
  if (value === 'dev' || value === 'stack') return [value];
  throw new Error(`--temporal wants dev, stack or both, not ${value}`);
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Options {
  const args = [...argv];
  const flags = new Map<string, string | true>();
  while (args.length > 0) {
    const arg = args.shift()!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const takesValue = ['temporal', 'only', 'tune', 'set', 'probe', 'settle', 'sweep', 'count', 'levels', 'burst', 'poll-ms', 'out', 'max-minutes', 'tune-concurrency', 'worker-memory', 'cpu-weights'].includes(name);
    if (name === 'baseline') {
      // Its value is optional: the next argument is the ref unless it is the next flag.
      const value = inline ?? (args[0] !== undefined && !args[0].startsWith('--') ? args.shift()! : DEFAULT_BASELINE_REF);
      if (!/^[\w./^~-]+$/.test(value)) throw new Error(`--baseline wants a git ref (a commit, tag or branch), not ${value}`);
      flags.set(name, value);
    } else if (takesValue) {
      const value = inline ?? args.shift();
      if (value === undefined) throw new Error(`--${name} needs a value`);
      flags.set(name, value);
    } else if (['quick', 'full', 'keep-tmp', 'help', 'render', 'merge', 'probe-after-first-hour', 'probe-when-quiet', 'host-yardstick', 'compare-cpu-weights'].includes(name)) {
      flags.set(name, true);
    } else {
      throw new Error(`unknown flag --${name}`);
    }
  }
  if (flags.has('help')) {
    process.stderr.write(
      'usage: npm run bench -- [--quick|--full] [--only e2e,api,scale,burst,scale-minimal] [--tune KEY=VALUE,...] [--sweep 8,32,128] [--count N]\n' +
        '       [--set KEY=VALUE,...] [--levels 0,1000,2000] [--probe N] [--settle N] [--worker-memory MB] [--cpu-weights compose|equal] [--compare-cpu-weights] [--burst N] [--poll-ms N] [--out DIR] [--keep-tmp] [--max-minutes N] [--render] [--merge]\n' +
        `       [--temporal dev|stack|both] [--baseline [REF]]   (REF defaults to ${DEFAULT_BASELINE_REF}) [--probe-after-first-hour] [--probe-when-quiet] [--host-yardstick]\n`,
    );
    process.exit(0);
  }
  if (flags.has('quick') && flags.has('full')) throw new Error('--quick and --full exclude each other');
  const mode: Mode = flags.has('quick') ? 'quick' : flags.has('full') ? 'full' : 'default';
  const sizes = structuredClone(SIZES[mode]);
  const text = (name: string) => (typeof flags.get(name) === 'string' ? (flags.get(name) as string) : undefined);

  const tune = settingsList(text('tune'), '--tune');
  const serviceSettings = settingsList(text('set'), '--set');
  const phases = (text('only')?.split(',') ?? (Object.keys(tune).length ? ['e2e', 'scale'] : flags.has('compare-cpu-weights') ? ['e2e'] : PHASES)).map((p) => p.trim());
  for (const phase of phases) if (![...PHASES, ...OPT_IN_PHASES].includes(phase as Phase)) throw new Error(`--only: unknown phase ${phase}`);
  if (phases.includes('scale-minimal') && phases.length > 1) {
    throw new Error("--only scale-minimal runs alone: the workflows it holds open stay in the run's Temporal and would weigh on the other phases, and theirs on it");
  }
  const baseline = text('baseline');
  if (baseline && Object.keys(tune).length > 0) throw new Error('--baseline compares code, --tune compares settings: run them apart');
  if (baseline && !phases.includes('e2e')) throw new Error('--baseline runs in the end-to-end phase: add e2e to --only');
  if (Object.keys(tune).length > 0 && phases.some((phase) => phase !== 'e2e' && phase !== 'scale')) throw new Error('--tune compares the e2e and scale phases only');
  const topologies = parseTopologies(text('temporal') ?? 'dev');
  if (Object.keys(tune).length > 0 && topologies.join() !== 'dev') throw new Error('--tune compares on the dev server only: leave out --temporal');
  if (text('sweep')) sizes.sweep = numbers(text('sweep')!, '--sweep').filter((n) => n > 0);
  if (text('count')) sizes.count = numbers(text('count')!, '--count')[0]!;
  if (text('levels')) sizes.scale.levels = numbers(text('levels')!, '--levels');
  if (text('probe')) sizes.scale.probeCount = positive(text('probe')!, '--probe');
  if (text('settle')) sizes.scale.settleCount = positive(text('settle')!, '--settle');
  if (flags.has('probe-after-first-hour')) sizes.scale.probeAfterFirstHour = true;
  if (flags.has('host-yardstick')) sizes.scale.hostYardstick = true;
  if (flags.has('probe-when-quiet')) {
    if (env.BENCH_CPU_PROF_DIR) {
      throw new Error("--probe-when-quiet waits for a quiet service, and BENCH_CPU_PROF_DIR's profiler samples every thread even when idle: use one or the other");
    }
    sizes.scale.probeWhenQuiet = true;
  }
  if (phases.includes('scale-minimal') && (flags.has('probe-after-first-hour') || text('settle'))) {
    throw new Error('--only scale-minimal has no reconciliation look-ups to wait out and settles none of its held workflows: leave out --probe-after-first-hour and --settle');
  }
  const workerMemory = text('worker-memory') === undefined ? WORKER_MEMORY_BUDGET_MB : megabytes(text('worker-memory')!, '--worker-memory');
  if (workerMemory > 0) sizes.scale.workerMemoryMB = workerMemory;
  if (text('burst')) sizes.burst.payments = numbers(text('burst')!, '--burst')[0]!;
  if (text('poll-ms')) sizes.pollMs = numbers(text('poll-ms')!, '--poll-ms')[0]!;
  // The baseline is a fourth side of every end-to-end chunk set, the phase that takes most of a run.
  if (baseline) sizes.maxMinutes = Math.round(sizes.maxMinutes * 1.5);
  if (text('max-minutes')) sizes.maxMinutes = numbers(text('max-minutes')!, '--max-minutes')[0]!;
  const tuneConcurrency = text('tune-concurrency') ? numbers(text('tune-concurrency')!, '--tune-concurrency')[0]! : 32;
  const cpuWeights = text('cpu-weights') ?? 'compose';
  if (cpuWeights !== 'compose' && cpuWeights !== 'equal') throw new Error(`--cpu-weights wants compose or equal, not ${cpuWeights}`);
  const compareCpuWeights = flags.has('compare-cpu-weights');
  if (compareCpuWeights && (Object.keys(tune).length > 0 || baseline || text('cpu-weights'))) {
    throw new Error('--compare-cpu-weights compares the cpu weights alone: leave out --tune, --baseline and --cpu-weights');
  }
  if (compareCpuWeights && phases.some((phase) => phase !== 'e2e')) throw new Error('--compare-cpu-weights compares the end-to-end phase: --only e2e');
  if (compareCpuWeights && topologies.length > 1) throw new Error('--compare-cpu-weights compares on one topology: --temporal dev or stack');
  return {
    mode,
    phases: phases as Phase[],
    topologies,
    ...sizes,
    tune,
    serviceSettings,
    tuneConcurrency,
    backgroundCpuShares: cpuWeights === 'compose' || compareCpuWeights ? BACKGROUND_CPU_SHARES : undefined,
    compareCpuWeights,
    ...(baseline ? { baseline } : {}),
    outDir: text('out') ?? (mode === 'quick' ? 'bench/results' : 'docs'),
    keepTmp: flags.has('keep-tmp'),
    renderOnly: flags.has('render'),
    merge: flags.has('merge'),
    argv,
  };
}
