/**
 * `npm run bench` (tsx bench/run.ts): the TiketQ Payment Service benchmark. Starts its own stack beside the dev stack
 * (see stack.ts), measures (1) end-to-end payments over HTTP at several concurrencies, (2) bare workflows of the same
 * shape as the Temporal baseline, (3) API overhead against a bare route, (4) many open payments held and settled,
 * (5) growth of throughput and memory with open payments; writes docs/benchmarks.json and docs/benchmarks.md.
 * It reports and never asserts. Everything it starts is stopped at the end, on errors and on Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalCli } from '../scripts/local-stack/binaries';
import { loadConfig } from '../src/config';
import { runApiOverhead } from './api-overhead';
import { DownstreamTracker, httpDriver, runLoad } from './load';
import { parseOptions, type Options } from './options';
import { ratio, runPair, runScale, runServiceE2e, type Context, type LoadSettings, type RunResult } from './phases';
import { writeReports, type BenchResults, type Machine, type Meta, type TuningResult } from './report';
import { Cleanup, PORTS, startInfra, startPaymentServices, type PaymentServices } from './stack';
import { round1, say } from './util';

const options = parseOptions(process.argv.slice(2));
if (options.renderOnly) {
  const base = options.mode === 'quick' ? 'benchmarks-quick' : 'benchmarks';
  const existing = JSON.parse(readFileSync(path.join(options.outDir, `${base}.json`), 'utf8')) as BenchResults;
  say(`re-rendered ${writeReports(options.outDir, existing, base).md}`);
  process.exit(0);
}
const cleanup = new Cleanup();
const startedAt = new Date();
let results: BenchResults | undefined;
/** With --merge: this invocation's meta; the phases it re-measures replace theirs in the existing report. */
let mergeMeta: Meta | undefined;
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

