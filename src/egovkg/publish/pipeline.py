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
from egovkg.publish.outputs import OUTPUTS, Output, public_path, register, replace_file, write_files
from egovkg.rdfio.formats import RDF_FORMATS
from egovkg.util.generations import Generations, hard_link

if TYPE_CHECKING:
    from rdflib import Graph

    from egovkg.graph.build import KnowledgeGraph
    from egovkg.publish.site import SiteReport

DUMP_ROOT = "https://w3id.org/egovkg/dump/"
OPTIONS = ("views", "docs", "site")
# progress(stage, seconds): seconds is None when the stage starts, its duration when it ends
Progress = Callable[[str, "float | None"], None]


@dataclass
class Summary:
    triples: int = 0
    files: list[tuple[Path, int]] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    refreshed: list[Any] = field(default_factory=list)  # files rewritten in an output otherwise kept
    timings: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds of each output, and the validation, in a child
    unchanged: bool = False

    def lines(self) -> list[str]:
        out = [f"graph: {self.triples} triples"]
        if self.unchanged:
            out.append(f"no input changed since the last build: {len(self.kept)} outputs kept as they are")
            return out
        out += [f"wrote {p} ({size:,} bytes)" for p, size in self.files]
        out += [f"rewrote {p} (the rest of its output did not change)" for p in self.refreshed]
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
    _views: Any = None

    def views(self) -> Any:
        """The union's EntityIndex with the explorer's views laid out, made on first use."""
        if self._views is None:
            from egovkg.publish.explorer import prepare_views

            self._views = prepare_views(self.union)
        return self._views


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


class _TermsOnce:
    """What pyLODE's namespace list reads of a graph, each term once: its ``_make_namespaces``
    compares every occurrence of every term with every bound namespace, asking the graph for
    its namespaces anew each time (68,000 times for our ontology with pyLODE's background
    ontologies: 0.3 s). The namespaces it lists depend only on which terms occur, so the same
    list comes from each distinct term compared once."""

    def __init__(self, graph: Any) -> None:
        self._terms = sorted({t for triple in graph for t in triple}, key=str)
        self._namespaces = list(graph.namespaces())

    def subjects(self) -> list[Any]:
        return self._terms

    def predicates(self) -> list[Any]:
        return []

    def objects(self) -> list[Any]:
        return []

    def namespaces(self) -> list[tuple[str, Any]]:
        return self._namespaces


def _ontpub_class() -> type:
    """pyLODE's OntPub (3.3.4, pinned), its namespace list made from each term once
    (:class:`_TermsOnce`); ``tests/test_docs.py`` checks the page equals plain OntPub's."""
    from pylode import OntPub

    class _OntPub(OntPub):  # type: ignore[misc, valid-type]
        def _make_namespaces(self) -> None:
            ont = self.ont
            self.ont = _TermsOnce(ont)
            try:
                super()._make_namespaces()
            finally:
                self.ont = ont

    return _OntPub


def render_docs(ontology_path: Path) -> str:
    """Ontology documentation as one offline HTML page (pyLODE 3.3.4, CSS inlined).

    pyLODE escapes labels but renders comments and definitions as Markdown with
    raw HTML, and embeds the ontology's metadata as JSON-LD in a script element.
    So every literal is HTML-escaped before pyLODE sees it, and the escapes
    pyLODE then doubles are undone: no text of the ontology can become markup.
    """
    import html

    from rdflib import Literal, URIRef

    from egovkg.graph.ontology import load_turtle

    source = load_turtle(ontology_path)
    # only the namespaces the ontology uses (pyLODE lists no other): it matches every term
    # against every bound namespace, so rdflib's thirty default bindings cost it a second
    iris = {str(t) for triple in source for t in triple if isinstance(t, URIRef)}
    safe = type(source)(bind_namespaces="none")
    for prefix, ns in source.namespaces():
        if any(iri.startswith(ns) for iri in iris):
            safe.bind(prefix, ns, override=True, replace=True)
    for s, p, o in source:
        if isinstance(o, Literal):
            o = Literal(html.escape(str(o), quote=False), lang=o.language, datatype=o.datatype)
        safe.add((s, p, o))
    with _pylode_logging_contained():
        page = _ontpub_class()(ontology=safe, sort_subjects=True).make_html(include_css=True)
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
    from egovkg.rdfio.export import serialise

    files = {  # each from the union's sorted N-Triples, made once (the TriG: each named graph's)
        f"egovkg.{f.suffix}": ctx.trig if fmt == "trig" else serialise(ctx.union, fmt, ctx.base, nt=ctx.nt)
        for fmt, f in RDF_FORMATS.items()
    }
    return write_files(folder, files)


