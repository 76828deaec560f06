"""The explorer: its pages, where they live and the one navigation bar they share.

The explorer is deployed twice, with the same pages:

``viz``
    ``viz/`` of a checkout, written by ``egovkg build``. The linked-data site is
    ``../build/site/`` from there.
``site``
    ``explorer/`` inside the static site (``egovkg site``), so one folder
    deploys everything and ``egovkg serve --linked-data`` serves it; the site's
    root is ``../``.

Every link is relative, so both work from ``file://`` and from any server.
The navigation bar is the Jinja partial ``templates/explorer/nav.html`` with its
style in ``nav.css``; :func:`nav_html` renders it for one page of one
deployment. It needs no script.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from egovkg.errors import EgovkgError

TEMPLATES = "templates/explorer"  # inside the egovkg package
SITE_FOLDER = "explorer"  # the explorer's folder inside the static site
VIZ_TO_SITE = "../build/site/"  # from viz/ to the site built by `egovkg build`
QUERY_PAGE = "query.html"  # the site's query page, relative to the site root

# (key, 中文, English, file): the explorer's own pages, in the order the bar shows them
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("index", "首页", "Home", "index.html"),
    ("overview", "总览", "Overview", "overview.html"),
    ("geography", "地域", "Geography", "geography.html"),
    ("agencies", "机构", "Agencies", "agencies.html"),
    ("map", "地图", "Map", "map.html"),
    ("timeline", "时间线", "Timeline", "timeline.html"),
)
# pages of the site, relative to its root
SITE_PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("query", "查询", "Query", QUERY_PAGE),
    ("site", "关联数据", "Linked data", "index.html"),
)
DEPLOYMENTS = ("viz", "site")


class ExplorerError(EgovkgError):
    """A page or deployment the explorer does not have."""


@dataclass(frozen=True)
class NavLink:
    key: str
    href: str
    zh: str
    en: str
    current: bool = False


def site_prefix(deployment: str) -> str:
    """The relative path from the explorer's folder to the site's root, ending in '/'."""
    if deployment == "viz":
        return VIZ_TO_SITE
    if deployment == "site":
        return "../"
    raise ExplorerError(f"unknown explorer deployment '{deployment}' (choose {', '.join(DEPLOYMENTS)})")


def page_file(key: str) -> str:
    """The file name of one of the explorer's pages: ``page_file("map") == "map.html"``."""
    for k, _zh, _en, file in PAGES:
        if k == key:
            return file
    raise ExplorerError(f"the explorer has no page '{key}' (pages: {', '.join(k for k, *_ in PAGES)})")


def nav_links(deployment: str = "viz", current: str | None = None, *, query: bool = True) -> list[NavLink]:
    """The bar's links for a page (``current``, a key of :data:`PAGES`) of a deployment.

    ``query=False`` leaves out the query page (a site built without one)."""
    prefix = site_prefix(deployment)
    if current is not None:
        page_file(current)  # an unknown page is an error, not a bar with nothing marked
    links = [NavLink(k, f"./{file}", zh, en, k == current) for k, zh, en, file in PAGES]
    links += [NavLink(k, prefix + file, zh, en) for k, zh, en, file in SITE_PAGES if query or k != "query"]
    return links


@cache
def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("egovkg", TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def environment() -> Any:
    """The Jinja environment of the explorer's templates (autoescaping on)."""
    return _env()


def nav_html(deployment: str = "viz", current: str | None = None, *, query: bool = True) -> str:
    """The navigation bar's HTML for one page; inline :func:`nav_css` beside it."""
    return _env().get_template("nav.html").render(nav=nav_links(deployment, current, query=query))


@cache
def asset(name: str) -> str:
    """A file of ``templates/explorer/`` as text."""
    return resources.files("egovkg").joinpath(f"{TEMPLATES}/{name}").read_text(encoding="utf-8")


def nav_css() -> str:
    return asset("nav.css")


__all__ = [
    "DEPLOYMENTS",
    "PAGES",
    "SITE_FOLDER",
    "ExplorerError",
    "NavLink",
    "asset",
    "environment",
    "nav_css",
    "nav_html",
    "nav_links",
    "page_file",
    "site_prefix",
]
