"""A local Oxigraph server (the ``oxigraph`` binary from the PyPI package ``oxigraph``).

``OxigraphServer`` runs the binary on 127.0.0.1 over a store folder that is loaded
offline first (``oxigraph load``, much faster than an upload over HTTP).

A store folder is egovkg's only when it holds the marker file ``store.reuse_or_load``
writes (``egovkg-inputs.sha256``): any other non-empty folder is refused, never
written into, and a folder of ours is emptied before a load, so the server holds
exactly the files given.
"""

from __future__ import annotations

import collections
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from egovkg.errors import EgovkgError, one_line

# The marker egovkg.sparql.store.reuse_or_load writes into a store folder it made; the same
# name here means one rule for both: a folder holding it is egovkg's to empty and reload.
STORE_MARKER = "egovkg-inputs.sha256"
# What the marker of a server folder says. It never equals an inputs digest, so
# reuse_or_load always reloads a folder a server wrote (and maybe wrote to).
SERVER_MARKER_TEXT = "an Oxigraph store written by egovkg serve; emptied and reloaded on every load\n"


class ServerError(EgovkgError):
    """The local Oxigraph server could not load, start or answer, or its store folder is not usable."""


def oxigraph_binary() -> str:
    """The ``oxigraph`` server binary installed by the PyPI package ``oxigraph``."""
    found = shutil.which("oxigraph") or shutil.which("oxigraph", path=str(Path(sys.executable).parent))
    if not found:
        raise ServerError("the oxigraph server is not installed: pip install oxigraph")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The binary is a Rust program: with RUST_BACKTRACE set (common on developer machines)
# every error comes with a stack backtrace, which is slow to capture and of no use to a user.
_QUIET_RUST = {"RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"}
# oxigraph serve writes this to stderr once it has bound its port: the proof that the
# server answering on the port is ours, not another program that already held it.
_LISTENING = "Listening for requests at"


def oxigraph_reason(stderr: str | Iterable[str], returncode: int | None = None) -> str:
    """The one line of oxigraph's stderr that says what went wrong, without the hints and
    the Rust backtrace around it: the first "Error while loading file F: ..." (it names the
    file and the line), else the "Error: ..." line, else the first line that is not the
    start-up notice. A process killed by a signal says so: a crash is never reported as
    "Listening for requests at ..."."""
    lines = [x.strip() for x in (stderr.splitlines() if isinstance(stderr, str) else stderr)]
    lines = [x for x in lines if not x.startswith(_LISTENING)]
    for line in lines:
        if line.startswith("Error while "):
            return one_line(line)
    for line in lines:
        if line.startswith("Error:"):
            return one_line(line.removeprefix("Error:").strip())
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        crash = next((x for x in lines if "overflow" in x or "panicked" in x), "")
        return f"killed by {name}" + (f" ({one_line(crash)})" if crash else "")
    for line in lines:
        if line and not line.startswith("Stack backtrace") and not line[0].isdigit():
            return one_line(line)
    return f"exited with code {returncode}" if returncode is not None else "no message"


def _store_in_use(location: Path) -> bool:
    """Whether a process holds the store's RocksDB lock (a writable server or a load).

    RocksDB takes a POSIX record lock on LOCK; probing it with one of our own fails while
    another process holds it. (A read-only server takes no lock and is not seen.) Never
    probe a store this process has open itself: closing the probe would drop its lock."""
    lock = location / "LOCK"
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: RocksDB's own open will complain instead
        return False
    if not lock.is_file():
        return False
    with lock.open("r+b") as fh:
        try:
            fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.lockf(fh, fcntl.LOCK_UN)
    return False


def prepare_store_folder(location: Path, *, empty: bool) -> None:
    """Make ``location`` a store folder of ours: create it, or accept an empty folder or one
    holding the egovkg marker; refuse any other folder, so a user's files are never mixed
    with RocksDB's. With ``empty``, a folder of ours is emptied (what a load then puts
    in is all the server holds)."""
    try:
        if location.exists() or location.is_symlink():
            if not location.is_dir():
                raise ServerError(f"{location}: not a folder")
            entries = sorted(location.iterdir())
            marker = location / STORE_MARKER
            if entries and not marker.is_file():
                raise ServerError(
                    f"{location}: not empty and not an Oxigraph store made by egovkg (no {STORE_MARKER}); "
                    "refusing to write into it: give an empty or new folder"
                )
            if empty and entries:
                if _store_in_use(location):
                    raise ServerError(f"{location}: the store is in use by another Oxigraph process; stop it first")
                # the marker goes last, so an interrupted clear still leaves the folder recognisably ours
                for entry in sorted(entries, key=lambda e: e == marker):
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.rmtree(entry)
                    else:
                        entry.unlink()
        else:
            location.mkdir(parents=True)
        marker = location / STORE_MARKER
        if not marker.is_file():
            marker.write_text(SERVER_MARKER_TEXT, encoding="utf-8")
    except OSError as exc:
        raise ServerError(f"{location}: cannot use as a store folder ({exc.strerror or exc})") from exc


