"""The query catalogue: every shipped .rq parses, answers its question on the shipped graph,
and runs the same on a second SPARQL engine; checks fail on their fixtures; the runner binds
parameters as terms; the CLI's formats follow the W3C SPARQL 1.1 result formats."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, XSD
from rdflib.query import Result

from egovkg.cli import main
from egovkg.errors import EgovkgError, QueryError
from egovkg.graph.namespaces import EGOV
from egovkg.paths import Layout
from egovkg.sparql.catalogue import NamedQuery, Param, bind, load_catalogue
from egovkg.sparql.guard import check_syntax
from egovkg.sparql.query import run_query
from egovkg.sparql.results import QueryResult, format_result
from egovkg.sparql.store import OxigraphStore, run_local

from .conftest import FIXTURES, ROOT

ID = "https://w3id.org/egovkg/id/"
CHECK_FIXTURES = FIXTURES / "checks"
INJECTION = '"} ; DROP ALL ; #'


@pytest.fixture(scope="module")
def catalogue(layout: Layout) -> dict[str, NamedQuery]:
    return load_catalogue(layout.queries)


def on_engine(g: Graph) -> Any:
    """What the answer tests query: the embedded store EGOVKG_STORE names, as the CLI does:
    Oxigraph by default, rdflib's own engine on the graph in CI's second pass (EGOVKG_STORE=memory).
    test_every_query_gives_the_same_rows_on_oxigraph compares the two on every query."""
    if os.environ.get("EGOVKG_STORE", "oxigraph") == "memory":
        return g
    return OxigraphStore.from_graph(g)


@pytest.fixture(scope="module")
def ask(graph: Graph, catalogue: dict[str, NamedQuery]) -> Callable[..., list[dict[str, str]]]:
    """Run a catalogue query on the shipped graph; rows as {column: string}, '' when unbound."""
    engine = on_engine(graph)

    def run(name: str, **params: str) -> list[dict[str, str]]:
        result = run_query(engine, name, params, catalogue=catalogue)
        assert result.kind == "select", name
        return [{v: str(row[v]) if v in row else "" for v in result.vars} for row in result.rows]

    return run


def cols(rows: list[dict[str, str]], *names: str) -> list[tuple[str, ...]]:
    return [tuple(row[n] for n in names) for row in rows]


# ---- the files themselves ---------------------------------------------------------------------

SHIPPED = sorted(p.stem for p in Layout(ROOT).queries.glob("*.rq"))
REPORTS = [n for n in SHIPPED if not n.startswith("check-")]
CHECKS = [n for n in SHIPPED if n.startswith("check-")]


def test_the_catalogue_is_the_shipped_files(catalogue: dict[str, NamedQuery]) -> None:
    assert sorted(catalogue) == SHIPPED
    assert len(REPORTS) >= 20, "the issue asks for at least 20 report queries"
    assert len(CHECKS) >= 10


def test_running_a_query_reads_its_own_file_only(tmp_path: Path, catalogue: dict[str, NamedQuery]) -> None:
    """The catalogue a query is prepared against reads the one file asked for: a broken file
    beside it stops only itself (and the listing); paths and query text are never names."""
    import shutil

    from egovkg.sparql.catalogue import Catalogue, prepare

    folder = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", folder)
    (folder / "zz-broken.rq").write_text("SELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    lazy = Catalogue(folder)
    assert prepare("winners-by-category", {}, lazy) == catalogue["winners-by-category"].text
    with pytest.raises(QueryError, match="zz-broken.rq: missing '#\\+ summary:' header"):
        lazy["zz-broken"]
    with pytest.raises(QueryError, match="zz-broken.rq"):
        load_catalogue(folder)
    assert list(lazy) == [*SHIPPED, "zz-broken"] and len(lazy) == len(SHIPPED) + 1
    for not_a_name in ("Winners-by-category", "../queries/winners-by-category", "winners-by-category.rq", "a" * 300):
        assert not_a_name not in lazy
    with pytest.raises(QueryError, match="unknown query 'winners-by-categry'; did you mean: winners-by-category"):
        prepare("winners-by-categry", {}, lazy)


@pytest.mark.parametrize("name", SHIPPED)
def test_each_file_is_named_parses_and_has_a_summary(name: str, catalogue: dict[str, NamedQuery]) -> None:
    q = catalogue[name]
    assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name), "names are kebab-case"
    assert q.path is not None and q.path.read_text(encoding="utf-8").startswith("#+ summary: ")
    assert q.summary and len(q.summary) <= 120
    check_syntax(q.text, str(q.path))
    check_syntax(bind(q, {}), str(q.path))  # with the defaults bound, too


@pytest.mark.parametrize("name", SHIPPED)
def test_parameters_are_declared_and_bound_only_by_the_runner(name: str, catalogue: dict[str, NamedQuery]) -> None:
    q = catalogue[name]
    body = "\n".join(line for line in q.text.splitlines() if not line.lstrip().startswith("#"))
    for p in q.params:
        assert re.search(rf"\?{p.name}\b", body), f"parameter {p.name} is not used in the query"
        assert p.default is not None, "every catalogue parameter has a default, so the build can run it"
    # the file binds no parameter itself; the runner's VALUES block is the only one
    for m in re.finditer(r"VALUES\s*\(?([^{]*)\{", body, re.IGNORECASE):
        bound = set(re.findall(r"\?(\w+)", m.group(1)))
        assert not bound & {p.name for p in q.params}, f"{name} binds a parameter in its own text"
    if q.params:
        where = re.search(r"\bWHERE\s*\{", body, re.IGNORECASE)
        assert where, f"{name} has parameters, so it needs an explicit 'WHERE {{'"
        before = re.sub(r'<[^<>\s]*>|"[^"\n]*"', "", body[: where.start()])
        assert before.count("{") == before.count("}"), "the first WHERE { must be the outer query's"
    bound_text = bind(q, {})
    blocks = re.findall(r"VALUES \(([^)]*)\) \{", bound_text)
    if q.params:
        assert blocks == [" ".join(f"?{p.name}" for p in q.params)]
        assert re.search(r"\bWHERE\s*\{\n  VALUES", bound_text), "the block goes at the start of WHERE"
    else:
        assert bound_text == q.text


@pytest.mark.parametrize("name", REPORTS)
def test_each_report_orders_its_rows(name: str, catalogue: dict[str, NamedQuery]) -> None:
    body = "\n".join(line for line in catalogue[name].text.splitlines() if not line.lstrip().startswith("#"))
    if re.search(r"^\s*(CONSTRUCT|DESCRIBE)\b", body, re.MULTILINE):
        return  # a graph has no row order
    last = body.rstrip().splitlines()[-1]
    assert last.startswith("ORDER BY "), f"{name} does not end with an ORDER BY"


def test_the_readme_lists_every_query(layout: Layout) -> None:
    readme = (layout.queries / "README.md").read_text(encoding="utf-8")
    for name in SHIPPED:
        assert f"`{name}`" in readme, f"queries/README.md does not list {name}"


def test_egovkg_queries_lists_the_catalogue_with_parameters() -> None:
    out = CliRunner().invoke(main, ["queries"])
    assert out.exit_code == 0, out.output
    for name in SHIPPED:
        assert re.search(rf"^{re.escape(name)}\t", out.output, re.MULTILINE)
    assert "--param q=<string>" in out.output and "--param lang=<lang>" in out.output


def test_every_query_gives_the_same_rows_on_oxigraph(graph: Graph, catalogue: dict[str, NamedQuery]) -> None:
    """A second SPARQL engine, with no built-in prefixes: every prefix is declared and nothing
    (GROUP_CONCAT order, scoping of BIND, ORDER BY after GROUP BY) depends on rdflib."""
    import pyoxigraph as ox

    from egovkg.rdfio.export import serialise

    store = ox.Store()
    store.load(serialise(graph, "nt"), format=ox.RdfFormat.N_TRIPLES)

    def n3(term: Any) -> str:
        # RDF 1.1 makes "x" and "x"^^xsd:string one literal; the engines differ in which they give
        if isinstance(term, ox.Literal):
            if term.language:
                return Literal(term.value, lang=term.language).n3()
            term = Literal(term.value, datatype=URIRef(term.datatype.value))
        elif isinstance(term, ox.NamedNode):
            return URIRef(term.value).n3()
        if isinstance(term, Literal) and term.datatype == XSD.string:
            term = Literal(str(term))
        return term.n3()

    def there(text: str) -> tuple[str, list[str], list[tuple[str, ...]] | set[tuple[str, ...]]]:
        result = store.query(text)
        if isinstance(result, ox.QueryTriples):
            return "graph", [], {(n3(t.subject), n3(t.predicate), n3(t.object)) for t in result}
        names = [v.value for v in result.variables]
        return "select", names, [tuple(n3(s[v]) if s[v] is not None else "" for v in names) for s in result]

    def here(text: str) -> tuple[str, list[str], list[tuple[str, ...]] | set[tuple[str, ...]]]:
        result = run_local(graph, text)
        if result.kind == "graph":
            return "graph", [], {tuple(n3(t) for t in triple) for triple in result.graph or ()}
        return "select", result.vars, [tuple(n3(r[v]) if v in r else "" for v in result.vars) for r in result.rows]

    for name, q in catalogue.items():
        text = bind(q, {})
        assert here(text) == there(text), name


# the queries that write lists out, and their list columns
LISTS = {
    "agencies-with-several-awards": ("awards_zh", "awards_en"),
    "awards-with-several-applicants": ("applicants_zh", "applicants_en"),
    "documents-by-adopting-body": ("issued_by_zh", "issued_by_en"),
    "policy-documents": ("adopted_by_zh", "adopted_by_en", "issued_by_zh", "issued_by_en"),
    "practices-by-programme": ("part_of_zh", "part_of_en"),
    "programmes": ("part_of_zh", "part_of_en", "lead_zh", "lead_en"),
    "winners-by-category": ("applicants_zh", "applicants_en"),
    "winners-in-category": ("applicants_zh", "applicants_en"),
}


def test_lists_join_with_the_separator_the_ontology_states(graph: Graph, catalogue: dict[str, NamedQuery]) -> None:
    """The list separators are data (egov:listSeparator on the ontology), not query text, which
    some engines garble (Virtuoso 7.2, tests/conformance/test_virtuoso.py): another separator in
    the graph changes every list, and a graph without one falls back to 、 and '; '."""
    ontology, prop = URIRef("https://w3id.org/egovkg/ontology"), URIRef(EGOV) + "listSeparator"
    assert sorted(graph.objects(ontology, prop)) == sorted([Literal("、", lang="zh"), Literal("; ", lang="en")])
    other, bare = Graph(), Graph()
    for triple in graph.triples((None, None, None)):
        if triple[:2] != (ontology, prop):
            other.add(triple)
            bare.add(triple)
    other.add((ontology, prop, Literal(" / ", lang="zh")))
    other.add((ontology, prop, Literal(" | ", lang="en")))

    def table(g: Graph, name: str) -> list[dict[str, str]]:
        return [{k: str(v) for k, v in row.items()} for row in run_query(on_engine(g), name, catalogue=catalogue).rows]

    joined = 0
    for name, columns in LISTS.items():
        shipped = table(graph, name)
        expected = [
            {k: v.replace("、", " / ").replace("; ", " | ") if k in columns else v for k, v in row.items()}
            for row in shipped
        ]
        assert table(other, name) == expected, name
        assert table(bare, name) == shipped, name
        joined += sum(row != exp for row, exp in zip(shipped, expected, strict=True))
    assert joined >= 10, "the shipped lists have several items"


# ---- the answers, query by query ----------------------------------------------------------------

ANSWERED: set[str] = set()


def answers(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        ANSWERED.add(name)
        return fn

    return register


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_has_an_answer_test(name: str) -> None:
    assert name in ANSWERED, f"no test asserts the answer of {name}: add one with @answers({name!r})"


CATEGORY_ORDER = ["管理创新"] * 10 + ["公共服务"] * 10 + ["技术应用"] * 10 + ["政务微博"] * 10


@answers("winners-by-category")
def test_winners_by_category(ask) -> None:
    rows = ask("winners-by-category")
    assert cols(rows, "category_zh", "rank") == [(c, str(r % 10 + 1)) for r, c in enumerate(CATEGORY_ORDER)]
    assert cols(rows[:1], "category_zh", "category_en", "rank", "applicants_zh", "applicants_en", "title_zh") == [
        (
            "管理创新",
            "Management Innovation",
            "1",
            "中国科学院信息化工作领导小组办公室",
            "Office of the Informatization Leading Group of the Chinese Academy of Sciences",
            "中国科学院电子政务应用探索与实践",
        )
    ]
    assert rows[0]["award"] == ID + "award/2012-management-innovation-01"
    by_award = {r["award"].rsplit("/", 1)[1]: r for r in rows}
    # joint applications list the first-listed applicant first
    assert by_award["2012-public-service-03"]["applicants_zh"] == (
        "青岛市行政审批事务和公共资源交易管理办公室、青岛市电子政务和信息资源管理办公室"
    )
    assert by_award["2012-technology-application-07"]["applicants_en"] == (
        "Information Management Center of the Organization Department of the CPC Central Committee; "
        "Kingbase (Beijing Renda Jincang Information Technology Co., Ltd.)"
    )
    assert cols(rows[-1:], "category_en", "rank", "applicants_zh", "title_en") == [
        (
            "Government Microblogging",
            "10",
            "银川市委办公厅、银川市人民政府办公厅",
            "Practice of Yinchuan's Government Microblogs in Cluster Building and Management",
        )
    ]
    assert all(r["title_zh"] and r["title_en"] and r["applicants_en"] for r in rows)


@answers("winners-in-category")
def test_winners_in_category(ask) -> None:
    rows = ask("winners-in-category")  # default: government microblogs
    assert cols(rows, "rank", "applicants_zh", "account_zh") == [
        ("1", "王郁松", ""),
        ("2", "南京市委宣传部", "南京发布"),
        ("3", "江苏常州市公安局", "平安常州"),
        ("4", "杭州市行政服务中心", ""),
        ("5", "刘毅", "交警大刘"),
        ("6", "河南省高级人民法院", "豫法阳光"),
        ("7", "河南省公安厅", ""),
        ("8", "袁明", "检察官阿明"),
        ("9", "湖北省武汉市江岸区城管局", "江城故事"),
        ("10", "银川市委办公厅、银川市人民政府办公厅", ""),
    ]
    assert rows[4]["account_en"] == "Jiaojing Da Liu (Traffic Policeman Big Liu)"
    tech = ask("winners-in-category", category=ID + "category/technology-application")
    assert len(tech) == 10
    assert cols(tech[6:8], "rank", "applicants_zh", "title_zh") == [
        (
            "7",
            "中共中央组织部信息管理中心、北京人大金仓信息技术股份有限公司",
            "金仓数据库在全国党员.公务员管理系统中的应用",
        ),
        ("8", "浪潮集团", "湖南卫生厅应急指挥系统"),
    ]
    assert ask("winners-in-category", category=ID + "category/no-such-category") == []


@answers("awards-by-province")
def test_awards_by_province(ask) -> None:
    rows = ask("awards-by-province")
    assert cols(rows, "code", "province_zh", "province_en", "awards") == [
        ("000000", "中国（中央）", "China (national)", "8"),
        ("110000", "北京市", "Beijing", "5"),
        ("320000", "江苏省", "Jiangsu Province", "4"),
        ("420000", "湖北省", "Hubei Province", "4"),
        ("330000", "浙江省", "Zhejiang Province", "3"),
        ("410000", "河南省", "Henan Province", "3"),
        ("310000", "上海市", "Shanghai", "2"),
        ("370000", "山东省", "Shandong Province", "2"),
        ("230000", "黑龙江省", "Heilongjiang Province", "1"),
        ("350000", "福建省", "Fujian Province", "1"),
        ("430000", "湖南省", "Hunan Province", "1"),
        ("440000", "广东省", "Guangdong Province", "1"),
        ("450000", "广西壮族自治区", "Guangxi Zhuang Autonomous Region", "1"),
        ("510000", "四川省", "Sichuan Province", "1"),
        ("620000", "甘肃省", "Gansu Province", "1"),
        ("640000", "宁夏回族自治区", "Ningxia Hui Autonomous Region", "1"),
        ("650000", "新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region", "1"),
    ]
    assert sum(int(r["awards"]) for r in rows) == 40, "every award is counted once"


@answers("awards-in-region")
def test_awards_in_region(ask) -> None:
    hubei = ask("awards-in-region")
    assert cols(hubei, "award", "code", "place_zh", "lead_zh") == [
        (ID + "award/2012-management-innovation-04", "420500", "宜昌市", "宜昌市电子政务办公室"),
        (ID + "award/2012-technology-application-02", "420000", "湖北省", "湖北省卫生厅"),
        (ID + "award/2012-government-microblog-08", "420000", "湖北省", "袁明"),
        (ID + "award/2012-government-microblog-09", "420102", "江岸区", "湖北省武汉市江岸区城管局"),
    ]
    beijing = ask("awards-in-region", region=ID + "region/110000")
    assert cols(beijing, "category_zh", "rank", "code") == [
        ("管理创新", "7", "110000"),
        ("公共服务", "4", "110101"),
        ("公共服务", "5", "110102"),
        ("技术应用", "5", "110108"),
        ("技术应用", "6", "110000"),
    ]
    assert [r["title_zh"] for r in ask("awards-in-region", region=ID + "region/370200")] == [
        "山东省青岛市电子政务发展模式实践.电子政务发展之'青岛模式'",
        "山东省青岛市网上审批建设和应用实践.'大厅.网络'双重集中实现审批方式改革",
    ]
    assert len(ask("awards-in-region", region=ID + "region/000000")) == 40, "China contains every region"


@answers("central-vs-local")
def test_central_vs_local(ask) -> None:
    # by the lead applicant's tier: Ningbo Customs (vertically managed) and the CYL official are central,
    # the enterprise Inspur is neither central nor local
    assert cols(ask("central-vs-local"), "scope_zh", "scope_en", "category_zh", "awards") == [
        ("中央", "central", "管理创新", "3"),
        ("中央", "central", "公共服务", "1"),
        ("中央", "central", "技术应用", "4"),
        ("中央", "central", "政务微博", "1"),
        ("地方", "local", "管理创新", "7"),
        ("地方", "local", "公共服务", "9"),
        ("地方", "local", "技术应用", "5"),
        ("地方", "local", "政务微博", "9"),
        ("非政府", "non-governmental", "技术应用", "1"),
    ]


@answers("awards-by-level")
def test_awards_by_level(ask) -> None:
    # ranks of the government tier, not the GB/T tier of the seat: the sub-provincial cities (Qingdao,
    # Nanjing, Chengdu, Guangzhou, Hangzhou, Xiamen) are 副省级, Beijing's districts and Pudong 地厅级
    assert cols(ask("awards-by-level"), "rank_zh", "rank_en", "awards") == [
        ("中央", "Central", "9"),
        ("省部级", "Provincial-ministerial", "10"),
        ("副省级", "Sub-provincial", "8"),
        ("地厅级", "Prefectural-departmental", "9"),
        ("县处级", "County-divisional", "3"),
        ("", "", "1"),
    ]


@answers("agencies-by-kind")
def test_agencies_by_kind(ask) -> None:
    assert cols(ask("agencies-by-kind"), "name_zh", "level_en", "region_zh", "awards") == [
        ("河南省公安厅", "Provincial", "河南省", "1"),
        ("江苏常州市公安局", "Prefectural", "常州市", "1"),
        ("厦门市公安局", "Prefectural", "厦门市", "0"),
        ("厦门公安局湖里事故科", "County", "湖里区", "0"),
    ]
    assert cols(ask("agencies-by-kind", kind=ID + "agency-kind/enterprise"), "name_en", "region_en", "awards") == [
        ("Kingbase (Beijing Renda Jincang Information Technology Co., Ltd.)", "Beijing", "1"),
        ("Inspur Group", "Jinan", "1"),
    ]
    assert cols(ask("agencies-by-kind", kind=ID + "agency-kind/court"), "name_zh") == [
        ("北京市高级人民法院",),
        ("河南省高级人民法院",),
    ]
    assert cols(ask("agencies-by-kind", kind=ID + "agency-kind/central-vertical"), "name_en") == [("Ningbo Customs",)]


@answers("agency-kinds")
def test_agency_kinds(ask) -> None:
    rows = ask("agency-kinds")
    got = {
        r["kind"].rsplit("/", 1)[1]: (int(r["organisations"]), int(r["awarded_organisations"]), int(r["awards"]))
        for r in rows
    }
    assert got == {
        "government-office": (19, 16, 16),
        "public-institution": (11, 10, 9),
        "leading-group": (7, 3, 3),
        "party-organ": (4, 2, 2),
        "public-security": (4, 2, 2),
        "court": (2, 2, 2),
        "enterprise": (2, 2, 2),
        "central-ministry": (13, 1, 1),
        "central-vertical": (1, 1, 1),
        "local-government": (1, 1, 1),
        "mass-organisation": (4, 0, 0),
        "central-institution": (2, 0, 0),
        "procuratorate": (1, 0, 0),
        "central-government": (1, 0, 0),
    }
    assert cols(rows[:1], "kind_zh", "kind_en") == [("政府工作部门", "Government department or office")]
    # 60 organisations of the announcement's world, 12 more for the policy history (issue 17)
    assert sum(v[0] for v in got.values()) == 72


@answers("agencies-with-several-awards")
def test_agencies_with_several_awards(ask) -> None:
    assert cols(ask("agencies-with-several-awards"), "applicant", "name_zh", "awards", "awards_zh", "awards_en") == [
        (
            ID + "agency/qingdao-egov-office",
            "青岛市电子政务和信息资源管理办公室",
            "2",
            "管理创新 序号6、公共服务 序号3",  # 序号: the table's serial number, not a ranking
            "Management Innovation no. 6; Public Service no. 3",
        )
    ]


@answers("awards-with-several-applicants")
def test_awards_with_several_applicants(ask) -> None:
    assert cols(ask("awards-with-several-applicants"), "award", "applicants", "applicants_zh") == [
        (
            ID + "award/2012-management-innovation-09",
            "2",
            "新疆维吾尔自治区社会保险管理局、新疆维吾尔自治区人力资源和社保保障厅信息中心",
        ),
        (
            ID + "award/2012-public-service-03",
            "2",
            "青岛市行政审批事务和公共资源交易管理办公室、青岛市电子政务和信息资源管理办公室",
        ),
        (
            ID + "award/2012-technology-application-07",
            "2",
            "中共中央组织部信息管理中心、北京人大金仓信息技术股份有限公司",
        ),
        (ID + "award/2012-government-microblog-10", "2", "银川市委办公厅、银川市人民政府办公厅"),
    ]


@answers("person-applicants")
def test_person_applicants(ask) -> None:
    rows = ask("person-applicants")
    assert cols(rows, "name_zh", "name_en", "post_zh", "post_en", "affiliation_zh", "account_name", "rank") == [
        ("王郁松", "Wang Yusong", "副处长", "Deputy Division Director", "团中央宣传部网络处", "", "1"),
        ("刘毅", "Liu Yi", "副科长", "Deputy Section Chief", "厦门公安局湖里事故科", "交警大刘", "5"),
        ("袁明", "Yuan Ming", "检察官", "Prosecutor", "湖北省人民检察院", "检察官阿明", "8"),
    ]
    assert [r["pinyin"] for r in rows] == ["wang yu song", "liu yi", "yuan ming"]
    assert rows[2]["affiliation_en"] == "Hubei Provincial People's Procuratorate"


@answers("microblog-accounts")
def test_microblog_accounts(ask) -> None:
    assert cols(ask("microblog-accounts"), "account_name", "holder_zh", "category_zh", "rank") == [
        ("南京发布", "南京市委宣传部", "政务微博", "2"),
        ("平安常州", "江苏常州市公安局", "政务微博", "3"),
        ("交警大刘", "刘毅", "政务微博", "5"),
        ("豫法阳光", "河南省高级人民法院", "政务微博", "6"),
        ("检察官阿明", "袁明", "政务微博", "8"),
        ("江城故事", "湖北省武汉市江岸区城管局", "政务微博", "9"),
    ]


@answers("practices-by-programme")
def test_practices_by_programme(ask) -> None:
    rows = ask("practices-by-programme")
    assert cols(rows, "programme_zh", "part_of_zh", "basis", "award", "lead_zh") == [
        ("金农工程", "十二金工程", "inferred", ID + "award/2012-technology-application-03", "农业部信息中心"),
        ("金审工程", "十二金工程", "stated", ID + "award/2012-management-innovation-05", "审计署信息化建设办公室"),
        (
            "金关工程",
            "三金工程、十二金工程",
            "inferred",
            ID + "award/2012-management-innovation-03",
            "中华人民共和国宁波海关",
        ),
        (
            "金保工程",
            "十二金工程",
            "inferred",
            ID + "award/2012-management-innovation-09",
            "新疆维吾尔自治区社会保险管理局",
        ),
    ]
    assert [bool(r["note"]) for r in rows] == [True, False, True, True], "an inferred link says why"
    assert rows[2]["part_of_en"] == "Three Golden Projects; Twelve Golden Projects (twelve key business systems)"


@answers("programmes")
def test_programmes(ask) -> None:
    rows = ask("programmes")
    assert len(rows) == 30
    assert cols(rows[:2], "name_zh", "start", "part_of_zh", "ancestors") == [
        ("两网一站四库十二金", "2002", "", "0"),
        ("金字工程", "1993", "", "0"),
    ]
    by_id = {r["programme"].rsplit("/", 1)[1]: r for r in rows}
    assert cols([by_id["golden-customs"]], "start", "part_of_zh", "lead_zh", "practices") == [
        ("1993", "三金工程、十二金工程", "", "0")  # its practice link is an inference, not counted
    ]
    assert cols([by_id["golden-finance"]], "lead_zh", "lead_en", "lead_unverified") == [
        ("财政部", "Ministry of Finance", "false")
    ]
    assert cols([by_id["golden-shield"]], "start", "end", "lead_zh", "lead_unverified") == [
        ("2002", "2006", "公安部", "true")
    ]
    assert cols([by_id["golden-audit"]], "practices") == [("1",)]
    twelve = sorted(k for k, r in by_id.items() if "十二金工程" in r["part_of_zh"].split("、"))
    assert len(twelve) == 12, twelve
    assert sorted(k for k, r in by_id.items() if "三金工程" in r["part_of_zh"].split("、")) == [
        "golden-bridge",
        "golden-card",
        "golden-customs",
    ]
    assert [int(r["ancestors"]) for r in rows] == sorted(int(r["ancestors"]) for r in rows)


@answers("programme-lead-agencies")
def test_programme_lead_agencies(ask) -> None:
    assert cols(ask("programme-lead-agencies"), "programme_zh", "start", "agency_zh", "unverified") == [
        ("金农工程", "", "农业部", "false"),
        ("金财工程", "", "财政部", "false"),
        ("金审工程", "", "审计署", "true"),
        ("金宏工程", "", "国家发展和改革委员会", "true"),
        ("金质工程", "", "国家质量监督检验检疫总局", "true"),
        ("金盾工程", "2002", "公安部", "true"),
        ("金保工程", "", "劳动和社会保障部", "true"),
        ("金税工程", "1994", "国家税务总局", "true"),
        ("金水工程", "", "水利部", "true"),
    ]


@answers("policy-timeline")
def test_policy_timeline(ask) -> None:
    rows = ask("policy-timeline")
    assert len(rows) >= 15
    assert cols(rows, "start", "end", "basis", "number") == [
        ("1970", "1973", "announcement", ""),  # 七十年代初: early 1970s, not the whole decade
        ("1990", "1999", "announcement", ""),
        ("1993", "", "reference", ""),
        ("1993-12-10", "", "reference", ""),
        ("1994-03", "", "reference", ""),
        ("1996-04-16", "", "reference", "国办发〔1996〕15号"),
        ("1999", "", "reference", "国办发〔1999〕103号"),
        ("2001", "", "announcement", ""),
        ("2002", "", "announcement", "中办发〔2002〕17号"),
        ("2002-08", "", "reference", "中办发〔2002〕17号"),
        ("2003", "", "reference", "中办发〔2003〕27号"),
        ("2004", "", "reference", "中办发〔2004〕34号"),
        ("2005-11-03", "", "reference", "中办发〔2006〕11号"),
        ("2006", "", "announcement", "中办发〔2006〕11号"),
        ("2006-01-01", "", "reference", ""),
        ("2006-03", "", "reference", "国信〔2006〕2号"),
        ("2007-04-05", "", "reference", "国务院令第492号"),
        ("2008-05-01", "", "reference", "国务院令第492号"),
        ("2011-12", "", "reference", "工信部规〔2011〕567号"),
        ("2012", "", "announcement", ""),
        ("2012-05", "", "announcement", ""),
        ("2012-05", "", "reference", "发改高技〔2012〕1202号"),
        ("2012-07", "", "announcement", ""),
    ]
    by_start = {r["start"]: r for r in rows}
    assert by_start["2001"]["milestone_zh"] == "重新组建国家信息化领导小组"
    assert by_start["2006-03"]["date_unverified"] == "true"
    assert by_start["2007-04-05"]["date_unverified"] == "false"


@answers("policy-documents")
def test_policy_documents(ask) -> None:
    rows = ask("policy-documents")
    assert len(rows) == 10
    by_number = {r["number"]: r for r in rows}
    # adopted by the Leading Group, transmitted (转发) by the two General Offices
    assert cols(
        [by_number["中办发〔2002〕17号"]], "date", "adopted_by_zh", "adopted", "issued_by_zh", "transmitted"
    ) == [("2002-08", "国家信息化领导小组", "2002-07-03", "中共中央办公厅、国务院办公厅", "true")]
    assert cols(
        [by_number["中办发〔2006〕11号"]], "adopted_by_zh", "adopted", "transmitted", "goals", "priorities"
    ) == [("国家信息化领导小组", "2005-11-03", "false", "8", "9")]
    assert cols([by_number["国务院令第492号"]], "date", "adopted", "in_force", "issued_by_en") == [
        ("2007-04-05", "2007-01-17", "2008-05-01", "State Council of the People's Republic of China")
    ]
    assert by_number["中办发〔2003〕27号"]["unverified"] == "issuedBy transmittedBy"
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)


@answers("documents-by-adopting-body")
def test_documents_by_adopting_body(ask) -> None:
    assert cols(ask("documents-by-adopting-body"), "adopter_zh", "number", "issued_by_zh", "transmitted") == [
        ("国务院", "国务院令第492号", "国务院", "false"),
        ("国家信息化领导小组", "中办发〔2002〕17号", "中共中央办公厅、国务院办公厅", "true"),
        ("国家信息化领导小组", "中办发〔2003〕27号", "中共中央办公厅、国务院办公厅", "true"),
        ("国家信息化领导小组", "中办发〔2006〕11号", "中共中央办公厅、国务院办公厅", "false"),
        ("", "国办发〔1996〕15号", "国务院办公厅", "false"),
        ("", "国办发〔1999〕103号", "国务院办公厅", "false"),
        ("", "中办发〔2004〕34号", "中共中央办公厅、国务院办公厅", "false"),
        ("", "国信〔2006〕2号", "国家信息化领导小组", "false"),
        ("", "工信部规〔2011〕567号", "工业和信息化部", "false"),
        ("", "发改高技〔2012〕1202号", "国家发展和改革委员会", "false"),
    ]
    assert cols(ask("documents-by-adopting-body")[1:2], "title_en", "issued_by_en") == [
        (
            "Guiding Opinions of the State Informatization Leading Group on E-Government Construction in China",
            "General Office of the CPC Central Committee; General Office of the State Council",
        )
    ]


@answers("strategy-structure")
def test_strategy_structure(ask) -> None:
    rows = ask("strategy-structure")
    assert [(r["part"], r["n"]) for r in rows] == (
        [("goal", str(n)) for n in range(1, 9)]
        + [("priority", str(n)) for n in range(1, 10)]
        + [("aim", str(n)) for n in range(1, 5)]
    )
    priorities = [r["text_zh"] for r in rows if r["part"] == "priority"]
    assert priorities[1] == "推行电子政务" and len(set(priorities)) == 9
    assert cols([r for r in rows if r["part"] == "aim"], "text_zh", "under_zh") == [
        ("改善公共服务", "推行电子政务"),
        ("加强社会管理", "推行电子政务"),
        ("强化综合监管", "推行电子政务"),
        ("完善宏观调控", "推行电子政务"),
    ]
    assert ask("strategy-structure", document=ID + "document/zbf-2002-17") == []


@answers("strategic-goals")
def test_strategic_goals(ask) -> None:
    # the four goals are the aims of one of the strategy's nine priorities, not goals of the strategy
    assert cols(ask("strategic-goals"), "n", "goal_zh", "goal_en", "priority_zh", "number") == [
        ("1", "改善公共服务", "Improve public services", "推行电子政务", "中办发〔2006〕11号"),
        ("2", "加强社会管理", "Strengthen social management", "推行电子政务", "中办发〔2006〕11号"),
        ("3", "强化综合监管", "Enhance comprehensive supervision", "推行电子政务", "中办发〔2006〕11号"),
        ("4", "完善宏观调控", "Improve macroeconomic regulation", "推行电子政务", "中办发〔2006〕11号"),
    ]


@answers("problems")
def test_problems(ask) -> None:
    rows = ask("problems")
    assert cols(rows, "list_zh", "n", "problem_zh") == [
        ("存在问题的方面", "1", "网络基础设施"),
        ("存在问题的方面", "2", "业务系统"),
        ("存在问题的方面", "3", "信息资源"),
        ("存在问题的方面", "4", "安全保障"),
        ("电子政务面临的问题", "1", "地区差异和数字鸿沟有所扩大"),
        ("电子政务面临的问题", "2", "在线事务处理率有待进一步提高"),
        ("电子政务面临的问题", "3", "信息资源利用潜力有待进一步挖掘"),
        ("电子政务面临的问题", "4", "公共服务能力和公民参与程度相对较低"),
        ("电子政务面临的问题", "5", "电子政务管理体制有待进一步梳理和完善"),
    ]
    assert rows[4]["problem_en"] == "Regional disparities and the digital divide have widened"


@answers("selection-figures")
def test_selection_figures(ask) -> None:
    [row] = ask("selection-figures")
    assert row == {
        "selection": ID + "selection/cegbp-2012",
        "name_zh": "中国电子政务最佳实践评选 2012",
        "name_en": "China E-Government Best Practice Selection 2012",
        "organiser_zh": "国家行政学院电子政务研究中心",
        "organiser_en": "E-Government Research Center of the Chinese Academy of Governance",
        "call": "2012-05",
        "deadline": "2012-07",
        "entries_at_least": "300",
        "review_rounds": "3",
        "shortlisted": "122",
        "winners": "40",
        "categories": "4",
        "awards_in_graph": "40",
        "categories_in_graph": "4",
    }


@answers("region-hierarchy")
def test_region_hierarchy(ask) -> None:
    rows = ask("region-hierarchy")
    assert len(rows) == 38, "every region but China"
    by_code = {r["code"]: r for r in rows}
    path = ("province_code", "province_zh", "city_code", "city_zh", "district_code", "district_zh", "district_en")
    assert cols([by_code["420102"]], *path) == [
        ("420000", "湖北省", "420100", "武汉市", "420102", "江岸区", "Jiang'an District")
    ]
    assert cols([by_code["419001"]], *path) == [("410000", "河南省", "", "", "419001", "济源市", "Jiyuan")]
    assert cols([by_code["110101"]], *path) == [("110000", "北京市", "", "", "110101", "东城区", "Dongcheng District")]
    assert cols([by_code["370200"]], *path) == [("370000", "山东省", "370200", "青岛市", "", "", "")]
    assert cols([by_code["650000"]], "level_en", "province_en", "city_code") == [
        ("Provincial", "Xinjiang Uygur Autonomous Region", ""),
    ]
    assert [r["code"] for r in rows] == sorted(by_code)


@answers("agency-parents")
def test_agency_parents(ask) -> None:
    rows = ask("agency-parents")
    assert len(rows) == 14
    by_id = {r["agency"].rsplit("/", 1)[1]: r for r in rows}
    assert cols([by_id["cyl-publicity-network-division"]], "parent_zh", "levels_above", "chain_zh") == [
        ("共青团中央宣传部", "2", "共青团中央 > 共青团中央宣传部 > 团中央宣传部网络处"),
    ]
    assert by_id["xiamen-huli-accident-section"]["chain_en"] == (
        "Xiamen Municipal Public Security Bureau > Huli Traffic Accident Section, Xiamen Public Security Bureau"
    )
    assert cols([by_id["ningbo-customs"]], "parent_zh", "levels_above") == [("海关总署", "1")]
    assert cols([by_id["nsa-egov-research-centre"]], "parent_en") == [("Chinese Academy of Governance",)]
    assert [r["levels_above"] for r in rows].count("2") == 1
    assert [r["chain_en"] for r in rows] == sorted(r["chain_en"] for r in rows)


@answers("label-search")
def test_label_search(ask) -> None:
    def found(**params: str) -> list[str]:
        return sorted({r["entity"].removeprefix(ID) for r in ask("label-search", **params)})

    qingdao = ["agency/qingdao-approval-office", "agency/qingdao-egov-office", "region/370200"]
    pinyin = ask("label-search", q="qingdao", lang="zh-Latn-pinyin")  # "qing dao shi …": spaces ignored
    assert sorted({r["entity"].removeprefix(ID) for r in pinyin}) == qingdao
    assert {r["label_lang"].lower() for r in pinyin} == {"zh-latn-pinyin"}
    assert cols(pinyin[-1:], "type", "label", "name_zh", "name_en") == [
        (str(EGOV.Region), "Qingdao Shi", "青岛市", "Qingdao"),
    ]
    both_practices = ["practice/2012-management-innovation-06", "practice/2012-public-service-03"]
    assert found() == sorted(qingdao + both_practices)  # the default is q=青岛 in every language
    assert found(q="QINGDAO", lang="en") == sorted(qingdao + both_practices)
    assert found(q="JIANG AN") == ["agency/jiangan-urban-management-bureau", "region/420102"]  # Jiang'an
    assert found(q="公安", lang="zh") == [
        "agency-kind/public-security",
        "agency/changzhou-public-security-bureau",
        "agency/henan-public-security-department",
        "agency/ministry-of-public-security",
        "agency/xiamen-huli-accident-section",
        "agency/xiamen-public-security-bureau",
    ]
    assert found(q=INJECTION) == []


@answers("fact-provenance")
def test_fact_provenance(ask, source_text: str) -> None:
    [row] = ask("fact-provenance")  # the Qingdao model award: its table row
    assert cols([row], "start", "end", "source_zh") == [("1458", "1506", "中国电子政务最佳实践评选结果")]
    assert (
        row["exact"] == "6青岛市电子政务和信息资源管理办公室山东省青岛市电子政务发展模式实践.电子政务发展之'青岛模式'"
    )
    assert row["exact"] == source_text[1458:1506]
    assert source_text[1458 - len(row["prefix"]) : 1458] == row["prefix"]
    office = ask("fact-provenance", entity=ID + "agency/qingdao-egov-office")
    assert cols(office, "start", "end", "exact") == [
        ("1459", "1476", "青岛市电子政务和信息资源管理办公室"),
        ("1788", "1805", "青岛市电子政务和信息资源管理办公室"),
    ]
    [goal] = ask("fact-provenance", entity=ID + "goal/1")
    assert goal["exact"] == "改善公共服务" == source_text[int(goal["start"]) : int(goal["end"])]
    assert ask("fact-provenance", entity=ID + "reference/gbt2260") == [], "curated facts have no span"


@answers("entity-sources")
def test_entity_sources(ask) -> None:
    assert cols(ask("entity-sources"), "source", "kind", "publisher", "url") == [
        (
            ID + "source/announcement-2012",
            "announcement",
            "E-Government Research Center of the Chinese Academy of Governance",
            "",
        ),
        (
            ID + "reference/customs-website",
            "reference",
            "General Administration of Customs of the People's Republic of China",
            "http://english.customs.gov.cn/",
        ),
    ]
    liu = ask("entity-sources", entity=ID + "account/jiaojing-daliu")
    assert [r["source"].removeprefix(ID) for r in liu] == [
        "source/announcement-2012",
        "reference/taihainet-liu-yi-2012",
    ]


@answers("curated-sources")
def test_curated_sources(ask) -> None:
    rows = ask("curated-sources")
    got = {
        (r["reference"].removeprefix(ID + "reference/"), r["type"].rsplit("#", 1)[1]): int(r["entities"]) for r in rows
    }
    assert len(rows) == 85
    assert got[("gbt2260", "Region")] == 38
    assert got[("gbt2260", "Award")] == got[("gbt2260", "Practice")] == 40
    # the Golden projects, the twelve of 2002 and the phases IT168 dates (issue 17)
    assert got[("it168-golden-2006", "Programme")] == 20
    assert got[("egov-org-cn-framework", "Programme")] == 24
    assert got[("zbf-2002-17-notice", "PolicyDocument")] == 1
    assert got[("taihainet-liu-yi-2012", "Agency")] == 2 and got[("taihainet-liu-yi-2012", "MicroblogAccount")] == 1
    assert {k[0] for k in got} >= {
        "cas-website",
        "china-org-2005-strategy",
        "creemers-2006-strategy",
        "egov-org-cn-framework",
        "egovkg-conventions",
        "embassy-2006-strategy",
        "gbf-1996-15",
        "gbt2260",
        "it168-golden-2006",
        "sc-order-492",
        "wikipedia-zh-cac",
        "zbf-2002-17-notice",
        "zbian-1995-5",
    }
    # every reference in references.csv backs at least one entity
    assert {k[0] for k in got} == set(_reference_ids()), "every reference backs something"
    assert rows[0]["url"] == "https://www.samr.gov.cn/"  # aqsiq-website: the successor's site


def _reference_ids() -> list[str]:
    import csv

    with (ROOT / "data" / "curated" / "references.csv").open(encoding="utf-8") as fh:
        return [r["id"] for r in csv.DictReader(fh)]


@answers("dataset-summary")
def test_dataset_summary(ask) -> None:
    rows = ask("dataset-summary")
    got = {r["class"].rsplit("#", 1)[-1].rsplit("/", 1)[-1]: int(r["resources"]) for r in rows}
    assert got == {
        "Person": 3,
        "AdministrativeLevel": 4,
        "AdministrativeRank": 5,
        "Agency": 70,
        "AgencyKind": 14,
        "Award": 40,
        "AwardCategory": 4,
        "Enterprise": 2,
        "MicroblogAccount": 6,
        "Milestone": 23,
        "PolicyDocument": 10,
        "Practice": 40,
        "Problem": 9,
        "Programme": 30,
        "Reference": 43,
        "Region": 39,
        "Selection": 1,
        "SourceDocument": 1,
        "StrategicGoal": 12,
        "StrategicPriority": 9,
        "TextSpan": 179,
    }
    assert cols([r for r in rows if r["class"] == str(EGOV.Award)], "class_zh", "class_en") == [("奖项", "award")]


@answers("describe-entity")
def test_describe_entity(graph: Graph, catalogue: dict[str, NamedQuery]) -> None:
    office = URIRef(ID + "agency/qingdao-egov-office")
    result = run_query(graph, "describe-entity", catalogue=catalogue)
    assert result.kind == "graph" and result.graph is not None
    g = result.graph
    assert (office, RDFS.label, Literal("青岛市电子政务和信息资源管理办公室", lang="zh")) in g
    assert (office, EGOV.region, URIRef(ID + "region/370200")) in g
    assert set(g.subjects(EGOV.recipient, office)) == {
        URIRef(ID + "award/2012-management-innovation-06"),
        URIRef(ID + "award/2012-public-service-03"),
    }
    assert (URIRef(ID + "region/370200"), RDFS.label, Literal("青岛市", lang="zh")) in g, "neighbours are labelled"
    assert set(graph.predicate_objects(office)) <= set(g.predicate_objects(office))
    assert len(g) == 43  # its administrative rank and the rank's two labels (issue 17)
    liu = run_query(graph, "describe-entity", {"entity": ID + "person/liu-yi"}, catalogue=catalogue).graph
    assert liu is not None and (URIRef(ID + "person/liu-yi"), EGOV.region, None) not in liu
    assert len(list(liu.subjects(EGOV.recipient, URIRef(ID + "person/liu-yi")))) == 1


# ---- checks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CHECKS)
def test_each_check_passes_on_the_shipped_graph(name: str, graph: Graph, catalogue: dict[str, NamedQuery]) -> None:
    result = run_query(graph, name, catalogue=catalogue)
    assert result.kind == "select"
    assert result.rows == [], f"{name} returned {len(result.rows)} row(s): {result.rows[:3]}"


def expected_focus(fixture: Path) -> set[str]:
    return {
        line.split("expect:", 1)[1].strip()
        for line in fixture.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect:")
    }


@pytest.mark.parametrize("name", CHECKS)
def test_each_check_fails_on_its_fixture(name: str, catalogue: dict[str, NamedQuery]) -> None:
    fixture = CHECK_FIXTURES / f"{name}.ttl"
    assert fixture.is_file(), f"no fixture {fixture.relative_to(FIXTURES.parent)} that fails {name}"
    expected = expected_focus(fixture)
    assert expected, f"{fixture.name} names no '# expect: <IRI>'"
    g = Graph()
    g.parse(fixture, format="turtle")
    result = run_query(g, name, catalogue=catalogue)
    focus = result.vars[0]
    assert set(result.values(focus)) == expected


def test_every_check_fixture_belongs_to_a_check() -> None:
    assert sorted(p.stem for p in CHECK_FIXTURES.glob("*.ttl")) == CHECKS


def test_checks_catch_a_damaged_copy_of_the_real_graph(graph: Graph, catalogue: dict[str, NamedQuery]) -> None:
    from rdflib.namespace import SKOS

    damaged = Graph()
    for t in graph:
        damaged.add(t)
    award = URIRef(ID + "award/2012-public-service-06")
    region = URIRef(ID + "region/420500")
    damaged.remove((award, EGOV.category, None))
    damaged.remove((region, SKOS.notation, None))
    damaged.remove((URIRef(ID + "agency/yichang-egov-office"), RDFS.label, Literal("宜昌市电子政务办公室", lang="zh")))
    damaged.add((award, EGOV.practice, URIRef(ID + "practice/2012-public-service-66")))

    def rows(name: str) -> set[str]:
        result = run_query(damaged, name, catalogue=catalogue)
        return set(result.values(result.vars[0]))

    assert rows("check-award-without-category") == {str(award)}
    assert rows("check-region-without-code") == {str(region)}
    assert rows("check-region-code-format") == set()
    assert rows("check-entity-without-chinese-label") == {ID + "agency/yichang-egov-office"}
    assert rows("check-award-without-practice") == {str(award)}
    assert rows("check-dangling-links") == {ID + "practice/2012-public-service-66"}


# ---- parameters are RDF terms, never query text ---------------------------------------------------------

ECHO = NamedQuery(
    "echo",
    None,
    "#+ summary: echo\n#+ description: a WHERE { in a comment is not the query's\nSELECT ?q ?n WHERE { }",
    "echo",
    params=(Param("q", "string", "x", "text"), Param("n", "integer", "0", "number")),
)


# Any text, and text made of the pieces that escapes are built from.
PIECES = ["\\", "u", "U", "0000", "0041", "D800", "0010FFFF", "1F600", "ffff", '"', "'", "\n", "x", "#", "}"]
VALUES = st.text() | st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@pytest.mark.fuzz
@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_any_string_value_is_one_literal(value: str) -> None:
    import pyoxigraph

    text = bind(ECHO, {"q": value})
    assert [str(r["q"]) for r in run_local(Graph(), text).rows] == [value]
    assert [s["q"].value for s in pyoxigraph.Store().query(text)] == [value]


# The last five hold a backslash before u/U: the code point pass that runs before parsing must
# not read it (rdflib's turned "\\U0000" into a NUL and the query no longer parsed).
AWKWARD = ['a"\nb"', 'x\t"y"\\', '\n\\"""', "'''", INJECTION, '"} } ; INSERT DATA { <a:b> <a:b> <a:b> } #']
AWKWARD += ["\\U0000", "\\u0041", "\\\\u0041", '\\"u', "\\U0001F600x"]


