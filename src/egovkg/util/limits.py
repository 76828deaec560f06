"""Limits on what egovkg hands a parser: size, nesting depth, XML entities, JSON-LD contexts.

Every RDF file read from outside (``--data``, ``--store-path``, push, export) passes
:func:`check_rdf_input` before a parser sees it, and every announcement passes
:func:`check_source_size`. The checks are cheap passes in C (expat, ``re``, ``bytes.translate``) that
refuse, with one error line naming the file, what would make a parser run away:

- a file larger than ``max_input_size`` (rdflib's in-memory path: ``max_memory_input_size``);
- nesting deeper than ``max_depth``: Oxigraph's RDF/XML and JSON-LD parsers slow down with
  the square of the depth and crash near 10,000; rdflib's recursive parsers overflow the stack;
- RDF/XML entity declarations that nest (billion laughs), are external (XXE) or parameter
  entities, attribute-list declarations, and simple entities whose uses would add more text
  than the file holds several times over;
- a JSON-LD ``@context`` or ``@import`` given by IRI: egovkg never fetches one (a fetched
  context would let a server change what the data says).

Defaults are documented in README ("Input limits"); each is a field of :class:`Limits` and
an environment variable (see :meth:`Limits.from_env`).
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from egovkg.errors import LimitError, RDFInputError, RDFLimitError

MiB = 1 << 20
DEFAULT_MAX_INPUT_SIZE = 1 << 30  # 1 GiB: Oxigraph streams, but a store built from it lives in memory
DEFAULT_MAX_MEMORY_INPUT_SIZE = 50 * MiB  # rdflib's in-memory graph: about 1 GB of RAM per 50 MB of Turtle
DEFAULT_MAX_DEPTH = 100  # brackets, elements or JSON containers inside each other
# An announcement: the 2012 one is 8 KB. The extractor is linear, but a long award table costs
# about 2 ms a row (under 0.1 MB/s): the cap keeps the worst case to seconds (benchmarks/extract_speed.py).
DEFAULT_MAX_SOURCE_SIZE = 256 * 1024
ENTITY_SLACK = 16 * MiB  # entity text an RDF/XML file may add, beyond 4x its own size

ENV = {
    "max_input_size": "EGOVKG_MAX_INPUT_SIZE",
    "max_memory_input_size": "EGOVKG_MAX_MEMORY_INPUT_SIZE",
    "max_depth": "EGOVKG_MAX_DEPTH",
    "max_source_size": "EGOVKG_MAX_SOURCE_SIZE",
}
_SIZE = re.compile(r"\s*(\d{1,20})\s*(?:([kmgt])(?:i?b)?|b)?\s*", re.IGNORECASE)
CHUNK = 8 * MiB


def parse_size(text: str, name: str) -> int:
    """Bytes from '1048576', '512K', '50M', '1G' (binary units); LimitError naming ``name``."""
    m = _SIZE.fullmatch(text)
    if not m or int(m[1]) < 1:
        raise LimitError(f"{name}: {text!r} is not a size: give bytes above 0, or a whole number with K, M or G")
    return int(m[1]) << (10 * ("kmgt".index(m[2].lower()) + 1) if m[2] else 0)


@dataclass(frozen=True)
class Limits:
    """What egovkg will hand a parser. Sizes in bytes; depth in nested brackets or elements."""

    max_input_size: int = DEFAULT_MAX_INPUT_SIZE
    max_memory_input_size: int = DEFAULT_MAX_MEMORY_INPUT_SIZE
    max_depth: int = DEFAULT_MAX_DEPTH
    max_source_size: int = DEFAULT_MAX_SOURCE_SIZE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, each overridden by its variable when set: EGOVKG_MAX_INPUT_SIZE,
        EGOVKG_MAX_MEMORY_INPUT_SIZE, EGOVKG_MAX_SOURCE_SIZE (sizes: 1048576, 512K, 50M, 2G)
        and EGOVKG_MAX_DEPTH (a whole number)."""
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for field, var in ENV.items():
            raw = env.get(var, "").strip()
            if not raw:
                continue
            if field == "max_depth":
                if not raw.isdigit() or int(raw) < 1:
                    raise LimitError(f"{var}: {raw!r} is not a whole number above 0")
                values[field] = int(raw)
            else:
                values[field] = parse_size(raw, var)
        return cls(**values)


