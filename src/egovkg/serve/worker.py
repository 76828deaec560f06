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
import re
import resource
import struct
import sys
import threading
from typing import IO, Any

from egovkg.sparql.guard import CODEPOINT_ESCAPE, unescape_codepoints

STACK = 512 << 20  # bytes of main-thread stack: deep left-nested algebra recurses in Oxigraph
PARSE_BUDGET = 2.0  # seconds rdflib may spend looking for SERVICE and FROM before Oxigraph alone decides
HEADER = struct.Struct(">I")
SERVICE_REFUSED = "SERVICE (federated query) is not allowed on this endpoint"
LOAD_REFUSED = "LOAD (fetching data from the network) is not allowed on this endpoint: PUT it to /store"
# a Graph Store GET of the whole dataset: the formats that keep named graphs
DATASET_OFFERS = [("application/trig", "TRIG"), ("application/n-quads", "N_QUADS")]


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


def _parse(text: str, out: list[Any], update: bool = False) -> None:
    from pyparsing.exceptions import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        out.append(parseUpdate(text) if update else parseQuery(text))
    except (ParseBaseException, RecursionError, ValueError, TypeError):
        out.append(None)


def keywords_absent(text: str, *words: str) -> bool:
    """Whether none of ``words`` (upper-case keywords) can be a keyword of ``text``: a keyword is
    its letters in a row, in any case, after the code point escapes (\\u0053, \\U00000053) that
    SPARQL replaces before parsing; no comment, string or prefix can split one. So a text in
    which no word occurs, escapes replaced (repeatedly, to be safe) or not, in any case (Python's
    upper() also maps ſ and ı to S and I), has none of those keywords. A word found may be a
    false alarm (in a string, a comment, an IRI): then the full parse decides."""
    seen = [text]
    for _ in range(4):
        decoded = unescape_codepoints(seen[-1])
        if decoded == seen[-1]:
            break
        seen.append(decoded)
    folded = "\n".join(_without_comment_lines(t) for t in seen).upper()
    return not any(word in folded for word in words)


def _without_comment_lines(text: str) -> str:
    """``text`` without its lines that are a comment and nothing else (the catalogue's ``#+
    summary: ... from ...`` lines): a line whose first character after spaces and tabs is ``#``
    and that holds no quote. Such a line is a comment, or (inside a long string) string content
    that no quote on it can close: no code either way. (An IRI or a prefixed name never spans
    lines; a comment ends at CR or LF, and splitlines splits at those and more.)"""
    return "\n".join(
        line
        for line in text.splitlines()
        if not (line.lstrip(" \t").startswith("#") and "'" not in line and '"' not in line)
    )


@functools.lru_cache(maxsize=256)  # a page or a client repeats its queries: parse each text once
def analyse(text: str) -> tuple[bool, bool] | None:
    """(uses SERVICE, has FROM/FROM NAMED): at once when neither keyword can occur
    (:func:`keywords_absent`), else from rdflib's parse of ``text`` (0.1-0.7 s for a catalogue
    query); None when rdflib cannot parse it within PARSE_BUDGET (its grammar lags Oxigraph's
    in places: escaped characters in prefixed names, for one). Then Oxigraph's parse decides
    alone, inside the network sandbox. The parse runs on a thread with a large stack; one that
    outlives its budget cannot be stopped, so the worker ends after its reply and the pool
    replaces it."""
    if keywords_absent(text, "SERVICE", "FROM"):
        return False, False
    found = _parsed_names(text, update=False)
    return None if found is None else ("ServiceGraphPattern" in found, "datasetClause" in found)


def analyse_update(text: str) -> tuple[bool, bool] | None:
    """(uses SERVICE, uses LOAD) as :func:`analyse` finds them, for the update ``text``."""
    if keywords_absent(text, "SERVICE", "LOAD"):
        return False, False
    found = _parsed_names(text, update=True)
    return None if found is None else ("ServiceGraphPattern" in found, "Load" in found)


def _parsed(text: str, update: bool) -> Any:
    """rdflib's parse of ``text`` within PARSE_BUDGET, on a thread with a large stack; None when
    it fails or outlives its budget (then this process ends after its reply: see :func:`analyse`)."""
    out: list[Any] = []
    thread = threading.Thread(target=_parse, args=(text, out, update), daemon=True)
    thread.start()
    thread.join(PARSE_BUDGET)
    if thread.is_alive():
        _RUNAWAY.set()
        return None
    return out[0] if out else None


