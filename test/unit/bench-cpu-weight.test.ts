import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startInCgroup } from '../../bench/cgroup';
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
      removeOnceEmpty(group.dir, () => group.remove());
    }
  });

  // On a host where the bench runs in a slice or a CI runner's service, not in the root: the group is made inside that
  // cgroup, and a released process goes back there, beside the processes it is compared with.
  it("is made inside the bench's own cpu cgroup and releases into it", { timeout: 30_000 }, (context) => {
    const probe = createCpuWeightGroup('unit-parent', 1024);
    if ('unavailable' in probe) return context.skip(probe.unavailable);
    const script = [
      "import { createCpuWeightGroup } from './bench/cpu-weight';",
      "import { spawn } from 'node:child_process';",
      "const g = createCpuWeightGroup('unit-nested', 64);",
      "if ('unavailable' in g) throw new Error(g.unavailable);",
      "const child = spawn('sleep', ['30']);",
      'g.adopt(child.pid);',
      'const inside = g.contains(child.pid);',
      'g.release();',
      "const after = require('node:fs').readFileSync('/proc/' + child.pid + '/cgroup', 'utf8');",
      'console.log(JSON.stringify({ dir: g.dir, inside, released: g.contains(child.pid), after }));',
      "child.kill('SIGKILL'); g.remove();",
    ].join('\n');
    try {
      const { command, args } = startInCgroup(probe.dir, path.join(process.cwd(), 'node_modules/.bin/tsx'), ['-e', script]);
      const result = JSON.parse(execFileSync(command, args, { encoding: 'utf8', cwd: process.cwd() })) as { dir: string; inside: boolean; released: boolean; after: string };
      expect(path.dirname(result.dir)).toBe(probe.dir);
      expect(result.inside).toBe(true);
      expect(result.released).toBe(false);
      expect(result.after).toContain(`:/${path.basename(probe.dir)}\n`);
    } finally {
      removeOnceEmpty(probe.dir, () => probe.remove());
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
      removeOnceEmpty(group.dir, () => group.remove());
    }
  });
});

/** Removes a cgroup once its processes are gone, also when they are not gone in time (the test fails then). */
function removeOnceEmpty(dir: string, remove: () => void): void {
  try {
    waitUntil(() => readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim() === '');
  } finally {
    remove();
  }
}

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
