"""Planning the drawing: tiers and regions as bands and columns, nodes as boxes (shortened, then aggregated) and where each box goes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from .model import AGGREGATE_GAP, EdgeLike, NodeLike, _BOX_PAD, _COLUMN_GAP, _GLOBAL_TIERS, _KIND_SHORT, _LADDER, _MAX_SPREAD, _MIN_COLUMN, _STATUS_ROOM, _TIER_OF_KIND, _UNKNOWN_TIER, cell_len


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
