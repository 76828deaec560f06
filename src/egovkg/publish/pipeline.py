"""The main job: the pipeline stages called in a row, with no global state.

A build renders only what its inputs changed (the outputs and their inputs are registered
in :mod:`egovkg.publish.outputs`) and publishes the whole set at once
(:mod:`egovkg.util.generations`). When no input changed since the published set, it
reads the input files, finds the same key, and writes nothing: no graph is built and
rdflib is never imported.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from egovkg import __version__
from egovkg.errors import OutputError, ValidationFailed
from egovkg.graph.prefixes import DEFAULT_BASE
from egovkg.paths import Layout
from egovkg.publish.outputs import OUTPUTS, Output, public_path, register, write_files
from egovkg.util.generations import Generations

if TYPE_CHECKING:
    from rdflib import Graph

    from egovkg.graph.build import KnowledgeGraph

DUMP_ROOT = "https://w3id.org/egovkg/dump/"
OPTIONS = ("views", "docs", "site")
# progress(stage, seconds): seconds is None when the stage starts, its duration when it ends
Progress = Callable[[str, "float | None"], None]


@dataclass
class Summary:
    triples: int = 0
    files: list[tuple[Path, int]] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    unchanged: bool = False

    def lines(self) -> list[str]:
        out = [f"graph: {self.triples} triples"]
        if self.unchanged:
            out.append(f"no input changed since the last build: {len(self.kept)} outputs kept as they are")
            return out
        out += [f"wrote {p} ({size:,} bytes)" for p, size in self.files]
        out += [f"kept {p} (its inputs did not change)" for p in self.kept]
        return out

    def timing_line(self) -> str:
        return "stages: " + ", ".join(f"{name} {sec:.2f} s" for name, sec in self.timings.items())


@dataclass
class Context:
    """What an output's render function may use."""

    layout: Layout
    kg: KnowledgeGraph
    union: Graph
    base: str
    nt: bytes  # the union, sorted N-Triples
    trig: bytes  # the dataset, one named graph per origin
    selected: dict[str, bool]  # the build's --views/--docs/--site


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


# -- input keys ------------------------------------------------------------------


