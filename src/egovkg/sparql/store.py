"""Query stores behind one interface: rdflib's in-memory graph, or Oxigraph (pyoxigraph).

Both answer ``query(text) -> QueryResult`` with rdflib terms, so the runner,
the formats and the tests do not care which one ran. Oxigraph parses and
queries one to two orders of magnitude faster than rdflib's memory store, and
can keep its data on disk (``--store-path``) for repeat use.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from rdflib import Dataset, Graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from egovkg.errors import QueryError, RDFInputError, one_line
from egovkg.rdfio.convert import input_format, not_a_file, open_past_bom, oxigraph_source
from egovkg.sparql.guard import _SELECT_STAR, _code, has_dataset_clause, uses_named_graphs
from egovkg.sparql.results import QueryResult, from_rdflib, to_rdflib
from egovkg.util.limits import Limits, check_rdf_input, load_json_ld, oxigraph_context_error, resolve, too_deep

G = TypeVar("G", bound=Graph)

RDF_SUFFIXES = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
    ".trig": "trig",
    ".nq": "nquads",
    ".n3": "n3",
}
_DOUBTED_IRI = "does not look like a valid URI, trying to serialize this will break"


@contextlib.contextmanager
def quiet_term_warnings() -> Iterator[None]:
    """rdflib logs a warning with a traceback for every ill-typed literal it builds
    ("abc"^^xsd:integer), which is legal RDF a file or an endpoint may hold (the term is kept
    as is), and one for every IRI it doubts, which its parser meets in a file of the wrong
    format just before it fails (the failure is the one error line). Reading data stays quiet."""

    def drop(record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Failed to convert Literal lexical form") or _DOUBTED_IRI in message)

    logger = logging.getLogger("rdflib.term")
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def load_rdf(paths: Iterable[Path], limits: Limits | None = None) -> Graph:
    """Parse RDF files into one rdflib graph; a bad file names itself and the parser's message.

    Each file passes egovkg.util.limits first (size, depth, XML entities); JSON-LD is parsed
    from JSON egovkg read itself, so rdflib never fetches a context (``limits`` defaults to
    Limits.from_env())."""
    return _load(paths, Graph(), limits)


def load_dataset(paths: Iterable[Path], limits: Limits | None = None) -> Dataset:
    """Parse RDF files into an rdflib dataset that keeps the named graphs of TriG and N-Quads
    files (the triples of other files, and the default graphs, go to its default graph); a query
    without a dataset clause sees the union of all of them, as on the merged graph."""
    return _load(paths, Dataset(default_union=True), limits)


def _load(paths: Iterable[Path], g: G, limits: Limits | None) -> G:
    keep_graphs = isinstance(g, Dataset)
    lim = resolve(limits)
    for path in paths:
        fmt = RDF_SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            raise RDFInputError(
                f"{path}: unknown RDF file type '{path.suffix}' (use one of {', '.join(sorted(RDF_SUFFIXES))})"
            )
        check_rdf_input(path, input_format(path), lim, engine="rdflib")
        try:
            with quiet_term_warnings(), _source(path, fmt, lim) as source:
                if fmt in ("trig", "nquads") and not keep_graphs:
                    ds = Dataset()
                    ds.parse(**source, format=fmt)
                    for s, p, o, _g in ds.quads():
                        g.add((s, p, o))
                elif keep_graphs and fmt not in ("trig", "nquads"):
                    g.graph(DATASET_DEFAULT_GRAPH_ID).parse(**source, format=fmt)
                else:
                    g.parse(**source, format=fmt)
        except RDFInputError:
            raise  # egovkg's own refusal (limits, or JSON that does not parse): already one line
        except RecursionError as exc:
            raise too_deep(path, lim.max_depth) from exc
        except Exception as exc:
            raise RDFInputError(f"{path}: not valid {fmt}: {_located(path) or one_line(str(exc))}") from exc
    return g


@contextlib.contextmanager
def _source(path: Path, fmt: str, limits: Limits) -> Iterator[dict[str, Any]]:
    """rdflib's parse arguments for ``path``: the file past a UTF-8 byte order mark if it has one,
    read with the file's own URI as its base, as rdflib reads a path. JSON-LD is handed over
    parsed (load_json_ld refused any context by IRI): rdflib's own reader would fetch it."""
    if fmt == "json-ld":
        from rdflib.parser import PythonInputSource

        yield {"source": PythonInputSource(load_json_ld(path, limits), path.absolute().as_uri())}
        return
    past_bom = open_past_bom(path)
    if past_bom is None:
        yield {"source": path}
        return
    with past_bom:
        yield {"source": past_bom, "publicID": path.absolute().as_uri()}


