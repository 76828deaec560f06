"""The `egovkg site` command, and the linked-data mode of `egovkg serve`: thin wrappers over
egovkg.publish.site and egovkg.serve.

Registered on the main group in egovkg.cli (``main.add_command(site)``); ``serve --linked-data``
calls :func:`serve_linked_data`.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from egovkg.cli.common import base_option, handle_errors, quiet_library_logging, the_kg


@click.command()
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write (default: build/site/). A previous site there is replaced once the new one is complete.",
)
@base_option
@handle_errors
def site(out: Path | None, base: str) -> None:
    """Write the static linked-data site: a page and Turtle, N-Triples, JSON-LD and RDF/XML per resource.

    The site works from file:// and from any static web server; `egovkg serve --linked-data
    --site DIR` adds content negotiation and a SPARQL endpoint.

    Example: egovkg site -o site/
    """
    quiet_library_logging()
    report = the_kg((), base).site(out)
    for line in report.lines():
        click.echo(line)


def limit_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The query limits of `egovkg serve` (both modes), each also read from the environment."""
    fn = click.option(
        "--query-workers",
        type=click.IntRange(1, 64),
        default=2,
        show_default=True,
        envvar="EGOVKG_QUERY_WORKERS",
        help="Worker processes answering queries at once [env EGOVKG_QUERY_WORKERS].",
    )(fn)
    fn = click.option(
        "--result-cache",
        type=click.IntRange(min=0),
        default=32,
        show_default=True,
        envvar="EGOVKG_RESULT_CACHE",
        metavar="MIB",
        help="Answers kept for repeated queries and pages, in MiB (0: none) [env EGOVKG_RESULT_CACHE].",
    )(fn)
    fn = click.option(
        "--max-result-size",
        type=click.IntRange(min=1),
        default=64,
        show_default=True,
        envvar="EGOVKG_MAX_RESULT_SIZE",
        metavar="MIB",
        help="Largest answer, in MiB; a larger one is refused with a message [env EGOVKG_MAX_RESULT_SIZE].",
    )(fn)
    fn = click.option(
        "--query-memory",
        type=click.IntRange(min=0),
        default=4096,
        show_default=True,
        envvar="EGOVKG_QUERY_MEMORY",
        metavar="MIB",
        help="Address space of each query worker, in MiB (0: no limit) [env EGOVKG_QUERY_MEMORY].",
    )(fn)
    return click.option(
        "--query-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=30.0,
        show_default=True,
        envvar="EGOVKG_QUERY_TIMEOUT",
        metavar="SECONDS",
        help="Time limit of one query; a query past it is stopped [env EGOVKG_QUERY_TIMEOUT].",
    )(fn)


def query_limits(
    query_timeout: float, query_memory: int, max_result_size: int, query_workers: int, result_cache: int
) -> Any:
    from egovkg.serve import QueryLimits

    return QueryLimits(
        timeout=query_timeout,
        memory=query_memory << 20,
        max_result=max_result_size << 20,
        workers=query_workers,
        cache=result_cache << 20,
    )


def run_until_signal(server: Any) -> None:
    """Serve until Ctrl-C or SIGTERM: the handlers are set here, in the CLI, never by the library."""
    from egovkg.serve import serve_forever

    def stop(_signum: int, _frame: object) -> None:
        server.shutdown()  # a flag the server polls: safe in a signal handler

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    serve_forever(server)
    click.echo("stopped")


def serve_linked_data(
    port: int, base: str, site_dir: Path | None = None, host: str = "127.0.0.1", limits: Any = None
) -> None:
    """Run the linked-data server until Ctrl-C or SIGTERM (the body of `egovkg serve --linked-data`)."""
    quiet_library_logging()
    server = the_kg((), base).serve(host=host, port=port, site_dir=site_dir, limits=limits)
    click.echo(f"serving linked data from {'the site in ' + str(site_dir) if site_dir else 'pages rendered on demand'}")
    click.echo(f"  index:            {server.url}/")
    click.echo(f"  resources:        {server.url}/id/award/2012-management-innovation-01  (303 by Accept)")
    click.echo(f"  SPARQL endpoint:  {server.url}/sparql  (a browser gets the query page)")
    click.echo(f"  VoID:             {server.url}/.well-known/void")
    click.echo("press Ctrl-C to stop")
    sys.stdout.flush()
    run_until_signal(server)


def serve_queries(files: list[Path], port: int, limits: Any, host: str = "127.0.0.1") -> None:
    """Run the read-only SPARQL endpoint until Ctrl-C or SIGTERM (the body of plain `egovkg serve`)."""
    from egovkg.serve import make_query_server

    quiet_library_logging()
    server = make_query_server(files, host=host, port=port, limits=limits)
    click.echo(f"serving {', '.join(str(f) for f in files)} (read-only)")
    click.echo(f"  SPARQL endpoint:  {server.query_url}")
    click.echo("press Ctrl-C to stop")
    sys.stdout.flush()
    run_until_signal(server)


__all__ = ["limit_options", "query_limits", "serve_linked_data", "serve_queries", "site"]
