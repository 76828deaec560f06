"""Every kind of bad input through the real commands: one clear error, exit 2, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from egovkg.cli import main

from ..conftest import ROOT


@pytest.fixture()
def home(tmp_path: Path, monkeypatch) -> Path:
    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, tmp_path / part)
    monkeypatch.setenv("EGOVKG_HOME", str(tmp_path))
    return tmp_path


def _line(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


# (file, a line to find, old, new, field, message)
DATA_FAULTS = [
    ("regions.csv", "420500,", "420500,", "42050,", "code", "not a 6-digit GB/T 2260 code"),
    ("regions.csv", "420500,", "420500,", "４２０５００,", "code", "full-width digits"),
    ("documents.csv", "zbf-2002-17", "2002-08", "2002-02-30", "date", "not a calendar date"),
    ("categories.csv", "management-innovation", ",1\n", ",first\n", "order", "not a whole number"),
    ("persons.csv", "wang-yusong", ",副处长,", ",,", "post_zh", "is required"),
    ("persons.csv", "liu-yi", "liu-yi,", "wang-yusong,", "id", "duplicate 'wang-yusong' (first at line 2)"),
    ("accounts.csv", "nanjing-fabu", "nanjing-fabu,南京发布,", "nanjing-fabu,南京发布, ", "name_en", "spaces"),
    ("awards.csv", "2012-management-innovation-04", ",420500,", ",429999,", "region", "is not an id in regions.csv"),
]


@pytest.mark.parametrize(
    ("file", "needle", "old", "new", "field", "message"),
    DATA_FAULTS,
    ids=[f"{f}-{fld}-{m.split()[0]}" for f, _n, _o, _w, fld, m in DATA_FAULTS],
)
def test_a_malformed_data_file_is_one_error_with_file_line_and_field(
    home: Path, file: str, needle: str, old: str, new: str, field: str, message: str
) -> None:
    path = home / "data/curated" / file
    line = _line(path, needle)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    (home / "build").mkdir()
    (home / "build/egovkg.ttl").write_text("previous", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--no-docs", "-o", str(home / "build")])
    assert result.exit_code == 2, result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1, "one clear error, not a traceback"
    assert lines[0].startswith(f"error: {path}:{line}: {field}: ") and message in lines[0]
    assert (home / "build/egovkg.ttl").read_text(encoding="utf-8") == "previous"
    assert not (home / "viz").exists()


BROKEN = {
    "turtle.ttl": "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e [ .\n",
    "jsonld.jsonld": '{"@id": "http://example.org/a",\n "http://example.org/b": {"@id": }\n}\n',
    "ntriples.nt": "<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n<a> <b>\n",
}
COMMANDS = [
    ["validate"],
    ["query", "-e", "ASK { ?s ?p ?o }"],
    ["query", "-e", "ASK { ?s ?p ?o }", "--store", "memory"],
    ["export", "--format", "nt", "-o", "{out}"],
    ["view", "overview", "-o", "{out}"],
    ["stats"],
]


@pytest.mark.parametrize("name", sorted(BROKEN))
@pytest.mark.parametrize(
    "command", COMMANDS, ids=[" ".join(c[:2]) + (" memory" if "memory" in c else "") for c in COMMANDS]
)
def test_broken_rdf_names_the_file_for_every_command_that_reads_rdf(
    tmp_path: Path, name: str, command: list[str]
) -> None:
    bad = tmp_path / name
    bad.write_text(BROKEN[name], encoding="utf-8")
    out = tmp_path / "out.file"
    args = [a.replace("{out}", str(out)) for a in command] + ["--data", str(bad)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}: "), result.output
    expected = {"turtle.ttl": 3, "jsonld.jsonld": 2, "ntriples.nt": 2}[name]
    assert f"line {expected}" in lines[0] or f":{expected}:" in lines[0], lines[0]  # the line the fault is on
    assert not out.exists()


# -- options and folders (found by a review of every command) ---------------------------


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ("foo/", "--base: not an absolute IRI (no scheme such as https:): 'foo/'"),
        ("http://e/x y/", "--base: not an IRI: it holds ' ' at character 10"),
        ("http://e/\n/", "--base: not an IRI: it holds '\\n' at character 9"),
        ("http://e/<x>/", "--base: not an IRI: it holds '<' at character 9"),
        ("http://e/x", "--base: the base IRI must end with '/' or '#'"),
    ],
)
@pytest.mark.parametrize("command", [["export", "--format", "nt"], ["query", "dataset-summary"], ["build"]])
def test_a_base_that_would_make_bad_iris_is_one_error(command: list[str], base: str, message: str, tmp_path) -> None:
    from click.testing import CliRunner

    from egovkg.cli import main

    args = [*command, "--base", base] + (["-o", str(tmp_path / "out")] if command[0] != "query" else [])
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stderr) == (2, f"error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_a_query_file_that_is_not_utf8_names_its_line(tmp_path) -> None:
    from click.testing import CliRunner

    from egovkg.cli import main

    rq = tmp_path / "bad.rq"
    rq.write_bytes(b'SELECT * WHERE {\n ?s ?p "\xff" }\n')
    result = CliRunner().invoke(main, ["query", str(rq)])
    assert (result.exit_code, result.stderr) == (2, f"error: {rq}:2: not UTF-8 (byte 0xff at offset 25)\n")


@pytest.mark.parametrize(
    "command", [["query", "-e", "ASK {}"], ["validate"], ["view", "overview"], ["stats"], ["build"]]
)
def test_outside_a_project_every_command_says_so(command: list[str], tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from egovkg.cli import main

    monkeypatch.setenv("EGOVKG_HOME", str(tmp_path))
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path}: no egovkg project here (data/curated, ontology/egovkg.ttl missing): "
        "point EGOVKG_HOME at a checkout, or unset it to use the graph shipped with egovkg\n"
    )


def test_a_store_path_is_never_left_half_loaded_or_deleted_in_use(tmp_path) -> None:
    import subprocess
    import sys

    from egovkg.errors import RDFInputError
    from egovkg.sparql.store import reuse_or_load

    good, bad = tmp_path / "good.nt", tmp_path / "bad.nt"
    good.write_text('<http://e/a> <http://e/b> "x" .\n', encoding="utf-8")
    bad.write_text("broken <\n", encoding="utf-8")
    folder = tmp_path / "store"
    with pytest.raises(RDFInputError, match="no such file"):
        reuse_or_load(folder, [tmp_path / "missing.nt"])
    with pytest.raises(RDFInputError, match="bad.nt: not valid n-triples"):
        reuse_or_load(folder, [good, bad])
    assert not folder.exists(), "a failed load removes what it wrote"
    assert len(reuse_or_load(folder, [good])) == 1, "and the next call starts clean"
    with pytest.raises(RDFInputError, match="cannot create the store folder: Not a directory"):
        reuse_or_load(good / "sub", [good])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import pyoxigraph, sys; s = pyoxigraph.Store({str(folder)!r}); print(1); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "1\n"
        good.write_text('<http://e/a> <http://e/b> "y" .\n', encoding="utf-8")  # the inputs changed
        with pytest.raises(RDFInputError, match="store: cannot open the store: in use by another process"):
            reuse_or_load(folder, [good])
        assert (folder / "egovkg-inputs.sha256").is_file(), "the store in use was not deleted"
    finally:
        holder.communicate("", timeout=30)


GRAPHS = {
    "quad.nq": ('<http://e/s> <http://e/p> "x" <http://e/g> .\n', "has named graphs, which N-Triples cannot hold"),
    "formula.n3": ("@prefix : <http://e/> .\n{ :a :b :c } :says :d .\n", "N3 formulas ({ ... }) cannot be converted"),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize(
    "command",
    [["export", "--format", "nt", "-o", "{out}"], ["push", "--endpoint", "http://127.0.0.1:9/store"]],
    ids=["export", "push"],
)
def test_graphs_into_a_triple_format_are_one_error_naming_the_file(
    tmp_path: Path, name: str, command: list[str]
) -> None:
    text, message = GRAPHS[name]
    src = tmp_path / name
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "out.nt"
    result = CliRunner().invoke(main, [a.replace("{out}", str(out)) for a in command] + ["--data", str(src)])
    assert result.exit_code == 2, result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    if command[0] == "export":
        assert len(lines) == 1 and lines[0].startswith(f"error: {src}: {message}"), result.output
        assert "--format trig" in lines[0]
    else:  # push has no --format: it says what it needs instead
        assert lines == [
            f"error: {src}: has named graphs (or N3 formulas); push sends one graph: give it a file of triples"
            + (", or add --named-graphs to send each graph to its name" if name.endswith(".nq") else "")
        ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("{tmp}/afile/out.ttl", "cannot write {tmp}/afile/out.ttl: Not a directory"),
        ("{tmp}/afile/sub/out.ttl", "cannot write {tmp}/afile/sub/out.ttl: Not a directory"),
        ("/proc/x.ttl", "cannot write /proc/x.ttl: No such file or directory"),
        ("", "cannot write an empty path: give a file name"),
        ("{tmp}/full", "cannot write {tmp}/full: No space left on device"),
    ],
    ids=["file-as-folder", "file-as-grandparent", "proc", "empty", "disk-full"],
)
@pytest.mark.parametrize("data", [True, False], ids=["converted", "built"])
def test_an_output_that_cannot_be_written_is_one_error(
    tmp_path: Path, monkeypatch, output: str, message: str, data: bool
) -> None:
    (tmp_path / "afile").write_bytes(b"")
    (tmp_path / "full").symlink_to("/dev/full")  # a link here: the test never touches /dev itself
    src = tmp_path / "good.nt"
    src.write_text('<http://e/s> <http://e/p> "x" .\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    args = ["export", "-o", output.replace("{tmp}", str(tmp_path))] + (["--data", str(src)] if data else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [f"error: {message.replace('{tmp}', str(tmp_path))}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == before
