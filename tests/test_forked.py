"""The forked renderers of the build: results and typed errors come back, a dead child is named,
what is left running is killed, and a build renders the same bytes one output at a time or side by side."""

from __future__ import annotations

import functools
import importlib
import multiprocessing
import os
import shutil
import signal
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from egovkg.errors import DataError, OutputError
from egovkg.util.forked import Forked, WorkerDied, can_fork

from .conftest import ROOT, STRICTER_RANK_SHAPE, append_shape, published

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _call(module: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    test = getattr(importlib.import_module(module), name).__wrapped__
    assert can_fork(), "a fresh process runs only its caller's thread, so Forked forks"
    test(*args, **kwargs)


def in_a_fresh_process(test: Callable[..., None]) -> Callable[..., None]:
    """Run ``test`` in a newly spawned interpreter. Forked falls back to one call at a time in
    its caller's process while another thread runs there (a fork would copy a lock that thread
    holds), and earlier tests leave threads in a test runner (a browser driver, a notebook
    kernel's loop): run in the runner, these tests could pass without forking anything."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            pool.submit(_call, test.__module__, test.__name__, args, kwargs).result()

    return run


@in_a_fresh_process
def test_results_come_back_with_their_names_and_times() -> None:
    with Forked(2) as workers:
        workers.start("slow", lambda: (time.sleep(0.2), os.getpid())[1])
        workers.start("quick", lambda: {"pid": os.getpid()})
        done = {d.name: d for d in workers.results()}
    assert set(done) == {"slow", "quick"}
    assert done["slow"].result != os.getpid() and done["quick"].result["pid"] != os.getpid(), "each in a child"
    assert done["slow"].seconds >= 0.2 and done["slow"].cpu is not None


@in_a_fresh_process
def test_an_error_keeps_its_type_and_fields_even_with_keyword_only_arguments() -> None:
    def bad() -> None:
        raise DataError("code: '42O500' is not a code", file="regions.csv", line=7)

    with Forked(2) as workers:
        workers.start("bad", bad)
        with pytest.raises(DataError, match="regions.csv:7: code: '42O500'") as info:
            workers.wait()
    assert (info.value.file, info.value.line) == ("regions.csv", 7)


@in_a_fresh_process
def test_a_child_that_dies_is_named() -> None:
    with Forked(2) as workers:
        workers.start("site", lambda: os.kill(os.getpid(), signal.SIGKILL))
        with pytest.raises(WorkerDied, match=r"site: its worker process ended without a result \(killed by signal 9\)"):
            workers.wait()


@in_a_fresh_process
def test_wait_for_keeps_the_others_for_wait() -> None:
    with Forked(2) as workers:
        workers.start("first", lambda: 1)
        workers.start("second", lambda: (time.sleep(0.1), 2)[1])
        assert workers.wait_for("second").result == 2
        assert workers.running == 1
        assert workers.wait().name == "first"
        assert workers.running == 0


@in_a_fresh_process
def test_wait_for_keeps_another_calls_error_for_wait() -> None:
    """The build waits for its validation before any output's result: an output that failed
    meanwhile must not pre-empt the validation's own error (or its success)."""
    with Forked(2) as workers:
        workers.start("bad", lambda: (_ for _ in ()).throw(DataError("broken row", file="x.csv")))
        workers.start("check", lambda: (time.sleep(0.2), "valid")[1])
        assert workers.wait_for("check").result == "valid"
        with pytest.raises(DataError, match="broken row"):
            workers.wait()
        assert workers.running == 0
        workers.start("check", lambda: (_ for _ in ()).throw(ValueError("does not validate")))
        with pytest.raises(ValueError, match="does not validate"):
            workers.wait_for("check")
        with pytest.raises(RuntimeError, match="no call named check is running"):
            workers.wait_for("check")


@in_a_fresh_process
def test_an_uncounted_call_takes_no_place() -> None:
    with Forked(2) as workers:
        workers.start("side", lambda: (time.sleep(0.3), "side")[1], counted=False)
        assert not workers.full()
        workers.start("a", lambda: "a")
        assert not workers.full()
        workers.start("b", lambda: (time.sleep(0.3), "b")[1])
        assert workers.full() and workers.running == 3
        assert sorted(workers.wait().name for _ in range(3)) == ["a", "b", "side"]


@in_a_fresh_process
def test_poll_frees_the_place_of_a_finished_call_without_waiting() -> None:
    with Forked(2) as workers:
        workers.start("quick", lambda: 1)
        workers.start("slow", lambda: (time.sleep(4), 2)[1])
        assert workers.full()
        deadline = time.monotonic() + 3  # before the slow call (4 s) ends
        while workers.full() and time.monotonic() < deadline:
            time.sleep(0.01)
            workers.poll()
        assert not workers.full(), "the quick call's place is free while the slow one runs"
        assert workers.running == 2, "its result is kept, not dropped"
        assert workers.wait().name == "quick"
        workers.start("bad", lambda: (_ for _ in ()).throw(DataError("broken row", file="x.csv")))
        while workers.full() and time.monotonic() < deadline:
            time.sleep(0.01)
            workers.poll()  # never raises: the caller runs its own checks before it waits
        assert not workers.full() and workers.running == 2
        with pytest.raises(DataError, match="broken row"):
            workers.wait()
        assert workers.wait().name == "slow"


@in_a_fresh_process
def test_a_child_runs_with_the_cyclic_collector_off_and_the_caller_keeps_it() -> None:
    import gc

    with Forked(2) as workers:
        workers.start("gc", gc.isenabled)
        assert workers.wait().result is False
    assert gc.isenabled()


@in_a_fresh_process
def test_close_kills_what_still_runs(tmp_path: Path) -> None:
    marker = tmp_path / "finished"
    workers = Forked(2)
    workers.start("long", lambda: (time.sleep(5), marker.write_text("x"))[1])
    workers.close()
    time.sleep(0.1)
    assert workers.running == 0 and not marker.exists()


def _grandchild_writes(marker: Path, after: float) -> int:
    """Fork a process that writes ``marker`` after ``after`` seconds (as a pool of writers would)."""
    pid = os.fork()
    if pid == 0:
        time.sleep(after)
        marker.write_text("x")
        os._exit(0)
    time.sleep(10)
    return pid


@in_a_fresh_process
def test_close_ends_what_a_child_started_too(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild"
    workers = Forked(2)
    workers.start("pool", lambda: _grandchild_writes(marker, 0.5))
    time.sleep(0.2)
    workers.close()
    time.sleep(0.6)
    assert not marker.exists(), "the child's own child was left running"


@in_a_fresh_process
def test_a_killed_caller_takes_its_children_along_and_they_keep_no_lock(tmp_path: Path) -> None:
    import fcntl

    marker, lock = tmp_path / "child", tmp_path / "lock"
    caller = os.fork()
    if caller == 0:  # the caller: holds a lock, starts a child that must not keep it, and is killed
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT)
            fcntl.flock(fd, fcntl.LOCK_EX)
            workers = Forked(2)
            workers.close_in_children.add(fd)
            workers.start("slow", lambda: (time.sleep(0.8), marker.write_text("x")))
            time.sleep(0.3)
        finally:
            os.kill(os.getpid(), signal.SIGKILL)
    os.waitpid(caller, 0)
    fd = os.open(lock, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free at once: no child holds it
    os.close(fd)
    time.sleep(1.0)
    assert not marker.exists(), "a child went on writing after the caller died"


def test_one_job_runs_in_this_process_with_the_same_errors() -> None:
    with Forked(1) as workers:
        workers.start("here", os.getpid)
        assert workers.wait().result == os.getpid()
        with pytest.raises(OutputError):
            workers.start("bad", lambda: (_ for _ in ()).throw(OutputError("disk full")))


@pytest.mark.slow  # two whole builds (no site)
@in_a_fresh_process
def test_side_by_side_renders_the_same_bytes_and_reports_every_stage(tmp_path: Path) -> None:
    from egovkg.paths import Layout
    from egovkg.publish import pipeline

    homes = {}
    events: dict[int, list[tuple[str, bool]]] = {}
    for jobs in (1, 2):
        home = homes[jobs] = tmp_path / f"jobs{jobs}"
        for part in ("data", "ontology", "queries"):
            shutil.copytree(ROOT / part, home / part)
        seen = events[jobs] = []
        summary = pipeline.run(
            Layout(home),
            out=home / "build",
            site=False,
            jobs=jobs,
            progress=lambda stage, seconds, seen=seen: seen.append((stage, seconds is not None)),
        )
        # "layouts": the explorer's views laid out once, here, for the views and stats outputs
        stages = {"inputs", "build", "layouts", "validate", "exports", "void", "docs", "views", "stats", "publish"}
        assert set(summary.timings) == stages
        # an output rendered in a child reports that child's CPU time; one rendered here, none
        assert (set(summary.cpu) >= {"exports", "docs", "views", "stats"}) == (jobs == 2), summary.cpu
    for jobs, seen in events.items():
        started = [s for s, ended in seen if not ended]
        assert sorted(started) == sorted(s for s, ended in seen if ended), f"jobs={jobs}: every stage ends once"
        for stage in started:
            assert seen.index((stage, False)) < seen.index((stage, True)), f"jobs={jobs}: {stage} ends after it starts"
    # side by side, an output that draws no views, and the validation, are under way while the
    # views are laid out here
    assert events[2].index(("exports", False)) < events[2].index(("layouts", False)), events[2]
    assert events[2].index(("validate", False)) < events[2].index(("layouts", False)), events[2]
    for folder in ("build", "viz"):
        # the graph cache's inputs.stamp holds file times: not an output
        skip = frozenset({".generations", "cache"})
        one, two = published(homes[1] / folder, skip), published(homes[2] / folder, skip)
        assert one.keys() == two.keys() and len(one) > 5
        assert [name for name in one if one[name] != two[name]] == []


@in_a_fresh_process
def test_side_by_side_a_failed_validation_is_the_error_though_an_output_failed_first(tmp_path: Path) -> None:
    """The validation runs in a process of its own beside the outputs; an output that fails
    before it ends does not pre-empt its verdict, and nothing is published."""
    import dataclasses

    from egovkg.errors import ValidationFailed
    from egovkg.paths import Layout
    from egovkg.publish import outputs, pipeline

    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, tmp_path / part)
    append_shape(tmp_path, STRICTER_RANK_SHAPE)

    def broken(ctx: object, folder: Path) -> list[str]:
        raise OutputError("exports: the disk is full")

    outputs.OUTPUTS["exports"] = dataclasses.replace(outputs.OUTPUTS["exports"], render=broken)
    with pytest.raises(ValidationFailed, match=r"20 SHACL violation\(s\).*rank above 5"):
        pipeline.run(Layout(tmp_path), out=tmp_path / "build", views=False, docs=False, site=False, jobs=2)
    assert not (tmp_path / "build").exists()


@in_a_fresh_process
def test_side_by_side_a_failed_validation_is_the_error_though_the_layouts_failed(tmp_path: Path) -> None:
    """An error in this process while the validation runs beside it (the views' layouts, here)
    waits for the validation's verdict: its failure is the build's error, as one job at a time."""
    from egovkg.errors import ValidationFailed
    from egovkg.paths import Layout
    from egovkg.publish import explorer, pipeline
    from egovkg.publish.views.index import ViewError

    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, tmp_path / part)
    append_shape(tmp_path, STRICTER_RANK_SHAPE)

    def no_layouts(graph: object) -> None:
        raise ViewError("the layouts failed")

    explorer.prepare_views = no_layouts
    with pytest.raises(ValidationFailed, match=r"20 SHACL violation\(s\)") as failed:
        pipeline.run(Layout(tmp_path), out=tmp_path / "build", docs=False, site=False, jobs=2)
    assert isinstance(failed.value.__cause__, ViewError)
    assert not (tmp_path / "build").exists()
    # valid data: the layouts' own error is the build's
    shutil.copy(ROOT / "ontology" / "shapes.ttl", tmp_path / "ontology" / "shapes.ttl")
    with pytest.raises(ViewError, match="the layouts failed"):
        pipeline.run(Layout(tmp_path), out=tmp_path / "build", docs=False, site=False, jobs=2)
