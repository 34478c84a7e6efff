import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCpuWeightGroup, sharesToWeight } from '../../bench/cpu-weight';
import { descendantsOf } from '../../bench/procs';

const cgroupOf = (pid: number | 'self') => readFileSync(`/proc/${pid}/cgroup`, 'utf8');
const cpuSecondsOf = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

describe('sharesToWeight', () => {
  it("converts cgroup v1 cpu shares to v2 weights as container runtimes do, bounds and Docker's default included", () => {
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(64)).toBe(3);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(262_144)).toBe(10_000);
  });
});

// docker-compose.yml's cpu_shares as a real cpu cgroup. Making one needs root and a writable cpu controller (as on the
// CI machines); elsewhere creating one says why (and the bench runs with every process equal).
describe('bench cpu weight (a cpu cgroup)', () => {
  it('starts a command inside the group, adopts a running process with its children, and changes its weight in place', (context) => {
    const group = createCpuWeightGroup('unit', 64);
    if ('unavailable' in group) return context.skip(group.unavailable);
    const name = path.basename(group.dir);
    const sleeper = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    try {
      const { command, args } = group.wrap('/bin/cat', ['/proc/self/cgroup']);
      expect(execFileSync(command, args, { encoding: 'utf8' })).toContain(name);
      expect(cgroupOf('self')).not.toContain(name);

      const sleeperPid = sleeper.pid!;
      waitUntil(() => descendantsOf(sleeperPid).length > 0);
      group.adopt(sleeperPid, undefined);
      for (const pid of [sleeperPid, ...descendantsOf(sleeperPid)]) expect(cgroupOf(pid)).toContain(name);

      const weightFile = readFileSync(path.join(group.dir, 'cpu.shares'), 'utf8').trim() === '64' ? 'cpu.shares' : 'cpu.weight';
      group.setShares(1024);
      expect(readFileSync(path.join(group.dir, weightFile), 'utf8').trim()).toBe(weightFile === 'cpu.shares' ? '1024' : '39');
      expect(group.shares).toBe(1024);
    } finally {
      // Its children first: once the shell is gone they are no longer its descendants.
      for (const pid of descendantsOf(sleeper.pid!)) process.kill(pid, 'SIGKILL');
      sleeper.kill('SIGKILL');
      waitUntil(() => readFileSync(path.join(group.dir, 'cgroup.procs'), 'utf8').trim() === '');
      group.remove();
    }
  });

  // What the weight is for: two busy loops on one core, one inside the group at 64 and one outside at 1024. The kernel
  // gives the outside one about 16 times the CPU; a ratio of 3 leaves room for a busy machine.
  it('gives a process outside the group most of a contended core', { timeout: 20_000 }, (context) => {
    const group = createCpuWeightGroup('unit-contended', 64);
    if ('unavailable' in group) return context.skip(group.unavailable);
    const busy = ['-c', '0', process.execPath, '-e', 'const end = Date.now() + 3000; while (Date.now() < end);'];
    const inside = group.wrap('/usr/bin/taskset', busy);
    const weighted = spawn(inside.command, inside.args, { stdio: 'ignore' });
    const unweighted = spawn('/usr/bin/taskset', busy, { stdio: 'ignore' });
    try {
      execFileSync('sleep', ['2']);
      const light = cpuSecondsOf(weighted.pid!);
      const heavy = cpuSecondsOf(unweighted.pid!);
      expect(heavy).toBeGreaterThan(0.5);
      expect(heavy).toBeGreaterThan(3 * light);
    } finally {
      weighted.kill('SIGKILL');
      unweighted.kill('SIGKILL');
      waitUntil(() => readFileSync(path.join(group.dir, 'cgroup.procs'), 'utf8').trim() === '');
      group.remove();
    }
  });
});

function waitUntil(condition: () => boolean): void {
  for (let i = 0; i < 200 && !condition(); i++) execFileSync('sleep', ['0.02']);
  expect(condition()).toBe(true);
}
