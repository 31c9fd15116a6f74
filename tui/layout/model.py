"""What a layout is made of: the nodes and edges it reads, tiers and state symbols, text fitting, and the boxes, lines and cells it produces."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol


# --------------------------------------------------------------------------- inputs


class NodeLike(Protocol):
    """What the layout reads of a node (``engine.sim.snapshot.NodeView`` has all of it)."""

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
    """What the layout reads of an edge (``engine.sim.snapshot.EdgeView`` has all of it)."""

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
    "no data": "?",
    "standby": "○",
    "promoting": "↑",
    "fenced": "⊘",
    "booting": "…",
    "draining": "↓",
    "destroyed": "☠",
}
"""The symbol drawn before every node label, so states read without colour."""

_SEVERITY = ("destroyed", "down", "no data", "fenced", "degraded", "promoting", "booting", "draining", "standby", "healthy")
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
