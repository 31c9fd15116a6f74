"""Every number of a scenario has a finite, sane range and every input is bounded before work starts (issue 11, items 5-6).

A value out of range, NaN or infinite is a problem at its key path; a file, a
text, a topology, a run or an action script past one of the limits of
:mod:`engine.util.limits` is refused with a message naming the limit. Work is
bounded structurally (the parser is never reached, the message names the
limit), never by wall-clock asserts.
"""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.cli.main import main
from engine.scenario.loader import documents, load_actions, load_actions_text, load_scenario, load_scenario_text
from engine.scenario.problems import ScenarioError
from engine.scenario.loader.sizes import RunTooLarge, scenario_work
from engine.scenario.schema import scenario_json_schema
from engine.sim.simulation import Simulation
from engine.util import limits

BASE: dict[str, Any] = {
    "title": "limits",
    "duration": 300,
    "topology": {
        "nodes": {
            "users": {"kind": "client", "rates": {"read": 100, "write": 10, "static": 0}},
            "lb": {"kind": "load_balancer"},
            "app": {"kind": "app_server", "capacity": 500},
            "db": {"kind": "database"},
        },
        "edges": ["users -> lb", "lb -> app", "app -> db"],
    },
    "method": [{"type": "crash", "target": "app", "at": 60, "duration": 30}],
    "alerts": {"rules": [{"name": "Busy", "metric": "utilisation", "threshold": 0.9}]},
    "hints": [{"text": "look at app", "at": 100}],
    "steady-state-hypothesis": {"probes": [{"name": "up", "metric": "availability", "tolerance": {"min": 0.9}}]},
    "reference_solution": [{"at": 70, "command": "shed", "target": "lb", "args": {"percent": 20}}],
}


