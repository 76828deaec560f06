"""Remote SPARQL 1.1 endpoints: queries through SPARQLWrapper, one clear error per fault."""

from __future__ import annotations

import json
import urllib.error
from dataclasses import dataclass
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef

from egovkg.errors import EndpointError
from egovkg.query import QueryResult

DEFAULT_TIMEOUT = 30


def _term(binding: dict[str, Any]) -> URIRef | Literal | BNode:
    kind = binding.get("type")
    value = binding.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        lang = binding.get("xml:lang")
        datatype = binding.get("datatype")
        return Literal(value, lang=lang) if lang else Literal(value, datatype=URIRef(datatype) if datatype else None)
    raise EndpointError(f"unexpected term type in the endpoint's JSON results: {kind!r}")


@dataclass
class Endpoint:
    """A SPARQL 1.1 query endpoint (e.g. Oxigraph's /query, Fuseki's /ds/sparql)."""

    url: str
    timeout: int = DEFAULT_TIMEOUT
    user: str | None = None
    password: str | None = None

    def query(self, text: str) -> QueryResult:
        from SPARQLWrapper import JSON, N3, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        sw = SPARQLWrapper(self.url)
        sw.setTimeout(self.timeout)
        sw.setMethod("POST")
        if self.user is not None:
            sw.setCredentials(self.user, self.password or "")
        sw.setQuery(text)
        kind = sw.queryType
        graph_query = kind in ("CONSTRUCT", "DESCRIBE")
        sw.setReturnFormat(N3 if graph_query else JSON)
        if graph_query:
            sw.setOnlyConneg(True)
            sw.addCustomHttpHeader("Accept", "application/n-triples, text/turtle;q=0.9")
        from egovkg.retry import retrying

        try:
            for attempt in retrying():  # a query is read-only: transient faults are retried
                with attempt:
                    response = sw.query()
                    raw = response.response.read()
                    content_type = response.response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            raise EndpointError(f"{self.url}: HTTP {exc.code} {exc.reason}") from exc
        except SPARQLWrapperException as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EndpointError(f"{self.url}: {first}") from exc
        except urllib.error.URLError as exc:
            raise EndpointError(f"{self.url}: cannot connect ({exc.reason})") from exc
        except TimeoutError as exc:
            raise EndpointError(f"{self.url}: no answer within {self.timeout} s") from exc
        except OSError as exc:
            raise EndpointError(f"{self.url}: {exc}") from exc
        if graph_query:
            fmt = "nt" if "n-triples" in content_type else "turtle"
            g = Graph()
            try:
                g.parse(data=raw.decode("utf-8"), format=fmt)
            except Exception as exc:
                raise EndpointError(f"{self.url}: the reply is not RDF ({content_type or 'no content type'})") from exc
            return QueryResult("graph", graph=g)
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise EndpointError(
                f"{self.url}: the reply is not SPARQL JSON results ({content_type or 'no content type'})"
            ) from exc
        if "boolean" in data:
            return QueryResult("ask", boolean=bool(data["boolean"]))
        try:
            names = list(data["head"].get("vars", []))
            rows = [{k: _term(v) for k, v in b.items()} for b in data["results"]["bindings"]]
        except (KeyError, TypeError, AttributeError) as exc:
            raise EndpointError(f"{self.url}: the reply is not SPARQL JSON results") from exc
        return QueryResult("select", vars=names, rows=rows)
