"""One HTTP exchange with a SPARQL or Graph Store endpoint, on httpx, and one clear error per fault.

Both `egovkg query --endpoint` (``remote.Endpoint``) and `egovkg push` (``graphstore.put_graph``)
send through ``exchange``, so they say the same things the same way:

- the status and the server's own reason: the first line of a plain-text reply, or the title
  and first heading or paragraph of an HTML one (never just its doctype line); a reply that
  ends before its body is complete still reports its status (a 500 that closes early is a
  500, not "connection reset"); at most ``ERROR_BODY`` bytes of an error reply are read;
- on a 401, the authentication scheme the server asked for (WWW-Authenticate): Basic and
  Bearer are sent as given; Digest is answered with the user and password when both are given
  (Virtuoso's Graph Store asks for it), otherwise the message names the scheme to use;
- a redirect is not followed (a POST would arrive as a GET, credentials would go to another
  host): the message names the new URL;
- ``timeout`` is a deadline for the whole exchange, connecting, sending and reading, not a
  limit per read: a server that trickles one byte a second cannot hold a push for minutes;
- the URL in a message never shows a secret: user information is refused where the URL is
  named (``check_http_url``) and every query parameter but ``graph`` and ``default`` is shown
  as ``***`` (an API key in ``?key=`` stays out of logs and terminals);
- no compression is asked for or accepted, and every body is read through ``read_reply``'s cap.
"""

from __future__ import annotations

import html.parser
import io
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from egovkg.errors import EndpointError, one_line

if TYPE_CHECKING:
    import httpx

    from egovkg.sparql.graphstore import Credentials

Progress = Callable[[int, int], None]
TOKEN_ENV = "EGOVKG_TOKEN"
USER_ENV, PASSWORD_ENV = "EGOVKG_USER", "EGOVKG_PASSWORD"
CHUNK = 1 << 16

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
MAX_REPLY_OPTION = "--max-reply-size"
# The most egovkg reads of one HTTP reply's body. A reply is held whole and then parsed
# into rows or a graph, which takes about ten times the reply in memory (measured: 62 MiB
# of SPARQL JSON, 400,000 rows of a Wikidata-style item IRI and English label, parse to
# 560 MiB more; written out, ~12 times). 256 MiB is about 1.6 million such rows, a large
# export from a Wikidata-sized endpoint and far past any result a person reads, and its
# ~3 GB peak still fits a laptop; 512 MiB (~6 GB) would not on many. A larger legitimate
# result: raise the cap (--max-reply-size 1G) on a machine that can hold what it parses to.
DEFAULT_MAX_REPLY = 256 * MiB
# Content-Encoding values that mean a compressed body. egovkg never asks for one
# (http.client sends "Accept-Encoding: identity") and nothing here decompresses.
COMPRESSED = frozenset({"gzip", "x-gzip", "deflate", "br", "compress", "x-compress", "zstd"})


def size_text(n: int) -> str:
    """A byte count as people write it: 256 MiB, 1 GiB, 1500 bytes."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} byte" + ("" if n == 1 else "s")


def check_max_reply(size: int, option: str = MAX_REPLY_OPTION) -> int:
    """A reply size cap must be a whole number of bytes above 0."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise EndpointError(f"{option} {size!r}: must be a whole number of bytes above 0")
    return size


def read_reply(resp: IO[bytes], url: str, limit: int = DEFAULT_MAX_REPLY, option: str = MAX_REPLY_OPTION) -> bytes:
    """The body of an HTTP reply, at most ``limit`` bytes; past that one EndpointError naming
    ``url`` (never holding credentials: check_http_url refuses them) and the cap.

    A Content-Length above the cap fails before a byte of the body is read; any other body is
    read in CHUNK pieces and reading stops at the first byte past the cap, so at most
    ``limit`` + 1 bytes are held however much a server sends, or would send for ever. A
    compressed reply (which egovkg never asks for) is refused, never inflated: no zip bomb."""
    headers = getattr(resp, "headers", None) or {}
    codings = {c.strip().lower() for c in str(headers.get("Content-Encoding") or "").split(",")}
    if codings & COMPRESSED:
        raise EndpointError(
            f"{url}: the reply is compressed ({', '.join(sorted(codings & COMPRESSED))}), which egovkg does not ask for"
        )
    too_large = EndpointError(f"{url}: the reply is larger than {size_text(limit)} ({option})")
    try:
        declared = int(str(headers.get("Content-Length") or "").strip())
    except ValueError:
        declared = None  # absent or unreadable: http.client reads to the end of the stream; the cap still holds
    if declared is not None and declared > limit:
        raise too_large
    body = io.BytesIO()
    size = 0
    while chunk := resp.read(min(CHUNK, limit + 1 - size)):
        size += len(chunk)
        if size > limit:
            raise too_large
        body.write(chunk)
    return body.getvalue()


