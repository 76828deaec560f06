"""The views in a real browser: opened from file://, offline, drawn, filtered, searched, attacked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egovkg.publish import views
from tests.test_views import HOSTILE_EN, HOSTILE_ZH, hostile_graph

ALL = [*views.PAGES, "neighbourhood"]
FOCUS = "agency:qingdao-egov-office"


@pytest.fixture(scope="module")
def site(graph, tmp_path_factory) -> dict[str, Path]:
    """The pages as the main job writes them, plus a neighbourhood and a hostile overview."""
    root = tmp_path_factory.mktemp("viz")
    idx = views.index(graph)
    files = {p.stem: p for p in views.render_all(idx, root)}
    for path, html in views.render_all(idx, root).items():
        path.write_text(html, encoding="utf-8")
    files["neighbourhood"] = root / "neighbourhood.html"
    files["neighbourhood"].write_text(views.render_view(idx, "neighbourhood", focus=FOCUS), encoding="utf-8")
    files["hostile"] = root / "hostile.html"
    files["hostile"].write_text(views.render_view(hostile_graph(graph), "overview"), encoding="utf-8")
    files["notebook"] = root / "notebook.html"
    cell = views.ViewPage(views.render_view(idx, "agencies"), height=600)._repr_html_()
    files["notebook"].write_text(f"<!DOCTYPE html><meta charset=utf-8><body>{cell}</body>", encoding="utf-8")
    return files


@pytest.fixture(scope="module")
def projections(graph) -> dict[str, tuple[int, int]]:
    idx = views.index(graph)
    out = {}
    for name in ALL:
        g = views.project(idx, name, focus=FOCUS if name == "neighbourhood" else None)
        out[name] = (g.number_of_nodes(), g.number_of_edges())
    return out


DISTINCT_COLOURS = """() => {
  const c = document.querySelector('#graph canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const seen = new Set();
  for (let i = 0; i < d.length; i += 4 * 7) { seen.add((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]); }
  return seen.size;
}"""


@pytest.mark.parametrize("name", ALL)
def test_view_draws_offline_with_every_node(open_page, site, projections, artifacts, name):
    o = open_page(site[name])
    page = o.page
    drawn = page.evaluate("[network.body.data.nodes.length, network.body.data.edges.length]")
    assert tuple(drawn) == projections[name]
    visible = page.evaluate("network.body.nodeIndices.length")
    assert visible == projections[name][0]  # nothing hidden at first
    timing = page.evaluate("window.egovkg.timing")
    assert timing["firstDraw"] is not None
    colours = page.evaluate(DISTINCT_COLOURS)
    shot = artifacts / f"{name}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    assert colours > 20, f"the canvas looks blank ({colours} colours)"
    try:
        from PIL import Image

        with Image.open(shot) as im:
            assert len(im.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50
    except ImportError:
        pass
    (artifacts / f"{name}.json").write_text(
        json.dumps(
            {
                "view": name,
                "nodes": drawn[0],
                "edges": drawn[1],
                "html_bytes": site[name].stat().st_size,
                "first_draw_ms_since_navigation": round(timing["firstDraw"], 1),
                "first_draw_ms_since_script": round(timing["firstDraw"] - timing["start"], 1),
            },
            indent=2,
        )
        + "\n"
    )
    assert o.errors == []
    assert o.requests == []
    assert o.dialogs == []


AWARDS_HIDDEN = """() => egovkg.data.nodes.filter(n => n.cls === 'Award').map(n =>
  [n.facets.cat[0], n.facets.prov[0], network.body.data.nodes.get(n.id).hidden === true,
   network.body.nodes[n.id].options.hidden === true])"""


def test_category_filter_hides_other_categories(open_page, site, projections):
    o = open_page(site["overview"])
    page = o.page
    page.select_option("#filter-cat", "public-service")
    awards = page.evaluate(AWARDS_HIDDEN)
    assert len(awards) == 40
    for cat, _prov, hidden, drawn_hidden in awards:
        assert hidden == drawn_hidden == (cat != "public-service")
    shown = page.evaluate("network.body.nodeIndices.map(i => network.body.nodes[i].options.group)")
    assert shown.count("Award") == 10 and shown.count("Practice") == 10 and shown.count("AwardCategory") == 1
    page.select_option("#filter-prov", "420000")  # Hubei: one public-service award? none
    awards = page.evaluate(AWARDS_HIDDEN)
    assert [a for a in awards if not a[2]] == []  # Hubei's 4 awards are in other categories
    page.select_option("#filter-cat", "")
    awards = page.evaluate(AWARDS_HIDDEN)
    assert sorted(a[1] for a in awards if not a[2]) == ["420000"] * 4
    page.select_option("#filter-prov", "")
    page.select_option("#filter-kind", "court")
    agencies = page.evaluate("""() => egovkg.data.nodes.filter(n => n.cls === 'Agency')
        .filter(n => !network.body.data.nodes.get(n.id).hidden).map(n => n.key)""")
    assert sorted(agencies) == ["agency:beijing-high-court", "agency:henan-high-court"]
    page.click("#reset")
    assert page.evaluate("network.body.nodeIndices.length") == projections["overview"][0]  # all shown again
    assert o.errors == [] and o.requests == []


def test_click_highlights_neighbours_and_shows_details(open_page, site):
    o = open_page(site["overview"])
    page = o.page
    page.select_option("#lang", "both")
    iri = "https://w3id.org/egovkg/id/agency/qingdao-egov-office"
    node_id = page.evaluate(f"egovkg.data.nodes.find(n => n.iri === {json.dumps(iri)}).id")
    page.evaluate(f"network.focus({node_id}, {{scale: 2.5, animation: false}})")
    page.wait_for_timeout(100)
    box = page.locator("#graph canvas").bounding_box()
    pos = page.evaluate(f"network.canvasToDOM(network.getPosition({node_id}))")
    x, y = box["x"] + pos["x"], box["y"] + pos["y"]
    assert page.evaluate(f"network.getNodeAt({{x: {pos['x']}, y: {pos['y']}}})") == node_id
    page.mouse.click(x, y)
    assert page.text_content("#details h3") == "青岛市电子政务和信息资源管理办公室"
    assert page.text_content("#details code") == iri
    details = page.text_content("#details")
    assert "qing dao shi" in details and "政府工作部门" in details and "青岛市 / Qingdao" in details
    assert page.locator("#details blockquote mark").first.text_content() == "青岛市电子政务和信息资源管理办公室"
    opacity = page.evaluate(
        """(id) => {
      const mine = new Set([id, ...network.getConnectedNodes(id)]);
      const out = {near: [], far: []};
      egovkg.data.nodes.forEach(n =>
        (mine.has(n.id) ? out.near : out.far).push(network.body.data.nodes.get(n.id).opacity ?? 1));
      return out; }""",
        node_id,
    )
    assert len(opacity["near"]) == 4 and set(opacity["near"]) == {1}
    assert set(opacity["far"]) == {0.18}
    # a fact's value leads on to that entity
    page.get_by_role("button", name="青岛市 / Qingdao").click()
    assert page.text_content("#details h3") == "青岛市"
    assert o.errors == []


def test_search_finds_by_chinese_english_and_pinyin(open_page, site):
    o = open_page(site["overview"])
    page = o.page
    page.select_option("#lang", "both")
    for query, expected in [
        ("宜昌", "宜昌市 / Yichang"),
        ("yichang shi", "宜昌市 / Yichang"),
        ("Yichang", "宜昌市 / Yichang"),
        ("jīn shěn", "金审工程 / Golden Audit Project"),
    ]:
        page.fill("#search", query)
        names = page.locator("#results li button").all_text_contents()
        assert any(n.startswith(expected) for n in names), (query, names)
    page.fill("#search", "qingdaoshi")
    page.press("#search", "Enter")
    assert page.text_content("#details h3") == "青岛市"
    assert page.evaluate("network.getSelectedNodes().length") == 1
    page.select_option("#lang", "en")
    page.wait_for_timeout(100)
    labels = {x["key"]: x["label"] for x in page.evaluate("egovkg.drawnLabels()")}
    assert labels["region:370200"] == "Qingdao"  # the selection's label is always drawn
    assert page.text_content("#details h3") == "Qingdao"
    assert o.errors == []


def test_hostile_labels_show_as_text_and_run_nothing(open_page, site):
    o = open_page(site["hostile"])
    page = o.page
    page.select_option("#lang", "both")
    page.fill("#search", "img src")
    found = page.locator("#results li button").all_text_contents()
    assert len(found) == 2  # the hostile agency, and the office given a hostile second label
    evil = page.locator("#results li button", has_text=HOSTILE_ZH)
    assert evil.text_content().startswith(f"{HOSTILE_ZH} / {HOSTILE_EN}")
    evil.click()
    assert page.text_content("#details h3") == HOSTILE_ZH
    assert page.text_content("#details .sub") == HOSTILE_EN
    node = page.evaluate("network.body.data.nodes.get(network.getSelectedNodes()[0])")
    page.wait_for_timeout(100)
    drawn = {x["key"]: x["label"] for x in page.evaluate("egovkg.drawnLabels()")}
    assert HOSTILE_EN in node["title"] and drawn["agency:evil"].startswith("</script><scrip")
    # hover: vis shows the tooltip, as text
    page.evaluate("network.focus(network.getSelectedNodes()[0], {scale: 6, animation: false})")
    page.wait_for_timeout(100)
    box = page.locator("#graph canvas").bounding_box()
    pos = page.evaluate("network.canvasToDOM(network.getPosition(network.getSelectedNodes()[0]))")
    assert page.evaluate(f"network.getNodeAt({json.dumps(pos)})") == node["id"]
    page.mouse.move(box["x"] + pos["x"] - 3, box["y"] + pos["y"] - 3)
    page.mouse.move(box["x"] + pos["x"], box["y"] + pos["y"])
    page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
    tip = page.evaluate("document.querySelector('div.vis-tooltip').innerText")
    assert HOSTILE_EN in tip and HOSTILE_ZH in tip
    # the other English label of an existing agency is listed as text too
    page.fill("#search", "qingdao municipal e-government")
    page.press("#search", "Enter")
    assert HOSTILE_EN in page.text_content("#details")
    page.wait_for_timeout(300)
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 3  # data, vis, ours
    assert o.dialogs == []
    assert o.errors == [] and o.requests == []


def test_view_works_inside_a_notebook_iframe(open_page, site, browser, projections):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site["notebook"].resolve().as_uri())
    frame = page.frame_locator("iframe")
    frame.locator('body[data-drawn="1"]').wait_for(state="attached", timeout=60_000)
    inner = next(f for f in page.frames if f != page.main_frame)
    assert inner.evaluate("network.body.data.nodes.length") == projections["agencies"][0]
    assert errors == []
    context.close()


def test_a_cut_down_view_says_so_on_the_page(open_page, graph, tmp_path: Path, projections):
    path = tmp_path / "cut.html"
    path.write_text(views.render_view(graph, "overview", limit=60, lang="en"), encoding="utf-8")
    opened = open_page(path)
    page = opened.page
    assert page.evaluate("network.body.data.nodes.length") == 60
    note = page.locator("#note")
    assert note.is_visible()
    assert f"showing the 60 most connected of {projections['overview'][0]} nodes" in note.inner_text()
    assert opened.errors == [] and opened.requests == []
