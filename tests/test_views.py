"""The views: projections of the real graph, layouts, and the pages' content and safety."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from egovkg.errors import EgovkgError
from egovkg.graph.namespaces import EGOV
from egovkg.publish import views
from egovkg.publish.views.layout import _median

ID = "https://w3id.org/egovkg/id/"
HOSTILE_EN = "<img src=x onerror=alert(1)>"
HOSTILE_ZH = "</script><script>alert(2)</script>"


def iri(key: str) -> str:
    kind, _, local = key.partition(":")
    return f"{ID}{kind}/{local}"


def page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="egovkg-data">(.*?)</script>', html, re.S)
    assert m, "the page has no data element"
    return json.loads(m.group(1))


def classes(g: nx.Graph) -> dict[str, int]:
    out: dict[str, int] = {}
    for _n, cls in g.nodes(data="cls"):
        out[cls] = out.get(cls, 0) + 1
    return out


def hostile_graph(graph: Graph) -> Graph:
    """A copy of the graph with an agency named by hostile labels, recipient of one award."""
    g = Graph()
    for t in graph:
        g.add(t)
    evil = URIRef(iri("agency:evil"))
    g.add((evil, RDF.type, EGOV.Agency))
    g.add((evil, RDFS.label, Literal(HOSTILE_EN, lang="en")))
    g.add((evil, RDFS.label, Literal(HOSTILE_ZH, lang="zh")))
    g.add((evil, SKOS.altLabel, Literal("evil \u2028 line <!-- x", lang="zh-Latn-pinyin")))
    g.add((evil, EGOV.region, URIRef(iri("region:370200"))))
    g.add((URIRef(iri("award:2012-public-service-03")), EGOV.recipient, evil))
    # and a hostile label on an existing agency, next to its real ones
    g.add((URIRef(iri("agency:qingdao-egov-office")), RDFS.label, Literal(HOSTILE_EN, lang="en")))
    return g


@pytest.fixture(scope="module")
def idx(graph):
    return views.index(graph)


@pytest.fixture(scope="module")
def pages(idx) -> dict[str, str]:
    out = {name: views.render_view(idx, name) for name in views.PAGES}
    out["neighbourhood"] = views.render_view(idx, "neighbourhood", focus="agency:qingdao-egov-office")
    return out


@pytest.fixture(scope="module")
def ttl_file(graph, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "egovkg.ttl"
    graph.serialize(path, format="turtle")
    return path


# -- projections ------------------------------------------------------------------------------


def test_overview_has_every_award_practice_and_person(idx):
    g = views.project(idx, "overview")
    assert classes(g) == {
        "Award": 40,
        "Practice": 40,
        "Agency": 70,  # 58 of the announcement, 12 of the policy history (issue 17)
        "Enterprise": 2,
        "Person": 3,
        "Region": 39,
        "Programme": 30,
        "AwardCategory": 4,
    }
    persons = sorted(g.nodes[n]["zh"] for n in g if g.nodes[n]["cls"] == "Person")
    assert persons == ["刘毅", "王郁松", "袁明"]
    award = iri("award:2012-public-service-03")
    neighbours = {g.nodes[n]["cls"]: [] for n in g[award]}
    for n in g[award]:
        neighbours[g.nodes[n]["cls"]].append(n)
    assert neighbours["AwardCategory"] == [iri("category:public-service")]
    assert neighbours["Practice"] == [iri("practice:2012-public-service-03")]
    assert sorted(neighbours["Agency"]) == [iri("agency:qingdao-approval-office"), iri("agency:qingdao-egov-office")]
    # 40 awards, 4 of them with two applicants: 44 recipient edges
    recipient = str(EGOV.recipient)
    assert sum(recipient in d["predicates"] for _u, _v, d in g.edges(data=True)) == 44
    assert nx.is_connected(g)


def test_geography_nests_yichang_under_hubei(idx):
    g = views.project(idx, "geography")
    assert classes(g) == {"Region": 39, "Practice": 40, "Agency": 70, "Enterprise": 2}
    hubei, yichang = iri("region:420000"), iri("region:420500")
    assert g.nodes[yichang]["zh"] == "宜昌市" and g.nodes[hubei]["zh"] == "湖北省"
    assert g.nodes[yichang]["parent"] == hubei
    assert g.nodes[hubei]["parent"] == iri("region:000000")
    assert g.nodes[iri("agency:yichang-egov-office")]["parent"] == yichang
    assert g.nodes[iri("practice:2012-management-innovation-04")]["parent"] == yichang
    # award counts roll up: Yichang 1, Hubei 4 (Yichang, the health department, Jiang'an, the procuratorate)
    assert g.nodes[yichang]["awards"] == 1
    assert g.nodes[hubei]["awards"] == 4
    assert g.nodes[iri("region:000000")]["awards"] == 40
    assert (g.nodes[iri("region:000000")]["depth"], g.nodes[hubei]["depth"], g.nodes[yichang]["depth"]) == (0, 1, 2)
    assert nx.is_tree(g)
    pos = views.layout(g)
    radius = {n: math.hypot(*pos[n]) for n in (hubei, yichang, iri("region:000000"))}
    assert radius[iri("region:000000")] == 0 < radius[hubei] < radius[yichang]


def test_agencies_links_co_applicants_and_programmes(idx):
    g = views.project(idx, "agencies")
    assert classes(g) == {"Agency": 70, "Enterprise": 2, "Programme": 30}
    co = sorted(tuple(sorted((u, v))) for u, v, d in g.edges(data=True) if views.CO_APPLICANT in d["predicates"])
    assert co == sorted(
        tuple(sorted((iri(a), iri(b))))
        for a, b in [
            ("agency:qingdao-approval-office", "agency:qingdao-egov-office"),
            ("agency:xinjiang-hrss-information-centre", "agency:xinjiang-social-insurance-bureau"),
            ("agency:cpc-organization-department-information-centre", "agency:kingbase"),
            ("agency:yinchuan-government-general-office", "agency:yinchuan-party-general-office"),
        ]
    )
    assert (
        views.AWARD_PROGRAMME
        in g.edges[iri("agency:audit-office-informatization-office"), iri("programme:golden-audit")]["predicates"]
    )
    assert g.has_edge(iri("agency:ningbo-customs"), iri("agency:general-administration-of-customs"))
    # 金审工程 is one of the twelve of 2002, which belong to the Golden projects (issue 17)
    assert g.has_edge(iri("programme:golden-audit"), iri("programme:twelve-golden"))
    assert g.has_edge(iri("programme:twelve-golden"), iri("programme:golden-projects"))


def test_the_timeline_is_not_a_graph_view(idx):
    """One timeline: the explorer's to-scale page (egovkg.publish.timeline), not a vis-network layout."""
    assert "timeline" not in views.VIEWS and "timeline" not in views.PAGES
    with pytest.raises(EgovkgError, match="did you mean timeline"):
        views.check_name("timelin")
    with pytest.raises(EgovkgError, match="unknown view 'timeline'"):
        views.project(idx, "timeline")


