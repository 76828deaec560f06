"""The front door: ``egovkg.open()`` returns a :class:`KG` that queries, validates, exports,
renders, publishes, pushes and serves the graph. Every command of the CLI is a call into it.

    import egovkg
    kg = egovkg.open()                        # the shipped graph (a checkout's own files win)
    kg.query("winners-by-category").df        # a pandas DataFrame
    kg.query("awards-in-region", region="https://w3id.org/egovkg/id/region/370200")
    kg.view("overview")                       # shows inline in Jupyter

Nothing here is imported before it is used: opening the graph and running a catalogue
query never imports rdflib, and the library never prints, logs to stderr or exits.
"""

from __future__ import annotations

import functools
import html as html_mod
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from egovkg.errors import DataError, QueryError
from egovkg.graph.prefixes import DEFAULT_BASE, check_base
from egovkg.paths import Layout, is_project
from egovkg.rdfio.convert import STORES

if TYPE_CHECKING:
    from rdflib import Graph

    from egovkg.graph.build import KnowledgeGraph
    from egovkg.publish.pipeline import Summary
    from egovkg.publish.site import SiteReport
    from egovkg.sparql.catalogue import NamedQuery
    from egovkg.sparql.results import QueryResult
    from egovkg.sparql.validate import Report


@dataclass(frozen=True)
class View:
    """A rendered view: a self-contained HTML page (shown inline by Jupyter)."""

    name: str
    html: str
    nodes: int
    edges: int

    def save(self, path: str | Path) -> Path:
        from egovkg.util.atomic import write_text

        write_text(Path(path), self.html)
        return Path(path)

    def _repr_html_(self) -> str:
        # an iframe keeps the page's scripts and styles apart from the notebook's
        return (
            f'<iframe title="egovkg {html_mod.escape(self.name)} view" srcdoc="{html_mod.escape(self.html)}" '
            'style="width:100%;height:640px;border:1px solid #ccc" sandbox="allow-scripts allow-downloads"></iframe>'
        )


