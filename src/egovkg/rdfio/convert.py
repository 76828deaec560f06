"""Convert RDF files of any size, streamed by Oxigraph, in constant memory.

This module imports neither rdflib nor the build: converting a million triples
costs Oxigraph's buffers and not much more than a bare Python process. Files with
blank nodes are the exception: relabelling them (see convert_files) keeps one map entry
per distinct blank node of the file being read, and a Python step per triple.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from egovkg.errors import EgovkgError, NamedGraphsError, RDFInputError
from egovkg.graph.prefixes import STANDARD_PREFIXES, resource_prefixes
from egovkg.rdfio.formats import RDF_FORMATS, by_suffix, rdf_format

if TYPE_CHECKING:
    from egovkg.util.limits import Limits

STORES = ("oxigraph", "memory")  # embedded query stores; the first is the default
DEFAULT_STORE = STORES[0]

# The syntax that makes a blank node, by input format: a file with none of these has none,
# and skips the relabelling. "(" is a collection, "<<" and "~" RDF 1.2 reifiers, "{|" an
# annotation. N3 (paths, formulas), RDF/XML and JSON-LD make blank nodes from structure:
# not listed, always relabelled.
_TURTLE_MARKS = (b"_:", b"[", b"(", b"<<", b"~", b"{|")
SCAN_CHUNK = 1 << 20
BLANK_NODE_MARKS = {"N_TRIPLES": (b"_:",), "N_QUADS": (b"_:",), "TURTLE": _TURTLE_MARKS, "TRIG": _TURTLE_MARKS}
# XML 1.0 cannot hold these, not even as character references: C0 controls other than tab,
# line feed and carriage return, and U+FFFE, U+FFFF. Oxigraph's XML writers copy them raw,
# giving a file no XML parser reads.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NOT_XML_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
# every byte but those C0 controls: what bytes.translate deletes to find them (a C loop, ten
# times the regular expression's speed on text that has none, as nearly all text has)
_XML_BYTES = bytes(b for b in range(256) if not _NOT_XML_BYTES.fullmatch(bytes([b])))


class NotXMLError(EgovkgError):
    """A value holds a character XML 1.0 cannot hold."""


def _not_xml(char: str, what: str) -> NotXMLError:
    return NotXMLError(
        f"{what}: a value holds U+{ord(char):04X}, a character XML 1.0 cannot hold; choose another format"
    )


def xml_safe(data: bytes, what: str) -> bytes:
    """XML written by Oxigraph, made to read back as written: a carriage return in a value
    becomes ``&#13;`` (an XML parser turns a raw one into a line feed), and a character XML
    cannot hold at all is a NotXMLError naming ``what`` (Oxigraph writes only values raw)."""
    if data.translate(None, _XML_BYTES) or b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data:
        bad = _NOT_XML_BYTES.search(data)
        if bad:
            raise _not_xml(bad.group().decode("utf-8"), what)
    return data.replace(b"\r", b"&#13;")


class _XMLWriter:
    """A binary file for ox.serialize that writes each carriage return as ``&#13;``."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh

    def write(self, data: bytes) -> int:
        self.fh.write(bytes(data).replace(b"\r", b"&#13;"))
        return len(data)  # Oxigraph counts what it handed over

    def flush(self) -> None:
        self.fh.flush()


def _xml_checked(path: Path, quads: Iterator[Any]) -> Iterator[Any]:
    """``quads``, refusing a literal XML 1.0 cannot hold (RDF/XML output), naming the file."""
    import pyoxigraph as ox

    literal = ox.Literal
    for q in quads:
        o = q.object
        if type(o) is literal:
            bad = _NOT_XML.search(o.value)
            if bad:
                raise _not_xml(bad.group(), f"{path}: cannot be written as RDF/XML")
        yield q


BOM = b"\xef\xbb\xbf"


def open_past_bom(path: Path) -> BinaryIO | None:
    """``path`` opened past a leading UTF-8 byte order mark, or None when it has none (or
    cannot be opened: the parser then says why). Oxigraph and rdflib read a BOM, which
    Windows editors write, as a character of the document ("\ufeff is not a valid subject")."""
    try:
        fh = path.open("rb")
    except OSError:
        return None
    if fh.read(len(BOM)) == BOM:
        return fh
    fh.close()
    return None


