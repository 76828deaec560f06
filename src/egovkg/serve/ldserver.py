"""A linked-data HTTP server: every IRI dereferences, in the format the client asks for.

Following the W3C note "Cool URIs for the Semantic Web" (303 URIs forwarding
to different documents, section 4.3), an IRI that names a thing answers
``303 See Other`` to a document about it, chosen by the ``Accept`` header::

    GET /id/award/X   Accept: text/html    -> 303 Location: /id/award/X.html
    GET /id/award/X   Accept: text/turtle  -> 303 Location: /id/award/X.ttl
    GET /id/award/X   Accept: image/png    -> 406

The documents are the files of the static site (:mod:`egovkg.publish.site`), served
from a built folder or rendered on demand. The ontology uses hash IRIs
(``…/ontology#Award``): a client fetches ``/ontology``, which answers 303 to
``/ontology.html`` or ``/ontology.ttl`` (recipe 3 of "Best Practice Recipes
for Publishing RDF Vocabularies"). ``/sparql`` is a read-only SPARQL 1.1
query endpoint (GET ``?query=``, POST form or ``application/sparql-query``)
answered by Oxigraph; ``/.well-known/void`` is the VoID/DCAT description.

Errors are one short line of plain text: 400 for a malformed request or an
``Accept`` header over 4 KB, 404 for anything that is not a known resource or
file (paths are looked up in a table of the site's files, never joined onto
the file system, so ``..`` and ``%2e%2e`` cannot leave the site), 405 for a
method the path does not take, 406 when no offered format is acceptable, 413
for a query body over 1 MB. Federated queries (``SERVICE``) are refused, so the
endpoint never makes requests of its own.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import urllib.parse
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rdflib import URIRef
from rdflib.namespace import OWL

from egovkg.errors import EgovkgError, QueryError
from egovkg.graph.build import KnowledgeGraph
from egovkg.graph.namespaces import ONTOLOGY_IRI
from egovkg.publish.addresses import CSP
from egovkg.publish.site import MARKER, MEDIA_TYPES, VOID_PATH, Site
from egovkg.rdfio.export import serialise
from egovkg.sparql.guard import guard, uses_service

LOG = logging.getLogger("egovkg.serve.ldserver")
MAX_ACCEPT = 4096  # bytes of Accept header(s)
MAX_BODY = 1 << 20  # bytes of a POSTed query
MAX_MESSAGE = 200  # characters of an error message
TEXT = "text/plain; charset=utf-8"
# (media type, file suffix) in the server's order of preference: */* gets the first.
DOCUMENT_OFFERS: tuple[tuple[str, str], ...] = (
    ("text/html", "html"),
    ("text/turtle", "ttl"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdf"),
)
RESULTS_OFFERS: tuple[tuple[str, str], ...] = (
    ("application/sparql-results+json", "JSON"),
    ("application/sparql-results+xml", "XML"),
    ("text/csv", "CSV"),
    ("text/tab-separated-values", "TSV"),
    ("application/json", "JSON"),
    ("application/xml", "XML"),
)
GRAPH_OFFERS: tuple[tuple[str, str], ...] = (
    ("text/turtle", "TURTLE"),
    ("application/n-triples", "N_TRIPLES"),
    ("application/ld+json", "JSON_LD"),
    ("application/rdf+xml", "RDF_XML"),
)
RESULT_MEDIA = {
    "JSON": "application/sparql-results+json",
    "XML": "application/sparql-results+xml",
    "CSV": "text/csv; charset=utf-8",
    "TSV": "text/tab-separated-values; charset=utf-8",
}


class HTTPError(Exception):
    """A request the server answers with an error status and a short message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


# -- content negotiation ---------------------------------------------------------


