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

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import NamedTuple, Protocol

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


# --------------------------------------------------------------------------- inputs


class NodeLike(Protocol):
    """What the layout reads of a node (``engine.snapshot.NodeView`` has all of it)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def group(self) -> str | None: ...
    @property
    def label(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def role(self) -> str | None: ...
    @property
    def progress(self) -> str | None: ...


class EdgeLike(Protocol):
    """What the layout reads of an edge (``engine.snapshot.EdgeView`` has all of it)."""

    @property
    def source(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def rate(self) -> float: ...
    @property
    def lag(self) -> float | None: ...
    @property
    def broken(self) -> bool: ...


# --------------------------------------------------------------------------- vocabulary

TIERS: tuple[tuple[str, ...], ...] = (
    ("client",),
    ("dns", "cdn"),
    ("load_balancer",),
    ("app_server",),
    ("cache", "service"),
    ("database",),
)
"""Node kinds per tier, top to bottom; an unknown kind goes with caches and services."""

_TIER_OF_KIND = {kind: tier for tier, kinds in enumerate(TIERS) for kind in kinds}
_UNKNOWN_TIER = 4
_GLOBAL_TIERS = frozenset({0, 1})

STATE_SYMBOLS: Mapping[str, str] = {
    "healthy": "✓",
    "degraded": "!",
    "down": "✗",
    "standby": "○",
    "promoting": "↑",
    "fenced": "⊘",
    "booting": "…",
    "draining": "↓",
    "destroyed": "☠",
}
"""The symbol drawn before every node label, so states read without colour."""

_SEVERITY = ("destroyed", "down", "fenced", "degraded", "promoting", "booting", "draining", "standby", "healthy")
"""States from worst to best: an aggregated box shows the worst state of its members."""

_FINE_STATES = frozenset({"healthy", "standby"})

_KIND_SHORT = {
    "client": "clients",
    "dns": "dns",
    "cdn": "cdn",
    "load_balancer": "lb",
    "app_server": "app",
    "cache": "cache",
    "service": "svc",
    "database": "db",
}

AGGREGATE_GAP = 1
"""Columns between two boxes of one row."""
_STATUS_ROOM = 3
"""Cells an aggregated box keeps for its members' trouble, e.g. `` 2✗``."""
_BOX_PAD = 4
"""Most cells a box grows by when its row has room to spare."""
_COLUMN_GAP = 3
"""Columns between two region columns; a dotted rule runs down the middle one."""
_MAX_SPREAD = 10
"""Most extra columns between two boxes of a row when there is room to spare."""
_MIN_COLUMN = 5

# (aggregation level, longest label) from most to least detailed; levels: 0 one box per node,
# 1 per group (databases per replication cluster), 2 per kind, 3 one box for the tier.
_LADDER: tuple[tuple[int, int], ...] = (
    (0, 24), (0, 16), (0, 12), (0, 8),
    (1, 18), (1, 12), (1, 8),
    (2, 12), (2, 8),
    (3, 14), (3, 10), (3, 6),
)

_N, _S, _E, _W = 1, 2, 4, 8
_GLYPHS = {
    _N: "│", _S: "│", _N | _S: "│", _E: "─", _W: "─", _E | _W: "─",
    _S | _E: "┌", _S | _W: "┐", _N | _E: "└", _N | _W: "┘",
    _N | _S | _E: "├", _N | _S | _W: "┤", _S | _E | _W: "┬", _N | _E | _W: "┴",
    _N | _S | _E | _W: "┼",
}
_DOTTED = {"│": "┆", "─": "┄"}


# --------------------------------------------------------------------------- text helpers


