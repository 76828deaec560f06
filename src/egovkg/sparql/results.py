"""Query results independent of where they ran, and their formats: table, CSV, TSV, JSON, XML, RDF."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from typing import Literal as Kind

from egovkg.errors import QueryError
from egovkg.graph.prefixes import STANDARD_PREFIXES, resource_prefixes
from egovkg.rdfio.formats import RDF_FORMATS
from egovkg.rdfio.formats import RESULT_FORMATS as W3C_RESULT_FORMATS

if TYPE_CHECKING:  # rdflib is imported where it is used: listing and preparing queries never needs it
    from rdflib import BNode, Graph, Literal, URIRef
    from rdflib.query import Result


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
TABLE_WIDTH = 200  # columns, for a table written to a file or a pipe: the same bytes every time


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

    @property
    def df(self):  # noqa: ANN201 - pandas is optional
        """The rows as a pandas DataFrame (pandas must be installed)."""
        return self.to_dataframe()

    def _repr_html_(self) -> str:
        """An HTML table for Jupyter: every value escaped, IRIs as links."""
        import html

        if self.kind == "ask":
            return f"<p>ASK: <b>{'true' if self.boolean else 'false'}</b></p>"
        if self.kind == "graph":
            return f"<p>a graph of {len(self)} triples</p>"

        def cell(term: Any) -> str:
            text = html.escape(str(term))
            if type(term).__name__ == "URIRef" and str(term).startswith(("http://", "https://")):
                return f'<a href="{text}">{html.escape(short(term, table_prefixes()))}</a>'
            return text

        head = "".join(f"<th>{html.escape(v)}</th>" for v in self.vars)
        body = "".join(
            "<tr>" + "".join(f"<td>{cell(r[v]) if v in r else ''}</td>" for v in self.vars) + "</tr>" for r in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><p>{len(self.rows)} rows</p>"


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


RESULT_FORMATS = ("table", *W3C_RESULT_FORMATS)  # for SELECT and ASK; graphs take the RDF formats


GRAPH_FORMATS = tuple(RDF_FORMATS)  # for CONSTRUCT and DESCRIBE


def format_result(result: QueryResult, fmt: str, *, base: str | None = None, width: int = TABLE_WIDTH) -> bytes:
    """Serialise a result: W3C SPARQL 1.1 result formats for SELECT/ASK, RDF for graphs,
    or a table ``width`` columns wide."""
    from rdflib import Graph

    if result.kind == "graph":
        from egovkg.graph.namespaces import bind_prefixes
        from egovkg.rdfio.export import serialise

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
    and the cold path (egovkg.sparql.fastquery) writes through the same function.
    """
    import json

    import pyoxigraph as ox

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
    """The table as text for a terminal ``width`` columns wide, as rich draws it: wide (CJK)
    characters aligned, long cells folded; cells are data, never markup (egovkg.util.terminal)."""
    footer = f"{len(rows)} row{'s' if len(rows) != 1 else ''}\n"
    drawn = _draw(names, rows, width, len(footer) - 1)
    if drawn is None:
        return _draw_with_rich_table(names, rows, width)
    return drawn + footer


