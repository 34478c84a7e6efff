/**
 * `npm run bench` (tsx bench/run.ts): the TiketQ Payment Service benchmark. Starts its own stack beside the dev stack
 * (see stack.ts), measures (1) end-to-end payments over HTTP at several concurrencies, (2) bare workflows of the same
 * shape as the Temporal baseline, (3) API overhead against a bare route, (4) many open payments held and settled,
 * (5) growth of throughput and memory with open payments, (6) a settlement burst through the signed webhook; with
 * `--baseline <ref>` the end-to-end phase also runs the service's code at that commit side by side (baseline.ts);
 * writes docs/benchmarks.json and docs/benchmarks.md.
 * It reports and never asserts. Everything it starts is stopped at the end, on errors and on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalCli } from '../scripts/local-stack/binaries';
import { TEMPORAL_SERVER_DIR } from '../scripts/local-stack/temporal-cluster';
import { loadConfig } from '../src/config';
import { runApiOverhead } from './api-overhead';
import { baselineCode, prepareBaselineCheckout, startBaselineInfra, type BaselineCheckout } from './baseline';
import { runBurst } from './burst';
import { DownstreamTracker, httpDriver, runLoad } from './load';
import { DEFAULT_CPU_SHARES } from './cpu-weight';
import { BACKGROUND_CPU_SHARES, parseOptions, type Options, type Phase, type Topology } from './options';
import { runMinimalScale } from './minimal-scale';
import { runPair, runScale, runServiceE2e, type Context, type LoadSettings } from './phases';
import { e2eRatio, withFreshRatios, writeReports, type BenchResults, type Machine, type Meta, type PhaseResults, type TuningResult } from './report';
import { Cleanup, PORTS, STACK_PORTS, startInfra, startPaymentServices, type PaymentServices } from './stack';
import { ioUringRefusal } from './io-uring';
import { round1, say } from './util';
import { workflowCacheSize } from '../src/temporal/workflow-cache';

const options = parseOptions(process.argv.slice(2));
/** A comparison of two settings (a --tune or the cpu weights) writes only its own section into the report. */
const comparing = Object.keys(options.tune).length > 0 || options.compareCpuWeights;
if (options.renderOnly) {
  const base = options.mode === 'quick' ? 'benchmarks-quick' : 'benchmarks';
  const existing = JSON.parse(readFileSync(path.join(options.outDir, `${base}.json`), 'utf8')) as BenchResults;
  say(`re-rendered ${writeReports(options.outDir, withFreshRatios(existing), base).md}`);
  process.exit(0);
}
/** The service's settings as this run's workers and APIs read them (defaults, then --set): a bad --set fails here, before any stack starts. */
const serviceConfig = loadConfig({ DATABASE_URL: 'postgresql://unused@127.0.0.1/unused', MIDTRANS_SERVER_KEY: 'unused', ...options.serviceSettings });
const cleanup = new Cleanup();
let results: BenchResults | undefined;
/** With --merge: this invocation's meta; the phases it re-measures replace theirs in the existing report. */
let mergeMeta: Meta | undefined;
/** The production topology's own meta while it runs (its start, load average and Temporal server version). */
let stackMeta: Meta | undefined;
let tuning: TuningResult | undefined;
let finishing = false;

function temporalCliVersion(): { version: string; path: string } {
  const cli = resolveTemporalCli();
  if (cli.kind !== 'path') return { version: 'unknown (SDK download)', path: '–' };
  try {
    return { version: execFileSync(cli.path, ['--version']).toString().trim(), path: cli.path };
  } catch (error) {
    return { version: `unknown (${String(error)})`, path: cli.path };
  }
}

function temporalServerVersion(): string {
  try {
    return execFileSync(path.join(TEMPORAL_SERVER_DIR, 'bin', 'temporal-server'), ['--version']).toString().trim();
  } catch (error) {
    return `unknown (${String(error)})`;
  }
}

function machineInfo(topology: Topology): Machine {
  const cli = temporalCliVersion();
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: round1(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    temporalCli: cli.version,
    temporalCliPath: path.relative(process.cwd(), cli.path) || cli.path,
    postgres: 'unknown',
    loadAverageStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
    ...(topology === 'stack' ? { temporalServer: temporalServerVersion() } : {}),
  };
}