def resolve(limits: Limits | None) -> Limits:
    return Limits.from_env() if limits is None else limits


def _mb(n: int) -> str:
    if n < MiB:
        return f"{n / 1024:.0f} KiB"
    return f"{n / MiB:.1f} MiB" if n < 10 * MiB else f"{n / MiB:.0f} MiB"


def check_size(path: Path, limit: int, var: str) -> int:
    """The size of ``path``; RDFLimitError when it is over ``limit``."""
    size = path.stat().st_size
    if size > limit:
        raise RDFLimitError(f"{path}: {_mb(size)} is over the input size limit of {_mb(limit)} (set {var} to raise it)")
    return size


def _source_too_large(source: str, size: int, limit: int) -> LimitError:
    return LimitError(
        f"{source}: {_mb(size)} is over the announcement size limit of {_mb(limit)} "
        f"(set {ENV['max_source_size']} to raise it)"
    )


def check_source_size(path: Path, limits: Limits | None = None) -> None:
    """Refuse an announcement file over ``max_source_size`` before reading it."""
    limit = resolve(limits).max_source_size
    try:
        size = path.stat().st_size
    except OSError:
        return  # the reader says what is wrong with it
    if size > limit:
        raise _source_too_large(str(path), size, limit)


def check_text_size(text: str, source: str, limits: Limits | None = None) -> None:
    """Refuse announcement text over ``max_source_size`` bytes of UTF-8."""
    limit = resolve(limits).max_source_size
    if len(text) > limit // 4:  # at most 4 bytes a character: shorter text is surely under
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > limit:
            raise _source_too_large(source, size, limit)


def check_rdf_input(path: Path, kind: str, limits: Limits | None = None, *, engine: str = "oxigraph") -> None:
    """Refuse ``path`` (an existing file of pyoxigraph RdfFormat name ``kind``) before ``engine``
    ('oxigraph' or 'rdflib') parses it: over the size limit, nested too deep, an RDF/XML entity
    bomb, or a JSON-LD context by IRI. Raises RDFLimitError naming the file and the cause."""
    lim = resolve(limits)
    if engine == "rdflib":
        size, cap = path.stat().st_size, lim.max_memory_input_size
        if size > cap:
            raise RDFLimitError(
                f"{path}: {_mb(size)} is too large for the in-memory store (limit {_mb(cap)}, set "
                f"{ENV['max_memory_input_size']} to raise it); use --store oxigraph, which streams it"
            )
    check_size(path, lim.max_input_size, ENV["max_input_size"])
    if kind == "RDF_XML":
        check_xml(path, lim)
    elif kind == "JSON_LD":
        check_json_depth(path, lim.max_depth)
        check_json_contexts(path)
    elif engine == "rdflib" and kind in ("TURTLE", "TRIG", "N3"):
        check_turtle_depth(path, lim.max_depth)


def too_deep(path: Path, limit: int, where: str = "") -> RDFLimitError:
    return RDFLimitError(
        f"{path}: {where}nested more than {limit} levels deep (set {ENV['max_depth']} to raise the limit)"
    )


# --- nesting depth by brackets --------------------------------------------------------------

_KEEP_BRACKETS = bytes(range(256)).translate(None, b"[](){}")
_STEP = [0] * 256
for _c in b"[({":
    _STEP[_c] = 1
for _c in b"])}":
    _STEP[_c] = -1


def _bracket_depth(data: bytes, start: int) -> tuple[int, int]:
    """(depth after ``data``, deepest point) counting ``[({`` in and ``])}`` out from ``start``.
    Only the brackets are walked, by accumulate in C: 1 MB of brackets in about 50 ms."""
    brackets = data.translate(None, _KEEP_BRACKETS)
    if not brackets:
        return start, start
    deepest = max(itertools.accumulate(map(_STEP.__getitem__, brackets), initial=start))
    opened = brackets.count(b"[") + brackets.count(b"(") + brackets.count(b"{")
    return start + 2 * opened - len(brackets), deepest


