"""Stage: interactive views of the graph, as self-contained HTML pages.

Each view is a networkx projection of the RDF graph (:func:`project`), laid out
in Python (:func:`layout`) and written into one HTML page that works opened
from ``file://`` with no network at all (:func:`render_view`,
:func:`render_all`).

How this uses pyvis
-------------------
The design names pyvis 0.3.2. Measured, its page generation does not fit:
``add_node``/``add_edge``/``from_nx`` are quadratic (they scan the node and edge
lists on every insert); its ``local``/``remote`` modes load vis-network from a
CDN and draw nothing offline; ``in_line`` still links Bootstrap from a CDN; and
``cdn_resources="local"`` copies a ``lib/`` folder into the working directory.
So the pages come from our own template (``templates/view.*``) with
vis-network 9.1.2 inlined from ``vendor/`` -- the build pyvis 0.3.2 bundles in
``pyvis/templates/lib/vis-9.1.2``, taken from the npm tarball because pyvis's
copy was re-saved with altered whitespace and lacks the licence files
(``vendor/README.md``; ``tests/test_views.py`` checks the two agree). Like pyvis, the
page keeps the vis ``Network`` as the global ``network``. :func:`to_pyvis`
hands a projection to pyvis's ``Network`` (filling its node and edge lists
directly, in linear time) for anyone who wants pyvis's own API or notebook
helpers.

Layouts are computed here so the browser never runs physics: a
Fruchterman-Reingold force layout (exact repulsion up to
:data:`EXACT_REPULSION_MAX` nodes, a particle-mesh approximation with an FFT
above it, so 5,000 nodes take about a second), a radial tree for the region
hierarchy and neighbourhoods, and a time axis for the timeline. Positions are
rounded, nodes sorted by IRI and the JSON written with fixed key order, so the
same graph always gives byte-identical HTML.

Every string from the graph reaches the page as JSON inside a
``<script type="application/json">`` element with ``<``, ``>``, ``&`` and
U+2028/U+2029 escaped, and the page's script puts it into the DOM with
``textContent`` only; vis-network draws labels on a canvas and sets string
tooltips with ``innerText``. A label such as ``<img src=x onerror=alert(1)>``
shows literally and runs nothing.
"""

from __future__ import annotations

import difflib
import html
import json
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, RDF, RDFS, SDO, SKOS

from egovkg.errors import EgovkgError
from egovkg.graph.namespaces import EGOV, OA

VIEWS: tuple[str, ...] = ("overview", "geography", "agencies", "timeline", "neighbourhood")
PAGES: tuple[str, ...] = ("overview", "geography", "agencies", "timeline")  # written by the main job
LANGS: tuple[str, ...] = ("zh", "en", "both")
VIEW_TITLES: dict[str, tuple[str, str]] = {
    "overview": ("总览", "Overview"),
    "geography": ("地理分布", "Geography"),
    "agencies": ("机构网络", "Agencies"),
    "timeline": ("政策时间线", "Timeline"),
    "neighbourhood": ("邻域", "Neighbourhood"),
}
NATIONAL = "000000"  # GB/T 2260 code of the region that holds central bodies
NATIONAL_LABEL = ("中国（中央）", "China (national)")
EXACT_REPULSION_MAX = 1000
EDGE_PX = 110.0  # median edge length of a force layout, in page pixels


class ViewError(EgovkgError):
    """An unknown view, focus or option."""


@dataclass(frozen=True)
class ClassStyle:
    key: str
    iri: URIRef
    zh: str
    en: str
    shape: str
    color: str
    size: int


# First match wins, so an Enterprise (also an org:Organization) is never an Agency.
# Colours: Okabe-Ito and Tol's muted palette, distinguishable for common colour-blindness;
# the shape tells the classes apart where colours are close.
CLASSES: tuple[ClassStyle, ...] = (
    ClassStyle("Award", EGOV.Award, "奖项", "Award", "star", "#E69F00", 16),
    ClassStyle("Practice", EGOV.Practice, "最佳实践案例", "Practice", "dot", "#56B4E9", 9),
    ClassStyle("Enterprise", EGOV.Enterprise, "企业", "Enterprise", "triangleDown", "#CC79A7", 13),
    ClassStyle("Agency", EGOV.Agency, "机构", "Agency", "triangle", "#D55E00", 13),
    ClassStyle("Person", FOAF.Person, "个人", "Person", "diamond", "#882255", 14),
    ClassStyle("Region", EGOV.Region, "行政区", "Region", "square", "#009E73", 12),
    ClassStyle("Programme", EGOV.Programme, "重大工程", "Programme", "hexagon", "#0072B2", 13),
    ClassStyle("AwardCategory", EGOV.AwardCategory, "奖项类别", "Award category", "star", "#F0E442", 26),
    ClassStyle("Selection", EGOV.Selection, "评选活动", "Selection", "star", "#332288", 24),
    ClassStyle("Milestone", EGOV.Milestone, "里程碑", "Milestone", "diamond", "#117733", 14),
    ClassStyle("PolicyDocument", EGOV.PolicyDocument, "政策文件", "Policy document", "square", "#AA4499", 15),
    ClassStyle("MicroblogAccount", EGOV.MicroblogAccount, "微博账号", "Microblog account", "dot", "#44AA99", 10),
    ClassStyle("StrategicGoal", EGOV.StrategicGoal, "战略目标", "Strategic goal", "triangle", "#999933", 11),
    ClassStyle("Problem", EGOV.Problem, "问题", "Problem", "triangleDown", "#BBBBBB", 10),
    ClassStyle("AgencyKind", EGOV.AgencyKind, "机构类型", "Agency kind", "hexagon", "#88CCEE", 11),
    ClassStyle(
        "AdministrativeLevel", EGOV.AdministrativeLevel, "行政级别", "Administrative level", "hexagon", "#DDCC77", 11
    ),
    ClassStyle("SourceDocument", EGOV.SourceDocument, "来源文件", "Source document", "square", "#555555", 14),
)
STYLE: dict[str, ClassStyle] = {c.key: c for c in CLASSES}

