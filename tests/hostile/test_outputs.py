"""Outputs under stress: concurrent builds, a build killed mid-way, oversized inputs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from egovkg.cli import main

from ..conftest import ROOT

BUILD = [sys.executable, "-m", "egovkg", "build", "--no-views", "--no-docs", "-o"]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("reference")
    subprocess.run([*BUILD, str(out)], check=True, cwd=ROOT, capture_output=True)
    return _files(out)


def test_two_builds_at_once_produce_correct_files(tmp_path: Path, reference: dict[str, bytes]) -> None:
    procs = [
        subprocess.Popen([*BUILD, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    assert _files(tmp_path) == reference


@pytest.mark.parametrize("delay", [0.8, 1.6, 2.4])
def test_a_build_killed_midway_leaves_whole_files(tmp_path: Path, reference: dict[str, bytes], delay: float) -> None:
    previous = {name: b"previous " + name.encode() for name in reference}
    for name, data in previous.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    proc = subprocess.Popen([*BUILD, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(delay)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    after = _files(tmp_path)
    assert sorted(after) == sorted(reference), "no temporary file may be left behind"
    for name, data in after.items():
        assert data in (previous[name], reference[name]), f"{name} is neither the old nor the new file"


def test_an_oversized_input_is_refused_by_the_memory_store_and_streamed_by_oxigraph(tmp_path: Path) -> None:
    big = tmp_path / "big.ttl"
    with big.open("w", encoding="utf-8") as fh:
        line = "# " + "x" * 1000 + "\n"
        for _ in range(53_000):
            fh.write(line)
        fh.write("<urn:a> <urn:b> <urn:c> .\n")
    assert big.stat().st_size > 50 * 1024 * 1024
    runner = CliRunner()
    query = ["query", "-e", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--data", str(big), "--format", "csv"]
    refused = runner.invoke(main, [*query, "--store", "memory"])
    assert refused.exit_code == 2
    assert "too large for the in-memory store" in refused.output and "--store oxigraph" in refused.output
    streamed = runner.invoke(main, [*query, "--store", "oxigraph"])
    assert streamed.exit_code == 0, streamed.output
    assert streamed.output.split() == ["n", "1"]


def test_no_environment_secret_reaches_the_output(monkeypatch) -> None:
    monkeypatch.setenv("EGOVKG_PASSWORD", "hunter2-secret")
    result = CliRunner().invoke(main, ["push", "--endpoint", "http://127.0.0.1:9/store", "--user", "u"])
    assert result.exit_code == 2
    assert "hunter2" not in result.output
    assert os.environ["EGOVKG_PASSWORD"] == "hunter2-secret"
