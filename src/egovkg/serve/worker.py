"""The query worker: one process that loads the data, closes its own road to the network and
answers SPARQL queries sent down its stdin, one at a time.

It is started and watched by :class:`egovkg.serve.workers.WorkerPool`, which kills it at a
query's deadline or when its client goes away, and starts another when it dies: a query that
crashes Oxigraph (a stack overflow on a 10,000-term expression), runs away or exhausts the
memory limit costs this process only, never the server.

Messages are length-prefixed (4 bytes, big-endian) JSON, the results' bytes framed the same
way after the reply's header. See docs/LINKED-DATA.md for the protocol and the limits.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import struct
import sys
import threading
from typing import IO, Any

STACK = 512 << 20  # bytes of main-thread stack: deep left-nested algebra recurses in Oxigraph
PARSE_BUDGET = 2.0  # seconds rdflib may spend looking for SERVICE and FROM before Oxigraph alone decides
HEADER = struct.Struct(">I")
SERVICE_REFUSED = "SERVICE (federated query) is not allowed on this endpoint"


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class _TooLarge(Exception):
    pass


class _Capped:
    """A file-like sink that stops the serialiser once the result passes ``cap`` bytes."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        if len(self.data) > self.cap:
            raise _TooLarge
        return len(chunk)

    def flush(self) -> None:
        pass


def read_frame(stream: IO[bytes]) -> bytes | None:
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    data = stream.read(size)
    return data if len(data) == size else None


def write_frame(stream: IO[bytes], data: bytes) -> None:
    stream.write(HEADER.pack(len(data)) + data)


# -- the parsed query ---------------------------------------------------------


_RUNAWAY = threading.Event()  # a parse outlived its budget: this process ends after its reply


def _parse(text: str, out: list[Any]) -> None:
    from pyparsing.exceptions import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        out.append(parseQuery(text))
    except (ParseBaseException, RecursionError, ValueError, TypeError):
        out.append(None)


@functools.lru_cache(maxsize=256)  # a page or a client repeats its queries: parse each text once
def analyse(text: str) -> tuple[bool, bool] | None:
    """(uses SERVICE, has FROM/FROM NAMED) from rdflib's parse of ``text``; None when rdflib
    cannot parse it within PARSE_BUDGET (its grammar lags Oxigraph's in places: escaped
    characters in prefixed names, for one). Then Oxigraph's parse decides alone, inside the
    network sandbox. The parse runs on a thread with a large stack; one that outlives its
    budget cannot be stopped, so the worker ends after its reply and the pool replaces it."""
    from rdflib.plugins.sparql.parserutils import CompValue

    out: list[Any] = []
    thread = threading.Thread(target=_parse, args=(text, out), daemon=True)
    thread.start()
    thread.join(PARSE_BUDGET)
    if thread.is_alive():
        _RUNAWAY.set()
        return None
    parsed = out[0] if out else None
    if parsed is None:
        return None
    service = dataset = False
    todo: list[Any] = [parsed]
    while todo:
        node = todo.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                service = True
            if "datasetClause" in node and node["datasetClause"]:  # (CompValue.get defaults to the key)
                dataset = True
            todo.extend(node.values())
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            todo.extend(node)
    return service, dataset


# -- answering ------------------------------------------------------------------


