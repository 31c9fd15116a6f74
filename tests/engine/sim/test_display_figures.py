"""Figures the console displays, checked against the engine's ground truth (issue 13).

The clock bar's error budget and the "cache hit" chart are display figures: they
must say what the whole run (the budget) and the caches that serve traffic (the
hit ratio) say, not what a bounded window or a dead cache says.
"""

from __future__ import annotations

import pytest

from engine.records.postmortem import error_budget_used
from engine.scenario.loader import load_scenario
from engine.sim.actions import ActionDriver
from engine.sim.runner import measure
from engine.sim.simulation import Simulation


def _lb_failover_fixed_early() -> Simulation:
    scenario = load_scenario("lb-failover")
    sim = Simulation(scenario, 0)
    ActionDriver(sim, scenario.reference_solution).install()
    return sim


def test_the_budget_remembers_an_outage_older_than_the_snapshot_window() -> None:
    """lb-failover, seed 0, with the reference fix: users fail from 82 s to 103 s (22 seconds at
    about 520 failed requests a second, some 11,400 failed requests), then nothing fails.

    At 07:03 (423 s) the snapshot's history holds only the last 300 s (123-423 s): summing it
    found no failure at all and the clock said "budget 100%". Over the whole run so far the SLO
    (99 %) allowed 1 % of about 227,600 requests, about 2,280 failed ones: about 5x of it (~500 %)
    is spent. At the end (600 s, ~323,700 requests, ~3,237 allowed) the postmortem says ~353 %;
    the last snapshot must say the same figure, from the same formula.
    """
    sim = _lb_failover_fixed_early()
    target = sim.scenario.slo.target
    sim.run(423)
    snap = sim.snapshot(view="truth")
    failed_in_window = sum(snap.series("failed"))
    assert failed_in_window == 0  # the bounded window alone has forgotten the outage
    requests, failed = sum(sim.series["requests"]), sum(sim.series["failed"])
    assert failed > 10_000
    so_far = failed / ((1.0 - target) * requests)
    assert snap.budget_used == pytest.approx(so_far, rel=1e-9)
    assert snap.budget_used > 1.0
    while sim.now < sim.duration:
        sim.run(sim.now + 60)
    run = measure(sim)
    _, used = error_budget_used(run, target)
    assert used > 1.0
    assert sim.snapshot(view="truth").budget_used == pytest.approx(used, rel=1e-9)


def test_the_budget_of_an_unbroken_outage_matches_the_postmortem() -> None:
    """lb-failover, seed 0, no action, past 7 min: users fail from 82 s on and the postmortem over the
    whole drill calls it ~86x the budget (8,600 %); the last snapshot carries the same figure."""
    scenario = load_scenario("lb-failover")
    sim = Simulation(scenario, 0)
    sim.run(423)
    assert sim.snapshot(view="truth").budget_used > 1.0
    while sim.now < sim.duration:
        sim.run(sim.now + 60)
    _, used = error_budget_used(measure(sim), scenario.slo.target)
    assert sim.snapshot(view="truth").budget_used == pytest.approx(used, rel=1e-9)
    assert used > 1.0


def test_the_budget_is_untouched_before_anything_fails() -> None:
    """lb-failover fails nothing before its fault (the first failure is after 60 s): 0 % used."""
    sim = Simulation(load_scenario("lb-failover"), 0)
    sim.run(30)
    assert sim.snapshot(view="truth").budget_used == 0.0


def test_the_cache_hit_chart_follows_the_live_cache_after_a_region_goes_dark() -> None:
    """region-outage, seed 7: eu-west goes dark at ~84 s. cache-eu (hit ratio 0.9) is then down
    and serves no read; cache-us (hit ratio 0.9, warm) serves every read that reaches the app
    servers (~245 a second). Weighting each cache's ratio by the reads it served:
    (0 x 0.0 + 245 x 0.9) / (0 + 245) = 0.9. The minimum over the caches said 0.0.
    """
    sim = Simulation(load_scenario("region-outage"), 7)
    sim.run(200)
    snap = sim.snapshot(view="truth")
    dark, live = snap.node("cache-eu"), snap.node("cache-us")
    assert not dark.up and dark.metric("requests") == 0.0
    assert live.up and live.metric("requests") > 0
    assert live.metric("hit_ratio") == pytest.approx(0.9)
    assert snap.metric("cache_hit_ratio") == pytest.approx(live.metric("hit_ratio"))
    # every second from the outage on (its own second too, and the seconds in which us-east's app
    # servers flap out of their load balancers and cache-us serves no read: still 0.9, the live cache's)
    onset = next(e.t for e in sim.journal if e.type == "FaultInjected")
    after = [h for t, h in zip(sim.series["t"], sim.series["cache_hit_ratio"]) if t >= onset]
    assert len(after) > 100
    assert min(after) == pytest.approx(0.9)


def test_the_cache_hit_chart_weights_two_live_caches_by_their_reads() -> None:
    """region-outage, seed 7, before the outage (60 s): both caches live at 0.9 and serving about
    half the reads each, so the weighted figure is 0.9 (as the minimum was)."""
    sim = Simulation(load_scenario("region-outage"), 7)
    sim.run(60)
    snap = sim.snapshot(view="truth")
    assert snap.node("cache-eu").metric("requests") > 0 and snap.node("cache-us").metric("requests") > 0
    assert snap.metric("cache_hit_ratio") == pytest.approx(0.9)
