"""Stage: the query catalogue (queries/*.rq) and a runner for local stores and remote endpoints.

A catalogue file starts with header lines::

    #+ summary: Winners by category and rank
    #+ description: One row per award, with applicants and titles in zh and en.
    #+ param: category | iri | https://w3id.org/egovkg/id/category/public-service | the award category

Parameters are bound as RDF terms: the runner builds a ``VALUES`` block from
rdflib terms (their N-Triples form, escaped by rdflib) and puts it at the start
of the query's outer ``WHERE`` group, so the same text runs on the embedded
store and on any SPARQL 1.1 endpoint. A value can never change the query's
structure: ``"} ; DROP ALL ; #`` becomes one string literal.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from typing import Literal as Kind

from egovkg.convert import STANDARD_PREFIXES, resource_prefixes
from egovkg.errors import QueryError

if TYPE_CHECKING:  # rdflib is imported where it is used: listing and preparing queries never needs it
    from rdflib import Graph, Literal, URIRef
    from rdflib.query import Result

PARAM_TYPES = ("string", "lang", "integer", "iri", "year")
TABLE_WIDTH = 200  # columns, for a table written to a file or a pipe: the same bytes every time
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None
    description: str

    def term(self, value: str) -> URIRef | Literal:
        """The RDF term for a user-given value, checked against the declared type."""
        from rdflib import Literal, URIRef
        from rdflib.namespace import XSD

        if self.type == "iri":
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value) or _IRI_FORBIDDEN.search(value):
                raise QueryError(f"parameter {self.name}: '{value}' is not an absolute IRI")
            return URIRef(value)
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?[0-9]+", value):
                raise QueryError(f"parameter {self.name}: '{value}' is not an integer")
            return Literal(int(value), datatype=XSD.integer)
        if self.type == "year":
            if not re.fullmatch(r"[0-9]{4}", value):
                raise QueryError(f"parameter {self.name}: '{value}' is not a year (YYYY)")
            return Literal(value, datatype=XSD.gYear)
        if self.type == "lang":
            # '*' is the wildcard of SPARQL's langMatches: a query may read it as "any language"
            if value != "*" and not re.fullmatch(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*", value):
                raise QueryError(f"parameter {self.name}: '{value}' is not a language tag (or *)")
            return Literal(value.lower())
        return Literal(value)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path | None
    text: str
    summary: str
    description: str = ""
    params: tuple[Param, ...] = ()

    @property
    def is_check(self) -> bool:
        return self.name.startswith("check-")


def parse_header(text: str, source: str) -> tuple[str, str, tuple[Param, ...]]:
    summary, description, params = "", "", []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#+"):
            if line.strip() and not line.startswith("#"):
                break
            continue
        key, _, value = line[2:].partition(":")
        key, value = key.strip(), value.strip()
        if key == "summary":
            summary = value
        elif key == "description":
            description = (description + " " + value).strip()
        elif key == "param":
            parts = [p.strip() for p in value.split("|")]
            if len(parts) != 4 or not parts[0] or parts[1] not in PARAM_TYPES:
                raise QueryError(
                    f"{source}:{n}: param must be 'name | type | default | description' with type one of "
                    + ", ".join(PARAM_TYPES)
                )
            params.append(Param(parts[0], parts[1], parts[2] or None, parts[3]))
        else:
            raise QueryError(f"{source}:{n}: unknown header key '{key}' (summary, description, param)")
    if not summary:
        raise QueryError(f"{source}: missing '#+ summary:' header")
    return summary, description, tuple(params)


def read_query_file(path: Path) -> str:
    """An .rq file's text; QueryError naming the file when it cannot be read or is not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QueryError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        # a byte order mark (Windows editors write one) is not part of the query
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise QueryError(f"{path}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from exc


def load_catalogue(directory: Path) -> dict[str, NamedQuery]:
    out: dict[str, NamedQuery] = {}
    for path in sorted(directory.glob("*.rq")):
        text = read_query_file(path)
        summary, description, params = parse_header(text, str(path))
        out[path.stem] = NamedQuery(path.stem, path, text, summary, description, params)
    return out


def resolve(name_or_text: str, catalogue: Mapping[str, NamedQuery]) -> NamedQuery:
    """A catalogue name, a path to an .rq file, or query text."""
    if name_or_text in catalogue:
        return catalogue[name_or_text]
    if name_or_text.endswith(".rq"):
        path = Path(name_or_text)
        if not path.is_file():
            raise QueryError(f"{path}: no such query file")
        text = read_query_file(path)
        try:
            summary, description, params = parse_header(text, str(path))
        except QueryError:
            summary, description, params = path.stem, "", ()
        return NamedQuery(path.stem, path, text, summary, description, params)
    if _NAME.match(name_or_text):
        import difflib

        close = difflib.get_close_matches(name_or_text, list(catalogue), n=5, cutoff=0.5)
        hint = f"; did you mean: {', '.join(close)}?" if close else "; run 'egovkg queries' for the list"
        raise QueryError(f"unknown query '{name_or_text}'{hint}")
    return NamedQuery("<inline>", None, name_or_text, "inline query")


# -- reading SPARQL text (no parser: enough to guard the parser) -------------------------

_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_UESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
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


# SPARQL 1.1 ECHAR escapes. Tab is escaped too: rdflib's parser expands raw tabs to spaces.
_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_STRING = re.compile(r'"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'')


# A u or U after a backslash would start a code point escape: rdflib reads \u and \U escapes in
# a pass before parsing (and takes \U with four digits, and ``\\u0041`` as ``\`` + ``A``), while
# Oxigraph reads them inside strings. Written as an eight-digit escape, the letter is the same to both.
def _escaped(value: str) -> str:
    out = []
    for i, c in enumerate(value):
        if c in "uU" and i and value[i - 1] == "\\":
            out.append(f"\\U{ord(c):08X}")
        else:
            out.append(_ECHAR.get(c, c))
    return "".join(out)


def sparql_term(term: URIRef | Literal) -> str:
    """A term in SPARQL syntax, always as a short string with escapes.

    rdflib's ``Literal.n3()`` switches to triple quotes for values with a line break and then
    writes a closing quote unescaped (``a\\nb"`` gives a query that does not parse).
    """
    from rdflib import URIRef
    from rdflib.namespace import XSD

    if isinstance(term, URIRef):
        return f"<{term}>"  # Param.term has rejected every character an IRIREF may not hold
    lexical = _escaped(str(term))
    if term.language:
        return f'"{lexical}"@{term.language}'
    if term.datatype is not None and term.datatype != XSD.string:  # RDF 1.1: "x"^^xsd:string is "x"
        return f'"{lexical}"^^<{term.datatype}>'
    return f'"{lexical}"'


def _outer_where(text: str) -> re.Match[str] | None:
    """The first ``WHERE {`` that is not inside a comment (the header is made of comments)."""
    for m in re.finditer(r"\bWHERE\s*\{", text, re.IGNORECASE):
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = _STRING.sub("", _IRIREF.sub("", text[line_start : m.start()]))
        if "#" not in before:
            return m
    return None


def bind(query: NamedQuery, given: Mapping[str, str]) -> str:
    """The query text with its parameters bound by a VALUES block of RDF terms."""
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        if not declared:
            raise QueryError(f"{query.name} takes no parameters (got {', '.join(unknown)})")
        raise QueryError(f"{query.name}: unknown parameter(s) {', '.join(unknown)}; it takes {', '.join(declared)}")
    terms: dict[str, URIRef | Literal] = {}
    for p in query.params:
        value = given.get(p.name, p.default)
        if value is None:
            raise QueryError(f"{query.name}: parameter '{p.name}' is required ({p.description})")
        terms[p.name] = p.term(value)
    if not terms:
        return query.text
    m = _outer_where(query.text)
    if m is None:
        raise QueryError(f"{query.name}: parameters need an explicit 'WHERE {{' in the query")
    names = " ".join(f"?{n}" for n in terms)
    values = " ".join(sparql_term(t) for t in terms.values())
    block = f"\n  VALUES ({names}) {{ ({values}) }}\n"
    return query.text[: m.end()] + block + query.text[m.end() :]


@dataclass
class QueryResult:
    """What a query returned, independent of where it ran."""

    kind: Kind["select", "ask", "graph"]
    vars: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # var -> rdflib term (missing when unbound)
    boolean: bool | None = None
    graph: Graph | None = None

    def __len__(self) -> int:
        if self.kind == "select":
            return len(self.rows)
        if self.kind == "graph":
            return len(self.graph or ())
        return int(bool(self.boolean))

    def values(self, var: str) -> list[str]:
        """The string forms of one column, for quick assertions and notebooks."""
        return [str(r[var]) for r in self.rows if var in r]

    def to_dataframe(self):  # noqa: ANN201 - pandas is optional
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise QueryError("pandas is not installed: pip install pandas") from exc
        return pd.DataFrame(
            [{v: (r[v].toPython() if v in r else None) for v in self.vars} for r in self.rows], columns=self.vars
        )


def from_rdflib(result: Result) -> QueryResult:
    from rdflib import Graph

    if result.type == "ASK":
        return QueryResult("ask", boolean=bool(result.askAnswer))
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        g = Graph()
        for t in result.graph or ():
            g.add(t)
        return QueryResult("graph", graph=g)
    names = [str(v) for v in (result.vars or [])]
    rows = [{str(k): v for k, v in b.items() if v is not None} for b in result.bindings]
    return QueryResult("select", vars=names, rows=rows)


_SELECT_STAR = re.compile(_PROLOGUE + r"SELECT\s+(?:(?:DISTINCT|REDUCED)\s+)?\*", re.IGNORECASE)


def as_dataset(graph: Graph) -> Graph:
    """``graph`` as rdflib dataset, its triples the default graph (no named graphs); a dataset as is.
    rdflib ignores FROM and FROM NAMED on a plain Graph and refuses GRAPH."""
    from rdflib import ConjunctiveGraph, Dataset
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    if isinstance(graph, ConjunctiveGraph):  # a Dataset is one too
        return graph
    ds = Dataset(default_union=True)
    default = ds.graph(DATASET_DEFAULT_GRAPH_ID)
    default += graph
    for prefix, ns in graph.namespaces():
        ds.bind(prefix, ns, override=False)
    return ds


def run_local(graph: Graph, text: str) -> QueryResult:
    """Run ``text`` on an rdflib graph or dataset. A graph that FROM or FROM NAMED names but the
    data lacks is empty: rdflib would otherwise fetch it from the web (SPARQL_LOAD_GRAPHS)."""
    import rdflib.plugins.sparql as rdflib_sparql

    if uses_named_graphs(text):
        graph = as_dataset(graph)
    loading, rdflib_sparql.SPARQL_LOAD_GRAPHS = rdflib_sparql.SPARQL_LOAD_GRAPHS, False
    try:
        result = from_rdflib(graph.query(text))
    except QueryError:
        raise
    except Exception as exc:
        raise QueryError(f"query failed: {exc}") from exc
    finally:
        rdflib_sparql.SPARQL_LOAD_GRAPHS = loading
    if result.kind == "select" and _SELECT_STAR.match(_code(text)):
        # rdflib gives SELECT *'s columns in set order (a new order each run); Oxigraph sorts them by name
        result = QueryResult("select", vars=sorted(result.vars), rows=result.rows)
    return result


def prepare(name_or_text: str, params: Mapping[str, str], catalogue: Mapping[str, NamedQuery]) -> str:
    """Resolve a query, check its syntax and bind its parameters: everything that can fail before any data loads."""
    query = resolve(name_or_text, catalogue)
    check_syntax(query.text, str(query.path or query.name))
    return bind(query, params)


def run_query(
    target: Any,
    name_or_text: str,
    params: Mapping[str, str] | None = None,
    *,
    catalogue: Mapping[str, NamedQuery] | None = None,
) -> QueryResult:
    """Run a named query, an .rq file or query text on a graph, a store or an endpoint URL."""
    from rdflib import Graph

    from egovkg.paths import Layout
    from egovkg.remote import Endpoint

    if catalogue is None:
        catalogue = load_catalogue(Layout.default().queries)
    text = prepare(name_or_text, params or {}, catalogue)
    if isinstance(target, str):
        target = Endpoint(target)
    if isinstance(target, Graph):
        return run_local(target, text)
    return target.query(text)


# ---- output ----------------------------------------------------------------

RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = ("ttl", "nt", "jsonld", "xml", "trig")


def format_result(result: QueryResult, fmt: str, *, base: str | None = None, width: int = TABLE_WIDTH) -> bytes:
    """Serialise a result: W3C SPARQL 1.1 result formats for SELECT/ASK, RDF for graphs,
    or a table ``width`` columns wide."""
    from rdflib import Graph

    if result.kind == "graph":
        from egovkg.export import serialise
        from egovkg.namespaces import bind_prefixes

        if fmt not in (*GRAPH_FORMATS, "table"):
            raise QueryError(
                f"a CONSTRUCT or DESCRIBE query gives RDF: choose --format {', '.join(GRAPH_FORMATS)}, not {fmt}"
            )
        g = canonical_blank_nodes(result.graph if result.graph is not None else Graph())
        if base:
            bind_prefixes(g, base)
        return serialise(g, "ttl" if fmt == "table" else fmt, base)
    if fmt in GRAPH_FORMATS and fmt != "xml":
        raise QueryError(
            f"{fmt} is an RDF format, for CONSTRUCT and DESCRIBE queries; a {result.kind.upper()} query gives "
            f"one of {', '.join(RESULT_FORMATS)}"
        )
    result = stable_blank_nodes(result)
    if fmt in ("csv", "tsv", "json", "xml"):
        return _w3c_results(result, fmt)
    if fmt == "table":
        return render_table(result, width=width).encode("utf-8")
    raise QueryError(f"unknown result format '{fmt}'; choose one of {', '.join(RESULT_FORMATS)}")


def _json_term(term: Any) -> dict[str, str]:
    from rdflib import BNode, URIRef
    from rdflib.namespace import XSD

    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype is not None and term.datatype != XSD.string:
        out["datatype"] = str(term.datatype)
    return out


def canonical_blank_nodes(graph: Graph) -> Graph:
    """The graph with its blank nodes named by Oxigraph's canonicalisation (``c14n1``, …: from
    each one's place in the graph), so that the same triples serialise to the same bytes however
    the store named them (Oxigraph's names are random). rdflib's ``to_canonical_graph`` takes
    exponential time on many look-alike blank nodes (12 s for 50, minutes for 100); Oxigraph's
    takes milliseconds for thousands. Its labels are stable within one Oxigraph version."""
    import pyoxigraph as ox
    from rdflib import BNode, Graph

    from egovkg.store import to_rdflib

    if not any(isinstance(t, BNode) for triple in graph for t in triple):
        return graph
    data = graph.serialize(format="nt", encoding="utf-8")
    dataset = ox.Dataset(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    out = Graph()
    for q in dataset:
        out.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return out


def stable_blank_nodes(result: QueryResult) -> QueryResult:
    """The rows with blank nodes named b1, b2, … in order of appearance: a blank node's label
    is arbitrary (Oxigraph's are random), and the same data should print the same bytes."""
    from rdflib import BNode

    names: dict[Any, Any] = {}

    def one(term: Any) -> Any:
        if isinstance(term, BNode):
            return names.setdefault(term, BNode(f"b{len(names) + 1}"))
        return term

    rows = [{k: one(v) for k, v in r.items()} for r in result.rows]
    return QueryResult(result.kind, vars=result.vars, rows=rows, boolean=result.boolean, graph=result.graph)


def to_json_results(result: QueryResult) -> dict[str, Any]:
    """The W3C SPARQL 1.1 Query Results JSON object of a SELECT or ASK result."""
    if result.kind == "ask":
        return {"head": {}, "boolean": bool(result.boolean)}
    return {
        "head": {"vars": list(result.vars)},
        "results": {"bindings": [{v: _json_term(r[v]) for v in result.vars if v in r} for r in result.rows]},
    }


def _w3c_results(result: QueryResult, fmt: str) -> bytes:
    """CSV, TSV, JSON or XML results, written by Oxigraph's W3C result serialisers.

    rdflib has no TSV writer and its CSV/XML writers pull in its whole SPARQL
    engine (half the start-up time of a query command); Oxigraph writes all four,
    and the cold path (egovkg.fastquery) writes through the same function.
    """
    import json

    import pyoxigraph as ox

    from egovkg.fastquery import serialize_results

    data = json.dumps(to_json_results(result), ensure_ascii=False).encode("utf-8")
    return serialize_results(ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON), fmt)


def short(term: Any, prefixes: Sequence[tuple[str, str]] = ()) -> str:
    """A term as a table cell: IRIs as prefixed names; literals as text, with a language tag
    only where it is neither zh nor en (pinyin), since the column names say zh/en."""
    from rdflib import Literal, URIRef

    if isinstance(term, URIRef):
        s = str(term)
        for prefix, ns in prefixes:
            if s.startswith(ns) and len(s) > len(ns):
                return f"{prefix}:{s[len(ns) :]}"
        return s
    if isinstance(term, Literal):
        return str(term) + (f"@{term.language}" if term.language not in (None, "zh", "en") else "")
    return f"_:{term}"  # a blank node, written as in N-Triples so it is not taken for text


def table_prefixes() -> list[tuple[str, str]]:
    """Prefixes for table cells, longest namespace first."""
    pairs = [*resource_prefixes().items(), *STANDARD_PREFIXES.items()]
    return sorted(pairs, key=lambda p: -len(p[1]))


def render_table(result: QueryResult, *, width: int = TABLE_WIDTH) -> str:
    """A table for a terminal, aligned for CJK text (rich measures wide characters)."""
    if result.kind == "ask":
        return ("true" if result.boolean else "false") + "\n"
    prefixes = table_prefixes()
    return render_cells(
        result.vars,
        [[short(r[v], prefixes) if v in r else "" for v in result.vars] for r in result.rows],
        width=width,
    )


def render_cells(names: Sequence[str], rows: Sequence[Sequence[str]], *, width: int = TABLE_WIDTH) -> str:
    """The table as text for a terminal ``width`` columns wide: rich aligns wide (CJK)
    characters and folds long cells; cells are data, never markup (egovkg.terminal)."""
    from rich.table import Table

    from egovkg.terminal import cell, console

    table = Table(show_lines=False, header_style="bold")
    for v in names:
        table.add_column(cell(v), overflow="fold")
    for row in rows:
        table.add_row(*(cell(c) for c in row))
    out = console(width)
    out.print(table)
    out.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
    return out.file.getvalue()  # type: ignore[attr-defined]