def _parsed_names(text: str, update: bool) -> set[str] | None:
    """The names of the parsed form's parts (and ``datasetClause`` when one is given)."""
    from rdflib.plugins.sparql.parserutils import CompValue

    parsed = _parsed(text, update)
    if parsed is None:
        return None
    names: set[str] = set()
    todo: list[Any] = [parsed]
    while todo:
        node = todo.pop()
        if isinstance(node, CompValue):
            names.add(node.name)
            if "datasetClause" in node and node["datasetClause"]:  # (CompValue.get defaults to the key)
                names.add("datasetClause")
            todo.extend(node.values())
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            todo.extend(node)
    return names


_BARE_CR = re.compile(r"\r(?!\n)")
_BNODE_REPR = re.compile(r"rdflib\.term\.BNode\('[^']*'\)")


def _shape(node: Any) -> str:
    """A parsed part as text to compare: rdflib's repr, blank nodes numbered in order (the parser
    names an anonymous one anew on each parse)."""
    names: dict[str, str] = {}
    return _BNODE_REPR.sub(lambda m: names.setdefault(m.group(0), f"_:b{len(names)}"), repr(node))


def _part(node: Any, key: str) -> Any:
    """A part of a parsed node, or None (rdflib's ``CompValue.get`` gives the key for a missing one)."""
    return node[key] if node is not None and key in node else None