class KG:
    """One graph: the built graph of a project folder, or the triples of given RDF files."""

    def __init__(
        self, layout: Layout, files: Sequence[Path] = (), *, base: str = DEFAULT_BASE, store: str = "oxigraph"
    ) -> None:
        if store not in STORES:
            raise QueryError(f"store: unknown store '{store}'; choose one of {', '.join(STORES)}")
        self.layout = layout
        self.files = tuple(Path(f) for f in files)
        self.base = check_base(base)
        self.store_kind = store
        self._stores: dict[bool, tuple[Any, int, Any]] = {}  # named_graphs -> (files' stamp, load time, store)
        self._raw: dict[bool, tuple[Any, int, Any]] = {}  # the same, Oxigraph's own stores (query_bytes)

    def __repr__(self) -> str:
        what = ", ".join(map(str, self.files)) if self.files else str(self.layout.root)
        return f"<egovkg.KG {what} base={self.base}>"

    # ---- the graph ---------------------------------------------------------

    @functools.cached_property
    def knowledge_graph(self) -> KnowledgeGraph:
        """The built graph with its named graphs (announcement, curated, ontology)."""
        if self.files:
            raise DataError("the graph was opened from RDF files: it has no build", file=str(self.files[0]))
        from egovkg.graph.build import build

        return build(self.layout, base=self.base)

    def graph_files(self, *, named_graphs: bool = False) -> list[Path]:
        """The RDF files to read: the given ones, or the built graph (cached while its inputs are
        unchanged): its merge as N-Triples, or with ``named_graphs`` the dataset as TriG (the
        announcement, curated and ontology graphs), for a query that names graphs."""
        if self.files:
            return list(self.files)
        from egovkg.rdfio.cache import cached_ntriples, cached_trig

        return [(cached_trig if named_graphs else cached_ntriples)(self.layout, self.base)]

    @functools.cached_property
    def graph(self) -> Graph:
        """The whole graph as one rdflib Graph (the union of the named graphs)."""
        from egovkg.graph.namespaces import bind_prefixes
        from egovkg.sparql.store import load_rdf

        g = load_rdf(self.graph_files())
        bind_prefixes(g, self.base)
        return g

    @functools.cached_property
    def dataset(self) -> Graph:
        """The graph as an rdflib Dataset that keeps its named graphs (for FROM, FROM NAMED, GRAPH)."""
        from egovkg.graph.namespaces import bind_prefixes
        from egovkg.sparql.store import load_dataset

        ds = load_dataset(self.graph_files(named_graphs=True))
        bind_prefixes(ds, self.base)
        return ds

    def store(self, path: Path | None = None, *, named_graphs: bool = False) -> Any:
        """A query store over the graph: Oxigraph (kept on disk at ``path`` when given) or rdflib's
        memory store; with ``named_graphs`` it keeps the named graphs of the built dataset.

        A store in memory is kept for the life of this object, so ten queries load the graph
        once; it is loaded again when the files it was loaded from changed (an edited input
        rebuilds the built graph under a new name) and after :meth:`build`. A store on disk is
        opened for each call (RocksDB's lock would keep other processes out of it) and loaded
        only when its files changed."""
        from egovkg.sparql.store import MemoryStore, OxigraphStore, reuse_or_load

        files = self.graph_files(named_graphs=named_graphs)
        if self.store_kind == "oxigraph" and path is not None:
            return reuse_or_load(path, files)

        def load(changed: bool) -> Any:
            if self.store_kind == "memory":
                if changed:  # the files changed: parse them again
                    self._forget_graphs()
                return MemoryStore(self.dataset if named_graphs else self.graph)
            # the built graph's cache: the store query_bytes keeps, if it has none of blank nodes
            raw = None if self.files else self._cached_oxigraph(named_graphs)
            return OxigraphStore(store=raw) if raw is not None else OxigraphStore.from_files(files)

        return _kept(self._stores, named_graphs, files, load)

    def _cached_oxigraph(self, named_graphs: bool) -> Any:
        """The built graph's cache in an in-memory Oxigraph store, without rdflib (the cold path
        of ``egovkg query``), kept like :meth:`store`'s; None when the graph has blank nodes."""
        from egovkg.sparql.fastquery import load_cached

        files = self.graph_files(named_graphs=named_graphs)
        return _kept(self._raw, named_graphs, files, lambda changed: load_cached(files[0]))

    def _forget_graphs(self) -> None:
        for name in ("graph", "dataset", "knowledge_graph"):
            self.__dict__.pop(name, None)  # functools.cached_property keeps its value here

    # ---- SPARQL ------------------------------------------------------------

    @property
    def catalogue(self) -> dict[str, NamedQuery]:
        from egovkg.sparql.catalogue import load_catalogue

        return load_catalogue(self.layout.queries)

    def prepare(self, name_or_text: str, params: Mapping[str, str] | None = None) -> str:
        """The query text with its parameters bound as RDF terms, syntax checked: before any data loads."""
        from egovkg.sparql.catalogue import Catalogue, prepare
        from egovkg.util.stack import on_large_stack

        given = {k: str(v) for k, v in (params or {}).items()}
        catalogue = Catalogue(self.layout.queries)  # one query's file is read, not the folder
        # the syntax check is Oxigraph's parser, which recurses as deep as the expression
        return on_large_stack(lambda: prepare(name_or_text, given, catalogue))

    def query(self, name_or_text: str, *, endpoint: Any = None, **params: Any) -> QueryResult:
        """Run a catalogue query by name, an .rq file or SPARQL text. Parameters are bound as RDF terms.

        ``endpoint`` (a URL or an :class:`egovkg.sparql.remote.Endpoint`) sends it to a remote
        SPARQL 1.1 endpoint instead. The result has ``.rows``, ``.df`` (pandas) and shows as a
        table in Jupyter.
        """
        text = self.prepare(name_or_text, params)
        if endpoint is not None:
            from egovkg.sparql.remote import Endpoint

            target = endpoint if isinstance(endpoint, Endpoint) else Endpoint(str(endpoint))
            return target.query(text)
        from egovkg.sparql.guard import uses_named_graphs
        from egovkg.util.stack import on_large_stack

        store = self.store(named_graphs=uses_named_graphs(text))
        return on_large_stack(lambda: store.query(text))  # a deep expression must not end the kernel

    def query_bytes(
        self, text: str, fmt: str, *, width: int | None = None, store_path: Path | None = None, endpoint: Any = None
    ) -> bytes:
        """A prepared query's result in one output format (table, csv, tsv, json, xml; RDF formats for graphs).

        The built graph on Oxigraph answers from its cached N-Triples without importing rdflib.
        """
        from egovkg.sparql.guard import uses_named_graphs
        from egovkg.sparql.results import TABLE_WIDTH
        from egovkg.util.stack import on_large_stack

        width = TABLE_WIDTH if width is None else width
        named = uses_named_graphs(text)  # FROM, FROM NAMED or GRAPH: the named graphs are kept
        if endpoint is None and not self.files and store_path is None and self.store_kind == "oxigraph":
            from egovkg.sparql import fastquery

            raw = self._cached_oxigraph(named) if fastquery.applies(text, fmt) else None
            if raw is not None:
                fast = on_large_stack(lambda: fastquery.answer(raw, text, fmt, width=width))
                if fast is not None:
                    return fast
        from egovkg.sparql.results import format_result

        if endpoint is not None:
            result = endpoint.query(text)
        else:
            store = self.store(store_path, named_graphs=named)
            result = on_large_stack(lambda: store.query(text))
        return format_result(result, fmt, base=self.base, width=width)

    def validate(self) -> Report:
        """SHACL shapes and the catalogue's check-* queries; the report has ``.conforms``."""
        from egovkg.sparql.validate import load_shapes, validate

        return validate(self.graph, load_shapes(self.layout.shapes), self.catalogue)

    # ---- outputs -----------------------------------------------------------

    def export(self, fmt: str = "ttl", path: str | Path | None = None) -> bytes | None:
        """The graph in one RDF format (TriG keeps one named graph per origin): the bytes, or, given
        ``path``, written there (whole or not at all; a FIFO or device is streamed to) and None."""
        from egovkg.rdfio.export import export, graph_for, serialise

        if self.files:
            from egovkg.rdfio.convert import convert_files

            if path is not None:
                convert_files(list(self.files), fmt, Path(path))
                return None
            import tempfile

            with tempfile.TemporaryDirectory(prefix="egovkg-export-") as tmp:
                out = Path(tmp) / f"out.{fmt}"
                convert_files(list(self.files), fmt, out)
                return out.read_bytes()
        if path is None:
            return serialise(graph_for(self.knowledge_graph, fmt), fmt, self.base)
        export(self.knowledge_graph, fmt, Path(path))
        return None

    def view(self, name: str = "overview", *, lang: str = "zh", focus: str | None = None, depth: int = 2) -> View:
        """One interactive view as a self-contained HTML page (overview, geography, agencies, timeline,
        neighbourhood with ``focus``). The timeline is the explorer's to-scale timeline, made by the
        same code as the ``viz/timeline.html`` that ``build()`` writes (``focus`` selects an item)."""
        from egovkg.publish.views import check_name, index, projection, render_view

        if name == "timeline":
            from egovkg.publish.explorer import timeline_view

            html, shown = timeline_view(self.graph, self.base, lang=lang, focus=focus)
            return View(name, html, shown, 0)
        check_name(name)
        idx = index(self.graph)
        page = render_view(idx, name, lang=lang, focus=focus, depth=depth)
        g = projection(idx, name, focus=focus, depth=depth)  # the one render_view drew from
        return View(name, page, g.number_of_nodes(), g.number_of_edges())

    def stats(self) -> Any:
        """Network statistics: counts by category, province and agency kind, centralities, components."""
        from egovkg.publish import stats

        return stats.compute(self.graph)

    def site(self, directory: str | Path | None = None) -> SiteReport:
        """Write the static linked-data site (default: build/site)."""
        from egovkg.publish.pipeline import site_from_cache
        from egovkg.publish.site import build_site

        target = Path(directory) if directory else self.layout.build / "site"
        # the graph a build left in the cache (and the site it published, if the inputs are the
        # same): building the graph again costs more than the site
        if not self.files and "knowledge_graph" not in self.__dict__:
            report = site_from_cache(self.layout, self.base, target)
            if report is not None:
                return report
        return build_site(self.knowledge_graph, target, layout=self.layout)

    def build(
        self,
        out: str | Path | None = None,
        *,
        views: bool = True,
        docs: bool = True,
        site: bool = True,
        progress: Any = None,
    ) -> Summary:
        """The main job: build, validate, export every format, render docs and views, write the site.

        Only outputs whose inputs changed are rendered; all are published at once. ``progress``,
        if given, is called as ``progress(stage, None)`` when a stage starts and
        ``progress(stage, seconds)`` when it ends."""
        from egovkg.publish import pipeline

        target = Path(out) if out else self.layout.build
        try:
            return pipeline.run(
                self.layout, out=target, base=self.base, views=views, docs=docs, site=site, progress=progress
            )
        finally:  # what was read before the build is read again
            self._stores.clear()
            self._raw.clear()
            self._forget_graphs()

    # ---- elsewhere ---------------------------------------------------------

    def push(
        self,
        endpoint: str,
        *,
        graph: str | None = None,
        named_graphs: bool = False,
        credentials: Any = None,
        timeout: float = 300,
        progress: Any = None,
    ) -> list[Any]:
        """Replace a graph of a SPARQL 1.1 Graph Store endpoint with this graph (one PUT), or with
        ``named_graphs`` each named graph by its own PUT. Returns one report per PUT."""
        from egovkg.sparql.graphstore import push

        if named_graphs and not self.files:
            from egovkg.rdfio.cache import cached_trig

            files = [cached_trig(self.layout, self.base)]
        else:
            files = self.graph_files()
        return push(
            endpoint,
            files,
            graph=graph,
            named_graphs=named_graphs,
            credentials=credentials,
            timeout=timeout,
            progress=progress,
        )

    def serve(
        self, *, port: int = 7878, host: str = "127.0.0.1", site_dir: Path | None = None, limits: Any = None
    ) -> Any:
        """A linked-data server for this graph (dereferenceable IRIs, /sparql), bound but not yet
        serving: call ``serve_forever()``; ``shutdown()`` stops it. ``limits`` is an
        :class:`egovkg.serve.QueryLimits` (time, memory and result caps of each query)."""
        from egovkg.serve import make_server

        return make_server(self.knowledge_graph, host=host, port=port, site_dir=site_dir, limits=limits)


