"""The one registry of formats: each RDF format and each SPARQL results format once, with its
name on our command line, file suffix, media type and label read from pyoxigraph's own
``RdfFormat`` / ``QueryResultsFormat``, and the rdflib plugin name where rdflib writes it.
Everything else looks formats up here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from egovkg.errors import EgovkgError


@dataclass(frozen=True)
class Format:
    name: str  # on the command line and in the library: ttl, nt, jsonld, xml, trig
    ox_name: str  # the pyoxigraph RdfFormat / QueryResultsFormat member
    rdflib: str | None = None  # the rdflib plugin name, for formats rdflib writes
    extra_suffixes: tuple[str, ...] = ()  # other file suffixes read as this format
    # our exports in this format keep one named graph per origin (the others write the union)
    keeps_named_graphs: bool = False

    @property
    def oxigraph(self) -> Any:
        import pyoxigraph as ox

        return getattr(ox.RdfFormat, self.ox_name, None) or getattr(ox.QueryResultsFormat, self.ox_name)

    @property
    def suffix(self) -> str:
        """The file suffix we write, without the dot (RDF/XML: rdf)."""
        return _ox_facts(self.ox_name)[0]

    @property
    def media_type(self) -> str:
        return _ox_facts(self.ox_name)[1]

    @property
    def label(self) -> str:
        return _ox_facts(self.ox_name)[2]

    @property
    def datasets(self) -> bool:
        """Whether the format holds named graphs (TriG, N-Quads, JSON-LD)."""
        return bool(getattr(self.oxigraph, "supports_datasets", False))

    @property
    def suffixes(self) -> tuple[str, ...]:
        return (f".{self.suffix}", *self.extra_suffixes)


@cache
def _ox_facts(ox_name: str) -> tuple[str, str, str]:
    import pyoxigraph as ox

    fmt = getattr(ox.RdfFormat, ox_name, None) or getattr(ox.QueryResultsFormat, ox_name)
    return fmt.file_extension, fmt.media_type.split(";")[0], fmt.name


# The formats egovkg writes, in the order they are offered; then those it only reads.
RDF_FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("ttl", "TURTLE", "turtle"),
        Format("nt", "N_TRIPLES", "nt"),
        Format("jsonld", "JSON_LD", "json-ld", (".json",)),
        Format("xml", "RDF_XML", "xml", (".xml", ".owl")),
        Format("trig", "TRIG", "trig", keeps_named_graphs=True),
    )
}
READ_ONLY_FORMATS: dict[str, Format] = {f.name: f for f in (Format("nq", "N_QUADS"), Format("n3", "N3"))}
# SPARQL results (SELECT, ASK): the W3C formats; "table" is ours, for terminals.
RESULT_FORMATS: dict[str, Format] = {
    f.name: f for f in (Format("csv", "CSV"), Format("tsv", "TSV"), Format("json", "JSON"), Format("xml", "XML"))
}


def rdf_format(name: str) -> Format:
    """A format egovkg writes, by name; EgovkgError naming the choices otherwise."""
    try:
        return RDF_FORMATS[name]
    except KeyError:
        raise EgovkgError(f"unknown format '{name}'; choose one of {', '.join(RDF_FORMATS)}") from None


def by_suffix(suffix: str) -> Format | None:
    """The RDF format of a file suffix ('.ttl', '.owl' …), read or written; None when unknown."""
    suffix = suffix.lower()
    for f in (*RDF_FORMATS.values(), *READ_ONLY_FORMATS.values()):
        if suffix in f.suffixes:
            return f
    return None


def by_media_type(media_type: str) -> Format | None:
    """The RDF format egovkg writes for a media type (parameters ignored); None when unknown."""
    bare = media_type.split(";")[0].strip().lower()
    return next((f for f in RDF_FORMATS.values() if f.media_type == bare), None)


__all__ = ["Format", "RDF_FORMATS", "READ_ONLY_FORMATS", "RESULT_FORMATS", "rdf_format", "by_suffix", "by_media_type"]
