import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readTreeCpuSeconds } from '../../bench/procs';

// A process tree's CPU only grows: a child's time moves from its own /proc entry into its parent's cutime when it is
// reaped, and a reading taken across that moment must count it once, not drop it (PostgreSQL's pool connections close
// while the bench waits for a quiet service, and a dropped backend made the service's CPU over a window negative).
describe('bench process-tree CPU', () => {
  it('never falls while the tree reaps children that used CPU', async () => {
    // Children each burning 40-90 ms of CPU, one after another, reaped by the shell as each ends.
    const tree = spawn('/bin/sh', ['-c', 'for i in $(seq 60); do awk "BEGIN{for(i=0;i<2000000;i++)x+=i}"; done'], { stdio: 'ignore' });
    const ended = new Promise<void>((resolve) => tree.on('exit', () => resolve()));
    let running = true;
    void ended.then(() => (running = false));
    const drops: number[] = [];
    let last = 0;
    let readings = 0;
    try {
      while (running) {
        const reading = readTreeCpuSeconds(tree.pid);
        if (reading === null) break;
        if (reading < last) drops.push(Math.round((last - reading) * 1000));
        last = Math.max(last, reading);
        readings += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      tree.kill();
      await ended;
    }
    expect(readings).toBeGreaterThan(100);
    expect(last).toBeGreaterThan(1);
    expect(drops, `readings fell by these ms: ${drops.join(', ')}`).toEqual([]);
  }, 60_000);
});
