"""Issue 19's repros against `egovkg serve --writable`: queries, SPARQL updates and Graph Store
writes all run in worker processes with the same limits and sandbox as the read-only
endpoint. A crash or a runaway costs its worker only (the next request is answered, the store
keeps what it held), SERVICE and LOAD never reach the network, and a write is seen by the next
query."""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from egovkg.graph.build import KnowledgeGraph
from egovkg.rdfio.export import serialise
from egovkg.serve import QueryLimits, WritableServer, make_writable_server, serve_forever
from egovkg.serve.oxigraph import OxigraphServer
from egovkg.sparql.graphstore import put_graph
from tests.hostile.test_server_isolation import CRASHERS, SERVICE_BYPASSES, TERMS, listener, one_line

__all__ = ["listener"]  # the fixture, shared with the read-only server's tests

pytestmark = pytest.mark.slow  # deadlines and worker restarts

LIMITS = QueryLimits(timeout=3.0, memory=1 << 30, max_result=1 << 20, workers=2)
MARK = "SELECT ?o { GRAPH <urn:test:mark> { <urn:test:s> <urn:test:p> ?o } }"


@pytest.fixture(scope="module")
def server(kg: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WritableServer]:
    folder = tmp_path_factory.mktemp("writable")
    data = folder / "data.trig"
    data.write_bytes(serialise(kg.dataset(), "trig"))
    OxigraphServer(folder / "store", port=1, read_only=False).load([data])
    srv = make_writable_server(folder / "store", port=0, limits=LIMITS)
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if request(srv, "GET", "/query?query=ASK%7B%7D")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    yield srv
    srv.shutdown()
    thread.join(timeout=30)


def request(
    srv: WritableServer, method: str, path: str, body: bytes | None = None, ctype: str | None = None, accept: str = ""
) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(*srv.server_address[:2], timeout=120)
    try:
        headers = {k: v for k, v in (("Content-Type", ctype), ("Accept", accept)) if v}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def query(srv: WritableServer, text: str, accept: str = "text/csv") -> tuple[int, dict, bytes]:
    if len(text) < 8000:
        return request(srv, "GET", "/query?" + urllib.parse.urlencode({"query": text}), accept=accept)
    return request(srv, "POST", "/query", text.encode(), "application/sparql-query", accept)


def update(srv: WritableServer, text: str) -> tuple[int, dict, bytes]:
    return request(srv, "POST", "/update", text.encode(), "application/sparql-update")


def mark(srv: WritableServer) -> list[str]:
    status, _, body = query(srv, MARK)
    assert status == 200, body
    return sorted(body.decode().splitlines()[1:])


def still_up(srv: WritableServer) -> None:
    """Queries and writes are answered again (a 503 while a worker is replaced gives way)."""
    deadline = time.monotonic() + 60
    while True:
        status, _, body = query(srv, "ASK {}", "application/sparql-results+json")
        if status != 503 or time.monotonic() > deadline:
            break
    assert (status, body) == (200, b'{"head":{},"boolean":true}')
    status, _, body = update(srv, "INSERT DATA { GRAPH <urn:test:alive> { <urn:a> <urn:b> <urn:c> } }")
    assert status == 204, body


@pytest.mark.parametrize("name", sorted(CRASHERS))
def test_a_crashing_or_runaway_query_costs_its_worker_only(server: WritableServer, name: str) -> None:
    status, headers, body = query(server, CRASHERS[name])
    if status != 200:
        assert status in (400, 500, 503), one_line(status, headers, body)
    still_up(server)


