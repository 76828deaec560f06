"""The explorer's navigation bar: one set of links per deployment, escaped, no script."""

from __future__ import annotations

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
    ]


def test_site_copy_links_up_one_folder() -> None:
    hrefs = _hrefs(addresses.nav_html("site", "map", query=True))
    assert hrefs[-2:] == ["../query.html", "../index.html"]


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
    assert [link.key for link in addresses.nav_links("site", query=True)][-2:] == ["query", "site"]


def test_unknown_deployment_or_page_is_an_error() -> None:
    with pytest.raises(addresses.ExplorerError, match="deployment 'web'"):
        addresses.nav_links("web")
    with pytest.raises(addresses.ExplorerError, match="no page 'graph'"):
        addresses.nav_links("viz", "graph")
