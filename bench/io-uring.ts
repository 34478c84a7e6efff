import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../scripts/local-stack/binaries';

/**
 * The image's processes run under their container runtime's default seccomp profile, which refuses io_uring since
 * Docker 25 and containerd 2.0 (Kubernetes' RuntimeDefault). It matters to the worker on Node 24: the SDK's deadlock
 * watchdog starts a thread with a libuv loop of its own on every entry into a workflow, and libuv sets up an io_uring
 * for each loop it may. The bench starts every service the same way (bench/without-io-uring.py) unless a side's
 * environment sets this to `allowed` (`--tune BENCH_IO_URING=allowed` compares the two).
 */
export const IO_URING_SETTING = 'BENCH_IO_URING';

const WRAPPER = path.join(PROJECT_ROOT, 'bench', 'without-io-uring.py');

export type IoUringRefusal = { refused: true } | { refused: false; reason: string };

let probed: IoUringRefusal | undefined;

/** Whether this machine can start a process with io_uring refused (python3 and seccomp filters), probed once. */
export function ioUringRefusal(): IoUringRefusal {
  probed ??= (() => {
    const probe = spawnSync('python3', [WRAPPER, 'true'], { encoding: 'utf8' });
    if (probe.error) return { refused: false, reason: `python3 did not start: ${probe.error.message}` };
    if (probe.status !== 0) return { refused: false, reason: `the seccomp filter was refused: ${probe.stderr.trim().split('\n').at(-1)}` };
    return { refused: true };
  })();
  return probed;
}

/** The command run with io_uring refused, when this machine can and the side's environment does not allow it. */
export function withIoUringAsContainersRunIt(started: { command: string; args: string[] }, env: NodeJS.ProcessEnv): { command: string; args: string[] } {
  if (env[IO_URING_SETTING] === 'allowed' || !ioUringRefusal().refused) return started;
  return { command: 'python3', args: [WRAPPER, started.command, ...started.args] };
}