def _void(ctx: Context, folder: Path) -> list[str]:
    from egovkg.rdfio.export import describe, serialise

    dumps = {fmt: f"{DUMP_ROOT}egovkg.{f.suffix}" for fmt, f in RDF_FORMATS.items()}
    return write_files(folder, {"void.ttl": serialise(describe(ctx.kg, dumps=dumps, union=ctx.union), "ttl")})


def _docs(ctx: Context, folder: Path) -> list[str]:
    return write_files(folder, {"docs/ontology.html": render_docs(ctx.layout.ontology).encode("utf-8")})


def _views(ctx: Context, folder: Path) -> list[str]:
    from egovkg.publish.explorer import render_explorer

    # the explorer in viz/ links the site's query page when there is a site: every site has one
    # (egovkg.publish.workbench; test_build checks the link), so no Site is made here to ask
    query = ctx.selected["site"]
    pages = render_explorer(ctx.union, ctx.kg.base, "viz", query=query, idx=ctx.views())
    return write_files(folder, {f"viz/{name}": html.encode("utf-8") for name, html in pages.items()})


def _stats(ctx: Context, folder: Path) -> list[str]:
    from egovkg.publish import stats

    figures = stats.compute(ctx.views())
    return write_files(
        folder,
        {"viz/awards-by-province.png": stats.chart_png(figures), "viz/stats.json": stats.to_json(figures).encode()},
    )


def _site(ctx: Context, folder: Path) -> list[str]:
    from egovkg.publish.site import Site, write_site

    site = Site(ctx.kg, layout=ctx.layout, union=ctx.union, dumps={"nt": ctx.nt, "trig": ctx.trig}, views=ctx.views())
    write_site(site, folder / "site", skip={own.removeprefix("site/") for own, _ in _SITE_DUMPS})
    return ["site"]


# the site's dumps are the exports' files (test_export checks the bytes): linked, not made twice
_SITE_DUMPS = tuple((f"site/dump/egovkg.{f.suffix}", f"egovkg.{f.suffix}") for f in RDF_FORMATS.values())


def _site_query_page(ctx: Context, folder: Path) -> list[str]:
    """The site's query page, written into the previous site linked into ``folder``: a catalogue
    edited, nothing else."""
    from egovkg.publish.workbench import PAGE, query_page

    replace_file(folder / "site" / PAGE, query_page(ctx.layout, ctx.base, ctx.nt))
    return [f"site/{PAGE}"]


