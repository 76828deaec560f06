"""The page: a projection with its layout, details, legends and filters as JSON in one HTML file."""

from __future__ import annotations

import html
import json
import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, SDO, SKOS

from egovkg.graph.namespaces import EGOV
from egovkg.publish.views.index import (
    CLASSES,
    NATIONAL,
    NATIONAL_LABEL,
    STYLE,
    EntityIndex,
    ViewError,
    _lang_base,
    _local,
    index,
)
from egovkg.publish.views.layout import layout, node_size
from egovkg.publish.views.projection import (
    DERIVED_LABELS,
    HUBS,
    MAX_VIEW_NODES,
    PAGES,
    cut_down,
    project,
)

LANGS: tuple[str, ...] = ("zh", "en", "both")
VIEW_TITLES: dict[str, tuple[str, str]] = {
    "overview": ("总览", "Overview"),
    "geography": ("地理分布", "Geography"),
    "agencies": ("机构网络", "Agencies"),
    "neighbourhood": ("邻域", "Neighbourhood"),
}
# Facts shown in the details panel, in this order.
FACTS: tuple[URIRef, ...] = (
    DCTERMS.title,
    SKOS.notation,
    EGOV.category,
    EGOV.rank,
    EGOV.leadRecipient,
    EGOV.recipient,
    EGOV.practice,
    DCTERMS.date,
    SDO.jobTitle,
    ORG.memberOf,
    EGOV.agencyKind,
    EGOV.administrativeLevel,
    EGOV.region,
    SDO.containedInPlace,
    ORG.subOrganizationOf,
    EGOV.relatedProgramme,
    EGOV.featuresAccount,
    FOAF.account,
    FOAF.accountName,
    DCTERMS.isPartOf,
    SDO.startDate,
    SDO.endDate,
    EGOV.submissionDeadline,
    SDO.organizer,
    EGOV.entriesReceivedLowerBound,
    EGOV.reviewRounds,
    EGOV.shortlistedCount,
    EGOV.winnerCount,
    EGOV.categoryCount,
    SDO.legislationIdentifier,
    SDO.legislationDate,
    SDO.legislationPassedBy,
    EGOV.strategicGoal,
    EGOV.concerns,
    SKOS.definition,
)
INVERSE_FACTS: tuple[tuple[URIRef, tuple[str, str]], ...] = (
    (EGOV.practice, ("获奖奖项", "award")),
    (EGOV.recipient, ("获得奖项", "awards received")),
    (ORG.memberOf, ("成员", "members")),
    (ORG.subOrganizationOf, ("下属组织", "sub-organisations")),
)
# -- the page ---------------------------------------------------------------------------------------


@cache
def _asset(path: str) -> str:
    text = resources.files("egovkg.publish").joinpath(path).read_text(encoding="utf-8")
    # The source map is not shipped; a reference to it would be a request for a missing file.
    # (Only "\n" separates lines here: str.splitlines would also split at U+0085 and U+2028,
    # which vis-network has inside string literals.)
    lines = [line for line in text.split("\n") if not line.startswith("//# sourceMappingURL=")]
    return "\n".join(lines).rstrip("\n")


VIS_JS = "vendor/vis-network-9.1.2/vis-network.min.js"
VIS_CSS = "vendor/vis-network-9.1.2/vis-network.min.css"


