"""The front door's query store: loaded once for the life of a KG, again when its files change."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

import egovkg
from egovkg.sparql import fastquery
from egovkg.sparql import store as stores

from .conftest import HOME_PARTS, ROOT

Q = "SELECT ?o WHERE { <urn:s> <urn:p> ?o }"
LONG_AGO = time.time() - 3600


def write(path: Path, value: str) -> Path:
    path.write_text(f'<urn:s> <urn:p> "{value}" .\n', encoding="utf-8")
    return path


def settle() -> None:
    """Let a clock step pass since the last write: until then a store is not trusted to hold the
    file (a change in the same tick of the file clock would leave its times as they were)."""
    from egovkg.rdfio.cache import CLOCK_STEP_NS

    time.sleep(CLOCK_STEP_NS / 1e9 + 0.05)


@pytest.fixture()
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every load of a file into an Oxigraph store or an rdflib graph, by file name."""
    seen: list[str] = []
    load_file, load_rdf = stores.OxigraphStore.load_file, stores.load_rdf
    load_cached = fastquery.load_cached  # the built graph's cache, read without rdflib

    def counted_file(self, path, limits=None):  # noqa: ANN001, ANN202
        seen.append(Path(path).name)
        return load_file(self, path, limits)

    def counted_rdf(paths, limits=None):  # noqa: ANN001, ANN202
        paths = list(paths)
        seen.extend(Path(p).name for p in paths)
        return load_rdf(paths, limits)

    def counted_cache(path):  # noqa: ANN001, ANN202
        seen.append(Path(path).name)
        return load_cached(path)

    monkeypatch.setattr(stores.OxigraphStore, "load_file", counted_file)
    monkeypatch.setattr(fastquery, "load_cached", counted_cache)
    monkeypatch.setattr(stores, "load_rdf", counted_rdf)
    return seen


@pytest.mark.parametrize("kind", ["oxigraph", "memory"])
def test_ten_queries_load_the_graph_once(kind: str, tmp_path: Path, loads: list[str]) -> None:
    kg = egovkg.open(write(tmp_path / "g.nt", "one"), store=kind)
    settle()
    for _ in range(10):
        assert kg.query(Q).values("o") == ["one"]
    assert loads == ["g.nt"]
    assert kg.store() is kg.store()


@pytest.mark.parametrize("kind", ["oxigraph", "memory"])
def test_a_changed_file_is_read_again(kind: str, tmp_path: Path, loads: list[str]) -> None:
    data = write(tmp_path / "g.nt", "one")
    kg = egovkg.open(data, store=kind)
    settle()
    assert kg.query(Q).values("o") == ["one"]
    first = kg.store()
    write(data, "two")  # the same size, the same inode, maybe the same mtime: its ctime moved
    settle()
    assert kg.query(Q).values("o") == ["two"]
    assert kg.store() is not first
    assert loads == ["g.nt", "g.nt"]


def test_a_file_rewritten_with_its_mtime_put_back_is_read_again(tmp_path: Path) -> None:
    """Same size, same inode, same mtime: the change time still moved."""
    data = write(tmp_path / "g.nt", "one")
    os.utime(data, (LONG_AGO, LONG_AGO))
    kg = egovkg.open(data)
    settle()
    assert kg.query(Q).values("o") == ["one"]
    write(data, "two")
    os.utime(data, (LONG_AGO, LONG_AGO))
    assert kg.query(Q).values("o") == ["two"]


def test_a_store_loaded_within_a_clock_step_of_a_change_is_not_trusted(tmp_path: Path, loads: list[str]) -> None:
    """A second write in the same tick of the file clock would leave every time as it was: until a
    clock step has passed since the file changed, each query reads it again (git's racily clean rule)."""
    kg = egovkg.open(write(tmp_path / "g.nt", "one"))
    kg.query(Q)
    kg.query(Q)
    assert loads == ["g.nt", "g.nt"]
    settle()
    kg.query(Q)
    kg.query(Q)
    assert loads == ["g.nt"] * 3


