import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createMemoryLimit } from '../../bench/memory-limit';

const MiB = 2 ** 20;

// The bench's container memory limit is a real cgroup: the kernel enforces it and Node reads it at start. Where the
// machine offers no writable memory cgroup, creating one says why instead (and the bench runs without the limit).
describe('bench memory limit (a memory cgroup)', () => {
  // Two Node processes, one filling 1 GiB: seconds on a busy machine, past vitest's 5-s default.
  it('gives Node a heap ceiling from the limit and kills a process that goes past it', { timeout: 60_000 }, () => {
    const limit = createMemoryLimit('unit', 1024 * MiB);
    if ('unavailable' in limit) {
      expect(limit.unavailable).toMatch(/cgroup/);
      return;
    }
    try {
      const heapCeiling = run(limit.wrap(process.execPath, ['-e', 'console.log(require("v8").getHeapStatistics().heap_size_limit)']));
      // About half the limit; on this host without a limit it is about 4 GB.
      expect(Number(heapCeiling.output)).toBeLessThan(600 * MiB);
      expect(limit.read().oomKills).toBe(0);

      const hog = run(limit.wrap(process.execPath, ['-e', 'const kept = []; for (let i = 0; i < 120; i++) kept.push(Buffer.alloc(10 * 1048576, 1)); console.log("survived")']));
      expect(hog.output).not.toContain('survived');
      expect(limit.read().oomKills).toBeGreaterThanOrEqual(1);
      expect(limit.read().peakBytes).toBeGreaterThan(900 * MiB);
    } finally {
      limit.remove();
    }
  });
});

function run({ command, args }: { command: string; args: string[] }): { output: string } {
  try {
    return { output: execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() };
  } catch (error) {
    return { output: String((error as { stdout?: string }).stdout ?? '') };
  }
}
