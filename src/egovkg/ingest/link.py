"""Stage 2: link what the extractor read to the curated records, and cross-check them.

Every award row of the announcement must have exactly one curated row in
``awards.csv`` with the same category, rank, title and applicants (each
applicant string must be a name of the curated agency or person), and every
curated row must be in the announcement. The same holds for milestones and for
the goals and problems the text names. Any disagreement raises
``CrossCheckError`` naming the curated row and the character offset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from egovkg.errors import CrossCheckError
from egovkg.ingest.curated import Curated, Row
from egovkg.ingest.model import Applicant, AwardRow, Extraction, Milestone, Span, Statement


@dataclass(frozen=True)
class LinkedAward:
    row: AwardRow
    curated: Row
    recipients: tuple[str, ...]  # agency or person ids, in source order


@dataclass(frozen=True)
class Linked:
    extraction: Extraction
    awards: tuple[LinkedAward, ...]
    milestones: tuple[tuple[Milestone, Row], ...]
    statements: tuple[tuple[Statement, Row], ...]
    mentions: Mapping[str, tuple[Span, ...]]  # "agency:<id>" / "person:<id>" -> applicant spans
    account_spans: Mapping[str, Span]  # account id -> where the title names it


def names_of(cur: Curated, ident: str) -> set[str]:
    """Every zh name a curated agency or person may appear under in the source."""
    if ident in cur["agencies"]:
        row = cur["agencies"][ident]
        return {row["name_zh"], *row["alt_names_zh"]}
    row = cur["persons"][ident]
    return {row["name_zh"]}


def _applicant_matches(cur: Curated, ident: str, applicant: Applicant) -> bool:
    names = names_of(cur, ident)
    return applicant.name in names or applicant.text in names


def link(extraction: Extraction, cur: Curated) -> Linked:
    category_ids = {r["name_zh"]: cid for cid, r in cur["categories"].items()}
    by_key = {(r["category"], r["rank"]): r for r in cur["awards"].values()}
    awards: list[LinkedAward] = []
    mentions: dict[str, list[Span]] = {}
    account_spans: dict[str, Span] = {}
    used: set[str] = set()
    for row in extraction.awards:
        where = f"{extraction.source}: character {row.span.start}"
        cid = category_ids.get(row.category)
        if cid is None:
            raise CrossCheckError(f"{where}: category '{row.category}' is not in categories.csv")
        cur_row = by_key.get((cid, row.rank))
        if cur_row is None:
            raise CrossCheckError(f"{where}: award {row.category} #{row.rank} has no row in awards.csv")
        used.add(cur_row["id"])
        if cur_row["title_zh"] != row.title:
            raise CrossCheckError(
                f"{cur_row.where}: title_zh '{cur_row['title_zh']}' differs from the announcement's "
                f"'{row.title}' (character {row.title_span.start})"
            )
        ids = cur_row["applicants"]
        if len(ids) != len(row.applicants):
            raise CrossCheckError(
                f"{cur_row.where}: applicants lists {len(ids)} ids but the announcement names "
                f"{len(row.applicants)}: {' / '.join(a.text for a in row.applicants)}"
            )
        for ident, applicant in zip(ids, row.applicants, strict=True):
            if not _applicant_matches(cur, ident, applicant):
                raise CrossCheckError(
                    f"{cur_row.where}: applicant '{ident}' is not named '{applicant.text}' "
                    f"(character {applicant.span.start}); add the form to its name_zh or alt_names_zh"
                )
            kind = "agency" if ident in cur["agencies"] else "person"
            expected = "person" if applicant.kind == "person" else "agency"
            if kind != expected:
                raise CrossCheckError(
                    f"{cur_row.where}: applicant '{ident}' is a {kind} but the announcement reads "
                    f"'{applicant.text}' as an {applicant.kind}"
                )
            mentions.setdefault(f"{kind}:{ident}", []).append(applicant.span)
        for acc in cur_row["accounts"]:
            name = cur["accounts"][acc]["name_zh"]
            at = row.title.find(name)
            if at < 0:
                raise CrossCheckError(f"{cur_row.where}: account '{acc}' ({name}) is not named in the title")
            start = row.title_span.start + at
            account_spans.setdefault(acc, Span(start, start + len(name), name))
        awards.append(LinkedAward(row, cur_row, tuple(ids)))
    for ident, r in cur["awards"].items():
        if ident not in used:
            raise CrossCheckError(
                f"{r.where}: award '{ident}' ({r['category']} #{r['rank']}) is not in the announcement"
            )

    milestones = []
    extracted = {m.key: m for m in extraction.milestones}
    for key, m in extracted.items():
        if key not in cur["milestones"]:
            raise CrossCheckError(
                f"{extraction.source}: character {m.span.start}: milestone '{key}' has no row in milestones.csv"
            )
        milestones.append((m, cur["milestones"][key]))
    for key, r in cur["milestones"].items():
        if key not in extracted:
            raise CrossCheckError(f"{r.where}: milestone '{key}' is not in the announcement")

    statements = []
    said = {(s.kind, s.order): s for s in extraction.statements}
    for key, r in cur["statements"].items():
        s = said.get(key)
        if s is None:
            raise CrossCheckError(f"{r.where}: {key[0]} #{key[1]} is not in the announcement")
        if s.span.text != r["text_zh"]:
            raise CrossCheckError(
                f"{r.where}: text_zh '{r['text_zh']}' differs from the announcement's '{s.span.text}' "
                f"(character {s.span.start})"
            )
        statements.append((s, r))
    for key, s in said.items():
        if key not in cur["statements"]:
            raise CrossCheckError(
                f"{extraction.source}: character {s.span.start}: {key[0]} #{key[1]} '{s.span.text}' "
                "has no row in statements.csv"
            )
    return Linked(
        extraction=extraction,
        awards=tuple(awards),
        milestones=tuple(milestones),
        statements=tuple(sorted(statements, key=lambda p: p[0].span.start)),
        mentions={k: tuple(v) for k, v in mentions.items()},
        account_spans=account_spans,
    )
