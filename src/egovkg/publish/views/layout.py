"""Layouts: page coordinates for a projection, computed in Python so the browser runs no physics."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

import networkx as nx
import numpy as np

from egovkg.publish.views.index import CLASSES, STYLE

EXACT_REPULSION_MAX = 1000
EDGE_PX = 110.0  # median edge length of a force layout, in page pixels


# -- layouts --------------------------------------------------------------------------------------


def layout(g: nx.Graph) -> dict[str, tuple[float, float]]:
    """Page coordinates for every node, chosen by the projection's view."""
    if len(g) == 0:
        return {}
    view = g.graph.get("view")
    if view == "geography" and "focus" not in g.graph:
        roots = [n for n in sorted(g) if g.nodes[n].get("parent") is None]
        parent = {n: g.nodes[n]["parent"] for n in g}
        return radial_layout(g, roots, parent=parent)
    if "focus" in g.graph:
        return radial_layout(g, [g.graph["focus"]], spacing=120.0, min_ring=260.0)
    return force_layout(g, radii={n: node_size(g, n) for n in g})


def _tree(g: nx.Graph, roots: list[str], parent: Mapping[str, str | None] | None) -> dict[str, list[str]]:
    """Children lists of a spanning forest: the given parent map, or BFS from the roots."""
    children: dict[str, list[str]] = defaultdict(list)
    if parent is not None:
        for n in sorted(g):
            if parent.get(n) is not None:
                children[parent[n]].append(n)
        return children
    seen = set(roots)
    frontier = list(roots)
    while frontier:
        nxt = []
        for n in frontier:
            for m in sorted(g.neighbors(n)):
                if m not in seen:
                    seen.add(m)
                    children[n].append(m)
                    nxt.append(m)
        frontier = nxt
    rest = [n for n in sorted(g) if n not in seen]
    if rest:  # nodes the BFS never reached become extra roots
        roots.extend(r for r in rest if r not in roots)
    return children


def radial_layout(
    g: nx.Graph,
    roots: list[str],
    *,
    parent: Mapping[str, str | None] | None = None,
    spacing: float = 60.0,
    min_ring: float = 150.0,
) -> dict[str, tuple[float, float]]:
    """A radial tidy tree: one ring per depth, each parent at the middle of its leaves. A leaf's
    share of the circle is inversely proportional to its ring's radius, so neighbouring leaves
    are about ``spacing`` pixels apart on every ring. Linear in the number of nodes."""
    roots = list(roots)
    children = _tree(g, roots, parent)
    order = {c.key: i for i, c in enumerate(CLASSES)}

    def sort_key(n: str) -> tuple[int, str]:
        return (order.get(g.nodes[n].get("cls", ""), 99), n)

    for kids in children.values():
        kids.sort(key=sort_key)
    top = sorted(roots, key=sort_key)
    if len(top) > 1:  # several roots: hang them from a virtual centre
        children[""] = top
        top = [""]
    leaves: list[tuple[str, int]] = []
    depth: dict[str, int] = {}
    stack = [(r, 0) for r in reversed(top)]
    while stack:
        node, d = stack.pop()
        depth[node] = d
        kids = children.get(node, [])
        if not kids:
            leaves.append((node, d))
        stack.extend((k, d + 1) for k in reversed(kids))
    weights = [1 / max(d, 1) for _leaf, d in leaves]
    total = sum(weights)
    ring = max(spacing * total / (2 * math.pi), min_ring)
    angle: dict[str, float] = {}
    at = 0.0
    for (leaf, _d), w in zip(leaves, weights, strict=True):
        share = 2 * math.pi * w / total
        angle[leaf] = at + share / 2
        at += share
    # parents sit between their first and last leaf: walk nodes deepest first
    for node in sorted(depth, key=lambda n: -depth[n]):
        kids = children.get(node, [])
        if kids:
            angle[node] = (angle[kids[0]] + angle[kids[-1]]) / 2
    pos = {}
    for node, d in depth.items():
        if node == "":
            continue
        r = d * ring
        pos[node] = (round(r * math.cos(angle[node]), 1), round(r * math.sin(angle[node]), 1))
    return pos


