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

from typing import Any

from egovkg.publish.addresses import (
    CSP,
    GRAPH_PAGES,
    NEIGHBOURHOOD_PAGE,
    STANDALONE,
    TIMELINE_CLASSES,
    _env,
    asset,
    curie,
    graph_href,
    nav_css,
    nav_html,
    nav_links,
    page_file,
    site_href,
)

# -- what every page needs from the graph ----------------------------------------------------------


# -- the explorer's own pages ----------------------------------------------------------------------

TITLES: dict[str, tuple[str, str]] = {
    "index": ("中国电子政务最佳实践知识图谱", "China E-Government Best Practice knowledge graph"),
    "map": ("各省级行政区获奖数", "Awards per province"),
    "timeline": ("电子政务政策时间线", "Timeline of Chinese e-government"),
}
# (key, 中文, English, about in Chinese, about in English) of each card on the front page
CARDS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "overview",
        "总览图",
        "Overview graph",
        "获奖、实践、机构、地区、项目与类别之间的关系网络。",
        "Awards, practices, agencies, regions, programmes and categories as one network.",
    ),
    (
        "geography",
        "地域图",
        "Geography",
        "地区树（中国 → 省 → 市 → 区）及各地的实践与机构。",
        "The region tree (China → province → city → district) with its practices and agencies.",
    ),
    (
        "agencies",
        "机构网络",
        "Agencies",
        "机构与企业、上级单位、联合申报与所涉项目。",
        "Agencies and enterprises, their parent bodies, co-applicants and programmes.",
    ),
    (
        "map",
        "地图",
        "Map",
        "各省级行政区的获奖数与获奖名单（方格地图）。",
        "Awards per provincial-level division, with their lists (a tile-grid map).",
    ),
    (
        "timeline",
        "时间线",
        "Timeline",
        "里程碑、政策文件与项目阶段，按真实时间比例排列。",
        "Milestones, policy documents and programme phases on a proportional time axis.",
    ),
    ("query", "查询", "Query", "用 SPARQL 查询图谱。", "Ask the graph in SPARQL."),
    (
        "site",
        "关联数据",
        "Linked data",
        "每个资源的页面与 RDF 描述、本体、数据下载。",
        "A page and an RDF description for every resource, the ontology, the dumps.",
    ),
)
# (key, class local name(s) in egov:, 中文, English) of the headline figures
FIGURES: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("awards", ("Award",), "项获奖", "awards"),
    ("categories", ("AwardCategory",), "个奖项类别", "award categories"),
    ("practices", ("Practice",), "项获奖实践", "practices"),
    ("agencies", ("Agency", "Enterprise"), "家机构与企业", "agencies and enterprises"),
    ("regions", ("Region",), "个地区", "regions"),
    ("documents", ("PolicyDocument",), "份政策文件", "policy documents"),
    ("programmes", ("Programme",), "个项目", "programmes"),
    ("milestones", ("Milestone",), "个里程碑", "milestones"),
)


def figures(graph: Any) -> list[dict[str, Any]]:
    """The front page's headline figures, counted in the graph (distinct instances per class)."""
    from rdflib import URIRef
    from rdflib.namespace import RDF

    from egovkg.graph.namespaces import ONTOLOGY_IRI

    out = []
    for key, classes, zh, en in FIGURES:
        members: set[Any] = set()
        for cls in classes:
            members |= set(graph.subjects(RDF.type, URIRef(f"{ONTOLOGY_IRI}#{cls}")))
        out.append({"key": key, "n": len(members), "zh": zh, "en": en})
    return out


def render_page(
    page: str,
    deployment: str,
    *,
    query: bool = False,
    data: dict[str, Any] | None = None,
    lang: str = "zh",
    **context: Any,
) -> str:
    """One of the explorer's own pages (index, map, timeline) around its context and script data.

    ``lang``: the language the page opens in (``?lang=`` in its URL still wins)."""
    from egovkg.publish.views import ViewError, script_json

    if lang not in ("zh", "en"):  # one language at a time; the page switches between them
        raise ViewError(f"lang: the {page} page opens in zh or en (it switches in the page), not '{lang}'")
    title = TITLES[page]
    payload = {"title": list(title), "page": page, "deployment": deployment, **(data or {})}
    if lang != "zh":  # the default is not written, so the build's pages stay as they were
        payload["lang"] = lang
    return (
        _env()
        .get_template(f"{page}.html")
        .render(
            page=page,
            title=title,
            nav=nav_html(deployment, page, query=query),
            css=nav_css() + "\n" + asset("explorer.css"),
            js=asset("explorer.js") + "\n" + asset(f"{page}.js"),
            data_json=script_json(payload),
            deployment=deployment,
            csp=CSP,
            lang=lang,
            **context,
        )
    )


def render_index(graph: Any, deployment: str = "viz", *, query: bool = False) -> str:
    links = {link.key: link.href for link in nav_links(deployment, query=query)}
    cards = [
        {"key": k, "href": links[k], "zh": zh, "en": en, "about_zh": azh, "about_en": aen}
        for k, zh, en, azh, aen in CARDS
        if k in links
    ]
    return render_page("index", deployment, query=query, figures=figures(graph), cards=cards)


