"""TopologyView in a bare app: keys and clicks select nodes, messages report it, resizing lays out again."""

from __future__ import annotations

import functools
import sys
from dataclasses import replace
from pathlib import Path

from rich.style import Style
from textual.app import App, ComposeResult

from engine.scenario.loader import load_scenario
from engine.sim.simulation import Simulation
from engine.sim.snapshot import Snapshot
from tui.widgets.topology import TopologyView
from support import ROOT_DIR

ROOT = ROOT_DIR

if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

from topology import generate  # noqa: E402 - bench/ is not a package


@functools.cache
def scenario_snapshot(name: str, t: float = 100.0) -> Snapshot:
    sim = Simulation(load_scenario(name), seed=1)
    sim.run(t)
    return sim.snapshot()


class TopologyApp(App[None]):
    """Just the view, filling the screen, recording every selection it reports."""

    def __init__(self) -> None:
        super().__init__()
        self.selections: list[TopologyView.NodeSelected] = []

    def compose(self) -> ComposeResult:
        yield TopologyView()

    def on_topology_view_node_selected(self, event: TopologyView.NodeSelected) -> None:
        self.selections.append(event)


def screen_text(view: TopologyView) -> str:
    return "\n".join(view.render_line(y).text for y in range(view.size.height))


def style_at(view: TopologyView, x: int, y: int) -> Style:
    """The Rich style of the cell at ``(x, y)`` of the view."""
    position = 0
    for segment in view.render_line(y):
        if position <= x < position + len(segment.text):
            return segment.style or Style()
        position += len(segment.text)
    raise IndexError((x, y))


async def test_arrow_keys_move_the_selection_and_post_messages() -> None:
    app = TopologyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TopologyView)
        view.focus()
        view.update_snapshot(scenario_snapshot("db-primary-async"))
        await pilot.pause()
        assert view.selected is None
        await pilot.press("down")  # nothing selected yet: the top-left box
        assert view.selected == "users"
        await pilot.press("down", "down")
        assert view.selected in ("app-1", "app-2")
        await pilot.press("left")
        assert view.selected == "app-1"
        await pilot.press("right")
        assert view.selected == "app-2"
        await pilot.press("right")  # the end of the row: stays
        assert view.selected == "app-2"
        await pilot.press("up")
        assert view.selected == "lb-1"
        await pilot.press("j", "j", "j", "l", "l")  # vim keys move too: down to the databases, then right
        assert view.selected == "db-3"
        await pilot.press("k", "h")  # up to the cache, alone in its row: left stays there
        assert view.selected == "cache"
        await pilot.pause()
        names = [event.node for event in app.selections]
        assert names[:2] == ["users", "lb-1"] and names[-2:] == ["db-3", "cache"]
        assert all(a != b for a, b in zip(names, names[1:]))  # one message per change, none when it stays
        assert all(event.control is view and event.members == (event.node,) for event in app.selections)


