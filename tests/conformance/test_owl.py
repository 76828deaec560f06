"""The ontology is OWL 2 DL, and an OWL 2 DL reasoner finds ontology plus data consistent with no
unsatisfiable class.

What is checked, and its limits:
- the profile: the OWL API's OWL2DLProfile (Debian's libowlapi-java), the reference
  implementation of the OWL 2 profiles, through tests/conformance/OwlProfile.java. The ontology
  alone has no violation. The whole graph (ontology and data) has exactly one kind: its dates
  are xsd:date, xsd:gYear and xsd:gYearMonth literals, datatypes the OWL 2 datatype map lacks
  (OWL 2 DL admits a literal only of a datatype in the map). They stay: they are the XSD types
  RDF 1.1, schema.org and the SHACL shapes use for a day, a year or a month.
- the reasoner: HermiT (shipped inside owlready2), run on the RDF/XML export with
  --ignoreUnsupportedDatatypes, so those date literals are opaque values to it; everything else
  (class hierarchy, domains, ranges, functional properties, every individual) is reasoned with.
  A negative control (a second rank for one award, egov:rank being functional) shows that it
  really reads the data.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from egovkg.cli import main
from egovkg.paths import Layout

from .engines import HERE, hermit, java, owlapi

pytestmark = pytest.mark.slow

EGOV = "https://w3id.org/egovkg/ontology#"
OUTSIDE_THE_MAP = {"xsd:date", "xsd:gYear", "xsd:gYearMonth"}


def profile_violations(*files: Path) -> list[tuple[str, str]]:
    """(kind, text) of each OWL 2 DL profile violation the OWL API finds in the files, read as one."""
    done = java(owlapi(), str(HERE / "OwlProfile.java"), *map(str, files))
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line.split("\t", 1) for line in done.stdout.splitlines()]
    assert lines and lines[-1][0] == "axioms" and int(lines[-1][1]) > 0, done.stdout
    return [(kind, text) for kind, text in lines[:-1]]


@pytest.fixture(scope="module")
def rdfxml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("owl") / "egovkg.rdf"
    result = CliRunner().invoke(main, ["export", "--format", "xml", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_the_ontology_is_owl2_dl(layout: Layout) -> None:
    assert profile_violations(layout.ontology) == []


def test_ontology_and_data_are_owl2_dl_but_for_their_dates(rdfxml: Path) -> None:
    violations = profile_violations(rdfxml)
    assert violations, "the data's dates should be reported (see the module's docstring)"
    kinds = {kind for kind, _ in violations}
    assert kinds == {"UseOfDefinedDatatypeInLiteral"}, sorted(kinds)
    datatypes = {text.rsplit("^^", 1)[1].split(" ")[0].rstrip(")") for _, text in violations}
    assert datatypes <= OUTSIDE_THE_MAP, datatypes


def hermit_says(rdf: Path) -> str:
    done = java(
        hermit(),
        "org.semanticweb.HermiT.cli.CommandLine",
        "--ignoreUnsupportedDatatypes",
        "-k",  # is owl:Thing satisfiable, i.e. is the ontology consistent
        "-U",  # the classes equivalent to owl:Nothing
        rdf.absolute().as_uri(),
    )
    assert done.returncode == 0 or "Inconsistent" in done.stderr + done.stdout, done.stderr[-3000:]
    return done.stdout + done.stderr


def test_hermit_finds_ontology_and_data_consistent_with_no_unsatisfiable_class(rdfxml: Path) -> None:
    said = hermit_says(rdfxml)
    assert "owl#Thing is satisfiable" in said, said
    unsatisfiable = said.split("Classes equivalent to 'owl:Nothing':", 1)[1].split()
    assert unsatisfiable == ["owl:Nothing"], unsatisfiable


def test_hermit_finds_a_contradiction_in_the_data(rdfxml: Path, tmp_path: Path) -> None:
    g = Graph().parse(rdfxml)
    award, rank = next(iter(g.subject_objects(URIRef(EGOV + "rank"))))
    g.add((award, URIRef(EGOV + "rank"), Literal(int(rank) + 100, datatype=XSD.integer)))
    broken = tmp_path / "broken.rdf"
    g.serialize(broken, format="xml")
    said = hermit_says(broken)
    assert "owl#Thing is satisfiable" not in said, said
    assert "inconsistent" in said.lower(), said
