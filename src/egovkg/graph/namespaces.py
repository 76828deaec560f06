"""Vocabularies as closed namespaces: a typo in a term is an AttributeError, not a new IRI."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import (
    DefinedNamespace,
)

from egovkg.graph.prefixes import DEFAULT_BASE, STANDARD_PREFIXES, resource_prefixes

ONTOLOGY_IRI = "https://w3id.org/egovkg/ontology"


class EGOV(DefinedNamespace):
    """The egovkg ontology (ontology/egovkg.ttl)."""

    _NS = Namespace(ONTOLOGY_IRI + "#")
    _fail = True

    # classes
    Award: URIRef
    AwardCategory: URIRef
    Practice: URIRef
    Agency: URIRef
    Enterprise: URIRef
    MicroblogAccount: URIRef
    Region: URIRef
    Programme: URIRef
    PolicyDocument: URIRef
    Milestone: URIRef
    Selection: URIRef
    SourceDocument: URIRef
    AgencyKind: URIRef
    AdministrativeLevel: URIRef
    StrategicGoal: URIRef
    Problem: URIRef
    Reference: URIRef
    TextSpan: URIRef
    # properties
    category: URIRef
    rank: URIRef
    recipient: URIRef
    leadRecipient: URIRef
    practice: URIRef
    selection: URIRef
    region: URIRef
    relatedProgramme: URIRef
    featuresAccount: URIRef
    agencyKind: URIRef
    administrativeLevel: URIRef
    submissionDeadline: URIRef
    entriesReceivedLowerBound: URIRef
    reviewRounds: URIRef
    shortlistedCount: URIRef
    winnerCount: URIRef
    categoryCount: URIRef
    categoryScheme: URIRef
    strategicGoal: URIRef
    problemOf: URIRef
    concerns: URIRef


class OA(DefinedNamespace):
    """W3C Web Annotation vocabulary (the terms egovkg uses)."""

    _NS = Namespace("http://www.w3.org/ns/oa#")
    _fail = True

    SpecificResource: URIRef
    TextPositionSelector: URIRef
    TextQuoteSelector: URIRef
    hasSource: URIRef
    hasSelector: URIRef
    start: URIRef
    end: URIRef
    exact: URIRef
    prefix: URIRef
    suffix: URIRef


class CV(DefinedNamespace):
    """EU Core Vocabularies (CPOV)."""

    _NS = Namespace("http://data.europa.eu/m8g/")
    _fail = True

    PublicOrganisation: URIRef


PREFIXES: dict[str, Namespace] = {"egov": Namespace(ONTOLOGY_IRI + "#"), "id": Namespace(DEFAULT_BASE)}
PREFIXES.update({p: Namespace(iri) for p, iri in STANDARD_PREFIXES.items() if p != "egov"})


def bind_prefixes(graph, base: str = DEFAULT_BASE) -> None:  # noqa: ANN001 - any rdflib Graph
    """Bind the standard prefixes, replacing rdflib's defaults so output is the same everywhere."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, Namespace(base) if prefix == "id" else ns, override=True, replace=True)
    for prefix, ns in resource_prefixes(base).items():
        graph.bind(prefix, Namespace(ns), override=True, replace=True)
