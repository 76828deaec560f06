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


def _summary(violations) -> set[tuple[str, str, str]]:
    return {(v.focus, v.shape, v.severity) for v in violations}


@pytest.mark.parametrize("fixture", [*FAILING, SHAPES_DIR / "valid.ttl"], ids=lambda p: p.stem)
def test_the_fast_engine_agrees_with_pyshacl_on_every_fixture(fixture: Path, shapes: Graph) -> None:
    data = Graph().parse(fixture)
    assert _summary(shacl(data, shapes, engine="turbo")) == _summary(shacl(data, shapes, engine="pyshacl"))


def _with_label(tag: str) -> Graph:
    from rdflib import Literal
    from rdflib.namespace import RDFS

    data = Graph().parse(SHAPES_DIR / "valid.ttl")
    person = next(s for s in data.subjects(RDFS.label, None) if "/person/" in str(s))
    data.add((person, RDFS.label, Literal("Yichang Shi", lang=tag)))
    return data


@pytest.mark.parametrize("tag", ["zh-Latn-CN", "zh-latn-cn", "zh-Latn-TW-x-wade", "zh-Latn", "fr", "zh-Latn-pinyin"])
def test_a_label_the_shapes_reject_fails_whatever_its_subtags(tag: str, shapes: Graph) -> None:
    """rdfs:label allows zh and en but not zh-Latn; a language range matches every longer tag (langMatches)."""
    violations = shacl(_with_label(tag), shapes)
    assert any(v.shape.endswith("LabelShape-label-lang") for v in violations), violations


def test_pyshacl_is_the_engine_wrong_about_language_ranges(shapes: Graph) -> None:
    """pySHACL 0.40 matches sh:languageIn only on the whole tag or its first subtag: it lets
    zh-Latn-CN pass sh:not [ sh:languageIn ("zh-Latn") ]. If this starts failing, pySHACL was fixed."""
    assert shacl(_with_label("zh-Latn-CN"), shapes, engine="pyshacl") == ()


@pytest.mark.parametrize("tag", ["zh-Hans", "zh-CN", "zh-Hant-TW", "en-GB", "EN-us", "ZH"])
def test_labels_in_chinese_or_english_variants_conform(tag: str, shapes: Graph) -> None:
    assert shacl(_with_label(tag), shapes) == ()


@pytest.mark.parametrize("tag", ["zh-Latn-pinyin-CN", "zh-x", "toolongtag", "zh-Latn-CN-1"])
def test_a_malformed_language_tag_is_a_violation(tag: str, shapes: Graph) -> None:
    violations = shacl(_with_label(tag), shapes)
    assert [v.message for v in violations] == [f'"Yichang Shi"@{tag}: not a well-formed BCP 47 language tag']


def test_validate_rejects_the_zh_latn_cn_label_end_to_end(shapes: Graph) -> None:
    report = validate(_with_label("zh-Latn-CN"), shapes)
    assert not report.conforms
