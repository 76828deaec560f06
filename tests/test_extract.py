"""The extractor on the real announcement, on a second announcement, and on mangled text."""

from __future__ import annotations

import re

import pytest

from egovkg.errors import ExtractError
from egovkg.ingest.extract import Extractor
from egovkg.ingest.model import Extraction

from .conftest import FIXTURES

MI, PS, TA, MB = "管理创新", "公共服务", "技术应用", "政务微博"

# (category, rank, applicant texts as written, title): every winner of the 2012 table.
WINNERS = [
    (MI, 1, ["中国科学院信息化工作领导小组办公室"], "中国科学院电子政务应用探索与实践"),
    (MI, 2, ["黑龙江省政务信息化管理服务中心"], "黑龙江省电子政务建设与实践"),
    (MI, 3, ["中华人民共和国宁波海关"], "宁波海关在智慧海关工程中的实践"),
    (MI, 4, ["宜昌市电子政务办公室"], "湖北省宜昌市构建区域智能办公体系.全面提升行政效能"),
    (MI, 5, ["审计署信息化建设办公室"], "审计署在金审工程中的实践"),
    (MI, 6, ["青岛市电子政务和信息资源管理办公室"], "山东省青岛市电子政务发展模式实践.电子政务发展之'青岛模式'"),
    (MI, 7, ["北京市高级人民法院"], "北京法院'信息球'立体运行模式"),
    (MI, 8, ["玉林市人民政府"], "广西玉林市在电子政务推进机制方面的实践"),
    (
        MI,
        9,
        ["新疆维吾尔自治区社会保险管理局", "新疆维吾尔自治区人力资源和社保保障厅信息中心"],
        "新疆维吾尔自治区在社会保险基金财务管理及社会保险基金运行管理分析系统的应用实践",
    ),
    (MI, 10, ["济源市电子政务办公室"], "河南省济源市在电子政务建设推进模式方面的实践"),
    (PS, 1, ["成都市人民政府行政效能建设办公室"], "四川省成都市在基层公开综合服务平台应用的实践"),
    (PS, 2, ["中国残疾人联合会信息中心"], "中国残疾人联合会信息中心开展残疾人网上无障碍服务的实践"),
    (
        PS,
        3,
        ["青岛市行政审批事务和公共资源交易管理办公室", "青岛市电子政务和信息资源管理办公室"],
        "山东省青岛市网上审批建设和应用实践.'大厅.网络'双重集中实现审批方式改革",
    ),
    (PS, 4, ["北京市东城区信息化工作办公室"], "北京市东城区在网格化社会服务管理中的创新实践"),
    (PS, 5, ["北京市西城区信息化工作办公室"], "北京市西城区在街道社区办事'全区通办'.'三级联动'方面的应用实践"),
    (PS, 6, ["兰州市数字城市建设办公室"], "兰州市民卡"),
    (PS, 7, ["广州市人事人才信息资源中心"], "广州人事人才信息化公共服务平台的建设和应用实践"),
    (PS, 8, ["宁波市海曙81890求助服务中心"], "81890公共信息服务平台"),
    (PS, 9, ["南京市国民经济和社会信息化领导小组办公室"], "江苏省南京市市民卡项目建设实践"),
    (
        PS,
        10,
        ["上海市食品药品监督管理局浦东新区分局"],
        "上海市食品药品监督管理局浦东新区分局在食品药品安全诚信信息系统的应用实践",
    ),
    (TA, 1, ["环境保护部信息中心"], "环境保护部信息中心在电子政务综合平台工程建设中的实践"),
    (TA, 2, ["湖北省卫生厅"], "湖北省在新型农村合作医疗信息化方面的实践"),
    (TA, 3, ["农业部信息中心"], "农业部在农业信息采集系统的应用实践"),
    (TA, 4, ["中国人民银行"], "中国人民银行在金融运行分析系统中的应用实践"),
    (TA, 5, ["北京市海淀区政府信息化工作办公室"], "北京市海淀区基于协同的网上办事与决策支持服务实践"),
    (TA, 6, ["北京市突发事件应急委员会办公室"], "北京市应急指挥系统"),
    (
        TA,
        7,
        ["中共中央组织部信息管理中心", "北京人大金仓信息技术股份有限公司"],
        "金仓数据库在全国党员.公务员管理系统中的应用",
    ),
    (TA, 8, ["浪潮集团"], "湖南卫生厅应急指挥系统"),
    (TA, 9, ["江苏省发展和改革委员会"], "江苏省发展和改革委员会在行政权力网上公开透明运行系统的应用实践"),
    (TA, 10, ["上海市浦东新区卫生局"], "浦东医疗卫生信息系统共享联动工程一期项目"),
    (MB, 1, ["团中央宣传部网络处副处长 王郁松"], "在推进共青团系统微博客建设方面的实践"),
    (MB, 2, ["南京市委宣传部"], "'南京发布'微博客在网络信息宣传方面的实践"),
    (MB, 3, ["江苏常州市公安局"], "'平安常州'微博客在创新网上群众工作.探索民意主导警务方面的实践"),
    (MB, 4, ["杭州市行政服务中心"], "通过微博客搭建公共服务平台的实践"),
    (MB, 5, ["厦门公安局湖里事故科副科长刘毅"], "'交警大刘'微博客在交通安全宣传.警察公共关系形象塑造方面的实践"),
    (MB, 6, ["河南省高级人民法院"], "豫法阳光在搭建司法公开民意沟通网络平台方面的实践"),
    (MB, 7, ["河南省公安厅"], "在打造网络互动公共平台方面的实践"),
    (MB, 8, ["湖北省人民检察院检察官 袁明"], "检察官阿明微博客在服务为民方面的实践"),
    (MB, 9, ["湖北省武汉市江岸区城管局"], "'江城故事'微博客在城市管理工作方面的实践"),
    (MB, 10, ["银川市委办公厅", "市政府办公厅"], "银川市政务微博在集群建设和管理方面的实践"),
]


