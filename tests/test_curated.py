"""Curated data: the shipped files load; every kind of malformed file is one clear error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from egovkg.errors import DataError
from egovkg.ingest.curated import load_curated
from egovkg.paths import Layout

from .conftest import ROOT


def test_shipped_files_load_with_their_references(layout: Layout) -> None:
    cur = load_curated(layout.curated, layout.sources / "sources.csv")
    assert len(cur["awards"]) == 40
    assert len(cur["categories"]) == 4
    qingdao = [a for a in cur["agencies"].values() if a["name_zh"] == "青岛市电子政务和信息资源管理办公室"]
    assert len(qingdao) == 1, "the Qingdao office that applies twice is one entity"
    assert {p["name_zh"] for p in cur["persons"].values()} == {"王郁松", "刘毅", "袁明"}
    for row in cur["agencies"].values():
        assert row["name_en"] and row["name_zh"]


def test_region_codes_agree_with_the_gazetteer(layout: Layout) -> None:
    import csv

    with layout.gazetteer.open(encoding="utf-8") as fh:
        gaz = {r["code"]: r for r in csv.DictReader(fh)}
    cur = load_curated(layout.curated, layout.sources / "sources.csv")
    for code, row in cur["regions"].items():
        if code == "000000":
            assert row["level"] == "national"
            continue
        assert code in gaz, f"{row.where}: {code} is not a GB/T 2260 code"
        assert gaz[code]["name"] == row["name_zh"], row.where
        assert (gaz[code]["parent"] or "000000") == row["parent"], row.where


def test_region_codes_agree_with_cpca_where_installed(layout: Layout) -> None:
    """An independent check of the codes: the cpca package's own division table."""
    cpca = pytest.importorskip("cpca")
    table = Path(cpca.__file__).parent / "resources" / "adcodes.csv"
    names = {}
    for line in table.read_text(encoding="utf-8").splitlines()[1:]:
        code, name = line.split(",")[:2]
        names[code[:6]] = name
    cur = load_curated(layout.curated, layout.sources / "sources.csv")
    expected = {"420500": "宜昌市", "330203": "海曙区", "419001": "济源市", "110101": "东城区", "310115": "浦东新区"}
    for code, name in expected.items():
        assert cur["regions"][code]["name_zh"] == name == names[code]


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


def _load(data: Path):
    return load_curated(data / "curated", data / "sources" / "sources.csv")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(needle)


@pytest.mark.parametrize(
    ("file", "needle", "old", "new", "field", "message"),
    [
        ("regions.csv", "420500,", "420500,", "42050,", "code", "not a 6-digit GB/T 2260 code"),
        ("regions.csv", "420500,", "420500,", "４２０５００,", "code", "full-width digits"),
        ("categories.csv", "management-innovation", ",1\n", ",one\n", "order", "not a whole number"),
        ("documents.csv", "zbf-2002-17", "2002-08", "2002-13", "date", "not a calendar date"),
        ("documents.csv", "zbf-2002-17", "2002-08", "August 2002", "date", "not a date"),
        ("persons.csv", "wang-yusong,", "wang-yusong,", "Wang Yusong,", "id", "not a lower-case ASCII slug"),
    ],
)
def test_a_bad_field_names_file_line_and_field(
    data_copy: Path, file: str, needle: str, old: str, new: str, field: str, message: str
) -> None:
    path = data_copy / "curated" / file
    line = _line_of(path, needle)
    _edit(path, old, new)
    with pytest.raises(DataError, match=message) as info:
        _load(data_copy)
    assert (info.value.file, info.value.line, info.value.field) == (str(path), line, field)


def test_duplicate_id(data_copy: Path) -> None:
    path = data_copy / "curated" / "persons.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines + [lines[1]]), encoding="utf-8")
    with pytest.raises(DataError, match="duplicate 'wang-yusong' \\(first at line 2\\)") as info:
        _load(data_copy)
    assert info.value.line == len(lines) + 1


def test_dangling_reference(data_copy: Path) -> None:
    path = data_copy / "curated" / "persons.csv"
    line = _line_of(path, "wang-yusong")
    text = path.read_text(encoding="utf-8").splitlines()
    fields = text[line - 1].split(",")
    fields[5] = "no-such-agency"
    text[line - 1] = ",".join(fields)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="'no-such-agency' is not an id in agencies.csv") as info:
        _load(data_copy)
    assert (info.value.line, info.value.field) == (line, "affiliation")


def test_unknown_region_code(data_copy: Path) -> None:
    path = data_copy / "curated" / "awards.csv"
    line = _line_of(path, "2012-management-innovation-04")
    _edit(path, ",420500,", ",429999,")
    with pytest.raises(DataError, match="'429999' is not an id in regions.csv") as info:
        _load(data_copy)
    assert info.value.line == line


@pytest.mark.parametrize(
    ("mutate", "message", "line"),
    [
        (lambda b: b"\xef\xbb\xbf" + b, "byte-order mark", 1),
        (lambda b: b.replace("审计署".encode(), "审计署".encode("gbk"), 1), "not valid UTF-8", None),
        (lambda b: b.replace(b"\n", b"\nextra,\n", 1), "has 2 fields, the header has", 2),
        (lambda b: b.replace(b"name_en", b"english", 1), "header must be", 1),
        (lambda b: b.replace(b"\n", b'\n"unclosed', 1), "malformed CSV|fields", None),
    ],
    ids=["bom", "gbk-bytes", "wrong-field-count", "wrong-header", "broken-quote"],
)
def test_malformed_files(data_copy: Path, mutate, message: str, line: int | None) -> None:
    path = data_copy / "curated" / "agencies.csv"
    path.write_bytes(mutate(path.read_bytes()))
    with pytest.raises(DataError, match=message) as info:
        _load(data_copy)
    assert info.value.file == str(path)
    if line is not None:
        assert info.value.line == line
    assert str(path) in str(info.value)
