"""The linked-data server as a Starlette (ASGI) application: every IRI dereferences, in the
format the client asks for, and ``/sparql`` answers SPARQL 1.1 protocol queries.

Following the W3C note "Cool URIs for the Semantic Web" (section 4.3), an IRI that names a
thing answers ``303 See Other`` to a document about it, chosen by the ``Accept`` header::

    GET /id/award/X   Accept: text/html    -> 303 Location: /id/award/X.html
    GET /id/award/X   Accept: text/turtle  -> 303 Location: /id/award/X.ttl
    GET /id/award/X   Accept: image/png    -> 406

The documents are the files of the static site (:mod:`egovkg.site`), read from a built
folder or rendered on demand. Queries run in worker processes (:mod:`egovkg.serve.workers`)
with a deadline, a memory limit, a result cap and no network. Errors are one short line of
plain text. :func:`create_app` gives the app for any ASGI server; :mod:`egovkg.serve.http`
runs it on uvicorn. docs/LINKED-DATA.md has the whole contract.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import html
import logging
import os
import stat
import tempfile
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

from rdflib import URIRef
from rdflib.namespace import OWL
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from egovkg.errors import EgovkgError
from egovkg.graph.build import KnowledgeGraph
from egovkg.graph.namespaces import ONTOLOGY_IRI
from egovkg.publish.addresses import QUERY_PAGE
from egovkg.publish.site import CSP, MARKER, MEDIA_TYPES, VOID_PATH, Site, csp_for
from egovkg.publish.site import RDF_FORMATS as SITE_RDF_FORMATS
from egovkg.rdfio.export import serialise
from egovkg.rdfio.formats import RDF_FORMATS
from egovkg.serve.negotiation import DOCUMENT_OFFERS, GRAPH_OFFERS, RESULTS_OFFERS, negotiate
from egovkg.serve.workers import QueryLimits, Reply, StoreWriter, WorkerPool

LOG = logging.getLogger("egovkg.serve")
MAX_ACCEPT = 4096  # bytes of Accept header(s)
MAX_BODY = 1 << 20  # bytes of a POSTed query
MAX_PARAMS = 64  # fields of a query string or form
BODY_TIMEOUT = 30.0  # seconds a client may take to send a POST body
MAX_MESSAGE = 200  # characters of an error message
TEXT = "text/plain; charset=utf-8"
SPARQL_METHODS = "GET, HEAD, POST, OPTIONS"
READ_METHODS = "GET, HEAD, OPTIONS"
# routed to our handlers, which answer 405 with Allow themselves (Starlette's own 405 is not one line)
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"]
# the VoID description, as each RDF document suffix: (export format, media type)
VOID_FORMATS = {  # file suffix -> (export format, media type), from the one registry; TriG holds no VoID
    f.suffix: (name, MEDIA_TYPES[f".{f.suffix}"]) for name, f in RDF_FORMATS.items() if name in SITE_RDF_FORMATS
}


class HTTPError(Exception):
    """A request the server answers with an error status and a short message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def plain(status: int, message: str = "", headers: dict[str, str] | None = None) -> Response:
    """An error as one line of plain text: ``404 Not Found: no such resource``."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    detail = "".join(ch if ch.isprintable() else "?" for ch in message)[:MAX_MESSAGE]
    body = f"{status} {phrase}" + (f": {detail}" if detail and detail != phrase else "") + "\n"
    return answer(status, body.encode("utf-8"), TEXT, headers)


def answer(status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> Response:
    h = {"X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*"}
    if ctype.startswith("text/html"):
        h["Content-Security-Policy"] = CSP
    h.update(headers or {})
    return Response(body, status_code=status, headers=h, media_type=ctype)


# -- the site's documents ------------------------------------------------------------


def read_inside(root: Path, rel: str) -> bytes | None:
    """The bytes of the regular file ``root/rel``, never through a symbolic link inside the site:
    each folder and the file are opened relative to the one before with O_NOFOLLOW, so a file or
    folder swapped for a link after the site was scanned is refused, not followed. The root itself
    may be a link: ``build/site`` points at the current generation written by ``egovkg build``."""
    parts = rel.split("/")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    dflags = flags | getattr(os, "O_DIRECTORY", 0)
    fds: list[int] = []
    try:
        fds.append(os.open(root, dflags & ~getattr(os, "O_NOFOLLOW", 0)))
        for part in parts[:-1]:
            fds.append(os.open(part, dflags, dir_fd=fds[-1]))
        fd = os.open(parts[-1], flags | getattr(os, "O_NONBLOCK", 0), dir_fd=fds[-1])
        fds.append(fd)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read()
    except OSError:
        return None
    finally:
        for fd in fds:
            os.close(fd)


class Documents:
    """The site's files by path: read from a built folder, or rendered once and kept."""

    def __init__(self, site: Site, site_dir: Path | None) -> None:
        self.site = site
        self.root: Path | None = None
        self.files: set[str] | None = None
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()
        if site_dir is not None:
            self.root = Path(site_dir).absolute()
            self.files = self._scan(self.root)

    @staticmethod
    def _scan(root: Path) -> set[str]:
        if not (root / MARKER).is_file():
            raise EgovkgError(f"{root}: not a site built by 'egovkg site' (no {MARKER})")
        files: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            rel_dir = os.path.relpath(dirpath, root)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") or (not rel_dir and d == ".well-known"))
            for name in filenames:
                full = Path(dirpath) / name
                if name.startswith(".") or full.is_symlink() or not full.is_file():
                    continue
                files.add(rel_dir + name)
        return files

    def __contains__(self, rel: str) -> bool:
        return rel in self.files if self.files is not None else rel in self.site

    def get(self, rel: str) -> bytes | None:
        if self.files is not None:
            return read_inside(self.root, rel) if rel in self.files and self.root is not None else None
        if rel not in self.site:
            return None
        with self._lock:
            if rel not in self._cache:
                self._cache[rel] = self.site.render(rel)
            return self._cache[rel]


