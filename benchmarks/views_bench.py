"""How fast the views are built and drawn: the real graph's pages and a synthetic 5,000-node one.

    python benchmarks/views_bench.py [--nodes 5000] [--no-browser] [--keep DIR] [--markdown RESULTS.md]

For each page it prints the node and edge counts, the HTML size, the time to build the page in
Python (projection, layout, page) and, when /usr/bin/chromium exists, the time from navigation
to vis-network's first drawing in headless Chromium (driven by playwright-python, no download).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import ORG, RDF, RDFS, SDO, SKOS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from egovkg.graph.namespaces import EGOV  # noqa: E402
from egovkg.publish import views  # noqa: E402

ID = "https://w3id.org/egovkg/id/"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def synthetic(nodes: int = 5000, seed: int = 7) -> Graph:
    """A graph shaped like the real one, with about ``nodes`` nodes in its overview: categories,
    regions in three levels, agencies with parents, awards with one or two recipients, practices
    with a region and sometimes a programme."""
    import random

    rnd = random.Random(seed)
    g = Graph()

    def entity(kind: str, ident: str, cls: URIRef, zh: str, en: str) -> URIRef:
        s = URIRef(f"{ID}{kind}/{ident}")
        g.add((s, RDF.type, cls))
        g.add((s, RDFS.label, Literal(zh, lang="zh")))
        g.add((s, RDFS.label, Literal(en, lang="en")))
        return s

    n_awards = round((0.9 * nodes - 35) / 3.4)  # each award brings a practice and 1.4 agencies
    cats = [entity("category", f"c{i}", EGOV.AwardCategory, f"类别{i}", f"Category {i}") for i in range(4)]
    china = entity("region", "000000", EGOV.Region, "中国", "China")
    provinces = [entity("region", f"{11 + i}0000", EGOV.Region, f"省{i}", f"Province {i}") for i in range(30)]
    for p in provinces:
        g.add((p, SDO.containedInPlace, china))
    cities = []
    for i in range(max(30, nodes // 12)):
        c = entity("region", f"{11 + i % 30}{i // 30 + 1:02d}00", EGOV.Region, f"市{i}", f"City {i}")
        g.add((c, SDO.containedInPlace, provinces[i % 30]))
        cities.append(c)
    programmes = [
        entity("programme", f"p{i}", EGOV.Programme, f"工程{i}", f"Programme {i}") for i in range(nodes // 60)
    ]
    for p in programmes[1:]:
        g.add((p, URIRef("http://purl.org/dc/terms/isPartOf"), programmes[0]))
    agencies = []
    for i in range(int(n_awards * 1.4)):
        a = entity("agency", f"a{i}", EGOV.Agency, f"机构{i}办公室", f"Office {i}")
        g.add((a, EGOV.region, rnd.choice(cities)))
        g.add((a, SKOS.altLabel, Literal(f"ji gou {i}", lang="zh-Latn-pinyin")))
        if agencies and rnd.random() < 0.2:
            g.add((a, ORG.subOrganizationOf, rnd.choice(agencies)))
        agencies.append(a)
    pool = list(agencies)
    rnd.shuffle(pool)
    for i in range(n_awards):
        cat = cats[i % 4]
        a = entity("award", f"w{i}", EGOV.Award, f"奖项{i}", f"Award {i}")
        pr = entity("practice", f"w{i}", EGOV.Practice, f"实践{i}", f"Practice {i}")
        g.add((a, EGOV.category, cat))
        g.add((a, EGOV.rank, Literal(i // 4 + 1)))
        g.add((a, EGOV.practice, pr))
        recipients = [pool[i % len(pool)]] + ([pool[(i * 7 + 3) % len(pool)]] if rnd.random() < 0.3 else [])
        for r in recipients:
            g.add((a, EGOV.recipient, r))
        g.add((a, EGOV.leadRecipient, recipients[0]))
        g.add((pr, EGOV.region, rnd.choice(cities)))
        if programmes and rnd.random() < 0.2:
            g.add((pr, EGOV.relatedProgramme, rnd.choice(programmes)))
    return g


def build_pages(graph: Graph, names: list[tuple[str, str | None]], out: Path) -> list[dict]:
    rows = []
    t = time.perf_counter()
    idx = views.index(graph)
    index_s = time.perf_counter() - t
    for name, focus in names:
        t = time.perf_counter()
        g = views.project(idx, name, focus=focus)
        html = views.render_view(idx, name, focus=focus)
        seconds = time.perf_counter() - t
        path = out / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        rows.append(
            {
                "view": name,
                "nodes": g.number_of_nodes(),
                "edges": g.number_of_edges(),
                "bytes": len(html.encode("utf-8")),
                "build_s": seconds,
                "index_s": index_s,
                "path": path,
            }
        )
    return rows


def first_draw(rows: list[dict]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for row in rows:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            t = time.perf_counter()
            page.goto(row["path"].resolve().as_uri())
            page.wait_for_selector('body[data-drawn="1"]', state="attached", timeout=300_000)
            row["wall_s"] = time.perf_counter() - t
            timing = page.evaluate("window.egovkg.timing")
            row["draw_ms"] = timing["firstDraw"]
            page.close()
        browser.close()


def report(title: str, rows: list[dict]) -> None:
    print(title)
    print(
        f"  {'view':<14}{'nodes':>7}{'edges':>7}{'HTML bytes':>12}{'build s':>9}"
        f"{'first draw ms':>15}{'load wall s':>12}"
    )
    for r in rows:
        draw = f"{r['draw_ms']:.0f}" if "draw_ms" in r else "-"
        wall = f"{r['wall_s']:.2f}" if "wall_s" in r else "-"
        print(
            f"  {r['view']:<14}{r['nodes']:>7}{r['edges']:>7}{r['bytes']:>12,}{r['build_s']:>9.2f}{draw:>15}{wall:>12}"
        )
    print(f"  (reading the RDF graph into the entity index: {rows[0]['index_s']:.2f} s, once for all views)")


def markdown_section(tables: list[tuple[str, list[dict]]]) -> str:
    lines = [
        "## Views",
        "",
        "Time to build each page in Python and, in headless Chromium, to vis-network's first drawing: "
        "measured in the page (first draw) and from navigation until the page reports it is drawn.",
    ]
    for title, rows in tables:
        lines += [
            "",
            f"{title}:",
            "",
            "| view | nodes | edges | HTML (bytes) | built (s) | first draw (ms) | navigation to drawn (s) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            draw = f"{r['draw_ms']:.0f}" if "draw_ms" in r else ""
            wall = f"{r['wall_s']:.2f}" if "wall_s" in r else ""
            lines.append(
                f"| {r['view']} | {r['nodes']:,} | {r['edges']:,} | {r['bytes']:,} | {r['build_s']:.2f} "
                f"| {draw} | {wall} |"
            )
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Put the views section into ``path`` (written by run.py), replacing an earlier one."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    head = text.split("\n## Views\n", 1)[0].rstrip("\n")
    path.write_text((head + "\n\n" if head else "") + section, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=5000, help="size of the synthetic overview (default 5000)")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium timings")
    ap.add_argument("--keep", type=Path, help="write the pages here instead of a temporary folder")
    ap.add_argument("--markdown", type=Path, help="also put the tables, as a Views section, into this file")
    args = ap.parse_args()
    browser = not args.no_browser and CHROMIUM.exists()
    if not args.no_browser and not CHROMIUM.exists():
        print(f"note: no {CHROMIUM}; browser timings skipped", file=sys.stderr)

    from egovkg.graph.build import build
    from egovkg.paths import Layout

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        (out / "real").mkdir(parents=True, exist_ok=True)
        (out / "synthetic").mkdir(parents=True, exist_ok=True)
        tables = []
        real = build(Layout(ROOT)).union()
        names = [(n, None) for n in views.PAGES] + [("neighbourhood", "agency:qingdao-egov-office")]
        rows = build_pages(real, names, out / "real")
        if browser:
            first_draw(rows)
        report(f"real graph ({len(real):,} triples)", rows)
        tables.append((f"The shipped graph ({len(real):,} triples)", rows))

        t = time.perf_counter()
        big = synthetic(args.nodes)
        made = time.perf_counter() - t
        rows = build_pages(big, [("overview", None), ("agencies", None), ("geography", None)], out / "synthetic")
        if browser:
            first_draw(rows)
        report(f"synthetic graph ({len(big):,} triples, made in {made:.1f} s)", rows)
        tables.append((f"A synthetic graph ({len(big):,} triples)", rows))
        side = math.sqrt(rows[0]["nodes"])
        print(f"  (overview: {rows[0]['nodes']} nodes, about {side:.0f} x {side:.0f})")
        if args.markdown:
            write_section(args.markdown, markdown_section(tables))


if __name__ == "__main__":
    main()
