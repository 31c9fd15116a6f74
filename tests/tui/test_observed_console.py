"""The console draws what monitoring sees (issue 13): a crash is not on the diagram before the next scrape.

lb-failover is observed (the default): lb-1's crash shows as "? lb-1" ("no data") at lb-1's first
scrape after the crash, at most one scrape interval (15 s) later, and not a moment before.
spof-baseline is a truth drill: its load balancer shows "✗" from the crash on.
"""

from __future__ import annotations

from engine.scenario.loader import load_scenario
from tui.app import SpofdrillApp
from tui.widgets.clock import ClockBar
from tui.widgets.detail import NodeDetail
from tui.widgets.topology import TopologyView

from tests.tui.test_console import select, start


def diagram(screen) -> str:
    view = screen.query_one(TopologyView)
    return "\n".join("".join(seg.text for seg in view.render_line(y)) for y in range(view.size.height))


async def _until_fault(screen, pilot) -> float:
    while not screen.session.sim.journal.of_type("FaultInjected"):
        screen.advance_by(0.5)
    await pilot.pause()
    return screen.session.sim.journal.of_type("FaultInjected")[0].t


async def test_a_crash_is_not_on_the_diagram_before_the_next_scrape() -> None:
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start(pilot, app)
        assert "observed" in str(screen.query_one(ClockBar).render())
        crash = await _until_fault(screen, pilot)
        sim = screen.session.sim
        assert not sim.nodes["lb-1"].up  # the truth: lb-1 is down
        due = sim.monitoring.observer.next_scrape("lb-1")
        assert crash < due <= crash + 15
        while sim.now + 0.5 < due:
            screen.advance_by(0.5)
            await pilot.pause()
            shown = diagram(screen)
            assert "✓ lb-1" in shown and "? lb-1" not in shown and "✗ lb-1" not in shown, sim.now
        screen.advance_by(1.0)
        await pilot.pause()
        shown = diagram(screen)
        assert "? lb-1" in shown
        await select(pilot, screen, "lb-1")
        screen.advance_by(0.5)
        await pilot.pause()
        detail = str(screen.query_one(NodeDetail).render())
        assert "no data" in detail and "scrape failed: connection refused" in detail


async def test_a_truth_drill_shows_the_crash_at_once() -> None:
    app = SpofdrillApp(scenario=load_scenario("spof-baseline"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start(pilot, app)
        assert "observed" not in str(screen.query_one(ClockBar).render())
        await _until_fault(screen, pilot)
        screen.advance_by(0.5)
        await pilot.pause()
        assert "✗ lb" in diagram(screen)
