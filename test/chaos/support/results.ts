import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOG_DIR } from './stack';
import { MODE, SEED, SIZES, TOPOLOGY } from './config';

/**
 * What each scenario did and counted, written as JSON after every scenario (so a failed run still leaves its
 * figures) to .data/chaos/results-<mode>.json. test/chaos/report.ts turns it into docs/reliability.md.
 */
export type Source = 'simulator' | 'receiver' | 'temporal' | 'database' | 'api' | 'schemathesis' | 'suite';

export interface Figure {
  label: string;
  value: number | string | boolean;
  /** Whose record the figure comes from. */
  source: Source;
}

export interface ScenarioResult {
  id: string;
  title: string;
  passed: boolean;
  startedAt: string;
  durationMs: number;
  figures: Figure[];
  notes: string[];
}

export interface RunResults {
  mode: typeof MODE;
  /** Absent in runs recorded before the stack topology existed: those ran on the dev server. */
  topology?: typeof TOPOLOGY;
  seed: number;
  sizes: typeof SIZES;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  machine: { cpus: number; memoryGiB: number; node: string; platform: string };
  scenarios: ScenarioResult[];
}

const run: RunResults = {
  mode: MODE,
  topology: TOPOLOGY,
  seed: SEED,
  sizes: SIZES,
  startedAt: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  },
  scenarios: [],
};
const started = Date.now();

const RUN_NAME = TOPOLOGY === 'dev' ? MODE : `${MODE}-${TOPOLOGY}`;
export const RESULTS_FILE = path.join(LOG_DIR, `results-${RUN_NAME}.json`);

export function save(final = false): void {
  if (final) {
    run.finishedAt = new Date().toISOString();
    run.durationMs = Date.now() - started;
  }
  mkdirSync(LOG_DIR, { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(run, null, 2)}\n`);
  // Every finished run is also kept under its start time, so several runs can be reported side by side.
  if (final)
    writeFileSync(path.join(LOG_DIR, `results-${RUN_NAME}-${run.startedAt.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(run, null, 2)}\n`);
}

/** One scenario's record: figures are added as they are counted; `pass()` is called after the last assertion. */
export function scenario(id: string, title: string) {
  const result: ScenarioResult = { id, title, passed: false, startedAt: new Date().toISOString(), durationMs: 0, figures: [], notes: [] };
  const t0 = Date.now();
  run.scenarios = run.scenarios.filter((s) => s.id !== id);
  run.scenarios.push(result);
  save();
  return {
    figure(label: string, value: Figure['value'], source: Source) {
      result.figures.push({ label, value, source });
      result.durationMs = Date.now() - t0;
      save();
    },
    note(text: string) {
      result.notes.push(text);
      save();
    },
    pass() {
      result.passed = true;
      result.durationMs = Date.now() - t0;
      save();
    },
  };
}

export type ScenarioRecorder = ReturnType<typeof scenario>;
