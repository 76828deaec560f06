"""Stage: a static linked-data site, one HTML page and one RDF description per resource.

Every IRI of the graph gets a page that shows both languages, and its own
description in Turtle, N-Triples, JSON-LD and RDF/XML. The paths mirror the
IRIs, so the site works from ``file://``, from any static web server, and
behind :mod:`egovkg.serve.app`, which adds content negotiation and SPARQL:

=====================================================  ==============================================
IRI                                                    files (``.html``, ``.ttl``, ``.nt``, ``.jsonld``, ``.rdf``)
=====================================================  ==============================================
``<base>award/X`` (the id space)                       ``id/award/X.*``
``<base>span/announcement-2012/10-20/quote``           ``id/span/announcement-2012/10-20/quote.*``
``https://w3id.org/egovkg/ontology`` (the ontology)    ``ontology.*`` (the documentation page)
``https://w3id.org/egovkg/ontology#Award``             ``ontology/Award.*`` and the anchor ``ontology.html#Award``
``https://schema.org/Event`` (declared reused terms)   ``vocab/schema/Event.*``
=====================================================  ==============================================

plus ``index.html`` (classes and counts), ``class/<prefix>/<Local>.html`` (the
instances of each class), ``.well-known/void`` (VoID + DCAT, Turtle),
``dump/egovkg.*`` (the whole graph) and ``assets/site.css``.

A path segment keeps ``A-Z a-z 0-9 _ -``; every other character becomes ``~``
and two hex digits per UTF-8 byte, an empty segment becomes ``~``, and an
overlong one is cut and ends in ``~~`` and a hash. So ``..``, ``/``, ``%`` and
``.html`` inside an id cannot escape the folder or collide with another file.

A resource's description is its own triples, the triples that point at it,
the triples of its selectors (``oa:hasSelector``, for text spans) and the
``rdfs:label``/``skos:prefLabel`` of every node it links to or is linked from.
The ontology page's description is every triple whose subject lies outside the
id space, so the union of all descriptions is exactly the whole graph.

Pages come from Jinja2 templates with autoescaping on, and every page carries a
Content-Security-Policy that allows no script: a label such as
``<img src=x onerror=alert(1)>`` shows as text. Output is deterministic: sorted
everywhere, no timestamps. :func:`build_site` writes into a temporary folder
beside the target and swaps it in at the end, so a failed build leaves the
previous site as it was.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import glob
import multiprocessing
import os
import posixpath
import shutil
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, VANN

from egovkg.errors import EgovkgError, OutputError
from egovkg.graph.build import KnowledgeGraph
from egovkg.graph.namespaces import OA, ONTOLOGY_IRI, bind_prefixes
from egovkg.paths import Layout
from egovkg.publish.addresses import CSP as EXPLORER_CSP
from egovkg.publish.addresses import (
    GRAPH_PAGES,
    NEIGHBOURHOOD_PAGE,
    ONTOLOGY_NS,
    QUERY_PAGE,
    SITE_FOLDER,
    class_stem,
    nav_css,
    page_file,
    relative,
    site_nav_html,
    site_root,
    stem_for,
)
from egovkg.publish.explorer import show_in_graph
from egovkg.publish.workbench import CSP as WORKBENCH_CSP
from egovkg.publish.workbench import PAGE as WORKBENCH_PAGE
from egovkg.publish.workbench import workbench_files
from egovkg.rdfio.convert import xml_safe
from egovkg.rdfio.export import describe, serialise
from egovkg.rdfio.formats import RDF_FORMATS as FORMATS
from egovkg.rdfio.jsonld import write_jsonld

RDF_FORMATS: tuple[str, ...] = ("ttl", "nt", "jsonld", "xml")  # one description file each
DUMP_FORMATS: tuple[str, ...] = ("ttl", "nt", "jsonld", "xml", "trig")
MEDIA_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    **{f".{f.suffix}": f.media_type + ("; charset=utf-8" if f.name == "ttl" else "") for f in FORMATS.values()},
    ".js": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
# (label, suffix, media type) of each description format, in the pages' order
_DOWNLOADS: tuple[tuple[str, str, str], ...] = tuple(
    (f.label, f.suffix, f.media_type) for f in map(FORMATS.__getitem__, RDF_FORMATS)
)
VOID_PATH = ".well-known/void"
CSS_PATH = "assets/site.css"
MARKER = ".egovkg-site"  # marks a folder build_site may replace
# Shown first, in this order; every other property follows sorted by its CURIE.
LEADING = (RDF.type, RDFS.label, SKOS.prefLabel, SKOS.altLabel, DCTERMS.title, RDFS.comment, SKOS.definition)
LABELS = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
NEIGHBOUR_LABELS = (RDFS.label, SKOS.prefLabel)
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; script-src 'none'"
)
# the explorer's pages (egovkg.publish.explorer), copied under SITE_FOLDER so one folder deploys everything
EXPLORER_FILES: tuple[str, ...] = tuple(
    sorted([*(page_file(name) for name in (*GRAPH_PAGES, "index", "map", "timeline")), NEIGHBOURHOOD_PAGE])
)


def csp_for(path: str) -> str:
    """The Content-Security-Policy a site file is served with: the explorer's pages run their own
    inline script, the query workbench its own files and WebAssembly; every other page runs none."""
    if path == WORKBENCH_PAGE:
        return WORKBENCH_CSP
    return EXPLORER_CSP if path.startswith(f"{SITE_FOLDER}/") else CSP


TERM_TYPES = {
    # section anchors start with "sec-" so they never collide with a term's own anchor (#Award)
    OWL.Class: ("类", "Classes", "sec-classes"),
    OWL.ObjectProperty: ("对象属性", "Object properties", "sec-object-properties"),
    OWL.DatatypeProperty: ("数据属性", "Datatype properties", "sec-datatype-properties"),
    OWL.AnnotationProperty: ("注释属性", "Annotation properties", "sec-annotation-properties"),
}


@dataclass(frozen=True)
class SiteReport:
    """What :func:`build_site` wrote."""

    out_dir: Path
    pages: int  # HTML pages
    resources: int  # IRIs with a page and a description
    files: int
    bytes: int
    seconds: float

    def lines(self) -> list[str]:
        return [
            f"wrote {self.out_dir}: {self.pages:,} pages for {self.resources:,} resources, "
            f"{self.files:,} files, {self.bytes:,} bytes in {self.seconds:.1f} s"
        ]


@dataclass(frozen=True)
class Resource:
    """An IRI with a page: ``kind`` is id, ontology, term (egov:) or vocab (a reused term)."""

    iri: URIRef
    kind: str
    stem: str  # site path without suffix


# -- paths ---------------------------------------------------------------------


# -- the site ------------------------------------------------------------------


def _lang_key(lang: str | None) -> str | None:
    if not lang:
        return None
    lang = lang.lower()
    if lang in ("zh", "zh-hans", "zh-cn", "zh-hant", "zh-tw"):
        return "zh"
    if lang == "en" or lang.startswith("en-"):
        return "en"
    return None


def _term_key(term: Any) -> tuple[int, str, str, str]:
    if isinstance(term, URIRef):
        return (0, "", "", str(term))
    if isinstance(term, Literal):
        return (1, term.language or "", str(term.datatype or ""), str(term))
    return (2, "", "", str(term))


def _e(text: str) -> str:
    return str(escape(text))


def _node_html(n: dict[str, Any]) -> Markup:
    """A node as a link (or, without one, a span): its labels in both languages and its CURIE."""
    href, zh, en, curie = n["href"], n["zh"], n["en"], _e(n["curie"])
    if href:
        rel = ' rel="external noopener noreferrer"' if n["external"] else ""
        out = f'<a href="{_e(href)}"{rel}>'
    else:
        out = '<span class="unlinked">'
    if zh or en:
        if zh:
            out += f'<span lang="zh">{_e(zh)}</span>'
        if zh and en:
            out += '<span class="sep"> / </span>'
        if en:
            out += f'<span lang="en">{_e(en)}</span>'
    else:
        out += f"<code>{curie}</code>"
    out += "</a>" if href else "</span>"
    if zh or en:
        out += f' <code class="curie">{curie}</code>'
    return Markup(out)


class _Index:
    """The graph's triples in plain dicts, by subject and by object: the pages ask for a node's
    neighbours thousands of times, and rdflib's store answers each through several layers."""

    def __init__(self, graph: Graph) -> None:
        self.out: dict[Any, list[tuple[Any, Any]]] = defaultdict(list)
        self.into: dict[Any, list[tuple[Any, Any]]] = defaultdict(list)
        self.uses: dict[Any, int] = defaultdict(int)  # triples per predicate
        self._sp: dict[tuple[Any, Any], list[Any]] = defaultdict(list)
        self._po: dict[tuple[Any, Any], list[Any]] = defaultdict(list)
        self.triples = set(graph)  # iterating rdflib's store costs more than iterating a set
        for s, p, o in self.triples:
            self.out[s].append((p, o))
            self.into[o].append((s, p))
            self._sp[s, p].append(o)
            self._po[p, o].append(s)
            self.uses[p] += 1

    def objects(self, s: Any, p: Any) -> list[Any]:
        return self._sp.get((s, p), [])

    def subjects(self, p: Any, o: Any) -> list[Any]:
        return self._po.get((p, o), [])

    def has(self, s: Any, p: Any, o: Any) -> bool:
        return (s, p, o) in self.triples