def test_neighbourhood_is_around_the_focus_without_crossing_hubs(idx):
    focus = iri("agency:qingdao-egov-office")
    one = views.project(idx, "neighbourhood", focus="agency:qingdao-egov-office", depth=1)
    assert set(one) == {
        focus,
        iri("award:2012-management-innovation-06"),
        iri("award:2012-public-service-03"),
        iri("region:370200"),
        iri("agency-kind:government-office"),
        iri("level:prefectural"),
    }
    two = views.project(idx, "neighbourhood", focus="qingdao-egov-office", depth=2)
    assert iri("agency:qingdao-approval-office") in two  # the co-applicant, through the award
    assert iri("region:370000") in two
    assert iri("agency:yichang-egov-office") not in two  # same kind, but kinds are not crossed
    assert views.project(idx, "neighbourhood", focus=focus, depth=0).number_of_nodes() == 1
    assert views.project(idx, "neighbourhood", focus="青岛市", depth=0).graph["focus"] == iri("region:370200")
    assert views.project(idx, "neighbourhood", focus="Qingdao Shi", depth=0).graph["focus"] == iri("region:370200")


def test_unknown_view_and_focus_name_the_close_matches(idx):
    with pytest.raises(EgovkgError, match="did you mean overview"):
        views.check_name("overveiw")
    with pytest.raises(views.ViewError, match="agency:qingdao-egov-office"):
        views.project(idx, "neighbourhood", focus="qingdao-egov-ofice")
    with pytest.raises(views.ViewError, match="needs --focus"):
        views.project(idx, "neighbourhood")
    with pytest.raises(views.ViewError, match="does not show"):
        views.project(idx, "geography", focus="programme:golden-audit")
    with pytest.raises(views.ViewError, match="ambiguous"):
        views.resolve_focus(idx, "2012-public-service-03")  # the award and the practice share the id
    with pytest.raises(views.ViewError, match="language"):
        views.render_view(idx, "overview", lang="fr")


