"""A real triplestore as a target: push through the SPARQL 1.1 Graph Store Protocol.

``push`` replaces one graph of a Graph Store endpoint with a single HTTP PUT, so
a reader sees the old graph or the new one, never half of it. ``OxigraphServer``
runs the ``oxigraph`` binary (PyPI package ``oxigraph``) on 127.0.0.1 over a
store folder that is loaded offline first (``oxigraph load``, much faster than
an upload over HTTP).

A store folder is egovkg's only when it holds the marker file ``store.reuse_or_load``
writes (``egovkg-inputs.sha256``): any other non-empty folder is refused, never
written into, and a folder of ours is emptied before a load, so the server holds
exactly the files given.
"""

from __future__ import annotations

import base64
import math
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from egovkg.errors import EgovkgError, EndpointError
from egovkg.sparql.http import (  # noqa: F401 - the reply limits and settings are shared here
    CHUNK,
    COMPRESSED,
    DEFAULT_MAX_REPLY,
    MAX_REPLY_OPTION,
    PASSWORD_ENV,
    TOKEN_ENV,
    USER_ENV,
    GiB,
    KiB,
    MiB,
    Progress,
    check_max_reply,
    exchange,
    read_reply,
    size_text,
)


def check_http_url(url: str, option: str = "--endpoint") -> urllib.parse.SplitResult:
    """``url`` as the parts of an ASCII http(s) URL urllib can send a request to; else one EndpointError.

    Checked where an endpoint is named, so a typo fails before any data is read or sent
    (urllib's own errors are ValueErrors with no URL in them). A non-ASCII path or host
    (an IRI such as http://例子.cn/数据) is mapped to its URI, percent-encoded and IDNA,
    which http.client needs: it refuses anything but ASCII in a request line."""
    try:
        netloc = urllib.parse.urlsplit(url).netloc
    except ValueError:
        netloc = ""
    if "@" in netloc:  # refused before the URL is shown anywhere: it may hold a password
        raise EndpointError(
            f"{option}: the URL holds a user name or password; give them in EGOVKG_USER and "
            "EGOVKG_PASSWORD (or EGOVKG_TOKEN), never in the URL"
        )
    bad = EndpointError(f"{option} {url}: not an http(s) URL")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise bad  # http.client refuses control characters and spaces in a request line
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # raises ValueError on a port that is not a number or out of range
        host = parts.hostname
        if parts.scheme.lower() not in ("http", "https") or not host:
            raise bad
        if not url.isascii():
            userinfo, at, _ = parts.netloc.rpartition("@")
            if not host.isascii():
                host = host.encode("idna").decode("ascii")
            host = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
            netloc = _percent(userinfo) + at + host + (f":{port}" if port is not None else "")
            parts = parts._replace(netloc=netloc, path=_percent(parts.path), query=_percent(parts.query), fragment="")
    except (ValueError, UnicodeError) as exc:  # e.g. 'http://[::1' (an unclosed IPv6 address), a bad IDNA label
        raise bad from exc
    return parts


def _percent(text: str) -> str:
    """Non-ASCII characters as UTF-8 %XX; ASCII (already checked printable) is kept, '%' included."""
    return "".join(c if c.isascii() else urllib.parse.quote(c) for c in text)


