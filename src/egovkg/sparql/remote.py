"""Remote SPARQL 1.1 endpoints: queries through SPARQLWrapper, one clear error per fault.

An endpoint's reply is input like any other: a SELECT or ASK reply is checked
against the SPARQL 1.1 Query Results JSON format (head.vars a list of variable
names, results.bindings a list of objects whose values are well-formed uri,
literal or bnode terms, or a boolean) before any of it reaches a writer, and
anything else is one EndpointError naming the URL and what is wrong.

Every reply body, an error's too, is read through ``triplestore.read_reply``: at most
``max_reply_size`` bytes (default 256 MiB, ``--max-reply-size``), never decompressed.
SPARQLWrapper builds the request; the request is sent here rather than by
``SPARQLWrapper.query``, which reads an error reply's body whole, and redirects are not
followed (urllib reads a redirect's body whole too).
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef

from egovkg.errors import EndpointError, one_line
from egovkg.sparql.graphstore import (
    DEFAULT_MAX_REPLY,
    PASSWORD_ENV,
    TOKEN_ENV,
    Credentials,
    check_http_url,
    check_max_reply,
    check_timeout,
    read_reply,
)
from egovkg.sparql.results import QueryResult, to_rdflib
from egovkg.sparql.store import quiet_term_warnings

DEFAULT_TIMEOUT = 30
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
# "typed-literal" is the SPARQL 1.0-era spelling some servers (Virtuoso) still send
TERM_TYPES = ("uri", "literal", "typed-literal", "bnode")


class BadReply(ValueError):
    """What is wrong with a reply, as a path into its JSON: 'head.vars is not a list'."""


def _plain(text: str) -> str:
    """A library's message as printable text: Oxigraph quotes the offending character raw."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _show(value: Any, limit: int = 60) -> str:
    # a reply's text quoted in a message: repr escapes control and bidi characters
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)[:200]
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


def _term(where: str, value: Any) -> URIRef | Literal | BNode:
    """One RDF term of a binding; every part checked with Oxigraph's own term rules, so
    what is accepted here is what the result writers (Oxigraph's) accept too."""
    import pyoxigraph as ox

    if not isinstance(value, dict):
        raise BadReply(f"{where} is not an object")
    kind, text = value.get("type"), value.get("value")
    if kind not in TERM_TYPES:
        raise BadReply(f"{where}.type {_show(kind)} is not uri, literal or bnode")
    if not isinstance(text, str):
        raise BadReply(f"{where}.value is not a string")
    if kind == "uri":
        try:
            ox.NamedNode(text)
        except ValueError as exc:
            raise BadReply(f"{where}.value {_show(text)} is not an IRI ({_plain(str(exc))})") from exc
        return URIRef(text)
    if kind == "bnode":
        try:
            ox.BlankNode(text)
        except ValueError:
            # Some servers use labels such as 'nodeID://b10' that are not valid blank node
            # labels; a label only names a node within one reply, so a one-to-one rename is safe.
            return BNode("b" + text.encode("utf-8").hex())
        return BNode(text)
    lang, datatype = value.get("xml:lang"), value.get("datatype")
    if datatype is not None:
        if not isinstance(datatype, str):
            raise BadReply(f"{where}.datatype is not a string")
        try:
            ox.NamedNode(datatype)
        except ValueError as exc:
            raise BadReply(f"{where}.datatype {_show(datatype)} is not an IRI ({_plain(str(exc))})") from exc
    if lang is not None:
        if not isinstance(lang, str):
            raise BadReply(f"{where}.xml:lang is not a string")
        try:
            ox.Literal(text, language=lang)
        except ValueError as exc:
            raise BadReply(f"{where}.xml:lang {_show(lang)} is not a language tag ({_plain(str(exc))})") from exc
        if datatype not in (None, RDF_LANG_STRING):
            raise BadReply(f"{where} has both xml:lang and datatype {_show(datatype)}")
        return Literal(text, lang=lang)
    if datatype == RDF_LANG_STRING:
        raise BadReply(f"{where} has datatype rdf:langString but no xml:lang")
    return Literal(text, datatype=URIRef(datatype) if datatype else None)