for _output in (
    Output("exports", ("graph", "code", "base"), _exports, label="exports (ttl, nt, jsonld, rdf, trig)", cost=0.5),
    Output("void", ("graph", "code", "base"), _void, label="VoID", cost=0.2),
    Output("docs", ("ontology", "code"), _docs, option="docs", label="ontology docs", cost=1.5),
    Output(
        "views", ("graph", "code", "options"), _views, option="views", label="explorer pages", cost=2.0, uses_views=True
    ),
    Output("stats", ("graph", "code"), _stats, option="views", label="statistics and chart", cost=2.5, uses_views=True),
    Output(
        "site",
        ("graph", "queries", "code", "base"),
        _site,
        option="site",
        label="linked-data site",
        cost=3.0,
        uses_views=True,
        refreshes=("queries",),
        refresh=_site_query_page,
        borrows=_SITE_DUMPS,
    ),
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


@contextlib.contextmanager
def _frozen_heap() -> Iterator[Callable[[], None]]:
    """Yields ``freeze()``, which moves every object alive at the call out of the cyclic
    collector's sight (``gc.freeze``) until the block ends. Called once the graph is built: its
    objects would otherwise be scanned by every full collection, for nothing, in this process
    and in each forked one, where the scan also copies the inherited pages it touches. Left as
    it is when something else froze objects already (the server does)."""
    import gc

    frozen: list[bool] = []

    def freeze() -> None:
        if not frozen and gc.get_freeze_count() == 0:
            gc.freeze()
            frozen.append(True)

    try:
        yield freeze
    finally:
        if frozen:
            gc.unfreeze()


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
    jobs: int | None = None,
) -> Summary:
    """Build, validate and publish every output whose inputs changed.

    The outputs are rendered side by side in up to ``jobs`` forked processes (default: one
    per CPU; 1 renders them one after another in this process). An output that does not
    depend on the graph (the ontology docs) starts at once, while the graph is built."""
    from egovkg.util.forked import Forked

    s = Summary()
    selected = {"views": views, "docs": docs, "site": site}
    out = Path(out).absolute()
    gens = Generations(out)
    with _stage(s, progress, "inputs"):
        code = code_digest()
        key = inputs_key(layout.check(), base, selected, code)
        if _unchanged(gens, key, s, out, layout.viz):
            return s
        inputs = {
            "ontology": _file_digest(layout.ontology),
            "queries": _queries_digest(layout),
            "code": code,
            "base": base,
            "options": ",".join(sorted(name for name, on in selected.items() if on)),
        }

    with Forked(jobs) as workers, _EarlyFolders() as early, _frozen_heap() as freeze:
        readings = None
        # the graph a build left in the graph cache (egovkg.rdfio.cache: keyed on the data, the
        # ontology and the code) when only something else changed (a query, a template, the
        # options): read back (0.1 s) instead of built
        cached = _cached_build(layout, base, s, progress)
        if cached is not None and workers.jobs > 1:
            _start_early(workers, early, s, progress, layout, base, selected, inputs, gens.manifest())
        elif workers.jobs > 1:
            from egovkg.ingest.pinyin import readings as pinyin_readings

            # the pinyin of names (pypinyin's dictionaries take 0.3 s to load) is read in
            # another process (forked before rdflib is imported) while the announcement is
            # read here; then that process's CPU goes to the outputs that need no graph
            workers.start(
                "pinyin", lambda: pinyin_readings(layout.curated, layout.sources / "sources.csv", layout.gazetteer)
            )
            got: list[dict[str, str]] = []
            previous = gens.manifest()

            def readings() -> dict[str, str]:
                if not got:
                    got.append(workers.wait_for("pinyin").result)
                    _start_early(workers, early, s, progress, layout, base, selected, inputs, previous)
                return got[0]

        from egovkg.rdfio.export import serialise, trig_from_nt, union_nt

        with _stage(s, progress, "build"):
            if cached is not None:
                kg, union, nt, trig = cached.kg, cached.union, cached.dumps["nt"], cached.dumps["trig"]
            else:
                from egovkg.graph.build import build

                kg = build(layout, base=base, readings=readings)
                if readings is not None:
                    readings()  # collected, if the graph named nobody
                union = kg.union()
                parts = {str(iri): serialise(getattr(kg, name), "nt") for name, iri in kg.graph_iris.items()}
                nt = union_nt(parts)  # as serialise(union, "nt") and serialise(kg.dataset(), "trig") write them
                trig = trig_from_nt(parts)
            s.triples = len(union)
        freeze()
        inputs["graph"] = hashlib.sha256(nt + b"\0" + trig).hexdigest()
        validated = hashlib.sha256(
            f"{inputs['graph']}\0{_file_digest(layout.shapes)}\0{inputs['queries']}\0{code}".encode()
        ).hexdigest()
        check = None
        if gens.manifest().get("validated") != validated:  # validated while the outputs render

            def check() -> None:
                _validate(layout, union, nt)

        new_folder = not out.exists()
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
                    workers,
                    early,
                    check,
                )
        except OSError as exc:  # a full disk, a read-only folder: the previous set stays published
            raise OutputError(f"cannot write {out}: {exc.strerror or exc}; the previous outputs are unchanged") from exc
        except ValidationFailed:
            if new_folder:  # the output folder this build made for its lock: gone again, as it was
                _remove_lock_folder(out)
            raise
        from egovkg.rdfio.cache import keep

        keep(layout, base, {"nt": nt, "trig": trig})  # `egovkg site` and `query` read it instead of building
    return s


