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
    "regions": {
        "code": "code",
        "name_zh": "text",
        "name_en": "text",
        "pinyin": "text",
        "level": "text",
        "parent": "code?",
        "source": "list",
    },
    "agencies": {
        "id": "id",
        "name_zh": "text",
        "alt_names_zh": "list?",
        "name_en": "text",
        "class": "text",
        "kind": "text",
        "level": "text",
        "parent": "text?",
        "region": "code",
        "source": "list",
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
        "part_of": "text?",
        "source": "list",
        "note": "text?",
    },
    "documents": {
        "id": "id",
        "title_zh": "text",
        "title_en": "text",
        "identifier": "text?",
        "date": "date",
        "issuers": "list?",
        "source": "list",
        "note": "text?",
    },
    "milestones": {"key": "id", "name_zh": "text", "name_en": "text", "concerns": "list?", "source": "list"},
    "statements": {"kind": "text", "order": "int", "text_zh": "text", "text_en": "text", "source": "list"},
    "awards": {
        "id": "id",
        "category": "text",
        "rank": "int",
        "applicants": "list",
        "title_zh": "text",
        "title_en": "text",
        "region": "code",
        "programmes": "list?",
        "accounts": "list?",
        "source": "list",
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
AGENCY_CLASSES = {"agency", "enterprise"}


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


def load_curated(curated_dir: Path, sources_csv: Path) -> Curated:
    tables: dict[str, dict[Any, Row]] = {}
    for table in [*CURATED_FILES, "sources"]:
        path = sources_csv if table == "sources" else curated_dir / f"{table}.csv"
        key = KEYS.get(table, "id")
        rows = read_table(path, SCHEMAS[table], key)
        tables[table] = {(tuple(r[c] for c in key) if isinstance(key, tuple) else r[key]): r for r in rows}
    cur = Curated(tables)
    _check_references(cur)
    return cur


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

    holders = set(cur["agencies"]) | set(cur["persons"])
    for r in cur["regions"].values():
        one_of(r, "level", r["level"], LEVEL_NAMES)
        need(r, "parent", r["parent"], "regions")
        if r["parent"] is None and r["level"] != "national":
            raise DataError("only the national region may have no parent", file=r.file, line=r.line, field="parent")
        sources(r)
    for r in cur["agencies"].values():
        one_of(r, "class", r["class"], AGENCY_CLASSES)
        need(r, "kind", r["kind"], "agency-kinds")
        need(r, "level", r["level"], "levels")
        need(r, "parent", r["parent"], "agencies")
        need(r, "region", r["region"], "regions")
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
        need(r, "part_of", r["part_of"], "programmes")
        sources(r)
    for r in cur["documents"].values():
        for i in r["issuers"]:
            need(r, "issuers", i, "agencies")
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
        sources(r)
    for r in cur["statements"].values():
        one_of(r, "kind", r["kind"], STATEMENT_KINDS)
        sources(r)
    for r in cur["awards"].values():
        need(r, "category", r["category"], "categories")
        for a in r["applicants"]:
            if a not in holders:
                raise DataError(
                    f"'{a}' is neither an agency nor a person id", file=r.file, line=r.line, field="applicants"
                )
        need(r, "region", r["region"], "regions")
        for p in r["programmes"]:
            need(r, "programmes", p, "programmes")
        for a in r["accounts"]:
            need(r, "accounts", a, "accounts")
        sources(r)
    for r in cur["selection"].values():
        need(r, "organiser", r["organiser"], "agencies")
        sources(r)
    for r in cur["sources"].values():
        need(r, "publisher", r["publisher"], "agencies")
