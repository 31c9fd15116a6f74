"""Investigation commands (logs, probe, replstatus, backends, dig): what each returns in known situations.

Each test sets up a situation whose answer can be worked out by hand (a crash at a
journaled time, a partition between named sides, write positions the simulation
holds) and checks the tool's lines against it. Investigations take simulated time
and read the state when they complete; they change nothing, so a run with them
has the same traffic, writes and journal (less their own rows) as one without,
and an action script holding them replays byte for byte.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
import yaml

from engine.commands import REGISTRY, command_specs
from engine.commands.investigate import EVIDENCE_EVENT, PROBE_TIMEOUT
from engine.records.replay import replay, transcript_of
from engine.scenario.schema import ActionScript, Scenario
from engine.sim.runner import simulate
from engine.sim.simulation import Simulation
from support import SCENARIO_DIR, load_builtin

TOOLS = ("logs", "probe", "replstatus", "backends", "dig")
DRILL_KEYS = set("aNUFDEXHmPOMR+LS1234:qhjkl?t") | {"space", "enter", "tab", "escape"}
"""Keys the drill screen and the commands declared before the investigations use."""


def _investigate(sim: Simulation, tool: str, target: str, **args) -> tuple[str, ...]:
    """Issue an investigation now, run until it completes, and return the lines it journaled."""
    receipt = sim.apply({"command": tool, "target": target, "args": args})
    assert receipt.accepted, receipt.reason
    sim.run(receipt.completes_at + 0.01)
    rows = [e for e in sim.journal.of_type(EVIDENCE_EVENT) if e.data["command"] == tool and e.data["target"] == target]
    assert rows and rows[-1].t == pytest.approx(receipt.completes_at)
    return tuple(rows[-1].data["lines"])


def _seconds(stamp: str) -> int:
    minutes, seconds = stamp.split(":")
    return int(minutes) * 60 + int(seconds)


def _first(sim: Simulation, type_: str, **match) -> float:
    for entry in sim.journal:
        if entry.type == type_ and all(entry.data.get(k) == v for k, v in match.items()):
            return entry.t
    raise AssertionError(f"no {type_} {match} in the journal")


def _variant(name: str, **changes) -> Scenario:
    """A built-in scenario with some top-level fields replaced (the method, automation...)."""
    data = yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    return Scenario.model_validate(data).model_copy(update={"id": f"{name}-variant"})


# --------------------------------------------------------------------------- declarations


def test_the_tools_are_declared_once_with_keys_that_clash_with_nothing():
    specs = {spec.name: spec for spec in command_specs()}
    keys = [spec.key for spec in command_specs()]
    assert len(keys) == len(set(keys)), "two commands share a key"
    for tool in TOOLS:
        spec = specs[tool]
        assert spec.observes and not spec.destructive and spec.duration > 0
        assert spec.key not in DRILL_KEYS
    assert {specs[t].key for t in TOOLS} == set("iprbn")


# --------------------------------------------------------------------------- logs


def test_the_logs_of_a_crashed_node_stop_at_the_crash():
    """lb-failover, seed 3: lb-1 crashes between 60 and 90 s; 100 s later its newest line is from before the crash,
    while lb-2 (up) keeps logging past it."""
    sim = Simulation(load_builtin("lb-failover"), seed=3)
    sim.run(95)
    crash = _first(sim, "NodeCrashed", node="lb-1")
    sim.run(crash + 100)
    lines = _investigate(sim, "logs", "lb-1")
    stamps = [_seconds(line.split()[0]) for line in lines[1:]]
    assert stamps, "a node that ran for a minute has lines"
    assert all(line.split()[1] == "lb-1" for line in lines[1:])
    assert max(stamps) <= crash
    assert stamps == sorted(stamps)
    alive = [_seconds(line.split()[0]) for line in _investigate(sim, "logs", "lb-2")[1:]]
    assert max(alive) > crash + 60
    assert len(alive) <= 20


def test_logs_show_a_backend_going_down_haproxy_style_and_the_callers_errors():
    """app-2 crashes at 30 s (its process; the host answers): the load balancer marks it down with a refused
    connection, and a caller of a crashed database logs refused connections."""
    scenario = _variant("lb-failover", method=[{"type": "crash", "target": "app-2", "at": 30},
                                               {"type": "crash", "target": "db-1", "at": 40}])
    sim = Simulation(scenario, seed=3)
    sim.run(70)
    lb = "\n".join(_investigate(sim, "logs", "lb-1"))
    assert 'Server web/app-2 is DOWN, reason: Layer4 connection problem, info: "Connection refused"' in lb
    app = "\n".join(_investigate(sim, "logs", "app-1"))
    assert "ERROR connect to db-1:5432 failed: connection refused" in app
    assert "closed the connection unexpectedly" in app  # the moment db-1 died under it


# --------------------------------------------------------------------------- probe


def test_a_probe_across_a_partition_times_out_and_from_the_same_side_is_open():
    """region-partition: the regions cannot see each other. From us-east the primary db-eu-1 times out (and the
    probe waits its 3 s timeout); from its standby in eu-west it answers: the partition side's view."""
    sim = Simulation(load_builtin("region-partition"), seed=3)
    sim.run(400)
    start = _first(sim, "FaultInjected", fault="partition")
    sim = Simulation(load_builtin("region-partition"), seed=3)
    sim.run(start + 10)
    issued = sim.now
    across = _investigate(sim, "probe", "app-us-1", to="db-eu-1")
    assert across[-1].endswith(": timed out")
    assert "100% packet loss" in across[1]
    assert sim.journal.of_type(EVIDENCE_EVENT)[-1].t == pytest.approx(issued + PROBE_TIMEOUT)
    issued = sim.now
    same_side = _investigate(sim, "probe", "db-eu-2", to="db-eu-1")
    assert same_side[-1].endswith(": open")
    assert sim.journal.of_type(EVIDENCE_EVENT)[-1].t == pytest.approx(issued + REGISTRY["probe"].spec.duration)


