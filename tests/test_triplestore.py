"""A real Oxigraph server on loopback: push, query the whole catalogue, and every fault."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from egovkg.cli import main
from egovkg.errors import EndpointError
from egovkg.rdfio.export import serialise
from egovkg.serve.oxigraph import STORE_MARKER, OxigraphServer, ServerError, free_port, oxigraph_reason
from egovkg.sparql.catalogue import load_catalogue
from egovkg.sparql.graphstore import Credentials, graph_store_url, put_graph
from egovkg.sparql.query import run_query
from egovkg.sparql.remote import Endpoint
from egovkg.sparql.store import OxigraphStore

from .conftest import ROOT

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[OxigraphServer]:
    srv = OxigraphServer(tmp_path_factory.mktemp("oxigraph") / "store", port=free_port(), read_only=False)
    with srv:
        yield srv


@pytest.fixture(scope="module")
def pushed(server: OxigraphServer, graph) -> OxigraphServer:
    put_graph(server.store_url, serialise(graph, "nt"))
    return server


def count(server: OxigraphServer, where: str = "?s ?p ?o") -> int:
    res = Endpoint(server.query_url).query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
    return int(res.rows[0]["n"])


def test_graph_store_urls() -> None:
    assert graph_store_url("http://h:1/store", None) == "http://h:1/store?default"
    assert graph_store_url("http://h:1/store", "https://w3id.org/egovkg/graph/中文?x=1&y") == (
        "http://h:1/store?graph=https%3A%2F%2Fw3id.org%2Fegovkg%2Fgraph%2F%E4%B8%AD%E6%96%87%3Fx%3D1%26y"
    )
    with pytest.raises(EndpointError, match="not an http"):
        graph_store_url("ftp://h/store", None)


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        ("", "--graph: the IRI is empty"),  # not a way to say the default graph
        ("graph/all", "--graph: not an absolute IRI (no scheme such as https:): 'graph/all'"),
        ("https://e/a b", "--graph: not an IRI: it holds ' ' at character 11"),
        ("https://e/<x>", "--graph: not an IRI: it holds '<' at character 10"),
    ],
)
def test_push_refuses_a_graph_name_that_is_not_an_iri(graph: str, message: str) -> None:
    result = CliRunner().invoke(main, ["push", "--endpoint", "http://127.0.0.1:9/store", "--graph", graph])
    assert (result.exit_code, result.stderr) == (2, f"error: {message}\n")


def test_push_then_the_server_holds_the_graph(pushed: OxigraphServer, graph) -> None:
    assert count(pushed) == len(graph)


def test_push_twice_replaces_not_appends(pushed: OxigraphServer, graph) -> None:
    put_graph(pushed.store_url, serialise(graph, "nt"))
    assert count(pushed) == len(graph)


def test_push_to_a_second_named_graph_leaves_the_first(pushed: OxigraphServer, graph) -> None:
    body = b"<urn:x:a> <urn:x:b> <urn:x:c> .\n"
    put_graph(pushed.store_url, body, graph="urn:x:second")
    assert count(pushed) == len(graph)
    assert count(pushed, "GRAPH <urn:x:second> { ?s ?p ?o }") == 1


@pytest.fixture(scope="module")
def server2(tmp_path_factory) -> Iterator[OxigraphServer]:
    """A second server for pushes that replace the default graph the others read."""
    srv = OxigraphServer(tmp_path_factory.mktemp("oxigraph2") / "store", port=free_port(), read_only=False)
    with srv:
        yield srv


def graph_sizes(server: OxigraphServer, names: list[str]) -> dict[str, int]:
    values = " ".join(f"<{n}>" for n in names)
    res = Endpoint(server.query_url).query(
        f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"
    )
    return {str(r["g"]): int(r["n"]) for r in res.rows}


def test_push_named_graphs_sends_each_graph_of_the_built_dataset_to_its_name(server2: OxigraphServer, kg) -> None:
    expected = {str(iri): len(getattr(kg, name)) for name, iri in kg.graph_iris.items()}
    # ontology (OWL 2 DL declarations, issue 17's terms, egov:listSeparator), announcement, curated
    assert sorted(expected.values()) == [736, 3551, 3972]
    for _ in range(2):  # the second push replaces, never appends
        result = CliRunner().invoke(main, ["push", "--endpoint", server2.store_url, "--named-graphs"])
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert [line.split(" in ")[0] for line in lines] == [
            f"pushed {n} triples ({size} bytes) to {server2.store_url}?graph={quote(g, safe='')}"
            for g, n, size in _sizes(lines, expected)
        ]
        assert graph_sizes(server2, list(expected)) == expected


def _sizes(lines: list[str], expected: dict[str, int]) -> list[tuple[str, int, str]]:
    # the byte counts are the N-Triples files' sizes: taken from the lines, checked to be positive
    sizes = [line.split("(")[1].split(" bytes")[0] for line in lines]
    assert all(int(x.replace(",", "")) > 0 for x in sizes)
    return [(g, n, size) for (g, n), size in zip(sorted(expected.items()), sizes, strict=True)]


def test_push_named_graphs_from_a_trig_file(server2: OxigraphServer, tmp_path: Path) -> None:
    data = tmp_path / "two.trig"
    data.write_text(
        "@prefix e: <urn:e:> .\ne:loose e:p 1 .\ne:g1 { e:a e:p 1 , 2 . _:n e:p 3 }\ne:g2 { e:b e:p 1 }\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["push", "--endpoint", server2.store_url, "--named-graphs", "--data", str(data)])
    assert result.exit_code == 0, result.output
    targets = [line.split(" to ")[1].split(" in ")[0] for line in result.stdout.splitlines()]
    store = server2.store_url
    assert targets == [f"{store}?default", f"{store}?graph=urn%3Ae%3Ag1", f"{store}?graph=urn%3Ae%3Ag2"]
    assert graph_sizes(server2, ["urn:e:g1", "urn:e:g2"]) == {"urn:e:g1": 3, "urn:e:g2": 1}
    assert count(server2, "<urn:e:loose> ?p ?o") == 1


def test_push_named_graphs_refuses_what_it_cannot_send(server2: OxigraphServer, tmp_path: Path) -> None:
    blank = tmp_path / "blank.trig"
    blank.write_text("_:g { <urn:e:a> <urn:e:p> 1 }\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["push", "--endpoint", server2.store_url, "--named-graphs", "--data", str(blank)])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: a graph is named by a blank node (or is an N3 formula): only graphs named by an IRI can be sent\n"
    )
    empty = tmp_path / "empty.nt"
    empty.write_bytes(b"")
    result = CliRunner().invoke(main, ["push", "--endpoint", server2.store_url, "--named-graphs", "--data", str(empty)])
    assert (result.exit_code, result.stderr) == (2, f"error: {empty}: no triples to push\n")
    both = ["push", "--endpoint", server2.store_url, "--named-graphs", "--graph", "urn:e:g"]
    result = CliRunner().invoke(main, both)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --named-graphs sends each graph to its own name: it cannot be used with --graph\n",
    )
    result = CliRunner().invoke(main, ["push", "--endpoint", server2.store_url, "--data", str(blank)])
    assert result.exit_code == 2 and result.stderr.endswith("add --named-graphs to send each graph to its name\n"), (
        result.stderr
    )


def test_a_push_that_fails_midway_leaves_the_old_graph(pushed: OxigraphServer, graph) -> None:
    nt = serialise(graph, "nt")
    broken = nt[: len(nt) // 2] + b'\n<urn:broken> <urn:p> "unterminated .\n' + nt[len(nt) // 2 :]
    with pytest.raises(EndpointError, match=r"HTTP 400"):
        put_graph(pushed.store_url, broken)
    assert count(pushed) == len(graph)


def _rows(result) -> list[tuple]:
    if result.kind == "ask":
        return [(result.boolean,)]
    if result.kind == "graph":
        return sorted(tuple(t.n3() for t in triple) for triple in result.graph)
    return sorted(tuple(r[v].n3() if v in r else "" for v in result.vars) for r in result.rows)


def test_every_catalogue_query_gives_the_same_answer_remotely(pushed: OxigraphServer, graph, layout) -> None:
    """The pushed graph answers as the embedded default store does (tests/test_queries.py
    compares that store with rdflib's engine on every query)."""
    catalogue = load_catalogue(layout.queries)
    assert len(catalogue) >= 40, "the catalogue is the shipped one"
    embedded = OxigraphStore.from_graph(graph)
    timings = {}
    for name in catalogue:
        t0 = time.perf_counter()
        local = run_query(embedded, name, catalogue=catalogue)
        t1 = time.perf_counter()
        remote = run_query(Endpoint(pushed.query_url), name, catalogue=catalogue)
        timings[name] = (t1 - t0, time.perf_counter() - t1)
        assert local.kind == remote.kind, name
        assert _rows(local) == _rows(remote), name
        if local.kind == "select":
            assert local.vars == remote.vars, name
    report = Path(os.environ.get("EGOVKG_ARTIFACTS", ROOT / "test-artifacts")) / "remote-vs-embedded.tsv"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        "query\tembedded_s\tremote_s\n" + "".join(f"{n}\t{a:.4f}\t{b:.4f}\n" for n, (a, b) in sorted(timings.items())),
        encoding="utf-8",
    )


