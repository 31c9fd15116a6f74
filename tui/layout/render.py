"""A laid-out topology (:class:`Layout`) and how it paints itself: box faces, lag labels, cells and text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from .model import Box, Cell, EdgeGroup, EdgeMap, LagSlot, LineCell, NodeLike, NodeMap, STATE_SYMBOLS, Title, _FINE_STATES, _SEVERITY, _STATUS_ROOM, _char_len, _head, aggregate_state, cell_len, fit_text, format_lag


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
