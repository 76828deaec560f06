"""The explorer's front page, map and timeline in headless Chromium, at 1440x900 and 390x844.

One folder holds both deployments as a checkout does: viz/ (the explorer written by the main job)
beside build/site/ (the linked-data site with its own copy in explorer/). Screenshots of every page
at both widths go to test-artifacts/explorer/.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

from egovkg.cli import main
from egovkg.publish.explorer import render_explorer
from egovkg.publish.site import build_site

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1440, 900), "mobile": (390, 844)}
PAGES = ("index", "map", "timeline")
LINKS_JS = (  # SVG links too: their href is not a string, so resolve the attribute
    "() => Array.from(document.querySelectorAll('a[href]'),"
    " a => new URL(a.getAttribute('href'), document.baseURI).href)"
)


@pytest.fixture(scope="module")
def root(kg, graph, tmp_path_factory) -> Path:
    top = tmp_path_factory.mktemp("explorer")
    build_site(kg, top / "build" / "site")
    (top / "viz").mkdir()
    for name, html in render_explorer(graph, kg.base, "viz", query=True).items():  # as `egovkg build` writes it
        (top / "viz" / name).write_text(html, encoding="utf-8")
    return top


@pytest.fixture(scope="module")
def shots() -> Path:
    out = Path(__file__).resolve().parents[2] / "test-artifacts" / "explorer"
    out.mkdir(parents=True, exist_ok=True)
    return out


class Tab:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.dialogs: list[str] = []


@pytest.fixture
def tab(browser) -> Iterator[Any]:
    contexts = []

    def _open(url: str, size: str = "desktop", allow: str | None = None) -> Tab:
        w, h = SIZES[size]
        context = browser.new_context(viewport={"width": w, "height": h}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        t = Tab(page)
        page.on("console", lambda m: t.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: t.errors.append(str(e)))

        def on_dialog(d: Any) -> None:
            t.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)

        def route(r: Any) -> None:
            if allow and r.request.url.startswith(allow):
                r.continue_()
            else:
                t.remote.append(r.request.url)
                r.abort()

        context.route("http://**/*", route)
        context.route("https://**/*", route)
        page.goto(url)
        return t

    yield _open
    for c in contexts:
        c.close()


def _file(url: str) -> Path:
    return Path(unquote(urlsplit(url).path))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("where", ["viz", "build/site/explorer"])
def test_pages_fit_the_width_and_every_link_resolves_from_disk(tab, root: Path, shots: Path, where, size) -> None:
    t = tab((root / where / f"{PAGES[0]}.html").as_uri(), size)
    p = t.page
    for name in PAGES:  # one tab going from page to page (a fresh one costs 0.2 s)
        if name != PAGES[0]:
            p.goto((root / where / f"{name}.html").as_uri())
        p.wait_for_timeout(150)
        width = SIZES[size][0]
        assert p.evaluate("document.documentElement.scrollWidth") <= width, (name, where, size)
        inline = p.locator(".egk-nav-inline")
        menu = p.locator(".egk-nav-menu summary")
        if size == "mobile":
            assert not inline.is_visible() and menu.is_visible()
            menu.click()
            assert p.locator(".egk-nav-menu a[data-egk-nav='timeline']").is_visible()
            menu.click()
        else:
            assert inline.is_visible() and not menu.is_visible()
        assert p.locator(f".egk-nav-inline a[data-egk-nav='{name}']").get_attribute("aria-current") == "page"
        tag = "viz" if where == "viz" else "site"
        p.screenshot(path=str(shots / f"{name}-{tag}-{size}.png"), full_page=name != "map")
        for link in p.evaluate(LINKS_JS):
            assert link.startswith("file://"), (name, link)
            assert _file(link).is_file(), (name, where, link)
        site_index = p.locator(".egk-nav-inline a[data-egk-nav='site']").get_attribute("href")
        assert site_index == ("../build/site/index.html" if where == "viz" else "../index.html")
        assert not t.errors and not t.remote and not t.dialogs, (t.errors, t.remote)


def test_links_resolve_when_served(tab, kg, root: Path) -> None:
    from egovkg.serve import make_server, serve_forever

    srv = make_server(kg, site_dir=root / "build" / "site")
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    try:
        t = tab(f"{srv.url}/explorer/{PAGES[0]}.html", allow=srv.url + "/")
        found: dict[str, str] = {}
        for name in PAGES:  # one tab going from page to page (a fresh one costs 0.2 s)
            if name != PAGES[0]:
                t.page.goto(f"{srv.url}/explorer/{name}.html")
            links = {link.split("#")[0].split("?")[0] for link in t.page.evaluate(LINKS_JS)}
            assert links, name
            found.update((link, name) for link in sorted(links) if link not in found)
        for link, name in sorted(found.items()):  # each link asked for once
            assert link.startswith(srv.url + "/"), link
            resp = t.page.request.get(link)
            assert resp.status == 200, (name, link, resp.status)
        t.page.goto(f"{srv.url}/id/award/2012-government-microblog-01.html")
        t.page.click(".show-in-graph a")
        assert t.page.url.endswith("/explorer/overview.html?node=award:2012-government-microblog-01")
    finally:
        srv.shutdown()
        thread.join(timeout=10)


NAV_KEYS = ["index", "overview", "geography", "agencies", "map", "timeline", "query", "site", "ontology"]
NAV_JS = (
    "sel => Array.from(document.querySelectorAll(sel),"
    " a => [a.dataset.egkNav, new URL(a.getAttribute('href'), document.baseURI).href.split('?')[0]])"
)
# every main page: the explorer in viz/ and in the site, the site's index, ontology and query page
MAIN_PAGES = (
    *(f"viz/{n}.html" for n in ("index", "overview", "geography", "agencies", "map", "timeline")),
    *(f"build/site/explorer/{n}.html" for n in ("index", "overview", "geography", "agencies", "map", "timeline")),
    "build/site/index.html",
    "build/site/ontology.html",
    "build/site/query.html",
)


@pytest.mark.parametrize("size", SIZES)
def test_every_main_page_has_the_same_bar_from_disk(tab, root: Path, shots: Path, size) -> None:
    """One bar everywhere: the same nine links, in the same order, each to a file that exists; within
    the site every page's bar reaches the same files. The current page is marked (none on the site's
    resource pages); on a phone the bar folds into its menu and still lists them all."""
    targets: dict[str, dict[str, str]] = {}
    t = tab((root / MAIN_PAGES[0]).as_uri(), size)
    p = t.page
    for rel in MAIN_PAGES:  # one tab going from page to page, as a reader does (a fresh one costs 0.2 s)
        if p.url != (root / rel).as_uri():
            p.goto((root / rel).as_uri())
        inline = p.evaluate(NAV_JS, ".egk-nav-inline a")
        menu = p.evaluate(NAV_JS, ".egk-nav-menu a")
        assert [k for k, _ in inline] == NAV_KEYS == [k for k, _ in menu], rel
        for key, href in inline:
            assert _file(href).is_file(), (rel, key, href)
        targets[rel] = dict(inline)
        if size == "mobile":
            assert not p.locator(".egk-nav-inline").is_visible() and p.locator(".egk-nav-menu summary").is_visible()
            p.click(".egk-nav-menu summary")
            for key in NAV_KEYS:
                assert p.locator(f".egk-nav-menu a[data-egk-nav='{key}']").is_visible(), (rel, key)
            p.screenshot(path=str(shots / f"nav-menu-{rel.replace('/', '_')}-{size}.png"))
        else:
            assert p.locator(".egk-nav-inline").is_visible(), rel
            bar = p.locator("nav.egk-nav").bounding_box()
            assert bar and bar["height"] < 60, (rel, bar)  # one line at 1440 px
        current = p.evaluate(
            "() => Array.from(document.querySelectorAll('.egk-nav-inline [aria-current=page]'), a => a.dataset.egkNav)"
        )
        name = rel.split("/")[-1]
        own = rel.startswith("build/site/") and "/explorer/" not in rel  # a page of the site, not the explorer
        site_keys = {"index.html": "site", "ontology.html": "ontology", "query.html": "query"}
        expected = site_keys[name] if own else name[:-5]
        assert current == [expected], (rel, current)
        assert p.evaluate("document.documentElement.scrollWidth") <= SIZES[size][0], rel
    assert not t.remote, "nothing was fetched from the network"
    site = [v for rel, v in targets.items() if rel.startswith("build/site/")]
    assert all(v == site[0] for v in site)
    viz = [v for rel, v in targets.items() if rel.startswith("viz/")]
    assert all(v == viz[0] for v in viz)
    assert {k: v for k, v in viz[0].items() if k in ("query", "site", "ontology")} == {
        k: v for k, v in site[0].items() if k in ("query", "site", "ontology")
    }


def test_the_bar_is_the_same_when_served(tab, kg, root: Path) -> None:
    """Served by `egovkg serve --linked-data`: the site's index, a resource page, the query page (also as
    /sparql, what a browser gets there) and the explorer's pages carry the same bar, and every link answers."""
    from egovkg.serve import make_server, serve_forever

    srv = make_server(kg, site_dir=root / "build" / "site")
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    try:
        seen = []
        paths = ("/", "/query.html", "/sparql", "/ontology.html", "/id/award/2012-government-microblog-01.html",
                 "/explorer/index.html", "/explorer/timeline.html", "/explorer/overview.html")
        t = tab(f"{srv.url}{paths[0]}", allow=srv.url + "/")
        for path in paths:  # one tab going from page to page (a fresh one costs 0.2 s)
            if path != paths[0]:
                t.page.goto(f"{srv.url}{path}")
            links = t.page.evaluate(NAV_JS, ".egk-nav-inline a")
            assert [k for k, _ in links] == NAV_KEYS, path
            seen.append(dict(links))
            assert all(href.startswith(srv.url + "/") for _key, href in links), (path, links)
        assert all(s == seen[0] for s in seen)
        for href in sorted(set(seen[0].values())):  # the same links everywhere: each asked for once
            assert t.page.request.get(href).status == 200, href
    finally:
        srv.shutdown()
        thread.join(timeout=10)