def parse_accept(header: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) of each well-formed media range; malformed ones are ignored."""
    ranges = []
    for part in header.split(","):
        media, *params = (x.strip() for x in part.split(";"))
        if media.count("/") != 1:
            continue
        typ, sub = (x.strip().lower() for x in media.split("/"))
        if not typ or not sub or (typ == "*" and sub != "*"):
            continue
        q = 1.0
        for param in params:
            key, _, val = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(val.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            ranges.append((typ, sub, q))
    return ranges


def negotiate(header: str | None, offers: Sequence[str]) -> str | None:
    """The offer the Accept header prefers (RFC 9110: the most specific range sets q), or None.

    No header, or an empty one, takes the first offer; ties go to the earlier offer.
    """
    if header is None or not header.strip():
        return offers[0]
    ranges = parse_accept(header)
    best, best_q = None, 0.0
    for offer in offers:
        typ, sub = offer.split("/")
        q, rank = 0.0, -1
        for rt, rs, rq in ranges:
            if (rt, rs) == (typ, sub):
                r = 2
            elif rt == typ and rs == "*":
                r = 1
            elif (rt, rs) == ("*", "*"):
                r = 0
            else:
                continue
            if r > rank:
                rank, q = r, rq
            elif r == rank:
                q = max(q, rq)
        if q > best_q:
            best, best_q = offer, q
    return best


# -- what the server serves ------------------------------------------------------


class _Documents:
    """The site's files by path: read from a built folder, or rendered once and kept."""

    def __init__(self, site: Site, site_dir: Path | None) -> None:
        self.site = site
        self.files: dict[str, Path] | None = None
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()
        if site_dir is not None:
            self.files = self._scan(Path(site_dir))

    @staticmethod
    def _scan(root: Path) -> dict[str, Path]:
        if not (root / MARKER).is_file():
            raise EgovkgError(f"{root}: not a site built by 'egovkg site' (no {MARKER})")
        files: dict[str, Path] = {}
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            rel_dir = os.path.relpath(dirpath, root)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") or (not rel_dir and d == ".well-known"))
            for name in filenames:
                full = Path(dirpath) / name
                if name.startswith(".") or full.is_symlink() or not full.is_file():
                    continue
                files[rel_dir + name] = full
        return files

    def __contains__(self, rel: str) -> bool:
        return rel in self.files if self.files is not None else rel in self.site

    def get(self, rel: str) -> bytes | None:
        if self.files is not None:
            path = self.files.get(rel)
            if path is None:
                return None
            try:
                return path.read_bytes()
            except OSError:
                return None
        if rel not in self.site:
            return None
        with self._lock:
            if rel not in self._cache:
                self._cache[rel] = self.site.render(rel)
            return self._cache[rel]


