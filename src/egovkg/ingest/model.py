"""Typed records: what the extractor reads and what curation adds.

Records are frozen dataclasses so that a pipeline stage cannot change what an
earlier stage produced. ``to_dict`` gives the JSON-ready form used by
``egovkg extract``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Span:
    """Characters ``[start, end)`` of a source text (code points, 0-based)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Applicant:
    """One applicant of an award row: an organisation or a person with a post."""

    kind: Literal["organisation", "person"]
    text: str  # as written in the source
    span: Span
    name: str  # organisation name (normalised when the source elides it) or person name
    organisation: str | None = None  # persons only: the unit they work in
    post: str | None = None  # persons only


@dataclass(frozen=True)
class AwardRow:
    category: str  # zh name as in the table heading
    rank: int
    applicants: tuple[Applicant, ...]
    title: str
    title_span: Span
    span: Span  # the whole row, rank included
    accounts: tuple[Span, ...] = ()  # microblog account names the title quotes


@dataclass(frozen=True)
class Milestone:
    key: str  # 1970s, 1990s, 2001, 2012-05, ...
    date: str  # lexical xsd:gYear or xsd:gYearMonth
    precision: Literal["decade", "year", "month"]
    span: Span  # the clause that states it


@dataclass(frozen=True)
class Figure:
    key: Literal["entries", "review_rounds", "shortlisted", "winners", "categories"]
    value: int
    lower_bound: bool  # True where the text says 多 ("more than")
    span: Span


@dataclass(frozen=True)
class Statement:
    kind: Literal["goal", "problem", "problem-area"]
    order: int
    span: Span


@dataclass(frozen=True)
class Extraction:
    source: str  # the source's id or path, for messages
    title: Span
    awards: tuple[AwardRow, ...]
    milestones: tuple[Milestone, ...]
    figures: tuple[Figure, ...]
    statements: tuple[Statement, ...]
    categories: tuple[str, ...] = field(default=())  # in table order

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def records(self) -> list[dict[str, Any]]:
        """One flat JSON-ready record per extracted item, for JSON Lines output."""
        out: list[dict[str, Any]] = [{"type": "title", **asdict(self.title)}]
        out += [{"type": "award", **asdict(a)} for a in self.awards]
        out += [{"type": "milestone", **asdict(m)} for m in self.milestones]
        out += [{"type": "figure", **asdict(f)} for f in self.figures]
        out += [{"type": "statement", **asdict(s)} for s in self.statements]
        return out
