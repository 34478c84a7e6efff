import os from 'node:os';

/** The most workflows a worker caches unless told otherwise (docs/tuning.md change 16). */
export const MAX_DEFAULT_CACHED_WORKFLOWS = 3_000;
const MIN_DEFAULT_CACHED_WORKFLOWS = 100;

/*
 * Measured on Node 24 with the production topology (docs/tuning.md, "The worker under a memory limit"): a worker with an
 * empty cache holds about 450 MiB, and each cached workflow 0.22–0.24 MiB more once the cache is full; 0.3 leaves room
 * for the refund paths. A worker past its container's limit is OOM-killed, not slowed, so the cache gets at most 80 % of
 * the memory less the empty worker.
 */
const EMPTY_WORKER_MIB = 450;
const MIB_PER_CACHED_WORKFLOW = 0.3;
const SHARE_FOR_THE_WORKER = 0.8;

/** How many cached workflows fit the memory a worker may use (none when not even an empty worker does). */
export function cachedWorkflowsThatFit(memoryBytes: number): number {
  const memoryMiB = memoryBytes / 2 ** 20;
  return Math.max(0, Math.floor((memoryMiB * SHARE_FOR_THE_WORKER - EMPTY_WORKER_MIB) / MIB_PER_CACHED_WORKFLOW));
}

export interface WorkflowCacheSize {
  maxCachedWorkflows: number;
  sizedBy: 'WORKER_MAX_CACHED_WORKFLOWS' | 'memory';
  memoryMiB: number;
  /** What fits that memory: a cache above it puts the worker at risk of being OOM-killed. */
  fits: number;
}

/** WORKER_MAX_CACHED_WORKFLOWS when set; otherwise as many as fit the memory, within 100 and 3,000. */
export function workflowCacheSize(setting: number | undefined, memoryBytes: number): WorkflowCacheSize {
  const fits = cachedWorkflowsThatFit(memoryBytes);
  const memoryMiB = Math.round(memoryBytes / 2 ** 20);
  if (setting !== undefined) return { maxCachedWorkflows: setting, sizedBy: 'WORKER_MAX_CACHED_WORKFLOWS', memoryMiB, fits };
  const maxCachedWorkflows = Math.min(MAX_DEFAULT_CACHED_WORKFLOWS, Math.max(MIN_DEFAULT_CACHED_WORKFLOWS, fits));
  return { maxCachedWorkflows, sizedBy: 'memory', memoryMiB, fits };
}

/** The memory this process may use: its container's limit (a memory cgroup) when it has one, else the host's. */
export function memoryAvailableBytes(): number {
  const host = os.totalmem();
  // Without a limit Node reports a number beyond the host's memory (2^64, or 16 TiB on Node 24), never 0 or less.
  const limit = process.constrainedMemory();
  return limit > 0 && limit < host ? limit : host;
}
