"""Stage 1: announcement text -> records, each with the character span it came from.

The input is the announcement as published, with its table rows run together
(``1中国科学院…办公室中国科学院电子政务应用探索与实践2黑龙江省…``) and its Chinese
punctuation flattened to ``.``. The extractor works from general rules of
official Chinese naming (organisation suffixes, a national gazetteer of region
names, person/post patterns, title cues), all of them data in
``data/lexicon/extractor.toml`` and ``data/gazetteer/gbt2260.csv``. It knows no
agency or title of any announcement.

How a row is split into applicant(s) and title: every position after an
organisation suffix (or after a person's name following a post) is a candidate
end of the applicant part. A candidate is valid when the applicant part
decomposes into organisation units (separated by ``.``, or by a full region
name starting a new unit) and the rest is a plausible title. Valid candidates
are scored by how the title opens: titles open with a function word (在, 通过),
a quote or a number, with (part of) the applicant's own name, or with a region
name. The best score wins; ties go to fewer applicants.
"""

from __future__ import annotations

import bisect
import csv
import math
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from egovkg.errors import DataError, ExtractError
from egovkg.ingest.model import (
    Applicant,
    AwardRow,
    Extraction,
    Figure,
    Milestone,
    Span,
    Statement,
)
from egovkg.util.limits import Limits, check_text_size

_HAN = re.compile(r"[\u4e00-\u9fff]")
_CN_NUM = "〇零一二三四五六七八九十百两"
_SPACES = " \u3000"
MAX_APPLICANTS_LENGTH = 160  # characters; the longest real applicant list is 47
MAX_TITLE_LENGTH = 60  # characters of an announcement's title run into its body


def decode_source(data: bytes, *, source: str = "<text>") -> str:
    """An announcement's bytes as text: UTF-8 without its byte order mark, line breaks as ``\n``.

    The mark and carriage returns are not content: left in, they would end up in the title and
    shift every character offset after them (a CRLF file would not match its LF twin)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not valid UTF-8 at byte {exc.start}", file=source) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class Lexicon:
    """The extractor's word lists (see data/lexicon/extractor.toml)."""

    table_header: str
    title_endings: tuple[str, ...]
    org_suffixes: tuple[str, ...]
    branch_suffixes: tuple[str, ...]
    national_prefixes: tuple[str, ...]
    full_region_suffixes: tuple[str, ...]
    unit_forbidden: tuple[str, ...]
    title_openers: tuple[str, ...]
    posts: tuple[str, ...]
    surnames: frozenset[str]
    compound_surnames: tuple[str, ...]

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read lexicon: {exc}", file=str(path)) from exc
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None)
            raise DataError(f"not valid TOML: {exc}", file=str(path), line=line) from exc

        def words(key: str) -> tuple[str, ...]:
            value = raw.get(key)
            if not isinstance(value, list) or not all(isinstance(w, str) and w for w in value):
                raise DataError("must be a list of non-empty strings", file=str(path), field=key)
            return tuple(sorted(set(value), key=lambda w: (-len(w), w)))

        header = raw.get("table_header")
        surnames = raw.get("surnames")
        if not isinstance(header, str) or not header:
            raise DataError("must be a non-empty string", file=str(path), field="table_header")
        if not isinstance(surnames, str):
            raise DataError("must be a string of characters", file=str(path), field="surnames")
        return cls(
            table_header=header,
            title_endings=words("title_endings"),
            org_suffixes=words("org_suffixes"),
            branch_suffixes=words("branch_suffixes"),
            national_prefixes=words("national_prefixes"),
            full_region_suffixes=words("full_region_suffixes"),
            unit_forbidden=words("unit_forbidden"),
            title_openers=words("title_openers"),
            posts=words("posts"),
            surnames=frozenset(c for c in surnames if _HAN.match(c)),
            compound_surnames=words("compound_surnames"),
        )