def test_a_probe_to_a_crashed_process_is_refused_and_to_a_destroyed_host_times_out():
    scenario = _variant("lb-failover", method=[{"type": "crash", "target": "app-2", "at": 30},
                                               {"type": "crash", "target": "cache", "at": 30, "destroy": True}])
    sim = Simulation(scenario, seed=3)
    sim.run(40)
    refused = _investigate(sim, "probe", "lb-1", to="app-2")
    assert refused[-1].endswith(": connection refused") and " 0% packet loss" in refused[1]
    assert _investigate(sim, "probe", "app-1", to="cache")[-1].endswith(": timed out")
    assert _investigate(sim, "probe", "app-1")[-1].startswith("result from app-1 to cache:6379")  # first dependency


# --------------------------------------------------------------------------- replication


def _row(lines: tuple[str, ...], name: str) -> list[str]:
    for line in lines:
        cells = [c.strip() for c in line.split("|")]
        if cells[0] == name:
            return cells
    raise AssertionError(f"no row for {name} in {lines}")


def test_replication_positions_are_the_simulated_positions_and_the_lag_is_worked_out_by_hand():
    """db-primary-async before the partition: each replica's sent and replayed positions are the writes it has
    received and applied; its lag is the time from the first write it lacks to the primary's newest write."""
    sim = Simulation(load_builtin("db-primary-async"), seed=3)
    sim.run(50)
    primary = sim.nodes["db-1"]
    seen = {}

    def at_completion(entry):  # the positions when the tool read them
        if entry.type == EVIDENCE_EVENT:
            log = primary.log
            seen["count"] = log.count
            for name in ("db-2", "db-3"):
                node = sim.nodes[name]
                lag = 0.0 if node.applied >= log.count else log.marks_t[-1] - log.time_of(node.applied + 1)
                seen[name] = (node.received, node.applied, lag)

    sim.journal.subscribe(at_completion)
    lines = _investigate(sim, "replstatus", "db-1")
    assert f"-- f, {seen['count']}" in lines[0]
    for name in ("db-2", "db-3"):
        received, applied, by_hand = seen[name]
        cells = _row(lines, name)
        assert cells[1:3] == ["streaming", "async"]
        assert int(cells[3]) == received and int(cells[4]) == applied
        assert cells[5] == f"{by_hand:.1f} s"
    assert float(_row(lines, "db-3")[5].split()[0]) > float(_row(lines, "db-2")[5].split()[0])  # slow disks
    assert _investigate(sim, "replstatus", "orders")[0].startswith("db-1=#")  # by cluster: run on its writer


def test_replication_during_a_partition_and_against_a_down_node():
    """Cut off, the primary sees its replicas stopped; a replica's receiver has stopped; a crashed database
    cannot be connected to."""
    sim = Simulation(load_builtin("db-primary-async"), seed=3)
    sim.run(200)
    start = _first(sim, "FaultInjected", fault="partition")
    assert start + 10 < 200
    primary = _investigate(sim, "replstatus", "db-1")
    assert _row(primary, "db-2")[1] == "stopped" and _row(primary, "db-3")[1] == "stopped"
    replica = _investigate(sim, "replstatus", "db-2")
    assert _row(replica, "stopped")[1] == "db-1"
    assert int(_row(replica, "stopped")[2]) == sim.nodes["db-2"].received
    down = Simulation(_variant("db-primary-async", method=[{"type": "crash", "target": "db-3", "at": 10}]), seed=3)
    down.run(20)
    assert "could not connect to server" in _investigate(down, "replstatus", "db-3")[1]


