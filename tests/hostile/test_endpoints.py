"""Hostile endpoints: bad --endpoint and --timeout values, replies that are not SPARQL JSON
results, replies that are not HTTP, and secrets with stray characters."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from egovkg.cli import main
from egovkg.errors import EndpointError
from egovkg.remote import Endpoint, parse_results
from egovkg.triplestore import Credentials, check_http_url, graph_store_url, put_graph

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
SELECT = "SELECT ?x WHERE { ?x ?p ?o }"
NT = b"<urn:a> <urn:b> <urn:c> .\n"


@pytest.fixture()
def reply(stub):  # noqa: ANN001, ANN201 - conftest's stub, answering 200 with SPARQL JSON at /query
    stub.status, stub.content_type = 200, "application/sparql-results+json"
    stub.body, stub.seen, stub.url = b"", stub.seen_headers, stub.url + "/query"
    return stub


# ---- --endpoint and --timeout values ----------------------------------------------

BAD_URLS = ["foo", "http://[::1", "ftp://h/store", "http://", "http://h:99999/q", "http://h:x/q", "http://h/a b"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_endpoint_url_is_refused_when_named(url: str) -> None:
    message = f"--endpoint {url}: not an http(s) URL"
    for make in (Endpoint, lambda u: graph_store_url(u, None), check_http_url):
        with pytest.raises(EndpointError) as info:
            make(url)
        assert str(info.value) == message
    with pytest.raises(EndpointError, match="not an http"):
        put_graph(url, NT)


@pytest.mark.parametrize("url", ["http://u:s3cret@127.0.0.1:9/q", "ftp://u:s3cret@h/store", "http://u@h/q"])
@pytest.mark.parametrize("command", ["query", "push"])
def test_credentials_in_an_endpoint_url_are_refused_and_never_shown(command: str, url: str) -> None:
    args = ["query", "dataset-summary"] if command == "query" else ["push"]
    result = CliRunner().invoke(main, [*args, "--endpoint", url])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --endpoint: the URL holds a user name or password; give them in EGOVKG_USER and "
        "EGOVKG_PASSWORD (or EGOVKG_TOKEN), never in the URL\n"
    )


@pytest.mark.parametrize("command", ["query", "push"])
@pytest.mark.parametrize("url", ["foo", "http://[::1"])
def test_a_bad_endpoint_on_the_command_line_is_one_line(command: str, url: str) -> None:
    args = ["query", "dataset-summary"] if command == "query" else ["push"]
    result = CliRunner().invoke(main, [*args, "--endpoint", url])
    assert result.exit_code == 2, result.output
    assert result.output == f"error: --endpoint {url}: not an http(s) URL\n"


def test_good_endpoint_urls_are_accepted() -> None:
    for url in ["http://127.0.0.1:7878/query", "https://h/ds/sparql?x=1", "http://[::1]:3030/ds", "HTTP://H/q"]:
        assert Endpoint(url).url == url


def test_a_non_ascii_endpoint_is_sent_as_its_uri(reply) -> None:
    # http.client refuses non-ASCII in a request line (UnicodeEncodeError): the IRI is mapped to its URI
    reply.body = b'{"head": {}, "boolean": true}'
    iri = reply.url + "/数据?名=青岛"
    assert Endpoint(iri).query("ASK {}").boolean is True
    assert reply.seen[-1]["path"] == "/query/%E6%95%B0%E6%8D%AE?%E5%90%8D=%E9%9D%92%E5%B2%9B"
    assert put_graph(reply.url.replace("/query", "/数据"), NT, graph="urn:图") == 200
    assert reply.seen[-1]["path"] == "/%E6%95%B0%E6%8D%AE?graph=urn%3A%E5%9B%BE"
    assert graph_store_url("http://例子.test:9/s", None) == "http://xn--fsqu00a.test:9/s?default"
    with pytest.raises(EndpointError, match="cannot connect"):
        Endpoint("http://127.0.0.1:9/查询", timeout=2).query("ASK {}")


@pytest.mark.parametrize("timeout", [0, -5, float("nan"), float("inf")])
def test_a_timeout_that_is_not_above_zero_is_refused(timeout: float) -> None:
    with pytest.raises(EndpointError, match=r"^--timeout .*: must be a number of seconds above 0$"):
        Endpoint("http://127.0.0.1:9/query", timeout=timeout)
    with pytest.raises(EndpointError, match=r"^--timeout .*: must be a number of seconds above 0$"):
        put_graph("http://127.0.0.1:9/store", NT, timeout=timeout)


def test_a_negative_timeout_on_the_command_line_is_a_usage_error() -> None:
    """click refuses it before anything runs, with its usual usage block ending in the cause."""
    result = CliRunner().invoke(
        main, ["query", "dataset-summary", "--endpoint", "http://127.0.0.1:9/q", "--timeout", "-5"]
    )
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == "Error: Invalid value for '--timeout': -5 is not in the range x>=1."


# ---- replies that are not SPARQL JSON results -------------------------------------


def _binding(**term: str) -> bytes:
    return json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [{"x": term}]}}).encode()


HOSTILE = [
    (b"42", "not a JSON object but '42'"),
    (b'"boolean"', "not a JSON object but 'boolean'"),
    (b"[" * 100_000, "(application/sparql-results+json)"),
    (b'{"head": {}, "boolean": "yes"}', "boolean is 'yes', not true or false"),
    (b'{"head": 5, "boolean": true}', "head is not an object"),
    (b'{"head": {"vars": "xyz"}, "results": {"bindings": []}}', "head.vars is not a list"),
    (b'{"head": {}, "results": {"bindings": []}}', "head.vars is missing"),
    (b'{"head": {"vars": [1]}, "results": {"bindings": []}}', "head.vars[0] is not a string"),
    (b'{"head": {"vars": ["a b"]}, "results": {"bindings": []}}', "head.vars[0] 'a b' is not a variable name"),
    (b'{"head": {"vars": ["x", "x"]}, "results": {"bindings": []}}', "head.vars names 'x' twice"),
    (b'{"head": {"vars": ["x"]}}', "there is neither results nor boolean"),
    (b'{"head": {"vars": ["x"]}, "results": []}', "results is not an object"),
    (b'{"head": {"vars": ["x"]}, "results": {"bindings": {}}}', "results.bindings is not a list"),
    (b'{"head": {"vars": ["x"]}, "results": {"bindings": [5]}}', "results.bindings[0] is not an object"),
    (
        b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"y": {"type": "uri", "value": "urn:a"}}]}}',
        "results.bindings[0] binds 'y', which head.vars does not name",
    ),
    (_binding(type="foo", value="1"), "results.bindings[0].x.type 'foo' is not uri, literal or bnode"),
    (b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": "urn:a"}]}}', "results.bindings[0].x is not an object"),
    (_binding(type="literal"), "results.bindings[0].x.value is not a string"),
    (_binding(type="uri", value="not an iri"), "results.bindings[0].x.value 'not an iri' is not an IRI"),
    (
        _binding(type="literal", value="1", datatype="not an iri"),
        "results.bindings[0].x.datatype 'not an iri' is not an IRI",
    ),
    (_binding(type="literal", value="1", **{"xml:lang": "en us!"}), "x.xml:lang 'en us!' is not a language tag"),
    (
        _binding(type="literal", value="1", datatype="urn:t", **{"xml:lang": "en"}),
        "results.bindings[0].x has both xml:lang and datatype 'urn:t'",
    ),
    (
        _binding(type="literal", value="1", datatype="http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"),
        "has datatype rdf:langString but no xml:lang",
    ),
    (_binding(type="uri", value="urn:\x1b[31mred"), r"'urn:\x1b[31mred' is not an IRI"),  # escaped, never raw
]


@pytest.mark.parametrize(("body", "message"), HOSTILE)
def test_a_hostile_reply_is_one_endpoint_error(reply, body: bytes, message: str) -> None:
    reply.body = body
    with pytest.raises(EndpointError) as info:
        Endpoint(reply.url).query(SELECT)
    text = str(info.value)
    assert text.startswith(f"{reply.url}: the reply is not SPARQL JSON results")
    assert message in text
    assert "\n" not in text and "\x1b" not in text


@pytest.mark.parametrize("fmt", ["csv", "table", "json"])
@pytest.mark.parametrize(
    "body",
    [
        b"42",
        b'"boolean"',
        _binding(type="literal", value="1", datatype="not an iri"),
        _binding(type="literal", value="1", **{"xml:lang": "en us!"}),
        b'{"head": {"vars": "xyz"}, "results": {"bindings": []}}',
    ],
)
def test_a_hostile_reply_on_the_command_line_is_one_line(reply, body: bytes, fmt: str) -> None:
    reply.body = body
    result = CliRunner().invoke(main, ["query", "-e", SELECT, "--endpoint", reply.url, "--format", fmt])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {reply.url}: the reply is not SPARQL JSON results")
    assert len(result.output.splitlines()) == 1, result.output


def test_a_well_formed_reply_is_read_whole() -> None:
    body = {
        "head": {"vars": ["a", "b", "c", "d", "e"], "link": ["http://example.org/about"]},
        "results": {
            "distinct": False,
            "bindings": [
                {
                    "a": {"type": "uri", "value": "urn:x"},
                    "b": {"type": "literal", "value": "青岛", "xml:lang": "zh"},
                    "c": {
                        "type": "typed-literal",
                        "value": "7",
                        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
                    },
                    "d": {"type": "bnode", "value": "b0"},
                    "e": {"type": "literal", "value": "plain"},
                },
                {},
            ],
        },
        "extra": "ignored",
    }
    result = parse_results("http://h/q", json.dumps(body).encode())
    assert result.vars == ["a", "b", "c", "d", "e"]
    assert [{k: v.n3() for k, v in row.items()} for row in result.rows] == [
        {
            "a": "<urn:x>",
            "b": '"青岛"@zh',
            "c": '"7"^^<http://www.w3.org/2001/XMLSchema#integer>',
            "d": "_:b0",
            "e": '"plain"',
        },
        {},
    ]
    assert parse_results("http://h/q", b'{"head": {}, "boolean": false}').boolean is False


def test_blank_node_labels_that_are_not_valid_are_renamed_one_to_one(reply) -> None:
    # Virtuoso labels blank nodes 'nodeID://b10'; Oxigraph's writers refuse such labels
    body = {
        "head": {"vars": ["x", "y"]},
        "results": {
            "bindings": [
                {"x": {"type": "bnode", "value": "nodeID://b1"}, "y": {"type": "bnode", "value": "nodeID://b2"}},
                {"x": {"type": "bnode", "value": "nodeID://b1"}},
            ]
        },
    }
    reply.body = json.dumps(body).encode()
    result = CliRunner().invoke(main, ["query", "-e", SELECT, "--endpoint", reply.url, "--format", "csv"])
    assert result.exit_code == 0, result.output
    # one to one, then named in order of appearance like every result's blank nodes
    assert result.output.splitlines() == ["x,y", "_:b1,_:b2", "_:b1,"]


def test_an_ill_typed_literal_is_kept_without_rdflib_warnings(reply, caplog) -> None:
    reply.body = _binding(type="literal", value="abc", datatype="http://www.w3.org/2001/XMLSchema#integer")
    result = Endpoint(reply.url).query(SELECT)
    assert result.rows[0]["x"].n3() == '"abc"^^<http://www.w3.org/2001/XMLSchema#integer>'
    assert not [r for r in caplog.records if r.name.startswith("rdflib")]
    cli = CliRunner().invoke(main, ["query", "-e", SELECT, "--endpoint", reply.url, "--format", "table"])
    assert cli.exit_code == 0 and "abc" in cli.output and "Failed to convert" not in cli.output, cli.output


# ---- replies that are not HTTP ------------------------------------------------------


@pytest.fixture()
def not_http() -> Iterator[str]:
    """A TCP server that answers every connection with a line that is not HTTP."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    stop.set()
    srv.close()


