"""The vertical realisation: heights of boxes and channels, the line glyphs, tees, lag slots, rules and region titles of one box style."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .model import (
    _COLUMN_GAP, _DOTTED, _E, _GLOBAL_TIERS, _GLYPHS, _N, _S, _W, Box, LagSlot, LineCell, Title, cell_len, fit_text,
)
from .plan import _Graph
from .render import Layout
from .route import _Part, _Route


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


@dataclass
class _Rows:
    """Where each band of boxes and each channel between them sits, for one box style and height."""

    box_h: int
    band_y: list[int]
    channel_y: list[int]
    channel_rows: list[int]
    base: list[int]
    extra: list[int]
    title_rows: list[int]
    title_y: int | None

    def track_y(self, part: _Part, tracks: dict[int, int]) -> int:
        """The row of a bus: its track, the tracks centred in the channel under its title row."""
        rows = self.base[part.channel] + self.extra[part.channel]
        count = tracks.get(part.channel, 1) or 1
        return self.channel_y[part.channel] + self.title_rows[part.channel] + (rows - count) // 2 + part.track

    def bottom_y(self, channel: int) -> int:
        """The last row of a channel, title row included."""
        return self.channel_y[channel] + self.channel_rows[channel] - 1


def _rows(graph: _Graph, route: _Route, height: int, full: bool, titles: bool, merged: bool) -> _Rows | None:
    """Rows for boxes, channels and the title row; ``None`` when they do not fit ``height``."""
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
    return _Rows(box_h, band_y, channel_y, channel_rows, base, extra, title_rows, title_y)


_Bits = dict[tuple[int, int], dict[int, list[int]]]  # cell -> net -> [bits, group, kind-is-replication]


def _bits(route: _Route, rows: _Rows) -> _Bits:
    """The direction bits of every line cell, per net."""
    bits: _Bits = {}

    def mark(x: int, y: int, net: int, b: int, group: int, kind: str) -> None:
        cell = bits.setdefault((x, y), {})
        if net in cell:
            cell[net][0] |= b
        else:
            cell[net] = [b, group, kind == "replication"]

    for part in route.parts:
        ty = rows.track_y(part, route.tracks)
        lo, hi = part.lo, part.hi
        for x in range(lo, hi + 1):
            b = (_E if x < hi else 0) | (_W if x > lo else 0)
            if b:
                mark(x, ty, part.net, b, part.group, part.kind)
        for x, g in part.ups:
            for yy in range(rows.channel_y[part.channel], ty):
                mark(x, yy, part.net, _N | _S, g, part.kind)
            mark(x, ty, part.net, _N, g, part.kind)
        for x, g in part.downs:
            mark(x, ty, part.net, _S, g, part.kind)
            for yy in range(ty + 1, rows.bottom_y(part.channel) + 1):
                mark(x, yy, part.net, _N | _S, g, part.kind)
    for cor in route.corridors:
        for yy in range(rows.bottom_y(cor.top) + 1, rows.channel_y[cor.bottom]):
            mark(cor.x, yy, cor.net, _N | _S, cor.group, cor.kind)
        # the corridor's own rows inside its end channels belong to the end buses' terminals
    for band, x0, x1, kind, group in route.links:
        yy = rows.band_y[band] + rows.box_h // 2
        for x in range(x0, x1 + 1):
            mark(x, yy, -1 - group, _E | _W, group, kind)
    return bits


def _lines(bits: _Bits) -> tuple[list[LineCell], set[tuple[int, int]]]:
    """One glyph per line cell (a vertical wins a crossing); and the cells they take."""
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
    return lines, occupied


def _boxes(route: _Route, rows: _Rows, full: bool) -> list[Box]:
    """The boxes, with tees where lines attach."""
    final: list[Box] = []
    for i, pbox in enumerate(route.boxes):
        y0 = rows.band_y[pbox.band]
        tees: list[tuple[int, int, str]] = []
        if full:
            tees += [(x, y0 + 2, "┬") for x in sorted(set(route.tees_down.get(i, [])))]
            tees += [(x, y0, "┴") for x in sorted(set(route.tees_up.get(i, [])))]
        proto = pbox.proto
        final.append(Box(
            name=proto.members[0] if not proto.aggregate else f"{pbox.region or '*'}/{proto.kind}/{proto.key}",
            x=pbox.x, y=y0, w=pbox.w, h=rows.box_h, members=proto.members, kind=proto.kind,
            label=proto.label, region=pbox.region, band=pbox.band, tees=tuple(tees),
        ))
    return final


def _lag_slots(route: _Route, rows: _Rows, bits: _Bits) -> list[LagSlot]:
    """Lag slots on replication buses: the stretch next to each replica, towards the source."""
    slots: list[LagSlot] = []
    for index, replicas in route.lag_parts:
        part = route.parts[index]
        ty = rows.track_y(part, route.tracks)
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
    return slots


def _rules(graph: _Graph, route: _Route, rows: _Rows, merged: bool, occupied: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Dotted rules between region columns, where no line crosses."""
    rules: list[tuple[int, int]] = []
    regional = [b for b, tier in enumerate(graph.bands) if tier not in _GLOBAL_TIERS]
    if not merged and len(route.spans) > 1 and regional:
        first = rows.title_y if rows.title_y is not None else rows.band_y[regional[0]]
        last = rows.band_y[regional[-1]] + rows.box_h - 1
        for x0, span in route.spans[:-1]:
            x = x0 + span + _COLUMN_GAP // 2
            rules += [(x, yy) for yy in range(first, last + 1) if (x, yy) not in occupied]
    return rules


