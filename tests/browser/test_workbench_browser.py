"""The query workbench (query.html) in headless Chromium, static and served.

Static: the workbench's files of a real site (the page, its scripts, the vendored editor and
engine, the N-Triples dump) are written to a temporary folder and served by Python's plain
http.server, as a user would with `python -m http.server`; queries run in Oxigraph's
WebAssembly build in a Web Worker. Every catalogue report gives the same CSV, TSV and JSON bytes
as `egovkg query NAME --format`, run in-process on the same graph.

Served: the linked-data server (egovkg.serve) serves the same page and answers
/sparql, so the page sends its queries there. Every test fails on a request that leaves
127.0.0.1 (a route aborts and records it).
"""

from __future__ import annotations

import csv
import functools
import html
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from egovkg.cli import main
from egovkg.paths import Layout
from egovkg.publish.site import Site
from egovkg.publish.workbench import CSP as WORKBENCH_CSP
from egovkg.sparql.catalogue import load_catalogue

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 6,917³ rows: never ends
# example parameters beyond the defaults (as in queries/README.md)
EXAMPLES = {
    "label-search": {"q": "qingdao", "lang": "zh-Latn-pinyin"},
    "awards-in-region": {"region": "https://w3id.org/egovkg/id/region/320000"},
    "fact-provenance": {"entity": "https://w3id.org/egovkg/id/agency/qingdao-egov-office"},
}
QINGDAO = "https://w3id.org/egovkg/id/agency/qingdao-egov-office"


def workbench_paths(site: Site) -> list[str]:
    return [
        p
        for p in site.paths()
        if p == "query.html" or p.startswith("assets/") or p == "dump/egovkg.nt" or p == "index.html"
    ]


@pytest.fixture(scope="module")
def site(kg) -> Site:
    return Site(kg, layout=Layout.default())


