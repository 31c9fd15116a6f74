"""Investigations from the console: a key issues them on the selected node, the evidence tab shows the result.

Time moves with ``DrillScreen.advance_by`` (the timer is paused); assertions read the
engine's journal and the evidence panel's lines, not pixels.
"""

from __future__ import annotations

from textual.widgets import TabbedContent

from engine.commands.investigate import EVIDENCE_EVENT
from engine.scenario.loader import load_scenario
from tui.app import SpofdrillApp
from tui.screens.dialogs import ArgsDialog
from tui.widgets.evidence import EvidencePanel

from test_console import select, start


def _panel_text(screen) -> str:
    panel = screen.query_one(EvidencePanel)
    return "\n".join(strip.text for strip in panel.lines)


async def test_the_logs_key_reads_the_selected_nodes_logs_into_the_evidence_tab():
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), seed=3, autoplay=False, keep_journal=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(150)  # lb-1 crashed between 60 and 90 s
        await select(pilot, screen, "lb-1")
        await pilot.press("i")
        await pilot.pause()
        issued = [e for e in screen.session.sim.journal.of_type("CommandIssued") if e.data["command"] == "logs"]
        assert issued and issued[-1].data["target"] == "lb-1"
        assert screen.last_snapshot.node("lb-1").progress.startswith("logs ")
        screen.advance_by(6)
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "evidence-tab"
        rows = screen.session.sim.journal.of_type(EVIDENCE_EVENT)
        text = _panel_text(screen)
        assert text.startswith("logs lb-1 · 02:35")
        for line in rows[-1].data["lines"][1:]:
            assert line in text
        assert "[INFO] frontend:" in text


async def test_the_probe_key_asks_where_to_probe_and_shows_the_verdict():
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), seed=3, autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(150)
        await select(pilot, screen, "lb-2")
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ArgsDialog)
        assert app.screen.query_one("#arg-to").value == "app-1"  # the selected node's first dependency
        app.screen.query_one("#arg-to").value = "lb-1"
        await pilot.click("#ok")
        await pilot.pause()
        screen.advance_by(2)
        await pilot.pause()
        assert "result from lb-2 to lb-1:80: connection refused" in _panel_text(screen)