# -- pages --------------------------------------------------------------------------------------


def test_render_all_returns_the_four_pages_without_writing(graph, tmp_path):
    out = views.render_all(graph, tmp_path / "viz")
    assert sorted(out) == [tmp_path / "viz" / f"{n}.html" for n in sorted([*views.PAGES, "neighbourhood"])]
    assert not (tmp_path / "viz").exists()
    assert all(html.startswith("<!DOCTYPE html>") for html in out.values())


@pytest.mark.parametrize("name", [*views.PAGES, "neighbourhood"])
def test_page_is_self_contained(pages, name):
    html = pages[name]
    assert not re.search(r"<script[^>]*\ssrc=", html, re.I)
    assert not re.search(r"<link[^>]*stylesheet", html, re.I)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", html, re.I)
    assert "sourceMappingURL" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "window.network = network;" in html
    assert "vis-network" in html and "@version 9.1.2" in html


@pytest.mark.parametrize("name", [*views.PAGES, "neighbourhood"])
def test_page_data_is_the_projection(idx, pages, name):
    data = page_data(pages[name])
    focus = "agency:qingdao-egov-office" if name == "neighbourhood" else None
    g = views.project(idx, name, focus=focus)
    assert len(data["nodes"]) == g.number_of_nodes()
    assert len(data["edges"]) == g.number_of_edges()
    assert [n["iri"] for n in data["nodes"]] == sorted(g)
    assert {c["cls"]: c["n"] for c in data["legend"] if c["n"]} == classes(g)
    assert all(math.isfinite(n["x"]) and math.isfinite(n["y"]) for n in data["nodes"])


def test_overview_details_and_filters(pages):
    data = page_data(pages["overview"])
    nodes = {n["key"]: n for n in data["nodes"]}
    award = nodes["award:2012-public-service-03"]
    assert award["short"] == ["公共服务类 序号3", "Public Service no. 3"]
    assert award["facets"] == {"cat": ["public-service"], "prov": ["370000"]}
    assert any("青岛市行政审批事务和公共资源交易管理办公室" in s[1] for s in award["sources"])
    facts = {f["p"][1]: f["v"] for f in award["facts"]}
    assert facts["rank"] == [{"t": "3", "l": ""}]
    assert [v["r"] for v in facts["lead recipient"]] == [iri("agency:qingdao-approval-office")]
    office = nodes["agency:qingdao-egov-office"]
    assert office["pinyin"] == "qing dao shi dian zi zheng wu he xin xi zi yuan guan li ban gong shi"
    assert office["facets"]["kind"] == ["government-office"]
    assert office["sources"] and office["sources"][0][1] == "青岛市电子政务和信息资源管理办公室"
    assert {f["p"][1] for f in office["facts"]} >= {"agency kind", "region", "awards received"}
    assert [o["v"] for o in data["filters"]["cat"]] == [
        "management-innovation",
        "public-service",
        "technology-application",
        "government-microblog",
    ]
    assert all(o["n"] >= 10 for o in data["filters"]["cat"])  # 10 awards and 10 practices, at least
    provinces = {o["v"]: o for o in data["filters"]["prov"]}
    assert provinces["000000"]["en"] == "China (national)" and provinces["420000"]["zh"] == "湖北省"
    assert "government-office" in {o["v"] for o in data["filters"]["kind"]}


