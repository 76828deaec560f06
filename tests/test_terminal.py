"""Text for a terminal: labels are data, never markup or control sequences."""

from __future__ import annotations

import pytest
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
