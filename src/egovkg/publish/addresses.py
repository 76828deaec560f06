"""Addresses: where each resource's page lives on the linked-data site, and where the
explorer's pages live beside it (in viz/ or in the site's explorer/ folder); the links
between them and the navigation bar. Pure functions of IRIs and names, shared by the
site, the explorer's pages and the graph views."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from egovkg.errors import EgovkgError
from egovkg.graph.namespaces import ONTOLOGY_IRI, PREFIXES

ONTOLOGY_NS = ONTOLOGY_IRI + "#"

SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

MAX_SEGMENT = 160  # bytes; file names stay well under the usual 255 with a suffix added


def escape_segment(segment: str) -> str:
    """One IRI path segment as a safe file name (injective; see the module docstring)."""
    if not segment:
        return "~"
    out = "".join(c if c in SAFE else "".join(f"~{b:02X}" for b in c.encode("utf-8")) for c in segment)
    if len(out) > MAX_SEGMENT:
        out = out[:MAX_SEGMENT] + "~~" + hashlib.sha256(segment.encode("utf-8")).hexdigest()[:16]
    return out


def escape_path(path: str) -> str:
    return "/".join(escape_segment(s) for s in path.split("/"))


def _vocab_prefixes() -> list[tuple[str, str]]:
    """(prefix, namespace) of reused vocabularies, longest namespace first."""
    pairs = [(p, str(ns)) for p, ns in PREFIXES.items() if p not in ("id", "egov")]
    return sorted(pairs, key=lambda pn: (-len(pn[1]), pn[0]))


def _namespaced(iri: str) -> str:
    """``schema/Event`` for https://schema.org/Event; ``~/<escaped IRI>`` outside the known vocabularies."""
    for prefix, ns in VOCABS:
        if iri.startswith(ns):
            return f"{prefix}/{escape_path(iri[len(ns) :])}"
    if iri.startswith(ONTOLOGY_NS):
        return f"egov/{escape_path(iri[len(ONTOLOGY_NS) :])}"
    return f"~/{escape_segment(iri)}"


def stem_for(iri: str, base: str) -> tuple[str, str]:
    """(kind, site path without suffix) of an IRI."""
    if iri == ONTOLOGY_IRI:
        return "ontology", "ontology"
    if iri.startswith(ONTOLOGY_NS):
        return "term", "ontology/" + escape_path(iri[len(ONTOLOGY_NS) :])
    if iri.startswith(base):
        return "id", "id/" + escape_path(iri[len(base) :])
    return "vocab", "vocab/" + _namespaced(iri)


def class_stem(cls: str) -> str:
    """The path (without suffix) of the page listing a class's instances: ``class/egov/Award``."""
    return "class/" + _namespaced(str(cls))


def site_root(base: str) -> str:
    """The public URL of the site's root folder: the base without its final ``id/``."""
    return base[: -len("id/")] if base.endswith("/id/") else base


@lru_cache(maxsize=1 << 16)
def relative(from_file: str, to_file: str) -> str:
    """A relative link from one site file to another (both relative to the site root)."""
    # posixpath.relpath by string: both are clean paths from the root (no ".", "..", "//"), and
    # relpath's abspath calls (a getcwd each) were a tenth of the site's time
    src = from_file.split("/")[:-1]
    dst = to_file.split("/")
    i = 0
    while i < len(src) and i < len(dst) - 1 and src[i] == dst[i]:
        i += 1
    return "/".join([".."] * (len(src) - i) + dst[i:])


VOCABS = _vocab_prefixes()


TEMPLATES = "publish/templates/explorer"  # inside the egovkg package


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
    ("ontology", "本体", "Ontology", "ontology.html"),
)


DEPLOYMENTS = ("viz", "site", "standalone")
STANDALONE = "standalone"  # a page on its own (a notebook's view, a saved file): no links to other files


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


def nav_links(deployment: str = "viz", current: str | None = None, *, query: bool = False) -> list[NavLink]:
    """The bar's links for a page (``current``, a key of :data:`PAGES`) of a deployment.

    ``query=True`` adds the site's query page (only when the site has one: no dead link). A
    standalone page has no bar: there are no other files to link to."""
    if deployment == STANDALONE:
        return []
    prefix = site_prefix(deployment)
    if current is not None:
        page_file(current)  # an unknown page is an error, not a bar with nothing marked
    return _bar("./", prefix, current, query)


def _bar(explorer: str, site: str, current: str | None, query: bool) -> list[NavLink]:
    """The bar's links: the explorer's pages under ``explorer``, the site's under ``site``."""
    links = [NavLink(k, explorer + file, zh, en, k == current) for k, zh, en, file in PAGES]
    links += [NavLink(k, site + file, zh, en, k == current) for k, zh, en, file in SITE_PAGES if query or k != "query"]
    return links


