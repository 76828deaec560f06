"""The one module that knows the project layout; everything else takes explicit paths."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _find_root() -> Path:
    env = os.environ.get("EGOVKG_HOME")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in [Path.cwd(), *Path.cwd().parents, *here.parents]:
        if (parent / "data" / "curated").is_dir() and (parent / "ontology").is_dir():
            return parent
    return Path.cwd()


@dataclass(frozen=True)
class Layout:
    root: Path

    @classmethod
    def default(cls) -> Layout:
        return cls(_find_root())

    def check(self) -> Layout:
        """This layout, if it holds a project (data/curated and the ontology); else DataError."""
        from egovkg.errors import DataError

        missing = [p for p in (self.curated, self.ontology) if not p.exists()]
        if missing:
            raise DataError(
                f"no egovkg project here ({', '.join(str(p.relative_to(self.root)) for p in missing)} missing): "
                "run inside a checkout, or set EGOVKG_HOME to one",
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
        return self.root / "build"

    @property
    def viz(self) -> Path:
        return self.root / "viz"
