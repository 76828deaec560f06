"""The cold-start path of `egovkg query`: the built graph in Oxigraph, no rdflib import.

A repeat query on an unchanged graph reads the cached N-Triples into an
in-memory Oxigraph store, runs the query and writes the W3C result formats with
Oxigraph's own serialisers, or the terminal table from Oxigraph's terms. rdflib
(about 100 ms to import) is never loaded, so a one-off query starts about as
fast as Python itself. CONSTRUCT and DESCRIBE, queries that may make blank nodes
(BNODE(), SERVICE), graphs that hold any, and anything else this path does not
cover return None and go through the general runner, which names blank nodes stably.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from egovkg.errors import QueryError, one_line


def applies(text: str, fmt: str) -> bool:
    """Whether this path can answer ``text`` in ``fmt`` (given a store from :func:`load_cached`)."""
    from egovkg.sparql.guard import may_make_blank_nodes
    from egovkg.sparql.results import W3C_RESULT_FORMATS

    return (fmt == "table" or fmt in W3C_RESULT_FORMATS) and not may_make_blank_nodes(text)


def load_cached(nt: Path) -> Any | None:
    """The graph in ``nt`` (egovkg's cached N-Triples, or TriG for queries that name graphs) in
    an in-memory Oxigraph store; None when it holds blank nodes (the general runner names them
    _:b1, _:b2 … stably; Oxigraph's are random)."""
    import pyoxigraph as ox

    data = nt.read_bytes()
    if b"_:" in data:
        return None
    store = ox.Store()
    # the cache is egovkg's own output, checked when it was written: lenient parsing skips
    # checking every IRI again, a third of the load
    if nt.suffix == ".trig":
        store.load(input=data, format=ox.RdfFormat.TRIG, lenient=True)
    else:
        store.load(input=data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph(), lenient=True)
    return store


def answer(store: Any, text: str, fmt: str, *, width: int | None = None) -> bytes | None:
    """Run ``text`` (already checked and bound; :func:`applies`) on a store from
    :func:`load_cached`; None for a graph result (CONSTRUCT, DESCRIBE: the general runner)."""
    import pyoxigraph as ox

    from egovkg.sparql.guard import has_dataset_clause
    from egovkg.sparql.results import TABLE_WIDTH, cell, render_cells, serialize_results, table_prefixes

    # Oxigraph evaluates lazily (a SERVICE call can fail while results are read), so the
    # reading is guarded too.
    try:
        result = store.query(text, use_default_graph_as_union=not has_dataset_clause(text))
        if isinstance(result, ox.QueryTriples):
            return None
        if fmt != "table":
            return serialize_results(result, fmt)
        if isinstance(result, ox.QueryBoolean):
            return b"true\n" if bool(result) else b"false\n"
        names = [v.value for v in result.variables]
        prefixes = table_prefixes()
        rows = [[cell(solution[n], prefixes) for n in names] for solution in result]
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from exc
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(f"query failed: {one_line(str(exc))}") from exc
    return render_cells(names, rows, width=width or TABLE_WIDTH).encode("utf-8")