class Worker:
    def __init__(self, data: str, cap: int, network_closed: bool) -> None:
        import pyoxigraph as ox

        self.ox = ox
        self.store = ox.Store()
        self.store.bulk_load(path=data, format=ox.RdfFormat.N_QUADS)
        self.cap = cap
        self.network_closed = network_closed

    def answer(self, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        try:
            return self._answer(request)
        except _Refused as exc:
            return {"status": exc.status, "message": exc.message}, b""

    def _answer(self, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        from egovkg.errors import QueryError
        from egovkg.serve.negotiation import GRAPH_OFFERS, RESULT_MEDIA, RESULTS_OFFERS, negotiate
        from egovkg.sparql.guard import _code, guard

        ox = self.ox
        text: str = request["query"]
        try:
            guard(text)
        except QueryError as exc:
            raise _Refused(400, str(exc)) from exc
        try:
            ox.Store().query(text)  # Oxigraph's parser alone: lazy, nothing is evaluated
        except SyntaxError as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise _Refused(400, f"SPARQL syntax error: {first}") from exc
        found = analyse(text)
        if found is None and not self.network_closed:
            raise _Refused(400, "this query could not be checked for SERVICE clauses on this system")
        service, dataset = found if found is not None else (False, " FROM " in f" {_code(text).upper()} ")
        if service:
            raise _Refused(400, SERVICE_REFUSED)
        kwargs: dict[str, Any] = {}
        defaults, named = request.get("default_graphs"), request.get("named_graphs")
        if defaults or named:  # the protocol's dataset wins over the query's (SPARQL 1.1 Protocol 2.1.4)
            kwargs["default_graph"] = [ox.NamedNode(g) for g in defaults or []]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named or []]
        elif not dataset:
            kwargs["use_default_graph_as_union"] = True  # documented: no dataset clause, every graph
        try:
            result = self.store.query(text, **kwargs)
            if isinstance(result, ox.QueryTriples):
                offers, fmts = GRAPH_OFFERS, None
            else:
                offers, fmts = RESULTS_OFFERS, RESULT_MEDIA
            chosen = negotiate(request.get("accept"), [m for m, _ in offers])
            if chosen is None:
                shown = [m for m, _ in offers][:4]
                return {"status": 406, "message": "available as " + ", ".join(shown), "vary": True}, b""
            name = dict(offers)[chosen]
            if fmts is None:
                fmt = getattr(ox.RdfFormat, name)
                ctype = chosen + ("; charset=utf-8" if chosen == "text/turtle" else "")
            else:
                fmt = getattr(ox.QueryResultsFormat, name)
                ctype = fmts[name]
            sink = _Capped(self.cap)
            result.serialize(output=sink, format=fmt)
        except _TooLarge:
            mib = self.cap / (1 << 20)
            raise _Refused(
                400, f"the result is larger than this server's cap of {mib:g} MiB: add a LIMIT or narrow the query"
            ) from None
        except PermissionError as exc:  # the sandbox refused a socket: a SERVICE the parse did not see
            raise _Refused(400, SERVICE_REFUSED) from exc
        except MemoryError as exc:
            raise _Refused(500, "the query ran out of memory") from exc
        except (OSError, ValueError, RuntimeError, SyntaxError, TypeError) as exc:
            raise _Refused(400, f"query failed: {exc}") from exc
        return {"status": 200, "ctype": ctype, "vary": True}, bytes(sink.data)


def _big_stack() -> None:
    """Re-execute with a large main-thread stack (it is fixed at exec time by RLIMIT_STACK)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    want = STACK if hard == resource.RLIM_INFINITY else min(STACK, hard)
    if soft != resource.RLIM_INFINITY and soft < want and os.environ.get("EGOVKG_WORKER_STACK") != "1":
        resource.setrlimit(resource.RLIMIT_STACK, (want, hard))
        os.environ["EGOVKG_WORKER_STACK"] = "1"
        os.execv(sys.executable, [sys.executable, "-m", "egovkg.serve.worker", *sys.argv[1:]])


def main(argv: list[str]) -> int:
    """argv: the N-Quads file, the result cap in bytes, the address-space limit in bytes (0: none)."""
    _big_stack()
    data, cap, memory = argv[0], int(argv[1]), int(argv[2])
    sys.setrecursionlimit(50_000)
    threading.stack_size(STACK)  # rdflib's parser recurses too (on its own thread: see analyse)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the reply stream
    # rdflib's SPARQL parser and Oxigraph loaded before the limits: imports are not a query's cost
    import rdflib.plugins.sparql.parser  # noqa: F401

    import egovkg.serve.negotiation  # noqa: F401
    import egovkg.sparql.guard  # noqa: F401
    from egovkg.serve.sandbox import deny_network

    closed = deny_network()
    worker = Worker(data, cap, closed)
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    write_frame(out, json.dumps({"ready": True, "network_closed": closed}).encode())
    out.flush()
    while (frame := read_frame(inp)) is not None:
        head, body = worker.answer(json.loads(frame))
        write_frame(out, json.dumps(head).encode())
        write_frame(out, body)
        out.flush()
        if _RUNAWAY.is_set():
            os._exit(0)  # a parse thread still runs: end here, the pool starts a fresh worker
    return 0


if __name__ == "__main__":
    main(sys.argv[1:])
