"""The first-drill walkthrough (README, docs/first-drill.md) tells what the engine does on lb-failover, seed 3.

If the engine changes when monitoring shows the crash, these figures and the
captures in both documents must be taken again (tests/snapshot_apps/drill_screenshot.py
regenerates the picture).
"""

from __future__ import annotations

from pathlib import Path

from engine.scenario.loader import load_scenario
from engine.scoring.format import clock
from engine.sim.simulation import Simulation

ROOT = Path(__file__).resolve().parents[3]


def test_the_walkthrough_times_are_the_engines():
    """Seed 3: lb-1 dies at 01:07; the global metrics' scrape at 75 s (01:15) shows the errors; lb-1's
    next scrape (82 s, 01:22) fails; the SLO burn page fires at the 90 s scrape (01:30) and
    InstanceDown 10 s after the failed scrape (01:32). Both documents say so."""
    sim = Simulation(load_scenario("lb-failover"), 3)
    sim.run(120)
    crash = sim.journal.of_type("FaultInjected")[0].t
    seen = next(e.t for e in sim.journal.of_type("Observed") if e.data["node"] == "lb-1")
    fired = {e.data["alert"]: e.t for e in sim.journal.of_type("AlertFired")}
    assert (clock(crash), clock(seen), clock(fired["SLOBurnRate"]), clock(fired["InstanceDown:lb-1"])) == (
        "01:07", "01:22", "01:30", "01:32")
    for doc in ("README.md", "docs/first-drill.md"):
        text = (ROOT / doc).read_text()
        for phrase in ("01:07", "01:22", "01:30", "01:32", "? lb-1 VIP"):
            assert phrase in text, (doc, phrase)
