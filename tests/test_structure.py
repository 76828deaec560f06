"""The tree shows the pipeline: stages import only earlier stages, no cycle hides in a
function-level import, the library never imports the CLI, prints or installs signal handlers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from .conftest import ROOT

PACKAGE = ROOT / "src" / "egovkg"
# data flows down this list; a module may import its own stage and the stages above it
ORDER = ["errors", "paths", "util", "ingest", "graph", "rdfio", "sparql", "publish", "serve", "kg", "cli"]


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every egovkg module each module imports, at any depth (function-level imports included)."""
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        here = _module(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("egovkg"):
                if node.module == "egovkg":
                    targets = [f"egovkg.{a.name}" for a in node.names if a.name != "__version__"]
                else:
                    targets = [node.module]
                edges.setdefault(here, set()).update(targets)
            elif isinstance(node, ast.Import):
                edges.setdefault(here, set()).update(a.name for a in node.names if a.name.startswith("egovkg"))
    return edges


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "egovkg"


def test_no_module_imports_a_later_stage() -> None:
    upward = [
        f"{m} -> {t}"
        for m, targets in sorted(_imports().items())
        for t in sorted(targets)
        if _stage(m) in ORDER and _stage(t) in ORDER and ORDER.index(_stage(t)) > ORDER.index(_stage(m))
    ]
    assert upward == []


def test_there_is_no_import_cycle_even_in_function_level_imports() -> None:
    g = nx.DiGraph((m, t) for m, targets in _imports().items() for t in targets if t != m)
    assert list(nx.simple_cycles(g)) == []


def test_every_module_belongs_to_a_stage() -> None:
    stages = {_stage(_module(p)) for p in PACKAGE.rglob("*.py")} - {"egovkg", "__main__"}
    assert stages <= set(ORDER), stages - set(ORDER)


def test_the_library_never_prints_exits_or_sets_signal_handlers() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if _module(path).startswith(("egovkg.cli", "egovkg.__main__")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
                if (isinstance(f, ast.Name) and name == "print") or (owner, name) in {
                    ("sys", "exit"),
                    ("signal", "signal"),
                    ("logging", "basicConfig"),
                }:
                    offenders.append(f"{_module(path)}:{node.lineno} {owner + '.' if owner else ''}{name}")
    assert offenders == []


def test_importing_the_front_door_is_light() -> None:
    """`import egovkg` and opening the graph import neither rdflib nor the CLI."""
    code = (
        "import sys, egovkg; kg = egovkg.open(); "
        "print(sorted(m for m in ('rdflib', 'click', 'egovkg.cli') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"
    assert done.stderr == ""


@pytest.mark.slow
def test_the_wheel_works_outside_a_checkout(tmp_path: Path) -> None:
    """Built with `pip wheel`, installed elsewhere, run in an empty folder: the queries, ontology,
    shapes and data travel as package data."""
    wheels, target, empty = tmp_path / "wheels", tmp_path / "site", tmp_path / "empty"
    empty.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-build-isolation", "--no-deps", str(ROOT), "-w", str(wheels)], check=True)
    (wheel,) = wheels.glob("egovkg-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = [sys.executable, "-m", "egovkg"]
    done = subprocess.run(
        [*run, "query", "awards-by-province", "--format", "csv"], capture_output=True, text=True, cwd=empty, env=env
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "province,code,province_zh,province_en,awards"
    assert lines[1] == "https://w3id.org/egovkg/id/region/000000,000000,中国（中央）,China (national),8"
    assert lines[2] == "https://w3id.org/egovkg/id/region/110000,110000,北京市,Beijing,5"
    # the installed package, not this checkout, answered
    where = subprocess.run(
        [sys.executable, "-c", "import egovkg; print(egovkg.__file__)"],
        capture_output=True,
        text=True,
        cwd=empty,
        env=env,
        check=True,
    )
    assert where.stdout.strip().startswith(str(target))
    done = subprocess.run([*run, "validate"], capture_output=True, text=True, cwd=empty, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("conforms")
    # outputs land in the current folder, never inside the installed package
    assert (empty / "build" / "cache").is_dir()
    assert not any(target.glob("egovkg/_shipped/build"))
