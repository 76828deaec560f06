"""The SPARQL query workbench of the site: ``query.html`` and the files it loads.

The page answers queries in two ways and finds out which by itself: behind
``egovkg serve --linked-data`` it sends them to the served ``sparql`` endpoint
(SPARQL 1.1 protocol); from a static copy of the site it runs Oxigraph's
WebAssembly build in a Web Worker on the site's N-Triples dump, the same engine
and the same union of graphs that ``egovkg query`` uses, so a download in CSV,
TSV or JSON is the same bytes as ``egovkg query NAME --format``.

Everything the page needs is in the site: the editor (YASQE, with CodeMirror),
the engine (``oxigraph`` from npm), vis-network for the graph view, the query
catalogue with its parameters (embedded in the page as JSON, never fetched, so
the examples show even from ``file://``), the graph's prefixes, classes and
properties for completion, a label and a page for every resource, and the text
of each source document for the provenance panel. Nothing is fetched from
another host.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS

from egovkg.graph.namespaces import OA
from egovkg.paths import Layout
from egovkg.publish.addresses import QUERY_PAGE, site_nav_html
from egovkg.sparql.catalogue import load_catalogue

if TYPE_CHECKING:
    from egovkg.publish.site import Site

PAGE = QUERY_PAGE
HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates" / "workbench"
VENDOR = HERE / "vendor"
ASSETS = "assets/query"
# site path -> (folder under a vendor directory, file name)
VENDORED: dict[str, tuple[str, str]] = {
    "assets/vendor/yasqe-4.6.2/yasqe.min.js": ("yasqe-4.6.2", "yasqe.min.js"),
    "assets/vendor/yasqe-4.6.2/yasqe.min.css": ("yasqe-4.6.2", "yasqe.min.css"),
    "assets/vendor/yasqe-4.6.2/LICENSE": ("yasqe-4.6.2", "LICENSE"),
    "assets/vendor/yasqe-4.6.2/LICENSE-codemirror": ("yasqe-4.6.2", "LICENSE-codemirror"),
    "assets/vendor/yasqe-4.6.2/LICENSE-lodash-es": ("yasqe-4.6.2", "LICENSE-lodash-es"),
    "assets/vendor/yasqe-4.6.2/LICENSE-query-string": ("yasqe-4.6.2", "LICENSE-query-string"),
    "assets/vendor/oxigraph-0.5.11/web.js": ("oxigraph-0.5.11", "web.js"),
    "assets/vendor/oxigraph-0.5.11/web_bg.wasm": ("oxigraph-0.5.11", "web_bg.wasm"),
    "assets/vendor/oxigraph-0.5.11/LICENSE-MIT": ("oxigraph-0.5.11", "LICENSE-MIT"),
    "assets/vendor/oxigraph-0.5.11/LICENSE-APACHE": ("oxigraph-0.5.11", "LICENSE-APACHE"),
    "assets/vendor/vis-network-9.1.2/vis-network.min.js": ("vis-network-9.1.2", "vis-network.min.js"),
    "assets/vendor/vis-network-9.1.2/LICENSE-MIT": ("vis-network-9.1.2", "LICENSE-MIT"),
    "assets/vendor/vis-network-9.1.2/LICENSE-APACHE-2.0": ("vis-network-9.1.2", "LICENSE-APACHE-2.0"),
}
OWN = ("query.js", "worker.js", "query.css")  # our scripts and style, copied as they are
DUMP = "dump/egovkg.nt"
HAS_SOURCE = str(OA.hasSource)
# The page may run scripts of its own folder, compile WebAssembly and start a worker of its own
# folder; it talks only to its own origin. No inline script or style: the editor, the graph
# renderer and the page set element styles through the CSSOM, which style-src does not govern.
CSP = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; "
    "style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
)
_PROPERTY_TYPES = (RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
_CLASS_TYPES = (OWL.Class, RDFS.Class)


def _vendor_file(folder: str, name: str) -> Path:
    return VENDOR / folder / name


def _source_texts(cited: Iterable[str], base: str, layout: Layout) -> dict[str, tuple[str, Path]]:
    """Source IRI -> (site path, file) for every source document of ``cited`` (the IRIs the
    graph gives as oa:hasSource) that sources.csv lists."""
    import csv

    index = layout.sources / "sources.csv"
    if not index.is_file():
        return {}
    with index.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    cited = set(cited)
    out: dict[str, tuple[str, Path]] = {}
    for row in rows:
        iri = f"{base}source/{row['id']}"
        path = layout.sources / row["file"]
        if iri in cited and path.is_file():
            out[iri] = (f"{ASSETS}/sources/{row['id']}.txt", path)
    return out


def query_page(layout: Layout, base: str, nt: bytes) -> bytes:
    """The site's query page (the same bytes as the site's own) for the graph whose N-Triples
    are ``nt``, made without the site: its only other inputs are the catalogue and the sources
    the graph cites, so a catalogue edit rewrites this page alone, at once."""
    import pyoxigraph as ox

    has_source = ox.NamedNode(HAS_SOURCE)
    cited = {
        t.object.value
        for t in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)
        if t.predicate == has_source and isinstance(t.object, ox.NamedNode)
    }
    return render_page(base, layout, _source_texts(cited, base, layout))


def _catalogue(layout: Layout) -> list[dict[str, Any]]:
    return [
        {
            "name": q.name,
            "summary": q.summary,
            "description": q.description,
            "check": q.is_check,
            "params": [
                {"name": p.name, "type": p.type, "default": p.default or "", "description": p.description}
                for p in q.params
            ],
            "text": q.text,
        }
        for q in load_catalogue(layout.queries).values()
    ]


def _terms(site: Site, page: str) -> dict[str, Any]:
    """Prefixes, classes and properties (for completion) and every resource's labels and page."""
    g = site.graph
    classes: set[str] = set()
    properties: set[str] = set()
    for t in _CLASS_TYPES:
        classes.update(str(s) for s in g.subjects(RDF.type, t) if isinstance(s, URIRef))
    for t in _PROPERTY_TYPES:
        properties.update(str(s) for s in g.subjects(RDF.type, t) if isinstance(s, URIRef))
    classes.update(str(o) for o in g.objects(None, RDF.type) if isinstance(o, URIRef))
    properties.update(str(p) for p in g.predicates() if isinstance(p, URIRef))
    resources: dict[str, list[str]] = {}
    for r in site.resources.values():
        node = site.node(r.iri, page)
        resources[str(r.iri)] = [node["href"] or "", node["zh"], node["en"]]
    return {
        "prefixes": [[p, ns] for p, ns in sorted(site._namespaces)],
        "classes": sorted(classes),
        "properties": sorted(properties),
        "resources": dict(sorted(resources.items())),
    }


