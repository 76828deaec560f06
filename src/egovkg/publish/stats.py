"""Network analytics of the graph: counts, centrality, components, co-applicants, a chart.

Counts come from the RDF graph; centrality and components are computed on the
overview projection of :mod:`egovkg.publish.views` (awards, practices, agencies,
enterprises, persons, regions, programmes, categories), so the numbers describe
the network a reader sees in ``viz/overview.html``. An award's province is its
practice's region rolled up through ``schema:containedInPlace`` to the level
below China; central bodies sit in region 000000, reported as "China
(national)".
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import networkx as nx
from rdflib import Graph
from rdflib.namespace import SKOS

from egovkg.graph.namespaces import EGOV
from egovkg.publish.views import NATIONAL, NATIONAL_LABEL, EntityIndex, index, projection

CENTRALITY_CLASSES = ("Agency", "Enterprise", "Region", "Programme")
ROUND = 6  # decimals kept for centrality values, so outputs are stable across platforms


@dataclass(frozen=True)
class Count:
    id: str
    zh: str
    en: str
    count: int


@dataclass(frozen=True)
class KindCount:
    id: str
    zh: str
    en: str
    agencies: int
    awards: int  # awards with at least one recipient of this kind


@dataclass(frozen=True)
class Centrality:
    id: str  # 'agency:qingdao-egov-office'
    cls: str
    zh: str
    en: str
    degree: int
    degree_centrality: float
    betweenness: float


@dataclass(frozen=True)
class Component:
    size: int
    classes: dict[str, int]
    hub: str  # the id of its node with the highest degree
    hub_en: str


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    a_zh: str
    a_en: str
    b_zh: str
    b_en: str
    awards: tuple[str, ...]


@dataclass
class Stats:
    triples: int
    entities: dict[str, int]
    awards_by_category: list[Count]
    awards_by_province: list[Count]
    agencies_by_kind: list[KindCount]
    centrality: list[Centrality]
    components: list[Component]
    co_applicants: list[Pair]
    network: dict[str, int]  # size of the overview projection
    co_applicant_graph: nx.Graph = field(repr=False, compare=False, default_factory=nx.Graph)

    def centrality_of(self, key: str) -> Centrality:
        return next(c for c in self.centrality if c.id == key)

    def province_leader(self) -> Count:
        """The region (province or China (national)) with the most awards; ties go to the lower code."""
        return self.awards_by_province[0]


def compute(graph: Graph | EntityIndex) -> Stats:
    idx = index(graph)
    key = {iri: e.key for iri, e in idx.entities.items()}
    awards = idx.of_class("Award")

    by_cat: Counter[str] = Counter(c for a in awards if (c := idx.first(a, EGOV.category)))
    categories = sorted(idx.of_class("AwardCategory"), key=lambda c: (_notation(idx, c), c))
    awards_by_category = [Count(_local(c), *idx.label(c), by_cat[c]) for c in categories]

    by_prov: Counter[str] = Counter(p for a in awards if (p := idx.province_of(a)))
    awards_by_province = [
        Count(_local(p), *(NATIONAL_LABEL if _local(p) == NATIONAL else idx.label(p)), n)
        for p, n in sorted(by_prov.items(), key=lambda pn: (-pn[1], _local(pn[0])))
    ]

    agents = idx.of_class("Agency", "Enterprise")
    kind_of = {a: idx.first(a, EGOV.agencyKind) for a in agents}
    agencies_per_kind = Counter(k for k in kind_of.values() if k)
    awards_per_kind: Counter[str] = Counter()
    for a in awards:
        kinds = {kind_of.get(str(r)) for r in idx.objects(a, EGOV.recipient)} - {None}
        awards_per_kind.update(kinds)
    agencies_by_kind = sorted(
        (
            KindCount(_local(k), *idx.label(k), agencies_per_kind[k], awards_per_kind[k])
            for k in idx.of_class("AgencyKind")
            if agencies_per_kind[k]
        ),
        key=lambda kc: (-kc.agencies, -kc.awards, kc.id),
    )

    net = projection(idx, "overview")  # made once per index: the views share it
    degree_c = nx.degree_centrality(net) if len(net) > 1 else {n: 0.0 for n in net}
    between = nx.betweenness_centrality(net, normalized=True) if len(net) > 2 else {n: 0.0 for n in net}
    order = {c: i for i, c in enumerate(CENTRALITY_CLASSES)}
    centrality = sorted(
        (
            Centrality(
                key[n],
                net.nodes[n]["cls"],
                idx.entities[n].zh,
                idx.entities[n].en,
                net.degree(n),
                round(degree_c[n], ROUND),
                round(between[n], ROUND),
            )
            for n in net
            if net.nodes[n]["cls"] in order
        ),
        key=lambda c: (order[c.cls], -c.betweenness, -c.degree, c.id),
    )
    components = []
    for nodes in nx.connected_components(net):
        hub = min(nodes, key=lambda n: (-net.degree(n), n))
        classes = Counter(net.nodes[n]["cls"] for n in nodes)
        components.append(Component(len(nodes), dict(sorted(classes.items())), key[hub], idx.entities[hub].en))
    components.sort(key=lambda c: (-c.size, c.hub))

    co = nx.Graph()
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for a in awards:
        recipients = sorted(str(r) for r in idx.objects(a, EGOV.recipient))
        co.add_nodes_from(recipients)
        for i, x in enumerate(recipients):
            for y in recipients[i + 1 :]:
                shared[(x, y)].append(key[a])
    for (x, y), names in sorted(shared.items()):
        co.add_edge(x, y, awards=tuple(names))
    pairs = [
        Pair(key[x], key[y], *idx.label(x), *idx.label(y), tuple(names))
        for (x, y), names in sorted(shared.items(), key=lambda kv: (key[kv[0][0]], key[kv[0][1]]))
    ]
    for n in co:
        co.nodes[n].update(cls=idx.entities[n].cls, zh=idx.entities[n].zh, en=idx.entities[n].en)

    entities = Counter(e.cls for e in idx.entities.values())
    return Stats(
        triples=sum(len(v) for v in idx.out.values()),
        entities=dict(sorted(entities.items())),
        awards_by_category=awards_by_category,
        awards_by_province=awards_by_province,
        agencies_by_kind=agencies_by_kind,
        centrality=centrality,
        components=components,
        co_applicants=pairs,
        network={"nodes": net.number_of_nodes(), "edges": net.number_of_edges()},
        co_applicant_graph=co,
    )


def _local(iri: str) -> str:
    return iri.rstrip("/").rpartition("/")[2]


def _notation(idx: EntityIndex, iri: str) -> int:
    value = idx.first(iri, SKOS.notation) or ""
    return int(value) if value.isdigit() else 0


# -- outputs --------------------------------------------------------------------------------------


def to_json(stats: Stats) -> str:
    data = asdict(stats)
    data.pop("co_applicant_graph", None)
    data["co_applicants"] = [{**p, "awards": list(p["awards"])} for p in data["co_applicants"]]
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


CSV_FIELDS = ("table", "id", "class", "label_zh", "label_en", "measure", "value")


def rows(stats: Stats) -> list[dict[str, Any]]:
    """Every figure as one row of a long table (the CSV form)."""
    out: list[dict[str, Any]] = []

    def add(table: str, id_: str, cls: str, zh: str, en: str, measure: str, value: Any) -> None:
        out.append(dict(zip(CSV_FIELDS, (table, id_, cls, zh, en, measure, value), strict=True)))

    add("graph", "triples", "", "三元组", "triples", "count", stats.triples)
    for cls, n in stats.entities.items():
        add("entities", cls, cls, "", "", "count", n)
    for c in stats.awards_by_category:
        add("awards-by-category", c.id, "AwardCategory", c.zh, c.en, "awards", c.count)
    for c in stats.awards_by_province:
        add("awards-by-province", c.id, "Region", c.zh, c.en, "awards", c.count)
    for k in stats.agencies_by_kind:
        add("agencies-by-kind", k.id, "AgencyKind", k.zh, k.en, "agencies", k.agencies)
        add("agencies-by-kind", k.id, "AgencyKind", k.zh, k.en, "awards", k.awards)
    for c in stats.centrality:
        for measure in ("degree", "degree_centrality", "betweenness"):
            add("centrality", c.id, c.cls, c.zh, c.en, measure, getattr(c, measure))
    for i, comp in enumerate(stats.components, 1):
        add("components", f"component-{i}", "", "", comp.hub_en, "size", comp.size)
    for p in stats.co_applicants:
        add(
            "co-applicants",
            f"{p.a} {p.b}",
            "",
            f"{p.a_zh}、{p.b_zh}",
            f"{p.a_en}; {p.b_en}",
            "shared_awards",
            len(p.awards),
        )
    return out


def to_csv(stats: Stats) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(stats))
    return buf.getvalue()


TABLE_WIDTH = 140  # columns, for tables written to a file or a pipe


def to_table(stats: Stats, *, top: int = 10, width: int = TABLE_WIDTH) -> str:
    """Tables for a terminal ``width`` columns wide (rich measures the width of Chinese
    characters); labels are data, never markup or control sequences (egovkg.util.terminal)."""
    from rich.table import Table

    from egovkg.util.terminal import cell
    from egovkg.util.terminal import console as plain_console

    console = plain_console(width)

    def table(title: str, headers: tuple[str, ...], body: list[tuple[Any, ...]]) -> None:
        t = Table(title=cell(title), title_justify="left", header_style="bold")
        for h in headers:
            t.add_column(
                h,
                justify="right"
                if h in ("awards", "agencies", "degree", "betweenness", "size", "count", "shared")
                else "left",
                overflow="fold",
            )
        for r in body:
            t.add_row(*(cell(v) for v in r))
        console.print(t)

    console.print(
        f"graph: {stats.triples} triples; overview network: {stats.network['nodes']} nodes, "
        f"{stats.network['edges']} edges, {len(stats.components)} connected component(s)"
    )
    table("Entities by class", ("class", "count"), list(stats.entities.items()))
    table(
        "Awards by category",
        ("category", "名称", "name", "awards"),
        [(c.id, c.zh, c.en, c.count) for c in stats.awards_by_category],
    )
    table(
        "Awards by province (districts and cities rolled up; 000000 = central bodies)",
        ("code", "省份", "province", "awards"),
        [(c.id, c.zh, c.en, c.count) for c in stats.awards_by_province],
    )
    table(
        "Agencies by kind",
        ("kind", "类型", "name", "agencies", "awards"),
        [(k.id, k.zh, k.en, k.agencies, k.awards) for k in stats.agencies_by_kind],
    )
    for cls in CENTRALITY_CLASSES:
        chosen = [c for c in stats.centrality if c.cls == cls][:top]
        if chosen:
            table(
                f"{cls}: top {len(chosen)} by betweenness centrality (overview network)",
                ("id", "名称", "degree", "betweenness"),
                [(c.id, c.zh, c.degree, f"{c.betweenness:.4f}") for c in chosen],
            )
    table(
        "Connected components (overview network)",
        ("size", "hub", "classes"),
        [(c.size, c.hub, ", ".join(f"{k} {v}" for k, v in c.classes.items())) for c in stats.components],
    )
    table(
        "Co-applicants (awards with more than one applicant)",
        ("applicant", "co-applicant", "shared", "awards"),
        [(f"{p.a_zh}", f"{p.b_zh}", len(p.awards), " ".join(p.awards)) for p in stats.co_applicants],
    )
    return console.file.getvalue()  # type: ignore[attr-defined]


def chart_png(stats: Stats, *, dpi: int = 100) -> bytes:
    """A bar chart of awards per province, PNG, the same bytes for the same stats.

    English labels, so the chart needs no CJK font. Uses matplotlib's object API with the Agg
    canvas (no pyplot, so no global backend state) and drops the PNG's Software tag."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = list(reversed(stats.awards_by_province))  # largest at the top
    labels = [c.en for c in data]
    values = [c.count for c in data]
    height = max(2.5, 0.32 * len(data) + 1.2)
    fig = Figure(figsize=(8, height), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bars = ax.barh(range(len(data)), values, color=["#0072B2" if c.id != NATIONAL else "#E69F00" for c in data])
    ax.set_yticks(range(len(data)), labels=labels, fontsize=9)
    ax.bar_label(bars, padding=3, fontsize=8)
    total = sum(c.count for c in stats.awards_by_category)
    ax.set_title(f"Awards per province, China E-Government Best Practice 2012 (n = {total})", fontsize=11)
    ax.set_xlabel("awards (district and city awards counted in their province; orange: central bodies)", fontsize=8)
    top = max(values, default=1)
    ax.set_xlim(0, top + max(1, math.ceil(top * 0.1)))
    ax.xaxis.get_major_locator().set_params(integer=True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


__all__ = ["Stats", "compute", "to_table", "to_csv", "to_json", "rows", "chart_png"]
