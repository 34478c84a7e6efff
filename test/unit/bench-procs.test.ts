import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { commandLine, descendantsOf, findNodeProgram } from '../../bench/procs';

const NEEDLE = 'src/bench-procs-program.ts';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-procs-'));

// The bench reads a service's CPU and memory from the program tsx runs, found below the process it spawned by the
// entry named on the command line. A wrapper that forks before it becomes the program (pyenv's python3 shim runs
// subshells, each a copy of its own command line) must not be taken for it: its pid is gone a moment later, and
// every reading of the run would be empty.
describe('the program below a spawned wrapper', () => {
  let root: ChildProcess | undefined;

  afterEach(() => {
    if (root?.pid) process.kill(-root.pid, 'SIGKILL');
    root = undefined;
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is not a short-lived fork of the wrapper whose command line names the entry too', async () => {
    const program = `${JSON.stringify(process.execPath)} -e 'console.log(process.pid); setInterval(() => {}, 1000)' ${NEEDLE}`;
    // The subshell `(sleep 1; true)` is a fork of the shell, with the shell's command line, for a second.
    root = spawn('bash', ['-c', `(sleep 1; true); ${program}; true`], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = root.pid!;
    await expect.poll(() => descendantsOf(pid).filter((p) => commandLine(p).includes(NEEDLE)).length).toBeGreaterThan(0);

    expect(findNodeProgram(pid, NEEDLE)).toBeUndefined();

    const [printed] = (await once(root.stdout!, 'data')) as [Buffer];
    expect(findNodeProgram(pid, NEEDLE)).toBe(Number(printed.toString().trim()));
  });

  it("is the program tsx runs, not tsx's own launcher, when both are below the wrapper and name the entry", async () => {
    const program = `setInterval(() => {}, 1000); console.log(process.pid)`;
    const launcher = path.join(tmp, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    mkdirSync(path.dirname(launcher), { recursive: true });
    writeFileSync(
      launcher,
      `import { spawn } from 'node:child_process';
       spawn(process.execPath, ['-e', ${JSON.stringify(program)}, process.argv[2]], { stdio: 'inherit' });
       setInterval(() => {}, 1000);`,
    );
    root = spawn('bash', ['-c', `${JSON.stringify(process.execPath)} ${launcher} ${NEEDLE}; true`], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });

    const [printed] = (await once(root.stdout!, 'data')) as [Buffer];
    expect(findNodeProgram(root.pid!, NEEDLE)).toBe(Number(printed.toString().trim()));
  });
});