# -- SPARQL -------------------------------------------------------------------------


def query_params(text: str) -> dict[str, list[str]]:
    """The fields of a query string or form (a new dict each call: callers may change it)."""
    if len(text) > 4096:
        return {k: list(v) for k, v in _query_params.__wrapped__(text)}
    return {k: list(v) for k, v in _query_params(text)}


@functools.lru_cache(maxsize=256)  # a client repeats its queries: percent-decoding costs 0.1 ms each
def _query_params(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    try:
        parsed = urllib.parse.parse_qs(text, keep_blank_values=True, max_num_fields=MAX_PARAMS, errors="strict")
        return tuple((k, tuple(v)) for k, v in parsed.items())
    except ValueError as exc:  # too many fields, or not UTF-8 after percent-decoding
        if "Max number of fields" in str(exc):
            raise HTTPError(400, f"more than {MAX_PARAMS} parameters") from exc
        raise HTTPError(400, "the parameters are not valid UTF-8") from exc


def graph_iris(params: dict[str, list[str]], name: str) -> list[str]:
    import pyoxigraph as ox

    iris = params.get(name, [])
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError as exc:
            raise HTTPError(400, f"{name} {iri!r} is not an IRI") from exc
    return iris


def accept_header(request: Request) -> str | None:
    values = request.headers.getlist("accept")
    if sum(len(v) for v in values) > MAX_ACCEPT:
        raise HTTPError(400, f"Accept header longer than {MAX_ACCEPT} bytes")
    return ", ".join(values) if values else None


def wants_page(accept: str | None) -> bool:
    """Whether the client prefers a web page to every SPARQL answer format (a browser does)."""
    offers = [m for m, _ in RESULTS_OFFERS] + [m for m, _ in GRAPH_OFFERS] + ["text/html"]
    return accept is not None and negotiate(accept, offers) == "text/html"


async def disconnected(request: Request) -> None:
    """Returns when the client closes its connection (the request body already read)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


def fallback_query_page(endpoint: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>SPARQL endpoint</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/assets/site.css"></head><body><main>'
        f"<h1>SPARQL endpoint · SPARQL 查询端点</h1><p>This is a read-only SPARQL 1.1 endpoint: send a query as "
        f"<code>{html.escape(endpoint)}?query=…</code> (GET) or POST it as <code>application/sparql-query</code> "
        "or a form, and ask for <code>application/sparql-results+json</code>, XML, CSV or TSV (CONSTRUCT: any RDF "
        "format). This folder has no query page (<code>query.html</code>, written by <code>egovkg site</code>).</p>"
        "<p>本端点只读：用 GET 参数 <code>query</code> 或 POST 发送 SPARQL 1.1 查询。</p></main></body></html>\n"
    ).encode()


class SparqlEndpoint:
    """The SPARQL 1.1 protocol over a worker pool: GET and POST, read-only, with limits."""

    def __init__(self, pool: WorkerPool, page: Callable[[], bytes], update_url: str | None = None) -> None:
        self.pool = pool
        self.page = page
        self.update_url = update_url  # a writable server's update endpoint, named when one is sent here

    async def __call__(self, request: Request) -> Response:
        method = request.method
        if method == "OPTIONS":
            return answer(204, b"", TEXT, {"Allow": SPARQL_METHODS})
        if method not in ("GET", "HEAD", "POST"):
            raise HTTPError(405, f"{method} is not allowed here", {"Allow": SPARQL_METHODS})
        accept = accept_header(request)
        query = request.scope.get("query_string", b"").decode("latin-1")
        if method == "POST":
            params = await self._post(request, query)
        else:
            params = query_params(query)
            if wants_page(accept) and not params.keys() - {"query", "default-graph-uri", "named-graph-uri"}:
                # a browser: the query page, which reads ?query= itself and asks for JSON
                page_csp = {"Content-Security-Policy": csp_for(QUERY_PAGE)}
                return answer(200, self.page(), "text/html; charset=utf-8", page_csp)
        if "update" in params:
            if self.update_url:
                raise HTTPError(400, f"this endpoint answers queries: POST updates to {self.update_url}")
            raise HTTPError(400, "this endpoint is read-only: it answers queries, not updates")
        queries = params.get("query", [])
        if len(queries) != 1:
            raise HTTPError(400, "give exactly one 'query' parameter, e.g. /sparql?query=ASK{}")
        request_ = {
            "query": queries[0],
            "accept": accept,
            "default_graphs": graph_iris(params, "default-graph-uri"),
            "named_graphs": graph_iris(params, "named-graph-uri"),
        }
        reply = await self.pool.run(request_, disconnected(request))
        if reply is None:  # the client left: nobody to answer
            return Response(b"", status_code=499)
        vary = {"Vary": "Accept"} if reply.vary else {}
        if reply.status != 200:
            raise HTTPError(reply.status, reply.message, vary)
        request.scope[CACHEABLE] = method == "GET"
        return answer(200, reply.body, reply.ctype or "application/octet-stream", vary)

    async def _post(self, request: Request, query: str) -> dict[str, list[str]]:
        body = await read_body(request, MAX_BODY, "the query")
        ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPError(400, "the body is not valid UTF-8") from exc
        if ctype == "application/sparql-query":
            params = query_params(query)
            if "query" in params:
                raise HTTPError(400, "give the query in the body or the URL, not both")
            params["query"] = [text]
            return params
        if ctype == "application/x-www-form-urlencoded":
            return query_params(text)
        raise HTTPError(415, "send application/sparql-query or application/x-www-form-urlencoded")


async def read_body(request: Request, limit: int, what: str, timeout: float = BODY_TIMEOUT) -> bytes:
    """A request's whole body: a Content-Length is needed, at most ``limit`` bytes, in ``timeout`` s."""
    length = request.headers.get("content-length")
    if length is None or not length.strip().isdigit():
        raise HTTPError(411, "a POST needs a Content-Length" if request.method == "POST" else "give a Content-Length")
    if int(length) > limit:
        raise HTTPError(413, f"{what} is longer than {limit} bytes")
    try:
        body = await asyncio.wait_for(request.body(), timeout)
    except TimeoutError as exc:
        raise HTTPError(408, f"the body did not arrive within {timeout:g} s") from exc
    request.scope["egovkg.body_read"] = True
    if len(body) != int(length):
        raise HTTPError(400, "the body is shorter than its Content-Length")
    return body


def has_body(request: Request) -> bool:
    length = (request.headers.get("content-length") or "0").strip()
    return request.headers.get("transfer-encoding") is not None or length not in ("", "0")


def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Errors as one line of plain text, never a traceback; an unread body closes the connection."""

    async def run(request: Request) -> Response:
        try:
            response = await handler(request)
        except HTTPError as err:
            response = plain(err.status, err.message, err.headers)
        except ClientDisconnect:
            return Response(b"", status_code=499)
        except Exception:  # noqa: BLE001 - a bug must not show a traceback to the client
            LOG.exception("error answering %s %s", request.method, request.url.path[:MAX_MESSAGE])
            response = plain(500, "internal error", {"Connection": "close"})
        if has_body(request) and not request.scope.get("egovkg.body_read"):
            response.headers["Connection"] = "close"  # what is left of it is never read as a request
        return response

    return run


def raw_path(request: Request) -> str:
    """The decoded path; only ever looked up, never joined onto a folder."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode()
    raw = raw.split(b"?", 1)[0]
    if not raw.startswith(b"/"):
        raise HTTPError(400, "the request target must be an absolute path")
    try:
        return urllib.parse.unquote_to_bytes(raw.decode("latin-1")).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPError(400, "the path is not valid UTF-8") from exc


# -- the application -----------------------------------------------------------------


def dataset_nquads(kg: KnowledgeGraph, out: Path) -> None:
    """The built graph's three named graphs as an N-Quads file for the workers to load."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(serialise(kg.dataset(), "trig"), format=ox.RdfFormat.TRIG)
    store.dump(str(out), format=ox.RdfFormat.N_QUADS)


class LinkedData:
    """The app's state: the site, its documents, the VoID description and the query workers."""

    def __init__(self, kg: KnowledgeGraph, site_dir: Path | None, data: Path, limits: QueryLimits) -> None:
        self.site = Site(kg)
        self.documents = Documents(self.site, site_dir)
        self.pool = WorkerPool(data, limits)
        self.sparql = SparqlEndpoint(self.pool, self.query_page)
        # the ontology's owl:versionIRI (…/ontology/0.1.0) names this version of it: it dereferences too
        version = self.site.graph.value(URIRef(ONTOLOGY_IRI), OWL.versionIRI)
        prefix = ONTOLOGY_IRI.rsplit("/", 1)[0]
        self.version_path = str(version)[len(prefix) :] if version and str(version).startswith(prefix) else None
        self._void: dict[tuple[str, str], bytes] = {}

    def query_page(self) -> bytes:
        page = self.documents.get(QUERY_PAGE) if QUERY_PAGE in self.documents else None
        return page if page is not None else fallback_query_page("/sparql")

    def void(self, request: Request, fmt: str) -> bytes:
        """The VoID description naming this server's /sparql (from the address it was reached on)."""
        host, port = (request.scope.get("server") or ("127.0.0.1", 80))[:2]
        origin = f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"
        key = (origin, fmt)
        if key not in self._void:
            graph = self.site.void(sparql_endpoint=f"{origin}/sparql")
            self._void[key] = void_page(graph) if fmt == "html" else serialise(graph, VOID_FORMATS[fmt][0])
        return self._void[key]

    async def get(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return answer(204, b"", TEXT, {"Allow": READ_METHODS})
        if request.method not in ("GET", "HEAD"):
            raise HTTPError(405, f"{request.method} is not allowed here", {"Allow": READ_METHODS})
        accept = accept_header(request)
        path = raw_path(request)
        if path == "/" + VOID_PATH:
            return answer(200, self.void(request, "ttl"), MEDIA_TYPES[".ttl"])
        for suffix, (_fmt, media) in (*VOID_FORMATS.items(), ("html", ("", "text/html; charset=utf-8"))):
            if path == f"/{VOID_PATH}.{suffix}":
                return answer(200, self.void(request, suffix), media)
        rel = "index.html" if path == "/" else path[1:]
        body = self.documents.get(rel)
        # a site rendered in memory never changes; a folder's files are read at each request
        request.scope[CACHEABLE] = self.documents.files is None
        if body is not None:
            ctype = MEDIA_TYPES.get(os.path.splitext(rel)[1], "application/octet-stream")
            extra = {"Content-Security-Policy": csp_for(rel)}  # the explorer and the query page run scripts
            return answer(200, body, ctype, extra)
        target = self.thing(path)
        if target is None:
            raise HTTPError(404, "no such resource or file")
        stem, offers = target
        chosen = negotiate(accept, [m for m, _ in offers])
        if chosen is None:
            raise HTTPError(406, "available as " + ", ".join(m for m, _ in offers), {"Vary": "Accept"})
        suffix = dict(offers)[chosen]
        if stem == VOID_PATH:
            location = "/" + VOID_PATH + ("" if suffix == "ttl" else f".{suffix}")
        else:
            location = f"/{stem}.{suffix}"
            if f"{stem}.{suffix}" not in self.documents:
                raise HTTPError(404, "no such resource or file")
        body = f"303 See Other: {location}\n".encode()
        return answer(303, body, TEXT, {"Location": location, "Vary": "Accept"})

    def thing(self, path: str) -> tuple[str, Sequence[tuple[str, str]]] | None:
        """(document stem, offers) for a path that names a thing, not a document."""
        site = self.site
        if path in ("/ontology", "/ontology/", self.version_path):
            return "ontology", DOCUMENT_OFFERS
        if not path.startswith("/id/"):
            return None
        iri = URIRef(site.base + path[len("/id/") :])
        r = site.resources.get(iri)
        if r is not None and r.kind == "id":
            return r.stem, DOCUMENT_OFFERS
        if str(iri).startswith(f"{site.base}dataset/egovkg"):  # the dataset the VoID describes, its partitions
            return VOID_PATH, DOCUMENT_OFFERS
        return None


def void_page(graph: Any) -> bytes:
    """The VoID description as a plain HTML table (the site's style, no scripts)."""
    rows = []
    for s, p, o in sorted(graph):
        cells = []
        for term in (s, p, o):
            text = html.escape(str(term))
            cells.append(f'<td><a href="{text}">{text}</a></td>' if isinstance(term, URIRef) else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Dataset description · 数据集描述</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/assets/site.css"></head><body><main>'
        "<h1>Dataset description (VoID) · 数据集描述</h1>"
        '<p>Also as <a href="/.well-known/void">Turtle</a>, <a href="/.well-known/void.nt">N-Triples</a>, '
        '<a href="/.well-known/void.jsonld">JSON-LD</a> and <a href="/.well-known/void.rdf">RDF/XML</a>.</p>'
        "<table><thead><tr><th>subject</th><th>predicate</th><th>object</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></main></body></html>\n"
    ).encode()


CACHEABLE = "egovkg.cacheable"  # set in a request's scope by a handler whose answer depends on path, query and Accept


class Replay:
    """Answers a repeated GET from the bytes of the first answer, without routing or handlers.

    A handler marks its answer as depending only on the path, the query string and the Accept
    header (``scope[CACHEABLE] = True``): a document of the site rendered in memory, a 303 to
    one, a SPARQL answer. The next GET with the same three gets the same status, headers and
    body at once. Entries hold for one generation of the data (``generation()``: a writable
    server's writes change it) and at most ``budget`` bytes of bodies in all."""

    def __init__(self, app: Any, generation: Callable[[], object], budget: int) -> None:
        self.app = app
        self.generation = generation
        self.budget = budget
        self._entries: dict[tuple[bytes, bytes, bytes], tuple[dict[str, Any], dict[str, Any]]] = {}
        self._bytes = 0
        self._of: object = None
        self.hits = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not self.budget:
            return await self.app(scope, receive, send)
        accept = b", ".join(v for k, v in scope["headers"] if k == b"accept")
        key = (scope.get("raw_path") or scope["path"].encode(), scope.get("query_string", b""), accept)
        generation = self.generation()
        if generation is not self._of:
            self._entries.clear()
            self._bytes = 0
            self._of = generation
        hit = self._entries.get(key)
        if hit is not None:
            self.hits += 1
            await send(hit[0])
            await send(hit[1])
            return None
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keep)
        if (
            scope.get(CACHEABLE)
            and start.get("status") in (200, 303, 404, 406)
            and generation is self.generation()
            and not any(k.lower() == b"connection" for k, _ in start.get("headers", ()))  # a close is one request's
        ):
            body = b"".join(chunks)
            if len(body) <= self.budget // 8:
                if self._bytes + len(body) > self.budget:
                    self._entries.clear()
                    self._bytes = 0
                self._entries[key] = (start, {"type": "http.response.body", "body": body, "more_body": False})
                self._bytes += len(body)
        return None


def _lifespan(pool: WorkerPool, cleanup: Callable[[], None] | None = None) -> Any:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> Any:
        await pool.start()
        gc.freeze()  # the graph and the site, loaded once, are never scanned by a collection again
        try:
            yield
        finally:
            await pool.close()
            if cleanup is not None:
                cleanup()

    return lifespan


def create_app(
    kg: KnowledgeGraph, site_dir: Path | None = None, limits: QueryLimits | None = None
) -> tuple[Starlette, LinkedData]:
    """The linked-data app for ``kg`` (any ASGI server runs it) and its state.

    With ``site_dir`` (a folder written by :func:`egovkg.site.build_site`) the documents are
    read from there; without, they are rendered on first request. The query workers start
    with the app (ASGI lifespan) and stop with it.
    """
    tmp = tempfile.TemporaryDirectory(prefix="egovkg-serve-")
    data = Path(tmp.name) / "dataset.nq"
    try:
        dataset_nquads(kg, data)
        state = LinkedData(kg, site_dir, data, limits or QueryLimits())
    except BaseException:
        tmp.cleanup()
        raise
    routes = [
        Route("/sparql", guarded(state.sparql), methods=ALL_METHODS),
        Route("/{path:path}", guarded(state.get), methods=ALL_METHODS),
    ]
    app = Starlette(routes=routes, lifespan=_lifespan(state.pool, tmp.cleanup))
    app.add_middleware(Replay, generation=lambda: state.pool.data, budget=state.pool.limits.cache)
    app.state.linked_data = state
    return app, state


class QueryService:
    """Plain `egovkg serve`: the SPARQL protocol alone at /query (and /sparql), over given data."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.sparql = SparqlEndpoint(pool, lambda: fallback_query_page("/query"))

    async def index(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise HTTPError(405, f"{request.method} is not allowed here", {"Allow": "GET, HEAD"})
        return answer(200, fallback_query_page("/query"), "text/html; charset=utf-8")

    async def other(self, request: Request) -> Response:
        raise HTTPError(404, "this server answers SPARQL queries at /query")


def create_query_app(files: Sequence[Path], limits: QueryLimits | None = None) -> tuple[Starlette, QueryService]:
    """A read-only SPARQL endpoint over RDF ``files`` (named graphs of TriG and N-Quads kept)."""
    import pyoxigraph as ox

    from egovkg.sparql.store import OxigraphStore

    tmp = tempfile.TemporaryDirectory(prefix="egovkg-serve-")
    data = Path(tmp.name) / "dataset.nq"
    try:
        store = OxigraphStore.from_files(files).store
        store.dump(str(data), format=ox.RdfFormat.N_QUADS)
        service = QueryService(WorkerPool(data, limits or QueryLimits()))
    except BaseException:
        tmp.cleanup()
        raise
    routes = [
        Route("/query", guarded(service.sparql), methods=ALL_METHODS),
        Route("/sparql", guarded(service.sparql), methods=ALL_METHODS),
        Route("/", guarded(service.index), methods=ALL_METHODS),
        Route("/{path:path}", guarded(service.other), methods=ALL_METHODS),
    ]
    app = Starlette(routes=routes, lifespan=_lifespan(service.pool, tmp.cleanup))
    app.add_middleware(Replay, generation=lambda: service.pool.data, budget=service.pool.limits.cache)
    return app, service


MAX_UPLOAD = 256 << 20  # bytes of one Graph Store PUT or POST
UPLOAD_TIMEOUT = 300.0  # seconds a client may take to send it
GRAPH_PARAMS = {"graph", "default"}


class WritableService:
    """`egovkg serve --writable`: queries at /query through the worker pool, SPARQL updates at
    /update and the Graph Store protocol at /store through the one writer process
    (:class:`egovkg.serve.workers.StoreWriter`), every one with the same limits and sandbox.
    After a write the query workers load the store's new generation before their next query."""

    def __init__(self, pool: WorkerPool, writer: StoreWriter, folder: Path) -> None:
        self.pool = pool
        self.writer = writer
        self.folder = folder
        self.sparql = SparqlEndpoint(pool, lambda: fallback_query_page("/query"), update_url="/update")
        self._uploads = 0

    async def update(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return answer(204, b"", TEXT, {"Allow": "POST, OPTIONS"})
        if request.method != "POST":
            raise HTTPError(405, "send updates with POST", {"Allow": "POST, OPTIONS"})
        params = query_params(request.scope.get("query_string", b"").decode("latin-1"))
        body = await read_body(request, MAX_BODY, "the update")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPError(400, "the body is not valid UTF-8") from exc
        ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        if ctype == "application/sparql-update":
            params["update"] = [text, *params.get("update", [])]
        elif ctype == "application/x-www-form-urlencoded":
            params = query_params(text)
        else:
            raise HTTPError(415, "send application/sparql-update or application/x-www-form-urlencoded")
        updates = params.get("update", [])
        if len(updates) != 1:
            raise HTTPError(400, "give exactly one update")
        request_ = {
            "op": "update",
            "update": updates[0],
            # the protocol's dataset (SPARQL 1.1 Protocol 2.2.3): written into the update as USING clauses
            "using": graph_iris(params, "using-graph-uri"),
            "using_named": graph_iris(params, "using-named-graph-uri"),
        }
        return self._written(await self.writer.run(request_))

    async def store(self, request: Request) -> Response:
        allow = {"Allow": "GET, HEAD, PUT, POST, DELETE, OPTIONS"}
        method = request.method
        if method == "OPTIONS":
            return answer(204, b"", TEXT, allow)
        if method not in ("GET", "HEAD", "PUT", "POST", "DELETE"):
            raise HTTPError(405, f"{method} is not allowed here", allow)
        params = query_params(request.scope.get("query_string", b"").decode("latin-1"))
        if params.keys() - GRAPH_PARAMS or len(params.get("graph", [])) > 1 or len(params) > 1:
            raise HTTPError(400, "give ?graph=IRI or ?default (or neither, to GET the whole dataset)")
        graph: str | None = None
        if "graph" in params:
            graph = graph_iris(params, "graph")[0]
        elif "default" in params:
            graph = ""
        if method in ("GET", "HEAD"):
            accept = accept_header(request)
            reply = await self.pool.run({"op": "graph", "graph": graph, "accept": accept}, disconnected(request))
            if reply is None:
                return Response(b"", status_code=499)
            vary = {"Vary": "Accept"} if reply.vary else {}
            if reply.status != 200:
                raise HTTPError(reply.status, reply.message, vary)
            return answer(200, reply.body, reply.ctype or "application/octet-stream", vary)
        if graph is None:
            raise HTTPError(400, f"{method} needs ?graph=IRI or ?default: the graph to write")
        if method == "DELETE":
            return self._written(await self.writer.run({"op": "delete", "graph": graph}))
        fmt = upload_format(request.headers.get("content-type"))
        body = await read_body(request, MAX_UPLOAD, "the graph", UPLOAD_TIMEOUT)
        self._uploads += 1
        path = self.folder / f"upload-{self._uploads}"
        try:
            await asyncio.to_thread(path.write_bytes, body)
            del body
            op = "put" if method == "PUT" else "post"
            return self._written(await self.writer.run({"op": op, "graph": graph, "path": str(path), "format": fmt}))
        finally:
            path.unlink(missing_ok=True)

    @staticmethod
    def _written(reply: Reply) -> Response:
        if reply.status in (200, 201, 204):
            return Response(b"", status_code=reply.status, headers={"Access-Control-Allow-Origin": "*"})
        raise HTTPError(reply.status, reply.message)

    async def index(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise HTTPError(405, f"{request.method} is not allowed here", {"Allow": "GET, HEAD"})
        return answer(200, fallback_query_page("/query"), "text/html; charset=utf-8")

    async def other(self, request: Request) -> Response:
        raise HTTPError(404, "this server answers at /query, /update and /store")


UPLOAD_FORMATS = ("TURTLE", "N_TRIPLES", "RDF_XML", "JSON_LD", "N3")  # one graph each (JSON-LD: its default graph)


def upload_format(ctype: str | None) -> str:
    """The pyoxigraph RdfFormat name of a Graph Store upload's Content-Type; 415 otherwise."""
    import pyoxigraph as ox

    fmt = ox.RdfFormat.from_media_type(ctype or "")
    name = next((n for n in UPLOAD_FORMATS if fmt is not None and getattr(ox.RdfFormat, n) == fmt), None)
    if name is None:
        shown = ", ".join(getattr(ox.RdfFormat, n).media_type for n in UPLOAD_FORMATS)
        raise HTTPError(415, f"send one graph as {shown}")
    return name


def create_writable_app(location: Path, limits: QueryLimits | None = None) -> tuple[Starlette, WritableService]:
    """A read-write SPARQL endpoint over the Oxigraph store folder ``location`` (loaded before):
    /query, /update and /store (Graph Store protocol), every request through the guards."""
    limits = limits or QueryLimits()
    tmp = tempfile.TemporaryDirectory(prefix="egovkg-serve-")
    folder = Path(tmp.name)
    pool = WorkerPool(folder / "generation-0.nq", limits)  # the writer names the first generation at start
    writer = StoreWriter(location, folder, limits, pool.set_data)
    service = WritableService(pool, writer, folder)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> Any:
        try:
            await writer.start()
            await pool.start()
            yield
        finally:
            await pool.close()
            await writer.close()
            tmp.cleanup()

    routes = [
        Route("/query", guarded(service.sparql), methods=ALL_METHODS),
        Route("/sparql", guarded(service.sparql), methods=ALL_METHODS),
        Route("/update", guarded(service.update), methods=ALL_METHODS),
        Route("/store", guarded(service.store), methods=ALL_METHODS),
        Route("/", guarded(service.index), methods=ALL_METHODS),
        Route("/{path:path}", guarded(service.other), methods=ALL_METHODS),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(Replay, generation=lambda: pool.data, budget=limits.cache)
    return app, service


__all__ = [
    "Documents",
    "HTTPError",
    "LinkedData",
    "QueryService",
    "WritableService",
    "create_app",
    "create_query_app",
    "create_writable_app",
]
