"""Running a query: a named query, an .rq file or text, on a graph, a store or an endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from egovkg.sparql.catalogue import NamedQuery, load_catalogue, prepare
from egovkg.sparql.results import QueryResult
from egovkg.sparql.store import run_local

if TYPE_CHECKING:  # rdflib is imported where it is used: listing and preparing queries never needs it
    pass


def run_query(
    target: Any,
    name_or_text: str,
    params: Mapping[str, str] | None = None,
    *,
    catalogue: Mapping[str, NamedQuery] | None = None,
) -> QueryResult:
    """Run a named query, an .rq file or query text on a graph, a store or an endpoint URL."""
    from rdflib import Graph

    from egovkg.paths import Layout
    from egovkg.sparql.remote import Endpoint

    if catalogue is None:
        catalogue = load_catalogue(Layout.default().queries)
    text = prepare(name_or_text, params or {}, catalogue)
    if isinstance(target, str):
        target = Endpoint(target)
    if isinstance(target, Graph):
        return run_local(target, text)
    return target.query(text)
