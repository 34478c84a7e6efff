"""Runs a command with the io_uring system calls refused (EPERM), as the default seccomp profile of Docker 25+ and
containerd 2.0 (Kubernetes' RuntimeDefault) refuses them to the image's processes.

Usage: python3 bench/without-io-uring.py COMMAND [ARG...]

Hand-written with ctypes: Node has no seccomp API, and this needs no compiler or package (the filter is five
instructions). Children inherit the filter, so tsx's node child runs under it too.
"""

import ctypes
import errno
import os
import sys

# io_uring_setup, io_uring_enter and io_uring_register: the same numbers on x86_64, arm64 and i386 (Linux 5.1 added
# them to the unified system call table).
IO_URING_FIRST, IO_URING_LAST = 425, 427

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000

BPF_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
BPF_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
BPF_JGT_K = 0x25  # BPF_JMP | BPF_JGT | BPF_K
BPF_RET_K = 0x06  # BPF_RET | BPF_K
SECCOMP_DATA_NR = 0  # offsetof(struct seccomp_data, nr)


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(SockFilter))]


def refuse_io_uring() -> None:
    program = (SockFilter * 5)(
        SockFilter(BPF_LD_W_ABS, 0, 0, SECCOMP_DATA_NR),
        SockFilter(BPF_JGE_K, 0, 2, IO_URING_FIRST),  # nr < first: allow
        SockFilter(BPF_JGT_K, 1, 0, IO_URING_LAST),  # nr > last: allow
        SockFilter(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
        SockFilter(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
    )
    fprog = SockFprog(len(program), program)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: without-io-uring.py COMMAND [ARG...]")
    refuse_io_uring()
    os.execvp(sys.argv[1], sys.argv[1:])