def _with(path: tuple, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    target = data
    for key in path[:-1]:
        target = target.setdefault(key, {}) if isinstance(key, str) else target[key]
    target[path[-1]] = value
    return data


def _text(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def _problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, "limits.yaml")
    return [str(problem) for problem in info.value.problems]


def test_the_base_scenario_loads():
    assert load_scenario_text(_text(BASE)).duration == 300


# One representative field of each kind, with its key path as the problem reports it.
FIELDS = [
    (("duration",), "duration"),
    (("topology", "nodes", "app", "capacity"), "topology.nodes.app.capacity"),
    (("topology", "nodes", "app", "workers"), "topology.nodes.app.workers"),
    (("topology", "nodes", "app", "service_time"), "topology.nodes.app.service_time"),
    (("topology", "nodes", "db", "lag"), "topology.nodes.db.lag"),
    (("topology", "nodes", "app", "mtbf"), "topology.nodes.app.mtbf"),
    (("topology", "nodes", "users", "rates", "read"), "topology.nodes.users.rates.read"),
    (("topology", "inter_region_rtt"), "topology.inter_region_rtt"),
    (("automation", "health_check", "interval"), "automation.health_check.interval"),
    (("automation", "health_check", "fall"), "automation.health_check.fall"),
    (("automation", "db_failover", "ttl"), "automation.db_failover.ttl"),
    (("method", 0, "at"), "method[0].at"),
    (("method", 0, "duration"), "method[0].duration"),
    (("method", 0, "factor"), "method[0].factor"),
    (("alerts", "rules", 0, "threshold"), "alerts.rules[0].threshold"),
    (("alerts", "evaluation_interval"), "alerts.evaluation_interval"),
    (("hints", 0, "cost"), "hints[0].cost"),
    (("steady-state-hypothesis", "probes", 0, "tolerance", "min"), "steady-state-hypothesis.probes[0].tolerance.min"),
    (("scoring", "pass_score"), "scoring.pass_score"),
    (("scoring", "scales", "lost_writes"), "scoring.scales.lost_writes"),
    (("slo", "burn_factor"), "slo.burn_factor"),
    (("reference_solution", 0, "at"), "reference_solution[0].at"),
    (("reference_solution", 0, "args", "percent"), "reference_solution[0].args.percent"),
]
BAD_VALUES = [math.inf, -math.inf, math.nan, 1e308, -1.0, 10**30]


@pytest.mark.parametrize("path, where", FIELDS, ids=[w for _, w in FIELDS])
@pytest.mark.parametrize("value", BAD_VALUES, ids=["inf", "-inf", "nan", "1e308", "negative", "huge-int"])
def test_out_of_range_numbers_are_problems_at_their_path(path, where, value):
    if value == -1.0 and where.endswith(("threshold", "tolerance.min", "args.percent")):
        pytest.skip("a threshold or a tolerance may be negative; a command checks its own arguments' range")
    problems = _problems(_text(_with(path, value)))
    assert any(f"{where}:" in p for p in problems), problems
    assert all("\n" not in p for p in problems)


def test_the_bound_is_said_in_words():
    (problem,) = _problems(_text(_with(("topology", "nodes", "app", "capacity"), 1e9)))
    assert "topology.nodes.app.capacity: must be at most 1,000,000, got 1,000,000,000" in problem


def test_nan_and_inf_are_said_to_be_not_finite():
    (problem,) = _problems(_text(_with(("alerts", "rules", 0, "threshold"), math.nan)))
    assert "finite" in problem


def test_a_rate_spec_is_bounded_too():
    spec = {"base": 100, "pattern": "spiky", "spike_every": 1e-9}
    problems = _problems(_text(_with(("topology", "nodes", "users", "rates", "read"), spec)))
    assert any("topology.nodes.users.rates.read.spike_every" in p for p in problems), problems


def test_fault_times_drawn_between_are_bounded():
    problems = _problems(_text(_with(("method", 0, "at"), {"between": [10, math.inf]})))
    assert any("method[0].at.between[1]" in p for p in problems), problems


@pytest.mark.parametrize("value", [math.inf, math.nan, 10**30])
def test_step_arguments_refuse_nan_inf_and_huge_numbers(value):
    problems = _problems(_text(_with(("reference_solution", 0, "args", "percent"), value)))
    assert any("reference_solution[0].args.percent" in p for p in problems), problems


def test_an_action_script_step_refuses_inf():
    scenario = load_scenario_text(_text(BASE))
    with pytest.raises(ScenarioError) as info:
        load_actions_text("- {at: .inf, command: shed, target: lb, args: {percent: 10}}\n", "a.yaml", scenario)
    assert "steps[0].at" in str(info.value)


def test_the_json_schema_shows_the_bounds():
    schema = scenario_json_schema()
    duration = schema["properties"]["duration"]
    assert duration["maximum"] == limits.MAX_DURATION
    app = schema["$defs"]["AppServerNode"]["properties"]["capacity"]
    assert "maximum" in app


# --------------------------------------------------------------------------- the run's size


def test_a_three_day_drill_is_refused_naming_the_limit():
    (problem,) = _problems(_text(_with(("duration",), 3 * 86_400)))
    assert "duration" in problem and "3,600" in problem


def test_a_tiny_tick_is_refused_at_load():
    problems = _problems(_text(_with(("engine",), {"tick": 1e-6})))
    assert any("engine.tick" in p for p in problems), problems


def test_too_many_ticks_are_refused_naming_the_limit():
    data = _with(("engine",), {"tick": 0.01})
    data["duration"] = 3_000
    (problem,) = _problems(_text(data))
    assert "engine.tick" in problem and f"{limits.MAX_TICKS:,}" in problem


def test_too_many_nodes_are_refused_naming_the_limit():
    data = copy.deepcopy(BASE)
    for i in range(limits.MAX_NODES):
        data["topology"]["nodes"][f"svc-{i}"] = {"kind": "service"}
    (problem,) = _problems(_text(data))
    assert "topology.nodes" in problem and f"{limits.MAX_NODES:,}" in problem


def _over_budget(tmp_path) -> Path:
    """A scenario that loads but whose run is past the work budget (50 nodes for 3,000 s)."""
    data = copy.deepcopy(BASE)
    for i in range(46):
        data["topology"]["nodes"][f"svc-{i}"] = {"kind": "service"}
    data["duration"] = 3_000
    path = tmp_path / "long.yaml"
    path.write_text(_text(data))
    return path


def test_the_work_budget_is_refused_naming_the_limit_when_the_run_starts(tmp_path):
    scenario = load_scenario(_over_budget(tmp_path))  # it loads: the budget is a run's
    assert scenario_work(scenario) > limits.MAX_WORK
    with pytest.raises(RunTooLarge) as info:
        Simulation(scenario, 0).run(1.0)
    (problem,) = info.value.problems
    assert f"{limits.MAX_WORK:,} node-steps" in problem.message and "50 nodes over 3000 s" in problem.message


def test_an_edge_shorthand_that_expands_past_the_limit_is_refused():
    data = copy.deepcopy(BASE)
    names = [f"s{i}" for i in range(math.isqrt(limits.MAX_EDGES) + 2)]
    data["topology"]["nodes"].update({name: {"kind": "service"} for name in names})
    data["topology"]["edges"].append(f"{', '.join(names)} -> {', '.join(names)}")
    problems = _problems(_text(data))
    assert any("topology.edges[3]" in p and f"{limits.MAX_EDGES:,}" in p for p in problems), problems


def test_a_long_list_is_refused_naming_the_limit():
    data = copy.deepcopy(BASE)
    data["hints"] = [{"text": "x"}] * (limits.MAX_SCENARIO_ITEMS + 1)
    (problem,) = _problems(_text(data))
    assert "hints" in problem and f"{limits.MAX_SCENARIO_ITEMS:,}" in problem


def test_a_reference_solution_past_max_commands_is_refused():
    data = copy.deepcopy(BASE)
    data["reference_solution"] = [{"at": 70, "command": "shed", "target": "lb", "args": {"percent": 20}}] * (limits.MAX_COMMANDS + 1)
    (problem,) = _problems(_text(data))
    assert "reference_solution" in problem and f"{limits.MAX_COMMANDS:,}" in problem


def test_limits_are_checked_before_the_schema(monkeypatch):
    """A topology past the limit is refused from its size alone: nothing is validated."""
    data = copy.deepcopy(BASE)
    for i in range(limits.MAX_NODES + 1):
        data["topology"]["nodes"][f"svc-{i}"] = {"kind": "service"}

    def boom(*args, **kwargs):
        raise AssertionError("validated a scenario past the limits")

    monkeypatch.setattr(documents, "_validated", boom)
    monkeypatch.setattr(documents, "check_scenario", boom)
    _problems(_text(data))


# --------------------------------------------------------------------------- files and texts


def _script(n_steps: int) -> str:
    return "".join("- {at: 70, command: shed, target: lb, args: {percent: 20}}\n" for _ in range(n_steps))


def test_an_action_script_past_max_commands_is_refused():
    scenario = load_scenario_text(_text(BASE))
    with pytest.raises(ScenarioError) as info:
        load_actions_text(_script(limits.MAX_COMMANDS + 1), "a.yaml", scenario)
    (problem,) = info.value.problems
    assert f"{limits.MAX_COMMANDS:,}" in str(problem)


def test_a_2_mb_action_script_is_refused_naming_the_limit(tmp_path, monkeypatch):
    path = tmp_path / "big.yaml"
    path.write_text(_script(2 * limits.MiB // 40))
    monkeypatch.setattr(documents, "read_yaml", lambda *a: pytest.fail("parsed a file past the limit"))
    with pytest.raises(ScenarioError) as info:
        load_actions(path)
    (problem,) = info.value.problems
    assert str(path) in str(problem) and "1.0 MiB" in str(problem) and "action script" in str(problem)


def test_dev_zero_is_refused_naming_the_limit():
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    for load in (load_actions, load_scenario):
        with pytest.raises(ScenarioError) as info:
            load("/dev/zero")
        (problem,) = info.value.problems
        assert "/dev/zero" in str(problem) and "1.0 MiB" in str(problem)


@pytest.mark.parametrize("make", ["directory", "missing"])
def test_unreadable_paths_are_problems(tmp_path, make):
    path = tmp_path / "x.yaml"
    if make == "directory":
        path.mkdir()
    for load in (load_actions, load_scenario):
        with pytest.raises(ScenarioError) as info:
            load(path)
        (problem,) = info.value.problems
        assert str(path) in str(problem)


@pytest.mark.parametrize("load", [load_scenario_text, load_actions_text])
def test_huge_text_is_refused_before_parsing(load, monkeypatch):
    monkeypatch.setattr(documents, "read_yaml", lambda *a: pytest.fail("parsed a text past the limit"))
    with pytest.raises(ScenarioError) as info:
        load("#" * (2 * limits.MiB), "big.yaml")
    assert "1.0 MiB" in str(info.value)


def test_too_many_yaml_values_names_the_limit_not_aliases():
    text = "title: x\ntags: [" + "1," * (limits.MAX_YAML_VALUES + 10) + "]\n"
    problems = _problems(text)
    assert any(f"{limits.MAX_YAML_VALUES:,}" in p and "limit" in p for p in problems), problems
    assert not any("aliases?" in p for p in problems)


# --------------------------------------------------------------------------- the command line


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("value", [math.inf, math.nan, 3 * 86_400])
def test_validate_and_run_report_a_bad_duration_in_one_line(tmp_path, capsys, value):
    path = tmp_path / "bad.yaml"
    path.write_text(_text(_with(("duration",), value)))
    code, out, err = _cli(capsys, "validate", str(path))
    assert code == 1
    assert out.strip().count("\n") == 0 and str(path) in out and "duration" in out
    code, out, err = _cli(capsys, "run", str(path), "--no-par")
    assert code == 2
    assert "Traceback" not in err and err.strip().count("\n") == 0 and "duration" in err


def test_run_with_actions_from_dev_zero_is_a_one_line_error(tmp_path, capsys):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    path = tmp_path / "ok.yaml"
    path.write_text(_text(BASE))
    code, out, err = _cli(capsys, "run", str(path), "--no-par", "--actions", "/dev/zero")
    assert code == 2
    assert err.strip().count("\n") == 0 and "/dev/zero" in err and "1.0 MiB" in err


def test_run_past_the_work_budget_is_a_one_line_error_naming_the_file(tmp_path, capsys):
    path = _over_budget(tmp_path)
    code, out, err = _cli(capsys, "validate", str(path))
    assert code == 0 and out.strip() == f"{path}: ok"
    code, out, err = _cli(capsys, "run", str(path), "--no-par")
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith(f"{path}: ") and f"{limits.MAX_WORK:,} node-steps" in err


def test_rates_inf_does_not_run(tmp_path, capsys):
    path = tmp_path / "inf.yaml"
    path.write_text(_text(_with(("topology", "nodes", "users", "rates", "read"), math.inf)))
    code, out, err = _cli(capsys, "run", str(path), "--no-par")
    assert code == 2 and "topology.nodes.users.rates.read" in err and "PASS" not in out
