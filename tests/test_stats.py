"""Network analytics on the real graph: the figures a reader of the 2012 announcement can check."""

from __future__ import annotations

import csv
import io
import json
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from egovkg.publish import stats as analytics

CATEGORIES = ["management-innovation", "public-service", "technology-application", "government-microblog"]


@pytest.fixture(scope="module")
def result(graph) -> analytics.Stats:
    return analytics.compute(graph)


def test_ten_awards_in_each_category(result):
    assert [(c.id, c.count) for c in result.awards_by_category] == [(c, 10) for c in CATEGORIES]
    assert [c.zh for c in result.awards_by_category] == ["管理创新", "公共服务", "技术应用", "政务微博"]


def test_awards_by_province(result):
    by_code = {c.id: c for c in result.awards_by_province}
    assert sum(c.count for c in result.awards_by_province) == 40
    # central bodies lead; Beijing is the province with the most awards
    assert result.province_leader() == analytics.Count("000000", "中国（中央）", "China (national)", 8)
    first_province = next(c for c in result.awards_by_province if c.id != "000000")
    assert (first_province.zh, first_province.count) == ("北京市", 5)
    # districts and cities roll up: Yichang, Jiang'an (Wuhan) and two provincial bodies make Hubei 4
    assert by_code["420000"].count == 4
    assert by_code["370000"].count == 2  # both Qingdao awards
    assert by_code["320000"].count == 4  # Nanjing twice, Changzhou, the Jiangsu DRC
    assert not {"420500", "370200", "110101"} & set(by_code)  # no city or district left unrolled


def test_agencies_by_kind(result):
    kinds = {k.id: k for k in result.agencies_by_kind}
    assert sum(k.agencies for k in result.agencies_by_kind) == 60  # 58 agencies and 2 enterprises
    assert (kinds["government-office"].agencies, kinds["court"].agencies, kinds["enterprise"].agencies) == (19, 2, 2)
    assert kinds["court"].awards == 2  # Beijing High Court, Henan High Court
    assert kinds["mass-organisation"].awards == 0  # the Youth League's award went to a person
    assert result.agencies_by_kind[0].id == "government-office"


def test_co_applicant_network(result):
    pairs = {(p.a, p.b): p.awards for p in result.co_applicants}
    assert pairs == {
        ("agency:cpc-organization-department-information-centre", "agency:kingbase"): (
            "award:2012-technology-application-07",
        ),
        ("agency:qingdao-approval-office", "agency:qingdao-egov-office"): ("award:2012-public-service-03",),
        ("agency:xinjiang-hrss-information-centre", "agency:xinjiang-social-insurance-bureau"): (
            "award:2012-management-innovation-09",
        ),
        ("agency:yinchuan-government-general-office", "agency:yinchuan-party-general-office"): (
            "award:2012-government-microblog-10",
        ),
    }
    co = result.co_applicant_graph
    # 44 recipient links, 43 recipients (the Qingdao e-government office won twice), 4 pairs
    assert co.number_of_nodes() == 43 and co.number_of_edges() == 4
    qingdao = "https://w3id.org/egovkg/id/agency/qingdao-egov-office"
    assert co.degree(qingdao) == 1


def test_centrality(result):
    office = result.centrality_of("agency:qingdao-egov-office")
    assert office.degree == 3  # two awards and Qingdao
    assert office.degree_centrality == round(3 / 201, 6)
    assert 0 < office.betweenness < 1
    regions = [c for c in result.centrality if c.cls == "Region"]
    assert regions[0].id == "region:000000" and regions[0].degree == 46
    programmes = [c for c in result.centrality if c.cls == "Programme"]
    assert programmes[0].id == "programme:golden-projects"
    assert {c.cls for c in result.centrality} == {"Agency", "Enterprise", "Region", "Programme"}
    assert len(result.centrality) == 58 + 2 + 39 + 16


def test_components(result):
    assert result.network == {"nodes": 202, "edges": 298}
    assert len(result.components) == 1
    assert result.components[0].size == 202 and result.components[0].hub == "region:000000"


def test_outputs_agree(result):
    data = json.loads(analytics.to_json(result))
    assert data["awards_by_category"][0] == {
        "id": "management-innovation",
        "zh": "管理创新",
        "en": "Management Innovation",
        "count": 10,
    }
    assert len(data["co_applicants"]) == 4
    table = list(csv.DictReader(io.StringIO(analytics.to_csv(result))))
    assert list(table[0]) == list(analytics.CSV_FIELDS)
    cats = [r for r in table if r["table"] == "awards-by-category"]
    assert [(r["id"], r["value"]) for r in cats] == [(c, "10") for c in CATEGORIES]
    text = analytics.to_table(result)
    assert "管理创新" in text and "China (national)" in text and "agency:qingdao-egov-office" in text
    assert analytics.to_json(result) == analytics.to_json(analytics.compute(result_graph_again(result)))


def result_graph_again(result):  # the same figures from an index built again
    from egovkg.graph.build import build
    from egovkg.paths import Layout

    return build(Layout(Path(__file__).resolve().parent.parent)).union()


def test_chart_is_a_deterministic_png(result):
    png = analytics.chart_png(result)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (800, round(100 * (0.32 * 17 + 1.2)))  # 17 rows: 16 provinces and China
    assert png == analytics.chart_png(result)
    assert b"Software" not in png and b"matplotlib" not in png.lower()


def test_stats_command(graph, tmp_path):
    from egovkg.cli.views import stats

    ttl = tmp_path / "g.ttl"
    graph.serialize(ttl, format="turtle")
    chart = tmp_path / "chart.png"
    res = CliRunner().invoke(stats, ["--format", "csv", "--chart", str(chart), "--data", str(ttl)])
    assert res.exit_code == 0, res.output
    assert "awards-by-province,000000" in res.output
    assert chart.read_bytes()[:4] == b"\x89PNG"
    res = CliRunner().invoke(stats, ["--data", str(tmp_path / "missing.ttl")])
    assert res.exit_code == 2 and "no such file" in res.output


def test_a_chart_that_cannot_be_written_fails_before_any_output(tmp_path):
    from egovkg.cli.views import stats

    data = tmp_path / "one.nt"
    data.write_text("<http://e/s> <http://e/p> <http://e/o> .\n", encoding="utf-8")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    chart = tmp_path / "file" / "chart.png"
    res = CliRunner().invoke(stats, ["--format", "csv", "--chart", str(chart), "--data", str(data)])
    assert (res.exit_code, res.stdout) == (2, "")
    assert res.stderr == f"error: cannot write {chart}: Not a directory\n"