def test_map_numbers_equal_the_query(tab, root: Path) -> None:
    result = CliRunner().invoke(main, ["query", "awards-by-province", "--format", "csv"])
    assert result.exit_code == 0
    expected = {r["code"]: int(r["awards"]) for r in csv.DictReader(io.StringIO(result.stdout))}
    t = tab((root / "viz" / "map.html").as_uri())
    shown = t.page.evaluate(
        "() => Object.fromEntries(Array.from(document.querySelectorAll('.egk-tile'),"
        " a => [a.dataset.code, Number(a.querySelector('text.count').textContent)]))"
    )
    assert len(shown) == 35
    assert {k: v for k, v in shown.items() if v} == expected
    table = t.page.evaluate(
        "() => Object.fromEntries(Array.from(document.querySelectorAll('#egk-table tbody tr[data-code]'),"
        " tr => [tr.dataset.code, Number(tr.querySelector('td.num').textContent)]))"
    )
    assert table == shown
    # every count is drawn inside its square and readable
    for code in expected:
        box = t.page.locator(f"#tile-{code} text.count").bounding_box()
        tile = t.page.locator(f"#tile-{code} rect").bounding_box()
        assert box and tile and tile["x"] <= box["x"] and box["x"] + box["width"] <= tile["x"] + tile["width"]
        assert box["height"] >= 14