def _results(data: Any) -> QueryResult:
    """A parsed SPARQL 1.1 JSON results document as a QueryResult; BadReply if it is not one."""
    import pyoxigraph as ox

    if not isinstance(data, dict):
        raise BadReply(f"not a JSON object but {_show(data)}")
    head = data.get("head", {})
    if not isinstance(head, dict):
        raise BadReply("head is not an object")
    if "boolean" in data:
        if not isinstance(data["boolean"], bool):
            raise BadReply(f"boolean is {_show(data['boolean'])}, not true or false")
        return QueryResult("ask", boolean=data["boolean"])
    if "head" not in data:
        raise BadReply("there is no head")
    names = head.get("vars")
    if not isinstance(names, list):
        raise BadReply("head.vars is not a list" if "vars" in head else "head.vars is missing")
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise BadReply(f"head.vars[{i}] is not a string")
        try:
            ox.Variable(name)
        except ValueError as exc:
            raise BadReply(f"head.vars[{i}] {_show(name)} is not a variable name") from exc
        if name in names[:i]:
            raise BadReply(f"head.vars names {_show(name)} twice")
    results = data.get("results")
    if not isinstance(results, dict):
        raise BadReply("there is neither results nor boolean" if results is None else "results is not an object")
    bindings = results.get("bindings")
    if not isinstance(bindings, list):
        raise BadReply("results.bindings is not a list" if "bindings" in results else "results.bindings is missing")
    declared = set(names)
    rows = []
    with quiet_term_warnings():
        for i, binding in enumerate(bindings):
            where = f"results.bindings[{i}]"
            if not isinstance(binding, dict):
                raise BadReply(f"{where} is not an object")
            row = {}
            for name, value in binding.items():
                if name not in declared:
                    # a writer shows only declared columns: the value would silently vanish
                    raise BadReply(f"{where} binds {_show(name)}, which head.vars does not name")
                row[name] = _term(f"{where}.{name}", value)
            rows.append(row)
    return QueryResult("select", vars=names, rows=rows)