def test_cli_query_against_the_endpoint_matches_the_embedded_store(pushed: OxigraphServer) -> None:
    runner = CliRunner()
    query = (
        "SELECT ?code WHERE { ?r <http://www.w3.org/2004/02/skos/core#notation> ?code ; "
        "a <https://w3id.org/egovkg/ontology#Region> } ORDER BY ?code LIMIT 5"
    )
    local = runner.invoke(main, ["query", "-e", query, "--format", "csv"])
    remote = runner.invoke(main, ["query", "-e", query, "--format", "csv", "--endpoint", pushed.query_url])
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert local.output == remote.output
    assert local.output.splitlines()[:3] == ["code", "000000", "110000"]


def test_cli_push_reports_the_count(server: OxigraphServer, graph) -> None:
    result = CliRunner().invoke(main, ["push", "--endpoint", server.store_url])
    assert result.exit_code == 0, result.output
    assert f"pushed {len(graph)} triples" in result.output


# ---- faults -------------------------------------------------------------------


def test_refused_connection(tmp_path: Path) -> None:
    port = free_port()
    with pytest.raises(EndpointError, match=rf"127.0.0.1:{port}/store\?default: cannot connect"):
        put_graph(f"http://127.0.0.1:{port}/store", b"")
    with pytest.raises(EndpointError, match="cannot connect|Connection refused"):
        Endpoint(f"http://127.0.0.1:{port}/query").query(COUNT)