def _rows(ex: Extraction) -> list[tuple[str, int, list[str], str]]:
    return [(a.category, a.rank, [x.text for x in a.applicants], a.title) for a in ex.awards]


@pytest.mark.parametrize("expected", WINNERS, ids=[f"{c}-{r}" for c, r, _a, _t in WINNERS])
def test_each_winner_is_extracted_exactly(extraction: Extraction, expected: tuple) -> None:
    assert expected in _rows(extraction)


def test_the_table_has_exactly_the_forty_winners_in_order(extraction: Extraction) -> None:
    assert _rows(extraction) == WINNERS
    assert extraction.categories == (MI, PS, TA, MB)


def test_spans_point_at_the_text_they_claim(extraction: Extraction, source_text: str) -> None:
    for a in extraction.awards:
        assert source_text[a.span.start : a.span.end] == a.span.text
        assert a.span.text.startswith(str(a.rank))
        assert source_text[a.title_span.start : a.title_span.end] == a.title
        assert a.span.end == a.title_span.end
        for x in a.applicants:
            assert source_text[x.span.start : x.span.end] == x.text
    first = extraction.awards[0]
    assert source_text[first.span.start - 1] == "称"  # right after the heading 最佳实践名称


def test_persons_are_split_into_unit_post_and_name(extraction: Extraction) -> None:
    persons = [(x.organisation, x.post, x.name) for a in extraction.awards for x in a.applicants if x.kind == "person"]
    assert persons == [
        ("团中央宣传部网络处", "副处长", "王郁松"),
        ("厦门公安局湖里事故科", "副科长", "刘毅"),
        ("湖北省人民检察院", "检察官", "袁明"),
    ]


def test_an_elided_region_is_restored_from_the_unit_before(extraction: Extraction) -> None:
    last = extraction.awards[-1]
    assert [x.name for x in last.applicants] == ["银川市委办公厅", "银川市政府办公厅"]


def test_accounts_quoted_in_titles(extraction: Extraction) -> None:
    names = [s.text for a in extraction.awards for s in a.accounts]
    assert names == ["南京发布", "平安常州", "交警大刘", "检察官阿明", "江城故事"]


