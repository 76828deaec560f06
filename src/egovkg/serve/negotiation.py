"""Content negotiation (RFC 9110 section 12.5.1) and the media types each kind of answer offers.

Starlette has no Accept negotiation of its own, so this small module is the one place that
reads an Accept header; the offers are tables, each listed once.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

# (media type, file suffix) of a resource's documents, in the server's order of preference: */* gets the first.
DOCUMENT_OFFERS: tuple[tuple[str, str], ...] = (
    ("text/html", "html"),
    ("text/turtle", "ttl"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdf"),
)
# (media type, pyoxigraph QueryResultsFormat name) for SELECT and ASK
RESULTS_OFFERS: tuple[tuple[str, str], ...] = (
    ("application/sparql-results+json", "JSON"),
    ("application/sparql-results+xml", "XML"),
    ("text/csv", "CSV"),
    ("text/tab-separated-values", "TSV"),
    ("application/json", "JSON"),
    ("application/xml", "XML"),
)
# (media type, pyoxigraph RdfFormat name) for CONSTRUCT and DESCRIBE
GRAPH_OFFERS: tuple[tuple[str, str], ...] = (
    ("text/turtle", "TURTLE"),
    ("application/n-triples", "N_TRIPLES"),
    ("application/ld+json", "JSON_LD"),
    ("application/rdf+xml", "RDF_XML"),
)
RESULT_MEDIA = {
    "JSON": "application/sparql-results+json",
    "XML": "application/sparql-results+xml",
    "CSV": "text/csv; charset=utf-8",
    "TSV": "text/tab-separated-values; charset=utf-8",
}


def parse_accept(header: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) of each well-formed media range; malformed ones are ignored."""
    ranges = []
    for part in header.split(","):
        media, *params = (x.strip() for x in part.split(";"))
        if media.count("/") != 1:
            continue
        typ, sub = (x.strip().lower() for x in media.split("/"))
        if not typ or not sub or (typ == "*" and sub != "*"):
            continue
        q = 1.0
        for param in params:
            key, _, val = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(val.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            ranges.append((typ, sub, q))
    return ranges


def quality(ranges: list[tuple[str, str, float]], offer: str) -> float:
    """The q the most specific matching range gives ``offer`` (0 when none matches)."""
    typ, sub = offer.split("/")
    q, rank = 0.0, -1
    for rt, rs, rq in ranges:
        if (rt, rs) == (typ, sub):
            r = 2
        elif rt == typ and rs == "*":
            r = 1
        elif (rt, rs) == ("*", "*"):
            r = 0
        else:
            continue
        if r > rank:
            rank, q = r, rq
        elif r == rank:
            q = max(q, rq)
    return q


def negotiate(header: str | None, offers: Sequence[str]) -> str | None:
    """The offer the Accept header prefers (RFC 9110: the most specific range sets q), or None.

    No header, or an empty one, takes the first offer; ties go to the earlier offer.
    """
    if header is None or not header.strip():
        return offers[0]
    if len(header) <= 256:  # clients send a few Accept headers again and again
        return _negotiate(header, tuple(offers))
    return _negotiate.__wrapped__(header, tuple(offers))


@functools.lru_cache(maxsize=512)
def _negotiate(header: str, offers: tuple[str, ...]) -> str | None:
    ranges = parse_accept(header)
    best, best_q = None, 0.0
    for offer in offers:
        q = quality(ranges, offer)
        if q > best_q:
            best, best_q = offer, q
    return best


__all__ = ["DOCUMENT_OFFERS", "GRAPH_OFFERS", "RESULTS_OFFERS", "RESULT_MEDIA", "negotiate", "parse_accept"]