def workbench_files(site: Site, layout: Layout | None = None) -> dict[str, Callable[[], bytes]]:
    """The workbench's site paths, each with a function that makes its bytes."""
    layout = layout or Layout.default()
    cited = (str(o) for o in site.graph.objects(None, URIRef(HAS_SOURCE)))
    sources = _source_texts(cited, site.base, layout)
    files: dict[str, Callable[[], bytes]] = {PAGE: lambda: render_page(site.base, layout, sources)}
    for name in OWN:
        files[f"{ASSETS}/{name}"] = lambda name=name: (TEMPLATES / name).read_bytes()
    files[f"{ASSETS}/terms.json"] = lambda: _json(_terms(site, PAGE))
    for rel, path in sources.values():
        files[rel] = lambda path=path: path.read_bytes()
    for rel, (folder, name) in VENDORED.items():
        files[rel] = lambda folder=folder, name=name: _vendor_file(folder, name).read_bytes()
    return files


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script type="application/json"> element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(base: str, layout: Layout, sources: Mapping[str, tuple[str, Path]]) -> bytes:
    import jinja2

    from egovkg.publish.templating import environment

    env = environment(jinja2.FileSystemLoader(str(TEMPLATES)))
    config = {
        "base": base,
        "dump": DUMP,
        "terms": f"{ASSETS}/terms.json",
        "sources": {iri: rel for iri, (rel, _) in sorted(sources.items())},
        "catalogue": _catalogue(layout),
        "vendor": {
            "oxigraph": "assets/vendor/oxigraph-0.5.11/web.js",
            "wasm": "assets/vendor/oxigraph-0.5.11/web_bg.wasm",
        },
    }
    ctx = {
        "csp": CSP,
        "css": posixpath.relpath("assets/site.css", "."),
        "config": _script_json(config),
        "bar": site_nav_html(PAGE),
    }
    return env.get_template("query.html").render(ctx).encode("utf-8")


__all__ = ["CSP", "PAGE", "workbench_files"]
