"""A pool of query worker processes (:mod:`egovkg.serve.worker`) driven from asyncio.

Each query goes to an idle worker with a deadline. A worker that passes the deadline, whose
client goes away, or that dies (a crash, the memory limit) is killed and replaced; the query
costs that process only, and the server answers the next request.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from egovkg.errors import EgovkgError

HEADER_SIZE = 4
START_TIMEOUT = 120.0  # seconds for a worker to import, load the data and say it is ready


@dataclass(frozen=True)
class QueryLimits:
    """What one query may take: ``timeout`` seconds (wall clock, queueing included), ``memory``
    bytes of worker address space (0: no limit), ``max_result`` bytes of serialised answer;
    ``workers`` processes answer at once; ``cache`` bytes of answers kept for repeated queries
    (0: none; the data served never changes, so an answer stays right)."""

    timeout: float = 30.0
    memory: int = 4 << 30
    max_result: int = 64 << 20
    workers: int = 2
    cache: int = 32 << 20

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise EgovkgError(f"query timeout {self.timeout!r}: give a number of seconds above 0")
        if self.memory < 0 or (0 < self.memory < 256 << 20):
            raise EgovkgError(f"query memory {self.memory!r}: give 0 (no limit) or at least 256 MiB")
        if self.max_result < 1:
            raise EgovkgError(f"result cap {self.max_result!r}: give a number of bytes above 0")
        if not 1 <= self.workers <= 64:
            raise EgovkgError(f"query workers {self.workers!r}: give 1 to 64")
        if self.cache < 0:
            raise EgovkgError(f"result cache {self.cache!r}: give a number of bytes, 0 for none")


@dataclass
class Reply:
    status: int
    body: bytes = b""
    ctype: str | None = None
    message: str = ""
    vary: bool = False


class _Proc:
    def __init__(self, process: asyncio.subprocess.Process, data: Path | None = None) -> None:
        self.process = process
        self.data = data  # the generation of the data this worker holds
        self.network_closed = False

    async def send(self, request: dict[str, Any]) -> None:
        data = json.dumps(request).encode()
        assert self.process.stdin is not None  # noqa: S101 - stdin=PIPE
        self.process.stdin.write(len(data).to_bytes(HEADER_SIZE, "big") + data)
        await self.process.stdin.drain()

    async def frame(self) -> bytes:
        assert self.process.stdout is not None  # noqa: S101 - stdout=PIPE
        size = int.from_bytes(await self.process.stdout.readexactly(HEADER_SIZE), "big")
        return await self.process.stdout.readexactly(size)

    def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        if self.process.stdin is not None:  # wait() waits for every pipe to close, not just the exit
            self.process.stdin.close()


def _death(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


class WorkerPool:
    """``limits.workers`` worker processes over the N-Quads file ``data``; start() before run()."""

    def __init__(self, data: Path, limits: QueryLimits) -> None:
        self.data = Path(data)
        self._old_data: list[Path] = []
        self.limits = limits
        self._idle: asyncio.Queue[_Proc] = asyncio.Queue()
        self._all: set[_Proc] = set()
        self._spawning: set[asyncio.Task[None]] = set()
        self._closed = False
        self.network_closed = True
        self.restarts = 0
        self._slots = asyncio.Semaphore(limits.workers)
        self._cache: collections.OrderedDict[str, Reply] = collections.OrderedDict()
        self._cached_bytes = 0
        self.cache_hits = 0

    def set_data(self, data: Path) -> None:
        """Answer from the N-Quads file ``data`` from now on (a writable server's next generation):
        each worker reloads before its next query; answers kept for the old data are dropped."""
        if Path(data) == self.data:
            return
        self._old_data.append(self.data)
        self.data = Path(data)
        self._cache.clear()
        self._cached_bytes = 0
        while len(self._old_data) > 1:  # the one before may still be loading in a new worker
            with contextlib.suppress(OSError):
                self._old_data.pop(0).unlink()

    async def _spawn(self) -> _Proc:
        data = self.data
        proc = await spawn_worker([str(data), str(self.limits.max_result), str(self.limits.memory)], data)
        self._all.add(proc)
        try:
            ready = json.loads(await asyncio.wait_for(proc.frame(), START_TIMEOUT))
        except (asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            proc.kill()
            await proc.process.wait()
            self._all.discard(proc)
            raise EgovkgError(f"a query worker did not start ({_death(proc.process.returncode)})") from exc
        proc.network_closed = bool(ready.get("network_closed"))
        self.network_closed = self.network_closed and proc.network_closed
        return proc

    async def start(self) -> None:
        # one warm spare beyond the workers that may run at once: a worker killed at a deadline
        # is replaced at once, not after the seconds a new process takes to load the data
        self._slots = asyncio.Semaphore(self.limits.workers)
        procs = await asyncio.gather(*(self._spawn() for _ in range(self.limits.workers + 1)))
        for proc in procs:
            self._idle.put_nowait(proc)

    def _replace(self, proc: _Proc) -> None:
        proc.kill()
        self._all.discard(proc)
        if self._closed:
            return
        self.restarts += 1

        async def again() -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.process.wait(), 10)
            delay = 0.0
            while not self._closed:
                try:
                    self._idle.put_nowait(await self._spawn())
                    return
                except (EgovkgError, OSError):
                    delay = min(5.0, delay * 2 or 0.5)
                    await asyncio.sleep(delay)

        task = asyncio.get_running_loop().create_task(again())
        self._spawning.add(task)
        task.add_done_callback(self._spawning.discard)

    async def run(self, request: dict[str, Any], gone: Awaitable[None] | None = None) -> Reply | None:
        """The worker's reply to ``request``; None when ``gone`` (the client left) finished first."""
        key = json.dumps(request, sort_keys=True) + str(self.data) if self.limits.cache else None
        hit = self._cache.get(key) if key is not None else None
        if hit is not None:
            self._cache.move_to_end(key)
            self.cache_hits += 1
            if gone is not None and hasattr(gone, "close"):
                gone.close()  # type: ignore[union-attr] - a coroutine never awaited
            return hit
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.timeout
        watch = asyncio.ensure_future(gone) if gone is not None else None
        try:
            reply = await self._run(request, deadline, watch)
        finally:
            if watch is not None:
                watch.cancel()
        if key is not None and reply is not None and reply.status == 200:
            self._remember(key, reply)
        return reply

    def _remember(self, key: str, reply: Reply) -> None:
        size = len(reply.body) + len(key)
        if size > self.limits.cache // 8:  # no single answer takes more than an eighth
            return
        self._cache[key] = reply
        self._cached_bytes += size
        while self._cached_bytes > self.limits.cache:
            old_key, old = self._cache.popitem(last=False)
            self._cached_bytes -= len(old.body) + len(old_key)

    async def _race(
        self,
        work: Awaitable[Any],
        deadline: float,
        watch: asyncio.Future[None] | None,
        undo: Callable[[Any], None] | None = None,
    ) -> Any:
        """``work``'s result, unless the deadline (TimeoutError) or the client's leaving (_Gone)
        comes first; then ``undo`` gives back what ``work`` took if it finished all the same."""
        task = asyncio.ensure_future(work)
        waiting = {task} | ({watch} if watch is not None else set())
        remaining = deadline - asyncio.get_running_loop().time()
        done, _ = await asyncio.wait(waiting, timeout=max(0.0, remaining), return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        if undo is not None and task.done() and not task.cancelled() and task.exception() is None:
            undo(task.result())
        raise _Gone if watch is not None and watch in done else TimeoutError

    async def _run(self, request: dict[str, Any], deadline: float, watch: asyncio.Future[None] | None) -> Reply | None:
        try:
            if self._slots.locked():  # wait for a slot; a free one is taken at once, without a race
                await self._race(self._slots.acquire(), deadline, watch, lambda _: self._slots.release())
            else:
                await self._slots.acquire()
        except TimeoutError:
            return Reply(503, message=f"the server is busy: no query worker came free within {self.limits.timeout:g} s")
        except _Gone:
            return None
        try:
            return await self._attempts(request, deadline, watch)
        finally:
            self._slots.release()

    async def _attempts(
        self, request: dict[str, Any], deadline: float, watch: asyncio.Future[None] | None
    ) -> Reply | None:
        for attempt in (1, 2):
            proc = await self._take(deadline, watch)
            if not isinstance(proc, _Proc):
                return proc
            reply = await self._ask(proc, request, deadline, watch, last=attempt == 2)
            if reply is not _RETRY:
                return reply  # type: ignore[return-value]
        raise AssertionError("unreachable")  # pragma: no cover

    async def _take(self, deadline: float, watch: asyncio.Future[None] | None) -> _Proc | Reply | None:
        """An idle live worker, or the reply when none comes free in time (None: the client left)."""
        busy = f"the server is busy: no query worker came free within {self.limits.timeout:g} s"
        while True:
            try:
                if self._idle.empty():
                    proc = await self._race(self._idle.get(), deadline, watch, self._idle.put_nowait)
                else:
                    proc = self._idle.get_nowait()
            except TimeoutError:
                return Reply(503, message=busy)
            except _Gone:
                return None
            if proc.process.returncode is not None:
                self._replace(proc)  # died while idle
                continue
            if proc.data == self.data:
                return proc
            try:  # the data changed since this worker loaded it: the new generation first
                head, _ = await self._race(
                    self._exchange(proc, {"op": "reload", "data": str(self.data)}), deadline, watch
                )
            except TimeoutError:
                self._replace(proc)
                return Reply(503, message=busy)
            except _Gone:
                self._replace(proc)
                return None
            except (asyncio.IncompleteReadError, ConnectionError, BrokenPipeError):
                self._replace(proc)
                continue
            if json.loads(head).get("status") != 204:
                self._replace(proc)
                continue
            proc.data = self.data
            return proc

    @staticmethod
    async def _exchange(proc: _Proc, request: dict[str, Any]) -> tuple[bytes, bytes]:
        await proc.send(request)
        return await proc.frame(), await proc.frame()

    async def _ask(
        self, proc: _Proc, request: dict[str, Any], deadline: float, watch: asyncio.Future[None] | None, last: bool
    ) -> Reply | None | object:
        try:
            head, body = await self._race(self._exchange(proc, request), deadline, watch)
        except TimeoutError:
            self._replace(proc)
            limit = f"{self.limits.timeout:g} s"
            return Reply(503, message=f"the query ran past this server's time limit of {limit} and was stopped")
        except _Gone:
            self._replace(proc)
            return None
        except (asyncio.IncompleteReadError, ConnectionError, BrokenPipeError):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.process.wait(), 5)
            code = proc.process.returncode
            self._replace(proc)
            if not last and code in (0, -signal.SIGKILL, -signal.SIGTERM):
                return _RETRY  # ended by itself, or killed from outside (the OOM killer): maybe before our query
            return Reply(
                500,
                message=f"the query stopped its worker process ({_death(code)}: out of memory, or too complex for "
                "the engine); the server goes on",
            )
        self._idle.put_nowait(proc)
        info = json.loads(head)
        return Reply(
            info["status"], body, ctype=info.get("ctype"), message=info.get("message", ""), vary=info.get("vary", False)
        )

    async def close(self) -> None:
        self._closed = True
        for task in list(self._spawning):
            task.cancel()
        for proc in list(self._all):
            proc.kill()
        for proc in list(self._all):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.process.wait(), 5)
        self._all.clear()


