import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { removeCgroupQuietly, startInCgroup } from './cgroup';
import { descendantsOf } from './procs';

/**
 * docker-compose.yml's `cpu_shares` without a container engine: one cpu cgroup holding the background tier (every
 * worker, Temporal and Temporal's PostgreSQL) at compose's weight for it, made inside the bench's own cpu cgroup,
 * where the latency tier (the API, our PostgreSQL) and the outside world (the simulator, the bench) stay at the
 * default weight: each runnable thread there weighs 1024. A weight only counts while the cores are saturated: an idle
 * latency tier lends its share to the background, so the weight moves no work, only who waits when there is too much.
 *
 * It favours the latency tier more than compose does: compose gives each container a group of its own (the API's and
 * PostgreSQL's at 1024 each), here every thread of the latency tier counts 1024 against the background's 64 in all.
 * cgroup v1 only: under v2 a process is in one cgroup for every controller, and the scale phase's worker is already in
 * a memory cgroup (memory-limit.ts).
 */
export interface CpuWeightGroup {
  /** The cgroup's directory. */
  dir: string;
  shares: number;
  /** Whether commands start inside the group (false after `release`, until the next `adopt`). */
  active: boolean;
  /** The command that starts `command args` inside the group while it is active (everything it starts is inside too). */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /** Moves running processes and all their descendants into the group, and starts later commands inside again. */
  adopt(...roots: Array<number | undefined>): void;
  /** Moves every process of the group back to the bench's own cgroup, and starts later commands there: all equal. */
  release(): void;
  /** Whether the process runs in the group. */
  contains(pid: number | undefined): boolean;
  /** Removes the group once nothing runs in it. */
  remove(): void;
}

/** The kernel's default weight: what every process outside the group runs at. */
export const DEFAULT_CPU_SHARES = 1024;

const V1_ROOT = '/sys/fs/cgroup/cpu';

/** A cgroup v1 cpu cgroup at `shares`, or why none can be made here. */
export function createCpuWeightGroup(name: string, shares: number): CpuWeightGroup | { unavailable: string } {
  if (!existsSync(path.join(V1_ROOT, 'cpu.shares'))) return { unavailable: 'no cgroup v1 cpu controller (the bench sets cpu weights on cgroup v1 only)' };
  // Inside the bench's own cgroup (the root here, a slice or a runner's service elsewhere): released processes go back
  // there, beside the processes they are compared with, not above them.
  const own = cpuCgroupOf(process.pid);
  if (own === undefined) return { unavailable: "this process's cpu cgroup is not in /proc/self/cgroup" };
  const parent = path.join(V1_ROOT, own);
  const dir = path.join(parent, `tiketq-bench-${name}-${process.pid}-${Date.now().toString(36)}`);
  try {
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'cpu.shares'), String(shares));
  } catch (error) {
    removeCgroupQuietly(dir);
    return { unavailable: `cannot create a cpu cgroup: ${error instanceof Error ? error.message : String(error)}` };
  }
  const move = (into: string, pid: number) => {
    try {
      writeFileSync(path.join(into, 'cgroup.procs'), String(pid));
    } catch {
      // Exited meanwhile: nothing left to weigh.
    }
  };
  const group: CpuWeightGroup = {
    dir,
    shares,
    active: true,
    wrap: (command, args) => (group.active ? startInCgroup(dir, command, args) : { command, args }),
    adopt(...roots) {
      group.active = true;
      for (const root of roots) {
        if (root === undefined) continue;
        // The root first, so what it forks from now on is born inside; then its descendants until no new one appears.
        move(dir, root);
        const moved = new Set<number>();
        for (let fresh = descendantsOf(root); fresh.length > 0; fresh = descendantsOf(root).filter((pid) => !moved.has(pid))) {
          for (const pid of fresh) {
            move(dir, pid);
            moved.add(pid);
          }
        }
      }
    },
    release() {
      group.active = false;
      // Again until empty: a process forked by a member between the read and the move is born inside.
      for (let round = 0; round < 20 && members(dir).length > 0; round++) for (const pid of members(dir)) move(parent, pid);
      if (members(dir).length > 0) throw new Error(`cannot empty the cpu cgroup ${dir}: ${members(dir).join(', ')} stay in it`);
    },
    contains: (pid) => pid !== undefined && members(dir).includes(pid),
    remove: () => removeCgroupQuietly(dir),
  };
  return group;
}

function members(dir: string): number[] {
  return readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
}

/** The process's cgroup in the cpu hierarchy (`/proc/<pid>/cgroup`, a line `N:cpu[,cpuacct]:/path`). */
function cpuCgroupOf(pid: number): string | undefined {
  try {
    for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
      const [, controllers, cgroup] = line.split(':');
      if (controllers?.split(',').includes('cpu')) return cgroup;
    }
  } catch {
    // Gone.
  }
  return undefined;
}
