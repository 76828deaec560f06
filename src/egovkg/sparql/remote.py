"""Remote SPARQL 1.1 endpoints: queries sent with httpx (``egovkg.sparql.http``), one clear error per fault.

An endpoint's reply is input like any other: a SELECT or ASK reply is checked
against the SPARQL 1.1 Query Results JSON format (head.vars a list of variable
names, results.bindings a list of objects whose values are well-formed uri,
literal or bnode terms, or a boolean) before any of it reaches a writer, and
anything else is one EndpointError naming the URL and what is wrong.

Every reply body is read through ``graphstore.read_reply``: at most ``max_reply_size``
bytes (default 256 MiB, ``--max-reply-size``), never decompressed; at most 4 KiB of an
error reply; redirects are not followed. ``--timeout`` is a deadline for the whole
exchange (see ``egovkg.sparql.http``).
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef

from egovkg.errors import EndpointError, one_line
from egovkg.sparql.graphstore import (
    DEFAULT_MAX_REPLY,
    Credentials,
    check_http_url,
    check_max_reply,
    check_timeout,
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


QUERY_HINTS = {
    401: "authentication required",
    404: "is this the query endpoint (Oxigraph: /query, Fuseki: /DATASET/sparql)?",
}


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
        from egovkg.sparql.guard import query_form
        from egovkg.sparql.http import exchange

        graph_query = query_form(text) in ("CONSTRUCT", "DESCRIBE")
        accept = "application/n-triples, text/turtle;q=0.9" if graph_query else "application/sparql-results+json"
        # SPARQL 1.1 Protocol 2.1.2: a query by POST, URL-encoded, which every endpoint accepts
        reply = exchange(
            "POST",
            self._request_url,
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
            body=urllib.parse.urlencode({"query": text}).encode("utf-8"),
            timeout=self.timeout,
            max_reply=self.max_reply_size,
            credentials=self.credentials,
            hints=QUERY_HINTS,
            label=self.url,
        )
        content_type = reply.headers.get("Content-Type", "")
        if graph_query:
            return parse_graph(self.url, reply.body, content_type)
        return parse_results(self.url, reply.body, content_type)