def test_same_graph_same_bytes(graph, ttl_file, pages):
    reparsed = Graph().parse(ttl_file, format="turtle")  # same triples, another insertion order
    for name in views.PAGES:
        assert views.render_view(reparsed, name) == pages[name], name


def test_hostile_labels_cannot_break_out(graph):
    html = views.render_view(hostile_graph(graph), "overview")
    assert "<img src=x" not in html
    assert "</script><script>alert" not in html
    assert "\u2028" not in html.split('id="egovkg-data">', 1)[1].split("</script>", 1)[0]
    data = page_data(html)
    evil = next(n for n in data["nodes"] if n["key"] == "agency:evil")
    assert (evil["en"], evil["zh"]) == (HOSTILE_EN, HOSTILE_ZH)
    office = next(n for n in data["nodes"] if n["key"] == "agency:qingdao-egov-office")
    assert HOSTILE_EN in office["alt"]  # a second English label is an other name, shown as text
    title = re.search(
        r"<title>(.*?)</title>",
        views.render_view(hostile_graph(graph), "neighbourhood", focus="agency:evil", lang="both"),
        re.S,
    ).group(1)
    assert "<img" not in title and "&lt;img" in title


def test_script_json_escapes():
    text = views.script_json({"a": "</script><!--&\u2028\u2029"})
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == {"a": "</script><!--&\u2028\u2029"}


def test_vendored_vis_network_is_pyvis_bundle():
    from importlib import resources

    pyvis = pytest.importorskip("pyvis")
    lib = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    ours = resources.files("egovkg") / "publish" / "vendor" / "vis-network-9.1.2"
    # pyvis's copy has CRLF line ends, no final newline, and U+00A0 turned into spaces (3 places)
    theirs = (lib / "vis-network.min.js").read_bytes().replace(b"\r\n", b"\n")
    mine = (ours / "vis-network.min.js").read_bytes()
    assert mine.replace("\u00a0".encode(), b" ").rstrip(b"\n") == theirs.rstrip(b"\n")
    assert (ours / "vis-network.min.css").read_bytes() == (lib / "vis-network.css").read_bytes()
    for licence in ("LICENSE-MIT", "LICENSE-APACHE-2.0"):
        assert (ours / licence).read_text(encoding="utf-8").strip()
    readme = (resources.files("egovkg") / "publish" / "vendor" / "README.md").read_text(encoding="utf-8")
    assert "9.1.2" in readme and "Apache-2.0 OR MIT" in readme


def test_notebook_and_pyvis(idx):
    page = views.ViewPage(views.render_view(idx, "agencies"))
    shown = page._repr_html_()
    assert shown.startswith('<iframe srcdoc="') and "<script" not in shown and "&lt;script" in shown
    g = views.project(idx, "agencies")
    net = views.to_pyvis(idx, g)
    assert len(net.nodes) == g.number_of_nodes() and len(net.edges) == g.number_of_edges()
    assert net.num_nodes() == g.number_of_nodes()


# -- layouts --------------------------------------------------------------------------------------


def test_force_layout_scales_and_is_deterministic():
    g = nx.random_labeled_tree(3000, seed=1) if hasattr(nx, "random_labeled_tree") else nx.random_tree(3000, seed=1)
    g = nx.relabel_nodes(g, {n: f"n{n:05d}" for n in g})
    import time

    t = time.perf_counter()
    pos = views.force_layout(g)  # particle-mesh path (n > EXACT_REPULSION_MAX)
    assert time.perf_counter() - t < 15
    assert pos == views.force_layout(g)
    assert len(set(pos.values())) > 0.95 * len(g)
    small = nx.path_graph(5)
    p = views.force_layout(nx.relabel_nodes(small, str))
    assert len(set(p.values())) == 5


