import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { removeCgroupQuietly, startInCgroup } from './cgroup';
import { round1 } from './util';

/**
 * A container's memory limit for one benchmarked process, without a container engine: a memory cgroup with a hard
 * limit that the process is started in. The kernel OOM-kills the process past the limit, as it would in a container,
 * and Node sizes its heap from the limit it finds at start (a 512 MB limit gives a heap ceiling of 259 MiB),
 * instead of from the host's 24 GiB (a ceiling of about 4 GB, under which garbage is collected lazily).
 *
 * Everything the process starts is in the cgroup too (tsx's wrapper and the program it runs): the limit covers both.
 */
export interface MemoryLimit {
  limitBytes: number;
  /** The command that starts `command args` inside the cgroup. */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /**
   * The most the kernel charged to the cgroup (the pages its processes allocated or first read in; shared pages another
   * process brought in first are charged there, so this can be below VmRSS) and how often it OOM-killed in it.
   */
  read(): { peakBytes: number | null; oomKills: number | null };
  /** Removes the cgroup once nothing runs in it. */
  remove(): void;
}

/** What a report keeps of a process's limit: the limit and the cgroup's readings, or why it ran without one. */
export interface LimitReading {
  limit: { bytes: number; cgroupPeakMiB: number | null; oomKills: number | null } | null;
  limitUnavailable: string | null;
}

export function readLimit(limit: MemoryLimit | { unavailable: string } | undefined): LimitReading {
  if (!limit) return { limit: null, limitUnavailable: null };
  if ('unavailable' in limit) return { limit: null, limitUnavailable: limit.unavailable };
  const { peakBytes, oomKills } = limit.read();
  return { limit: { bytes: limit.limitBytes, cgroupPeakMiB: peakBytes === null ? null : round1(peakBytes / 2 ** 20), oomKills }, limitUnavailable: null };
}

const V1_ROOT = '/sys/fs/cgroup/memory';
const V2_ROOT = '/sys/fs/cgroup';

/**
 * A memory cgroup with `limitBytes`, or the reason none could be made here (not root, no memory controller). With
 * `processIn: 'child'` the process starts in a child cgroup of no limit of its own, as under a Kubernetes pod-level
 * limit or a systemd slice's: the limit is its parent's.
 */
export function createMemoryLimit(name: string, limitBytes: number, options: { processIn?: 'child' } = {}): MemoryLimit | { unavailable: string } {
  const v1 = existsSync(path.join(V1_ROOT, 'memory.limit_in_bytes'));
  const v2 = !v1 && readOrNull(path.join(V2_ROOT, 'cgroup.subtree_control'))?.split(/\s+/).includes('memory');
  if (!v1 && !v2) return { unavailable: 'no writable memory cgroup controller (cgroup v1 memory, or v2 with memory enabled)' };
  const dir = path.join(v1 ? V1_ROOT : V2_ROOT, `tiketq-bench-${name}-${process.pid}-${Date.now().toString(36)}`);
  const processDir = options.processIn === 'child' ? path.join(dir, 'process') : dir;
  try {
    mkdirSync(dir);
    writeFileSync(path.join(dir, v1 ? 'memory.limit_in_bytes' : 'memory.max'), String(limitBytes));
    // Without swap the limit is on memory itself: a process over it is killed, not paged out.
    if (v1 && existsSync(path.join(dir, 'memory.memsw.limit_in_bytes'))) writeFileSync(path.join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes));
    if (!v1) writeFileSync(path.join(dir, 'memory.swap.max'), '0');
    if (processDir !== dir) mkdirSync(processDir);
  } catch (error) {
    removeCgroupQuietly(processDir);
    removeCgroupQuietly(dir);
    return { unavailable: `cannot create a memory cgroup: ${error instanceof Error ? error.message : String(error)}` };
  }
  return {
    limitBytes,
    wrap: (command, args) => startInCgroup(processDir, command, args),
    read() {
      if (v1) {
        const oom = readOrNull(path.join(dir, 'memory.oom_control'))?.match(/^oom_kill (\d+)/m)?.[1];
        return { peakBytes: numberOrNull(readOrNull(path.join(dir, 'memory.max_usage_in_bytes'))), oomKills: numberOrNull(oom) };
      }
      const oom = readOrNull(path.join(dir, 'memory.events'))?.match(/^oom_kill (\d+)/m)?.[1];
      return { peakBytes: numberOrNull(readOrNull(path.join(dir, 'memory.peak'))), oomKills: numberOrNull(oom) };
    },
    remove: () => {
      removeCgroupQuietly(processDir);
      removeCgroupQuietly(dir);
    },
  };
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

function numberOrNull(text: string | null | undefined): number | null {
  const value = Number(text);
  return text != null && text !== '' && Number.isFinite(value) ? value : null;
}