class _WithUnion:
    """A built graph whose union is made already (describe asks for it; making it again took longer
    than the description)."""

    def __init__(self, kg: KnowledgeGraph, union: Graph) -> None:
        self._kg, self._union, self.base = kg, union, kg.base

    def union(self) -> Graph:
        return self._union

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kg, name)


class Site:
    """Everything the site holds, rendered on demand: ``paths()`` lists it, ``render(path)`` makes one file.

    :func:`build_site` writes every path; :mod:`egovkg.serve.app` renders pages as they are asked for.
    """

    def __init__(
        self,
        kg: KnowledgeGraph,
        *,
        sparql_endpoint: str | None = None,
        layout: Layout | None = None,
        union: Graph | None = None,
        dumps: dict[str, bytes] | None = None,
        views: Any = None,
    ) -> None:
        """``union``: ``kg.union()`` if the caller has made it already; ``dumps``: the graph already
        serialised, by format name (e.g. the build's N-Triples and TriG), the others are made here;
        ``views``: the union's EntityIndex with its views laid out, if the caller has made it
        (:func:`egovkg.publish.explorer.prepare_views`), for the explorer's copy."""
        import jinja2

        from egovkg.publish.templating import environment

        self._views = views

        self.kg = kg
        self.layout = layout
        self.base = kg.base
        self.sparql_endpoint = sparql_endpoint
        self.graph = kg.union() if union is None else union
        bind_prefixes(self.graph, self.base)
        self.env = environment(jinja2.PackageLoader("egovkg.publish", "templates/site"), auto_reload=False)
        self._namespaces = sorted(
            ((p, str(ns)) for p, ns in self.graph.namespaces()), key=lambda pn: (-len(pn[1]), pn[0])
        )
        self.ix = _Index(self.graph)
        self._labels: dict[URIRef, dict[str, str]] = {}
        self._nodes_html: dict[tuple[Any, str], dict[str, Any]] = {}
        self._curies: dict[str, str] = {}
        self.resources: dict[URIRef, Resource] = {}
        for iri in sorted(self._nodes()):
            kind, stem = stem_for(str(iri), self.base)
            self.resources[iri] = Resource(iri, kind, stem)
        self.by_stem = {r.stem: r for r in self.resources.values()}
        if len(self.by_stem) != len(self.resources):
            raise EgovkgError("two IRIs map to the same site path; this is a bug in egovkg.publish.site")
        self.classes = self._classes()
        self._plan: dict[str, Callable[[], bytes]] = {}
        self._make_plan()
        self._description = lru_cache(maxsize=256)(self._describe)
        self._json_ld_parts: dict[Any, Any] = {}
        self._prefixes_of: dict[str, frozenset[str]] = {}
        self._triple_prefixes: dict[Any, frozenset[str]] = {}
        self._rank: dict[Any, int] = {}
        self._used_prefixes_of = lru_cache(maxsize=16)(self._find_used_prefixes)  # Turtle's, then RDF/XML's
        self._store: Any = None  # an Oxigraph copy of the graph, for the descriptions (made when first needed)
        self._dumps: dict[str, bytes] = {fmt: data for fmt, data in (dumps or {}).items() if fmt in DUMP_FORMATS}
        self._explorer_pages: dict[str, str] | None = None

    # -- inventory -------------------------------------------------------------

    def _nodes(self) -> set[URIRef]:
        nodes: set[URIRef] = {URIRef(ONTOLOGY_IRI)}
        for s, p, o in self.ix.triples:
            for term in (s, p, o):
                if not isinstance(term, URIRef):
                    continue
                iri = str(term)
                if term is s or iri.startswith(self.base) or iri.startswith(ONTOLOGY_NS):
                    nodes.add(term)
        return nodes

    def _classes(self) -> dict[URIRef, list[URIRef]]:
        """Each class with its instances in the id space, sorted."""
        out: dict[URIRef, list[URIRef]] = defaultdict(list)
        for s, cls in ((s, o) for s, p, o in self.ix.triples if p == RDF.type):
            if isinstance(cls, URIRef) and s in self.resources and self.resources[s].kind == "id":
                out[cls].append(s)
        return {cls: sorted(members) for cls, members in sorted(out.items())}

    def _add(self, path: str, make: Callable[[], bytes]) -> None:
        if path in self._plan:
            raise EgovkgError(f"two files map to the site path {path}; this is a bug in egovkg.publish.site")
        self._plan[path] = make

    def _make_plan(self) -> None:
        for r in self.resources.values():
            self._add(f"{r.stem}.html", lambda r=r: self._page(r))
            for fmt in RDF_FORMATS:
                self._add(f"{r.stem}.{FORMATS[fmt].suffix}", lambda r=r, fmt=fmt: self._serialised(r.iri, fmt))
        self._add("index.html", self._index)
        for cls in self.classes:
            self._add(class_stem(cls) + ".html", lambda cls=cls: self._class_page(cls))
        self._add(CSS_PATH, self._css)
        for name in EXPLORER_FILES:
            self._add(f"{SITE_FOLDER}/{name}", lambda name=name: self._explorer()[name].encode("utf-8"))
        self._add(VOID_PATH, lambda: serialise(self.void(), "ttl"))
        for fmt in DUMP_FORMATS:
            self._add(f"dump/egovkg.{FORMATS[fmt].suffix}", lambda fmt=fmt: self._dump(fmt))
        for path, make in workbench_files(self, self.layout).items():
            self._add(path, make)

    def _compile_templates(self) -> None:
        """Every page template compiled (Jinja compiles one on first use): before the writers
        fork, so that they share the compiled code instead of each compiling it."""
        for name in self.env.list_templates(filter_func=lambda name: name.endswith(".html")):
            self.env.get_template(name)

    def _css(self) -> bytes:
        assert self.env.loader is not None
        # the navigation bar's style (nav.css, every rule under .egk-nav) follows the site's own
        return (self.env.loader.get_source(self.env, "site.css")[0] + "\n" + nav_css()).encode("utf-8")

    def _explorer(self) -> dict[str, str]:
        """The explorer's pages for the site's copy, rendered together once (they share one index)."""
        if self._explorer_pages is None:
            from egovkg.publish.explorer import render_explorer

            self._explorer_pages = render_explorer(
                self.graph, self.base, "site", query=self.has_query_page, idx=self._views
            )
        return self._explorer_pages

    @property
    def has_query_page(self) -> bool:
        """Whether the site has a query page (``query.html``) for the explorer to link to."""
        return QUERY_PAGE in self._plan

    def paths(self) -> list[str]:
        """Every file of the site, relative to its root, sorted."""
        return sorted(self._plan)

    def render(self, path: str) -> bytes:
        """One file's bytes; KeyError when the site has no such path."""
        return self._plan[path]()

    def __contains__(self, path: str) -> bool:
        return path in self._plan

    def dumps(self) -> dict[str, str]:
        root = site_root(self.base)
        return {fmt: f"{root}dump/egovkg.{FORMATS[fmt].suffix}" for fmt in DUMP_FORMATS}

    def void(self, sparql_endpoint: str | None = None) -> Graph:
        return describe(
            _WithUnion(self.kg, self.graph), dumps=self.dumps(), sparql_endpoint=sparql_endpoint or self.sparql_endpoint
        )

    def _dump(self, fmt: str) -> bytes:
        """The whole graph in one format: the same bytes as the build's export in that format."""
        found = self._dumps.get(fmt)
        if found is None:
            found = self._dumps[fmt] = self._make_dump(fmt)
        return found

    def _make_dump(self, fmt: str) -> bytes:
        """A dump not given: each from the sorted N-Triples (made once), as the build's exports are
        made (the graph has no blank nodes, else rdflib's writers); TriG from each named graph's."""
        from egovkg.rdfio.export import has_blank_nodes, trig_from_nt

        if fmt == "nt":
            return serialise(self.graph, "nt")
        if fmt == "trig":
            graphs = {str(iri): serialise(getattr(self.kg, name), "nt") for name, iri in self.kg.graph_iris.items()}
            if not any(map(has_blank_nodes, graphs.values())):
                return trig_from_nt(graphs)
            return serialise(self.kg.dataset(), fmt, self.base)
        return serialise(self.graph, fmt, self.base, nt=self._dump("nt"))

    # -- descriptions ----------------------------------------------------------

    def _oxigraph(self) -> tuple[list[Any], dict[Any, list[Any]], dict[Any, list[Any]]]:
        """The graph's triples as Oxigraph terms, sorted (as the N-Triples dump), and by subject
        and by object. Parsed, not put in an ox.Store: the store keeps xsd:nonNegativeInteger
        literals as xsd:integer (pyoxigraph 0.5)."""
        if self._store is None:
            import pyoxigraph as ox

            triples = list(ox.parse(self._dump("nt"), format=ox.RdfFormat.N_TRIPLES))
            by_subject: dict[Any, list[Any]] = defaultdict(list)
            by_object: dict[Any, list[Any]] = defaultdict(list)
            for t in triples:
                by_subject[t.subject].append(t)
                by_object[t.object].append(t)
            # each triple's place in the order of its N-Triples text, found once: a description is
            # sorted by it (an int compared) instead of by the text made again for every description
            self._rank = {t: i for i, t in enumerate(sorted(triples, key=str))}
            self._store = (triples, by_subject, by_object)
        return self._store

    def _describe(self, iri: URIRef) -> tuple[Any, ...]:
        """The description's triples (Oxigraph terms), sorted."""
        import pyoxigraph as ox

        _, by_subject, by_object = self._oxigraph()
        found: set[Any] = set()
        if self.resources[iri].kind == "ontology":
            # everything outside the id space: the ontology header, its terms, the reused terms it declares
            for subject, triples in by_subject.items():
                if not subject.value.startswith(self.base):
                    found.update(triples)
            return tuple(sorted(found, key=self._rank.__getitem__))
        node = ox.NamedNode(str(iri))
        neighbours: set[Any] = set()
        for t in by_subject.get(node, ()):
            found.add(t)
            if isinstance(t.object, ox.NamedNode):
                neighbours.add(t.object)
        for t in by_object.get(node, ()):
            found.add(t)
            if isinstance(t.subject, ox.NamedNode):
                neighbours.add(t.subject)
        selector = ox.NamedNode(str(OA.hasSelector))
        for sel in [t.object for t in by_subject.get(node, ()) if t.predicate == selector]:
            found.update(by_subject.get(sel, ()))
        labels = {ox.NamedNode(str(p)) for p in NEIGHBOUR_LABELS}
        for n in neighbours:
            found.update(t for t in by_subject.get(n, ()) if t.predicate in labels)
        return tuple(sorted(found, key=self._rank.__getitem__))

    @functools.cached_property
    def _prefix_map(self) -> dict[str, str]:
        return {p: ns for p, ns in self._namespaces if p}

    def _prefixes(self) -> dict[str, str]:
        return self._prefix_map

    def _used_prefixes(self, triples: tuple[Any, ...]) -> dict[str, str]:
        """The prefixes whose namespace starts an IRI of ``triples`` (a datatype's too), in the
        order of :meth:`_prefixes`: a description declares only what it can use."""
        return self._used_prefixes_of(triples)

    def _find_used_prefixes(self, triples: tuple[Any, ...]) -> dict[str, str]:
        import pyoxigraph as ox

        fits = self._prefixes_of
        of_triple = self._triple_prefixes  # a triple is in many descriptions (a label in each that links its node)
        used: set[str] = set()
        for t in triples:
            in_triple = of_triple.get(t)
            if in_triple is None:
                parts: set[str] = set()
                for term in (t.subject, t.predicate, t.object):
                    if isinstance(term, ox.NamedNode):
                        iri = term.value
                    elif isinstance(term, ox.Literal):
                        iri = term.datatype.value
                    else:
                        continue
                    found = fits.get(iri)
                    if found is None:
                        found = fits[iri] = frozenset(p for p, ns in self._prefix_map.items() if iri.startswith(ns))
                    parts |= found
                in_triple = of_triple[t] = frozenset(parts)
            used |= in_triple
        return {p: ns for p, ns in self._prefix_map.items() if p in used}

    def _serialised(self, iri: URIRef, fmt: str) -> bytes:
        """A description in one format, written by Oxigraph (JSON-LD: by egovkg.rdfio.jsonld)."""
        return self._serialise_triples(self._description(iri), fmt)

    def _serialise_triples(self, triples: tuple[Any, ...], fmt: str) -> bytes:
        import pyoxigraph as ox

        if fmt == "nt":
            return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        if fmt == "ttl":
            return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=self._used_prefixes(triples))
        if fmt == "xml":
            return xml_safe(
                ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=self._used_prefixes(triples)),
                "cannot write RDF/XML",
            )
        if fmt == "jsonld":
            return write_jsonld(triples, self._json_ld_parts)
        raise EgovkgError(f"unknown format '{fmt}'")

    def description(self, iri: URIRef) -> Graph:
        """The triples a resource's RDF files hold."""
        from egovkg.sparql.results import to_rdflib

        g = Graph()
        bind_prefixes(g, self.base)
        for t in self._description(URIRef(iri)):
            g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return g

    # -- view model --------------------------------------------------------------

    def curie(self, iri: str) -> str:
        found = self._curies.get(iri)
        if found is None:
            found = next(
                (
                    f"{prefix}:{iri[len(ns) :]}"
                    for prefix, ns in self._namespaces
                    if iri.startswith(ns) and len(iri) > len(ns)
                ),
                f"<{iri}>",
            )
            self._curies[iri] = found
        return found

    def labels(self, node: URIRef) -> dict[str, str]:
        out = self._labels.get(node)
        if out is None:  # asked for again on every page that links to the node
            out = self._own_labels(node) or self._selector_labels(node)
            self._labels[node] = out
        return dict(out)

    def _own_labels(self, node: URIRef) -> dict[str, str]:
        out: dict[str, str] = {}
        for p in LABELS:
            for lit in sorted(self.ix.objects(node, p), key=_term_key):
                key = _lang_key(lit.language) if isinstance(lit, Literal) else None
                if key and key not in out:
                    out[key] = str(lit)
        return out

    def _selector_labels(self, node: URIRef) -> dict[str, str]:
        """A selector has no label of its own: it is named by its type and its span,
        "文本引文选择器：公告第1044–1055字符" / "Text quote selector: Characters 1044–1055 of the announcement"."""
        span = next(iter(sorted(self.ix.subjects(OA.hasSelector, node), key=str)), None)
        kind = next(iter(sorted(self.ix.objects(node, RDF.type), key=str)), None)
        if span is None or kind is None:
            return {}
        of_span, of_kind = self._own_labels(span), self._own_labels(kind)
        out = {}
        if of_span.get("zh") and of_kind.get("zh"):
            out["zh"] = f"{of_kind['zh']}：{of_span['zh']}"
        if of_span.get("en") and of_kind.get("en"):
            out["en"] = f"{of_kind['en'][:1].upper()}{of_kind['en'][1:]}: {of_span['en']}"
        return out

    def href(self, target: URIRef, page: str) -> tuple[str | None, bool]:
        """(link, external?) from the page at ``page`` to a node."""
        r = self.resources.get(target)
        if r is not None:
            return relative(page, f"{r.stem}.html"), False
        iri = str(target)
        if iri.startswith(ONTOLOGY_NS):  # an undeclared egov: term: its anchor, if any
            return None, False
        if urllib.parse.urlsplit(iri).scheme in ("http", "https"):
            return iri, True
        return None, False

    def node(self, target: URIRef, page: str) -> dict[str, Any]:
        """A link to ``target`` from ``page``: its IRI, CURIE, link and labels, and ``html``, the
        link as the pages show it (made here: a template macro per link was most of a page's time)."""
        key = (target, page.rpartition("/")[0])  # the link is relative to the page's folder
        found = self._nodes_html.get(key)
        if found is None:
            href, external = self.href(target, page)
            labels = self.labels(target)
            found = {
                "iri": str(target),
                "curie": self.curie(str(target)),
                "href": href,
                "external": external,
                "zh": labels.get("zh", ""),
                "en": labels.get("en", ""),
            }
            found["html"] = _node_html(found)
            self._nodes_html[key] = found
        return dict(found)

    def value(self, term: Any, page: str) -> dict[str, Any]:
        if isinstance(term, URIRef):
            node = self.node(term, page)
            return {"node": node, "html": node["html"]}
        lit: Literal = term
        dt = self.curie(str(lit.datatype)) if lit.datatype is not None else ""
        lang = lit.language or ""
        html = f'<span class="literal" lang="{_e(lang)}">' if lang else '<span class="literal">'
        html += f"{_e(str(lit))}</span>"
        if lang:
            html += f' <span class="tag">@{_e(lang)}</span>'
        elif dt:
            html += f' <span class="tag">{_e(dt)}</span>'
        return {"node": None, "text": str(lit), "lang": lang, "datatype": dt, "html": Markup(html)}

    def _order(self, predicates: Iterable[URIRef]) -> list[URIRef]:
        lead = [p for p in LEADING if p in predicates]
        rest = sorted((p for p in set(predicates) if p not in LEADING), key=lambda p: (self.curie(str(p)), str(p)))
        return lead + rest

    def properties(self, iri: URIRef, page: str) -> list[dict[str, Any]]:
        by_pred: dict[URIRef, list[Any]] = defaultdict(list)
        for p, o in self.ix.out.get(iri, ()):
            by_pred[p].append(o)
        return [
            {
                "predicate": self.node(p, page),
                "values": [self.value(o, page) for o in sorted(by_pred[p], key=_term_key)],
            }
            for p in self._order(by_pred)
        ]

    def incoming(self, iri: URIRef, page: str) -> list[dict[str, Any]]:
        by_pred: dict[URIRef, list[URIRef]] = defaultdict(list)
        for s, p in self.ix.into.get(iri, ()):
            by_pred[p].append(s)
        return [
            {"predicate": self.node(p, page), "subjects": [self.node(s, page) for s in sorted(by_pred[p], key=str)]}
            for p in self._order(by_pred)
        ]

    def _literal(self, s: Any, p: URIRef) -> str:
        values = sorted(str(o) for o in self.ix.objects(s, p) if isinstance(o, Literal))
        return values[0] if values else ""

    def quotes(self, iri: URIRef, page: str) -> list[dict[str, Any]]:
        """The announcement spans a resource was read from, each with its quote and offsets."""
        g = self.ix
        if g.has(iri, RDF.type, OA.SpecificResource):
            spans = [iri]
        elif g.subjects(OA.hasSelector, iri):
            spans = sorted(g.subjects(OA.hasSelector, iri), key=str)
        else:
            spans = [s for s in g.objects(iri, PROV.wasDerivedFrom) if isinstance(s, URIRef)]
        out = []
        for span in spans:
            q: dict[str, Any] = {
                "span": self.node(span, page),
                "prefix": "",
                "exact": "",
                "suffix": "",
                "start": "",
                "end": "",
                "source": None,
            }
            for sel in sorted(g.objects(span, OA.hasSelector), key=str):
                if g.has(sel, RDF.type, OA.TextQuoteSelector):
                    q.update(
                        prefix=self._literal(sel, OA.prefix),
                        exact=self._literal(sel, OA.exact),
                        suffix=self._literal(sel, OA.suffix),
                    )
                if g.has(sel, RDF.type, OA.TextPositionSelector):
                    q.update(start=self._literal(sel, OA.start), end=self._literal(sel, OA.end))
            source = next(iter(sorted(g.objects(span, OA.hasSource), key=str)), None)
            if isinstance(source, URIRef):
                q["source"] = self.node(source, page)
            if q["exact"]:
                out.append(q)

        def offset(q: dict[str, Any]) -> tuple[int, int, str]:
            start, end = q["start"], q["end"]
            return (int(start) if start.isdigit() else -1, int(end) if end.isdigit() else -1, q["span"]["iri"])

        return sorted(out, key=offset)

    def _common(self, page: str, title: str) -> dict[str, Any]:
        return {
            "css": relative(page, CSS_PATH),
            "csp": CSP,
            "title": title,
            "bar": site_nav_html(page, query=self.has_query_page),  # the explorer's bar, on every page
            "nav": {
                "index": relative(page, "index.html"),
                "ontology": relative(page, "ontology.html"),
                "void": relative(page, VOID_PATH),
                "query": relative(page, WORKBENCH_PAGE),
                "explorer": relative(page, f"{SITE_FOLDER}/index.html"),
            },
        }

    def _downloads(self, stem: str, page: str) -> list[dict[str, str]]:
        return [
            {"name": label, "href": relative(page, f"{stem}.{suffix}"), "type": media_type}
            for label, suffix, media_type in _DOWNLOADS
        ]

    def _title(self, node: dict[str, Any]) -> str:
        parts = [x for x in (node["zh"], node["en"]) if x]
        return " · ".join(parts) if parts else node["curie"]

    def _page(self, r: Resource) -> bytes:
        if r.kind == "ontology":
            return self._ontology_page(r)
        page = f"{r.stem}.html"
        me = self.node(r.iri, page)
        types = sorted(
            (o for o in self.ix.objects(r.iri, RDF.type) if isinstance(o, URIRef)),
            key=lambda t: (not str(t).startswith(ONTOLOGY_NS), self.curie(str(t))),
        )
        ctx = self._common(page, self._title(me))
        extra: dict[str, Any] = {}
        if r.kind in ("term", "vocab"):
            if r.iri in self.classes:
                extra["instances"] = {
                    "count": len(self.classes[r.iri]),
                    "href": relative(page, class_stem(r.iri) + ".html"),
                }
            used = self.ix.uses.get(r.iri, 0)
            if used:
                extra["usage"] = used
            if r.kind == "term":
                extra["anchor"] = (
                    relative(page, "ontology.html") + "#" + urllib.parse.quote(self._local(r.iri), safe="")
                )
        shown = show_in_graph(self.ix, r.iri, self.base) if r.kind == "id" else None
        if shown is not None:
            extra["graph"] = relative(page, f"{SITE_FOLDER}/{shown.split('?', 1)[0]}") + "?" + shown.split("?", 1)[1]
        ctx.update(
            me=me,
            kind=r.kind,
            types=[self.node(t, page) for t in types],
            downloads=self._downloads(r.stem, page),
            quotes=self.quotes(r.iri, page),
            properties=self.properties(r.iri, page),
            incoming=self.incoming(r.iri, page),
            **extra,
        )
        return self.env.get_template("resource.html").render(ctx).encode("utf-8")

    @staticmethod
    def _local(iri: URIRef) -> str:
        return str(iri)[len(ONTOLOGY_NS) :]

    def _index(self) -> bytes:
        page = "index.html"
        ctx = self._common(page, "egovkg · 中国电子政务最佳实践知识图谱")
        egov, other = [], []
        for cls, members in self.classes.items():
            entry = {"node": self.node(cls, page), "count": len(members), "href": class_stem(cls) + ".html"}
            (egov if str(cls).startswith(ONTOLOGY_NS) else other).append(entry)
        untyped = [
            self.node(r.iri, page)
            for r in self.resources.values()
            if r.kind == "id" and not self.ix.objects(r.iri, RDF.type)
        ]
        ids = [r for r in self.resources.values() if r.kind == "id"]
        ctx.update(
            egov_classes=egov,
            other_classes=other,
            untyped=untyped,
            stats={
                "triples": len(self.graph),
                "resources": len(ids),
                "terms": sum(1 for r in self.resources.values() if r.kind == "term"),
                "vocab": sum(1 for r in self.resources.values() if r.kind == "vocab"),
            },
            dumps=[{"name": FORMATS[fmt].label, "href": f"dump/egovkg.{FORMATS[fmt].suffix}"} for fmt in DUMP_FORMATS],
            ontology=self.node(URIRef(ONTOLOGY_IRI), page),
            base=self.base,
        )
        return self.env.get_template("index.html").render(ctx).encode("utf-8")

    def _class_page(self, cls: URIRef) -> bytes:
        page = class_stem(cls) + ".html"
        me = self.node(cls, page)
        ctx = self._common(page, self._title(me))
        ctx.update(me=me, members=[self.node(m, page) for m in self.classes[cls]])
        return self.env.get_template("class.html").render(ctx).encode("utf-8")

    def _ontology_page(self, r: Resource) -> bytes:
        page = "ontology.html"
        g = self.ix
        me = self.node(r.iri, page)
        terms = sorted((x for x in self.resources.values() if x.kind == "term"), key=lambda x: str(x.iri))
        groups: dict[URIRef | None, list[dict[str, Any]]] = defaultdict(list)
        for t in terms:
            types = set(g.objects(t.iri, RDF.type))
            group = next((k for k in TERM_TYPES if k in types), None)
            entry = {
                "local": self._local(t.iri),
                "node": self.node(t.iri, page),
                "comments": [self.value(c, page) for c in sorted(g.objects(t.iri, RDFS.comment), key=_term_key)],
                "properties": self.properties(t.iri, page),
                "instances": len(self.classes.get(t.iri, [])),
                "usage": g.uses.get(t.iri, 0),
            }
            groups[group].append(entry)
        sections = [
            {"id": anchor, "zh": zh, "en": en, "terms": groups[k]}
            for k, (zh, en, anchor) in TERM_TYPES.items()
            if groups.get(k)
        ]
        if groups.get(None):
            sections.append({"id": "sec-other-terms", "zh": "其他术语", "en": "Other terms", "terms": groups[None]})
        reused = [
            {
                "node": self.node(x.iri, page),
                "types": [
                    self.node(t, page) for t in sorted(g.objects(x.iri, RDF.type), key=str) if isinstance(t, URIRef)
                ],
            }
            for x in sorted((x for x in self.resources.values() if x.kind == "vocab"), key=lambda x: str(x.iri))
        ]
        ctx = self._common(page, self._title(me))
        ctx.update(
            me=me,
            descriptions=[self.value(d, page) for d in sorted(g.objects(r.iri, DCTERMS.description), key=_term_key)],
            header=self.properties(r.iri, page),
            sections=sections,
            reused=reused,
            prefix=self._literal(r.iri, VANN.preferredNamespacePrefix) or "egov",
            namespace=ONTOLOGY_NS,
            downloads=self._downloads(r.stem, page),
        )
        return self.env.get_template("ontology.html").render(ctx).encode("utf-8")


