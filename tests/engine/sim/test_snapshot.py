"""The snapshot's score is cached, never stale: at every instant it equals the score computed from scratch.

The console asks for a snapshot many times a second; the simulation recomputes
the score only when what the ground truth reads can have changed. Checked at
0.2 s slices over whole runs of the reference solution, commands, failovers and
split brains included.
"""

from __future__ import annotations

import pytest

from engine.scoring.score import score_outcome
from engine.sim.actions import ActionDriver
from engine.sim.simulation import Simulation
from support import load_builtin


@pytest.mark.parametrize("name", ["db-primary-async", "region-partition"])
def test_the_snapshot_score_is_the_score_of_the_outcome_at_every_instant(name):
    scenario = load_builtin(name)
    sim = Simulation(scenario, 7)
    ActionDriver(sim, scenario.reference_solution).install()
    k = 1
    while sim.now < sim.duration:
        sim.run(k * 0.2)
        k += 1
        first = sim.snapshot(view="truth").score
        assert first == sim.snapshot(view="truth").score
        assert first == score_outcome(sim.outcome(), scenario).score, sim.now