def test_a_reply_that_is_not_http(not_http: str) -> None:
    with pytest.raises(EndpointError, match=r"/query: not a valid HTTP reply \(BadStatusLine\)"):
        Endpoint(not_http + "/query").query(COUNT)
    with pytest.raises(EndpointError, match=r"/store\?default: not a valid HTTP reply \(BadStatusLine"):
        put_graph(not_http + "/store", NT)


# ---- secrets with stray characters --------------------------------------------------


def test_secrets_from_the_environment_lose_surrounding_whitespace(monkeypatch) -> None:
    monkeypatch.setenv("EGOVKG_TOKEN", "abc\n")
    assert Credentials.from_env().header() == {"Authorization": "Bearer abc"}
    monkeypatch.delenv("EGOVKG_TOKEN")
    monkeypatch.setenv("EGOVKG_USER", " u\n")
    monkeypatch.setenv("EGOVKG_PASSWORD", "p w\r\n")
    creds = Credentials.from_env()
    assert (creds.user, creds.password) == ("u", "p w")
    monkeypatch.setenv("EGOVKG_TOKEN", " \n")
    assert Credentials.from_env().token is None  # blank means unset


def test_a_token_with_a_trailing_newline_is_sent_without_it(reply, monkeypatch) -> None:
    monkeypatch.setenv("EGOVKG_TOKEN", "s3cret\n")
    result = CliRunner().invoke(main, ["push", "--endpoint", reply.url.replace("/query", "/store")])
    assert result.exit_code == 0, result.output
    assert reply.seen[-1]["Authorization"] == "Bearer s3cret"


