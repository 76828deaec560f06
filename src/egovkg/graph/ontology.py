"""Our hand-edited Turtle files (the ontology, the shapes), read with one clear error when they do not parse."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, URIRef

from egovkg.errors import RDFInputError, one_line


def _located(path: Path) -> str | None:
    """Oxigraph's message for a file rdflib refused: it names the line and column (rdflib's
    Turtle parser can miscount at the end of a file)."""
    import pyoxigraph as ox

    try:
        for _ in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            pass
    except SyntaxError as exc:
        return one_line(str(exc))
    except (OSError, ValueError):
        return None
    return None


def load_turtle(path: Path, identifier: URIRef | None = None) -> Graph:
    """A hand-edited Turtle file of ours (the ontology, the shapes): one clear error if it does not parse."""
    g = Graph(identifier=identifier)
    try:
        g.parse(path, format="turtle")
    except FileNotFoundError as exc:
        raise RDFInputError(f"{path}: no such file") from exc
    except Exception as exc:  # rdflib raises several parser-specific types
        raise RDFInputError(f"{path}: not valid turtle: {_located(path) or one_line(str(exc))}") from exc
    return g
