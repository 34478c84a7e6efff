import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * What the kernel says about a process: resident memory from /proc/<pid>/status (VmRSS now, VmHWM = peak since
 * the process started) and CPU time from /proc/<pid>/stat. Reads never throw: a process that is gone reads null.
 */

export interface MemoryReading {
  rssKiB: number;
  hwmKiB: number;
}

export function readMemory(pid: number | undefined): MemoryReading | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    const rssKiB = field('VmRSS');
    const hwmKiB = field('VmHWM');
    return Number.isFinite(rssKiB) ? { rssKiB, hwmKiB } : null;
  } catch {
    return null;
  }
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** user + system CPU seconds the process has used so far (null when it is gone). */
export function readCpuSeconds(pid: number | undefined): number | null {
  const ticks = pid ? readTicks(pid) : null;
  return ticks ? ticks.own / clockTicks() : null;
}

/** The fields of /proc/<pid>/stat after "(comm)", 0-based: ppid 1, minflt 7, majflt 9, utime 11, stime 12, cutime 13, cstime 14. */
function statFields(pid: number): number[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  } catch {
    return null;
  }
}

/** utime + stime (the process's own CPU) and cutime + cstime (its reaped children's), in clock ticks. */
function readTicks(pid: number): { own: number; reaped: number } | null {
  const fields = statFields(pid);
  return fields ? { own: fields[11]! + fields[12]!, reaped: fields[13]! + fields[14]! } : null;
}

/**
 * CPU seconds of a process tree so far: the root's own time, the time of its children it has reaped (cutime/cstime)
 * and the time of its live descendants (with what they have reaped). For PostgreSQL's postmaster this is the whole
 * cluster, backends included, and it only grows, so a difference of two readings is the cluster's CPU in between.
 * A child the root reaps while the tree is being read would be in neither half (gone from /proc, not yet in the root's
 * cutime as first read), so the reading is taken again until the root reaped nothing during it.
 */
export function readTreeCpuSeconds(root: number | undefined): number | null {
  if (!root) return null;
  for (let attempt = 0; ; attempt++) {
    const before = readTicks(root);
    if (!before) return null;
    const descendants = descendantsOf(root).reduce((sum, pid) => {
      const ticks = readTicks(pid);
      return sum + (ticks ? ticks.own + ticks.reaped : 0);
    }, 0);
    const after = readTicks(root);
    if (!after) return null;
    // Past a few attempts the root is reaping without pause; the last reading undercounts at most what it just reaped.
    if (after.reaped === before.reaped || attempt >= 10) return (before.own + before.reaped + descendants) / clockTicks();
  }
}

interface ThreadsSnapshot {
  userTicks: number;
  systemTicks: number;
  minorFaults: number;
  majorFaults: number;
  /** Each live thread's CPU by thread id. */
  threads: Map<number, { name: string; runNs: number }>;
}

