"""The engine's shortcuts give the answers of the full scans they replaced (bench/run.py measures their speed).

* alert rules evaluated only for the components scraped since the last evaluation (and the alerts
  pending or firing) fire and resolve exactly as a pass over every component;
* scrapes taken from a heap of due times are the components a look at every one would scrape, in
  the nodes' order;
* classes of identical app servers whose per-second sums are kept on their first member give the
  figures of accounting every member;
* the outcome skips clusters whose surviving copy holds exactly the acknowledged writes, and the
  acknowledged writes are counted incrementally: the figures of subtracting and counting every range;
* a routing plan that reuses the previous version's graph-only parts is the plan built from scratch.
"""

from __future__ import annotations

import random

import pytest

from bench.topology import generate
from engine.scenario.schema import Alerts, Slo
from engine.sim.alerts import AlertEvaluator
from engine.sim.flow import Traffic
from engine.sim.simulation import Simulation

KINDS = ("app_server", "cache", "database", "load_balancer", "service")


def _transitions(changes):
    return [(change, alert.id, alert.pending_since, alert.firing_since, alert.resolved_at) for change, alert in changes]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_partial_alert_evaluation_matches_a_full_pass(seed: int) -> None:
    rng = random.Random(seed)
    kinds = {f"n{i}": rng.choice(KINDS) for i in range(60)}
    full = AlertEvaluator(Alerts(), Slo(), kinds)
    partial = AlertEvaluator(Alerts(), Slo(), kinds)
    latest: dict[str, dict[str, float]] = {}
    for t in range(1, 400):
        scraped = [name for name in kinds if rng.random() < 0.07]  # a scrape replaces the node's metrics
        for name in scraped:
            latest[name] = {
                "up": float(rng.random() > 0.1), "error_ratio": rng.choice((0.0, 0.01, 0.3)),
                "utilisation": rng.choice((0.2, 0.95)), "hit_ratio": rng.choice((0.9, 0.3)),
                "healthy_backends": float(rng.randrange(3)), "lag": rng.choice((0.0, 20.0)),
                "replicating": float(rng.random() > 0.05),
            }
        global_metrics = {"error_ratio": rng.choice((0.0, 0.2)), "p99": 0.1, "burn_short": 0.0,
                          "write_error_ratio": 0.0, "split_brain": 0.0}
        expected = _transitions(full.evaluate(float(t), global_metrics, latest))
        got = _transitions(partial.evaluate(float(t), global_metrics, latest, changed=scraped))
        assert got == expected, t
    assert {k: v.state for k, v in partial.instances.items()} == {k: v.state for k, v in full.instances.items()}
    assert any(v.state == "firing" for v in full.instances.values())


def test_scrapes_from_the_heap_are_those_a_scan_takes() -> None:
    sim = Simulation(generate(250, 3), 3, budget=False)
    observer = sim.monitoring.observer
    names = [name for name, node in sim.nodes.items() if node.kind != "client"]
    sim.run(1.5)  # second 1 closed: every component has its first scrape time
    due = {name: observer.next_scrape(name) for name in names}
    for t in range(2, 200):
        sim.run(t + 0.5)  # second t closed
        expected = [name for name in names if due[name] <= t]
        assert sim.monitoring.scraped == expected, t
        for name in expected:
            nxt = due[name] + observer.interval
            while nxt <= t:
                nxt += observer.interval
            due[name] = nxt
        assert {name: observer.next_scrape(name) for name in names} == due


def test_tied_classes_give_the_figures_of_per_member_sums(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = generate(250, 5)

    def run() -> tuple[list, list, dict]:
        sim = Simulation(scenario, 5, budget=False)
        metrics = []
        for t in range(10, 360, 10):
            sim.run(float(t))
            metrics.append(sorted(sim.node_metrics.items()))
        return metrics, list(sim.journal), dict(sim.series)

    tied = run()
    monkeypatch.setattr(Traffic, "_level", staticmethod(lambda members: False))
    assert run() == tied


@pytest.mark.parametrize("seed", [0, 4])
def test_outcome_shortcuts_match_the_full_count(seed: int) -> None:
    """Equal range sets skipped and acknowledged writes counted incrementally: the outcome of counting every range."""
    import dataclasses

    from engine.scoring.outcome import compute_outcome
    from engine.util.ranges import range_count, subtract_ranges

    sim = Simulation(generate(250, seed), seed, budget=False)
    rng = random.Random(seed)
    while sim.now < sim.duration:
        sim.run(sim.now + rng.uniform(5.0, 90.0))
        tally = sim.tally()
        full = sum(range_count(a) for a in tally.allocated.values())
        assert tally.acknowledged == full
        got = compute_outcome(tally)
        expected = compute_outcome(dataclasses.replace(tally, acknowledged=None))
        assert got == expected
        lost = sum(range_count(subtract_ranges(a, tally.final_data.get(c, []))) for c, a in tally.allocated.items())
        phantom = sum(range_count(subtract_ranges(tally.final_data.get(c, []), a)) for c, a in tally.allocated.items())
        assert (got.lost_writes, got.phantom_writes, got.writes_acknowledged) == (lost, phantom, full)
    assert full > 0


@pytest.mark.parametrize("seed", [1, 5])
def test_plan_reusing_graph_parts_matches_a_fresh_build(seed: int) -> None:
    """A plan that takes its graph-only parts from the previous version's is the plan built from scratch."""
    from engine.sim.plan import RoutingPlan

    sim = Simulation(generate(250, seed), seed, budget=False)
    rng = random.Random(seed)
    versions = set()
    while sim.now < sim.duration:
        sim.run(sim.now + rng.uniform(5.0, 60.0))
        plan = sim.traffic.plan
        fresh = RoutingPlan(sim.world)
        assert (plan.dns_vips, plan.svc_deps, plan.apps, plan.entries) == (fresh.dns_vips, fresh.svc_deps, fresh.apps, fresh.entries)
        if plan.version == sim.world.version:
            assert plan.pools == fresh.pools
        versions.add(plan.version)
    assert len(versions) > 3
