"""The linked-data site in headless Chromium: crawled over file://, offline, attacked, and served over HTTP.

The crawl starts at index.html and follows links. It opens every index page (index.html,
ontology.html, class/**) and a fixed sample of about 100 resource pages, at least one per folder
(each id/<kind>/, ontology/, vocab/<prefix>/); every link on an opened page must resolve to a file
of the site. Opening all ~935 pages takes about a minute: set EGOVKG_FULL_CRAWL=1 for that.
tests/test_site.py checks every link of every page without a browser.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from egovkg.publish.site import build_site
from egovkg.serve import make_server, serve_forever
from tests.test_site import AWARD, HOSTILE_EN, HOSTILE_QUOTE, HOSTILE_ZH, hostile_kg

SAMPLE = 100
PAGE_JS = """() => ({
  links: Array.from(document.querySelectorAll('a[href], link[href]'), e => e.href),
  ids: Array.from(document.querySelectorAll('[id]'), e => e.id),
  header: getComputedStyle(document.querySelector('nav.egk-nav')).display,
})"""


@dataclass
class Watched:
    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def watched(browser) -> Iterator[Any]:
    contexts = []

    def _open(allow: str | None = None) -> Watched:
        """A page that records console errors, dialogs and every request off the machine (or off ``allow``)."""
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        w = Watched(page)
        page.on("console", lambda m: w.errors.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: w.errors.append(f"pageerror: {e}"))

        def on_dialog(d: Any) -> None:
            w.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.on("dialog", on_dialog)
        local = ("file:", "data:", "about:", *((allow,) if allow else ()))
        page.on("request", lambda r: None if r.url.startswith(local) else w.requests.append(r.url))

        def route(r: Any) -> None:
            if allow and r.request.url.startswith(allow):
                r.continue_()
            else:
                w.requests.append(r.request.url)
                r.abort()

        context.route("http://**/*", route)
        context.route("https://**/*", route)
        return w

    yield _open
    for c in contexts:
        c.close()


@pytest.fixture(scope="module")
def site_dir(kg, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site-browser") / "site"
    build_site(kg, out)
    return out


@pytest.fixture(scope="module")
def hostile_dir(kg, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site-hostile") / "site"
    build_site(hostile_kg(kg), out)
    return out


def is_index(rel: str) -> bool:
    return rel in ("index.html", "ontology.html") or rel.startswith("class/")


def sample(root: Path) -> set[str]:
    pages = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html"))
    # the explorer's pages are not site pages (no site header; their own tests crawl them)
    resources = [p for p in pages if not is_index(p) and not p.startswith("explorer/")]
    if os.environ.get("EGOVKG_FULL_CRAWL"):
        return set(resources)
    chosen = set(resources[:: max(1, len(resources) // SAMPLE)])
    folders: dict[str, str] = {}
    for p in resources:
        parts = p.split("/")
        folders.setdefault("/".join(parts[:2]) if parts[0] in ("id", "vocab") else parts[0], p)
    return chosen | set(folders.values()) | {f"id/{AWARD}.html"}


def test_crawl_from_the_index_every_link_resolves_offline(watched, site_dir: Path, artifacts: Path) -> None:
    root = site_dir.resolve()
    w = watched()
    wanted = sample(root)
    queue, queued = deque(["index.html"]), {"index.html"}
    ids: dict[str, set[str]] = {}
    fragments: list[tuple[str, str, str]] = []
    broken: list[tuple[str, str]] = []
    external = 0
    while queue:
        rel = queue.popleft()
        w.page.goto((root / rel).as_uri())
        data = w.page.evaluate(PAGE_JS)
        assert data["header"] == "flex", f"{rel}: the stylesheet did not apply"
        ids[rel] = set(data["ids"])
        for href in data["links"]:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https"):
                external += 1
                continue
            if parts.scheme == "data":  # the empty icon (<link rel=icon href="data:,">): no file to find
                continue
            target = Path(unquote(parts.path))
            if parts.scheme != "file" or root not in target.parents or not target.is_file():
                broken.append((rel, href))
                continue
            to = target.relative_to(root).as_posix()
            if parts.fragment:
                fragments.append((rel, to, unquote(parts.fragment)))
            if to.endswith(".html") and to not in queued and (is_index(to) or to in wanted):
                queued.add(to)
                queue.append(to)
    assert not broken, broken[:10]
    assert not w.errors, w.errors[:5]
    assert not w.requests, w.requests[:5]
    assert wanted <= set(ids), sorted(wanted - set(ids))[:10]  # every sampled page was reached by links
    assert {
        p.relative_to(root).as_posix() for p in root.rglob("*.html") if is_index(p.relative_to(root).as_posix())
    } <= set(ids)
    missing = [(src, to, frag) for src, to, frag in fragments if to in ids and frag not in ids[to]]
    assert not missing, missing[:10]
    assert external > 0  # links to reused vocabularies are there, and were not followed
    w.page.goto((root / f"id/{AWARD}.html").as_uri())
    w.page.screenshot(path=str(artifacts.parent / "site-award.png"), full_page=True)
    (artifacts.parent / "site-crawl.txt").write_text(f"opened {len(ids)} pages\n", encoding="utf-8")


def test_hostile_labels_show_as_text_and_run_nothing(watched, hostile_dir: Path) -> None:
    w = watched()
    for rel in ("id/agency/evil.html", f"id/{AWARD}.html", "class/egov/Agency.html"):
        w.page.goto((hostile_dir / rel).as_uri())
        w.page.wait_for_timeout(200)  # time for an onerror handler, had one been created
        text = w.page.inner_text("main")
        assert HOSTILE_EN in text, rel
        assert w.page.evaluate("document.querySelectorAll('img, script, iframe').length") == 0
    w.page.goto((hostile_dir / "id/agency/evil.html").as_uri())
    assert HOSTILE_ZH in w.page.inner_text("h1") and HOSTILE_EN in w.page.inner_text("h1")
    assert w.page.inner_text("figure.quote mark") == HOSTILE_QUOTE[1]
    assert w.page.inner_text("figure.quote blockquote") == "".join(HOSTILE_QUOTE)
    odd = w.page.get_attribute("a:has-text('\"quoted\" & <odd>')", "href")
    w.page.click("a:has-text('\"quoted\" & <odd>')")
    assert w.page.url.endswith(".html") and Path(unquote(urlsplit(w.page.url).path)).is_file(), odd
    assert hostile_dir.resolve() in Path(unquote(urlsplit(w.page.url).path)).parents
    assert not w.dialogs and not w.errors and not w.requests


def test_served_pages_follow_the_303_and_load_their_stylesheet(watched, kg, site_dir: Path) -> None:
    srv = make_server(kg, site_dir=site_dir)
    thread = threading.Thread(target=serve_forever, args=(srv,), daemon=True)
    thread.start()
    try:
        w = watched(allow=srv.url + "/")
        resp = w.page.goto(f"{srv.url}/id/{AWARD}")
        assert resp is not None and resp.status == 200
        assert w.page.url == f"{srv.url}/id/{AWARD}.html"
        assert w.page.evaluate(PAGE_JS)["header"] == "flex"  # the CSP header lets the local stylesheet in
        w.page.click("a[href='../practice/2012-management-innovation-01.html']")
        assert w.page.url.endswith("/id/practice/2012-management-innovation-01.html")
        w.page.goto(f"{srv.url}/")
        assert "Award" in w.page.inner_text("#egov-classes")
        assert not w.errors and not w.requests and not w.dialogs
    finally:
        srv.shutdown()
        thread.join(timeout=10)
