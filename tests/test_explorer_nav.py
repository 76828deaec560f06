"""The explorer's navigation bar: one set of links per deployment, escaped, no script."""

from __future__ import annotations

import posixpath
import re

import pytest

from egovkg.publish import addresses


def _hrefs(html: str) -> list[str]:
    inline = html.split('<ul class="egk-nav-inline">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="([^"]+)"', inline)


def test_viz_links_reach_the_site_under_build() -> None:
    hrefs = _hrefs(addresses.nav_html("viz", "overview", query=True))
    assert hrefs == [
        "./index.html",
        "./overview.html",
        "./geography.html",
        "./agencies.html",
        "./map.html",
        "./timeline.html",
        "../build/site/query.html",
        "../build/site/index.html",
        "../build/site/ontology.html",
    ]


def test_site_copy_links_up_one_folder() -> None:
    hrefs = _hrefs(addresses.nav_html("site", "map", query=True))
    assert hrefs[-3:] == ["../query.html", "../index.html", "../ontology.html"]


def test_current_page_is_marked_once_per_list() -> None:
    html = addresses.nav_html("viz", "timeline")
    assert html.count('aria-current="page"') == 2  # the inline list and the folded menu
    assert re.search(r'href="./timeline.html" data-egk-nav="timeline" aria-current="page"', html)


def test_no_script_and_both_languages() -> None:
    html = addresses.nav_html("site", None)
    assert "<script" not in html and "aria-current" not in html
    assert "时间线" in html and "Timeline" in html


def test_query_link_only_when_the_site_has_a_query_page() -> None:
    assert all(link.key != "query" for link in addresses.nav_links("viz"))
    assert [link.key for link in addresses.nav_links("site", query=True)][-3:] == ["query", "site", "ontology"]


def test_unknown_deployment_or_page_is_an_error() -> None:
    with pytest.raises(addresses.ExplorerError, match="deployment 'web'"):
        addresses.nav_links("web")
    with pytest.raises(addresses.ExplorerError, match="no page 'graph'"):
        addresses.nav_links("viz", "graph")


KEYS = ["index", "overview", "geography", "agencies", "map", "timeline", "query", "site", "ontology"]


@pytest.mark.parametrize(
    ("page", "up", "current"),
    [
        ("index.html", "", "site"),
        ("query.html", "", "query"),
        ("ontology.html", "", "ontology"),
        ("id/award/2012-public-service-01.html", "../../", None),
        ("vocab/schema/Event.html", "../../", None),
        ("class/egov/Award.html", "../../", None),
    ],
)
def test_site_pages_get_the_same_bar_linked_from_their_folder(page: str, up: str, current: str | None) -> None:
    links = addresses.site_nav_links(page)
    assert [link.key for link in links] == KEYS
    hrefs = {link.key: link.href for link in links}
    assert hrefs["overview"] == f"{up}explorer/overview.html" and hrefs["index"] == f"{up}explorer/index.html"
    assert hrefs["query"] == f"{up}query.html" and hrefs["site"] == f"{up}index.html"
    assert [link.key for link in links if link.current] == ([current] if current else [])
    html = addresses.site_nav_html(page)
    assert _hrefs(html) == [link.href for link in links]
    assert html.count('aria-current="page"') == (2 if current else 0)


def test_the_explorer_and_the_site_show_one_bar() -> None:
    """The explorer's copy in the site and the site's own pages list the same pages in the same order,
    reaching the same files (explorer/x.html from the site's root is ./x.html from explorer/)."""
    explorer = addresses.nav_links("site", "map", query=True)
    site = addresses.site_nav_links("index.html")
    assert [link.key for link in explorer] == [link.key for link in site] == KEYS
    for a, b in zip(explorer, site, strict=True):
        assert posixpath.normpath(posixpath.join("explorer", a.href)) == posixpath.normpath(b.href)
        assert (a.zh, a.en) == (b.zh, b.en) and a.zh and a.en
