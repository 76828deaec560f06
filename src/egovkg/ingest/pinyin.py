"""The pinyin of the curated names (pypinyin), which the graph gives as ``@zh-latn-pinyin`` labels.

pypinyin's dictionaries take about 0.3 s to load, so this module imports it only when a
reading is asked for, and :func:`readings` (the curated tables only, no rdflib) lets a
build read every name's pinyin in another process while it reads the announcement.
"""

from __future__ import annotations

from pathlib import Path

from egovkg.ingest.curated import load_curated

TABLES = ("agencies", "persons", "programmes")  # whose name_zh the graph gives in pinyin


def pinyin(name: str) -> str:
    """'宜昌市' -> 'yi chang shi' (pypinyin's lazy_pinyin, phrases included, no tone marks)."""
    from pypinyin import lazy_pinyin

    return " ".join(s for s in lazy_pinyin(name) if s.strip())


def readings(curated: Path, sources_csv: Path, gazetteer: Path) -> dict[str, str]:
    """The pinyin of every name of :data:`TABLES` in the curated tables."""
    cur = load_curated(curated, sources_csv, gazetteer)
    return {row["name_zh"]: pinyin(row["name_zh"]) for table in TABLES for row in cur[table].values()}


__all__ = ["TABLES", "pinyin", "readings"]
