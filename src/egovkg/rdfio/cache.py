"""Do not rebuild an unchanged graph: a cache of the built graph keyed on its inputs' checksums.

The key is the sha256 of every input file (data/, the ontology, the package's
own code), the base IRI and the version; any change gives a new key and a
rebuild. The cached graph is N-Triples under build/cache/ (and, for `push
--named-graphs`, the dataset as TriG), written atomically.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from egovkg import __version__
from egovkg.paths import Layout

if TYPE_CHECKING:
    from egovkg.graph.build import KnowledgeGraph

CACHE_DIR = "cache"
STAMP = "inputs.stamp"
CLOCK_STEP_NS = 1_000_000_000  # file times are coarse: a clock tick on Linux, 1 s on some file systems


def _inputs(layout: Layout) -> list[Path]:
    files = [p for p in layout.data.rglob("*") if p.is_file() and not p.name.startswith(".")]
    files += [layout.ontology]
    files += sorted(Path(__file__).resolve().parents[1].rglob("*.py"))
    return sorted(files)


def inputs_digest(layout: Layout, base: str) -> str:
    """The sha256 of the inputs' contents.

    While no input's size, times or inode changed since it was noted (build/cache/inputs.stamp),
    the digest noted then stands and no file is read, as make decides. A file changed within a
    clock step before its times were read may change again without new times (file times are
    coarse), so such a stamp is not trusted, nor written: git's rule for "racily clean" files."""
    looked = time.time_ns()
    files = _inputs(layout)
    stamp_file = layout.build / CACHE_DIR / STAMP
    stamp, newest = _stamp(files, base)
    try:
        noted = stamp_file.read_bytes()
    except OSError:
        noted = b""
    if noted.startswith(stamp):
        when, _, digest = noted[len(stamp) :].decode("ascii", "replace").partition(" ")
        if when.isdigit() and newest < int(when) - CLOCK_STEP_NS and len(digest) == 65:
            return digest[:-1]
    import hashlib  # here: OpenSSL takes milliseconds to load, and an unchanged graph never needs it

    h = hashlib.sha256()
    h.update(f"egovkg {__version__}\0{base}\0".encode())
    for path in files:
        rel = path.relative_to(layout.root) if path.is_relative_to(layout.root) else Path(path.name)
        h.update(str(rel).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    digest = h.hexdigest()
    if newest < looked - CLOCK_STEP_NS:
        from egovkg.errors import OutputError
        from egovkg.util.atomic import write_bytes

        with contextlib.suppress(OutputError):  # only a shortcut: a folder that cannot hold it costs the hashing
            write_bytes(stamp_file, stamp + f"{looked} {digest}\n".encode("ascii"))
    return digest


def _stamp(files: list[Path], base: str) -> tuple[bytes, int]:
    """Each file's size, times and inode, one line each; and the newest change time (a write, or
    a change of the other times, sets it to the clock's time)."""
    lines = [f"egovkg {__version__}\0{base}\n".encode()]
    newest = 0
    for path in files:
        st = path.stat()
        lines.append(
            b"%s\0%d\0%d\0%d\0%d\n" % (os.fsencode(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        )
        newest = max(newest, st.st_ctime_ns)
    return b"".join(lines), newest


def cached_ntriples(layout: Layout, base: str) -> Path:
    """The built graph as N-Triples (all named graphs in one), built only when an input changed
    since the last call."""
    return _cached(layout, base, "nt", lambda kg: _serialised(kg.union(), "nt"))


def cached_trig(layout: Layout, base: str) -> Path:
    """The built dataset as TriG, one named graph per origin (announcement, curated, ontology),
    built only when an input changed since the last call."""
    return _cached(layout, base, "trig", lambda kg: _serialised(kg.dataset(), "trig"))


def _serialised(graph: Any, fmt: str) -> bytes:
    from egovkg.rdfio.export import serialise  # imports rdflib: only when the cache is (re)built

    return serialise(graph, fmt)


def _cached(layout: Layout, base: str, suffix: str, render: Callable[[KnowledgeGraph], bytes]) -> Path:
    digest = inputs_digest(layout.check(), base)
    folder = layout.build / CACHE_DIR
    target = folder / f"graph-{digest[:20]}.{suffix}"
    if target.is_file():
        return target
    from egovkg.graph.build import build
    from egovkg.util.atomic import write_bytes

    write_bytes(target, render(build(layout, base=base)))
    for old in folder.glob(f"graph-*.{suffix}"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def cached_file(layout: Layout, base: str, suffix: str) -> Path | None:
    """The cached graph (``nt`` or ``trig``) for the current inputs if the cache holds it; None
    (nothing is built) if not."""
    target = layout.build / CACHE_DIR / f"graph-{inputs_digest(layout.check(), base)[:20]}.{suffix}"
    return target if target.is_file() else None


def cached_graph(layout: Layout, base: str) -> dict[str, bytes] | None:
    """The cached graph's N-Triples (the union, sorted, as the export writes it) and TriG (one
    named graph per origin), or None. Imports no RDF library: the build asks it first, and forks
    its pinyin reader before rdflib is loaded."""
    paths = {suffix: cached_file(layout, base, suffix) for suffix in ("nt", "trig")}
    try:
        dumps = {suffix: path.read_bytes() for suffix, path in paths.items() if path is not None}
    except OSError:  # gone meanwhile
        return None
    return dumps if len(dumps) == 2 else None


def keep(layout: Layout, base: str, files: dict[str, bytes]) -> None:
    """Put a graph built elsewhere (the main job's) in the cache: ``files`` by suffix (``nt``: the
    union as :func:`cached_ntriples` writes it, ``trig``: the dataset as :func:`cached_trig` does).
    Only a shortcut for later commands: a folder that cannot hold it is left as it is."""
    from egovkg.errors import OutputError
    from egovkg.util.atomic import write_bytes

    digest = inputs_digest(layout.check(), base)
    folder = layout.build / CACHE_DIR
    for suffix, data in sorted(files.items()):
        target = folder / f"graph-{digest[:20]}.{suffix}"
        with contextlib.suppress(OutputError, OSError):
            if not target.is_file():
                write_bytes(target, data)
            for old in folder.glob(f"graph-*.{suffix}"):
                if old != target:
                    old.unlink(missing_ok=True)
