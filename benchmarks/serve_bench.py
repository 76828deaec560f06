"""Load benchmark of `egovkg serve --linked-data` against Oxigraph's own server, same run, loopback.

Starts both servers on the shipped graph, then runs wrk (Debian's `wrk`, bounded: a few
seconds per run):

- the same SPARQL query at 50 concurrent keep-alive clients on each server: requests/s,
  errors, p50/p99 latency (target: 0 errors, our p99 within 2x Oxigraph's);
- one keep-alive client fetching a resource's Turtle from ours (target: >= 1,000 req/s).

Usage: python benchmarks/serve_bench.py [--duration 10] [--markdown benchmarks/RESULTS.md]
The machine's load (os.getloadavg) is recorded beside the figures.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERY = "PREFIX egov: <https://w3id.org/egovkg/ontology#> SELECT (COUNT(?a) AS ?n) WHERE { ?a a egov:Award }"
RESOURCE = "/id/award/2012-management-innovation-01.ttl"
START, END = "<!-- serve-bench:start -->", "<!-- serve-bench:end -->"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ok(port: int, path: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers={"Accept": "application/sparql-results+json"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"port {port} did not answer {path}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (the query workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return total


def measured(pid: int, url: str, connections: int, duration: int, accept: str) -> dict[str, float]:
    """One wrk run, with the server's CPU time during it and the machine's load after it."""
    before = cpu_seconds(pid)
    result = wrk(url, connections, duration, accept)
    result["cpu"] = cpu_seconds(pid) - before
    result["load"] = os.getloadavg()[0]
    return result


def wrk(url: str, connections: int, duration: int, accept: str) -> dict[str, float]:
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-H", f"Accept: {accept}", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(x) for x in m.groups())
    return {"rps": rps, "requests": total, "errors": errors, "p50": ms("50%"), "p99": ms("99%")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--markdown", type=Path, help="write the figures into this file's serve section")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    ours_port, ox_port = free_port(), free_port()
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            sys.path.insert(0, str(ROOT / "src"))
            from egovkg.graph.prefixes import DEFAULT_BASE
            from egovkg.paths import Layout
            from egovkg.rdfio.cache import cached_trig

            os.chdir(ROOT)
            trig = cached_trig(Layout.default(), DEFAULT_BASE)
            store = Path(tmp) / "store"
            subprocess.run(
                [oxigraph, "load", "--location", str(store), "--file", str(trig)], check=True, capture_output=True
            )
            procs.append(
                subprocess.Popen(
                    [
                        oxigraph,
                        "serve-read-only",
                        "--location",
                        str(store),
                        "--bind",
                        f"127.0.0.1:{ox_port}",
                        "--union-default-graph",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            nocache_port = free_port()
            for port, extra in ((ours_port, []), (nocache_port, ["--result-cache", "0"])):
                cmd = [sys.executable, "-m", "egovkg", "serve", "--linked-data", "--port", str(port), *extra]
                procs.append(
                    subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                )
            q = urllib.parse.urlencode({"query": QUERY})
            wait_ok(ox_port, f"/query?{q}")
            wait_ok(ours_port, f"/sparql?{q}")
            wait_ok(ours_port, RESOURCE)
            wait_ok(nocache_port, f"/sparql?{q}")
            json_ = "application/sparql-results+json"
            load_before = os.getloadavg()[0]
            ox_pid, ours_pid, nocache_pid = (p.pid for p in procs)
            runs = {
                "oxigraph": measured(ox_pid, f"http://127.0.0.1:{ox_port}/query?{q}", 50, args.duration, json_),
                "ours": measured(ours_pid, f"http://127.0.0.1:{ours_port}/sparql?{q}", 50, args.duration, json_),
                "nocache": measured(
                    nocache_pid, f"http://127.0.0.1:{nocache_port}/sparql?{q}", 50, args.duration, json_
                ),
                "turtle": measured(
                    ours_pid, f"http://127.0.0.1:{ours_port}{RESOURCE}", 1, args.duration, "text/turtle"
                ),
            }
            load_after = os.getloadavg()[0]
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
    ratio = runs["ours"]["p99"] / runs["oxigraph"]["p99"]
    nocache_ratio = runs["nocache"]["p99"] / runs["oxigraph"]["p99"]
    lines = [
        START,
        "## Serving: `egovkg serve --linked-data` against Oxigraph's own server",
        "",
        f"Run on {datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {load_before:.1f} before, {load_after:.1f} after "
        f"(the machine is shared); wrk, {args.duration} s a run, loopback. Server CPU: user + system "
        "time of the server process and its query workers during the run, per request answered.",
        f"Command: `python benchmarks/serve_bench.py --duration {args.duration} --markdown benchmarks/RESULTS.md`",
        "",
        "| run | clients | req/s | requests | errors | p50 (ms) | p99 (ms) | server CPU (ms/request) | load after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = {
        "oxigraph": "Oxigraph server, SPARQL COUNT query",
        "ours": "ours `/sparql`, same query (default: a repeated GET replayed from the first answer)",
        "nocache": "ours `/sparql`, same query, `--result-cache 0` (every query through a worker process)",
        "turtle": f"ours, a resource's Turtle (`{RESOURCE}`), one keep-alive client",
    }
    for key, label in names.items():
        r = runs[key]
        clients = 1 if key == "turtle" else 50
        cpu = 1000 * r["cpu"] / max(1, r["requests"])
        cells = [label, clients, f"{r['rps']:.0f}", r["requests"], r["errors"], f"{r['p50']:.1f}", f"{r['p99']:.1f}"]
        cells += [f"{cpu:.2f}", f"{r['load']:.1f}"]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines += [
        "",
        f"Targets: 0 errors at 50 clients ({runs['ours']['errors']} errors); our p99 within 2x Oxigraph's "
        f"({ratio:.2f}x with the result cache; {nocache_ratio:.2f}x without it); one keep-alive client "
        f">= 1,000 req/s for a resource's Turtle ({runs['turtle']['rps']:.0f}).",
        END,
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        old = args.markdown.read_text(encoding="utf-8") if args.markdown.exists() else ""
        if START in old and END in old:
            new = old[: old.index(START)] + text.rstrip("\n") + old[old.index(END) + len(END) :]
        else:
            new = old.rstrip("\n") + "\n\n" + text
        args.markdown.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