def test_wrong_path_on_the_real_server(pushed: OxigraphServer) -> None:
    with pytest.raises(EndpointError, match="HTTP 404"):
        put_graph(pushed.url + "/nope", b"<urn:a> <urn:b> <urn:c> .\n")


def test_a_stopped_server(tmp_path: Path) -> None:
    srv = OxigraphServer(tmp_path / "store", port=free_port(), read_only=False)
    with srv:
        put_graph(srv.store_url, b"<urn:a> <urn:b> <urn:c> .\n")
    with pytest.raises(EndpointError, match="cannot connect"):
        Endpoint(srv.query_url, timeout=2).query(COUNT)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (401, "HTTP 401 Unauthorized: authentication required"),
        (403, "HTTP 403 Forbidden: boom: forbidden"),
        (404, "HTTP 404 Not Found: boom: not found"),
        (500, "HTTP 500 Internal Server Error: boom"),
        (503, "HTTP 503 Service Unavailable: boom"),
    ],
)
def test_http_status_codes_on_push(stub, status: int, message: str) -> None:
    stub.status = status
    with pytest.raises(EndpointError, match=message) as info:
        put_graph(stub.url + "/store", b"<urn:a> <urn:b> <urn:c> .\n")
    assert stub.url in str(info.value)


@pytest.mark.parametrize("status", [401, 403, 500])
def test_http_status_codes_on_query(stub, status: int) -> None:
    stub.status = status
    words = {401: "Unauthorized", 403: "Forbidden|403", 500: "500|Internal"}
    with pytest.raises(EndpointError, match=rf"{stub.url}/query: .*({words[status]})"):
        Endpoint(stub.url + "/query").query(COUNT)


