"""The linked-data server over a real socket on 127.0.0.1: 303s, content negotiation, SPARQL, and abuse."""

from __future__ import annotations

import csv
import http.client
import io
import json
import logging
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, VOID

from egovkg.errors import EgovkgError
from egovkg.graph.build import KnowledgeGraph
from egovkg.graph.namespaces import EGOV
from egovkg.publish.site import build_site
from egovkg.serve import LinkedDataServer, make_server, negotiate, serve_forever
from egovkg.sparql.guard import uses_service

pytestmark = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)  # rdflib's JSON-LD parser
AWARD = "award/2012-management-innovation-01"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
RDF_TYPES = {
    "text/turtle": ("ttl", "turtle"),
    "application/n-triples": ("nt", "nt"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/rdf+xml": ("rdf", "xml"),
}


@pytest.fixture(scope="module", params=["rendered", "static"])
def server(request, kg: KnowledgeGraph, tmp_path_factory) -> Iterator[LinkedDataServer]:
    site_dir = None
    if request.param == "static":
        site_dir = tmp_path_factory.mktemp("served") / "site"
        build_site(kg, site_dir)
    srv = make_server(kg, port=0, site_dir=site_dir)
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    thread.join(timeout=10)


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(
    srv: LinkedDataServer,
    path: str,
    accept: str | None = None,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """One request, the path sent as given (http.client does not normalise '..'), no redirects followed."""
    host, port = srv.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    h = dict(headers or {})
    if accept is not None:
        h["Accept"] = accept
    try:
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def follow(srv: LinkedDataServer, path: str, accept: str | None) -> tuple[Response, Response]:
    first = fetch(srv, path, accept)
    assert first.status == 303, (first.status, first.text)
    assert first.headers["vary"] == "Accept"
    location = first.headers["location"]
    assert location.startswith("/")
    return first, fetch(srv, location, accept)


def plain_error(r: Response, status: int) -> None:
    assert r.status == status, (r.status, r.text)
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text.startswith(f"{status} ") and r.text.count("\n") == 1 and len(r.body) < 300
    assert "Traceback" not in r.text and "File " not in r.text


# -- content negotiation -----------------------------------------------------------


@pytest.mark.parametrize("media", sorted(RDF_TYPES))
def test_an_iri_redirects_to_its_description_in_the_asked_format(server, graph, kg, media: str) -> None:
    suffix, rdflib_format = RDF_TYPES[media]
    first, doc = follow(server, f"/id/{AWARD}", media)
    assert first.headers["location"] == f"/id/{AWARD}.{suffix}"
    assert doc.status == 200 and doc.headers["content-type"].split(";")[0] == media
    got = Graph().parse(data=doc.body, format=rdflib_format)
    award = URIRef(kg.base + AWARD)
    assert set(graph.triples((award, None, None))) <= set(got)
    practice = URIRef(kg.base + AWARD.replace("award", "practice"))
    assert set(graph.triples((practice, RDFS.label, None))) <= set(got)  # a neighbour's labels
    assert set(got) <= set(graph)


def test_the_formats_are_the_same_description(server) -> None:
    graphs = []
    for media, (_suffix, fmt) in sorted(RDF_TYPES.items()):
        graphs.append(Graph().parse(data=follow(server, f"/id/{AWARD}", media)[1].body, format=fmt))
    assert all(isomorphic(graphs[0], g) for g in graphs[1:])


@pytest.mark.parametrize("accept", ["text/html", None, "*/*", "", BROWSER, "text/*"])
def test_a_browser_gets_the_page(server, graph, kg, accept: str | None) -> None:
    first, page = follow(server, f"/id/{AWARD}", accept)
    assert first.headers["location"] == f"/id/{AWARD}.html"
    assert page.status == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'none'" in page.headers["content-security-policy"]
    for label in graph.objects(URIRef(kg.base + AWARD), RDFS.label):
        assert str(label) in page.text


@pytest.mark.parametrize(
    "accept, suffix",
    [
        ("text/turtle;q=0.5, application/ld+json", "jsonld"),
        ("application/rdf+xml;q=1, text/html;q=0.5", "rdf"),
        ("text/html;q=0, */*;q=0.1", "ttl"),
        ("image/png, application/n-triples;q=0.2", "nt"),
        ("TEXT/TURTLE", "ttl"),
    ],
)
def test_q_values_choose(server, accept: str, suffix: str) -> None:
    assert fetch(server, f"/id/{AWARD}", accept).headers["location"] == f"/id/{AWARD}.{suffix}"


@pytest.mark.parametrize("accept", ["image/png", "application/json", "text/plain", "garbage", "text/html;q=0"])
def test_nothing_acceptable_is_406(server, accept: str) -> None:
    r = fetch(server, f"/id/{AWARD}", accept)
    plain_error(r, 406)
    assert "text/turtle" in r.text and r.headers["vary"] == "Accept"


def test_spans_selectors_and_every_kind_dereference(server, kg) -> None:
    for path in (
        "/id/span/announcement-2012/1308-1342",
        "/id/span/announcement-2012/1308-1342/quote",
        "/id/region/420500",
        "/id/source/announcement-2012",
        "/id/selection/cegbp-2012",
        "/id/scheme/award-categories",
    ):
        _first, doc = follow(server, path, "text/turtle")
        assert doc.status == 200
        assert (URIRef(kg.base + path[4:]), None, None) in Graph().parse(data=doc.body, format="turtle")


def test_the_ontology_dereferences_by_its_hash_namespace(server) -> None:
    first, doc = follow(server, "/ontology", "text/turtle")
    assert first.headers["location"] == "/ontology.ttl"
    g = Graph().parse(data=doc.body, format="turtle")
    assert (EGOV.Award, RDFS.label, None) in g
    assert follow(server, "/ontology", BROWSER)[0].headers["location"] == "/ontology.html"
    page = fetch(server, "/ontology.html")
    assert 'id="Award"' in page.text
    assert fetch(server, "/ontology/Award.html").status == 200
    # owl:versionIRI <https://w3id.org/egovkg/ontology/0.1.0> names this version: it dereferences too
    first, doc = follow(server, "/ontology/0.1.0", "text/turtle")
    assert (first.status, first.headers["location"]) == (303, "/ontology.ttl")
    assert (
        URIRef("https://w3id.org/egovkg/ontology"),
        OWL.versionIRI,
        URIRef("https://w3id.org/egovkg/ontology/0.1.0"),
    ) in (Graph().parse(data=doc.body, format="turtle"))
    assert fetch(server, "/ontology/0.2.0").status == 404


def test_documents_serve_directly_and_relative_links_work_from_them(server) -> None:
    r = fetch(server, f"/id/{AWARD}.html")
    assert r.status == 200
    assert 'href="../../assets/site.css"' in r.text
    css = fetch(server, "/assets/site.css")
    assert css.status == 200 and css.headers["content-type"] == "text/css; charset=utf-8"
    assert fetch(server, f"/id/{AWARD}.ttl", "image/png").status == 200  # a document is what it is


def test_index_void_and_head(server, graph) -> None:
    index = fetch(server, "/")
    assert index.status == 200 and "class/egov/Award.html" in index.text
    void = fetch(server, "/.well-known/void")
    assert void.headers["content-type"] == "text/turtle; charset=utf-8"
    g = Graph().parse(data=void.body, format="turtle")
    ds = next(g.subjects(RDF.type, VOID.Dataset))
    assert int(g.value(ds, VOID.triples)) == len(graph)
    assert str(g.value(ds, VOID.sparqlEndpoint)) == f"{server.url}/sparql"
    head = fetch(server, f"/id/{AWARD}.ttl", method="HEAD")
    assert head.status == 200 and head.body == b"" and int(head.headers["content-length"]) > 1000
    assert fetch(server, "/id/dataset/egovkg", "text/turtle").headers["location"] == "/.well-known/void"


# -- SPARQL -------------------------------------------------------------------------


def sparql(server, query: str, accept: str | None = None) -> Response:
    return fetch(server, "/sparql?" + urllib.parse.urlencode({"query": query}), accept)


def test_sparql_ask(server) -> None:
    r = sparql(server, "ASK{}")
    assert r.status == 200 and r.headers["content-type"] == "application/sparql-results+json"
    assert json.loads(r.body) == {"head": {}, "boolean": True}


def test_sparql_select_in_every_results_format(server) -> None:
    q = "PREFIX egov: <https://w3id.org/egovkg/ontology#> SELECT (COUNT(?a) AS ?n) WHERE { ?a a egov:Award }"
    js = json.loads(sparql(server, q, "application/sparql-results+json").body)
    assert js["results"]["bindings"][0]["n"]["value"] == "40"
    root = ET.fromstring(sparql(server, q, "application/sparql-results+xml").body)
    assert root.find(".//{http://www.w3.org/2005/sparql-results#}literal").text == "40"
    rows = list(csv.reader(io.StringIO(sparql(server, q, "text/csv").text)))
    assert rows == [["n"], ["40"]]
    tsv = sparql(server, q, "text/tab-separated-values")
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    assert tsv.text.splitlines()[0] == "?n"
    plain_error(sparql(server, q, "image/png"), 406)


def test_sparql_construct_and_post(server, kg) -> None:
    q = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ BIND(<{kg.base}{AWARD}> AS ?s) ?s ?p ?o }}"
    r = sparql(server, q)
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    assert len(Graph().parse(data=r.body, format="turtle")) > 10
    assert sparql(server, q, "application/ld+json").headers["content-type"] == "application/ld+json"
    direct = fetch(
        server, "/sparql", method="POST", body=b"ASK { ?s ?p ?o }", headers={"Content-Type": "application/sparql-query"}
    )
    assert json.loads(direct.body)["boolean"] is True
    form = fetch(
        server,
        "/sparql",
        method="POST",
        body=urllib.parse.urlencode({"query": "ASK {}"}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert json.loads(form.body)["boolean"] is True


@pytest.mark.parametrize(
    "path, status",
    [
        ("/sparql", 400),
        ("/sparql?query=SELEC", 400),
        ("/sparql?query=ASK{}&query=ASK{}", 400),
        ("/sparql?update=" + urllib.parse.quote("INSERT DATA { <a:b> <a:c> <a:d> }"), 400),
        ("/sparql?query=" + urllib.parse.quote("SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"), 400),
        # 5,000 nested groups overflowed Oxigraph's parser stack: one GET killed the server
        ("/sparql?query=" + urllib.parse.quote("SELECT * WHERE {" + "{" * 5000 + "}" * 5000 + "}"), 400),
    ],
)
def test_sparql_refuses_bad_queries(server, path: str, status: int) -> None:
    plain_error(fetch(server, path), status)
    assert fetch(server, "/sparql?query=ASK%7B%7D").status == 200, "the server is still up"


def test_sparql_post_limits(server) -> None:
    # the server answers from the headers alone, before any of the body arrives
    too_big = {"Content-Type": "application/sparql-query", "Content-Length": str((1 << 20) + 1)}
    r = fetch(server, "/sparql", method="POST", body=b"ASK {}", headers=too_big)
    plain_error(r, 413)
    assert r.headers["connection"] == "close"
    plain_error(fetch(server, "/sparql", method="POST", body=b"ASK{}", headers={"Content-Type": "text/plain"}), 415)


def test_service_detection() -> None:
    assert uses_service("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }")
    assert uses_service("select * { service silent ?e { ?s ?p ?o } }")
    assert uses_service("SELECT * { \\u0053ERVICE <http://x/> { ?s ?p ?o } }")
    # an escaped character in a prefixed name opens no comment or string that would hide the rest
    assert uses_service("PREFIX ex: <urn:x#> SELECT * { ?s ex:a\\# ?o . SERVICE <http://x/> { ?s ?p ?o } }")
    assert uses_service("PREFIX ex: <urn:x#> SELECT * { ?s ex:a\\' ?o . SERVICE <http://x/> { ?s ?p ?o } }")
    assert not uses_service('SELECT ?service { ?service <http://x/service> "public service" } # SERVICE')
    assert not uses_service("PREFIX service: <http://x/> SELECT * { ?s service:p ?o }")
    assert not uses_service("SELECT * { ?s ?p '''a SERVICE b''' }")


# -- abuse ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/../../etc/passwd",
        "/id/%2e%2e/%2e%2e/etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/id/award/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/..%5c..%5cetc%5cpasswd",
        "/assets/../../../../etc/passwd",
        "//etc/passwd",
        "/id/award/nope",
        "/id/award/",
        "/id/" + AWARD + "/",
        "/ontology/Nope.html",
        "/.egovkg-site",
        "/id/%00",
    ],
)
def test_traversal_and_unknown_paths_are_404(server, path: str) -> None:
    r = fetch(server, path, "text/turtle")
    plain_error(r, 404)
    assert b"root:" not in r.body


