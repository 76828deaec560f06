"""Calls run in forked child processes, their results (or errors) sent back through a pipe.

The build renders its outputs side by side with this: a child is forked when its output is
due, so it inherits the built graph (copy-on-write, nothing pickled on the way in) and sends
back only a small result. At most ``jobs`` children run at once. A child never returns into
the caller's code: it leaves with ``os._exit`` (no ``finally``, ``atexit`` or buffered output
of the parent runs twice). When the caller stops early (an error, Ctrl-C), every child still
running is killed and reaped, with whatever it started (each child leads a process group); when
the caller is killed, the kernel kills its children (Linux). A child runs with the cyclic
garbage collector off: it lives for one call, and its collections would scan (and copy, page
by page) the whole inherited heap for garbage that its exit frees anyway.

Where ``os.fork`` is missing, or a thread other than the caller's runs (a fork would copy a
lock another thread holds), or ``jobs`` is 1, the calls run in the calling process, one at a
time, with the same results and errors.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from egovkg.errors import EgovkgError


class WorkerDied(EgovkgError):
    """A child process ended without a result (killed by a signal, or out of memory)."""


def can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


@dataclass
class _Child:
    name: str
    pid: int
    fd: int
    counted: bool = True  # takes one of the ``jobs`` places
    data: bytearray = field(default_factory=bytearray)


@dataclass
class Done:
    """One finished call: its name, result, the seconds it ran and the CPU seconds it used
    (user + system, its own children included; None when it ran in this process)."""

    name: str
    result: Any
    seconds: float
    cpu: float | None = None


def _portable(name: str, exc: BaseException) -> tuple[Any, ...]:
    """The error as it can cross the pipe: its class, args and attributes (rebuilt without
    calling ``__init__``, which may take keyword-only arguments), else a WorkerDied naming it."""
    state = (type(exc), exc.args, dict(vars(exc)))
    try:
        _rebuilt(pickle.loads(pickle.dumps(state)))
        return state
    except Exception:  # noqa: BLE001 - any error of pickling: send a description instead
        return (WorkerDied, (f"{name}: {type(exc).__name__}: {exc}",), {})


def _rebuilt(state: tuple[Any, ...]) -> BaseException:
    cls, args, attrs = state
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(attrs)
    return exc


def _own_group(parent: int, close: Iterable[int]) -> None:
    """Make this child the leader of a process group of its own (its parent's close() kills
    the group: the child and a pool of writers it started), close the descriptors it must not
    hand on (the output folder's lock), and have the kernel kill it when its parent dies
    (Linux), so a build killed with SIGKILL leaves no child writing on into its staging set."""
    os.setpgid(0, 0)
    for fd in close:
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's close() still ends its children
        return
    if os.getppid() != parent:  # the parent died before the call above
        os.killpg(0, signal.SIGKILL)


class Forked:
    """Up to ``jobs`` calls at once in forked children (``jobs`` 1: in this process)."""

    def __init__(self, jobs: int | None = None) -> None:
        wanted = jobs if jobs is not None else (os.cpu_count() or 1)
        self.jobs = max(1, wanted) if can_fork() else 1
        self._running: dict[int, _Child] = {}  # by the pipe's read end
        self._inline: list[Done] = []  # results of calls run in this process, not yet collected
        # children poll() found ended, with their exit status and CPU time: their results (or
        # errors) are read out by wait(), in the order they ended, never by poll()
        self._ended: list[tuple[_Child, int, float]] = []
        self.close_in_children: set[int] = set()  # descriptors a child closes first (a lock it must not keep)

    @property
    def running(self) -> int:
        return len(self._running) + len(self._inline) + len(self._ended)

    def full(self) -> bool:
        """Whether ``jobs`` calls are under way (in this process: one whose result was not
        collected yet); a caller waits for one (:meth:`wait`) before it starts another."""
        return sum(child.counted for child in self._running.values()) + len(self._inline) >= self.jobs

    def start(self, name: str, fn: Callable[[], Any], *, counted: bool = True) -> None:
        """Start ``fn()``: in a child when ``jobs`` > 1 (however many run: see :meth:`full`),
        else here, at once. ``counted`` False: a call that takes no place of the ``jobs`` (a
        short one run beside them, whose core would otherwise idle)."""
        if self.jobs == 1:
            t = time.perf_counter()
            result = fn()
            self._inline.append(Done(name, result, time.perf_counter() - t))
            return
        r, w = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 0
            try:
                os.close(r)
                _own_group(parent, self.close_in_children)
                gc.disable()  # a short life ending in os._exit: what it allocates is freed with it
                t = time.perf_counter()
                try:
                    payload = pickle.dumps((True, fn(), time.perf_counter() - t))
                except BaseException as exc:  # noqa: BLE001 - every error goes back to the parent
                    code = 1
                    payload = pickle.dumps((False, _portable(name, exc), time.perf_counter() - t))
                view = memoryview(payload)
                while view:
                    view = view[os.write(w, view) :]
            finally:
                os._exit(code)
        os.close(w)
        try:
            os.setpgid(pid, pid)  # as the child does: whichever runs first (no race with close())
        except OSError:  # the child has already made it, or has already ended
            pass
        self._running[r] = _Child(name, pid, r, counted)

    def wait_for(self, name: str) -> Done:
        """The result of the call ``name`` (waiting for it), or its error raised. The others
        that end meanwhile are kept for :meth:`wait`, which gives their results or raises their
        errors in turn: one call's error never surfaces while another is waited for."""
        for i, done in enumerate(self._inline):
            if done.name == name:
                return self._inline.pop(i)
        for i, ended in enumerate(self._ended):
            if ended[0].name == name:
                return self._result(*self._ended.pop(i))
        if not any(child.name == name for child in self._running.values()):
            raise RuntimeError(f"no call named {name} is running")
        while True:
            ended = self._reap(timeout=None)
            assert ended is not None  # noqa: S101 - with no timeout, it returns once a child ends
            if ended[0].name == name:
                return self._result(*ended)
            self._ended.append(ended)

    def wait(self) -> Done:
        """The next call to finish; its error is raised here."""
        return self._next()

    def poll(self) -> None:
        """Reap, without waiting, the children that have ended, so that :meth:`full` counts
        only the calls still running. Never raises a call's error: :meth:`wait` gives each
        result, or raises its error, in turn, as if it had waited for it."""
        while self._running:
            ended = self._reap(timeout=0)
            if ended is None:
                return
            self._ended.append(ended)

    def _next(self) -> Done:
        if self._inline:
            return self._inline.pop(0)
        if self._ended:
            return self._result(*self._ended.pop(0))
        if not self._running:
            raise RuntimeError("no call is running")
        ended = self._reap(timeout=None)
        assert ended is not None  # noqa: S101 - with no timeout, it returns once a child ends
        return self._result(*ended)

    def _reap(self, timeout: float | None) -> tuple[_Child, int, float] | None:
        """Read what the children have written until one ends (then it is reaped: it, its exit
        status and its CPU time) or, with a ``timeout``, until none has more to give (None)."""
        while True:
            ready, _, _ = select.select(list(self._running), [], [], timeout)
            if not ready:
                return None
            for fd in ready:
                child = self._running[fd]
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    child.data += chunk
                    continue
                del self._running[fd]
                os.close(fd)
                _, status, usage = os.wait4(child.pid, 0)
                return child, status, usage.ru_utime + usage.ru_stime

    def results(self) -> Iterator[Done]:
        """Every call still running, as each finishes."""
        while self.running:
            yield self.wait()

    def _result(self, child: _Child, status: int, cpu: float) -> Done:
        try:
            ok, value, seconds = pickle.loads(bytes(child.data))
        except Exception:  # noqa: BLE001 - no (whole) payload: the child died
            how = (
                f"killed by signal {os.WTERMSIG(status)}"
                if os.WIFSIGNALED(status)
                else f"exit status {os.waitstatus_to_exitcode(status)}"
            )
            raise WorkerDied(f"{child.name}: its worker process ended without a result ({how})") from None
        if not ok:
            raise _rebuilt(value)
        return Done(child.name, value, seconds, cpu)

    def close(self) -> None:
        """Kill and reap every child still running (after an error, or an interrupt)."""
        for fd, child in list(self._running.items()):
            try:
                os.killpg(child.pid, signal.SIGKILL)  # the child and the processes it started
            except OSError:
                try:
                    os.kill(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.close(fd)
            try:
                os.waitpid(child.pid, 0)
            except ChildProcessError:
                pass
            del self._running[fd]
        self._inline.clear()
        self._ended.clear()

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["Done", "Forked", "WorkerDied", "can_fork"]
