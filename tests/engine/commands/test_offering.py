"""Commands are objects: each declares where it is offered, what it targets and its own rules.

* a command is offered only on nodes it can apply to (structure: kind, role, regions);
* the console's selection helpers (``tui.targets``) are thin delegations to the command classes;
* declaring a command twice or a destructive one on a vim key is refused at import time;
* nothing in the engine or the console decides behaviour by testing a command's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.commands import (
    REGISTRY,
    Command,
    NoTarget,
    PromoteReplica,
    ScaleOut,
    SetReplicationMode,
    ShiftTraffic,
    command,
    command_class,
    command_specs,
)
from engine.sim.simulation import Simulation
from support import ROOT, load_builtin


def _snapshot(name: str):
    sim = Simulation(load_builtin(name), seed=7)
    sim.run(5)
    return sim.snapshot()


def _offered(snapshot, node_name: str) -> set[str]:
    node = snapshot.node(node_name)
    return {spec.name for spec in command_specs() if command_class(spec).offered_on(node, snapshot)}


def test_shift_is_not_offered_when_the_drill_has_one_region():
    snap = _snapshot("lb-failover")
    assert len(snap.regions) == 1
    lb = next(n for n in snap.nodes if n.kind == "load_balancer")
    assert not ShiftTraffic.offered_on(lb, snap)
    assert not ShiftTraffic.offered_on(lb)  # the view itself knows how many regions the drill has
    assert ShiftTraffic.palette_targets(snap) == []


def test_shift_is_offered_on_a_regional_node_when_there_are_two_regions():
    snap = _snapshot("region-outage")
    assert len(snap.regions) == 2
    lb = next(n for n in snap.nodes if n.kind == "load_balancer")
    assert ShiftTraffic.offered_on(lb, snap) and ShiftTraffic.offered_on(lb)
    assert ShiftTraffic.target_for(lb, snap) == lb.region
    assert ShiftTraffic.default_args(lb, snap, lb.region)["to"] != lb.region
    assert set(ShiftTraffic.palette_targets(snap)) == set(snap.regions)
    dns = next(n for n in snap.nodes if n.kind == "dns")
    assert not ShiftTraffic.offered_on(dns, snap)


def test_promote_and_replication_mode_are_offered_on_replicas_only():
    snap = _snapshot("db-primary-async")
    databases = [n for n in snap.nodes if n.kind == "database"]
    primaries = [n for n in databases if n.role == "primary"]
    replicas = [n for n in databases if n.role == "replica"]
    assert primaries and replicas
    for node in primaries:
        assert "promote" not in _offered(snap, node.name)
        assert "replication" not in _offered(snap, node.name)
        assert "fence" in _offered(snap, node.name)
    for node in replicas:
        assert {"promote", "replication"} <= _offered(snap, node.name)
    assert set(PromoteReplica.palette_targets(snap)) == {n.name for n in replicas}
    assert set(SetReplicationMode.palette_targets(snap)) == {n.name for n in replicas}


def test_no_command_is_offered_on_a_node_that_refuses_it_by_kind():
    """Structural offering matches the engine's refusals: an offered command is never refused for the node's kind."""
    for name in ("region-outage", "db-primary-async", "recs-outage"):
        sim = Simulation(load_builtin(name), seed=7)
        sim.run(5)
        snap = sim.snapshot()
        for node in snap.nodes:
            for spec in command_specs():
                cls = command_class(spec)
                if not cls.offered_on(node, snap) or "alert" in spec.targets:
                    continue
                target = cls.target_for(node, snap)
                args = cls.default_args(node, snap, target)
                preview = sim.preview({"command": spec.name, "target": target, "args": args})
                if not preview.allowed:
                    for structural in (", not a ", "is a primary", "two different regions", "neither an app server"):
                        assert structural not in preview.text, (name, node.name, spec.name, preview.text)


def test_scale_targets_the_group_and_the_palette_names_groups_once():
    snap = _snapshot("lb-failover")
    apps = [n for n in snap.nodes if n.kind == "app_server"]
    assert apps
    assert ScaleOut.target_for(apps[0], snap) == (apps[0].group or apps[0].name)
    targets = ScaleOut.palette_targets(snap)
    assert len(targets) == len(set(targets)) == len({n.group or n.name for n in apps})


def test_a_command_needing_a_node_says_what_to_select():
    snap = _snapshot("lb-failover")
    with pytest.raises(NoTarget, match="select a database first"):
        PromoteReplica.target_for(None, snap)
    client = next(n for n in snap.nodes if n.kind == "client")
    with pytest.raises(NoTarget, match="'promote' applies to a database"):
        PromoteReplica.target_for(client, snap)


def test_the_console_helpers_delegate_to_the_command_classes():
    targets = pytest.importorskip("tui.targets")
    snap = _snapshot("region-outage")
    for node in snap.nodes:
        offered = targets.commands_for(node, hunt=True)
        assert [s.name for s in offered] == [s.name for s in command_specs() if command_class(s).offered_on(node)]
    for spec in command_specs():
        assert targets.palette_targets(spec, snap) == command_class(spec).palette_targets(snap)


def test_a_destructive_command_on_a_vim_key_or_a_second_declaration_is_refused():
    with pytest.raises(AssertionError, match="vim key"):
        @command(name="test-vim", title="t", key="j", targets=("*",), destructive=True)
        @dataclass(frozen=True)
        class OnVimKey(Command):
            """t"""

    with pytest.raises(AssertionError, match="declared twice"):
        @command(name="promote", title="t", key="Q", targets=("*",))
        @dataclass(frozen=True)
        class Twice(Command):
            """t"""

    assert "test-vim" not in REGISTRY and REGISTRY["promote"] is PromoteReplica


def test_no_code_decides_behaviour_by_a_command_name():
    pattern = re.compile(r"""(\.name|name)\s*(==|!=|in)\s*\(?["'](%s)["']""" % "|".join(re.escape(n) for n in REGISTRY))
    offenders = []
    for folder in ("engine", "tui"):
        for path in sorted((Path(ROOT) / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
