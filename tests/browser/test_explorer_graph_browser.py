"""The graph views as an explorer, in Chromium at a desktop (1440x900) and a phone (390x844) width:
a first picture whose labels do not overlap (measured), links into the linked-data site that resolve
from disk, state in the URL that survives a reload, expand, keyboard paths, exports, the phone layout."""

from __future__ import annotations

import csv
import io
import json
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from egovkg.publish import views
from egovkg.publish.addresses import site_href
from egovkg.publish.explorer import render_explorer
from egovkg.publish.site import Site

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}
FOCUS = "agency:qingdao-egov-office"
GRAPH_VIEWS = ["overview", "geography", "agencies", "neighbourhood#focus=" + FOCUS, "cli-neighbourhood"]

# Each drawn label's box, measured here from the label's text and font size (canvas measureText)
# and the node's position and size as vis-network reports them; then every pair is compared.
OVERLAPS = """() => {
  const face = "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, Arial, sans-serif";
  const ctx = document.createElement("canvas").getContext("2d");
  const scale = network.getScale();
  const canvas = document.querySelector("#graph canvas").getBoundingClientRect();
  const boxes = egovkg.drawnLabels().map(l => {
    ctx.font = l.px + "px " + face;
    const lines = l.label.split("\\n");
    const w = Math.max(...lines.map(t => ctx.measureText(t).width));
    const p = network.canvasToDOM(network.getPosition(l.id));
    const below = network.body.nodes[l.id].options.size * scale + 3;
    return { label: l.label, px: l.px, faded: l.faded,
             x0: p.x - w / 2, x1: p.x + w / 2, y0: p.y + below, y1: p.y + below + l.px * 1.2 * lines.length };
  }).filter(b => b.x1 > 0 && b.x0 < canvas.width && b.y1 > 0 && b.y0 < canvas.height);
  const pairs = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > 0.5 && Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) > 0.5) {
      pairs.push([a.label, b.label]);
    }
  }
  return { labels: boxes.length, overlaps: pairs, px: boxes.map(b => b.px), faded: boxes.map(b => b.faded) };
}"""


@pytest.fixture(scope="module")
def explorer(kg, tmp_path_factory) -> dict[str, object]:
    """viz/ as the main job writes it, beside build/site/ (its pages written as the tests need them)."""
    root = tmp_path_factory.mktemp("explorer")
    viz = root / "viz"
    viz.mkdir()
    graph = kg.union()
    for name, html in render_explorer(graph, kg.base, "viz").items():
        (viz / name).write_text(html, encoding="utf-8")
    (viz / "cli-neighbourhood.html").write_text(
        views.render_view(
            views.index(graph), "neighbourhood", focus=FOCUS, page_of=lambda iri: site_href(iri, kg.base, "viz")
        ),
        encoding="utf-8",
    )
    return {"root": root, "viz": viz, "site": Site(kg)}


def materialise(explorer: dict, page_url: str, href: str) -> Path:
    """The file a relative link from a page of viz/ points to; a site file is written on demand,
    and the test fails if the site has no such file."""
    viz: Path = explorer["viz"]  # type: ignore[assignment]
    target = posixpath.normpath(posixpath.join("viz", unquote(urlsplit(href).path)))
    path = Path(explorer["root"]) / target  # type: ignore[arg-type]
    if target.startswith("build/site/"):
        rel = target[len("build/site/") :]
        site: Site = explorer["site"]  # type: ignore[assignment]
        assert rel in site, f"{href} (from {page_url}) is no page of the site"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(site.render(rel))
        css = Path(explorer["root"]) / "build" / "site" / "assets" / "site.css"  # type: ignore[arg-type]
        if not css.exists():
            css.parent.mkdir(parents=True, exist_ok=True)
            css.write_bytes(site.render("assets/site.css"))
    assert path.is_file(), f"{href} from {page_url} resolves to {path}, which does not exist"
    assert path.resolve().is_relative_to(viz.parent.resolve())
    return path