# -- writing -------------------------------------------------------------------


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise EgovkgError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise EgovkgError(f"{out}: refusing to replace a folder that is not an egovkg site (no {MARKER} in it)")


def _swap(new: Path, out: Path) -> None:
    """Put ``new`` where ``out`` is, in one step: an atomic exchange of the two folders (so
    there is no moment without ``out``), then the old site, now at ``new``, is removed."""
    if not out.exists():
        os.rename(new, out)
        return
    from egovkg.util.generations import exchange

    try:
        exchange(new, out)
    except OSError:  # no renameat2 (not Linux, an old kernel, a file system without it): two renames
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        os.rename(out, old)  # onto the empty folder mkdtemp made
        try:
            os.rename(new, out)
        except BaseException:
            os.rename(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    shutil.rmtree(new, ignore_errors=True)


@dataclass(frozen=True)
class Built:
    """A built graph read back from the graph cache: the graph, its union and its N-Triples and TriG."""

    kg: KnowledgeGraph
    union: Graph
    dumps: dict[str, bytes]


def copy_site(source: Path, out_dir: Path, *, replace: Mapping[str, bytes] | None = None) -> SiteReport:
    """Write a copy of the site in ``source`` to ``out_dir`` as :func:`build_site` writes one: into
    a temporary folder beside it, swapped in once whole. ``replace``: files (site paths) written
    with these bytes instead of copied."""
    t0 = time.perf_counter()
    out = Path(out_dir).absolute()
    _check_target(out)
    try:
        blocking = next((p for p in out.parents if p.exists()), None)
        if blocking is not None and not blocking.is_dir():
            raise OutputError(f"cannot write {out}: {blocking} is not a folder")
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        root = len(str(tmp)) + 1
        sizes: dict[str, int] = {}  # site path -> bytes, as each file is copied (no second walk)

        def copy(src: str, dst: str) -> str:
            shutil.copyfile(src, dst)
            sizes[dst[root:].replace(os.sep, "/")] = os.stat(dst).st_size
            return dst

        try:
            # new files (no hard link into the published set, which a reader's edit would change)
            shutil.copytree(source, tmp, copy_function=copy, dirs_exist_ok=True)
            for rel, data in (replace or {}).items():
                (tmp / rel).write_bytes(data)  # a copy, not a link: written in place
                sizes[rel] = len(data)
            os.chmod(tmp, 0o755)
            _swap(tmp, out)
        except BaseException:
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp)
            raise
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    sizes.pop(MARKER, None)
    return SiteReport(
        out,
        sum(r.endswith(".html") for r in sizes),
        sum(r.endswith(".nt") and not r.startswith("dump/") for r in sizes),  # one description each
        len(sizes),
        sum(sizes.values()),
        time.perf_counter() - t0,
    )


