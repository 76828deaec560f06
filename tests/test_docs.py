"""The ontology's documentation page (pyLODE, through egovkg.publish.pipeline.render_docs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from egovkg.publish import pipeline

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "egovkg.ttl"

pytest.importorskip("pylode")


def _namespaces(page: str) -> list[tuple[str, str]]:
    block = page.split('<div id="namespaces">', 1)[1].split("</dl>", 1)[0]
    return re.findall(r'<dt id="([^"]*)">[^<]*</dt>\s*<dd>\s*<code>([^<]*)</code>', block)


@pytest.fixture(scope="module")
def page() -> str:
    return pipeline.render_docs(ONTOLOGY)


def test_the_page_is_plain_pylodes_page(page: str, monkeypatch) -> None:
    """Our OntPub lists the namespaces from each term once; the page is the one pyLODE's own
    OntPub makes, byte for byte."""
    from pylode import OntPub

    monkeypatch.setattr(pipeline, "_ontpub_class", lambda: OntPub)
    plain = pipeline.render_docs(ONTOLOGY)
    assert page == plain


def test_the_namespaces_listed_are_those_the_ontology_uses(page: str) -> None:
    listed = dict(_namespaces(page))
    assert listed["egov"] == "https://w3id.org/egovkg/ontology#"
    assert listed["skos"] == "http://www.w3.org/2004/02/skos/core#"
    assert listed["owl"] == "http://www.w3.org/2002/07/owl#"
    # rdflib binds thirty prefixes by default; none the ontology does not use is listed
    assert "brick" not in listed and "odrl" not in listed and "sosa" not in listed


def test_a_namespace_used_once_is_listed(tmp_path: Path) -> None:
    onto = tmp_path / "tiny.ttl"
    onto.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix ex: <https://example.org/x#> .\n"
        "@prefix unused: <https://example.org/unused#> .\n"
        "<https://example.org/x> a owl:Ontology ; rdfs:label \"Tiny\"@en .\n"
        "ex:C a owl:Class ; rdfs:label \"C\"@en .\n",
        encoding="utf-8",
    )
    listed = dict(_namespaces(pipeline.render_docs(onto)))
    assert listed.get("ex") == "https://example.org/x#"
    assert "unused" not in listed
