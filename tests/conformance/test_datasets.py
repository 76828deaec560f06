"""SPARQL 1.1 datasets (section 13) on every embedded store: FROM, FROM NAMED and GRAPH are
honoured, and a query without a dataset clause keeps the documented union default graph.
The counts come from the built graph's own named graphs, never typed in."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from egovkg.graph.build import KnowledgeGraph
from egovkg.sparql.guard import has_dataset_clause, uses_named_graphs

STORES = ["oxigraph", "memory"]


@pytest.fixture(scope="module")
def trig(kg: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from egovkg.rdfio.export import serialise

    path = tmp_path_factory.mktemp("dataset") / "egovkg.trig"
    path.write_bytes(serialise(kg.dataset(), "trig"))
    return path


@pytest.fixture(scope="module")
def sizes(kg: KnowledgeGraph) -> dict[str, int]:
    return {str(iri): len(getattr(kg, name)) for name, iri in kg.graph_iris.items()}


def run(*args: str) -> list[dict[str, str]]:
    """`egovkg query ... --format csv` in its own process (the cold path runs only there)."""
    done = subprocess.run(
        [sys.executable, "-m", "egovkg", "query", *args, "--format", "csv"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout)))


def where(store: str, trig: Path, source: str) -> list[str]:
    """The options that pick a store and its data: the given TriG file, or the built graph
    (on Oxigraph that is the cold path, which never imports rdflib)."""
    data = ["--data", str(trig)] if source == "file" else []
    return [*data, "--store", store]


COMBOS = [(store, source) for store in STORES for source in ("file", "built")]


@pytest.mark.parametrize(("store", "source"), COMBOS)
def test_from_makes_the_default_graph_the_named_graphs(store, source, trig, sizes) -> None:
    ontology = "https://w3id.org/egovkg/graph/ontology"
    curated = "https://w3id.org/egovkg/graph/curated"
    opts = where(store, trig, source)
    one = run("-e", f"SELECT (COUNT(*) AS ?n) FROM <{ontology}> WHERE {{ ?s ?p ?o }}", *opts)
    assert one == [{"n": str(sizes[ontology])}]  # what Jena ARQ answers (test_jena)
    two = run("-e", f"SELECT (COUNT(*) AS ?n) FROM <{ontology}> FROM <{curated}> WHERE {{ ?s ?p ?o }}", *opts)
    assert two == [{"n": str(sizes[ontology] + sizes[curated])}]  # no triple is in both graphs


@pytest.mark.parametrize(("store", "source"), COMBOS)
def test_no_dataset_clause_keeps_the_union_default_graph(store, source, trig, sizes) -> None:
    opts = where(store, trig, source)
    assert run("-e", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", *opts) == [{"n": str(sum(sizes.values()))}]


@pytest.mark.parametrize(("store", "source"), COMBOS)
def test_graph_sees_each_named_graph(store, source, trig, sizes) -> None:
    opts = where(store, trig, source)
    text = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    assert run("-e", text, *opts) == [{"g": g, "n": str(n)} for g, n in sorted(sizes.items())]


@pytest.mark.parametrize(("store", "source"), COMBOS)
def test_from_named_limits_graph_and_leaves_the_default_graph_empty(store, source, trig, sizes) -> None:
    curated = "https://w3id.org/egovkg/graph/curated"
    opts = where(store, trig, source)
    named = f"SELECT ?g (COUNT(*) AS ?n) FROM NAMED <{curated}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"
    assert run("-e", named, *opts) == [{"g": curated, "n": str(sizes[curated])}]
    empty = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{curated}> WHERE {{ ?s ?p ?o }}"
    assert run("-e", empty, *opts) == [{"n": "0"}]


@pytest.mark.parametrize("store", STORES)
def test_a_graph_the_data_lacks_is_empty_and_never_fetched(store: str, trig: Path) -> None:
    # rdflib would fetch a FROM graph it does not hold from the web (SPARQL_LOAD_GRAPHS): it is empty
    text = "SELECT (COUNT(*) AS ?n) FROM <http://127.0.0.1:9/nothing-here> WHERE { ?s ?p ?o }"
    assert run("-e", text, "--data", str(trig), "--store", store) == [{"n": "0"}]


@pytest.mark.parametrize("store", STORES)
def test_a_file_of_triples_is_a_default_graph_with_no_named_graphs(store: str, trig: Path, tmp_path: Path) -> None:
    nt = tmp_path / "g.nt"
    nt.write_text("<http://e/s> <http://e/p> <http://e/o> .\n", encoding="utf-8")
    opts = ["--data", str(nt), "--store", store]
    assert run("-e", "SELECT (COUNT(*) AS ?n) FROM <http://e/g> WHERE { ?s ?p ?o }", *opts) == [{"n": "0"}]
    assert run("-e", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", *opts) == [{"n": "0"}]
    assert run("-e", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", *opts) == [{"n": "1"}]


@pytest.mark.parametrize(
    ("text", "dataset", "named"),
    [
        ("SELECT * FROM <http://e/g> WHERE { ?s ?p ?o }", True, True),
        ("select * from named <http://e/g> { graph ?g { ?s ?p ?o } }", True, True),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", False, True),
        ("SELECT ?from ?graph WHERE { ?from <http://e/graph> ?graph }", False, False),
        ("PREFIX from: <http://e/> PREFIX graph: <http://e/> SELECT * { ?s from:p graph:o }", False, False),
        ('SELECT * WHERE { ?s ?p "FROM <x> GRAPH" } # FROM <y>', False, False),
        ("SELECT * WHERE { ?s ?p <http://e/FROM> }", False, False),
    ],
)
def test_dataset_clauses_are_found_in_the_query_not_in_its_names(text: str, dataset: bool, named: bool) -> None:
    assert has_dataset_clause(text) is dataset
    assert uses_named_graphs(text) is named
