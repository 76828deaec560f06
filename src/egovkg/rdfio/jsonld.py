"""Compact JSON-LD of RDF triples: the one writer of the JSON-LD export and of the site's
per-resource descriptions.

The shape is rdflib's (``auto_compact``, no nesting), made stable: one node object per
subject in ``@graph`` (always: rdflib puts a lone node at the top level), IRIs shortened
by the project's prefixes (not ``id:``), ``rdf:type`` as ``@type``, a property with one
value written without an array, and every array sorted by the compact JSON text of its
items (the nodes by their ``@id``). Plain strings are JSON strings; integers and booleans
are JSON numbers and booleans only when their lexical form is canonical (and, for
integers, fits in 64 bits), so every triple reads back as it was; every other literal is
a value object that keeps its lexical form. The JSON text itself is orjson's (indented by
two spaces, keys sorted): the same bytes as
``json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True)`` for this data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import orjson
import pyoxigraph as ox

from egovkg.graph.namespaces import PREFIXES

CONTEXT: dict[str, str] = {p: str(ns) for p, ns in PREFIXES.items() if p != "id"}
_BY_NAMESPACE: dict[str, str] = {ns: p for p, ns in sorted(CONTEXT.items(), reverse=True)}  # the first prefix wins
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_CANONICAL_INTEGER = re.compile(r"-?[1-9][0-9]*|0")
_INT_RANGE = range(-(2**63), 2**64)  # what orjson writes as a JSON number

# a triple's node id, its key in that node, and its value as (compact JSON text, value): the
# text is the value's sort key
Parts = tuple[str, str, tuple[bytes, Any]]


@lru_cache(maxsize=65536)
def compact(iri: str) -> str:
    """``iri`` as ``prefix:local`` when its namespace (up to its last ``#``, else its last ``/``,
    else its last ``:``, as rdflib splits it) is a context prefix's; else whole. So a local part
    never holds a ``/`` (``schema://x`` would read as an absolute IRI)."""
    for delim in "#/:":
        at = iri.rfind(delim)
        if at > -1:
            prefix = _BY_NAMESPACE.get(iri[: at + 1])
            return iri if prefix is None else f"{prefix}:{iri[at + 1 :]}"
    return iri


def _id(term: Any) -> str:
    return compact(term.value) if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _literal(o: ox.Literal) -> Any:
    if o.language:
        return {"@language": o.language, "@value": o.value}
    datatype = o.datatype.value
    if datatype == _XSD + "string":
        return o.value
    if datatype == _XSD + "integer" and _CANONICAL_INTEGER.fullmatch(o.value) and int(o.value) in _INT_RANGE:
        return int(o.value)
    if datatype == _XSD + "boolean" and o.value in ("true", "false"):
        return o.value == "true"
    return {"@type": compact(datatype), "@value": o.value}


def triple_parts(t: ox.Triple) -> Parts:
    """Where one triple goes in the document: its node's ``@id``, its key and its value."""
    o = t.object
    if t.predicate.value == _RDF_TYPE and isinstance(o, ox.NamedNode):
        key, value = "@type", compact(o.value)
    else:
        key = compact(t.predicate.value)
        value = _literal(o) if isinstance(o, ox.Literal) else {"@id": _id(o)}
    return _id(t.subject), key, (orjson.dumps(value, option=orjson.OPT_SORT_KEYS), value)


def write_jsonld(triples: Iterable[ox.Triple], cache: dict[ox.Triple, Parts] | None = None) -> bytes:
    """The compact JSON-LD document of ``triples`` (Oxigraph triples, no triple terms).

    ``cache`` keeps each triple's parts for the next call: the site writes thousands of
    descriptions, and a triple is in many of them (a label is in every one that links to its node)."""
    nodes: dict[str, dict[str, list[tuple[bytes, Any]]]] = {}
    for t in triples:
        if cache is None:
            sid, key, value = triple_parts(t)
        else:
            found = cache.get(t)
            if found is None:
                found = cache[t] = triple_parts(t)
            sid, key, value = found
        node = nodes.get(sid)
        if node is None:
            node = nodes[sid] = {}
        values = node.get(key)
        if values is None:
            node[key] = [value]
        else:
            values.append(value)
    graph = []
    # the nodes in the order of their JSON text, which starts {"@id": "...", (no key sorts before
    # @id): the order of their quoted ids, and quoted strings are never a prefix of one another
    for sid in sorted(nodes, key=orjson.dumps):
        obj: dict[str, Any] = {"@id": sid}
        for key, values in nodes[sid].items():
            obj[key] = values[0][1] if len(values) == 1 else [v for _, v in sorted(values, key=_first)]
        graph.append(obj)
    return orjson.dumps({"@context": CONTEXT, "@graph": graph}, option=_OPTIONS) + b"\n"


def _first(item: tuple[bytes, Any]) -> bytes:
    return item[0]


def jsonld_from_nt(nt: bytes) -> bytes:
    """The compact JSON-LD of a graph given as N-Triples."""
    return write_jsonld(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))


__all__ = ["CONTEXT", "compact", "jsonld_from_nt", "triple_parts", "write_jsonld"]
