"""Big architectures load and are analysed; only a run past the work budget is refused, in one line.

A topology of up to ``MAX_NODES`` components loads, validates and gets the
graph analysis; a run of it (``spofdrill run``, a what-if at a horizon, a
``Simulation``) past ``MAX_WORK`` node-steps is refused before any work with a
message naming the budget and what to do. The files are written from
``bench/topology.generate``; refusals are proven structurally (the simulation
is never reached), never by wall time, and no big topology is simulated here.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

from bench.topology import generate
from engine.cli.main import main
from engine.scenario.loader import load_scenario
from engine.scenario.loader.library import builtin_scenarios
from engine.scenario.loader.sizes import RunTooLarge, check_runnable, scenario_work
from engine.sim.simulation import Simulation
from engine.util.limits import MAX_NODES, MAX_WORK


def _write(path: Path, n_nodes: int, duration: float = 600.0) -> Path:
    """A generated architecture as a compact scenario file (defaults left out, as an author writes it)."""
    scenario = generate(n_nodes)
    document = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    for name, spec in scenario.topology.nodes.items():
        document["topology"]["nodes"][name]["kind"] = spec.kind
    document["duration"] = duration
    document["method"] = [fault for fault in document.get("method", []) if _starts(fault) < duration]
    path.write_text(yaml.safe_dump(document, sort_keys=False, width=1_000_000))
    return path


def _starts(fault: dict) -> float:
    at = fault.get("at", 0.0)
    return at["between"][1] if isinstance(at, dict) else at


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A 1,000-node scenario file of 600 s: it loads, but one run of it is far past the budget."""
    return _write(tmp_path_factory.mktemp("big") / "big.yaml", 1_000)


def test_the_limits_hold_a_thousand_node_file():
    assert MAX_NODES >= 1_000


def test_a_1000_node_file_loads_and_is_analysed_without_simulation(big, capsys):
    scenario = load_scenario(big)
    assert len(scenario.topology.nodes) == 1_000
    assert scenario_work(scenario) > MAX_WORK
    code, out, err = _cli(capsys, "analyze", str(big), "--no-simulation")
    assert (code, err) == (0, "")
    assert "SPOF analysis" in out and "minimal cut sets" in out and "skipped" not in out


def test_running_it_is_refused_in_one_line_before_any_simulation(big, capsys, monkeypatch):
    import engine.cli.run as run

    monkeypatch.setattr(run, "run_with_par", lambda *a, **k: pytest.fail("simulated a run past the budget"))
    monkeypatch.setattr(run, "simulate", lambda *a, **k: pytest.fail("simulated a run past the budget"))
    code, out, err = _cli(capsys, "run", str(big))
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith(f"{big}: ")
    assert f"{MAX_WORK:,} node-steps" in err and "1,000 nodes" in err and "fewer nodes" in err


def test_a_simulation_past_the_budget_is_refused_before_time_passes():
    """Built, it can be looked at (the console draws its snapshot); advancing it is refused, and nothing ran."""
    scenario = generate(300)
    sim = Simulation(scenario, 0)
    assert len(sim.snapshot().nodes) == len(scenario.topology.nodes)
    with pytest.raises(RunTooLarge) as caught:
        sim.run(1.0)
    (problem,) = caught.value.problems
    assert problem.file == (scenario.id or scenario.title) and f"{MAX_WORK:,}" in problem.message
    assert sim.now == 0.0
    with pytest.raises(RunTooLarge):
        sim.advance(1.0)


def test_the_refusal_crosses_a_process_boundary_whole():
    """What-if runs go to worker processes: the refusal must come back as itself, not as a list of characters."""
    scenario = generate(300)
    with pytest.raises(RunTooLarge) as caught:
        check_runnable(scenario, "big.yaml")
    again = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(again, RunTooLarge) and again.problems == caught.value.problems
    assert str(again).startswith("big.yaml: a run of")


def test_analyze_skips_the_simulations_past_the_budget_and_says_which_horizon_fits(tmp_path, capsys, monkeypatch):
    import engine.analysis.whatif as whatif

    path = _write(tmp_path / "mid.yaml", 300)
    monkeypatch.setattr(whatif, "run_all", lambda *a, **k: pytest.fail("simulated a what-if past the budget"))
    code, out, err = _cli(capsys, "analyze", str(path))
    assert code == 0 and "Traceback" not in err
    (line,) = [line for line in out.splitlines() if "skipped" in line]
    assert f"{MAX_WORK:,} node-steps" in line and "300 nodes × 600 s" in line
    horizon = int(line.rsplit("--horizon ", 1)[1])
    scenario = load_scenario(path)
    assert scenario_work(whatif.failure_scenario(scenario, "dns", horizon)) <= MAX_WORK
    assert scenario_work(whatif.failure_scenario(scenario, "dns", horizon + 10)) > MAX_WORK


def test_every_builtin_scenario_runs_inside_the_budget():
    for name in builtin_scenarios():
        check_runnable(load_scenario(name))


def test_each_command_of_a_script_counts_as_two_state_changes_over_every_node():
    from engine.util.limits import NODE_OVERHEAD

    scenario = load_scenario("lb-failover")
    per_step = 2 * (len(scenario.topology.nodes) + NODE_OVERHEAD)
    assert scenario_work(scenario, 1_000) - scenario_work(scenario, 0) == pytest.approx(1_000 * per_step)


def test_a_scenario_inside_the_budget_still_runs(tmp_path, capsys):
    path = _write(tmp_path / "small.yaml", 60, duration=60.0)
    assert scenario_work(load_scenario(path)) <= MAX_WORK
    code, out, err = _cli(capsys, "run", str(path), "--no-par")
    assert code in (0, 1) and err == "" and "score" in out


# --------------------------------------------------------------------------- an imported architecture

STACK = """\
  {s}-nginx:
    image: nginx:1.25
    ports: ["80:80"]
    deploy: {{replicas: 2}}
    depends_on: [{s}-api]
  {s}-api:
    image: example/api:1.0
    deploy: {{replicas: 10}}
    depends_on: [{s}-db, {s}-redis, {s}-search]
  {s}-db:
    image: postgres:16
    deploy: {{replicas: 3}}
  {s}-redis:
    image: redis:7
  {s}-search:
    image: example/search:1.0
    labels: {{spofdrill.kind: service}}
    deploy: {{replicas: 2}}
"""


def test_a_199_component_compose_file_imports_and_is_analysed(tmp_path, capsys):
    """11 stacks of nginx x2 -> api x10 -> postgres x3, redis, search x2, with the users: 199 components."""
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("name: fleet\nservices:\n" + "".join(STACK.format(s=f"s{i:02d}") for i in range(11)))
    target = tmp_path / "fleet.yaml"
    code, out, err = _cli(capsys, "import", str(compose), "-o", str(target))
    assert code == 0, err
    scenario = load_scenario(target)
    assert len(scenario.topology.nodes) == 199
    from engine.analysis.whatif import failure_scenario

    code, out, err = _cli(capsys, "analyze", str(target), "--no-simulation")
    assert code == 0 and "Traceback" not in err
    assert "s00-redis" in out and "SPOF" in out
    # a what-if of each component fits one run's budget at a horizon analyze names (not at the default 600 s)
    from engine.cli.analyze import _over_budget as over_budget

    line = over_budget(scenario, ["s00-redis"], 600.0)
    assert line is not None and "199 nodes" in line
    horizon = float(line.rsplit("--horizon ", 1)[1])
    assert horizon >= 300 and scenario_work(failure_scenario(scenario, "s00-redis", horizon)) <= MAX_WORK