def _cached_build(layout: Layout, base: str, s: Summary, progress: Progress | None) -> Any:
    """The built graph of the current inputs from the graph cache, or None (not cached, or not
    readable as the cache writes it): a :class:`egovkg.publish.site.Built`."""
    from egovkg.rdfio.cache import cached_graph

    dumps = cached_graph(layout, base)
    if dumps is None:
        return None
    from egovkg.publish.site import load_built

    with _stage(s, progress, "cache"):
        return load_built(base, dumps)


def _remove_lock_folder(out: Path) -> None:
    """Remove ``out`` if it holds nothing but the generations folder with its lock."""
    import shutil

    from egovkg.util.generations import STATE

    try:
        if [p.name for p in out.iterdir()] == [STATE] and [p.name for p in (out / STATE).iterdir()] == ["lock"]:
            shutil.rmtree(out)
    except OSError:
        pass


class _EarlyFolders(dict[str, Path]):
    """The private folders of the outputs started before the graph is built (removed at the end)."""

    def __enter__(self) -> _EarlyFolders:
        return self

    def __exit__(self, *exc: object) -> None:
        import shutil

        for folder in self.values():
            shutil.rmtree(folder, ignore_errors=True)


def _wanted(output: Output, selected: dict[str, bool]) -> bool:
    return output.option is None or selected[output.option]


def _start_early(
    workers: Any,
    early: _EarlyFolders,
    s: Summary,
    progress: Progress | None,
    layout: Layout,
    base: str,
    selected: dict[str, bool],
    inputs: dict[str, str],
    previous: dict[str, Any],
) -> None:
    """Start the outputs that need no graph and whose key changed, each into a folder of its own
    (the set's staging folder is made under the lock, once the graph has validated)."""
    import tempfile

    for output in OUTPUTS.values():
        if "graph" in output.inputs or not _wanted(output, selected):
            continue
        before = previous.get("outputs", {}).get(output.name)
        if before and before.get("key") == output.key(inputs):
            continue
        early[output.name] = Path(tempfile.mkdtemp(prefix=f"egovkg-{output.name}-"))
        ctx = Context(layout, None, None, base, b"", b"", selected)  # type: ignore[arg-type]
        _start(workers, s, progress, output, ctx, early[output.name])


def _lay_out(ctx: Context, s: Summary, progress: Progress | None) -> None:
    with _stage(s, progress, "layouts"):  # here, once, before the fork: the processes share them
        ctx.views()


def _start(workers: Any, s: Summary, progress: Progress | None, output: Output, ctx: Context, folder: Path) -> None:
    if output.uses_views and ctx._views is None:
        _lay_out(ctx, s, progress)
    if progress:
        progress(output.name, None)
    workers.start(output.name, lambda: output.render(ctx, folder))


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


def site_keys(layout: Layout, base: str, nt: bytes, trig: bytes) -> tuple[str, str]:
    """The key the main job gives its site output for a graph (its sorted N-Triples and its TriG,
    as the build makes them) and the current query catalogue, code and base IRI, and its base
    key: a published site with this key is the site these inputs make; one with this base key
    differs from it only in its query page (:func:`_site_query_page`)."""
    graph = hashlib.sha256(nt + b"\0" + trig).hexdigest()
    inputs = {"graph": graph, "queries": _queries_digest(layout), "code": code_digest(), "base": base}
    site = OUTPUTS["site"]
    return site.key(inputs), str(site.base_key(inputs))


def site_from_cache(layout: Layout, base: str, out_dir: Path) -> SiteReport | None:
    """The site of the graph a build (or a query) left in the graph cache (:mod:`egovkg.rdfio.cache`)
    for the current inputs, written to ``out_dir``: a copy of the site the main job published
    under ``layout.build`` if it was made from these very inputs (its key, which the main job
    itself trusts to keep a site, is the same), or differs from it only in the query page (then
    that page is made anew), else rendered from the cached graph, which is read back instead of
    built again. None (nothing written) when the cache lacks the graph."""
    from egovkg.publish.site import build_site, copy_site, load_built
    from egovkg.publish.workbench import PAGE, query_page
    from egovkg.rdfio.cache import cached_graph

    dumps = cached_graph(layout, base)
    if dumps is None:
        return None
    found = published_site(layout, base, dumps)
    if found is not None and found[1]:
        return copy_site(found[0], out_dir)
    if found is not None:  # only the catalogue changed since: the query page made anew, the rest copied
        return copy_site(found[0], out_dir, replace={PAGE: query_page(layout, base, dumps["nt"])})
    built = load_built(base, dumps)
    if built is None:
        return None
    return build_site(built.kg, out_dir, layout=layout, union=built.union, dumps=built.dumps)


