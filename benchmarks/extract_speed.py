"""Extractor throughput (MB/s) on announcements grown three ways, and the pre-parse checks' cost.

The shipped announcement (8 KB) is grown until it is about ``--size`` KiB:
  narrative  its narrative repeated (dates, clauses, figures: the milestone and clause code)
  long-row   its last award row made very long (the title scorer)
  rows       its last table given more rows (row splitting: the slowest path, about 2 ms a row)
Each is extracted in this process with the size cap lifted, timed as the best of ``--repeat``;
"ok" or the first words of the error (grown tables no longer match the stated winner count,
which is checked last, so the whole text was read). The time should grow linearly with size:
two sizes are run, and the ratio of their times is printed beside the ratio of their sizes.

Then the limits' own cost: egovkg.util.limits.check_rdf_input on RDF/XML and JSON-LD files
made from the built graph (``--rdf-copies`` copies), beside pyoxigraph parsing the same file.

    python benchmarks/extract_speed.py                 # about a minute
    python benchmarks/extract_speed.py --size 512 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from egovkg.ingest.curated import SCHEMAS, read_table  # noqa: E402
from egovkg.ingest.extract import Extractor, Gazetteer, Lexicon  # noqa: E402
from egovkg.paths import Layout  # noqa: E402
from egovkg.util.limits import Limits, check_rdf_input  # noqa: E402

NO_CAP = Limits(max_source_size=1 << 40)


def grown(kind: str, text: str, target: int) -> str:
    title, body = text.split("\n", 1)
    first_table = body.find("类序号") - 4
    narrative, tables = body[:first_table], body[first_table:]
    if kind == "narrative":
        k = max(1, target // len(narrative.encode()))
        return f"{title}\n{narrative * k}{tables}"
    if kind == "long-row":
        unit = "在电子政务方面的实践"
        k = max(1, target // len(unit.encode()))
        return f"{title}\n{narrative}{tables}{unit * k}"
    row = "某某市人民政府某某市在电子政务方面的实践"
    k = max(1, target // (len(row.encode()) + 4))
    return f"{title}\n{narrative}{tables}" + "".join(f"{n}{row}" for n in range(11, 11 + k))


def timed(extractor: Extractor, text: str, repeat: int) -> tuple[float, str]:
    best, outcome = float("inf"), ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            extractor.extract(text, source="bench", limits=NO_CAP)
            outcome = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            outcome = " ".join(str(exc).split()[3:9])
        best = min(best, time.perf_counter() - t0)
    return best, outcome


def extractor_rows(size_kib: int, repeat: int) -> None:
    layout = Layout.default()
    cats = [r["name_zh"] for r in read_table(layout.curated / "categories.csv", SCHEMAS["categories"])]
    extractor = Extractor(Lexicon.load(layout.lexicon), Gazetteer.load(layout.gazetteer), cats)
    text = (layout.sources / "announcement-2012.txt").read_text(encoding="utf-8")
    timed(extractor, text, 1)  # compile the patterns once
    print(f"{'input':<10} {'KiB':>7} {'seconds':>8} {'MB/s':>6}  x-size x-time  outcome")
    for kind in ("narrative", "long-row", "rows"):
        previous = None
        for kib in (size_kib // 4, size_kib):
            big = grown(kind, text, kib * 1024)
            n = len(big.encode())
            seconds, outcome = timed(extractor, big, repeat)
            ratio = ""
            if previous:
                ratio = f"{n / previous[0]:5.1f}x {seconds / previous[1]:5.1f}x"
            print(f"{kind:<10} {n / 1024:7.0f} {seconds:8.3f} {n / 1e6 / seconds:6.2f}  {ratio:<13} {outcome}")
            previous = (n, seconds)


def limits_rows(copies: int, built: Path) -> None:
    import pyoxigraph as ox

    if not built.is_file():
        print(f"\n(no {built}: run `egovkg build` for the RDF rows)")
        return
    quads = list(ox.parse(path=str(built), format=ox.RdfFormat.N_TRIPLES))
    triples = [
        ox.Triple(
            ox.NamedNode(f"{q.subject.value}-{k}") if isinstance(q.subject, ox.NamedNode) else q.subject,
            q.predicate,
            q.object,
        )
        for k in range(copies)
        for q in quads
    ]
    print(f"\n{'format':<8} {'MB':>6} {'check s':>8} {'MB/s':>6} {'parse s':>8}  (pyoxigraph parse of the same file)")
    with tempfile.TemporaryDirectory() as tmp:
        for name, fmt in (("RDF_XML", ox.RdfFormat.RDF_XML), ("JSON_LD", ox.RdfFormat.JSON_LD)):
            path = Path(tmp) / f"big.{fmt.file_extension}"
            ox.serialize(triples, str(path), fmt)
            size = path.stat().st_size
            t0 = time.perf_counter()
            check_rdf_input(path, name, Limits())
            check = time.perf_counter() - t0
            t0 = time.perf_counter()
            for _ in ox.parse(path=str(path), format=fmt):
                pass
            parse = time.perf_counter() - t0
            print(f"{name:<8} {size / 1e6:6.1f} {check:8.2f} {size / 1e6 / check:6.1f} {parse:8.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=256, help="largest input, KiB (default: the cap, 256)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--rdf-copies", type=int, default=20, help="copies of the built graph in the RDF files")
    ap.add_argument("--graph", type=Path, default=ROOT / "build" / "egovkg.nt", help="the built graph (N-Triples)")
    args = ap.parse_args()
    args.graph = args.graph.resolve()
    os.chdir(ROOT)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores\n")
    extractor_rows(args.size, args.repeat)
    limits_rows(args.rdf_copies, args.graph)


if __name__ == "__main__":
    main()