def load_built(base: str, dumps: dict[str, bytes]) -> Built | None:
    """The graph of cached N-Triples and TriG (:func:`egovkg.rdfio.cache.cached_graph`) as a
    built graph with its union, read back instead of built again; None if the TriG is not what
    the cache writes."""
    import pyoxigraph as ox

    from egovkg.sparql.results import to_rdflib

    try:
        quads = list(ox.parse(dumps["trig"], format=ox.RdfFormat.TRIG))
    except (SyntaxError, ValueError):
        return None
    from rdflib.plugins.stores.memory import SimpleMemory

    graphs = {name: Graph() for name in ("announcement", "curated", "ontology")}
    kg = KnowledgeGraph(graphs["announcement"], graphs["curated"], graphs["ontology"], base)
    names = {str(iri): name for name, iri in kg.graph_iris.items()}
    union = Graph(store=SimpleMemory())
    terms: dict[Any, Any] = {}

    def term(t: Any) -> Any:
        found = terms.get(t)
        if found is None:
            found = terms[t] = to_rdflib(t)
        return found

    for q in quads:
        name = names.get(q.graph_name.value) if isinstance(q.graph_name, ox.NamedNode) else None
        if name is None:  # a graph the build does not make: not this cache's file
            return None
        triple = (term(q.subject), term(q.predicate), term(q.object))
        graphs[name].add(triple)
        union.add(triple)
    for g in (*graphs.values(), union):
        bind_prefixes(g, base)
    return Built(kg, union, dumps)