@pytest.mark.parametrize("token", ["s3c\nret", "s3c\x7fret", "s3c\tret", "s3c ret", "s3c令ret"])
def test_a_token_with_a_bad_character_is_refused_unshown(monkeypatch, token: str) -> None:
    monkeypatch.setenv("EGOVKG_TOKEN", token)
    with pytest.raises(EndpointError) as info:
        Credentials.from_env()
    assert str(info.value).startswith("EGOVKG_TOKEN: the token holds a space, control or non-ASCII character")
    assert "s3c" not in str(info.value)
    result = CliRunner().invoke(main, ["push", "--endpoint", "http://127.0.0.1:9/store"])
    assert result.exit_code == 2
    assert result.output.startswith("error: EGOVKG_TOKEN:") and "s3c" not in result.output


def test_a_user_name_with_a_colon_is_refused() -> None:
    with pytest.raises(EndpointError, match="a user name cannot contain ':'"):
        Credentials(user="a:b", password="pw")


CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<urn:a> <urn:b> <not an iri> .\n", "Invalid IRI code point ' '"),
        (b"<urn:a> <urn:b> <relative> .\n", "No scheme found in an absolute IRI"),  # never resolved against the cwd
        (b"<urn:a> <urn:b> << <urn:a> <urn:b> <urn:c> >> .\n", "it holds an RDF-star triple term"),
        (b"<urn:a> <urn:b> <urn:\\u001b> .\n", r"Invalid IRI code point '\x1b'"),
    ],
)
def test_a_hostile_graph_reply_is_one_endpoint_error(reply, body: bytes, message: str) -> None:
    reply.body = body
    with pytest.raises(EndpointError) as info:
        Endpoint(reply.url).query(CONSTRUCT)
    text = str(info.value)
    assert text.startswith(f"{reply.url}: the reply is not RDF (application/sparql-results+json): ")
    assert message in text and "\x1b" not in text
    result = CliRunner().invoke(main, ["query", "-e", CONSTRUCT, "--endpoint", reply.url, "--format", "nt"])
    assert result.exit_code == 2
    assert result.output == f"error: {text}\n"


def test_a_graph_reply_with_an_ill_typed_literal_is_kept_quietly(reply, caplog) -> None:
    reply.body = b'<urn:a> <urn:b> "x"^^<http://www.w3.org/2001/XMLSchema#integer> .\n<urn:a> <urn:b> "plain" .\n'
    graph = Endpoint(reply.url).query(CONSTRUCT).graph
    assert sorted(o.n3() for o in graph.objects()) == ['"plain"', '"x"^^<http://www.w3.org/2001/XMLSchema#integer>']
    assert not [r for r in caplog.records if r.name.startswith("rdflib")]