def _char_len(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cell_len(text: str) -> int:
    """Terminal cells ``text`` takes (wide East Asian characters take two)."""
    if text.isascii():
        return len(text)
    return sum(_char_len(char) for char in text)


def _head(text: str, cells: int) -> str:
    out, used = [], 0
    for char in text:
        width = _char_len(char)
        if used + width > cells:
            break
        out.append(char)
        used += width
    return "".join(out)


def _tail(text: str, cells: int) -> str:
    return _head(text[::-1], cells)[::-1]


def fit_text(text: str, cells: int, *, middle: bool | None = None) -> str:
    """``text`` in at most ``cells`` cells, cut with an ellipsis.

    By default the cut is in the middle when the last part of the name holds a number, which
    is what tells similar names apart (``use1-orders-1-db-2`` in 10 cells is ``use1-…db-2``),
    and at the end otherwise (``recommendations`` is ``recomme…``).
    """
    if cells <= 0:
        return ""
    if cell_len(text) <= cells:
        return text
    if cells == 1:
        return "…"
    if middle is None:
        last = re.split(r"[-_./: ]", text)[-1]
        middle = any(char.isdigit() for char in last)
    if not middle:
        return _head(text, cells - 1) + "…"
    keep = cells - 1
    head = (keep + 1) // 2
    return _head(text, head) + "…" + _tail(text, keep - head)


def format_lag(lag: float | None, broken: bool = False) -> str:
    """A replication lag as a short label: ``0.3s``, ``12s``, ``4m``; ``broken`` when replication stopped."""
    if broken:
        return "broken"
    if lag is None:
        return ""
    if lag < 9.95:
        return f"{lag:.1f}s"
    if lag < 99.5:
        return f"{lag:.0f}s"
    if lag < 5970:
        return f"{lag / 60:.0f}m"
    return f"{lag / 3600:.0f}h"


def worst_state(states: Iterable[str]) -> str:
    """The most severe of ``states`` (unknown states count as degraded)."""
    rank = {state: i for i, state in enumerate(_SEVERITY)}
    worst, worst_rank = "healthy", len(_SEVERITY)
    for state in states:
        r = rank.get(state, rank["degraded"])
        if r < worst_rank:
            worst, worst_rank = state, r
    return worst


def aggregate_state(states: Sequence[str]) -> str:
    """The state an aggregated box shows: its worst member's, a standby counting as healthy.

    A pair of load balancers (one master, one standby) is fine; it shows ``healthy``.
    Only when every member is on standby does the box show ``standby``.
    """
    trouble = [state for state in states if state not in _FINE_STATES]
    if trouble:
        return worst_state(trouble)
    return "healthy" if "healthy" in states or not states else "standby"


# --------------------------------------------------------------------------- output


@dataclass(frozen=True)
class Box:
    """One box on the canvas: a node, or an aggregate of nodes standing for all its ``members``."""

    name: str
    """A unique id: the node name for a single node, ``region/kind/key`` for an aggregate."""
    x: int
    y: int
    w: int
    h: int
    """3 with a border all round, 1 in the compact ``[✓ app-1]`` form."""
    members: tuple[str, ...] = ()
    """The node names the box stands for, in snapshot order; selecting the box selects the first."""
    kind: str = ""
    """The node kind of its members, ``mixed`` when they differ."""
    label: str = ""
    """The label drawn (common region prefixes removed), before truncation."""
    region: str | None = None
    """The region column it sits in; ``None`` for global tiers and merged regions."""
    band: int = 0
    """Its row of boxes, 0 at the top; arrow keys move between bands."""
    tees: tuple[tuple[int, int, str], ...] = ()
    """``(x, y, char)`` border cells where a line attaches (``┬`` at the bottom, ``┴`` at the top)."""

    @property
    def aggregate(self) -> bool:
        """True when the box stands for more than one node."""
        return len(self.members) > 1

    @property
    def compact(self) -> bool:
        """True for the one-row ``[✓ app-1]`` form."""
        return self.h == 1

    @property
    def center(self) -> int:
        """The column of its middle."""
        return self.x + self.w // 2

    def contains(self, x: int, y: int) -> bool:
        """True when the cell ``(x, y)`` belongs to the box."""
        return self.x <= x < self.x + self.w and self.y <= y < self.y + self.h


class LineCell(NamedTuple):
    """One cell of an edge line: where, which box-drawing character, and whose edges it carries."""

    x: int
    y: int
    char: str
    kind: str
    """``traffic`` or ``replication``."""
    group: int
    """Index into :attr:`Layout.groups`: the edges this cell stands for (for colouring)."""


@dataclass(frozen=True)
class EdgeGroup:
    """The snapshot edges one stretch of line stands for."""

    kind: str
    edges: tuple[tuple[str, str], ...]
    """``(source, target)`` node names."""


@dataclass(frozen=True)
class Title:
    """A region's title above its column."""

    x: int
    y: int
    text: str
    region: str


@dataclass(frozen=True)
class LagSlot:
    """Room on a replication line for the lag of one replica, written at paint time."""

    x: int
    y: int
    w: int
    group: int


class Cell(NamedTuple):
    """One painted cell: its character, what it belongs to, and which one."""

    char: str
    role: str
    """``blank``, ``line``, ``lag``, ``title``, ``rule``, ``border``, ``symbol``, ``text``, ``marker`` or ``progress``."""
    ref: int
    """The box index for box roles, the group index for ``line`` and ``lag``, otherwise -1."""


NodeMap = Mapping[str, NodeLike]
EdgeMap = Mapping[tuple[str, str, str], EdgeLike]


@dataclass(frozen=True)
class Layout:
    """A laid-out topology: boxes, edge lines, titles and lag slots on a ``width`` x ``height`` canvas."""

    width: int
    height: int
    boxes: tuple[Box, ...] = ()
    lines: tuple[LineCell, ...] = ()
    groups: tuple[EdgeGroup, ...] = ()
    titles: tuple[Title, ...] = ()
    lag_slots: tuple[LagSlot, ...] = ()
    rules: tuple[tuple[int, int], ...] = ()
    """``(x, y)`` cells of the dotted rules between region columns."""
    style: str = "none"
    """``full`` (bordered boxes), ``compact`` (one-row boxes) or ``none`` (nothing fits)."""
    merged: bool = False
    """True when the regions were merged into one column to fit."""
    fits: bool = True
    """False when the canvas is too small for even the most aggregated drawing."""
    needed: tuple[int, int] = (0, 0)
    """The smallest ``(width, height)`` known to fit; meaningful when :attr:`fits` is false."""
    nodes: NodeMap = field(default_factory=dict, compare=False, repr=False)
    """The nodes laid out, by name (what :meth:`paint` draws when given no newer ones)."""
    edges: EdgeMap = field(default_factory=dict, compare=False, repr=False)
    """The edges laid out, by ``(source, target, kind)``."""

    @cached_property
    def _box_by_member(self) -> dict[str, int]:
        return {name: i for i, box in enumerate(self.boxes) for name in box.members}

    def box_index(self, name: str) -> int | None:
        """The index of the box standing for node ``name``, or ``None``."""
        return self._box_by_member.get(name)

    def box_of(self, name: str) -> Box | None:
        """The box standing for node ``name``, or ``None``."""
        index = self._box_by_member.get(name)
        return None if index is None else self.boxes[index]

    def box_at(self, x: int, y: int) -> Box | None:
        """The box covering cell ``(x, y)``, or ``None``."""
        for box in self.boxes:
            if box.contains(x, y):
                return box
        return None

    def paint(self, nodes: NodeMap | None = None, edges: EdgeMap | None = None) -> list[list[Cell]]:
        """The canvas, ``height`` rows of ``width`` cells, with states from ``nodes`` and lags from ``edges``.

        Both default to what was laid out. A wide character fills its first cell and leaves
        the second one's ``char`` empty, so joining a row's chars gives the terminal line.
        """
        nodes = self.nodes if nodes is None else nodes
        edges = self.edges if edges is None else edges
        blank = Cell(" ", "blank", -1)
        grid = [[blank] * self.width for _ in range(self.height)]
        for cell in self.lines:
            grid[cell.y][cell.x] = Cell(cell.char, "line", cell.group)
        for x, y in self.rules:
            grid[y][x] = Cell("┊", "rule", -1)
        for slot in self.lag_slots:
            text = _lag_text(self.groups[slot.group], edges, slot.w)
            if text:
                start = slot.x + slot.w - cell_len(text)
                _put(grid[slot.y], start, text, "lag", slot.group)
        for title in self.titles:
            _put(grid[title.y], title.x, title.text, "title", -1)
        for index, box in enumerate(self.boxes):
            for dy, row in enumerate(_box_face(box, nodes)):
                x = box.x
                for text, role in row:
                    x = _put(grid[box.y + dy], x, text, role, index)
        return grid

    def render_text(self, nodes: NodeMap | None = None, edges: EdgeMap | None = None) -> list[str]:
        """The canvas as plain text, one string per row (trailing spaces kept)."""
        return ["".join(cell.char for cell in row) for row in self.paint(nodes, edges)]


def _put(row: list[Cell], x: int, text: str, role: str, ref: int) -> int:
    """Write ``text`` into ``row`` from column ``x``; returns the column after it."""
    for char in text:
        width = _char_len(char)
        if width == 0:
            continue
        if x + width > len(row):
            break
        row[x] = Cell(char, role, ref)
        if width == 2:
            row[x + 1] = Cell("", role, ref)
        x += width
    return x


# --------------------------------------------------------------------------- box faces


def _node_marker(node: NodeLike, room: bool) -> str:
    if node.kind == "database":
        return {"primary": "P", "replica": "R"}.get(node.role or "", "")
    if node.kind == "load_balancer" and node.role == "master":
        return "VIP" if room else "◆"
    return ""


_PERCENT = re.compile(r"\d+%")


def _short_progress(progress: str) -> str:
    found = _PERCENT.search(progress)
    return found.group(0) if found else progress.split()[0]


def _single_content(node: NodeLike, label: str, inner: int, compact: bool) -> list[tuple[str, str]]:
    """``✓ app-1 P`` fitted to ``inner`` cells, as (text, role) runs.

    The label comes first: the long ``VIP`` marker only when the whole label fits beside it.
    In compact boxes a running command's percentage squeezes the label down to 6 cells, then
    takes the role marker's place, and gives way only when not even 3 cells of label are left.
    """
    symbol = STATE_SYMBOLS.get(node.state, "?")
    short_marker = _node_marker(node, False)
    minimal = inner - 2 - (len(short_marker) + 1 if short_marker else 0)
    progress = _short_progress(node.progress) if compact and node.progress else ""
    forms = (
        (_node_marker(node, True), progress, min(cell_len(label), minimal)),
        (short_marker, progress, min(cell_len(label), minimal, 6)),
        ("", progress, min(cell_len(label), 3)),  # while a command runs, its progress beats the role
        (short_marker, "", 0),
    )
    for marker, shown, want in forms:
        extra = (len(marker) + 1 if marker else 0) + (cell_len(shown) + 1 if shown else 0)
        room = inner - 2 - extra
        if room >= want:
            break
    text = fit_text(label, max(room, 0))
    runs = [(symbol, "symbol"), (" ", "text"), (text, "text")]
    if marker:
        runs.append((" " + marker, "marker"))
    if shown:
        runs.append((" " + shown, "progress"))
    return _clip(runs, inner)


def _aggregate_content(members: Sequence[NodeLike], label: str, inner: int) -> list[tuple[str, str]]:
    """``✗ web ×34 (2 down)`` fitted to ``inner`` cells, as (text, role) runs."""
    states = [node.state for node in members]
    symbol = STATE_SYMBOLS.get(aggregate_state(states), "?")
    count = f" ×{len(members)}"
    bad = [(state, states.count(state)) for state in _SEVERITY if state not in _FINE_STATES and state in states]
    options = [""]
    if bad:
        options = [
            " (" + ", ".join(f"{n} {state}" for state, n in bad) + ")",
            f" ({bad[0][1]} {bad[0][0]})",
            " " + "".join(f"{n}{STATE_SYMBOLS.get(state, '?')}" for state, n in bad),
            f" {bad[0][1]}{STATE_SYMBOLS.get(bad[0][0], '?')}",
            "",
        ]
    # the label keeps the room the box was sized for; a longer status only takes what is left
    want = min(cell_len(label), max(inner - 2 - len(count) - _STATUS_ROOM, 2))
    for status in options:
        room = inner - 2 - len(count) - cell_len(status)
        if room >= want:
            break
    text = fit_text(label, max(room, 1))
    runs = [(symbol, "symbol"), (" ", "text"), (text, "text"), (count, "marker")]
    if status:
        runs.append((status, "marker"))
    return _clip(runs, inner)


def _clip(runs: list[tuple[str, str]], inner: int) -> list[tuple[str, str]]:
    """Runs cut to ``inner`` cells, or centred in them with spaces."""
    total = sum(cell_len(text) for text, _ in runs)
    out: list[tuple[str, str]] = []
    used = 0
    if total < inner:
        left = (inner - total) // 2
        out.append((" " * left, "text"))
        used = left
    for text, role in runs:
        if used >= inner:
            break
        if used + cell_len(text) > inner:
            text = _head(text, inner - used)
        out.append((text, role))
        used += cell_len(text)
    if used < inner:
        out.append((" " * (inner - used), "text"))
    return out


def _box_face(box: Box, nodes: NodeMap) -> list[list[tuple[str, str]]]:
    """The rows of ``box`` as (text, role) runs, each exactly ``box.w`` cells."""
    inner = box.w - 2
    members = [nodes[name] for name in box.members if name in nodes]
    if not members:
        content = _clip([("?", "symbol"), (" ", "text"), (fit_text(box.label, inner - 2), "text")], inner)
    elif box.aggregate:
        content = _aggregate_content(members, box.label, inner)
    else:
        content = _single_content(members[0], box.label, inner, box.compact)
    if box.compact:
        return [[("[", "border"), *content, ("]", "border")]]
    top = ["─"] * inner
    bottom = ["─"] * inner
    for x, y, char in box.tees:
        if 0 <= x - box.x - 1 < inner:
            (top if y == box.y else bottom)[x - box.x - 1] = char
    top_runs: list[tuple[str, str]] = [("┌", "border")]
    progress = members[0].progress if members and not box.aggregate else None
    if progress:
        text = fit_text(progress, inner, middle=False)
        top_runs.append((text, "progress"))
        top_runs.append(("".join(top[cell_len(text):]), "border"))
    else:
        top_runs.append(("".join(top), "border"))
    top_runs.append(("┐", "border"))
    return [
        top_runs,
        [("│", "border"), *content, ("│", "border")],
        [("└" + "".join(bottom) + "┘", "border")],
    ]


def _lag_text(group: EdgeGroup, edges: EdgeMap, room: int) -> str:
    views = [edges[(s, t, group.kind)] for s, t in group.edges if (s, t, group.kind) in edges]
    if not views:
        return ""
    broken = any(view.broken for view in views)
    lags = [view.lag for view in views if view.lag is not None]
    text = format_lag(max(lags) if lags else None, broken)
    if broken and cell_len(text) > room:
        text = "✗"
    return text if cell_len(text) <= room else ""


# --------------------------------------------------------------------------- the graph


@dataclass
class _Graph:
    """The snapshot's nodes and edges, indexed for laying out."""

    nodes: list[NodeLike]
    index: dict[str, int]
    tier: dict[str, int]
    bands: list[int]  # present tiers, top to bottom
    regions: list[str]  # region columns, in order
    edges: list[tuple[str, str, str]]  # (source, target, kind), known nodes only, no duplicates
    edge_views: dict[tuple[str, str, str], EdgeLike]
    root: dict[str, str]  # database -> the primary at the top of its replication tree
    ladders: dict[bool, list[_Unit]] = field(default_factory=dict)  # per arrangement (merged or not)

    @classmethod
    def build(cls, nodes: Sequence[NodeLike], edges: Sequence[EdgeLike], regions: Sequence[str]) -> _Graph:
        node_list = list(nodes)
        index = {node.name: i for i, node in enumerate(node_list)}
        tier = {node.name: _TIER_OF_KIND.get(node.kind, _UNKNOWN_TIER) for node in node_list}
        bands = sorted(set(tier.values()))
        order = list(dict.fromkeys(regions))
        for node in node_list:
            if tier[node.name] not in _GLOBAL_TIERS and node.region not in order:
                order.append(node.region)
        used = {node.region for node in node_list if tier[node.name] not in _GLOBAL_TIERS}
        edge_views: dict[tuple[str, str, str], EdgeLike] = {}
        for edge in edges:
            if edge.source in index and edge.target in index and edge.source != edge.target:
                edge_views.setdefault((edge.source, edge.target, edge.kind), edge)
        parent = {t: s for s, t, kind in edge_views if kind == "replication"}
        root: dict[str, str] = {}
        for node in node_list:
            if node.kind != "database":
                continue
            seen, current = {node.name}, node.name
            while current in parent and parent[current] not in seen:
                current = parent[current]
                seen.add(current)
            root[node.name] = current
        return cls(
            nodes=node_list,
            index=index,
            tier=tier,
            bands=bands,
            regions=[region for region in order if region in used],
            edges=list(edge_views),
            edge_views=edge_views,
            root=root,
        )

    def band_of(self, name: str) -> int:
        return self.bands.index(self.tier[name])


def _common_prefix(labels: Sequence[str]) -> str:
    """The longest prefix shared by all ``labels`` that ends with a separator (``use1-``)."""
    if len(labels) < 2:
        return ""
    first, last = min(labels), max(labels)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    prefix = first[:size]
    cut = max(prefix.rfind(sep) for sep in "-_./: ")
    if cut < 0:
        return ""
    return prefix[: cut + 1]


# --------------------------------------------------------------------------- horizontal plan


@dataclass(frozen=True)
class _Proto:
    """A box before placement."""

    key: str
    members: tuple[str, ...]
    kind: str
    label: str
    aggregate: bool


@dataclass
class _Unit:
    """The boxes of one tier in one column (or the whole width for global tiers)."""

    column: int  # -1: global (whole width)
    band: int
    nodes: list[NodeLike]
    ladder: list[tuple[int, int, list[_Proto]]] = field(default_factory=list)  # (width, label cap, protos)
    step: int = 0

    @property
    def width(self) -> int:
        return self.ladder[self.step][0]

    @property
    def cap(self) -> int:
        return self.ladder[self.step][1]

    @property
    def protos(self) -> list[_Proto]:
        return self.ladder[self.step][2]


def _box_width(proto: _Proto, cap: int) -> int:
    """Cells a box needs with its label cut to ``cap`` (at ``cap`` 0: everything but the label)."""
    label = min(cell_len(proto.label), cap) if cap else 0
    if proto.aggregate:
        return 2 + 2 + label + len(f" ×{len(proto.members)}") + _STATUS_ROOM
    suffix = {"database": 2, "load_balancer": 4 if cap >= 12 else 2}.get(proto.kind, 0)
    return 2 + 2 + label + suffix


def _group_key(graph: _Graph, node: NodeLike, level: int) -> tuple[str, str]:
    if level == 0:
        return ("node", node.name)
    if level == 1:
        if node.group:
            return ("group", node.group)
        if node.kind == "database":
            return ("cluster", graph.root.get(node.name, node.name))
        return ("node", node.name)
    if level == 2:
        return ("kind", node.kind)
    return ("tier", "")


def _protos(graph: _Graph, nodes: list[NodeLike], level: int, labels: Mapping[str, str], prefix: str) -> list[_Proto]:
    if level == 0:
        return [_Proto(f"node:{node.name}:{node.name}", (node.name,), node.kind, labels[node.name], False)
                for node in nodes]
    groups: dict[tuple[str, str], list[NodeLike]] = {}
    for node in nodes:
        groups.setdefault(_group_key(graph, node, level), []).append(node)
    out = []
    for (how, key), members in groups.items():
        first = members[0]
        names = tuple(node.name for node in members)
        kinds = list(dict.fromkeys(node.kind for node in members))
        kind = kinds[0] if len(kinds) == 1 else "mixed"
        if len(members) == 1:
            out.append(_Proto(f"{how}:{key}:{first.name}", names, kind, labels[first.name], False))
            continue
        if how == "group":
            label = key[len(prefix):] if prefix and key.startswith(prefix) and len(key) > len(prefix) else key
        elif how == "cluster":
            label = labels.get(key, key) + "+"
        else:
            label = "/".join(_KIND_SHORT.get(k, k) for k in kinds)
        out.append(_Proto(f"{how}:{key}:{first.name}", names, kind, label, True))
    return out


def _make_ladder(graph: _Graph, unit: _Unit, labels: Mapping[str, str], prefix: str) -> None:
    """The unit's ever narrower ways to draw its tier, from one box per node to one box in all."""
    levels: dict[int, tuple[list[_Proto], list[int], int, int]] = {}
    best: int | None = None
    for level, cap in _LADDER:
        if level not in levels:
            protos = _protos(graph, unit.nodes, level, labels, prefix)
            lengths = [cell_len(p.label) for p in protos]
            # everything but the label, the load balancers' marker aside (it depends on the cap)
            fixed = sum(_box_width(p, 0) for p in protos) + AGGREGATE_GAP * (len(protos) - 1)
            balancers = sum(1 for p in protos if not p.aggregate and p.kind == "load_balancer")
            levels[level] = (protos, lengths, fixed, balancers)
        protos, lengths, fixed, balancers = levels[level]
        width = fixed + sum(min(n, cap) for n in lengths) + (2 * balancers if cap >= 12 else 0)
        if best is None or width < best:
            unit.ladder.append((width, cap, protos))
            best = width


@dataclass
class _PBox:
    """A box being placed."""

    proto: _Proto
    column: int
    band: int
    x: int
    w: int
    region: str | None

    @property
    def center(self) -> int:
        return self.x + self.w // 2


def _units(graph: _Graph, merged: bool) -> list[_Unit]:
    """Fresh units (at step 0) for one arrangement; their ladders are computed once per graph."""
    if merged not in graph.ladders:
        graph.ladders[merged] = _build_units(graph, merged)
    return [replace(unit, step=0) for unit in graph.ladders[merged]]


def _build_units(graph: _Graph, merged: bool) -> list[_Unit]:
    """One unit per tier and column, each with its ladder of ever narrower drawings."""
    columns = ["*"] if merged else list(graph.regions)
    labels: dict[str, str] = {}
    prefixes: dict[int, str] = {}
    per_column: dict[int, list[NodeLike]] = {}
    for node in graph.nodes:
        if graph.tier[node.name] in _GLOBAL_TIERS:
            labels[node.name] = node.label
            continue
        column = 0 if merged else columns.index(node.region)
        per_column.setdefault(column, []).append(node)
    region_of = {node.name: node.region for node in graph.nodes}
    for column, members in per_column.items():
        # a database copied here from another region keeps its full name and does not count
        native = [node for node in members if region_of.get(graph.root.get(node.name, node.name)) == node.region]
        prefix = _common_prefix([node.label for node in native])
        prefixes[column] = prefix
        for node in members:
            strip = bool(prefix) and node.label.startswith(prefix) and len(node.label) > len(prefix)
            labels[node.name] = node.label[len(prefix):] if strip else node.label

    units: list[_Unit] = []
    for band, tier in enumerate(graph.bands):
        in_tier = [node for node in graph.nodes if graph.tier[node.name] == tier]
        if tier in _GLOBAL_TIERS:
            units.append(_Unit(-1, band, in_tier))
            continue
        for column in range(len(columns)):
            members = [node for node in in_tier if (0 if merged else columns.index(node.region)) == column]
            if members:
                units.append(_Unit(column, band, members))
    for unit in units:
        _make_ladder(graph, unit, labels, prefixes.get(unit.column, ""))
    return units


def _plan_units(graph: _Graph, width: int, merged: bool) -> tuple[list[_Unit], list[tuple[int, int]]] | None:
    """Aggregation steps so every row fits ``width``: the units and each column's (x, width)."""
    columns = ["*"] if merged else list(graph.regions)
    units = _units(graph, merged)
    for unit in units:
        if unit.column == -1:
            while unit.width > width:
                if unit.step + 1 >= len(unit.ladder):
                    return None
                unit.step += 1
    column_units = [[unit for unit in units if unit.column == c] for c in range(len(columns))]
    available = width - _COLUMN_GAP * (len(columns) - 1)

    def need(c: int) -> int:
        return max([_MIN_COLUMN, *(unit.width for unit in column_units[c])])

    if columns:
        while sum(need(c) for c in range(len(columns))) > available:
            widest = max(range(len(columns)), key=lambda c: (need(c), -c))
            candidates = [u for u in column_units[widest] if u.step + 1 < len(u.ladder)]
            top = max(unit.width for unit in column_units[widest]) if column_units[widest] else 0
            shrinkable = [u for u in candidates if u.width == top]
            if not shrinkable:
                return None
            shrinkable[0].step += 1
    needs = [need(c) for c in range(len(columns))]
    extra = available - sum(needs)
    spans: list[tuple[int, int]] = []
    x = 0
    for c, base in enumerate(needs):
        share = extra // len(needs) + (1 if c < extra % len(needs) else 0)
        spans.append((x, base + share))
        x += base + share + _COLUMN_GAP
    return units, spans


# --------------------------------------------------------------------------- routing


@dataclass
class _Part:
    """One horizontal bus of a net in one channel, with its terminals."""

    net: int
    channel: int
    kind: str
    group: int
    ups: list[tuple[int, int]] = field(default_factory=list)  # (x, group) verticals from the row above
    downs: list[tuple[int, int]] = field(default_factory=list)  # (x, group) verticals into the row below
    track: int = -1
    side_source: int | None = None  # for replication buses: the x of the source's port

    @property
    def xs(self) -> list[int]:
        return [x for x, _ in self.ups] + [x for x, _ in self.downs]

    @property
    def lo(self) -> int:
        return min(self.xs)

    @property
    def hi(self) -> int:
        return max(self.xs)


@dataclass
class _Corridor:
    """A vertical that skips tiers: from the bottom of channel ``top`` to the top of channel ``bottom``."""

    net: int
    x: int
    top: int
    bottom: int
    kind: str
    group: int


@dataclass
class _Route:
    """Everything routed for one horizontal plan; independent of box heights."""

    boxes: list[_PBox]
    parts: list[_Part]
    corridors: list[_Corridor]
    links: list[tuple[int, int, int, str, int]]  # (band, x0, x1, kind, group): straight across a gap
    groups: list[EdgeGroup]
    tracks: dict[int, int]  # channel -> number of tracks
    lag_parts: list[tuple[int, list[tuple[int, int]]]]  # (part index, [(replica port x, group)])
    spans: list[tuple[int, int]]
    column_names: list[str]
    tees_down: dict[int, list[int]]  # box index -> x of lines leaving its bottom
    tees_up: dict[int, list[int]]  # box index -> x of lines entering its top


class _Groups:
    """Edge groups, deduplicated."""

    def __init__(self) -> None:
        self.items: list[EdgeGroup] = []
        self._index: dict[EdgeGroup, int] = {}

    def add(self, kind: str, edges: Iterable[tuple[str, str]]) -> int:
        group = EdgeGroup(kind, tuple(sorted(set(edges))))
        if group not in self._index:
            self._index[group] = len(self.items)
            self.items.append(group)
        return self._index[group]


def _place(graph: _Graph, units: list[_Unit], spans: list[tuple[int, int]], width: int,
           columns: list[str], merged: bool) -> tuple[list[_PBox], dict[str, int]]:
    """Boxes in each row, ordered under their parents and spread evenly over the row."""
    boxes: list[_PBox] = []
    owner: dict[str, int] = {}
    uppers: dict[str, set[str]] = {}
    for source, target, kind in graph.edges:
        if kind != "traffic":
            continue
        a, b = graph.tier[source], graph.tier[target]
        if a < b:
            uppers.setdefault(target, set()).add(source)
        elif b < a:
            uppers.setdefault(source, set()).add(target)
    for band in range(len(graph.bands)):
        for unit in (u for u in units if u.band == band):
            cap = unit.cap
            protos = unit.protos
            keys: list[float] = []
            for i, proto in enumerate(protos):
                parents = {owner[n] for m in proto.members for n in uppers.get(m, ()) if n in owner}
                if parents:
                    keys.append(sum(boxes[p].center for p in parents) / len(parents) + i * 1e-6)
                else:
                    keys.append((keys[i - 1] if i else -1e9) + 1e-3)
            order = sorted(range(len(protos)), key=lambda i: (keys[i], i))
            x0, span = (0, width) if unit.column == -1 else spans[unit.column]
            widths = [_box_width(protos[i], cap) for i in order]
            free = span - sum(widths) - AGGREGATE_GAP * (len(widths) - 1)
            # spare room first widens the boxes a little (room for a running command's progress)
            pad = min(_BOX_PAD, free // (2 * len(order)))
            widths = [w + pad for w in widths]
            free -= pad * len(order)
            # equal gaps (margins at least as wide), no wider than a comfortable spread, centred
            between = min(free // (len(order) + 1), _MAX_SPREAD)
            used = sum(widths) + (AGGREGATE_GAP + between) * (len(order) - 1)
            x = x0 + (span - used) // 2
            region = None if unit.column == -1 or merged else columns[unit.column]
            for k, i in enumerate(order):
                boxes.append(_PBox(protos[i], unit.column, band, x, widths[k], region))
                for member in protos[i].members:
                    owner[member] = len(boxes) - 1
                x += widths[k] + AGGREGATE_GAP + between
    return boxes, owner


def _spread(box: _PBox, count: int, slot: int) -> int:
    """The x of port ``slot`` of ``count`` on ``box``'s border, spread over its inside."""
    inside = max(box.w - 2, 1)
    return box.x + 1 + (inside * (2 * slot + 1)) // (2 * count)


def _snap(ports: dict[tuple[int, int], int], key: tuple[int, int], box: _PBox, across: list[int]) -> None:
    """Move the port ``key`` of ``box`` onto the nearest of ``across`` that lies inside the box."""
    inside = [x for x in across if box.x < x < box.x + box.w - 1]
    if inside:
        ports[key] = min(inside, key=lambda x: (abs(x - box.center), x))


def _route(graph: _Graph, units: list[_Unit], spans: list[tuple[int, int]], width: int, merged: bool) -> _Route:
    """Place the boxes and route every edge; vertical positions come later."""
    columns = ["*"] if merged else list(graph.regions)
    boxes, owner = _place(graph, units, spans, width, columns, merged)
    n_bands = len(graph.bands)
    groups = _Groups()

    # ---- box-level edges
    box_edges: dict[tuple[int, int, str], list[tuple[str, str]]] = {}
    for source, target, kind in graph.edges:
        a, b = owner[source], owner[target]
        if a != b:
            box_edges.setdefault((a, b, kind), []).append((source, target))

    # ---- nets: lower boxes with the same set of upper boxes share one bus
    upper_sets: dict[tuple[str, int], set[int]] = {}
    vertical_edges: dict[tuple[str, int, int], list[tuple[str, str]]] = {}
    side: list[tuple[int, int, str, list[tuple[str, str]]]] = []
    for (a, b, kind), pairs in box_edges.items():
        if boxes[a].band == boxes[b].band:
            side.append((a, b, kind, pairs))
            continue
        upper, lower = (a, b) if boxes[a].band < boxes[b].band else (b, a)
        upper_sets.setdefault((kind, lower), set()).add(upper)
        vertical_edges.setdefault((kind, upper, lower), []).extend(pairs)
    nets: dict[tuple[str, tuple[int, ...]], list[int]] = {}
    for (kind, lower), uppers in upper_sets.items():
        nets.setdefault((kind, tuple(sorted(uppers))), []).append(lower)
    net_list = sorted(nets.items(), key=lambda item: (item[0][0] != "traffic", item[0][1], sorted(item[1])))

    # ---- straight links between neighbours in a row (traffic only), other same-row edges as buses
    row_of: dict[int, list[int]] = {}
    for i, box in enumerate(boxes):
        row_of.setdefault(box.band, []).append(i)
    for members in row_of.values():
        members.sort(key=lambda i: boxes[i].x)
    links: list[tuple[int, int, int, str, int]] = []
    side_nets: list[tuple[str, int, list[int], list[tuple[str, str]]]] = []  # kind, source box, others, pairs
    side_by_source: dict[tuple[str, int], list[tuple[int, list[tuple[str, str]]]]] = {}
    link_cells: dict[int, set[int]] = {}
    for a, b, kind, pairs in side:
        row = row_of[boxes[a].band]
        ia, ib = row.index(a), row.index(b)
        if kind == "traffic" and abs(ia - ib) == 1:
            left, right = (a, b) if ia < ib else (b, a)
            x0, x1 = boxes[left].x + boxes[left].w, boxes[right].x - 1
            if x0 <= x1:
                group = groups.add(kind, pairs)
                links.append((boxes[a].band, x0, x1, kind, group))
                link_cells.setdefault(boxes[a].band, set()).update(range(x0, x1 + 1))
                continue
        side_by_source.setdefault((kind, a), []).append((b, pairs))
    for (kind, source), targets in sorted(side_by_source.items(), key=lambda item: (item[0][0], item[0][1])):
        side_nets.append((kind, source, [t for t, _ in targets], [p for _, pairs in targets for p in pairs]))

    # ---- ports: one per net and side of a box, ordered by where the net goes
    bottom_nets: dict[int, list[tuple[float, int]]] = {}
    top_nets: dict[int, list[tuple[float, int]]] = {}
    for n, ((kind, uppers), lowers) in enumerate(net_list):
        far_lower = sum(boxes[i].center for i in lowers) / len(lowers)
        far_upper = sum(boxes[i].center for i in uppers) / len(uppers)
        for i in uppers:
            bottom_nets.setdefault(i, []).append((far_lower, n))
        for i in lowers:
            top_nets.setdefault(i, []).append((far_upper, n))
    for s, (kind, source, targets, _pairs) in enumerate(side_nets):
        n = len(net_list) + s
        members = [source, *targets]
        for i in members:
            others = [boxes[j].center for j in members if j != i]
            bottom_nets.setdefault(i, []).append((sum(others) / len(others), n))
    port_bottom: dict[tuple[int, int], int] = {}
    port_top: dict[tuple[int, int], int] = {}
    for ports, table in ((port_bottom, bottom_nets), (port_top, top_nets)):
        for i, entries in table.items():
            entries.sort()
            for slot, (_, n) in enumerate(entries):
                ports[(i, n)] = _spread(boxes[i], len(entries), slot)
    # a box's only port on a side lines up with a port across the channel when it can: no jog
    for n, ((kind, uppers), lowers) in enumerate(net_list):
        for l in lowers:
            if len(top_nets[l]) == 1:
                across = [port_bottom[(u, n)] for u in uppers if boxes[u].band == boxes[l].band - 1]
                _snap(port_top, (l, n), boxes[l], across)
        for u in uppers:
            if len(bottom_nets[u]) == 1:
                across = [port_top[(l, n)] for l in lowers if boxes[l].band == boxes[u].band + 1]
                _snap(port_bottom, (u, n), boxes[u], across)

    # ---- occupancy for corridors
    band_blocked: list[set[int]] = [set() for _ in range(n_bands)]
    for box in boxes:
        band_blocked[box.band].update(range(box.x, box.x + box.w))
    for band, cells in link_cells.items():
        band_blocked[band].update(cells)
    channel_used: list[dict[int, int]] = [{} for _ in range(n_bands)]  # x -> the net whose vertical it is
    if not merged and len(spans) > 1:  # the rules between region columns: no corridor on or beside them
        for x0, span in spans[:-1]:
            for channel in channel_used:
                channel[x0 + span + _COLUMN_GAP // 2] = -1
            for band, tier in enumerate(graph.bands):
                if tier not in _GLOBAL_TIERS:
                    band_blocked[band].add(x0 + span + _COLUMN_GAP // 2)
    for (i, n), x in port_bottom.items():
        channel_used[boxes[i].band][x] = n
    for (i, n), x in port_top.items():
        channel_used[boxes[i].band - 1][x] = n

    def corridor_x(top: int, bottom: int, preferred: float, net: int) -> int | None:
        """A free column from channel ``top`` down to channel ``bottom``, nearest ``preferred``."""
        best: int | None = None

        def cost(x: int) -> tuple[float, int]:
            hugging = any(x - 1 in band_blocked[b] or x + 1 in band_blocked[b] for b in range(top + 1, bottom + 1))
            return (abs(x - preferred) + (3 if hugging else 0), x)

        for x in sorted(range(width), key=cost):
            if any(x in band_blocked[b] for b in range(top + 1, bottom + 1)):
                continue
            if any(channel_used[c].get(x, net) != net for c in range(top, bottom + 1)):
                continue
            best = x
            break
        if best is not None:
            for b in range(top + 1, bottom + 1):
                band_blocked[b].add(best)
            for c in range(top, bottom + 1):
                channel_used[c][best] = net
        return best

    parts: list[_Part] = []
    corridors: list[_Corridor] = []
    tees_down: dict[int, list[int]] = {}
    tees_up: dict[int, list[int]] = {}
    for n, ((kind, uppers), lowers) in enumerate(net_list):
        pairs_of = {(u, l): vertical_edges.get((kind, u, l), []) for u in uppers for l in lowers}
        all_pairs = [p for pairs in pairs_of.values() for p in pairs]
        trunk_channel = max(boxes[u].band for u in uppers)
        trunk = _Part(n, trunk_channel, kind, groups.add(kind, all_pairs))
        mini: list[_Part] = []
        by_band: dict[int, list[int]] = {}
        for u in uppers:
            by_band.setdefault(boxes[u].band, []).append(u)
        for band, members in sorted(by_band.items()):
            member_groups = [groups.add(kind, [p for l in lowers for p in pairs_of[(u, l)]]) for u in members]
            if band == trunk_channel:
                for u, g in zip(members, member_groups):
                    trunk.ups.append((port_bottom[(u, n)], g))
                    tees_down.setdefault(u, []).append(port_bottom[(u, n)])
                continue
            g_far = groups.add(kind, [p for u in members for l in lowers for p in pairs_of[(u, l)]])
            preferred = sum(port_bottom[(u, n)] for u in members) / len(members)
            x = corridor_x(band, trunk_channel, preferred, n)
            if x is None:
                continue
            part = _Part(n, band, kind, g_far)
            for u, g in zip(members, member_groups):
                part.ups.append((port_bottom[(u, n)], g))
                tees_down.setdefault(u, []).append(port_bottom[(u, n)])
            part.downs.append((x, g_far))
            mini.append(part)
            corridors.append(_Corridor(n, x, band, trunk_channel, kind, g_far))
            trunk.ups.append((x, g_far))
        by_band = {}
        for l in lowers:
            by_band.setdefault(boxes[l].band, []).append(l)
        for band, members in sorted(by_band.items()):
            member_groups = [groups.add(kind, [p for u in uppers for p in pairs_of[(u, l)]]) for l in members]
            if band == trunk_channel + 1:
                for l, g in zip(members, member_groups):
                    trunk.downs.append((port_top[(l, n)], g))
                    tees_up.setdefault(l, []).append(port_top[(l, n)])
                continue
            g_far = groups.add(kind, [p for u in uppers for l in members for p in pairs_of[(u, l)]])
            preferred = sum(port_top[(l, n)] for l in members) / len(members)
            x = corridor_x(trunk_channel, band - 1, preferred, n)
            if x is None:
                continue
            part = _Part(n, band - 1, kind, g_far)
            part.ups.append((x, g_far))
            for l, g in zip(members, member_groups):
                part.downs.append((port_top[(l, n)], g))
                tees_up.setdefault(l, []).append(port_top[(l, n)])
            mini.append(part)
            corridors.append(_Corridor(n, x, trunk_channel, band - 1, kind, g_far))
            trunk.downs.append((x, g_far))
        if trunk.ups and trunk.downs:
            parts.append(trunk)
            parts.extend(mini)

    lag_parts: list[tuple[int, list[tuple[int, int]]]] = []
    for s, (kind, source, targets, pairs) in enumerate(side_nets):
        n = len(net_list) + s
        part = _Part(n, boxes[source].band, kind, groups.add(kind, pairs))
        source_x = port_bottom[(source, n)]
        part.ups.append((source_x, part.group))
        part.side_source = source_x
        tees_down.setdefault(source, []).append(source_x)
        replicas: list[tuple[int, int]] = []
        for t in targets:
            target_pairs = [p for p in pairs if owner[p[0]] == source and owner[p[1]] == t or
                            owner[p[1]] == source and owner[p[0]] == t]
            g = groups.add(kind, target_pairs)
            x = port_bottom[(t, n)]
            part.ups.append((x, g))
            tees_down.setdefault(t, []).append(x)
            replicas.append((x, g))
        parts.append(part)
        if kind == "replication":
            lag_parts.append((len(parts) - 1, replicas))

    tracks = _assign_tracks(parts, corridors, n_bands)
    return _Route(boxes, parts, corridors, links, groups.items, tracks, lag_parts, spans, columns,
                  tees_down, tees_up)


def _assign_tracks(parts: list[_Part], corridors: list[_Corridor], n_channels: int) -> dict[int, int]:
    """Give every bus a track of its channel; returns the number of tracks per channel.

    Buses on one track never overlap or touch; a bus whose vertical comes down at a column
    where another bus's vertical goes on down sits above that other bus, so verticals never
    run into each other (when the constraints form a cycle, one is dropped).
    """
    counts: dict[int, int] = {}
    for channel in range(n_channels):
        members = [p for p in parts if p.channel == channel and p.lo < p.hi]
        for part in parts:
            if part.channel == channel and part.lo == part.hi:
                part.track = 0
        if not members:
            continue
        ups: dict[int, set[int]] = {}
        downs: dict[int, set[int]] = {}
        for i, part in enumerate(members):
            for x, _ in part.ups:
                ups.setdefault(x, set()).add(i)
            for x, _ in part.downs:
                downs.setdefault(x, set()).add(i)
        above: dict[int, set[int]] = {i: set() for i in range(len(members))}
        for x, from_above in ups.items():
            for i in from_above:
                for j in downs.get(x, ()):
                    if i != j:
                        above[j].add(i)
        placed: dict[int, int] = {}
        on_track: dict[int, list[tuple[int, int]]] = {}
        remaining = sorted(range(len(members)), key=lambda i: (members[i].lo, members[i].hi, i))
        while remaining:
            ready = [i for i in remaining if above[i] <= placed.keys()]
            pick = ready[0] if ready else remaining[0]
            remaining.remove(pick)
            part = members[pick]
            track = max([placed[j] + 1 for j in above[pick] if j in placed], default=0)
            while any(part.lo <= hi + 1 and lo <= part.hi + 1 for lo, hi in on_track.get(track, [])):
                track += 1
            placed[pick] = track
            on_track.setdefault(track, []).append((part.lo, part.hi))
            part.track = track
        counts[channel] = max(placed.values()) + 1
    return counts


# --------------------------------------------------------------------------- vertical realisation


def _channel_rows(route: _Route, n_bands: int) -> list[int]:
    """The fewest rows of each channel: its tracks, at least one between two tiers."""
    used = {p.channel for p in route.parts} | {c for cor in route.corridors for c in range(cor.top, cor.bottom + 1)}
    rows = []
    for channel in range(n_bands):
        count = route.tracks.get(channel, 0)
        if channel < n_bands - 1 or channel in used:
            count = max(count, 1)
        rows.append(count)
    return rows


def _realize(graph: _Graph, route: _Route, width: int, height: int, full: bool, titles: bool,
             merged: bool) -> Layout | None:
    """Heights, rows and characters for one box style; ``None`` when it does not fit ``height``."""
    n_bands = len(graph.bands)
    box_h = 3 if full else 1
    global_bands = [b for b, tier in enumerate(graph.bands) if tier in _GLOBAL_TIERS]
    has_regional = any(tier not in _GLOBAL_TIERS for tier in graph.bands)
    show_titles = titles and has_regional and not merged
    title_channel = (global_bands[-1] if global_bands else -1) if show_titles else None

    base = _channel_rows(route, n_bands)
    head = 1 if title_channel == -1 else 0
    title_rows = [1 if title_channel == c else 0 for c in range(n_bands)]
    need = head + n_bands * box_h + sum(base) + sum(title_rows)
    if need > height:
        return None

    # spare rows loosen the inner channels, at most two more each
    extra = [0] * n_bands
    spare = height - need
    inner = list(range(n_bands - 1))
    for _ in range(2):
        for channel in inner:
            if spare > 0:
                extra[channel] += 1
                spare -= 1

    top = spare // 2  # rows still left over: centre the drawing vertically
    band_y: list[int] = []
    channel_y: list[int] = []
    channel_rows: list[int] = []
    y = top + head
    for band in range(n_bands):
        band_y.append(y)
        y += box_h
        channel_y.append(y)
        rows = base[band] + extra[band] + title_rows[band]
        channel_rows.append(rows)
        y += rows
    # the title row sits right under the global tier, above the buses fanning out to the regions
    title_y = top if title_channel == -1 else (channel_y[title_channel] if title_channel is not None else None)

    def track_y(part: _Part) -> int:
        rows = base[part.channel] + extra[part.channel]
        count = route.tracks.get(part.channel, 1) or 1
        return channel_y[part.channel] + title_rows[part.channel] + (rows - count) // 2 + part.track

    def bottom_y(channel: int) -> int:  # last row of a channel, title row included
        return channel_y[channel] + channel_rows[channel] - 1

    # ---- direction bits per cell and net
    bits: dict[tuple[int, int], dict[int, list[int]]] = {}  # cell -> net -> [bits, group, kind-is-replication]

    def mark(x: int, y: int, net: int, b: int, group: int, kind: str) -> None:
        cell = bits.setdefault((x, y), {})
        if net in cell:
            cell[net][0] |= b
        else:
            cell[net] = [b, group, kind == "replication"]

    for part in route.parts:
        ty = track_y(part)
        lo, hi = part.lo, part.hi
        for x in range(lo, hi + 1):
            b = (_E if x < hi else 0) | (_W if x > lo else 0)
            if b:
                mark(x, ty, part.net, b, part.group, part.kind)
        for x, g in part.ups:
            for yy in range(channel_y[part.channel], ty):
                mark(x, yy, part.net, _N | _S, g, part.kind)
            mark(x, ty, part.net, _N, g, part.kind)
        for x, g in part.downs:
            mark(x, ty, part.net, _S, g, part.kind)
            for yy in range(ty + 1, bottom_y(part.channel) + 1):
                mark(x, yy, part.net, _N | _S, g, part.kind)
    for cor in route.corridors:
        for yy in range(bottom_y(cor.top) + 1, channel_y[cor.bottom]):
            mark(cor.x, yy, cor.net, _N | _S, cor.group, cor.kind)
        # the corridor's own rows inside its end channels belong to the end buses' terminals
    for band, x0, x1, kind, group in route.links:
        yy = band_y[band] + box_h // 2
        for x in range(x0, x1 + 1):
            mark(x, yy, -1 - group, _E | _W, group, kind)

    lines: list[LineCell] = []
    occupied: set[tuple[int, int]] = set()
    for (x, yy), nets in sorted(bits.items(), key=lambda item: (item[0][1], item[0][0])):
        entries = list(nets.values())
        verticals = [e for e in entries if e[0] & (_N | _S) and not e[0] & (_E | _W)]
        if len(entries) > 1 and verticals:
            chosen = verticals[0]
            b = chosen[0]
        else:
            chosen = entries[0]
            b = 0
            for e in entries:
                b |= e[0]
        char = _GLYPHS[b]
        if chosen[2]:
            char = _DOTTED.get(char, char)
        lines.append(LineCell(x, yy, char, "replication" if chosen[2] else "traffic", chosen[1]))
        occupied.add((x, yy))

    # ---- boxes, with tees where lines attach
    final: list[Box] = []
    for i, pbox in enumerate(route.boxes):
        y0 = band_y[pbox.band]
        tees: list[tuple[int, int, str]] = []
        if full:
            tees += [(x, y0 + 2, "┬") for x in sorted(set(route.tees_down.get(i, [])))]
            tees += [(x, y0, "┴") for x in sorted(set(route.tees_up.get(i, [])))]
        proto = pbox.proto
        final.append(Box(
            name=proto.members[0] if not proto.aggregate else f"{pbox.region or '*'}/{proto.kind}/{proto.key}",
            x=pbox.x, y=y0, w=pbox.w, h=box_h, members=proto.members, kind=proto.kind,
            label=proto.label, region=pbox.region, band=pbox.band, tees=tuple(tees),
        ))

    # ---- lag slots on replication buses: the stretch next to each replica, towards the source
    slots: list[LagSlot] = []
    for index, replicas in route.lag_parts:
        part = route.parts[index]
        ty = track_y(part)
        xs = sorted(part.xs)
        for x, g in replicas:
            toward = part.side_source if part.side_source is not None else xs[0]
            if x > toward:
                neighbour = max(v for v in xs if v < x)
                start, end = neighbour + 2, x - 2
            else:
                neighbour = min(v for v in xs if v > x)
                start, end = x + 2, neighbour - 2
            if end - start + 1 < 3:
                continue
            if any(len(bits.get((cx, ty), {})) > 1 for cx in range(start, end + 1)):
                continue
            slots.append(LagSlot(start, ty, end - start + 1, g))

    # ---- dotted rules between region columns, where no line crosses
    rules: list[tuple[int, int]] = []
    regional = [b for b, tier in enumerate(graph.bands) if tier not in _GLOBAL_TIERS]
    if not merged and len(route.spans) > 1 and regional:
        first = title_y if title_y is not None else band_y[regional[0]]
        last = band_y[regional[-1]] + box_h - 1
        for x0, span in route.spans[:-1]:
            x = x0 + span + _COLUMN_GAP // 2
            rules += [(x, yy) for yy in range(first, last + 1) if (x, yy) not in occupied]

    # ---- region titles, in the free stretch of the title row
    title_list: list[Title] = []
    if title_y is not None:
        for column, (x0, span) in enumerate(route.spans):
            name = route.column_names[column]
            free_runs: list[tuple[int, int]] = []
            start = None
            for x in range(x0, x0 + span + 1):
                free = x < x0 + span and (x, title_y) not in occupied
                if free and start is None:
                    start = x
                elif not free and start is not None:
                    free_runs.append((start, x - start))
                    start = None
            runs = [(s, n) for s, n in free_runs if n >= 3]
            if not runs:
                continue
            fitting = [(s, n) for s, n in runs if n >= cell_len(name) + (1 if s > x0 else 0)]
            s, n = fitting[0] if fitting else max(runs, key=lambda r: (r[1], -r[0]))
            pad = 1 if s > x0 and n > cell_len(name) else 0
            text = fit_text(name, n - pad, middle=False)
            title_list.append(Title(s + pad, title_y, text, name))

    return Layout(
        width=width, height=height, boxes=tuple(final), lines=tuple(lines), groups=tuple(route.groups),
        titles=tuple(title_list), lag_slots=tuple(slots), rules=tuple(rules), style="full" if full else "compact",
        merged=merged, fits=True, needed=(width, height),
        nodes={node.name: node for node in graph.nodes}, edges=dict(graph.edge_views),
    )


# --------------------------------------------------------------------------- entry point


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
