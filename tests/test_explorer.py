"""The explorer's own pages (egovkg.publish.explorer, provinces, timeline), without a browser."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SDO

from egovkg.cli import main
from egovkg.graph.namespaces import EGOV
from egovkg.publish import explorer
from egovkg.publish.provinces import awards_by_province, map_model, tiles
from egovkg.publish.timeline import items, parse_date, segments, timeline_model

HOSTILE = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"


def _data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="egk-data">(.*?)</script>', html, re.S)
    assert m
    return json.loads(m.group(1))


def test_map_counts_equal_the_awards_by_province_query(graph, kg) -> None:
    result = CliRunner().invoke(main, ["query", "awards-by-province", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = {r["code"]: int(r["awards"]) for r in rows}
    provinces, unplaced = awards_by_province(graph, kg.base)
    got = {p.tile.code: len(p.awards) for p in provinces if p.awards}
    assert got == expected
    assert not unplaced
    assert expected["000000"] == 8 and expected["110000"] == 5  # central bodies, Beijing


def test_every_award_is_placed_once_and_the_grid_is_whole(graph, kg) -> None:
    provinces, _ = awards_by_province(graph, kg.base)
    placed = [a.iri for p in provinces for a in p.awards]
    assert len(placed) == len(set(placed)) == len(set(graph.subjects(RDF.type, EGOV.Award))) == 40
    t = tiles()
    assert len(t) == 35  # 34 provincial-level divisions and the national entry
    assert {x.code for x in t if x.code != "000000"} >= {"110000", "540000", "710000", "810000", "820000"}


def test_map_page_writes_each_count_as_text(graph, kg) -> None:
    html = explorer.render_map(graph, kg.base)
    for tile in map_model(graph, kg.base, "viz")["tiles"]:
        m = re.search(rf'id="tile-{tile["code"]}".*?<text class="count"[^>]*>(\d+)</text>', html, re.S)
        assert m and int(m.group(1)) == tile["count"], tile["code"]


def test_dates_keep_their_precision() -> None:
    assert parse_date("1970").precision == "year"
    assert parse_date("2012-05").precision == "month"
    d = parse_date("2006-03-19")
    assert d.precision == "day" and d.begins() == pytest.approx(2006 + 77 / 365)
    assert parse_date("2012").ends() == 2013.0 and parse_date("2012-12").ends() == 2013.0
    assert parse_date("2012-13") is None and parse_date("2011-02-29") is None and parse_date("n.d.") is None


def test_timeline_true_order_within_a_year(graph, kg) -> None:
    dated, undated = items(graph, kg.base, "viz")
    ids = [i["id"] for i in dated]
    # the call for entries (2012-05) and the deadline (2012-07) before the year-only awards (2012)
    assert ids.index("milestone:2012-05") < ids.index("milestone:2012-07") < ids.index("milestone:2012")
    assert ids.index("document:zbf-2002-17") < ids.index("milestone:2002")  # 2002-08 before "2002"
    # an item with only an end ("…/2005", a phase whose planned end alone is known) has no start to sort by
    keys = [(parse_date(i["date"].split("/")[0]).sort_key()) for i in dated if not i["date"].startswith("…")]
    assert keys == sorted(keys)
    ranges = {i["id"]: (i["start"], i["end"]) for i in dated if i["range"]}
    # 七十年代初 is the early 1970s, 1970-1973 (issue 17); 进入九十年代后 the whole decade
    assert ranges["milestone:1970s"] == (1970.0, 1974.0) and ranges["milestone:1990s"] == (1990.0, 2000.0)
    assert len(undated) == len(
        [
            p
            for p in graph.subjects(RDF.type, EGOV.Programme)
            if graph.value(p, SDO.startDate) is None and graph.value(p, SDO.endDate) is None
        ]
    )


def test_empty_decades_become_breaks(graph, kg) -> None:
    dated, _ = items(graph, kg.base, "viz")
    segs = segments(dated)
    # the early 1970s end in 1973 (issue 17); the rest of the 1970s and the 1980s are cut out
    assert segs[0] == [1970, 1974] and segs[1][0] == 1990
    assert all(b - a > 0 for a, b in segs)


def test_timeline_reads_new_data_generically(graph, kg) -> None:
    g = Graph()
    for t in graph:
        g.add(t)
    m = URIRef(kg.base + "milestone/test-2010-06-01")
    g.add((m, RDF.type, EGOV.Milestone))
    g.add((m, RDFS.label, Literal("测试", lang="zh")))
    g.add((m, RDFS.label, Literal("A test", lang="en")))
    g.add((m, SDO.startDate, Literal("2010-06-01")))
    p = URIRef(kg.base + "programme/golden-tax")
    g.add((p, SDO.startDate, Literal("1994")))
    g.add((p, SDO.endDate, Literal("2001")))
    phase = URIRef(kg.base + "programme/golden-agriculture")
    g.add((phase, SDO.endDate, Literal("2005")))  # only its end is known
    model = timeline_model(g, kg.base, "viz")
    ends = {i["id"]: i for i in model["items"]}["programme:golden-agriculture"]
    assert ends["date"] == "…/2005" and ends["start"] == 2005.0 and not ends["range"]
    by_id = {i["id"]: i for i in model["items"]}
    assert by_id["milestone:test-2010-06-01"]["precision"] == "day"
    assert by_id["programme:golden-tax"]["range"] and by_id["programme:golden-tax"]["end"] == 2002.0
    assert "programme:golden-tax" not in {u["id"] for u in model["undated"]}


def test_front_page_figures_are_counted(graph) -> None:
    figures = {f["key"]: f["n"] for f in explorer.figures(graph)}
    assert figures["awards"] == 40 and figures["categories"] == 4
    assert figures["practices"] == len(set(graph.subjects(RDF.type, EGOV.Practice)))
    assert figures["regions"] == len(set(graph.subjects(RDF.type, EGOV.Region)))
    assert figures["programmes"] == len(set(graph.subjects(RDF.type, EGOV.Programme)))
    html = explorer.render_index(graph)
    assert 'data-figure="awards"><span class="n">40</span>' in html


def test_pages_are_deterministic_and_link_the_site(graph, kg) -> None:
    a = explorer.render_timeline(graph, kg.base, "site")
    assert a == explorer.render_timeline(graph, kg.base, "site")
    data = _data(a)
    assert data["timeline"]["items"][0]["site"].startswith("../id/")
    viz = _data(explorer.render_map(graph, kg.base, "viz"))
    assert viz["map"]["tiles"][1]["site"].startswith("../build/site/id/region/")


def test_hostile_labels_stay_text(graph, kg) -> None:
    g = Graph()
    for t in graph:
        g.add(t)
    practice = URIRef(kg.base + "practice/2012-government-microblog-01")
    milestone = URIRef(kg.base + "milestone/2001")
    for node in (practice, milestone):
        for lit in list(g.objects(node, RDFS.label)):
            g.remove((node, RDFS.label, lit))
        g.add((node, RDFS.label, Literal(HOSTILE, lang="zh")))
        g.add((node, RDFS.label, Literal(HOSTILE, lang="en")))
    for html in (explorer.render_map(g, kg.base), explorer.render_timeline(g, kg.base)):
        assert "<img" not in html and "<script>alert" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert HOSTILE in json.dumps(_data(html), ensure_ascii=False)


def test_site_resource_pages_link_into_the_explorer(kg) -> None:
    from egovkg.publish.site import Site, csp_for

    site = Site(kg)
    award = site.render("id/award/2012-government-microblog-01.html").decode()
    assert 'href="../../explorer/overview.html?node=award:2012-government-microblog-01"' in award
    milestone = site.render("id/milestone/2012-05.html").decode()
    assert 'href="../../explorer/timeline.html?node=milestone:2012-05"' in milestone
    assert "explorer/map.html" in site.paths() and "explorer/index.html" in site.paths()
    assert "script-src 'unsafe-inline'" in csp_for("explorer/map.html")
    assert "script-src 'none'" in csp_for("id/award/x.html")


def test_the_library_view_is_the_timeline_the_build_writes(graph, kg) -> None:
    """KG.view("timeline") is made by the code that writes viz/timeline.html (issue: it gave the old
    vis-network timeline): the same bytes, with the to-scale axis and the undated list."""
    import egovkg

    front = egovkg.open()
    view = front.view("timeline")
    built = explorer.render_explorer(front.graph, front.base, "viz", query=True)["timeline.html"]
    # the same timeline, standing alone (a notebook shows it in an iframe of its own): no bar,
    # no links to the site's pages or the graph views, which are not beside it there
    mine, theirs = _data(view.html)["timeline"], _data(built)["timeline"]
    assert [i["id"] for i in mine["items"]] == [i["id"] for i in theirs["items"]] and len(mine["items"]) >= 20
    assert mine["segments"] == theirs["segments"]
    assert all(i["site"] is None and i["graph"] is None for i in mine["items"] + mine["undated"])
    assert sum(i["site"] is not None for i in theirs["items"]) >= 20
    assert "egk-nav" not in view.html.split("<style", 1)[0] and 'class="egk-nav' not in view.html
    assert "../build/site/" not in view.html and "./overview.html" not in view.html
    assert 'class="egk-nav' in built and "../build/site/" in built
    # and `egovkg view timeline` writes the build's page (into viz/, beside the others)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "timeline.html"
        result = CliRunner().invoke(main, ["view", "timeline", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8") == built
    assert 'id="egk-tl-ruler"' in view.html and "vis-network" not in view.html and "new vis.Network" not in view.html
    tl = _data(view.html)["timeline"]
    assert tl["segments"][0] == [1970, 1974] and tl["segments"][1][0] == 1990  # the break, as the build draws
    assert view.nodes == len(tl["items"]) + len(tl["undated"]) and view.edges == 0
    # the opening language and a selected item, as egovkg view --lang/--focus take them
    en = front.view("timeline", lang="en", focus="milestone:2006")
    assert 'data-egk-lang="en"' in en.html and _data(en.html)["node"] == "milestone:2006"
    assert _data(en.html)["lang"] == "en" and "lang" not in _data(view.html)
    with pytest.raises(egovkg.errors.EgovkgError, match="does not show 'agency:qingdao-egov-office'"):
        front.view("timeline", focus="agency:qingdao-egov-office")
    with pytest.raises(egovkg.errors.EgovkgError, match="zh or en"):
        front.view("timeline", lang="both")
