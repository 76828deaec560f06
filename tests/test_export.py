"""Exports: every format round-trips, an independent parser agrees, outputs are byte-identical."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, VOID, XSD

from egovkg.graph.build import KnowledgeGraph
from egovkg.graph.namespaces import EGOV
from egovkg.rdfio import export as export_mod
from egovkg.rdfio.export import describe, export, serialise
from egovkg.rdfio.formats import RDF_FORMATS as FORMATS

from .conftest import ROOT, published


@pytest.fixture(scope="module")
def exported(kg: KnowledgeGraph, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("export")
    paths = {}
    for fmt, suffix in ((name, f.suffix) for name, f in FORMATS.items()):
        paths[fmt] = out / f"egovkg.{suffix}"
        export(kg, fmt, paths[fmt])
    return paths


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld", "xml"])
def test_each_format_round_trips_isomorphic(fmt: str, exported: dict[str, Path], graph: Graph) -> None:
    back = Graph().parse(exported[fmt], format=FORMATS[fmt].rdflib)
    assert len(back) == len(graph)
    assert isomorphic(back, graph)


def test_trig_has_one_named_graph_per_origin(exported: dict[str, Path], kg: KnowledgeGraph) -> None:
    ds = Dataset()
    ds.parse(exported["trig"], format="trig")
    graphs = {str(g.identifier): len(g) for g in ds.graphs() if len(g)}
    iris = kg.graph_iris
    assert graphs == {
        str(iris["announcement"]): len(kg.announcement),
        str(iris["curated"]): len(kg.curated),
        str(iris["ontology"]): len(kg.ontology),
    }


def test_turtle_uses_the_standard_prefixes(exported: dict[str, Path]) -> None:
    head = exported["ttl"].read_text(encoding="utf-8")
    for line in (
        "@prefix egov: <https://w3id.org/egovkg/ontology#> .",
        "@prefix schema: <https://schema.org/> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix award: <https://w3id.org/egovkg/id/award/> .",
    ):
        assert line in head
    assert "award:2012-public-service-03 a " in head


def test_jsonld_has_a_compact_context(exported: dict[str, Path]) -> None:
    import json

    data = json.loads(exported["jsonld"].read_text(encoding="utf-8"))
    assert data["@context"]["egov"] == "https://w3id.org/egovkg/ontology#"
    assert any(
        node.get("@id") == "https://w3id.org/egovkg/id/award/2012-public-service-03" and "rdfs:label" in node
        for node in data["@graph"]
    )


def test_an_independent_parser_reads_the_same_triples(exported: dict[str, Path], graph: Graph) -> None:
    rapper = shutil.which("rapper")
    if rapper is None:
        if os.environ.get("CI"):
            pytest.fail("rapper (raptor2-utils) must be installed in CI")
        pytest.skip("rapper (raptor2-utils) is not installed")
    done = subprocess.run([rapper, "-i", "turtle", "-c", str(exported["ttl"])], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"returned {len(graph)} triples" in done.stderr


def test_void_describes_the_dataset(kg: KnowledgeGraph, graph: Graph) -> None:
    void = describe(kg, dumps={"ttl": "https://w3id.org/egovkg/dump/egovkg.ttl"})
    ds = URIRef(kg.base + "dataset/egovkg")
    assert void.value(ds, VOID.triples) == Literal(len(graph), datatype=XSD.integer)
    parts = {
        void.value(p, VOID["class"]): int(void.value(p, VOID.entities)) for p in void.objects(ds, VOID.classPartition)
    }
    assert parts[EGOV.Award] == 40
    assert parts[EGOV.Practice] == 40
    assert (ds, VOID.dataDump, URIRef("https://w3id.org/egovkg/dump/egovkg.ttl")) in void
    assert (ds, RDF.type, URIRef("http://www.w3.org/ns/dcat#Dataset")) in void
    vocabularies = {str(v) for v in void.objects(ds, VOID.vocabulary)}
    used = {str(p) for p in graph.predicates()} | {str(c) for c in graph.objects(None, RDF.type)}
    assert all(any(term.startswith(v) for v in vocabularies) for term in used), "every term's vocabulary is listed"
    assert {"http://data.europa.eu/m8g/", "http://www.w3.org/ns/oa#", "https://schema.org/"} <= vocabularies
    assert "http://www.w3.org/ns/dcat#" not in vocabularies, "only what the data uses"
    assert {d.language for d in void.objects(ds, DCTERMS.description)} == {"zh", "en"}


def test_a_failed_export_leaves_the_previous_file(kg: KnowledgeGraph, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "egovkg.ttl"
    target.write_bytes(b"previous")

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_mod, "serialise", boom)
    with pytest.raises(RuntimeError):
        export(kg, "ttl", target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["egovkg.ttl"]


def test_unknown_format_is_an_error(graph: Graph) -> None:
    from egovkg.errors import EgovkgError

    with pytest.raises(EgovkgError, match="unknown format 'yaml'"):
        serialise(graph, "yaml")


def _build(home: Path, seed: str) -> None:
    import shutil

    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, home / part)
    env = {**os.environ, "PYTHONHASHSEED": seed, "EGOVKG_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "egovkg", "build", "-o", str(home / "build")],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
    )
    assert done.returncode == 0, done.stderr


def _outputs(home: Path) -> dict[str, bytes]:
    """Every published output by its public name, leaving out the generations folder (its names
    hold a run's id) and the cache."""
    skip = frozenset({".generations", "cache"})
    return {
        f"{folder}/{name}": data for folder in ("build", "viz") for name, data in published(home / folder, skip).items()
    }


@pytest.mark.slow  # two whole builds in subprocesses
def test_two_builds_are_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    """Every output: the exports, VoID, the ontology docs, the views, the statistics and the
    whole linked-data site (every page and description), from two `egovkg build` processes
    with different hash seeds."""
    _build(tmp_path / "a", "0")
    _build(tmp_path / "b", "4242")
    a, b = _outputs(tmp_path / "a"), _outputs(tmp_path / "b")
    assert sorted(a) == sorted(b)
    assert set(a) >= {
        "build/egovkg.ttl",
        "build/egovkg.nt",
        "build/egovkg.jsonld",
        "build/egovkg.rdf",
        "build/egovkg.trig",
        "build/void.ttl",
        "build/docs/ontology.html",
        "viz/overview.html",
        "viz/geography.html",
        "viz/agencies.html",
        "viz/timeline.html",
        "viz/index.html",
        "viz/map.html",
        "viz/awards-by-province.png",
        "viz/stats.json",
    }
    assert sum(name.startswith("build/site/id/") for name in a) > 4000
    for name in a:
        assert a[name] == b[name], name
    assert b'href="../build/site/query.html"' in a["viz/overview.html"]  # the site's query page, linked
    for suffix in ("ttl", "nt", "jsonld", "rdf", "trig"):  # the site's dumps: the exports' bytes
        assert a[f"build/site/dump/egovkg.{suffix}"] == a[f"build/egovkg.{suffix}"], suffix


def test_rdf_xml_reads_back_a_carriage_return_and_refuses_a_control_character() -> None:
    from egovkg.errors import EgovkgError

    g = Graph()
    g.add((URIRef("http://e/s"), URIRef("http://e/p"), Literal("a\rb")))
    back = Graph().parse(data=serialise(g, "xml"), format="xml")
    assert [str(o) for o in back.objects()] == ["a\rb"]
    g.add((URIRef("http://e/s"), URIRef("http://e/q"), Literal("\ufffe")))
    with pytest.raises(EgovkgError, match=r"^cannot write RDF/XML: a value holds U\+FFFE, a char"):
        serialise(g, "xml")


def test_jsonld_and_turtle_from_n_triples_match_rdflib(graph: Graph) -> None:
    """The fast writers (from sorted N-Triples) against rdflib's: JSON-LD byte for byte (the
    same compaction), Turtle the same triples with the same prefixes, each subject typed first."""
    from egovkg.rdfio.export import turtle_from_nt
    from egovkg.rdfio.jsonld import jsonld_from_nt

    nt = serialise(graph, "nt")
    context = {p: str(ns) for p, ns in graph.namespaces()}
    expected = export_mod._canonical_json(
        __import__("json").loads(
            graph.serialize(
                format="json-ld",
                context={p: ns for p, ns in context.items() if p in export_mod.PREFIXES and p != "id"},
                auto_compact=True,
            )
        )
    )
    import json

    assert jsonld_from_nt(nt) == (json.dumps(expected, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    ttl = turtle_from_nt(nt, context)
    assert isomorphic(Graph().parse(data=ttl, format="turtle"), graph)
    head = [line for line in ttl.decode().splitlines() if line.startswith("@prefix ")]
    assert head == sorted(head) and "@prefix egov: <https://w3id.org/egovkg/ontology#> ." in head
    # a non-canonical integer keeps its lexical form: it reads back as the same triple
    odd = Graph()
    odd.add((URIRef("urn:x"), URIRef("urn:p"), Literal("007", datatype=XSD.integer)))
    back = Graph().parse(data=jsonld_from_nt(serialise(odd, "nt")), format="json-ld")
    assert isomorphic(back, odd)


def _rdflib_jsonld(g: Graph) -> bytes:
    """rdflib's compact JSON-LD of ``g``, its arrays sorted and written as the project's writer
    promises: json.dumps(ensure_ascii=False, indent=2, sort_keys=True)."""
    import json

    context = {p: ns for p, ns in export_mod.PREFIXES.items() if p != "id"}
    raw = g.serialize(format="json-ld", context={p: str(ns) for p, ns in context.items()}, auto_compact=True)
    data = export_mod._canonical_json(json.loads(raw))
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def test_the_jsonld_writer_matches_rdflib_on_awkward_values() -> None:
    """One writer (egovkg.rdfio.jsonld, its text by orjson) for the export and the site: control
    characters, non-ASCII, quotes, blank nodes, an IRI that is a whole namespace, an id that sorts
    by its JSON text ("a!b" before "a"), non-canonical and out-of-range integers: the bytes rdflib
    gives (where rdflib can write them) and the same triples read back."""
    from rdflib import BNode

    from egovkg.rdfio.jsonld import jsonld_from_nt

    S = "https://schema.org/"
    g = Graph()
    a = URIRef(S + "a")
    for text in ('tab\there "q" back\\slash\nline\r\x00\x01\x1f\x7f', "中文\u2028\u2029😀", ""):
        g.add((a, URIRef(S + "name"), Literal(text)))
    g.add((a, URIRef(S + "name"), Literal("zh", lang="zh-hans")))
    g.add((a, URIRef(S + "q"), Literal("true", datatype=XSD.boolean)))
    g.add((a, URIRef(S + "q"), Literal("1", datatype=XSD.boolean)))
    g.add((a, URIRef(S + "q"), Literal("1.50", datatype=XSD.decimal)))
    g.add((a, URIRef(S + "q"), Literal("-12", datatype=XSD.integer)))
    g.add((a, URIRef(S + "q"), Literal("+12", datatype=XSD.integer)))
    g.add((a, URIRef(S + "q"), BNode("b1")))
    g.add((BNode("b1"), URIRef(S + "q"), Literal("y", lang="en")))
    g.add((a, RDF.type, URIRef(S + "Thing")))
    g.add((a, RDF.type, URIRef("urn:x:Other")))
    g.add((URIRef(S), URIRef(S + "name"), URIRef(S)))
    g.add((URIRef(S + "a!b"), URIRef(S + "name"), Literal("x")))
    g.add((URIRef(S + "/x"), URIRef("urn:p"), Literal("x")))  # schema://x would read as an IRI
    data = jsonld_from_nt(serialise(g, "nt"))
    assert data == _rdflib_jsonld(g)
    assert isomorphic(Graph().parse(data=data, format="json-ld"), g)
    text = data.decode("utf-8")
    assert "中文\u2028\u2029😀" in text and "\\u0000\\u0001\\u001f\x7f" in text  # UTF-8 as it is, controls escaped
    assert text.index('"@id": "schema:a!b"') < text.index('"@id": "schema:a"')
    # an integer beyond 64 bits (orjson writes no such number) stays a value object with its lexical form
    big = Graph()
    big.add((a, URIRef(S + "q"), Literal(str(2**70), datatype=XSD.integer)))
    big.add((a, URIRef(S + "r"), Literal(str(2**63 - 1), datatype=XSD.integer)))
    data = jsonld_from_nt(serialise(big, "nt"))
    assert f'"@value": "{2**70}"' in data.decode() and f'"schema:r": {2**63 - 1}' in data.decode()
    assert isomorphic(Graph().parse(data=data, format="json-ld"), big)
    # an empty graph: an empty @graph array
    assert jsonld_from_nt(b"") == _rdflib_jsonld(Graph()) and b'"@graph": []' in jsonld_from_nt(b"")
