"""The built graph: content, labels, provenance, and the cross-check against the announcement."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SDO, SKOS, XSD

from egovkg.errors import ChecksumError, CrossCheckError
from egovkg.graph.build import KnowledgeGraph, build
from egovkg.graph.namespaces import CV, DEFAULT_BASE, EGOV, OA
from egovkg.paths import Layout

from .conftest import ROOT

ID = DEFAULT_BASE


def iri(path: str) -> URIRef:
    return URIRef(ID + path)


def label(g, node, lang: str) -> str:
    values = [str(o) for o in g.objects(node, RDFS.label) if isinstance(o, Literal) and o.language == lang]
    assert len(values) == 1, (node, lang, values)
    return values[0]


def test_forty_awards_ten_per_category(graph) -> None:
    awards = set(graph.subjects(RDF.type, EGOV.Award))
    assert len(awards) == 40
    per_cat: dict[str, int] = {}
    for a in awards:
        cat = graph.value(a, EGOV.category)
        per_cat[label(graph, cat, "zh")] = per_cat.get(label(graph, cat, "zh"), 0) + 1
    assert per_cat == {"管理创新": 10, "公共服务": 10, "技术应用": 10, "政务微博": 10}


def test_an_award_is_wired_to_category_rank_practice_recipients(graph) -> None:
    a = iri("award/2012-technology-application-07")
    assert graph.value(a, EGOV.rank) == Literal(7, datatype=XSD.integer)
    assert graph.value(a, EGOV.category) == iri("category/technology-application")
    practice = graph.value(a, EGOV.practice)
    assert label(graph, practice, "zh") == "金仓数据库在全国党员.公务员管理系统中的应用"
    recipients = {label(graph, r, "zh") for r in graph.objects(a, EGOV.recipient)}
    assert recipients == {"中共中央组织部信息管理中心", "北京人大金仓信息技术股份有限公司"}
    lead = graph.value(a, EGOV.leadRecipient)
    assert label(graph, lead, "zh") == "中共中央组织部信息管理中心"
    kingbase = next(r for r in graph.objects(a, EGOV.recipient) if r != lead)
    assert (kingbase, RDF.type, EGOV.Enterprise) in graph
    assert (kingbase, RDF.type, CV.PublicOrganisation) not in graph
    assert (lead, RDF.type, CV.PublicOrganisation) in graph


def test_the_qingdao_office_is_one_entity_with_two_awards(graph) -> None:
    offices = [s for s in graph.subjects(RDFS.label, Literal("青岛市电子政务和信息资源管理办公室", lang="zh"))]
    assert len(offices) == 1
    awards = sorted(str(a).rsplit("/", 1)[1] for a in graph.subjects(EGOV.recipient, offices[0]))
    assert awards == ["2012-management-innovation-06", "2012-public-service-03"]


def test_persons_posts_affiliations_and_accounts(graph) -> None:
    persons = {label(graph, p, "zh"): p for p in graph.subjects(RDF.type, URIRef("http://xmlns.com/foaf/0.1/Person"))}
    assert set(persons) == {"王郁松", "刘毅", "袁明"}
    liu = persons["刘毅"]
    assert Literal("副科长", lang="zh") in set(graph.objects(liu, SDO.jobTitle))
    assert label(graph, liu, "en") == "Liu Yi"
    accounts = {label(graph, a, "zh") for a in graph.objects(liu, URIRef("http://xmlns.com/foaf/0.1/account"))}
    assert accounts == {"交警大刘"}
    yuan_org = graph.value(persons["袁明"], ORG.memberOf)
    assert label(graph, yuan_org, "zh") == "湖北省人民检察院"


def test_regions_nest_with_codes(graph) -> None:
    yichang = iri("region/420500")
    assert graph.value(yichang, SKOS.notation) == Literal("420500")
    assert graph.value(yichang, SDO.containedInPlace) == iri("region/420000")
    assert graph.value(iri("region/420000"), SDO.containedInPlace) == iri("region/000000")
    assert label(graph, iri("region/420000"), "en") == "Hubei Province"
    haishu = iri("region/330203")
    assert graph.value(haishu, SDO.containedInPlace) == iri("region/330200")
    practice = iri("practice/2012-public-service-08")
    assert graph.value(practice, EGOV.region) == haishu


def test_parents_and_programmes(graph) -> None:
    moa_centre = next(graph.subjects(RDFS.label, Literal("农业部信息中心", lang="zh")))
    assert label(graph, graph.value(moa_centre, ORG.subOrganizationOf), "zh") == "农业部"
    audit = iri("practice/2012-management-innovation-05")
    programmes = {label(graph, p, "zh") for p in graph.objects(audit, EGOV.relatedProgramme)}
    assert programmes == {"金审工程"}


def test_every_entity_has_zh_and_en_labels(graph) -> None:
    for cls in (
        EGOV.Award,
        EGOV.Practice,
        EGOV.Agency,
        EGOV.Enterprise,
        EGOV.Region,
        EGOV.Programme,
        EGOV.PolicyDocument,
        EGOV.Milestone,
        EGOV.Selection,
        EGOV.MicroblogAccount,
        EGOV.AwardCategory,
        EGOV.StrategicGoal,
        EGOV.Problem,
        URIRef("http://xmlns.com/foaf/0.1/Person"),
    ):
        members = set(graph.subjects(RDF.type, cls))
        assert members, cls
        for node in members:
            for prop in (RDFS.label, SKOS.prefLabel):
                langs = {o.language for o in graph.objects(node, prop) if isinstance(o, Literal)}
                assert {"zh", "en"} <= langs, (node, prop, langs)


def test_every_definition_is_in_both_languages(graph) -> None:
    defined = set(graph.subjects(SKOS.definition, None))
    assert len(defined) >= 13
    for node in defined:
        assert {o.language for o in graph.objects(node, SKOS.definition)} == {"zh", "en"}, node
    assert graph.value(iri("agency-kind/court"), SKOS.definition) in (
        Literal("人民法院（审判机关）。", lang="zh"),
        Literal("A people's court (judicial organ).", lang="en"),
    )


def test_policy_documents_have_real_titles_and_numbers(graph) -> None:
    doc = iri("document/zbf-2002-17")
    assert graph.value(doc, SDO.legislationIdentifier) == Literal("中办发〔2002〕17号"), "an identifier has no language"
    assert label(graph, doc, "zh") == "国家信息化领导小组关于我国电子政务建设指导意见"
    strategy = iri("document/zbf-2006-11")
    goals = {label(graph, g, "zh") for g in graph.objects(strategy, EGOV.strategicGoal)}
    assert goals == {"改善公共服务", "加强社会管理", "强化综合监管", "完善宏观调控"}


def test_selection_figures(graph) -> None:
    sel = iri("selection/cegbp-2012")
    assert graph.value(sel, EGOV.entriesReceivedLowerBound) == Literal(300, datatype=XSD.integer)
    assert graph.value(sel, EGOV.shortlistedCount) == Literal(122, datatype=XSD.integer)
    assert graph.value(sel, EGOV.winnerCount) == Literal(40, datatype=XSD.integer)
    assert graph.value(sel, EGOV.reviewRounds) == Literal(3, datatype=XSD.integer)
    assert graph.value(sel, SDO.startDate) == Literal("2012-05", datatype=XSD.gYearMonth)
    assert graph.value(sel, EGOV.submissionDeadline) == Literal("2012-07", datatype=XSD.gYearMonth)


def _selectors(graph, span) -> tuple[int, int, str]:
    sels = list(graph.objects(span, OA.hasSelector))
    pos = next(s for s in sels if (s, RDF.type, OA.TextPositionSelector) in graph)
    quote = next(s for s in sels if (s, RDF.type, OA.TextQuoteSelector) in graph)
    return int(graph.value(pos, OA.start)), int(graph.value(pos, OA.end)), str(graph.value(quote, OA.exact))


def _span_text(graph, node) -> tuple[int, int, str]:
    return _selectors(graph, graph.value(node, PROV.wasDerivedFrom))


def test_provenance_offsets_point_into_the_source(graph, source_text: str) -> None:
    derived = set(graph.subjects(PROV.wasDerivedFrom, None))
    assert len(derived) > 100
    for node in derived:
        for span in graph.objects(node, PROV.wasDerivedFrom):
            start, end, exact = _selectors(graph, span)
            assert source_text[start:end] == exact
    start, end, exact = _span_text(graph, iri("milestone/2001"))
    assert exact == "2001年.国家成立了国家信息化领导小组"
    start, end, exact = _span_text(graph, iri("practice/2012-government-microblog-02"))
    assert exact == "'南京发布'微博客在网络信息宣传方面的实践"


def test_everything_that_cites_the_announcement_points_to_where_it_says_so(graph, source_text: str) -> None:
    source = iri("source/announcement-2012")
    citing = set(graph.subjects(DCTERMS.source, source))
    assert len(citing) > 100
    assert [str(s) for s in sorted(citing) if (s, PROV.wasDerivedFrom, None) not in graph] == []
    assert _span_text(graph, iri("document/zbf-2002-17"))[2].endswith("17号)获得审议通过")
    assert _span_text(graph, iri("document/zbf-2006-11"))[2].startswith("2006年两办印发了")
    start, end, exact = _span_text(graph, iri("agency/xinjiang-hrss-department"))
    assert exact == "新疆维吾尔自治区人力资源和社保保障厅" == source_text[start:end], "the source's own spelling"
    assert _span_text(graph, iri("agency/xiamen-public-security-bureau"))[2] == "厦门公安局"


def test_announcement_and_curated_facts_live_in_separate_graphs(kg: KnowledgeGraph) -> None:
    award = iri("award/2012-public-service-01")
    assert (award, EGOV.rank, Literal(1, datatype=XSD.integer)) in kg.announcement
    assert (award, EGOV.rank, None) not in kg.curated
    region = iri("region/510100")
    assert (region, SKOS.notation, Literal("510100")) in kg.curated
    assert (region, SKOS.notation, None) not in kg.announcement
    ds = kg.dataset()
    assert {str(g.identifier).rsplit("/", 1)[1] for g in ds.graphs() if len(g)} == {
        "announcement",
        "curated",
        "ontology",
    }


def test_base_iri_is_configurable(layout: Layout) -> None:
    kg = build(layout, base="http://example.org/egov/id/")
    g = kg.union()
    assert (URIRef("http://example.org/egov/id/award/2012-public-service-01"), RDF.type, EGOV.Award) in g
    assert not any(str(s).startswith(ID) for s in g.subjects())


@pytest.fixture()
def root_copy(tmp_path: Path) -> Layout:
    for part in ("data", "ontology", "queries"):
        shutil.copytree(ROOT / part, tmp_path / part)
    return Layout(tmp_path)


def test_a_changed_source_fails_its_checksum(root_copy: Layout) -> None:
    src = root_copy.sources / "announcement-2012.txt"
    src.write_bytes(src.read_bytes().replace("浪潮集团".encode(), "浪潮公司".encode()))
    with pytest.raises(ChecksumError, match="sha256"):
        build(root_copy)


def test_a_curated_award_that_disagrees_with_the_text_names_its_row(root_copy: Layout) -> None:
    path = root_copy.curated / "awards.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("兰州市民卡", "兰州市民一卡通", 1), encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "兰州市民卡" in row)
    with pytest.raises(CrossCheckError, match=f"awards.csv:{line}: title_zh '兰州市民一卡通' differs"):
        build(root_copy)


def test_a_curated_applicant_that_disagrees_names_its_row(root_copy: Layout) -> None:
    path = root_copy.curated / "awards.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    n = next(i for i, row in enumerate(lines) if row.startswith("2012-technology-application-08,"))
    fields = lines[n].split(",")
    fields[3] = "national-audit-office"
    lines[n] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(
        CrossCheckError, match=f"awards.csv:{n + 1}: applicant 'national-audit-office' is not named '浪潮集团'"
    ):
        build(root_copy)