@pytest.mark.parametrize("size", SIZES)
def test_map_click_keyboard_and_url_state(tab, root: Path, shots: Path, size) -> None:
    url = (root / "viz" / "map.html").as_uri()
    t = tab(url, size)
    p = t.page
    p.click("#tile-110000")
    assert "province=110000" in p.url
    items = p.locator("#egk-details ol > li")
    assert items.count() == 5
    first = items.first.locator("a").first.get_attribute("href")
    assert first.startswith("../build/site/id/award/") and (root / "viz" / first).resolve().is_file()
    assert items.first.locator("a.egk-graphlink").get_attribute("href").startswith("./overview.html?node=award:")
    p.click("button[data-egk-setlang='en']")
    assert "lang=en" in p.url and p.locator("#egk-details h2 .egk-en").inner_text() == "Beijing"
    assert p.locator(".egk-nav-inline a[data-egk-nav='timeline']").get_attribute("href") == "./timeline.html?lang=en"
    p.screenshot(path=str(shots / f"map-selected-en-{size}.png"), full_page=False)
    p.reload()
    assert p.evaluate("document.documentElement.dataset.egkLang") == "en"
    assert p.locator("#tile-110000").get_attribute("aria-current") == "true"
    assert p.locator("#egk-details ol > li").count() == 5
    # keyboard: from Beijing right to Tianjin? no: Beijing (4,1) -> the next square right is Liaoning (6,1)
    p.focus("#tile-110000")
    p.keyboard.press("ArrowDown")
    assert p.evaluate("document.activeElement.id") == "tile-130000"
    p.keyboard.press("Enter")
    p.wait_for_function("() => location.search.includes('province=130000')", timeout=5000)
    assert p.locator("#tile-130000").get_attribute("aria-current") == "true"
    p.focus("#tile-110000")
    p.keyboard.press("Space")
    p.wait_for_function("() => location.search.includes('province=110000')", timeout=5000)
    p.focus("#tile-130000")
    p.keyboard.press("Enter")
    p.wait_for_function("() => location.search.includes('province=130000')", timeout=5000)
    assert p.locator("#egk-details").inner_text().count("No awarded practice") == 1
    assert not t.errors and not t.dialogs