def test_milestones(extraction: Extraction) -> None:
    got = [(m.key, m.date, m.precision) for m in extraction.milestones]
    assert got == [
        ("1970s", "1970", "decade"),
        ("1990s", "1990", "decade"),
        ("2001", "2001", "year"),
        ("2002", "2002", "year"),
        ("2006", "2006", "year"),
        ("2012-05", "2012-05", "month"),
        ("2012-07", "2012-07", "month"),
        ("2012", "2012", "year"),
    ]
    by_key = {m.key: m.span.text for m in extraction.milestones}
    assert by_key["2001"] == "2001年.国家成立了国家信息化领导小组"
    assert "17号)获得审议通过" in by_key["2002"]
    assert by_key["2012"] == "并将在2012年中国电子政务论坛上进行表彰和宣讲"


def test_figures(extraction: Extraction) -> None:
    got = {f.key: (f.value, f.lower_bound) for f in extraction.figures}
    assert got == {
        "entries": (300, True),
        "review_rounds": (3, False),
        "shortlisted": (122, False),
        "winners": (40, False),
        "categories": (4, False),
    }


def test_goals_and_problems(extraction: Extraction) -> None:
    by_kind: dict[str, list[str]] = {}
    for s in extraction.statements:
        by_kind.setdefault(s.kind, []).append(s.span.text)
    assert by_kind["goal"] == ["改善公共服务", "加强社会管理", "强化综合监管", "完善宏观调控"]
    assert by_kind["problem-area"] == ["网络基础设施", "业务系统", "信息资源", "安全保障"]
    assert by_kind["problem"] == [
        "地区差异和数字鸿沟有所扩大",
        "在线事务处理率有待进一步提高",
        "信息资源利用潜力有待进一步挖掘",
        "公共服务能力和公民参与程度相对较低",
        "电子政务管理体制有待进一步梳理和完善",
    ]


def test_a_second_announcement_with_other_agencies_parses(extractor: Extractor) -> None:
    text = (FIXTURES / "announcements" / "second-2013.txt").read_text(encoding="utf-8")
    ex = extractor.extract(text, source="second-2013.txt")
    assert _rows(ex) == [
        (PS, 1, ["杭州市西湖区人民政府办公室"], "浙江省杭州市西湖区在社区网格化服务中的实践"),
        (PS, 2, ["国家税务总局信息中心"], "国家税务总局在金税工程三期中的应用"),
        (
            PS,
            3,
            ["福建省厦门市思明区信息化办公室", "厦门市行政服务中心管理委员会"],
            "福建省厦门市思明区一站式网上办事实践",
        ),
        (TA, 1, ["云南省人力资源和社会保障厅", "云南省社会保险局"], "云南省在社会保险信息系统中的应用实践"),
        (TA, 2, ["云南省昆明市人民政府"], "昆明市12345市民热线系统"),
        (TA, 3, ["贵州省大数据发展管理局"], "贵州省政务云.数据共享平台建设实践"),
        (MB, 1, ["广东省公安厅宣传处科长 张伟"], "'平安南粤'微博客在警民互动方面的实践"),
        (MB, 2, ["深圳市人民政府新闻办公室"], "'深圳发布'微博客在政务信息公开方面的实践"),
    ]
    person = ex.awards[6].applicants[0]
    assert (person.kind, person.organisation, person.post, person.name) == (
        "person",
        "广东省公安厅宣传处",
        "科长",
        "张伟",
    )
    assert [m.key for m in ex.milestones] == ["2013-03", "2013-06"]
    assert {f.key: f.value for f in ex.figures} == {
        "entries": 150,
        "review_rounds": 2,
        "shortlisted": 45,
        "winners": 8,
        "categories": 3,
    }


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("2006年两办", "２００６年两办", ("2006", "2006", "year")),  # full-width digits
        ("2006年两办", "٢٠٠٦年两办", ("2006", "2006", "year")),  # Arabic-Indic digits
        ("2012年5月", "2012年13月", ("2012", "2012", "year")),  # not a month: the year stands
        ("2012年5月", "2012年0月", ("2012", "2012", "year")),
    ],
)
def test_dates_are_ascii_and_months_are_months(
    extractor: Extractor, source_text: str, old: str, new: str, expected: tuple[str, str, str]
) -> None:
    ex = extractor.extract(_mangle(source_text, old, new), source="dates.txt")
    got = [(m.key, m.date, m.precision) for m in ex.milestones]
    assert expected in got
    assert all(re.fullmatch(r"[0-9]{4}(-(0[1-9]|1[0-2]))?", m.date) for m in ex.milestones), got


