import os from 'node:os';

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
  /** `cgroup`: the memory limit of the process's own cgroup (a container's); `host`: none found there. */
  source: 'cgroup' | 'host';
}

/**
 * The memory this process may use: the limit of its own cgroup when it has one, else the host's. Node reads only the
 * process's own cgroup: a limit set on a parent alone (a pod-level limit without a container one) is not seen.
 */
export function usableMemory(): UsableMemory {
  const host = os.totalmem();
  // Unknown: undefined (Node 20) or 0 (Node 22 on); no limit: a number beyond the host's memory (2^64 on cgroup v1).
  const limit = process.constrainedMemory?.() ?? 0;
  return limit > 0 && limit < host ? { bytes: limit, source: 'cgroup' } : { bytes: host, source: 'host' };
}