def test_malformed_requests_are_400(server) -> None:
    plain_error(fetch(server, "/id/%ff%fe"), 400)
    plain_error(fetch(server, f"/id/{AWARD}", "text/html, " + "a/b;q=0.1, " * 500), 400)


@pytest.mark.parametrize(
    "raw, status",
    [
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X%d: a\r\n" % i for i in range(120)) + b"\r\n", 431),
    ],
)
def test_http_servers_own_limits_answer_in_plain_text(server, raw: bytes, status: int) -> None:
    import socket

    with socket.create_connection(server.server_address[:2], timeout=30) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status)
    assert b"Content-Type: text/plain; charset=utf-8" in head
    assert body.startswith(b"%d " % status) and b"<" not in body


def test_bad_methods_are_405_with_allow(server) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        r = fetch(server, f"/id/{AWARD}", method=method, body=b"x")
        plain_error(r, 405)
        assert r.headers["allow"] == "GET, HEAD, OPTIONS"
    r = fetch(server, f"/id/{AWARD}", method="POST", body=b"GET /secret HTTP/1.1\r\nHost: x\r\n\r\n")
    plain_error(r, 405)
    assert r.headers["connection"] == "close"  # the unread body is never taken for a second request
    assert fetch(server, "/sparql", method="OPTIONS").headers["allow"] == "GET, HEAD, POST, OPTIONS"


