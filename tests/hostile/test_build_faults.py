"""Fault injection on `egovkg build`: killed at each phase, a full disk, leftovers of interrupted builds.

The promise under test (egovkg.util.generations): a reader sees the previous output set or
the new one, whole, never a mix; the next build removes what an interrupted one left.
Each build here is a real `python -m egovkg build` in a child process; the kill is the
child's own SIGKILL at a chosen point, put there by wrapping one function before the CLI
runs (no hook in the library).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import ROOT
from ..conftest import published as _published


def published(folder: Path) -> dict[str, bytes]:
    """The published set as a reader sees it: not the generations behind the links, nor the graph
    cache (build/cache: a shortcut for later commands, written once a build has published)."""
    return _published(folder, frozenset({".generations", "cache"}))


pytestmark = pytest.mark.slow

OLD_BASE = "https://example.org/old/id/"
OPTIONS = ["--no-views", "--no-docs", "--no-site"]
CHILD = r"""
import dataclasses, os, signal, sys

phase = sys.argv[1]
BUILD = os.getpid()  # the build renders its outputs in forked processes: the kill is the build's

def die():
    os.kill(BUILD, signal.SIGKILL)

from egovkg.publish import outputs, pipeline  # pipeline registers the outputs
from egovkg.util import generations as g

if phase.startswith("render:"):
    name = phase.split(":", 1)[1]
    real = outputs.OUTPUTS[name]

    def render(ctx, folder, _real=real.render):
        _real(ctx, folder)
        die()

    outputs.OUTPUTS[name] = dataclasses.replace(real, render=render)
