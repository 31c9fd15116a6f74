"""The entry point: try the arrangements from the roomiest down and return the first that fits, or the size that would."""

from __future__ import annotations

from collections.abc import Sequence

from .model import EdgeLike, NodeLike, _MIN_COLUMN
from .plan import _Graph, _plan_units
from .realize import _channel_rows, _realize
from .render import Layout
from .route import _route


def _attempts(graph: _Graph) -> list[bool]:
    return [False, True] if len(graph.regions) > 1 else [False]


def layout(
    nodes: Sequence[NodeLike],
    edges: Sequence[EdgeLike],
    regions: Sequence[str],
    width: int,
    height: int,
) -> Layout:
    """Lay the topology out on a ``width`` x ``height`` canvas.

    Tries, in order: region columns with bordered boxes and region titles, then one-row
    boxes, then without titles; then the regions merged into one column. Within each,
    labels are shortened and tiers aggregated only as far as the width requires. The first
    arrangement that fits is returned; if none does, a layout with ``fits`` false and the
    size that would fit in ``needed``.
    """
    graph = _Graph.build(nodes, edges, regions)
    if not graph.nodes:
        return Layout(width=max(width, 0), height=max(height, 0), style="none", fits=True)
    if width > 0 and height > 0:
        for merged in _attempts(graph):
            planned = _plan_units(graph, width, merged)
            if planned is None:
                continue
            units, spans = planned
            route = _route(graph, units, spans, width, merged)
            for full, titles in ((True, True), (False, True), (False, False)):
                result = _realize(graph, route, width, height, full, titles, merged)
                if result is not None:
                    return result
    return Layout(
        width=max(width, 0), height=max(height, 0), style="none", fits=False,
        needed=_needed(graph, width, height),
        nodes={node.name: node for node in graph.nodes}, edges=dict(graph.edge_views),
    )


def _needed(graph: _Graph, width: int, height: int) -> tuple[int, int]:
    """A size that fits: at least as wide as the narrowest drawing, and as tall as it then needs."""
    merged = len(graph.regions) > 1
    planned = _plan_units(graph, 10_000, merged)
    assert planned is not None  # nothing is too wide for 10,000 columns
    units = planned[0]
    need_w = max([_MIN_COLUMN, *(unit.ladder[-1][0] for unit in units)])
    w = max(width, need_w)
    for merged in _attempts(graph):
        planned = _plan_units(graph, w, merged)
        if planned is not None:
            route = _route(graph, planned[0], planned[1], w, merged)
            return (w, len(graph.bands) + sum(_channel_rows(route, len(graph.bands))))
    return (w, max(height, 1))  # pragma: no cover - the narrowest drawing fits ``need_w`` by construction
