"""The topology layout (the tui.layout package): every node reachable, nothing overlapping, within bounds, deterministic.

Snapshots come from the built-in scenarios run a little, from ``bench/topology.py``'s
generator (60 nodes, its smallest; 200 and 1,000 nodes) and from a hand-built 30-node,
two-region topology. Panel sizes: 52x13 (what an 80x24 terminal leaves the topology),
104x30 (160x48) and a few others.
"""

from __future__ import annotations

import functools
import itertools
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from engine.scenario.loader import builtin_scenarios, load_scenario
from engine.sim.simulation import Simulation
from engine.sim.snapshot import EdgeView, NodeView, Snapshot
from tui.layout import Box, Layout, STATE_SYMBOLS, fit_text, format_lag, layout
from support import ROOT_DIR

ROOT = ROOT_DIR

if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

from topology import generate  # noqa: E402 - bench/ is not a package

SIZES = [(52, 13), (104, 30), (80, 20), (40, 10), (160, 45), (66, 18)]
SCENARIOS = builtin_scenarios()


@functools.cache
def scenario_snapshot(name: str, t: float = 100.0) -> Snapshot:
    """A built-in scenario run to ``t`` with seed 1."""
    sim = Simulation(load_scenario(name), seed=1)
    sim.run(t)
    return sim.snapshot()


@functools.cache
def generated_snapshot(n_nodes: int, seed: int = 0) -> Snapshot:
    """The first snapshot of ``bench/topology.py``'s generated architecture."""
    return Simulation(generate(n_nodes, seed), seed=1).snapshot()


def _node(name: str, kind: str, region: str = "main", group: str | None = None, role: str | None = None,
          state: str = "healthy") -> NodeView:
    return NodeView(name=name, kind=kind, region=region, group=group, label=name, state=state,
                    up=state not in ("down", "destroyed", "fenced"), role=role, metrics=())


def _snapshot(nodes: list[NodeView], edges: list[EdgeView], regions: tuple[str, ...]) -> Snapshot:
    return Snapshot(t=0.0, duration=600.0, finished=False, nodes=tuple(nodes), edges=tuple(edges), alerts=(),
                    pending=(), metrics=(), history=(), hints_revealed=(), hints_left=0, score=100.0,
                    journal_length=0, regions=regions)


@functools.cache
def thirty_node_snapshot() -> Snapshot:
    """30 nodes over two regions: users, DNS, and per region an LB pair, 8 app servers, cache, service, 2 DBs."""
    nodes = [_node("users", "client"), _node("dns", "dns")]
    edges = [EdgeView("users", "dns", "traffic", True, rate=100.0)]
    for region, short in (("eu-west-1", "euw1"), ("us-east-1", "use1")):
        lbs = [_node(f"{short}-lb-a", "load_balancer", region, role="master"),
               _node(f"{short}-lb-b", "load_balancer", region, role="backup", state="standby")]
        apps = [_node(f"{short}-app-{i:02d}", "app_server", region, group=f"{short}-web") for i in range(1, 9)]
        rest = [_node(f"{short}-cache", "cache", region), _node(f"{short}-search", "service", region),
                _node(f"{short}-db-1", "database", region, role="primary"),
                _node(f"{short}-db-2", "database", region, role="replica")]
        nodes += lbs + apps + rest
        edges.append(EdgeView("dns", lbs[0].name, "traffic", True, rate=50.0))
        edges += [EdgeView(lb.name, app.name, "traffic", True, rate=6.0) for lb in lbs for app in apps]
        edges += [EdgeView(app.name, target.name, "traffic", True, rate=3.0) for app in apps for target in rest[:3]]
        edges.append(EdgeView(f"{short}-db-1", f"{short}-db-2", "replication", True, lag=0.4))
    assert len(nodes) == 30
    return _snapshot(nodes, edges, ("eu-west-1", "us-east-1"))


def lay_out(snapshot: Snapshot, width: int, height: int) -> Layout:
    return layout(snapshot.nodes, snapshot.edges, snapshot.regions, width, height)


