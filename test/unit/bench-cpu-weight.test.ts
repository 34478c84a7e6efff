import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpuWeightGroup } from '../../bench/cpu-weight';
import { descendantsOf } from '../../bench/procs';

const cpuSecondsOf = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
/** The first CPU this process may run on (a cpuset can leave CPU 0 out). */
const firstAllowedCpu = () => /Cpus_allowed_list:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;

// docker-compose.yml's cpu_shares as a real cgroup v1 cpu cgroup. Making one needs root and a writable cgroup v1 cpu
// controller (as on the CI machines); elsewhere creating one says why, and the bench runs every process at the same
// weight (its report says so).
describe('bench cpu weight (a cpu cgroup)', () => {
  it('starts commands inside the group, adopts a running process tree, and releases every member back to the root', (context) => {
    const group = createCpuWeightGroup('unit', 64);
    if ('unavailable' in group) return context.skip(group.unavailable);
    const sleeper = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    const sleeperPid = sleeper.pid!;
    let children: number[] = [];
    try {
      expect(readFileSync(path.join(group.dir, 'cpu.shares'), 'utf8').trim()).toBe('64');
      const { command, args } = group.wrap('/bin/cat', ['/proc/self/cgroup']);
      expect(execFileSync(command, args, { encoding: 'utf8' })).toContain(path.basename(group.dir));
      expect(group.contains(process.pid)).toBe(false);

      waitUntil(() => descendantsOf(sleeperPid).length > 0);
      children = descendantsOf(sleeperPid);
      expect(group.contains(sleeperPid)).toBe(false);
      group.adopt(sleeperPid, undefined);
      for (const pid of [sleeperPid, ...children]) expect(group.contains(pid)).toBe(true);

      group.release();
      for (const pid of [sleeperPid, ...children]) expect(group.contains(pid)).toBe(false);
      expect(group.wrap('/bin/true', [])).toEqual({ command: '/bin/true', args: [] });
      group.adopt(sleeperPid);
      expect(group.contains(sleeperPid)).toBe(true);
      expect(group.wrap('/bin/true', []).command).toBe('/bin/sh');
    } finally {
      // Its children first: once the shell is gone they are no longer its descendants.
      for (const pid of [...children, ...descendantsOf(sleeperPid)]) killQuietly(pid);
      sleeper.kill('SIGKILL');
      waitUntil(() => readFileSync(path.join(group.dir, 'cgroup.procs'), 'utf8').trim() === '');
      group.remove();
    }
  });

  // What the weight is for: two busy loops on one core, one inside the group at 64 and one outside at 1024. The kernel
  // gives the outside one about 16 times the CPU (whatever else runs on that core takes from both); 3 times leaves room.
  it('gives a process outside the group most of a contended core', { timeout: 20_000 }, (context) => {
    const group = createCpuWeightGroup('unit-contended', 64);
    if ('unavailable' in group) return context.skip(group.unavailable);
    const busy = ['-c', firstAllowedCpu(), process.execPath, '-e', 'const end = Date.now() + 4000; while (Date.now() < end);'];
    const inside = group.wrap('/usr/bin/taskset', busy);
    const weighted = spawn(inside.command, inside.args, { stdio: 'ignore' });
    const unweighted = spawn('/usr/bin/taskset', busy, { stdio: 'ignore' });
    try {
      // Measured after both have started, so start-up (node loading, before the loop) is left out.
      execFileSync('sleep', ['1']);
      const [light0, heavy0] = [cpuSecondsOf(weighted.pid!), cpuSecondsOf(unweighted.pid!)];
      execFileSync('sleep', ['2']);
      const light = cpuSecondsOf(weighted.pid!) - light0;
      const heavy = cpuSecondsOf(unweighted.pid!) - heavy0;
      expect(heavy).toBeGreaterThan(3 * light);
    } finally {
      weighted.kill('SIGKILL');
      unweighted.kill('SIGKILL');
      waitUntil(() => readFileSync(path.join(group.dir, 'cgroup.procs'), 'utf8').trim() === '');
      group.remove();
    }
  });
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function waitUntil(condition: () => boolean): void {
  for (let i = 0; i < 200 && !condition(); i++) execFileSync('sleep', ['0.02']);
  expect(condition()).toBe(true);
}
