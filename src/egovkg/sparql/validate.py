"""Stage: SHACL validation and the catalogue's check-* queries.

SHACL runs on pyshacl-turbo (a Rust engine with pySHACL's interface), about
30 times faster than pySHACL on the shipped graph. Both engines are
cross-checked on every shape fixture in the tests. They differ on
``sh:languageIn``: pySHACL (0.40) matches a range only against the whole tag or
its first subtag, so ``"Yichang Shi"@zh-Latn-CN`` slips through
``sh:not [ sh:languageIn ( "zh-Latn" ) ]``; pyshacl-turbo matches RDF's
``langMatches`` as SHACL requires and rejects it. pySHACL is kept for the cross-check
(``engine="pyshacl"``) and for naming the fault in shapes that cannot be loaded.

A literal whose language tag is not well-formed BCP 47 (``@zh-Latn-pinyin-CN``:
a region after a variant) is a violation of its own, reported here, since
pyshacl-turbo refuses such data outright and pySHACL would only guess at it.
The check-* queries run on Oxigraph.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from egovkg.errors import RDFInputError
from egovkg.sparql.catalogue import NamedQuery, bind
from egovkg.sparql.results import QueryResult

ENGINES = ("turbo", "pyshacl")
LANGTAG_SHAPE = "urn:egovkg:well-formed-language-tag"
# RFC 5646 (BCP 47) well-formed language tags, case-insensitive; the irregular grandfathered tags beside them
_ALNUM = "[a-z0-9]"
_LANGTAG = re.compile(
    rf"""(?:
      (?:[a-z]{{2,3}}(?:-[a-z]{{3}}){{0,3}}|[a-z]{{4,8}})     # language (with extlang)
      (?:-[a-z]{{4}})?                                       # script
      (?:-(?:[a-z]{{2}}|[0-9]{{3}}))?                        # region
      (?:-(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*           # variants
      (?:-[0-9a-wyz](?:-{_ALNUM}{{2,8}})+)*                  # extensions
      (?:-x(?:-{_ALNUM}{{1,8}})+)?                           # private use
    | x(?:-{_ALNUM}{{1,8}})+
    | en-gb-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)
    | sgn-(?:be-fr|be-nl|ch-de)
    )""",
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str
    message: str
    shape: str
    severity: str


@dataclass(frozen=True)
class Report:
    violations: tuple[Violation, ...]
    failed_checks: tuple[tuple[str, QueryResult], ...] = ()

    @property
    def conforms(self) -> bool:
        return not self.violations and not self.failed_checks


def load_shapes(path: Path) -> Graph:
    from egovkg.graph.ontology import load_turtle

    # named after its file, so that errors in the shapes can say which file
    return load_turtle(path, identifier=URIRef(path.resolve().as_uri()))


def well_formed_language_tag(tag: str) -> bool:
    """Whether ``tag`` is a well-formed BCP 47 language tag (RFC 5646, section 2.1)."""
    return _LANGTAG.fullmatch(tag) is not None


def _malformed_tags(data: Graph) -> tuple[Graph, list[Violation]]:
    """``data`` without its literals of malformed language tags, and one violation for each."""
    bad = [
        (s, p, o)
        for s, p, o in data
        if isinstance(o, Literal) and o.language is not None and not well_formed_language_tag(o.language)
    ]
    if not bad:
        return data, []
    clean = Graph()
    for t in data:
        clean.add(t)
    found = []
    for s, p, o in bad:
        clean.remove((s, p, o))
        message = f'"{o}"@{o.language}: not a well-formed BCP 47 language tag'
        found.append(Violation(str(s), str(p), message, LANGTAG_SHAPE, "Violation"))
    return clean, found


def shacl(data: Graph, shapes: Graph, *, shapes_name: str = "shapes", engine: str = "turbo") -> tuple[Violation, ...]:
    """The SHACL results (warnings and violations, not infos), sorted."""
    if engine not in ENGINES:
        raise ValueError(f"unknown SHACL engine {engine!r}; one of {', '.join(ENGINES)}")
    data, out = _malformed_tags(data)
    options = {"inference": "none", "advanced": True, "allow_warnings": True}
    if engine == "turbo":
        import pyshacl_turbo

        try:
            _conforms, results, _text = pyshacl_turbo.validate(data, shacl_graph=shapes, **options)
        except Exception as exc:
            # shapes it cannot compile: pySHACL names the fault better; if it accepts them, say turbo's reason
            _pyshacl(data, shapes, shapes_name, options)
            raise RDFInputError(f"{shapes_name}: the SHACL shapes cannot be used: {_first_line(exc)}") from exc
    else:
        results = _pyshacl(data, shapes, shapes_name, options)
    for r in results.subjects(RDF.type, SH.ValidationResult):

        def one(p: URIRef, r=r) -> str:
            v = results.value(r, p)
            return "" if v is None else str(v)

        severity = one(SH.resultSeverity).rsplit("#", 1)[-1]
        if severity == "Info":
            continue
        out.append(
            Violation(one(SH.focusNode), one(SH.resultPath), one(SH.resultMessage), one(SH.sourceShape), severity)
        )
    return tuple(sorted(set(out), key=lambda v: (v.focus, v.path, v.message, v.shape)))


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _pyshacl(data: Graph, shapes: Graph, shapes_name: str, options: dict) -> Graph:
    from pyshacl import validate as pyshacl_validate

    try:
        _conforms, results, _text = pyshacl_validate(data, shacl_graph=shapes, **options)
    except Exception as exc:  # pyshacl's ShapeLoadError, ConstraintLoadError, ReportableRuntimeError
        raise RDFInputError(f"{shapes_name}: the SHACL shapes cannot be used: {_first_line(exc)}") from exc
    return results


def run_checks(
    data: Graph, catalogue: Mapping[str, NamedQuery], *, nt: bytes | None = None
) -> tuple[tuple[str, QueryResult], ...]:
    """The check-* queries that return rows, run on Oxigraph (loaded once for all of them, from
    ``nt``, the data's N-Triples, when the caller has them)."""
    checks = [(name, q) for name, q in sorted(catalogue.items()) if q.is_check]
    if not checks:
        return ()
    from egovkg.sparql.store import OxigraphStore

    if nt is None:
        store = OxigraphStore.from_graph(data)
    else:
        store = OxigraphStore()
        store.load_bytes(nt, "N_TRIPLES")
    failed = []
    for name, q in checks:
        result = store.query(bind(q, {}))
        if len(result):
            failed.append((name, result))
    return tuple(failed)


def validate(
    data: Graph,
    shapes: Graph,
    catalogue: Mapping[str, NamedQuery] | None = None,
    *,
    engine: str = "turbo",
    nt: bytes | None = None,
) -> Report:
    """SHACL and the check-* queries (``nt``: the data as N-Triples, if the caller has them)."""
    name = str(shapes.identifier).removeprefix("file://")
    violations = tuple(v for v in shacl(data, shapes, shapes_name=name, engine=engine) if v.severity == "Violation")
    return Report(violations, run_checks(data, catalogue or {}, nt=nt))
