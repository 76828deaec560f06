"""The `egovkg view` and `egovkg stats` commands: thin wrappers over egovkg.publish.views and egovkg.publish.stats.

Registered on the main group in egovkg.cli (``main.add_command(view)``, ``main.add_command(stats)``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from egovkg.cli.common import data_option, handle_errors, table_width, the_graph, the_kg
from egovkg.paths import Layout


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
    default="zh",
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

    NAME is overview (default), geography, agencies or neighbourhood, or one of
    the explorer's own pages: index, map, timeline (these show both languages
    and switch in the page; --lang, --focus and --depth do not apply to them).
    The neighbourhood of --focus is drawn around it; without --focus the page
    draws the neighbourhood of the entity named in its URL (#focus=ID).

    Example: egovkg view neighbourhood --focus agency:qingdao-egov-office --depth 2
    """
    import functools
    import os

    from egovkg.publish.addresses import GRAPH_PAGES, nav_css, nav_html
    from egovkg.publish.views import check_name, index, projection, render_view
    from egovkg.util.atomic import write_text

    if name in EXPLORER_PAGES:  # the explorer's own pages: the front page, the map, the timeline
        _explorer_page(name, output, data)
        return
    check_name(name)  # before the graph is built, so a typo fails fast
    idx = index(the_graph(data))
    layout = Layout.default() if output is None else _project_layout()
    target = output or layout.viz / f"{name}.html"
    page_of = None  # the linked-data site (build/site/), linked from the details panel, relative to the page
    if layout is not None:
        site = os.path.relpath(layout.build / "site", target.resolve().parent).replace(os.sep, "/") + "/"
        page_of = functools.partial(_site_page, site)

    nav = f"<style>{nav_css()}</style>\n" + nav_html("viz", name if name in GRAPH_PAGES else None)
    html = render_view(idx, name, lang=lang, focus=focus, depth=depth, page_of=page_of, nav=nav)
    if name == "neighbourhood" and focus is None:
        what = f"{len(idx.entities)} entities to pick from"
    else:
        g = projection(idx, name, focus=focus, depth=depth)  # the one render_view drew from
        what = f"{g.number_of_nodes()} nodes, {g.number_of_edges()} edges"
    write_text(target, html)
    click.echo(f"wrote {target} ({what}, {len(html.encode('utf-8')):,} bytes)")


def _site_page(site: str, iri: str) -> str | None:
    """The relative link to an entity's page of the site whose root is ``site``."""
    from egovkg.graph.prefixes import DEFAULT_BASE
    from egovkg.publish.addresses import stem_for

    kind, stem = stem_for(iri, DEFAULT_BASE)
    return f"{site}{stem}.html" if kind == "id" else None


def _project_layout() -> Layout | None:
    """The project's layout when the command runs inside one, else None."""
    from egovkg.errors import EgovkgError

    try:
        return Layout.default()
    except EgovkgError:
        return None


EXPLORER_PAGES = ("index", "map", "timeline")


def _explorer_page(name: str, output: Path | None, data: tuple[Path, ...]) -> None:
    from egovkg.graph.namespaces import DEFAULT_BASE
    from egovkg.publish import explorer
    from egovkg.util.atomic import write_text

    graph = the_graph(data)
    # query=True: the same page (and bar) as `egovkg build` writes beside the site and KG.view gives
    if name == "index":
        html = explorer.render_index(graph, "viz", query=True)
    elif name == "map":
        html = explorer.render_map(graph, DEFAULT_BASE, "viz", query=True)
    else:
        html = explorer.render_timeline(graph, DEFAULT_BASE, "viz", query=True)
    target = output or Layout.default().viz / explorer.page_file(name)
    write_text(target, html)
    click.echo(f"wrote {target} ({len(html.encode('utf-8')):,} bytes)")


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
