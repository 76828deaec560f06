"""The servers: an app of :mod:`egovkg.serve.app` bound to a port on uvicorn."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from egovkg.graph.build import KnowledgeGraph
from egovkg.serve.app import Documents, LinkedData, QueryService, create_app, create_query_app, create_writable_app
from egovkg.serve.http import Listener
from egovkg.serve.negotiation import negotiate, parse_accept
from egovkg.serve.oxigraph import QueryAddress, ServiceAddresses
from egovkg.serve.workers import QueryLimits


class LinkedDataServer(Listener):
    """The linked-data app bound to a port: ``url``, ``state`` (its :class:`LinkedData`),
    ``serve_forever()`` and ``shutdown()``."""

    def __init__(self, kg: KnowledgeGraph, host: str, port: int, site_dir: Path | None, limits: QueryLimits | None):
        app, self.state = create_app(kg, site_dir=site_dir, limits=limits)
        self.documents = self.state.documents
        super().__init__(app, host, port)


class QueryServer(Listener, QueryAddress):
    """Plain `egovkg serve`: the read-only SPARQL endpoint over RDF files, bound to a port."""

    def __init__(self, files: Sequence[Path], host: str, port: int, limits: QueryLimits | None):
        app, self.service = create_query_app(files, limits=limits)
        super().__init__(app, host, port)


class WritableServer(Listener, ServiceAddresses):
    """`egovkg serve --writable`: /query, /update and /store over an Oxigraph store folder, bound
    to a port; every query and write through the worker processes and their limits."""

    def __init__(self, location: Path, host: str, port: int, limits: QueryLimits | None):
        app, self.service = create_writable_app(location, limits=limits)
        super().__init__(app, host, port)


def make_writable_server(
    location: Path, host: str = "127.0.0.1", port: int = 0, limits: QueryLimits | None = None
) -> WritableServer:
    """A read-write SPARQL endpoint over the store folder ``location``, bound, not yet serving."""
    return WritableServer(location, host, port, limits)


def make_server(
    kg: KnowledgeGraph,
    host: str = "127.0.0.1",
    port: int = 0,
    site_dir: Path | None = None,
    limits: QueryLimits | None = None,
) -> LinkedDataServer:
    """A linked-data server for ``kg`` bound to ``host:port`` (0: any free port), not yet serving."""
    return LinkedDataServer(kg, host, port, site_dir, limits)


def make_query_server(
    files: Sequence[Path], host: str = "127.0.0.1", port: int = 0, limits: QueryLimits | None = None
) -> QueryServer:
    """A read-only SPARQL endpoint over ``files`` bound to ``host:port``, not yet serving."""
    return QueryServer(files, host, port, limits)


def serve_forever(server: Listener) -> None:
    """Serve until ``server.shutdown()`` is called (from another thread or a signal handler)."""
    server.serve_forever()


__all__ = [
    "Documents",
    "LinkedData",
    "LinkedDataServer",
    "QueryLimits",
    "QueryServer",
    "QueryService",
    "create_app",
    "create_query_app",
    "WritableServer",
    "make_query_server",
    "make_server",
    "make_writable_server",
    "negotiate",
    "parse_accept",
    "serve_forever",
]
