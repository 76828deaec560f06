"""The explorer's timeline: milestones, policy documents, programmes and the selection on a true time axis.

Read generically from the graph: every instance of the classes in :data:`KINDS`,
dated by its first ``schema:startDate``, ``schema:legislationDate``,
``dct:date`` or ``egov:adoptionDate`` and, for a range, ``schema:endDate`` (an item
with only an end date stands at its end, written ``…/2005``). So new milestones, documents
or programme years in the data appear without a change here.

Dates keep their precision (``1970``, ``2012-05``, ``2006-03-19``). A date is a
period: a year-only date covers its year and is drawn as a span, a month its
month, a day a point. The true order within a year puts year-only dates after
the dated ones (``2012-05`` call for entries, ``2012-07`` deadline, then the
``2012`` awards). Stretches of more than :data:`MAX_EMPTY_YEARS` whole years
with nothing in them are cut out of the axis and marked as breaks; the rest of
the axis is proportional. The page lays the items out in the browser (so labels
are measured in the font that draws them); this module computes the items, their
order and the axis's visible segments.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SDO

from egovkg.graph.namespaces import EGOV, ONTOLOGY_IRI
from egovkg.publish.addresses import STANDALONE, curie, graph_href, labels, site_href

# (class, key, 中文, English, English for one, colour), in the order of the bands on the page
KINDS: tuple[tuple[URIRef, str, str, str, str, str], ...] = (
    (EGOV.Milestone, "milestone", "里程碑", "Milestones", "Milestone", "#1f77b4"),
    (EGOV.Selection, "selection", "评选", "Selection", "Selection", "#d62728"),
    (EGOV.PolicyDocument, "document", "政策文件", "Policy documents", "Policy document", "#2ca02c"),
    (EGOV.Programme, "programme", "项目", "Programmes", "Programme", "#9467bd"),
)
# a document adopted but not dated by its issue gets its adoption date (egov:adoptionDate, where defined)
START = (SDO.startDate, SDO.legislationDate, DCTERMS.date, URIRef(ONTOLOGY_IRI + "#adoptionDate"))
END = (SDO.endDate,)
MAX_EMPTY_YEARS = 6  # a longer run of empty whole years becomes a marked break
DATE = re.compile(r"^(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
# the classes each graph view draws, to link an item to the first view that shows it
GRAPH_VIEWS = ("overview", "geography", "agencies")


@dataclass(frozen=True)
class When:
    """A date of some precision: year, month or day."""

    text: str
    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    def begins(self) -> float:
        """The instant the period starts, in fractional years."""
        if self.month is None:
            return float(self.year)
        days = 366 if calendar.isleap(self.year) else 365
        doy = sum(calendar.monthrange(self.year, m)[1] for m in range(1, self.month)) + (self.day or 1) - 1
        return self.year + doy / days

    def ends(self) -> float:
        """The instant the period ends: the next year or month; a day is an instant."""
        if self.month is None:
            return float(self.year + 1)
        if self.day is None:
            nxt = When("", self.year + (self.month == 12), self.month % 12 + 1)
            return nxt.begins()
        return self.begins()

    def sort_key(self) -> tuple[int, int, int, int]:
        """Within a year: dated ones first, in date order; then month-only; then the year itself."""
        return (self.year, 1 if self.month is None else 0, self.month or 13, self.day or 32)


def parse_date(value: Any) -> When | None:
    """'2012' / '2012-05' / '2006-03-19' (xsd:gYear, gYearMonth, date); None if not a date."""
    text = str(value).strip()
    m = DATE.match(text)
    if not m:
        return None
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and (month is None or not 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    return When(m.group(0), year, month, day)


def _first_date(graph: Graph, node: URIRef, predicates: tuple[URIRef, ...]) -> When | None:
    for p in predicates:
        dates = [w for o in graph.objects(node, p) if isinstance(o, Literal) and (w := parse_date(o))]
        if dates:
            return min(dates, key=lambda w: (w.sort_key(), w.text))
    return None


def _graph_view(graph: Graph, node: URIRef) -> str | None:
    from egovkg.publish.views import VIEW_CLASSES

    local = {str(t).rsplit("#", 1)[-1] for t in graph.objects(node, RDF.type) if str(t).startswith(str(EGOV))}
    return next((v for v in GRAPH_VIEWS if local & VIEW_CLASSES.get(v, frozenset())), None)


def items(graph: Graph, base: str, deployment: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(dated items in true order, undated items by name)."""
    dated: list[tuple[Any, dict[str, Any]]] = []
    undated: list[dict[str, Any]] = []
    seen: set[URIRef] = set()
    for cls, kind, *_ in KINDS:
        for node in sorted(graph.subjects(RDF.type, cls), key=str):
            if not isinstance(node, URIRef) or node in seen:
                continue
            seen.add(node)
            zh, en = labels(graph, node)
            c = curie(str(node), base)
            view = _graph_view(graph, node)
            item: dict[str, Any] = {
                "id": c,
                "kind": kind,
                "label": [zh, en],
                "site": site_href(str(node), base, deployment),
                "graph": graph_href(c, view) if view and deployment != STANDALONE else None,
            }
            start = _first_date(graph, node, START)
            end = _first_date(graph, node, END)
            if start is None and end is not None:  # only its end is known ("phase one to end in 2005")
                item.update(
                    start=round(end.begins(), 5),
                    end=round(end.ends(), 5),
                    date=f"…/{end.text}",
                    precision=end.precision,
                    range=False,
                )
                dated.append(((end.sort_key(), end.sort_key(), kind, zh or en, c), item))
                continue
            if start is None:
                parent = next(iter(sorted(graph.objects(node, DCTERMS.isPartOf), key=str)), None)
                if parent is not None:
                    item["part_of"] = list(labels(graph, parent))
                undated.append(item)
                continue
            if end is not None and end.ends() < start.begins():
                end = None  # an end before the start is not drawn as a range
            item.update(
                start=round(start.begins(), 5),
                end=round((end or start).ends(), 5),
                date=start.text + (f"/{end.text}" if end else ""),
                precision=start.precision,
                range=end is not None,
            )
            dated.append(((start.sort_key(), (end or start).sort_key(), kind, zh or en, c), item))
    dated.sort(key=lambda pair: pair[0])
    out = [item for _key, item in dated]
    for i, item in enumerate(out):
        item["order"] = i
    undated.sort(key=lambda i: (i["kind"], i.get("part_of", ["", ""])[1], i["label"][1] or i["label"][0], i["id"]))
    return out, undated


def segments(dated: list[dict[str, Any]], max_empty: int = MAX_EMPTY_YEARS) -> list[list[int]]:
    """The axis's visible stretches as [first year, year after the last], whole years; between two
    of them lies a break (more than ``max_empty`` whole years in which nothing happens)."""
    if not dated:
        return []
    covered: list[tuple[int, int]] = sorted(
        (math.floor(i["start"]), max(math.ceil(i["end"]), math.floor(i["start"]) + 1)) for i in dated
    )
    out: list[list[int]] = []
    for a, b in covered:
        if out and a - out[-1][1] <= max_empty:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def timeline_model(graph: Graph, base: str, deployment: str) -> dict[str, Any]:
    dated, undated = items(graph, base, deployment)
    return {
        "items": dated,
        "undated": undated,
        "segments": segments(dated),
        "kinds": [{"key": k, "zh": zh, "en": en, "one": one, "colour": col} for _c, k, zh, en, one, col in KINDS],
    }


__all__ = ["KINDS", "When", "items", "parse_date", "segments", "timeline_model"]
