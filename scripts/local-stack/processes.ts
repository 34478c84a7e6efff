import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './binaries';
import { sleep, waitFor } from './waiting';

export const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

export interface ServiceProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Appended to a file (each start begins with a marker line), or this terminal's output. */
  output: { logFile: string } | 'inherit';
  /** An IPC channel, for a child that reports readiness with process.send. */
  ipc?: boolean;
}

/** Process groups still alive when this process exits: killed outright (last resort, synchronous). */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pgid of liveGroups) signal(-pgid, 'SIGKILL');
});

function signal(target: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, name);
    return true;
  } catch {
    return false; // gone already
  }
}

/**
 * A child process in its own process group, so a signal reaches everything it runs (tsx runs the program in a
 * grandchild node process; the group takes both). It can be started again after it stopped or was killed.
 */
export class ServiceProcess {
  child: ChildProcess | undefined;
  startedAt = 0;
  starts = 0;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly options: ServiceProcessOptions,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get logFile(): string | undefined {
    return this.options.output === 'inherit' ? undefined : this.options.output.logFile;
  }

  start(): ChildProcess {
    if (this.running) throw new Error(`${this.name} is already running`);
    const { env, cwd = PROJECT_ROOT, ipc } = this.options;
    let fd: number | undefined;
    if (this.logFile) {
      mkdirSync(path.dirname(this.logFile), { recursive: true });
      appendFileSync(this.logFile, `\n--- ${new Date().toISOString()} start #${this.starts + 1}\n`);
      // The child writes to the file itself: nothing of its output passes through (or costs CPU in) this process.
      fd = openSync(this.logFile, 'a');
    }
    const stdio: StdioOptions = ['ignore', fd ?? 'inherit', fd ?? 'inherit', ...(ipc ? (['ipc'] as const) : [])];
    const child = spawn(this.command, this.args, { cwd, env, detached: true, stdio });
    if (fd !== undefined) closeSync(fd);
    if (!child.pid) throw new Error(`could not start ${this.name} (${this.command})`);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.child = child;
    this.startedAt = Date.now();
    this.starts += 1;
    liveGroups.add(child.pid);
    return child;
  }

  private groupAlive(): boolean {
    return this.child?.pid !== undefined && signal(-this.child.pid, 0);
  }

  /** SIGKILL to the group, no goodbye: in-flight activities, HTTP requests and connections are simply cut. */
  async kill(): Promise<void> {
    const pid = this.child?.pid;
    if (!pid) return;
    signal(-pid, 'SIGKILL');
    await this.exited;
    await waitFor(`${this.name} process group to disappear`, async () => !this.groupAlive(), 10_000, 50);
    liveGroups.delete(pid);
  }

  /** SIGTERM to the group (the worker drains, the API closes), SIGKILL for what is left after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const pid = this.child?.pid;
    if (!pid || !this.groupAlive()) return;
    signal(-pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (this.groupAlive() && Date.now() < deadline) await sleep(100);
    if (this.groupAlive()) signal(-pid, 'SIGKILL');
    await this.exited;
    liveGroups.delete(pid);
  }

  /** The end of its log file, for an error message. */
  logTail(lines = 30): string {
    if (!this.logFile) return '(output went to the terminal)';
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/** A TypeScript entry point of this project (`src/worker.ts`, `src/server.ts`, …) run with tsx. */
export function tsxService(name: string, entry: string, options: ServiceProcessOptions & { tsxArgs?: string[] }): ServiceProcess {
  const { tsxArgs = [], ...rest } = options;
  return new ServiceProcess(name, TSX, [...tsxArgs, entry], rest);
}

export async function isPortOpen(host: string, port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