def test_an_internal_error_is_a_short_500(server, monkeypatch) -> None:
    def boom(_rel: str) -> bytes:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(server.documents, "get", boom)
    r = fetch(server, "/index.html")
    plain_error(r, 500)
    assert "secret" not in r.text


def test_keep_alive_serves_several_requests_on_one_connection(server) -> None:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        for path in ("/", f"/id/{AWARD}.ttl", "/sparql?query=ASK%7B%7D"):
            conn.request("GET", path)
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read()
    finally:
        conn.close()


# -- the API ------------------------------------------------------------------------


def test_negotiate() -> None:
    offers = ["text/html", "text/turtle"]
    assert negotiate(None, offers) == "text/html"
    assert negotiate("text/turtle", offers) == "text/turtle"
    assert negotiate("text/*;q=0.5, text/turtle;q=0.4", offers) == "text/html"
    assert negotiate("text/*, text/html;q=0", offers) == "text/turtle"
    assert negotiate("*/*;q=0.1, text/turtle;q=0.2", offers) == "text/turtle"
    assert negotiate("text/turtle;q=nan, image/png", offers) is None
    assert negotiate("*/html", offers) is None


def test_make_server_refuses_a_folder_that_is_not_a_site(kg, tmp_path: Path) -> None:
    with pytest.raises(EgovkgError, match="not a site"):
        make_server(kg, site_dir=tmp_path)


