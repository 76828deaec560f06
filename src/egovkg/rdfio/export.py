"""Stage: serialisations of the graph, its VoID/DCAT description and the ontology docs.

Every output is deterministic: N-Triples lines are sorted; Turtle (of a graph without
blank nodes), RDF/XML and TriG are written by Oxigraph from those sorted lines (each
subject's rdf:type first), JSON-LD by :mod:`egovkg.rdfio.jsonld` (sorted keys and arrays).
Writes are atomic.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, VOID, XSD

from egovkg.graph.namespaces import PREFIXES, bind_prefixes
from egovkg.rdfio.convert import xml_safe
from egovkg.rdfio.formats import RDF_FORMATS, rdf_format
from egovkg.util.atomic import write_bytes

if TYPE_CHECKING:  # the build pulls in the extractor's dictionaries: import it only for types
    from egovkg.graph.build import KnowledgeGraph

LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")


def graph_for(kg: KnowledgeGraph, fmt: str) -> Graph | Dataset:
    """What an export in ``fmt`` holds: the dataset of named graphs (TriG), or their union."""
    return kg.dataset() if rdf_format(fmt).keeps_named_graphs else kg.union()


def serialise(graph: Graph | Dataset, fmt: str, base: str | None = None, *, nt: bytes | None = None) -> bytes:
    """One graph (or, for TriG, a dataset) as bytes in a named format. ``nt``: the graph's sorted
    N-Triples (as this writes them), when the caller has them: not made again."""
    rdflib_format = rdf_format(fmt).rdflib
    if fmt == "nt":
        if nt is not None:
            return nt
        lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").split("\n")
        return ("\n".join(sorted(set(line for line in lines if line.strip()))) + "\n").encode("utf-8")
    if not graph.context_aware and fmt in ("ttl", "xml", "jsonld"):
        made = from_nt(fmt, serialise(graph, "nt") if nt is None else nt, {p: str(ns) for p, ns in graph.namespaces()})
        if made is not None:
            return made
    if fmt == "jsonld":  # a dataset: rdflib's writer, one node object per graph
        context: dict[str, str] = {p: str(ns) for p, ns in PREFIXES.items() if p != "id"}
        raw = graph.serialize(format="json-ld", context=context, auto_compact=True, encoding="utf-8")
        data = _canonical_json(json.loads(raw))
        return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
    if fmt in ("xml", "trig"):
        return _via_oxigraph(graph, fmt)
    # Turtle with blank nodes: rdflib's writer, which nests them and needs no labels
    return graph.serialize(format=rdflib_format, encoding="utf-8")


_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def has_blank_nodes(nt: bytes) -> bool:
    """Whether N-Triples hold a blank node (the fast writers from N-Triples want none)."""
    return nt.startswith(b"_:") or b"\n_:" in nt or b" _:" in nt  # a literal holding " _:" only costs speed


def turtle_from_nt(nt: bytes, prefixes: dict[str, str]) -> bytes:
    """Turtle, written by Oxigraph, of sorted N-Triples without blank nodes: subjects in order,
    each with its rdf:type first (``x a C ;``), objects of a predicate grouped, and the
    ``@prefix`` lines of the namespaces used, sorted by prefix."""
    import pyoxigraph as ox

    def order(line: str) -> tuple[str, bool, str]:
        subject, predicate, _ = line.split(" ", 2)
        return (subject, predicate != _RDF_TYPE, line)

    text = nt.decode("utf-8")
    lines = sorted((line for line in text.split("\n") if line.strip()), key=order)
    used = {p: ns for p, ns in sorted(prefixes.items()) if p and f"<{ns}" in text}
    data = ox.serialize(
        ox.parse(("\n".join(lines) + "\n").encode("utf-8"), format=ox.RdfFormat.N_TRIPLES),
        format=ox.RdfFormat.TURTLE,
        prefixes=used,
    )
    # Oxigraph writes the prefixes longest namespace first: sorted by name here, as rdflib did
    head, body = [], data.split(b"\n")
    while body and body[0].startswith(b"@prefix "):
        head.append(body.pop(0))
    return b"\n".join(sorted(head) + body)


def _via_oxigraph(graph: Graph | Dataset, fmt: str) -> bytes:
    """RDF/XML and TriG in a stable order, written by Oxigraph's serialiser from sorted lines.

    rdflib's RDF/XML and TriG writers iterate subjects, graphs and namespaces in
    set order, which varies with PYTHONHASHSEED; Oxigraph writes in the order given.
    """
    import pyoxigraph as ox

    prefixes = {p: str(ns) for p, ns in PREFIXES.items() if p != "id"}
    if fmt == "trig" and not graph.context_aware:  # one graph (a CONSTRUCT result): TriG's default graph
        quads = ox.parse(serialise(graph, "nt"), format=ox.RdfFormat.N_QUADS)
        return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=prefixes)
    if fmt == "trig":
        lines = graph.serialize(format="nquads", encoding="utf-8").decode("utf-8").split("\n")
        # one block per named graph: sort by the graph name (the last term), then the triple
        ordered = sorted({line for line in lines if line.strip()}, key=lambda q: (q.rsplit(" ", 2)[1], q))
        data = ("\n".join(ordered) + "\n").encode("utf-8")
        quads = ox.parse(data, format=ox.RdfFormat.N_QUADS)
        return ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=prefixes)
    return rdfxml_from_nt(serialise(graph, "nt"))


def union_nt(graphs: Mapping[str, bytes]) -> bytes:
    """The sorted N-Triples of the union of graphs, each given as sorted N-Triples."""
    lines = {line for nt in graphs.values() for line in nt.decode("utf-8").split("\n") if line.strip()}
    return ("\n".join(sorted(lines)) + "\n").encode("utf-8")


def trig_from_nt(graphs: Mapping[str, bytes]) -> bytes:
    """TriG, written by Oxigraph, of named graphs given as IRI -> sorted N-Triples: one block
    per graph, in the order of their IRIs (as :func:`serialise` writes a dataset)."""
    import pyoxigraph as ox

    quads = []
    for iri, nt in sorted(graphs.items()):
        for line in nt.decode("utf-8").split("\n"):
            if line.strip():
                quads.append(f"{line.rstrip().removesuffix('.').rstrip()} <{iri}> .")
    prefixes = {p: str(ns) for p, ns in PREFIXES.items() if p != "id"}
    data = ("\n".join(quads) + "\n").encode("utf-8")
    return ox.serialize(ox.parse(data, format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.TRIG, prefixes=prefixes)


def rdfxml_from_nt(nt: bytes) -> bytes:
    """RDF/XML, written by Oxigraph in the order of the (sorted) N-Triples ``nt``."""
    import pyoxigraph as ox

    prefixes = {p: str(ns) for p, ns in PREFIXES.items() if p != "id"}
    triples = ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)
    return xml_safe(ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=prefixes), "cannot write RDF/XML")


def from_nt(fmt: str, nt: bytes, prefixes: dict[str, str]) -> bytes | None:
    """A graph in ``fmt`` made from its sorted N-Triples: Turtle and RDF/XML by Oxigraph, JSON-LD
    by :mod:`egovkg.rdfio.jsonld`. None where this does not apply: another format, or Turtle and
    RDF/XML of blank nodes (the JSON-LD writer names them stably)."""
    if fmt == "jsonld":
        from egovkg.rdfio.jsonld import jsonld_from_nt

        return jsonld_from_nt(nt)
    if has_blank_nodes(nt):
        return None
    if fmt == "ttl":
        return turtle_from_nt(nt, prefixes)
    if fmt == "xml":
        return rdfxml_from_nt(nt)
    return None


def _canonical_json(value: Any) -> Any:
    """Sort JSON-LD's unordered arrays (multi-valued properties, @graph) so output is stable."""
    if isinstance(value, dict):
        return {k: (v if k == "@list" else _canonical_json(v)) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical_json(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True))
    return value


