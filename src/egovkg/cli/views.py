"""The `egovkg view` and `egovkg stats` commands: thin wrappers over egovkg.publish.views and egovkg.publish.stats.

Registered on the main group in egovkg.cli (``main.add_command(view)``, ``main.add_command(stats)``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from egovkg.cli.common import data_option, handle_errors, table_width, the_kg


@click.command()
@click.argument("name", required=False, default="overview", metavar="[NAME]")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the page here (default: viz/NAME.html).",
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en", "both"]),
    default="both",
    show_default=True,
    help="Language of the labels when the page opens (the page can switch).",
)
@click.option(
    "--focus", metavar="ID", help="Centre on one entity: an IRI, 'agency:qingdao-egov-office', a bare id or a name."
)
@click.option(
    "--depth", type=click.IntRange(min=0), default=2, show_default=True, help="Steps from --focus to include."
)
@data_option
@handle_errors
def view(name: str, output: Path | None, lang: str, focus: str | None, depth: int, data: tuple[Path, ...]) -> None:
    """Write one interactive view as a self-contained HTML page that works offline.

    NAME is overview (default), geography, agencies, timeline or neighbourhood
    (which needs --focus).

    Example: egovkg view neighbourhood --focus agency:qingdao-egov-office --depth 2
    """
    from egovkg.publish.views import check_name

    check_name(name)  # before the graph is built, so a typo fails fast
    kg = the_kg(data)
    page = kg.view(name, lang=lang, focus=focus, depth=depth)
    target = page.save(output or kg.layout.viz / f"{name}.html")
    click.echo(f"wrote {target} ({page.nodes} nodes, {page.edges} edges, {len(page.html.encode('utf-8')):,} bytes)")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a PNG bar chart of awards per province here.",
)
@data_option
@handle_errors
def stats(fmt: str, chart: Path | None, data: tuple[Path, ...]) -> None:
    """Counts by category, province and agency kind; centrality; components; co-applicants.

    Example: egovkg stats --format csv --chart viz/awards-by-province.png
    """
    from egovkg.publish import stats as analytics
    from egovkg.util.atomic import write_bytes

    result = the_kg(data).stats()
    if fmt == "table":
        text = analytics.to_table(result, width=table_width(analytics.TABLE_WIDTH))
    else:
        text = {"csv": analytics.to_csv, "json": analytics.to_json}[fmt](result)
    if chart:  # first: a chart that cannot be written fails the command before any output
        write_bytes(chart, analytics.chart_png(result))
    sys.stdout.buffer.write(text.encode("utf-8"))
    if chart:
        click.echo(f"wrote {chart}", err=True)


__all__ = ["view", "stats"]