def open_view(open_page, explorer, name: str, width: str):
    page_name, _, fragment = name.partition("#")
    w, h = WIDTHS[width]
    path = Path(explorer["viz"]) / f"{page_name}.html"  # type: ignore[arg-type]
    o = open_page(path, width=w, height=h)
    if fragment:
        o.page.goto(path.resolve().as_uri() + "#" + fragment)
        o.page.reload()
        o.page.wait_for_selector('body[data-drawn="1"]', state="attached")
    o.page.wait_for_timeout(150)
    return o


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", GRAPH_VIEWS)
def test_first_picture_has_no_overlapping_labels(open_page, explorer, artifacts, name, width):
    o = open_view(open_page, explorer, name, width)
    page = o.page
    measured = page.evaluate(OVERLAPS)
    shot = artifacts / f"explorer-{name.partition('#')[0]}-{width}.png"
    page.screenshot(path=str(shot))
    assert measured["overlaps"] == [], measured["overlaps"][:5]
    assert measured["labels"] >= (6 if "neighbourhood" in name else 15 if width == "phone" else 40), measured["labels"]
    assert min(measured["px"]) >= 12  # readable: no label below 12 px on screen
    # one language: Chinese labels by default
    labels = [x["label"] for x in page.evaluate("egovkg.drawnLabels()")]
    assert all("\n" not in label for label in labels)
    assert sum(any("\u4e00" <= c <= "\u9fff" for c in label) for label in labels) >= 0.9 * len(labels)
    if width == "phone":
        graph = page.locator("#graph").bounding_box()
        assert graph["width"] == 390  # the picture gets the width
        assert not page.locator("#controls").is_visible()  # the toolbar is folded away
        assert page.locator("#sheet-toggle").is_visible() and not page.locator("#details").is_visible()
        # the drawing fills the portrait screen, not a band across its middle (a wide layout is
        # turned a quarter, a round one drawn taller)
        tall = page.evaluate(
            """() => { const ys = Object.values(network.getPositions()).map(p => network.canvasToDOM(p).y);
                       return Math.max(...ys) - Math.min(...ys); }"""
        )
        if "neighbourhood" not in name:
            assert tall >= 0.6 * graph["height"], (tall, graph["height"])
    assert o.errors == [] and o.requests == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_details_link_to_the_site_and_back_into_the_view(open_page, explorer, artifacts, width):
    o = open_view(open_page, explorer, "overview", width)
    page = o.page
    page.evaluate(f"egovkg.select(egovkg.data.nodes.find(n => n.key === {json.dumps(FOCUS)}).id, true)")
    assert page.locator("#details").is_visible()  # on a phone the bottom sheet opened
    assert page.text_content("#details h3") == "青岛市电子政务和信息资源管理办公室"
    page_href = page.get_attribute("#details a.page-link", "href")
    assert page_href == "../build/site/id/agency/qingdao-egov-office.html"
    materialise(explorer, "overview.html", page_href)
    # a value in this view selects it; a value outside it is a link to its page
    in_view = page.locator("#details dd button.to-node").all_text_contents()
    assert "青岛市" in in_view
    outside = page.locator("#details dd a.to-page")
    assert outside.count() >= 2  # the agency kind and the administrative level are not in the overview
    for href in outside.evaluate_all("as => as.map(a => a.getAttribute('href'))"):
        materialise(explorer, "overview.html", href)
    nb = page.get_attribute("#details a.neighbourhood-link", "href")
    assert nb.startswith("neighbourhood.html#") and "focus=agency%3Aqingdao-egov-office" in nb
    materialise(explorer, "overview.html", nb)
    page.screenshot(path=str(artifacts / f"explorer-overview-details-{width}.png"))
    # follow the page link: the site's page opens from disk
    with page.expect_navigation():
        page.click("#details a.page-link")
    assert page.url.endswith("/build/site/id/agency/qingdao-egov-office.html")
    assert "青岛市电子政务和信息资源管理办公室" in page.text_content("h1")
    page.go_back()
    page.wait_for_selector('body[data-drawn="1"]', state="attached")
    assert page.text_content("#details h3") == "青岛市电子政务和信息资源管理办公室"  # the URL kept the selection
    # a value in the view selects that node and fits to it
    page.get_by_role("button", name="青岛市", exact=True).first.click()
    assert page.text_content("#details h3") == "青岛市"
    assert o.errors == [] and o.requests == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_open_neighbourhood_draws_it_from_the_url(open_page, explorer, artifacts, width):
    o = open_view(open_page, explorer, "overview", width)
    page = o.page
    page.evaluate(f"egovkg.select(egovkg.data.nodes.find(n => n.key === {json.dumps(FOCUS)}).id, true)")
    with page.expect_navigation():
        page.click("#details a.neighbourhood-link")
    page.wait_for_selector('body[data-drawn="1"]', state="attached")
    page.wait_for_timeout(150)
    drawn = page.evaluate("network.body.data.nodes.get().map(n => egovkg.pool[n.id].key).sort()")
    expected = views.project(views.index(explorer["site"].graph), "neighbourhood", focus=FOCUS)  # type: ignore[union-attr]
    assert len(drawn) == expected.number_of_nodes()
    assert "agency:qingdao-approval-office" in drawn and "agency:yichang-egov-office" not in drawn
    assert page.text_content("#details h3") == "青岛市电子政务和信息资源管理办公室" or width == "phone"
    assert page.evaluate(OVERLAPS)["overlaps"] == []
    page.screenshot(path=str(artifacts / f"explorer-neighbourhood-from-link-{width}.png"))
    assert o.errors == [] and o.requests == []


