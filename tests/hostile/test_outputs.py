"""Outputs under stress: concurrent builds, a build killed mid-way, oversized inputs."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from egovkg.cli import main

from ..conftest import ROOT, published

BUILD = [sys.executable, "-m", "egovkg", "build", "--no-views", "--no-docs", "-o"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("reference")
    subprocess.run([*BUILD, str(out)], check=True, cwd=ROOT, capture_output=True)
    return published(out)


@pytest.mark.slow
def test_two_builds_at_once_produce_correctpublished(tmp_path: Path, reference: dict[str, bytes]) -> None:
    procs = [
        subprocess.Popen([*BUILD, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    assert published(tmp_path) == reference


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.8, 1.6, 2.4])
def test_a_build_killed_midway_leaves_wholepublished(tmp_path: Path, reference: dict[str, bytes], delay: float) -> None:
    previous = {name: b"previous " + name.encode() for name in reference}
    for name, data in previous.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    proc = subprocess.Popen([*BUILD, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(delay)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    after = published(tmp_path)
    assert sorted(after) == sorted(reference), "no temporary file may be left behind"
    for name, data in after.items():
        assert data in (previous[name], reference[name]), f"{name} is neither the old nor the new file"


@pytest.mark.slow
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


def _written_by(command: str, target: Path, tmp_path: Path) -> None:
    src = tmp_path / "good.nt"
    src.write_text('<http://e/s> <http://e/p> "x" .\n', encoding="utf-8")
    args = {
        "export": ["export", "--format", "nt", "--data", str(src), "-o", str(target)],
        "extract": ["extract", str(ROOT / "data/sources/announcement-2012.txt"), "-o", str(target)],
    }[command]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", ["export", "extract"])
def test_output_to_a_fifo_streams_and_keeps_the_fifo(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "myfifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    done = threading.Event()
    # the reader is opened first, non-blocking, so a writer that renames over the FIFO fails the test, not hangs it
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)

    def drain() -> None:  # concurrently: the output may be larger than the pipe's buffer
        while True:
            try:
                chunk = os.read(reader, 1 << 16)
            except BlockingIOError:  # a writer, nothing written yet
                chunk = b""
            if chunk:
                received.append(chunk)
            elif done.is_set():
                return
            else:
                time.sleep(0.01)

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    try:
        _written_by(command, fifo, tmp_path)
    finally:
        done.set()
        thread.join(30)
        os.close(reader)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    data = b"".join(received)
    assert data.startswith(b"<http://e/s>" if command == "export" else b'{"')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.nt", "myfifo"]


@pytest.mark.parametrize("command", ["export", "extract"])
def test_output_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path: Path, command: str) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real/out").write_bytes(b"previous")
    link = tmp_path / "link"
    link.symlink_to("real/out")
    _written_by(command, link, tmp_path)
    assert link.is_symlink() and os.readlink(link) == "real/out"
    assert (tmp_path / "real/out").read_bytes().startswith(b"<http://e/s>" if command == "export" else b'{"')
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["out"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
@pytest.mark.parametrize("command", ["export", "extract"])
def test_output_to_a_device_node_keeps_the_device(tmp_path: Path, command: str) -> None:
    node = tmp_path / "mynull"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    _written_by(command, node, tmp_path)
    assert stat.S_ISCHR(node.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.nt", "mynull"]
