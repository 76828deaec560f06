"""`egovkg query` on text the user gives (-e, an .rq file, --data files), run in a child process.

Oxigraph overflows its stack on some queries (a 10,000-term ``1+1+…`` is fine in the child's
larger stack, a 100,000-term one is not) and a query can run away or take all memory. The
command runs such a query in a child (``python -m egovkg.cli.isolate``) with a deadline
(``--timeout`` seconds from when the query is parsed, after a first run has built the graph), an
address-space limit (EGOVKG_QUERY_MEMORY MiB, as `egovkg serve`'s workers) and a larger
stack; the parent reports a crash or the deadline as one error line and exit status 2.
Catalogue queries on the built graph run in-process: they are vetted and must start fast.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

DEFAULT_MEMORY_MIB = 4096  # as `egovkg serve --query-memory`
MEMORY_ENV = "EGOVKG_QUERY_MEMORY"


def _memory_limit() -> int:
    from egovkg.errors import QueryError

    raw = os.environ.get(MEMORY_ENV, "").strip() or str(DEFAULT_MEMORY_MIB)
    if not raw.isdigit():
        raise QueryError(f"{MEMORY_ENV}: {raw!r} is not a whole number of MiB (0: no limit)")
    return int(raw) << 20


def run_isolated(request: dict[str, Any], timeout: float) -> None:
    """Run the query ``request`` (the query command's parameters) in a child; its output is
    written to stdout, its error line to stderr. Raises QueryError for a crash or the
    deadline, SystemExit with the child's status when it failed with its own message."""
    from egovkg.errors import QueryError

    memory = _memory_limit()
    ready_r, ready_w = os.pipe()

    def limits() -> None:  # in the child, before exec
        import resource

        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    env = {**os.environ, "EGOVKG_QUERY_READY_FD": str(ready_w), "RUST_BACKTRACE": "0"}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "egovkg.cli.isolate"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            pass_fds=(ready_w,),
            preexec_fn=limits,  # noqa: PLW1509 - no threads of ours run yet
        )
    finally:
        os.close(ready_w)
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [
        threading.Thread(target=lambda s=stream, acc=acc: acc.append(s.read()), daemon=True)
        for stream, acc in ((proc.stdout, out), (proc.stderr, err))
    ]
    for t in readers:
        t.start()
    try:
        assert proc.stdin is not None  # noqa: S101 - stdin=PIPE
        with proc.stdin:
            proc.stdin.write(json.dumps(request).encode())
        # no deadline while the child reads the data (a first run builds the graph): the
        # query's time starts when the child says the data is ready, or when it ends
        select.select([ready_r], [], [])
        os.read(ready_r, 1)  # b"1", or b"" when the child ended before the query
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise QueryError(
                f"the query ran past the time limit of {timeout:g} s and was stopped (--timeout sets it)"
            ) from None
        except KeyboardInterrupt:
            proc.kill()
            proc.wait()
            raise
    finally:
        os.close(ready_r)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for t in readers:
            t.join(timeout=10)
    code = proc.returncode
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        mib = f"{memory >> 20} MiB" if memory else "no limit"
        raise QueryError(
            f"the query crashed the query engine (killed by {name}): too complex for it, or out of "
            f"memory ({MEMORY_ENV}: {mib}); nothing was written"
        )
    sys.stdout.buffer.write(b"".join(out))
    sys.stdout.flush()
    sys.stderr.write(b"".join(err).decode("utf-8", "replace"))
    sys.stderr.flush()
    if code != 0:
        raise SystemExit(code)


def _child() -> int:
    """The child: the query on a thread with a large stack (only that thread: RocksDB's threads
    keep the default, or a store on disk would not fit the memory limit)."""
    from egovkg.util.stack import on_large_stack

    return on_large_stack(_answer)


def _answer() -> int:
    """Read the request from stdin, say when the query starts, write the answer."""
    from egovkg.cli.common import _fail, the_kg
    from egovkg.errors import EgovkgError

    ready = int(os.environ.pop("EGOVKG_QUERY_READY_FD"))

    def go() -> None:
        os.write(ready, b"1")
        os.close(ready)

    try:
        r = json.loads(sys.stdin.buffer.read())
        kg = the_kg([Path(p) for p in r["data"]], r["base"], r["store_kind"])
        if not r["data"] and r["store_path"] is None and r["store_kind"] == "oxigraph":
            from egovkg.sparql.guard import uses_named_graphs

            raw = r["expr"] or ""
            if r["name"] and Path(r["name"]).is_file():
                raw = Path(r["name"]).read_text(encoding="utf-8", errors="replace")
            kg.graph_files(named_graphs=uses_named_graphs(raw))  # a first run builds the graph: not the query's time
        store_path = Path(r["store_path"]) if r["store_path"] else None
        go()  # the query's time starts here: Oxigraph's parser alone can take minutes on some texts
        text = kg.prepare(r["name"] or r["expr"] or "", r["given"])
        out = kg.query_bytes(text, r["fmt"], width=r["width"], store_path=store_path)
    except EgovkgError as exc:
        try:
            _fail(exc)  # the command's own error line and exit status
        except SystemExit as stop:
            return int(stop.code or 0)
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child())