/** The code measured: worker and API processes start from the working tree, so a dirty tree is flagged. */
function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'workflows', 'activities', 'bench']).toString().trim();
    return dirty ? `${commit} + uncommitted changes` : commit;
  } catch {
    return 'unknown';
  }
}

function makeMeta(opts: Options, topology: Topology): Meta {
  return {
    commit: gitCommit(),
    mode: opts.mode,
    argv: opts.argv,
    startedAt: new Date().toISOString(),
    machine: machineInfo(topology),
    settings: {
      ports: {
        ...(topology === 'stack'
          ? { temporal: STACK_PORTS.temporal, temporalMembership: STACK_PORTS.temporalMembership, temporalPostgres: STACK_PORTS.temporalPostgres }
          : { temporal: PORTS.temporal }),
        api: PORTS.api,
        simulator: PORTS.simulator,
        receiver: 'random',
      },
      pollMs: opts.pollMs,
      timeoutMs: opts.timeoutMs,
      ioUring: ioUringRefusal(),
      workerDefaults: {
        WORKER_MAX_CACHED_WORKFLOWS: workflowCacheSize(serviceConfig.WORKER_MAX_CACHED_WORKFLOWS).maxCachedWorkflows,
        WORKER_MAX_CONCURRENT_ACTIVITIES: serviceConfig.WORKER_MAX_CONCURRENT_ACTIVITIES,
        WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: serviceConfig.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
        WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: serviceConfig.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
        WORKFLOW_STACK_TRACES: serviceConfig.WORKFLOW_STACK_TRACES,
        DATABASE_POOL_SIZE: serviceConfig.DATABASE_POOL_SIZE,
      },
      sizes: { sweep: opts.sweep, count: opts.count, countAtOne: opts.countAtOne, warmup: opts.warmup, api: opts.api, scale: opts.scale, burst: opts.burst },
    },
  };
}

function finishMeta(meta: Meta): void {
  meta.finishedAt = new Date().toISOString();
  meta.durationSeconds = Math.round((Date.now() - Date.parse(meta.startedAt)) / 1000);
  meta.machine.loadAverageEnd = os.loadavg().map((v) => Math.round(v * 100) / 100);
}

/** Writes what there is. A tuning run merges its section into the existing report instead of replacing it. */
function write(error?: string): void {
  if (tuning) {
    finishMeta(tuning.meta);
    if (error) tuning.meta.error = error;
    const jsonFile = path.join(options.outDir, 'benchmarks.json');
    const existing: BenchResults = existsSync(jsonFile) ? (JSON.parse(readFileSync(jsonFile, 'utf8')) as BenchResults) : { meta: tuning.meta };
    existing.tuning = tuning;
    const written = writeReports(options.outDir, existing);
    say(`wrote ${written.md} and ${written.json} (tuning section)`);
    return;
  }
  if (!results) return;
  const ownMeta = mergeMeta ?? results.meta;
  finishMeta(ownMeta);
  if (stackMeta) finishMeta(stackMeta);
  if (error && stackMeta) stackMeta.error = error;
  if (error) ownMeta.error = error;
  const written = writeReports(options.outDir, results, options.mode === 'quick' ? 'benchmarks-quick' : 'benchmarks');
  say(`wrote ${written.md} and ${written.json}`);
}

async function finish(exitCode: number, error?: string): Promise<never> {
  if (finishing) process.exit(exitCode);
  finishing = true;
  try {
    write(error);
  } catch (writeError) {
    say(`could not write the report: ${String(writeError)}`);
  }
  say('stopping everything the benchmark started');
  await cleanup.runAll();
  process.exit(exitCode);
}