async def test_clicking_a_box_selects_it() -> None:
    app = TopologyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TopologyView)
        view.update_snapshot(scenario_snapshot("db-primary-async"))
        await pilot.pause()
        box = view.topology_layout.box_of("db-3")
        assert box is not None
        await pilot.click(TopologyView, offset=(box.x + 2, box.y + box.h // 2))
        await pilot.pause()
        assert view.selected == "db-3"
        assert app.selections[-1].node == "db-3"
        # the selected box is highlighted
        assert style_at(view, box.x + 2, box.y + box.h // 2).reverse
        other = view.topology_layout.box_of("db-2")
        assert not style_at(view, other.x + 2, other.y + other.h // 2).reverse
        # a click between boxes changes nothing
        await pilot.click(TopologyView, offset=(0, view.size.height - 1))
        await pilot.pause()
        assert view.selected == "db-3"


async def test_resizing_lays_out_again() -> None:
    app = TopologyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TopologyView)
        view.update_snapshot(scenario_snapshot("db-primary-async"))
        await pilot.pause()
        first = view.topology_layout
        assert (first.width, first.height) == (80, 24)
        await pilot.resize_terminal(52, 13)
        await pilot.pause()
        small = view.topology_layout
        assert small is not first and (small.width, small.height) == (52, 13) and small.style == "compact"
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        large = view.topology_layout
        assert (large.width, large.height) == (160, 48) and large.style == "full"
        assert "db-3" in screen_text(view)


async def test_new_states_repaint_without_laying_out_again() -> None:
    app = TopologyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TopologyView)
        before = scenario_snapshot("lb-failover", 30.0)
        view.update_snapshot(before)
        await pilot.pause()
        laid_out = view.topology_layout
        assert "✓ lb-1" in screen_text(view)
        nodes = tuple(replace(node, state="down", up=False) if node.name == "lb-1" else node for node in before.nodes)
        view.update_snapshot(replace(before, nodes=nodes))
        await pilot.pause()
        assert view.topology_layout is laid_out
        assert "✗ lb-1" in screen_text(view)
        # a different node set is a different topology: laid out again
        view.update_snapshot(scenario_snapshot("db-primary-async"))
        await pilot.pause()
        assert view.topology_layout is not laid_out


async def test_lines_are_coloured_by_traffic() -> None:
    """Into a down node: red; no traffic: dim; traffic: the normal line colour."""
    app = TopologyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TopologyView)
        base = scenario_snapshot("spof-baseline", 30.0)
        nodes = tuple(replace(node, state="down", up=False) if node.name == "app-2" else node for node in base.nodes)
        edges = tuple(replace(edge, rate=0.0) if edge.target == "cache" else edge for edge in base.edges)
        assert any(edge.rate > 0 for edge in edges if (edge.source, edge.target) == ("users", "lb-1"))
        view.update_snapshot(replace(base, nodes=nodes, edges=edges))
        await pilot.pause()
        lay = view.topology_layout

        def cells_of(*pairs: tuple[str, str]) -> list:
            found = [cell for cell in lay.lines if lay.groups[cell.group].edges == pairs]
            assert found, pairs
            return found

        for pairs, component in (
            ((("lb-1", "app-2"),), "topology--edge-dead"),
            ((("app-1", "cache"), ("app-2", "cache")), "topology--edge-idle"),
            ((("users", "lb-1"),), "topology--edge"),
        ):
            colour = view.get_component_rich_style(component).color
            assert all(style_at(view, cell.x, cell.y).color == colour for cell in cells_of(*pairs)), component


async def test_a_panel_too_small_says_so() -> None:
    app = TopologyApp()
    async with app.run_test(size=(24, 5)) as pilot:
        view = app.query_one(TopologyView)
        view.update_snapshot(scenario_snapshot("db-primary-async"))
        await pilot.pause()
        text = " ".join(screen_text(view).split())
        assert "enlarge the terminal to see the topology (needs" in text
        await pilot.press("down")  # nothing to select in a panel that draws nothing
        assert view.selected is None


async def test_before_any_snapshot_the_panel_waits() -> None:
    app = TopologyApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TopologyView)
        await pilot.pause()
        assert "waiting for the first snapshot" in screen_text(view)


async def test_selecting_an_aggregated_box_selects_its_first_member() -> None:
    app = TopologyApp()
    snapshot = Simulation(generate(200, 0), seed=1).snapshot()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(TopologyView)
        view.update_snapshot(snapshot)
        await pilot.pause()
        box = next(box for box in view.topology_layout.boxes if box.aggregate and box.kind == "app_server")
        await pilot.click(TopologyView, offset=(box.x + 1, box.y + box.h // 2))
        await pilot.pause()
        assert view.selected == box.members[0]
        event = app.selections[-1]
        assert event.node == box.members[0] and event.members == box.members and len(event.members) > 1
        assert f"×{len(box.members)}" in screen_text(view)


async def test_only_what_changed_is_drawn_again(monkeypatch) -> None:
    """The same snapshot again draws nothing; a new state redraws only the rows of the boxes it changes."""
    app = TopologyApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(TopologyView)
        snapshot = scenario_snapshot("lb-failover")
        view.update_snapshot(snapshot)
        await pilot.pause()
        view.render_line(0)  # the strips are rendered
        laid_out = view.topology_layout
        refreshed: list[tuple] = []
        original_refresh = view.refresh
        monkeypatch.setattr(view, "refresh", lambda *regions, **kw: refreshed.append(regions) or original_refresh(*regions, **kw))

        view.update_snapshot(replace(snapshot))
        assert refreshed == [] and view.topology_layout is laid_out

        first = snapshot.nodes[0]
        changed = replace(snapshot, nodes=(replace(first, state="down", up=False), *snapshot.nodes[1:]))
        view.update_snapshot(changed)
        assert view.topology_layout is laid_out
        assert len(refreshed) == 1
        rows = {region.y for region in refreshed[0]}
        box = laid_out.box_of(first.name)
        assert rows and rows <= set(range(view.size.height)) and len(rows) < view.size.height
        assert rows & set(range(box.y, box.y + box.h))
