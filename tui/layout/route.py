"""Routing the edges: nets and ports on the boxes, buses in the channels between tiers, corridors down past skipped tiers, tracks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import EdgeGroup, _COLUMN_GAP, _GLOBAL_TIERS
from .plan import _Graph, _PBox, _Unit, _place


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
def _spread(box: _PBox, count: int, slot: int) -> int:
    """The x of port ``slot`` of ``count`` on ``box``'s border, spread over its inside."""
    inside = max(box.w - 2, 1)
    return box.x + 1 + (inside * (2 * slot + 1)) // (2 * count)


def _snap(ports: dict[tuple[int, int], int], key: tuple[int, int], box: _PBox, across: list[int]) -> None:
    """Move the port ``key`` of ``box`` onto the nearest of ``across`` that lies inside the box."""
    inside = [x for x in across if box.x < x < box.x + box.w - 1]
    if inside:
        ports[key] = min(inside, key=lambda x: (abs(x - box.center), x))


Pairs = list[tuple[str, str]]
_Net = tuple[tuple[str, tuple[int, ...]], list[int]]  # ((kind, upper boxes), lower boxes)
_SideNet = tuple[str, int, list[int], Pairs]  # kind, source box, the other boxes, node pairs


@dataclass
class _Nets:
    """The box-level edges sorted out: nets across channels, edges within a row."""

    nets: list[_Net]
    vertical_edges: dict[tuple[str, int, int], Pairs]  # (kind, upper, lower) -> node pairs
    side: list[tuple[int, int, str, Pairs]]  # edges between boxes of one row


def _nets(graph: _Graph, boxes: list[_PBox], owner: dict[str, int]) -> _Nets:
    """Box-level edges; lower boxes with the same set of upper boxes share one net (one bus)."""
    box_edges: dict[tuple[int, int, str], Pairs] = {}
    for source, target, kind in graph.edges:
        a, b = owner[source], owner[target]
        if a != b:
            box_edges.setdefault((a, b, kind), []).append((source, target))
    upper_sets: dict[tuple[str, int], set[int]] = {}
    vertical_edges: dict[tuple[str, int, int], Pairs] = {}
    side: list[tuple[int, int, str, Pairs]] = []
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
    return _Nets(net_list, vertical_edges, side)


def _same_row(boxes: list[_PBox], side: list[tuple[int, int, str, Pairs]], groups: _Groups,
              ) -> tuple[list[tuple[int, int, int, str, int]], list[_SideNet], dict[int, set[int]]]:
    """Straight links between neighbours in a row (traffic only); other same-row edges become side nets."""
    row_of: dict[int, list[int]] = {}
    for i, box in enumerate(boxes):
        row_of.setdefault(box.band, []).append(i)
    for members in row_of.values():
        members.sort(key=lambda i: boxes[i].x)
    links: list[tuple[int, int, int, str, int]] = []
    side_by_source: dict[tuple[str, int], list[tuple[int, Pairs]]] = {}
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
    side_nets: list[_SideNet] = []
    for (kind, source), targets in sorted(side_by_source.items(), key=lambda item: (item[0][0], item[0][1])):
        side_nets.append((kind, source, [t for t, _ in targets], [p for _, pairs in targets for p in pairs]))
    return links, side_nets, link_cells


@dataclass
class _Ports:
    """Where each net leaves or enters each box: ``(box, net) -> x``, and the nets per side of a box."""

    bottom: dict[tuple[int, int], int]
    top: dict[tuple[int, int], int]
    bottom_nets: dict[int, list[tuple[float, int]]]
    top_nets: dict[int, list[tuple[float, int]]]


def _ports(boxes: list[_PBox], net_list: list[_Net], side_nets: list[_SideNet]) -> _Ports:
    """One port per net and side of a box, ordered by where the net goes."""
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
    ports = _Ports({}, {}, bottom_nets, top_nets)
    for found, table in ((ports.bottom, bottom_nets), (ports.top, top_nets)):
        for i, entries in table.items():
            entries.sort()
            for slot, (_, n) in enumerate(entries):
                found[(i, n)] = _spread(boxes[i], len(entries), slot)
    _line_up(boxes, net_list, ports)
    return ports