def test_radial_layout_handles_forests():
    g = nx.Graph()
    g.add_edges_from([("a", "b"), ("a", "c"), ("x", "y")])
    g.add_node("lonely")
    pos = views.radial_layout(g, ["a", "x", "lonely"])
    assert set(pos) == set(g) and len(set(pos.values())) == len(g)


# -- the command ------------------------------------------------------------------------------------


def test_view_command_writes_the_page(ttl_file, tmp_path):
    from egovkg.cli.views import view

    out = tmp_path / "g.html"
    res = CliRunner().invoke(view, ["geography", "-o", str(out), "--lang", "en", "--data", str(ttl_file)])
    assert res.exit_code == 0, res.output
    assert "151 nodes" in res.output
    assert page_data(out.read_text(encoding="utf-8"))["lang"] == "en"


def test_view_command_errors_are_one_line(ttl_file, tmp_path):
    from egovkg.cli.views import view

    res = CliRunner().invoke(view, ["overveiw", "--data", str(ttl_file)])
    assert res.exit_code == 2 and "did you mean overview" in res.output
    res = CliRunner().invoke(
        view,
        ["neighbourhood", "--focus", "qingdao-egov-ofice", "-o", str(tmp_path / "n.html"), "--data", str(ttl_file)],
    )
    assert res.exit_code == 2 and "agency:qingdao-egov-office" in res.output
    assert not (tmp_path / "n.html").exists()


def test_a_large_projection_is_cut_down_with_a_note(graph):
    g = views.project(graph, "overview")
    small = views.cut_down(g, 50)
    assert small.number_of_nodes() == 50
    assert small.graph["cut"] == (50, g.number_of_nodes())
    degrees = sorted((d for _n, d in g.degree), reverse=True)
    assert sorted((g.degree(n) for n in small), reverse=True) == degrees[:50]
    html = views.render_view(graph, "overview", limit=50)
    assert "showing the 50 most connected of 228 nodes" in html
    assert views.cut_down(g) is g  # the shipped graph is drawn whole


def test_class_names_come_from_the_ontology(graph, pages):
    from rdflib.namespace import RDFS

    assert not hasattr(views.CLASSES[0], "zh")  # the names are not restated in Python
    for name in ("overview", "geography", "agencies"):
        for entry in page_data(pages[name])["legend"]:
            iri = views.STYLE[entry["cls"]].iri
            names = {lit.language: str(lit) for lit in graph.objects(iri, RDFS.label)}
            assert (entry["zh"], entry["en"]) == (names["zh"], names["en"]), entry["cls"]


@pytest.mark.parametrize("deployment", ["viz", "site"])
def test_every_linked_data_link_is_a_page_of_the_site(kg, deployment):
    """From viz/ (beside build/site/) and from the site's own copy (explorer/): every entity the
    pages carry links to a page the site has."""
    import posixpath

    from egovkg.publish.explorer import render_explorer
    from egovkg.publish.site import Site

    site = Site(kg)
    pages = render_explorer(kg.union(), kg.base, deployment)
    folder = "viz" if deployment == "viz" else "explorer"
    for name in ("overview.html", "geography.html", "agencies.html", "neighbourhood.html"):
        data = page_data(pages[name])
        carried = data["nodes"] + data["extra"]
        assert len(carried) == len(views.index(kg.union()).entities)  # the whole (small) graph travels along
        for node in carried:
            target = posixpath.normpath(posixpath.join(folder, node["page"]))
            if deployment == "viz":
                assert target.startswith("build/site/"), (name, node["page"])
                target = target[len("build/site/") :]
            assert target in site, (name, node["key"], node["page"])
        assert data["views"]["neighbourhood"] == "neighbourhood.html" and "neighbourhood.html" in pages


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 1000, 1001])
def test_layout_median_is_numpys_without_numpy_ma(n):
    values = np.random.default_rng(n).random(n) * 100
    assert _median(values) == float(np.median(values))