// While stopping, the load still in flight fails against closed connections: that must not end the cleanup early.
const onStray = (error: unknown) => {
  if (finishing) return;
  say(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  void finish(1, `unexpected error: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
};
process.on('uncaughtException', onStray);
process.on('unhandledRejection', onStray);
process.on('SIGINT', () => void finish(130, 'interrupted (SIGINT)'));
process.on('SIGTERM', () => void finish(143, 'interrupted (SIGTERM)'));
// --max-minutes bounds each topology's part of the run.
const maxMinutes = options.maxMinutes * options.topologies.length;
const watchdog = setTimeout(() => {
  say(`the run exceeded ${maxMinutes} minutes; stopping`);
  void finish(1, `exceeded the ${maxMinutes}-minute limit`);
}, maxMinutes * 60_000);
watchdog.unref();

/** The phases one topology runs, written into `target` (the report's top level, or its production-topology part). */
async function measure(ctx: Context, target: PhaseResults, phases: Phase[], measured: (phase: Phase) => void, baseline?: BaselineCheckout): Promise<void> {
  const { cleanup: scope, infra, tracker } = ctx;
  const settings: LoadSettings = { count: options.count, warmup: options.warmup, pollMs: options.pollMs, timeoutMs: options.timeoutMs };
  let keptServices: PaymentServices | undefined;
  let keptIds: string[] = [];
  if (phases.includes('e2e')) {
    const baselinePlaces = baseline ? await startBaselineInfra(scope, infra, baseline) : undefined;
    target.e2e = { service: [], bare: [], minimal: [], ratios: [], ...(baseline ? { baseline: [], baselineCode: baselineCode(baseline) } : {}) };
    measured('e2e');
    for (const [index, concurrency] of options.sweep.entries()) {
      const keep = index === options.sweep.length - 1 && phases.includes('api');
      const atOne = { ...settings, count: Math.min(settings.count, options.countAtOne), warmup: Math.min(settings.warmup, 4) };
      const pair = await runPair(ctx, concurrency, concurrency === 1 ? atOne : settings, keep, baselinePlaces);
      target.e2e.service.push(pair.service);
      target.e2e.bare.push(pair.bare);
      target.e2e.minimal!.push(pair.minimal);
      if (pair.baseline) target.e2e.baseline!.push(pair.baseline);
      if (pair.services) {
        keptServices = pair.services;
        keptIds = pair.ids;
      }
      target.e2e.ratios.push(e2eRatio(concurrency, pair));
      write();
    }
  }

  if (phases.includes('api')) {
    if (!keptServices) {
      keptServices = await startPaymentServices(scope, infra, 'api');
      const driver = httpDriver({ apiUrl: infra.apiUrl, simulatorUrl: infra.simulator.url, chargeMs: infra.simulator.chargeMs, tracker, tag: 'api' });
      say('api: creating and settling 200 payments to read');
      keptIds = (await runLoad(driver, { ...settings, count: 200, concurrency: 32, label: 'api setup' })).ids;
    }
    say('api: overhead runs');
    try {
      target.api = await runApiOverhead(scope, infra, keptServices, keptIds, options.api);
      measured('api');
    } finally {
      await keptServices.stop();
    }
    write();
  } else {
    await keptServices?.stop();
  }

  if (phases.includes('scale')) {
    target.scale = await runScale(ctx, { ...options.scale, pollMs: options.pollMs, timeoutMs: options.timeoutMs });
    measured('scale');
    write();
  }

  if (phases.includes('scale-minimal')) {
    target.scaleMinimal = await runMinimalScale(ctx, { ...options.scale, pollMs: options.pollMs, timeoutMs: options.timeoutMs });
    measured('scale-minimal');
    write();
  }

  if (phases.includes('burst')) {
    target.burst = await runBurst(ctx, options.burst, { timeoutMs: options.timeoutMs, earlyLooksMinutes: serviceConfig.RECONCILE_EARLY_LOOKS_MINUTES });
    measured('burst');
  }
}

async function runTuning(ctx: Context, meta: Meta): Promise<void> {
  const settings: LoadSettings = { count: options.count, warmup: options.warmup, pollMs: options.pollMs, timeoutMs: options.timeoutMs };
  const { infra } = ctx;
  if (options.compareCpuWeights && !infra.background) throw new Error('--compare-cpu-weights needs a cpu cgroup, and none could be made here');
  const change = options.compareCpuWeights
    ? `the background tier (the worker, Temporal${infra.temporalPostgresPid ? ' and its PostgreSQL' : ''}) in a cpu cgroup at ${BACKGROUND_CPU_SHARES} (docker-compose.yml) against every process in the bench's own cgroup at ${DEFAULT_CPU_SHARES}; the same Temporal, a fresh worker and API per run`
    : undefined;
  tuning = { meta, env: options.tune, ...(change ? { change } : {}), concurrency: options.tuneConcurrency, e2e: { baseline: [], tuned: [] } };
  if (options.phases.includes('e2e')) {
    // A B B A: drift in the machine's load hits both sides alike.
    for (const tuned of [false, true, true, false]) {
      if (options.compareCpuWeights && tuned) infra.background!.adopt(infra.temporalPid, infra.temporalPostgresPid);
      if (options.compareCpuWeights && !tuned) infra.background!.release();
      const result = await runServiceE2e(ctx, options.tuneConcurrency, settings, tuned ? options.tune : {});
      (tuned ? tuning.e2e.tuned : tuning.e2e.baseline).push(result);
    }
  }
  if (options.phases.includes('scale')) {
    const scaleSettings = { ...options.scale, pollMs: options.pollMs, timeoutMs: options.timeoutMs };
    tuning.scale = { baseline: await runScale(ctx, scaleSettings) };
    tuning.scale.tuned = await runScale(ctx, scaleSettings, options.tune);
  }
}

async function main(): Promise<void> {
  say(
    `mode ${options.mode}; phases ${options.phases.join(', ')}; Temporal ${options.topologies.join(' then ')}` +
      `${Object.keys(options.tune).length ? `; tuning ${JSON.stringify(options.tune)}` : ''}` +
      `${options.compareCpuWeights ? '; comparing cpu weights' : options.backgroundCpuShares === undefined ? '; every process at equal cpu weight' : `; the background tier at cpu weight ${options.backgroundCpuShares}`}` +
      `${Object.keys(options.serviceSettings).length ? `; service settings ${JSON.stringify(options.serviceSettings)}` : ''}` +
      // Said up front: a 10,000-payment burst on the production topology needs about an hour, twice the default.
      `; stops after ${maxMinutes} minutes (--max-minutes)`,
  );
  const meta = makeMeta(options, options.topologies[0]!);
  // Checked out (and its dependencies installed) before any stack starts, so a bad ref fails in seconds.
  const baseline = options.baseline ? prepareBaselineCheckout(options.baseline) : undefined;
  if (options.merge) {
    const file = path.join(options.outDir, `${options.mode === 'quick' ? 'benchmarks-quick' : 'benchmarks'}.json`);
    results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
    mergeMeta = meta;
    results.phaseMeta = { ...results.phaseMeta };
  } else if (!comparing) {
    results = { meta };
  }
  // A merged phase names the invocation that re-measured it, and the topology it ran on.
  const merged = (topology: Topology) => (phase: Phase) => {
    if (mergeMeta) results!.phaseMeta![topology === 'stack' ? (`${phase} on the production topology` as const) : phase] = mergeMeta;
  };
  // One topology after the other, each on its own stack, stopped before the next starts so they never share the cores.
  for (const topology of options.topologies) {
    const scope = new Cleanup();
    const unregister = cleanup.add(`the ${topology} topology`, () => scope.runAll());
    const infra = await startInfra(scope, { keepTmp: options.keepTmp, topology, serviceSettings: options.serviceSettings, backgroundCpuShares: options.backgroundCpuShares });
    meta.machine.postgres = ((await infra.db.query<{ v: string }>('select version() as v')).rows[0]?.v ?? 'unknown').split(',')[0]!;
    // What the run got, not what it asked for: without a cpu cgroup every process ran at the same weight.
    meta.settings.backgroundCpuShares = infra.background?.shares ?? null;
    const tracker = new DownstreamTracker(infra.receiver);
    scope.add('downstream tracker', async () => tracker.close());
    const ctx: Context = { cleanup: scope, infra, tracker };
    if (comparing) {
      await runTuning(ctx, meta);
    } else if (topology === 'dev') {
      await measure(ctx, results!, options.phases, merged('dev'), baseline);
    } else {
      // The API phase compares the API with a bare route on the same database: Temporal's topology does not enter it.
      stackMeta = makeMeta(options, 'stack');
      stackMeta.machine.postgres = meta.machine.postgres;
      stackMeta.settings.backgroundCpuShares = infra.background?.shares ?? null;
      // A merge keeps the meta of the run it merges into: the phases it leaves stand are that run's (phaseMeta names the merge).
      const keptMeta = options.merge ? results!.stack?.meta : undefined;
      results!.stack = { ...(options.merge ? results!.stack : {}), meta: keptMeta ?? stackMeta };
      await measure(ctx, results!.stack, options.phases.filter((phase) => phase !== 'api'), merged('stack'), baseline);
      finishMeta(stackMeta);
      stackMeta = undefined;
    }
    write();
    await scope.runAll();
    unregister();
  }
}

main().then(
  () => finish(0),
  (error: unknown) => {
    say(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return finish(1, error instanceof Error ? error.message.split('\n')[0] : String(error));
  },
);
