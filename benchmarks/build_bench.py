"""The main job's speed: a cold `egovkg build`, an unchanged rebuild, `egovkg site` alone (three
ways: after the build, so the published site is copied; with a query edited, so it is rendered
from the cached graph; with no graph cache) and a cold `egovkg query`, each beside a bare
`python -c "import rdflib"` measured in the same run.

Every command runs in a fresh process on a fresh copy of data/, ontology/ and queries/ (so
no cache and no earlier output set). Wall time and CPU time (user + system, the process and
its children: the site writers fork) are both reported, with the load average: on a shared
machine the CPU time is the steadier figure. The unchanged rebuild is also checked to
rewrite nothing (same bytes, same inodes, same mtimes).

The cold build is also run right after deleting a build's outputs (`rm -rf build viz`): the
system time is then mostly ext4 making the site's 5,000 files. On a file system without a
journal (this machine's), its inode allocator skips every inode freed in the last minutes,
looking each one up, for every file it makes; perf shows it in `recently_deleted`. Files
deleted by anything else in the same block group (a test run, an earlier benchmark) cost
the same: the benchmark first waits (``--settle``) until making a file is cheap again, and
says how cheap.

    python benchmarks/build_bench.py [--repeat 3] [--cold-builds 5] [--dir DIR] [--markdown benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


Run = tuple[float, float, float]  # wall, user and system seconds (the process and its children)


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[Run, str]:
    """((wall s, user CPU s, system CPU s), stdout) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return (wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime), done.stdout


def fresh_home(parent: Path) -> Path:
    home = Path(tempfile.mkdtemp(dir=parent))
    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, home / part)
    return home