ERROR_BODY = 4096  # bytes of an error reply read for its message: an HTML page's title and heading fit
SHOWN_PARAMS = frozenset({"graph", "default"})  # Graph Store Protocol parameters: names, not secrets
TRANSIENT_STATUS = frozenset({502, 503, 504})


def shown_url(url: str) -> str:
    """``url`` as it may appear in a message: the value of every query parameter but ``graph`` and
    ``default`` replaced by ``***`` (an endpoint's API key must not reach a log or a terminal)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    shown = []
    for item in parts.query.split("&"):
        name, eq, _value = item.partition("=")
        shown.append(item if urllib.parse.unquote_plus(name) in SHOWN_PARAMS or not eq else f"{name}=***")
    return urllib.parse.urlunsplit(parts._replace(query="&".join(shown)))


_TEXT_TAGS = ("title", "h1", "h2", "h3", "p", "pre", "script", "style")


class _Text(html.parser.HTMLParser):
    """The title, first heading and first paragraph of an HTML page, as plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag: str, _attrs: Any) -> None:
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        tag = next((t for t in reversed(self._open) if t in _TEXT_TAGS), "")
        if tag in ("script", "style", "") or not data.strip():
            return
        key = {"h1": "heading", "h2": "heading", "h3": "heading", "pre": "paragraph", "p": "paragraph"}.get(tag, tag)
        if key not in self.parts:
            self.parts[key] = " ".join(data.split())


def _restates(text: str, status_reason: str) -> bool:
    """'Not Found', '404 Not Found' or 'Error' say nothing that 'HTTP 404 Not Found' does not."""
    plain = text.strip(" .:").lower()
    reason = status_reason.lower()
    return plain in ("", "error", reason) or (bool(reason) and plain.endswith(reason) and plain[:3].isdigit())


def reason_text(body: bytes, content_type: str, status_reason: str = "") -> str:
    """What an error reply says, in one line: the first non-blank line of a plain reply, or the
    title, first heading and first paragraph of an HTML page, less what only restates the status;
    "" when it says nothing more than its status line."""
    text = body.decode("utf-8", "replace")
    if "html" in content_type.lower() or text.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
        parser = _Text()
        try:
            parser.feed(text)
        except Exception:  # noqa: BLE001 - a broken page: its text is only a hint
            return ""
        said: list[str] = []
        for key in ("title", "heading", "paragraph"):
            part = parser.parts.get(key, "")
            if part and not _restates(part, status_reason) and not any(part in s for s in said):
                said = [s for s in said if s not in part] + [part]
        line = ": ".join(said)
    else:
        line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        if _restates(line, status_reason):
            line = ""
    return one_line(line, 200)


def challenges(header: str) -> list[str]:
    """The authentication schemes a WWW-Authenticate header offers, lower case, in order."""
    schemes = []
    for part in re.sub(r'"(?:[^"\\]|\\.)*"', '""', header).split(","):  # commas inside quotes are not separators
        token = part.strip().split(" ", 1)[0]
        if token and "=" not in token:
            schemes.append(token.lower())
    return schemes


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self, url: str) -> None:
        if self.left() <= 0:
            raise EndpointError(f"{shown_url(url)}: no complete answer within {self.seconds:g} s (--timeout)")


class _Body:
    """A streamed httpx response as the file-like ``read_reply`` reads: raw bytes (nothing is
    decompressed), the deadline checked between pieces."""

    def __init__(self, response: httpx.Response, deadline: _Deadline, url: str) -> None:
        self.headers = response.headers
        self._pieces = response.iter_raw()
        self._buffer = b""
        self._deadline, self._url = deadline, url

    def read(self, n: int) -> bytes:
        while not self._buffer:
            self._deadline.check(self._url)
            piece = next(self._pieces, None)
            if piece is None:
                return b""
            self._buffer = piece
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out