def script_json(data: Any) -> str:
    """JSON that is safe inside <script>: no '<', '>', '&', U+2028 or U+2029 survive unescaped,
    so '</script>' or '<!--' in a label cannot end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _value(idx: EntityIndex, o: Any) -> dict[str, str]:
    if isinstance(o, Literal):
        return {"t": str(o), "l": _lang_base(o.language)}
    iri = str(o)
    if iri in idx.entities or iri in idx.labels:
        zh, en = idx.label(iri)
        return {"r": iri, "zh": zh, "en": en}
    return {"t": iri, "l": ""}


_TITLE, _RECIPIENT, _LEAD_RECIPIENT = DCTERMS.title, EGOV.recipient, EGOV.leadRecipient


def _facts(idx: EntityIndex, iri: str) -> list[dict[str, Any]]:
    facts = []
    for p in FACTS:
        values = idx.objects(iri, p)
        if not values:
            continue
        if p == _TITLE and iri in idx.entities:  # the labels already say it
            e = idx.entities[iri]
            values = [v for v in values if str(v) not in (e.zh, e.en)]
        if p == _RECIPIENT:  # the lead recipient is listed on its own
            lead = {str(v) for v in idx.objects(iri, _LEAD_RECIPIENT)}
            values = [v for v in values if str(v) not in lead]
        if values:
            facts.append({"p": list(idx.label(str(p))), "v": [_value(idx, v) for v in values]})
    for p, label in INVERSE_FACTS:
        subjects = idx.subjects(p, iri)
        if subjects:
            facts.append({"p": list(label), "v": [_value(idx, URIRef(s)) for s in subjects]})
    return facts


def _font(g: nx.Graph, iri: str, size: float) -> int:
    """Label size: regions in the geography view by their awards, so provinces read at a glance."""
    if g.graph.get("view") == "geography" and "focus" not in g.graph and g.nodes[iri]["cls"] == "Region":
        return min(44, round(22 + 3 * math.sqrt(g.nodes[iri].get("awards", 0))))
    return min(30, round(10 + 0.45 * size))


# The whole index travels in a page (for "expand" and the neighbourhood page) while it is this small;
# a larger graph sends the view's nodes and their direct neighbours, at most POOL_EXTRA_MAX of them.
POOL_ALL_MAX = 3000
POOL_EXTRA_MAX = 1500
EDGE_COLOURS = ("#7a8794", "#c77800", "#4c72b0", "#55a868", "#c44e52", "#8172b2", "#937860", "#da8bc3", "#8c8c8c")


def _pool(idx: EntityIndex, shown: list[str]) -> list[str]:
    """Entities the page carries beyond the view's own, sorted: every one when the graph is small,
    else the view's direct neighbours (most connected first, up to POOL_EXTRA_MAX)."""
    inside = set(shown)
    if len(idx.entities) <= POOL_ALL_MAX:
        return sorted(i for i in idx.entities if i not in inside)
    degree: dict[str, int] = defaultdict(int)
    for s, _p, o in idx.edges:
        if s in inside and o not in inside:
            degree[o] += 1
        elif o in inside and s not in inside:
            degree[s] += 1
    ranked = sorted(degree, key=lambda n: (-degree[n], n))[:POOL_EXTRA_MAX]
    return sorted(ranked)


PageOf = Callable[[str], "str | None"]  # an entity IRI -> the relative link to its linked-data page


def _node_record(idx: EntityIndex, n: str, page_of: PageOf | None) -> dict[str, Any]:
    """An entity's details as a page carries them, with the link to its page: the rest is made
    once per index (shared, never changed: the payload only serialises it)."""
    found = idx.records.get(n)
    if found is None:
        e = idx.entities[n]
        found = {
            "iri": n,
            "key": e.key,
            "cls": e.cls,
            "zh": e.zh,
            "en": e.en,
            "pinyin": e.pinyin,
            "alt": list(e.alt),
            "page": None,
            "facets": idx.facets(n),
            "facts": _facts(idx, n),
            "sources": [list(s) for s in idx.sources(n)],
        }
        short = _short_label(idx, n)
        if short:
            found["short"] = short
        idx.records[n] = found
    record = dict(found)
    if page_of:
        record["page"] = page_of(n)
    return record


def _award_counts(idx: EntityIndex) -> dict[str, dict[str, int]]:
    """For each filter and value, how many awards of the whole graph match it."""
    counts: dict[str, dict[str, int]] = {"cat": defaultdict(int), "prov": defaultdict(int), "kind": defaultdict(int)}
    for award in idx.of_class("Award"):
        facets = idx.facets(award)
        for key in ("cat", "prov"):
            for v in facets.get(key, ()):
                counts[key][v] += 1
        kinds = {
            _local(k)
            for r in idx.objects(award, EGOV.recipient)
            if (k := idx.first(str(r), EGOV.agencyKind)) is not None
        }
        for v in kinds:
            counts["kind"][v] += 1
    return counts


SIZE_MEANING = {
    "geography": ("节点大小：该地区（含下级）获奖数", "Node size: awards in the region (and below it)"),
    None: ("节点大小：图中连接数", "Node size: connections in this view"),
}