def site_nav_links(page: str, *, query: bool = True) -> list[NavLink]:
    """The same bar for a file of the static site (``page``: its path from the site's root, such as
    ``index.html``, ``query.html`` or ``id/award/x.html``): the explorer's pages in its explorer/
    folder, the query page, the site's index and the ontology, each linked relative to the page."""
    up = "../" * page.count("/")
    current = {QUERY_PAGE: "query", "index.html": "site", "ontology.html": "ontology"}.get(page)
    return _bar(f"{up}{SITE_FOLDER}/", up, current, query)


@cache
def _env() -> Any:
    import jinja2

    from egovkg.publish.templating import environment

    return environment(jinja2.PackageLoader("egovkg", TEMPLATES))


def environment() -> Any:
    """The Jinja environment of the explorer's templates (autoescaping on)."""
    return _env()


def nav_html(deployment: str = "viz", current: str | None = None, *, query: bool = False) -> str:
    """The navigation bar's HTML for one page; inline :func:`nav_css` beside it ("" for a
    standalone page)."""
    links = nav_links(deployment, current, query=query)
    return _env().get_template("nav.html").render(nav=links) if links else ""


@lru_cache(maxsize=64)
def _site_nav_html(up: int, current: str | None, query: bool) -> str:
    page = {"query": QUERY_PAGE, "site": "index.html", "ontology": "ontology.html"}.get(current or "", "x.html")
    links = site_nav_links("x/" * up + page, query=query)
    return _env().get_template("nav.html").render(nav=links)


def site_nav_html(page: str, *, query: bool = True) -> str:
    """The navigation bar's HTML for a file of the static site (see :func:`site_nav_links`); its
    style, :func:`nav_css`, is in the site's stylesheet. Rendered once per folder depth."""
    current = {QUERY_PAGE: "query", "index.html": "site", "ontology.html": "ontology"}.get(page)
    return _site_nav_html(page.count("/"), current, query)


@cache
def asset(name: str) -> str:
    """A file of ``templates/explorer/`` as text."""
    return resources.files("egovkg").joinpath(f"{TEMPLATES}/{name}").read_text(encoding="utf-8")


def nav_css() -> str:
    return asset("nav.css")


def curie(iri: str, base: str) -> str:
    """``award:2012-government-microblog-01`` for an IRI in the id space; the IRI itself otherwise.

    The form the explorer's URLs carry (``?node=``) and ``egovkg view --focus`` reads."""
    from egovkg.graph.prefixes import resource_prefixes

    for prefix, ns in sorted(resource_prefixes(base).items(), key=lambda pn: -len(pn[1])):
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def labels(graph: Any, node: Any) -> tuple[str, str]:
    """(Chinese, English) name of a node: rdfs:label, else skos:prefLabel, else dct:title; "" if none."""
    from rdflib import Literal
    from rdflib.namespace import DCTERMS, RDFS, SKOS

    found: dict[str, str] = {}
    for p in (RDFS.label, SKOS.prefLabel, DCTERMS.title):
        for lit in sorted((o for o in graph.objects(node, p) if isinstance(o, Literal)), key=str):
            lang = (lit.language or "").lower()
            key = "zh" if lang.startswith("zh") and "latn" not in lang else "en" if lang.startswith("en") else None
            if key and key not in found:
                found[key] = str(lit)
    return found.get("zh", ""), found.get("en", "")


def site_href(iri: str, base: str, deployment: str) -> str | None:
    """The relative link from the explorer's folder to a resource's page on the linked-data site."""
    from egovkg.publish.addresses import stem_for

    kind, stem = stem_for(str(iri), base)
    if kind != "id" or deployment == STANDALONE:
        return None
    return site_prefix(deployment) + stem + ".html"


def graph_href(node_curie: str, page: str = "overview") -> str:
    """The link from an explorer page to a graph view with one node selected (``?node=``)."""
    from urllib.parse import quote

    return f"./{page_file(page)}?node={quote(node_curie, safe=':')}"


GRAPH_PAGES = ("overview", "geography", "agencies")  # the graph views the explorer carries (egovkg.views)


NEIGHBOURHOOD_PAGE = "neighbourhood.html"  # egovkg.views' page of any entity's neighbourhood (not in the bar)


TIMELINE_CLASSES = frozenset({"Milestone", "PolicyDocument", "Selection", "Programme"})


# The policy of the explorer's pages: inline script and style of their own, nothing fetched.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
    "font-src data:; base-uri 'none'; form-action 'none'"
)