def _marks(p: Any) -> list[dict[str, Any]]:
    return p.evaluate(
        """() => Array.from(document.querySelectorAll('#egk-tl-body .egk-tl-item'), g => {
            const m = g.querySelector('.mark');
            const x = m.tagName === 'circle' ? Number(m.getAttribute('cx')) : Number(m.getAttribute('x'));
            return {id: g.dataset.id, order: Number(g.dataset.order), start: Number(g.dataset.start), x};
        })"""
    )


@pytest.mark.parametrize("size", SIZES)
def test_timeline_is_proportional_and_in_true_order(tab, root: Path, size) -> None:
    t = tab((root / "viz" / "timeline.html").as_uri(), size)
    p = t.page
    marks = _marks(p)
    assert [m["order"] for m in marks] == list(range(len(marks)))  # DOM (and Tab) order is time order
    by = {m["id"]: m for m in marks}
    assert by["milestone:2012-05"]["order"] < by["milestone:2012-07"]["order"] < by["milestone:2012"]["order"]
    # proportional inside the stretch 1990-2013: one slope for every item in it
    inside = [m for m in marks if m["start"] >= 1990]
    a, b = by["milestone:1990s"], by["milestone:2006"]
    slope = (b["x"] - a["x"]) / (b["start"] - a["start"])
    assert slope > 10
    for m in inside:
        assert abs(a["x"] + (m["start"] - a["start"]) * slope - m["x"]) < 0.6, m
    # 1970-1980 has the same scale; the 1980s are cut out and marked
    before = by["milestone:1970s"]
    assert b["x"] - before["x"] < (b["start"] - before["start"]) * slope
    assert p.locator("#egk-tl-body rect.egk-break").count() == 1
    # the ruler stays visible when the timeline scrolls down
    p.evaluate("document.getElementById('egk-tl-scroll').scrollTop = 400")
    ruler = p.locator("#egk-tl-ruler").bounding_box()
    box = p.locator("#egk-tl-scroll").bounding_box()
    assert ruler and box and abs(ruler["y"] - box["y"]) <= 2
    years = p.evaluate(
        "Array.from(document.querySelectorAll('#egk-tl-ruler text[data-year]'), t => Number(t.dataset.year))"
    )
    assert 1970 in years and 1990 in years
    assert p.evaluate("document.documentElement.scrollWidth") <= SIZES[size][0]
    assert not t.errors