@pytest.fixture(scope="module")
def static_dir(site: Site, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("workbench") / "site"
    for rel in workbench_paths(site):
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(site.render(rel))
    return out


class _Quiet(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm", ".js": "text/javascript"}

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def static_url(static_dir: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(static_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Tab:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.outside: list[str] = []

    def ready(self, timeout: float = 120_000) -> None:
        self.page.wait_for_selector("body[data-ready]", state="attached", timeout=timeout)
        assert self.page.get_attribute("body", "data-ready") == "1", self.page.inner_text("#wb-mode")

    def js(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def run(self, name: str | None = None, params: dict[str, str] | None = None, text: str | None = None) -> str:
        """Run a catalogue query (or text) the way a user does: select, fill the inputs, press Run."""
        if name is not None:
            self.js("n => egovkgWorkbench.select(n)", name)
        if text is not None:
            self.js("t => egovkgWorkbench.setText(t)", text)
        for k, v in (params or {}).items():
            self.page.fill(f'[data-param="{k}"]', v)
        self.js("() => { document.body.dataset.state = ''; }")
        self.page.click("#wb-run")
        self.page.wait_for_selector(
            "body[data-state=done], body[data-state=error], body[data-state=timeout]", state="attached", timeout=120_000
        )
        return self.page.get_attribute("body", "data-state")

    def export(self, fmt: str) -> bytes:
        return self.js("f => egovkgWorkbench.exportText(f)", fmt).encode("utf-8")


@pytest.fixture
def tabs(browser) -> Iterator[Any]:
    opened: list[Tab] = []

    def _open(url: str, *, size: tuple[int, int] = WIDTHS["desktop"], wait: bool = True) -> Tab:
        context = browser.new_context(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
        page = context.new_page()
        tab = Tab(page)
        page.on("pageerror", lambda e: tab.errors.append(f"pageerror: {e}"))
        # the probe of ./sparql is a 404 on a static server, by design, and a syntax error a 400 reply
        handled = ("status of 404", "status of 400")
        page.on(
            "console",
            lambda m: (
                tab.errors.append(m.text) if m.type == "error" and not any(h in m.text for h in handled) else None
            ),
        )

        def route(r: Any) -> None:
            host = urlsplit(r.request.url).hostname
            if host == "127.0.0.1":
                r.continue_()
            else:
                tab.outside.append(r.request.url)
                r.abort()

        context.route("http://**/*", route)
        context.route("https://**/*", route)
        context.route("ws://**/*", route)
        page.on(
            "request",
            lambda r: (
                None if r.url.startswith(("http://127.0.0.1", "file:", "data:", "blob:")) else tab.outside.append(r.url)
            ),
        )
        page.goto(url)
        if wait:
            tab.ready()
        opened.append(tab)
        return tab

    yield _open
    for tab in opened:
        assert not tab.outside, f"requests left the machine: {tab.outside}"
        assert not tab.errors, tab.errors
        tab.page.context.close()


@functools.cache
@functools.cache  # the shipped graph does not change while the tests run
def cli(name: str, fmt: str, params: tuple[tuple[str, str], ...] = ()) -> bytes:
    args = ["query", name, "--format", fmt]
    for k, v in params:
        args += ["--param", f"{k}={v}"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def reports() -> list[str]:
    return [q.name for q in load_catalogue(Layout.default().queries).values() if not q.is_check]


def cases() -> list[tuple[str, dict[str, str]]]:
    out = [(name, {}) for name in reports()]
    out += sorted(EXAMPLES.items())
    return out


def test_every_catalogue_query_gives_the_cli_bytes(tabs, static_url: str) -> None:
    """Each report, with its defaults and with the README's example parameters: CSV, TSV and JSON
    downloads are byte for byte `egovkg query NAME --format …`; the table shows the CLI's rows."""
    tab = tabs(f"{static_url}/query.html")
    catalogue = load_catalogue(Layout.default().queries)
    checked = []
    for name, params in cases():
        assert tab.run(name, params) == "done", (name, tab.page.inner_text("#wb-error"))
        given = tuple(sorted(params.items()))
        if tab.js("() => egovkgWorkbench.last.result.kind") == "graph":
            page_nt = set(tab.export("nt").decode().splitlines()) - {""}
            cli_nt = set(cli(name, "nt", given).decode().splitlines()) - {""}
            assert page_nt == cli_nt, name
            checked.append(name)
            continue
        for fmt in ("csv", "tsv", "json"):
            assert tab.export(fmt) == cli(name, fmt, given), (name, params, fmt)
        expected = list(csv.reader(io.StringIO(cli(name, "csv", given).decode("utf-8"))))
        shown = tab.js("() => document.querySelectorAll('.wb-table tbody tr').length")
        assert shown == len(expected) - 1, name
        header = tab.js("() => Array.from(document.querySelectorAll('.wb-table thead th'), th => th.textContent)")
        if expected[1:]:
            assert header[1:] == ["?" + v for v in expected[0]], name
        checked.append(name)
    assert set(checked) >= {q for q in catalogue if not catalogue[q].is_check}
    assert len(checked) == len(cases())


def test_a_download_is_the_file_the_cli_writes(tabs, static_url: str, tmp_path: Path) -> None:
    tab = tabs(f"{static_url}/query.html")
    assert tab.run("awards-by-province") == "done"
    with tab.page.expect_download() as info:
        tab.page.click('.wb-downloads button[data-format="csv"]')
    path = tmp_path / "dl.csv"
    info.value.save_as(path)
    assert info.value.suggested_filename == "awards-by-province.csv"
    assert path.read_bytes() == cli("awards-by-province", "csv")


def test_parameters_are_bound_as_terms_not_pasted(tabs, static_url: str) -> None:
    tab = tabs(f"{static_url}/query.html")
    hostile = '"} ; DROP ALL ; #'
    assert tab.run("label-search", {"q": hostile}) == "done"
    assert tab.export("csv") == cli("label-search", "csv", (("q", hostile),))
    text = tab.js("() => egovkgWorkbench.last.binding.text")
    assert "VALUES (?q ?lang)" in text and '"\\"} ; DROP ALL ; #"' in text
    # the editor keeps the catalogue text: the value lives in the input only
    assert hostile not in tab.js("() => document.querySelector('.CodeMirror').CodeMirror.getValue()")
    assert tab.run("awards-in-region", {"region": "not an iri"}) == "error"
    assert "is not an absolute IRI" in tab.page.inner_text("#wb-error")


def test_shareable_url_round_trips_and_reruns(tabs, static_url: str) -> None:
    first = tabs(f"{static_url}/query.html")
    region = "https://w3id.org/egovkg/id/region/320000"
    assert first.run("awards-in-region", {"region": region}) == "done"
    url = first.js("() => egovkgWorkbench.shareURL()")
    assert url == first.page.url  # the address bar holds it after a run
    q = parse_qs(urlsplit(url).query)
    catalogue = load_catalogue(Layout.default().queries)
    assert q["query"] == [catalogue["awards-in-region"].text]  # the text as written, the value apart
    assert q["p.region"] == [region]
    second = tabs(url)
    second.page.wait_for_selector("body[data-state=done]", state="attached", timeout=60_000)
    assert second.page.input_value('[data-param="region"]') == region
    assert second.export("csv") == first.export("csv") == cli("awards-in-region", "csv", (("region", region),))
    assert second.js("() => egovkgWorkbench.shareURL()") == url
    about = second.page.inner_text("#wb-about")
    assert "awards-in-region" in about


def cli_error(text: str, tmp_path: Path) -> tuple[int, int]:
    rq = tmp_path / "broken.rq"
    rq.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["query", str(rq)])
    m = re.search(r"broken\.rq:(\d+):(\d+): SPARQL syntax error", result.output)
    assert m, result.output
    return int(m.group(1)), int(m.group(2))


def test_syntax_error_names_line_and_column_as_the_cli_does(tabs, static_url: str, tmp_path: Path) -> None:
    tab = tabs(f"{static_url}/query.html")
    plain = "SELECT ?s\nWHERE {\n  ?s ?p ?o .\n  FILTER(?s = )\n}\n"
    assert tab.run(text=plain) == "error"
    where = tab.page.locator(".wb-where")
    line, col = cli_error(plain, tmp_path)
    assert (int(where.get_attribute("data-line")), int(where.get_attribute("data-col"))) == (line, col)
    assert f"line {line}, column {col}" in tab.page.inner_text("#wb-error")
    assert f"第 {line} 行第 {col} 列" in tab.page.inner_text("#wb-error")
    assert tab.page.locator(".wb-syntax-error").count() == 1  # marked in the editor
    # in a query with parameters the VALUES block is not counted: positions are the editor's
    text = load_catalogue(Layout.default().queries)["awards-in-region"].text.replace(
        "?award a egov:Award", "?award a egov:Award ]", 1
    )
    assert text.count("]") > load_catalogue(Layout.default().queries)["awards-in-region"].text.count("]")
    assert tab.run(text=text) == "error"
    where = tab.page.locator(".wb-where")
    assert (int(where.get_attribute("data-line")), int(where.get_attribute("data-col"))) == cli_error(text, tmp_path)


def test_time_limit_stops_the_query_and_the_engine_comes_back(tabs, static_url: str) -> None:
    tab = tabs(f"{static_url}/query.html?timeout=1")
    assert tab.page.input_value("#wb-timeout") == "1"
    t0 = time.monotonic()
    assert tab.run(text=HEAVY) == "timeout"
    assert time.monotonic() - t0 < 20
    message = tab.page.inner_text("#wb-error")
    assert "1 s" in message and "超过时限" in message and "Time limit" in message
    tab.page.fill("#wb-timeout", "30")
    assert tab.run("dataset-summary") == "done"  # a new worker, the dump loaded again
    assert tab.export("csv") == cli("dataset-summary", "csv")


def test_views_follow_the_shape_of_the_result(tabs, static_url: str, artifacts: Path) -> None:
    tab = tabs(f"{static_url}/query.html")
    out = artifacts.parent / "workbench"
    out.mkdir(exist_ok=True)
    assert tab.run("awards-by-province") == "done"
    views = tab.js("() => Array.from(document.querySelectorAll('#wb-tabs button'), b => b.dataset.view)")
    assert views == ["table", "map", "chart"]
    tab.page.click('#wb-tabs button[data-view="map"]')
    assert tab.page.get_attribute('.wb-tile[data-code="110000"]', "data-count") == "5"  # Beijing
    assert tab.page.get_attribute('.wb-tile[data-code="320000"]', "data-count") == "4"  # Jiangsu
    assert tab.page.get_attribute(".wb-national", "data-count") == "8"
    tab.page.click('#wb-tabs button[data-view="chart"]')
    assert tab.page.locator(".wb-bars li").count() == 17
    assert tab.run("policy-timeline") == "done"
    assert "timeline" in tab.js("() => Array.from(document.querySelectorAll('#wb-tabs button'), b => b.dataset.view)")
    tab.page.click('#wb-tabs button[data-view="timeline"]')
    dates = tab.js("() => Array.from(document.querySelectorAll('.wb-when'), e => e.textContent)")
    assert dates and dates == sorted(dates)
    assert tab.run("microblog-accounts") == "done"
    tab.page.click('#wb-tabs button[data-view="graph"]')
    tab.page.wait_for_selector(".wb-graph canvas")
    assert int(tab.page.get_attribute(".wb-graph", "data-edges")) > 0
    assert tab.run("describe-entity") == "done"
    assert tab.js("() => Array.from(document.querySelectorAll('#wb-tabs button'), b => b.dataset.view)") == [
        "table",
        "graph",
    ]


def test_clicking_an_entity_shows_the_announcement_characters(tabs, static_url: str, source_text: str) -> None:
    tab = tabs(f"{static_url}/query.html")
    assert tab.run("label-search", EXAMPLES["label-search"]) == "done"
    tab.page.click(f'.wb-entity[data-iri="{QINGDAO}"]')
    tab.page.wait_for_selector("#wb-provenance[data-state=done]", state="attached")
    quotes = tab.page.locator("#wb-provenance figure.quote")
    assert quotes.count() == 2
    first = quotes.nth(0)
    assert (first.get_attribute("data-start"), first.get_attribute("data-end")) == ("1459", "1476")
    assert first.locator("mark").inner_text() == "青岛市电子政务和信息资源管理办公室" == source_text[1459:1476]
    sentence = first.locator("blockquote").inner_text()
    assert len(sentence) > len("青岛市电子政务和信息资源管理办公室")  # its sentence around it
    assert sentence in source_text.replace("\r\n", "\n")
    # a region's page link, and a curated entity without a span says so
    assert (
        tab.page.locator("#wb-provenance .wb-prov-entity a").get_attribute("href")
        == "id/agency/qingdao-egov-office.html"
    )


def test_links_go_to_resource_pages_of_the_site(tabs, static_url: str, site: Site) -> None:
    tab = tabs(f"{static_url}/query.html")
    assert tab.run("winners-by-category") == "done"
    hrefs = tab.js("() => Array.from(document.querySelectorAll('.wb-table a.wb-page'), a => a.getAttribute('href'))")
    assert len(hrefs) == 40  # one award per row
    paths = set(site.paths())
    assert all(h in paths for h in hrefs), [h for h in hrefs if h not in paths][:5]
    labels = tab.js("() => Array.from(document.querySelectorAll('.wb-table .wb-entity'), b => b.textContent)")
    assert len(labels) == 40
    assert all("管理创新类" in x and "Management Innovation" in x for x in labels[:10])  # zh · en, not a CURIE


def test_index_links_to_the_workbench(site: Site) -> None:
    index = site.render("index.html").decode()
    assert 'href="query.html"' in index
    page = site.render("query.html").decode()
    assert WORKBENCH_CSP in html.unescape(page) and "https://" not in re.sub(
        r'<script type="application/json".*?</script>', "", page, flags=re.S
    ).replace("https://creativecommons", "")


def test_from_file_it_says_why_and_how_to_serve(browser, static_dir: Path) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto((static_dir / "query.html").as_uri())
    page.wait_for_selector("body[data-ready=file]", state="attached", timeout=30_000)
    message = page.inner_text("#wb-mode")
    assert "python3 -m http.server" in message and str(static_dir) in message
    assert "file://" in message
    assert page.locator(".wb-example").count() == len(load_catalogue(Layout.default().queries))  # examples still there
    assert page.is_disabled("#wb-run")
    context.close()


def test_screenshots_and_load_time(tabs, static_url: str, static_dir: Path, artifacts: Path) -> None:
    """Screenshots at both widths; the weight of the static page and the time to the first answer."""
    out = artifacts.parent / "workbench"
    out.mkdir(exist_ok=True)
    timings = {}
    for label, size in WIDTHS.items():
        t0 = time.monotonic()
        tab = tabs(f"{static_url}/query.html", size=size)
        ready = time.monotonic() - t0
        assert tab.run("awards-by-province") == "done"
        first = time.monotonic() - t0
        timings[label] = {"ready_s": round(ready, 2), "first_answer_s": round(first, 2)}
        tab.page.screenshot(path=str(out / f"static-{label}.png"), full_page=True)
        tab.page.click(".wb-entity >> nth=1")
        tab.page.wait_for_selector("#wb-provenance[data-state=done]", state="attached")
        tab.page.screenshot(path=str(out / f"provenance-{label}.png"), full_page=True)
        tab.page.click('#wb-tabs button[data-view="map"]')
        tab.page.screenshot(path=str(out / f"map-{label}.png"), full_page=True)
        # nothing wider than the window at either width
        overflow = tab.js("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{label}: the page is {overflow}px wider than the window"
    loaded = [
        "query.html",
        "assets/site.css",
        "assets/query/query.css",
        "assets/query/query.js",
        "assets/query/worker.js",
        "assets/query/terms.json",
        "assets/vendor/yasqe-4.6.2/yasqe.min.js",
        "assets/vendor/yasqe-4.6.2/yasqe.min.css",
        "assets/vendor/vis-network-9.1.2/vis-network.min.js",
        "assets/vendor/oxigraph-0.5.11/web.js",
        "assets/vendor/oxigraph-0.5.11/web_bg.wasm",
        "dump/egovkg.nt",
    ]
    weight = {rel: (static_dir / rel).stat().st_size for rel in loaded}
    (out / "timings.json").write_text(
        json.dumps({"timings": timings, "bytes": weight, "total_bytes": sum(weight.values())}, indent=1)
    )


# -- served: the page behind the linked-data server, queries sent to its /sparql -----------------


@pytest.fixture(scope="module")
def served_url(kg) -> Iterator[str]:
    """`egovkg serve --linked-data`'s server: it sends query.html with the workbench's own
    Content-Security-Policy (egovkg.publish.site.csp_for), every other page with the site's."""
    from egovkg.serve import make_server, serve_forever

    server = make_server(kg)
    thread = threading.Thread(target=serve_forever, args=(server,), daemon=True)
    thread.start()
    yield server.url
    server.shutdown()
    thread.join(10)


def test_served_page_sends_queries_to_the_endpoint(tabs, served_url: str, artifacts: Path) -> None:
    tab = tabs(f"{served_url}/query.html")
    assert tab.js("() => egovkgWorkbench.mode") == "served"
    sent: list[str] = []
    tab.page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/sparql") and r.method == "POST" else None)
    for name, params in cases():
        assert tab.run(name, params) == "done", (name, tab.page.inner_text("#wb-error"))
        given = tuple(sorted(params.items()))
        if tab.js("() => egovkgWorkbench.last.result.kind") == "graph":
            assert set(tab.export("nt").decode().splitlines()) - {""} == set(
                cli(name, "nt", given).decode().splitlines()
            ) - {""}
            continue
        for fmt in ("csv", "tsv", "json"):
            assert tab.export(fmt) == cli(name, fmt, given), (name, params, fmt)
    assert len(sent) >= len(cases())
    out = artifacts.parent / "workbench"
    out.mkdir(exist_ok=True)
    tab.page.screenshot(path=str(out / "served-desktop.png"), full_page=True)


def test_served_share_url_and_syntax_error(tabs, served_url: str, tmp_path: Path) -> None:
    first = tabs(f"{served_url}/query.html")
    assert first.run("label-search", EXAMPLES["label-search"]) == "done"
    second = tabs(first.js("() => egovkgWorkbench.shareURL()"))
    second.page.wait_for_selector("body[data-state=done]", state="attached", timeout=60_000)
    assert second.export("csv") == cli("label-search", "csv", tuple(sorted(EXAMPLES["label-search"].items())))
    text = "SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTER(?s = )\n}\n"
    assert second.run(text=text) == "error"
    where = second.page.locator(".wb-where")
    assert (int(where.get_attribute("data-line")), int(where.get_attribute("data-col"))) == cli_error(text, tmp_path)


def test_the_page_binds_parameters_exactly_as_egovkg_query(tabs, static_url: str) -> None:
    """The page's port of egovkg.query.bind gives the same text for every catalogue query with
    parameters, with defaults and with awkward values (quotes, backslashes, \\u, line breaks)."""
    from egovkg.sparql.catalogue import bind

    tab = tabs(f"{static_url}/query.html")
    catalogue = load_catalogue(Layout.default().queries)
    awkward = {
        "string": "a\"b\\u0041\\c\nd\te'f",
        "lang": "ZH-Latn-Pinyin",
        "integer": "+0042",
        "year": "2012",
        "iri": "https://w3id.org/egovkg/id/x/\u9752",
    }
    tried = 0
    for q in catalogue.values():
        if not q.params:
            continue
        for given in ({}, {p.name: awkward[p.type] for p in q.params}):
            page = tab.js(
                "([t, g]) => egovkgWorkbench.bind(t, egovkgWorkbench.parseHeader(t).params, g).text",
                [q.text, given],
            )
            assert page == bind(q, given), (q.name, given)
            tried += 1
    assert tried >= 10


def test_hostile_labels_are_text_in_results_and_provenance(tabs, kg, tmp_path_factory) -> None:
    from tests.test_site import HOSTILE_EN, HOSTILE_ZH, hostile_kg

    site = Site(hostile_kg(kg), layout=Layout.default())
    out = tmp_path_factory.mktemp("workbench-hostile")
    for rel in workbench_paths(site):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(site.render(rel))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        tab = tabs(f"http://127.0.0.1:{server.server_address[1]}/query.html")
        dialogs: list[str] = []
        tab.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        text = (
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            'SELECT ?agency ?l WHERE { ?agency rdfs:label ?l . FILTER(CONTAINS(?l, "<")) }'
        )
        assert tab.run(text=text) == "done"
        evil = "https://w3id.org/egovkg/id/agency/evil"
        button = tab.page.locator(f'.wb-entity[data-iri="{evil}"]').first
        assert HOSTILE_ZH in button.inner_text() and HOSTILE_EN in button.inner_text()
        button.click()
        tab.page.wait_for_selector("#wb-provenance[data-state=done]", state="attached")
        assert HOSTILE_ZH in tab.page.inner_text("#wb-provenance")
        assert tab.page.locator("#wb-results img, #wb-provenance img, #wb-results script").count() == 0
        tab.page.wait_for_timeout(300)
        assert not dialogs
    finally:
        server.shutdown()
        server.server_close()


def _hints(tab: Tab, text: str) -> list[str]:
    tab.js("t => egovkgWorkbench.setText(t)", text)
    tab.js(
        "() => { const cm = document.querySelector('.CodeMirror').CodeMirror; cm.focus(); cm.execCommand('goDocEnd')}"
    )
    tab.page.keyboard.press("Control+Space")
    tab.page.wait_for_selector(".CodeMirror-hint", timeout=10_000)
    hints = tab.js("() => Array.from(document.querySelectorAll('.CodeMirror-hint'), e => e.textContent)")
    tab.page.keyboard.press("Escape")
    return hints


def test_editor_highlights_and_completes_the_graphs_prefixes_and_terms(tabs, static_url: str) -> None:
    tab = tabs(f"{static_url}/query.html")
    egov = "PREFIX egov: <https://w3id.org/egovkg/ontology#>\nSELECT * WHERE {\n"
    assert "egov:Award" in _hints(tab, egov + "  ?x a egov:Aw")  # classes after a / rdf:type
    assert "egov:agencyKind" in _hints(tab, egov + "  ?x egov:agen")  # properties in predicate position
    assert "region: <https://w3id.org/egovkg/id/region/>" in _hints(tab, "PREFIX reg")  # the graph's prefixes
    assert tab.page.locator(".CodeMirror .cm-keyword").count() > 0  # SPARQL highlighting


def test_results_on_a_phone_are_cards_that_fit_the_width(tabs, served_url: str, artifacts: Path) -> None:
    """At 390 px no result scrolls sideways: each row is a card of '?var value' lines (the header row
    stays for screen readers); at 1440 px the same results are a table with its header row."""
    fits = (
        "() => { const w = document.querySelector('.wb-table-wrap'); const t = document.querySelector('.wb-table');"
        " return { wrap: w ? [w.scrollWidth, w.clientWidth] : null, page: document.documentElement.scrollWidth,"
        " table: t ? getComputedStyle(t).display : null,"
        " row: t ? getComputedStyle(t.querySelector('tbody tr')).display : null,"
        " head: t ? t.querySelector('thead').getBoundingClientRect().height : null,"
        " label: t ? getComputedStyle(t.querySelector('tbody td[data-var]'), '::before').content : null } }"
    )
    phone = tabs(f"{served_url}/query.html", size=WIDTHS["phone"])
    desk = tabs(f"{served_url}/query.html", size=WIDTHS["desktop"])
    out = artifacts.parent / "workbench"
    out.mkdir(exist_ok=True)
    shown = 0
    for name, params in cases():
        assert phone.run(name, params) == "done", name
        if phone.js("() => egovkgWorkbench.last.result.kind") != "select" or not phone.js(fits)["wrap"]:
            continue
        f = phone.js(fits)
        shown += 1
        assert f["wrap"][0] <= f["wrap"][1], (name, f)
        assert f["page"] <= WIDTHS["phone"][0], (name, f)
        assert f["row"] == "block" and f["head"] <= 1, (name, f)
        first = phone.js("() => document.querySelector('.wb-table tbody td[data-var]').dataset.var")
        assert f["label"] == f'"?{first}"', (name, f)
        if name == "awards-by-province":
            phone.page.screenshot(path=str(out / "cards-phone.png"), full_page=True)
    assert shown >= 20
    assert desk.run("awards-by-province") == "done"
    f = desk.js(fits)
    assert f["table"] == "table" and f["row"] == "table-row" and f["head"] > 10
