"""What push and query --endpoint say about a server's reply (issue 18, issue 19 point 7): the
server's own reason from an HTML or plain reply, a 500 that closes early reported as the 500, the
authentication scheme asked for, --timeout as a deadline for the whole exchange, and no secret
from the URL's query string in any message. Servers here are raw sockets on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from egovkg.errors import EndpointError
from egovkg.sparql.graphstore import Credentials, put_graph
from egovkg.sparql.http import challenges, reason_text, shown_url
from egovkg.sparql.remote import Endpoint

ASK = "ASK { ?s ?p ?o }"
Handler = Callable[[socket.socket], None]


def _headers(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(4096)
        if not piece:
            break
        data += piece
    return data


@pytest.fixture()
def raw() -> Iterator[Callable[[Handler], str]]:
    """Start a TCP server whose every connection goes to a handler; gives its base URL."""
    servers: list[socket.socket] = []

    def start(handler: Handler) -> str:
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        servers.append(srv)

        def serve() -> None:
            while True:
                try:
                    conn, _ = srv.accept()
                except OSError:
                    return
                with conn:
                    conn.settimeout(20)
                    try:
                        handler(conn)
                    except OSError:
                        pass

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{srv.getsockname()[1]}"

    yield start
    for srv in servers:
        srv.close()


def _reply(status: str, body: bytes, content_type: str = "text/plain", extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}"
    return head.encode() + b"Connection: close\r\n\r\n" + body


APACHE_500 = b"""<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>500 Internal Server Error</title>
<style>body { color: red }</style>
</head><body>
<h1>Internal Server Error</h1>
<p>The store ran out of disk space while loading the graph.</p>
</body></html>
"""


@pytest.mark.parametrize("command", ["push", "query"])
def test_an_html_error_reply_gives_its_reason_not_its_doctype(raw, command: str) -> None:
    url = raw(lambda conn: (_headers(conn), conn.sendall(_reply("500 Internal Server Error", APACHE_500, "text/html"))))
    with pytest.raises(EndpointError) as info:
        if command == "push":
            put_graph(url + "/store", b"<urn:a> <urn:b> <urn:c> .\n")
        else:
            Endpoint(url + "/sparql").query(ASK)
    said = str(info.value)
    reason = "The store ran out of disk space while loading the graph."
    assert said.endswith(f"HTTP 500 Internal Server Error: {reason}"), said
    assert "DOCTYPE" not in said and "color" not in said


def test_reason_text_of_plain_and_html_replies() -> None:
    assert reason_text(b"\n\n  disk full\nmore", "text/plain") == "disk full"
    assert reason_text(b"<html><body><h1>Not Found</h1></body></html>", "text/html", "Not Found") == ""
    assert reason_text(b"404 Not Found", "text/plain", "Not Found") == ""
    page = b"<!DOCTYPE html><html><head><title>Error</title><script>x()</script></head><body><p>No &amp; no</p>"
    assert reason_text(page, "") == "No & no"
    assert reason_text(b"<title>Virtuoso 42000 Error</title><h1>SR186: No permission</h1>", "text/html") == (
        "Virtuoso 42000 Error: SR186: No permission"
    )


def test_a_500_that_closes_early_is_reported_as_the_500(raw) -> None:
    def cut(conn: socket.socket) -> None:
        _headers(conn)
        conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5000\r\n\r\nout of mem")
        conn.shutdown(socket.SHUT_RDWR)

    url = raw(cut)
    with pytest.raises(EndpointError, match=r"/store\?default: HTTP 500 Internal Server Error: out of mem$"):
        put_graph(url + "/store", b"<urn:a> <urn:b> <urn:c> .\n")


def test_a_500_sent_before_the_upload_is_read_is_reported_as_the_500(raw) -> None:
    """The server answers at once and closes, leaving most of the body unread: the client's
    writes fail (connection reset), but the reply is there to read, and it is what counts."""

    def early(conn: socket.socket) -> None:
        _headers(conn)
        conn.sendall(_reply("500 Internal Server Error", b"quota exceeded"))
        time.sleep(0.2)

    url = raw(early)
    body = b"<urn:a> <urn:b> <urn:c> .\n" * 400_000  # 10 MB: far more than the socket buffers hold
    with pytest.raises(EndpointError, match=r"HTTP 500 Internal Server Error: quota exceeded$"):
        put_graph(url + "/store", body, timeout=30)


def _unauthorized(scheme: str) -> Handler:
    def handler(conn: socket.socket) -> None:
        _headers(conn)
        conn.sendall(_reply("401 Unauthorized", b"no", extra=f"WWW-Authenticate: {scheme}\r\n"))

    return handler


DIGEST = 'Digest realm="virtuoso", nonce="abc123", qop="auth", algorithm=MD5'


def test_a_digest_only_server_names_the_scheme_when_no_password_is_given(raw) -> None:
    url = raw(_unauthorized(DIGEST))
    with pytest.raises(EndpointError) as info:
        put_graph(url + "/store", b"<urn:a> <urn:b> <urn:c> .\n")
    assert "the server asks for Digest authentication: give --user with EGOVKG_PASSWORD" in str(info.value)


def test_digest_is_answered_with_the_user_and_password(raw) -> None:
    seen: list[bytes] = []

    def handler(conn: socket.socket) -> None:
        head = _headers(conn)
        seen.append(head)
        if b"Authorization: Digest" in head:
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            got = head.split(b"\r\n\r\n", 1)[1]
            while len(got) < length:
                got += conn.recv(65536)
            conn.sendall(_reply("201 Created", b""))
        else:
            conn.sendall(_reply("401 Unauthorized", b"no", extra=f"WWW-Authenticate: {DIGEST}\r\n"))

    url = raw(handler)
    assert put_graph(url + "/store", b"<urn:a> <urn:b> <urn:c> .\n", credentials=Credentials("dba", "pw")) == 201
    assert b'Digest username="dba"' in seen[-1] and b"pw" not in seen[-1]


def test_a_digest_server_that_refuses_says_so_and_does_not_ask_for_a_user(raw) -> None:
    url = raw(_unauthorized(DIGEST))
    with pytest.raises(EndpointError) as info:
        Endpoint(url + "/sparql", credentials=Credentials("dba", "wrong")).query(ASK)
    assert str(info.value).endswith(
        "HTTP 401 Unauthorized: the server refused the user and password (Digest authentication)"
    )


def test_a_scheme_egovkg_cannot_answer_is_named(raw) -> None:
    url = raw(_unauthorized("Negotiate"))
    with pytest.raises(EndpointError) as info:
        Endpoint(url + "/sparql", credentials=Credentials("u", "pw")).query(ASK)
    assert "the server asks for Negotiate authentication, which egovkg does not support" in str(info.value)


def test_refused_basic_credentials_are_not_asked_for_again(raw) -> None:
    url = raw(_unauthorized('Basic realm="store"'))
    with pytest.raises(EndpointError) as info:
        put_graph(url + "/store", b"<urn:a> <urn:b> <urn:c> .\n", credentials=Credentials("u", "pw"))
    assert str(info.value).endswith("HTTP 401 Unauthorized: the server refused the user and password (Basic)")


def test_challenges() -> None:
    assert challenges('Digest realm="a, b", nonce="x", Basic realm="y"') == ["digest", "basic"]
    assert challenges("Bearer") == ["bearer"]


@pytest.mark.parametrize("command", ["push", "query"])
def test_the_timeout_is_a_deadline_for_the_whole_exchange(raw, command: str) -> None:
    """A server that trickles its reply a byte every 0.3 s never lets a read time out; the
    deadline still ends the exchange (it held push for minutes before)."""

    def trickle(conn: socket.socket) -> None:
        _headers(conn)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: 1000\r\n\r\n"
        )
        for _ in range(200):
            conn.sendall(b" ")
            time.sleep(0.3)

    url = raw(trickle)
    t0 = time.monotonic()
    with pytest.raises(EndpointError, match=r"no complete answer within 2 s \(--timeout\)$"):
        if command == "push":
            put_graph(url + "/store", b"<urn:a> <urn:b> <urn:c> .\n", timeout=2)
        else:
            Endpoint(url + "/sparql", timeout=2).query(ASK)
    assert time.monotonic() - t0 < 6


def test_a_secret_in_the_query_string_is_never_shown(raw) -> None:
    url = raw(lambda conn: (_headers(conn), conn.sendall(_reply("403 Forbidden", b"bad key"))))
    with pytest.raises(EndpointError) as info:
        Endpoint(url + "/sparql?apikey=s3cr3t&x=1").query(ASK)
    assert "s3cr3t" not in str(info.value) and "apikey=***&x=***" in str(info.value)
    with pytest.raises(EndpointError) as info:
        put_graph(url + "/store?token=s3cr3t", b"<urn:a> <urn:b> <urn:c> .\n", graph="urn:g")
    assert "s3cr3t" not in str(info.value) and "token=***&graph=urn%3Ag" in str(info.value)


def test_a_redirect_names_the_new_url_without_its_secrets(raw) -> None:
    moved = "http://127.0.0.1:9/new/sparql?key=s3cr3t"
    url = raw(
        lambda conn: (
            _headers(conn),
            conn.sendall(_reply("301 Moved Permanently", b"", extra=f"Location: {moved}\r\n")),
        )
    )
    with pytest.raises(EndpointError) as info:
        Endpoint(url + "/sparql").query(ASK)
    assert "redirected to 'http://127.0.0.1:9/new/sparql?key=***'" in str(info.value)
    assert "s3cr3t" not in str(info.value)


def test_shown_url() -> None:
    assert shown_url("http://h/store?graph=urn%3Ag&key=abc") == "http://h/store?graph=urn%3Ag&key=***"
    assert shown_url("http://h/store?default") == "http://h/store?default"
    assert shown_url("http://h/q") == "http://h/q"
