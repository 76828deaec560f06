"""Typed errors. The library raises these and never prints or exits; the CLI maps them."""

from __future__ import annotations


def one_line(message: str, limit: int = 300) -> str:
    """A parser's multi-line message as one line: errors are one line on stderr."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class EgovkgError(Exception):
    """Base class of every error egovkg raises on bad input or a failed operation.

    An error about one parameter of a library call starts with ``param: `` (its name in
    the library) and sets ``param``, so a front end can name its own option instead.
    """

    exit_code = 2
    param: str | None = None


class ExtractError(EgovkgError):
    """A source text does not fit the announcement format."""

    def __init__(self, message: str, *, source: str, offset: int, context: str = "") -> None:
        self.source = source
        self.offset = offset
        self.context = context
        where = f"{source}: character {offset}"
        super().__init__(f"{where}: {message}" + (f" (near '{context}')" if context else ""))


class DataError(EgovkgError):
    """A curated data file is malformed or inconsistent."""

    def __init__(self, message: str, *, file: str, line: int | None = None, field: str | None = None) -> None:
        self.file = file
        self.line = line
        self.field = field
        where = file + (f":{line}" if line is not None else "")
        super().__init__(f"{where}: " + (f"{field}: " if field else "") + message)


class ChecksumError(EgovkgError):
    """A source file's bytes do not match its recorded sha256."""


class CrossCheckError(EgovkgError):
    """Curated records disagree with what the extractor read from the source."""


class OutputError(EgovkgError):
    """An output file could not be written: a missing or read-only folder, a full disk, no file name."""


class RDFInputError(EgovkgError):
    """An RDF file could not be parsed."""


class NamedGraphsError(RDFInputError):
    """An input holds named graphs (or N3 formulas) where one graph of triples is wanted."""

    def __init__(self, message: str, *, file: str) -> None:
        self.file = file
        super().__init__(message)


class LimitError(EgovkgError):
    """An input is over one of egovkg's limits (size, nesting depth, entity expansion) or asks for
    a document egovkg never fetches (a JSON-LD context by IRI). See egovkg.util.limits."""


class RDFLimitError(LimitError, RDFInputError):
    """An RDF file refused before parsing: over a limit, or referring to a remote context."""


class QueryError(EgovkgError):
    """A SPARQL query is unknown, malformed or failed."""


class EndpointError(EgovkgError):
    """A remote SPARQL endpoint could not be reached or answered badly."""


class ValidationFailed(EgovkgError):
    """The graph does not conform to its shapes or a check query returned rows."""

    exit_code = 1