# --------------------------------------------------------------------------- backends


@pytest.mark.parametrize("destroy, check", [(False, "L4CON"), (True, "L4TOUT")])
def test_backends_mark_a_crashed_app_server_down_after_the_fall_count(destroy, check):
    """app-2 dies at 30 s. Health checks run every interval = 2 s (the default), fall = 3: the first failing check
    comes within (30, 32], the third within (34, 36], when app-2 is marked DOWN. A show stat issued at 31 completes
    at 33 (at most two failures: still UP); one issued at 34 completes at 36 (three: DOWN). A crashed process
    refuses the connection (L4CON); a destroyed host does not answer at all (L4TOUT)."""
    scenario = _variant("lb-failover", method=[{"type": "crash", "target": "app-2", "at": 30, "destroy": destroy}])
    hc = scenario.automation.health_check
    assert (hc.interval, hc.fall) == (2.0, 3)
    sim = Simulation(scenario, seed=3)
    sim.run(31)
    early = _row(_investigate(sim, "backends", "lb-1"), "web")  # first row: app-1
    rows = [line for line in sim.journal.of_type(EVIDENCE_EVENT)[-1].data["lines"] if "| app-2 |" in line]
    assert rows[0].split("|")[2].strip().startswith("UP")
    assert early[1] == "app-1"
    sim.run(34)
    lines = _investigate(sim, "backends", "lb-1")
    marked = _first(sim, "BackendMarkedDown", lb="lb-1", backend="app-2")
    assert 30 + hc.interval * (hc.fall - 1) < marked <= 30 + hc.interval * hc.fall
    cells = [c.strip() for c in next(line for line in lines if "| app-2 |" in line).split("|")]
    assert cells[2] == "DOWN" and cells[3] == check
    assert lines[-1].startswith("1/2 backends UP")


# --------------------------------------------------------------------------- dig


def test_dig_shows_sticky_resolvers_holding_the_old_answer():
    """region-partition with 30 % of clients behind resolvers that keep an answer 600 s. 120 s after shifting all of
    eu-west's traffic to us-east, TTL-honouring resolvers (TTL 60 s) have all moved; sticky ones are a fifth of the
    way (120 / 600), still sending 40 % of their answers (0.5 x 4/5) to eu-west."""
    data = yaml.safe_load((SCENARIO_DIR / "region-partition.yaml").read_text(encoding="utf-8"))
    data["topology"]["nodes"]["dns"]["sticky"] = {"share": 0.3, "hold": 600}
    data["method"] = []
    sim = Simulation(Scenario.model_validate(data).model_copy(update={"id": "sticky"}), seed=1)
    sim.run(10)
    assert sim.apply({"command": "shift", "target": "eu-west", "args": {"to": "us-east"}}).accepted
    sim.run(13)
    shifted = _first(sim, "DnsWeightsChanged", dns="dns")
    sim.run(shifted + 120 - 1)  # dig takes 1 s
    lines = _investigate(sim, "dig", "users")
    honouring = next(line for line in lines if "honouring the TTL" in line)
    sticky = next(line for line in lines if "sticky resolvers" in line)
    assert "eu-west 0%, us-east 100%" in honouring and "70%" in honouring
    assert "eu-west 40%, us-east 60%" in sticky and "30%" in sticky and "all there in 480 s" in sticky
    answers = _investigate(sim, "dig", "dns")
    assert any("eu-west weight 0%" in line for line in answers)
    assert any("us-east weight 100%" in line for line in answers)


# --------------------------------------------------------------------------- changing nothing, replaying


def _script() -> ActionScript:
    steps = []
    for i, (tool, target, args) in enumerate([
        ("logs", "app-1", {}), ("replstatus", "db-1", {}), ("probe", "app-1", {"to": "db-1"}),
        ("backends", "lb-1", {}), ("dig", "users", {}), ("logs", "db-3", {}), ("replstatus", "db-2", {}),
        ("probe", "db-2", {"to": "db-3"}),
    ]):
        steps.append({"at": 20 + 23.7 * i, "command": tool, "target": target, "args": args})
    return ActionScript.model_validate({"name": "investigate", "steps": steps})


