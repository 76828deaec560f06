"""Running the apps on uvicorn, with the limits a public HTTP server needs.

uvicorn gives a normal listen backlog, keep-alive with TCP_NODELAY (no Nagle stall),
HTTP/1.0 semantics and many connections on one event loop. It parses HTTP with httptools
(llhttp, in C) on uvloop where those are installed (``uvicorn[standard]``), else with h11
(pure Python) on asyncio. :class:`GuardedHttpToolsProtocol` and :class:`GuardedH11Protocol`
add what either lacks: a deadline for a request's head (a slow or silent client is dropped
after ``HEAD_TIMEOUT`` s, so it holds a socket, never a thread), and the head's limits
answered as one line of plain text: 414 for a request line over 64 KB, 431 for a header field
over 64 KB, a head over 256 KB or more than 100 header fields, 400 for anything the parser
cannot parse.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

try:  # uvicorn[standard]: llhttp in C, and libuv's event loop
    import uvloop
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - the pure-Python fallback
    HttpToolsProtocol = H11Protocol  # type: ignore[misc, assignment]
    uvloop = None

from egovkg.errors import EgovkgError

HEAD_TIMEOUT = 10.0  # seconds from connection (or the last response) to a complete request head
KEEP_ALIVE = 5  # seconds an idle keep-alive connection stays open
MAX_LINE = 65536  # bytes of the request line, and of each header field (as Python's http.server)
MAX_HEAD = 256 << 10  # bytes of request head
MAX_FIELDS = 100  # header fields
BACKLOG = 2048
MAX_CONNECTIONS = 1000  # open connections and running requests; more are answered 503

LOG = logging.getLogger("egovkg.serve.http")


def _status_line(status: int, message: str) -> bytes:
    from http import HTTPStatus

    phrase = HTTPStatus(status).phrase
    body = f"{status} {phrase}: {message}\n".encode()
    return (
        f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n\r\n"
    ).encode() + body


def head_problem(head: bytes) -> tuple[int, str] | None:
    """The refusal for a request head (or its start) over the limits; None when within them."""
    end = head.find(b"\r\n\r\n")
    part = head if end < 0 else head[:end]
    line_end = part.find(b"\n")
    if (line_end < 0 and len(part) > MAX_LINE) or line_end > MAX_LINE:
        return 414, f"the request line is longer than {MAX_LINE} bytes"
    if len(part) > MAX_HEAD or max(map(len, part[line_end + 1 :].split(b"\n"))) > MAX_LINE:
        return 431, f"a header field is longer than {MAX_LINE} bytes, or the head than {MAX_HEAD}"
    if part.count(b"\n") > MAX_FIELDS:
        return 431, f"more than {MAX_FIELDS} header fields"
    return None


def _no_delay(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        # asyncio sets this only on sockets made with proto IPPROTO_TCP; without it a
        # keep-alive client waits 40 ms a request (Nagle against delayed ACK)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _HeadGuard:
    """A head deadline and plain-text head limits for one of uvicorn's protocols: ``_awaiting_head()``
    says whether what arrives now is a request head (between requests)."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def _guard(self) -> None:
        self.logger = LOG  # parse errors are logged as ours (quiet unless configured), not uvicorn's
        self._head = bytearray()
        self._head_timer: asyncio.TimerHandle | None = None

    def _awaiting_head(self) -> bool:
        raise NotImplementedError

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_late)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing() and self._awaiting_head():
            if self._head:
                self._refuse(408, f"the request head did not arrive within {HEAD_TIMEOUT:g} s")
            else:
                self.transport.close()

    def _refuse(self, status: int, message: str) -> None:
        self._disarm()
        self.transport.write(_status_line(status, message))
        self.transport.close()

    def _checked(self, data: bytes) -> bool:
        """Add ``data`` to the head read so far; False (and the connection refused) when over a limit."""
        self._head += data
        problem = head_problem(bytes(self._head))
        if problem is not None:
            self._refuse(*problem)
            return False
        return True

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # type: ignore[misc]
        _no_delay(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "not a valid HTTP/1.1 request")


class GuardedHttpToolsProtocol(_HeadGuard, HttpToolsProtocol):
    """uvicorn's httptools protocol with a head deadline and plain-text head limits."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard()
        self._in_head = True  # between requests: what arrives is a request head

    def _awaiting_head(self) -> bool:
        return self._in_head

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            # the common case, a whole small head in one read, is within every limit at once
            if self._head or len(data) > 8192 or data.count(b"\n") > MAX_FIELDS or b"\r\n\r\n" not in data:
                if not self._checked(data):
                    return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head.clear()
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self._in_head and self._head_timer is None:
            self._arm()


class GuardedH11Protocol(_HeadGuard, H11Protocol):
    """uvicorn's h11 protocol with a head deadline and plain-text head limits."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard()

    def _awaiting_head(self) -> bool:
        return self.conn.their_state is h11.IDLE

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and not self._checked(data):
            return
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._head.clear()
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE and self._head_timer is None:
            self._head.clear()
            self._arm()


class _Server(uvicorn.Server):
    """uvicorn's server without its signal handlers: the library never installs any; the CLI
    stops it with :meth:`Listener.shutdown`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Listener:
    """An ASGI app bound to ``host:port`` (0: any free port), not yet serving; ``url`` is where."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(BACKLOG)
        except OSError as exc:
            sock.close()
            raise EgovkgError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        self.socket = sock
        self.server_address = sock.getsockname()
        h, p = self.server_address[:2]
        self.url = f"http://[{h}]:{p}" if ":" in str(h) else f"http://{h}:{p}"
        fast = uvloop is not None and HttpToolsProtocol is not H11Protocol
        self.protocol = GuardedHttpToolsProtocol if fast else GuardedH11Protocol
        config = uvicorn.Config(
            app,
            http=self.protocol,
            lifespan="on",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_keep_alive=KEEP_ALIVE,
            timeout_graceful_shutdown=5,
            backlog=BACKLOG,
            limit_concurrency=MAX_CONNECTIONS,
            h11_max_incomplete_event_size=MAX_HEAD + 1024,
        )
        self.server = _Server(config)
        self.started = threading.Event()

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown` (from another thread or a signal handler); then close."""
        try:
            factory = uvloop.new_event_loop if self.protocol is GuardedHttpToolsProtocol else None
            with asyncio.Runner(loop_factory=factory) as runner:
                runner.run(self._serve())
        finally:
            self.socket.close()

    async def _serve(self) -> None:
        await self.server.serve(sockets=[self.socket])
        if not self.server.started:
            raise EgovkgError("the server did not start: its query workers failed (see docs/LINKED-DATA.md)")

    def shutdown(self) -> None:
        self.server.should_exit = True

    def close(self) -> None:
        self.shutdown()
        self.socket.close()


__all__ = ["GuardedH11Protocol", "GuardedHttpToolsProtocol", "Listener", "head_problem"]
