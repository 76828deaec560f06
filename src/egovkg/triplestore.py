"""A real triplestore: push through the SPARQL 1.1 Graph Store Protocol, and a local Oxigraph server.

``push`` replaces one graph of a Graph Store endpoint with a single HTTP PUT, so
a reader sees the old graph or the new one, never half of it. ``OxigraphServer``
runs the ``oxigraph`` binary (PyPI package ``oxigraph``) on 127.0.0.1 over a
store folder that is loaded offline first (``oxigraph load``, much faster than
an upload over HTTP).
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from egovkg.errors import EgovkgError, EndpointError

Progress = Callable[[int, int], None]
TOKEN_ENV = "EGOVKG_TOKEN"
USER_ENV, PASSWORD_ENV = "EGOVKG_USER", "EGOVKG_PASSWORD"
CHUNK = 1 << 16


class _ProgressReader(io.RawIOBase):
    """A readable body that reports how many bytes the HTTP client has sent."""

    def __init__(self, data: bytes | Path, progress: Progress | None) -> None:
        # a file is streamed from disk, never read whole into memory
        self._buf: IO[bytes] = data.open("rb") if isinstance(data, Path) else io.BytesIO(data)
        self._total = data.stat().st_size if isinstance(data, Path) else len(data)
        self._progress = progress

    def close(self) -> None:
        self._buf.close()
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # noqa: ANN001 - memoryview
        n = self._buf.readinto(memoryview(b)[:CHUNK])
        if self._progress is not None:
            self._progress(self._buf.tell(), self._total)
        return n


@dataclass
class Credentials:
    user: str | None = None
    password: str | None = None
    token: str | None = None

    @classmethod
    def from_env(cls, user: str | None = None, password: str | None = None) -> Credentials:
        return cls(
            user or os.environ.get(USER_ENV), password or os.environ.get(PASSWORD_ENV), os.environ.get(TOKEN_ENV)
        )

    def header(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.user is not None:
            raw = f"{self.user}:{self.password or ''}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}
        return {}

    def __repr__(self) -> str:  # never show secrets in tracebacks or logs
        return (
            f"Credentials(user={self.user!r}, password={'***' if self.password else None}, "
            f"token={'***' if self.token else None})"
        )


def graph_store_url(endpoint: str, graph: str | None) -> str:
    """The Graph Store Protocol URL of one graph: ``?default`` or ``?graph=<IRI>``."""
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EndpointError(f"{endpoint}: not an http(s) URL")
    kept = [q for q in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if q[0] not in ("graph", "default")]
    target = f"graph={urllib.parse.quote(graph, safe='')}" if graph else "default"
    query = "&".join(filter(None, [urllib.parse.urlencode(kept), target]))
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _http_error(url: str, exc: urllib.error.HTTPError) -> EndpointError:
    hint = {
        401: "authentication required or refused (set --user/--password or EGOVKG_TOKEN)",
        403: "forbidden: the credentials may not write here",
        404: "not found: is this the Graph Store endpoint (Oxigraph: /store, Fuseki: /DATASET/data)?",
        405: "method not allowed: the endpoint does not accept PUT (read-only server?)",
        415: "the server does not accept this RDF media type",
    }.get(exc.code, "")
    body = ""
    try:
        body = exc.read(300).decode("utf-8", "replace").strip().splitlines()[0]
    except Exception:  # noqa: BLE001 - the body is only a hint
        body = ""
    detail = hint or (body[:200] if body else exc.reason)
    return EndpointError(f"{url}: HTTP {exc.code}: {detail}")


def put_graph(
    endpoint: str,
    data: bytes | Path,
    *,
    media_type: str = "application/n-triples",
    graph: str | None = None,
    credentials: Credentials | None = None,
    timeout: float = 120,
    progress: Progress | None = None,
) -> int:
    """Replace one graph of a Graph Store endpoint with ``data`` (bytes, or a file streamed from disk)
    in one PUT; returns the HTTP status.

    A PUT is idempotent, so transient faults (502/503/504, a reset connection)
    are retried with back-off. The server applies the body as one transaction,
    so a failed upload leaves the old graph as it was.
    """
    from egovkg.retry import retrying

    url = graph_store_url(endpoint, graph)
    size = data.stat().st_size if isinstance(data, Path) else len(data)
    headers = {"Content-Type": f"{media_type}; charset=utf-8", "Content-Length": str(size)}
    headers.update((credentials or Credentials()).header())
    try:
        for attempt in retrying():  # PUT is idempotent: a transient 502/503/504 is retried
            with attempt:
                with _ProgressReader(data, progress) as body:
                    req = urllib.request.Request(url, data=body, headers=headers, method="PUT")
                    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - user-given URL
                        return int(resp.status)
        raise EndpointError(f"{url}: no attempt was made")  # pragma: no cover - tenacity always attempts
    except urllib.error.HTTPError as exc:
        raise _http_error(url, exc) from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise EndpointError(f"{url}: no answer within {timeout:g} s") from exc
        raise EndpointError(f"{url}: cannot connect ({reason})") from exc
    except TimeoutError as exc:
        raise EndpointError(f"{url}: no answer within {timeout:g} s") from exc
    except (ConnectionError, OSError) as exc:
        raise EndpointError(f"{url}: connection failed ({exc})") from exc


def oxigraph_binary() -> str:
    """The ``oxigraph`` server binary installed by the PyPI package ``oxigraph``."""
    found = shutil.which("oxigraph") or shutil.which("oxigraph", path=str(Path(sys.executable).parent))
    if not found:
        raise EgovkgError("the oxigraph server is not installed: pip install oxigraph")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class OxigraphServer:
    """A local Oxigraph server on 127.0.0.1 over a store folder; a context manager."""

    location: Path
    port: int = 7878
    read_only: bool = True
    union_default_graph: bool = False
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return f"{self.url}/query"

    @property
    def update_url(self) -> str:
        return f"{self.url}/update"

    @property
    def store_url(self) -> str:
        return f"{self.url}/store"

    def load(self, files: list[Path]) -> None:
        """Load RDF files offline (the server must not be running: the store holds a lock)."""
        if self.process is not None:
            raise EgovkgError("stop the server before loading files offline")
        cmd = [oxigraph_binary(), "load", "--location", str(self.location)]
        for f in files:
            cmd += ["--file", str(f)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise EgovkgError(f"oxigraph load failed: {done.stderr.strip().splitlines()[-1:]}")

    def start(self, timeout: float = 20) -> OxigraphServer:
        mode = "serve-read-only" if self.read_only else "serve"
        cmd = [oxigraph_binary(), mode, "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}"]
        if self.union_default_graph:
            cmd.append("--union-default-graph")
        self.location.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (self.process.stderr.read() if self.process.stderr else b"").decode("utf-8", "replace")
                self.process = None
                raise EgovkgError(f"oxigraph did not start on port {self.port}: {err.strip()[-300:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise EgovkgError(f"oxigraph did not answer on port {self.port} within {timeout:g} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def __enter__(self) -> OxigraphServer:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