@pytest.mark.parametrize("value", AWKWARD)
def test_awkward_string_values_round_trip(value: str) -> None:
    result = run_local(Graph(), bind(ECHO, {"q": value}))
    assert [str(r["q"]) for r in result.rows] == [value]


@pytest.mark.parametrize("value", AWKWARD)
def test_awkward_string_values_round_trip_on_oxigraph(value: str) -> None:
    import pyoxigraph

    solutions = pyoxigraph.Store().query(bind(ECHO, {"q": value}))
    assert [s["q"].value for s in solutions] == [value]


def test_the_values_block_goes_after_the_real_where() -> None:
    text = bind(ECHO, {"n": "42"})
    assert text.index("VALUES") > text.index("SELECT")
    assert [r["n"].toPython() for r in run_local(Graph(), text).rows] == [42]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("iri", "https://w3id.org/egovkg/id/award/x> } ; DROP ALL ; #"),
        ("iri", "https://w3id.org/egovkg/id/award/x\n} ; DROP ALL"),
        ("iri", "https://w3id.org/egovkg/id/a b"),
        ("iri", 'https://w3id.org/"x'),
        ("iri", "not an iri"),
        ("integer", "1 } ; DROP ALL"),
        ("year", "2012-05"),
        ("lang", "en } #"),
    ],
)
def test_values_that_do_not_fit_the_type_are_refused(param: str, value: str) -> None:
    with pytest.raises(QueryError, match="parameter p:"):
        Param("p", param, None, "").term(value)