@pytest.mark.parametrize("size", SIZES)
def test_the_blank_neighbourhood_page_offers_places_to_start(tab, root: Path, shots: Path, size) -> None:
    """Opened without #focus= (from the bar's pages or typed), the page is not a blank canvas: it names
    a few well-connected entities, and one click draws a neighbourhood."""
    t = tab((root / "viz" / "neighbourhood.html").as_uri(), size)
    p = t.page
    p.wait_for_selector("#empty .start-btn", timeout=30_000)
    names = p.evaluate("Array.from(document.querySelectorAll('#empty .start-btn'), b => b.textContent)")
    assert len(names) == 4 and "中国" in names and all(names)
    p.screenshot(path=str(shots / f"neighbourhood-blank-{size}.png"))
    p.click("#empty .start-btn >> nth=0")
    p.wait_for_function("document.getElementById('empty').hidden")
    assert "focus=agency" in unquote(p.url)
    assert p.evaluate("network.body.data.nodes.length") > 5
    assert not t.errors


@pytest.mark.parametrize("size", SIZES)
def test_timeline_legend_brings_each_band_into_the_box(tab, root: Path, size) -> None:
    """The bands below the timeline box's fold (policy documents, programmes) are one click away."""
    t = tab((root / "viz" / "timeline.html").as_uri(), size)
    p = t.page
    box = p.locator("#egk-tl-scroll")
    heads = p.locator("#egk-tl-body text.egk-band")
    kinds = p.evaluate("Array.from(document.querySelectorAll('.egk-band-jump'), b => b.dataset.kind)")
    assert kinds == ["milestone", "selection", "document", "programme"]
    for i, kind in enumerate(kinds):
        p.click(f".egk-band-jump[data-kind={kind}]")
        head, frame = heads.nth(i).bounding_box(), box.bounding_box()
        assert head and frame and frame["y"] + 30 <= head["y"] <= frame["y"] + frame["height"] - head["height"], kind
    assert not t.errors


def test_the_library_timeline_is_drawn_to_scale(tab, root: Path, shots: Path) -> None:
    """kg.view("timeline") (as a notebook shows it, or saved beside viz/) draws the build's to-scale
    timeline: one slope across 1990-2013, the 1980s cut out as a break, the focus selected, in English."""
    import egovkg

    view = egovkg.open().view("timeline", lang="en", focus="milestone:2006")
    path = view.save(root / "viz" / "library-timeline.html")
    t = tab(path.as_uri())
    p = t.page
    marks = _marks(p)
    by = {m["id"]: m for m in marks}
    a, b = by["milestone:1990s"], by["milestone:2006"]
    slope = (b["x"] - a["x"]) / (b["start"] - a["start"])
    assert slope > 10
    for m in marks:
        if m["start"] >= 1990:
            assert abs(a["x"] + (m["start"] - a["start"]) * slope - m["x"]) < 0.6, m
    assert p.locator("#egk-tl-body rect.egk-break").count() == 1
    assert p.evaluate("document.documentElement.dataset.egkLang") == "en"
    assert p.locator("#egk-tl-body .egk-tl-item[data-id='milestone:2006']").get_attribute("class").endswith("selected")
    assert "2006" in p.locator("#egk-details").inner_text()
    p.screenshot(path=str(shots / "library-timeline-en-desktop.png"))
    assert not t.errors


