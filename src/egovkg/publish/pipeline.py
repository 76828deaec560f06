"""The main job: the pipeline stages called in a row, with no global state."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from egovkg.errors import ValidationFailed
from egovkg.graph.build import KnowledgeGraph, build
from egovkg.graph.namespaces import DEFAULT_BASE
from egovkg.paths import Layout
from egovkg.rdfio.export import describe, graph_for, serialise
from egovkg.rdfio.formats import RDF_FORMATS
from egovkg.sparql.catalogue import load_catalogue
from egovkg.sparql.validate import load_shapes, validate
from egovkg.util.atomic import write_bytes

DUMP_ROOT = "https://w3id.org/egovkg/dump/"


@dataclass
class Summary:
    triples: int = 0
    files: list[tuple[Path, int]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"graph: {self.triples} triples"]
        out += [f"wrote {p} ({size:,} bytes)" for p, size in self.files]
        return out


@contextlib.contextmanager
def _pylode_logging_contained() -> Iterator[None]:
    """Keep pyLODE from configuring the process's logging: its import runs
    ``logging.basicConfig(level=DEBUG)`` (pylode/profiles/supermodel/loader.py) and it logs
    through the root logger (``logging.info("Loading background ontologies...")``, which calls
    basicConfig itself), so every library's DEBUG lines (matplotlib, asyncio, pyshacl) would go
    to stderr from then on. While pyLODE runs, an unconfigured root logger holds a NullHandler,
    which makes basicConfig a no-op; afterwards the root logger is as it was."""
    root = logging.getLogger()
    level = root.level
    guard = logging.NullHandler() if not root.handlers else None
    if guard is not None:
        root.addHandler(guard)
    try:
        yield
    finally:
        if guard is not None:
            root.removeHandler(guard)
        root.setLevel(level)


def render_docs(ontology_path: Path) -> str:
    """Ontology documentation as one offline HTML page (pyLODE 3.3.4, CSS inlined).

    pyLODE escapes labels but renders comments and definitions as Markdown with
    raw HTML, and embeds the ontology's metadata as JSON-LD in a script element.
    So every literal is HTML-escaped before pyLODE sees it, and the escapes
    pyLODE then doubles are undone: no text of the ontology can become markup.
    """
    import html

    from rdflib import Literal

    from egovkg.graph.ontology import load_turtle

    with _pylode_logging_contained():
        from pylode import OntPub

    source = load_turtle(ontology_path)
    safe = type(source)()
    for prefix, ns in source.namespaces():
        safe.bind(prefix, ns, override=True, replace=True)
    for s, p, o in source:
        if isinstance(o, Literal):
            o = Literal(html.escape(str(o), quote=False), lang=o.language, datatype=o.datatype)
        safe.add((s, p, o))
    with _pylode_logging_contained():
        page = OntPub(ontology=safe, sort_subjects=True).make_html(include_css=True)
    for doubled, single in (("&amp;lt;", "&lt;"), ("&amp;gt;", "&gt;"), ("&amp;amp;", "&amp;")):
        page = page.replace(doubled, single)
    return page


def run(
    layout: Layout, *, out: Path, base: str = DEFAULT_BASE, views: bool = True, docs: bool = True, site: bool = True
) -> Summary:
    s = Summary()
    t = time.perf_counter()
    kg: KnowledgeGraph = build(layout, base=base)
    union = kg.union()
    s.triples = len(union)
    s.timings["build"] = time.perf_counter() - t

    t = time.perf_counter()
    report = validate(union, load_shapes(layout.shapes), load_catalogue(layout.queries))
    if not report.conforms:
        first = report.violations[:5]
        detail = "; ".join(f"{v.focus} {v.path}: {v.message}" for v in first)
        checks = ", ".join(name for name, _ in report.failed_checks)
        raise ValidationFailed(
            f"the graph does not validate: {len(report.violations)} SHACL violation(s)"
            + (f" ({detail})" if detail else "")
            + (f"; check queries with rows: {checks}" if checks else "")
            + "; nothing was written"
        )
    s.timings["validate"] = time.perf_counter() - t

    # Serialise everything first, then write: a failure leaves the old outputs in place.
    t = time.perf_counter()
    outputs: dict[Path, bytes] = {}
    for fmt, f in RDF_FORMATS.items():
        outputs[out / f"egovkg.{f.suffix}"] = serialise(graph_for(kg, fmt), fmt, base)
    dumps = {fmt: f"{DUMP_ROOT}egovkg.{f.suffix}" for fmt, f in RDF_FORMATS.items()}
    outputs[out / "void.ttl"] = serialise(describe(kg, dumps=dumps), "ttl")
    if docs:
        outputs[out / "docs" / "ontology.html"] = render_docs(layout.ontology).encode("utf-8")
    if views:
        from egovkg.publish import stats
        from egovkg.publish.explorer import render_explorer

        query = False
        if site:  # the explorer in viz/ links the site's query page when the site has one
            from egovkg.publish.site import Site

            query = Site(kg).has_query_page
        for name, html in render_explorer(union, kg.base, "viz", query=query).items():
            outputs[layout.viz / name] = html.encode("utf-8")
        figures = stats.compute(union)
        outputs[layout.viz / "awards-by-province.png"] = stats.chart_png(figures)
        outputs[layout.viz / "stats.json"] = stats.to_json(figures).encode("utf-8")
    s.timings["serialise"] = time.perf_counter() - t
    for path, data in sorted(outputs.items()):
        write_bytes(path, data)
        s.files.append((path, len(data)))
    if site:
        from egovkg.publish.site import build_site

        t = time.perf_counter()
        report = build_site(kg, out / "site", layout=layout)
        s.timings["site"] = time.perf_counter() - t
        s.files.append((report.out_dir, report.bytes))
    return s


__all__ = ["run", "render_docs", "Summary"]