def test_make_server_reports_a_busy_port(kg, server) -> None:
    with pytest.raises(EgovkgError, match="cannot listen"):
        make_server(kg, port=server.server_address[1])


def test_serve_linked_data_runs_until_a_signal(tmp_path: Path) -> None:
    """The body of `egovkg serve --linked-data`, in its own process: it answers, then stops on SIGINT."""
    import signal
    import subprocess
    import sys
    import time

    from egovkg.serve.oxigraph import free_port

    port = free_port()
    code = f"from egovkg.cli.site import serve_linked_data; serve_linked_data({port}, 'https://w3id.org/egovkg/id/')"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line:
                break
            lines.append(line)
            if line.startswith("press Ctrl-C"):
                break
        if not any(f"http://127.0.0.1:{port}/sparql" in x for x in lines):
            proc.kill()
            _out, err = proc.communicate(timeout=30)
            raise AssertionError(f"the server did not start: stdout {lines!r}, stderr {err[-2000:]!r}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/id/{AWARD}", headers={"Accept": "text/turtle"})
        assert conn.getresponse().status == 303
        conn.close()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "stopped" in out and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_client_that_drops_its_connection_is_not_logged_as_an_error(server: LinkedDataServer, caplog) -> None:
    """A keep-alive client may reset the connection between requests: routine, nothing logged."""
    import socket
    import struct

    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        sock = socket.create_connection(server.server_address[:2], timeout=30)
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # a reset, before or while the answer is written
    assert fetch(server, "/sparql?query=ASK%7B%7D").status == 200
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- datasets (issue 18) -------------------------------------------------------------

