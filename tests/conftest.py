"""Session fixtures: the real files, read and built once."""

from __future__ import annotations

import http.server
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

from egovkg.graph.build import KnowledgeGraph, build
from egovkg.ingest.curated import SCHEMAS, read_table
from egovkg.ingest.extract import Extractor, Gazetteer, Lexicon
from egovkg.ingest.model import Extraction
from egovkg.paths import Layout

# CI runs the property tests on a fixed set of examples (HYPOTHESIS_PROFILE=ci), so that a run
# passes or fails the same way each time; elsewhere each run draws new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
# Tests write only to tmp: Hypothesis keeps its example database and constants cache in the
# working folder's .hypothesis/ unless told otherwise.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "egovkg-hypothesis")

ROOT = Path(__file__).resolve().parent.parent


# a stricter rule than the data meets (the awards' ranks run to 10, the rule allows 5): a graph
# that does not validate, with 20 violations, once appended to ontology/shapes.ttl
STRICTER_RANK_SHAPE = """
<https://w3id.org/egovkg/shapes#TestRank> a <http://www.w3.org/ns/shacl#NodeShape> ;
  <http://www.w3.org/ns/shacl#targetClass> <https://w3id.org/egovkg/ontology#Award> ;
  <http://www.w3.org/ns/shacl#property> <https://w3id.org/egovkg/shapes#TestRank-rank> .
<https://w3id.org/egovkg/shapes#TestRank-rank>
  <http://www.w3.org/ns/shacl#path> <https://w3id.org/egovkg/ontology#rank> ;
  <http://www.w3.org/ns/shacl#maxInclusive> 5 ;
  <http://www.w3.org/ns/shacl#message> "rank above 5" .
"""


def append_shape(home: Path, turtle: str) -> None:
    shapes = home / "ontology/shapes.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + "\n" + turtle, encoding="utf-8")


def published(folder: Path, skip: frozenset[str] = frozenset({".generations"})) -> dict[str, bytes]:
    """The files a reader sees under ``folder``, through the links into the current output set,
    by path relative to ``folder``; folders named in ``skip`` (the generations behind the links
    by default) are left out."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            p = Path(dirpath) / name
            if p.is_file():
                found[str(p.relative_to(folder))] = p.read_bytes()
    return dict(sorted(found.items()))


FIXTURES = Path(__file__).resolve().parent / "fixtures"
HOME_PARTS = ("data", "ontology", "queries")  # what a command needs to find the project


@pytest.fixture(scope="session", autouse=True)
def egovkg_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the project's inputs in tmp, named by EGOVKG_HOME for the whole session (and the
    subprocesses it starts), so tests never write into the checkout: commands that default to
    the project's build/ (the graph cache), viz/ or build/site write here instead. Tests that
    read the shipped files read them from ROOT; the copy holds the same bytes."""
    home = tmp_path_factory.mktemp("egovkg-home")
    for part in HOME_PARTS:
        shutil.copytree(ROOT / part, home / part)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EGOVKG_HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def layout() -> Layout:
    return Layout(ROOT)


@pytest.fixture(scope="session")
def extractor(layout: Layout) -> Extractor:
    categories = [r["name_zh"] for r in read_table(layout.curated / "categories.csv", SCHEMAS["categories"])]
    return Extractor(Lexicon.load(layout.lexicon), Gazetteer.load(layout.gazetteer), categories)


@pytest.fixture(scope="session")
def source_text(layout: Layout) -> str:
    return (layout.sources / "announcement-2012.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def extraction(extractor: Extractor, source_text: str) -> Extraction:
    return extractor.extract(source_text, source="announcement-2012.txt")


@pytest.fixture(scope="session")
def kg(layout: Layout) -> KnowledgeGraph:
    return build(layout)


@pytest.fixture(scope="session")
def graph(kg: KnowledgeGraph):
    return kg.union()


# -- a stub HTTP endpoint, for the remote and triplestore tests ----------------------


class _Stub(http.server.BaseHTTPRequestHandler):
    """An HTTP endpoint that answers what a test sets: status (or statuses, in turn), type and body.

    With ``stream`` (a function giving the body in pieces) the body is sent piece by piece,
    chunked unless ``length`` declares a Content-Length; ``sent`` counts the body bytes the
    stub managed to send before the client hung up, and ``done`` is set when a reply ends."""

    status = 500
    body = b"boom"
    content_type = "text/plain"
    delay = 0.0
    seen_headers: list[dict[str, str]] = []
    statuses: list[int] = []  # when set, one status per request, in order
    reply_headers: dict[str, str] = {}  # more headers to send (the fixture gives each test its own)
    stream: Callable[[], Iterable[bytes]] | None = None
    length: int | None = None  # a Content-Length to declare instead of the body's own
    sent = 0
    done: threading.Event

    def _reply(self) -> None:
        cls = type(self)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        cls.seen_headers.append({**self.headers, "path": self.path})
        time.sleep(self.delay)
        status = cls.statuses.pop(0) if cls.statuses else self.status
        chunked = cls.stream is not None and cls.length is None
        if chunked:
            self.protocol_version = "HTTP/1.1"  # chunked transfer coding is HTTP/1.1's
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        for name, value in cls.reply_headers.items():
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(len(self.body) if cls.length is None else cls.length))
        self.end_headers()
        try:
            for piece in [self.body] if cls.stream is None else cls.stream():
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                cls.sent += len(piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client hung up: what it read is all it wanted
            self.close_connection = True
        finally:
            cls.done.set()

    do_GET = do_POST = do_PUT = _reply

    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture()
def stub() -> Iterator[type[_Stub]]:
    handler = type(
        "Handler", (_Stub,), {"seen_headers": [], "statuses": [], "reply_headers": {}, "done": threading.Event()}
    )
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.url = f"http://127.0.0.1:{srv.server_address[1]}"
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield handler
    srv.shutdown()
    srv.server_close()
