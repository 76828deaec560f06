"""Synthetic e-government graphs in the egovkg ontology, deterministic from a seed.

The graph has what the real one has, at scale: the real region hierarchy (GB/T
2260, from data/gazetteer), agencies with parents and kinds in those regions,
selections over many years, awards in the four categories with practices,
recipients and programmes, persons, accounts, milestones, and text spans.

    python benchmarks/generate.py --triples 100000 --seed 1 -o /tmp/synthetic-100k.nt
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/egovkg/id/"
EGOV = "https://w3id.org/egovkg/ontology#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
PREF = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
ALT = "<http://www.w3.org/2004/02/skos/core#altLabel>"
NOTATION = "<http://www.w3.org/2004/02/skos/core#notation>"
CONTAINED = "<https://schema.org/containedInPlace>"
SUBORG = "<http://www.w3.org/ns/org#subOrganizationOf>"
XSD = "http://www.w3.org/2001/XMLSchema#"
CATEGORIES = ["management-innovation", "public-service", "technology-application", "government-microblog"]
KINDS = [
    "government-office",
    "public-institution",
    "court",
    "procuratorate",
    "public-security",
    "party-organ",
    "local-government",
    "central-ministry",
    "enterprise",
]
PROGRAMMES = [
    "golden-audit",
    "golden-customs",
    "golden-tax",
    "golden-shield",
    "golden-social-security",
    "golden-agriculture",
    "golden-water",
    "golden-quality",
    "golden-finance",
    "golden-macro",
]
UNITS = ["信息中心", "电子政务办公室", "行政服务中心", "公安局", "卫生局", "人民法院", "人民检察院", "发展和改革委员会"]


def iri(path: str) -> str:
    return f"<{ID}{path}>"


def lit(value: str, lang: str | None = None) -> str:
    text = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"@{lang}' if lang else f'"{text}"'


def typed(value: object, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def labels(s: str, zh: str, en: str) -> Iterator[str]:
    for prop in (RDFS_LABEL, PREF):
        yield f"{s} {prop} {lit(zh, 'zh')} ."
        yield f"{s} {prop} {lit(en, 'en')} ."


def regions() -> list[dict[str, str]]:
    with (ROOT / "data/gazetteer/gbt2260.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def generate(target: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    count = 0

    def emit(lines: Iterator[str]) -> Iterator[str]:
        nonlocal count
        for line in lines:
            count += 1
            yield line

    def region_lines() -> Iterator[str]:
        for r in regions():
            s = iri(f"region/{r['code']}")
            yield f"{s} {RDF_TYPE} <{EGOV}Region> ."
            yield f"{s} {NOTATION} {lit(r['code'])} ."
            yield from labels(s, r["name"], f"Region {r['code']}")
            parent = r["parent"] or "000000"
            yield f"{s} {CONTAINED} {iri('region/' + parent)} ."

    yield from emit(region_lines())
    codes = [r["code"] for r in regions() if r["level"] != "province"]
    for c in CATEGORIES:
        yield from emit(iter([f"{iri('category/' + c)} {RDF_TYPE} <{EGOV}AwardCategory> ."]))
    for p in PROGRAMMES:
        s = iri(f"programme/{p}")
        yield from emit(iter([f"{s} {RDF_TYPE} <{EGOV}Programme> .", *labels(s, p, p)]))
    agencies: list[str] = []
    year = 2012
    n = 0
    while count < target:
        n += 1
        if n % 400 == 1:
            year += 1
            sel = iri(f"selection/synthetic-{year}")
            yield from emit(
                iter(
                    [
                        f"{sel} {RDF_TYPE} <{EGOV}Selection> .",
                        *labels(sel, f"{year}年评选", f"Selection {year}"),
                        f"{sel} <https://schema.org/startDate> {typed(year, 'gYear')} .",
                    ]
                )
            )
        if n % 3 == 1 or not agencies:
            code = rng.choice(codes)
            a = iri(f"agency/synthetic-{len(agencies)}")
            unit = rng.choice(UNITS)
            lines = [
                f"{a} {RDF_TYPE} <{EGOV}Agency> .",
                *labels(a, f"{code}{unit}", f"Agency {len(agencies)}"),
                f"{a} {ALT} {lit(f'agency {len(agencies)}', 'zh-latn-pinyin')} .",
                f"{a} <{EGOV}region> {iri('region/' + code)} .",
                f"{a} <{EGOV}agencyKind> {iri('agency-kind/' + rng.choice(KINDS))} .",
            ]
            if agencies and rng.random() < 0.4:
                lines.append(f"{a} {SUBORG} {rng.choice(agencies)} .")
            agencies.append(a)
            yield from emit(iter(lines))
        cat = CATEGORIES[n % 4]
        rank = (n // 4) % 10 + 1
        aw = iri(f"award/{year}-{cat}-{n:07d}")
        pr = iri(f"practice/{year}-{cat}-{n:07d}")
        span = iri(f"span/synthetic/{n * 40}-{n * 40 + 30}")
        lines = [
            f"{aw} {RDF_TYPE} <{EGOV}Award> .",
            *labels(aw, f"{year}年第{rank}名", f"{year} award {n}"),
            f"{aw} <{EGOV}category> {iri('category/' + cat)} .",
            f"{aw} <{EGOV}rank> {typed(rank, 'integer')} .",
            f"{aw} <{EGOV}practice> {pr} .",
            f"{aw} <{EGOV}selection> {iri(f'selection/synthetic-{year}')} .",
            f"{aw} <{EGOV}recipient> {rng.choice(agencies)} .",
            f"{aw} <http://www.w3.org/ns/prov#wasDerivedFrom> {span} .",
            f"{pr} {RDF_TYPE} <{EGOV}Practice> .",
            *labels(pr, f"实践{n}", f"Practice {n}"),
            f"{pr} <{EGOV}region> {iri('region/' + rng.choice(codes))} .",
            f"{span} <http://www.w3.org/ns/oa#hasSource> {iri('source/synthetic')} .",
        ]
        if rng.random() < 0.3:
            lines.append(f"{pr} <{EGOV}relatedProgramme> {iri('programme/' + rng.choice(PROGRAMMES))} .")
        if rng.random() < 0.15:
            lines.append(f"{aw} <{EGOV}recipient> {rng.choice(agencies)} .")
        yield from emit(iter(lines))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--triples", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8") as fh:
        for line in generate(args.triples, args.seed):
            fh.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
