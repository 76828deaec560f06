"""docs/notebook.ipynb runs top to bottom (nbclient) and shows what it says it shows."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import ROOT


@pytest.mark.slow
def test_the_notebook_runs_and_shows_real_answers() -> None:
    nb = nbformat.read(ROOT / "docs" / "notebook.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = {
        cell.source.splitlines()[0]: cell.outputs for cell in nb.cells if cell.cell_type == "code" and cell.outputs
    }

    def text(first_line: str) -> str:
        out = outputs[first_line][0]
        return out.get("text") or out["data"]["text/plain"]

    by_category = text('winners = kg.query("winners-by-category").df')
    counts = dict(line.rsplit(None, 1) for line in by_category.splitlines()[1:5])
    assert {k.strip(): v for k, v in counts.items()} == {
        "Government Microblogging": "10",
        "Management Innovation": "10",
        "Public Service": "10",
        "Technology Application": "10",
    }
    assert "北京市" in text('provinces = kg.query("awards-by-province").df')
    region = outputs['kg.query("awards-in-region", region="https://w3id.org/egovkg/id/region/370200")'][0]
    assert "青岛市电子政务和信息资源管理办公室" in region["data"]["text/html"]
    assert text("kg.validate().conforms") == "True"
    view = outputs['kg.view("agencies", lang="en")'][0]["data"]["text/html"]
    assert view.startswith("<iframe") and "vis-network" in view
