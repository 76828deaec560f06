"""Checks on query text before it runs: updates, SERVICE, nesting depth, syntax."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from egovkg.errors import QueryError

if TYPE_CHECKING:  # rdflib is imported where it is used: listing and preparing queries never needs it
    pass


_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')


_UESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


_SERVICE = re.compile(r"(?<![\w?$:])service(?![\w:])", re.IGNORECASE)


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

    return _UESCAPE.sub(one, text)


def blank_literals(text: str) -> str:
    """The query with its strings, IRIs and comments blanked, leaving keywords, names and brackets."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            out.append(" ")
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
            i = j
            out.append(" ")
            continue
        if c == "<":
            m = _IRIREF.match(text, i)
            if m:
                i = m.end()
                out.append(" ")
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