def _located(path: Path) -> str | None:
    """Oxigraph's message for a file rdflib refused, which names the line and column (rdflib's
    N-Triples parser names neither, and its Turtle parser can miscount at the end of a file)."""
    import pyoxigraph as ox

    try:
        with oxigraph_source(path) as source:
            for _ in ox.parse(**source, format=getattr(ox.RdfFormat, input_format(path))):
                pass
    except SyntaxError as exc:
        return one_line(str(exc))
    except (OSError, ValueError, RDFInputError):
        return None
    return None


def as_dataset(graph: Graph) -> Graph:
    """``graph`` as rdflib dataset, its triples the default graph (no named graphs); a dataset as is.
    rdflib ignores FROM and FROM NAMED on a plain Graph and refuses GRAPH."""
    from rdflib import ConjunctiveGraph

    if isinstance(graph, ConjunctiveGraph):  # a Dataset is one too
        return graph
    ds = Dataset(default_union=True)
    default = ds.graph(DATASET_DEFAULT_GRAPH_ID)
    default += graph
    for prefix, ns in graph.namespaces():
        ds.bind(prefix, ns, override=False)
    return ds


def run_local(graph: Graph, text: str) -> QueryResult:
    """Run ``text`` on an rdflib graph or dataset. A graph that FROM or FROM NAMED names but the
    data lacks is empty: rdflib would otherwise fetch it from the web (SPARQL_LOAD_GRAPHS)."""
    import rdflib.plugins.sparql as rdflib_sparql

    if uses_named_graphs(text):
        graph = as_dataset(graph)
    loading, rdflib_sparql.SPARQL_LOAD_GRAPHS = rdflib_sparql.SPARQL_LOAD_GRAPHS, False
    try:
        result = from_rdflib(graph.query(text))
    except QueryError:
        raise
    except Exception as exc:
        raise QueryError(f"query failed: {exc}") from exc
    finally:
        rdflib_sparql.SPARQL_LOAD_GRAPHS = loading
    if result.kind == "select" and _SELECT_STAR.match(_code(text)):
        # rdflib gives SELECT *'s columns in set order (a new order each run); Oxigraph sorts them by name
        result = QueryResult("select", vars=sorted(result.vars), rows=result.rows)
    return result


class MemoryStore:
    """rdflib's in-memory graph, or a dataset that keeps named graphs (``load_dataset``).

    A query without FROM or FROM NAMED sees the union of every graph; one with them sees the
    graphs it names (rdflib never fetches a graph it names but does not hold: it is empty)."""

    name = "memory"

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._as_dataset: Graph | None = None

    def __len__(self) -> int:
        return len(self.graph)

    def query(self, text: str) -> QueryResult:
        target = self.graph
        if uses_named_graphs(text):  # made once: a plain graph is copied into a dataset
            if self._as_dataset is None:
                self._as_dataset = as_dataset(self.graph)
            target = self._as_dataset
        with quiet_term_warnings():  # STRDT("x", xsd:integer) builds an ill-typed literal while it runs
            return run_local(target, text)