def _digest_tree(h: Any, root: Path, folder: Path) -> None:
    """Feed every file under ``folder`` (path and content, sorted; caches skipped) into ``h``."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith((".pyc", ".tmp")):
                continue
            path = Path(dirpath) / name
            h.update(str(path.relative_to(root)).encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())


def code_digest() -> str:
    """The egovkg package: its code, templates and vendored files."""
    h = hashlib.sha256(f"egovkg {__version__}\0".encode())
    package = Path(__file__).resolve().parent.parent  # egovkg/, not only publish/
    _digest_tree(h, package, package)
    return h.hexdigest()


def _file_digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(hashlib.sha256(p.read_bytes()).digest() if p.is_file() else b"-")
    return h.hexdigest()


def inputs_key(layout: Layout, base: str, selected: dict[str, bool], code: str) -> str:
    """Everything a build reads: data/, ontology/, queries/, the package, the base IRI and the options."""
    h = hashlib.sha256(f"{code}\0{base}\0{sorted(selected.items())}\0".encode())
    for folder in (layout.data, layout.ontology.parent, layout.queries):
        if folder.is_dir():
            _digest_tree(h, layout.root, folder)
    return h.hexdigest()


# -- the registered outputs ----------------------------------------------------------


def _exports(ctx: Context, folder: Path) -> list[str]:
    from egovkg.rdfio.export import graph_for, serialise
    from egovkg.rdfio.formats import RDF_FORMATS

    made = {"nt": ctx.nt, "trig": ctx.trig}
    files = {
        f"egovkg.{f.suffix}": made[fmt] if fmt in made else serialise(graph_for(ctx.kg, fmt), fmt, ctx.base)
        for fmt, f in RDF_FORMATS.items()
    }
    return write_files(folder, files)


def _void(ctx: Context, folder: Path) -> list[str]:
    from egovkg.rdfio.export import describe, serialise
    from egovkg.rdfio.formats import RDF_FORMATS

    dumps = {fmt: f"{DUMP_ROOT}egovkg.{f.suffix}" for fmt, f in RDF_FORMATS.items()}
    return write_files(folder, {"void.ttl": serialise(describe(ctx.kg, dumps=dumps), "ttl")})


def _docs(ctx: Context, folder: Path) -> list[str]:
    return write_files(folder, {"docs/ontology.html": render_docs(ctx.layout.ontology).encode("utf-8")})


def _views(ctx: Context, folder: Path) -> list[str]:
    from egovkg.publish.explorer import render_explorer

    query = False
    if ctx.selected["site"]:  # the explorer in viz/ links the site's query page when the site has one
        from egovkg.publish.site import Site

        query = Site(ctx.kg, layout=ctx.layout).has_query_page
    pages = render_explorer(ctx.union, ctx.kg.base, "viz", query=query)
    return write_files(folder, {f"viz/{name}": html.encode("utf-8") for name, html in pages.items()})


def _stats(ctx: Context, folder: Path) -> list[str]:
    from egovkg.publish import stats

    figures = stats.compute(ctx.union)
    return write_files(
        folder,
        {"viz/awards-by-province.png": stats.chart_png(figures), "viz/stats.json": stats.to_json(figures).encode()},
    )


def _site(ctx: Context, folder: Path) -> list[str]:
    from egovkg.publish.site import Site, write_site

    site = Site(ctx.kg, layout=ctx.layout, union=ctx.union, dumps={"nt": ctx.nt, "trig": ctx.trig})
    write_site(site, folder / "site")
    return ["site"]


for _output in (
    Output("exports", ("graph", "code", "base"), _exports, label="exports (ttl, nt, jsonld, rdf, trig)"),
    Output("void", ("graph", "code", "base"), _void, label="VoID"),
    Output("docs", ("ontology", "code"), _docs, option="docs", label="ontology docs"),
    Output("views", ("graph", "code", "options"), _views, option="views", label="explorer pages"),
    Output("stats", ("graph", "code"), _stats, option="views", label="statistics and chart"),
    Output("site", ("graph", "queries", "code", "base"), _site, option="site", label="linked-data site"),
):
    register(_output)


# -- the run -------------------------------------------------------------------------


@contextlib.contextmanager
def _stage(s: Summary, progress: Progress | None, name: str) -> Iterator[None]:
    if progress:
        progress(name, None)
    t = time.perf_counter()
    yield
    s.timings[name] = s.timings.get(name, 0.0) + time.perf_counter() - t
    if progress:
        progress(name, s.timings[name])


def _links(manifest: dict[str, Any], out: Path, viz: Path) -> dict[Path, str]:
    """The public path of every entry of a set (computed, not stored: a copied or moved checkout keeps working)."""
    entries = {e for r in manifest.get("outputs", {}).values() for e in r.get("entries", [])}
    return {public_path(e, out, viz): e for e in sorted(entries)}


def run(
    layout: Layout,
    *,
    out: Path,
    base: str = DEFAULT_BASE,
    views: bool = True,
    docs: bool = True,
    site: bool = True,
    progress: Progress | None = None,
) -> Summary:
    s = Summary()
    selected = {"views": views, "docs": docs, "site": site}
    out = Path(out).absolute()
    gens = Generations(out)
    with _stage(s, progress, "inputs"):
        code = code_digest()
        key = inputs_key(layout.check(), base, selected, code)
        if _unchanged(gens, key, s, out, layout.viz):
            return s

    from egovkg.rdfio.export import serialise

    with _stage(s, progress, "build"):
        from egovkg.graph.build import build

        kg = build(layout, base=base)
        union = kg.union()
        s.triples = len(union)
        nt = serialise(union, "nt", base)
        trig = serialise(kg.dataset(), "trig", base)
    inputs = {
        "graph": hashlib.sha256(nt + b"\0" + trig).hexdigest(),
        "ontology": _file_digest(layout.ontology),
        "queries": _queries_digest(layout),
        "code": code,
        "base": base,
        "options": ",".join(sorted(name for name, on in selected.items() if on)),
    }
    validated = hashlib.sha256(
        f"{inputs['graph']}\0{_file_digest(layout.shapes)}\0{inputs['queries']}\0{code}".encode()
    ).hexdigest()
    previous = gens.manifest()
    if previous.get("validated") != validated:
        with _stage(s, progress, "validate"):
            _validate(layout, union)

    try:
        with gens.locked([layout.viz]):
            if _unchanged(gens, key, s, out, layout.viz):  # another build published this very set meanwhile
                return s
            previous = gens.manifest()
            _write_set(
                gens,
                layout,
                out,
                s,
                progress,
                selected,
                inputs,
                previous,
                key,
                validated,
                Context(layout, kg, union, base, nt, trig, selected),
            )
    except OSError as exc:  # a full disk, a read-only folder: the previous set stays published
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}; the previous outputs are unchanged") from exc
    return s


def _unchanged(gens: Generations, key: str, s: Summary, out: Path, viz: Path) -> bool:
    manifest = gens.manifest()
    links = _links(manifest, out, viz)
    if manifest.get("inputs") != key or not gens.links_in_place(links):
        return False
    gens.tidy([viz])  # what a build killed after its switch left behind
    s.unchanged = True
    s.triples = int(manifest.get("triples", 0))
    s.kept = sorted(links)
    return True


def _queries_digest(layout: Layout) -> str:
    import hashlib as _h

    h = _h.sha256()
    if layout.queries.is_dir():
        _digest_tree(h, layout.root, layout.queries)
    return h.hexdigest()


def _validate(layout: Layout, union: Graph) -> None:
    from egovkg.sparql.catalogue import load_catalogue
    from egovkg.sparql.validate import load_shapes, validate

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


def _write_set(
    gens: Generations,
    layout: Layout,
    out: Path,
    s: Summary,
    progress: Progress | None,
    selected: dict[str, bool],
    inputs: dict[str, str],
    previous: dict[str, Any],
    key: str,
    validated: str,
    ctx: Context,
) -> None:
    staging = gens.stage()
    try:
        records: dict[str, dict[str, Any]] = {}
        fresh: list[str] = []
        for output in OUTPUTS.values():
            before = previous.get("outputs", {}).get(output.name)
            if output.option is not None and not selected[output.option]:
                # not asked for: the published one (if any) stays, as it was
                if before and gens.reuse(staging, before["entries"]):
                    records[output.name] = before
                continue
            okey = output.key(inputs)
            if before and before.get("key") == okey and gens.reuse(staging, before["entries"]):
                records[output.name] = before
                s.kept += [public_path(e, out, layout.viz) for e in before["entries"]]
                continue
            with _stage(s, progress, output.name):
                records[output.name] = {"key": okey, "entries": output.render(ctx, staging)}
            fresh += records[output.name]["entries"]
        manifest = {"inputs": key, "key": key, "validated": validated, "triples": s.triples, "outputs": records}
        with _stage(s, progress, "publish"):
            gens.publish(staging, manifest, _links(manifest, out, layout.viz), _links(previous, out, layout.viz))
    except BaseException:
        from egovkg.util.generations import _remove

        _remove(staging)
        raise
    for e in sorted(fresh):
        s.files.append((public_path(e, out, layout.viz), _size(public_path(e, out, layout.viz))))
    s.kept.sort()


def _size(path: Path) -> int:
    if not path.is_dir():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


__all__ = ["Context", "Progress", "Summary", "render_docs", "run"]