def _kept(kept: dict[bool, tuple[Any, int, Any]], key: bool, files: Sequence[Path], load: Callable[[bool], Any]) -> Any:
    """What ``kept[key]`` holds if it was loaded from ``files`` as they are now (and settled),
    else ``load(changed)`` (``changed``: something was kept, from other files), kept in its place."""
    started = time.time_ns()
    stamp = _stamp(files)
    found = kept.get(key)
    if found is not None and found[0] == stamp and _settled(stamp, found[1]):
        return found[2]
    value = load(found is not None)
    kept[key] = (stamp, started, value)
    return value


def _stamp(files: Sequence[Path]) -> tuple[tuple[str, int, int, int, int], ...]:
    """Each file as (path, size, mtime, ctime, inode): a file written again differs in one of them."""
    out = []
    for f in files:
        try:
            st = f.stat()
        except OSError:  # the store's own loading names the file and the cause
            out.append((str(f), -1, -1, -1, -1))
            continue
        out.append((str(f), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return tuple(out)


def _settled(stamp: tuple[tuple[str, int, int, int, int], ...], loaded: int) -> bool:
    """Whether a store loaded at ``loaded`` (ns) from files of this ``stamp`` holds their content:
    a file changed within a clock step of the load may have changed again since without new
    times (file times are coarse), so it is read again: git's rule for "racily clean" files."""
    from egovkg.rdfio.cache import CLOCK_STEP_NS

    return all(ctime < loaded - CLOCK_STEP_NS for _, _, _, ctime, _ in stamp)


def open(  # noqa: A001 - the front door's name, as in sqlite_utils.Database / shelve.open
    path: str | Path | Sequence[str | Path] | None = None, *, base: str = DEFAULT_BASE, store: str = "oxigraph"
) -> KG:
    """Open a graph: the shipped one (no argument), a project folder (a checkout with edited data),
    or RDF files (a path or a list of paths: Turtle, N-Triples, TriG, JSON-LD, RDF/XML)."""
    if path is None:
        return KG(Layout.default(), base=base, store=store)
    paths = [Path(p) for p in ([path] if isinstance(path, (str, Path)) else path)]
    if len(paths) == 1 and paths[0].is_dir():
        if not is_project(paths[0]):
            raise DataError("not an egovkg project folder (no data/curated and ontology/)", file=str(paths[0]))
        return KG(Layout(paths[0].resolve()), base=base, store=store)
    for p in paths:
        if p.is_dir():
            raise DataError("a folder among RDF files: give files, or one project folder", file=str(p))
        if not p.exists():
            raise DataError("no such file", file=str(p))
    return KG(Layout.default(), paths, base=base, store=store)


__all__ = ["KG", "View", "open"]