function machineInfo(): Machine {
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

function makeMeta(opts: Options): Meta {
  const defaults = loadConfig({ DATABASE_URL: 'postgresql://unused@127.0.0.1/unused', MIDTRANS_SERVER_KEY: 'unused' });
  return {
    commit: gitCommit(),
    mode: opts.mode,
    argv: opts.argv,
    startedAt: startedAt.toISOString(),
    machine: machineInfo(),
    settings: {
      ports: { temporal: PORTS.temporal, api: PORTS.api, simulator: PORTS.simulator, receiver: 'random' },
      pollMs: opts.pollMs,
      timeoutMs: opts.timeoutMs,
      workerDefaults: {
        WORKER_MAX_CACHED_WORKFLOWS: defaults.WORKER_MAX_CACHED_WORKFLOWS,
        WORKER_MAX_CONCURRENT_ACTIVITIES: defaults.WORKER_MAX_CONCURRENT_ACTIVITIES,
        WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: defaults.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
        DATABASE_POOL_SIZE: defaults.DATABASE_POOL_SIZE,
      },
      sizes: { sweep: opts.sweep, count: opts.count, warmup: opts.warmup, api: opts.api, scale: opts.scale },
    },
  };
}

function finishMeta(meta: Meta): void {
  meta.finishedAt = new Date().toISOString();
  meta.durationSeconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
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
const watchdog = setTimeout(() => {
  say(`the run exceeded --max-minutes ${options.maxMinutes}; stopping`);
  void finish(1, `exceeded the ${options.maxMinutes}-minute limit`);
}, options.maxMinutes * 60_000);
watchdog.unref();

async function main(): Promise<void> {
  say(`mode ${options.mode}; phases ${options.phases.join(', ')}${Object.keys(options.tune).length ? `; tuning ${JSON.stringify(options.tune)}` : ''}`);
  const meta = makeMeta(options);
  const infra = await startInfra(cleanup, { keepTmp: options.keepTmp });
  meta.machine.postgres = ((await infra.db.query<{ v: string }>('select version() as v')).rows[0]?.v ?? 'unknown').split(',')[0]!;
  const tracker = new DownstreamTracker(infra.receiver);
  cleanup.add('downstream tracker', async () => tracker.close());
  const ctx: Context = { cleanup, infra, tracker };
  const settings: LoadSettings = { count: options.count, warmup: options.warmup, pollMs: options.pollMs, timeoutMs: options.timeoutMs };
  const scaleSettings = { ...options.scale, pollMs: options.pollMs, timeoutMs: options.timeoutMs };

  if (Object.keys(options.tune).length > 0) {
    tuning = { meta, env: options.tune, concurrency: options.tuneConcurrency, e2e: { baseline: [], tuned: [] } };
    if (options.phases.includes('e2e')) {
      // A B B A: drift in the machine's load hits both sides alike.
      for (const tuned of [false, true, true, false]) {
        const result = await runServiceE2e(ctx, options.tuneConcurrency, settings, tuned ? options.tune : {});
        (tuned ? tuning.e2e.tuned : tuning.e2e.baseline).push(result);
      }
    }
    if (options.phases.includes('scale')) {
      tuning.scale = { baseline: await runScale(ctx, scaleSettings) };
      tuning.scale.tuned = await runScale(ctx, scaleSettings, options.tune);
    }
    return;
  }

  if (options.merge) {
    const file = path.join(options.outDir, `${options.mode === 'quick' ? 'benchmarks-quick' : 'benchmarks'}.json`);
    results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
    mergeMeta = meta;
    results.phaseMeta = { ...results.phaseMeta };
  } else {
    results = { meta };
  }
  let keptServices: PaymentServices | undefined;
  let keptIds: string[] = [];
  if (options.phases.includes('e2e')) {
    results.e2e = { service: [], bare: [], ratios: [] };
    if (mergeMeta) results.phaseMeta!.e2e = mergeMeta;
    for (const [index, concurrency] of options.sweep.entries()) {
      const keep = index === options.sweep.length - 1 && options.phases.includes('api');
      const pair = await runPair(ctx, concurrency, settings, keep);
      results.e2e.service.push(pair.service);
      results.e2e.bare.push(pair.bare);
      if (pair.services) {
        keptServices = pair.services;
        keptIds = pair.ids;
      }
      const cpu = (r: RunResult) => Object.values(r.processes).reduce((a, p) => a + (p.cpuMsPerPayment ?? 0), 0);
      results.e2e.ratios.push({
        concurrency,
        service: pair.service.paymentsPerSecond,
        bare: pair.bare.paymentsPerSecond,
        ratio: ratio(pair.service.paymentsPerSecond, pair.bare.paymentsPerSecond),
        serviceCpuMs: Math.round(cpu(pair.service)),
        bareCpuMs: Math.round(cpu(pair.bare)),
        cpuRatio: ratio(cpu(pair.bare), cpu(pair.service)),
      });
      write();
    }
  }

  if (options.phases.includes('api')) {
    if (!keptServices) {
      keptServices = await startPaymentServices(cleanup, infra, 'api');
      const driver = httpDriver({ apiUrl: infra.apiUrl, simulatorUrl: infra.simulator.url, tracker, tag: 'api' });
      say('api: creating and settling 200 payments to read');
      keptIds = (await runLoad(driver, { ...settings, count: 200, concurrency: 32, label: 'api setup' })).ids;
    }
    say('api: overhead runs');
    try {
      results.api = await runApiOverhead(cleanup, infra, keptServices, keptIds, options.api);
      if (mergeMeta) results.phaseMeta!.api = mergeMeta;
    } finally {
      await keptServices.stop();
    }
    write();
  } else {
    await keptServices?.stop();
  }

  if (options.phases.includes('scale')) {
    results.scale = await runScale(ctx, scaleSettings);
    if (mergeMeta) results.phaseMeta!.scale = mergeMeta;
  }
}

main().then(
  () => finish(0),
  (error: unknown) => {
    say(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return finish(1, error instanceof Error ? error.message.split('\n')[0] : String(error));
  },
);