def assert_sound(result: Layout, snapshot: Snapshot) -> None:
    """Every node in exactly one box; boxes inside the canvas, apart; lines outside boxes, one per cell."""
    assert result.fits
    members = [name for box in result.boxes for name in box.members]
    assert sorted(members) == sorted(node.name for node in snapshot.nodes)
    for box in result.boxes:
        assert box.x >= 0 and box.y >= 0 and box.x + box.w <= result.width and box.y + box.h <= result.height, box
        assert box.h in (1, 3) and box.w >= 5, box
    for a, b in itertools.combinations(result.boxes, 2):
        apart = a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
        assert apart, (a, b)
    seen: set[tuple[int, int]] = set()
    for cell in result.lines:
        assert 0 <= cell.x < result.width and 0 <= cell.y < result.height, cell
        assert (cell.x, cell.y) not in seen, cell
        seen.add((cell.x, cell.y))
        assert not any(box.contains(cell.x, cell.y) for box in result.boxes), cell
        assert 0 <= cell.group < len(result.groups)
    text = result.render_text()
    assert len(text) == result.height
    assert all(len(row) == result.width for row in text)


# --------------------------------------------------------------------------- built-in scenarios


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", SCENARIOS)
def test_builtin_scenarios_lay_out_soundly(name: str, size: tuple[int, int]) -> None:
    snapshot = scenario_snapshot(name)
    result = lay_out(snapshot, *size)
    if not result.fits:
        # a panel smaller than the drill screen ever gives it: the widget says how much room it needs
        assert size[0] < 52 or size[1] < 13
        assert result.needed[0] > size[0] or result.needed[1] > size[1]
        assert not result.boxes
        return
    assert_sound(result, snapshot)


@pytest.mark.parametrize("name", SCENARIOS)
def test_builtin_scenarios_show_every_node_on_its_own_at_both_panel_sizes(name: str) -> None:
    """At 160x48 every node has a box of its own; at 80x24 so does every node of a one-region
    drill, while two-region drills may fold an instance group into one box (``web-eu ×2``)
    whose members stay selectable through the group and the palette."""
    snapshot = scenario_snapshot(name)
    small, large = lay_out(snapshot, 52, 13), lay_out(snapshot, 104, 30)
    assert small.style == "compact" and large.style == "full"
    for result in (small, large):
        members = sorted(m for box in result.boxes for m in box.members)
        assert members == sorted(node.name for node in snapshot.nodes)
        if result is large or len(snapshot.regions) == 1:
            assert not any(box.aggregate for box in result.boxes)
            text = "\n".join(result.render_text())
            for node in snapshot.nodes:
                assert node.label in text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", SCENARIOS)
def test_layout_is_deterministic(name: str, size: tuple[int, int]) -> None:
    snapshot = scenario_snapshot(name)
    first, second = lay_out(snapshot, *size), lay_out(snapshot, *size)
    assert first == second
    assert first.render_text() == second.render_text()


@pytest.mark.parametrize("name", SCENARIOS)
def test_builtin_layouts_take_under_20_ms(name: str) -> None:
    snapshot = scenario_snapshot(name)
    for size in ((52, 13), (104, 30)):
        best = min(_timed(lambda: lay_out(snapshot, *size)) for _ in range(3))
        assert best < 0.020, f"{name} at {size}: {best * 1000:.1f} ms"


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def test_tiers_run_top_to_bottom() -> None:
    snapshot = scenario_snapshot("db-primary-async")
    result = lay_out(snapshot, 104, 30)
    y = {box.members[0]: box.y for box in result.boxes}
    assert y["users"] < y["lb-1"] < y["app-1"] == y["app-2"] < y["cache"] < y["db-1"] == y["db-2"] == y["db-3"]
    assert [box.band for box in sorted(result.boxes, key=lambda b: (b.y, b.x))] == sorted(b.band for b in result.boxes)


