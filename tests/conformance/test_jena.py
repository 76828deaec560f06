"""Apache Jena, an engine no one here wrote, checks egovkg: riot --strict reads every export,
ARQ gives the same rows as `egovkg query` for every catalogue query and for dataset clauses,
and Jena SHACL agrees with the expectation of every shape fixture (and with egovkg validate:
where pySHACL, the engine behind it, disagrees with Jena, the test says pySHACL was wrong)."""

from __future__ import annotations

import collections
import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS

from egovkg.cli import main
from egovkg.graph.build import KnowledgeGraph
from egovkg.paths import Layout
from egovkg.sparql.catalogue import bind, load_catalogue
from egovkg.sparql.validate import load_shapes, shacl

from ..conftest import FIXTURES
from .engines import java, jena, jena_check

pytestmark = pytest.mark.slow

EXPORTS = {"ttl": "ttl", "nt": "nt", "jsonld": "jsonld", "xml": "rdf", "trig": "trig"}
SHAPE_FIXTURES = sorted((FIXTURES / "shapes").glob("*.ttl"))
EGOVSH = "https://w3id.org/egovkg/shapes#"


def egovkg(*args: str) -> bytes:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every export format, written by the real `egovkg export`."""
    folder = tmp_path_factory.mktemp("exports")
    out = {}
    for fmt, suffix in EXPORTS.items():
        out[fmt] = folder / f"egovkg.{suffix}"
        egovkg("export", "--format", fmt, "-o", str(out[fmt]))
    return out


def _riot(exports: dict[str, Path], *options: str) -> list[str]:
    """riot on every export. Debian's Jena has no Jakarta JSON provider for its JSON-LD 1.1 reader
    (Titanium: "LOADING_DOCUMENT_FAILED" on any document), so the JSON-LD export is read with
    its JSON-LD 1.0 reader (jsonld-java): our export uses no 1.1 feature. Returns riot's output."""
    out = []
    groups = [[p for f, p in exports.items() if f != "jsonld"], [exports["jsonld"]]]
    for files, syntax in zip(groups, ([], ["--syntax=jsonld10"]), strict=True):
        done = java(jena(), "riotcmd.riot", *options, *syntax, *map(str, files))
        assert done.returncode == 0, done.stderr
        out.append(done.stdout + done.stderr)
    return out


def test_riot_strict_reads_every_export(exports: dict[str, Path]) -> None:
    for output in _riot(exports, "--validate", "--strict"):
        problems = [line for line in output.splitlines() if re.search(r"\b(WARN|ERROR)\b", line)]
        assert not problems, "\n".join(problems)


def test_riot_counts_the_same_triples_in_every_export(exports: dict[str, Path], kg: KnowledgeGraph) -> None:
    output = "".join(_riot(exports, "--count"))
    counts = [int(n.replace(",", "")) for n in re.findall(r"(?:Triples|Quads) = ([\d,]+)", output)]
    assert counts == [len(kg.union())] * len(exports), output


def _rows(data: bytes) -> list[tuple[str, ...]]:
    return [tuple(row) for row in csv.reader(io.StringIO(data.decode("utf-8"), newline=""))]


def _ordered(text: str) -> bool:
    """Whether the outermost query has an ORDER BY (the last one in the text, after every '}')."""
    return "ORDER BY" in text.upper()[text.rfind("}") :]


