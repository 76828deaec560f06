"""Text for a terminal: labels are data, never markup or control sequences."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal

from egovkg.publish import stats as analytics
from egovkg.sparql.results import render_cells
from egovkg.util.terminal import terminal_safe

HOSTILE = "a\x1b]0;owned\x07b\x9b2Jc :smile: [bold]d[/x] \u202ee\u2066"
SHOWN = "a\\x1b]0;owned\\x07b\\x9b2Jc :smile: [bold]d[/x] \\u202ee\\u2066"


def _no_controls(text: str) -> bool:
    return not any(ord(ch) < 0x20 and ch != "\n" or 0x7F <= ord(ch) < 0xA0 or ch in "\u202e\u2066" for ch in text)


def test_terminal_safe_escapes_only_what_a_terminal_acts_on() -> None:
    assert terminal_safe("北京市 Beijing\n[b] :x:") == "北京市 Beijing\n[b] :x:"
    assert terminal_safe("\x00\t\r\x7f\x85\u200e\u061c\u2069") == "\\x00\\x09\\x0d\\x7f\\x85\\u200e\\u061c\\u2069"
    assert terminal_safe(HOSTILE) == SHOWN


def test_a_query_table_shows_hostile_cells_as_text() -> None:
    out = render_cells([HOSTILE, "n"], [[HOSTILE, "1"]], width=200)
    assert out.count(SHOWN) == 2, "the heading and the cell"
    assert _no_controls(out)
    assert out.endswith("1 row\n")


@pytest.mark.parametrize("width", [60, 120, 200])
def test_a_query_table_fits_the_width_it_is_given(width: int) -> None:
    from rich.cells import cell_len

    rows = [["中国科学院信息化工作领导小组办公室" * 3, "Office of the Informatization Leading Group " * 3]]
    lines = render_cells(["applicants_zh", "applicants_en"], rows, width=width).splitlines()[:-1]
    assert max(cell_len(line) for line in lines) <= width
    assert "".join(line.split("│")[1].strip() for line in lines[3:-1]) == rows[0][0], "folded, nothing lost"


def test_statistics_tables_show_hostile_labels_as_text(graph: Graph) -> None:
    g = Graph()
    for s, p, o in graph:
        if o == Literal("管理创新", lang="zh"):
            o = Literal(HOSTILE, lang="zh")
        g.add((s, p, o))
    text = analytics.to_table(analytics.compute(g))
    assert SHOWN in text and "管理创新" not in text
    assert _no_controls(text)


# ---- query tables: drawn from rich's pieces, byte for byte rich's Table ----------------------------


def rich_table(names: list[str], rows: list[list[str]], width: int) -> str:
    """What rich.table.Table draws for these cells (the oracle render_cells must equal)."""
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
    return out.file.getvalue()


# wide and narrow characters, combining marks, a family emoji (one grapheme of five code points),
# zero-width and ideographic spaces, line breaks, controls, markup and emoji codes
PIECES = ["a", "bc", "word ", " ", "   ", "中国", "科学院", "\u3000", "é", "e\u0301", "👍", "👨\u200d👩\u200d👧"]
PIECES += ["\u200b", "\n", "\t", "\x1b[2J", "\r", "[bold]", ":smile:", "ｗ", "Office of the Informatization Group "]
CELL = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    columns=st.integers(min_value=1, max_value=9),
    data=st.data(),
    width=st.one_of(st.integers(min_value=1, max_value=80), st.sampled_from([120, 200])),
)
def test_a_query_table_is_byte_for_byte_what_rich_draws(columns: int, data: st.DataObject, width: int) -> None:
    names = data.draw(st.lists(CELL, min_size=columns, max_size=columns))
    rows = data.draw(st.lists(st.lists(CELL, min_size=columns, max_size=columns), max_size=4))
    assert render_cells(names, rows, width=width) == rich_table(names, rows, width)


def test_every_shipped_query_is_drawn_as_rich_draws_it(graph: Graph) -> None:
    """The catalogue's results on the real graph, at a pipe's width and at a narrow terminal."""
    from egovkg.paths import Layout
    from egovkg.sparql.catalogue import bind, load_catalogue
    from egovkg.sparql.results import short, table_prefixes
    from egovkg.sparql.store import OxigraphStore

    store = OxigraphStore.from_graph(graph)
    prefixes = table_prefixes()
    drawn = 0
    for name, q in load_catalogue(Layout.default().queries).items():
        result = store.query(bind(q, {}))
        if result.kind != "select":
            continue
        rows = [[short(r[v], prefixes) if v in r else "" for v in result.vars] for r in result.rows]
        for width in (200, 60):
            assert render_cells(result.vars, rows, width=width) == rich_table(result.vars, rows, width), (name, width)
        drawn += 1
    assert drawn >= 30
