"""The clock bar shows the error budget the engine's snapshot carries (issue 13).

It used to sum the snapshot's bounded history (the last 300 s) and, at 07:03 of a drill
whose outage ended at 01:43, said "budget 100%".
"""

from __future__ import annotations

from textual.app import App, ComposeResult

from engine.scenario.loader import load_scenario
from engine.sim.actions import ActionDriver
from engine.sim.simulation import Simulation
from tui.widgets.clock import ClockBar


class ClockApp(App):
    def compose(self) -> ComposeResult:
        yield ClockBar(id="clock")


def _snapshot_at(t: float):
    scenario = load_scenario("lb-failover")
    sim = Simulation(scenario, 0)
    ActionDriver(sim, scenario.reference_solution).install()
    sim.run(t)
    return scenario, sim.snapshot()


async def test_the_clock_remembers_an_outage_past_the_history_window() -> None:
    """lb-failover, seed 0, reference fix: lb-1 dies at 81.9 s, its next scrape (95 s) fails,
    InstanceDown (for: 10 s) fires at 105 s, the reference fails over 10 s later: ~18,469 requests
    fail (82-115 s) of ~227,000 by the last scrape before 07:03 (07:00). The SLO (99 %) allowed 1 %
    of them, ~2,270: 18,469 / 2,270 = ~8.1, so the bar reads "error budget 815% spent"
    (it read "budget 100%": the last 300 s hold no failure; then "budget spent ×8", which said neither
    which budget nor what the figure was)."""
    scenario, snapshot = _snapshot_at(423)
    assert snapshot.as_of == 420.0
    assert sum(snapshot.series("failed")) == 0  # the window the bar used to sum
    assert 8.0 < snapshot.budget_used < 8.3
    app = ClockApp()
    async with app.run_test(size=(120, 3)) as pilot:
        bar = app.query_one(ClockBar)
        bar.show(snapshot, speed=1.0, paused=False, assess=False, title=scenario.title)
        await pilot.pause()
        shown = str(bar.render())
        assert "07:03" in shown
        assert "error budget 815% spent " in shown
        assert "budget 100%" not in shown


async def test_the_clock_shows_what_is_left_before_the_budget_is_spent() -> None:
    """At 00:30 nothing has failed: "error budget 100% left"."""
    scenario, snapshot = _snapshot_at(30)
    assert snapshot.budget_used == 0.0
    app = ClockApp()
    async with app.run_test(size=(120, 3)) as pilot:
        bar = app.query_one(ClockBar)
        bar.show(snapshot, speed=1.0, paused=False, assess=False, title=scenario.title)
        await pilot.pause()
        assert "error budget 100% left" in str(bar.render())