@pytest.fixture(scope="module")
def arq_answers(exports: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Every catalogue query, with its default parameters bound as `egovkg query` binds them,
    run by ARQ in one JVM on the N-Triples export (the union default graph of the catalogue)."""
    folder = tmp_path_factory.mktemp("arq")
    texts = {name: bind(q, {}) for name, q in load_catalogue(Layout.default().queries).items()}
    for name, text in texts.items():
        (folder / f"{name}.rq").write_text(text, encoding="utf-8")
    jena_check("query", str(exports["nt"]), str(folder / "out"), *(str(folder / f"{n}.rq") for n in texts))
    return folder / "out", texts


def test_every_catalogue_query_gives_the_same_rows_on_arq(arq_answers: tuple[Path, dict[str, str]]) -> None:
    out, texts = arq_answers
    for name, text in texts.items():
        if (out / f"{name}.nt").is_file():  # CONSTRUCT or DESCRIBE: the same graph
            ours = Graph().parse(data=egovkg("query", name, "--format", "nt").decode(), format="nt")
            theirs = Graph().parse(out / f"{name}.nt", format="nt")
            assert isomorphic(ours, theirs), name
            continue
        ours_rows = _rows(egovkg("query", name, "--format", "csv"))
        theirs_rows = _rows((out / f"{name}.csv").read_bytes())
        if _ordered(text):
            assert ours_rows == theirs_rows, name
        else:
            assert collections.Counter(ours_rows) == collections.Counter(theirs_rows), name


DATASET_QUERIES = {
    "from": "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/egovkg/graph/ontology> WHERE { ?s ?p ?o }",
    "from-two": "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/egovkg/graph/ontology> "
    "FROM <https://w3id.org/egovkg/graph/curated> WHERE { ?s ?p ?o }",
    "graph": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "from-named": "SELECT ?g (COUNT(*) AS ?n) FROM NAMED <https://w3id.org/egovkg/graph/curated> "
    "WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "from-named-default": "SELECT (COUNT(*) AS ?n) FROM NAMED <https://w3id.org/egovkg/graph/curated> "
    "WHERE { ?s ?p ?o }",
}


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_dataset_clauses_give_what_arq_gives(store: str, exports: dict[str, Path], tmp_path: Path) -> None:
    """On the TriG export ARQ's default graph is the file's (empty) default graph, so only
    queries that name their dataset or use GRAPH are compared: there SPARQL fixes the answer."""
    for name, text in DATASET_QUERIES.items():
        (tmp_path / f"{name}.rq").write_text(text, encoding="utf-8")
    jena_check(
        "query", str(exports["trig"]), str(tmp_path / "out"), *(str(tmp_path / f"{n}.rq") for n in DATASET_QUERIES)
    )
    for name, text in DATASET_QUERIES.items():
        ours = _rows(egovkg("query", "-e", text, "--data", str(exports["trig"]), "--store", store, "--format", "csv"))
        assert ours == _rows((tmp_path / "out" / f"{name}.csv").read_bytes()), name


# ---- SHACL: the shape fixtures ----------------------------------------------------------------


def _jena_shacl(shapes: Path, files: list[Path], out: Path) -> dict[str, tuple[bool, set[str]]]:
    """Jena SHACL's verdict on each file: (conforms, the top-level shapes it reports)."""
    jena_check("shacl", str(shapes), str(out), *map(str, files))
    verdicts = {}
    for f in files:
        first, *entries = (out / f"{f.stem}.tsv").read_text(encoding="utf-8").splitlines()
        shapes_hit = {line.split("\t")[2].removeprefix(EGOVSH).split("-")[0] for line in entries}
        verdicts[f.stem] = (first == "conforms", shapes_hit)
    return verdicts


def _expected(fixture: Path) -> tuple[bool, set[str]]:
    """A fixture's own claim: valid.ttl conforms; NAME.ttl violates the shape NAME only."""
    return (True, set()) if fixture.stem == "valid" else (False, {fixture.stem})


def _ours(fixture: Path, shapes: Graph) -> tuple[bool, set[str]]:
    violations = shacl(Graph().parse(fixture), shapes)
    return not violations, {v.shape.removeprefix(EGOVSH).split("-")[0] for v in violations}


@pytest.fixture(scope="module")
def jena_verdicts(layout: Layout, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bool, set[str]]]:
    return _jena_shacl(layout.shapes, SHAPE_FIXTURES, tmp_path_factory.mktemp("shacl"))


@pytest.mark.parametrize("fixture", SHAPE_FIXTURES, ids=[p.stem for p in SHAPE_FIXTURES])
def test_jena_shacl_agrees_with_each_shape_fixture(fixture: Path, jena_verdicts, layout: Layout) -> None:
    assert jena_verdicts[fixture.stem] == _expected(fixture), (
        f"{fixture.name}: Jena SHACL does not give the verdict the fixture claims: the fixture or the shapes are wrong"
    )
    ours = _ours(fixture, load_shapes(layout.shapes))
    assert ours == jena_verdicts[fixture.stem], (
        f"{fixture.name}: pySHACL (egovkg validate) was wrong: it gives {ours}, Jena SHACL and the fixture "
        f"{jena_verdicts[fixture.stem]}"
    )


@pytest.fixture(scope="module")
def latin_label(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """valid.ttl with one more rdfs:label, tagged zh-Latn-CN: Latin script is not a Chinese label
    (sh:not [ sh:languageIn ( "zh-Latn" ) ] matches it as a language range, SHACL 4.4.3)."""
    g = Graph().parse(FIXTURES / "shapes" / "valid.ttl")
    region = next(s for s, o in g.subject_objects(RDFS.label) if "/region/" in str(s))
    g.add((region, RDFS.label, Literal("Yichang Shi", lang="zh-Latn-CN")))
    path = tmp_path_factory.mktemp("latin") / "LabelShape.ttl"
    g.serialize(path, format="turtle")
    return path


def test_jena_shacl_rejects_a_latin_script_label(latin_label: Path, layout: Layout, tmp_path: Path) -> None:
    assert _jena_shacl(layout.shapes, [latin_label], tmp_path)["LabelShape"] == (False, {"LabelShape"})


def test_egovkg_validate_rejects_a_latin_script_label(latin_label: Path, layout: Layout) -> None:
    """egovkg validate agrees with Jena SHACL (pySHACL alone accepted the label: it was wrong)."""
    assert _ours(latin_label, load_shapes(layout.shapes)) == (False, {"LabelShape"})
