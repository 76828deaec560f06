"""Load and check the curated data files (data/curated/*.csv, data/sources/sources.csv).

Each file is read with the csv module; every field is checked for its type and
every reference for its target. The first problem raises ``DataError`` naming
``file:line: field``. Nothing is loaded half-way: either all files pass or the
caller gets an error.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from egovkg.errors import DataError

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CODE = re.compile(r"^[0-9]{6}$")
_YEAR = re.compile(r"^[0-9]{4}$")
_DATE = re.compile(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")
_INT = re.compile(r"^[0-9]+$")
_SHA = re.compile(r"^[0-9a-f]{64}$")
_FULLWIDTH_DIGITS = re.compile(r"[\uff10-\uff19]")


@dataclass(frozen=True)
class Row:
    """One checked row: its values and where it came from."""

    file: str
    line: int
    values: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


# column -> kind. Kinds: id, text, text?, list, list?, int, year?, date, code, code?, sha256, url?
SCHEMAS: dict[str, dict[str, str]] = {
    "references": {"id": "id", "title": "text", "url": "url?", "publisher": "text?", "note": "text?"},
    "categories": {"id": "id", "name_zh": "text", "name_en": "text", "order": "int"},
    "agency-kinds": {
        "id": "id",
        "name_zh": "text",
        "name_en": "text",
        "definition_zh": "text",
        "definition_en": "text",
    },
    "levels": {"id": "id", "name_zh": "text", "name_en": "text", "order": "int"},
    "ranks": {
        "id": "id",
        "name_zh": "text",
        "name_en": "text",
        "order": "int",
        "definition_zh": "text",
        "definition_en": "text",
    },
    "regions": {
        "code": "code",
        "name_zh": "text",
        "name_en": "text",
        "pinyin": "text",
        "level": "text",
        "rank": "text",
        "parent": "code?",
        "source": "list",
        "unverified": "list?",
    },
    "agencies": {
        "id": "id",
        "name_zh": "text",
        "alt_names_zh": "list?",
        "name_en": "text",
        "class": "text",
        "kind": "text",
        "level": "text",
        "rank": "text?",
        "parent": "text?",
        "region": "code",
        "source": "list",
        "unverified": "list?",
        "note": "text?",
    },
    "persons": {
        "id": "id",
        "name_zh": "text",
        "name_en": "text",
        "post_zh": "text",
        "post_en": "text",
        "affiliation": "text",
        "source": "list",
    },
    "accounts": {"id": "id", "name_zh": "text", "name_en": "text", "holder": "text", "source": "list", "note": "text?"},
    "programmes": {
        "id": "id",
        "name_zh": "text",
        "name_en": "text",
        "alt_names_zh": "list?",
        "start_year": "year?",
        "end_year": "year?",
        "part_of": "list?",
        "lead_agencies": "list?",
        "source": "list",
        "unverified": "list?",
        "note": "text?",
    },
    "documents": {
        "id": "id",
        "title_zh": "text",
        "title_en": "text",
        "identifier": "text?",
        "date": "date",
        "adopted_by": "list?",
        "adopted_date": "date?",
        "issued_by": "list?",
        "issue_mode": "text?",
        "in_force": "date?",
        "source": "list",
        "unverified": "list?",
        "note": "text?",
    },
    "milestones": {
        "key": "id",
        "date": "date?",
        "name_zh": "text",
        "name_en": "text",
        "concerns": "list?",
        "original_orgs": "list?",
        "resulting_orgs": "list?",
        "source": "list",
        "unverified": "list?",
        "note": "text?",
    },
    "statements": {
        "kind": "text",
        "order": "int",
        "text_zh": "text",
        "text_en": "text",
        "priority": "text?",
        "source": "list",
    },
    "strategy": {
        "id": "id",
        "document": "text",
        "kind": "text",
        "order": "int",
        "text_zh": "text",
        "text_en": "text",
        "source": "list",
    },
    "awards": {
        "id": "id",
        "category": "text",
        "rank": "int",
        "applicants": "list",
        "title_zh": "text",
        "title_en": "text",
        "region": "code",
        "programmes": "list?",
        "inferred_programmes": "list?",
        "accounts": "list?",
        "source": "list",
        "inference_note": "text?",
    },
    "selection": {
        "id": "id",
        "name_zh": "text",
        "name_en": "text",
        "organiser": "text",
        "year": "year?",
        "source": "list",
    },
    "sources": {
        "id": "id",
        "file": "text",
        "title_zh": "text",
        "title_en": "text",
        "publisher": "text",
        "year": "year?",
        "language": "text",
        "sha256": "sha256",
    },
}
CURATED_FILES = [name for name in SCHEMAS if name != "sources"]
# The column that identifies a row, for duplicate detection.
KEYS = {"regions": "code", "milestones": "key", "statements": ("kind", "order")}
LEVEL_NAMES = {"national", "provincial", "prefectural", "county"}
STATEMENT_KINDS = {"goal", "problem", "problem-area"}
STRATEGY_KINDS = {"goal", "priority"}
AGENCY_CLASSES = {"agency", "enterprise"}
ISSUE_MODES = {"issued", "transmitted", "promulgated"}
NATIONAL = "000000"  # China as a whole: a convention of this graph, not a GB/T 2260 code
# Columns that hold facts (not ids, names or citations): what an `unverified` list may name.
_NOT_FACTS = {"id", "key", "code", "source", "unverified", "note", "name_zh", "name_en", "pinyin"}


def _parse(kind: str, raw: str, err: Callable[[str], DataError]) -> Any:
    optional = kind.endswith("?")
    base = kind.rstrip("?")
    value = raw.strip()
    if value != raw:
        raise err("has leading or trailing spaces")
    if not value:
        if optional:
            return () if base == "list" else None
        raise err("is required")
    if _FULLWIDTH_DIGITS.search(value) and base in {"int", "year", "date", "code"}:
        raise err(f"'{value}' uses full-width digits; write ASCII digits")
    if base == "id" and not _SLUG.match(value):
        raise err(f"'{value}' is not a lower-case ASCII slug ([a-z0-9][a-z0-9-]*)")
    if base == "int":
        if not _INT.match(value):
            raise err(f"'{value}' is not a whole number")
        return int(value)
    if base == "year" and not _YEAR.match(value):
        raise err(f"'{value}' is not a year (YYYY)")
    if base == "code" and not _CODE.match(value):
        raise err(f"'{value}' is not a 6-digit GB/T 2260 code")
    if base == "sha256" and not _SHA.match(value):
        raise err(f"'{value}' is not a lower-case hex sha256 digest")
    if base == "url" and not re.match(r"^https?://\S+$", value):
        raise err(f"'{value}' is not an http(s) URL")
    if base == "date":
        if not _DATE.match(value):
            raise err(f"'{value}' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        parts = [int(p) for p in value.split("-")]
        try:
            dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        except ValueError as exc:
            raise err(f"'{value}' is not a calendar date ({exc})") from exc
    if base == "list":
        items = tuple(value.split(";"))
        if any(not i or i != i.strip() for i in items):
            raise err(f"'{value}' has an empty or padded item; separate items with ';' only")
        return items
    return value


def read_table(path: Path, schema: Mapping[str, str], key: str | tuple[str, ...] = "id") -> list[Row]:
    """Read one CSV file, checking its header, every field's type and duplicate keys."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", file=name) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        raise DataError("starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM", file=name, line=1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"is not valid UTF-8 (byte {exc.start}); save it as UTF-8", file=name, line=line) from exc
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = next(reader, None)
        if header != list(schema):
            raise DataError(f"header must be '{','.join(schema)}', found '{','.join(header or [])}'", file=name, line=1)
        rows: list[Row] = []
        seen: dict[Any, int] = {}
        for fields in reader:
            line = reader.line_num
            if not fields:
                raise DataError("empty line", file=name, line=line)
            if len(fields) != len(header):
                raise DataError(f"has {len(fields)} fields, the header has {len(header)}", file=name, line=line)
            values = {
                col: _parse(kind, raw, lambda m, col=col, line=line: DataError(m, file=name, line=line, field=col))
                for (col, kind), raw in zip(schema.items(), fields, strict=True)
            }
            k = tuple(values[c] for c in key) if isinstance(key, tuple) else values[key]
            if k in seen:
                raise DataError(
                    f"duplicate '{k}' (first at line {seen[k]})",
                    file=name,
                    line=line,
                    field=key if isinstance(key, str) else ",".join(key),
                )
            seen[k] = line
            rows.append(Row(name, line, values))
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", file=name, line=reader.line_num) from exc
    return rows


