"""Issue 19's repros against the served endpoint: each crash or runaway costs its worker only
(the next request is answered), SERVICE never reaches the network, and the HTTP layer keeps
its limits. Short limits (a 3 s time limit, a 1 MiB result cap, a 2 s head timeout) keep the
file quick: the runaway queries here run until the time limit stops them."""

from __future__ import annotations

import dataclasses
import http.client
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator

import pytest

from egovkg.graph.build import KnowledgeGraph
from egovkg.serve import LinkedDataServer, QueryLimits, make_server, serve_forever

pytestmark = pytest.mark.slow  # deadlines, head timeouts and worker restarts: about 40 s in all

LIMITS = QueryLimits(timeout=3.0, memory=1 << 30, max_result=1 << 20, workers=2)
PATIENT = dataclasses.replace(LIMITS, timeout=20.0)  # where a test must act well before the limit
HEAD = 2.0  # the head timeout the tests here set (egovkg.serve.http.HEAD_TIMEOUT; 10 s by default)


def _serving(kg: KnowledgeGraph, limits: QueryLimits) -> Iterator[LinkedDataServer]:
    srv = make_server(kg, port=0, limits=limits)
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def server(kg: KnowledgeGraph) -> Iterator[LinkedDataServer]:
    yield from _serving(kg, LIMITS)


@pytest.fixture(scope="module")
def patient_server(kg: KnowledgeGraph) -> Iterator[LinkedDataServer]:
    yield from _serving(kg, PATIENT)


@pytest.fixture
def short_head(monkeypatch: pytest.MonkeyPatch) -> float:
    """The servers drop a connection whose request head is not complete within ``HEAD`` s."""
    from egovkg.serve import http as served

    monkeypatch.setattr(served, "HEAD_TIMEOUT", HEAD)
    return HEAD


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A local TCP listener that records whatever connects to it: it must receive nothing."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    got: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    got.append(conn.recv(4096) or b"<connected>")
                except OSError:
                    got.append(b"<connected>")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1], got
    stop.set()
    thread.join(timeout=5)
    sock.close()


