"""Benchmarks: egovkg beside raw pyoxigraph on synthetic graphs of several sizes.

For each size, in fresh subprocesses (so that peak memory is per task):
  load      our OxigraphStore.from_files           vs  pyoxigraph Store.bulk_load
  ttl, nt   `egovkg export --data` (convert_files)  vs  pyoxigraph parse + serialize
  queries   the whole catalogue through run_query   vs  the same bound texts on a raw Store
  view      the overview view of the graph (ours only; sampled above the view's node cap)
and, once, the real graph: `egovkg query NAME` cold vs a bare `python -c "import rdflib"`.
Prints medians of --repeat runs, the ratio ours/raw, and peak RSS; --markdown writes RESULTS.md.

    python benchmarks/run.py --sizes 10k,100k --repeat 3
    python benchmarks/run.py --sizes 1m --repeat 1 --markdown benchmarks/RESULTS.md --plot benchmarks/results.png
    python benchmarks/run.py --cold-only --cold-repeat 21
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}

PRELUDE = """
import json, resource, sys, time
from pathlib import Path
def done(seconds):
    print(json.dumps({"s": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

TASKS = {
    ("load", "ours"): """
from egovkg.sparql.store import OxigraphStore
t = time.perf_counter(); s = OxigraphStore.from_files([Path(sys.argv[1])]); n = len(s); done(time.perf_counter() - t)
""",
    ("load", "raw"): """
import pyoxigraph as ox
t = time.perf_counter(); s = ox.Store(); s.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_TRIPLES)
n = len(s); done(time.perf_counter() - t)
""",
    ("ttl", "ours"): """
from egovkg.rdfio.convert import convert_files
t = time.perf_counter(); convert_files([Path(sys.argv[1])], "ttl", Path(sys.argv[2]) / "o.ttl")
done(time.perf_counter() - t)
""",
    ("ttl", "raw"): """
import pyoxigraph as ox
t = time.perf_counter()
ox.serialize(ox.parse(path=sys.argv[1], format=ox.RdfFormat.N_TRIPLES), str(Path(sys.argv[2]) / "o.ttl"),
             format=ox.RdfFormat.TURTLE, prefixes={"egov": "https://w3id.org/egovkg/ontology#"})
done(time.perf_counter() - t)
""",
    ("nt", "ours"): """
from egovkg.rdfio.convert import convert_files
t = time.perf_counter(); convert_files([Path(sys.argv[1])], "nt", Path(sys.argv[2]) / "o.nt")
done(time.perf_counter() - t)
""",
    ("nt", "raw"): """
import pyoxigraph as ox
t = time.perf_counter()
ox.serialize(ox.parse(path=sys.argv[1], format=ox.RdfFormat.N_TRIPLES), str(Path(sys.argv[2]) / "o.nt"),
             format=ox.RdfFormat.N_TRIPLES)
done(time.perf_counter() - t)
""",
    ("queries", "ours"): """
from egovkg.paths import Layout
from egovkg.sparql.catalogue import load_catalogue
from egovkg.sparql.query import run_query
from egovkg.sparql.store import OxigraphStore
cat = load_catalogue(Layout.default().queries)
s = OxigraphStore.from_files([Path(sys.argv[1])])
t = time.perf_counter()
for name in cat:
    run_query(s, name, catalogue=cat)
done(time.perf_counter() - t)
""",
    ("queries", "raw"): """
import pyoxigraph as ox
from egovkg.paths import Layout
from egovkg.sparql.catalogue import bind, load_catalogue
cat = load_catalogue(Layout.default().queries)
texts = [bind(q, {}) for q in cat.values()]
s = ox.Store(); s.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_TRIPLES)
t = time.perf_counter()
for text in texts:
    r = s.query(text, use_default_graph_as_union=True)
    if not isinstance(r, ox.QueryBoolean):
        for _ in r:
            pass
done(time.perf_counter() - t)
""",
    ("view", "ours"): """
from egovkg.sparql.store import load_rdf
from egovkg.publish.views import render_view
g = load_rdf([Path(sys.argv[1])])
t = time.perf_counter(); html = render_view(g, "overview"); done(time.perf_counter() - t)
""",
}


def run_task(code: str, *args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", PRELUDE + code, *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-1500:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_of(code: str, repeat: int, *args: str) -> tuple[float, float]:
    runs = [run_task(code, *args) for _ in range(repeat)]
    return statistics.median(r["s"] for r in runs), max(r["rss_mb"] for r in runs)


COLD = {
    "`egovkg query winners-by-category` (default table)": ["-m", "egovkg", "query", "winners-by-category"],
    "`egovkg query winners-by-category --format csv`": [
        "-m",
        "egovkg",
        "query",
        "winners-by-category",
        "--format",
        "csv",
    ],
    '`python -c "import rdflib"`': ["-c", "import rdflib"],
    '`python -c "pass"`': ["-c", "pass"],
}


def cold_query(repeat: int) -> dict[str, tuple[float, float]]:
    """(wall, CPU) medians of ``repeat`` rounds of fresh processes, the commands alternating within
    each round. egovkg is byte-compiled first, as pip leaves an installed package: otherwise, with
    PYTHONDONTWRITEBYTECODE set, every run would compile its modules while rdflib's are compiled."""
    import compileall
    import resource

    compileall.compile_dir(ROOT / "src" / "egovkg", quiet=1)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}  # this checkout's code, whatever is installed

    def timed(args: list[str]) -> tuple[float, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, capture_output=True, cwd=ROOT, env=env)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    timed(COLD[next(iter(COLD))])  # warm the graph cache: the target is a repeat call on an unchanged graph
    time.sleep(1.1)  # and let the inputs' stamp settle (egovkg.rdfio.cache: a racily clean stamp is re-hashed)
    timed(COLD[next(iter(COLD))])
    runs: dict[str, list[tuple[float, float]]] = {label: [] for label in COLD}
    for _ in range(repeat):
        for label, args in COLD.items():
            runs[label].append(timed(args))
    return {
        label: (statistics.median(w for w, _ in times), statistics.median(c for _, c in times))
        for label, times in runs.items()
    }


def print_cold(cold: dict[str, tuple[float, float]]) -> None:
    bare_wall, bare_cpu = cold['`python -c "import rdflib"`']
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    for label, (wall, cpu) in cold.items():
        print(
            f"cold {label}: {wall:.3f} s, {wall / bare_wall:.2f}x import rdflib; "
            f"CPU {cpu:.3f} s, {cpu / bare_cpu:.2f}x (load {load})"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,100k")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--markdown", type=Path, help="Also write the results table here.")
    ap.add_argument("--plot", type=Path, help="Also plot the ratios to this PNG.")
    ap.add_argument("--no-view", action="store_true", help="Skip the view task.")
    ap.add_argument("--cold-repeat", type=int, default=21, help="Rounds of the cold-start comparison.")
    ap.add_argument("--cold-only", action="store_true", help="Only the cold-start comparison (printed).")
    args = ap.parse_args(argv)
    if args.cold_only:
        if args.markdown or args.plot:
            ap.error("--cold-only prints its figures: --markdown and --plot need the whole run")
        print_cold(cold_query(args.cold_repeat))
        return 0
    rows: list[tuple[str, str, float, float | None, float, float | None]] = []
    with tempfile.TemporaryDirectory(prefix="egovkg-bench-") as tmp:
        for size in args.sizes.split(","):
            n = SIZES[size.strip().lower()]
            nt = Path(tmp) / f"synthetic-{size}.nt"
            subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "benchmarks/generate.py"),
                    "--triples",
                    str(n),
                    "--seed",
                    str(args.seed),
                    "-o",
                    str(nt),
                ],
                check=True,
            )
            for task in ("load", "ttl", "nt", "queries", "view"):
                if task == "view" and (args.no_view or n > 100_000):
                    continue
                ours_s, ours_mb = median_of(TASKS[(task, "ours")], args.repeat, str(nt), tmp)
                raw = TASKS.get((task, "raw"))
                raw_s, raw_mb = median_of(raw, args.repeat, str(nt), tmp) if raw else (None, None)
                rows.append((size, task, ours_s, raw_s, ours_mb, raw_mb))
                ratio = f"{ours_s / raw_s:5.2f}x" if raw_s else "   - "
                mem = f"{ours_mb / raw_mb:4.2f}x" if raw_mb else "  -  "
                raw_text = f"{raw_s:8.3f}" if raw_s is not None else "       -"
                print(
                    f"{size:>5} {task:8} ours {ours_s:8.3f} s  raw {raw_text} s  ratio {ratio}  "
                    f"peak {ours_mb:7.1f} MB (raw {raw_mb or 0:7.1f} MB, {mem})",
                    flush=True,
                )
    cold = cold_query(args.cold_repeat)
    print_cold(cold)
    if args.markdown:
        write_markdown(args.markdown, rows, cold, args.repeat, args.cold_repeat)
    if args.plot:
        plot(args.plot, rows)
    return 0