def render_map(graph: Any, base: str, deployment: str = "viz", *, query: bool = False) -> str:
    from egovkg.publish.provinces import map_model

    m = map_model(graph, base, deployment)
    return render_page("map", deployment, query=query, data={"map": m}, m=m)


def render_timeline(
    graph: Any, base: str, deployment: str = "viz", *, query: bool = False, lang: str = "zh", node: str | None = None
) -> str:
    """The timeline page. ``node``: the CURIE of an item selected when the page opens (``?node=``)."""
    from egovkg.publish.timeline import timeline_model
    from egovkg.publish.views import ViewError

    tl = timeline_model(graph, base, deployment)
    counts = {k["key"]: sum(1 for i in tl["items"] if i["kind"] == k["key"]) for k in tl["kinds"]}
    names = {k["key"]: (k["zh"], k["one"]) for k in tl["kinds"]}
    data: dict[str, Any] = {"timeline": tl}
    if node is not None:
        if not any(i["id"] == node for i in tl["items"]):
            raise ViewError(f"the timeline does not show '{node}' (it shows dated milestones, documents, programmes)")
        data["node"] = node
    return render_page(
        "timeline", deployment, query=query, data=data, lang=lang, t={**tl, "counts": counts, "kind_names": names}
    )


def timeline_view(
    graph: Any, base: str, *, lang: str = "zh", focus: str | None = None, query: bool = True
) -> tuple[str, int]:
    """The timeline as the main job writes it in viz/ (the same code path), for ``KG.view``, with
    the number of items it shows (dated and undated). ``focus``: an entity to select, named as
    ``egovkg view --focus`` takes it. The page stands alone, as KG.view's graph views do (a
    notebook shows it in an iframe of its own): no bar, no links to files beside it."""
    from egovkg.publish.timeline import timeline_model
    from egovkg.publish.views import resolve_focus

    node = curie(resolve_focus(graph, focus), base) if focus is not None else None
    html = render_timeline(graph, base, STANDALONE, query=query, lang=lang, node=node)
    tl = timeline_model(graph, base, STANDALONE)
    return html, len(tl["items"]) + len(tl["undated"])


def render_explorer(
    graph: Any, base: str, deployment: str = "viz", *, query: bool = False, idx: Any = None
) -> dict[str, str]:
    """Every page of the explorer for one deployment, {file name: HTML}: the graph views,
    the front page, the map and the timeline. ``query``: the site has a query page to link to;
    ``idx``: the graph's :class:`~egovkg.publish.views.EntityIndex`, when one is at hand (with
    its views already laid out: :func:`prepare_views`)."""
    from egovkg.publish import views

    idx = views.index(graph) if idx is None else idx

    def page_of(iri: str) -> str | None:
        return site_href(iri, base, deployment)

    nav = f"<style>{nav_css()}</style>\n"
    out = {
        page_file(name): views.render_view(
            idx, name, page_of=page_of, nav=nav + nav_html(deployment, name, query=query)
        )
        for name in GRAPH_PAGES
    }
    # the neighbourhood of any entity, named in the URL (#focus=ID): "open neighbourhood" in the views
    out[NEIGHBOURHOOD_PAGE] = views.render_view(
        idx, "neighbourhood", page_of=page_of, nav=nav + nav_html(deployment, None, query=query)
    )
    out["index.html"] = render_index(graph, deployment, query=query)
    out["map.html"] = render_map(graph, base, deployment, query=query)
    out["timeline.html"] = render_timeline(graph, base, deployment, query=query)
    return dict(sorted(out.items()))


def prepare_views(graph: Any) -> Any:
    """The graph's :class:`~egovkg.publish.views.EntityIndex` with every view of the explorer
    projected and laid out (and the statistics' network): what the explorer's copies and the
    statistics share. The build makes it once, before it forks the processes that use it."""
    from egovkg.publish import views

    idx = views.index(graph)
    for name in (*GRAPH_PAGES, "neighbourhood"):
        views.drawing(idx, name)
    views.projection(idx, "overview")
    return idx


def show_in_graph(graph: Any, node: Any, base: str) -> str | None:
    """The explorer page (relative to the explorer's folder, with ``?node=``) that shows a node
    selected: the first graph view that draws its class, else the timeline; None if none does."""
    from rdflib.namespace import RDF

    from egovkg.graph.namespaces import ONTOLOGY_IRI
    from egovkg.publish import views

    local = {
        str(t)[len(ONTOLOGY_IRI) + 1 :] for t in graph.objects(node, RDF.type) if str(t).startswith(ONTOLOGY_IRI + "#")
    }
    c = curie(str(node), base)
    if c == str(node):
        return None
    for name in GRAPH_PAGES:
        if local & views.VIEW_CLASSES.get(name, frozenset()):
            return graph_href(c, name)[2:]
    if local & TIMELINE_CLASSES:
        return graph_href(c, "timeline")[2:]
    return None


__all__ = [
    "CSP",
    "prepare_views",
    "render_explorer",
    "render_index",
    "render_map",
    "render_timeline",
    "show_in_graph",
    "asset",
    "nav_css",
    "nav_html",
    "nav_links",
    "page_file",
]
