"""Stage 3: linked records -> RDF, in three named graphs (announcement, curated, ontology).

Facts read from the announcement go to the announcement graph, each entity
linked to the character span it came from (``prov:wasDerivedFrom`` a
``egov:TextSpan`` with W3C Web Annotation selectors). Facts added by curation go
to the curated graph, each curated entity citing its references with
``dct:source``. No blank nodes: every IRI comes from a stable id, so the
serialisations are byte-identical from run to run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, RDF, RDFS, SDO, SKOS, XSD

from egovkg.errors import ChecksumError, DataError
from egovkg.graph.namespaces import CV, DEFAULT_BASE, EGOV, OA, bind_prefixes
from egovkg.graph.ontology import load_turtle
from egovkg.graph.prefixes import check_base
from egovkg.ingest.curated import Curated, Row, load_curated
from egovkg.ingest.extract import Extractor, Gazetteer, Lexicon, decode_source
from egovkg.ingest.link import Linked, link
from egovkg.ingest.model import Span
from egovkg.ingest.pinyin import pinyin, readings
from egovkg.paths import Layout
from egovkg.util.limits import check_source_size

# Lower case, as Oxigraph normalises language tags: the same literal on every store.
PINYIN = "zh-latn-pinyin"
# The property each curated column states, for the `unverified` lists of the curated files.
UNVERIFIED: dict[str, dict[str, URIRef]] = {
    "regions": {"rank": EGOV.administrativeRank, "level": EGOV.administrativeLevel, "parent": SDO.containedInPlace},
    "agencies": {
        "kind": EGOV.agencyKind,
        "level": EGOV.administrativeLevel,
        "rank": EGOV.administrativeRank,
        "parent": ORG.subOrganizationOf,
        "region": EGOV.region,
        "alt_names_zh": SKOS.altLabel,
        "class": RDF.type,
    },
    "programmes": {
        "start_year": SDO.startDate,
        "end_year": SDO.endDate,
        "part_of": DCTERMS.isPartOf,
        "lead_agencies": EGOV.leadAgency,
        "alt_names_zh": SKOS.altLabel,
    },
    "documents": {
        "title_zh": DCTERMS.title,
        "title_en": DCTERMS.title,
        "identifier": SDO.legislationIdentifier,
        "date": SDO.legislationDate,
        "adopted_by": EGOV.adoptedBy,
        "adopted_date": EGOV.adoptionDate,
        "issued_by": EGOV.issuedBy,
        "issue_mode": EGOV.transmittedBy,
        "in_force": EGOV.inForceFrom,
    },
    "milestones": {
        "date": SDO.startDate,
        "concerns": EGOV.concerns,
        "original_orgs": ORG.originalOrganization,
        "resulting_orgs": ORG.resultingOrganization,
    },
}
# 七十年代初/中/末: which years of a decade a qualified decade covers (a convention, docs/MODEL.md).
DECADE_PART = {None: (0, 9), "early": (0, 3), "mid": (4, 6), "late": (7, 9)}
CONTEXT = 16  # characters of oa:prefix / oa:suffix around a quoted span


@dataclass
class KnowledgeGraph:
    """The built graph: three named graphs and the IRIs that name them."""

    announcement: Graph
    curated: Graph
    ontology: Graph
    base: str

    @property
    def graph_iris(self) -> dict[str, URIRef]:
        root = self.base.rstrip("/").rsplit("/", 1)[0]
        return {name: URIRef(f"{root}/graph/{name}") for name in ("announcement", "curated", "ontology")}

    def union(self) -> Graph:
        """The three graphs as one (a store without contexts: half the cost of adding a triple)."""
        from rdflib.plugins.stores.memory import SimpleMemory

        g = Graph(store=SimpleMemory())
        bind_prefixes(g, self.base)
        for part in (self.announcement, self.curated, self.ontology):
            for t in part:
                g.add(t)
        return g

    def dataset(self) -> Dataset:
        ds = Dataset()
        bind_prefixes(ds, self.base)
        for name, iri in self.graph_iris.items():
            target = ds.graph(iri)
            for t in getattr(self, name):
                target.add(t)
        return ds


def date_literal(value: str) -> Literal:
    """'2002' -> xsd:gYear, '2002-07' -> xsd:gYearMonth, '2002-07-03' -> xsd:date."""
    datatype = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}.get(len(value))
    if datatype is None:
        raise ValueError(f"not a date: {value!r}")
    return Literal(value, datatype=datatype)


def pinyin_readings(layout: Layout) -> dict[str, str]:
    """The pinyin of every name the graph gives one for (see :func:`build`'s ``readings``)."""
    return readings(layout.curated, layout.sources / "sources.csv", layout.gazetteer)


def read_source(path: Path, sha256: str) -> str:
    check_source_size(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read source: {exc.strerror}", file=str(path)) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ChecksumError(f"{path}: sha256 is {digest}, sources.csv records {sha256}; the source was changed")
    return decode_source(data, source=str(path))


class _Emitter:
    """Writes triples for one source into the announcement and curated graphs."""

    def __init__(
        self,
        base: str,
        text: str,
        source_id: str,
        cur: Curated,
        ontology: Graph,
        readings: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        self._readings = readings
        self._known: Mapping[str, str] | None = None
        self.base = base
        # what the ontology states, read from it: each class's named superclasses
        self.superclasses = superclasses(ontology)
        self.text = text
        self.cur = cur
        self.ann = Graph()
        self.cgr = Graph()
        self.source = self.iri("source", source_id)
        self.source_id = source_id
        self._spans: set[tuple[int, int]] = set()

    def pinyin(self, name: str) -> str:
        if self._known is None:
            self._known = self._readings() if self._readings is not None else {}
        known = self._known.get(name)
        return known if known is not None else pinyin(name)

    def iri(self, kind: str, ident: str | int) -> URIRef:
        return URIRef(f"{self.base}{kind}/{ident}")

    # -- helpers ------------------------------------------------------------

    def typed(self, g: Graph, s: URIRef, cls: URIRef) -> None:
        g.add((s, RDF.type, cls))
        for sup in self.superclasses.get(cls, ()):
            g.add((s, RDF.type, sup))

    def labels(self, g: Graph, s: URIRef, zh: str | None, en: str | None) -> None:
        for value, lang in ((zh, "zh"), (en, "en")):
            if value:
                g.add((s, RDFS.label, Literal(value, lang=lang)))
                g.add((s, SKOS.prefLabel, Literal(value, lang=lang)))

    def cite(self, s: URIRef, row: Row, table: str | None = None) -> None:
        for ref in row["source"]:
            target = self.source if ref == "announcement" else self.iri("reference", ref)
            self.cgr.add((s, DCTERMS.source, target))
        if table is not None:
            for col in row["unverified"]:
                self.cgr.add((s, EGOV.unverifiedProperty, UNVERIFIED[table][col]))

    def derived(self, s: URIRef, span: Span) -> None:
        self.ann.add((s, PROV.wasDerivedFrom, self.span(span)))
        self.ann.add((s, PROV.hadPrimarySource, self.source))

    def span(self, sp: Span) -> URIRef:
        node = self.iri("span", f"{self.source_id}/{sp.start}-{sp.end}")
        if (sp.start, sp.end) in self._spans:
            return node
        self._spans.add((sp.start, sp.end))
        g = self.ann
        self.typed(g, node, EGOV.TextSpan)
        self.labels(g, node, f"公告第{sp.start}–{sp.end}字符", f"Characters {sp.start}–{sp.end} of the announcement")
        g.add((node, OA.hasSource, self.source))
        pos, quote = URIRef(f"{node}/position"), URIRef(f"{node}/quote")
        g.add((node, OA.hasSelector, pos))
        g.add((node, OA.hasSelector, quote))
        g.add((pos, RDF.type, OA.TextPositionSelector))
        g.add((pos, OA.start, Literal(sp.start, datatype=XSD.nonNegativeInteger)))
        g.add((pos, OA.end, Literal(sp.end, datatype=XSD.nonNegativeInteger)))
        g.add((quote, RDF.type, OA.TextQuoteSelector))
        g.add((quote, OA.exact, Literal(self.text[sp.start : sp.end], lang="zh")))
        before = self.text[max(0, sp.start - CONTEXT) : sp.start]
        after = self.text[sp.end : sp.end + CONTEXT]
        if before:
            g.add((quote, OA.prefix, Literal(before, lang="zh")))
        if after:
            g.add((quote, OA.suffix, Literal(after, lang="zh")))
        return node

    def derived_from_mention(self, s: URIRef, names: Iterable[str]) -> None:
        """Link ``s`` to the first place the announcement writes the first of ``names`` it has."""
        for name in names:
            sp = self.mention(name)
            if sp:
                self.derived(s, sp)
                return

    def mention(self, name: str) -> Span | None:
        at = self.text.find(name)
        return None if at < 0 else Span(at, at + len(name), name)

    def concept_scheme(self, ident: str, zh: str, en: str, members: Iterable[URIRef]) -> URIRef:
        scheme = self.iri("scheme", ident)
        self.cgr.add((scheme, RDF.type, SKOS.ConceptScheme))
        self.labels(self.cgr, scheme, zh, en)
        for m in members:
            self.cgr.add((m, SKOS.inScheme, scheme))
            self.cgr.add((scheme, SKOS.hasTopConcept, m))
        return scheme


def superclasses(ontology: Graph) -> dict[URIRef, tuple[URIRef, ...]]:
    """Each class of the ontology with its named direct superclasses (rdfs:subClassOf), sorted."""
    out: dict[URIRef, list[URIRef]] = {}
    for cls, sup in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(cls, URIRef) and isinstance(sup, URIRef):
            out.setdefault(cls, []).append(sup)
    return {cls: tuple(sorted(sups)) for cls, sups in out.items()}


def build(
    layout: Layout, *, base: str = DEFAULT_BASE, readings: Callable[[], Mapping[str, str]] | None = None
) -> KnowledgeGraph:
    """Read, extract, link and emit: the whole pipeline up to the graph.

    ``readings``, if given, is called once, when the first pinyin is needed, for the pinyin of
    names (as :func:`pinyin_readings` gives them); a name it lacks is read here."""
    check_base(base)
    layout.check()
    cur = load_curated(layout.curated, layout.sources / "sources.csv", layout.gazetteer)
    lexicon = Lexicon.load(layout.lexicon)
    gazetteer = Gazetteer.load(layout.gazetteer)
    extractor = Extractor(lexicon, gazetteer, [r["name_zh"] for r in cur["categories"].values()])
    if len(cur["sources"]) != 1:
        raise DataError("exactly one source is supported for now", file=str(layout.sources / "sources.csv"))
    (src,) = cur["sources"].values()
    path = layout.sources / src["file"]
    text = read_source(path, src["sha256"])
    linked = link(extractor.extract(text, source=str(path)), cur)
    onto = load_turtle(layout.ontology)
    em = _Emitter(base, text, src["id"], cur, onto, readings)
    _emit_source(em, src)
    _emit_vocabularies(em)
    _emit_regions(em)
    _emit_organisations(em, linked)
    _emit_programmes_documents(em)
    _emit_selection(em, linked)
    _emit_awards(em, linked)
    _emit_narrative(em, linked)
    for g in (em.ann, em.cgr):
        bind_prefixes(g, base)
    bind_prefixes(onto, base)
    return KnowledgeGraph(em.ann, em.cgr, onto, base)


def _emit_source(em: _Emitter, src: Row) -> None:
    s, g = em.source, em.cgr
    em.typed(g, s, EGOV.SourceDocument)
    em.labels(g, s, src["title_zh"], src["title_en"])
    g.add((s, DCTERMS.title, Literal(src["title_zh"], lang="zh")))
    g.add((s, DCTERMS.title, Literal(src["title_en"], lang="en")))
    g.add((s, DCTERMS.identifier, Literal(src["id"])))
    g.add((s, DCTERMS.publisher, em.iri("agency", src["publisher"])))
    g.add((s, DCTERMS.language, Literal(src["language"])))
    if src["year"]:
        g.add((s, DCTERMS.issued, date_literal(src["year"])))
    g.add((s, SDO.sha256, Literal(src["sha256"])))
    for ref in em.cur["references"].values():
        r = em.iri("reference", ref["id"])
        em.typed(g, r, EGOV.Reference)
        # a reference's title is in its own language (Chinese or English): no language tag
        g.add((r, RDFS.label, Literal(ref["title"])))
        g.add((r, DCTERMS.title, Literal(ref["title"])))
        if ref["url"]:
            g.add((r, SDO.url, URIRef(ref["url"])))
        if ref["publisher"]:
            g.add((r, DCTERMS.publisher, Literal(ref["publisher"])))


def _emit_vocabularies(em: _Emitter) -> None:
    g = em.cgr
    cats = []
    for row in sorted(em.cur["categories"].values(), key=lambda r: r["order"]):
        c = em.iri("category", row["id"])
        em.typed(g, c, EGOV.AwardCategory)
        em.labels(g, c, row["name_zh"], row["name_en"])
        g.add((c, SKOS.notation, Literal(str(row["order"]))))
        cats.append(c)
    em.concept_scheme(
        "award-categories",
        "中国电子政务最佳实践评选类别",
        "Categories of the China E-Government Best Practice awards",
        cats,
    )
    kinds = []
    for row in em.cur["agency-kinds"].values():
        k = em.iri("agency-kind", row["id"])
        em.typed(g, k, EGOV.AgencyKind)
        em.labels(g, k, row["name_zh"], row["name_en"])
        g.add((k, SKOS.definition, Literal(row["definition_zh"], lang="zh")))
        g.add((k, SKOS.definition, Literal(row["definition_en"], lang="en")))
        kinds.append(k)
    em.concept_scheme("agency-kinds", "机构类型", "Kinds of organisation", kinds)
    ranks = []
    for row in sorted(em.cur["ranks"].values(), key=lambda r: r["order"]):
        rk = em.iri("rank", row["id"])
        em.typed(g, rk, EGOV.AdministrativeRank)
        em.labels(g, rk, row["name_zh"], row["name_en"])
        g.add((rk, SKOS.notation, Literal(str(row["order"]))))
        g.add((rk, SKOS.definition, Literal(row["definition_zh"], lang="zh")))
        g.add((rk, SKOS.definition, Literal(row["definition_en"], lang="en")))
        ranks.append(rk)
    em.concept_scheme("administrative-ranks", "行政级别", "Administrative ranks", ranks)
    levels = []
    for row in em.cur["levels"].values():
        lv = em.iri("level", row["id"])
        em.typed(g, lv, EGOV.AdministrativeLevel)
        em.labels(g, lv, row["name_zh"], row["name_en"])
        g.add((lv, SKOS.notation, Literal(str(row["order"]))))
        levels.append(lv)
    em.concept_scheme("administrative-levels", "行政区划层级", "Administrative levels (GB/T 2260 tiers)", levels)


def _emit_regions(em: _Emitter) -> None:
    g = em.cgr
    for row in em.cur["regions"].values():
        r = em.iri("region", row["code"])
        em.typed(g, r, EGOV.Region)
        em.labels(g, r, row["name_zh"], row["name_en"])
        g.add((r, SKOS.altLabel, Literal(row["pinyin"], lang=PINYIN)))
        g.add((r, SKOS.notation, Literal(row["code"])))
        g.add((r, EGOV.administrativeLevel, em.iri("level", row["level"])))
        g.add((r, EGOV.administrativeRank, em.iri("rank", row["rank"])))
        if row["parent"]:
            g.add((r, SDO.containedInPlace, em.iri("region", row["parent"])))
        em.cite(r, row, "regions")
        if "announcement" in row["source"]:
            em.derived_from_mention(r, [row["name_zh"]])


def _emit_organisations(em: _Emitter, linked: Linked) -> None:
    g = em.cgr
    for row in em.cur["agencies"].values():
        a = em.iri("agency", row["id"])
        em.typed(g, a, EGOV.Enterprise if row["class"] == "enterprise" else EGOV.Agency)
        if row["class"] == "agency":
            g.add((a, RDF.type, CV.PublicOrganisation))
        em.labels(g, a, row["name_zh"], row["name_en"])
        for alt in row["alt_names_zh"]:
            g.add((a, SKOS.altLabel, Literal(alt, lang="zh")))
        g.add((a, SKOS.altLabel, Literal(em.pinyin(row["name_zh"]), lang=PINYIN)))
        g.add((a, EGOV.agencyKind, em.iri("agency-kind", row["kind"])))
        g.add((a, EGOV.administrativeLevel, em.iri("level", row["level"])))
        g.add((a, EGOV.region, em.iri("region", row["region"])))
        if row["rank"]:
            g.add((a, EGOV.administrativeRank, em.iri("rank", row["rank"])))
        if row["parent"]:
            g.add((a, ORG.subOrganizationOf, em.iri("agency", row["parent"])))
            if row["kind"] == "central-vertical":  # managed by its central parent, not by the local government
                g.add((a, EGOV.verticallyManagedBy, em.iri("agency", row["parent"])))
        em.cite(a, row, "agencies")
        spans = linked.mentions.get(f"agency:{row['id']}", ())
        for sp in spans:
            em.derived(a, sp)
        if not spans:  # not an applicant in the table: where the text first names it, if it does
            em.derived_from_mention(a, [row["name_zh"], *row["alt_names_zh"]])
    for row in em.cur["persons"].values():
        p = em.iri("person", row["id"])
        em.typed(g, p, FOAF.Person)
        em.labels(g, p, row["name_zh"], row["name_en"])
        g.add((p, FOAF.name, Literal(row["name_zh"], lang="zh")))
        g.add((p, FOAF.name, Literal(row["name_en"], lang="en")))
        g.add((p, SKOS.altLabel, Literal(em.pinyin(row["name_zh"]), lang=PINYIN)))
        g.add((p, SDO.jobTitle, Literal(row["post_zh"], lang="zh")))
        g.add((p, SDO.jobTitle, Literal(row["post_en"], lang="en")))
        g.add((p, ORG.memberOf, em.iri("agency", row["affiliation"])))
        em.cite(p, row)
        for sp in linked.mentions.get(f"person:{row['id']}", ()):
            em.derived(p, sp)
    for row in em.cur["accounts"].values():
        acc = em.iri("account", row["id"])
        em.typed(g, acc, EGOV.MicroblogAccount)
        em.labels(g, acc, row["name_zh"], row["name_en"])
        g.add((acc, FOAF.accountName, Literal(row["name_zh"])))
        holder_kind = "agency" if row["holder"] in em.cur["agencies"] else "person"
        g.add((em.iri(holder_kind, row["holder"]), FOAF.account, acc))
        em.cite(acc, row)
        sp = linked.account_spans.get(row["id"]) or em.mention(row["name_zh"])
        if sp:
            em.derived(acc, sp)


def _emit_programmes_documents(em: _Emitter) -> None:
    g = em.cgr
    for row in em.cur["programmes"].values():
        p = em.iri("programme", row["id"])
        em.typed(g, p, EGOV.Programme)
        em.labels(g, p, row["name_zh"], row["name_en"])
        for alt in row["alt_names_zh"]:
            g.add((p, SKOS.altLabel, Literal(alt, lang="zh")))
        g.add((p, SKOS.altLabel, Literal(em.pinyin(row["name_zh"]), lang=PINYIN)))
        if row["start_year"]:
            g.add((p, SDO.startDate, date_literal(row["start_year"])))
        if row["end_year"]:
            g.add((p, SDO.endDate, date_literal(row["end_year"])))
        for parent in row["part_of"]:
            g.add((p, DCTERMS.isPartOf, em.iri("programme", parent)))
        for agency in row["lead_agencies"]:
            g.add((p, EGOV.leadAgency, em.iri("agency", agency)))
        em.cite(p, row, "programmes")
        em.derived_from_mention(p, [row["name_zh"], *row["alt_names_zh"]])
    for row in em.cur["documents"].values():
        d = em.iri("document", row["id"])
        em.typed(g, d, EGOV.PolicyDocument)
        em.labels(g, d, row["title_zh"], row["title_en"])
        g.add((d, DCTERMS.title, Literal(row["title_zh"], lang="zh")))
        g.add((d, DCTERMS.title, Literal(row["title_en"], lang="en")))
        if row["identifier"]:
            g.add((d, SDO.legislationIdentifier, Literal(row["identifier"])))  # an identifier: no language
        g.add((d, SDO.legislationDate, date_literal(row["date"])))
        for body in row["adopted_by"]:
            # egov:adoptedBy ⊑ schema:legislationPassedBy, stated too so queries need no inference
            g.add((d, EGOV.adoptedBy, em.iri("agency", body)))
            g.add((d, SDO.legislationPassedBy, em.iri("agency", body)))
        if row["adopted_date"]:
            g.add((d, EGOV.adoptionDate, date_literal(row["adopted_date"])))
        for body in row["issued_by"]:
            g.add((d, EGOV.issuedBy, em.iri("agency", body)))
            if row["issue_mode"] == "transmitted":
                g.add((d, EGOV.transmittedBy, em.iri("agency", body)))
        if row["in_force"]:
            g.add((d, EGOV.inForceFrom, date_literal(row["in_force"])))
        em.cite(d, row, "documents")
    priorities: dict[str, list[URIRef]] = {}
    goals: dict[str, list[URIRef]] = {}
    for row in sorted(em.cur["strategy"].values(), key=lambda r: (r["document"], r["kind"], r["order"])):
        d = em.iri("document", row["document"])
        kind = row["kind"]
        node = em.iri("priority" if kind == "priority" else "goal", row["id"])
        em.typed(g, node, EGOV.StrategicPriority if kind == "priority" else EGOV.StrategicGoal)
        em.labels(g, node, row["text_zh"], row["text_en"])
        g.add((node, SKOS.notation, Literal(str(row["order"]))))
        g.add((d, EGOV.strategicPriority if kind == "priority" else EGOV.strategicGoal, node))
        em.cite(node, row)
        if "announcement" in row["source"]:
            em.derived_from_mention(node, [row["text_zh"]])
        (priorities if kind == "priority" else goals).setdefault(row["document"], []).append(node)
    for doc, nodes in priorities.items():
        title = em.cur["documents"][doc]
        em.concept_scheme(
            f"{doc}-priorities",
            f"《{title['title_zh']}》战略重点",
            f"Strategic priorities of the {title['title_en']}",
            nodes,
        )
    for doc, nodes in goals.items():
        title = em.cur["documents"][doc]
        em.concept_scheme(
            f"{doc}-goals", f"《{title['title_zh']}》战略目标", f"Strategic goals of the {title['title_en']}", nodes
        )


def _emit_selection(em: _Emitter, linked: Linked) -> None:
    g, ann = em.cgr, em.ann
    ex = linked.extraction
    for row in em.cur["selection"].values():
        s = em.iri("selection", row["id"])
        em.typed(g, s, EGOV.Selection)
        em.labels(g, s, row["name_zh"], row["name_en"])
        g.add((s, SDO.organizer, em.iri("agency", row["organiser"])))
        g.add((s, EGOV.categoryScheme, em.iri("scheme", "award-categories")))
        em.cite(s, row)
        props = {
            "entries": EGOV.entriesReceivedLowerBound,
            "review_rounds": EGOV.reviewRounds,
            "shortlisted": EGOV.shortlistedCount,
            "winners": EGOV.winnerCount,
            "categories": EGOV.categoryCount,
        }
        for f in ex.figures:
            ann.add((s, props[f.key], Literal(f.value, datatype=XSD.integer)))
            em.derived(s, f.span)
        months = sorted(
            (m for m in ex.milestones if m.precision == "month" and m.date.startswith(row["year"] or "")),
            key=lambda m: m.date,
        )
        if months:
            ann.add((s, SDO.startDate, date_literal(months[0].date)))
        if len(months) > 1:
            ann.add((s, EGOV.submissionDeadline, date_literal(months[-1].date)))


def _emit_awards(em: _Emitter, linked: Linked) -> None:
    ann, g = em.ann, em.cgr
    (selection_id,) = em.cur["selection"]
    selection = em.iri("selection", selection_id)
    for la in linked.awards:
        row, cr = la.row, la.curated
        cat = em.cur["categories"][cr["category"]]
        a = em.iri("award", cr["id"])
        pr = em.iri("practice", cr["id"])
        em.typed(ann, a, EGOV.Award)
        year = cr["id"].split("-", 1)[0]
        em.labels(ann, a, f"{year}年中国电子政务最佳实践·{row.category}类·序号{row.rank}", None)
        em.labels(g, a, None, f"{year} China E-Government Best Practice: {cat['name_en']}, no. {row.rank}")
        ann.add((a, EGOV.category, em.iri("category", cr["category"])))
        ann.add((a, EGOV.rank, Literal(row.rank, datatype=XSD.integer)))
        ann.add((a, EGOV.practice, pr))
        ann.add((a, EGOV.selection, selection))
        ann.add((a, DCTERMS.date, date_literal(year)))
        for n, ident in enumerate(la.recipients):
            kind = "agency" if ident in em.cur["agencies"] else "person"
            ann.add((a, EGOV.recipient, em.iri(kind, ident)))
            if n == 0:
                ann.add((a, EGOV.leadRecipient, em.iri(kind, ident)))
        em.derived(a, row.span)
        em.cite(a, cr)
        em.typed(ann, pr, EGOV.Practice)
        em.labels(ann, pr, row.title, None)
        em.labels(g, pr, None, cr["title_en"])
        ann.add((pr, DCTERMS.title, Literal(row.title, lang="zh")))
        g.add((pr, DCTERMS.title, Literal(cr["title_en"], lang="en")))
        g.add((pr, EGOV.region, em.iri("region", cr["region"])))
        for p in cr["programmes"]:
            g.add((pr, EGOV.relatedProgramme, em.iri("programme", p)))
        for p in cr["inferred_programmes"]:  # an editorial inference, kept apart from stated links
            g.add((pr, EGOV.inferredProgramme, em.iri("programme", p)))
        if cr["inference_note"]:
            g.add((pr, SKOS.editorialNote, Literal(cr["inference_note"], lang="en")))
        for acc in cr["accounts"]:
            g.add((pr, EGOV.featuresAccount, em.iri("account", acc)))
        em.derived(pr, row.title_span)
        em.cite(pr, cr)
        # the category heading is where the category itself is stated
        heading = em.mention(row.category + "类")
        if heading:
            em.derived(em.iri("category", cr["category"]), heading)


def _emit_milestone_links(em: _Emitter, ms: URIRef, row: Row) -> None:
    g = em.cgr
    for ref in row["concerns"]:
        kind, _, ident = ref.partition(":")  # the type prefix is the IRI's type segment
        g.add((ms, EGOV.concerns, em.iri(kind, ident)))
    if row["resulting_orgs"]:  # the founding or re-founding of a body: an org:ChangeEvent
        g.add((ms, RDF.type, ORG.ChangeEvent))
        for a in row["original_orgs"]:
            g.add((ms, ORG.originalOrganization, em.iri("agency", a)))
        for a in row["resulting_orgs"]:
            g.add((ms, ORG.resultingOrganization, em.iri("agency", a)))
    em.cite(ms, row, "milestones")


def _emit_narrative(em: _Emitter, linked: Linked) -> None:
    ann, g = em.ann, em.cgr
    for m, row in linked.milestones:
        ms = em.iri("milestone", m.key)
        em.typed(ann, ms, EGOV.Milestone)
        em.labels(g, ms, row["name_zh"], row["name_en"])
        if m.precision == "decade":
            first, last = DECADE_PART[m.part]
            ann.add((ms, SDO.startDate, date_literal(str(int(m.date) + first))))
            ann.add((ms, SDO.endDate, date_literal(str(int(m.date) + last))))
        else:
            ann.add((ms, SDO.startDate, date_literal(m.date)))
        for ref in row["concerns"]:
            kind, _, ident = ref.partition(":")
            if kind == "document":
                em.derived(em.iri(kind, ident), m.span)  # the clause of the milestone is where the text names it
        _emit_milestone_links(em, ms, row)
        em.derived(ms, m.span)
    stated = {row["key"] for _m, row in linked.milestones}
    for key, row in em.cur["milestones"].items():
        if key in stated:
            continue
        ms = em.iri("milestone", key)
        em.typed(g, ms, EGOV.Milestone)
        em.labels(g, ms, row["name_zh"], row["name_en"])
        g.add((ms, SDO.startDate, date_literal(row["date"])))
        _emit_milestone_links(em, ms, row)
    goals, problems, areas = [], [], []
    for s, row in linked.statements:
        kind_iri = {"goal": "goal", "problem": "problem", "problem-area": "problem"}[s.kind]
        ident = str(s.order) if s.kind != "problem-area" else f"area-{s.order}"
        node = em.iri(kind_iri, ident)
        em.typed(ann, node, EGOV.StrategicGoal if s.kind == "goal" else EGOV.Problem)
        em.labels(ann, node, s.span.text, None)
        em.labels(g, node, None, row["text_en"])
        ann.add((node, SKOS.notation, Literal(str(s.order))))
        em.derived(node, s.span)
        em.cite(node, row)
        if s.kind == "goal":
            goals.append(node)
            # the announcement's four goals are the aims of one strategic priority (statements.csv)
            if row["priority"]:
                g.add((em.iri("priority", row["priority"]), EGOV.aim, node))
        else:
            ann.add((node, EGOV.problemOf, em.source))
            (problems if s.kind == "problem" else areas).append(node)
    em.concept_scheme("strategic-goals", "电子政务战略目标", "Strategic goals of e-government", goals)
    em.concept_scheme("problems", "电子政务面临的问题", "Problems of e-government named in the announcement", problems)
    em.concept_scheme("problem-areas", "存在问题的方面", "Areas with problems at the start of the 2000s", areas)