def test_unknown_and_missing_parameters(catalogue: dict[str, NamedQuery]) -> None:
    with pytest.raises(QueryError, match="unknown parameter.*it takes q, lang"):
        bind(catalogue["label-search"], {"query": "x"})
    with pytest.raises(QueryError, match="takes no parameters"):
        bind(catalogue["winners-by-category"], {"category": ID + "category/public-service"})
    with pytest.raises(QueryError, match="'q' is required"):
        bind(NamedQuery("n", None, "SELECT * WHERE { }", "s", params=(Param("q", "string", None, "text"),)), {})


# ---- the CLI ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data_file(graph: Graph, tmp_path_factory) -> Path:
    """The shipped graph as a file, so CLI tests run the real command without rebuilding."""
    from egovkg.rdfio.export import serialise

    path = tmp_path_factory.mktemp("data") / "egovkg.nt"
    path.write_bytes(serialise(graph, "nt"))
    return path


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def egovkg(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command in its own process (an on-disk Oxigraph store is locked while open)."""
    return subprocess.run([sys.executable, "-m", "egovkg", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_injection_through_the_cli_returns_nothing_and_changes_nothing(
    store: str, data_file: Path, graph: Graph, tmp_path: Path
) -> None:
    before = data_file.read_bytes()
    # the Oxigraph store lives on disk, so a change would still be there for the next command
    common = ["--data", str(data_file), "--store", store]
    if store == "oxigraph":
        common += ["--store-path", str(tmp_path / "store")]
    count = ["query", "-e", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv", *common]
    run = egovkg(*count)
    assert (run.returncode, run.stdout.split()) == (0, ["n", str(len(graph))]), run.stderr
    run = egovkg("query", "label-search", "--param", f"q={INJECTION}", "--format", "csv", *common)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["entity,type,label,label_lang,name_zh,name_en"]
    assert run.stderr == ""
    run = egovkg(*count)
    assert (run.returncode, run.stdout.split()) == (0, ["n", str(len(graph))]), "the store lost triples"
    assert data_file.read_bytes() == before


def test_injection_through_the_library_leaves_the_graph_as_it_was(graph: Graph, catalogue) -> None:
    before = len(graph)
    for value in (INJECTION, 'x" } ; CLEAR DEFAULT ; SELECT * WHERE { "'):
        assert run_query(graph, "label-search", {"q": value}, catalogue=catalogue).rows == []
    assert len(graph) == before


@pytest.mark.parametrize(
    "value",
    [
        "https://w3id.org/egovkg/id/award/2012-public-service-01> } ; DROP ALL ; #",
        "https://w3id.org/egovkg/id/award/2012-public-service-01\n} ; DROP ALL ; #",
    ],
)
def test_iris_with_angle_brackets_or_line_breaks_are_refused_by_the_cli(value: str, data_file: Path) -> None:
    code, out, err = cli("query", "fact-provenance", "--param", f"entity={value}", "--data", str(data_file))
    assert code == 2 and out == ""
    assert "parameter entity:" in err and "is not an absolute IRI" in err


def test_a_bad_query_exits_2_with_line_and_column(data_file: Path) -> None:
    code, out, err = cli("query", "-e", "SELECT ?x WHERE { ?x", "--data", str(data_file))
    assert code == 2 and out == ""
    assert re.search(r"<inline>:1:\d+: SPARQL syntax error", err), err
    code, _, err = cli("query", "-e", "PREFIX x: <urn:x#>\nSELECT ?x\nWHERE { ?x x:p }", "--data", str(data_file))
    assert code == 2 and re.search(r"<inline>:[23]:\d+: SPARQL syntax error", err), err


def test_an_unknown_name_exits_2_and_suggests_the_close_ones(data_file: Path) -> None:
    code, out, err = cli("query", "winers-by-category", "--data", str(data_file))
    assert code == 2 and out == ""
    assert "unknown query 'winers-by-category'" in err
    assert "did you mean: winners-by-category" in err


def test_a_format_that_does_not_fit_the_query_is_a_clear_error(data_file: Path) -> None:
    code, out, err = cli("query", "central-vs-local", "--format", "ttl", "--data", str(data_file))
    assert (code, out) == (2, "")
    assert "ttl is an RDF format" in err and "table, csv, tsv, json, xml" in err
    code, out, err = cli("query", "describe-entity", "--format", "csv", "--data", str(data_file))
    assert (code, out) == (2, "")
    assert "a CONSTRUCT or DESCRIBE query gives RDF" in err


# ---- output formats -------------------------------------------------------------------------------------


def _parsed(fmt: str, data: bytes) -> Result:
    return Result.parse(io.BytesIO(data), format=fmt)


@pytest.fixture(scope="module")
def sample(graph: Graph, catalogue) -> QueryResult:
    """CJK and English literals with language tags, integers, IRIs and unbound cells."""
    result = run_query(graph, "winners-in-category", catalogue=catalogue)
    assert any("account_zh" not in r for r in result.rows) and any("account_zh" in r for r in result.rows)
    return result


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv"])
def test_typed_result_formats_parse_back_to_the_same_terms(fmt: str, sample: QueryResult) -> None:
    parsed = _parsed(fmt, format_result(sample, fmt))
    assert [str(v) for v in parsed.vars] == sample.vars
    got = [{str(k): v for k, v in b.items() if v is not None} for b in parsed.bindings]
    assert got == sample.rows


def test_csv_follows_the_w3c_format(sample: QueryResult) -> None:
    data = format_result(sample, "csv")
    text = data.decode("utf-8")
    assert text.startswith(",".join(sample.vars) + "\r\n"), "header without '?', CRLF line ends"
    parsed = _parsed("csv", data)
    assert [str(v) for v in parsed.vars] == sample.vars
    got = [{str(k): str(v) for k, v in b.items() if v is not None and str(v) != ""} for b in parsed.bindings]
    assert got == [{k: str(v) for k, v in r.items()} for r in sample.rows]


def test_tsv_keeps_one_row_per_line_for_text_with_line_breaks(graph: Graph, catalogue) -> None:
    result = run_query(graph, "fact-provenance", {"entity": ID + "milestone/1970s"}, catalogue=catalogue)
    assert any("\n" in str(r.get("prefix", "")) for r in result.rows), "the sample must hold a line break"
    data = format_result(result, "tsv")
    lines = data.decode("utf-8").splitlines()
    assert lines[0] == "\t".join(f"?{v}" for v in result.vars)
    assert len(lines) == 1 + len(result.rows)
    parsed = _parsed("tsv", data)
    assert [{str(k): v for k, v in b.items() if v is not None} for b in parsed.bindings] == result.rows


def test_json_is_the_w3c_results_object(sample: QueryResult) -> None:
    data = json.loads(format_result(sample, "json"))
    assert data["head"]["vars"] == sample.vars
    first = data["results"]["bindings"][0]
    assert first["applicants_zh"]["type"] == "literal" and first["applicants_zh"]["value"] == "王郁松"
    assert first["award"] == {"type": "uri", "value": ID + "award/2012-government-microblog-01"}
    assert first["title_zh"]["xml:lang"] == "zh"
    assert first["rank"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    assert "account_zh" not in first, "an unbound cell is left out"


def test_the_cli_writes_every_result_format(data_file: Path) -> None:
    for fmt, parser in (("csv", "csv"), ("tsv", "tsv"), ("json", "json"), ("xml", "xml")):
        code, out, err = cli("query", "awards-by-province", "--format", fmt, "--data", str(data_file))
        assert code == 0, err
        parsed = _parsed(parser, out.encode("utf-8"))
        assert [str(v) for v in parsed.vars] == ["province", "code", "province_zh", "province_en", "awards"]
        rows = [{str(k): str(v) for k, v in b.items()} for b in parsed.bindings]
        assert len(rows) == 17
        assert (rows[1]["province_zh"], rows[1]["awards"]) == ("北京市", "5")


def test_table_output_aligns_chinese_text(data_file: Path) -> None:
    from rich.cells import cell_len

    code, out, err = cli("query", "awards-by-province", "--data", str(data_file))
    assert code == 0, err
    lines = out.splitlines()
    table = [line for line in lines if line[:1] in "┏┃┡│└"]
    assert len(table) == 17 + 4, "one line per row, no wrapping"
    assert len({cell_len(line) for line in table}) == 1, "every line is as wide on screen"
    beijing = next(line for line in table if "北京市" in line)
    header = table[1]
    # the count column starts at the same screen column in the header and in a CJK row
    assert cell_len(beijing[: beijing.rindex("│", 0, len(beijing) - 1)]) == cell_len(
        header[: header.rindex("┃", 0, len(header) - 1)]
    )
    assert "region:110000" in beijing, "IRIs are shortened with the graph's prefixes"
    assert lines[-1] == "17 rows"


HOSTILE_CELL = "a\x1b[2Jb\x07c\x9bd :smile: [bold]e[/x] \u202ef\u2066"


@pytest.mark.parametrize("where", ["built graph (cold path)", "--data file"])
def test_table_cells_are_plain_text_and_never_reach_the_terminal_as_controls(where: str, data_file: Path) -> None:
    literal = HOSTILE_CELL.replace("\x1b", "\\u001b").replace("\x07", "\\u0007").replace("\x9b", "\\u009b")
    literal = literal.replace("\u202e", "\\u202e").replace("\u2066", "\\u2066")
    text = f'SELECT ?x ?y WHERE {{ VALUES (?x ?y) {{ ("{literal}" "second\\nline") }} }}'
    args = ["query", "-e", text] + (["--data", str(data_file)] if where == "--data file" else [])
    code, out, err = cli(*args)
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith("│ a"))
    # markup and emoji codes stay as written; ESC, BEL, CSI and bidi controls are shown as escapes
    assert "a\\x1b[2Jb\\x07c\\x9bd :smile: [bold]e[/x] \\u202ef\\u2066" in row
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in "\u202e\u2066" for ch in out.replace("\n", ""))
    assert "│ second" in row and "│ line" in out.splitlines()[out.splitlines().index(row) + 1], "a line break folds"
    assert out.splitlines()[-1] == "1 row"


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_a_query_nested_too_deep_is_refused_before_it_can_crash_the_parser(store: str, data_file: Path) -> None:
    deep = "SELECT * WHERE {" + "{" * 5000 + "}" * 5000 + "}"
    done = egovkg("query", "-e", deep, "--store", store, "--data", str(data_file))  # a crash would be SIGSEGV
    assert done.returncode == 2
    assert done.stderr == "error: <inline>: the query nests 5001 levels deep; at most 100 are allowed\n"
    brackets_in_a_string = 'SELECT ?x WHERE { BIND("' + "{(" * 300 + '" AS ?x) }'
    code, out, err = cli("query", "-e", brackets_in_a_string, "--format", "csv", "--data", str(data_file))
    assert (code, out.splitlines()[1]) == (0, "{(" * 300), err


@pytest.mark.parametrize(
    "update",
    ["INSERT DATA { <http://e/a> <http://e/b> 1 }", "PREFIX e: <http://e/> DELETE WHERE { ?s e:p ?o }", "DROP ALL"],
)
def test_an_update_is_named_as_such(update: str, data_file: Path) -> None:
    code, _out, err = cli("query", "-e", update, "--data", str(data_file))
    assert code == 2
    assert (
        err == "error: <inline>: SPARQL updates (INSERT, DELETE, DROP, LOAD …) are not run: egovkg query only reads\n"
    )


@pytest.mark.parametrize("where", [(), ("--store", "memory"), ("--data", "DATA")])
def test_a_federated_query_that_fails_is_one_line(where: tuple[str, ...], data_file: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [a if a != "DATA" else str(data_file) for a in where]
    text = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    code, _out, err = cli("query", "-e", text, *args)
    assert code == 2
    assert err.startswith("error: query failed: ") and "refused" in err.lower() and err.count("\n") == 1, err


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_blank_nodes_in_results_are_named_in_order(store: str, tmp_path: Path) -> None:
    data = tmp_path / "bn.ttl"
    data.write_text('@prefix e: <http://e/> .\ne:a e:b [ e:c "x" ] , [ e:c "y" ] .\n', encoding="utf-8")
    text = "SELECT ?o ?v WHERE { ?s ?p ?o . ?o ?q ?v } ORDER BY ?v"
    runs = [cli("query", "-e", text, "--format", "csv", "--store", store, "--data", str(data)) for _ in range(2)]
    assert runs[0] == runs[1] == (0, "o,v\n_:b1,x\n_:b2,y\n", "")
    code, out, _err = cli("query", "-e", text, "--store", store, "--data", str(data))
    assert "│ _:b1 │ x │" in out and "│ _:b2 │ y │" in out


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_blank_nodes_a_query_makes_are_named_in_order(store: str, fmt: str) -> None:
    """BNODE() on the built graph: the cold path hands it to the runner that names blank nodes."""
    text = 'SELECT ?b ?v WHERE { VALUES ?v { "x" "y" } BIND(BNODE(?v) AS ?b) } ORDER BY ?v'
    runs = [egovkg("query", "-e", text, "--format", fmt, "--store", store) for _ in range(2)]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    if fmt == "csv":
        assert runs[0].stdout.replace("\r", "") == "b,v\n_:b1,x\n_:b2,y\n"
    elif fmt == "json":
        bindings = json.loads(runs[0].stdout)["results"]["bindings"]
        assert [b["b"] for b in bindings] == [{"type": "bnode", "value": "b1"}, {"type": "bnode", "value": "b2"}]
    else:
        assert "│ _:b1 │ x │" in runs[0].stdout and "│ _:b2 │ y │" in runs[0].stdout


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld", "xml", "trig"])
def test_construct_with_blank_nodes_gives_the_same_bytes_each_run(store: str, fmt: str, data_file: Path) -> None:
    text = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX e: <http://e/> "
        "CONSTRUCT { _:n rdfs:label ?l ; e:of [ e:id ?s ] } WHERE { ?s rdfs:label ?l } ORDER BY ?s ?l LIMIT 5"
    )
    runs = [cli("query", "-e", text, "--format", fmt, "--store", store, "--data", str(data_file)) for _ in range(2)]
    assert runs[0][0] == 0, runs[0][2]
    assert runs[0] == runs[1]
    parsed = Graph().parse(
        data=runs[0][1], format={"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml", "trig": "trig"}[fmt]
    )
    # per solution: the node's label, its link to a second node, and that node's id
    assert len(parsed) == 15 and len(set(parsed.subjects(RDFS.label))) == 5


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_many_look_alike_blank_nodes_are_named_canonically(store: str, tmp_path: Path) -> None:
    """200 blank nodes no triple tells apart: rdflib's canonical labelling took minutes for 100."""
    data = tmp_path / "alike.nt"
    data.write_text("".join(f"_:n{i} <http://e/p> <http://e/Thing> .\n" for i in range(200)), encoding="utf-8")
    text = "CONSTRUCT { ?s <http://e/q> ?o } WHERE { ?s ?p ?o }"
    runs = [cli("query", "-e", text, "--format", "nt", "--store", store, "--data", str(data)) for _ in range(2)]
    assert runs[0][0] == 0, runs[0][2]
    assert runs[0] == runs[1]
    lines = runs[0][1].splitlines()
    assert len(lines) == 200 and len({line.split()[0] for line in lines}) == 200
    assert all(line.startswith("_:c14n") and line.endswith(" <http://e/q> <http://e/Thing> .") for line in lines)


STARS = ["SELECT * WHERE { ?s ?p ?o }", "PREFIX e: <http://e/> SELECT DISTINCT * { ?zed ?a ?M }"]


@pytest.mark.parametrize("text", STARS)
def test_select_star_columns_are_in_the_same_order_on_every_store_and_run(text: str, tmp_path: Path) -> None:
    data = tmp_path / "one.nt"
    data.write_text("<http://e/s> <http://e/p> <http://e/o> .\n", encoding="utf-8")
    heads = {
        cli("query", "-e", text, "--format", "csv", "--store", store, "--data", str(data))[1].splitlines()[0]
        for store in ("oxigraph", "memory", "memory", "memory", "memory", "memory")
    }
    assert heads == ({"o,p,s"} if "?s" in text else {"M,a,zed"})  # Oxigraph's order: sorted by name


def test_construct_gives_turtle_that_parses(data_file: Path) -> None:
    for fmt in ("ttl", "table"):
        code, out, err = cli(
            "query",
            "describe-entity",
            "--format",
            fmt,
            "--data",
            str(data_file),
            "--param",
            f"entity={ID}person/liu-yi",
        )
        assert code == 0, err
        g = Graph()
        g.parse(data=out, format="turtle")
        assert (URIRef(ID + "person/liu-yi"), RDFS.label, Literal("刘毅", lang="zh")) in g


def test_rows_convert_to_a_dataframe(graph: Graph, catalogue) -> None:
    pytest.importorskip("pandas")
    df = run_query(graph, "awards-by-province", catalogue=catalogue).to_dataframe()
    assert list(df.columns) == ["province", "code", "province_zh", "province_en", "awards"]
    assert df.shape == (17, 5)
    assert df.iloc[1].to_dict() == {
        "province": ID + "region/110000",
        "code": "110000",
        "province_zh": "北京市",
        "province_en": "Beijing",
        "awards": 5,
    }
    assert int(df["awards"].sum()) == 40
    persons = run_query(graph, "person-applicants", catalogue=catalogue).to_dataframe()
    assert persons["account_name"].isna().tolist() == [True, False, False], "unbound cells are missing values"


def test_the_readme_examples_are_real_output(layout: Layout, data_file: Path) -> None:
    readme = (layout.queries / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"```text\n\$ egovkg (query [^\n]*)\n(.*?)```", readme, re.DOTALL)
    assert len(examples) == 3
    for command, shown in examples:
        code, out, err = cli(*command.split(), "--data", str(data_file))
        assert code == 0, err
        assert out == shown, f"queries/README.md shows stale output for 'egovkg {command}'"


def test_xml_results_read_back_a_carriage_return_and_refuse_a_control_character() -> None:
    import pyoxigraph as ox

    data = format_result(QueryResult("select", vars=["o"], rows=[{"o": Literal("a\rb")}]), "xml")
    assert [s["o"].value for s in ox.parse_query_results(data, format=ox.QueryResultsFormat.XML)] == ["a\rb"]
    bad = QueryResult("select", vars=["o"], rows=[{"o": Literal("a\x1bb")}])
    with pytest.raises(EgovkgError, match=r"^cannot write XML results: a value holds U\+001B, a character XML 1"):
        format_result(bad, "xml")


def test_cli_xml_of_a_control_character_is_one_error_line(tmp_path: Path) -> None:
    data = tmp_path / "esc.nt"
    data.write_text('<http://e/s> <http://e/p> "a\\u001Bb" .\n', encoding="utf-8")
    for query, store in (("SELECT ?o WHERE { ?s ?p ?o }", "memory"), ("CONSTRUCT WHERE { ?s ?p ?o }", "oxigraph")):
        args = ["query", "-e", query, "--format", "xml", "--data", str(data), "--store", store]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2
        assert result.stdout == ""
        kind = "XML results" if query.startswith("SELECT") else "RDF/XML"
        assert result.stderr == (
            f"error: cannot write {kind}: a value holds U+001B, a character XML 1.0 cannot hold; "
            "choose another format\n"
        )


def test_a_query_file_with_a_byte_order_mark_runs(tmp_path: Path) -> None:
    rq = tmp_path / "bom.rq"
    rq.write_bytes(b"\xef\xbb\xbf#+ summary: one\nSELECT ?n WHERE { BIND(1 AS ?n) }\n")
    result = CliRunner().invoke(main, ["query", str(rq), "--format", "csv"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "n\n1\n", "")
