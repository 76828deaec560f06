"""The egovkg command line: thin commands over the library.

Every library error becomes one line on stderr and a non-zero exit code
(2 for bad input or a failed operation, 1 for a graph that does not validate).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import click

from egovkg import __version__
from egovkg.cli.common import (  # re-exported for commands and notebooks
    _terminate,
    base_option,
    credential_options,
    data_option,
    handle_errors,
    max_reply_option,
    on_command_line,
    quiet_library_logging,
    reply_cap,
    store_options,
    table_width,
    the_graph,  # noqa: F401 - re-exported for notebooks
    the_kg,
)
from egovkg.cli.site import limit_options
from egovkg.errors import EgovkgError, ValidationFailed
from egovkg.paths import Layout
from egovkg.rdfio.formats import RDF_FORMATS, RESULT_FORMATS

__all__ = ["main", "entry_point"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="egovkg")
def main() -> None:
    """egovkg: the China e-government best practices knowledge graph (中国电子政务最佳实践知识图谱).

    Example: egovkg build && egovkg query winners-by-category
    """


def entry_point() -> None:
    """The `egovkg` program: the only place that installs signal handlers."""
    # SIGTERM unwinds like Ctrl-C, so atomic writes remove their temporary files and
    # a killed build leaves the previous outputs as they were.
    signal.signal(signal.SIGTERM, _terminate)
    # numpy's OpenBLAS runs a thread per CPU that spins on after each call: the build already
    # renders in a process per CPU, and the layouts' matrices are small
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    main()


@main.command()
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json"]), default="jsonl", show_default=True)
@handle_errors
def extract(source: Path, output: Path | None, fmt: str) -> None:
    """Read an announcement in the 2012 format into records with character spans.

    Example: egovkg extract data/sources/announcement-2012.txt -o records.jsonl
    """
    import json

    from egovkg.errors import DataError
    from egovkg.ingest.curated import SCHEMAS, read_table
    from egovkg.ingest.extract import Extractor, Gazetteer, Lexicon, decode_source
    from egovkg.util.atomic import write_text
    from egovkg.util.limits import check_source_size

    layout = Layout.default()
    check_source_size(source)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", file=str(source)) from exc
    text = decode_source(data, source=str(source))
    categories = [r["name_zh"] for r in read_table(layout.curated / "categories.csv", SCHEMAS["categories"])]
    extractor = Extractor(Lexicon.load(layout.lexicon), Gazetteer.load(layout.gazetteer), categories)
    result = extractor.extract(text, source=str(source))
    if fmt == "json":
        out = json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
    else:
        out = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in result.records())
    if output:
        write_text(output, out)
    else:
        click.echo(out, nl=False)


@main.command()
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: build/).",
)
@base_option
@click.option("--views/--no-views", default=True, show_default=True, help="Render the HTML views into viz/.")
@click.option("--docs/--no-docs", default=True, show_default=True, help="Render the ontology documentation.")
@click.option("--site/--no-site", default=True, show_default=True, help="Write the linked-data site to OUT/site.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (no progress, no summary).")
@handle_errors
def build(out: Path | None, base: str, views: bool, docs: bool, site: bool, quiet: bool) -> None:
    """The main job: build the graph, validate it, export every format, render docs and views.

    Only the outputs whose inputs changed are rendered, and all of them are published at
    once: a build that fails or is killed leaves the previous outputs as they were. On a
    terminal the stages are shown as they run; the summary gives each stage's time.

    Example: egovkg build
    """
    from contextlib import nullcontext

    quiet_library_logging()
    t0 = time.perf_counter()
    display, progress = (None, None) if quiet or not sys.stderr.isatty() else _build_progress()
    with display or nullcontext():
        summary = the_kg((), base).build(out, views=views, docs=docs, site=site, progress=progress)
    if quiet:
        return
    for line in summary.lines():
        click.echo(line)
    click.echo(summary.timing_line())
    click.echo(f"done in {time.perf_counter() - t0:.1f} s")


def _build_progress() -> tuple[Any, Any]:
    """A rich display of the build's stages on stderr, and the callback that drives it.

    Refreshed by the callback, not by a thread of its own: the site writer forks."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from egovkg.publish.pipeline import OUTPUTS  # the pipeline registers the outputs and their labels

    labels = {
        "inputs": "reading the inputs",
        "cache": "reading the graph from the cache",
        "build": "building the graph",
        "validate": "validating (SHACL, checks)",
        "layouts": "laying out the explorer's views",
        "publish": "publishing the output set",
    }
    labels.update({name: o.label or name for name, o in OUTPUTS.items()})
    display = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        auto_refresh=False,
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def progress(stage: str, seconds: float | None) -> None:
        label = labels.get(stage, stage)
        if seconds is None:
            tasks[stage] = display.add_task(label, total=1)
        else:
            display.update(tasks[stage], completed=1, description=f"{label}: {seconds:.2f} s")
        display.refresh()

    return display, progress