def test_replication_is_dotted_and_labelled_with_its_lag() -> None:
    snapshot = scenario_snapshot("db-primary-async", 30.0)  # before the partition: replicas replicating
    result = lay_out(snapshot, 104, 30)
    replication = [cell for cell in result.lines if cell.kind == "replication"]
    assert replication and {"┄", "┆"} & {cell.char for cell in replication}
    assert all(cell.char not in "─│" for cell in replication)
    text = "\n".join(result.render_text())
    for edge in snapshot.edges:
        if edge.kind == "replication":
            assert format_lag(edge.lag) in text


def test_broken_replication_says_so() -> None:
    snapshot = scenario_snapshot("db-primary-async", 100.0)  # db-1 cut off: replication broken
    assert any(edge.broken for edge in snapshot.edges)
    assert "broken" in "\n".join(lay_out(snapshot, 104, 30).render_text())


def test_roles_and_the_vip_holder_are_marked() -> None:
    snapshot = scenario_snapshot("db-primary-async")
    text = "\n".join(lay_out(snapshot, 104, 30).render_text())
    assert "db-1 P" in text and "db-2 R" in text and "db-3 R" in text
    assert "lb-1 VIP" in text


def test_full_boxes_have_borders_and_tees_where_lines_attach() -> None:
    result = lay_out(scenario_snapshot("lb-failover"), 104, 30)
    text = result.render_text()
    lb = result.box_of("lb-1")
    assert lb is not None and lb.h == 3
    assert text[lb.y][lb.x] == "┌" and text[lb.y + 2][lb.x + lb.w - 1] == "┘"
    assert "┬" in text[lb.y + 2] and "┴" in text[lb.y][lb.x:lb.x + lb.w]


def test_a_new_state_repaints_without_a_new_layout() -> None:
    snapshot = scenario_snapshot("lb-failover")
    result = lay_out(snapshot, 52, 13)
    nodes = {node.name: node for node in snapshot.nodes}
    nodes["app-2"] = replace(nodes["app-2"], state="down", up=False)
    nodes["db-1"] = replace(nodes["db-1"], state="promoting", progress="promote 40%")
    text = "\n".join(result.render_text(nodes))
    assert f"{STATE_SYMBOLS['down']} app-2" in text
    assert "40%" in text and STATE_SYMBOLS["promoting"] in text


def test_progress_shows_in_a_tight_compact_box() -> None:
    snapshot = scenario_snapshot("db-primary-async")
    result = lay_out(snapshot, 52, 13)
    nodes = {node.name: node for node in snapshot.nodes}
    nodes["db-2"] = replace(nodes["db-2"], state="promoting", progress="promote 60%")
    box = result.box_of("db-2")
    assert box is not None and box.compact
    assert "↑ db-2" in result.render_text(nodes)[box.y][box.x:box.x + box.w]
    assert "60%" in result.render_text(nodes)[box.y][box.x:box.x + box.w]


def test_progress_shows_on_a_full_box_border() -> None:
    snapshot = scenario_snapshot("db-primary-async")
    result = lay_out(snapshot, 104, 30)
    nodes = {node.name: node for node in snapshot.nodes}
    nodes["db-2"] = replace(nodes["db-2"], state="promoting", progress="promote 40%")
    box = result.box_of("db-2")
    assert box is not None
    assert "40%" in result.render_text(nodes)[box.y][box.x:box.x + box.w]


# --------------------------------------------------------------------------- bigger topologies


@pytest.mark.parametrize(
    "snapshot_of",
    [thirty_node_snapshot, lambda: generated_snapshot(60), lambda: generated_snapshot(200)],
    ids=["30-nodes", "generated-60", "generated-200"],
)
def test_bigger_topologies_keep_every_node_reachable(snapshot_of) -> None:
    snapshot = snapshot_of()
    result = lay_out(snapshot, 104, 30)
    assert_sound(result, snapshot)
    assert not result.merged
    assert {title.region for title in result.titles} == {node.region for node in snapshot.nodes
                                                         if node.kind not in ("client", "dns", "cdn")}


