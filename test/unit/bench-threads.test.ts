import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { threadsPerPayment } from '../../bench/phases';
import { ThreadsMeter } from '../../bench/procs';
import { workerThreadsTable } from '../../bench/report';

// A process whose main thread waits while threads burn CPU and exit, one after another (600 ms, then six of 80 ms):
// gone by the end of the window, their time must show as "ended threads", as the worker's per-call watchdogs do.
const program = `
const { Worker } = require('node:worker_threads');
const burn = (ms) => \`const end = process.cpuUsage().user + \${ms} * 1000; while (process.cpuUsage().user < end);\`;
const run = (ms) => new Promise((resolve) => new Worker(burn(ms), { eval: true }).on('exit', resolve));
process.stdin.once('data', async () => {
  await run(600);
  for (let i = 0; i < 6; i++) await run(80);
  process.stdout.write('done\\n');
});
process.stdout.write('ready\\n');
`;

describe('bench per-thread CPU of a process', () => {
  it('counts the CPU of threads that ended within the window apart from the live threads', async () => {
    const child = spawn(process.execPath, ['-e', program], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const lines = child.stdout.setEncoding('utf8');
      await once(lines, 'data');
      const meter = new ThreadsMeter(child.pid).start();
      child.stdin.write('go\n');
      await once(lines, 'data');
      const usage = meter.stop();
      expect(usage).not.toBeNull();
      const total = usage!.userSeconds + usage!.systemSeconds;
      // 600 + 6 × 80 ms of the process's CPU burnt in threads that have all ended by now (each burns until the whole
      // process has used its share more, so a busy main thread would shorten it; here the main thread waits).
      expect(total).toBeGreaterThan(1.0);
      expect(usage!.endedThreadsSeconds).toBeGreaterThan(0.8);
      expect(usage!.endedThreadsSeconds).toBeLessThanOrEqual(total);
      const perPayment = threadsPerPayment(usage, 10);
      expect(perPayment!.endedThreadsMs).toBeCloseTo((usage!.endedThreadsSeconds * 1000) / 10, 1);
      const live = Object.values(perPayment!.byThreadMs).reduce((sum, ms) => sum + ms, 0);
      expect(live).toBeLessThan(perPayment!.endedThreadsMs);
    } finally {
      child.kill();
    }
  }, 30_000);

  it('puts a live thread\'s CPU under its own name', async () => {
    const live = `
const { Worker } = require('node:worker_threads');
new Worker('const end = process.cpuUsage().user + 400_000; while (process.cpuUsage().user < end); setInterval(() => {}, 1000);', { eval: true });
setTimeout(() => process.stdout.write('done\\n'), 1500);
setInterval(() => {}, 1000);
`;
    const child = spawn(process.execPath, ['-e', live], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const meter = new ThreadsMeter(child.pid).start();
      await once(child.stdout, 'data');
      const usage = meter.stop();
      const perPayment = threadsPerPayment(usage, 1);
      // Node 24 names the thread WorkerThread and Node 20 leaves every thread "node": the busiest thread is the burner,
      // which stops once the process as a whole has used 400 ms more (start-up on other threads counts in that).
      expect(usage!.threads[0]!.tid).not.toBe(child.pid);
      expect(usage!.threads[0]!.seconds).toBeGreaterThan(0.25);
      expect(perPayment!.byThreadMs[usage!.threads[0]!.name]).toBeGreaterThan(250);
      expect(perPayment!.endedThreadsMs).toBeLessThan(100);
    } finally {
      child.kill();
    }
  }, 30_000);

  it('reads nothing for a process that is gone, and the table shows it as a dash', () => {
    expect(new ThreadsMeter(2 ** 22 + 1).start().stop()).toBeNull();
    expect(threadsPerPayment(null, 10)).toBeNull();
    const table = workerThreadsTable([
      { openPending: 0, probeWorkerThreads: { userMs: 40.26, systemMs: 8.14, minorFaults: 120.4, majorFaults: 0, byThreadMs: { MainThread: 20.3, WorkerThread: 18.04 }, endedThreadsMs: 3.96 } },
      { openPending: 2_000, probeWorkerThreads: { userMs: 50, systemMs: 9, minorFaults: 130, majorFaults: 0, byThreadMs: { WorkerThread: 24.5, MainThread: 21, V8Worker: 2.26 }, endedThreadsMs: 4 } },
      { openPending: 10_000, probeWorkerThreads: null },
    ]);
    expect(table.at(-5)).toBe('| open pending | user ms | system ms | WorkerThread ms | MainThread ms | V8Worker ms | ended threads ms | minor faults |');
    expect(table.at(-3)).toBe('| 0 | 40.3 | 8.1 | 18 | 20.3 | 0 | 4 | 120 |');
    expect(table.at(-2)).toBe('| 2000 | 50 | 9 | 24.5 | 21 | 2.3 | 4 | 130 |');
    expect(table.at(-1)).toBe('| 10000 | – | – | – | – | – | – | – |');
  });
});
