import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The most workflows a worker caches unless told otherwise (docs/tuning.md change 16). */
export const MAX_DEFAULT_CACHED_WORKFLOWS = 3_000;
const MIN_DEFAULT_CACHED_WORKFLOWS = 100;

/*
 * Measured on Node 24 with the production topology (docs/tuning.md, "The worker under a memory limit"): a worker with an
 * empty cache holds about 450 MiB, and each cached workflow 0.22–0.24 MiB more once the cache is full; 0.3 leaves room
 * for the refund paths. A worker past its container's limit is OOM-killed, not slowed, so 20 % of the memory stays
 * free for garbage not yet collected.
 */
const EMPTY_WORKER_MIB = 450;
const MIB_PER_CACHED_WORKFLOW = 0.3;
const HEADROOM = 0.2;

/** How many cached workflows fit the memory a worker may use (none when not even an empty worker does). */
export function cachedWorkflowsThatFit(memoryBytes: number): number {
  const memoryMiB = memoryBytes / 2 ** 20;
  return Math.max(0, Math.floor((memoryMiB * (1 - HEADROOM) - EMPTY_WORKER_MIB) / MIB_PER_CACHED_WORKFLOW));
}

export interface WorkflowCacheSize {
  maxCachedWorkflows: number;
  sizedBy: 'WORKER_MAX_CACHED_WORKFLOWS' | 'memory';
  memoryMiB: number;
  memorySource: UsableMemory['source'];
  /** What fits that memory: a cache above it puts the worker at risk of being OOM-killed. */
  fits: number;
}

/**
 * WORKER_MAX_CACHED_WORKFLOWS when set; otherwise as many as fit the memory, within 100 and 3,000. The memory is this
 * process's unless given (the bench sizes the cache of a worker it starts under a limit of its own).
 */
export function workflowCacheSize(setting: number | undefined, memory: UsableMemory = usableMemory()): WorkflowCacheSize {
  const fits = cachedWorkflowsThatFit(memory.bytes);
  const described = { memoryMiB: Math.round(memory.bytes / 2 ** 20), memorySource: memory.source, fits };
  if (setting !== undefined) return { maxCachedWorkflows: setting, sizedBy: 'WORKER_MAX_CACHED_WORKFLOWS', ...described };
  const maxCachedWorkflows = Math.min(MAX_DEFAULT_CACHED_WORKFLOWS, Math.max(MIN_DEFAULT_CACHED_WORKFLOWS, fits));
  return { maxCachedWorkflows, sizedBy: 'memory', ...described };
}

export interface UsableMemory {
  bytes: number;
  /** `cgroup`: the lowest memory limit on the process's cgroup or one above it (a container's, a pod's, a slice's); `host`: none found. */
  source: 'cgroup' | 'host';
}

/**
 * The memory this process may use: the lowest limit on its cgroup and the cgroups above it, else the host's. Node's
 * own reading (`process.constrainedMemory`) looks at the process's cgroup only, so a limit set on a parent alone (a
 * pod-level limit without a container one, a systemd slice's MemoryMax) would be missed.
 */
export function usableMemory(read: (file: string) => string | null = readOrNull): UsableMemory {
  const host = os.totalmem();
  // Unknown: undefined (Node 20) or 0 (Node 22 on); no limit: a number beyond the host's memory (2^64 on cgroup v1).
  const candidates = [process.constrainedMemory?.() ?? 0, ...cgroupMemoryLimits(read)];
  const limit = Math.min(...candidates.filter((bytes) => bytes > 0 && bytes < host));
  return Number.isFinite(limit) ? { bytes: limit, source: 'cgroup' } : { bytes: host, source: 'host' };
}

const CGROUP_V2_ROOT = '/sys/fs/cgroup';
const CGROUP_V1_MEMORY_ROOT = '/sys/fs/cgroup/memory';

/**
 * The memory limits on this process's cgroup and its ancestors, as far as its mount shows them: on cgroup v2 each
 * `memory.max` from its cgroup up to the root; on v1 `hierarchical_memory_limit`, which the kernel already takes as
 * the lowest over the ancestors. Hand-read: a few files, and no package on the registry does this for cgroup v1 and v2.
 */
export function cgroupMemoryLimits(read: (file: string) => string | null): number[] {
  const limits: number[] = [];
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    const [, controllers, cgroupPath] = /^\d+:([^:]*):(\/.*)$/.exec(line.trim()) ?? [];
    if (controllers === undefined || cgroupPath === undefined) continue;
    if (controllers === '') {
      for (let dir = cgroupPath; ; dir = path.posix.dirname(dir)) {
        limits.push(bytesOf(read(path.posix.join(CGROUP_V2_ROOT, dir, 'memory.max'))));
        if (dir === '/') break;
      }
    } else if (controllers.split(',').includes('memory')) {
      // In a container the mount is the container's own cgroup, and the path above it does not exist there.
      const stat = read(path.posix.join(CGROUP_V1_MEMORY_ROOT, cgroupPath, 'memory.stat')) ?? read(path.posix.join(CGROUP_V1_MEMORY_ROOT, 'memory.stat'));
      limits.push(bytesOf(/^hierarchical_memory_limit (\d+)$/m.exec(stat ?? '')?.[1] ?? null));
    }
  }
  return limits.filter((bytes) => bytes > 0);
}

/** A limit file's bytes; 0 for none (`max`, missing, unreadable). */
function bytesOf(text: string | null): number {
  const bytes = Number(text);
  return text !== null && /^\d+$/.test(text) && Number.isSafeInteger(bytes) ? bytes : 0;
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}