def _line_up(boxes: list[_PBox], net_list: list[_Net], ports: _Ports) -> None:
    """A box's only port on a side lines up with a port across the channel when it can: no jog."""
    for n, ((kind, uppers), lowers) in enumerate(net_list):
        for l in lowers:
            if len(ports.top_nets[l]) == 1:
                across = [ports.bottom[(u, n)] for u in uppers if boxes[u].band == boxes[l].band - 1]
                _snap(ports.top, (l, n), boxes[l], across)
        for u in uppers:
            if len(ports.bottom_nets[u]) == 1:
                across = [ports.top[(l, n)] for l in lowers if boxes[l].band == boxes[u].band + 1]
                _snap(ports.bottom, (u, n), boxes[u], across)


class _Occupancy:
    """Which columns are taken, per band (boxes, links, rules) and per channel (verticals): for corridors."""

    def __init__(self, graph: _Graph, boxes: list[_PBox], spans: list[tuple[int, int]], merged: bool,
                 link_cells: dict[int, set[int]], ports: _Ports, width: int) -> None:
        n_bands = len(graph.bands)
        self.width = width
        self.band_blocked: list[set[int]] = [set() for _ in range(n_bands)]
        for box in boxes:
            self.band_blocked[box.band].update(range(box.x, box.x + box.w))
        for band, cells in link_cells.items():
            self.band_blocked[band].update(cells)
        self.channel_used: list[dict[int, int]] = [{} for _ in range(n_bands)]  # x -> the net whose vertical it is
        if not merged and len(spans) > 1:  # the rules between region columns: no corridor on or beside them
            for x0, span in spans[:-1]:
                for channel in self.channel_used:
                    channel[x0 + span + _COLUMN_GAP // 2] = -1
                for band, tier in enumerate(graph.bands):
                    if tier not in _GLOBAL_TIERS:
                        self.band_blocked[band].add(x0 + span + _COLUMN_GAP // 2)
        for (i, n), x in ports.bottom.items():
            self.channel_used[boxes[i].band][x] = n
        for (i, n), x in ports.top.items():
            self.channel_used[boxes[i].band - 1][x] = n

    def corridor_x(self, top: int, bottom: int, preferred: float, net: int) -> int | None:
        """A free column from channel ``top`` down to channel ``bottom``, nearest ``preferred``; taken if found."""
        band_blocked, channel_used = self.band_blocked, self.channel_used
        best: int | None = None

        def cost(x: int) -> tuple[float, int]:
            hugging = any(x - 1 in band_blocked[b] or x + 1 in band_blocked[b] for b in range(top + 1, bottom + 1))
            return (abs(x - preferred) + (3 if hugging else 0), x)

        for x in sorted(range(self.width), key=cost):
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


@dataclass
class _Wiring:
    """What routing the nets produces: buses, corridors, and where lines meet the boxes."""

    parts: list[_Part] = field(default_factory=list)
    corridors: list[_Corridor] = field(default_factory=list)
    tees_down: dict[int, list[int]] = field(default_factory=dict)
    tees_up: dict[int, list[int]] = field(default_factory=dict)
    lag_parts: list[tuple[int, list[tuple[int, int]]]] = field(default_factory=list)


def _route_net(n: int, net: _Net, boxes: list[_PBox], nets: _Nets, ports: _Ports, room: _Occupancy,
               groups: _Groups, wiring: _Wiring) -> None:
    """One net: a trunk bus in the channel under its lowest upper box, corridors to the boxes farther away."""
    (kind, uppers), lowers = net
    pairs_of = {(u, l): nets.vertical_edges.get((kind, u, l), []) for u in uppers for l in lowers}
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
                trunk.ups.append((ports.bottom[(u, n)], g))
                wiring.tees_down.setdefault(u, []).append(ports.bottom[(u, n)])
            continue
        g_far = groups.add(kind, [p for u in members for l in lowers for p in pairs_of[(u, l)]])
        preferred = sum(ports.bottom[(u, n)] for u in members) / len(members)
        x = room.corridor_x(band, trunk_channel, preferred, n)
        if x is None:
            continue
        part = _Part(n, band, kind, g_far)
        for u, g in zip(members, member_groups):
            part.ups.append((ports.bottom[(u, n)], g))
            wiring.tees_down.setdefault(u, []).append(ports.bottom[(u, n)])
        part.downs.append((x, g_far))
        mini.append(part)
        wiring.corridors.append(_Corridor(n, x, band, trunk_channel, kind, g_far))
        trunk.ups.append((x, g_far))
    _route_down(n, kind, uppers, lowers, pairs_of, trunk, mini, boxes, ports, room, groups, wiring)
    if trunk.ups and trunk.downs:
        wiring.parts.append(trunk)
        wiring.parts.extend(mini)


def _route_down(n: int, kind: str, uppers: tuple[int, ...], lowers: list[int], pairs_of: dict[tuple[int, int], Pairs],
                trunk: _Part, mini: list[_Part], boxes: list[_PBox], ports: _Ports, room: _Occupancy,
                groups: _Groups, wiring: _Wiring) -> None:
    """The lower ends of a net: straight down from the trunk, or down a corridor to a farther tier."""
    trunk_channel = trunk.channel
    by_band: dict[int, list[int]] = {}
    for l in lowers:
        by_band.setdefault(boxes[l].band, []).append(l)
    for band, members in sorted(by_band.items()):
        member_groups = [groups.add(kind, [p for u in uppers for p in pairs_of[(u, l)]]) for l in members]
        if band == trunk_channel + 1:
            for l, g in zip(members, member_groups):
                trunk.downs.append((ports.top[(l, n)], g))
                wiring.tees_up.setdefault(l, []).append(ports.top[(l, n)])
            continue
        g_far = groups.add(kind, [p for u in uppers for l in members for p in pairs_of[(u, l)]])
        preferred = sum(ports.top[(l, n)] for l in members) / len(members)
        x = room.corridor_x(trunk_channel, band - 1, preferred, n)
        if x is None:
            continue
        part = _Part(n, band - 1, kind, g_far)
        part.ups.append((x, g_far))
        for l, g in zip(members, member_groups):
            part.downs.append((ports.top[(l, n)], g))
            wiring.tees_up.setdefault(l, []).append(ports.top[(l, n)])
        mini.append(part)
        wiring.corridors.append(_Corridor(n, x, trunk_channel, band - 1, kind, g_far))
        trunk.downs.append((x, g_far))


def _route_side(n: int, side_net: _SideNet, boxes: list[_PBox], owner: dict[str, int], ports: _Ports,
                groups: _Groups, wiring: _Wiring) -> None:
    """A same-row net (replication, a CDN in front of its DNS): a bus in the channel below the row."""
    kind, source, targets, pairs = side_net
    part = _Part(n, boxes[source].band, kind, groups.add(kind, pairs))
    source_x = ports.bottom[(source, n)]
    part.ups.append((source_x, part.group))
    part.side_source = source_x
    wiring.tees_down.setdefault(source, []).append(source_x)
    replicas: list[tuple[int, int]] = []
    for t in targets:
        target_pairs = [p for p in pairs if owner[p[0]] == source and owner[p[1]] == t or
                        owner[p[1]] == source and owner[p[0]] == t]
        g = groups.add(kind, target_pairs)
        x = ports.bottom[(t, n)]
        part.ups.append((x, g))
        wiring.tees_down.setdefault(t, []).append(x)
        replicas.append((x, g))
    wiring.parts.append(part)
    if kind == "replication":
        wiring.lag_parts.append((len(wiring.parts) - 1, replicas))


def _route(graph: _Graph, units: list[_Unit], spans: list[tuple[int, int]], width: int, merged: bool) -> _Route:
    """Place the boxes and route every edge; vertical positions come later."""
    columns = ["*"] if merged else list(graph.regions)
    boxes, owner = _place(graph, units, spans, width, columns, merged)
    groups = _Groups()
    nets = _nets(graph, boxes, owner)
    links, side_nets, link_cells = _same_row(boxes, nets.side, groups)
    ports = _ports(boxes, nets.nets, side_nets)
    room = _Occupancy(graph, boxes, spans, merged, link_cells, ports, width)
    wiring = _Wiring()
    for n, net in enumerate(nets.nets):
        _route_net(n, net, boxes, nets, ports, room, groups, wiring)
    for s, side_net in enumerate(side_nets):
        _route_side(len(nets.nets) + s, side_net, boxes, owner, ports, groups, wiring)
    tracks = _assign_tracks(wiring.parts, wiring.corridors, len(graph.bands))
    return _Route(boxes, wiring.parts, wiring.corridors, links, groups.items, tracks, wiring.lag_parts, spans,
                  columns, wiring.tees_down, wiring.tees_up)


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