def payload(
    graph: Graph | EntityIndex,
    g: nx.Graph,
    *,
    lang: str = "zh",
    page_of: PageOf | None = None,
    pos: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """The data the page draws: sorted nodes with positions and details, edges, legends, filters,
    and the entities and links around the view that "expand" and the neighbourhood page add.

    ``page_of`` gives the relative link from the page to an entity's page in the linked-data site
    (linked from the details panel); without it the page stands alone."""
    idx = index(graph)
    pos = layout(g) if pos is None else pos
    nodes = sorted(g)
    extra = _pool(idx, nodes)
    pool = nodes + extra
    at = {n: i for i, n in enumerate(pool)}
    name = g.graph.get("view", "overview")
    geography = name == "geography" and "focus" not in g.graph
    out_nodes = []
    for n in nodes:
        x, y = pos[n]
        size = node_size(g, n)
        record = {"id": at[n], **_node_record(idx, n, page_of), "x": x, "y": y, "size": size, "font": _font(g, n, size)}
        record["imp"] = g.nodes[n].get("awards", 0) if geography else g.degree(n)
        out_nodes.append(record)
    out_extra = []
    for n in extra:
        style = STYLE[idx.entities[n].cls]
        out_extra.append({"id": at[n], **_node_record(idx, n, page_of), "size": float(style.size)})
    # edge types: one per predicate (the first, where a pair merges several), in legend order
    type_of: dict[str, int] = {}
    types: list[dict[str, Any]] = []

    def edge_type(p: str) -> int:
        if p not in type_of:
            type_of[p] = len(types)
            zh, en = DERIVED_LABELS.get(p) or idx.label(p)
            types.append({"p": [zh, en], "derived": p in DERIVED_LABELS, "n": 0})
        return type_of[p]

    out_edges = []
    for u, v in sorted(g.edges(), key=lambda uv: tuple(sorted((at[uv[0]], at[uv[1]])))):
        data = g.edges[u, v]
        src = data.get("source", u)
        dst = v if src == u else u
        preds = data["predicates"]
        derived = all(p in DERIVED_LABELS for p in preds)
        labels = [list(DERIVED_LABELS.get(p) or idx.label(p)) for p in preds]
        out_edges.append(
            {"from": at[src], "to": at[dst], "p": labels, "arrow": not derived, "derived": derived, "t": preds[0]}
        )
    out_edges.sort(key=lambda e: (e["from"], e["to"]))
    for i, e in enumerate(out_edges):
        e["id"] = i
        e["t"] = edge_type(e["t"])
        types[e["t"]]["n"] += 1
    shown_pairs = {(e["from"], e["to"]) for e in out_edges} | {(e["to"], e["from"]) for e in out_edges}
    links = []
    for s, p, o in idx.edges:
        if s in at and o in at and (at[s], at[o]) not in shown_pairs:
            links.append([at[s], at[o], edge_type(p)])
    links.sort()
    for i, t in enumerate(types):
        t["color"] = EDGE_COLOURS[i % len(EDGE_COLOURS)]
    counts: dict[str, int] = defaultdict(int)
    for n in nodes:
        counts[g.nodes[n]["cls"]] += 1
    in_pool = {idx.entities[n].cls for n in pool}
    legend = [
        {
            "cls": c.key,
            "zh": idx.class_label(c.key)[0],
            "en": idx.class_label(c.key)[1],
            "shape": c.shape,
            "color": c.color,
            "n": counts[c.key],
        }
        for c in CLASSES
        if counts[c.key] or c.key in in_pool
    ]
    seen_facets: dict[str, set[str]] = {"cat": set(), "prov": set(), "kind": set()}
    for n in nodes:
        for key, values in idx.facets(n).items():
            seen_facets[key].update(values)
    awards = _award_counts(idx)
    filters = {
        "cat": [
            {"v": _local(i), "zh": idx.label(i)[0], "en": idx.label(i)[1], "n": awards["cat"][_local(i)]}
            for i in sorted(idx.of_class("AwardCategory"), key=lambda i: (_notation(idx, i), i))
            if _local(i) in seen_facets["cat"]
        ],
        "prov": [_province_option(idx, code, awards["prov"][code]) for code in sorted(seen_facets["prov"])],
        "kind": [
            {"v": _local(i), "zh": idx.label(i)[0], "en": idx.label(i)[1], "n": awards["kind"][_local(i)]}
            for i in idx.of_class("AgencyKind")
            if _local(i) in seen_facets["kind"]
        ],
    }
    sizes = sorted({(o["imp"], o["size"]) for o in out_nodes})
    samples = [sizes[0], sizes[len(sizes) // 2], sizes[-1]] if sizes else []
    zh, en = VIEW_TITLES[name]
    focus = g.graph.get("focus")
    if focus:
        fzh, fen = idx.label(focus)
        zh, en = f"{zh}：{fzh}", f"{en}: {fen}"
    data: dict[str, Any] = {
        "view": name,
        "lang": lang,
        "title": [zh, en],
        "focus": at[focus] if focus else None,
        "views": {v: f"{v}.html" for v in (*PAGES, "neighbourhood")},
        "legend": legend,
        "edgeTypes": types,
        "sizes": {
            "what": list(SIZE_MEANING["geography" if geography else None]),
            "samples": [list(s) for s in dict.fromkeys(samples)],
        },
        "hubs": sorted(HUBS),
        "filters": filters,
        "nodes": out_nodes,
        "edges": out_edges,
        "extra": out_extra,
        "links": links,
    }
    if "cut" in g.graph:
        shown, total = g.graph["cut"]
        data["note"] = [
            f"图太大：仅显示连接最多的 {shown:,} 个节点（共 {total:,} 个）。"
            "可用 egovkg view neighbourhood --focus 查看局部。",
            f"The graph is too large to draw whole: showing the {shown:,} most connected of {total:,} nodes. "
            "Use egovkg view neighbourhood --focus ID for the rest.",
        ]
    return data


def _short_label(idx: EntityIndex, iri: str) -> list[str] | None:
    """A label to draw for nodes whose names are long and alike: '管理创新类 序号1' for an award
    (序号, the table's serial number: the announcement does not say the order is a ranking)."""
    if idx.entities[iri].cls != "Award":
        return None
    category, rank = idx.first(iri, EGOV.category), idx.first(iri, EGOV.rank)
    if category is None or rank is None:
        return None
    zh, en = idx.label(category)
    return [f"{zh}类 序号{rank}", f"{en} no. {rank}"]


def _notation(idx: EntityIndex, iri: str) -> int:
    value = idx.first(iri, SKOS.notation)
    return int(value) if value and value.isdigit() else 0


def _province_option(idx: EntityIndex, code: str, n: int) -> dict[str, Any]:
    region = next((i for i in idx.of_class("Region") if _local(i) == code), None)
    if code == NATIONAL:
        zh, en = NATIONAL_LABEL
    else:
        zh, en = idx.label(region) if region else (code, code)
    return {"v": code, "zh": zh, "en": en, "n": n}


def page(data: Mapping[str, Any], *, nav: str = "") -> str:
    """The HTML page around a payload, with vis-network and our script and style inlined.
    ``nav`` is the explorer's navigation bar (trusted markup made from the nav template)."""
    zh, en = data["title"]
    lang = data["lang"]
    title = {"zh": zh, "en": en}.get(lang, f"{zh} · {en}")
    replacements = {
        "/*@VIS_CSS@*/": _asset(VIS_CSS),
        "/*@VIEW_CSS@*/": _asset("templates/view.css"),
        "/*@VIS_JS@*/": _asset(VIS_JS),
        "/*@VIEW_JS@*/": _asset("templates/view.js"),
        "@TITLE@": html.escape(f"egovkg · {title}"),
        "@HTML_LANG@": "en" if lang == "en" else "zh-Hans",
        "@DATA@": script_json(data),
        "<!--@NAV@-->": nav,
    }
    text = _asset("templates/view.html")
    # one pass, so nothing inserted is searched for markers again
    pattern = re.compile("|".join(re.escape(k) for k in replacements))
    return pattern.sub(lambda m: replacements[m.group(0)], text) + "\n"


def render_view(
    graph: Graph | EntityIndex,
    name: str,
    *,
    lang: str = "zh",
    focus: str | None = None,
    depth: int = 2,
    limit: int = MAX_VIEW_NODES,
    page_of: PageOf | None = None,
    nav: str = "",
) -> str:
    """One view as a self-contained HTML page (not written anywhere). ``page_of``: the relative
    link to an entity's linked-data page; ``nav``: the explorer's navigation bar
    (:func:`egovkg.publish.explorer.nav_html`).

    The neighbourhood view without ``focus`` is the page that draws the neighbourhood of the
    entity named in its URL (``neighbourhood.html#focus=agency:x``): it carries the whole
    index and no drawing of its own."""
    if lang not in LANGS:
        raise ViewError(f"unknown language '{lang}' (choose {', '.join(LANGS)})")
    idx = index(graph)
    g, pos = drawing(idx, name, focus=focus, depth=depth, limit=limit)
    return page(payload(idx, g, lang=lang, page_of=page_of, pos=pos), nav=nav)


def drawing(
    idx: EntityIndex, name: str, *, focus: str | None = None, depth: int = 2, limit: int = MAX_VIEW_NODES
) -> tuple[nx.Graph, dict[str, tuple[float, float]]]:
    """The projection a view draws and its nodes' positions, made once per index (the build
    makes them before it forks the processes that write the explorer's two copies and the
    statistics, which share them). Callers must not change what they get."""
    key = (name, focus, depth, limit)
    found = idx.drawings.get(key)
    if found is None:
        if name == "neighbourhood" and focus is None:
            g = nx.Graph(view="neighbourhood")
        else:
            g = cut_down(projection(idx, name, focus=focus, depth=depth), limit)
        found = idx.drawings[key] = (g, layout(g))
    return found


def projection(idx: EntityIndex, name: str, *, focus: str | None = None, depth: int = 2) -> nx.Graph:
    """:func:`project`'s graph, made once per index, as :func:`drawing`'s."""
    key = ("projection", name, focus, depth)
    found = idx.drawings.get(key)
    if found is None:
        found = idx.drawings[key] = project(idx, name, focus=focus, depth=depth)
    return found


def render_all(
    graph: Graph | EntityIndex,
    viz_dir: Path,
    *,
    lang: str = "zh",
    page_of: PageOf | None = None,
) -> dict[Path, str]:
    """The main job's pages, {viz_dir/NAME.html: html}, the neighbourhood page among them; the
    caller writes them. ``page_of``: as for :func:`render_view`."""
    idx = index(graph)
    return {
        Path(viz_dir) / f"{name}.html": render_view(idx, name, lang=lang, page_of=page_of)
        for name in (*PAGES, "neighbourhood")
    }


# -- notebooks and pyvis ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewPage:
    """A rendered page; Jupyter shows it inline (in a sandboxed iframe, so its script and
    style stay out of the notebook)."""

    html: str
    height: int = 720

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            f'style="width:100%;height:{self.height}px;border:1px solid #ddd"></iframe>'
        )

    def save(self, path: Path) -> Path:
        from egovkg.util.atomic import write_text

        write_text(Path(path), self.html)
        return Path(path)


def show(
    graph: Graph,
    name: str = "overview",
    *,
    lang: str = "zh",
    focus: str | None = None,
    depth: int = 2,
    height: int = 720,
) -> ViewPage:
    """A view for a notebook cell: ``views.show(g, "geography")``."""
    return ViewPage(render_view(graph, name, lang=lang, focus=focus, depth=depth), height)


def to_pyvis(graph: Graph | EntityIndex, g: nx.Graph, *, lang: str = "both") -> Any:
    """A pyvis ``Network`` holding the projection with our positions, styles and labels. Filled
    directly (pyvis's add_node/add_edge scan their lists on every call, quadratic in size)."""
    from pyvis.network import Network

    data = payload(graph, g, lang=lang)
    net = Network(height="750px", width="100%", directed=True, cdn_resources="in_line")
    for n in data["nodes"]:
        style = STYLE[n["cls"]]
        label = {"zh": n["zh"], "en": n["en"]}.get(lang, f"{n['zh']}\n{n['en']}")
        net.nodes.append(
            {
                "id": n["id"],
                "label": label,
                "title": n["iri"],
                "x": n["x"],
                "y": n["y"],
                "shape": style.shape,
                "color": style.color,
                "size": n["size"],
                "physics": False,
            }
        )
        net.node_ids.append(n["id"])
        net.node_map[n["id"]] = net.nodes[-1]
    for e in data["edges"]:
        net.edges.append(
            {
                "from": e["from"],
                "to": e["to"],
                "title": "; ".join(p[1] for p in e["p"]),
                "arrows": "to" if e["arrow"] else "",
            }
        )
    net.toggle_physics(False)
    return net