class _Upload:
    """A request body httpx can send twice (a Digest answer repeats the request): a file is
    streamed from disk each time, never read whole; progress is reported, the deadline checked."""

    def __init__(self, data: bytes | Path, progress: Progress | None, deadline: _Deadline, url: str) -> None:
        self.data, self.progress, self.deadline, self.url = data, progress, deadline, url
        self.total = data.stat().st_size if isinstance(data, Path) else len(data)

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        if isinstance(self.data, bytes):
            pieces: Iterator[bytes] = (self.data[i : i + CHUNK] for i in range(0, len(self.data), CHUNK))
            for piece in pieces:
                self.deadline.check(self.url)
                sent += len(piece)
                yield piece
                if self.progress:
                    self.progress(sent, self.total)
            return
        with self.data.open("rb") as fh:
            while piece := fh.read(CHUNK):
                self.deadline.check(self.url)
                sent += len(piece)
                yield piece
                if self.progress:
                    self.progress(sent, self.total)


def _status_line(url: str, status: int) -> str:
    import http

    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"{shown_url(url)}: HTTP {status} {phrase}".rstrip()


def _auth_error(url: str, reply: Reply, credentials: Credentials | None, phrase: str) -> EndpointError:
    offered = challenges(reply.headers.get("WWW-Authenticate", ""))
    head = _status_line(url, reply.status)
    given = credentials is not None and (credentials.user is not None or credentials.token is not None)
    if offered and not {"basic", "bearer"} & set(offered):
        schemes = ", ".join(s.capitalize() for s in offered)
        if "digest" in offered and credentials is not None and credentials.user is not None:
            return EndpointError(f"{head}: the server refused the user and password (Digest authentication)")
        if "digest" in offered:
            return EndpointError(
                f"{head}: the server asks for Digest authentication: give --user with {PASSWORD_ENV} "
                "(egovkg answers Digest with a user and password; a token cannot be sent that way)"
            )
        return EndpointError(
            f"{head}: the server asks for {schemes} authentication, which egovkg does not support "
            "(it sends HTTP Basic, Digest or a Bearer token)"
        )
    if given:
        what = "the token" if credentials is not None and credentials.token else "the user and password"
        scheme = f" ({', '.join(s.capitalize() for s in offered)})" if offered else ""
        return EndpointError(f"{head}: the server refused {what}{scheme}")
    return EndpointError(f"{head}: {phrase} (--user with {PASSWORD_ENV}, or {TOKEN_ENV})")


def status_error(url: str, reply: Reply, hints: Mapping[int, str], credentials: Credentials | None) -> EndpointError:
    """An error reply as one line: the status, the server's reason, what to do."""
    import http

    head = _status_line(url, reply.status)
    if 300 <= reply.status < 400:
        where = reply.headers.get("Location") or ""
        return EndpointError(
            f"{head}: redirected to {shown_url(where)!r}; redirects are not followed "
            "(a POST query would arrive as an empty GET): give that URL as the endpoint"
        )
    if reply.status == 401:
        return _auth_error(url, reply, credentials, hints.get(401, "authentication required"))
    try:
        phrase = http.HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = ""
    said = reason_text(reply.body, reply.headers.get("Content-Type", ""), phrase)
    hint = hints.get(reply.status, "")
    detail = ": ".join(x for x in (_escaped(said), hint) if x)
    return EndpointError(head + (f": {detail}" if detail else ""))