@dataclass(frozen=True)
class Curated:
    """All curated tables, keyed by id, checked for dangling references."""

    tables: Mapping[str, Mapping[Any, Row]]

    def __getitem__(self, table: str) -> Mapping[Any, Row]:
        return self.tables[table]


def load_curated(curated_dir: Path, sources_csv: Path, gazetteer: Path | None = None) -> Curated:
    """Read and check every curated table; ``gazetteer`` (default: ``../gazetteer/gbt2260.csv``
    beside the curated folder) is the GB/T 2260 table every region code is checked against."""
    tables: dict[str, dict[Any, Row]] = {}
    for table in [*CURATED_FILES, "sources"]:
        path = sources_csv if table == "sources" else curated_dir / f"{table}.csv"
        key = KEYS.get(table, "id")
        rows = read_table(path, SCHEMAS[table], key)
        tables[table] = {(tuple(r[c] for c in key) if isinstance(key, tuple) else r[key]): r for r in rows}
    cur = Curated(tables)
    _check_references(cur)
    gaz = gazetteer if gazetteer is not None else curated_dir.parent / "gazetteer" / "gbt2260.csv"
    _check_region_tree(cur, read_gazetteer(gaz))
    return cur


@dataclass(frozen=True)
class GazetteerEntry:
    code: str
    name: str
    parent: str | None
    line: int


