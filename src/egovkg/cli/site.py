"""The `egovkg site` command, and the linked-data mode of `egovkg serve`: thin wrappers over
egovkg.publish.site and egovkg.serve.ldserver.

Registered on the main group in egovkg.cli (``main.add_command(site)``); ``serve --linked-data``
calls :func:`serve_linked_data`.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

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


def serve_linked_data(port: int, base: str, site_dir: Path | None = None, host: str = "127.0.0.1") -> None:
    """Run the linked-data server until Ctrl-C or SIGTERM (the body of `egovkg serve --linked-data`)."""
    import threading

    from egovkg.serve.ldserver import serve_forever

    quiet_library_logging()
    server = the_kg((), base).serve(host=host, port=port, site_dir=site_dir)
    click.echo(f"serving linked data from {'the site in ' + str(site_dir) if site_dir else 'pages rendered on demand'}")
    click.echo(f"  index:            {server.url}/")
    click.echo(f"  resources:        {server.url}/id/award/2012-management-innovation-01  (303 by Accept)")
    click.echo(f"  SPARQL endpoint:  {server.url}/sparql")
    click.echo(f"  VoID:             {server.url}/.well-known/void")
    click.echo("press Ctrl-C to stop")
    sys.stdout.flush()

    def stop(_signum: int, _frame: object) -> None:
        # shutdown() waits for serve_forever to return, so it must not run on the serving thread
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    serve_forever(server)
    click.echo("stopped")


__all__ = ["site", "serve_linked_data"]
