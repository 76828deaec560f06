"""Shared pieces of the command line: error handling, common options, the graph and store to read.

Command modules (cli, cli_views, cli_site) import from here, never from each other,
so any of them can be imported first.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Any

import click

from egovkg.errors import EgovkgError
from egovkg.paths import Layout
from egovkg.util.terminal import terminal_safe


def _fail(exc: EgovkgError) -> None:
    # a message may quote a server's reply, a file name or a label: shown as data, never as controls
    message = str(exc)
    if exc.param and message.startswith(f"{exc.param}: "):  # the library's parameter is our option
        message = f"--{exc.param.replace('_', '-')}: " + message.removeprefix(f"{exc.param}: ")
    click.echo(f"error: {terminal_safe(message)}", err=True)
    sys.exit(exc.exit_code)


def quiet_library_logging() -> None:
    """Warnings and errors only, as one line each: set before pyLODE is imported, which
    otherwise configures the root logger at DEBUG. Commands that never reach pyLODE or the
    server skip importing logging, which keeps `egovkg query` quick to start."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")


def table_width(default: int) -> int:
    """Columns to draw a table in: the terminal's when stdout is one, so it fits the
    window; otherwise ``default``, so a file or a pipe gets the same bytes every time."""
    if not sys.stdout.isatty():
        return default
    import shutil

    return max(40, shutil.get_terminal_size((default, 24)).columns)


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EgovkgError as exc:
            _fail(exc)

    return wrapper


def base_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    from egovkg.graph.prefixes import DEFAULT_BASE

    def checked(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
        from egovkg.graph.prefixes import check_base

        try:
            return check_base(value)
        except EgovkgError as exc:
            _fail(exc)
            raise  # pragma: no cover - _fail exits

    return click.option(
        "--base", default=DEFAULT_BASE, show_default=True, callback=checked, help="Base IRI of the resources."
    )(fn)


class ByteSize(click.ParamType):
    """A size in bytes: 1048576, or a whole number with K, M, G or T (binary: 1M = 1 MiB; KB,
    KiB and the like are read the same). Above 0."""

    name = "size"
    UNITS = "kmgt"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        import re

        if isinstance(value, int) and not isinstance(value, bool):
            n = value
        else:
            m = re.fullmatch(r"\s*(\d{1,20})\s*(?:([kmgt])(?:i?b)?|b)?\s*", str(value), re.IGNORECASE)
            if not m:
                hint = "give bytes, or a whole number with K, M or G (1M = 1 MiB)"
                self.fail(f"{value!r} is not a size: {hint}", param, ctx)
            n = int(m[1]) << (10 * (self.UNITS.index(m[2].lower()) + 1) if m[2] else 0)
        if n < 1:
            self.fail(f"{value!r} is not above 0 bytes", param, ctx)
        return n


def max_reply_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    # the default is triplestore.DEFAULT_MAX_REPLY (a test keeps them equal), spelled out here
    # so the CLI does not import the HTTP modules to start
    return click.option(
        "--max-reply-size",
        "max_reply_size",
        type=ByteSize(),
        default="256M",
        show_default=True,
        help="Read at most this much of an endpoint's reply (bytes, or K/M/G: 1M = 1 MiB); "
        "a larger reply is an error and nothing is written. Or EGOVKG_MAX_REPLY_SIZE.",
    )(fn)


def on_command_line(name: str) -> bool:
    """Whether the current command's parameter ``name`` was given on the command line (not
    taken from its default or the environment)."""
    return click.get_current_context().get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE


def reply_cap(given: int) -> int:
    """--max-reply-size when given on the command line, else EGOVKG_MAX_REPLY_SIZE, else the
    default. The variable is read only when an endpoint is used, so a bad value does not stop
    queries on the embedded store."""
    import os

    from egovkg.errors import EndpointError

    if on_command_line("max_reply_size"):
        return given
    raw = os.environ.get("EGOVKG_MAX_REPLY_SIZE", "").strip()
    if not raw:
        return given
    try:
        return ByteSize().convert(raw, None, None)
    except click.BadParameter as exc:
        raise EndpointError(f"EGOVKG_MAX_REPLY_SIZE: {exc.message}") from exc


def credential_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--user and --password for an endpoint; a token in EGOVKG_TOKEN is sent as Bearer instead."""
    fn = click.option(
        "--password", help="Password (prefer EGOVKG_PASSWORD; a token in EGOVKG_TOKEN is sent as Bearer)."
    )(fn)
    return click.option("--user", help="User name (or EGOVKG_USER); the password comes from EGOVKG_PASSWORD.")(fn)


def data_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--data",
        "data",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Use these RDF files (Turtle, N-Triples, JSON-LD, RDF/XML, TriG) instead of the built graph. Repeatable.",
    )(fn)


def store_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    from egovkg.rdfio.convert import DEFAULT_STORE, STORES

    fn = click.option(
        "--store-path",
        type=click.Path(file_okay=False, path_type=Path),
        help="Keep the Oxigraph store on disk here and reuse it while its inputs are unchanged.",
    )(fn)
    return click.option(
        "--store",
        "store_kind",
        type=click.Choice(STORES),
        envvar="EGOVKG_STORE",
        default=DEFAULT_STORE,
        show_default=True,
        help="Embedded store to query.",
    )(fn)


def the_kg(data: Sequence[Path], base: str | None = None, store: str = "oxigraph"):  # noqa: ANN201
    """The graph the command works on: the --data files, or the built graph of this checkout (or the shipped one)."""
    from egovkg.graph.prefixes import DEFAULT_BASE
    from egovkg.kg import KG

    return KG(Layout.default(), data, base=base or DEFAULT_BASE, store=store)


def the_graph(data: Sequence[Path], base: str | None = None):  # noqa: ANN201
    """The graph as an rdflib Graph: the --data files, or the built graph."""
    return the_kg(data, base).graph
