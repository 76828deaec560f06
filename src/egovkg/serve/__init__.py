"""Serving the graph over HTTP: the linked-data app and the plain SPARQL endpoint, on uvicorn.

``create_app`` / ``create_query_app`` give ASGI apps for any ASGI server; ``make_server`` and
``make_query_server`` bind one on uvicorn with the limits of :mod:`egovkg.serve.http`. Names
are loaded on first use, so the query worker (``python -m egovkg.serve.worker``) starts
without the graph builder and the web framework.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "Documents": "app",
    "LinkedData": "app",
    "QueryService": "app",
    "create_app": "app",
    "create_query_app": "app",
    "LinkedDataServer": "server",
    "QueryServer": "server",
    "make_server": "server",
    "make_query_server": "server",
    "make_writable_server": "server",
    "WritableServer": "server",
    "WritableService": "app",
    "create_writable_app": "app",
    "serve_forever": "server",
    "QueryLimits": "workers",
    "negotiate": "negotiation",
    "parse_accept": "negotiation",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)


__all__ = sorted(_WHERE)