def published_site(layout: Layout, base: str, dumps: dict[str, bytes]) -> tuple[Path, bool] | None:
    """The folder of the site the main job published under ``layout.build``, with True if its key
    is the one these inputs give (:func:`site_keys`) and False if only its base key is; None if
    neither is."""
    from egovkg.publish.site import MARKER
    from egovkg.util.generations import Generations

    gens = Generations(layout.build)
    current = gens.current()
    record = gens.manifest().get("outputs", {}).get("site")
    if current is None or not isinstance(record, dict) or record.get("entries") != ["site"]:
        return None
    folder = current / "site"
    if not (folder / MARKER).is_file():
        return None
    key, base_key = site_keys(layout, base, dumps["nt"], dumps["trig"])
    if record.get("key") == key:
        return folder, True
    if record.get("base") == base_key:
        return folder, False
    return None


def _queries_digest(layout: Layout) -> str:
    import hashlib as _h

    h = _h.sha256()
    if layout.queries.is_dir():
        _digest_tree(h, layout.root, layout.queries)
    return h.hexdigest()


def _validate(layout: Layout, union: Graph, nt: bytes) -> None:
    from egovkg.sparql.catalogue import load_catalogue
    from egovkg.sparql.validate import load_shapes, validate

    report = validate(union, load_shapes(layout.shapes), load_catalogue(layout.queries), nt=nt)
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
    workers: Any,
    early: _EarlyFolders,
    check: Callable[[], None] | None,
) -> None:
    """Render the outputs whose key changed (the costliest first, each in a process of its own
    while there is a free one), run ``check`` meanwhile (in a process of its own, beside them,
    started first: its core would idle while this process lays out the views), then publish
    the set at once. An output's error is raised only once ``check`` has passed."""
    import shutil

    staging = gens.stage()
    if gens.lock_fd is not None:  # not handed on to a child's own children, which could outlive it
        workers.close_in_children.add(gens.lock_fd)
    validating = False  # the validation runs in a child whose verdict is not in yet
    try:
        records: dict[str, dict[str, Any]] = {}
        todo: list[Output] = []
        for output in OUTPUTS.values():
            before = previous.get("outputs", {}).get(output.name)
            if not _wanted(output, selected):
                # not asked for: the published one (if any) stays, as it was
                if before and gens.reuse(staging, before["entries"]):
                    records[output.name] = before
                continue
            okey, base = output.key(inputs), output.base_key(inputs)
            if before and before.get("key") == okey and gens.reuse(staging, before["entries"]):
                records[output.name] = before
                s.kept += [public_path(e, out, layout.viz) for e in before["entries"]]
                continue
            if (
                base is not None
                and output.refresh is not None
                and before
                and before.get("base") == base
                and gens.reuse(staging, before["entries"])
            ):  # only what refresh makes up for changed: the previous entries, a few files rewritten
                with _stage(s, progress, output.name):
                    written = output.refresh(ctx, staging)
                records[output.name] = {"key": okey, "base": base, "entries": before["entries"]}
                s.refreshed += written
                continue
            todo.append(output)
        # the costliest first, each in a process of its own while there is a free one
        pending = sorted((o for o in todo if o.name not in early), key=lambda o: -o.cost)
        entries: dict[str, list[str]] = {}
        timings: dict[str, float] = {}
        if check is not None and (workers.jobs == 1 or not (pending or workers.running)):
            with _stage(s, progress, "validate"):
                check()  # one output at a time, or none to render: nothing is rendered before it passes
            check = None
        if check is not None:
            if progress:
                progress("validate", None)
            workers.start("validate", check, counted=False)
            validating, check = True, None
        while pending or workers.running:
            workers.poll()  # the finished ones collected: their processes are free again
            while pending and not workers.full():
                # while the views are not laid out (here, holding up the outputs that draw
                # them), one that draws none goes first, into a free process
                free = [o for o in pending if not o.uses_views] if ctx._views is None else []
                output = free[0] if free else pending[0]
                pending.remove(output)
                _start(workers, s, progress, output, ctx, staging)
                workers.poll()
            if ctx._views is None and any(o.uses_views for o in pending):
                _lay_out(ctx, s, progress)  # while the processes run; the outputs that draw them wait for it
                continue
            if validating:  # its error, not an output's, is the build's
                validated_in = workers.wait_for("validate")
                validating = False
                s.timings["validate"] = validated_in.seconds
                if validated_in.cpu is not None:
                    s.cpu["validate"] = validated_in.cpu
                if progress:
                    progress("validate", validated_in.seconds)
                continue
            done = workers.wait()
            entries[done.name] = done.result
            timings[done.name] = done.seconds
            if done.cpu is not None:
                s.cpu[done.name] = done.cpu
            if progress:
                progress(done.name, done.seconds)
        fresh: list[str] = []
        for output in todo:  # in the registry's order: the summary's and the manifest's
            s.timings[output.name] = timings[output.name]
            if output.name in early:  # rendered while the graph was built: into the set now
                for entry in entries[output.name]:
                    (staging / entry).parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(early[output.name] / entry, staging / entry)
            records[output.name] = {"key": output.key(inputs), "entries": entries[output.name]}
            base_key = output.base_key(inputs)
            if base_key is not None:
                records[output.name]["base"] = base_key
            fresh += entries[output.name]
        for output in todo:
            _borrow(staging, output)
        records = {name: records[name] for name in OUTPUTS if name in records}
        manifest = {"inputs": key, "key": key, "validated": validated, "triples": s.triples, "outputs": records}
        with _stage(s, progress, "publish"):
            gens.publish(staging, manifest, _links(manifest, out, layout.viz), _links(previous, out, layout.viz))
    except BaseException as exc:
        from egovkg.util.generations import _remove

        # an error here (laying out the views, say) while the validation still runs: its
        # verdict first, which is the build's error if it failed, as it is one job at a time
        verdict = _validation_verdict(workers, exc) if validating else None
        workers.close()  # no child writes into the folder once it is removed
        _remove(staging)
        if verdict is not None:
            raise verdict from exc
        raise
    for e in sorted(fresh):
        s.files.append((public_path(e, out, layout.viz), _size(public_path(e, out, layout.viz))))
    s.refreshed = [public_path(f, out, layout.viz) for f in sorted(s.refreshed)]
    s.kept.sort()