def _state(page) -> dict:
    return page.evaluate(
        """() => ({
      selected: network.getSelectedNodes().map(id => egovkg.pool[id].key),
      lang: document.getElementById('lang').value,
      cat: document.getElementById('filter-cat').value,
      shown: network.body.nodeIndices.length,
      drawn: network.body.data.nodes.length,
      scale: network.getScale(),
      pos: network.getViewPosition(),
      off: Array.from(document.querySelectorAll('#legend button[aria-pressed=false]')).map(b => b.dataset.cls),
      details: document.querySelector('#details h3') ? document.querySelector('#details h3').textContent : null,
    })"""
    )


@pytest.mark.parametrize("width", list(WIDTHS))
def test_url_state_round_trips_on_reload(open_page, explorer, width):
    o = open_view(open_page, explorer, "overview", width)
    page = o.page
    if width == "phone":
        page.click("#tools-toggle")
    page.select_option("#lang", "en")
    page.select_option("#filter-cat", "public-service")
    page.evaluate(f"egovkg.select(egovkg.data.nodes.find(n => n.key === {json.dumps(FOCUS)}).id, true)")
    before_expand = page.evaluate("network.body.data.nodes.length")
    page.click("#details button.expand")
    assert page.evaluate("network.body.data.nodes.length") > before_expand  # the agency kind and level joined
    page.evaluate("network.moveTo({scale: network.getScale() * 1.3, animation: false})")
    page.focus("#graph")
    page.keyboard.press("ArrowLeft")  # pan by key: the URL follows
    page.wait_for_timeout(400)
    before = _state(page)
    url = page.url
    assert "sel=agency%3Aqingdao-egov-office" in url and "lang=en" in url and "cat=public-service" in url
    assert "exp=agency%3Aqingdao-egov-office" in url
    page.reload()
    page.wait_for_selector('body[data-drawn="1"]', state="attached")
    page.wait_for_timeout(200)
    after = _state(page)
    assert after["selected"] == before["selected"] == [FOCUS]
    assert (after["lang"], after["cat"], after["shown"], after["drawn"]) == (
        before["lang"],
        before["cat"],
        before["shown"],
        before["drawn"],
    )
    assert after["details"] == "Qingdao E-Government and Information Resources Management Office" or after["details"]
    assert after["scale"] == pytest.approx(before["scale"], rel=1e-3)
    assert after["pos"]["x"] == pytest.approx(before["pos"]["x"], abs=0.2)
    assert after["pos"]["y"] == pytest.approx(before["pos"]["y"], abs=0.2)
    # and a fresh tab on the same URL
    context = page.context
    other = context.new_page()
    other.goto(url)
    other.wait_for_selector('body[data-drawn="1"]', state="attached")
    other.wait_for_timeout(200)
    assert _state(other)["selected"] == [FOCUS] and _state(other)["drawn"] == before["drawn"]
    assert o.errors == [] and o.requests == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_filters_hide_refit_and_count_awards(open_page, explorer, width):
    o = open_view(open_page, explorer, "geography", width)
    page = o.page
    if width == "phone":
        page.click("#tools-toggle")
        assert page.locator("#controls").is_visible()
    options = page.locator("#filter-prov option").all_text_contents()
    assert "湖北省 (4 项奖)" in options  # awards, and it says so
    scale = page.evaluate("network.getScale()")
    page.select_option("#filter-prov", "420000")
    shown = page.evaluate("network.body.nodeIndices.map(i => egovkg.pool[i].key)")
    assert "region:420500" in shown and "region:110000" not in shown
    assert page.evaluate("network.getScale()") > scale  # re-fitted to what is left
    assert page.evaluate(OVERLAPS)["overlaps"] == []
    counts = page.text_content("#counts")
    assert "显示节点" in counts and "获奖数" in counts
    assert o.errors == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_keyboard_paths(open_page, explorer, width):
    o = open_view(open_page, explorer, "overview", width)
    page = o.page
    if width == "phone":
        page.click("#tools-toggle")
    # search: arrow keys walk the results, Enter picks one
    page.focus("#search")
    page.keyboard.type("qingdao")
    page.keyboard.press("ArrowDown")
    first = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("ArrowDown")
    second = page.evaluate("document.activeElement.textContent")
    assert first != second and page.evaluate("document.activeElement.closest('#results') !== null")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.textContent") == first
    page.keyboard.press("Enter")
    assert page.text_content("#details h3") in first
    # the graph takes keys
    page.focus("#graph")
    scale = page.evaluate("network.getScale()")
    page.keyboard.press("+")
    assert page.evaluate("network.getScale()") == pytest.approx(scale * 1.25)
    x = page.evaluate("network.getViewPosition().x")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("network.getViewPosition().x") > x
    page.keyboard.press("Escape")
    assert page.evaluate("network.getSelectedNodes().length") == 0
    page.keyboard.press("n")
    top = page.evaluate("egovkg.pool[network.getSelectedNodes()[0]].key")
    assert top == "region:000000"  # the most connected node first
    page.keyboard.press("n")
    assert page.evaluate("egovkg.pool[network.getSelectedNodes()[0]].key") != top
    page.keyboard.press("p")
    assert page.evaluate("egovkg.pool[network.getSelectedNodes()[0]].key") == top
    assert "中国" in page.text_content("#status")
    # legend items are buttons, reachable and pressed by keyboard
    if not page.locator("#legend").is_visible():  # a phone: open the bottom sheet
        page.click("#sheet-toggle")
    legend = page.locator("#legend button[data-cls=Region]")
    legend.focus()
    page.keyboard.press("Enter")
    assert legend.get_attribute("aria-pressed") == "false"
    assert "Region" not in page.evaluate("network.body.nodeIndices.map(i => egovkg.pool[i].cls)")
    page.keyboard.press("Space")
    assert legend.get_attribute("aria-pressed") == "true"
    # the table says what the view shows, in text
    if not page.locator("#table-toggle").is_visible():
        page.click("#tools-toggle")
    page.click("#table-toggle")
    rows = page.locator("#node-table tbody tr").count()
    assert rows == page.evaluate("network.body.nodeIndices.length")
    assert page.locator("#edge-table tbody tr").count() > 0
    assert o.errors == []