def _mangle(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1 if old[0] != "类" else -1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("类序号申报单位最佳实践名称", "类", "no award table"),
        ("管理创新类序号", "管理改革类序号", "unknown award category"),
        ("1中国科学院信息化", "中国科学院信息化", "does not start with row 1"),
        ("共40个最佳实践案例", "共41个最佳实践案例", "states 41 winners but the table has 40 rows"),
        ("四类共40个", "五类共40个", "states 5 categories"),
        # found by hypothesis: a duplicated character made cn2an raise ValueError
        ("进入九十年代后", "进入九九十年代后", "cannot read the number '九九十'"),
        ("四类共40个", "十十类共40个", "cannot read the number '十十'"),
        # int() of a 5,000-digit run fails; a figure that long is an error, shortened
        ("共收到申报材料300多份", "共收到申报材料" + "3" * 5000 + "多份", "cannot read the number '3{20}…'$"),
        ("8宁波市海曙81890", "8宁波市海曙" + "8" * 5000, "cannot separate applicant and title in the 公共服务"),
    ],
)
def test_mangled_text_gives_a_positioned_error(
    extractor: Extractor, source_text: str, old: str, new: str, message: str
) -> None:
    with pytest.raises(ExtractError, match=message) as info:
        extractor.extract(_mangle(source_text, old, new), source="mangled.txt")
    assert "mangled.txt: character " in str(info.value)
    assert 0 <= info.value.offset <= len(source_text)


def test_a_row_that_cannot_be_split_names_its_position(extractor: Extractor, source_text: str) -> None:
    bad = _mangle(source_text, "3农业部信息中心农业部在农业信息采集系统的应用实践", "3农业信息采集")
    with pytest.raises(ExtractError, match="cannot separate applicant and title") as info:
        extractor.extract(bad, source="mangled.txt")
    assert bad[info.value.offset :].startswith("3农业信息采集")


def test_empty_and_title_only_texts_are_errors(extractor: Extractor) -> None:
    with pytest.raises(ExtractError, match="empty"):
        extractor.extract("  \n", source="x")
    with pytest.raises(ExtractError, match="no title line"):
        extractor.extract("只有一行没有换行", source="x")


def test_a_table_with_thousands_of_rows_parses_without_recursion(extractor: Extractor) -> None:
    rows = "".join(f"{n}杭州市信息中心在数据共享方面的第{n}项实践" for n in range(1, 1501))
    text = "很长的公告\n正文.附件一.名单管理创新类序号申报单位最佳实践名称" + rows
    ex = extractor.extract(text, source="long.txt")
    assert len(ex.awards) == 1500
    assert ex.awards[-1].rank == 1500
    assert ex.awards[-1].title == "在数据共享方面的第1500项实践"
    assert [a.text for a in ex.awards[-1].applicants] == ["杭州市信息中心"]


# ---- general rules on a fixture of our own (tests/fixtures/announcements/rules-2014.txt) ---------

RULES_ROWS = [
    (MI, 1, ["国家知识产权局信息中心"], "国知局在专利信息服务中的实践"),
    (MI, 2, ["水利部水文局信息中心"], "水利部在水文监测系统中的应用实践"),
    (MI, 3, ["国家发展和改革委员会办公厅"], "发改委在电子公文交换中的实践"),
    (PS, 1, ["浙江省宁波市镇海区人民政府办公室"], "宁波市镇海区在政务服务中的实践"),
    (PS, 2, ["四川省绵阳市人力资源和社会保障局就业服务处"], "绵阳市在就业信息服务平台中的应用实践"),
]


def _rules_text() -> str:
    return (FIXTURES / "announcements" / "rules-2014.txt").read_text(encoding="utf-8")


