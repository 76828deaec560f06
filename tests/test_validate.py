"""SHACL shapes: the shipped graph conforms, and every shape can fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from egovkg.paths import Layout
from egovkg.sparql.validate import load_shapes, shacl, validate

from .conftest import FIXTURES

SHAPES_DIR = FIXTURES / "shapes"
FAILING = sorted(p for p in SHAPES_DIR.glob("*.ttl") if p.name != "valid.ttl")
EGOVSH = "https://w3id.org/egovkg/shapes#"


@pytest.fixture(scope="session")
def shapes(layout: Layout) -> Graph:
    return load_shapes(layout.shapes)


def test_the_shipped_graph_conforms(graph, shapes: Graph) -> None:
    assert shacl(graph, shapes) == ()


def test_the_valid_fixture_conforms(shapes: Graph) -> None:
    data = Graph().parse(SHAPES_DIR / "valid.ttl")
    assert shacl(data, shapes) == ()


def test_every_targeted_shape_has_a_failing_fixture(shapes: Graph) -> None:
    from rdflib.namespace import SH

    targeted = {
        str(s).removeprefix(EGOVSH)
        for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetNode, SH.targetObjectsOf)
        for s in shapes.subjects(p, None)
    }
    assert targeted <= {p.stem for p in FAILING}, targeted - {p.stem for p in FAILING}


@pytest.mark.parametrize("fixture", FAILING, ids=[p.stem for p in FAILING])
def test_each_shape_fails_on_its_fixture(fixture: Path, shapes: Graph) -> None:
    violations = shacl(Graph().parse(fixture), shapes)
    assert violations, f"{fixture.name} should violate {fixture.stem}"
    assert {v.shape.removeprefix(EGOVSH).split("-")[0] for v in violations} == {fixture.stem}
    assert all(v.message for v in violations)


def test_validate_reports_shacl_and_checks(graph, shapes: Graph) -> None:
    report = validate(graph, shapes)
    assert report.conforms