def parse_results(url: str, raw: bytes, content_type: str = "") -> QueryResult:
    """An endpoint's SELECT or ASK reply, checked; EndpointError naming ``url`` if it is not SPARQL JSON results."""
    prefix = f"{url}: the reply is not SPARQL JSON results"
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: hostile nesting like [[[[...
        raise EndpointError(f"{prefix} ({content_type or 'no content type'})") from exc
    try:
        return _results(data)
    except BadReply as exc:
        raise EndpointError(f"{prefix}: {one_line(str(exc))}") from exc


def parse_graph(url: str, raw: bytes, content_type: str = "") -> QueryResult:
    """An endpoint's CONSTRUCT or DESCRIBE reply (N-Triples or Turtle), checked.

    Parsed by Oxigraph with no base IRI: a relative or malformed IRI is an error, where
    rdflib would resolve it against the working folder or keep it and fail when writing."""
    import pyoxigraph as ox

    fmt = ox.RdfFormat.N_TRIPLES if "n-triples" in content_type else ox.RdfFormat.TURTLE
    g = Graph()
    try:
        with quiet_term_warnings():
            for quad in ox.parse(raw, format=fmt):
                g.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    except (SyntaxError, ValueError) as exc:  # BadReply is a ValueError
        reason = _plain(one_line(str(exc)))
        raise EndpointError(f"{url}: the reply is not RDF ({content_type or 'no content type'}): {reason}") from exc
    return QueryResult("graph", graph=g)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error, never followed: urllib would read the redirect's body whole
    (no cap), send a POST query on as a GET without the query, and forward the Authorization
    header to whatever host the Location names."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # urllib then raises the 3xx as an HTTPError, its body unread


def _status_error(url: str, exc: urllib.error.HTTPError) -> EndpointError:
    """An HTTP error reply as one line: the status, and the Location of a redirect or the first
    line of the server's own message (at most 300 bytes of it are read, never markup)."""
    status = f"{url}: HTTP {exc.code} {_plain(one_line(str(exc.reason)))[:100]}".rstrip()
    if 300 <= exc.code < 400:
        where = exc.headers.get("Location") if exc.headers else None
        return EndpointError(
            f"{status}: redirected to {_show(where or '')}; redirects are not followed "
            "(a POST query would arrive as an empty GET): give that URL as the endpoint"
        )
    if exc.code == 404:
        return EndpointError(f"{status}: is this the query endpoint (Oxigraph: /query, Fuseki: /DATASET/sparql)?")
    if exc.code == 401:
        return EndpointError(
            f"{status}: authentication required or refused (--user with {PASSWORD_ENV}, or {TOKEN_ENV})"
        )
    detail = ""
    content_type = (exc.headers.get("Content-Type") or "") if exc.headers else ""
    if "html" not in content_type.lower():
        try:
            text = exc.read(300).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):  # the message is only a hint
            text = ""
        detail = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return EndpointError(status + (f": {_plain(one_line(detail, 200))}" if detail else ""))


@dataclass
class Endpoint:
    """A SPARQL 1.1 query endpoint (e.g. Oxigraph's /query, Fuseki's /ds/sparql).

    ``max_reply_size`` caps the bytes read of any one reply (see triplestore.DEFAULT_MAX_REPLY
    for why 256 MiB); a reply past it is one EndpointError naming the URL and the cap."""

    url: str
    timeout: int = DEFAULT_TIMEOUT
    credentials: Credentials | None = None  # Basic (user, password) or Bearer (token)
    max_reply_size: int = DEFAULT_MAX_REPLY
    _request_url: str = field(default="", init=False, repr=False)  # the URL as sent: ASCII

    def __post_init__(self) -> None:
        # checked here, so a bad --endpoint or --timeout fails before any data is read or sent
        self._request_url = urllib.parse.urlunsplit(check_http_url(self.url))  # messages keep the URL as given
        check_timeout(self.timeout)
        check_max_reply(self.max_reply_size)

    def query(self, text: str) -> QueryResult:
        from SPARQLWrapper import JSON, N3, SPARQLWrapper

        sw = SPARQLWrapper(self._request_url)
        sw.setTimeout(self.timeout)
        sw.setMethod("POST")
        sw.setQuery(text)
        kind = sw.queryType
        graph_query = kind in ("CONSTRUCT", "DESCRIBE")
        sw.setReturnFormat(N3 if graph_query else JSON)
        if graph_query:
            sw.setOnlyConneg(True)
            sw.addCustomHttpHeader("Accept", "application/n-triples, text/turtle;q=0.9")
        from egovkg.util.retry import retrying

        # SPARQLWrapper's request builder (method, conneg, Basic auth; an underscore method in its
        # API docs, sparqlwrapper pinned <3), sent here so every reply body is read through
        # read_reply's cap: sw.query() reads an error reply's body whole
        request = sw._createRequest()
        for name, value in (self.credentials.header() if self.credentials else {}).items():
            request.add_header(name, value)  # Basic with an empty password, or Bearer: SPARQLWrapper does neither
        opener = urllib.request.build_opener(_NoRedirects)
        try:
            for attempt in retrying():  # a query is read-only: transient faults are retried
                with attempt:
                    with opener.open(request, timeout=self.timeout) as response:
                        content_type = response.headers.get("Content-Type", "")
                        raw = read_reply(response, self.url, self.max_reply_size)
        except urllib.error.HTTPError as exc:
            with exc:  # closed: the rest of its body is never read
                raise _status_error(self.url, exc) from exc
        except urllib.error.URLError as exc:
            raise EndpointError(f"{self.url}: cannot connect ({exc.reason})") from exc
        except TimeoutError as exc:
            raise EndpointError(f"{self.url}: no answer within {self.timeout} s") from exc
        except OSError as exc:
            raise EndpointError(f"{self.url}: {exc}") from exc
        except http.client.HTTPException as exc:  # not HTTP at all (BadStatusLine), a cut reply (IncompleteRead)
            raise EndpointError(f"{self.url}: not a valid HTTP reply ({type(exc).__name__})") from exc
        if graph_query:
            return parse_graph(self.url, raw, content_type)
        return parse_results(self.url, raw, content_type)