def export(kg: KnowledgeGraph, fmt: str, path: Path) -> None:
    """Write the whole graph (TriG: one named graph per origin) to ``path`` atomically."""
    data = serialise(graph_for(kg, fmt), fmt, kg.base)
    write_bytes(path, data)


def vocabularies(graph: Graph) -> list[URIRef]:
    """The namespaces (of PREFIXES) of every predicate and class the graph uses, for void:vocabulary."""
    namespaces = sorted((str(ns) for ns in PREFIXES.values()), key=len, reverse=True)
    terms = set(graph.predicates()) | set(graph.objects(None, RDF.type))
    used = {next((ns for ns in namespaces if str(t).startswith(ns)), None) for t in terms}
    return sorted(URIRef(ns) for ns in used if ns is not None)


def describe(
    kg: KnowledgeGraph,
    *,
    dumps: dict[str, str] | None = None,
    sparql_endpoint: str | None = None,
    union: Graph | None = None,
) -> Graph:
    """A VoID + DCAT description of the dataset (``union``: ``kg.union()``, if the caller has it)."""
    union = kg.union() if union is None else union
    g = Graph()
    bind_prefixes(g, kg.base)
    ds = URIRef(f"{kg.base}dataset/egovkg")
    for cls in (VOID.Dataset, DCAT.Dataset):
        g.add((ds, RDF.type, cls))
    for lang, title in (
        ("en", "egovkg: China e-government best practices knowledge graph"),
        ("zh", "中国电子政务最佳实践知识图谱"),
    ):
        g.add((ds, DCTERMS.title, Literal(title, lang=lang)))
        g.add((ds, RDFS.label, Literal(title, lang=lang)))
    g.add(
        (
            ds,
            DCTERMS.description,
            Literal(
                "Awards, practices, agencies, regions, programmes, policy documents and milestones of the "
                "2012 China E-Government Best Practice selection, with the provenance of every fact.",
                lang="en",
            ),
        )
    )
    g.add(
        (
            ds,
            DCTERMS.description,
            Literal(
                "2012年中国电子政务最佳实践评选的奖项、实践、机构、地区、工程、政策文件和大事记，每条事实均注明出处。",
                lang="zh",
            ),
        )
    )
    g.add((ds, DCTERMS.license, LICENSE))
    g.add((ds, DCTERMS.source, URIRef(f"{kg.base}source/announcement-2012")))
    g.add((ds, VOID.uriSpace, Literal(kg.base)))
    g.add((ds, VOID.triples, Literal(len(union), datatype=XSD.integer)))
    subjects = {s for s in union.subjects() if isinstance(s, URIRef) and str(s).startswith(kg.base)}
    g.add((ds, VOID.entities, Literal(len(subjects), datatype=XSD.integer)))
    for vocab in vocabularies(union):
        g.add((ds, VOID.vocabulary, vocab))
    counts = Counter(o for s, o in union.subject_objects(RDF.type) if s in subjects)
    for cls, n in sorted(counts.items()):
        local = str(cls).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        prefix = next((p for p, ns in PREFIXES.items() if str(cls).startswith(str(ns))), "x")
        part = URIRef(f"{ds}/class/{prefix}-{local}")
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, Literal(n, datatype=XSD.integer)))
    for example in ("award/2012-management-innovation-01", "agency/national-audit-office", "region/420500"):
        iri = URIRef(kg.base + example)
        if (iri, None, None) in union:
            g.add((ds, VOID.exampleResource, iri))
    for fmt, url in sorted((dumps or {}).items()):
        g.add((ds, VOID.dataDump, URIRef(url)))
        dist = URIRef(f"{ds}/distribution/{fmt}")
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.downloadURL, URIRef(url)))
        g.add((dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{RDF_FORMATS[fmt].media_type}")))
        g.add((dist, DCTERMS.license, LICENSE))
    if sparql_endpoint:
        g.add((ds, VOID.sparqlEndpoint, URIRef(sparql_endpoint)))
    g.add((ds, FOAF.homepage, URIRef("https://w3id.org/egovkg/")))
    return g