def _with_dataset(update: str, using: list[str], named: list[str]) -> str:
    """The update with the protocol's dataset written into each DELETE/INSERT … WHERE operation
    (:func:`egovkg.sparql.guard.with_protocol_dataset`), or _Refused. rdflib parses both the
    update and the result, and they must be the same operations, part for part, but for these
    USING clauses on each DELETE/INSERT … WHERE (a DELETE WHERE written out as one) and nothing
    else naming a dataset. rdflib reads the text as Oxigraph, which runs it, does, except for
    ``\\u`` escapes (rdflib applies them first) and a CR alone (which ends a comment for Oxigraph
    only): an update with either is refused."""
    from egovkg.errors import QueryError
    from egovkg.sparql.guard import NAMES_ITS_DATASET, with_protocol_dataset

    unchecked = "cannot take using-graph-uri or using-named-graph-uri here: write USING in the update"
    if CODEPOINT_ESCAPE.search(update):
        raise _Refused(400, f"an update with \\u escapes {unchecked}, or the characters themselves")
    if _BARE_CR.search(update):
        raise _Refused(400, f"an update with a carriage return not followed by a line feed {unchecked}")
    try:
        text = with_protocol_dataset(update, using, named)
    except QueryError as exc:
        raise _Refused(400, str(exc)) from exc
    before, after = _parsed(update, update=True), _parsed(text, update=True)
    if before is None or after is None:
        raise _Refused(400, f"rdflib, which checks it, cannot parse this update, so it {unchecked}")
    want = [("default", g) for g in using] + [("named", g) for g in named]
    failed = _Refused(400, f"this update {unchecked}")
    ops, done = list(before["request"]), list(after["request"])
    if len(ops) != len(done) or _shape(_part(before, "prologue")) != _shape(_part(after, "prologue")):
        raise failed
    for op, new in zip(ops, done, strict=True):
        if "withClause" in op or "using" in op or "withClause" in new:
            raise _Refused(400, NAMES_ITS_DATASET)
        if op.name == "DeleteWhere":  # written out: DELETE {Q} USING … WHERE {Q}
            same = new.name == "Modify" and "insert" not in new
            same = same and _shape(op["quads"]) == _shape(_part(_part(new, "delete"), "quads"))
        elif op.name == "Modify":
            keys = (set(op) | set(new)) - {"using"}
            same = new.name == "Modify" and all(_shape(_part(op, k)) == _shape(_part(new, k)) for k in keys)
        else:
            same = _shape(op) == _shape(new)
        if not same:
            raise failed
        if new.name == "Modify":
            got = [(k, str(v)) for clause in (_part(new, "using") or []) for k, v in clause.items()]
            if got != want:
                raise failed
    return text


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
            op = request.get("op", "query")
            if op == "reload":  # a writable server wrote a new generation of the data
                self.store = self.ox.Store()  # the old one goes first: the memory limit holds one
                self.store.bulk_load(path=request["data"], format=self.ox.RdfFormat.N_QUADS)
                return {"status": 204}, b""
            if op == "graph":
                return self._graph(request)
            return self._answer(request)
        except _Refused as exc:
            return {"status": exc.status, "message": exc.message}, b""

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one Worker a process; a client repeats its queries
    def _checked(self, text: str) -> bool:
        """Whether the query names its dataset; _Refused when it nests too deep, is not SPARQL or
        uses SERVICE (by rdflib's parsed form, else Oxigraph's alone in the network sandbox)."""
        from egovkg.errors import QueryError
        from egovkg.sparql.guard import _code, guard

        try:
            guard(text)
        except QueryError as exc:
            raise _Refused(400, str(exc)) from exc
        try:
            self.ox.Store().query(text)  # Oxigraph's parser alone: lazy, nothing is evaluated
        except SyntaxError as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise _Refused(400, f"SPARQL syntax error: {first}") from exc
        found = analyse(text)
        if found is None and not self.network_closed:
            raise _Refused(400, "this query could not be checked for SERVICE clauses on this system")
        service, dataset = found if found is not None else (False, " FROM " in f" {_code(text).upper()} ")
        if service:
            raise _Refused(400, SERVICE_REFUSED)
        return dataset

    def _graph(self, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        """A Graph Store GET: one graph (``graph`` an IRI, or "" for the default graph), or the
        whole dataset (``graph`` None), in the format the client asks for."""
        from egovkg.serve.negotiation import GRAPH_OFFERS, negotiate

        ox, graph = self.ox, request.get("graph")
        offers = DATASET_OFFERS if graph is None else GRAPH_OFFERS
        chosen = negotiate(request.get("accept"), [m for m, _ in offers])
        if chosen is None:
            return {"status": 406, "message": "available as " + ", ".join(m for m, _ in offers), "vary": True}, b""
        kwargs: dict[str, Any] = {}
        if graph == "":
            kwargs["from_graph"] = ox.DefaultGraph()
        elif graph is not None:
            kwargs["from_graph"] = ox.NamedNode(graph)
            if not self.store.contains_named_graph(kwargs["from_graph"]):
                raise _Refused(404, f"no graph <{graph}> in this store")
        sink = _Capped(self.cap)
        try:
            self.store.dump(output=sink, format=getattr(ox.RdfFormat, dict(offers)[chosen]), **kwargs)
        except _TooLarge:
            raise _Refused(400, f"the graph is larger than this server's cap of {self.cap / (1 << 20):g} MiB") from None
        ctype = chosen + ("; charset=utf-8" if chosen.startswith("text/") else "")
        return {"status": 200, "ctype": ctype, "vary": True}, bytes(sink.data)

    def _answer(self, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        from egovkg.serve.negotiation import GRAPH_OFFERS, RESULT_MEDIA, RESULTS_OFFERS, negotiate

        ox = self.ox
        text: str = request["query"]
        dataset = self._checked(text)
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


class Writer:
    """The one process that writes a writable server's store (an Oxigraph store folder):
    SPARQL updates and Graph Store writes, each one transaction, refused by parsed form when it
    would reach the network (SERVICE, LOAD) and run inside the same sandbox, memory limit and
    deadline as a query. After each write it dumps the store as N-Quads to the file the request
    names: the next generation the query workers load."""

    def __init__(self, location: str, network_closed: bool) -> None:
        import pyoxigraph as ox

        self.ox = ox
        self.store = ox.Store(location)
        self.network_closed = network_closed

    def dump(self, out: str) -> None:
        tmp = out + ".part"
        self.store.dump(tmp, format=self.ox.RdfFormat.N_QUADS)
        os.replace(tmp, out)

    def answer(self, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        try:
            status = self._write(request)
        except _Refused as exc:
            return {"status": exc.status, "message": exc.message}, b""
        self.dump(request["out"])
        return {"status": status, "written": True}, b""

    def _write(self, request: dict[str, Any]) -> int:
        op = request["op"]
        if op == "update":
            text = request["update"]
            using, named = request.get("using") or [], request.get("using_named") or []
            if using or named:
                text = _with_dataset(text, using, named)
            self._update(text, checked=False)
            return 204
        graph = request.get("graph") or ""
        name = self.ox.DefaultGraph() if graph == "" else self.ox.NamedNode(graph)
        target = "DEFAULT" if graph == "" else f"GRAPH <{graph}>"
        existed = graph == "" or self.store.contains_named_graph(name)
        if op == "delete":
            if not existed:
                raise _Refused(404, f"no graph <{graph}> in this store")
            self._update(f"DROP {target}", checked=True)
            return 204
        triples = self._parse_upload(request["path"], request["format"])
        data = f"INSERT DATA {{ {'GRAPH <' + graph + '> { ' if graph else ''}{triples}{' }' if graph else ''} }}"
        # a PUT replaces the graph in one transaction with the insert: a failure leaves it as it was
        self._update(f"DROP SILENT {target} ; {data}" if op == "put" else data, checked=True)
        return 204 if existed else 201

    def _parse_upload(self, path: str, fmt_name: str) -> str:
        """The uploaded file's triples in N-Triples form, checked first for size, depth and
        entity bombs (:func:`egovkg.util.limits.check_rdf_input`), no remote context ever."""
        from pathlib import Path

        from egovkg.errors import EgovkgError
        from egovkg.util.limits import check_rdf_input

        try:
            check_rdf_input(Path(path), fmt_name)
        except EgovkgError as exc:
            raise _Refused(400, str(exc).replace(path, "the request body")) from exc
        lines: list[str] = []
        try:
            for quad in self.ox.parse(path=path, format=getattr(self.ox.RdfFormat, fmt_name)):
                if not isinstance(quad.graph_name, self.ox.DefaultGraph):
                    raise _Refused(400, "the body holds named graphs: a Graph Store request writes one graph")
                lines.append(f"{quad.subject} {quad.predicate} {quad.object} .")
        except SyntaxError as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise _Refused(400, f"the request body is not valid RDF: {first}") from exc
        except (OSError, ValueError) as exc:
            raise _Refused(400, f"the request body could not be read: {exc}") from exc
        return "\n".join(lines)

    def _update(self, text: str, checked: bool) -> None:
        from egovkg.errors import QueryError
        from egovkg.sparql.guard import guard

        if not checked:
            try:
                guard(text, "update")
            except QueryError as exc:
                raise _Refused(400, str(exc)) from exc
            found = analyse_update(text)
            if found is None and not self.network_closed:
                raise _Refused(400, "this update could not be checked for SERVICE and LOAD on this system")
            service, load = found if found is not None else (False, False)
            if service:
                raise _Refused(400, SERVICE_REFUSED)
            if load:
                raise _Refused(400, LOAD_REFUSED)
        try:
            self.store.update(text)
        except SyntaxError as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise _Refused(400, f"SPARQL syntax error: {first}") from exc
        except PermissionError as exc:  # the sandbox refused a socket: SERVICE or LOAD the parse did not see
            raise _Refused(400, f"{SERVICE_REFUSED}, nor is LOAD") from exc
        except MemoryError as exc:
            raise _Refused(500, "the update ran out of memory; nothing of it was written") from exc
        except (OSError, ValueError, RuntimeError, TypeError) as exc:
            raise _Refused(400, f"update failed, nothing of it was written: {exc}") from exc


def _big_stack() -> None:
    """Re-execute with a large main-thread stack (it is fixed at exec time by RLIMIT_STACK)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    want = STACK if hard == resource.RLIM_INFINITY else min(STACK, hard)
    if soft != resource.RLIM_INFINITY and soft < want and os.environ.get("EGOVKG_WORKER_STACK") != "1":
        resource.setrlimit(resource.RLIMIT_STACK, (want, hard))
        os.environ["EGOVKG_WORKER_STACK"] = "1"
        os.execv(sys.executable, [sys.executable, "-m", "egovkg.serve.worker", *sys.argv[1:]])


def main(argv: list[str]) -> int:
    """argv: the N-Quads file, the result cap in bytes, the address-space limit in bytes (0: none);
    or ``--writer``, the store folder, the N-Quads file to dump it to at start, the limit."""
    _big_stack()
    if argv[0] == "--writer":
        return _write_main(argv[1], argv[2], int(argv[3]))
    data, cap, memory = argv[0], int(argv[1]), int(argv[2])
    sys.setrecursionlimit(50_000)
    threading.stack_size(STACK)  # rdflib's parser recurses too (on its own thread: see analyse)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the reply stream
    # rdflib's SPARQL parser and Oxigraph loaded before the limits: imports are not a query's cost
    import rdflib.plugins.sparql.parser  # noqa: F401

    import egovkg.serve.negotiation  # noqa: F401
    from egovkg.serve.sandbox import deny_network

    closed = deny_network()
    worker = Worker(data, cap, closed)
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    return _answer_frames(inp, out, worker.answer, closed)


def _answer_frames(inp: IO[bytes], out: IO[bytes], answer: Any, closed: bool) -> int:
    """Say the process is ready, then answer each request frame with a reply's head and body
    until stdin closes."""
    write_frame(out, json.dumps({"ready": True, "network_closed": closed}).encode())
    out.flush()
    while (frame := read_frame(inp)) is not None:
        head, body = answer(json.loads(frame))
        write_frame(out, json.dumps(head).encode())
        write_frame(out, body)
        out.flush()
        if _RUNAWAY.is_set():
            os._exit(0)  # a parse thread still runs: end here, the pool starts a fresh process
    return 0


def _write_main(location: str, out: str, memory: int) -> int:
    sys.setrecursionlimit(50_000)
    threading.stack_size(STACK)
    inp, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    import rdflib.plugins.sparql.parser  # noqa: F401

    import egovkg.util.limits  # noqa: F401
    from egovkg.serve.sandbox import deny_network

    closed = deny_network()
    writer = Writer(location, closed)
    writer.dump(out)
    if memory:  # on top of what the open store has reserved already (RocksDB maps and threads)
        with open("/proc/self/statm") as fh:
            reserved = int(fh.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (reserved + memory, reserved + memory))
    return _answer_frames(inp, stdout, writer.answer, closed)


if __name__ == "__main__":
    main(sys.argv[1:])
