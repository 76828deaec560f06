"""Hostile endpoints: bad --endpoint and --timeout values, replies that are not SPARQL JSON
results, replies that are not HTTP, secrets with stray characters, and replies larger than
--max-reply-size (declared, streamed, compressed, error and redirect replies)."""

from __future__ import annotations

import base64
import gzip
import io
import json
import socket
import threading
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from egovkg.cli import main
from egovkg.cli.common import ByteSize
from egovkg.errors import EndpointError
from egovkg.sparql.graphstore import (
    DEFAULT_MAX_REPLY,
    Credentials,
    check_http_url,
    graph_store_url,
    put_graph,
    read_reply,
)
from egovkg.sparql.remote import Endpoint, parse_results

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


ASK_TRUE = b'{"head": {}, "boolean": true}'


@pytest.mark.parametrize(
    ("args", "env", "header"),
    [
        (["--user", "ann"], {"EGOVKG_PASSWORD": "pw"}, "Basic " + base64.b64encode(b"ann:pw").decode()),
        (["--user", "ann", "--password", "pw"], {}, "Basic " + base64.b64encode(b"ann:pw").decode()),
        ([], {"EGOVKG_USER": "ann"}, "Basic " + base64.b64encode(b"ann:").decode()),  # an empty password
        ([], {"EGOVKG_TOKEN": "t0k"}, "Bearer t0k"),
        ([], {}, None),
    ],
)
def test_query_sends_the_credentials_push_does(reply, args: list[str], env: dict[str, str], header: str | None) -> None:
    reply.body = ASK_TRUE
    env = {"EGOVKG_USER": "", "EGOVKG_PASSWORD": "", "EGOVKG_TOKEN": "", **env}
    result = CliRunner(env=env).invoke(main, ["query", "-e", "ASK {}", "--endpoint", reply.url, *args])
    assert (result.exit_code, result.stdout) == (0, "true\n"), result.output
    assert reply.seen[-1].get("Authorization") == header
    assert "pw" not in result.output and "t0k" not in result.output


def test_credentials_on_the_command_line_win_over_a_token_in_the_environment(reply) -> None:
    reply.body = ASK_TRUE
    env = {"EGOVKG_USER": "", "EGOVKG_PASSWORD": "", "EGOVKG_TOKEN": "t0k"}
    args = ["query", "-e", "ASK {}", "--endpoint", reply.url, "--user", "ann", "--password", "pw"]
    result = CliRunner(env=env).invoke(main, args)
    assert result.exit_code == 0, result.output
    assert reply.seen[-1]["Authorization"] == "Basic " + base64.b64encode(b"ann:pw").decode()


@pytest.mark.parametrize("command", ["query", "push"])
def test_a_password_without_a_user_is_refused(command: str) -> None:
    args = ["query", "-e", "ASK {}"] if command == "query" else ["push"]
    env = {"EGOVKG_USER": "", "EGOVKG_PASSWORD": "", "EGOVKG_TOKEN": ""}
    result = CliRunner(env=env).invoke(main, [*args, "--endpoint", "http://127.0.0.1:9/x", "--password", "pw"])
    assert (result.exit_code, result.stderr) == (2, "error: --password needs a user name: give --user or EGOVKG_USER\n")


def test_a_refused_query_names_the_credentials_to_give(reply) -> None:
    reply.status, reply.body = 401, b"who are you?"
    result = CliRunner(env={"EGOVKG_TOKEN": ""}).invoke(main, ["query", "-e", "ASK {}", "--endpoint", reply.url])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {reply.url}: HTTP 401 Unauthorized: authentication required or refused "
        "(--user with EGOVKG_PASSWORD, or EGOVKG_TOKEN)\n"
    )


@pytest.mark.parametrize("command", ["push", "query"])
def test_a_server_message_reaches_the_terminal_as_text(reply, command: str) -> None:
    """An error reply's own words are quoted in the message, with its controls escaped."""
    reply.status, reply.body = 500, b"disk \x1b]0;pwned\x07full \x1b[2J\xe2\x80\xae!"
    url = reply.url.replace("/query", "/store") if command == "push" else reply.url
    args = ["push", "--endpoint", url] if command == "push" else ["query", "-e", "ASK {}", "--endpoint", url]
    result = CliRunner(env={"EGOVKG_TOKEN": ""}).invoke(main, args)
    assert result.exit_code == 2
    said = "disk \\x1b]0;pwned\\x07full \\x1b[2J\\u202e!"
    status = "HTTP 500" if command == "push" else "HTTP 500 Internal Server Error"
    assert result.stderr == f"error: {url}{'?default' if command == 'push' else ''}: {status}: {said}\n"
    assert not any(c in result.stderr for c in "\x1b\x07\u202e")