def exchange(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    timeout: float,
    max_reply: int,
    credentials: Credentials | None = None,
    body: bytes | Path | None = None,
    progress: Progress | None = None,
    hints: Mapping[int, str] | None = None,
    label: str | None = None,
) -> Reply:
    """Send one request and read its reply (a 2xx); EndpointError naming ``shown_url(label or url)``
    otherwise (``label``: the URL as the user gave it, where ``url`` is its ASCII form).

    Transient faults (502, 503, 504, a connection dropped before any reply) are retried with
    back-off while the deadline allows: a query and a Graph Store PUT are idempotent."""
    import httpx

    from egovkg.util.retry import ATTEMPTS

    where = shown_url(label or url)
    deadline = _Deadline(timeout)
    sent_headers = {"Accept-Encoding": "identity", **headers}
    if credentials is not None:
        sent_headers.update(credentials.header())
    if body is not None:  # a length, not chunked: some servers refuse a chunked upload
        sent_headers["Content-Length"] = str(body.stat().st_size if isinstance(body, Path) else len(body))
    delay = 0.25
    for attempt in range(1, ATTEMPTS + 1):
        try:
            reply = _once(method, url, where, sent_headers, deadline, max_reply, body, progress, credentials)
        except _Dropped as exc:
            if attempt == ATTEMPTS or deadline.left() < delay:
                raise EndpointError(f"{where}: the connection closed before a reply ({exc})") from None
        except httpx.TimeoutException as exc:
            raise EndpointError(f"{where}: no answer within {timeout:g} s (--timeout)") from exc
        except httpx.ConnectError as exc:
            raise EndpointError(f"{where}: cannot connect ({_plain_reason(exc)})") from exc
        except (httpx.RemoteProtocolError, httpx.LocalProtocolError) as exc:
            raise EndpointError(f"{where}: not a valid HTTP reply ({_plain_reason(exc)})") from exc
        except httpx.HTTPError as exc:
            raise EndpointError(f"{where}: connection failed ({_plain_reason(exc)})") from exc
        else:
            if 200 <= reply.status < 300:
                return reply
            if reply.status not in TRANSIENT_STATUS or attempt == ATTEMPTS or deadline.left() < delay:
                raise status_error(where, reply, hints or {}, credentials)
        time.sleep(delay)
        delay *= 2
    raise EndpointError(f"{shown_url(url)}: no attempt was made")  # pragma: no cover - the loop returns or raises


class _Dropped(Exception):
    """The server closed the connection before sending any reply: worth one more try."""


def _escaped(text: str) -> str:
    """A server's words as printable text: control and bidi characters as escapes."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _plain_reason(exc: BaseException) -> str:
    text = re.sub(r"bytearray\(b(['\"])(.*?)\1\)", r"'\2'", one_line(str(exc)))  # h11 quotes raw bytes
    return _escaped(text or type(exc).__name__)[:200]


def _once(
    method: str,
    url: str,
    where: str,
    headers: dict[str, str],
    deadline: _Deadline,
    max_reply: int,
    body: bytes | Path | None,
    progress: Progress | None,
    credentials: Credentials | None,
) -> Reply:
    import httpx

    limit = httpx.Timeout(max(deadline.left(), 0.001))
    content = _Upload(body, progress, deadline, where) if body is not None else None
    # no proxies or .netrc from the environment: a .netrc entry would send credentials unasked
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=limit) as client:
        reply = _send(client, method, url, where, headers, content, deadline, max_reply, read_reply)
        if reply.status == 401 and credentials is not None and credentials.user is not None:
            offered = challenges(reply.headers.get("WWW-Authenticate", ""))
            if ("digest" in offered or not offered) and "basic" not in offered:
                # Digest needs the server's nonce: the request goes again, answered with it. A 401
                # with no challenge at all is what Virtuoso answers to Basic on its Digest-only
                # Graph Store: asked without credentials, it gives its Digest challenge.
                auth = httpx.DigestAuth(credentials.user, credentials.password or "")
                plain = {k: v for k, v in headers.items() if k.lower() != "authorization"}
                reply = _send(client, method, url, where, plain, content, deadline, max_reply, read_reply, auth=auth)
    return reply


def _send(
    client: httpx.Client,
    method: str,
    url: str,
    where: str,
    headers: Mapping[str, str],
    content: _Upload | None,
    deadline: _Deadline,
    max_reply: int,
    read_reply: Any,
    auth: Any = None,
) -> Reply:
    import httpx

    extra = {"auth": auth} if auth is not None else {}
    try:
        with client.stream(method, url, headers=dict(headers), content=content, **extra) as response:
            status, got = response.status_code, response.headers
            if not 200 <= status < 300:
                # an error reply: a few bytes for its message; a reply cut short is still its status
                raw = b""
                if "Content-Encoding" not in got or got["Content-Encoding"].strip().lower() == "identity":
                    reader = _Body(response, deadline, where)
                    try:
                        while len(raw) < ERROR_BODY and (piece := reader.read(ERROR_BODY - len(raw))):
                            raw += piece
                    except (httpx.HTTPError, EndpointError):
                        pass  # the status stands; the message is only a hint
                return Reply(status, got, raw)
            return Reply(status, got, read_reply(_Body(response, deadline, where), where, max_reply))
    except httpx.RemoteProtocolError as exc:
        if "without sending" in str(exc) or "Server disconnected" in str(exc):
            raise _Dropped(_plain_reason(exc)) from exc
        raise