class QueryAddress:
    """The query endpoint under a server's ``url``, where Oxigraph's server (and ours) puts it."""

    url: str

    @property
    def query_url(self) -> str:
        return f"{self.url}/query"


class ServiceAddresses(QueryAddress):
    """The SPARQL 1.1 service's three addresses under ``url``: query, update and the Graph Store."""

    @property
    def update_url(self) -> str:
        return f"{self.url}/update"

    @property
    def store_url(self) -> str:
        return f"{self.url}/store"


@dataclass
class OxigraphServer(ServiceAddresses):
    """A local Oxigraph server on 127.0.0.1 over a store folder; a context manager."""

    location: Path
    port: int = 7878
    read_only: bool = True
    union_default_graph: bool = False
    process: subprocess.Popen | None = field(default=None, repr=False)
    _stderr: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=200), repr=False)
    _listening: threading.Event = field(default_factory=threading.Event, repr=False)
    _reader: threading.Thread | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.location = Path(self.location)
        # checked before anything is loaded: oxigraph would only say "invalid port value"
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 1 <= self.port <= 65535:
            raise ServerError(f"--port {self.port}: not a TCP port (1-65535)")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def load(self, files: list[Path]) -> None:
        """Replace what the store holds with these RDF files, loaded offline (the server must not
        be running: the store holds a lock). A folder that is not ours is refused, untouched."""
        if self.process is not None:
            raise ServerError("stop the server before loading files offline")
        binary = oxigraph_binary()
        prepare_store_folder(self.location, empty=True)
        cmd = [binary, "load", "--location", str(self.location)]
        for f in files:
            cmd += ["--file", str(f)]
        done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **_QUIET_RUST})
        if done.returncode != 0:
            reason = oxigraph_reason(done.stderr, done.returncode)
            raise ServerError(f"{self.location}: oxigraph load failed: {reason}")

    def _read_stderr(self, stream: IO[bytes]) -> None:
        # drained all the time, so a chatty server never blocks on a full pipe
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            self._stderr.append(line)
            if line.startswith(_LISTENING):
                self._listening.set()

    def _answers(self) -> bool:
        """Whether the port answers ASK {} with SPARQL JSON ``true``, as Oxigraph does.
        (http.client, not urllib: an http_proxy setting must not route a loopback check.)"""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            conn.request("GET", "/query?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"})
            resp = conn.getresponse()
            data = json.loads(resp.read(1000)) if resp.status == 200 else None
        except (OSError, ValueError, http.client.HTTPException):
            return False
        finally:
            conn.close()
        return isinstance(data, dict) and data.get("boolean") is True

    def start(self, timeout: float = 20) -> OxigraphServer:
        """Start the server; returns once it is ready: our process is alive, has bound the
        port, and answers a SPARQL query. If it exits, the error is oxigraph's own reason."""
        if self.process is not None:
            return self
        mode = "serve-read-only" if self.read_only else "serve"
        cmd = [oxigraph_binary(), mode, "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}"]
        if self.union_default_graph:
            cmd.append("--union-default-graph")
        prepare_store_folder(self.location, empty=False)
        self._stderr.clear()
        self._listening.clear()
        self.process = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **_QUIET_RUST}
        )
        assert self.process.stderr is not None  # noqa: S101 - stderr=PIPE
        self._reader = threading.Thread(target=self._read_stderr, args=(self.process.stderr,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self._reader.join(timeout=5)  # the pipe closes with the process: all its stderr is read
                self._close()
                reason = oxigraph_reason(list(self._stderr), code)
                raise ServerError(f"oxigraph could not serve on 127.0.0.1:{self.port}: {reason}")
            if self._listening.is_set() and self._answers() and self.process.poll() is None:
                return self
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"oxigraph did not answer on port {self.port} within {timeout:g} s")

    def wait(self, poll: float = 0.5) -> None:
        """Block while the server runs (until Ctrl-C); ServerError with oxigraph's reason if it stops by itself."""
        while self.process is not None:
            code = self.process.poll()
            if code is not None:
                if self._reader is not None:
                    self._reader.join(timeout=5)
                reason = oxigraph_reason(list(self._stderr), code)
                self._close()
                raise ServerError(f"oxigraph stopped serving on 127.0.0.1:{self.port}: {reason}")
            time.sleep(poll)

    def _close(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=5)
            self._reader = None
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._close()

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