def test_a_title_run_into_the_body_ends_at_its_title_word(extractor: Extractor) -> None:
    text = _rules_text()
    assert "\n" not in text
    ex = extractor.extract(text, source="rules-2014.txt")
    assert (ex.title.start, ex.title.end, ex.title.text) == (0, 17, "2014年电子政务创新案例评选结果")
    assert [m.key for m in ex.milestones] == ["2014-04", "2014-08"]
    assert ex.milestones[0].span.text.startswith("为推广电子政务创新经验") or "2014年4月" in ex.milestones[0].span.text


def test_titles_opening_with_a_short_form_of_the_applicant(extractor: Extractor) -> None:
    # 国知局 for 国家知识产权局信息中心, 发改委 for 国家发展和改革委员会 (a national prefix dropped):
    # without the rule the short form was read as the end of the applicant's name
    ex = extractor.extract(_rules_text(), source="rules-2014.txt")
    assert _rows(ex) == RULES_ROWS


def test_departments_name_the_bodies_they_belong_to(extractor: Extractor, extraction: Extraction) -> None:
    ex = extractor.extract(_rules_text(), source="rules-2014.txt")
    assert [a.applicants[0].containers for a in ex.awards] == [
        ("国家知识产权局",),
        ("水利部", "水利部水文局"),
        ("国家发展和改革委员会",),
        ("浙江省宁波市镇海区人民政府",),
        ("四川省绵阳市人力资源和社会保障局",),
    ]
    by_text = {a.text: a.containers for row in extraction.awards for a in row.applicants}
    assert by_text["中国科学院信息化工作领导小组办公室"] == ("中国科学院", "中国科学院信息化工作领导小组")
    assert by_text["团中央宣传部网络处副处长 王郁松"] == ("团中央宣传部",)  # a person: their unit's bodies
    assert by_text["上海市食品药品监督管理局浦东新区分局"] == ("上海市食品药品监督管理局",)
    # a cut never falls inside a suffix word: 中国科|学院, 发展和改革委|员会
    assert by_text["江苏省发展和改革委员会"] == ()
    assert by_text["北京市高级人民法院"] == ()


@pytest.mark.parametrize("variant", ["bom", "crlf", "cr", "bom+crlf"])
def test_a_byte_order_mark_or_cr_neither_stays_in_the_title_nor_shifts_offsets(
    extractor: Extractor, extraction: Extraction, layout, variant: str
) -> None:
    from egovkg.ingest.extract import decode_source

    raw = (layout.sources / "announcement-2012.txt").read_bytes()
    data = raw.replace(b"\n", {"bom": b"\n", "crlf": b"\r\n", "cr": b"\r", "bom+crlf": b"\r\n"}[variant])
    if variant.startswith("bom"):
        data = b"\xef\xbb\xbf" + data
    ex = extractor.extract(decode_source(data), source="variant.txt")
    assert ex.title == extraction.title
    assert ex.title.text == "中国电子政务最佳实践评选结果"
    assert ex.awards == extraction.awards  # every span at the same offsets
    assert ex.milestones == extraction.milestones


def test_the_extractor_alone_keeps_a_mark_and_a_cr_out_of_the_title(extractor: Extractor, source_text: str) -> None:
    ex = extractor.extract("\ufeff" + source_text.replace("\n", "\r\n", 1), source="raw.txt")
    assert (ex.title.start, ex.title.text) == (1, "中国电子政务最佳实践评选结果")


def test_the_early_1970s_is_the_first_part_of_the_decade(extraction: Extraction) -> None:
    decades = {m.key: m.part for m in extraction.milestones if m.precision == "decade"}
    assert decades == {"1970s": "early", "1990s": None}  # 七十年代初; 进入九十年代后


def test_small_chinese_numbers_read_as_cn2an_reads_them() -> None:
    """The regular forms below 1000 are read without cn2an (slow to import); the rest still by it."""
    import cn2an

    from egovkg.ingest.extract import small_chinese_number

    for n in range(1, 1000):
        text = cn2an.an2cn(n)
        assert small_chinese_number(text) == n == int(cn2an.cn2an(text, "smart")), text
    assert small_chinese_number("两百零五") == 205
    for irregular in ("九九十", "十十", "百", "一百十", "二二", "一百零", "十百", "〇", ""):
        assert small_chinese_number(irregular) is None, irregular
