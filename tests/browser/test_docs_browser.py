"""The ontology documentation in a real browser: hostile text in the ontology stays text."""

from __future__ import annotations

from pathlib import Path

from egovkg.publish.pipeline import render_docs

from ..conftest import ROOT

HOSTILE = """
egov:Award rdfs:comment "<img src=x onerror=alert(1)> comment"@en .
egov:Award rdfs:label "<img src=x onerror=alert(2)> label"@en .
<https://w3id.org/egovkg/ontology> dct:description "</script><script>alert(3)</script> description"@en .
"""


def test_hostile_ontology_text_is_shown_not_run(browser, tmp_path: Path) -> None:
    onto = tmp_path / "egovkg.ttl"
    onto.write_text((ROOT / "ontology/egovkg.ttl").read_text(encoding="utf-8") + HOSTILE, encoding="utf-8")
    page_file = tmp_path / "ontology.html"
    page_file.write_text(render_docs(onto), encoding="utf-8")
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else requests.append(r.url))
    context.route("http*://**/*", lambda route: route.abort())
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    text = page.inner_text("body")
    assert "<img src=x onerror=alert(1)> comment" in text
    assert "<img src=x onerror=alert(2)> label" in text
    assert "</script><script>alert(3)</script> description" in text
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []
    assert requests == [], "the documentation must work offline"
    context.close()
