import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { createMemoryLimit, type MemoryLimit } from '../../bench/memory-limit';
import { cgroupMemoryLimits, MAX_DEFAULT_CACHED_WORKFLOWS, usableMemory, workflowCacheSize } from '../../src/temporal/workflow-cache';

const MB = 1e6;
const limit = (bytes: number) => ({ bytes, source: 'cgroup' as const });
// Where vitest itself runs in a memory-limited container there is no unlimited process to look at.
const limited = usableMemory().source === 'cgroup';
const sizedByMemory = (bytes: number) => workflowCacheSize(undefined, limit(bytes)).maxCachedWorkflows;

describe("the worker's cache, sized from its memory when WORKER_MAX_CACHED_WORKFLOWS is unset", () => {
  it('keeps 3,000 in the 2 GB of docker-compose.yml and on a large host', () => {
    expect(workflowCacheSize(undefined, limit(2_000 * MB))).toEqual({ maxCachedWorkflows: MAX_DEFAULT_CACHED_WORKFLOWS, sizedBy: 'memory', memoryMiB: 1_907, memorySource: 'cgroup', fits: 3_586 });
    expect(sizedByMemory(24 * 2 ** 30)).toBe(MAX_DEFAULT_CACHED_WORKFLOWS);
  });

  it('caches fewer in a 1 GB container, where a cache of 3,000 was OOM-killed, and 100 in one with no room', () => {
    expect(sizedByMemory(1_000 * MB)).toBe(1_043);
    expect(workflowCacheSize(undefined, limit(512 * MB))).toMatchObject({ maxCachedWorkflows: 100, fits: 0 });
  });

  it('never caches more with less memory', () => {
    let previous = 0;
    for (let mb = 256; mb <= 4_096; mb += 64) {
      const size = sizedByMemory(mb * MB);
      expect(size).toBeGreaterThanOrEqual(previous);
      previous = size;
    }
  });

  it('takes WORKER_MAX_CACHED_WORKFLOWS as set, and says what the memory holds so the worker can warn', () => {
    expect(workflowCacheSize(3_000, limit(1_000 * MB))).toEqual({ maxCachedWorkflows: 3_000, sizedBy: 'WORKER_MAX_CACHED_WORKFLOWS', memoryMiB: 954, memorySource: 'cgroup', fits: 1_043 });
    expect(workflowCacheSize(5_000, { bytes: 24 * 2 ** 30, source: 'host' }).fits).toBeGreaterThan(5_000);
  });

  it.skipIf(limited)("takes the host's memory when the process has no limit", () => {
    expect(usableMemory()).toEqual({ bytes: os.totalmem(), source: 'host' });
    expect(workflowCacheSize(undefined)).toMatchObject({ maxCachedWorkflows: MAX_DEFAULT_CACHED_WORKFLOWS, memorySource: 'host' });
  });

  describe('the memory limits above the process (a fake /proc and /sys/fs/cgroup)', () => {
    const files = (entries: Record<string, string>) => (file: string) => entries[file] ?? null;

    it('reads memory.max from the cgroup up to the root on cgroup v2, skipping `max`', () => {
      const read = files({
        '/proc/self/cgroup': '0::/kubepods.slice/pod-1/container-2\n',
        '/sys/fs/cgroup/kubepods.slice/pod-1/container-2/memory.max': 'max',
        '/sys/fs/cgroup/kubepods.slice/pod-1/memory.max': '1073741824',
        '/sys/fs/cgroup/kubepods.slice/memory.max': '8589934592',
      });
      expect(cgroupMemoryLimits(read)).toEqual([1_073_741_824, 8_589_934_592]);
      expect(usableMemory(read)).toEqual({ bytes: 1_073_741_824, source: 'cgroup' });
    });

    it("reads cgroup v1's hierarchical_memory_limit, and a container's own mount when the path is not under it", () => {
      const stat = (bytes: string) => `cache 0\nhierarchical_memory_limit ${bytes}\nhierarchical_memsw_limit ${bytes}\n`;
      const onHost = files({
        '/proc/self/cgroup': '12:pids:/system.slice/worker.service\n4:cpu,memory:/system.slice/worker.service\n0::/system.slice/worker.service',
        '/sys/fs/cgroup/memory/system.slice/worker.service/memory.stat': stat('2097152000'),
      });
      expect(usableMemory(onHost)).toEqual({ bytes: 2_097_152_000, source: 'cgroup' });
      const inContainer = files({ '/proc/self/cgroup': '4:memory:/docker/abc', '/sys/fs/cgroup/memory/memory.stat': stat('536870912') });
      expect(cgroupMemoryLimits(inContainer)).toEqual([536_870_912]);
    });

    it("takes the host's memory when no cgroup above has a limit, or one beyond the host's", () => {
      const unlimited = files({
        '/proc/self/cgroup': '4:memory:/user.slice\n0::/user.slice',
        '/sys/fs/cgroup/memory/user.slice/memory.stat': 'hierarchical_memory_limit 9223372036854771712',
        '/sys/fs/cgroup/user.slice/memory.max': String(os.totalmem() * 2),
      });
      expect(cgroupMemoryLimits(unlimited)).toEqual([os.totalmem() * 2]);
      if (!limited) expect(usableMemory(unlimited)).toEqual({ bytes: os.totalmem(), source: 'host' });
      expect(cgroupMemoryLimits(files({}))).toEqual([]);
    });
  });

  // A real memory cgroup, as a container's limit: the process reads the limit, not the host's memory.
  // Making a cgroup needs root and a writable memory controller (as on the CI machines); elsewhere it is reported skipped.
  it("takes a container's memory limit when it has one", { timeout: 60_000 }, (context) => {
    const limit = createMemoryLimit('cache', 1_000 * MB);
    if ('unavailable' in limit) return context.skip(limit.unavailable);
    expectSizedByLimitOf(limit);
  });

  // A pod-level limit without a container one, or a systemd slice's: a worker that missed it sized its cache for the
  // host's memory (3,000, about 1.6 GB) under a 1 GB limit, and was OOM-killed each time its cache filled.
  it('takes a memory limit set only on a parent cgroup', { timeout: 60_000 }, (context) => {
    const limit = createMemoryLimit('cache-parent', 1_000 * MB, { processIn: 'child' });
    if ('unavailable' in limit) return context.skip(limit.unavailable);
    expectSizedByLimitOf(limit);
  });
});

/** Starts a process under `limit` and checks that it sizes its cache by the limit, then removes the limit. */
function expectSizedByLimitOf(limit: MemoryLimit): void {
  try {
    const script =
      "import('./src/temporal/workflow-cache.ts').then((m) => { const memory = m.usableMemory(); console.log(memory.bytes, memory.source, m.workflowCacheSize(undefined).maxCachedWorkflows) })";
    const { command, args } = limit.wrap(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    const [bytesText, source, cachedText] = execFileSync(command, args, { encoding: 'utf8' }).trim().split(' ');
    const [bytes, cached] = [Number(bytesText), Number(cachedText)];
    expect(source).toBe('cgroup');
    // The kernel rounds a cgroup v1 limit down to whole pages.
    expect(bytes).toBeGreaterThan(999 * MB);
    expect(bytes).toBeLessThanOrEqual(1_000 * MB);
    expect(cached).toBe(sizedByMemory(bytes));
    expect(cached).toBeLessThan(MAX_DEFAULT_CACHED_WORKFLOWS);
  } finally {
    limit.remove();
  }
}