elif phase in ("site:writing", "site:worker-crash"):
    from egovkg.publish import site as site_mod

    real_some = site_mod._write_some

    def write_some(site, folder, paths):
        real_some(site, folder, paths[: len(paths) // 2])
        if phase == "site:writing":  # the build is killed
            os.kill(BUILD, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)  # a writer dies

    site_mod._write_some = write_some
elif phase == "publish:rename":
    real_rename = os.rename

    def rename(a, b, _real=real_rename):
        _real(a, b)
        if "staging-" in str(a):
            die()

    os.rename = rename
elif phase == "publish:before-switch":
    g.Generations._switch = lambda self, name: die()
elif phase == "publish:after-switch":
    real_switch = g.Generations._switch

    def switch(self, name, _real=real_switch):
        _real(self, name)
        die()

    g.Generations._switch = switch
elif phase == "migrate:links":
    real_link = g.Generations._link
    count = [0]

    def link(self, public, target, _real=real_link):
        _real(self, public, target)
        count[0] += 1
        if count[0] == 3:
            die()

    g.Generations._link = link
else:
    raise SystemExit(f"unknown phase {phase}")

from egovkg.cli import main

main(sys.argv[2:])
"""


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "EGOVKG_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}


def _build(home: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "egovkg", "build", "-o", str(out), *extra],
        capture_output=True,
        text=True,
        env=_env(home),
        cwd=home,
        timeout=900,
    )


def _killed_build(home: Path, out: Path, phase: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, phase, "build", "-o", str(out), *extra],
        capture_output=True,
        text=True,
        env=_env(home),
        cwd=home,
        timeout=900,
    )


def _leftovers(out: Path) -> list[str]:
    state = out / ".generations"
    names = sorted(p.name for p in state.iterdir()) if state.is_dir() else []
    published_sets = [n for n in names if n not in ("lock", "current")]
    stray = [p.name for p in out.iterdir() if p.name.endswith(".tmp") or p.name.endswith(".old")]
    return ([] if len(published_sets) <= 1 else published_sets) + stray


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, home / part)
    return home


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """A home whose build/ holds the old set (another base IRI), and the old and new sets' files."""
    root = tmp_path_factory.mktemp("faults")
    home = _home(root)
    new_home = _home(root / "new")
    done = _build(new_home, new_home / "build", *OPTIONS)
    assert done.returncode == 0, done.stderr
    done = _build(home, home / "build", *OPTIONS, "--base", OLD_BASE)
    assert done.returncode == 0, done.stderr
    old, new = published(home / "build"), published(new_home / "build")
    assert old.keys() == new.keys() and old != new
    return home, old, new


@pytest.mark.parametrize(
    "phase",
    ["render:exports", "render:void", "publish:rename", "publish:before-switch", "publish:after-switch"],
)
def test_a_build_killed_at_each_phase_leaves_one_whole_set(sets, tmp_path: Path, phase: str) -> None:
    template, old, new = sets
    home = tmp_path / "home"
    shutil.copytree(template, home, symlinks=True)
    out = home / "build"
    killed = _killed_build(home, out, phase, *OPTIONS)
    assert killed.returncode == -9, killed.stderr
    after = published(out)
    expected = new if phase == "publish:after-switch" else old
    assert after == expected, f"killed at {phase}: not the {'new' if expected is new else 'old'} set, whole"
    # the next build publishes the new set and removes what the killed one left
    done = _build(home, out, *OPTIONS)
    assert done.returncode == 0, done.stderr
    assert published(out) == new
    assert _leftovers(out) == []
    assert not any(p.name.startswith("staging-") for p in (out / ".generations").iterdir())


def test_a_build_killed_while_the_site_is_written_leaves_the_previous_site(sets, tmp_path: Path) -> None:
    template, _old, _new = sets
    home = tmp_path / "home"
    shutil.copytree(template, home, symlinks=True)
    out = home / "build"
    first = _build(home, out, "--no-views", "--no-docs", "--base", OLD_BASE)
    assert first.returncode == 0, first.stderr
    before = published(out)
    assert any(name.startswith("site/") for name in before)
    killed = _killed_build(home, out, "site:writing", "--no-views", "--no-docs")
    assert killed.returncode == -9, killed.stderr
    assert published(out) == before
    assert any(p.name.startswith("staging-") for p in (out / ".generations").iterdir()), "the kill left a staging set"
    done = _build(home, out, "--no-views", "--no-docs")
    assert done.returncode == 0, done.stderr
    assert not any(p.name.startswith("staging-") for p in (out / ".generations").iterdir())
    assert _leftovers(out) == []


def test_a_site_writer_that_dies_fails_the_build_cleanly(sets, tmp_path: Path) -> None:
    template, old, _new = sets
    home = tmp_path / "home"
    shutil.copytree(template, home, symlinks=True)
    out = home / "build"
    crashed = _killed_build(home, out, "site:worker-crash", "--no-views", "--no-docs")
    assert crashed.returncode == 2, crashed.stderr
    assert crashed.stderr.startswith("error: ") and crashed.stderr.count("\n") == 1, crashed.stderr
    assert "a site writer process died" in crashed.stderr
    assert published(out) == old
    assert not any(p.name.startswith("staging-") for p in (out / ".generations").iterdir())


def test_plain_files_from_an_old_build_are_migrated_without_a_mixed_moment(sets, tmp_path: Path) -> None:
    """A checkout built before output sets: plain files, and a site folder, where the links go."""
    template, old, new = sets
    home = tmp_path / "home"
    shutil.copytree(template, home, symlinks=True)
    out = home / "build"
    shutil.rmtree(out)
    for name, data in old.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    (out / ".site.abc123.tmp").mkdir()  # left by the old site writer when it was killed
    (out / ".site.abc123.tmp" / "index.html").write_bytes(b"half")
    killed = _killed_build(home, out, "migrate:links", *OPTIONS)
    assert killed.returncode == -9, killed.stderr
    assert published(out) == old, "mid-migration, every name still shows the old bytes"
    done = _build(home, out, *OPTIONS)
    assert done.returncode == 0, done.stderr
    assert published(out) == new
    assert all((out / name).is_symlink() for name in new)
    assert _leftovers(out) == []


def test_an_unchanged_build_rewrites_nothing(sets, tmp_path: Path) -> None:
    template, old, _new = sets
    home = tmp_path / "home"
    shutil.copytree(template, home, symlinks=True)
    out = home / "build"
    stamps = {name: (out / name).stat().st_mtime_ns for name in old}
    inodes = {name: (out / name).stat().st_ino for name in old}
    done = _build(home, out, *OPTIONS, "--base", OLD_BASE)
    assert done.returncode == 0, done.stderr
    assert "no input changed since the last build" in done.stdout
    assert published(out) == old
    assert {name: (out / name).stat().st_mtime_ns for name in old} == stamps
    assert {name: (out / name).stat().st_ino for name in old} == inodes


def _can_mount_tmpfs(where: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        return False
    subprocess.run(["umount", str(where)], check=True)
    return True


def test_a_full_disk_leaves_the_previous_set_and_no_staging(sets, tmp_path: Path) -> None:
    template, old, _new = sets
    disk = tmp_path / "disk"
    if not _can_mount_tmpfs(disk):
        pytest.skip("mounting a tmpfs needs root in a mount namespace that allows it")
    home = tmp_path / "home"
    shutil.copytree(template, home, symlinks=True)
    size = sum(len(b) for b in old.values())
    # room for the old set and about half of a new one
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size * 3 // 2}", "tmpfs", str(disk)], check=True)
    try:
        out = disk / "build"
        first = _build(home, out, *OPTIONS, "--base", OLD_BASE)
        assert first.returncode == 0, first.stderr
        assert published(out) == old
        full = _build(home, out, *OPTIONS)
        assert full.returncode == 2, full.stdout + full.stderr
        assert "No space left on device" in full.stderr and "the previous outputs are unchanged" in full.stderr
        assert full.stderr.count("\n") == 1, "one error line"
        assert published(out) == old
        assert not any(p.name.startswith("staging-") for p in (out / ".generations").iterdir())
        assert _leftovers(out) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)