@dataclass(frozen=True)
class Gazetteer:
    """Region names of the GB/T 2260 division table: full names and short forms."""

    full: frozenset[str]
    short: frozenset[str]
    longest: int

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        full: set[str] = set()
        short: set[str] = set()
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                for row in reader:
                    name, abbr = row.get("name") or "", row.get("short") or ""
                    if not name:
                        raise DataError("empty name", file=str(path), line=reader.line_num, field="name")
                    full.add(name)
                    if abbr:
                        short.add(abbr)
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read gazetteer: {exc}", file=str(path)) from exc
        longest = max((len(n) for n in full | short), default=1)
        return cls(frozenset(full), frozenset(short), longest)

    def region_at(self, text: str, i: int, *, full_only: bool = False) -> str | None:
        """The longest region name starting at ``text[i]``, or None."""
        for n in range(min(self.longest, len(text) - i), 1, -1):
            word = text[i : i + n]
            if word in self.full or (not full_only and word in self.short):
                return word
        return None


@dataclass(frozen=True)
class _Unit:
    kind: str  # organisation | person
    start: int  # offsets within the row body
    end: int
    text: str
    name: str
    organisation: str | None = None
    post: str | None = None


_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# 一百二十二, 一百零五, 一百二十, 二十二, 十二, 十, 九: the numbers below 1000 written with units
_SMALL = re.compile("(?:([一二两三四五六七八九])百(?:零(?=[一二三四五六七八九]$)|(?=[一二三四五六七八九]十)|$))?"
                    "(?:([一二三四五六七八九])?十)?([一二三四五六七八九])?")


