"""Projections: the networkx graph each view draws, cut from the entity index."""

from __future__ import annotations

import difflib
import unicodedata
from collections import defaultdict

import networkx as nx
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, ORG, SDO

from egovkg.graph.namespaces import EGOV
from egovkg.publish.views.index import STRUCTURAL, STYLE, EntityIndex, ViewError, _local, index

VIEWS: tuple[str, ...] = ("overview", "geography", "agencies", "neighbourhood")
PAGES: tuple[str, ...] = ("overview", "geography", "agencies")  # written by the main job
# The timeline is not a graph view: the explorer draws it to scale (egovkg.publish.timeline).

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
    "neighbourhood": frozenset(STRUCTURAL),
}

# -- projections ----------------------------------------------------------------------------------


def check_name(name: str) -> str:
    """The view name, or a ViewError naming the close matches."""
    if name in VIEWS:
        return name
    # the timeline is the explorer's page, which egovkg view and KG.view make too: offered as a match
    close = difflib.get_close_matches(name, (*VIEWS, "timeline"), n=3, cutoff=0.4)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise ViewError(f"unknown view '{name}'{hint} (views: {', '.join(VIEWS)}, and the timeline)")


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
    between a pair. Node attributes: cls, zh, en (and parent, awards, depth in geography);
    edge attributes: predicates (sorted IRIs), source (the subject end)."""
    check_name(name)
    idx = index(graph)
    if depth < 0:
        raise ViewError(f"--depth must be 0 or more, got {depth}")
    if name == "neighbourhood" and not focus:
        raise ViewError("the neighbourhood view needs --focus ID (e.g. --focus agency:qingdao-egov-office)")
    classes, preds = VIEW_CLASSES[name], {str(p) for p in VIEW_PREDICATES[name]}
    keep = {i for i, e in idx.entities.items() if e.cls in classes}
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