# Predicates that become edges (subject -> object); the rest are facts in the details panel.
STRUCTURAL: tuple[URIRef, ...] = (
    EGOV.category,
    EGOV.practice,
    EGOV.recipient,
    EGOV.selection,
    EGOV.region,
    EGOV.relatedProgramme,
    EGOV.featuresAccount,
    EGOV.agencyKind,
    EGOV.administrativeLevel,
    ORG.subOrganizationOf,
    ORG.memberOf,
    FOAF.account,
    SDO.containedInPlace,
    DCTERMS.isPartOf,
    SDO.organizer,
    SDO.legislationPassedBy,
    EGOV.strategicGoal,
    EGOV.problemOf,
    EGOV.concerns,
    DCTERMS.publisher,
)
CO_APPLICANT = "urn:egovkg:view:co-applicant"
AWARD_PROGRAMME = "urn:egovkg:view:award-programme"
DERIVED_LABELS = {
    CO_APPLICANT: ("共同申报", "co-applicant"),
    AWARD_PROGRAMME: ("获奖实践涉及的工程", "programme of an awarded practice"),
}

VIEW_CLASSES: dict[str, frozenset[str]] = {
    "overview": frozenset(
        {"Award", "Practice", "Agency", "Enterprise", "Person", "Region", "Programme", "AwardCategory"}
    ),
    "geography": frozenset({"Region", "Practice", "Agency", "Enterprise"}),
    "agencies": frozenset({"Agency", "Enterprise", "Programme"}),
    "timeline": frozenset({"Milestone", "PolicyDocument", "Selection", "Programme", "StrategicGoal"}),
    "neighbourhood": frozenset(STYLE),
}
VIEW_PREDICATES: dict[str, frozenset[URIRef]] = {
    "overview": frozenset(
        {
            EGOV.category,
            EGOV.practice,
            EGOV.recipient,
            EGOV.region,
            EGOV.relatedProgramme,
            ORG.subOrganizationOf,
            ORG.memberOf,
            SDO.containedInPlace,
            DCTERMS.isPartOf,
        }
    ),
    "geography": frozenset({SDO.containedInPlace, EGOV.region}),
    "agencies": frozenset({ORG.subOrganizationOf, DCTERMS.isPartOf}),
    "timeline": frozenset({EGOV.concerns, DCTERMS.isPartOf, EGOV.strategicGoal}),
    "neighbourhood": frozenset(STRUCTURAL),
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
PINYIN_TAG = "zh-latn-pinyin"


# -- reading the graph ----------------------------------------------------------------------------


@dataclass
class Entity:
    iri: str
    cls: str
    zh: str
    en: str
    pinyin: str = ""
    alt: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """'agency:qingdao-egov-office': the last two path segments of the IRI."""
        head, _, local = self.iri.rstrip("/").rpartition("/")
        kind = head.rpartition("/")[2]
        return f"{kind}:{local}" if kind else local


@dataclass
class EntityIndex:
    """Everything the views and the statistics read from the RDF graph, read once."""

    entities: dict[str, Entity]
    out: dict[str, list[tuple[URIRef, Any]]]  # subject -> (predicate, object), for every subject
    labels: dict[str, tuple[str, str]]  # any IRI with a label (properties too) -> (zh, en)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (s, predicate, o) between entities
    _inverse: dict[tuple[str, str], list[str]] | None = field(default=None, repr=False)
    _by_predicate: dict[str, dict[URIRef, list[Any]]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_graph(cls, graph: Graph) -> EntityIndex:
        out: dict[str, list[tuple[URIRef, Any]]] = defaultdict(list)
        types: dict[str, set[URIRef]] = defaultdict(set)
        for s, p, o in graph:
            if not isinstance(s, URIRef):
                continue
            out[str(s)].append((p, o))
            if p == RDF.type and isinstance(o, URIRef):
                types[str(s)].add(o)
        for values in out.values():
            values.sort(key=lambda po: (str(po[0]), _sort_key(po[1])))
        labels: dict[str, tuple[str, str]] = {}
        entities: dict[str, Entity] = {}
        for s, po in out.items():
            zh, en, py, alt = _names(po)
            if zh or en:
                labels[s] = (zh or en, en or zh)
            style = next((c for c in CLASSES if c.iri in types.get(s, ())), None)
            if style is None:
                continue
            fallback = s.rstrip("/").rpartition("/")[2]
            entities[s] = Entity(s, style.key, zh or en or fallback, en or zh or fallback, py, alt)
        index = cls(entities, dict(out), labels)
        structural = set(STRUCTURAL)
        for s in sorted(entities):
            for p, o in out[s]:
                if p in structural and str(o) in entities and str(o) != s:
                    index.edges.append((s, str(p), str(o)))
        return index

    # -- lookups ------------------------------------------------------------------------------

    def objects(self, s: str, p: URIRef) -> list[Any]:
        """The objects of (s, p), in the index's order; a subject's values are grouped once."""
        grouped = self._by_predicate.get(s)
        if grouped is None:
            grouped = self._by_predicate[s] = defaultdict(list)
            for q, o in self.out.get(s, ()):
                grouped[q].append(o)
        return grouped.get(p, [])

    def first(self, s: str, p: URIRef) -> str | None:
        values = self.objects(s, p)
        return str(values[0]) if values else None

    def of_class(self, *keys: str) -> list[str]:
        return sorted(i for i, e in self.entities.items() if e.cls in keys)

    def subjects(self, p: URIRef, o: str) -> list[str]:
        """Entities with an edge p to o, sorted."""
        if self._inverse is None:
            self._inverse = defaultdict(list)
            for s, q, obj in self.edges:
                self._inverse[(q, obj)].append(s)
        return self._inverse.get((str(p), o), [])

    def label(self, iri: str) -> tuple[str, str]:
        if iri in self.entities:
            e = self.entities[iri]
            return e.zh, e.en
        if iri in self.labels:
            return self.labels[iri]
        local = iri.rstrip("/").rpartition("/")[2].rpartition("#")[2]
        return local, local

    # -- derived facts -----------------------------------------------------------------------

    def region_of(self, iri: str) -> str | None:
        """The most specific region of an entity (a practice's, an agency's, an award's, a person's)."""
        e = self.entities.get(iri)
        if e is None:
            return None
        if e.cls == "Region":
            return iri
        if e.cls == "Award":
            practice = self.first(iri, EGOV.practice)
            region = self.first(practice, EGOV.region) if practice else None
            if region is None:
                lead = self.first(iri, EGOV.leadRecipient)
                region = self.region_of(lead) if lead else None
            return region
        if e.cls == "Person":
            agency = self.first(iri, ORG.memberOf)
            return self.region_of(agency) if agency else None
        return self.first(iri, EGOV.region)

    def province(self, region: str) -> str:
        """Roll a region up to its province (the level below China); China itself stays national."""
        chain = [region]
        while True:
            parent = self.first(chain[-1], SDO.containedInPlace)
            if parent is None or parent in chain:
                break
            chain.append(parent)
        return chain[-2] if len(chain) > 1 else chain[0]

    def province_of(self, iri: str) -> str | None:
        region = self.region_of(iri)
        return self.province(region) if region else None

    def awards_of(self, iri: str) -> list[str]:
        """Awards an entity is part of: itself, the award of a practice, awards received, awards
        whose practice names a programme or features an account, awards of a category."""
        e = self.entities.get(iri)
        if e is None:
            return []
        if e.cls == "Award":
            return [iri]
        if e.cls == "Practice":
            return sorted(self.subjects(EGOV.practice, iri))
        if e.cls in ("Agency", "Enterprise", "Person"):
            return sorted(self.subjects(EGOV.recipient, iri))
        if e.cls == "AwardCategory":
            return sorted(self.subjects(EGOV.category, iri))
        if e.cls in ("Programme", "MicroblogAccount"):
            p = EGOV.relatedProgramme if e.cls == "Programme" else EGOV.featuresAccount
            return sorted({a for pr in self.subjects(p, iri) for a in self.subjects(EGOV.practice, pr)})
        return []

    def facets(self, iri: str) -> dict[str, list[str]]:
        """Values the page's filters match on. A missing facet means the filter never hides the node;
        an empty one means it is hidden whenever that filter is set."""
        e = self.entities[iri]
        f: dict[str, list[str]] = {}
        awards = self.awards_of(iri)
        if e.cls == "AwardCategory":
            f["cat"] = [_local(iri)]
        elif e.cls in ("Award", "Practice", "Agency", "Enterprise", "Person", "Programme", "MicroblogAccount"):
            f["cat"] = sorted({_local(c) for a in awards if (c := self.first(a, EGOV.category))})
        if e.cls in ("Award", "Practice", "Agency", "Enterprise", "Person", "Region"):
            prov = self.province_of(iri)
            f["prov"] = [_local(prov)] if prov else []
        elif e.cls in ("Programme", "MicroblogAccount"):
            f["prov"] = sorted({_local(p) for a in awards if (p := self.province_of(a))})
        if e.cls in ("Agency", "Enterprise"):
            kind = self.first(iri, EGOV.agencyKind)
            f["kind"] = [_local(kind)] if kind else []
        return f

    def sources(self, iri: str) -> list[tuple[str, str, str]]:
        """(prefix, exact, suffix) of each span the entity was read from, in text order."""
        found = []
        for span in self.objects(iri, PROV.wasDerivedFrom):
            exact = prefix = suffix = ""
            start = -1
            for sel in self.objects(str(span), OA.hasSelector):
                sel = str(sel)
                exact = self.first(sel, OA.exact) or exact
                prefix = self.first(sel, OA.prefix) or prefix
                suffix = self.first(sel, OA.suffix) or suffix
                s = self.first(sel, OA.start)
                if s is not None:
                    start = int(s)
            if exact:
                found.append((start, prefix, exact, suffix))
        found.sort()
        return [(p, x, s) for _start, p, x, s in found]


def _local(iri: str) -> str:
    return iri.rstrip("/").rpartition("/")[2]


def _sort_key(term: Any) -> tuple[str, str, str]:
    if isinstance(term, Literal):
        return (str(term), term.language or "", str(term.datatype or ""))
    return (str(term), "", "")


def _lang_base(lang: str | None) -> str:
    lang = (lang or "").lower()
    if lang == PINYIN_TAG or lang.startswith("zh-latn"):
        return "pinyin"
    if lang == "zh" or lang.startswith("zh-"):
        return "zh"
    if lang == "en" or lang.startswith("en-"):
        return "en"
    return lang


def _names(po: list[tuple[URIRef, Any]]) -> tuple[str, str, str, tuple[str, ...]]:
    """(zh, en, pinyin, other names): the first of prefLabel, rdfs:label, foaf:name in each
    language names the node; every other label and altLabel is an other name."""
    best: dict[str, str] = {}
    alt: set[str] = set()
    py = ""
    for pred in (SKOS.prefLabel, RDFS.label, FOAF.name, SKOS.altLabel):
        for p, o in po:
            if p != pred or not isinstance(o, Literal):
                continue
            base = _lang_base(o.language)
            if base == "pinyin":
                py = py or str(o)
            elif base in ("zh", "en") and base not in best and pred != SKOS.altLabel:
                best[base] = str(o)
            else:
                alt.add(str(o))
    alt -= set(best.values()) | {py}
    return best.get("zh", ""), best.get("en", ""), py, tuple(sorted(alt))


def index(graph: Graph | EntityIndex) -> EntityIndex:
    return graph if isinstance(graph, EntityIndex) else EntityIndex.from_graph(graph)


# -- projections ----------------------------------------------------------------------------------


def check_name(name: str) -> str:
    """The view name, or a ViewError naming the close matches."""
    if name in VIEWS:
        return name
    close = difflib.get_close_matches(name, VIEWS, n=3, cutoff=0.4)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise ViewError(f"unknown view '{name}'{hint} (views: {', '.join(VIEWS)})")


def resolve_focus(graph: Graph | EntityIndex, text: str) -> str:
    """An entity IRI from an IRI, 'agency:qingdao-egov-office', 'agency/…', a bare id or a label."""
    idx = index(graph)
    text = text.strip()
    if text in idx.entities:
        return text
    by_key: dict[str, list[str]] = defaultdict(list)
    by_local: dict[str, list[str]] = defaultdict(list)
    by_label: dict[str, list[str]] = defaultdict(list)
    for iri, e in idx.entities.items():
        by_key[e.key].append(iri)
        by_local[_local(iri)].append(iri)
        for name in (e.zh, e.en, e.pinyin, *e.alt):
            if name:
                by_label[_fold(name)].append(iri)
    for table, probe in ((by_key, text.replace("/", ":", 1)), (by_local, text), (by_label, _fold(text))):
        hits = sorted(set(table.get(probe, ())))
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            keys = ", ".join(idx.entities[h].key for h in hits[:8])
            raise ViewError(f"--focus '{text}' is ambiguous: {keys}")
    keys = sorted(by_key)
    close = difflib.get_close_matches(text.replace("/", ":", 1), keys, n=5, cutoff=0.5)
    folded = _fold(text)
    if folded:
        close += sorted(idx.entities[i].key for lab, iris in by_label.items() if folded in lab for i in iris)
    close = list(dict.fromkeys(close))[:8]
    hint = f"; close matches: {', '.join(close)}" if close else ""
    raise ViewError(f"unknown --focus '{text}': no entity has that IRI, id or label{hint}")


def _fold(text: str) -> str:
    """Case-, accent- and space-insensitive form for matching names and pinyin."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in kept.casefold() if ch.isalnum())


def project(graph: Graph | EntityIndex, name: str, *, focus: str | None = None, depth: int = 2) -> nx.Graph:
    """The networkx projection a view draws: nodes are entity IRIs, edges merge the predicates
    between a pair. Node attributes: cls, zh, en (and parent, awards, depth in geography; date in
    timeline); edge attributes: predicates (sorted IRIs), source (the subject end)."""
    check_name(name)
    idx = index(graph)
    if depth < 0:
        raise ViewError(f"--depth must be 0 or more, got {depth}")
    if name == "neighbourhood" and not focus:
        raise ViewError("the neighbourhood view needs --focus ID (e.g. --focus agency:qingdao-egov-office)")
    classes, preds = VIEW_CLASSES[name], {str(p) for p in VIEW_PREDICATES[name]}
    keep = {i for i, e in idx.entities.items() if e.cls in classes}
    if name == "timeline":  # what the milestones are about joins the timeline, whatever its class
        keep |= {o for s, p, o in idx.edges if p == str(EGOV.concerns) and s in keep}
    g = nx.Graph()
    for iri in sorted(keep):
        e = idx.entities[iri]
        g.add_node(iri, cls=e.cls, zh=e.zh, en=e.en)
    for s, p, o in idx.edges:
        if p in preds and s in keep and o in keep:
            _add_edge(g, s, o, p)
    if name == "agencies":
        _agency_links(idx, g)
    if name == "geography":
        _geography_tree(idx, g)
    if name == "timeline":
        for iri in g:
            g.nodes[iri]["date"] = _timeline_date(idx, iri)
    if focus is not None:
        centre = resolve_focus(idx, focus)
        if centre not in g:
            e = idx.entities[centre]
            raise ViewError(
                f"'{e.key}' ({e.en}) is of class {e.cls}, which the {name} view does not show; "
                f"try the neighbourhood view"
            )
        g = nx.Graph(g.subgraph(_around(g, centre, depth)))
        g.graph["focus"] = centre
    g.graph["view"] = name
    return g


# Vocabulary nodes that link half the graph: a neighbourhood includes them but does not go
# through them, or every agency would be two steps from every other agency of its kind.
HUBS = frozenset({"AwardCategory", "AgencyKind", "AdministrativeLevel", "Selection", "SourceDocument"})


def _around(g: nx.Graph, centre: str, depth: int) -> set[str]:
    """Nodes at most ``depth`` steps from the centre, not passing through a hub."""
    seen = {centre}
    frontier = [centre]
    for _ in range(depth):
        nxt = []
        for n in frontier:
            if n != centre and g.nodes[n]["cls"] in HUBS:
                continue
            for m in sorted(g.neighbors(n)):
                if m not in seen:
                    seen.add(m)
                    nxt.append(m)
        frontier = nxt
    return seen


def _add_edge(g: nx.Graph, s: str, o: str, predicate: str) -> None:
    if g.has_edge(s, o):
        data = g.edges[s, o]
        data["predicates"] = tuple(sorted({*data["predicates"], predicate}))
    else:
        g.add_edge(s, o, predicates=(predicate,), source=s)


def _agency_links(idx: EntityIndex, g: nx.Graph) -> None:
    """Co-applicants (two recipients of one award) and agency -> programme of an awarded practice."""
    for award in idx.of_class("Award"):
        recipients = sorted(str(r) for r in idx.objects(award, EGOV.recipient) if str(r) in g)
        for i, a in enumerate(recipients):
            for b in recipients[i + 1 :]:
                _add_edge(g, a, b, CO_APPLICANT)
        practice = idx.first(award, EGOV.practice)
        programmes = sorted(str(p) for p in idx.objects(practice, EGOV.relatedProgramme)) if practice else []
        for a in recipients:
            for p in programmes:
                if p in g:
                    _add_edge(g, a, p, AWARD_PROGRAMME)


def _geography_tree(idx: EntityIndex, g: nx.Graph) -> None:
    """Parent, depth and rolled-up award count of every node in the region tree."""
    for iri in g:
        cls = g.nodes[iri]["cls"]
        parent = idx.first(iri, SDO.containedInPlace if cls == "Region" else EGOV.region)
        g.nodes[iri]["parent"] = parent if parent in g else None
    awards: dict[str, int] = defaultdict(int)
    for award in idx.of_class("Award"):
        region = idx.region_of(award)
        seen = set()
        while region and region not in seen:
            seen.add(region)
            awards[region] += 1
            region = idx.first(region, SDO.containedInPlace)
    for iri in g:
        cls = g.nodes[iri]["cls"]
        g.nodes[iri]["awards"] = awards.get(iri, 0) if cls == "Region" else len(idx.awards_of(iri))
    for iri in g:
        d, node, seen = 0, iri, {iri}
        while (parent := g.nodes[node]["parent"]) is not None and parent not in seen:
            seen.add(parent)
            d, node = d + 1, parent
        g.nodes[iri]["depth"] = d


def _year(value: Any) -> float | None:
    """'2002' -> 2002.0, '2002-08' -> 2002.58, '2006-03-19' -> 2006.21."""
    text = str(value)
    try:
        year = int(text[:4])
    except ValueError:
        return None
    month = int(text[5:7]) if len(text) >= 7 and text[5:7].isdigit() else None
    day = int(text[8:10]) if len(text) >= 10 and text[8:10].isdigit() else 1
    return float(year) if month is None else round(year + (month - 1) / 12 + (day - 1) / 365, 4)


def _timeline_date(idx: EntityIndex, iri: str, seen: frozenset[str] = frozenset()) -> float | None:
    """Its own date; else the earliest milestone about it; else, for a goal, its document's date."""
    for p in (SDO.startDate, SDO.legislationDate, DCTERMS.date):
        dates = [y for o in idx.objects(iri, p) if (y := _year(o)) is not None]
        if dates:
            return min(dates)
    seen = seen | {iri}
    dates = [
        d for m in idx.subjects(EGOV.concerns, iri) if m not in seen and (d := _timeline_date(idx, m, seen)) is not None
    ]
    if dates:
        return min(dates)
    for doc in idx.subjects(EGOV.strategicGoal, iri):
        if doc not in seen and (d := _timeline_date(idx, doc, seen)) is not None:
            return d
    return None


# -- layouts --------------------------------------------------------------------------------------


def layout(g: nx.Graph) -> dict[str, tuple[float, float]]:
    """Page coordinates for every node, chosen by the projection's view."""
    if len(g) == 0:
        return {}
    view = g.graph.get("view")
    if view == "timeline":
        return timeline_layout(g)
    if view == "geography" and "focus" not in g.graph:
        roots = [n for n in sorted(g) if g.nodes[n].get("parent") is None]
        parent = {n: g.nodes[n]["parent"] for n in g}
        return radial_layout(g, roots, parent=parent)
    if "focus" in g.graph:
        return radial_layout(g, [g.graph["focus"]], spacing=120.0, min_ring=260.0)
    return force_layout(g, radii={n: node_size(g, n) for n in g})


def _tree(g: nx.Graph, roots: list[str], parent: Mapping[str, str | None] | None) -> dict[str, list[str]]:
    """Children lists of a spanning forest: the given parent map, or BFS from the roots."""
    children: dict[str, list[str]] = defaultdict(list)
    if parent is not None:
        for n in sorted(g):
            if parent.get(n) is not None:
                children[parent[n]].append(n)
        return children
    seen = set(roots)
    frontier = list(roots)
    while frontier:
        nxt = []
        for n in frontier:
            for m in sorted(g.neighbors(n)):
                if m not in seen:
                    seen.add(m)
                    children[n].append(m)
                    nxt.append(m)
        frontier = nxt
    rest = [n for n in sorted(g) if n not in seen]
    if rest:  # nodes the BFS never reached become extra roots
        roots.extend(r for r in rest if r not in roots)
    return children


def radial_layout(
    g: nx.Graph,
    roots: list[str],
    *,
    parent: Mapping[str, str | None] | None = None,
    spacing: float = 60.0,
    min_ring: float = 150.0,
) -> dict[str, tuple[float, float]]:
    """A radial tidy tree: one ring per depth, each parent at the middle of its leaves. A leaf's
    share of the circle is inversely proportional to its ring's radius, so neighbouring leaves
    are about ``spacing`` pixels apart on every ring. Linear in the number of nodes."""
    roots = list(roots)
    children = _tree(g, roots, parent)
    order = {c.key: i for i, c in enumerate(CLASSES)}

    def sort_key(n: str) -> tuple[int, str]:
        return (order.get(g.nodes[n].get("cls", ""), 99), n)

    for kids in children.values():
        kids.sort(key=sort_key)
    top = sorted(roots, key=sort_key)
    if len(top) > 1:  # several roots: hang them from a virtual centre
        children[""] = top
        top = [""]
    leaves: list[tuple[str, int]] = []
    depth: dict[str, int] = {}
    stack = [(r, 0) for r in reversed(top)]
    while stack:
        node, d = stack.pop()
        depth[node] = d
        kids = children.get(node, [])
        if not kids:
            leaves.append((node, d))
        stack.extend((k, d + 1) for k in reversed(kids))
    weights = [1 / max(d, 1) for _leaf, d in leaves]
    total = sum(weights)
    ring = max(spacing * total / (2 * math.pi), min_ring)
    angle: dict[str, float] = {}
    at = 0.0
    for (leaf, _d), w in zip(leaves, weights, strict=True):
        share = 2 * math.pi * w / total
        angle[leaf] = at + share / 2
        at += share
    # parents sit between their first and last leaf: walk nodes deepest first
    for node in sorted(depth, key=lambda n: -depth[n]):
        kids = children.get(node, [])
        if kids:
            angle[node] = (angle[kids[0]] + angle[kids[-1]]) / 2
    pos = {}
    for node, d in depth.items():
        if node == "":
            continue
        r = d * ring
        pos[node] = (round(r * math.cos(angle[node]), 1), round(r * math.sin(angle[node]), 1))
    return pos


def _pm_repulsion(pos: np.ndarray, k: float, grid: int = 128) -> np.ndarray:
    """Fruchterman-Reingold repulsion (k^2/d) by particle-mesh: node counts on a grid convolved
    with the force kernel by FFT. O(n + grid^2 log grid) instead of O(n^2); no periodic wrap,
    the grid is padded to twice the layout's extent."""
    lo = pos.min(0)
    span = max(float((pos.max(0) - lo).max()), 1e-9) * (1 + 1e-9)
    h = span / grid
    cell = np.clip(np.floor((pos - lo) / h).astype(np.int64), 0, grid - 1)
    size = 2 * grid
    rho = np.zeros((size, size))
    np.add.at(rho, (cell[:, 0], cell[:, 1]), 1.0)
    off = (np.arange(size) + grid) % size - grid
    dx, dy = off[:, None] * h, off[None, :] * h
    r2 = dx * dx + dy * dy
    r2[0, 0] = np.inf
    rho_f = np.fft.rfft2(rho)
    fx = np.fft.irfft2(rho_f * np.fft.rfft2(k * k * dx / r2), s=rho.shape)
    fy = np.fft.irfft2(rho_f * np.fft.rfft2(k * k * dy / r2), s=rho.shape)
    return np.stack([fx[cell[:, 0], cell[:, 1]], fy[cell[:, 0], cell[:, 1]]], axis=1)


def _exact_repulsion(pos: np.ndarray, k: float) -> np.ndarray:
    n = len(pos)
    disp = np.zeros_like(pos)
    chunk = max(1, 1_000_000 // n)
    for s in range(0, n, chunk):
        d = pos[s : s + chunk, None, :] - pos[None, :, :]
        d2 = np.einsum("ijk,ijk->ij", d, d)
        np.maximum(d2, 1e-12, out=d2)
        disp[s : s + chunk] += np.einsum("ijk,ij->ik", d, (k * k) / d2)
    return disp


def force_layout(
    g: nx.Graph,
    *,
    iterations: int | None = None,
    seed: int = 0,
    gravity: float = 0.05,
    repulsion: float = 1.0,
    radii: Mapping[str, float] | None = None,
) -> dict[str, tuple[float, float]]:
    """Fruchterman-Reingold with gravity, from a seeded start, scaled to page pixels; with
    ``radii``, overlapping nodes are then pushed apart (up to OVERLAP_REMOVAL_MAX nodes)."""
    nodes = sorted(g)
    n = len(nodes)
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    at = {v: i for i, v in enumerate(nodes)}
    edges = np.array(sorted((at[u], at[v]) for u, v in g.edges()), dtype=np.int64).reshape(-1, 2)
    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2))
    k = 1 / math.sqrt(n)
    iterations = iterations if iterations is not None else (300 if n <= EXACT_REPULSION_MAX else 120)
    repulse = _exact_repulsion if n <= EXACT_REPULSION_MAX else _pm_repulsion
    temperature = 0.1
    cool = temperature / (iterations + 1)
    for _ in range(iterations):
        disp = repulse(pos, k) * repulsion
        if len(edges):
            delta = pos[edges[:, 0]] - pos[edges[:, 1]]
            dist = np.sqrt((delta * delta).sum(1)) + 1e-12
            f = delta * (dist / k)[:, None]
            np.add.at(disp, edges[:, 0], -f)
            np.add.at(disp, edges[:, 1], f)
        disp -= gravity * (pos - pos.mean(0)) / k  # keeps components and isolated nodes in view
        length = np.sqrt((disp * disp).sum(1)) + 1e-12
        pos += disp * (np.minimum(length, temperature) / length)[:, None]
        temperature -= cool
    # Scale to pixels: edges about EDGE_PX long, but never so tight that the median node has a
    # neighbour closer than NEIGHBOUR_PX (graphs with many long edges would collapse otherwise).
    scale = NEIGHBOUR_PX / max(_median_nearest(pos), 1e-9)
    if len(edges):
        delta = pos[edges[:, 0]] - pos[edges[:, 1]]
        scale = max(scale, EDGE_PX / max(float(np.median(np.sqrt((delta * delta).sum(1)))), 1e-9))
    pos = _landscape((pos - pos.mean(0)) * scale)
    if radii is not None and n <= OVERLAP_REMOVAL_MAX:
        pos = _remove_overlaps(pos, np.array([radii.get(v, 10.0) for v in nodes], dtype=float))
    return {v: (round(float(pos[i, 0]), 1), round(float(pos[i, 1]), 1)) for v, i in at.items()}


OVERLAP_REMOVAL_MAX = 1500


def _landscape(pos: np.ndarray) -> np.ndarray:
    """Turn a centred layout so its longest extent runs left to right, like the browser window."""
    if len(pos) < 3:
        return pos
    values, vectors = np.linalg.eigh(np.cov(pos.T))
    v = vectors[:, int(np.argmax(values))]
    if v[0] < 0 or (v[0] == 0 and v[1] < 0):  # eigenvectors have no sign of their own: fix one
        v = -v
    rotate = np.array([[v[0], v[1]], [-v[1], v[0]]])
    return pos @ rotate.T


NEIGHBOUR_PX = 45.0


def _median_nearest(pos: np.ndarray, sample: int = 2000) -> float:
    """Median distance from a node to its nearest neighbour (over an even sample of nodes)."""
    n = len(pos)
    probe = np.arange(0, n, max(1, n // sample))
    best = np.empty(len(probe))
    chunk = max(1, 2_000_000 // n)
    for s in range(0, len(probe), chunk):
        rows = probe[s : s + chunk]
        d = pos[rows, None, :] - pos[None, :, :]
        d2 = np.einsum("ijk,ijk->ij", d, d)
        d2[np.arange(len(rows)), rows] = np.inf
        best[s : s + chunk] = np.sqrt(d2.min(1))
    return float(np.median(best))


def _remove_overlaps(pos: np.ndarray, radii: np.ndarray, *, margin: float = 8.0, rounds: int = 80) -> np.ndarray:
    """Push apart nodes whose shapes overlap (a force layout ignores node sizes), a little at a
    time so the picture keeps its shape. Pairwise, so only for graphs up to a few thousand nodes."""
    pos = pos.copy()
    need = radii[:, None] + radii[None, :] + margin
    np.fill_diagonal(need, 0.0)
    for _ in range(rounds):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt(np.einsum("ijk,ijk->ij", delta, delta))
        np.fill_diagonal(dist, np.inf)
        over = np.clip(need - dist, 0.0, None)
        if over.max() < 0.5:
            break
        # coincident nodes: separate along a fixed direction, keyed by index so it is deterministic
        same = dist < 1e-6
        if same.any():
            i, j = np.nonzero(np.triu(same))
            pos[j] += np.stack([np.cos(j), np.sin(j)], axis=1)
            continue
        push = np.einsum("ijk,ij->ik", delta / dist[..., None], over * 0.5)
        pos += push
    return pos


TIMELINE_PX_PER_YEAR = 150.0
TIMELINE_MAX_GAP = 2  # a longer stretch of years with nothing in it is drawn this long, with a break
TIMELINE_LANES: tuple[tuple[tuple[str, ...], tuple[str, str], float, int], ...] = (
    # (classes, caption, y of the lane's first row, direction its rows stack in)
    (("Agency", "Enterprise", "Person", "Region", "StrategicGoal"), ("相关机构与目标", "Bodies and goals"), -300, -1),
    (("PolicyDocument", "Selection"), ("政策文件与评选", "Documents and the selection"), -150, -1),
    (("Milestone",), ("里程碑", "Milestones"), 0, 1),
    (("Programme",), ("重大工程", "Programmes"), 200, 1),
)
TIMELINE_ROW = 48.0
TIMELINE_GAP = 170.0  # minimum horizontal distance between two nodes in one row


def time_scale(dates: Iterable[float]) -> tuple[dict[int, float], list[tuple[int, int, float]]]:
    """x of the start of every year on the axis, and the breaks (from, to, x): years run left to
    right at a fixed rate, but an empty stretch longer than TIMELINE_MAX_GAP years is shortened."""
    years = sorted({math.floor(d) for d in dates})
    xs: dict[int, float] = {}
    breaks: list[tuple[int, int, float]] = []
    x = 0.0
    for i, year in enumerate(years):
        if i:
            gap = year - years[i - 1]
            if gap > TIMELINE_MAX_GAP:
                breaks.append((years[i - 1], year, x + TIMELINE_MAX_GAP * TIMELINE_PX_PER_YEAR / 2))
                x += TIMELINE_MAX_GAP * TIMELINE_PX_PER_YEAR
            else:
                for k in range(1, gap):
                    xs[years[i - 1] + k] = x + k * TIMELINE_PX_PER_YEAR
                x += gap * TIMELINE_PX_PER_YEAR
        xs[year] = x
    return xs, breaks


def timeline_layout(g: nx.Graph) -> dict[str, tuple[float, float]]:
    """Left to right by date, one lane per kind of node; nodes too close in time take the next row
    of their lane. Undated nodes stand in a block left of the axis."""
    dates = {n: g.nodes[n].get("date") for n in g}
    xs, _breaks = time_scale(d for d in dates.values() if d is not None)
    lane_of = {c: i for i, (classes, _cap, _y, _dir) in enumerate(TIMELINE_LANES) for c in classes}
    pos: dict[str, tuple[float, float]] = {}
    rows: dict[int, list[float]] = defaultdict(list)  # lane -> right-most x in each of its rows
    undated: dict[int, int] = defaultdict(int)
    for n in sorted(g, key=lambda n: (dates[n] is None, dates[n] or 0, n)):
        lane = lane_of.get(g.nodes[n]["cls"], 0)
        _classes, _cap, y0, direction = TIMELINE_LANES[lane]
        date = dates[n]
        if date is None:
            i = undated[lane]
            undated[lane] += 1
            x = -TIMELINE_GAP * (1 + i % 2)
            pos[n] = (round(x, 1), round(y0 + direction * (i // 2) * TIMELINE_ROW, 1))
            continue
        x = xs[math.floor(date)] + (date - math.floor(date)) * TIMELINE_PX_PER_YEAR
        lane_rows = rows[lane]
        for row, right in enumerate(lane_rows):
            if x - right >= TIMELINE_GAP:
                lane_rows[row] = x
                break
        else:
            lane_rows.append(x)
            row = len(lane_rows) - 1
        pos[n] = (round(x, 1), round(y0 + direction * row * TIMELINE_ROW, 1))
    return pos


def timeline_axis(g: nx.Graph, pos: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """What the page draws behind the timeline: year lines, breaks, lane captions."""
    dates = [d for n in g if (d := g.nodes[n].get("date")) is not None]
    if not dates:
        return {}
    xs, breaks = time_scale(dates)
    ys = [y for _x, y in pos.values()] or [0.0]
    undated = any(g.nodes[n].get("date") is None for n in g)
    return {
        "years": [[year, round(x, 1)] for year, x in sorted(xs.items())],
        "breaks": [[a, b, round(x, 1)] for a, b, x in breaks],
        "top": min(ys) - 70,
        "bottom": max(ys) + 50,
        "lanes": [[zh, en, y0] for _classes, (zh, en), y0, _d in TIMELINE_LANES],
        "undated": [round(-1.5 * TIMELINE_GAP, 1), "无日期", "undated"] if undated else None,
    }


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


def node_size(g: nx.Graph, iri: str) -> float:
    """Radius of a node on the page: by class, growing with degree (geography: with awards)."""
    data = g.nodes[iri]
    style = STYLE[data["cls"]]
    if g.graph.get("view") == "geography":
        return round(style.size * 0.8 + 5 * math.sqrt(data.get("awards", 0)), 1)
    return round(style.size + 1.5 * math.sqrt(g.degree(iri)), 1)


def _font(g: nx.Graph, iri: str, size: float) -> int:
    """Label size: regions in the geography view by their awards, so provinces read at a glance."""
    if g.graph.get("view") == "geography" and "focus" not in g.graph and g.nodes[iri]["cls"] == "Region":
        return min(44, round(22 + 3 * math.sqrt(g.nodes[iri].get("awards", 0))))
    return min(30, round(10 + 0.45 * size))


def payload(graph: Graph | EntityIndex, g: nx.Graph, *, lang: str = "both") -> dict[str, Any]:
    """The data the page draws: sorted nodes with positions and details, edges, legend, filters."""
    idx = index(graph)
    pos = layout(g)
    nodes = sorted(g)
    at = {n: i for i, n in enumerate(nodes)}
    out_nodes = []
    facet_counts: dict[str, dict[str, int]] = {
        "cat": defaultdict(int),
        "prov": defaultdict(int),
        "kind": defaultdict(int),
    }
    for n in nodes:
        e = idx.entities[n]
        facets = idx.facets(n)
        for key, values in facets.items():
            for v in values:
                facet_counts[key][v] += 1
        x, y = pos[n]
        out_nodes.append(
            {
                "id": at[n],
                "iri": n,
                "key": e.key,
                "cls": e.cls,
                "zh": e.zh,
                "en": e.en,
                "pinyin": e.pinyin,
                "alt": list(e.alt),
                "x": x,
                "y": y,
                "size": (size := node_size(g, n)),
                "font": _font(g, n, size),
                "facets": facets,
                "facts": _facts(idx, n),
                "sources": [list(s) for s in idx.sources(n)],
            }
        )
        short = _short_label(idx, n)
        if short:
            out_nodes[-1]["short"] = short
    out_edges = []
    for u, v in sorted(g.edges(), key=lambda uv: tuple(sorted((at[uv[0]], at[uv[1]])))):
        data = g.edges[u, v]
        src = data.get("source", u)
        dst = v if src == u else u
        preds = data["predicates"]
        derived = all(p in DERIVED_LABELS for p in preds)
        labels = [list(DERIVED_LABELS.get(p) or idx.label(p)) for p in preds]
        out_edges.append({"from": at[src], "to": at[dst], "p": labels, "arrow": not derived, "derived": derived})
    out_edges.sort(key=lambda e: (e["from"], e["to"]))
    for i, e in enumerate(out_edges):
        e["id"] = i
    counts: dict[str, int] = defaultdict(int)
    for n in nodes:
        counts[g.nodes[n]["cls"]] += 1
    legend = [
        {"cls": c.key, "zh": c.zh, "en": c.en, "shape": c.shape, "color": c.color, "n": counts[c.key]}
        for c in CLASSES
        if counts[c.key]
    ]
    filters = {
        "cat": [
            {"v": _local(i), "zh": idx.label(i)[0], "en": idx.label(i)[1], "n": facet_counts["cat"][_local(i)]}
            for i in sorted(idx.of_class("AwardCategory"), key=lambda i: (_notation(idx, i), i))
            if facet_counts["cat"][_local(i)]
        ],
        "prov": [_province_option(idx, code, facet_counts["prov"][code]) for code in sorted(facet_counts["prov"])],
        "kind": [
            {"v": _local(i), "zh": idx.label(i)[0], "en": idx.label(i)[1], "n": facet_counts["kind"][_local(i)]}
            for i in idx.of_class("AgencyKind")
            if facet_counts["kind"][_local(i)]
        ],
    }
    name = g.graph.get("view", "overview")
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
        "legend": legend,
        "filters": filters,
        "nodes": out_nodes,
        "edges": out_edges,
        "axis": timeline_axis(g, pos) if name == "timeline" else {},
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


def page(data: Mapping[str, Any]) -> str:
    """The HTML page around a payload, with vis-network and our script and style inlined."""
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
    }
    text = _asset("templates/view.html")
    # one pass, so nothing inserted is searched for markers again
    pattern = re.compile("|".join(re.escape(k) for k in replacements))
    return pattern.sub(lambda m: replacements[m.group(0)], text) + "\n"


MAX_VIEW_NODES = 5000  # a view draws in seconds up to here; a larger projection is cut down


def cut_down(g: nx.Graph, limit: int = MAX_VIEW_NODES) -> nx.Graph:
    """Keep the ``limit`` most connected nodes (ties by IRI), and say so on the graph.

    Deterministic; the page shows a note with both counts, and the focus of a
    neighbourhood view is always kept.
    """
    total = g.number_of_nodes()
    if total <= limit:
        return g
    focus = g.graph.get("focus")
    ranked = sorted(g.degree, key=lambda nd: (nd[0] != focus, -nd[1], nd[0]))
    keep = [n for n, _d in ranked[:limit]]
    small = g.subgraph(keep).copy()
    small.graph.update(g.graph)
    small.graph["cut"] = (limit, total)
    return small


def render_view(
    graph: Graph | EntityIndex,
    name: str,
    *,
    lang: str = "both",
    focus: str | None = None,
    depth: int = 2,
    limit: int = MAX_VIEW_NODES,
) -> str:
    """One view as a self-contained HTML page (not written anywhere)."""
    if lang not in LANGS:
        raise ViewError(f"unknown language '{lang}' (choose {', '.join(LANGS)})")
    idx = index(graph)
    g = cut_down(project(idx, name, focus=focus, depth=depth), limit)
    return page(payload(idx, g, lang=lang))


def render_all(graph: Graph, viz_dir: Path, *, lang: str = "both") -> dict[Path, str]:
    """The main job's pages, {viz_dir/NAME.html: html}; the caller writes them."""
    idx = index(graph)
    return {Path(viz_dir) / f"{name}.html": render_view(idx, name, lang=lang) for name in PAGES}


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
    lang: str = "both",
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


__all__ = [
    "VIEWS",
    "PAGES",
    "CLASSES",
    "ViewError",
    "EntityIndex",
    "ViewPage",
    "check_name",
    "resolve_focus",
    "project",
    "layout",
    "payload",
    "page",
    "render_view",
    "render_all",
    "show",
    "to_pyvis",
    "index",
    "script_json",
]