ONTOLOGY_GRAPH = "https://w3id.org/egovkg/graph/ontology"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def count(r: Response) -> int:
    assert r.status == 200, r.text
    return int(json.loads(r.body)["results"]["bindings"][0]["n"]["value"])


def test_sparql_honours_from_and_the_protocols_dataset(server, kg) -> None:
    union = count(sparql(server, COUNT))
    ontology = count(sparql(server, f"SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY_GRAPH}> WHERE {{ ?s ?p ?o }}"))
    assert ontology == len(kg.ontology) and union > ontology
    by_param = fetch(server, "/sparql?" + urllib.parse.urlencode({"query": COUNT, "default-graph-uri": ONTOLOGY_GRAPH}))
    assert count(by_param) == ontology
    named = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(sparql(server, named)) == 3
    only = urllib.parse.urlencode({"query": named, "named-graph-uri": ONTOLOGY_GRAPH})
    assert count(fetch(server, "/sparql?" + only)) == 1
    from_named = f"SELECT (COUNT(DISTINCT ?g) AS ?n) FROM NAMED <{ONTOLOGY_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert count(sparql(server, from_named)) == 1
    bad = urllib.parse.urlencode({"query": COUNT, "default-graph-uri": "not an iri"})
    plain_error(fetch(server, "/sparql?" + bad), 400)


@pytest.mark.parametrize("path", ["/id/dataset/egovkg", "/id/dataset/egovkg/class/egov/Award"])
@pytest.mark.parametrize("media", sorted(RDF_TYPES))
def test_the_dataset_and_its_partitions_negotiate_every_format(server, graph, path: str, media: str) -> None:
    suffix, rdflib_format = RDF_TYPES[media]
    first = fetch(server, path, media)
    assert first.status == 303 and first.headers["vary"] == "Accept"
    doc = fetch(server, first.headers["location"])
    assert doc.status == 200 and doc.headers["content-type"].split(";")[0] == media
    g = Graph().parse(data=doc.body, format=rdflib_format)
    assert int(g.value(next(g.subjects(RDF.type, VOID.Dataset)), VOID.triples)) == len(graph)


def test_the_dataset_page_for_a_browser(server) -> None:
    first = fetch(server, "/id/dataset/egovkg", BROWSER)
    page = fetch(server, first.headers["location"])
    assert page.status == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert "void#Dataset" in page.text and "script-src 'none'" in page.headers["content-security-policy"]