def _free_runs(x0: int, span: int, y: int, taken: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """The stretches of free cells of row ``y`` within a column (``x0``, ``span``), as (start, length)."""
    runs: list[tuple[int, int]] = []
    start = None
    for x in range(x0, x0 + span + 1):
        free = x < x0 + span and (x, y) not in taken
        if free and start is None:
            start = x
        elif not free and start is not None:
            runs.append((start, x - start))
            start = None
    return runs


def _titles(route: _Route, title_y: int | None, occupied: set[tuple[int, int]]) -> list[Title]:
    """Region titles, in the free stretch of the title row."""
    title_list: list[Title] = []
    if title_y is None:
        return title_list
    for column, (x0, span) in enumerate(route.spans):
        name = route.column_names[column]
        runs = [(s, n) for s, n in _free_runs(x0, span, title_y, occupied) if n >= 3]
        if not runs:
            continue
        fitting = [(s, n) for s, n in runs if n >= cell_len(name) + (1 if s > x0 else 0)]
        s, n = fitting[0] if fitting else max(runs, key=lambda r: (r[1], -r[0]))
        pad = 1 if s > x0 and n > cell_len(name) else 0
        text = fit_text(name, n - pad, middle=False)
        title_list.append(Title(s + pad, title_y, text, name))
    return title_list


def _tucked_titles(graph: _Graph, route: _Route, rows: _Rows, boxes: Sequence[Box], merged: bool,
                   occupied: set[tuple[int, int]]) -> list[Title]:
    """Region titles when no row of their own fits: each in the lowest free stretch of its column above the regions.

    The rows above the first regional tier hold the global tier and its lines, and
    usually room beside them; a title goes where it fits whole (nearest its column),
    else shortened into the widest stretch there is. No room at all: no title.
    """
    regional = [b for b, tier in enumerate(graph.bands) if tier not in _GLOBAL_TIERS]
    if merged or not regional or not route.spans:
        return []
    taken = set(occupied)
    for box in boxes:
        taken.update((x, y) for x in range(box.x - 1, box.x + box.w + 1) for y in range(box.y, box.y + box.h))
    titles: list[Title] = []
    for column, (x0, span) in enumerate(route.spans):
        name = route.column_names[column]
        best: tuple[int, int, int] | None = None  # (y, start, length) of the widest stretch seen
        for y in range(rows.band_y[regional[0]] - 1, -1, -1):
            # a blank between the title and whatever is beside it (a line, another column)
            stretches = [(start + (1 if start > x0 else 0), start + n - (1 if start + n < x0 + span else 0))
                         for start, n in _free_runs(x0, span, y, taken)]
            whole = next((first for first, last in stretches if last - first >= cell_len(name)), None)
            if whole is not None:
                titles.append(Title(whole, y, name, name))
                break
            for first, last in stretches:
                if best is None or last - first > best[2]:
                    best = (y, first, last - first)
        else:
            if best is not None and best[2] >= 3:
                y, first, length = best
                titles.append(Title(first, y, fit_text(name, length, middle=False), name))
    return titles


def _realize(graph: _Graph, route: _Route, width: int, height: int, full: bool, titles: bool,
             merged: bool) -> Layout | None:
    """Heights, rows and characters for one box style; ``None`` when it does not fit ``height``."""
    rows = _rows(graph, route, height, full, titles, merged)
    if rows is None:
        return None
    bits = _bits(route, rows)
    lines, occupied = _lines(bits)
    boxes = _boxes(route, rows, full)
    placed = (_titles(route, rows.title_y, occupied) if rows.title_y is not None
              else _tucked_titles(graph, route, rows, boxes, merged, occupied))
    return Layout(
        width=width, height=height, boxes=tuple(boxes), lines=tuple(lines),
        groups=tuple(route.groups), titles=tuple(placed),
        lag_slots=tuple(_lag_slots(route, rows, bits)), rules=tuple(_rules(graph, route, rows, merged, occupied)),
        style="full" if full else "compact", merged=merged, fits=True, needed=(width, height),
        nodes={node.name: node for node in graph.nodes}, edges=dict(graph.edge_views),
    )