@main.command()
@click.option("--format", "fmt", type=click.Choice(list(RDF_FORMATS)), default="ttl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout.")
@data_option
@base_option
@handle_errors
def export(fmt: str, output: Path | None, data: tuple[Path, ...], base: str) -> None:
    """Write the graph in one RDF format (TriG keeps one named graph per origin).

    With --data, converts those files instead, streamed through Oxigraph (constant memory at any size).

    Example: egovkg export --format jsonld -o egovkg.jsonld
    """
    data_bytes = the_kg(data, base).export(fmt, output)
    if data_bytes is not None:
        sys.stdout.buffer.write(data_bytes)


@main.command()
@data_option
@handle_errors
def validate(data: tuple[Path, ...]) -> None:
    """Check the graph against the SHACL shapes and the check-* queries.

    Exit 0 when it conforms, 1 on violations, 2 on error.

    Example: egovkg validate --data build/egovkg.ttl
    """
    report = the_kg(data).validate()
    for v in report.violations:
        click.echo(f"{v.focus}\t{v.path}\t{v.message}")
    for name, result in report.failed_checks:
        click.echo(f"check {name}: {len(result)} row(s)")
    if not report.conforms:
        raise ValidationFailed(
            f"{len(report.violations)} SHACL violation(s), {len(report.failed_checks)} failed check query(ies)"
        )
    click.echo("conforms")


@main.command("queries")
@handle_errors
def list_queries() -> None:
    """List the query catalogue with summaries and parameters.

    Example: egovkg queries
    """
    for name, q in the_kg(()).catalogue.items():
        click.echo(f"{name}\t{q.summary}")
        for p in q.params:
            default = f" (default: {p.default})" if p.default is not None else ""
            click.echo(f"    --param {p.name}=<{p.type}>  {p.description}{default}")


@main.command()
@click.argument("name", required=False)
@click.option("-e", "--expr", help="SPARQL query text to run.")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE", help="Bind a parameter. Repeatable.")
@click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    type=click.Choice(list(dict.fromkeys(["table", *RESULT_FORMATS, *RDF_FORMATS]))),
)
@click.option("--endpoint", help="Send the query to this SPARQL 1.1 endpoint instead of the embedded store.")
@click.option(
    "--timeout",
    default=30,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds a query may run: on a remote endpoint, or on -e text, an .rq file or --data here.",
)
@max_reply_option
@credential_options
@data_option
@store_options
@base_option
@handle_errors
def query(
    name: str | None,
    expr: str | None,
    params: tuple[str, ...],
    fmt: str,
    endpoint: str | None,
    timeout: int,
    max_reply_size: int,
    user: str | None,
    password: str | None,
    data: tuple[Path, ...],
    store_kind: str,
    store_path: Path | None,
    base: str,
) -> None:
    """Run a named query, an .rq file or -e 'SPARQL' on the graph or an endpoint.

    Example: egovkg query label-search --param q=青岛 --format csv
    """
    from egovkg.errors import QueryError
    from egovkg.sparql.results import TABLE_WIDTH

    if expr is not None and not expr.strip():
        raise QueryError("the query given with -e is empty")
    if bool(name) == bool(expr):
        if name:
            raise QueryError("give a query name or file, or -e 'SPARQL', not both")
        raise QueryError("give a query: a name from the catalogue (egovkg queries), an .rq file, or -e 'SPARQL'")
    store_kind = _check_target(endpoint, data, store_kind, store_path)
    given = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise QueryError(f"--param takes KEY=VALUE, got '{item}'")
        given[key] = value
    if endpoint is None and (expr is not None or data or (name or "").endswith(".rq")):
        from egovkg.cli.isolate import run_isolated  # user text or data: a crash or runaway costs a child only

        request = {"name": name, "expr": expr, "given": given, "fmt": fmt, "data": [str(p) for p in data]}
        request |= {"store_kind": store_kind, "store_path": str(store_path) if store_path else None, "base": base}
        run_isolated({**request, "width": table_width(TABLE_WIDTH)}, timeout)
        return
    kg = the_kg(data, base, store_kind)
    text = kg.prepare(name or expr or "", given)  # fail fast, before any data loads
    target: Any = None
    if endpoint:
        from egovkg.sparql.graphstore import Credentials
        from egovkg.sparql.remote import Endpoint

        credentials = Credentials.from_env(user, password)
        cap = reply_cap(max_reply_size)
        target = Endpoint(endpoint, timeout=timeout, credentials=credentials, max_reply_size=cap)
    out = kg.query_bytes(text, fmt, width=table_width(TABLE_WIDTH), store_path=store_path, endpoint=target)
    sys.stdout.buffer.write(out)


