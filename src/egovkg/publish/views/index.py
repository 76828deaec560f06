"""Reading the RDF graph once into an index of entities, their classes, labels and links.

What a class is called (zh, en) is its rdfs:label in the ontology, which is part of the graph;
how the views draw it (shape, colour, size) is set here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, RDF, RDFS, SDO, SKOS

from egovkg.errors import EgovkgError
from egovkg.graph.namespaces import EGOV, OA

NATIONAL = "000000"  # GB/T 2260 code of the region that holds central bodies
NATIONAL_LABEL = ("中国（中央）", "China (national)")


class ViewError(EgovkgError):
    """An unknown view, focus or option."""


@dataclass(frozen=True)
class ClassStyle:
    """How the views draw a class. Its name (zh, en) is the class's rdfs:label in the ontology,
    read from the graph (:meth:`EntityIndex.class_label`), never restated here."""

    key: str
    iri: URIRef
    shape: str
    color: str
    size: int


# First match wins, so an Enterprise (also an org:Organization) is never an Agency.
# Colours: Okabe-Ito and Tol's muted palette, distinguishable for common colour-blindness;
# the shape tells the classes apart where colours are close.
CLASSES: tuple[ClassStyle, ...] = (
    ClassStyle("Award", EGOV.Award, "star", "#E69F00", 16),
    ClassStyle("Practice", EGOV.Practice, "dot", "#56B4E9", 9),
    ClassStyle("Enterprise", EGOV.Enterprise, "triangleDown", "#CC79A7", 13),
    ClassStyle("Agency", EGOV.Agency, "triangle", "#D55E00", 13),
    ClassStyle("Person", FOAF.Person, "diamond", "#882255", 14),
    ClassStyle("Region", EGOV.Region, "square", "#009E73", 12),
    ClassStyle("Programme", EGOV.Programme, "hexagon", "#0072B2", 13),
    ClassStyle("AwardCategory", EGOV.AwardCategory, "star", "#F0E442", 26),
    ClassStyle("Selection", EGOV.Selection, "star", "#332288", 24),
    ClassStyle("Milestone", EGOV.Milestone, "diamond", "#117733", 14),
    ClassStyle("PolicyDocument", EGOV.PolicyDocument, "square", "#AA4499", 15),
    ClassStyle("MicroblogAccount", EGOV.MicroblogAccount, "dot", "#44AA99", 10),
    ClassStyle("StrategicGoal", EGOV.StrategicGoal, "triangle", "#999933", 11),
    ClassStyle("Problem", EGOV.Problem, "triangleDown", "#BBBBBB", 10),
    ClassStyle("AgencyKind", EGOV.AgencyKind, "hexagon", "#88CCEE", 11),
    ClassStyle("AdministrativeLevel", EGOV.AdministrativeLevel, "hexagon", "#DDCC77", 11),
    ClassStyle("SourceDocument", EGOV.SourceDocument, "square", "#555555", 14),
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
    _facets: dict[str, dict[str, list[str]]] = field(default_factory=dict, repr=False)
    # the views drawn from this index, each projected and laid out once (views.render.drawing)
    drawings: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)
    # each entity's details as a page carries them, but for its link (views.render._node_record):
    # every view's page carries the whole index, so each entity is asked for once per view
    records: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

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

    def class_label(self, key: str) -> tuple[str, str]:
        """A class's (zh, en) name: its rdfs:label in the ontology (part of the graph); its local
        name when the graph was read without the ontology."""
        return self.labels.get(str(STYLE[key].iri), (key, key))

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
        an empty one means it is hidden whenever that filter is set. (Worked out once per entity:
        a page asks for each node's facets, and for every award's to count them.)"""
        if iri in self._facets:
            return {k: list(v) for k, v in self._facets[iri].items()}
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
        self._facets[iri] = {k: list(v) for k, v in f.items()}
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
