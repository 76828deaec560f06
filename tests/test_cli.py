"""The command line: real commands on the real files, exit codes and clean errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from egovkg.cli import main

from .conftest import ROOT, STRICTER_RANK_SHAPE, append_shape


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    """A copy of the project's data, ontology and queries to break things in."""
    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, tmp_path / part)
    return tmp_path


def test_every_command_is_documented_with_an_example(runner: CliRunner) -> None:
    for name, command in main.commands.items():
        assert command.help and "Example:" in command.help, name
        assert name in (ROOT / "README.md").read_text(encoding="utf-8"), f"README does not mention '{name}'"


def test_extract_writes_json_lines(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "records.jsonl"
    result = runner.invoke(main, ["extract", str(ROOT / "data/sources/announcement-2012.txt"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    awards = [r for r in records if r["type"] == "award"]
    assert len(awards) == 40
    assert awards[4]["title"] == "审计署在金审工程中的实践"
    assert awards[4]["applicants"][0]["text"] == "审计署信息化建设办公室"
    assert awards[4]["span"]["start"] < awards[4]["title_span"]["start"] < awards[4]["span"]["end"]


def test_extract_of_a_mangled_text_exits_2_with_the_position(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("标题\n正文没有表格.", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(main, ["extract", str(bad), "-o", str(out)])
    assert result.exit_code == 2
    assert f"error: {bad}: character" in result.output
    assert "no award table" in result.output
    assert not out.exists()


def test_export_and_validate_round_trip(runner: CliRunner, tmp_path: Path) -> None:
    ttl = tmp_path / "kg.ttl"
    assert runner.invoke(main, ["export", "--format", "ttl", "-o", str(ttl)]).exit_code == 0
    result = runner.invoke(main, ["validate", "--data", str(ttl)])
    assert result.exit_code == 0, result.output
    assert "conforms" in result.output


def test_validate_reports_violations_with_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text((ROOT / "tests/fixtures/shapes/RegionShape.ttl").read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(main, ["validate", "--data", str(bad)])
    assert result.exit_code == 1
    assert "https://w3id.org/egovkg/id/region/" in result.output


def test_broken_turtle_names_the_file_and_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text(
        '@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e "unterminated .\n', encoding="utf-8"
    )
    result = runner.invoke(main, ["validate", "--data", str(bad)])
    assert result.exit_code == 2
    assert f"error: {bad}: not valid turtle" in result.output
    assert "line 3" in result.output


def test_a_malformed_data_file_stops_the_build_and_writes_nothing(runner: CliRunner, home: Path, monkeypatch) -> None:
    out = home / "build"
    out.mkdir()
    (out / "egovkg.ttl").write_text("previous", encoding="utf-8")
    regions = home / "data/curated/regions.csv"
    regions.write_text(regions.read_text(encoding="utf-8").replace("420500,", "42O500,", 1), encoding="utf-8")
    monkeypatch.setenv("EGOVKG_HOME", str(home))
    result = runner.invoke(main, ["build", "--no-docs", "-o", str(out)])
    assert result.exit_code == 2
    assert f"{regions}:" in result.output and "code: '42O500' is not a 6-digit GB/T 2260 code" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["egovkg.ttl"]
    assert (out / "egovkg.ttl").read_text(encoding="utf-8") == "previous"
    assert not (home / "viz").exists(), "no view may be written either"


def test_a_graph_that_does_not_validate_writes_nothing(runner: CliRunner, home: Path, monkeypatch) -> None:
    append_shape(home, STRICTER_RANK_SHAPE)
    monkeypatch.setenv("EGOVKG_HOME", str(home))
    out = home / "build"
    result = runner.invoke(main, ["build", "--no-views", "--no-docs", "-o", str(out)])
    assert result.exit_code == 1
    assert "20 SHACL violation(s)" in result.output and "rank above 5" in result.output
    assert "nothing was written" in result.output
    assert not out.exists()


def test_broken_shapes_are_an_error_not_a_crash(runner: CliRunner, home: Path, monkeypatch) -> None:
    append_shape(home, "<urn:x> a <http://www.w3.org/ns/shacl#NodeShape> ; <http://www.w3.org/ns/shacl#path> <urn:p> .")
    monkeypatch.setenv("EGOVKG_HOME", str(home))
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 2
    assert "shapes.ttl" in result.output and "NodeShape cannot be the subject of a 'sh:path'" in result.output


def test_build_writes_every_export(runner: CliRunner, home: Path, monkeypatch) -> None:
    monkeypatch.setenv("EGOVKG_HOME", str(home))
    out = home / "build"
    result = runner.invoke(main, ["build", "--no-views", "--no-site", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "graph: " in result.output
    names = sorted(
        str(Path(d, f).relative_to(out))
        for d, dirs, files in os.walk(out, followlinks=True)
        if not {".generations", "cache"} & set(Path(d).relative_to(out).parts)
        for f in files
    )
    assert names == [
        "docs/ontology.html",
        "egovkg.jsonld",
        "egovkg.nt",
        "egovkg.rdf",
        "egovkg.trig",
        "egovkg.ttl",
        "void.ttl",
    ]
    # and the graph in the graph cache (egovkg.rdfio.cache), for `egovkg site` and `egovkg query`
    cached = {p.suffix: p.read_bytes() for p in (out / "cache").glob("graph-*")}
    assert cached == {".nt": (out / "egovkg.nt").read_bytes(), ".trig": (out / "egovkg.trig").read_bytes()}
    html = (out / "docs/ontology.html").read_text(encoding="utf-8")
    assert "AwardCategory" in html and '<script src="http' not in html


def test_the_readme_query_examples_are_real_output(runner: CliRunner) -> None:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"```text\n\$ egovkg (query [^\n]*)\n(.*?)```", readme, re.DOTALL)
    assert len(examples) == 3
    for command, shown in examples:
        result = runner.invoke(main, command.split())
        assert result.exit_code == 0, result.output
        assert result.output.replace("\r\n", "\n") == shown, f"README.md shows stale output for 'egovkg {command}'"


def test_a_repeat_query_on_the_built_graph_never_imports_rdflib(runner: CliRunner, egovkg_home: Path) -> None:
    """The cold path of `egovkg query`: Oxigraph and rich's table pieces only (not its Console),
    the same table as the general path."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from egovkg.cli import main\n"
        "try:\n    main(sys.argv[1:])\n"
        "except SystemExit as exc:\n    code = exc.code\n"
        "heavy = ('rdflib', 'pyshacl', 'networkx', 'logging', 'tempfile', 'rich.console', 'rich.table')\n"
        "heavy = sorted(m for m in heavy if m in sys.modules)\n"
        "print('imported:', ' '.join(heavy) or '-', 'exit:', code)\n"
    )
    # the graph is cached, and the inputs' stamp (written once no input changed within a clock
    # step, egovkg.rdfio.cache: the session copied them just now)
    import time

    for _ in range(30):
        runner.invoke(main, ["query", "winners-by-category", "--format", "csv"])
        if (egovkg_home / "build" / "cache" / "inputs.stamp").is_file():
            break
        time.sleep(0.1)
    for fmt in ("table", "csv", "json"):
        done = subprocess.run(
            [sys.executable, "-c", probe, "query", "winners-by-category", "--format", fmt, "--store", "oxigraph"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.endswith("imported: - exit: 0\n"), f"--format {fmt}: {done.stdout[-200:]}"
    for fmt in ("table", "csv", "tsv", "json", "xml"):
        fast = subprocess.run(
            [sys.executable, "-m", "egovkg", "query", "winners-by-category", "--format", fmt, "--store", "oxigraph"],
            capture_output=True,
            timeout=120,
        )
        general = runner.invoke(main, ["query", "winners-by-category", "--format", fmt, "--store", "memory"])
        assert fast.stdout == general.stdout_bytes, f"--format {fmt}: the two paths differ"
        assert fast.stdout.endswith(b"\n")
        first_microblog = {
            "table": "│ 政务微博    │ Government Microblogging │ 1    │ 王郁松",
            "csv": "政务微博,Government Microblogging,1,王郁松,",
            "tsv": '"政务微博"@zh\t"Government Microblogging"@en\t1\t"王郁松"@zh',
            "json": '{"type":"literal","value":"王郁松","xml:lang":"zh"}',
            "xml": '<literal xml:lang="zh">王郁松</literal>',
        }[fmt]
        assert first_microblog in fast.stdout.decode("utf-8"), f"--format {fmt}"


def test_export_data_converts_files_streaming(runner: CliRunner, tmp_path: Path, graph) -> None:
    from rdflib import Graph
    from rdflib.compare import isomorphic

    from egovkg.rdfio.export import serialise

    nt = tmp_path / "in.nt"
    nt.write_bytes(serialise(graph, "nt"))
    out = tmp_path / "out.ttl"
    result = runner.invoke(main, ["export", "--data", str(nt), "--format", "ttl", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "@prefix award: <https://w3id.org/egovkg/id/award/> ." in out.read_text(encoding="utf-8")
    assert isomorphic(Graph().parse(out, format="turtle"), graph)


def test_export_of_a_broken_file_names_it_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('<urn:a> <urn:b> <urn:c> .\n<urn:d> <urn:e> "open .\n', encoding="utf-8")
    out = tmp_path / "out.nt"
    result = runner.invoke(main, ["export", "--data", str(bad), "--format", "nt", "-o", str(out)])
    assert result.exit_code == 2
    assert f"error: {bad}: not valid RDF" in result.output and "line 2" in result.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.ttl"]


def test_a_table_on_a_terminal_fits_its_width(runner: CliRunner) -> None:
    """Under a real pseudo-terminal 100 columns wide, the table is drawn 100 wide (a pipe gets 200)."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import sys
    import termios

    from rich.cells import cell_len

    runner.invoke(main, ["query", "awards-by-province", "--format", "csv"])  # the graph is cached
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    with subprocess.Popen(
        [sys.executable, "-m", "egovkg", "query", "winners-by-category"], stdout=slave, stderr=slave, env=env
    ) as proc:
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=120) == 0
    os.close(master)
    lines = b"".join(chunks).decode("utf-8").replace("\r\n", "\n").splitlines()
    assert lines[-1] == "40 rows"
    assert max(cell_len(line) for line in lines) == 100
    piped = runner.invoke(main, ["query", "winners-by-category"]).output.splitlines()
    assert max(cell_len(line) for line in piped) > 100


ILL_TYPED = '<http://example.org/s> <http://example.org/n> "notanint"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'


@pytest.mark.parametrize(
    "args",
    [
        ["query", "-e", "SELECT ?o WHERE { ?s ?p ?o }", "--format", "csv", "--store", "memory"],
        ["query", "-e", "SELECT ?o WHERE { ?s ?p ?o }", "--format", "csv", "--store", "oxigraph"],
        ["query", "-e", "CONSTRUCT WHERE { ?s ?p ?o }", "--format", "nt", "--store", "oxigraph"],
        ["validate"],
        # made while the query runs, not read from the data
        [
            "query",
            "-e",
            'SELECT (STRDT("notanint", <http://www.w3.org/2001/XMLSchema#integer>) AS ?o) {}',
            "--format",
            "csv",
            "--store",
            "memory",
        ],
    ],
)
def test_an_ill_typed_literal_in_data_is_read_without_a_logged_traceback(
    runner: CliRunner, tmp_path: Path, caplog: pytest.LogCaptureFixture, args: list[str]
) -> None:
    data = tmp_path / "ill.nt"
    data.write_text(ILL_TYPED, encoding="utf-8")
    result = runner.invoke(main, [*args, "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert {"validate": "conforms\n", "SELECT": "o\nnotanint\n", "CONSTRUCT": ILL_TYPED}[
        args[0] if args[0] == "validate" else args[2].split()[0]
    ] == result.stdout
    assert result.stderr == ""
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("rdflib")]


REMOTE = "--endpoint queries the remote graph: it cannot be used with"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--store", "memory", "--store-path", "STORE"],
            "--store-path keeps an Oxigraph store: it cannot be used with --store memory",
        ),
        (["--endpoint", "URL", "--data", "DATA"], f"{REMOTE} --data"),
        (["--endpoint", "URL", "--store", "oxigraph"], f"{REMOTE} --store"),
        (["--endpoint", "URL", "--store-path", "STORE"], f"{REMOTE} --store-path"),
        (["--endpoint", ""], "--endpoint: the URL is empty"),
    ],
)
def test_query_options_that_would_be_ignored_are_one_error(
    runner: CliRunner, tmp_path: Path, options: list[str], message: str
) -> None:
    data = tmp_path / "one.nt"
    data.write_text("<http://e/s> <http://e/p> <http://e/o> .\n", encoding="utf-8")
    paths = {"STORE": str(tmp_path / "store"), "URL": "http://127.0.0.1:9/query", "DATA": str(data)}
    result = runner.invoke(main, ["query", "-e", "ASK {}", *(paths.get(o, o) for o in options)])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give a query: a name from the catalogue (egovkg queries), an .rq file, or -e 'SPARQL'"),
        (["-e", ""], "the query given with -e is empty"),
        (["-e", "  \n "], "the query given with -e is empty"),
        (["winners-by-category", "-e", ""], "the query given with -e is empty"),
        (["-e", "ASK {}", "--user", "bob"], "--user: only for a query sent to an --endpoint"),
        (
            ["-e", "ASK {}", "--password", "x", "--max-reply-size", "1M"],
            "--password, --max-reply-size: only for a query sent to an --endpoint",
        ),
        (["winners-by-category", "-e", "ASK {}"], "give a query name or file, or -e 'SPARQL', not both"),
    ],
)
def test_a_missing_empty_or_doubled_query_is_named(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(main, ["query", *args])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")


def test_store_path_wins_over_egovkg_store_in_the_environment(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "one.nt"
    data.write_text('<http://e/s> <http://e/p> "o" .\n', encoding="utf-8")
    args = ["query", "-e", "SELECT ?o WHERE { ?s ?p ?o }", "--format", "csv", "--data", str(data)]
    result = runner.invoke(main, [*args, "--store-path", str(tmp_path / "store")], env={"EGOVKG_STORE": "memory"})
    assert (result.exit_code, result.stdout, result.stderr) == (0, "o\no\n", "")
    assert (tmp_path / "store" / "egovkg-inputs.sha256").is_file(), "the Oxigraph store was made"


def test_a_bad_max_reply_size_in_the_environment_matters_only_for_an_endpoint(runner: CliRunner) -> None:
    env = {"EGOVKG_MAX_REPLY_SIZE": "junk"}
    local = runner.invoke(main, ["query", "-e", "ASK {}"], env=env)
    assert (local.exit_code, local.stdout, local.stderr) == (0, "true\n", "")
    remote = runner.invoke(main, ["query", "-e", "ASK {}", "--endpoint", "http://127.0.0.1:9/query"], env=env)
    assert (remote.exit_code, remote.stderr) == (
        2,
        "error: EGOVKG_MAX_REPLY_SIZE: 'junk' is not a size: "
        "give bytes, or a whole number with K, M or G (1M = 1 MiB)\n",
    )


def test_egovkg_store_in_the_environment_does_not_conflict_with_an_endpoint(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["query", "-e", "ASK {}", "--endpoint", "http://127.0.0.1:9/query"], env={"EGOVKG_STORE": "memory"}
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: http://127.0.0.1:9/query: ") and "cannot be used" not in result.stderr


@pytest.mark.parametrize("store", ["memory", "oxigraph", "path"])
def test_query_reads_a_turtle_file_with_a_byte_order_mark(runner: CliRunner, tmp_path: Path, store: str) -> None:
    data = tmp_path / "bom.ttl"
    data.write_bytes(b'\xef\xbb\xbf@prefix e: <http://e/> .\ne:s e:p "\xe4\xb8\xad" .\n')
    where = ["--store-path", str(tmp_path / "store")] if store == "path" else ["--store", store]
    args = ["query", "-e", "SELECT ?s ?o WHERE { ?s ?p ?o }", "--format", "csv", "--data", str(data), *where]
    result = runner.invoke(main, args)
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    assert result.stdout == "s,o\nhttp://e/s,中\n"


def test_rdf_xml_in_a_ttl_file_is_one_error_line_on_the_memory_store(
    runner: CliRunner, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "wrong.ttl"
    data.write_text(
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="http://e/s"/>\n</rdf:RDF>\n',
        encoding="utf-8",
    )
    result = runner.invoke(main, ["query", "-e", "ASK {}", "--data", str(data), "--store", "memory"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: {data}: not valid turtle: ")
    assert result.stderr.count("\n") == 1, result.stderr
    # rdflib logs "... does not look like a valid URI" for each tag before its parser fails
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("rdflib")]


@pytest.mark.parametrize("args", [["export", "--format", "nt"], ["query", "-e", "ASK {}", "--store", "memory"]])
def test_a_fifo_as_data_is_named_as_not_a_regular_file(runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    import os

    fifo = tmp_path / "pipe.ttl"
    os.mkfifo(fifo)
    result = runner.invoke(main, [*args, "--data", str(fifo)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: {fifo}: not a regular file (a folder, FIFO or device): give an RDF file\n"