def test_a_reply_that_is_not_sparql(stub) -> None:
    stub.status, stub.content_type, stub.body = 200, "text/html", b"<html>hello</html>"
    with pytest.raises(EndpointError, match="not SPARQL JSON results"):
        Endpoint(stub.url + "/query").query(COUNT)


def test_a_timeout(stub) -> None:
    stub.status, stub.delay = 200, 3.0
    t0 = time.perf_counter()
    with pytest.raises(EndpointError, match="within 1 s"):
        put_graph(stub.url + "/store", b"", timeout=1)
    assert time.perf_counter() - t0 < 2.9


def test_credentials_are_sent_but_never_shown(stub, monkeypatch) -> None:
    stub.status = 401
    monkeypatch.setenv("EGOVKG_TOKEN", "s3cret-token")
    result = CliRunner().invoke(main, ["push", "--endpoint", stub.url + "/store"])
    assert result.exit_code == 2
    assert "HTTP 401" in result.output and "s3cret-token" not in result.output
    assert stub.seen_headers[-1]["Authorization"] == "Bearer s3cret-token"
    assert "s3cret" not in repr(Credentials.from_env())


def _serve(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    """`egovkg serve` on the shipped graph, in its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "egovkg", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=dict(os.environ),  # EGOVKG_HOME: the session's copy (conftest.egovkg_home)
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_starts_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    proc = _serve(tmp_path, port)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line or not line:
                break
        assert any(f"http://127.0.0.1:{port}/query" in x for x in lines), lines
        res = Endpoint(f"http://127.0.0.1:{port}/query").query(COUNT)
        assert int(res.rows[0]["n"]) > 6000
        with pytest.raises(EndpointError, match="HTTP 40"):
            put_graph(f"http://127.0.0.1:{port}/store", b"<urn:a> <urn:b> <urn:c> .\n")  # read-only
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    with pytest.raises(EndpointError, match="cannot connect"):
        Endpoint(f"http://127.0.0.1:{port}/query", timeout=2).query(COUNT)


def test_serve_survives_a_query_worker_killed_under_it(tmp_path: Path) -> None:
    """Plain `egovkg serve` runs queries in worker processes: one dying costs that process only."""
    port = free_port()
    proc = _serve(tmp_path, port)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "Ctrl-C" not in (line := proc.stdout.readline()) and line:
            pass
        assert int(Endpoint(f"http://127.0.0.1:{port}/query").query(COUNT).rows[0]["n"]) > 6000
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert children  # the query workers
        for child in children:
            os.kill(int(child), signal.SIGKILL)
        try:
            n = int(Endpoint(f"http://127.0.0.1:{port}/query", timeout=120).query(COUNT).rows[0]["n"])
        except EndpointError:
            proc.kill()
            raise AssertionError(proc.communicate(timeout=30)) from None
        assert n > 6000 and proc.poll() is None
    finally:
        if proc.poll() is None:
            proc.kill()


def test_writable_serve_outlives_a_killed_worker(tmp_path: Path) -> None:
    """--writable runs every query and write in worker processes: one killed from outside costs
    itself only; the server answers the next query and the next write."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "egovkg", "serve", "--writable", "--port", str(port)],
        cwd=tmp_path,
        env={**os.environ, "EGOVKG_HOME": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "Ctrl-C" not in (line := proc.stdout.readline()) and line:
            pass
        endpoint = Endpoint(f"http://127.0.0.1:{port}/query")
        assert int(endpoint.query(COUNT).rows[0]["n"]) > 1000
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert len(children) == 4, children  # the writer, and the query workers with their spare
        for child in children:
            os.kill(int(child), signal.SIGKILL)
        assert put_graph(f"http://127.0.0.1:{port}/store", GOOD, graph="urn:test:g") == 201
        assert int(endpoint.query(COUNT).rows[0]["n"]) > 1000
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_transient_faults_are_retried_for_idempotent_requests(stub) -> None:
    stub.statuses = [503, 502, 204]
    assert put_graph(stub.url + "/store", b"<urn:a> <urn:b> <urn:c> .\n") == 204
    assert len(stub.seen_headers) == 3
    stub.statuses = [503]
    stub.status, stub.content_type = 200, "application/sparql-results+json"
    stub.body = b'{"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"type": "literal", "value": "7"}}]}}'
    assert Endpoint(stub.url + "/query").query(COUNT).rows[0]["n"].toPython() == "7"
    assert len(stub.seen_headers) == 5


def test_other_faults_are_not_retried(stub) -> None:
    stub.statuses = [500, 204]
    with pytest.raises(EndpointError, match="HTTP 500"):
        put_graph(stub.url + "/store", b"")
    assert len(stub.seen_headers) == 1


def test_a_server_that_stays_unavailable_fails_after_three_attempts(stub) -> None:
    stub.status = 503
    with pytest.raises(EndpointError, match="HTTP 503"):
        put_graph(stub.url + "/store", b"")
    assert len(stub.seen_headers) == 3


# ---- the local server: readiness, its own errors, its store folder ------------------

GOOD = b"<urn:a> <urn:b> <urn:c> .\n"
OTHER = b"<urn:a> <urn:b> <urn:d> .\n"


def _nt(folder: Path, name: str, body: bytes) -> Path:
    path = folder / name
    path.write_bytes(body)
    return path


def _objects(server: OxigraphServer) -> list[str]:
    res = Endpoint(server.query_url).query("SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o")
    return [str(r["o"]) for r in res.rows]


@pytest.fixture()
def busy_port() -> Iterator[int]:
    """A port held by a plain HTTP server, which accepts connections but is no SPARQL server."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_a_busy_port_is_oxigraphs_own_one_line_error(tmp_path: Path, busy_port: int) -> None:
    srv = OxigraphServer(tmp_path / "store", port=busy_port)
    srv.load([_nt(tmp_path, "good.nt", GOOD)])
    with pytest.raises(ServerError) as info:
        srv.start()
    assert str(info.value) == f"oxigraph could not serve on 127.0.0.1:{busy_port}: Address already in use (os error 98)"
    assert srv.process is None


def test_a_port_held_by_another_oxigraph_is_not_taken_for_ours(tmp_path: Path, server: OxigraphServer) -> None:
    # the other server answers SPARQL too: only our process saying it listens proves the port is ours
    srv = OxigraphServer(tmp_path / "store", port=server.port)
    srv.load([_nt(tmp_path, "good.nt", GOOD)])
    with pytest.raises(ServerError, match="Address already in use"):
        srv.start()


def test_serve_on_a_busy_port_fails_on_the_command_line(tmp_path: Path, busy_port: int) -> None:
    data = _nt(tmp_path, "good.nt", GOOD)
    result = CliRunner().invoke(main, ["serve", "--port", str(busy_port), "--data", str(data)])
    assert result.exit_code == 2
    assert result.output == f"error: cannot listen on 127.0.0.1:{busy_port}: Address already in use\n"
    result = CliRunner().invoke(main, ["serve", "--writable", "--port", str(busy_port), "--data", str(data)])
    assert result.exit_code == 2
    assert result.output == f"error: cannot listen on 127.0.0.1:{busy_port}: Address already in use\n"


@pytest.mark.parametrize("port", [0, -1, 99999])
def test_a_port_out_of_range_is_refused_before_any_work(tmp_path: Path, port: int) -> None:
    with pytest.raises(ServerError) as info:
        OxigraphServer(tmp_path / "store", port=port)
    assert str(info.value) == f"--port {port}: not a TCP port (1-65535)"
    assert not (tmp_path / "store").exists()


def test_a_location_under_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    srv = OxigraphServer(tmp_path / "afile" / "sub", port=free_port())
    with pytest.raises(ServerError) as info:
        srv.load([_nt(tmp_path, "good.nt", GOOD)])
    assert str(info.value) == f"{tmp_path}/afile/sub: cannot use as a store folder (Not a directory)"


def test_a_failed_load_gives_oxigraphs_reason_not_a_backtrace(tmp_path: Path) -> None:
    bad = _nt(tmp_path, "bad.nt", b'<urn:a> <urn:b> "unterminated .\n')
    with pytest.raises(ServerError) as info:
        OxigraphServer(tmp_path / "store", port=free_port()).load([bad])
    assert str(info.value) == (
        f"{tmp_path}/store: oxigraph load failed: Error while loading file {bad}: "
        "Parser error between line 1 column 17 and line 2 column 1: Unexpected end of file"
    )


def test_oxigraph_reason_is_the_error_line() -> None:
    stderr = (
        "Error: Address already in use (os error 98)\n\nStack backtrace:\n"
        "   0: <anyhow::Error as core::convert::From<core::io::error::Error>>::from\n   7: _start\n"
    )
    assert oxigraph_reason(stderr) == "Address already in use (os error 98)"
    loading = (
        "Some files ... use the `--lenient` option.\nError while loading file a.nt: Parser error\nError: One or more"
    )
    assert oxigraph_reason(loading) == "Error while loading file a.nt: Parser error"
    assert oxigraph_reason("Stack backtrace:\n   6: _start\n", 1) == "exited with code 1"
    assert oxigraph_reason("thread 'main' panicked at x.rs:1:1\n") == "thread 'main' panicked at x.rs:1:1"


def test_a_user_folder_is_refused_and_left_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    srv = OxigraphServer(folder, port=free_port(), read_only=False)
    for action in (lambda: srv.load([_nt(tmp_path, "good.nt", GOOD)]), srv.start):
        with pytest.raises(ServerError) as info:
            action()
        assert str(info.value) == (
            f"{folder}: not empty and not an Oxigraph store made by egovkg (no {STORE_MARKER}); "
            "refusing to write into it: give an empty or new folder"
        )
        assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    assert srv.process is None


def test_a_reused_location_serves_exactly_the_new_data(tmp_path: Path) -> None:
    location = tmp_path / "store"
    srv = OxigraphServer(location, port=free_port())
    srv.load([_nt(tmp_path, "good.nt", GOOD)])
    with srv:
        assert _objects(srv) == ["urn:c"]
    assert (location / STORE_MARKER).is_file()
    srv.load([_nt(tmp_path, "other.nt", OTHER)])
    with srv:
        assert _objects(srv) == ["urn:d"]


def test_writes_to_a_writable_server_are_gone_after_the_next_load(tmp_path: Path) -> None:
    srv = OxigraphServer(tmp_path / "store", port=free_port(), read_only=False)
    srv.load([_nt(tmp_path, "good.nt", GOOD)])
    with srv:
        put_graph(srv.store_url, OTHER)
        assert _objects(srv) == ["urn:d"]
    srv.load([_nt(tmp_path, "good.nt", GOOD)])
    with srv:
        assert _objects(srv) == ["urn:c"]


def test_a_store_folder_made_by_the_embedded_store_is_accepted(tmp_path: Path) -> None:
    from egovkg.sparql.store import reuse_or_load

    location = tmp_path / "store"
    reuse_or_load(location, [_nt(tmp_path, "good.nt", GOOD)]).store.flush()
    import gc

    gc.collect()  # pyoxigraph closes the store when the object goes
    srv = OxigraphServer(location, port=free_port())
    srv.load([_nt(tmp_path, "other.nt", OTHER)])
    with srv:
        assert _objects(srv) == ["urn:d"]
    # and the other way: the embedded store reloads a server's folder, never reuses it
    assert len(reuse_or_load(location, [tmp_path / "good.nt"])) == 1


def test_a_store_in_use_by_a_writable_server_is_not_cleared(tmp_path: Path) -> None:
    location = tmp_path / "store"
    running = OxigraphServer(location, port=free_port(), read_only=False)
    running.load([_nt(tmp_path, "good.nt", GOOD)])
    with running:
        with pytest.raises(ServerError, match="the store is in use by another Oxigraph process"):
            OxigraphServer(location, port=free_port()).load([_nt(tmp_path, "other.nt", OTHER)])
        assert _objects(running) == ["urn:c"]