@contextlib.contextmanager
def oxigraph_source(path: Path) -> Iterator[dict[str, Any]]:
    """pyoxigraph's input arguments for ``path``: the file opened past a UTF-8 byte order mark
    if it has one (closed on leaving), else the path for Oxigraph to open itself."""
    past_bom = open_past_bom(path)
    if past_bom is None:
        yield {"path": str(path)}
        return
    with past_bom:
        yield {"input": past_bom}


def not_a_file(path: Path) -> str:
    """Why ``path``, which is not a regular file, cannot be read as RDF: the files are read twice
    (a scan for blank nodes, then the parser), which a FIFO or a device cannot give."""
    return "not a regular file (a folder, FIFO or device): give an RDF file" if path.exists() else "no such file"


def input_format(path: Path) -> str:
    """The pyoxigraph RdfFormat name of an RDF file, by suffix; the file must exist."""
    found = by_suffix(path.suffix)
    kind = found.ox_name if found else None
    if kind is None:
        raise RDFInputError(f"{path}: unknown RDF file type '{path.suffix}'")
    if not path.is_file():
        raise RDFInputError(f"{path}: {not_a_file(path)}")
    return kind


def convert_files(files: list[Path], fmt: str, path: Path, limits: Limits | None = None) -> None:
    """Convert RDF files to one format: input order kept, output written with atomic_open.

    Blank nodes are relabelled ``_:f<i>b<n>``: the n-th distinct blank node, in the order the
    parser meets them (subject, object, graph of each triple in turn), of the i-th file
    (both from 1). Labels are scoped to their document, so two files' ``_:n1`` stay two
    nodes, and the same input gives the same bytes: Oxigraph alone would print random ids.
    Named graphs (and N3 formulas) are refused for the triple formats, naming the file.
    Every input passes egovkg.util.limits (``limits``, default Limits.from_env()) before the
    output is opened.
    """
    from egovkg.util.limits import check_rdf_input, resolve

    out = rdf_format(fmt).oxigraph
    lim = resolve(limits)
    for f in files:
        check_rdf_input(f, input_format(f), lim)
    # Turtle, N-Triples, RDF/XML hold one graph: let the parser stop at the first named
    # graph, so the error names the file that has it (Oxigraph's serializer cannot say).
    triples_only = not out.supports_datasets
    reading: list[Path] = []  # the file being read, to name in errors only the serializer sees
    kwargs: dict[str, Any] = {"format": out}
    if fmt in ("ttl", "trig", "xml"):
        kwargs["prefixes"] = {**STANDARD_PREFIXES, **resource_prefixes()}
    # the inputs opened past a byte order mark are closed however the conversion ends
    with contextlib.ExitStack() as opened:
        streams = [_read(i, f, fmt, triples_only, reading, opened) for i, f in enumerate(files, 1)]
        if fmt == "xml":
            streams = [_xml_checked(f, stream) for f, stream in zip(files, streams, strict=True)]
        _write(streams, path, fmt, kwargs, reading)


def _write(streams: list[Iterator[Any]], path: Path, fmt: str, kwargs: dict[str, Any], reading: list[Path]) -> None:
    import pyoxigraph as ox

    from egovkg.util.atomic import atomic_open

    with atomic_open(path, "wb") as fh:
        try:
            ox.serialize(itertools.chain(*streams), _XMLWriter(fh) if fmt == "xml" else fh, **kwargs)
        except OSError as exc:
            if exc.errno is not None:
                raise  # the disk's: atomic_open names the output
            # Oxigraph's own refusal, such as "JSON-LD does not support RDF 1.2 yet"
            where = reading[-1] if reading else path
            raise RDFInputError(f"{where}: cannot be written as {RDF_FORMATS[fmt].label}: {exc}") from exc


def _read(
    index: int, path: Path, fmt: str, triples_only: bool, reading: list[Path], opened: contextlib.ExitStack
) -> Iterator[Any]:
    """The quads of one input file, blank nodes relabelled, errors naming the file.

    The file is opened here, before the output is: a missing or unreadable input fails
    before anything is written, even to a FIFO or a device.
    """
    import pyoxigraph as ox

    kind = input_format(path)
    source = opened.enter_context(oxigraph_source(path))
    try:
        quads = ox.parse(
            **source,
            format=getattr(ox.RdfFormat, kind),
            rename_blank_nodes=True,
            without_named_graphs=triples_only,
        )
        if _may_hold_blank_nodes(path, kind):
            quads = _relabel(quads, f"f{index}b")
    except OSError as exc:
        raise RDFInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return _named(path, quads, fmt if triples_only else None, reading)


