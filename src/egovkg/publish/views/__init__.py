"""Stage: interactive views of the graph, as self-contained HTML pages.

The package: :mod:`.index` reads the graph once, :mod:`.projection` cuts each view's networkx
graph, :mod:`.layout` places its nodes, :mod:`.render` writes the page.

Each view is a networkx projection of the RDF graph (:func:`~.projection.project`), laid out
in Python (:func:`~.layout.layout`) and written into one HTML page that works opened
from ``file://`` with no network at all (:func:`render_view`,
:func:`render_all`).

How this uses pyvis
-------------------
The design names pyvis 0.3.2. Measured, its page generation does not fit:
``add_node``/``add_edge``/``from_nx`` are quadratic (they scan the node and edge
lists on every insert); its ``local``/``remote`` modes load vis-network from a
CDN and draw nothing offline; ``in_line`` still links Bootstrap from a CDN; and
``cdn_resources="local"`` copies a ``lib/`` folder into the working directory.
So the pages come from our own template (``templates/view.*``) with
vis-network 9.1.2 inlined from ``vendor/`` -- the build pyvis 0.3.2 bundles in
``pyvis/templates/lib/vis-9.1.2``, taken from the npm tarball because pyvis's
copy was re-saved with altered whitespace and lacks the licence files
(``vendor/README.md``; ``tests/test_views.py`` checks the two agree). Like pyvis, the
page keeps the vis ``Network`` as the global ``network``. :func:`to_pyvis`
hands a projection to pyvis's ``Network`` (filling its node and edge lists
directly, in linear time) for anyone who wants pyvis's own API or notebook
helpers.

Layouts are computed here so the browser never runs physics: a
Fruchterman-Reingold force layout (exact repulsion up to
:data:`EXACT_REPULSION_MAX` nodes, a particle-mesh approximation with an FFT
above it, so 5,000 nodes take about a second), a radial tree for the region
hierarchy and neighbourhoods. (The timeline is the explorer's own to-scale page,
:mod:`egovkg.publish.timeline`, not a graph view.) Positions are
rounded, nodes sorted by IRI and the JSON written with fixed key order, so the
same graph always gives byte-identical HTML.

Every string from the graph reaches the page as JSON inside a
``<script type="application/json">`` element with ``<``, ``>``, ``&`` and
U+2028/U+2029 escaped, and the page's script puts it into the DOM with
``textContent`` only; vis-network draws labels on a canvas and sets string
tooltips with ``innerText``. A label such as ``<img src=x onerror=alert(1)>``
shows literally and runs nothing.
"""

from __future__ import annotations

from egovkg.publish.views.index import (
    CLASSES,
    NATIONAL,
    NATIONAL_LABEL,
    STRUCTURAL,
    STYLE,
    ClassStyle,
    Entity,
    EntityIndex,
    ViewError,
    index,
)
from egovkg.publish.views.layout import (
    force_layout,
    layout,
    node_size,
    radial_layout,
)
from egovkg.publish.views.projection import (
    AWARD_PROGRAMME,
    CO_APPLICANT,
    HUBS,
    MAX_VIEW_NODES,
    PAGES,
    VIEW_CLASSES,
    VIEW_PREDICATES,
    VIEWS,
    check_name,
    cut_down,
    project,
    resolve_focus,
)
from egovkg.publish.views.render import (
    LANGS,
    PageOf,
    ViewPage,
    drawing,
    page,
    payload,
    projection,
    render_all,
    render_view,
    script_json,
    show,
    to_pyvis,
)

__all__ = [
    "AWARD_PROGRAMME",
    "CLASSES",
    "CO_APPLICANT",
    "HUBS",
    "LANGS",
    "MAX_VIEW_NODES",
    "NATIONAL",
    "NATIONAL_LABEL",
    "PAGES",
    "STRUCTURAL",
    "STYLE",
    "VIEWS",
    "VIEW_CLASSES",
    "VIEW_PREDICATES",
    "ClassStyle",
    "Entity",
    "EntityIndex",
    "PageOf",
    "ViewError",
    "ViewPage",
    "check_name",
    "cut_down",
    "drawing",
    "force_layout",
    "index",
    "layout",
    "node_size",
    "page",
    "payload",
    "project",
    "projection",
    "radial_layout",
    "render_all",
    "render_view",
    "resolve_focus",
    "script_json",
    "show",
    "to_pyvis",
]
