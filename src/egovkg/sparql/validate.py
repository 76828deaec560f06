"""Stage: SHACL validation (pyshacl) and the catalogue's check-* queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from egovkg.errors import RDFInputError
from egovkg.sparql.catalogue import NamedQuery, bind
from egovkg.sparql.results import QueryResult
from egovkg.sparql.store import run_local


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


def shacl(data: Graph, shapes: Graph, *, shapes_name: str = "shapes") -> tuple[Violation, ...]:
    from pyshacl import validate as pyshacl_validate

    try:
        _conforms, results, _text = pyshacl_validate(
            data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
        )
    except Exception as exc:  # pyshacl's ShapeLoadError, ConstraintLoadError, ReportableRuntimeError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RDFInputError(f"{shapes_name}: the SHACL shapes cannot be used: {first}") from exc
    out = []
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
    return tuple(sorted(out, key=lambda v: (v.focus, v.path, v.message)))


def run_checks(data: Graph, catalogue: Mapping[str, NamedQuery]) -> tuple[tuple[str, QueryResult], ...]:
    failed = []
    for name, q in sorted(catalogue.items()):
        if not q.is_check:
            continue
        result = run_local(data, bind(q, {}))
        if len(result):
            failed.append((name, result))
    return tuple(failed)


def validate(data: Graph, shapes: Graph, catalogue: Mapping[str, NamedQuery] | None = None) -> Report:
    name = str(shapes.identifier).removeprefix("file://")
    violations = tuple(v for v in shacl(data, shapes, shapes_name=name) if v.severity == "Violation")
    return Report(violations, run_checks(data, catalogue or {}))
