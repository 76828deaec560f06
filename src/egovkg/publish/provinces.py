"""The explorer's map: awards per provincial-level division, as a tile-grid cartogram.

Each award's practice has a region (``egov:region``); the region is rolled up
through ``schema:containedInPlace`` to the first region whose
``egov:administrativeLevel`` is provincial. Central bodies sit in the national
region (GB/T 2260 code 000000) and are counted as one national entry. This is
the roll-up ``queries/awards-by-province.rq`` does; ``tests/test_explorer_map.py``
checks the two agree.

The map is drawn on a tile grid (``templates/explorer/province-tiles.csv``): one
square per division, placed by hand so that neighbours stay roughly neighbours,
with GB/T 2260 codes, ISO 3166-2:CN letters and names. It is this project's own
layout, so no boundary data (and no question of its licence) is involved.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SDO, SKOS

from egovkg.graph.namespaces import EGOV
from egovkg.publish.addresses import ExplorerError, asset, curie, graph_href, labels, site_href

NATIONAL = "000000"
TILE = 60  # px of one tile in the SVG's own units
GAP = 4
LEVEL_PROVINCIAL = "level/provincial"
LEVEL_NATIONAL = "level/national"


@dataclass(frozen=True)
class Tile:
    code: str
    col: int
    row: int
    iso: str
    zh: str
    short_zh: str
    en: str


@dataclass(frozen=True)
class AwardRef:
    iri: str
    curie: str
    zh: str
    en: str
    practice_zh: str
    practice_en: str
    category_zh: str
    category_en: str
    rank: int | None


@dataclass
class Province:
    tile: Tile
    region: str | None = None  # the region's IRI, when the graph has it
    awards: list[AwardRef] = field(default_factory=list)


def tiles() -> list[Tile]:
    """The tile grid, in file order (checked: unique codes and cells)."""
    rows = list(csv.DictReader(io.StringIO(asset("province-tiles.csv"))))
    out = [Tile(r["code"], int(r["col"]), int(r["row"]), r["iso"], r["zh"], r["short_zh"], r["en"]) for r in rows]
    if len({t.code for t in out}) != len(out) or len({(t.col, t.row) for t in out}) != len(out):
        raise ExplorerError("province-tiles.csv: two tiles share a code or a cell")
    return out


def _code(graph: Graph, region: URIRef) -> str | None:
    codes = sorted(str(o) for o in graph.objects(region, SKOS.notation) if isinstance(o, Literal))
    return codes[0] if codes else None


def _level(graph: Graph, region: URIRef, base: str) -> str:
    levels = sorted(str(o) for o in graph.objects(region, EGOV.administrativeLevel))
    return levels[0][len(base) :] if levels and levels[0].startswith(base) else ""


def provinces_of(graph: Graph, region: URIRef, base: str) -> set[URIRef]:
    """The provincial-level regions a region lies in (itself included), or itself if national."""
    if _level(graph, region, base) == LEVEL_NATIONAL:
        return {region}
    seen: set[URIRef] = set()
    todo = [region]
    found: set[URIRef] = set()
    while todo:
        r = todo.pop()
        if r in seen:
            continue
        seen.add(r)
        if _level(graph, r, base) == LEVEL_PROVINCIAL:
            found.add(r)
        todo.extend(o for o in graph.objects(r, SDO.containedInPlace) if isinstance(o, URIRef))
    return found


def _award(graph: Graph, award: URIRef, base: str) -> AwardRef:
    practice = graph.value(award, EGOV.practice)
    category = graph.value(award, EGOV.category)
    rank = graph.value(award, EGOV.rank)
    zh, en = labels(graph, award)
    pzh, pen = labels(graph, practice) if practice is not None else ("", "")
    czh, cen = labels(graph, category) if category is not None else ("", "")
    return AwardRef(
        str(award),
        curie(str(award), base),
        zh,
        en,
        pzh,
        pen,
        czh,
        cen,
        int(rank) if isinstance(rank, Literal) and str(rank).isdigit() else None,
    )


def awards_by_province(graph: Graph, base: str) -> tuple[list[Province], list[AwardRef]]:
    """Every tile with its awards (sorted by category and rank), and the awards no tile holds."""
    by_code = {t.code: Province(t) for t in tiles()}
    unplaced: list[AwardRef] = []
    for award in sorted(graph.subjects(RDF.type, EGOV.Award), key=str):
        ref = _award(graph, award, base)
        places: set[URIRef] = set()
        for practice in graph.objects(award, EGOV.practice):
            for region in graph.objects(practice, EGOV.region):
                if isinstance(region, URIRef):
                    places |= provinces_of(graph, region, base)
        codes = {c for p in places if (c := _code(graph, p)) is not None and c in by_code}
        for p in places:
            c = _code(graph, p)
            if c in by_code:
                by_code[c].region = str(p)
        for c in codes:
            by_code[c].awards.append(ref)
        if not codes:
            unplaced.append(ref)
    for prov in by_code.values():
        prov.awards.sort(key=lambda a: (a.category_en, a.rank if a.rank is not None else 10**6, a.iri))
    return list(by_code.values()), unplaced


SHADES = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")  # ColorBrewer Blues, light to dark


def _step(n: int, most: int) -> int:
    """Which of the equal-width classes 1..most falls in; -1 for none."""
    return -1 if n <= 0 or most <= 0 else math.ceil(n / most * len(SHADES)) - 1


def _shade(n: int, most: int) -> tuple[str, str]:
    """(fill, text colour) on a sequential blue scale; 0 is a pale grey."""
    i = _step(n, most)
    if i < 0:
        return "#eef1f4", "#56606b"
    return SHADES[i], "#0b1f33" if i < 3 else "#ffffff"


def _legend(most: int) -> list[dict[str, str]]:
    """One swatch per colour used, with the counts it stands for ("0", "1", "2–3", ...)."""
    out = [{"n": "0", "fill": _shade(0, most)[0]}]
    groups: dict[int, list[int]] = {}
    for n in range(1, most + 1):
        groups.setdefault(_step(n, most), []).append(n)
    for i, ns in sorted(groups.items()):
        out.append({"n": str(ns[0]) if len(ns) == 1 else f"{ns[0]}–{ns[-1]}", "fill": SHADES[i]})
    return out


def map_model(graph: Graph, base: str, deployment: str) -> dict[str, Any]:
    """Everything map.html shows: tiles with positions, colours and counts; the awards of each."""
    provinces, unplaced = awards_by_province(graph, base)
    most = max((len(p.awards) for p in provinces), default=0)

    def award_json(a: AwardRef) -> dict[str, Any]:
        return {
            "curie": a.curie,
            "zh": a.zh,
            "en": a.en,
            "practice": [a.practice_zh, a.practice_en],
            "category": [a.category_zh, a.category_en],
            "rank": a.rank,
            "site": site_href(a.iri, base, deployment),
            "graph": graph_href(a.curie),
        }

    tiles_out = []
    for p in provinces:
        t = p.tile
        fill, ink = _shade(len(p.awards), most)
        tiles_out.append(
            {
                "code": t.code,
                "iso": t.iso,
                "zh": t.zh,
                "en": t.en,
                "short_zh": t.short_zh,
                "short_en": t.iso or "CN",
                "national": t.code == NATIONAL,
                "x": t.col * (TILE + GAP),
                "y": t.row * (TILE + GAP),
                "fill": fill,
                "ink": ink,
                "count": len(p.awards),
                "region": curie(p.region, base) if p.region else None,
                "site": site_href(p.region, base, deployment) if p.region else None,
                "awards": [award_json(a) for a in p.awards],
            }
        )
    cols = max(t.col for t in tiles()) + 1
    rows = max(t.row for t in tiles()) + 1
    ranked = sorted(tiles_out, key=lambda t: (-t["count"], t["code"]))
    return {
        "tiles": tiles_out,
        "ranked": ranked,
        "unplaced": [award_json(a) for a in unplaced],
        "width": cols * (TILE + GAP) - GAP,
        "height": rows * (TILE + GAP) - GAP,
        "tile": TILE,
        "most": most,
        "total": len(set(graph.subjects(RDF.type, EGOV.Award))),
        "legend": _legend(most),
    }


__all__ = ["AwardRef", "Province", "Tile", "awards_by_province", "map_model", "provinces_of", "tiles"]