async def spawn_worker(args: list[str], data: Path | None = None) -> _Proc:
    """A worker process (``python -m egovkg.serve.worker ARGS``) in its own session."""
    import egovkg

    src = str(Path(egovkg.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    env["RUST_BACKTRACE"] = "0"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "egovkg.serve.worker",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
        start_new_session=True,  # Ctrl-C at a terminal is the server's to handle; it stops the workers
    )
    return _Proc(process, data)


class StoreWriter:
    """The writer process of a writable server (:class:`egovkg.serve.worker.Writer`) over the
    Oxigraph store folder ``location``: one write at a time, each with the query time limit and
    memory limit, in the network sandbox. A write that crashes it or runs past the deadline
    kills it (the store keeps what it held: each write is one transaction) and a new one
    starts. After each write, and at each start, ``on_data`` gets the N-Quads file of the
    store's new generation, written in ``folder``."""

    def __init__(self, location: Path, folder: Path, limits: QueryLimits, on_data: Callable[[Path], None]) -> None:
        self.location = Path(location)
        self.folder = Path(folder)
        self.limits = limits
        self.on_data = on_data
        self._proc: _Proc | None = None
        self._lock = asyncio.Lock()
        self._generation = 0
        self._closed = False
        self.restarts = 0
        self.network_closed = False

    def _next(self) -> Path:
        self._generation += 1
        return self.folder / f"generation-{self._generation}.nq"

    async def start(self) -> None:
        out = self._next()
        proc = await spawn_worker(["--writer", str(self.location), str(out), str(self.limits.memory)])
        try:
            ready = json.loads(await asyncio.wait_for(proc.frame(), START_TIMEOUT))
        except (asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            proc.kill()
            await proc.process.wait()
            raise EgovkgError(f"the store's writer process did not start ({_death(proc.process.returncode)})") from exc
        self.network_closed = bool(ready.get("network_closed"))
        self._proc = proc
        self.on_data(out)

    def _lost(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc = None
            self.restarts += 1

    async def run(self, request: dict[str, Any]) -> Reply:
        """The writer's reply to one write; the client leaving does not stop a write."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.timeout
        limit = f"{self.limits.timeout:g} s"
        try:
            await asyncio.wait_for(self._lock.acquire(), max(0.0, deadline - loop.time()))
        except TimeoutError:
            return Reply(503, message=f"the server is busy: another write held the store for {limit}")
        try:
            if self._proc is None or self._proc.process.returncode is not None:
                self._lost()
                await self.start()  # a fresh writer dumps the store first: the queries see all it holds
            proc = self._proc
            assert proc is not None  # noqa: S101 - started above
            out = self._next()
            try:
                head, _ = await asyncio.wait_for(
                    WorkerPool._exchange(proc, {**request, "out": str(out)}), max(0.0, deadline - loop.time())
                )
            except TimeoutError:
                self._lost()
                return Reply(
                    503,
                    message=f"the write ran past this server's time limit of {limit} and was stopped; "
                    "nothing of it was written",
                )
            except (asyncio.IncompleteReadError, ConnectionError, BrokenPipeError):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.process.wait(), 5)
                code = proc.process.returncode
                self._lost()
                return Reply(
                    500,
                    message=f"the write stopped the store's writer process ({_death(code)}: out of "
                    "memory, or too complex for the engine); nothing of it was written, the server goes on",
                )
            info = json.loads(head)
            if info.get("written"):
                self.on_data(out)
            return Reply(info["status"], message=info.get("message", ""))
        except EgovkgError as exc:
            return Reply(503, message=str(exc))
        finally:
            self._lock.release()

    async def close(self) -> None:
        self._closed = True
        if self._proc is not None:
            self._proc.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._proc.process.wait(), 5)
            self._proc = None


class _Gone(Exception):
    """The client went away before the answer."""


_RETRY = object()


__all__ = ["QueryLimits", "Reply", "StoreWriter", "WorkerPool"]