# -- the query page (issue 14) ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/sparql", "/sparql?query=" + urllib.parse.quote("ASK {}")])
def test_a_browser_asking_for_sparql_gets_the_query_page(server, path: str) -> None:
    r = fetch(server, path, BROWSER)
    assert r.status == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert "connect-src 'self'" in r.headers["content-security-policy"]
    assert "<html" in r.text


@pytest.mark.parametrize("accept", [None, "*/*", "application/sparql-results+json", "text/csv"])
def test_programs_keep_getting_the_protocol(server, accept: str | None) -> None:
    r = fetch(server, "/sparql?query=" + urllib.parse.quote("ASK {}"), accept)
    assert r.status == 200 and not r.headers["content-type"].startswith("text/html")
    if accept is None:
        plain_error(fetch(server, "/sparql"), 400)


def test_the_sites_own_query_page_is_served(kg, tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    build_site(kg, site_dir)
    (site_dir / "query.html").write_text("<!DOCTYPE html><html><title>workbench</title></html>\n")
    srv = make_server(kg, port=0, site_dir=site_dir)
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    try:
        r = fetch(srv, "/sparql?query=ASK%7B%7D", BROWSER)
        assert "workbench" in r.text and "connect-src 'self'" in r.headers["content-security-policy"]
        assert "script-src 'self'" in fetch(srv, "/query.html").headers["content-security-policy"]
        # a file swapped for a symbolic link after start-up is not followed
        secret = tmp_path / "secret.txt"
        secret.write_text("root:secret\n")
        css = site_dir / "assets" / "site.css"
        css.unlink()
        css.symlink_to(secret)
        r = fetch(srv, "/assets/site.css")
        plain_error(r, 404)
        (site_dir / "assets").rename(site_dir / "assets-real")
        (site_dir / "assets").symlink_to(tmp_path)
        plain_error(fetch(srv, "/assets/secret.txt"), 404)
    finally:
        srv.shutdown()
        thread.join(timeout=30)


def test_a_site_folder_given_as_a_link_is_served(kg, tmp_path: Path) -> None:
    """`egovkg serve --linked-data --site build/site`: build/site is a link to the current generation
    (egovkg build switches generations at once); every page was a 404 when the root was refused."""
    real = tmp_path / "generation" / "site"
    build_site(kg, real)
    (tmp_path / "site").symlink_to(real, target_is_directory=True)
    srv = make_server(kg, port=0, site_dir=tmp_path / "site")
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    try:
        for path in ("/", "/query.html", "/explorer/index.html", "/assets/site.css"):
            assert fetch(srv, path).status == 200, path
        (real / "assets" / "site.css").unlink()
        (real / "assets" / "site.css").symlink_to(real / "index.html")  # a link inside is still refused
        plain_error(fetch(srv, "/assets/site.css"), 404)
    finally:
        srv.shutdown()
        thread.join(timeout=30)


def test_plain_serve_keeps_named_graphs(tmp_path: Path) -> None:
    """`egovkg serve --data x.trig`: GRAPH ?g finds the file's graphs; FROM picks one."""
    from egovkg.serve import make_query_server

    trig = tmp_path / "x.trig"
    trig.write_text(
        "<urn:a> <urn:p> 1 .\nGRAPH <urn:g1> { <urn:a> <urn:p> 2 }\nGRAPH <urn:g2> { <urn:a> <urn:p> 3, 4 }\n"
    )
    srv = make_query_server([trig], port=0)
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    try:

        def q(text: str) -> int:
            r = fetch(srv, "/query?" + urllib.parse.urlencode({"query": text}))
            return count(r)

        assert q("SELECT (COUNT(DISTINCT ?g) AS ?n) { GRAPH ?g { ?s ?p ?o } }") == 2
        assert q(COUNT) == 4
        assert q("SELECT (COUNT(*) AS ?n) FROM <urn:g2> { ?s ?p ?o }") == 2
        plain_error(fetch(srv, "/store"), 404)
    finally:
        srv.shutdown()
        thread.join(timeout=30)