def _validation_verdict(workers: Any, error: BaseException) -> ValidationFailed | None:
    """The validation's failure, waited for, when ``error`` ended the build while it ran; None
    if it passed, could not tell, or ``error`` is an interrupt (nothing is waited for then)."""
    if not isinstance(error, Exception):
        return None
    try:
        workers.wait_for("validate")
    except ValidationFailed as failed:
        return failed
    except Exception:  # noqa: BLE001 - it died, or never started: the first error stands
        return None
    return None


def _borrow(staging: Path, output: Output) -> None:
    """Link into ``output``'s entries the files it takes from another output's (:attr:`Output.borrows`)."""
    for own, theirs in output.borrows:
        source = staging / theirs
        if not source.is_file():  # every build renders or keeps the lender: a bug, not an input's fault
            raise OutputError(f"{output.name}: {theirs} is not in the output set, to be linked as {own}")
        (staging / own).parent.mkdir(parents=True, exist_ok=True)
        hard_link(source, staging / own)  # a copy where the file system has no hard links


def _size(path: Path) -> int:
    """The bytes of a file, or of the files in a folder and below it (the site's 5,000: walked
    with os.scandir, a fifth of pathlib's time, which counted in the build's wall time)."""
    if not path.is_dir():
        return path.stat().st_size
    total, folders = 0, [os.fspath(path)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif entry.is_file():
                    total += entry.stat().st_size
    return total


__all__ = [
    "OUTPUTS",
    "Context",
    "Progress",
    "Summary",
    "published_site",
    "render_docs",
    "run",
    "site_from_cache",
    "site_keys",
]
