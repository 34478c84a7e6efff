import { rmdirSync } from 'node:fs';

/** What the bench's cgroups share (memory-limit.ts, cpu-weight.ts): joining one at start, and removing it. */

/** The command that starts `command args` inside the cgroup at `dir`; everything it starts is inside too. */
export function startInCgroup(dir: string, command: string, args: string[]): { command: string; args: string[] } {
  // The shell joins the cgroup, then becomes the command: its pid and process group stay the ones spawned.
  return { command: '/bin/sh', args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, command, ...args] };
}

export function removeCgroupQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Still has a process in it, or was never made: an empty cgroup left behind holds no memory and weighs nothing.
  }
}