def build_site(
    kg: KnowledgeGraph,
    out_dir: Path,
    *,
    sparql_endpoint: str | None = None,
    layout: Layout | None = None,
    union: Graph | None = None,
    dumps: dict[str, bytes] | None = None,
) -> SiteReport:
    """Write the whole site to ``out_dir``, replacing a previous site there only when all of it is written.

    ``layout`` says where the query catalogue and the source texts for the query page are (default: the cwd's);
    ``union`` and ``dumps`` as :class:`Site` takes them."""
    t0 = time.perf_counter()
    out = Path(out_dir).absolute()
    _check_target(out)
    site = Site(kg, sparql_endpoint=sparql_endpoint, layout=layout, union=union, dumps=dumps)
    try:
        return _write_site(site, out, t0)
    except OSError as exc:  # a missing or read-only parent, a full disk: one line naming the folder
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc


def _write_site(site: Site, out: Path, t0: float) -> SiteReport:
    blocking = next((p for p in out.parents if p.exists()), None)
    if blocking is not None and not blocking.is_dir():  # mkdir would say only "File exists"
        raise OutputError(f"cannot write {out}: {blocking} is not a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        os.chmod(tmp, 0o755)
        size, pages = write_site(site, tmp)
        _swap(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
        raise
    return SiteReport(out, pages, len(site.resources), len(site.paths()), size, time.perf_counter() - t0)


def _remove_leftovers(out: Path) -> None:
    """What killed runs left beside ``out``: their temporary and swapped-out folders."""
    for entry in out.parent.glob(f".{glob.escape(out.name)}.*"):
        if entry.name.endswith((".tmp", ".old")) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


_WRITING: Site | None = None  # the site the forked writers render (inherited, never pickled)
# what rendering costs, in milliseconds (measured, roughly): only the split among the writers
# depends on these, never the bytes
_COST = {"resource": 1.0, "explorer": 120.0, "void": 30.0, "other": 2.0}  # about a millisecond each
_DUMP_COST = {"trig": 120.0, "jsonld": 100.0, "ttl": 100.0, "xml": 45.0, "nt": 30.0}  # when not given made
CHUNKS_PER_WRITER = 8


def _jobs(site: Site, paths: list[str]) -> list[tuple[float, list[str]]]:
    """The paths in groups that share what they render from, each with its estimated cost: one
    resource's page and descriptions (one description serves four files), the explorer's pages
    (rendered together), every other file alone."""
    groups: dict[str, list[str]] = defaultdict(list)
    cost: dict[str, float] = {}
    for rel in paths:
        stem = rel.rsplit(".", 1)[0]
        if stem in site.by_stem:
            key, c = stem, _COST["resource"]
        elif rel.startswith(f"{SITE_FOLDER}/"):
            key, c = SITE_FOLDER, _COST["explorer"]
        elif rel.startswith("dump/"):
            fmt = next(f for f in DUMP_FORMATS if rel == f"dump/egovkg.{FORMATS[f].suffix}")
            key, c = rel, _COST["other"] if fmt in site._dumps else _DUMP_COST[fmt]
        elif rel == VOID_PATH:
            key, c = rel, _COST["void"]
        else:
            key, c = rel, _COST["other"]
        groups[key].append(rel)
        cost[key] = c
    return sorted(((cost[k], v) for k, v in groups.items()), key=lambda cv: (-cv[0], cv[1][0]))


def _chunks(site: Site, paths: list[str], pieces: int) -> list[list[str]]:
    """The paths in about ``pieces`` chunks of about equal estimated cost, the costliest jobs in
    the first ones: the writers take the next chunk as each finishes one, so they end together
    however wrong the estimates are, the last chunk apart."""
    jobs = _jobs(site, paths)
    target = sum(c for c, _ in jobs) / max(1, pieces)
    chunks: list[list[str]] = []
    current: list[str] = []
    load = 0.0
    for c, group in jobs:
        current.extend(group)
        load += c
        if load >= target:
            chunks.append(current)
            current, load = [], 0.0
    if current:
        chunks.append(current)
    return chunks


def write_site(site: Site, folder: Path, *, workers: int | None = None, skip: Collection[str] = ()) -> tuple[int, int]:
    """Write every file of ``site`` into ``folder`` (made if missing); (bytes, HTML pages) written.
    ``skip``: site paths the caller puts there itself (the build links its exports as the dumps).

    The files are written by ``workers`` forked writers (default: one per CPU, at most 4), which
    inherit the rendered graph instead of receiving it, and take chunks of the files in turn; in
    a process with other threads running, this process writes them all."""
    global _WRITING
    unknown = set(skip) - set(site.paths())
    if unknown:
        raise EgovkgError(f"the site has no file {sorted(unknown)[0]} to leave out")
    paths = [p for p in site.paths() if p not in skip]
    folder.mkdir(parents=True, exist_ok=True)
    for parent in sorted({posixpath.dirname(p) for p in paths} - {""}):
        (folder / parent).mkdir(parents=True, exist_ok=True)
    n = workers if workers is not None else min(os.cpu_count() or 1, 4)
    # fork only a single-threaded process: a thread holding a lock at the fork (a server's, a
    # test runner's) would leave the child waiting on it for ever
    if n <= 1 or len(paths) < 200 or threading.active_count() > 1 or not hasattr(os, "fork"):
        size, pages = _write_some(site, folder, paths)
    else:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        chunks = _chunks(site, paths, n * CHUNKS_PER_WRITER)
        # made once, before the fork, what every writer needs: the Oxigraph copy of the graph (for
        # the descriptions), the page templates and the views (the pages' "show in graph" links, the explorer)
        site._oxigraph()
        site._compile_templates()
        import egovkg.publish.views  # noqa: F401

        _WRITING = site
        try:
            ctx = multiprocessing.get_context("fork")
            # the writers' collector off, as in egovkg.util.forked: they live for one site
            with ProcessPoolExecutor(n, mp_context=ctx, initializer=gc.disable) as pool:
                parts = list(pool.map(_write_share, [(str(folder), chunk) for chunk in chunks]))
        except BrokenProcessPool as exc:  # a writer killed (the OOM killer, a signal): the site is incomplete
            raise OutputError(f"cannot write {folder}: a site writer process died before it finished") from exc
        finally:
            _WRITING = None
        size, pages = sum(p[0] for p in parts), sum(p[1] for p in parts)
    (folder / MARKER).write_text("egovkg linked-data site: egovkg site may replace this folder\n", encoding="utf-8")
    return size, pages


def _write_share(job: tuple[str, list[str]]) -> tuple[int, int]:
    assert _WRITING is not None
    return _write_some(_WRITING, Path(job[0]), job[1])


def _write_some(site: Site, folder: Path, paths: list[str]) -> tuple[int, int]:
    """Some of the files: a chunk, in a forked writer, or every file when this process writes alone."""
    return _write_files(site, folder, paths)


def _write_files(site: Site, folder: Path, paths: list[str]) -> tuple[int, int]:
    size = pages = 0
    for rel in paths:
        data = site.render(rel)
        with open(folder / rel, "wb") as fh:
            fh.write(data)
        size += len(data)
        pages += rel.endswith(".html")
    return size, pages


__all__ = [
    "EXPLORER_FILES",
    "csp_for",
    "Site",
    "SiteReport",
    "build_site",
    "write_site",
    "class_stem",
    "relative",
    "site_root",
    "stem_for",
]
