"""The registry of the build's outputs, each with the inputs its bytes depend on.

An output is rendered when the key of its inputs differs from the one recorded with the
published set, and hard-linked from that set otherwise (see :mod:`egovkg.util.generations`).
A new output is one :func:`register` call: its name, the inputs it depends on, the build
option that selects it (None: always) and a function that writes its entries into a folder.
Outputs are rendered side by side, each in a forked process (:mod:`egovkg.util.forked`): a
render function writes only its own entries, and returns them. One that does not depend on
the graph starts before the graph is built, in a folder of its own.

Inputs (computed once per build, see :mod:`egovkg.pipeline`):

- ``graph``: the built dataset (its sorted N-Triples and its TriG, so a triple moved to
  another named graph counts), ``ontology``: ontology/egovkg.ttl, ``queries``: the catalogue,
  ``code``: the egovkg package (code, templates, vendored files), ``base``: the base IRI,
  ``options``: the outputs the build was asked for (the explorer links the site's query page).

Entries are paths relative to the set: ``viz/NAME`` is published as ``viz/NAME`` of the
project, anything else as ``OUT/<first part>`` (a file, or a folder such as ``site``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INPUTS = ("graph", "ontology", "queries", "code", "base", "options")


@dataclass(frozen=True)
class Output:
    name: str
    inputs: tuple[str, ...]
    render: Callable[[Any, Path], list[str]]  # (the build context, the set's folder) -> entries written
    option: str | None = None  # "views", "docs", "site": the `egovkg build --no-X` that leaves it out
    label: str = ""  # shown in the progress display
    cost: float = 1.0  # its rough render time, relative: a build starts the costliest first
    # it draws on the explorer's views (Context.views): the build lays them out once, before it
    # forks the first such output, so the processes share them instead of each making its own
    uses_views: bool = False
    # inputs whose change alone is met by rewriting a few files of the previous entries (the
    # site's query page embeds the catalogue): ``refresh`` rewrites them in the set's folder,
    # into which those entries are linked, and returns the files it wrote
    refreshes: tuple[str, ...] = ()
    refresh: Callable[[Any, Path], list[str]] | None = None
    # files of its entries that are another output's files, byte for byte: (its file, the other
    # output's file), paths in the set. ``render`` does not make them; once every output of the
    # build is rendered, each is hard-linked from the other's (the site's dumps are the exports)
    borrows: tuple[tuple[str, str], ...] = ()

    def key(self, inputs: Mapping[str, str]) -> str:
        h = hashlib.sha256(self.name.encode())
        for name in self.inputs:
            h.update(b"\0" + name.encode() + b"=" + inputs[name].encode())
        return h.hexdigest()

    def base_key(self, inputs: Mapping[str, str]) -> str | None:
        """The key of the inputs ``refresh`` cannot make up for (None: it has no refresh): two
        sets with the same base key differ only in the files ``refresh`` writes."""
        if self.refresh is None:
            return None
        return self.key({name: "" if name in self.refreshes else value for name, value in inputs.items()})


def replace_file(path: Path, data: bytes) -> None:
    """Write ``path`` as a new file: a hard link to a published set's file is unlinked first,
    never written through."""
    path.unlink(missing_ok=True)
    path.write_bytes(data)


OUTPUTS: dict[str, Output] = {}


def register(output: Output) -> Output:
    unknown = set(output.inputs) - set(INPUTS)
    if unknown:
        raise ValueError(f"output {output.name}: unknown inputs {sorted(unknown)}; known: {', '.join(INPUTS)}")
    OUTPUTS[output.name] = output
    return output


def write_files(folder: Path, files: Mapping[str, bytes]) -> list[str]:
    """Write ``files`` (relative path -> bytes) under ``folder``; the top entries written."""
    entries = []
    for rel, data in sorted(files.items()):
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        entries.append(entry_of(rel))
    return sorted(set(entries))


def entry_of(rel: str) -> str:
    """The entry a file belongs to: viz/NAME itself, else its first path part."""
    parts = Path(rel).parts
    return "/".join(parts[:2]) if parts[0] == "viz" else parts[0]


def public_path(entry: str, out: Path, viz: Path) -> Path:
    if entry.startswith("viz/"):
        return viz / entry.removeprefix("viz/")
    return out / entry


__all__ = ["INPUTS", "OUTPUTS", "Output", "entry_of", "public_path", "register", "replace_file", "write_files"]