function snapshotThreads(pid: number): ThreadsSnapshot | null {
  const whole = statFields(pid);
  if (!whole) return null;
  const threads = new Map<number, { name: string; runNs: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  for (const tid of tids) {
    try {
      // schedstat's run time is in ns; a thread's utime + stime are whole ticks, and summing two dozen threads' truncations would blur the ended threads' share.
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const runNs = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      threads.set(Number(tid), { name, runNs });
    } catch {
      // The thread ended between the listing and the read: its time is in the process's.
    }
  }
  const [minorFaults, majorFaults, userTicks, systemTicks] = [7, 9, 11, 12].map((i) => whole[i]!);
  return { userTicks: userTicks!, systemTicks: systemTicks!, minorFaults: minorFaults!, majorFaults: majorFaults!, threads };
}

/** What one process's threads did over a window, as the kernel counts it. */
export interface ThreadsUsage {
  userSeconds: number;
  systemSeconds: number;
  minorFaults: number;
  majorFaults: number;
  /**
   * Threads alive at the window's end that used CPU in it, busiest first, by the name the kernel knows them by (Node 24
   * names its threads: MainThread, WorkerThread, V8Worker, libuv-worker; the SDK's core, workflow-proces and tokio-runtime-w).
   */
  threads: Array<{ tid: number; name: string; seconds: number }>;
  /**
   * CPU of threads that ended within the window (the process's CPU less its live threads'): a thread's time moves
   * into its process's when it exits, so this is where short-lived threads, such as Node's per-call watchdogs, show.
   */
  endedThreadsSeconds: number;
}

/** Per-thread CPU, faults and user/system split of one process between `start()` and `stop()`. */
export class ThreadsMeter {
  private before: ThreadsSnapshot | null = null;

  constructor(private readonly pid: number | undefined) {}

  start(): this {
    this.before = this.pid ? snapshotThreads(this.pid) : null;
    return this;
  }

  /** Null when the process was gone at either end. */
  stop(): ThreadsUsage | null {
    const after = this.pid ? snapshotThreads(this.pid) : null;
    const before = this.before;
    if (!after || !before) return null;
    const perSecond = clockTicks();
    const threads = [...after.threads]
      .map(([tid, thread]) => ({ tid, name: thread.name, seconds: (thread.runNs - (before.threads.get(tid)?.runNs ?? 0)) / 1e9 }))
      .filter((thread) => thread.seconds > 0)
      .sort((a, b) => b.seconds - a.seconds);
    const userSeconds = (after.userTicks - before.userTicks) / perSecond;
    const systemSeconds = (after.systemTicks - before.systemTicks) / perSecond;
    const liveSeconds = threads.reduce((sum, thread) => sum + thread.seconds, 0);
    return {
      userSeconds,
      systemSeconds,
      minorFaults: after.minorFaults - before.minorFaults,
      majorFaults: after.majorFaults - before.majorFaults,
      threads,
      endedThreadsSeconds: Math.max(0, userSeconds + systemSeconds - liveSeconds),
    };
  }
}

export function parentOf(pid: number): number | undefined {
  return statFields(pid)?.[1];
}

export function commandLine(pid: number): string {
  return commandArguments(pid).join(' ').trim();
}

/** The process's arguments as it was started (argv), none when it is gone. */
function commandArguments(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** Every process below `root` (children, grandchildren, …), by one scan of /proc. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    const list = children.get(parent) ?? [];
    list.push(pid);
    children.set(parent, list);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * The Node program below `root` whose command line names `needle`: the program tsx runs. Only a process whose
 * executable is Node counts (a wrapper's forks, such as pyenv's shim's subshells before it becomes tsx, carry the
 * wrapper's command line and are gone a moment later), and not tsx's own launcher, which names the entry too.
 */
export function findNodeProgram(root: number, needle: string): number | undefined {
  return descendantsOf(root).find((pid) => isNode(pid) && !isTsxLauncher(pid) && commandLine(pid).includes(needle));
}

/** node's first argument is tsx's command-line script (`node_modules/.bin/tsx` or the `tsx/dist/cli.mjs` it links to). */
function isTsxLauncher(pid: number): boolean {
  return /(^|\/)(\.bin\/tsx|tsx\/dist\/cli\.m?js)$/.test(commandArguments(pid)[1] ?? '');
}

function isNode(pid: number): boolean {
  try {
    return path.basename(readlinkSync(`/proc/${pid}/exe`)).startsWith('node');
  } catch {
    return false;
  }
}

/** Bytes of a SQLite database with its -wal and -shm files (0 for a file that does not exist). */
export function sqliteBytes(file: string): { db: number; wal: number; shm: number; total: number } {
  const size = (f: string) => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  const db = size(file);
  const wal = size(`${file}-wal`);
  const shm = size(`${file}-shm`);
  return { db, wal, shm, total: db + wal + shm };
}

/**
 * Samples VmRSS of named processes every `intervalMs` and keeps each one's maximum (VmHWM covers the whole life of
 * a process; this covers one phase of a process that lives longer, like the Temporal server).
 */
export class RssSampler {
  private readonly peaks = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly targets: () => Record<string, number | undefined>, private readonly intervalMs = 500) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    for (const [name, pid] of Object.entries(this.targets())) {
      const reading = readMemory(pid);
      if (reading) this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, reading.rssKiB));
    }
  }

  stop(): Record<string, number> {
    this.sample();
    clearInterval(this.timer);
    return Object.fromEntries(this.peaks);
  }
}

/**
 * CPU seconds each named process used between `start()` and `stop()`; `trees` are whole process trees (PostgreSQL's
 * postmaster and its backends).
 */
export class CpuMeter {
  private readonly before = new Map<string, number>();
  private selfBefore = process.cpuUsage();

  constructor(
    private readonly targets: () => Record<string, number | undefined>,
    private readonly trees: () => Record<string, number | undefined> = () => ({}),
  ) {}

  private read(): Map<string, number | null> {
    const readings = new Map<string, number | null>();
    for (const [name, pid] of Object.entries(this.targets())) readings.set(name, readCpuSeconds(pid));
    for (const [name, pid] of Object.entries(this.trees())) readings.set(name, readTreeCpuSeconds(pid));
    return readings;
  }

  start(): this {
    this.selfBefore = process.cpuUsage();
    for (const [name, cpu] of this.read()) if (cpu !== null) this.before.set(name, cpu);
    return this;
  }

  /** Includes `bench` (this process: load driver, simulator and receiver). */
  stop(): Record<string, number | null> {
    const result: Record<string, number | null> = {};
    for (const [name, cpu] of this.read()) {
      const before = this.before.get(name);
      result[name] = cpu !== null && before !== undefined ? cpu - before : null;
    }
    const self = process.cpuUsage(this.selfBefore);
    result.bench = (self.user + self.system) / 1e6;
    return result;
  }
}