# A JSON string: after these are removed, every quote left opens a string the chunk cut short.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def _outside_strings(text: bytes) -> tuple[bytes, bytes]:
    """(the JSON text outside strings, the string still open at the end, to read on with the
    next chunk). With no escaped quote every quote delimits, and a split is 4x a regex."""
    if b'\\"' not in text:
        parts = text.split(b'"')
        if len(parts) % 2:
            return b"".join(parts[0::2]), b""
        return b"".join(parts[0:-1:2]), b'"' + parts[-1]
    text = _JSON_STRING.sub(b"", text)
    cut = text.find(b'"')
    return (text, b"") if cut < 0 else (text[:cut], text[cut:])


def check_json_depth(path: Path, limit: int) -> None:
    """Refuse JSON nested deeper than ``limit`` arrays and objects, read in chunks: Oxigraph's
    JSON-LD parser takes seconds at a depth of 1,000 and crashes near 10,000."""
    depth = 0
    carry = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            body, carry = _outside_strings(carry + chunk)
            depth, deepest = _bracket_depth(body, depth)
            if deepest > limit:
                raise too_deep(path, limit, "JSON ")


_TURTLE_SKIP = re.compile(
    rb'"""(?:[^"\\]|\\.|"(?!""))*"""'
    rb"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    rb'|"(?:[^"\\\n\r]|\\.)*"'
    rb"|'(?:[^'\\\n\r]|\\.)*'"
    rb"|<[^<>\"{}|^`\\\x00-\x20]*>"
    rb"|#[^\n\r]*"
    rb"|\\.",
    re.DOTALL,
)


def check_turtle_depth(path: Path, limit: int) -> None:
    """Refuse Turtle, TriG or N3 whose collections, blank-node lists or formulas nest deeper
    than ``limit``: rdflib's parser recurses once or more per level and overflows near 200.
    Strings, IRIs, comments and escapes are removed first, so brackets inside them do not count.
    Whole-file: this runs on rdflib's path only, whose inputs are capped in size."""
    text = _TURTLE_SKIP.sub(b" ", path.read_bytes())
    if _bracket_depth(text, 0)[1] > limit:
        raise too_deep(path, limit, "brackets ( ) [ ] { } ")


# --- JSON-LD contexts by reference ----------------------------------------------------------

_CONTEXT_KEYS = ("@context", "@import")


def context_reference(data: Any) -> str | None:
    """The first IRI given as a JSON-LD ``@context`` (or a context's ``@import``) anywhere in
    parsed JSON ``data``, or None. Walks without recursion."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _CONTEXT_KEYS:
                    for item in value if isinstance(value, list) else [value]:
                        if isinstance(item, str):
                            return item
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return None


def remote_context_error(path: Path, iri: str) -> RDFLimitError:
    return RDFLimitError(
        f"{path}: its JSON-LD @context refers to {iri!r}; egovkg never fetches a context "
        "(it could change what the data says): put the context in the file"
    )


_STRING = rb'"((?:[^"\\]|\\.)*)"'
# "@context": "IRI", or "IRI" in a list after inline contexts: a lexical look, for the message only
_CONTEXT_IRI = re.compile(rb'"@(?:context|import)"\s*:\s*(?:\[\s*(?:(?:\{[^{}]*\}|null)\s*,\s*)*)?' + _STRING)


def check_json_contexts(path: Path) -> None:
    """Name a context given by IRI before Oxigraph refuses it with a message that names neither
    the IRI nor the cause. A lexical look (the file may be large): Oxigraph, which loads no
    document, is the guard; :func:`load_json_ld` is rdflib's."""
    if path.stat().st_size > 4 * CHUNK:
        return
    m = _CONTEXT_IRI.search(path.read_bytes())
    if m:
        raise remote_context_error(path, m[1].decode("utf-8", "replace"))


def oxigraph_context_error(path: Path, message: str) -> RDFLimitError | None:
    """Oxigraph's refusal of a context by IRI ("No LoadDocumentCallback has been set"), in words."""
    if "LoadDocumentCallback" not in message:
        return None
    return RDFLimitError(
        f"{path}: its JSON-LD @context refers to a document by IRI; egovkg never fetches a context "
        "(it could change what the data says): put the context in the file"
    )


def load_json_ld(path: Path, limits: Limits | None = None) -> Any:
    """The parsed JSON of a JSON-LD file for rdflib's parser, which would fetch a context given
    by IRI (its loader has no off switch): refused here, from the parsed document, so escapes
    cannot hide one. Depth is checked before parsing (Python's json recurses)."""
    limit = resolve(limits).max_depth
    check_json_depth(path, limit)
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except RecursionError as exc:
        raise too_deep(path, limit, "JSON ") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise RDFInputError(f"{path}: not valid JSON: {exc}") from exc
    iri = context_reference(data)
    if iri is not None:
        raise remote_context_error(path, iri)
    return data


# --- RDF/XML --------------------------------------------------------------------------------

_ENTITY_REF = re.compile(rb"&([A-Za-z_:][-A-Za-z0-9._:]*);")


def _entity_uses(path: Path) -> Counter[bytes]:
    """How often each ``&name;`` occurs in the file (comments included: an upper bound)."""
    uses: Counter[bytes] = Counter()
    carry = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            text = carry + chunk
            amp = text.rfind(b"&")
            # a reference cut by the chunk's end is counted with the next chunk
            end = amp if amp >= 0 and b";" not in text[amp:] and len(text) - amp < 1024 else len(text)
            uses.update(_ENTITY_REF.findall(text, 0, end))
            carry = text[end:]
    return uses


def check_xml(path: Path, limits: Limits) -> None:
    """Refuse RDF/XML that nests deeper than ``max_depth`` elements or whose DOCTYPE could make a
    parser expand without bound; read once by expat, which stops at the first refusal.

    Allowed: simple entities (``<!ENTITY xsd "http://www.w3.org/2001/XMLSchema#">``, as ontology
    editors write) whose uses add at most four times the file's size plus 16 MiB. Refused:
    entities whose text holds a reference or markup (the billion laughs), external and
    parameter entities, and attribute-list declarations (their defaults repeat on every element).
    """
    import pyexpat

    limit = limits.max_depth
    uses: Counter[bytes] | None = None  # counted at the first entity declaration
    budget = 4 * path.stat().st_size + ENTITY_SLACK
    expanded = 0
    depth = 0

    def refuse(why: str) -> None:
        raise RDFLimitError(f"{path}: line {parser.CurrentLineNumber}: {why}")

    def entity(name: str, is_param: int, value: str | None, base: Any, system: Any, public: Any, notation: Any) -> None:
        nonlocal expanded, uses
        if is_param:
            refuse(f"declares a parameter entity '%{name};', which egovkg does not read")
        if value is None:
            refuse(f"declares an external entity '{name}' ({system}), which egovkg never loads")
        if "&" in value or "<" in value or "%" in value:
            refuse(f"entity '{name}' refers to other entities or holds markup (an entity-expansion bomb)")
        if uses is None:
            uses = _entity_uses(path)
        expanded += len(value.encode("utf-8")) * uses[name.encode("utf-8")]
        if expanded > budget:
            refuse(f"its entities would expand to more than {_mb(budget)} (an entity-expansion bomb)")

    def attlist(*_args: Any) -> None:
        refuse("declares default attributes (<!ATTLIST>), which egovkg does not read")

    def start(_name: str, _attrs: Any) -> None:
        nonlocal depth
        depth += 1
        if depth > limit:
            raise too_deep(path, limit, f"line {parser.CurrentLineNumber}: elements ")

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    parser = pyexpat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = entity
    parser.AttlistDeclHandler = attlist
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        with path.open("rb") as fh:
            parser.ParseFile(fh)
    except pyexpat.ExpatError as exc:
        # refused, not left to the RDF parser: one more lenient about a broken DOCTYPE could
        # go on to expand what expat never got to check
        where = f"line {exc.lineno}, column {exc.offset + 1}"
        raise RDFInputError(f"{path}: {where}: not well-formed XML: {pyexpat.ErrorString(exc.code)}") from exc