def check_timeout(timeout: float, option: str = "--timeout") -> float:
    """A socket timeout must be a finite number of seconds above 0 (0 would mean non-blocking)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not (0 < timeout < math.inf):
        raise EndpointError(f"{option} {timeout}: must be a number of seconds above 0")
    return timeout


def _env(name: str) -> str | None:
    """An environment variable without surrounding whitespace: a secret read with
    ``$(cat file)`` or from a secrets file often ends in a newline."""
    value = os.environ.get(name, "").strip()
    return value or None


@dataclass
class Credentials:
    user: str | None = None
    password: str | None = None
    token: str | None = None

    def __post_init__(self) -> None:
        # RFC 6750 tokens are visible ASCII; anything else cannot go into a header (http.client
        # raises a ValueError quoting the whole header). The message never shows the token.
        if self.token is not None and not all("!" <= c <= "~" for c in self.token):
            raise EndpointError(
                f"{TOKEN_ENV}: the token holds a space, control or non-ASCII character; "
                "a bearer token is printable ASCII (was it read with a stray character?)"
            )
        if self.user is not None and ":" in self.user:
            raise EndpointError(f"--user/{USER_ENV}: a user name cannot contain ':' (HTTP Basic authentication)")

    @classmethod
    def from_env(cls, user: str | None = None, password: str | None = None) -> Credentials:
        """Credentials from the command line (``user``, ``password``) and the environment:
        a user or password given on the command line wins over a token in the environment."""
        if password and not (user or _env(USER_ENV)):
            raise EndpointError(f"--password needs a user name: give --user or {USER_ENV}")
        token = None if (user or password) else _env(TOKEN_ENV)
        return cls(user or _env(USER_ENV), password or _env(PASSWORD_ENV), token)

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
    from egovkg.graph.prefixes import check_iri

    parts = check_http_url(endpoint)
    if graph is not None:  # an empty --graph is a mistake, not a way to say the default graph
        check_iri(graph, "graph")
    kept = [q for q in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if q[0] not in ("graph", "default")]
    target = f"graph={urllib.parse.quote(graph, safe='')}" if graph else "default"
    query = "&".join(filter(None, [urllib.parse.urlencode(kept), target]))
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


STORE_HINTS = {
    401: "authentication required",
    403: "forbidden: the credentials may not write here",
    404: "not found: is this the Graph Store endpoint (Oxigraph: /store, Fuseki: /DATASET/data)?",
    405: "method not allowed: the endpoint does not accept PUT (read-only server?)",
    415: "the server does not accept this RDF media type",
}


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
    in one PUT; returns the HTTP status. ``timeout`` is a deadline for the whole upload.

    A PUT is idempotent, so transient faults (502/503/504, a connection dropped before
    a reply) are retried with back-off. The server applies the body as one transaction,
    so a failed upload leaves the old graph as it was.
    """

    url = graph_store_url(endpoint, graph)
    check_timeout(timeout)
    reply = exchange(
        "PUT",
        url,
        headers={"Content-Type": f"{media_type}; charset=utf-8"},
        body=data,
        timeout=timeout,
        max_reply=DEFAULT_MAX_REPLY,  # a PUT's reply is a status; its body is read (capped) but not used
        credentials=credentials,
        progress=progress,
        hints=STORE_HINTS,
    )
    return reply.status


@dataclass(frozen=True)
class Pushed:
    """One PUT done: how many triples and bytes went to which URL, in how many seconds."""

    url: str
    triples: int
    size: int
    seconds: float


class NeedsNamedGraphs(EgovkgError):
    """The data has named graphs and push was asked for one graph; ``named_graphs=True`` would send each."""


def push(
    endpoint: str,
    files: list[Path],
    *,
    graph: str | None = None,
    named_graphs: bool = False,
    credentials: Credentials | None = None,
    timeout: float = 300,
    progress: Callable[[str, int], Progress | None] | None = None,
) -> list[Pushed]:
    """Replace ``graph`` (default: the default graph) of a Graph Store endpoint with the triples of
    ``files`` in one PUT, or with ``named_graphs`` each named graph of TriG/N-Quads ``files`` by its
    own PUT. ``progress(url, size)`` may give a callback for each upload's bytes."""
    import tempfile
    import time

    from egovkg.errors import NamedGraphsError, RDFInputError
    from egovkg.rdfio.convert import convert_files
    from egovkg.sparql.store import OxigraphStore

    if named_graphs and graph is not None:
        raise EndpointError("named_graphs sends each graph to its own name: it cannot be used with a graph name")
    graph_store_url(endpoint, graph)  # a bad URL or graph name fails before any data is read
    done = []
    with tempfile.TemporaryDirectory(prefix="egovkg-push-") as tmp:
        if named_graphs:
            parts = OxigraphStore.from_files(files, Path(tmp) / "store").graphs_as_ntriples(Path(tmp))
            if not parts:
                raise RDFInputError(f"{', '.join(map(str, files))}: no triples to push")
        else:
            body = Path(tmp) / "graph.nt"  # N-Triples streamed from disk: any size, constant memory
            try:
                convert_files(files, "nt", body)
            except NamedGraphsError as exc:
                message = (
                    f"{exc.file}: has named graphs (or N3 formulas); push sends one graph: give it a file of triples"
                )
                if Path(str(exc.file)).suffix.lower() in (".trig", ".nq"):
                    raise NeedsNamedGraphs(message) from exc
                raise RDFInputError(message) from exc
            parts = [(graph, body)]
        for name, body in parts:
            t0 = time.perf_counter()
            size, url = body.stat().st_size, graph_store_url(endpoint, name)
            put_graph(
                endpoint,
                body,
                graph=name,
                credentials=credentials,
                timeout=timeout,
                progress=progress(url, size) if progress else None,
            )
            with body.open("rb") as fh:
                triples = sum(1 for line in fh if line.strip())
            done.append(Pushed(url, triples, size, time.perf_counter() - t0))
    return done
