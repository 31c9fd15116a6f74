"""Where the topology panel draws each node and edge: a pure, headless layout.

:func:`layout` places the nodes of a snapshot on a ``width`` x ``height``
character canvas and routes the edges between them as orthogonal lines of
box-drawing characters. It imports nothing but the standard library, so it is
unit-tested without a terminal; :class:`tui.widgets.topology.TopologyView`
paints the result with colours.

The picture, top to bottom, is one *tier* per row of boxes: clients; DNS and
CDN; load balancers; app servers; caches and services; databases (empty tiers
are left out). Clients, DNS and CDN are global and span the whole width; the
other tiers are split into one column per region, each under its title.

Edges run in the *channels* between the tiers: each net (a set of upper
boxes joined to the set of lower boxes they all serve) gets one horizontal bus
on a track of the channel, with verticals down from each upper box and down
into each lower box; an edge that skips a tier runs down a free column
(a corridor) between the boxes of the tiers it skips. Edges within one tier
(database replication, a CDN in front of its DNS) run in the channel below
that tier, or straight across the gap when the two boxes are neighbours.
Replication is drawn dotted (``┄ ┆``) and labelled with its lag where the
label fits.

When the nodes do not fit, a tier of one region is drawn with shorter labels
first, then aggregated: by ``group`` (databases by replication cluster), then
by kind, then as one box for the tier; a box then stands for all its
``members``, so every node stays reachable. If the region columns still do
not fit, the regions are merged into one column. If nothing fits,
:attr:`Layout.fits` is false and :attr:`Layout.needed` gives the size that
would.

The layout depends only on the node names, kinds, regions, groups, labels and
the edge structure, never on states or rates: the widget lays out again only
when those or its size change, and repaints states, roles, progress and lag
from each new snapshot (:meth:`Layout.paint`).
"""

from __future__ import annotations

from .arrange import layout
from .model import (
    AGGREGATE_GAP,
    STATE_SYMBOLS,
    TIERS,
    Box,
    Cell,
    EdgeGroup,
    EdgeLike,
    LagSlot,
    LineCell,
    NodeLike,
    Title,
    aggregate_state,
    cell_len,
    fit_text,
    format_lag,
    worst_state,
)
from .render import Layout

__all__ = [
    "AGGREGATE_GAP",
    "Box",
    "Cell",
    "EdgeGroup",
    "EdgeLike",
    "LagSlot",
    "Layout",
    "LineCell",
    "NodeLike",
    "STATE_SYMBOLS",
    "Title",
    "TIERS",
    "aggregate_state",
    "cell_len",
    "fit_text",
    "format_lag",
    "layout",
    "worst_state",
]