def _named(path: Path, stream: Iterator[Any], triples_fmt: str | None, reading: list[Path]) -> Iterator[Any]:
    """Re-raise a parse error of ``stream`` naming the file it came from."""
    reading.append(path)
    try:
        yield from stream
    except SyntaxError as exc:
        if triples_fmt and "named graph" in str(exc).lower():
            name = RDF_FORMATS[triples_fmt].label
            if path.suffix.lower() == ".n3":  # Oxigraph reads each N3 formula as a named graph
                raise NamedGraphsError(
                    f"{path}: N3 formulas ({{ ... }}) cannot be converted to {name}; "
                    "choose --format trig to keep each formula as a named graph",
                    file=str(path),
                ) from exc
            raise NamedGraphsError(
                f"{path}: has named graphs, which {name} cannot hold; choose --format trig", file=str(path)
            ) from exc
        from egovkg.util.limits import oxigraph_context_error

        refused = oxigraph_context_error(path, str(exc))
        if refused is not None:
            raise refused from exc
        raise RDFInputError(f"{path}: not valid RDF: {exc}") from exc
    except OSError as exc:
        raise RDFInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _relabel(quads: Iterator[Any], prefix: str) -> Iterator[Any]:
    """``quads`` with each blank node renamed ``<prefix><n>``, n counting from 1 in order of appearance.

    Costs a Python step per triple and a map entry per blank node (as Oxigraph's own
    renaming does), so it runs only on files that may hold blank nodes: 1.3-1.5x raw
    Oxigraph's time when few triples have one, up to 5x when every triple does (rebuilding
    a Quad in Python is the cost; an N-Quads text round trip measured only 15% faster).
    """
    import pyoxigraph as ox

    blank, triple, quad, default = ox.BlankNode, ox.Triple, ox.Quad, ox.DefaultGraph
    names: dict[Any, Any] = {}

    def rename(term: Any) -> Any:
        if type(term) is blank:
            new = names.get(term)
            if new is None:
                new = names[term] = blank(f"{prefix}{len(names) + 1}")
            return new
        if type(term) is triple:  # an RDF 1.2 triple term may hold blank nodes
            return triple(rename(term.subject), term.predicate, rename(term.object))
        return term

    for q in quads:
        s, o, g = q.subject, q.object, q.graph_name
        if type(s) is blank or type(o) is blank or type(o) is triple or type(g) is blank:
            # None, not DefaultGraph(): Quad() tries each term type in turn, and each miss costs
            # a Python exception (about 1.5 us for a DefaultGraph, against 0.2 us for None)
            yield quad(rename(s), q.predicate, rename(o), None if type(g) is default else rename(g))
        else:
            yield q


def _may_hold_blank_nodes(path: Path, kind: str) -> bool:
    """False only if ``path`` surely has no blank node: none of the syntax that makes one.

    One memchr-speed pass in 1 MiB reads (not mmap, whose pages would count in the RSS of a
    process that otherwise streams in constant memory); the parser then reads the file from
    the page cache. On any doubt, True, which is merely slower.
    """
    marks = BLANK_NODE_MARKS.get(kind)
    if marks is None:
        return True
    keep = max(len(m) for m in marks) - 1  # a mark may straddle two reads
    try:
        with path.open("rb", buffering=0) as fh:
            tail = b""
            while chunk := fh.read(SCAN_CHUNK):
                seam = tail + chunk[:keep]
                if any(_contains(seam, m) or _contains(chunk, m) for m in marks):
                    return True
                tail = chunk[-keep:] if keep else b""
    except OSError:
        return True  # the parser will say what is wrong with the file
    return False


def _contains(data: bytes, mark: bytes) -> bool:
    # find() of a two-byte needle runs near 1 GB/s, of one byte (memchr) ten times faster:
    # look for the first byte, and give up on the shortcut only when it is common ("<" of <<).
    first = mark[:1]
    at = data.find(first)
    for _ in range(64):
        if at < 0:
            return False
        if data[at : at + len(mark)] == mark:
            return True
        at = data.find(first, at + 1)
    return at >= 0 and data.find(mark, at) >= 0
