"""The library is quiet (issue 15): a build from Python puts nothing on stderr and leaves the
process's logging as it found it. pyLODE configures the root logger at DEBUG when imported,
after which matplotlib, asyncio and pyshacl wrote hundreds of DEBUG lines and pyLODE its
"Loading background ontologies"."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

SCRIPT = """
import json, logging, sys
from pathlib import Path
from egovkg.paths import Layout
from egovkg.publish.pipeline import run

home = Path(sys.argv[1])
summary = run(Layout(home), out=home / "build", views=True, docs=True, site=False)
root = logging.getLogger()
print(json.dumps({
    "files": [str(p.relative_to(home)) for p, _ in summary.files],
    "root_level": logging.getLevelName(root.level),
    "root_handlers": len(root.handlers),
}))
"""


@pytest.mark.slow
def test_a_library_build_writes_nothing_to_stderr_and_configures_no_logging(tmp_path: Path) -> None:
    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, tmp_path / part)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("PYTHONWARNINGS", None)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr == "", f"stderr must be empty; it began: {proc.stderr[:1500]}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["root_level"] == "WARNING" and report["root_handlers"] == 0
    written = set(report["files"])
    assert {"build/egovkg.ttl", "viz/awards-by-province.png"} <= written
    assert (tmp_path / "build" / "docs" / "ontology.html").is_file()  # the docs folder is published whole