def read_gazetteer(path: Path) -> dict[str, GazetteerEntry]:
    """The GB/T 2260 table (``code,name,short,level,parent``) keyed by code."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the gazetteer: {exc}", file=name) from exc
    reader = csv.DictReader(text.splitlines())
    out: dict[str, GazetteerEntry] = {}
    try:
        for row in reader:
            code, parent = (row.get("code") or "").strip(), (row.get("parent") or "").strip()
            if not _CODE.match(code) or (parent and not _CODE.match(parent)):
                raise DataError(f"'{code}' / parent '{parent}' is not a 6-digit code", file=name, line=reader.line_num)
            out[code] = GazetteerEntry(code, (row.get("name") or "").strip(), parent or None, reader.line_num)
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", file=name, line=reader.line_num) from exc
    if not out:
        raise DataError("has no rows", file=name)
    return out


def _check_region_tree(cur: Curated, gaz: Mapping[str, GazetteerEntry]) -> None:
    """Curated regions form one tree rooted at 000000, of codes that exist in GB/T 2260, each
    under the parent the gazetteer gives it (a province under 000000)."""
    regions = cur["regions"]
    for code, r in regions.items():

        def bad(message: str, field: str = "code", r: Row = r) -> DataError:
            return DataError(message, file=r.file, line=r.line, field=field)

        if r["parent"] == code:
            raise bad(f"region {code} is its own parent", "parent")
        if code == NATIONAL:
            continue
        entry = gaz.get(code)
        if entry is None:
            raise bad(f"{code} is not a code of the GB/T 2260 gazetteer")
        if entry.name != r["name_zh"]:
            raise bad(f"'{r['name_zh']}' is not the gazetteer's name for {code} ('{entry.name}')", "name_zh")
        expected = entry.parent or NATIONAL
        if r["parent"] != expected:
            raise bad(f"parent {r['parent']} of {code} disagrees with the gazetteer's {expected}", "parent")
        seen = {code}
        up = r["parent"]
        while up != NATIONAL:
            if up in seen:
                raise bad(f"the parents of {code} form a cycle through {up}", "parent")
            seen.add(up)
            up = regions[up]["parent"]


def _check_references(cur: Curated) -> None:
    def need(row: Row, field: str, value: Any, table: str) -> None:
        if value is not None and value not in cur[table]:
            raise DataError(f"'{value}' is not an id in {table}.csv", file=row.file, line=row.line, field=field)

    def one_of(row: Row, field: str, value: str, allowed: set[str]) -> None:
        if value not in allowed:
            raise DataError(
                f"'{value}' must be one of {', '.join(sorted(allowed))}", file=row.file, line=row.line, field=field
            )

    def sources(row: Row) -> None:
        for s in row["source"]:
            if s != "announcement":
                need(row, "source", s, "references")

    def unverified(row: Row, table: str) -> None:
        allowed = set(SCHEMAS[table]) - _NOT_FACTS
        for col in row["unverified"]:
            if col not in allowed:
                raise DataError(
                    f"'{col}' is not a fact column of {table}.csv; one of {', '.join(sorted(allowed))}",
                    file=row.file,
                    line=row.line,
                    field="unverified",
                )
            if not row[col]:
                raise DataError(f"'{col}' is marked unverified but empty", file=row.file, line=row.line, field=col)

    holders = set(cur["agencies"]) | set(cur["persons"])
    for r in cur["regions"].values():
        one_of(r, "level", r["level"], LEVEL_NAMES)
        need(r, "rank", r["rank"], "ranks")
        unverified(r, "regions")
        need(r, "parent", r["parent"], "regions")
        if r["parent"] is None and r["level"] != "national":
            raise DataError("only the national region may have no parent", file=r.file, line=r.line, field="parent")
        sources(r)
    for r in cur["agencies"].values():
        one_of(r, "class", r["class"], AGENCY_CLASSES)
        need(r, "kind", r["kind"], "agency-kinds")
        need(r, "level", r["level"], "levels")
        need(r, "rank", r["rank"], "ranks")
        if r["rank"] is None and r["class"] == "agency":
            raise DataError("a public body needs a rank", file=r.file, line=r.line, field="rank")
        if r["rank"] is not None and r["class"] == "enterprise":
            raise DataError(
                "an enterprise has no administrative rank; leave it empty", file=r.file, line=r.line, field="rank"
            )
        need(r, "parent", r["parent"], "agencies")
        if r["parent"] == r["id"]:
            raise DataError("an organisation cannot be its own parent", file=r.file, line=r.line, field="parent")
        need(r, "region", r["region"], "regions")
        unverified(r, "agencies")
        sources(r)
    for r in cur["persons"].values():
        need(r, "affiliation", r["affiliation"], "agencies")
        sources(r)
    for r in cur["accounts"].values():
        if r["holder"] not in holders:
            raise DataError(
                f"'{r['holder']}' is neither an agency nor a person id", file=r.file, line=r.line, field="holder"
            )
        sources(r)
    for r in cur["programmes"].values():
        for p in r["part_of"]:
            need(r, "part_of", p, "programmes")
            if p == r["id"]:
                raise DataError("a programme cannot be part of itself", file=r.file, line=r.line, field="part_of")
        for a in r["lead_agencies"]:
            need(r, "lead_agencies", a, "agencies")
        if r["start_year"] and r["end_year"] and r["end_year"] < r["start_year"]:
            raise DataError("ends before it starts", file=r.file, line=r.line, field="end_year")
        unverified(r, "programmes")
        sources(r)
    for r in cur["documents"].values():
        for col in ("adopted_by", "issued_by"):
            for i in r[col]:
                need(r, col, i, "agencies")
        if r["issued_by"] and r["issue_mode"] is None:
            raise DataError("issued_by needs an issue_mode", file=r.file, line=r.line, field="issue_mode")
        if r["issue_mode"] is not None:
            one_of(r, "issue_mode", r["issue_mode"], ISSUE_MODES)
        if r["adopted_date"] and not r["adopted_by"]:
            raise DataError("adopted_date without adopted_by", file=r.file, line=r.line, field="adopted_by")
        unverified(r, "documents")
        sources(r)
    typed = {
        "agency": "agencies",
        "person": "persons",
        "programme": "programmes",
        "document": "documents",
        "selection": "selection",
        "region": "regions",
        "account": "accounts",
    }
    for r in cur["milestones"].values():
        for ref in r["concerns"]:
            kind, _, ident = ref.partition(":")
            if kind not in typed:
                raise DataError(
                    f"'{ref}' must be <type>:<id> with type one of {', '.join(sorted(typed))}",
                    file=r.file,
                    line=r.line,
                    field="concerns",
                )
            need(r, "concerns", ident, typed[kind])
        for col in ("original_orgs", "resulting_orgs"):
            for a in r[col]:
                need(r, col, a, "agencies")
        if r["original_orgs"] and not r["resulting_orgs"]:
            raise DataError("original_orgs without resulting_orgs", file=r.file, line=r.line, field="resulting_orgs")
        stated = "announcement" in r["source"]
        if stated and r["date"]:
            raise DataError(
                "a milestone the announcement states takes its date from the text; leave date empty",
                file=r.file,
                line=r.line,
                field="date",
            )
        if not stated and not r["date"]:
            raise DataError("a curated milestone needs a date", file=r.file, line=r.line, field="date")
        unverified(r, "milestones")
        sources(r)
    for r in cur["strategy"].values():
        one_of(r, "kind", r["kind"], STRATEGY_KINDS)
        need(r, "document", r["document"], "documents")
        sources(r)
    for r in cur["statements"].values():
        one_of(r, "kind", r["kind"], STATEMENT_KINDS)
        need(r, "priority", r["priority"], "strategy")
        sources(r)
    for r in cur["awards"].values():
        need(r, "category", r["category"], "categories")
        for a in r["applicants"]:
            if a not in holders:
                raise DataError(
                    f"'{a}' is neither an agency nor a person id", file=r.file, line=r.line, field="applicants"
                )
        need(r, "region", r["region"], "regions")
        for col in ("programmes", "inferred_programmes"):
            for p in r[col]:
                need(r, col, p, "programmes")
        if r["inferred_programmes"] and not r["inference_note"]:
            raise DataError(
                "an inferred programme link needs an inference_note saying why",
                file=r.file,
                line=r.line,
                field="inference_note",
            )
        for a in r["accounts"]:
            need(r, "accounts", a, "accounts")
        sources(r)
    for r in cur["selection"].values():
        need(r, "organiser", r["organiser"], "agencies")
        sources(r)
    for r in cur["sources"].values():
        need(r, "publisher", r["publisher"], "agencies")