class LinkedDataServer(ThreadingHTTPServer):
    """The HTTP server; ``url`` is where it listens. Use as a context manager or call ``server_close``."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], site: Site, documents: _Documents, store: Any) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.site = site
        self.documents = documents
        self.store = store
        # the ontology's owl:versionIRI (…/ontology/0.1.0) names this version of it: it dereferences too
        version = site.graph.value(URIRef(ONTOLOGY_IRI), OWL.versionIRI)
        prefix = ONTOLOGY_IRI.rsplit("/", 1)[0]
        self.version_path = str(version)[len(prefix) :] if version and str(version).startswith(prefix) else None
        super().__init__(address, _Handler)
        host, port = self.server_address[:2]
        self.url = f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"
        self.void = serialise(site.void(sparql_endpoint=f"{self.url}/sparql"), "ttl")

    def handle_error(self, request: Any, client_address: Any) -> None:  # never print a traceback
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            # a client that resets or drops a keep-alive connection, or goes quiet: routine, not a bug
            LOG.debug("connection from %s ended: %s", client_address, exc)
            return
        LOG.exception("error while serving %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    server: LinkedDataServer
    server_version = "egovkg-linked-data"
    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds an idle keep-alive connection may hold a thread

    # -- plumbing --------------------------------------------------------------

    def version_string(self) -> str:  # no Python version in the Server header
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        LOG.info("%s %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, oversized headers) as one line of plain text."""
        self.close_connection = True
        self._body_read = True  # the connection closes anyway
        try:
            self._error(HTTPError(code, message or ""), {"Connection": "close"})
        except OSError:
            pass

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        if self._unread_body():  # what is left of it would be read as the next request: close instead
            self.close_connection = True
            headers = {**(headers or {}), "Connection": "close"}
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Access-Control-Allow-Origin", "*")
        if ctype.startswith("text/html"):
            self.send_header("Content-Security-Policy", CSP)
        for key, val in (headers or {}).items():
            self.send_header(key, val)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, err: HTTPError, extra: dict[str, str] | None = None) -> None:
        try:
            phrase = HTTPStatus(err.status).phrase
        except ValueError:
            phrase = "Error"
        detail = "".join(ch if ch.isprintable() else "?" for ch in err.message)[:MAX_MESSAGE]
        body = f"{err.status} {phrase}" + (f": {detail}" if detail and detail != phrase else "") + "\n"
        self._send(err.status, body.encode("utf-8"), TEXT, {**err.headers, **(extra or {})})

    def _unread_body(self) -> bool:
        headers = getattr(self, "headers", None)
        if headers is None or getattr(self, "_body_read", False):
            return False
        length = (headers.get("Content-Length") or "0").strip()
        return headers.get("Transfer-Encoding") is not None or length not in ("", "0")

    def _guard(self, handler: Any) -> None:
        self._body_read = False
        try:
            handler()
        except HTTPError as err:
            self._error(err)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # noqa: BLE001 - a bug must not show a traceback to the client
            LOG.exception("error answering %s %s", self.command, self.path[:MAX_MESSAGE])
            self.close_connection = True
            self._error(HTTPError(500, "internal error"), {"Connection": "close"})

    def _accept(self) -> str | None:
        values = self.headers.get_all("Accept") or []
        if sum(len(v) for v in values) > MAX_ACCEPT:
            raise HTTPError(400, f"Accept header longer than {MAX_ACCEPT} bytes")
        return ", ".join(values) if values else None

    def _path(self) -> tuple[str, str]:
        """(decoded path, query string); the path is only ever looked up, never joined onto a folder."""
        parts = urllib.parse.urlsplit(self.path)
        if not parts.path.startswith("/"):
            raise HTTPError(400, "the request target must be an absolute path")
        try:
            path = urllib.parse.unquote(parts.path, errors="strict")
        except UnicodeDecodeError as exc:
            raise HTTPError(400, "the path is not valid UTF-8") from exc
        return path, parts.query

    # -- methods ---------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._guard(self._get)

    def do_HEAD(self) -> None:  # noqa: N802
        self._guard(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._guard(self._post)

    def _not_allowed(self) -> None:
        def answer() -> None:
            path, _ = self._path()
            allow = "GET, HEAD, POST, OPTIONS" if path == "/sparql" else "GET, HEAD, OPTIONS"
            raise HTTPError(405, f"{self.command} is not allowed here", {"Allow": allow})

        self._guard(answer)

    do_PUT = do_DELETE = do_PATCH = do_TRACE = do_CONNECT = _not_allowed  # noqa: N815

    def do_OPTIONS(self) -> None:  # noqa: N802
        def answer() -> None:
            path, _ = self._path()
            allow = "GET, HEAD, POST, OPTIONS" if path == "/sparql" else "GET, HEAD, OPTIONS"
            self._send(204, b"", TEXT, {"Allow": allow})

        self._guard(answer)

    # -- GET -------------------------------------------------------------------

    def _get(self) -> None:
        accept = self._accept()
        path, query = self._path()
        if path == "/sparql":
            params = urllib.parse.parse_qs(query, keep_blank_values=True, max_num_fields=64)
            return self._sparql(params, accept)
        if path == "/" + VOID_PATH:
            return self._send(200, self.server.void, MEDIA_TYPES[".ttl"])
        rel = "index.html" if path == "/" else path[1:]
        body = self.server.documents.get(rel)
        if body is not None:
            return self._send(200, body, MEDIA_TYPES.get(os.path.splitext(rel)[1], "application/octet-stream"))
        target = self._thing(path)
        if target is None:
            raise HTTPError(404, "no such resource or file")
        stem, only = target
        offers = [(m, s) for m, s in DOCUMENT_OFFERS if only is None or s in only]
        chosen = negotiate(accept, [m for m, _ in offers])
        if chosen is None:
            raise HTTPError(406, "available as " + ", ".join(m for m, _ in offers), {"Vary": "Accept"})
        suffix = dict(offers)[chosen]
        location = f"/{stem}.{suffix}" if stem != VOID_PATH else "/" + VOID_PATH
        if stem != VOID_PATH and f"{stem}.{suffix}" not in self.server.documents:
            raise HTTPError(404, "no such resource or file")
        body = f"303 See Other: {location}\n".encode()
        self._send(303, body, TEXT, {"Location": location, "Vary": "Accept"})

    def _thing(self, path: str) -> tuple[str, set[str] | None] | None:
        """(document stem, allowed suffixes) for a path that names a thing, not a document."""
        site = self.server.site
        if path in ("/ontology", "/ontology/", self.server.version_path):
            return "ontology", None
        if not path.startswith("/id/"):
            return None
        iri = URIRef(site.base + path[len("/id/") :])
        r = site.resources.get(iri)
        if r is not None and r.kind == "id":
            return r.stem, None
        if str(iri).startswith(f"{site.base}dataset/egovkg"):  # the dataset the VoID describes
            return VOID_PATH, {"ttl"}
        return None

    # -- SPARQL ----------------------------------------------------------------

    def _post(self) -> None:
        accept = self._accept()
        path, query = self._path()
        if path != "/sparql":
            raise HTTPError(405, "POST is only for /sparql", {"Allow": "GET, HEAD, OPTIONS"})
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            raise HTTPError(411, "a POST needs a Content-Length")
        size = int(length)
        if size > MAX_BODY:
            raise HTTPError(413, f"the query is longer than {MAX_BODY} bytes")
        body = self.rfile.read(size)
        self._body_read = True
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HTTPError(400, "the body is not valid UTF-8") from exc
        if ctype == "application/sparql-query":
            params = urllib.parse.parse_qs(query, keep_blank_values=True, max_num_fields=64)
            if "query" in params:
                raise HTTPError(400, "give the query in the body or the URL, not both")
            params["query"] = [text]
        elif ctype == "application/x-www-form-urlencoded":
            params = urllib.parse.parse_qs(text, keep_blank_values=True, max_num_fields=64)
        else:
            raise HTTPError(415, "send application/sparql-query or application/x-www-form-urlencoded")
        self._sparql(params, accept)

    def _sparql(self, params: dict[str, list[str]], accept: str | None) -> None:
        import pyoxigraph as ox

        if "update" in params:
            raise HTTPError(400, "this endpoint is read-only: it answers queries, not updates")
        queries = params.get("query", [])
        if len(queries) != 1:
            raise HTTPError(400, "give exactly one 'query' parameter, e.g. /sparql?query=ASK{}")
        text = queries[0]
        try:
            guard(text)
        except QueryError as exc:
            raise HTTPError(400, str(exc)) from exc
        if uses_service(text):
            raise HTTPError(400, "SERVICE (federated query) is not allowed on this endpoint")
        try:
            result = self.server.store.query(text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise HTTPError(400, f"SPARQL syntax error: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise HTTPError(400, f"query failed: {exc}") from exc
        if isinstance(result, ox.QueryTriples):
            chosen = negotiate(accept, [m for m, _ in GRAPH_OFFERS])
            if chosen is None:
                raise HTTPError(406, "available as " + ", ".join(m for m, _ in GRAPH_OFFERS), {"Vary": "Accept"})
            fmt = getattr(ox.RdfFormat, dict(GRAPH_OFFERS)[chosen])
            ctype = chosen + ("; charset=utf-8" if chosen == "text/turtle" else "")
        else:
            chosen = negotiate(accept, [m for m, _ in RESULTS_OFFERS])
            if chosen is None:
                raise HTTPError(406, "available as " + ", ".join(m for m, _ in RESULTS_OFFERS[:4]), {"Vary": "Accept"})
            name = dict(RESULTS_OFFERS)[chosen]
            fmt = getattr(ox.QueryResultsFormat, name)
            ctype = RESULT_MEDIA[name]
        try:
            data = result.serialize(format=fmt)
        except (OSError, ValueError, RuntimeError, SyntaxError) as exc:
            raise HTTPError(400, f"query failed: {exc}") from exc
        self._send(200, data or b"", ctype, {"Vary": "Accept"})


def make_server(
    kg: KnowledgeGraph, host: str = "127.0.0.1", port: int = 0, site_dir: Path | None = None
) -> LinkedDataServer:
    """A server for ``kg`` bound to ``host:port`` (0: any free port), not yet serving.

    With ``site_dir`` (a folder written by :func:`egovkg.publish.site.build_site`) the
    documents are read from there; without, they are rendered on first request.
    """
    from egovkg.sparql.store import OxigraphStore

    site = Site(kg)
    documents = _Documents(site, site_dir)
    store = OxigraphStore.from_graph(site.graph).store
    try:
        return LinkedDataServer((host, port), site, documents, store)
    except OSError as exc:
        raise EgovkgError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def serve_forever(server: LinkedDataServer) -> None:
    """Serve until ``server.shutdown()`` is called (from another thread) or Ctrl-C; then close."""
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


__all__ = ["LinkedDataServer", "make_server", "serve_forever", "negotiate", "parse_accept"]
