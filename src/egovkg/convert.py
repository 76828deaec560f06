"""Convert RDF files of any size, streamed by Oxigraph, in constant memory.

This module imports neither rdflib nor the build: converting a million triples
costs Oxigraph's buffers and not much more than a bare Python process.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from egovkg.errors import EgovkgError, RDFInputError

DEFAULT_BASE = "https://w3id.org/egovkg/id/"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f]')  # outside IRIREF (N-Triples, SPARQL), and C1


def check_base(base: str) -> str:
    """``base`` if every IRI made from it is valid: absolute, no spaces or characters an
    IRI may not hold, ending in '/' or '#'; else DataError naming --base."""
    from egovkg.errors import DataError

    bad = _NOT_IN_IRI.search(base)
    if bad:
        raise DataError(f"not an IRI: it holds {bad.group()!r} at character {bad.start()}", file="--base")
    if not _SCHEME.match(base):
        raise DataError(f"not an absolute IRI (no scheme such as https:): {base!r}", file="--base")
    if not base.endswith(("/", "#")):
        raise DataError("the base IRI must end with '/' or '#'", file="--base")
    return base


STORES = ("oxigraph", "memory")  # embedded query stores; the first is the default
DEFAULT_STORE = STORES[0]

# file suffix -> pyoxigraph RdfFormat name
OX_FORMATS = {
    ".ttl": "TURTLE",
    ".nt": "N_TRIPLES",
    ".nq": "N_QUADS",
    ".trig": "TRIG",
    ".rdf": "RDF_XML",
    ".xml": "RDF_XML",
    ".owl": "RDF_XML",
    ".jsonld": "JSON_LD",
    ".json": "JSON_LD",
    ".n3": "N3",
}
# our format names -> pyoxigraph RdfFormat name
OUTPUT_FORMATS = {"ttl": "TURTLE", "nt": "N_TRIPLES", "jsonld": "JSON_LD", "xml": "RDF_XML", "trig": "TRIG"}
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


def input_format(path: Path) -> str:
    """The pyoxigraph RdfFormat name of an RDF file, by suffix; the file must exist."""
    kind = OX_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise RDFInputError(f"{path}: unknown RDF file type '{path.suffix}'")
    if not path.is_file():
        raise RDFInputError(f"{path}: no such file")
    return kind


def convert_files(files: list[Path], fmt: str, path: Path) -> None:
    """Convert RDF files to one format: input order kept, output written atomically."""
    import pyoxigraph as ox

    if fmt not in OUTPUT_FORMATS:
        raise EgovkgError(f"unknown format '{fmt}'; choose one of {', '.join(OUTPUT_FORMATS)}")
    streams = []
    for f in files:
        streams.append(_named(f, ox.parse(path=str(f), format=getattr(ox.RdfFormat, input_format(f)))))
    kwargs: dict[str, Any] = {"format": getattr(ox.RdfFormat, OUTPUT_FORMATS[fmt])}
    if fmt in ("ttl", "trig", "xml"):
        kwargs["prefixes"] = {**STANDARD_PREFIXES, **resource_prefixes()}
    from egovkg.atomic import atomic_open

    with atomic_open(path, "wb") as fh:
        ox.serialize(itertools.chain(*streams), fh, **kwargs)


def _named(path: Path, stream: Iterator[Any]) -> Iterator[Any]:
    """Re-raise a parse error of ``stream`` naming the file it came from."""
    try:
        yield from stream
    except SyntaxError as exc:
        raise RDFInputError(f"{path}: not valid RDF: {exc}") from exc
