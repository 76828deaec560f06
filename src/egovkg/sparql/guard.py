"""Checks on query text before it runs: updates, SERVICE, nesting depth, syntax."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from egovkg.errors import QueryError

if TYPE_CHECKING:  # rdflib is imported where it is used: listing and preparing queries never needs it
    pass


_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')


_EOL = re.compile(r"[\r\n]")
# a code point escape (\\u0041, \\U00000041), which SPARQL applies before parsing
CODEPOINT_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


_SERVICE = re.compile(r"(?<![\w?$:])service(?![\w:])", re.IGNORECASE)
_FROM = re.compile(r"(?<![\w?$:-])from(?![\w:-])", re.IGNORECASE)
_GRAPH = re.compile(r"(?<![\w?$:-])graph(?![\w:-])", re.IGNORECASE)


_PROLOGUE = r"^\s*(?:(?:PREFIX\s+[^\s:]*:|BASE)\s*\S*\s*)*"  # PREFIX and BASE lines, IRIs blanked by _code


_UPDATE = re.compile(_PROLOGUE + r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.IGNORECASE)


MAX_NESTING = 100  # levels of { ( [; Oxigraph's recursive parser overflows the stack (a crash) near 3,000


def unescape_codepoints(text: str) -> str:
    """SPARQL applies \\u and \\U escapes before parsing (SPARQL 1.1 section 19.2); so do we."""

    def one(m: re.Match[str]) -> str:
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except (ValueError, OverflowError):
            return m.group(0)

    return CODEPOINT_ESCAPE.sub(one, text)


def blank_literals(text: str, *, same_length: bool = False) -> str:
    """The query with its strings, IRIs and comments blanked, leaving keywords, names and brackets;
    ``same_length``: each blanked with as many spaces, so a position in the result is the same
    position in ``text``."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":  # PN_LOCAL_ESC in a prefixed name (ex:a\#, ex:a\'): the next character is a name's
            out.append("__"[: n - i])  # it opens no comment or string, which would hide the rest from the guards
            i += 2
            continue
        if c == "#":  # to the end of the line: a line feed or a carriage return (SPARQL 1.1, 19.6)
            m = _EOL.search(text, i)
            j = n if m is None else m.start()
            out.append(" " * (j - i) if same_length else " ")
            i = j
            continue
        if c in "\"'":
            delim = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(delim)
            while j < n:
                if text[j] == "\\":
                    j += 2
                    continue
                if text.startswith(delim, j):
                    j += len(delim)
                    break
                if len(delim) == 1 and text[j] == "\n":
                    break
                j += 1
            j = min(j, n)
            out.append(" " * (j - i) if same_length else " ")
            i = j
            continue
        if c == "<" and text[i + 1 : i + 2] not in ("?", "$"):  # `?a<?b`: less-than, then a variable
            m = _IRIREF.match(text, i)
            if m:
                out.append(" " * (m.end() - i) if same_length else " ")
                i = m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=4)
def _code(query: str) -> str:
    """The query as the parser reads it (escapes applied), strings, IRIs and comments blanked.
    Cached: the guard, the SERVICE check and the update check each read the same text."""
    return blank_literals(unescape_codepoints(query))


def uses_service(query: str) -> bool:
    """Whether a query may contain a SERVICE clause (errs on the side of yes)."""
    return bool(_SERVICE.search(_code(query)))