def _draw(names: Sequence[str], rows: Sequence[Sequence[str]], width: int, footer: int) -> str | None:
    """The bytes rich.table.Table draws for these cells (HEAVY_HEAD box, one space of padding,
    columns that fold), from rich's own pieces: its cell widths, word wrapping, box characters
    and column-shrinking rule. A table of 40 rows takes rich's Table about 60 ms to lay out (most
    of a cold `egovkg query`), this a tenth of that; tests check it is byte for byte rich's table.
    None where a column would be narrower than one character (or there is none): rich decides."""
    from itertools import pairwise

    from rich._ratio import ratio_reduce
    from rich._wrap import divide_line
    from rich.box import HEAVY_HEAD as box
    from rich.cells import cell_len, set_cell_size

    from egovkg.util.terminal import terminal_safe

    if not names or footer > width:
        return None
    grid = [[terminal_safe(str(c)).split("\n") for c in row] for row in [names, *rows]]
    room = width - len(names) - 1  # inside the borders
    widths = [min(max(cell_len(line) for c in column for line in c) + 2, room) for column in zip(*grid, strict=True)]
    # rich's Table._collapse_widths: the widest columns shrink to the next widest, and so on
    excess = sum(widths) - room
    while excess > 0:
        widest = max(widths)
        next_widest = max((w for w in widths if w != widest), default=0)
        widths = ratio_reduce(
            excess, [int(w == widest) for w in widths], [min(excess, widest - next_widest)] * len(widths), widths
        )
        excess = sum(widths) - room
    if min(widths) < 3:
        return None

    def fold(lines: list[str], w: int) -> list[str]:  # rich's Text.wrap with overflow="fold", justify="left"
        out = []
        for line in lines:
            # a line that fits is not broken: most cells skip divide_line
            breaks = divide_line(line, w, fold=True) if cell_len(line) > w else []
            cuts = [0, *breaks, len(line)]
            for a, b in pairwise(cuts):
                piece = line[a:b]
                if len(piece) > w:  # Text.rstrip_end: spaces past the width go
                    piece = piece[: max(w, len(piece.rstrip()))]
                out.append(f" {set_cell_size(piece, w)} ")
        return out

    parts = [box.get_top(widths), "\n"]
    for i, row in enumerate(grid):
        cells = [fold(c, w - 2) for c, w in zip(row, widths, strict=True)]
        height = max(len(c) for c in cells)
        if i == 0:  # the heading sits at the bottom of its row, a cell at the top
            cells = [[" " * w] * (height - len(c)) + c for c, w in zip(cells, widths, strict=True)]
            left, between, right = box.head_left, box.head_vertical, box.head_right
        else:
            cells = [c + [" " * w] * (height - len(c)) for c, w in zip(cells, widths, strict=True)]
            left, between, right = box.mid_left, box.mid_vertical, box.mid_right
        parts += (f"{left}{between.join(c[k] for c in cells)}{right}\n" for k in range(height))
        if i == 0:
            parts += [box.get_row(widths, "head"), "\n"]
    parts += [box.get_bottom(widths), "\n"]
    return "".join(parts)


def _draw_with_rich_table(names: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> str:
    from rich.table import Table

    from egovkg.util.terminal import cell, console

    table = Table(show_lines=False, header_style="bold")
    for v in names:
        table.add_column(cell(v), overflow="fold")
    for row in rows:
        table.add_row(*(cell(c) for c in row))
    out = console(width)
    out.print(table)
    out.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
    return out.file.getvalue()  # type: ignore[attr-defined]


def to_rdflib(term: Any) -> URIRef | Literal | BNode:
    """An Oxigraph term as the rdflib term; ValueError for what rdflib cannot hold (RDF-star triple terms)."""
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:  # a plain literal, as rdflib and SPARQL JSON give it
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise ValueError(f"it holds an RDF-star triple term {term}, which egovkg does not read")


def cell(term: Any, prefixes: Sequence[tuple[str, str]]) -> str:
    """An Oxigraph term as a table cell, exactly as ``egovkg.sparql.query.short`` shows an rdflib term."""
    import pyoxigraph as ox

    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        s = term.value
        for prefix, ns in prefixes:
            if s.startswith(ns) and len(s) > len(ns):
                return f"{prefix}:{s[len(ns) :]}"
        return s
    if isinstance(term, ox.Literal):
        return term.value + (f"@{term.language}" if term.language not in (None, "zh", "en") else "")
    return f"_:{term.value}"  # a blank node


def serialize_results(result: Any, fmt: str) -> bytes:
    """Oxigraph solutions or boolean in a W3C results format, ending in a line break.

    Both paths of `egovkg query` write through here, so a format's bytes never
    depend on which store answered.
    """
    import pyoxigraph as ox

    data = result.serialize(format=getattr(ox.QueryResultsFormat, W3C_RESULT_FORMATS[fmt].ox_name))
    if fmt == "xml":
        from egovkg.rdfio.convert import xml_safe

        data = xml_safe(data, "cannot write XML results")
    return data if data.endswith(b"\n") else data + b"\n"