def small_chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral below 1000 in its regular form (一百零五, 十二), else None."""
    m = _SMALL.fullmatch(text)
    if not text or m is None:
        return None
    hundreds, tens, units = m.groups()
    ten = 1 if tens is None and "十" in text else _DIGIT.get(tens or "", 0)
    return 100 * _DIGIT.get(hundreds or "", 0) + 10 * ten + _DIGIT.get(units or "", 0)


def _numeral(m: re.Match[str], source: str) -> int:
    """The number in group 1 of ``m``, in Arabic or Chinese numerals (一百二十二, 122). The
    regular Chinese forms below 1000 are read here; cn2an (slow to import) reads the rest."""
    text = m.group(1)
    if text.isascii() and text.isdigit() and len(text) <= 20:
        return int(text)
    small = small_chinese_number(text)
    if small is not None:
        return small
    try:
        import cn2an

        return int(cn2an.cn2an(text, "smart"))
    except (ValueError, OverflowError):
        shown = m.group(1) if len(m.group(1)) <= 20 else m.group(1)[:20] + "…"
        raise ExtractError(f"cannot read the number '{shown}'", source=source, offset=m.start(1)) from None


def _month(digits: str | None) -> str | None:
    """'5' -> '05'; None for no month or a number that is not one."""
    return f"{int(digits):02d}" if digits and 1 <= int(digits) <= 12 else None


def _clause_at(clauses: list[tuple[int, int]], offset: int) -> int:
    """The index of the clause (sorted, disjoint (start, end) pairs) holding ``offset``, by
    bisection: a scan per date made the narrative quadratic (1.4 MB took 27 s)."""
    i = bisect.bisect_right(clauses, (offset, math.inf)) - 1
    if i < 0 or not clauses[i][0] <= offset < clauses[i][1]:
        raise ValueError(f"offset {offset} is in no clause")
    return i


class Extractor:
    """Parses announcements of the 2012 format. Construct once, call ``extract`` per text."""

    def __init__(self, lexicon: Lexicon, gazetteer: Gazetteer, categories: Iterable[str]) -> None:
        self.lex = lexicon
        self.gaz = gazetteer
        self.categories = tuple(sorted(set(categories), key=lambda c: (-len(c), c)))
        if not self.categories:
            raise DataError("no award categories given", file="categories")

    # ---- public API -------------------------------------------------------

    def extract(self, text: str, *, source: str = "<text>", limits: Limits | None = None) -> Extraction:
        """The records of one announcement; LimitError when ``text`` is over the size limit
        (``limits``, default Limits.from_env(): 256 KiB, EGOVKG_MAX_SOURCE_SIZE)."""
        check_text_size(text, source, limits)
        if not text.strip():
            raise ExtractError("the text is empty", source=source, offset=0)
        title = self._title(text, source)
        title_end = title.end
        sections = self._sections(text, source)
        narrative_end = sections[0][1]
        awards: list[AwardRow] = []
        for category, _head_start, body_start, body_end in sections:
            awards += self._rows(text, body_start, body_end, category, source)
        figures = self._figures(text, narrative_end, source)
        self._consistency(figures, awards, sections, source)
        return Extraction(
            source=source,
            title=title,
            awards=tuple(awards),
            milestones=tuple(self._milestones(text, title_end, narrative_end, source)),
            figures=tuple(figures),
            statements=tuple(self._statements(text, narrative_end)),
            categories=tuple(s[0] for s in sections),
        )

    def _title(self, text: str, source: str) -> Span:
        """The title: the first line, or, when the title runs into the body, the text up to the
        first title ending (…评选结果). A byte order mark, spaces or a CR around it are not part of it."""
        start = 0
        while start < len(text) and text[start] in "\ufeff" + _SPACES:
            start += 1
        line_end = text.find("\n", start)
        head = text[start : line_end if line_end >= 0 else len(text)]
        ends = [head.find(w) + len(w) for w in self.lex.title_endings if 0 < head.find(w)]
        if line_end < 0 or (ends and len(head) > 2 * MAX_TITLE_LENGTH):
            # no line break, or a "line" far longer than a title: the title ran into the body
            if not ends or min(ends) > MAX_TITLE_LENGTH:
                raise ExtractError(
                    "no title line: the first line must be the announcement's title, or the title must "
                    f"end with one of {', '.join(self.lex.title_endings)} within {MAX_TITLE_LENGTH} characters",
                    source=source,
                    offset=0,
                )
            end = start + min(ends)
        else:
            end = line_end
        while end > start and text[end - 1] in "\r" + _SPACES:
            end -= 1
        if end <= start:
            raise ExtractError(
                "no title line: the first line must be the announcement's title", source=source, offset=0
            )
        return Span(start, end, text[start:end])

    # ---- table ------------------------------------------------------------

    def _sections(self, text: str, source: str) -> list[tuple[str, int, int, int]]:
        """(category, start of the heading, start of rows, end of rows) per table section."""
        marker = "类" + self.lex.table_header
        found = [m.start() for m in re.finditer(re.escape(marker), text)]
        if not found:
            raise ExtractError(
                f"no award table: expected a heading '<category>{marker}'", source=source, offset=len(text)
            )
        sections = []
        for n, at in enumerate(found):
            category = next((c for c in self.categories if text.endswith(c, 0, at)), None)
            if category is None:
                raise ExtractError(
                    "unknown award category before the table heading; known: " + ", ".join(sorted(self.categories)),
                    source=source,
                    offset=at,
                    context=text[max(0, at - 8) : at + len(marker)],
                )
            body_start = at + len(marker)
            body_end = (
                found[n + 1] - len(self._category_before(text, found[n + 1]))
                if n + 1 < len(found)
                else len(text.rstrip())
            )
            sections.append((category, at - len(category), body_start, body_end))
        return sections

    def _category_before(self, text: str, at: int) -> str:
        return next((c for c in self.categories if text.endswith(c, 0, at)), "")

    def _rows(self, text: str, start: int, end: int, category: str, source: str) -> list[AwardRow]:
        body = text[start:end]
        # Row numbers: a run of at most six digits (a longer run is text, and int() of a
        # huge one would fail).
        numbers = [(m.start(), m.end(), int(m.group())) for m in re.finditer(r"(?<!\d)\d{1,6}(?!\d)", body)]
        if not numbers or numbers[0][0] != 0 or numbers[0][2] != 1:
            raise ExtractError(
                f"the {category} table does not start with row 1", source=source, offset=start, context=body[:12]
            )

        starts_of: dict[int, list[int]] = {}  # row number -> where it occurs, in order
        for s, _e, v in numbers:
            starts_of.setdefault(v, []).append(s)

        def row_ends(num_end: int, rank: int) -> list[int]:
            # looked up by number: a scan of every number per row made long tables quadratic
            later = starts_of.get(rank + 1, [])
            ends = later[bisect.bisect_right(later, num_end) :]
            # A row runs to the end of its section only when no later row number follows it:
            # otherwise a row that fails to split would swallow the rows after it.
            return ends or [len(body)]

        # Depth-first search over where each row ends, without recursion (a hostile text may
        # have thousands of rows); a (position, rank) known to lead nowhere is not tried again.
        stack: list[tuple[int, int, int, list[int], int]] = [(0, 1, 1, row_ends(1, 1), 0)]
        rows: list[AwardRow] = []
        dead: set[tuple[int, int]] = set()
        furthest = 0
        while stack:
            pos, num_end, rank, ends, tried = stack[-1]
            furthest = max(furthest, pos)
            if len(rows) == len(stack):
                rows.pop()  # back in this frame after its rest failed: drop its last row
            if tried == len(ends):
                dead.add((pos, rank))
                stack.pop()
                continue
            stack[-1] = (pos, num_end, rank, ends, tried + 1)
            row_end = ends[tried]
            if (row_end, rank + 1) in dead:
                continue
            split = self._split_row(body[num_end:row_end])
            if split is None:
                continue
            rows.append(self._award_row(text, start, pos, num_end, row_end, rank, category, split))
            if row_end == len(body):
                return rows
            next_num_end = row_end + len(str(rank + 1))
            stack.append((row_end, next_num_end, rank + 1, row_ends(next_num_end, rank + 1), 0))
        raise ExtractError(
            f"cannot separate applicant and title in the {category} table row starting here",
            source=source,
            offset=start + furthest,
            context=text[start + furthest : start + furthest + 24],
        )

    def _award_row(
        self,
        text: str,
        base: int,
        pos: int,
        num_end: int,
        row_end: int,
        rank: int,
        category: str,
        split: tuple[list[_Unit], int],
    ) -> AwardRow:
        units, title_at = split
        off = base + num_end
        applicants = tuple(
            Applicant(
                kind=u.kind,  # type: ignore[arg-type]
                text=u.text,
                span=Span(off + u.start, off + u.end, u.text),
                name=u.name,
                organisation=u.organisation,
                post=u.post,
                containers=self.containers(u.organisation or u.name),
            )
            for u in units
        )
        t0, t1 = off + title_at, base + row_end
        return AwardRow(
            category=category,
            rank=rank,
            applicants=applicants,
            title=text[t0:t1],
            title_span=Span(t0, t1, text[t0:t1]),
            span=Span(base + pos, t1, text[base + pos : t1]),
            accounts=tuple(self._accounts(text, t0, t1)),
        )

    def _accounts(self, text: str, t0: int, t1: int) -> Iterable[Span]:
        """Microblog account names a title quotes: '南京发布'微博客, or 检察官阿明微博客 at its start."""
        title = text[t0:t1]
        for m in re.finditer(r"'([^'.]{2,12})'微博", title):
            yield Span(t0 + m.start(1), t0 + m.end(1), m.group(1))
        m = re.match(r"([^'.\d]{2,12}?)微博客", title)
        if m and not self._opens(title):
            yield Span(t0 + m.start(1), t0 + m.end(1), m.group(1))

    # ---- one row: applicants | title -------------------------------------

    def _split_row(self, body: str) -> tuple[list[_Unit], int] | None:
        best: tuple[tuple[int, int, int], list[_Unit], int] | None = None
        for p in self._applicant_ends(body):
            units = self._applicants(body[:p])
            if units is None:
                continue
            score = self._title_score(body[p:], [u.text for u in units])
            if score is None:
                continue
            key = (score, -len(units), -p)
            if best is None or key > best[0]:
                best = (key, units, p)
        return None if best is None else (best[1], best[2])

    def _applicant_ends(self, body: str) -> list[int]:
        # Applicants are names of at most a few units: bound the search so that a
        # malformed row (a whole table run together) costs linear time, not cubic.
        limit = min(len(body), MAX_APPLICANTS_LENGTH)
        ends = {i for i in range(2, limit) if self._ends_with_suffix(body[:i])}
        for j in range(1, limit):
            post = next((w for w in self.lex.posts if body.startswith(w, j)), None)
            if post is None or not self._ends_with_suffix(body[:j]):
                continue
            for name_end in self._name_ends(body, j + len(post)):
                ends.add(name_end)
        return sorted(e for e in ends if e < len(body))

    def containers(self, name: str) -> tuple[str, ...]:
        """The bodies a department's name contains, outermost first: every proper prefix that ends
        with an organisation suffix and is followed by the name of a unit (审计署|信息化建设办公室).
        A cut never falls inside a suffix word (中国科|学院 is not a cut: 科学院 spans it)."""
        spans = [(i, i + len(x)) for x in self.lex.org_suffixes for i in range(len(name)) if name.startswith(x, i)]
        out = []
        for cut in range(3, len(name) - 1):
            if any(a < cut < b for a, b in spans):
                continue
            head, rest = name[:cut], name[cut:]
            # the rest may be a bare unit word of its own (办公室, 办公厅), not a single character
            rest_is_unit = any(rest.endswith(x) and (len(rest) > len(x) or len(x) >= 2) for x in self.lex.org_suffixes)
            if self._ends_with_suffix(head) and rest_is_unit:
                out.append(head)
        return tuple(out)

    def _short_form(self, title: str, applicants: Sequence[str]) -> int:
        """Length of a short form of an applicant's name that opens the title (国知局 for
        国家知识产权局信息中心, 发改委 for 国家发展和改革委员会): 2-6 characters that start with the
        name's first character (after a national prefix, if any), occur in the name in order, end like
        an organisation and are not themselves a prefix of the name; 0 when there is none."""
        best = 0
        # a short form may drop a national prefix: 发改委 for 国家发展和改革委员会
        names = [
            n for a in applicants for n in (a, *(a[len(p) :] for p in self.lex.national_prefixes if a.startswith(p)))
        ]
        for n in range(2, min(6, len(title)) + 1):
            short = title[:n]
            if not self._ends_with_short_suffix(short):
                continue
            for name in names:
                if name.startswith(short) or short[0] != name[0] or len(short) >= len(name):
                    continue
                it = iter(name)
                if all(c in it for c in short):
                    best = max(best, n)
        return best

    def _ends_with_short_suffix(self, s: str) -> bool:
        return any(s.endswith(x) and len(s) > len(x) for x in self.lex.org_suffixes if len(x) == 1)

    def _ends_with_suffix(self, s: str) -> bool:
        return any(s.endswith(x) and len(s) > len(x) for x in self.lex.org_suffixes)

    def _name_ends(self, s: str, k: int) -> list[int]:
        """Ends of a personal name starting at s[k] (after an optional space)."""
        while k < len(s) and s[k] in _SPACES:
            k += 1
        surname = next((c for c in self.lex.compound_surnames if s.startswith(c, k)), None)
        if surname is None and k < len(s) and s[k] in self.lex.surnames:
            surname = s[k]
        if surname is None:
            return []
        out = []
        for given in (1, 2):
            end = k + len(surname) + given
            if end <= len(s) and all(_HAN.match(c) for c in s[k + len(surname) : end]):
                out.append(end)
        return out

    def _person(self, unit: str) -> tuple[str, str, str] | None:
        """(organisation, post, name) when ``unit`` is 'org + post + name', else None."""
        for j in range(1, len(unit)):
            for post in self.lex.posts:
                if not unit.startswith(post, j) or not self._ends_with_suffix(unit[:j]):
                    continue
                k = j + len(post)
                if len(unit) in self._name_ends(unit, k):
                    return unit[:j], post, unit[k:].strip(_SPACES)
        return None

    def _applicants(self, part: str) -> list[_Unit] | None:
        if not part or part[-1] in _SPACES or part[0] in _SPACES:
            return None
        units: list[_Unit] = []
        seg_start = 0
        for seg in part.split("."):
            if not seg:
                return None
            pieces = self._decompose(seg)
            for a, b in pieces:
                text = seg[a:b]
                unit = self._unit(text, seg_start + a, seg_start + b, units)
                if unit is None:
                    return None
                units.append(unit)
            seg_start += len(seg) + 1
        for i, u in enumerate(units):
            if any(u.text in prev.text for prev in units[:i]):
                return None  # a repeat or a parent of an earlier unit opens the title
        return units

    def _decompose(self, seg: str) -> list[tuple[int, int]]:
        """Split units run together with no separator: a new unit starts with a full region name."""
        cuts = [0]
        for b in range(2, len(seg) - 1):
            if not self._ends_with_suffix(seg[:b]):
                continue
            if self.gaz.region_at(seg, b, full_only=True) or any(
                seg.startswith(p, b) for p in self.lex.national_prefixes
            ):
                cuts.append(b)
        cuts.append(len(seg))
        pieces = [(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1)]
        merged: list[tuple[int, int]] = []
        for a, b in pieces:
            if merged and any(seg[a:b].endswith(x) for x in self.lex.branch_suffixes):
                merged[-1] = (merged[-1][0], b)  # 浦东新区分局 is a branch of the unit before it
            else:
                merged.append((a, b))
        return merged

    def _unit(self, text: str, start: int, end: int, before: Sequence[_Unit]) -> _Unit | None:
        if any(w in text for w in self.lex.unit_forbidden) or len(text) < 2:
            return None
        if text[:2] in text[2:]:
            return None  # a name never restarts itself: 北京市高级人民法院|北京法院… opens the title
        if self._ends_with_suffix(text):
            return _Unit("organisation", start, end, text, self._normalise(text, before))
        person = self._person(text)
        if person is not None:
            org, post, name = person
            if any(w in org for w in self.lex.unit_forbidden):
                return None
            return _Unit("person", start, end, text, name, self._normalise(org, before), post)
        return None

    def _normalise(self, name: str, before: Sequence[_Unit]) -> str:
        """Restore an elided region: 银川市委办公厅.市政府办公厅 -> 银川市政府办公厅."""
        if not before or name[0] not in "省市区县":
            return name
        prev = before[-1].organisation or before[-1].name
        region = self.gaz.region_at(prev, 0, full_only=True)
        if region and region.endswith(name[0]):
            return region + name[1:]
        return name

    def _title_score(self, title: str, applicants: Sequence[str]) -> int | None:
        if len(title) < 2 or title[0] in "." + _SPACES:
            return None
        post = next((w for w in self.lex.posts if title.startswith(w)), None)
        names = self._name_ends(title, len(post)) if post else []
        if names and (title[len(post or "")] in _SPACES or any(self._opens(title[e:]) for e in names)):
            return None  # a title never opens with a post and a person's name
        openers = self.lex.title_openers
        score = 10 if self._opens(title) else 0
        repeat = 0
        # A prefix longer than every applicant is in none of them: starting at the title's
        # length made each row cost its length squared (a 100 MB text took 15 minutes).
        for n in range(min(len(title), max(map(len, applicants), default=0)), 1, -1):
            if any(title[:n] in a for a in applicants):
                repeat = n
                break
        if repeat:
            score = max(score, repeat + (10 if title.startswith(openers, repeat) else 0))
        short = self._short_form(title, applicants)
        if short:
            score = max(score, short + (10 if title.startswith(openers, short) else 0))
        region = self.gaz.region_at(title, 0)
        if region:
            score = max(score, 5 + (10 if title.startswith(openers, len(region)) else 0))
        return score

    def _opens(self, s: str) -> bool:
        """Does ``s`` open the way titles do: a function word, a quote or a number?"""
        return s.startswith(self.lex.title_openers) or s[:1] == "'" or s[:1].isdigit()

    # ---- narrative ----------------------------------------------------------

    def _clauses(self, text: str, end: int) -> list[tuple[int, int]]:
        out, start = [], 0
        for m in re.finditer(r"[.\n]", text[:end]):
            if m.start() > start:
                out.append((start, m.start()))
            start = m.end()
        if start < end:
            out.append((start, end))
        return out

    def _milestones(self, text: str, start: int, end: int, source: str) -> list[Milestone]:
        clauses = self._clauses(text, end)
        found: list[tuple[int, str, str, str, str | None]] = []  # (offset, key, date, precision, part)
        decade = re.compile(rf"(?:上个世纪|上世纪|二十世纪|20世纪)?([{_CN_NUM}]+)年代(初期|初|中期|中|末期|末)?")
        parts = {"初": "early", "初期": "early", "中": "mid", "中期": "mid", "末": "late", "末期": "late"}
        for m in decade.finditer(text, start, end):
            years = _numeral(m, source)
            if years % 10 == 0 and 0 < years < 100:
                found.append((m.start(), f"19{years}s", f"19{years}", "decade", parts.get(m.group(2) or "")))
        # Any script's decimal digits (２００６年 too) are read and written in ASCII; a month
        # outside 1-12 is not a month, so its date stays the year.
        for m in re.compile(r"(?<!\d)(\d{4})年(?:(\d{1,2})月)?").finditer(text, start, end):
            year, month = f"{int(m.group(1)):04d}", _month(m.group(2))
            if month:
                found.append((m.start(), f"{year}-{month}", f"{year}-{month}", "month", None))
                # 自2012年5月…至7月: a later month in the same clause inherits the year
                clause_end = clauses[_clause_at(clauses, m.start())][1]
                for later in re.finditer(r"至(\d{1,2})月", text[m.end() : clause_end]):
                    if mm := _month(later.group(1)):
                        found.append((m.end() + later.start(), f"{year}-{mm}", f"{year}-{mm}", "month", None))
            else:
                found.append((m.start(), year, year, "year", None))
        out: list[Milestone] = []
        seen: dict[str, int] = {}
        for offset, key, date, precision, part in sorted(found, key=lambda f: f[:4]):
            seen[key] = seen.get(key, 0) + 1
            unique = key if seen[key] == 1 else f"{key}-{seen[key]}"
            span = self._clause_span(text, clauses, offset)
            out.append(Milestone(unique, date, precision, span, part))  # type: ignore[arg-type]
        return out

    def _clause_span(self, text: str, clauses: list[tuple[int, int]], offset: int) -> Span:
        """The clause stating a date; a clause that is little more than the date takes the next one too."""
        i = _clause_at(clauses, offset)
        a, b = clauses[i]
        content = re.sub(rf"[\d年月{_CN_NUM}代初中末后进入上个世纪在自至]", "", text[a:b])
        if i + 1 < len(clauses):
            na, nb = clauses[i + 1]
            short_next = nb - na <= 12 and not re.search(r"\d{4}年|年代", text[na:nb])
            if len(content) < 5 or short_next:
                b = nb
        return Span(a, b, text[a:b])

    def _figures(self, text: str, end: int, source: str) -> list[Figure]:
        num = rf"(\d+|[{_CN_NUM}]+)"
        rules: list[tuple[str, str]] = [
            ("entries", rf"收到[^.]{{0,8}}?{num}(多|余)?[份个件]"),
            ("review_rounds", rf"{num}轮[^.]{{0,6}}评审"),
            ("shortlisted", rf"{num}个案例入围"),
            ("winners", rf"共{num}(多|余)?个[^.]{{0,8}}案例"),
            ("categories", rf"{num}类共"),
        ]
        out = []
        for key, pattern in rules:
            m = re.search(pattern, text[:end])
            if m is None:
                continue
            value = _numeral(m, source)
            more = bool(m.lastindex and m.lastindex >= 2 and m.group(2))
            out.append(Figure(key, value, more, Span(m.start(), m.end(), m.group(0))))  # type: ignore[arg-type]
        return out

    def _statements(self, text: str, end: int) -> list[Statement]:
        out: list[Statement] = []
        head = text[:end]
        goals = re.search(rf"'([^']+)'([{_CN_NUM}\d]+)大[^.]{{0,4}}目标", head)
        if goals:
            out += self._items("goal", head, goals.start(1), goals.end(1))
        areas = re.search(r"在([^在.]*(?:\.[^在.]+)*)等方面存在着?一系列问题", head)
        if areas:
            out += self._items("problem-area", head, areas.start(1), areas.end(1))
        problems = re.search(r"存在(?!着)((?:(?!问题|存在).)+?)等问题", head)
        if problems:
            out += self._items("problem", head, problems.start(1), problems.end(1))
        return out

    @staticmethod
    def _items(kind: str, text: str, start: int, end: int) -> list[Statement]:
        out, pos = [], start
        for n, item in enumerate(text[start:end].split("."), 1):
            out.append(Statement(kind, n, Span(pos, pos + len(item), item)))  # type: ignore[arg-type]
            pos += len(item) + 1
        return out

    # ---- consistency -----------------------------------------------------

    def _consistency(
        self, figures: list[Figure], awards: list[AwardRow], sections: list[tuple[str, int, int, int]], source: str
    ) -> None:
        for f in figures:
            if f.key == "winners" and not f.lower_bound and f.value != len(awards):
                raise ExtractError(
                    f"the text states {f.value} winners but the table has {len(awards)} rows",
                    source=source,
                    offset=f.span.start,
                    context=f.span.text,
                )
            if f.key == "categories" and f.value != len(sections):
                raise ExtractError(
                    f"the text states {f.value} categories but the table has {len(sections)} sections",
                    source=source,
                    offset=f.span.start,
                    context=f.span.text,
                )