def _pm_repulsion(pos: np.ndarray, k: float, grid: int = 128) -> np.ndarray:
    """Fruchterman-Reingold repulsion (k^2/d) by particle-mesh: node counts on a grid convolved
    with the force kernel by FFT. O(n + grid^2 log grid) instead of O(n^2); no periodic wrap,
    the grid is padded to twice the layout's extent."""
    lo = pos.min(0)
    span = max(float((pos.max(0) - lo).max()), 1e-9) * (1 + 1e-9)
    h = span / grid
    cell = np.clip(np.floor((pos - lo) / h).astype(np.int64), 0, grid - 1)
    size = 2 * grid
    rho = np.zeros((size, size))
    np.add.at(rho, (cell[:, 0], cell[:, 1]), 1.0)
    off = (np.arange(size) + grid) % size - grid
    dx, dy = off[:, None] * h, off[None, :] * h
    r2 = dx * dx + dy * dy
    r2[0, 0] = np.inf
    rho_f = np.fft.rfft2(rho)
    fx = np.fft.irfft2(rho_f * np.fft.rfft2(k * k * dx / r2), s=rho.shape)
    fy = np.fft.irfft2(rho_f * np.fft.rfft2(k * k * dy / r2), s=rho.shape)
    return np.stack([fx[cell[:, 0], cell[:, 1]], fy[cell[:, 0], cell[:, 1]]], axis=1)


