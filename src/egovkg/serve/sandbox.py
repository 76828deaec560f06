"""Close a process's road to the network: a seccomp filter that refuses new IPv4/IPv6 sockets.

The query worker applies it to itself before it runs any query, so a SERVICE clause, or
any other request the engine might be talked into making, fails inside the worker whatever
the query's text hides: the refusal by the parsed query gives the message, this is the
guarantee. The filter allows everything else (files, pipes, Unix sockets), is inherited
by threads, and cannot be lifted (no_new_privs). Linux on x86-64 and aarch64 only; on
other systems :func:`deny_network` returns False and the caller decides.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import socket
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_KILL_PROCESS = 0x80000000
# (AUDIT_ARCH_*, socket, socketpair syscall numbers)
ARCHES = {
    "x86_64": (0xC000003E, 41, 53),
    "aarch64": (0xC00000B7, 198, 199),
}
# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]
OFF_NR, OFF_ARCH, OFF_ARG0 = 0, 4, 16
BPF_LD_W_ABS, BPF_JEQ_K, BPF_RET_K = 0x20, 0x15, 0x06


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _program(arch: int, nr_socket: int) -> bytes:
    refuse = SECCOMP_RET_ERRNO | errno.EACCES
    return b"".join(
        [
            _insn(BPF_LD_W_ABS, 0, 0, OFF_ARCH),
            _insn(BPF_JEQ_K, 1, 0, arch),  # another ABI (x32, i386 on x86-64): kill rather than guess
            _insn(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
            _insn(BPF_LD_W_ABS, 0, 0, OFF_NR),
            _insn(BPF_JEQ_K, 0, 4, nr_socket),
            _insn(BPF_LD_W_ABS, 0, 0, OFF_ARG0),  # the domain (low 32 bits on little-endian)
            _insn(BPF_JEQ_K, 1, 0, socket.AF_INET),
            _insn(BPF_JEQ_K, 0, 1, socket.AF_INET6),
            _insn(BPF_RET_K, 0, 0, refuse),
            _insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
        ]
    )


def deny_network() -> bool:
    """Refuse new IPv4 and IPv6 sockets in this process from now on; False where unsupported."""
    if not sys.platform.startswith("linux") or sys.byteorder != "little":
        return False
    spec = ARCHES.get(platform.machine())
    if spec is None:
        return False
    arch, nr_socket, _nr_socketpair = spec
    prog = _program(arch, nr_socket)
    count = len(prog) // 8
    buf = ctypes.create_string_buffer(prog, len(prog))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(count, ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        return False
    return True


__all__ = ["deny_network"]