def test_a_query_sent_to_the_wrong_path_says_where_endpoints_live(reply) -> None:
    reply.status, reply.content_type, reply.body = 404, "text/html", b"<h1>Not Found</h1>"
    with pytest.raises(EndpointError) as info:
        Endpoint(reply.url).query("ASK {}")
    assert str(info.value) == (
        f"{reply.url}: HTTP 404 Not Found: is this the query endpoint (Oxigraph: /query, Fuseki: /DATASET/sparql)?"
    )


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


# ---- replies larger than --max-reply-size ---------------------------------------------

MiB = 1 << 20
PIECE = b" " * 65536  # whitespace: valid JSON padding, so only the size can fail


def _rows_reply(n: int, size: int | None = None) -> bytes:
    """A SELECT reply of n rows, padded with trailing whitespace to exactly ``size`` bytes."""
    rows = [{"x": {"type": "uri", "value": f"urn:x:{i}"}} for i in range(n)]
    body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": rows}}).encode()
    return body if size is None else body.ljust(size)


def _fifty_mib() -> Iterator[bytes]:
    return (PIECE for _ in range(50 * MiB // len(PIECE)))


def test_a_reply_declared_larger_than_the_cap_fails_before_reading(reply) -> None:
    # Content-Length says 50 MiB and no body follows: reading any of it would end in IncompleteRead
    reply.length, reply.stream = 50 * MiB, lambda: iter(())
    with pytest.raises(EndpointError) as info:
        Endpoint(reply.url, max_reply_size=MiB).query(SELECT)
    assert str(info.value) == f"{reply.url}: the reply is larger than 1 MiB (--max-reply-size)"
    assert len(reply.seen) == 1  # not retried


def test_a_streamed_reply_past_the_cap_stops_early(reply) -> None:
    """50 MiB sent chunked (no Content-Length) against a 1 MiB cap: the client hangs up after
    the cap, so the stub gets out only what fits the two sockets' buffers (measured 1.5-4.6 MiB),
    and the client's memory holds about the cap (measured peak 1.9 MiB)."""
    reply.stream = _fifty_mib
    tracemalloc.start()
    try:
        with pytest.raises(EndpointError) as info:
            Endpoint(reply.url, max_reply_size=MiB).query(SELECT)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(info.value) == f"{reply.url}: the reply is larger than 1 MiB (--max-reply-size)"
    assert reply.done.wait(10)
    assert MiB < reply.sent < 16 * MiB  # of 50 MiB
    assert peak < 4 * MiB


@pytest.mark.parametrize("chunked", [False, True])
def test_a_reply_of_exactly_the_cap_is_read_whole(reply, chunked: bool) -> None:
    cap = 256 * 1024
    body = _rows_reply(3000, cap)
    if chunked:
        reply.stream = lambda: (body[i : i + 10_000] for i in range(0, len(body), 10_000))
    else:
        reply.body = body
    result = Endpoint(reply.url, max_reply_size=cap).query(SELECT)
    assert [row["x"].n3() for row in result.rows] == [f"<urn:x:{i}>" for i in range(3000)]
    with pytest.raises(EndpointError, match=r": the reply is larger than 262143 bytes \(--max-reply-size\)$"):
        Endpoint(reply.url, max_reply_size=cap - 1).query(SELECT)


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_compressed_reply_is_refused_never_inflated(reply, coding: str) -> None:
    """egovkg asks for no compression (http.client sends Accept-Encoding: identity) and inflates
    nothing, so a bomb (80 KiB on the wire, 50 MiB inflated) is one error, under any cap."""
    inflated = _rows_reply(1) + b" " * (50 * MiB)
    reply.body = gzip.compress(inflated) if coding == "gzip" else zlib.compress(inflated)
    reply.reply_headers["Content-Encoding"] = coding
    assert len(reply.body) < 100_000
    with pytest.raises(EndpointError) as info:
        Endpoint(reply.url, max_reply_size=MiB).query(SELECT)
    assert str(info.value) == f"{reply.url}: the reply is compressed ({coding}), which egovkg does not ask for"
    assert reply.seen[-1]["Accept-Encoding"] == "identity"


def test_an_error_reply_is_capped_too(reply) -> None:
    """SPARQLWrapper read the body of a 400/401/404/414/500 whole: now at most 300 bytes of it."""
    reply.status = 500
    reply.stream = lambda: iter([b"boom\x1b[31m\nmore\n", *_fifty_mib()])
    with pytest.raises(EndpointError) as info:
        Endpoint(reply.url, max_reply_size=MiB).query(SELECT)
    assert str(info.value) == rf"{reply.url}: HTTP 500 Internal Server Error: boom\x1b[31m"
    assert reply.done.wait(10)
    assert reply.sent < 16 * MiB


def test_a_redirect_is_an_error_and_its_body_is_not_read(reply, monkeypatch) -> None:
    """urllib reads a redirect's body whole, then sends a POST query on as a GET without the
    query, with the Authorization header, to any host: redirects are not followed."""
    reply.status, reply.stream = 302, _fifty_mib
    reply.reply_headers["Location"] = "http://elsewhere.test/sparql"
    with pytest.raises(EndpointError) as info:
        Endpoint(reply.url, credentials=Credentials("u", "pw"), max_reply_size=MiB).query(SELECT)
    assert str(info.value) == (
        f"{reply.url}: HTTP 302 Found: redirected to 'http://elsewhere.test/sparql'; redirects are not "
        "followed (a POST query would arrive as an empty GET): give that URL as the endpoint"
    )
    assert len(reply.seen) == 1
    assert reply.done.wait(10)
    assert reply.sent < 16 * MiB


class _Endless(io.RawIOBase):
    """A reply body that never ends, counting the bytes asked of it."""

    def __init__(self, headers: dict[str, str] | None = None) -> None:
        self.headers = headers or {}
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # noqa: ANN001 - memoryview
        b[:] = b"x" * len(b)
        self.given += len(b)
        return len(b)


@pytest.mark.parametrize("cap", [1, 1000, 65536, 65537, 3 * 65536 + 5])
def test_read_reply_stops_at_the_first_byte_past_the_cap(cap: int) -> None:
    body = _Endless()
    with pytest.raises(EndpointError, match=r"^http://h/q: the reply is larger than "):
        read_reply(body, "http://h/q", cap)
    assert body.given == cap + 1


def test_read_reply_refuses_a_declared_length_without_reading() -> None:
    body = _Endless({"Content-Length": str(MiB + 1)})
    with pytest.raises(EndpointError, match=r"larger than 1 MiB \(--max-reply-size\)$"):
        read_reply(body, "http://h/q", MiB)
    assert body.given == 0


@pytest.mark.parametrize(
    ("given", "size"),
    [("1048576", MiB), ("64M", 64 * MiB), ("64mib", 64 * MiB), ("1G", 1 << 30), ("512k", 512 * 1024), ("64b", 64)],
)
def test_max_reply_size_on_the_command_line(reply, monkeypatch, given: str, size: int) -> None:
    seen = {}
    real = Endpoint.__init__

    def spy(self, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        seen.update(kwargs)
        real(self, *args, **kwargs)

    monkeypatch.setattr(Endpoint, "__init__", spy)
    reply.body = b'{"head": {}, "boolean": true}'
    for args, env in (["--max-reply-size", given], {}), ([], {"EGOVKG_MAX_REPLY_SIZE": given}):
        seen.clear()
        result = CliRunner(env=env).invoke(main, ["query", "-e", "ASK {}", "--endpoint", reply.url, *args])
        assert (result.exit_code, result.stdout) == (0, "true\n"), result.output
        assert seen["max_reply_size"] == size


def test_the_default_cap_is_256_mib_on_both_sides() -> None:
    assert DEFAULT_MAX_REPLY == 256 * MiB == ByteSize().convert("256M", None, None)
    option = next(p for p in main.commands["query"].params if p.name == "max_reply_size")
    assert ByteSize().convert(option.default, None, None) == DEFAULT_MAX_REPLY
    assert Endpoint("http://h/q").max_reply_size == DEFAULT_MAX_REPLY


def test_a_reply_past_the_cap_on_the_command_line_is_one_line_and_no_output(reply) -> None:
    reply.stream = _fifty_mib
    args = ["query", "-e", SELECT, "--endpoint", reply.url, "--max-reply-size", "1M", "--format", "csv"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {reply.url}: the reply is larger than 1 MiB (--max-reply-size)\n"


@pytest.mark.parametrize("given", ["0", "-1", "64X", "1.5G", "M", ""])
def test_a_bad_max_reply_size_is_a_usage_error(given: str) -> None:
    result = CliRunner().invoke(
        main, ["query", "dataset-summary", "--endpoint", "http://127.0.0.1:9/q", "--max-reply-size", given]
    )
    assert result.exit_code == 2
    assert result.output.splitlines()[-1].startswith("Error: Invalid value for '--max-reply-size': ")


@pytest.mark.parametrize("cap", [0, -1, 1.5, True, "1M"])
def test_a_bad_max_reply_size_is_refused_by_the_library(cap: object) -> None:
    with pytest.raises(EndpointError, match=r"^--max-reply-size .*: must be a whole number of bytes above 0$"):
        Endpoint("http://h/q", max_reply_size=cap)  # type: ignore[arg-type]
