"""The query workbench's files in the site, without a browser (tests/browser/test_workbench_browser.py runs it)."""

from __future__ import annotations

import hashlib
import html
import json
import re

import pytest

from egovkg.paths import Layout
from egovkg.publish import workbench
from egovkg.publish.site import CSP, Site, csp_for
from egovkg.sparql.catalogue import load_catalogue

README = workbench.VENDOR / "README.md"


@pytest.fixture(scope="module")
def site(kg) -> Site:
    return Site(kg, layout=Layout.default())


def test_the_site_has_the_page_its_scripts_and_the_vendored_files_unchanged(site: Site) -> None:
    paths = set(site.paths())
    assert {"query.html", "assets/query/query.js", "assets/query/worker.js", "assets/query/terms.json"} <= paths
    for rel, (folder, name) in workbench.VENDORED.items():
        assert rel in paths
        assert site.render(rel) == workbench._vendor_file(folder, name).read_bytes()
    for folder in ("yasqe-4.6.2", "oxigraph-0.5.11", "vis-network-9.1.2"):
        assert any(rel.startswith(f"assets/vendor/{folder}/LICENSE") for rel in paths), folder
    assert "assets/query/sources/announcement-2012.txt" in paths
    source = Layout.default().sources / "announcement-2012.txt"
    assert site.render("assets/query/sources/announcement-2012.txt") == source.read_bytes()


def test_vendored_files_match_the_hashes_in_the_vendor_readme() -> None:
    text = README.read_text(encoding="utf-8")
    for folder in ("yasqe-4.6.2", "oxigraph-0.5.11"):
        for path in sorted((workbench.VENDOR / folder).iterdir()):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert re.search(rf"\| `{re.escape(path.name)}` \|[^\n]*`{digest}`", text), f"{folder}/{path.name}"


def test_the_page_embeds_the_catalogue_as_written(site: Site) -> None:
    page = site.render("query.html").decode("utf-8")
    m = re.search(r'<script type="application/json" id="wb-config">(.*?)</script>', page, re.S)
    assert m
    config = json.loads(m.group(1))
    catalogue = load_catalogue(Layout.default().queries)
    assert [q["name"] for q in config["catalogue"]] == list(catalogue)
    for q in config["catalogue"]:
        named = catalogue[q["name"]]
        assert q["text"] == named.text and q["summary"] == named.summary and q["check"] == named.is_check
        assert [p["name"] for p in q["params"]] == [p.name for p in named.params]
    assert config["dump"] == "dump/egovkg.nt" and config["base"] == site.base


def test_the_page_and_its_scripts_load_nothing_remote(site: Site) -> None:
    page = site.render("query.html").decode("utf-8")
    without_data = re.sub(r'<script type="application/json".*?</script>', "", page, flags=re.S)
    assert not re.search(r'(src|href)="(https?:)?//', without_data)
    assert workbench.CSP in html.unescape(page) and "connect-src 'self'" in workbench.CSP
    for name in workbench.OWN:
        code = site.render(f"assets/query/{name}").decode("utf-8")
        assert not re.search(r"fetch\(\s*[\"'`]https?:", code), name
        assert "import(" not in code or name == "worker.js"
    assert csp_for("query.html") == workbench.CSP and csp_for("index.html") == CSP


def test_terms_give_every_resource_a_page_and_the_ontology_for_completion(site: Site) -> None:
    terms = json.loads(site.render("assets/query/terms.json"))
    paths = set(site.paths())
    assert len(terms["resources"]) == len(site.resources)
    assert all(href in paths for href, _zh, _en in terms["resources"].values() if href)
    assert "https://w3id.org/egovkg/ontology#Award" in terms["classes"]
    assert "https://w3id.org/egovkg/ontology#agencyKind" in terms["properties"]
    assert ["egov", "https://w3id.org/egovkg/ontology#"] in terms["prefixes"]
    agency = terms["resources"]["https://w3id.org/egovkg/id/agency/qingdao-egov-office"]
    assert agency[1] == "青岛市电子政务和信息资源管理办公室" and agency[2].startswith("Qingdao")


def test_the_index_and_every_page_link_to_the_workbench(site: Site) -> None:
    assert 'href="query.html"' in site.render("index.html").decode()
    assert 'href="../../query.html"' in site.render("id/agency/qingdao-egov-office.html").decode()
