"""Regenerate data/gazetteer/gbt2260.csv from the division table shipped by cpca.

cpca (PyPI, 0.5.5) carries the national administrative division table with
12-digit codes in ``cpca/resources/adcodes.csv``. We keep the 6-digit GB/T 2260
part, drop the placeholder rows (市辖区, 省直辖县级行政区划) that are not places,
and compute each region's level and parent from the code structure.

Run:  python scripts/make_gazetteer.py   (needs ``pip install cpca==0.5.5``)
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

SUFFIXES = ["特别行政区", "自治区", "自治州", "自治县", "新区", "地区", "省", "市", "区", "县", "旗", "盟"]
PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def main() -> int:
    spec = importlib.util.find_spec("cpca")
    if spec is None or spec.origin is None:
        sys.stderr.write("cpca is not installed: pip install cpca==0.5.5\n")
        return 2
    table = Path(spec.origin).parent / "resources" / "adcodes.csv"
    with table.open(encoding="utf-8") as fh:
        rows = {r["adcode"][:6]: r["name"] for r in csv.DictReader(fh)}
    nations = (table.parent / "56_nations.csv").read_text(encoding="utf-8").split()
    # 维吾尔族 is written 维吾尔 in 新疆维吾尔自治区: strip the nation with or without 族.
    nation_forms = sorted({n for x in nations for n in (x, x.removesuffix("族"))}, key=len, reverse=True)
    places = {code: name for code, name in rows.items() if name not in PLACEHOLDERS}

    def level(code: str) -> str:
        if code.endswith("0000"):
            return "province"
        if code.endswith("00"):
            return "prefecture"
        return "county"

    def parent(code: str) -> str:
        lv = level(code)
        if lv == "province":
            return ""
        if lv == "county" and code[:4] + "00" in places:
            return code[:4] + "00"
        return code[:2] + "0000"

    def short(name: str) -> str:
        """The name without its level suffix and nation (湖北省 -> 湖北, 新疆维吾尔自治区 -> 新疆)."""
        for suffix in SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                stem = name[: -len(suffix)]
                break
        else:
            return ""
        for nation in nation_forms:
            if stem.endswith(nation) and len(stem) - len(nation) >= 2:
                stem = stem[: -len(nation)]
                break
        return stem

    out = Path(__file__).resolve().parent.parent / "data" / "gazetteer" / "gbt2260.csv"
    tmp = out.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "name", "short", "level", "parent"])
        for code in sorted(places):
            w.writerow([code, places[code], short(places[code]), level(code), parent(code)])
    tmp.replace(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