def test_the_cross_product_is_capped_and_a_long_query_stopped(server: WritableServer) -> None:
    status, headers, body = query(server, CRASHERS["cross product"])
    assert status == 400 and "cap of 1 MiB" in one_line(status, headers, body)
    status, headers, body = query(server, "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert status == 503 and f"time limit of {LIMITS.timeout:g} s" in one_line(status, headers, body)
    still_up(server)


WRITE_CRASHERS = {
    "10,000-term sum": "INSERT { GRAPH <urn:test:mark> { <urn:test:s> <urn:test:p> ?x } } WHERE { BIND("
    + "+".join(["1"] * TERMS)
    + " AS ?x) }",
    "runaway cross product": "INSERT { GRAPH <urn:test:mark> { ?a <urn:test:p> ?f } } "
    "WHERE { GRAPH ?x { ?a ?b ?c } GRAPH ?y { ?d ?e ?f } GRAPH ?z { ?g ?h ?i } "
    "FILTER(CONCAT(STR(?a), STR(?d), STR(?g)) = 'x') }",
    "escaped character hiding nesting": "PREFIX ex: <urn:x#> INSERT { GRAPH <urn:test:mark> { <urn:test:s> "
    "<urn:test:p> 1 } } WHERE { ?s ex:a\\# " + "{" * 3000 + "}" * 3000 + " }",
}


@pytest.mark.parametrize("name", sorted(WRITE_CRASHERS))
def test_a_crashing_or_runaway_update_writes_nothing_and_costs_its_writer_only(
    server: WritableServer, name: str
) -> None:
    before = mark(server)
    started = time.monotonic()
    status, headers, body = update(server, WRITE_CRASHERS[name])
    assert time.monotonic() - started < 60
    if name == "10,000-term sum" and status == 204:
        # within the limits on a quiet machine (the writer's stack is deep enough): applied whole
        assert mark(server) == sorted([*before, "10000"])
        assert update(server, "DELETE DATA { GRAPH <urn:test:mark> { <urn:test:s> <urn:test:p> 10000 } }")[0] == 204
    else:
        assert status in (400, 500, 503), body
        one_line(status, headers, body)
    assert mark(server) == before
    still_up(server)


UPDATE_BYPASSES = [
    "INSERT {{ GRAPH <urn:test:mark> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "PREFIX ex: <urn:x#> INSERT {{ ?s ex:a\\# ?o }} WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "PREFIX ex: <urn:x#> INSERT {{ ?s ex:a\\' ?o }} WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    'INSERT {{ ?s ?p "\\u0022" }} WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}',
    "LOAD <http://127.0.0.1:{port}/data.ttl>",
    "LOAD SILENT <http://127.0.0.1:{port}/data.ttl> INTO GRAPH <urn:test:mark>",
    "PREFIX ex: <urn:x#> INSERT DATA {{ <urn:a> ex:a\\# <urn:c> }} ; LOAD <http://127.0.0.1:{port}/>",
    "\\u004cOAD <http://127.0.0.1:{port}/>",
]


@pytest.mark.parametrize("template", UPDATE_BYPASSES)
def test_service_and_load_in_updates_never_reach_the_network(server: WritableServer, listener, template: str) -> None:
    port, got = listener
    before = mark(server)
    status, headers, body = update(server, template.format(port=port))
    time.sleep(0.3)
    assert got == [], "the endpoint made a request of its own"
    if status != 204:  # LOAD SILENT may succeed with nothing loaded: still no request
        assert status == 400, one_line(status, headers, body)
    assert mark(server) == before
    assert server.service.writer.network_closed


@pytest.mark.parametrize("template", SERVICE_BYPASSES)
def test_service_in_queries_never_reaches_the_network(server: WritableServer, listener, template: str) -> None:
    port, got = listener
    status, headers, body = query(server, template.format(port=port))
    time.sleep(0.3)
    assert got == [], "the endpoint made a request of its own"
    if status != 200:
        assert status == 400, one_line(status, headers, body)


def test_a_write_is_seen_by_the_next_query(server: WritableServer) -> None:
    assert update(server, 'INSERT DATA { GRAPH <urn:test:mark> { <urn:test:s> <urn:test:p> "one" } }')[0] == 204
    assert "one" in mark(server)
    assert update(server, "DELETE WHERE { GRAPH <urn:test:mark> { <urn:test:s> <urn:test:p> ?o } }")[0] == 204
    assert mark(server) == []


def test_the_graph_store_protocol_puts_posts_gets_and_deletes(server: WritableServer) -> None:
    url = "/store?graph=" + urllib.parse.quote("urn:test:gsp")
    nt = "application/n-triples"
    assert request(server, "PUT", url, b"<urn:a> <urn:b> <urn:c> .\n", nt)[0] == 201
    assert request(server, "PUT", url, b"<urn:a> <urn:b> <urn:d> .\n", nt)[0] == 204  # replaced, not merged
    assert request(server, "POST", url, b"<urn:a> <urn:b> <urn:e> .\n", nt)[0] == 204  # merged
    status, _, body = request(server, "GET", url, accept=nt)
    assert status == 200 and sorted(body.decode().splitlines()) == [
        "<urn:a> <urn:b> <urn:d> .",
        "<urn:a> <urn:b> <urn:e> .",
    ]
    assert request(server, "DELETE", url)[0] == 204
    status, headers, body = request(server, "GET", url)
    assert status == 404 and "no graph <urn:test:gsp>" in one_line(status, headers, body)


def test_push_puts_the_graph_in_one_request(server: WritableServer, tmp_path: Path) -> None:
    data = tmp_path / "push.nt"
    data.write_bytes(b'<urn:test:s> <urn:test:p> "pushed" .\n')
    assert put_graph(server.store_url, data, graph="urn:test:mark") in (201, 204)
    assert mark(server) == ["pushed"]
    assert request(server, "DELETE", "/store?graph=urn:test:mark")[0] == 204


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="urn:a"><rdf:value>&d;&d;&d;&d;&d;&d;&d;&d;</rdf:value></rdf:Description>
</rdf:RDF>
"""


def test_bad_uploads_are_refused_in_one_line(server: WritableServer) -> None:
    url = "/store?graph=urn:test:mark"
    status, headers, body = request(server, "PUT", url, BOMB, "application/rdf+xml")
    assert status == 400 and "entity-expansion bomb" in one_line(status, headers, body)
    status, headers, body = request(server, "PUT", url, b"<urn:a> <urn:b> .\n", "application/n-triples")
    assert status == 400 and "not valid RDF" in one_line(status, headers, body)
    status, headers, body = request(server, "PUT", url, b"<urn:a> <urn:b> <urn:c> <urn:g> .\n", "application/n-quads")
    assert status == 415 and "text/turtle" in one_line(status, headers, body)
    status, headers, body = request(server, "PUT", "/store", b"", "text/turtle")
    assert status == 400 and "?graph=IRI" in one_line(status, headers, body)
    status, headers, body = update(server, "NOT SPARQL")
    assert status == 400 and "syntax error" in one_line(status, headers, body)
    assert mark(server) == []


def test_an_update_sent_to_the_query_endpoint_is_pointed_to_update(server: WritableServer) -> None:
    status, headers, body = request(server, "POST", "/query", b"update=CLEAR+ALL", "application/x-www-form-urlencoded")
    assert status == 400 and "/update" in one_line(status, headers, body)
