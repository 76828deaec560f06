"""The query catalogue (queries/*.rq): headers, parameters, and binding them as RDF terms.

A catalogue file starts with header lines::

    #+ summary: Winners by category and rank
    #+ description: One row per award, with applicants and titles in zh and en.
    #+ param: category | iri | https://w3id.org/egovkg/id/category/public-service | the award category

Parameters are bound as RDF terms: the runner builds a ``VALUES`` block from
rdflib terms (their N-Triples form, escaped by rdflib) and puts it at the start
of the query's outer ``WHERE`` group, so the same text runs on the embedded
store and on any SPARQL 1.1 endpoint. A value can never change the query's
structure: ``"} ; DROP ALL ; #`` becomes one string literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from egovkg.errors import QueryError
from egovkg.sparql.guard import _IRIREF, check_syntax

if TYPE_CHECKING:  # rdflib is imported where it is used: listing and preparing queries never needs it
    from rdflib import Literal, URIRef


PARAM_TYPES = ("string", "lang", "integer", "iri", "year")


_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None
    description: str

    def term(self, value: str) -> URIRef | Literal:
        """The RDF term for a user-given value, checked against the declared type."""
        from rdflib import Literal, URIRef
        from rdflib.namespace import XSD

        if self.type == "iri":
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value) or _IRI_FORBIDDEN.search(value):
                raise QueryError(f"parameter {self.name}: '{value}' is not an absolute IRI")
            return URIRef(value)
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?[0-9]+", value):
                raise QueryError(f"parameter {self.name}: '{value}' is not an integer")
            return Literal(int(value), datatype=XSD.integer)
        if self.type == "year":
            if not re.fullmatch(r"[0-9]{4}", value):
                raise QueryError(f"parameter {self.name}: '{value}' is not a year (YYYY)")
            return Literal(value, datatype=XSD.gYear)
        if self.type == "lang":
            # '*' is the wildcard of SPARQL's langMatches: a query may read it as "any language"
            if value != "*" and not re.fullmatch(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*", value):
                raise QueryError(f"parameter {self.name}: '{value}' is not a language tag (or *)")
            return Literal(value.lower())
        return Literal(value)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path | None
    text: str
    summary: str
    description: str = ""
    params: tuple[Param, ...] = ()

    @property
    def is_check(self) -> bool:
        return self.name.startswith("check-")


def parse_header(text: str, source: str) -> tuple[str, str, tuple[Param, ...]]:
    summary, description, params = "", "", []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#+"):
            if line.strip() and not line.startswith("#"):
                break
            continue
        key, _, value = line[2:].partition(":")
        key, value = key.strip(), value.strip()
        if key == "summary":
            summary = value
        elif key == "description":
            description = (description + " " + value).strip()
        elif key == "param":
            parts = [p.strip() for p in value.split("|")]
            if len(parts) != 4 or not parts[0] or parts[1] not in PARAM_TYPES:
                raise QueryError(
                    f"{source}:{n}: param must be 'name | type | default | description' with type one of "
                    + ", ".join(PARAM_TYPES)
                )
            params.append(Param(parts[0], parts[1], parts[2] or None, parts[3]))
        else:
            raise QueryError(f"{source}:{n}: unknown header key '{key}' (summary, description, param)")
    if not summary:
        raise QueryError(f"{source}: missing '#+ summary:' header")
    return summary, description, tuple(params)


def read_query_file(path: Path) -> str:
    """An .rq file's text; QueryError naming the file when it cannot be read or is not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QueryError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        # a byte order mark (Windows editors write one) is not part of the query
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise QueryError(f"{path}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from exc


def load_catalogue(directory: Path) -> dict[str, NamedQuery]:
    return {path.stem: _load(path) for path in sorted(directory.glob("*.rq"))}


def _load(path: Path) -> NamedQuery:
    text = read_query_file(path)
    summary, description, params = parse_header(text, str(path))
    return NamedQuery(path.stem, path, text, summary, description, params)


class Catalogue(Mapping[str, NamedQuery]):
    """The catalogue of a folder, each query read when it is looked up: running one query
    reads its own file, not the whole folder (iterating reads the listing)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._read: dict[str, NamedQuery] = {}

    def __getitem__(self, name: str) -> NamedQuery:
        if name not in self._read:
            path = self.directory / f"{name}.rq"
            # a name of the naming rule is one file of the folder; any other string (a path, query
            # text) is one only if the folder lists it
            if not (path.is_file() if _NAME.match(name) and len(name) < 200 else name in self._names()):
                raise KeyError(name)
            self._read[name] = _load(path)
        return self._read[name]

    def _names(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.rq"))

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def resolve(name_or_text: str, catalogue: Mapping[str, NamedQuery]) -> NamedQuery:
    """A catalogue name, a path to an .rq file, or query text."""
    if name_or_text in catalogue:
        return catalogue[name_or_text]
    if name_or_text.endswith(".rq"):
        path = Path(name_or_text)
        if not path.is_file():
            raise QueryError(f"{path}: no such query file")
        text = read_query_file(path)
        try:
            summary, description, params = parse_header(text, str(path))
        except QueryError:
            summary, description, params = path.stem, "", ()
        return NamedQuery(path.stem, path, text, summary, description, params)
    if _NAME.match(name_or_text):
        import difflib

        close = difflib.get_close_matches(name_or_text, list(catalogue), n=5, cutoff=0.5)
        hint = f"; did you mean: {', '.join(close)}?" if close else "; run 'egovkg queries' for the list"
        raise QueryError(f"unknown query '{name_or_text}'{hint}")
    return NamedQuery("<inline>", None, name_or_text, "inline query")


# SPARQL 1.1 ECHAR escapes. Tab is escaped too: rdflib's parser expands raw tabs to spaces.
_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


_STRING = re.compile(r'"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'')


# A u or U after a backslash would start a code point escape: rdflib reads \u and \U escapes in
# a pass before parsing (and takes \U with four digits, and ``\\u0041`` as ``\`` + ``A``), while
# Oxigraph reads them inside strings. Written as an eight-digit escape, the letter is the same to both.
def _escaped(value: str) -> str:
    out = []
    for i, c in enumerate(value):
        if c in "uU" and i and value[i - 1] == "\\":
            out.append(f"\\U{ord(c):08X}")
        else:
            out.append(_ECHAR.get(c, c))
    return "".join(out)


def sparql_term(term: URIRef | Literal) -> str:
    """A term in SPARQL syntax, always as a short string with escapes.

    rdflib's ``Literal.n3()`` switches to triple quotes for values with a line break and then
    writes a closing quote unescaped (``a\\nb"`` gives a query that does not parse).
    """
    from rdflib import URIRef
    from rdflib.namespace import XSD

    if isinstance(term, URIRef):
        return f"<{term}>"  # Param.term has rejected every character an IRIREF may not hold
    lexical = _escaped(str(term))
    if term.language:
        return f'"{lexical}"@{term.language}'
    if term.datatype is not None and term.datatype != XSD.string:  # RDF 1.1: "x"^^xsd:string is "x"
        return f'"{lexical}"^^<{term.datatype}>'
    return f'"{lexical}"'


def _outer_where(text: str) -> re.Match[str] | None:
    """The first ``WHERE {`` that is not inside a comment (the header is made of comments)."""
    for m in re.finditer(r"\bWHERE\s*\{", text, re.IGNORECASE):
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = _STRING.sub("", _IRIREF.sub("", text[line_start : m.start()]))
        if "#" not in before:
            return m
    return None


def bind(query: NamedQuery, given: Mapping[str, str]) -> str:
    """The query text with its parameters bound by a VALUES block of RDF terms."""
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        if not declared:
            raise QueryError(f"{query.name} takes no parameters (got {', '.join(unknown)})")
        raise QueryError(f"{query.name}: unknown parameter(s) {', '.join(unknown)}; it takes {', '.join(declared)}")
    terms: dict[str, URIRef | Literal] = {}
    for p in query.params:
        value = given.get(p.name, p.default)
        if value is None:
            raise QueryError(f"{query.name}: parameter '{p.name}' is required ({p.description})")
        terms[p.name] = p.term(value)
    if not terms:
        return query.text
    m = _outer_where(query.text)
    if m is None:
        raise QueryError(f"{query.name}: parameters need an explicit 'WHERE {{' in the query")
    names = " ".join(f"?{n}" for n in terms)
    values = " ".join(sparql_term(t) for t in terms.values())
    block = f"\n  VALUES ({names}) {{ ({values}) }}\n"
    return query.text[: m.end()] + block + query.text[m.end() :]


def prepare(name_or_text: str, params: Mapping[str, str], catalogue: Mapping[str, NamedQuery]) -> str:
    """Resolve a query, check its syntax and bind its parameters: everything that can fail before any data loads."""
    query = resolve(name_or_text, catalogue)
    check_syntax(query.text, str(query.path or query.name))
    return bind(query, params)