def write_markdown(path: Path, rows, cold: dict[str, tuple[float, float]], repeat: int, cold_repeat: int) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Run on {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; medians of {repeat} run(s); peak RSS per task process.",
        "Command: `python benchmarks/run.py " + " ".join(sys.argv[1:]) + "`",
        "",
        "| size | task | ours (s) | raw pyoxigraph (s) | ratio | ours peak (MB) | raw peak (MB) | memory ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size, task, o, r, om, rm in rows:
        lines.append(
            f"| {size} | {task} | {o:.3f} | {'' if r is None else f'{r:.3f}'} | "
            f"{'' if r is None else f'{o / r:.2f}x'} | {om:.0f} | {'' if rm is None else f'{rm:.0f}'} | "
            f"{'' if rm is None else f'{om / rm:.2f}x'} |"
        )
    bare_wall, bare_cpu = cold['`python -c "import rdflib"`']
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines += [
        "",
        "- `load` is `OxigraphStore.from_files` (the store behind the query runner); `ttl`/`nt` are "
        "`egovkg export --data` (`egovkg.rdfio.convert.convert_files`, streamed by Oxigraph in constant memory); "
        "`queries` is the whole catalogue through `run_query`, results converted to rdflib terms; "
        "`view` is the overview page (sampled above 5,000 nodes).",
        "",
        "## Cold start",
        "",
        f"Repeat calls on the shipped graph (graph cache warm, egovkg byte-compiled as installed), each a fresh "
        f"process; medians of {cold_repeat} rounds with the commands alternating; load average after: {load}.",
        "",
        "| command | wall (s) | ratio to `import rdflib` | CPU (s) | ratio to `import rdflib` |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {label} | {w:.3f} | {w / bare_wall:.2f}x | {c:.3f} | {c / bare_cpu:.2f}x |"
            for label, (w, c) in cold.items()
        ),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def plot(path: Path, rows) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{s} {t}" for s, t, _o, r, _om, _rm in rows if r]
    ratios = [o / r for _s, _t, o, r, _om, _rm in rows if r]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(labels) + 1.2))
    ax.barh(labels, ratios, color="#4472c4")
    ax.axvline(1.5, color="#c00000", linestyle="--", label="target 1.5x")
    ax.set_xlabel("time ratio egovkg / raw pyoxigraph (lower is better)")
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})


if __name__ == "__main__":
    sys.exit(main())
