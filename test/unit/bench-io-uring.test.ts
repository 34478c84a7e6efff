import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IO_URING_SETTING, ioUringRefusal, withIoUringAsContainersRunIt } from '../../bench/io-uring';

// A container runtime's default seccomp profile refuses io_uring (Docker 25+, containerd 2.0): the bench starts the
// services the same way. io_uring_setup is system call 425; its answer tells whether the filter is on.
const IO_URING_SETUP_ANSWER = [
  'import ctypes',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'params = ctypes.create_string_buffer(120)',
  'fd = libc.syscall(425, 1, params)',
  'print("refused" if fd < 0 and ctypes.get_errno() == 1 else "allowed" if fd >= 0 else f"errno {ctypes.get_errno()}")',
].join('\n');

/** Whether this test process may use io_uring: no seccomp filter of its own and io_uring enabled in the kernel. */
function hostAllowsIoUring(): boolean {
  const seccomp = /^Seccomp:\s*(\d)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  const disabled = existsSync('/proc/sys/kernel/io_uring_disabled') ? readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim() : '0';
  return seccomp === '0' && disabled === '0';
}

const run = ({ command, args }: { command: string; args: string[] }) => execFileSync(command, args, { encoding: 'utf8' }).trim();
const askIoUring = { command: 'python3', args: ['-c', IO_URING_SETUP_ANSWER] };

describe('bench services with io_uring refused', () => {
  it('can refuse io_uring on this machine', () => {
    expect(ioUringRefusal()).toEqual({ refused: true });
  });

  it('refuses io_uring_setup with EPERM under the wrapper and leaves it as the host has it without it', () => {
    expect(run(withIoUringAsContainersRunIt(askIoUring, {}))).toBe('refused');
    // Unconfined and with io_uring enabled (this repository's machines), the same question is answered without it.
    expect(run(askIoUring)).toBe(hostAllowsIoUring() ? 'allowed' : 'refused');
  });

  it('leaves the command as it is for a side whose environment allows io_uring', () => {
    expect(withIoUringAsContainersRunIt(askIoUring, { [IO_URING_SETTING]: 'allowed' })).toEqual(askIoUring);
  });

  it('refuses it to the processes the command starts too (tsx runs the service in a child node)', () => {
    const grandchild = `process.stdout.write(require('node:child_process').execFileSync('python3', ['-c', ${JSON.stringify(IO_URING_SETUP_ANSWER)}], { encoding: 'utf8' }))`;
    const started = withIoUringAsContainersRunIt({ command: process.execPath, args: ['-e', grandchild] }, {});
    expect(path.basename(started.command)).toBe('python3');
    expect(run(started)).toBe('refused');
  });
});