_FORM = re.compile(_PROLOGUE + r"(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def query_form(query: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE ("" for anything else): what kind of reply to ask for."""
    m = _FORM.match(_code(query))
    return m.group(1).upper() if m else ""


def has_dataset_clause(query: str) -> bool:
    """Whether a query names its own dataset (FROM or FROM NAMED): then its default graph is the
    merge of the FROM graphs, as SPARQL 1.1 section 13.2 says, not the union of every graph the
    stores give a query without one."""
    return bool(_FROM.search(_code(query)))


def uses_named_graphs(query: str) -> bool:
    """Whether a query can see which graph a triple is in (a dataset clause or GRAPH): it must
    run on the data with its named graphs kept, not on their merge (errs on the side of yes)."""
    code = _code(query)
    return bool(_FROM.search(code) or _GRAPH.search(code))


_BNODE_CALL = re.compile(r"(?<![\w?$:])bnode\s*\(", re.IGNORECASE)


def may_make_blank_nodes(query: str) -> bool:
    """Whether a query may give blank nodes that are not in the data: BNODE() or a SERVICE
    (errs on the side of yes)."""
    return bool(_BNODE_CALL.search(_code(query))) or uses_service(query)


def nesting_depth(query: str) -> int:
    """How deep groups, brackets and parentheses nest outside strings, IRIs and comments."""
    depth = deepest = 0
    for c in _code(query):
        if c in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "})]":
            depth -= 1
    return deepest


def guard(text: str, source: str = "<query>") -> None:
    """Refuse what would crash the parser rather than fail in it: nesting beyond MAX_NESTING."""
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        raise QueryError(f"{source}: the query nests {depth} levels deep; at most {MAX_NESTING} are allowed")


NAMES_ITS_DATASET = (
    "the update names its dataset itself (WITH or USING): give it there or in using-graph-uri and "
    "using-named-graph-uri, not both (SPARQL 1.1 Protocol, section 2.2.3)"
)
_NAME_CHARS = r"\w?$:.\-\u00B7\u0300-\u036F\u203F\u2040"  # what may stand beside a keyword in a name
_UPDATE_TOKEN = re.compile(
    rf"[{{}};]|(?<![{_NAME_CHARS}])(DELETE|INSERT|WHERE|USING|WITH|DATA)(?![{_NAME_CHARS}])", re.IGNORECASE
)


def with_protocol_dataset(update: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """The update with the SPARQL 1.1 Protocol's ``using-graph-uri`` and ``using-named-graph-uri``
    (section 2.2.3) written into it: ``USING <g>`` and ``USING NAMED <g>`` before the ``WHERE``
    of each of its DELETE/INSERT … WHERE operations, which is what they mean; a DELETE WHERE is
    written out as the DELETE … WHERE it is short for. The rest of the text is kept as it is
    (``\\u`` escapes too: Oxigraph reads them where they stand). QueryError when the update
    names a dataset itself (WITH or USING: the protocol says to refuse both at once). The IRIs
    must be checked by the caller.

    Only positions outside strings, IRIs and comments, and outside every ``{ }``, are read, so a
    ``WHERE`` of a subquery or inside a literal is never taken for an operation's. The caller
    should still check the result's parse (each DELETE/INSERT operation has exactly these
    clauses): :mod:`egovkg.serve.worker` does."""
    code = blank_literals(update, same_length=True)
    clauses = "".join(f"USING <{g}> " for g in default_graphs) + "".join(f"USING NAMED <{g}> " for g in named_graphs)
    inserts: list[tuple[int, str]] = []  # (position, text written there)
    depth = 0
    previous = ""  # the last keyword of this operation outside braces
    modify = False  # a DELETE or INSERT template seen, its WHERE not yet
    short: int | None = None  # where the WHERE of a DELETE WHERE is, until its pattern ends
    opened = 0  # where the pattern of that DELETE WHERE opens
    for m in _UPDATE_TOKEN.finditer(code):
        token = m.group(0).upper()
        if token == "{":
            if depth == 0:
                opened = m.start()
            depth += 1
            continue
        if token == "}":
            depth = max(0, depth - 1)
            if depth == 0:
                previous = "}"  # a template or pattern ended: DELETE { … } WHERE is no DELETE WHERE
                if short is not None:
                    # DELETE WHERE {Q} is short for DELETE {Q} WHERE {Q} (SPARQL 1.1 Update
                    # 3.1.3.3), the form that takes USING: written out
                    inserts.append((short, update[opened : m.end()] + " " + clauses))
                    short = None
            continue
        if depth:
            continue
        if token == ";":
            previous, modify = "", False
            continue
        if token in ("WITH", "USING"):
            raise QueryError(NAMES_ITS_DATASET.replace("(WITH or USING)", f"({token})"))
        if token == "WHERE" and previous == "DELETE":
            short, modify = m.start(), False
        elif token == "DATA" and previous in ("DELETE", "INSERT"):
            modify = False
        elif token in ("DELETE", "INSERT"):
            modify = True
        elif token == "WHERE" and modify:
            inserts.append((m.start(), clauses))
            modify = False
        previous = token
    text = update
    for pos, added in reversed(inserts):
        text = text[:pos] + added + text[pos:]
    return text


def is_update(text: str) -> bool:
    """Whether ``text`` opens like a SPARQL Update (INSERT, DELETE, DROP, LOAD …)."""
    return bool(_UPDATE.match(_code(text)))


def check_syntax(text: str, source: str = "<query>") -> None:
    """Raise QueryError with line and column when ``text`` is not SPARQL 1.1.

    Oxigraph's parser checks it (milliseconds, against an empty store); rdflib's
    parser, ten times slower to import and run, gives the message if Oxigraph is
    missing.
    """
    try:
        import pyoxigraph as ox
    except ImportError:  # pragma: no cover - pyoxigraph is a dependency
        ox = None
    guard(text, source)
    if ox is not None:
        try:
            ox.Store().query(text)
        except SyntaxError as exc:
            if is_update(text):
                raise QueryError(
                    f"{source}: SPARQL updates (INSERT, DELETE, DROP, LOAD …) are not run: egovkg query only reads"
                ) from exc
            msg = str(exc)
            m = re.match(r"error at (\d+):(\d+): (.*)", msg, re.DOTALL)
            where, detail = (f"{source}:{m.group(1)}:{m.group(2)}", m.group(3)) if m else (source, msg)
            detail = " ".join(detail.split())
            raise QueryError(f"{where}: SPARQL syntax error: {detail[:160]}{'…' if len(detail) > 160 else ''}") from exc
        except (OSError, ValueError, RuntimeError):
            pass  # evaluation problems on an empty store are not syntax errors
        return
    from rdflib.plugins.sparql.parser import parseQuery  # pragma: no cover

    try:  # pragma: no cover
        parseQuery(text)
    except Exception as exc:  # pragma: no cover - pyparsing's ParseException and friends
        line, col = getattr(exc, "lineno", None), getattr(exc, "col", None)
        where = f"{source}:{line}:{col}" if line is not None else source
        msg = getattr(exc, "msg", None) or str(exc).splitlines()[0]
        raise QueryError(f"{where}: SPARQL syntax error: {msg}") from exc


_SELECT_STAR = re.compile(_PROLOGUE + r"SELECT\s+(?:(?:DISTINCT|REDUCED)\s+)?\*", re.IGNORECASE)
