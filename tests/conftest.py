"""Session fixtures: the real files, read and built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from egovkg.build import KnowledgeGraph, build
from egovkg.curated import SCHEMAS, read_table
from egovkg.extract import Extractor, Gazetteer, Lexicon
from egovkg.model import Extraction
from egovkg.paths import Layout

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def layout() -> Layout:
    return Layout(ROOT)


@pytest.fixture(scope="session")
def extractor(layout: Layout) -> Extractor:
    categories = [r["name_zh"] for r in read_table(layout.curated / "categories.csv", SCHEMAS["categories"])]
    return Extractor(Lexicon.load(layout.lexicon), Gazetteer.load(layout.gazetteer), categories)


@pytest.fixture(scope="session")
def source_text(layout: Layout) -> str:
    return (layout.sources / "announcement-2012.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def extraction(extractor: Extractor, source_text: str) -> Extraction:
    return extractor.extract(source_text, source="announcement-2012.txt")


@pytest.fixture(scope="session")
def kg(layout: Layout) -> KnowledgeGraph:
    return build(layout)


@pytest.fixture(scope="session")
def graph(kg: KnowledgeGraph):
    return kg.union()
