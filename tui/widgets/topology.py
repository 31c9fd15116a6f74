"""The live architecture: every node as a box in its tier and region, every edge as a line.

:class:`TopologyView` draws what :func:`tui.layout.layout` places. It lays out
again only when the node names, the edge structure or its own size change;
every other snapshot only repaints states, roles, progress, traffic and lag.
A state reads by colour and by symbol (``✓ ! ✗ ○ ↑ ⊘ … ↓ ☠``), so the picture
works without colour too. Arrow keys (and ``h j k l``) move the selection
spatially, stepping through a group's members on the way (``lb ×2``), a click
selects a box (again: its next member); each change posts
:class:`TopologyView.NodeSelected`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import replace

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from engine.sim.snapshot import EdgeView, NodeView, Snapshot

from ..layout import STATE_SYMBOLS, Box, Cell, EdgeGroup, Layout, aggregate_state, format_lag, layout

__all__ = ["TopologyView"]

_DEAD = frozenset({"down", "destroyed", "fenced"})
"""States in which a node takes no traffic: a line into it is drawn as failing."""

MOVE_HELP = ("move the selection on the diagram; in a group's box (lb ×2) ← → step through its members "
             "one by one before leaving it (a click on the selected group selects its next member)")
"""What help says about the diagram's arrow keys (their bindings' tooltip)."""

_BOX_ROLES = frozenset({"border", "symbol", "text", "marker", "progress"})


class TopologyView(Widget, can_focus=True):
    """The architecture as boxes and lines, with a selectable node.

    Feed it with :meth:`update_snapshot`; read or set :attr:`selected`.
    """

    DEFAULT_CSS = """
    TopologyView { width: 1fr; height: 1fr; }
    TopologyView > .topology--healthy { color: $text-success; }
    TopologyView > .topology--degraded { color: $text-warning; }
    TopologyView > .topology--down { color: $text-error; text-style: bold; }
    TopologyView > .topology--no-data { color: $text-warning; text-style: bold; }
    TopologyView > .topology--destroyed { color: $text-error; text-style: bold; }
    TopologyView > .topology--fenced { color: $text-secondary; text-style: bold; }
    TopologyView > .topology--standby { color: $text-muted; }
    TopologyView > .topology--promoting { color: $text-accent; text-style: bold; }
    TopologyView > .topology--booting { color: $text-accent; }
    TopologyView > .topology--draining { color: $text-warning; }
    TopologyView > .topology--label { color: $foreground; }
    TopologyView > .topology--marker { color: $foreground; text-style: bold; }
    TopologyView > .topology--progress { color: $text-accent; text-style: bold; }
    TopologyView > .topology--selected { text-style: reverse; }
    TopologyView > .topology--edge { color: $foreground; }
    TopologyView > .topology--edge-idle { color: $foreground-disabled; }
    TopologyView > .topology--edge-dead { color: $text-error; }
    TopologyView > .topology--replication { color: $text-primary; }
    TopologyView > .topology--replication-broken { color: $text-error; text-style: bold; }
    TopologyView > .topology--title { color: $text-muted; text-style: bold; }
    TopologyView > .topology--rule { color: $foreground-disabled; }
    TopologyView > .topology--message { color: $text-muted; }
    """

    COMPONENT_CLASSES = {
        *(f"topology--{state.replace(' ', '-')}" for state in STATE_SYMBOLS),
        "topology--label",
        "topology--marker",
        "topology--progress",
        "topology--selected",
        "topology--edge",
        "topology--edge-idle",
        "topology--edge-dead",
        "topology--replication",
        "topology--replication-broken",
        "topology--title",
        "topology--rule",
        "topology--message",
    }

    BINDINGS: list[BindingType] = [
        Binding("left,h", "move('left')", "Left", show=False, tooltip=MOVE_HELP),
        Binding("right,l", "move('right')", "Right", show=False, tooltip=MOVE_HELP),
        Binding("up,k", "move('up')", "Up", show=False, tooltip=MOVE_HELP),
        Binding("down,j", "move('down')", "Down", show=False, tooltip=MOVE_HELP),
    ]

    selected: reactive[str | None] = reactive(None)
    """The selected node's name (for an aggregated box, the member chosen; its first by default)."""

    class NodeSelected(Message):
        """The selection moved to another node."""

        def __init__(self, topology_view: TopologyView, node: str, members: tuple[str, ...]) -> None:
            super().__init__()
            self.topology_view = topology_view
            """The view the selection changed in."""
            self.node = node
            """The selected node's name."""
            self.members = members
            """Every node of the selected box: just ``node`` unless the box is an aggregate."""

        @property
        def control(self) -> TopologyView:
            """The view the selection changed in."""
            return self.topology_view

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None,
                 disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._snapshot: Snapshot | None = None
        self._layout: Layout | None = None
        self._layout_key: tuple[object, ...] | None = None
        self._paint_key: tuple[object, ...] | None = None
        self._node_views: dict[str, NodeView] = {}
        self._edge_views: dict[tuple[str, str, str], EdgeView] = {}
        self._strips: list[Strip] | None = None

    # ------------------------------------------------------------------ data in

    @property
    def snapshot(self) -> Snapshot | None:
        """The last snapshot shown."""
        return self._snapshot

    @property
    def topology_layout(self) -> Layout | None:
        """The current layout (``None`` before the first snapshot)."""
        return self._layout

    def update_snapshot(self, snapshot: Snapshot) -> None:
        """Show ``snapshot``: lays out again only when what the layout reads or the size changed, and
        repaints (only the rows that changed) only when what it draws changed. Nodes the trainee marked
        as suspected SPOFs (a SPOF hunt) carry :data:`HUNT_MARK` in front of their label."""
        snapshot = with_hunt_marks(snapshot)
        self._snapshot = snapshot
        self._node_views = {node.name: node for node in snapshot.nodes}
        self._edge_views = {(edge.source, edge.target, edge.kind): edge for edge in snapshot.edges}
        if self.selected is not None and self.selected not in self._node_views:
            self.selected = None
        if self._relayout():
            return
        key = _paint_key(snapshot)
        if key != self._paint_key:
            self._paint_key = key
            self._repaint()

    def _relayout(self) -> bool:
        """Lay out again if the structure or the size changed; True when it did."""
        snapshot = self._snapshot
        if snapshot is None:
            return False
        size = self.size
        if not size.width or not size.height:  # not laid out on screen yet: wait for the first resize
            return False
        key = (  # what tui.layout reads (names, kinds, regions, groups, labels, the edges) and the size
            tuple((node.name, node.kind, node.region, node.group, node.label) for node in snapshot.nodes),
            tuple((edge.source, edge.target, edge.kind) for edge in snapshot.edges),
            snapshot.regions,
            size.width,
            size.height,
        )
        if key == self._layout_key:
            return False
        self._layout_key = key
        self._layout = layout(snapshot.nodes, snapshot.edges, snapshot.regions, size.width, size.height)
        self._paint_key = _paint_key(snapshot)
        self._invalidate()
        return True

    def _invalidate(self) -> None:
        """Everything changed (a new layout): render every row again."""
        self._strips = None
        self.refresh()

    def _repaint(self) -> None:
        """Same layout, new states or selection: render now and refresh only the rows that differ."""
        old = self._strips
        if old is None or not self.is_mounted or not self.size.area:
            self._invalidate()
            return
        new = self._render_strips()
        self._strips = new
        if len(new) != len(old):
            self.refresh()
            return
        width = self.size.width
        changed = [Region(0, y, width, 1) for y, (before, after) in enumerate(zip(old, new)) if before != after]
        if changed:
            self.refresh(*changed)

    # ------------------------------------------------------------------ events

    def on_resize(self, event: events.Resize) -> None:
        """A new size: lay out again to use the room there is."""
        self._relayout()

    def notify_style_update(self) -> None:
        """The theme or CSS changed: repaint with the new colours."""
        super().notify_style_update()
        self._strips = None

    def on_click(self, event: events.Click) -> None:
        """Select the box under the mouse."""
        offset = event.get_content_offset(self)
        if offset is None or self._layout is None:
            return
        box = self._layout.box_at(offset.x, offset.y)
        if box is None:
            return
        members = box.members
        if self.selected not in members:
            self.selected = members[0]
        elif event.button == 1:  # a click on the selected group's box selects its next member
            self.selected = members[(members.index(self.selected) + 1) % len(members)]

    def watch_selected(self, old: str | None, new: str | None) -> None:
        """Highlight the new selection and say so."""
        self._repaint()
        if new is None:
            return
        box = self._layout.box_of(new) if self._layout is not None else None
        members = box.members if box is not None else (new,)
        self.post_message(self.NodeSelected(self, new, members))

    def action_move(self, direction: str) -> None:
        """Move the selection ``left``, ``right``, ``up`` or ``down``.

        In a group's box (``lb ×2``) ``left`` and ``right`` first step through its
        members one by one, then leave it; a box entered from the right starts at
        its last member, so going back and forth visits every member.
        """
        current = self._layout.box_of(self.selected) if self._layout is not None and self.selected else None
        if current is not None and current.aggregate and direction in ("left", "right"):
            index = current.members.index(self.selected) + (1 if direction == "right" else -1)
            if 0 <= index < len(current.members):
                self.selected = current.members[index]
                return
        target = _neighbour(self._layout.boxes if self._layout else (), current, direction)
        if target is not None and (current is None or target is not current):
            self.selected = target.members[-1 if direction == "left" else 0]

    # ------------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        """One row of the canvas."""
        if self._strips is None:
            self._strips = self._render_strips()
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _render_strips(self) -> list[Strip]:
        width, height = self.size
        base = self.rich_style
        lay = self._layout
        if self._snapshot is None or lay is None:
            return self._message("waiting for the first snapshot", width, height)
        if not lay.fits:
            need_w, need_h = lay.needed
            return self._message(f"enlarge the terminal to see the topology (needs {need_w}x{need_h})", width, height)
        if not lay.boxes:
            return self._message("no nodes in this scenario", width, height)
        styles = self._styles(lay)
        strips = []
        for row in lay.paint(self._node_views, self._edge_views):
            segments: list[Segment] = []
            run: list[str] = []
            run_style: Style | None = None
            for cell in row:
                style = styles(cell)
                if style is not run_style and run:
                    segments.append(Segment("".join(run), run_style))
                    run = []
                run_style = style
                run.append(cell.char)
            if run:
                segments.append(Segment("".join(run), run_style))
            strips.append(Strip(segments, lay.width).adjust_cell_length(width, base))
        while len(strips) < height:
            strips.append(Strip.blank(width, base))
        return strips

    def _message(self, text: str, width: int, height: int) -> list[Strip]:
        """``text`` wrapped and centred in the panel."""
        base = self.rich_style
        style = self.get_component_rich_style("topology--message")
        lines = textwrap.wrap(text, max(width, 1)) or [""]
        top = max((height - len(lines)) // 2, 0)
        strips = [Strip.blank(width, base) for _ in range(height)]
        for i, line in enumerate(lines[: max(height, 0)]):
            left = max((width - len(line)) // 2, 0)
            segments = [Segment(" " * left, base), Segment(line[:width], style)]
            strips[min(top + i, height - 1)] = Strip(segments).adjust_cell_length(width, base)
        return strips

    def _styles(self, lay: Layout) -> Callable[[Cell], Style]:
        """A function from a painted cell to its Rich style, for this snapshot and selection."""
        component = self.get_component_rich_style
        base = self.rich_style
        selected_box = lay.box_index(self.selected) if self.selected else None
        reverse = component("topology--selected", partial=True)
        box_style: dict[int, Style] = {}
        for index, box in enumerate(lay.boxes):
            box_style[index] = component(f"topology--{_box_state(box, self._node_views).replace(' ', '-')}")
        group_style = [component(_edge_class(group, self._node_views, self._edge_views)) for group in lay.groups]
        fixed = {
            "blank": base,
            "title": component("topology--title"),
            "rule": component("topology--rule"),
        }
        text_style = {
            "text": component("topology--label"),
            "marker": component("topology--marker"),
            "progress": component("topology--progress"),
        }
        cache: dict[tuple[str, int], Style] = {}

        def style_of(cell: Cell) -> Style:
            key = (cell.role, cell.ref)
            found = cache.get(key)
            if found is not None:
                return found
            if cell.role in _BOX_ROLES:
                style = box_style[cell.ref] if cell.role in ("border", "symbol") else text_style[cell.role]
                if cell.role == "symbol":
                    style = style + Style(bold=True)
                if cell.ref == selected_box:
                    style = style + reverse
            elif cell.role in ("line", "lag"):
                style = group_style[cell.ref]
            else:
                style = fixed.get(cell.role, base)
            cache[key] = style
            return style

        return style_of


# --------------------------------------------------------------------------- helpers


HUNT_MARK = "⚑"
"""In front of the label of a node the trainee marked as a suspected SPOF (``m`` in a SPOF hunt), as in the detail panel."""


def with_hunt_marks(snapshot: Snapshot) -> Snapshot:
    """``snapshot`` with :data:`HUNT_MARK` in front of the labels of the nodes the trainee marked (the same one if none)."""
    if not any(node.marked for node in snapshot.nodes):
        return snapshot
    nodes = tuple(replace(node, label=f"{HUNT_MARK}{node.label}") if node.marked else node for node in snapshot.nodes)
    return replace(snapshot, nodes=nodes)



def _paint_key(snapshot: Snapshot) -> tuple[object, ...]:
    """What a repaint depends on besides the layout and the selection: states, roles and progress of the
    nodes; traffic, breakage and the lag label (as drawn, so a lag creeping by milliseconds repaints nothing)."""
    return (
        tuple((node.state, node.up, node.role, node.progress) for node in snapshot.nodes),
        tuple((edge.rate > 0, edge.broken, format_lag(edge.lag, edge.broken)) for edge in snapshot.edges),
    )


def _box_state(box: Box, nodes: dict[str, NodeView]) -> str:
    states = [nodes[name].state for name in box.members if name in nodes]
    if not states:
        return "standby"
    state = aggregate_state(states) if box.aggregate else states[0]
    return state if state in STATE_SYMBOLS else "degraded"


def _edge_class(group: EdgeGroup, nodes: dict[str, NodeView], edges: dict[tuple[str, str, str], EdgeView]) -> str:
    """The component class of one stretch of line: traffic, idle, failing, replicating or broken."""
    views = [edges[(s, t, group.kind)] for s, t in group.edges if (s, t, group.kind) in edges]
    if group.kind == "replication":
        return "topology--replication-broken" if any(view.broken for view in views) else "topology--replication"
    targets = [nodes.get(t) for _, t in group.edges]
    if targets and all(node is not None and (not node.up or node.state in _DEAD) for node in targets):
        return "topology--edge-dead"
    if any(view.rate > 0 for view in views):
        return "topology--edge"
    return "topology--edge-idle"


def _neighbour(boxes: Sequence[Box], current: Box | None, direction: str) -> Box | None:
    """The box to select when moving ``direction`` from ``current`` (the top-left box when none)."""
    if not boxes:
        return None
    if current is None:
        return min(boxes, key=lambda box: (box.band, box.x))
    if direction in ("left", "right"):
        row = sorted((box for box in boxes if box.band == current.band), key=lambda box: box.x)
        index = row.index(current) + (1 if direction == "right" else -1)
        return row[index] if 0 <= index < len(row) else None
    bands = sorted({box.band for box in boxes})
    position = bands.index(current.band) + (1 if direction == "down" else -1)
    if not 0 <= position < len(bands):
        return None
    band = bands[position]
    return min((box for box in boxes if box.band == band), key=lambda box: (abs(box.center - current.center), box.x))