def get(srv: LinkedDataServer, path: str, accept: str | None = None, timeout: float = 120) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(*srv.server_address[:2], timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": accept} if accept else {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def sparql(srv: LinkedDataServer, query: str, **params: str) -> tuple[int, dict, bytes]:
    """GET, or a POST of the query for one too long for a request line."""
    if len(query) < 8000:
        return get(srv, "/sparql?" + urllib.parse.urlencode({"query": query, **params}))
    conn = http.client.HTTPConnection(*srv.server_address[:2], timeout=120)
    try:
        headers = {"Content-Type": "application/sparql-query"}
        conn.request("POST", "/sparql?" + urllib.parse.urlencode(params), body=query.encode(), headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def still_up(srv: LinkedDataServer) -> None:
    """The server answers; a 503 (every worker busy, or being replaced on a loaded machine) is
    an answer too, and must give way to a 200 within a minute."""
    deadline = time.monotonic() + 60
    while True:
        status, _, body = sparql(srv, "ASK {}")
        if status != 503 or time.monotonic() > deadline:
            break
    assert (status, body) == (200, b'{"head":{},"boolean":true}')


def one_line(status: int, headers: dict, body: bytes) -> str:
    assert headers["content-type"] == "text/plain; charset=utf-8"
    text = body.decode()
    assert text.count("\n") == 1 and "Traceback" not in text
    return text


TERMS = 10_000
CRASHERS = {
    "10,000-term sum": "SELECT (" + "+".join(["1"] * TERMS) + " AS ?x) {}",
    "flat UNION chain": "SELECT * {" + " UNION ".join(["{?s ?p ?o}"] * 3000) + "}",
    "flat OPTIONAL chain": "SELECT * { ?s ?p ?o " + " ".join(f"OPTIONAL {{ ?s ?p ?o{i} }}" for i in range(3000)) + "}",
    "flat || chain": "SELECT * { ?s ?p ?o FILTER(" + " || ".join(["?o = 1"] * 5000) + ") }",
    "flat path chain": "SELECT * { ?s " + "/".join(["<urn:p>+"] * 3000) + " ?o }",
    "escaped character hiding nesting": "PREFIX ex: <urn:x#> SELECT * { ?s ex:a\\# " + "{" * 3000 + "}" * 3000 + " }",
    "cross product": "SELECT * { ?a ?b ?c . ?d ?e ?f }",
}


@pytest.mark.parametrize("name", sorted(CRASHERS))
def test_a_crashing_or_runaway_query_costs_its_worker_only(server: LinkedDataServer, name: str) -> None:
    status, headers, body = sparql(server, CRASHERS[name])
    if status != 200:
        text = one_line(status, headers, body)
        assert status in (400, 500, 503), text
    still_up(server)


def test_the_cross_product_is_capped_with_a_message(server: LinkedDataServer) -> None:
    status, headers, body = sparql(server, CRASHERS["cross product"])
    text = one_line(status, headers, body)
    assert status == 400 and "cap of 1 MiB" in text and "LIMIT" in text


def test_a_query_past_the_time_limit_is_stopped(server: LinkedDataServer) -> None:
    slow = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    status, headers, body = sparql(server, slow)
    assert time.monotonic() - started < 60
    assert status == 503 and f"time limit of {LIMITS.timeout:g} s" in one_line(status, headers, body)
    still_up(server)


def test_a_client_that_leaves_cancels_its_query(patient_server: LinkedDataServer) -> None:
    server = patient_server
    slow = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    still_up(server)
    restarts = server.state.pool.restarts
    sock = socket.create_connection(server.server_address[:2], timeout=30)
    path = "/sparql?" + urllib.parse.urlencode({"query": slow})
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    time.sleep(0.5)
    sock.close()
    deadline = time.monotonic() + 10  # well before the time limit would have stopped it
    while server.state.pool.restarts == restarts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.state.pool.restarts > restarts
    still_up(server)


SERVICE_BYPASSES = [
    "SELECT * {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "PREFIX ex: <urn:x#> SELECT * {{ ?s ex:a\\# ?o . SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "PREFIX ex: <urn:x#> SELECT * {{ ?s ex:a\\' ?o . SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    'SELECT * {{ ?s ?p "\\u0022" . SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}',
    "SELECT * {{ \\u0053ERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "SELECT * {{ SERVICE SILENT <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "SELECT * {{ BIND(<http://127.0.0.1:{port}/> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    "SELECT * {{ {{ SELECT * {{ SERVICE <http://127.0.0.1:{port}/x> {{ ?s ?p ?o }} }} }} }}",
]


@pytest.mark.parametrize("template", SERVICE_BYPASSES)
def test_service_never_reaches_the_network(server: LinkedDataServer, listener, template: str) -> None:
    port, got = listener
    status, headers, body = sparql(server, template.format(port=port))
    time.sleep(0.3)
    assert got == [], "the endpoint made a request of its own"
    if status != 200:  # SERVICE SILENT may answer an empty result: still no request
        text = one_line(status, headers, body)
        assert status == 400, text
    assert server.state.pool.network_closed
    still_up(server)


def test_a_refused_service_says_why(server: LinkedDataServer, listener) -> None:
    port, _got = listener
    status, headers, body = sparql(server, f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}")
    assert status == 400 and "SERVICE" in one_line(status, headers, body)


# -- HTTP layer --------------------------------------------------------------------------


def raw(server: LinkedDataServer, data: bytes, timeout: float = 30) -> bytes:
    with socket.create_connection(server.server_address[:2], timeout=timeout) as sock:
        sock.sendall(data)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    return out


def test_more_than_64_parameters_is_a_400(server: LinkedDataServer) -> None:
    params = "&".join(f"p{i}=1" for i in range(70))
    status, headers, body = get(server, f"/sparql?query=ASK%7B%7D&{params}")
    assert status == 400 and "64 parameters" in one_line(status, headers, body)


def test_a_short_body_is_a_4xx_without_traceback(server: LinkedDataServer) -> None:
    head = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 100\r\n\r\n"
    with socket.create_connection(server.server_address[:2], timeout=30) as sock:
        sock.sendall(head + b"ASK {}")
        sock.shutdown(socket.SHUT_WR)
        out = sock.recv(65536)
    assert out == b"" or out.startswith(b"HTTP/1.1 4"), out
    assert b"Traceback" not in out
    still_up(server)


def test_http_1_0_gets_its_answer_and_the_connection_closes(server: LinkedDataServer) -> None:
    started = time.monotonic()
    out = raw(server, b"GET /sparql?query=ASK%7B%7D HTTP/1.0\r\n\r\n")
    assert time.monotonic() - started < 5
    assert out.startswith(b"HTTP/1.1 200") and out.endswith(b'{"head":{},"boolean":true}')


def test_keep_alive_requests_do_not_stall(server: LinkedDataServer) -> None:
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    conn.request("GET", "/id/award/2012-management-innovation-01.ttl")
    conn.getresponse().read()
    started = time.monotonic()
    for _ in range(20):
        conn.request("GET", "/id/award/2012-management-innovation-01.ttl")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read()
    conn.close()
    # a Nagle stall costs 40 ms a request: 20 requests stay well under that even on a loaded machine
    assert time.monotonic() - started < 20 * 0.04


def test_slow_and_silent_connections_do_not_block_others(server: LinkedDataServer) -> None:
    slow = [socket.create_connection(server.server_address[:2], timeout=30) for _ in range(200)]
    try:
        for s in slow[:100]:
            s.sendall(b"GET / HTTP/1.1\r\nHost")  # a head that never ends
        status, _, _ = get(server, "/id/award/2012-management-innovation-01.ttl", timeout=10)
        assert status == 200
        still_up(server)
    finally:
        for s in slow:
            s.close()


def test_a_head_that_never_ends_is_dropped(server: LinkedDataServer, short_head: float) -> None:
    with socket.create_connection(server.server_address[:2], timeout=30) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        out = b""
        while chunk := sock.recv(4096):
            out += chunk
    assert short_head - 0.5 < time.monotonic() - started < short_head + 15
    assert out.startswith(b"HTTP/1.1 408") and f"within {short_head:g} s".encode() in out


def _raw(srv: LinkedDataServer, data: bytes) -> bytes:
    """What the server answers to ``data`` sent whole, until it closes the connection."""
    with socket.create_connection(srv.server_address[:2], timeout=30) as sock:
        sock.sendall(data)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    return out


@pytest.mark.parametrize("protocol", ["httptools", "h11"])
def test_each_http_protocol_keeps_the_head_limits(kg: KnowledgeGraph, protocol: str, short_head: float) -> None:
    """httptools on uvloop serves by default; h11 is the fallback where they are missing: both
    refuse an over-long request line (414), an over-long field (431) and a half head (408)."""
    from egovkg.serve.http import MAX_LINE, GuardedH11Protocol, GuardedHttpToolsProtocol

    srv = make_server(kg, port=0, limits=LIMITS)
    if protocol == "h11":
        srv.protocol = srv.server.config.http = GuardedH11Protocol
    else:
        assert srv.protocol is GuardedHttpToolsProtocol, "httptools and uvloop are installed (pyproject)"
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    try:
        award = b"/id/award/2012-management-innovation-01.ttl"
        ok = _raw(srv, b"GET " + award + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert ok.startswith(b"HTTP/1.1 200") and b"2012-management-innovation-01" in ok
        long_line = _raw(srv, b"GET /" + b"a" * (MAX_LINE + 10) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert long_line.startswith(b"HTTP/1.1 414") and b"request line is longer" in long_line
        long_field = _raw(srv, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * (MAX_LINE + 10) + b"\r\n\r\n")
        assert long_field.startswith(b"HTTP/1.1 431") and b"header field is longer" in long_field
        started = time.monotonic()
        half = _raw(srv, b"GET / HTTP/1.1\r\nHost: x\r\n")
        assert half.startswith(b"HTTP/1.1 408") and short_head - 0.5 < time.monotonic() - started < short_head + 15
    finally:
        srv.shutdown()
        thread.join(timeout=30)


# -- the quick keyword check before rdflib's parse --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "select * { service <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * { \\U00000053\\u0045RVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * { \\u0073ervice <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "PREFIX ex: <urn:x#> SELECT * { ?s ex:a\\# ?o . SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * { ſERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * FROM <urn:g> { ?s ?p ?o }",
        "SELECT * \\u0046ROM NAMED <urn:g> { ?s ?p ?o }",
        # a line that starts with # is left out only when it holds no quote: here a long
        # string closes on it, and code follows
        'SELECT * { ?s ?p """x\n# y""" . SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }',
        "SELECT * { ?s ?p '''x\n  # y''' . SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        # a comment ends at CR as at LF, and at an escaped line break once escapes are replaced
        "SELECT * { # a comment\r SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "# a comment \\u000A SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    ],
)
def test_the_keyword_check_never_lets_a_service_or_from_through(text: str) -> None:
    from egovkg.serve.worker import analyse, keywords_absent

    assert not keywords_absent(text, "SERVICE", "FROM")
    found = analyse(text)
    assert found is None or found != (False, False), "rdflib's parse decides, and finds the clause"


def test_a_query_without_either_keyword_skips_the_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    from egovkg.serve import worker

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("rdflib's parse was not needed")

    monkeypatch.setattr(worker, "_parsed_names", no_parse)
    worker.analyse.cache_clear()
    assert worker.analyse("SELECT ?s { ?s a <urn:Class> } ORDER BY ?s") == (False, False)
    assert worker.analyse_update("INSERT DATA { <urn:s> <urn:p> 'x' }") == (False, False)
    # a line that is a comment alone is not searched: the catalogue's "#+ summary: ... from ..."
    assert worker.analyse("#+ summary: rolled up from districts\nSELECT ?s { ?s ?p ?o }") == (False, False)
    monkeypatch.undo()
    # a word found in a comment after code is a false alarm: the parse runs and clears it
    assert worker.analyse("SELECT ?s { ?s ?p ?o } # from districts") == (False, False)