class OxigraphStore:
    """A pyoxigraph store, in memory or on disk; the default graph holds everything."""

    name = "oxigraph"

    def __init__(self, path: Path | None = None, *, store: Any = None) -> None:
        """A new store (on disk at ``path``, else in memory), or ``store``, a loaded pyoxigraph
        Store, wrapped."""
        import pyoxigraph as ox

        self.path = path
        if store is not None:
            self.store = store
            return
        try:
            self.store = ox.Store(str(path)) if path is not None else ox.Store()
        except OSError as exc:  # RocksDB: another process holds the folder's lock, or it is unusable
            reason = "in use by another process" if "lock" in str(exc).lower() else one_line(str(exc))
            raise RDFInputError(f"{path}: cannot open the store: {reason}") from exc

    @classmethod
    def from_graph(cls, graph: Graph, path: Path | None = None) -> OxigraphStore:
        from egovkg.rdfio.export import serialise

        store = cls(path)
        store.load_bytes(serialise(graph, "nt"), "N_TRIPLES")
        return store

    @classmethod
    def from_files(cls, files: Iterable[Path], path: Path | None = None, limits: Limits | None = None) -> OxigraphStore:
        store = cls(path)
        lim = resolve(limits)
        for f in files:
            store.load_file(f, lim)
        return store

    def load_bytes(self, data: bytes, fmt: str) -> None:
        import pyoxigraph as ox

        self.store.bulk_load(data, format=getattr(ox.RdfFormat, fmt), to_graph=ox.DefaultGraph())
        self.store.flush()

    def load_file(self, path: Path, limits: Limits | None = None) -> None:
        """Stream a file into the store (no whole-file read: large files are fine, up to the
        size limit; egovkg.util.limits checks it first)."""
        import pyoxigraph as ox

        fmt = input_format(path)
        check_rdf_input(path, fmt, limits)
        kwargs: dict[str, Any] = {"format": getattr(ox.RdfFormat, fmt)}
        if fmt not in ("N_QUADS", "TRIG"):
            kwargs["to_graph"] = ox.DefaultGraph()
        try:
            with oxigraph_source(path) as source:
                self.store.bulk_load(**source, **kwargs)
        except SyntaxError as exc:
            refused = oxigraph_context_error(path, str(exc))
            if refused is not None:
                raise refused from exc
            raise RDFInputError(f"{path}: not valid {fmt.lower().replace('_', '-')}: {exc}") from exc
        except OSError as exc:
            raise RDFInputError(f"{path}: {exc}") from exc

    def __len__(self) -> int:
        return len(self.store)

    def graphs_as_ntriples(self, folder: Path) -> list[tuple[str | None, Path]]:
        """Each graph of the store as its own N-Triples file in ``folder``: (the graph's IRI, or
        None for the default graph; the file), the default graph first when it holds anything,
        then the named graphs by IRI. A graph named by a blank node cannot be addressed from
        outside (the Graph Store Protocol names graphs by IRI) and is an RDFInputError."""
        import pyoxigraph as ox

        graphs: list[tuple[str | None, Any]] = []
        if next(self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()), None) is not None:
            graphs.append((None, ox.DefaultGraph()))
        for g in sorted(self.store.named_graphs(), key=str):
            if not isinstance(g, ox.NamedNode):  # its label is random: not shown
                raise RDFInputError(
                    "a graph is named by a blank node (or is an N3 formula): only graphs named by an IRI can be sent"
                )
            graphs.append((g.value, g))
        out = []
        for i, (name, g) in enumerate(graphs, 1):
            path = folder / f"graph-{i}.nt"
            self.store.dump(str(path), ox.RdfFormat.N_TRIPLES, from_graph=g)
            out.append((name, path))
        return out

    def query(self, text: str) -> QueryResult:
        with quiet_term_warnings():  # results become rdflib terms: data may hold "x"^^xsd:integer
            return self._query(text)

    def _query(self, text: str) -> QueryResult:
        import pyoxigraph as ox

        # Oxigraph evaluates lazily: a SERVICE call or a type error can fail while the
        # results are read, so reading them is inside the same guard as the call.
        try:
            # the union default graph only for a query that names no dataset of its own: Oxigraph's
            # union flag would override FROM and FROM NAMED
            result = self.store.query(text, use_default_graph_as_union=not has_dataset_clause(text))
            if isinstance(result, ox.QueryBoolean):
                return QueryResult("ask", boolean=bool(result))
            if isinstance(result, ox.QueryTriples):
                g = Graph()
                for t in result:
                    g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
                return QueryResult("graph", graph=g)
            names = [v.value for v in result.variables]
            rows = []
            for solution in result:
                row = {}
                for n in names:
                    value = solution[n]
                    if value is not None:
                        row[n] = to_rdflib(value)
                rows.append(row)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise QueryError(f"query failed: {one_line(str(exc))}") from exc
        return QueryResult("select", vars=names, rows=rows)


def reuse_or_load(path: Path, files: list[Path]) -> OxigraphStore:
    """An on-disk Oxigraph store at ``path`` holding ``files``, reloaded only when they changed.

    The folder is egovkg's only when it holds the marker file: anything else that is not
    empty is refused. A load that fails removes what it wrote, so the next call starts clean.
    """
    import hashlib
    import shutil

    h = hashlib.sha256()
    for f in files:
        if not f.is_file():
            raise RDFInputError(f"{f}: {not_a_file(f)}")
        st = f.stat()
        h.update(f"{f.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    marker = path / "egovkg-inputs.sha256"
    if path.exists() and not path.is_dir():
        raise RDFInputError(f"{path}: --store-path must be a folder")
    if marker.is_file() and marker.read_text(encoding="utf-8").strip() == h.hexdigest():
        return OxigraphStore(path)
    if path.exists():
        if not marker.is_file() and any(path.iterdir()):
            raise RDFInputError(f"{path}: not an egovkg store folder (no {marker.name}); refusing to overwrite it")
        if marker.is_file():
            OxigraphStore(path)  # raises while another process has it open: never delete a store in use
        shutil.rmtree(path)
    try:
        path.mkdir(parents=True)
    except OSError as exc:
        raise RDFInputError(f"{path}: cannot create the store folder: {exc.strerror}") from exc
    try:
        store = OxigraphStore.from_files(files, path)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    marker.write_text(h.hexdigest() + "\n", encoding="utf-8")
    return store