def test_timeline_keyboard_zoom_and_url_state(tab, root: Path, shots: Path) -> None:
    url = (root / "viz" / "timeline.html").as_uri()
    t = tab(url)
    p = t.page
    p.focus("#egk-tl-body .egk-tl-item[data-order='0']")
    p.keyboard.press("Enter")
    assert "node=milestone:1970s" in unquote(p.url)
    p.keyboard.press("ArrowRight")
    p.keyboard.press("ArrowRight")
    second = _marks(p)[2]["id"]
    assert f"node={second}" in unquote(p.url)
    assert p.evaluate("document.activeElement.dataset.id") == second
    p.click("#egk-zoom-in")
    assert "zoom=" in p.url
    p.click("button[data-egk-setlang='en']")
    shared = p.url
    again = tab(shared)
    q = again.page
    assert q.evaluate("document.documentElement.dataset.egkLang") == "en"
    assert q.locator(f"#egk-tl-body .egk-tl-item[data-id='{second}']").get_attribute("class").endswith("selected")
    assert q.locator("#egk-scale").inner_text() == p.locator("#egk-scale").inner_text()
    q.screenshot(path=str(shots / "timeline-selected-en-desktop.png"))
    with q.expect_download() as d:
        q.click("#egk-csv")
    text = Path(d.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "order,date,start,end,kind,name_zh,name_en,id"
    with q.expect_download() as d:
        q.click("#egk-png")
    assert Path(d.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not t.errors and not again.errors


def test_map_exports(tab, root: Path) -> None:
    t = tab((root / "viz" / "map.html").as_uri())
    with t.page.expect_download() as d:
        t.page.click("#egk-csv")
    rows = list(csv.reader(io.StringIO(Path(d.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][:4] == ["code", "province_zh", "province_en", "awards"] and rows[1][:4] == [
        "000000",
        "中国（中央）",
        "China (national)",
        "8",
    ]
    with t.page.expect_download() as d:
        t.page.click("#egk-png")
    assert Path(d.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not t.errors


def test_hostile_labels_show_as_text_and_run_nothing(tab, graph, kg, tmp_path: Path) -> None:
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDFS

    from egovkg.publish.explorer import render_map, render_timeline

    hostile = '<img src=x onerror=alert(1)></script><script>alert(2)</script>"\u2028'
    g = Graph()
    for t in graph:
        g.add(t)
    for node in (URIRef(kg.base + "practice/2012-management-innovation-07"), URIRef(kg.base + "milestone/2001")):
        for lit in list(g.objects(node, RDFS.label)):
            g.remove((node, RDFS.label, lit))
        g.add((node, RDFS.label, Literal(hostile, lang="zh")))
    (tmp_path / "map.html").write_text(render_map(g, kg.base), encoding="utf-8")
    (tmp_path / "timeline.html").write_text(render_timeline(g, kg.base), encoding="utf-8")
    t = tab((tmp_path / "map.html").as_uri() + "?province=110000")
    assert hostile.strip("\u2028") in t.page.locator("#egk-details").inner_text()
    assert t.page.locator("#egk-details img, #egk-table img").count() == 0
    u = tab((tmp_path / "timeline.html").as_uri() + "?node=milestone:2001")
    assert "onerror=alert(1)" in u.page.locator("#egk-details h2").inner_text()
    assert not t.dialogs and not u.dialogs and not t.errors and not u.errors


def test_explorer_scripts_run_when_served(tab, kg, root: Path) -> None:
    from egovkg.serve import make_server, serve_forever

    srv = make_server(kg, site_dir=root / "build" / "site")
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    try:
        t = tab(f"{srv.url}/explorer/timeline.html?node=milestone:2012-05", allow=srv.url + "/")
        assert t.page.locator("#egk-tl-body .egk-tl-item").count() > 0
    finally:
        srv.shutdown()
        thread.join(timeout=10)
