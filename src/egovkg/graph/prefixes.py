"""The one registry of prefixes and IRI rules: plain strings, no rdflib (the cold query path reads it)."""

from __future__ import annotations

import re

from egovkg.errors import DataError

DEFAULT_BASE = "https://w3id.org/egovkg/id/"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f]')  # outside IRIREF (N-Triples, SPARQL), and C1


def _about(param: str, exc: DataError) -> DataError:
    exc.param = param
    return exc


def check_iri(iri: str, param: str) -> str:
    """``iri`` if it is an absolute IRI with no spaces or characters an IRI may not hold;
    else DataError naming the parameter ``param``."""
    if not iri:
        raise _about(param, DataError("the IRI is empty", file=param))
    bad = _NOT_IN_IRI.search(iri)
    if bad:
        raise _about(param, DataError(f"not an IRI: it holds {bad.group()!r} at character {bad.start()}", file=param))
    if not _SCHEME.match(iri):
        raise _about(param, DataError(f"not an absolute IRI (no scheme such as https:): {iri!r}", file=param))
    return iri


def check_base(base: str) -> str:
    """``base`` if every IRI made from it is valid: absolute, no spaces or characters an
    IRI may not hold, ending in '/' or '#'; else DataError naming --base."""
    check_iri(base, "base")
    if not base.endswith(("/", "#")):
        raise _about("base", DataError("the base IRI must end with '/' or '#'", file="base"))
    return base


STANDARD_PREFIXES = {
    "egov": "https://w3id.org/egovkg/ontology#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "cv": "http://data.europa.eu/m8g/",
    "oa": "http://www.w3.org/ns/oa#",
    "vann": "http://purl.org/vocab/vann/",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
}
# One prefix per resource type, so Turtle reads award:2012-public-service-03, region:420500.
RESOURCE_TYPES = (
    "award",
    "practice",
    "agency",
    "person",
    "account",
    "region",
    "programme",
    "document",
    "milestone",
    "category",
    "selection",
    "source",
    "reference",
    "scheme",
    "goal",
    "problem",
    "level",
    "agency-kind",
    "span",
)


def resource_prefixes(base: str = "https://w3id.org/egovkg/id/") -> dict[str, str]:
    return {kind.replace("-", ""): f"{base}{kind}/" for kind in RESOURCE_TYPES}


