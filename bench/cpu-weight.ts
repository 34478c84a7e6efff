import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readOrNull, removeCgroupQuietly, startInCgroup } from './cgroup';
import { descendantsOf } from './procs';

/**
 * docker-compose.yml's `cpu_shares` without a container engine: one cpu cgroup holding the background tier (every
 * worker, Temporal and Temporal's PostgreSQL) at compose's weight for it, while the latency tier (the API, our
 * PostgreSQL) and the outside world (the simulator, the bench) keep the default weight, 1024. A weight only counts
 * while the cores are saturated: an idle latency tier lends its share to the background, so the weight moves no work,
 * only who waits when there is too much of it.
 */
export interface CpuWeightGroup {
  /** The cgroup's directory. */
  dir: string;
  shares: number;
  /** The command that starts `command args` inside the group (everything it starts is inside too). */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /** Moves running processes and their descendants into the group (servers another module started). */
  adopt(...roots: Array<number | undefined>): void;
  /** Changes the weight in place: a comparison runs the same processes under both weights. */
  setShares(shares: number): void;
  /** Removes the group once nothing runs in it. */
  remove(): void;
}

/** The kernel's default weight: what every process outside the group runs at. */
export const DEFAULT_CPU_SHARES = 1024;

const V1_ROOT = '/sys/fs/cgroup/cpu';
const V2_ROOT = '/sys/fs/cgroup';

/** A cpu cgroup at `shares` (cgroup v1 `cpu.shares`, or v2 `cpu.weight` converted as container runtimes do). */
export function createCpuWeightGroup(name: string, shares: number): CpuWeightGroup | { unavailable: string } {
  const v1 = existsSync(path.join(V1_ROOT, 'cpu.shares'));
  const v2 = !v1 && readOrNull(path.join(V2_ROOT, 'cgroup.subtree_control'))?.split(/\s+/).includes('cpu');
  if (!v1 && !v2) return { unavailable: 'no writable cpu cgroup controller (cgroup v1 cpu, or v2 with cpu enabled)' };
  const dir = path.join(v1 ? V1_ROOT : V2_ROOT, `tiketq-bench-${name}-${process.pid}-${Date.now().toString(36)}`);
  const write = (value: number) =>
    writeFileSync(path.join(dir, v1 ? 'cpu.shares' : 'cpu.weight'), String(v1 ? value : sharesToWeight(value)));
  try {
    mkdirSync(dir);
    write(shares);
  } catch (error) {
    removeCgroupQuietly(dir);
    return { unavailable: `cannot create a cpu cgroup: ${error instanceof Error ? error.message : String(error)}` };
  }
  const group: CpuWeightGroup = {
    dir,
    shares,
    wrap: (command, args) => startInCgroup(dir, command, args),
    adopt(...roots) {
      for (const root of roots) {
        if (root === undefined) continue;
        for (const pid of [root, ...descendantsOf(root)]) {
          try {
            writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
          } catch {
            // Exited meanwhile: nothing left to weigh.
          }
        }
      }
    },
    setShares(value) {
      write(value);
      group.shares = value;
    },
    remove: () => removeCgroupQuietly(dir),
  };
  return group;
}

/** runc's conversion of cgroup v1 shares (2..262144) to v2 weight (1..10000). */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}