def _without_investigations(sim: Simulation) -> list[str]:
    rows = []
    for entry in sim.journal:
        if entry.type == EVIDENCE_EVENT or (entry.type.startswith("Command") and entry.data.get("command") in TOOLS):
            continue
        data = entry.to_dict()
        data.pop("seq")
        rows.append(json.dumps(data, sort_keys=True))
    return rows


def test_investigations_change_nothing():
    """The same drill with and without eight investigations: the same traffic second by second, the same
    journal once the investigations' own rows are left out, the same outcome but for the commands counted
    and the time to detect (the scorer counts the first command after the fault as the response)."""
    scenario = load_builtin("db-primary-async")
    plain = simulate(scenario, seed=4)
    probed = simulate(scenario, seed=4, script=_script())
    assert len(probed.sim.journal.of_type(EVIDENCE_EVENT)) == 8
    assert probed.sim.series == plain.sim.series
    assert _without_investigations(probed.sim) == _without_investigations(plain.sim)
    a, b = dataclasses.asdict(plain.outcome), dataclasses.asdict(probed.outcome)
    differ = {k for k in a if a[k] != b[k]}
    assert differ <= {"commands", "time_to_detect"}
    assert b["commands"] == 8


def test_a_script_with_investigations_replays_byte_for_byte():
    scenario = load_builtin("db-primary-async")
    run = simulate(scenario, seed=4, script=_script())
    text = run.sim.journal.to_jsonl()
    again = simulate(scenario, seed=4, script=_script()).sim.journal.to_jsonl()
    assert again == text
    assert replay(scenario, 4, transcript_of(run.sim)).journal.to_jsonl() == text
    assert re.search(r'"type":"EvidenceGathered"', text)


def test_the_snapshot_carries_the_last_twenty_results_oldest_first():
    sim = Simulation(load_builtin("lb-failover"), seed=3)
    sim.run(5)
    for i in range(22):
        _investigate(sim, "dig", "users")
    evidence = sim.snapshot().evidence
    assert len(evidence) == 20
    assert [e.t for e in evidence] == sorted(e.t for e in evidence)
    assert evidence[-1].command == "dig" and evidence[-1].target == "users"
    assert evidence[-1].lines[0].startswith("users$ dig ")
    assert evidence[-1].id == sim.journal.of_type(EVIDENCE_EVENT)[-1].seq


def test_an_investigation_shows_progress_on_its_node_and_keeps_its_state():
    sim = Simulation(load_builtin("lb-failover"), seed=3)
    sim.run(5)
    sim.apply({"command": "logs", "target": "app-1"})
    sim.run(7.5)
    view = sim.snapshot().node("app-1")
    assert view.progress == "logs 50%"
    assert view.state == "healthy"


def test_unknown_targets_are_refused_with_words():
    sim = Simulation(load_builtin("lb-failover"), seed=3)
    sim.run(5)
    assert "not a load balancer" in sim.apply({"command": "backends", "target": "app-1"}).reason
    assert "no node 'mars'" in sim.apply({"command": "probe", "target": "app-1", "args": {"to": "mars"}}).reason
    assert "no node 'nope'" in sim.apply({"command": "replstatus", "target": "nope"}).reason
    assert "not a host that logs" in sim.apply({"command": "logs", "target": "users"}).reason


def test_the_postmortem_lists_each_investigation_with_its_gist():
    """db-primary-async, seed 4: the script's eight investigations appear in the Investigation section, in order,
    each with its completion time and a line of what it showed (the probe across the partition: timed out)."""
    from engine.records.postmortem import postmortem_markdown
    from engine.sim.runner import run_with_par

    scenario = load_builtin("db-primary-async")
    report = run_with_par(scenario, 4, _script())
    text = postmortem_markdown(report)
    section = text[text.index("## Investigation"):text.index("## Contributing factors")]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`" in line]
    assert [row.split("`")[1].split()[0] for row in rows] == [s.command for s in _script().steps]
    evidence = report.run.sim.journal.of_type(EVIDENCE_EVENT)
    for row, entry in zip(rows, evidence):
        assert row.startswith(f"| {int(entry.t) // 60:02d}:{int(entry.t) % 60:02d} |")
    probe = next(row for row in rows if "`probe app-1 to=db-1`" in row)
    partition = _first(report.run.sim, "FaultInjected", fault="partition")
    assert probe.rstrip(" |").endswith(": timed out" if partition < 20 + 23.7 * 2 else ": open")
    idle = postmortem_markdown(run_with_par(scenario, 4))
    assert "ran no investigation" in idle[idle.index("## Investigation"):]