def test_aggregation_kicks_in_for_200_nodes() -> None:
    snapshot = generated_snapshot(200)
    result = lay_out(snapshot, 104, 30)
    aggregates = [box for box in result.boxes if box.aggregate]
    assert aggregates and len(result.boxes) < len(snapshot.nodes)
    text = "\n".join(result.render_text())
    for box in aggregates:
        assert f"×{len(box.members)}" in text


@pytest.mark.parametrize("size", [(52, 13), (104, 30), (80, 20)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_thousand_nodes_degrade_gracefully(size: tuple[int, int]) -> None:
    snapshot = generated_snapshot(1000)
    result = lay_out(snapshot, *size)
    assert_sound(result, snapshot)
    assert len(result.boxes) <= 40


def test_aggregated_box_counts_members_in_trouble() -> None:
    apps = [_node(f"app-{i:02d}", "app_server", group="web") for i in range(1, 41)]
    apps[3] = replace(apps[3], state="down", up=False)
    apps[7] = replace(apps[7], state="down", up=False)
    nodes = [_node("lb", "load_balancer", role="master"), *apps]
    edges = [EdgeView("lb", app.name, "traffic", True, rate=1.0) for app in apps]
    snapshot = _snapshot(nodes, edges, ("main",))
    result = lay_out(snapshot, 52, 13)
    assert_sound(result, snapshot)
    box = result.box_of("app-04")
    assert box is not None and box.aggregate and box.label == "web" and len(box.members) == 40
    row = result.render_text()[box.y + box.h // 2]
    assert "✗ web ×40" in row and ("2 down" in row or "2✗" in row)


def test_standby_members_do_not_make_an_aggregate_look_in_trouble() -> None:
    result = lay_out(generated_snapshot(200), 52, 13)
    lbs = next(box for box in result.boxes if box.kind == "load_balancer")
    assert lbs.aggregate
    row = result.render_text()[lbs.y + lbs.h // 2]
    assert f"{STATE_SYMBOLS['healthy']} lb ×" in row


# --------------------------------------------------------------------------- too small


@pytest.mark.parametrize("size", [(12, 4), (1, 1), (0, 0), (30, 3)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_too_small_says_what_would_fit(size: tuple[int, int]) -> None:
    snapshot = scenario_snapshot("db-primary-async")
    result = lay_out(snapshot, *size)
    assert not result.fits and result.boxes == () and result.style == "none"
    assert_sound(lay_out(snapshot, *result.needed), snapshot)


def test_no_nodes_is_an_empty_layout() -> None:
    result = layout([], [], [], 52, 13)
    assert result.fits and result.boxes == () and result.render_text() == [" " * 52] * 13


# --------------------------------------------------------------------------- purity


def test_the_layout_module_imports_only_the_standard_library() -> None:
    probe = (
        "import json, sys; import tui.layout; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich', 'engine'})))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("text", "cells", "expected"),
    [
        ("app-1", 8, "app-1"),
        ("use1-orders-1-db-2", 10, "use1-…db-2"),
        ("recommendations", 8, "recomme…"),
        ("anything", 1, "…"),
        ("anything", 0, ""),
    ],
)
def test_fit_text(text: str, cells: int, expected: str) -> None:
    assert fit_text(text, cells) == expected


@pytest.mark.parametrize(
    ("lag", "broken", "expected"),
    [(0.34, False, "0.3s"), (12.4, False, "12s"), (300.0, False, "5m"), (None, False, ""), (1.0, True, "broken")],
)
def test_format_lag(lag: float | None, broken: bool, expected: str) -> None:
    assert format_lag(lag, broken) == expected


def test_box_geometry_helpers() -> None:
    box = Box("app-1", x=4, y=2, w=9, h=3, members=("app-1",))
    assert box.contains(4, 2) and box.contains(12, 4) and not box.contains(13, 4) and not box.contains(4, 5)
    assert box.center == 8 and not box.aggregate and not box.compact