def _exact_repulsion(pos: np.ndarray, k: float) -> np.ndarray:
    """Fruchterman-Reingold repulsion (k^2/d), every pair: x and y apart (contiguous n-by-n
    arrays, not an n-by-n-by-2 one), in row blocks of about a million pairs."""
    n = len(pos)
    x, y = np.ascontiguousarray(pos[:, 0]), np.ascontiguousarray(pos[:, 1])
    disp = np.empty_like(pos)
    chunk = max(1, 1_000_000 // n)
    for s in range(0, n, chunk):
        dx = np.subtract.outer(x[s : s + chunk], x)
        dy = np.subtract.outer(y[s : s + chunk], y)
        d2 = dx * dx
        d2 += dy * dy
        np.maximum(d2, 1e-12, out=d2)
        np.divide(k * k, d2, out=d2)
        disp[s : s + chunk, 0] = np.einsum("ij,ij->i", dx, d2)
        disp[s : s + chunk, 1] = np.einsum("ij,ij->i", dy, d2)
    return disp


def force_layout(
    g: nx.Graph,
    *,
    iterations: int | None = None,
    seed: int = 0,
    gravity: float = 0.05,
    repulsion: float = 1.0,
    radii: Mapping[str, float] | None = None,
) -> dict[str, tuple[float, float]]:
    """Fruchterman-Reingold with gravity, from a seeded start, scaled to page pixels; with
    ``radii``, overlapping nodes are then pushed apart (up to OVERLAP_REMOVAL_MAX nodes)."""
    nodes = sorted(g)
    n = len(nodes)
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    at = {v: i for i, v in enumerate(nodes)}
    edges = np.array(sorted((at[u], at[v]) for u, v in g.edges()), dtype=np.int64).reshape(-1, 2)
    rng = np.random.default_rng(seed)
    pos = rng.random((n, 2))
    k = 1 / math.sqrt(n)
    iterations = iterations if iterations is not None else (300 if n <= EXACT_REPULSION_MAX else 120)
    repulse = _exact_repulsion if n <= EXACT_REPULSION_MAX else _pm_repulsion
    temperature = 0.1
    cool = temperature / (iterations + 1)
    for _ in range(iterations):
        disp = repulse(pos, k) * repulsion
        if len(edges):
            delta = pos[edges[:, 0]] - pos[edges[:, 1]]
            dist = np.sqrt((delta * delta).sum(1)) + 1e-12
            f = delta * (dist / k)[:, None]
            np.add.at(disp, edges[:, 0], -f)
            np.add.at(disp, edges[:, 1], f)
        disp -= gravity * (pos - pos.mean(0)) / k  # keeps components and isolated nodes in view
        length = np.sqrt((disp * disp).sum(1)) + 1e-12
        pos += disp * (np.minimum(length, temperature) / length)[:, None]
        temperature -= cool
    # Scale to pixels: edges about EDGE_PX long, but never so tight that the median node has a
    # neighbour closer than NEIGHBOUR_PX (graphs with many long edges would collapse otherwise).
    scale = NEIGHBOUR_PX / max(_median_nearest(pos), 1e-9)
    if len(edges):
        delta = pos[edges[:, 0]] - pos[edges[:, 1]]
        scale = max(scale, EDGE_PX / max(_median(np.sqrt((delta * delta).sum(1))), 1e-9))
    pos = _landscape((pos - pos.mean(0)) * scale)
    if radii is not None and n <= OVERLAP_REMOVAL_MAX:
        pos = _remove_overlaps(pos, np.array([radii.get(v, 10.0) for v in nodes], dtype=float))
    return {v: (round(float(pos[i, 0]), 1), round(float(pos[i, 1]), 1)) for v, i in at.items()}


OVERLAP_REMOVAL_MAX = 1500


def _landscape(pos: np.ndarray) -> np.ndarray:
    """Turn a centred layout so its longest extent runs left to right, like the browser window."""
    if len(pos) < 3:
        return pos
    values, vectors = np.linalg.eigh(np.cov(pos.T))
    v = vectors[:, int(np.argmax(values))]
    if v[0] < 0 or (v[0] == 0 and v[1] < 0):  # eigenvectors have no sign of their own: fix one
        v = -v
    rotate = np.array([[v[0], v[1]], [-v[1], v[0]]])
    return pos @ rotate.T


NEIGHBOUR_PX = 45.0


def _median_nearest(pos: np.ndarray, sample: int = 2000) -> float:
    """Median distance from a node to its nearest neighbour (over an even sample of nodes)."""
    n = len(pos)
    probe = np.arange(0, n, max(1, n // sample))
    best = np.empty(len(probe))
    chunk = max(1, 2_000_000 // n)
    for s in range(0, len(probe), chunk):
        rows = probe[s : s + chunk]
        d = pos[rows, None, :] - pos[None, :, :]
        d2 = np.einsum("ijk,ijk->ij", d, d)
        d2[np.arange(len(rows)), rows] = np.inf
        best[s : s + chunk] = np.sqrt(d2.min(1))
    return _median(best)


def _median(values: np.ndarray) -> float:
    """``np.median`` of a 1-d array without NaN, the same float, without its first call's import
    of ``numpy.ma`` (0.09 s, in the build's parent before it forks the outputs)."""
    s = np.sort(values)
    n = len(s)
    if n % 2:
        return float(s[n // 2])
    return float((s[n // 2 - 1] + s[n // 2]) / 2)


def _remove_overlaps(pos: np.ndarray, radii: np.ndarray, *, margin: float = 8.0, rounds: int = 80) -> np.ndarray:
    """Push apart nodes whose shapes overlap (a force layout ignores node sizes), a little at a
    time so the picture keeps its shape. Pairwise, so only for graphs up to a few thousand nodes."""
    pos = pos.copy()
    need = radii[:, None] + radii[None, :] + margin
    np.fill_diagonal(need, 0.0)
    for _ in range(rounds):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt(np.einsum("ijk,ijk->ij", delta, delta))
        np.fill_diagonal(dist, np.inf)
        over = np.clip(need - dist, 0.0, None)
        if over.max() < 0.5:
            break
        # coincident nodes: separate along a fixed direction, keyed by index so it is deterministic
        same = dist < 1e-6
        if same.any():
            i, j = np.nonzero(np.triu(same))
            pos[j] += np.stack([np.cos(j), np.sin(j)], axis=1)
            continue
        push = np.einsum("ijk,ij->ik", delta / dist[..., None], over * 0.5)
        pos += push
    return pos


def node_size(g: nx.Graph, iri: str) -> float:
    """Radius of a node on the page: by class, growing with degree (geography: with awards)."""
    data = g.nodes[iri]
    style = STYLE[data["cls"]]
    if g.graph.get("view") == "geography":
        return round(style.size * 0.8 + 5 * math.sqrt(data.get("awards", 0)), 1)
    return round(style.size + 1.5 * math.sqrt(g.degree(iri)), 1)
