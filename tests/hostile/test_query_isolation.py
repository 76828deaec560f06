"""Issue 19 on the command line: `egovkg query -e` (and an .rq file, and --data) runs the
query in a child process, so a query that crashes the engine, takes all memory or runs away
ends with one error line and exit status 2, never a segfault of the command."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from egovkg.cli import main

RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
HUGE_SORT = "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?f"


def test_a_runaway_query_stops_at_the_timeout() -> None:
    started = time.monotonic()
    result = CliRunner().invoke(main, ["query", "-e", RUNAWAY, "--timeout", "2"])
    assert time.monotonic() - started < 60
    assert result.exit_code == 2
    assert result.output == "error: the query ran past the time limit of 2 s and was stopped (--timeout sets it)\n"


def test_a_query_that_takes_all_memory_is_one_error_line() -> None:
    result = CliRunner(env={"EGOVKG_QUERY_MEMORY": "400"}).invoke(main, ["query", "-e", HUGE_SORT, "--timeout", "60"])
    assert result.exit_code == 2
    assert result.output.startswith("error: the query crashed the query engine (killed by SIG"), result.output
    assert "(EGOVKG_QUERY_MEMORY: 400 MiB); nothing was written\n" in result.output
    assert result.output.count("\n") == 1


def test_an_rq_file_runs_in_the_child_too(tmp_path: Path) -> None:
    rq = tmp_path / "runaway.rq"
    rq.write_text(RUNAWAY, encoding="utf-8")
    result = CliRunner().invoke(main, ["query", str(rq), "--timeout", "2"])
    assert result.exit_code == 2 and "time limit of 2 s" in result.output


def test_the_child_gives_the_same_answers_and_errors() -> None:
    result = CliRunner().invoke(main, ["query", "-e", "SELECT (1 + 2 AS ?x) {}", "--format", "csv"])
    assert (result.exit_code, result.output) == (0, "x\n3\n")
    result = CliRunner().invoke(main, ["query", "-e", "SELECT ?x {", "--format", "csv"])
    assert result.exit_code == 2 and result.output.startswith("error: <inline>:1:12: SPARQL syntax error")


@pytest.mark.slow
def test_a_10000_term_expression_is_answered_not_a_crash() -> None:
    query = "SELECT (" + "+".join(["1"] * 10_000) + " AS ?x) {}"
    result = CliRunner().invoke(main, ["query", "-e", query, "--format", "csv", "--timeout", "300"])
    assert (result.exit_code, result.output) == (0, "x\n10000\n"), result.output