def test_expand_and_exports(open_page, explorer, tmp_path):
    o = open_view(open_page, explorer, "agencies", "desktop")
    page = o.page
    page.evaluate(f"egovkg.select(egovkg.data.nodes.find(n => n.key === {json.dumps(FOCUS)}).id, true)")
    before = page.evaluate("network.body.data.nodes.length")
    label = page.text_content("#details button.expand")
    page.click("#details button.expand")
    added = page.evaluate("network.body.data.nodes.length") - before
    assert added > 0 and str(added) in label
    keys = page.evaluate("network.getConnectedNodes(network.getSelectedNodes()[0]).map(id => egovkg.pool[id].key)")
    assert "region:370200" in keys and "award:2012-public-service-03" in keys
    with page.expect_download() as d:
        page.click("#export-nodes")
    rows = list(csv.reader(io.StringIO(Path(d.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][:5] == ["id", "iri", "class", "label_zh", "label_en"]
    assert len(rows) - 1 == page.evaluate("network.body.nodeIndices.length")
    assert FOCUS in {r[0] for r in rows}
    with page.expect_download() as d:
        page.click("#export-edges")
    edges = list(csv.reader(io.StringIO(Path(d.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(edges) - 1 == page.evaluate("network.body.edgeIndices.length")
    with page.expect_download() as d:
        page.click("#export-png")
    png = Path(d.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert o.errors == [] and o.requests == []


def test_faded_labels_stay_under_highlighted_ones(open_page, explorer):
    o = open_view(open_page, explorer, "overview", "desktop")
    page = o.page
    page.evaluate("egovkg.select(egovkg.data.nodes.find(n => n.key === 'region:000000').id, false)")
    page.wait_for_timeout(100)
    labels = page.evaluate("egovkg.drawnLabels()")
    faded = [x["faded"] for x in labels]
    assert True in faded and False in faded
    assert faded == sorted(faded, reverse=True)  # drawn in order: every faded label before any highlighted
    assert labels[-1]["key"] == "region:000000"  # the selection last, on top
    assert page.evaluate(OVERLAPS)["overlaps"] == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_show_in_graph_links_select_the_node(open_page, explorer, width):
    """The site's pages link into the explorer with ?node=CURIE (egovkg.publish.explorer.graph_href)."""
    from egovkg.publish.explorer import graph_href

    o = open_view(open_page, explorer, "overview", width)
    page = o.page
    href = graph_href("agency:qingdao-egov-office", "overview")
    assert href == "./overview.html?node=agency:qingdao-egov-office"
    page.goto(Path(explorer["viz"]).resolve().as_uri() + "/" + href[2:])  # type: ignore[arg-type]
    page.wait_for_selector('body[data-drawn="1"]', state="attached")
    assert page.evaluate("network.getSelectedNodes().map(id => egovkg.pool[id].key)") == [FOCUS]
    assert page.text_content("#details h3") == "青岛市电子政务和信息资源管理办公室"
    # the explorer's CURIE of an agency kind drops the hyphen of its folder: agencykind:court
    nb = (Path(explorer["viz"]) / "neighbourhood.html").resolve().as_uri() + "?node=agencykind:court&lang=en"  # type: ignore[arg-type]
    page.goto(nb)
    page.wait_for_selector('body[data-drawn="1"]', state="attached")
    page.wait_for_timeout(100)
    drawn = page.evaluate("network.body.data.nodes.get().map(n => egovkg.pool[n.id].key)")
    assert "agency-kind:court" in drawn and "agency:beijing-high-court" in drawn
    assert page.evaluate("document.getElementById('lang').value") == "en"
    assert page.evaluate(OVERLAPS)["overlaps"] == []
    assert o.errors == [] and o.requests == []