def _check_target(endpoint: str | None, data: tuple[Path, ...], store_kind: str, store_path: Path | None) -> str:
    """One place to query: options that would be silently ignored are an error instead. Returns
    the store to use: --store-path names an Oxigraph store, over EGOVKG_STORE's default."""
    from egovkg.errors import QueryError

    # EGOVKG_STORE in the environment names the embedded store to use when one is used: not a conflict
    store_given = on_command_line("store_kind")
    if endpoint is None:
        remote_only = [f"--{n.replace('_', '-')}" for n in ("user", "password", "max_reply_size") if on_command_line(n)]
        if remote_only:
            raise QueryError(f"{', '.join(remote_only)}: only for a query sent to an --endpoint")
    else:
        if not endpoint:
            raise QueryError("--endpoint: the URL is empty")
        ignored = [opt for opt, on in (("--data", data), ("--store", store_given), ("--store-path", store_path)) if on]
        if ignored:
            raise QueryError(f"--endpoint queries the remote graph: it cannot be used with {', '.join(ignored)}")
    if store_path is not None and store_kind == "memory":
        if store_given:
            raise QueryError("--store-path keeps an Oxigraph store: it cannot be used with --store memory")
        return "oxigraph"
    return store_kind


@main.command()
@click.option(
    "--endpoint",
    required=True,
    help="Graph Store Protocol URL (Oxigraph: http://HOST:7878/store; Fuseki: http://HOST:3030/DS/data).",
)
@click.option("--graph", "graph_iri", help="Named graph to replace (default: the default graph).")
@click.option(
    "--named-graphs",
    is_flag=True,
    help="Keep the data's named graphs, each replaced by its own PUT (the built graph: its announcement, "
    "curated and ontology graphs; or the graphs of --data TriG/N-Quads files). Not with --graph.",
)
@credential_options
@click.option(
    "--timeout", default=300, show_default=True, type=click.IntRange(min=1), help="Seconds to wait for the server."
)
@data_option
@base_option
@handle_errors
def push(
    endpoint: str,
    graph_iri: str | None,
    named_graphs: bool,
    user: str | None,
    password: str | None,
    timeout: int,
    data: tuple[Path, ...],
    base: str,
) -> None:
    """Upload the graph to a triplestore, replacing one graph in a single PUT (or, with
    --named-graphs, each named graph in its own PUT).

    Example: egovkg push --endpoint http://127.0.0.1:7878/store --graph https://w3id.org/egovkg/graph/all
    """
    from egovkg.errors import EndpointError
    from egovkg.sparql.graphstore import Credentials, NeedsNamedGraphs

    if named_graphs and graph_iri is not None:
        raise EndpointError("--named-graphs sends each graph to its own name: it cannot be used with --graph")
    credentials = Credentials.from_env(user, password)
    try:
        done = the_kg(data, base).push(
            endpoint,
            graph=graph_iri,
            named_graphs=named_graphs,
            credentials=credentials,
            timeout=timeout,
            progress=_progress_bar if sys.stderr.isatty() else None,
        )
    except NeedsNamedGraphs as exc:
        raise NeedsNamedGraphs(f"{exc}, or add --named-graphs to send each graph to its name") from exc
    for one in done:
        click.echo(f"pushed {one.triples} triples ({one.size:,} bytes) to {one.url} in {one.seconds:.2f} s")


