"""The one module that knows the project layout; everything else takes explicit paths.

Inputs (data, ontology, shapes, queries) come from a checkout when there is one, so
edits take effect; otherwise from the copy the wheel carries (``egovkg/_shipped``).
Outputs (``build/``, ``viz/``) go to the checkout, or to the current folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent / "_shipped"


def is_project(folder: Path) -> bool:
    return (folder / "data" / "curated").is_dir() and (folder / "ontology").is_dir()


def _find_root() -> Path | None:
    env = os.environ.get("EGOVKG_HOME")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in [Path.cwd(), *Path.cwd().parents, *here.parents]:
        if is_project(parent):
            return parent
    return None


@dataclass(frozen=True)
class Layout:
    root: Path
    out: Path = field(default=None)  # type: ignore[assignment]  # where build/ and viz/ go; root by default

    def __post_init__(self) -> None:
        if self.out is None:
            object.__setattr__(self, "out", self.root)

    @classmethod
    def default(cls) -> Layout:
        """The checkout we are in (or EGOVKG_HOME); else the shipped inputs, writing to the current folder."""
        root = _find_root()
        if root is not None:
            return cls(root)
        return cls(SHIPPED, out=Path.cwd())

    @property
    def shipped(self) -> bool:
        return self.root == SHIPPED

    def check(self) -> Layout:
        """This layout, if it holds a project (data/curated and the ontology); else DataError."""
        from egovkg.errors import DataError

        missing = [p for p in (self.curated, self.ontology) if not p.exists()]
        if missing:
            raise DataError(
                f"no egovkg project here ({', '.join(str(p.relative_to(self.root)) for p in missing)} missing): "
                "point EGOVKG_HOME at a checkout, or unset it to use the graph shipped with egovkg",
                file=str(self.root),
            )
        return self

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sources(self) -> Path:
        return self.data / "sources"

    @property
    def curated(self) -> Path:
        return self.data / "curated"

    @property
    def gazetteer(self) -> Path:
        return self.data / "gazetteer" / "gbt2260.csv"

    @property
    def lexicon(self) -> Path:
        return self.data / "lexicon" / "extractor.toml"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology" / "egovkg.ttl"

    @property
    def shapes(self) -> Path:
        return self.root / "ontology" / "shapes.ttl"

    @property
    def queries(self) -> Path:
        return self.root / "queries"

    @property
    def build(self) -> Path:
        return self.out / "build"

    @property
    def viz(self) -> Path:
        return self.out / "viz"
