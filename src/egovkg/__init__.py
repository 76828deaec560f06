"""egovkg: a knowledge graph of China e-government best practices (中国电子政务最佳实践知识图谱).

    import egovkg
    kg = egovkg.open()
    kg.query("winners-by-category").df
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from egovkg.kg import KG


def open(*args: Any, **kwargs: Any) -> KG:  # noqa: A001 - the front door
    """Open a graph: the shipped one, a project folder, or RDF files. See :func:`egovkg.kg.open`."""
    from egovkg.kg import open as _open

    return _open(*args, **kwargs)


__all__ = ["open", "__version__"]