def _progress_bar(url: str, size: int) -> Any:
    """A progress bar on stderr for one upload; closed when it completes."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    bar = Progress(*columns, transient=True, console=Console(stderr=True))
    task = bar.add_task("uploading", total=size)
    bar.start()

    def update(done: int, _total: int) -> None:
        bar.update(task, completed=done)
        if done >= size:
            bar.stop()

    return update


@main.command()
@click.option("--port", default=7878, show_default=True, type=click.IntRange(1, 65535), help="Port on 127.0.0.1.")
@click.option(
    "--location",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --writable: the Oxigraph store folder to keep (default: a temporary folder removed on exit).",
)
@click.option(
    "--writable",
    is_flag=True,
    help="Accept SPARQL updates at /update and Graph Store writes at /store too, each with the same "
    "limits and sandbox as a query.",
)
@click.option(
    "--linked-data",
    "linked_data",
    is_flag=True,
    help="Serve linked data instead: IRIs answer 303 by Accept to pages and RDF; /sparql; /.well-known/void.",
)
@click.option(
    "--site",
    "site_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="With --linked-data: serve this folder written by 'egovkg site' (default: render pages on demand).",
)
@limit_options
@data_option
@base_option
@handle_errors
def serve(
    port: int,
    location: Path | None,
    writable: bool,
    linked_data: bool,
    site_dir: Path | None,
    data: tuple[Path, ...],
    base: str,
    **limit_args: Any,
) -> None:
    """Serve the graph read-only from a SPARQL endpoint at /query until Ctrl-C.

    Every query runs in a worker process with a time limit, a memory limit, a result cap
    and no network (SERVICE is refused); named graphs of TriG and N-Quads --data are kept.
    With --linked-data, every IRI of the graph dereferences instead: a browser gets the page,
    a program the RDF it asks for (content negotiation, 303 See Other), and /sparql answers queries.

    Example: egovkg serve --port 7878 --query-timeout 10
    """
    from egovkg.cli.site import query_limits, serve_linked_data, serve_queries

    if linked_data:
        if location or writable or data:
            raise EgovkgError("--linked-data serves the built graph read-only: it takes --port, --base and --site")
        serve_linked_data(port, base, site_dir, limits=query_limits(**limit_args))
        return
    if site_dir is not None:
        raise EgovkgError("--site needs --linked-data")
    if location is not None and not writable:
        raise EgovkgError("--location is the store folder of --writable's Oxigraph server: give --writable too")
    if not writable:
        from egovkg.graph.prefixes import DEFAULT_BASE
        from egovkg.rdfio.cache import cached_trig

        files = list(data) if data else [cached_trig(Layout.default(), base or DEFAULT_BASE)]
        serve_queries(files, port, query_limits(**limit_args))
        return
    _serve_writable(port, location, data, base, query_limits(**limit_args))


def _serve_writable(port: int, location: Path | None, data: tuple[Path, ...], base: str, limits: Any) -> None:
    """`egovkg serve --writable`: the guarded endpoint over an Oxigraph store loaded offline."""
    import tempfile

    from egovkg.cli.site import run_until_signal
    from egovkg.serve import make_writable_server
    from egovkg.serve.oxigraph import OxigraphServer

    files = list(data) if data else None
    with tempfile.TemporaryDirectory(prefix="egovkg-serve-") as tmp:
        if files is None:
            from egovkg.graph.prefixes import DEFAULT_BASE
            from egovkg.rdfio.cache import cached_trig

            files = [cached_trig(Layout.default(), base or DEFAULT_BASE)]
        store = location or Path(tmp) / "store"
        loader = OxigraphServer(store, port=port, read_only=False)  # checks the port before any work
        server = make_writable_server(store, port=port, limits=limits)  # binds it: a busy port fails here
        try:
            loader.load(files)
        except BaseException:
            server.close()
            raise
        click.echo("serving read-write; every query and write runs in a sandboxed worker with limits")
        click.echo(f"  query page:       {server.url}/")
        click.echo(f"  SPARQL endpoint:  {server.query_url}")
        click.echo(f"  update endpoint:  {server.update_url}")
        click.echo(f"  graph store:      {server.store_url}")
        click.echo("press Ctrl-C to stop")
        sys.stdout.flush()
        run_until_signal(server)


def _register() -> None:
    """Commands that live beside their library modules."""
    from egovkg.cli.site import site
    from egovkg.cli.views import stats, view

    main.add_command(view)
    main.add_command(stats)
    main.add_command(site)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
