"""The built-graph cache's key: the inputs' digest, and the stamp that spares hashing them."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from egovkg.graph.prefixes import DEFAULT_BASE
from egovkg.paths import Layout
from egovkg.rdfio import cache

from .conftest import HOME_PARTS, ROOT


@pytest.fixture()
def project(tmp_path: Path) -> Layout:
    for part in HOME_PARTS:
        shutil.copytree(ROOT / part, tmp_path / part)
    return Layout(tmp_path)


def settle() -> None:
    time.sleep(cache.CLOCK_STEP_NS / 1e9 + 0.05)


def fresh_digest(layout: Layout) -> str:
    """The digest with no stamp to go by: every input read and hashed."""
    (layout.build / cache.CACHE_DIR / cache.STAMP).unlink(missing_ok=True)
    return cache.inputs_digest(layout, DEFAULT_BASE)


def test_the_stamp_is_written_once_the_inputs_settled_and_gives_the_same_digest(project: Layout) -> None:
    stamp = project.build / cache.CACHE_DIR / cache.STAMP
    first = cache.inputs_digest(project, DEFAULT_BASE)
    assert not stamp.exists(), "the inputs were copied just now: their times cannot be trusted yet"
    settle()
    assert cache.inputs_digest(project, DEFAULT_BASE) == first
    assert stamp.read_text(encoding="ascii", errors="replace").endswith(f" {first}\n")
    written = stamp.stat().st_mtime_ns
    assert cache.inputs_digest(project, DEFAULT_BASE) == first
    assert stamp.stat().st_mtime_ns == written, "an unchanged checkout writes nothing"
    assert fresh_digest(project) == first


def test_an_edit_of_the_same_size_gives_a_new_digest(project: Layout) -> None:
    settle()
    before = cache.inputs_digest(project, DEFAULT_BASE)
    table = project.curated / "categories.csv"
    text = table.read_text(encoding="utf-8")
    table.write_text(text.replace("Public Service", "Public Servicf"), encoding="utf-8")
    after = cache.inputs_digest(project, DEFAULT_BASE)
    assert after != before
    assert after == fresh_digest(project)
    table.write_text(text, encoding="utf-8")
    assert cache.inputs_digest(project, DEFAULT_BASE) == before


@pytest.mark.parametrize("noted", [b"", b"garbage", b"egovkg 0\x00x\n1 abc\n"])
def test_a_damaged_stamp_is_ignored(project: Layout, noted: bytes) -> None:
    settle()
    digest = fresh_digest(project)
    stamp = project.build / cache.CACHE_DIR / cache.STAMP
    stamp.write_bytes(noted)
    assert cache.inputs_digest(project, DEFAULT_BASE) == digest


def test_a_stamp_noted_for_another_base_is_not_used(project: Layout) -> None:
    settle()
    ours = cache.inputs_digest(project, DEFAULT_BASE)
    other = cache.inputs_digest(project, "https://example.org/kg/")
    assert other != ours
    assert cache.inputs_digest(project, DEFAULT_BASE) == ours


@pytest.mark.slow  # two builds
def test_a_build_from_the_cached_graph_writes_what_a_build_from_scratch_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main job reads the graph back from the graph cache when only something the graph does
    not depend on changed (a template, a query, the options). Forced here (another code digest
    for the outputs, the same graph inputs): every output is rendered again from the cached
    graph, and every file is the same as the build from scratch made."""
    from egovkg.publish import pipeline

    from .conftest import published

    for part in HOME_PARTS:
        shutil.copytree(ROOT / part, tmp_path / part)
    layout = Layout(tmp_path)
    first = pipeline.run(layout, out=layout.build, site=False, docs=False, jobs=1)
    assert "build" in first.timings and "cache" not in first.timings
    before = {**published(layout.build, frozenset({".generations", "cache"})), **published(layout.viz)}
    code = pipeline.code_digest()
    monkeypatch.setattr(pipeline, "code_digest", lambda: "another " + code)
    again = pipeline.run(layout, out=layout.build, site=False, docs=False, jobs=1)
    assert "cache" in again.timings and not again.kept, "every output rendered again"
    after = {**published(layout.build, frozenset({".generations", "cache"})), **published(layout.viz)}
    assert len(before) >= 12 and after.keys() == before.keys()
    assert [name for name in before if before[name] != after[name]] == []


def test_asking_the_cache_for_the_graph_loads_no_rdf_library(project: Layout) -> None:
    """The build asks the cache first, and forks its pinyin reader before it builds: that
    process must not carry rdflib (0.1 s to import) it never uses."""
    import subprocess
    import sys

    cache.keep(project, DEFAULT_BASE, {"nt": b"", "trig": b""})
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from egovkg.paths import Layout\n"
        "from egovkg.rdfio.cache import cached_graph\n"
        f"got = cached_graph(Layout(Path({str(project.root)!r})), {DEFAULT_BASE!r})\n"
        "print(sorted(got or {}), [m for m in ('rdflib', 'pyoxigraph', 'networkx') if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout == "['nt', 'trig'] []\n", done.stderr