def test_the_named_graph_store_is_kept_apart(tmp_path: Path, loads: list[str]) -> None:
    data = tmp_path / "g.trig"
    data.write_text('<urn:g> { <urn:s> <urn:p> "in g" . }\n<urn:s> <urn:p> "default" .\n', encoding="utf-8")
    kg = egovkg.open(data)
    settle()
    for _ in range(3):
        assert sorted(kg.query(Q).values("o")) == ["default", "in g"]
        assert kg.query("SELECT ?o WHERE { GRAPH <urn:g> { ?s ?p ?o } }").values("o") == ["in g"]
    assert loads == ["g.trig", "g.trig"], "one store without, one with the named graphs"


def test_the_built_graph_is_loaded_again_after_its_inputs_change(tmp_path: Path, loads: list[str]) -> None:
    """A project folder: an edited curated table rebuilds the graph under a new name, which the
    kept store notices."""
    for part in HOME_PARTS:
        shutil.copytree(ROOT / part, tmp_path / part)
    kg = egovkg.open(tmp_path)
    kg.query("winners-by-category")  # builds the graph
    settle()
    before = set(kg.query("winners-by-category").values("category_en"))
    assert "Management Innovation" in before
    kg.query("winners-by-category")
    assert len(loads) == 2, "loaded when built (within a clock step of writing it), then kept"
    categories = tmp_path / "data" / "curated" / "categories.csv"
    categories.write_text(
        categories.read_text(encoding="utf-8").replace("Management Innovation", "Innovation in Management"),
        encoding="utf-8",
    )
    after = set(kg.query("winners-by-category").values("category_en"))
    assert "Innovation in Management" in after and "Management Innovation" not in after
    assert len(loads) == 3 and loads[2] != loads[1], "a new cached graph"


def test_build_forgets_what_was_read(tmp_path: Path, loads: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from egovkg.publish import pipeline

    monkeypatch.setattr(pipeline, "run", lambda *args, **kwargs: None)
    kg = egovkg.open(write(tmp_path / "g.nt", "one"))
    settle()
    first = kg.store()
    assert kg.store() is first
    kg.build(tmp_path / "out")
    assert kg.store() is not first
    assert loads == ["g.nt", "g.nt"]


def test_query_bytes_and_query_share_one_store_of_the_built_graph(tmp_path: Path, loads: list[str]) -> None:
    """`egovkg query`'s path (query_bytes: Oxigraph without rdflib) keeps its store like
    kg.query() and hands it to it: the built graph is read once for both."""
    for part in HOME_PARTS:
        shutil.copytree(ROOT / part, tmp_path / part)
    kg = egovkg.open(tmp_path)
    kg.query_bytes(kg.prepare("winners-by-category"), "csv")  # builds the graph, loads it
    settle()
    loads.clear()
    text = kg.prepare("winners-by-category")
    first = kg.query_bytes(text, "csv")
    for _ in range(4):
        assert kg.query_bytes(text, "csv") == first
    rows = kg.query("winners-by-category").rows
    assert len(rows) == 40 and first.decode("utf-8").count("\n") == 41
    assert loads == [next(p for p in kg.graph_files()).name], "one load, after the settling step"


def test_a_deep_expression_is_answered_not_a_crash(tmp_path: Path) -> None:
    """A 7,000-term ``1+1+…`` overflows the main thread's 8 MiB stack inside Oxigraph (a
    segmentation fault: a notebook's kernel would die). kg.query and kg.query_bytes run queries
    on a thread with a large stack (egovkg.util.stack), so it is answered. In a child process,
    so a regression fails this test rather than ending the test run."""
    import subprocess
    import sys

    data = tmp_path / "g.ttl"
    data.write_text("<urn:s> <urn:p> 1 .\n", encoding="utf-8")
    probe = (
        "import sys, egovkg\n"
        "kg = egovkg.open(sys.argv[1])\n"
        "q = 'SELECT (' + '+'.join(['1'] * 7000) + ' AS ?x) {}'\n"
        "print(kg.query(q).rows[0]['x'])\n"
        "print(kg.query_bytes(q, 'csv').decode().split()[-1])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(data)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert done.stdout.split() == ["7000", "7000"]
