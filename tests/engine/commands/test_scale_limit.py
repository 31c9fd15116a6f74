"""A scale-out cannot take the topology past ``MAX_NODES`` (issue 11, item 6): it is refused naming the limit."""

from __future__ import annotations

from engine.sim.simulation import Simulation
from engine.util.limits import MAX_NODES
from support import load_builtin


def _app(scenario) -> str:
    return next(name for name, spec in scenario.topology.nodes.items() if spec.kind == "app_server")


def test_scale_out_stops_at_the_node_limit():
    scenario = load_builtin("lb-failover")
    sim = Simulation(scenario, seed=7)
    sim.run(5)
    app = _app(scenario)
    accepted = 0
    refusals = []
    for _ in range(MAX_NODES // 20 + 5):
        receipt = sim.apply({"command": "scale", "target": app, "args": {"count": 20}})
        if receipt.accepted:
            accepted += 20
        else:
            refusals.append(receipt.reason)
    assert len(scenario.topology.nodes) + accepted <= MAX_NODES
    assert refusals and f"{MAX_NODES:,}" in refusals[-1] and "nodes" in refusals[-1]
    assert len(sim.snapshot().nodes) <= MAX_NODES


def test_a_scale_out_that_fits_is_still_accepted():
    scenario = load_builtin("lb-failover")
    sim = Simulation(scenario, seed=7)
    receipt = sim.apply({"command": "scale", "target": _app(scenario), "args": {"count": 2}})
    assert receipt.accepted, receipt.reason