def published(out: Path) -> dict[str, tuple[int, int, int]]:
    """Each published file (through the links): (size, inode, mtime in ns)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(out, followlinks=True):
        dirnames[:] = [d for d in dirnames if d != ".generations"]
        for name in filenames:
            st = (Path(dirpath) / name).stat()
            found[str(Path(dirpath, name).relative_to(out))] = (st.st_size, st.st_ino, st.st_mtime_ns)
    return found


def file_cost(folder: Path, n: int = 5000) -> float:
    """Microseconds to make one empty file in ``folder``, over as many files as a site has (the
    first ones can take never-used inodes at full speed), kept: a deletion is what slows the
    next ones down."""
    probe = Path(tempfile.mkdtemp(prefix="probe-", dir=folder))
    t = time.perf_counter()
    for i in range(n):
        (probe / str(i)).touch()
    return (time.perf_counter() - t) / n * 1e6


def settle(folder: Path, limit: float, threshold: float = 60.0) -> tuple[float, float]:
    """Wait (up to ``limit`` seconds) until making a file in ``folder`` costs under ``threshold``
    microseconds: ext4 without a journal skips the inodes freed in the last minutes (up to six,
    while their table is not written back), at a cost per file made. (seconds waited, cost)."""
    t0 = time.monotonic()
    cost = file_cost(folder)
    while cost > threshold and time.monotonic() - t0 < limit:
        time.sleep(30)
        cost = file_cost(folder)
    return time.monotonic() - t0, cost


def stages(stdout: str) -> dict[str, float]:
    line = next((x for x in stdout.splitlines() if x.startswith("stages: ")), "")
    return {m[1]: float(m[2]) for m in re.finditer(r"(\w+) ([\d.]+) s", line)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each quick command (default 3)")
    ap.add_argument("--cold-builds", type=int, default=1, help="cold builds (default 1: each is long)")
    ap.add_argument("--dir", type=Path, help="make the fresh folders here (default: the system's temporary folder)")
    ap.add_argument(
        "--settle", type=float, default=420, help="seconds to wait at most for recent deletions to settle (default 420)"
    )
    ap.add_argument("--markdown", type=Path, help="put the table, as a Build section, into this file")
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    py = sys.executable
    rows: list[tuple[str, list[Run]]] = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        tmpdir = Path(tmp)
        waited, per_file = settle(tmpdir, args.settle)
        rdflib_runs = [timed([py, "-c", "import rdflib"], env, tmpdir)[0] for _ in range(args.repeat)]
        rows.append(('python -c "import rdflib"', rdflib_runs))

        cold, stage_times, homes = [], [], []
        for _ in range(args.cold_builds):
            home = fresh_home(tmpdir)
            run, out = timed([py, "-m", "egovkg", "build"], {**env, "EGOVKG_HOME": str(home)}, home)
            cold.append(run)
            stage_times.append(stages(out))
            homes.append(home)
        rows.append(("cold `egovkg build` (every output)", cold))
        # the same, right after the previous outputs were deleted (`rm -rf build viz`): on a file
        # system without a journal, ext4 skips recently freed inodes, at a cost per file made
        again = []
        for home in homes[: args.repeat]:
            for folder in ("build", "viz"):
                shutil.rmtree(home / folder)
            again.append(timed([py, "-m", "egovkg", "build"], {**env, "EGOVKG_HOME": str(home)}, home)[0])
        rows.append(("cold `egovkg build` right after `rm -rf build viz`", again))
        home = homes[-1]
        henv = {**env, "EGOVKG_HOME": str(home)}

        before = published(home / "build")
        before_viz = {p.name: p.stat().st_mtime_ns for p in (home / "viz").iterdir()}
        same = [timed([py, "-m", "egovkg", "build"], henv, home)[0] for _ in range(args.repeat)]
        rows.append(("`egovkg build`, no input changed", same))
        untouched = published(home / "build") == before and before_viz == {
            p.name: p.stat().st_mtime_ns for p in (home / "viz").iterdir()
        }

        def sites(tag: str) -> list[Run]:
            return [
                timed([py, "-m", "egovkg", "site", "-o", str(tmpdir / f"site-{tag}{i}")], henv, home)[0]
                for i in range(args.repeat)
            ]

        # after the build, same inputs: the published site is copied (egovkg.publish.site.site_from_cache)
        rows.append(("`egovkg site` alone (a new folder; the build's site copied)", sites("copied")))
        # a query's text changed: another site, rendered from the graph the build left in the cache
        rq = home / "queries" / "agency-kinds.rq"
        rq.write_text(rq.read_text(encoding="utf-8").replace("#+ summary: ", "#+ summary: (edited) ", 1))
        rows.append(("`egovkg site` alone, a query edited (rendered from the cached graph)", sites("rendered")))
        shutil.rmtree(home / "build" / "cache")  # no cached graph: built from the sources as well
        rows.append(("`egovkg site` alone, no graph cache (the graph built too)", sites("built")))

        # egovkg byte-compiled, as pip leaves an installed package (rdflib's is): with
        # PYTHONDONTWRITEBYTECODE set, each query would otherwise compile its modules anew
        compileall.compile_dir(ROOT / "src" / "egovkg", quiet=1)
        timed([py, "-m", "egovkg", "query", "winners-by-category"], henv, home)  # the graph cache
        time.sleep(1.1)  # the inputs' stamp is written once they are a clock step old (egovkg.rdfio.cache)
        timed([py, "-m", "egovkg", "query", "winners-by-category"], henv, home)
        query = [timed([py, "-m", "egovkg", "query", "winners-by-category"], henv, home)[0] for _ in range(args.repeat)]
        rows.append(("cold `egovkg query winners-by-category`", query))
    load_after = os.getloadavg()

    base_wall = statistics.median(r[0] for r in rdflib_runs)
    base_cpu = statistics.median(r[1] + r[2] for r in rdflib_runs)
    table = [
        "| command | wall (s, median) | × rdflib import | CPU (s, median) | × rdflib import | of it, system (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, runs in rows:
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] + r[2] for r in runs)
        system = statistics.median(r[2] for r in runs)
        table.append(
            f"| {name} | {wall:.2f} | {wall / base_wall:.1f} | {cpu:.2f} | {cpu / base_cpu:.1f} | {system:.2f} |"
        )
    cold_walls = " ".join(f"{r[0]:.2f}" for r in cold)
    stage_line = ", ".join(f"{k} {v:.2f} s" for k, v in stage_times[0].items()) if stage_times else ""
    text = "\n".join(
        [
            "## Build",
            "",
            f"`benchmarks/build_bench.py --repeat {args.repeat} --cold-builds {args.cold_builds}` on "
            f"{platform.node() or 'this machine'} ({os.cpu_count()} CPUs, Python {platform.python_version()}), "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average "
            f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (the machine is shared: "
            "CPU time is the steadier figure). Before the first command, making a file took "
            f"{per_file:.0f} µs (after waiting {waited:.0f} s for recent deletions to settle).",
            "",
            *table,
            "",
            f"The cold builds, each in a new folder: {cold_walls} s. Stages of the first (its own summary; "
            f"the outputs render side by side, so their times overlap and add up to more than the wall "
            f"time): {stage_line}.",
            "",
            f"The unchanged rebuild rewrote nothing (same bytes, inodes and mtimes): {'yes' if untouched else 'NO'}.",
            "",
        ]
    )
    print(text)
    if args.markdown:
        write_section(args.markdown, text)


def write_section(path: Path, section: str) -> None:
    """Put the Build section into ``path``, before the Views section (views_bench.py keeps what precedes it)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    text = re.sub(r"\n## Build\n.*?(?=\n## |\Z)", "\n", text, flags=re.DOTALL)
    head, sep, views = text.partition("\n## Views\n")
    out = head.rstrip("\n") + "\n\n" + section + (("\n## Views\n" + views) if sep else "")
    path.write_text(out, encoding="utf-8")


if __name__ == "__main__":
    main()
