"""SVG snapshots of every console screen (pytest-textual-snapshot).

Each test builds a :class:`~tui.app.SpofdrillApp` with seed 7, the engine timer
paused (``autoplay=False``: simulated time moves only when a test calls
``DrillScreen.advance_by``), no journal file, animations off and a fresh data
directory (so the history is empty and nothing depends on the date), then
compares the screen with ``tests/__snapshots__/test_snapshots/<test>.svg``.

Each docstring says what a reviewer should see in the SVG. After a deliberate
change to a screen, regenerate and review the pictures::

    .venv/bin/pytest tests/test_snapshots.py --snapshot-update

(a failing run writes ``snapshot_report.html`` with the old and new pictures
side by side).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from engine.scenario.loader import load_scenario
from tui.app import SpofdrillApp
from tui.screens.debrief import DebriefScreen
from tui.screens.dialogs import ConfirmDialog
from tui.screens.drill import DrillScreen
from tui.screens.help import HelpScreen
from tui.widgets.topology import TopologyView

SEED = 7
SIZE = (80, 24)
"""The console's minimum size: most screens are checked where they are tightest."""
LARGE = (160, 48)


def console(scenario: str | None = None) -> SpofdrillApp:
    """The app as the tests drive it: fixed seed, paused engine, no journal, no animations."""
    app = SpofdrillApp(
        scenario=None if scenario is None else load_scenario(scenario),
        seed=SEED,
        autoplay=False,
        keep_journal=False,
    )
    # Textual reads TEXTUAL_ANIMATIONS once, at import: set the level on the instance too.
    app.animation_level = "none"
    return app


async def start_drill(pilot: Pilot) -> DrillScreen:
    """Press enter on the briefing and return the drill screen (its clock still at 0)."""
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, DrillScreen)
    return screen


async def mid_incident(pilot: Pilot) -> DrillScreen:
    """db-primary-async 110 simulated seconds in (its alerts firing: monitoring saw the partition
    at the scrapes from 86 s on and the global rules fired at the 105 s scrape), with db-2 selected."""
    screen = await start_drill(pilot)
    screen.advance_by(110)
    screen.query_one(TopologyView).selected = "db-2"
    await pilot.pause()
    assert screen.session.now == pytest.approx(110)
    assert screen.last_snapshot is not None and screen.last_snapshot.firing()
    return screen


def test_picker(snap_compare) -> None:
    """The picker at 80×24 with an empty history.

    Header "spofdrill  Choose a drill" and "16 scenarios"; the table of the
    built-in scenarios in the declared teaching order (the intro drill first:
    "The unprotected system", whose Level reads its measured "medium"; then the
    declared-easy ones "Load balancer crash with a standby" and "When a nice-to-have
    breaks", both measured "medium" since monitoring shows a crash only at the next
    scrape; then the declared mediums by title), with the level
    coloured by difficulty, concepts cut short at a word ("spof…", "chaos…";
    only a first word too long is cut inside it, "redundanc…"; issue 13, defect 7)
    so titles keep their room (whole up to 42 characters here: "Catalogue site behind a
    read-through cache" is not cut), 10 min and a Best column of only "—"; the
    first row highlighted; the "Suggested next (g): The unprotected system"
    line; the preview of the first row below (title, id · level · minutes ·
    concepts, the measured difficulty, SITUATION); the footer with enter Start,
    / Filter, r Reload, a SPOF analysis, q Quit, ? Help.
    """
    assert snap_compare(console(), terminal_size=SIZE)


def test_briefing(snap_compare) -> None:
    """The lb-failover briefing at 80×24, before the clock starts.

    Header "Briefing  Load balancer crash with a standby" and "medium · 10 min ·
    seed 7" (its measured level); the SITUATION paragraph, the three OBJECTIVES, the SLO line
    (99 %, p99 under 1 s) and the start of WHAT YOU SEE (monitoring's view: scrapes
    every 15 s, 'no data' (?) on a failed scrape); the "Start the
    clock ⏎" and "Back esc" buttons; nothing about which component will fail.
    """
    assert snap_compare(console("lb-failover"), terminal_size=SIZE)


def test_drill_at_start(snap_compare) -> None:
    """The db-primary-async drill at 80×24, just started (00:00, engine paused).

    Clock bar "⏱ 00:00/10:00 … score 100 error budget 100% left hints 2 observed" and the
    scenario's title cut at a word with "…" (issue 13, defect 6e, 7); the topology in
    its compact form: users → lb-1 VIP → app-1, app-2 → cache and db-1 P, db-2 R,
    db-3 R, every box ✓, the replication line dotted under the databases; the
    detail panel says "Select a node with the arrow keys or the mouse."; the
    metrics at zero (nothing scraped yet); an empty Alerts tab beside Timeline and
    Evidence; no 🔔 in the clock bar.
    """

    async def run_before(pilot: Pilot) -> None:
        await start_drill(pilot)

    assert snap_compare(console("db-primary-async"), terminal_size=SIZE, run_before=run_before)


def test_drill_mid_incident(snap_compare) -> None:
    """The db-primary-async drill at 160×48, 110 simulated seconds in, db-2 selected.

    Clock bar at 01:50 reading "error budget 1,610% spent", "observed" and 🔔3; the
    full-size topology as monitoring sees it: db-1 "✓ P" (the partition cuts it off
    from everyone but monitoring, which still scrapes it fine), app-2, db-2 and db-3
    marked "!" and both replication lines labelled "broken"; the detail panel on db-2
    (degraded · replica, "replication stopped at position 8,349", lag 0.3 s) with the
    commands that apply to it ([P] Promote replica …, [X] Fence node …) and the
    investigations ([i] Read logs, [p] Probe reachability, [r] Show replication
    status); the error-rate sparkline climbing at the right, the charts ending at the
    105 s scrape; the "Alerts 3" tab beside Timeline and Evidence with HighErrorRate,
    WriteErrors and the SLOBurnRate page firing.
    """
    assert snap_compare(console("db-primary-async"), terminal_size=LARGE, run_before=mid_incident)


def test_promote_confirmation(snap_compare) -> None:
    """P on db-2 mid-incident (80×24, 01:50): the confirmation dialog over the drill.

    A red-bordered dialog "Promote replica?" saying what promoting db-2 costs
    (received and applied up to write 8,349, the 30 writes it never received) and that db-1
    is not fenced (split brain); buttons "Cancel (n)" (focused) and
    "Promote replica (y)"; the drill dimmed behind it, its clock bar reading
    "error budget 1,610% spent … observed", the node panel saying "replication stopped at position 8,349".
    """

    async def run_before(pilot: Pilot) -> None:
        await mid_incident(pilot)
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmDialog)

    assert snap_compare(console("db-primary-async"), terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare) -> None:
    """? during a drill (80×24): the drill's own help over the drill (issue 13, defect 6b).

    A bordered panel "Keys on this screen", then
    the keys from the drill's bindings: "← h → l ↑ k ↓ j" (move the selection;
    in a group's box ← → step through its members), "a" (acknowledge), space
    Pause, "1 2 3 4" (1× / 2× / 5× / 10×), ":" Commands, enter Menu, tab Next
    panel, "q esc" Leave, ctrl+p, "?"; then the note on the clock bar's error
    budget below; a scrollbar, because the tabs' note and the commands follow.
    """

    async def run_before(pilot: Pilot) -> None:
        await start_drill(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)

    assert snap_compare(console("db-primary-async"), terminal_size=SIZE, run_before=run_before)


def test_debrief(snap_compare) -> None:
    """The db-primary-async debrief (80×24) after a drill run to its end with no command.

    "Debrief — Database primary lost, two async replicas", the score 46.3 / 100,
    grade F, FAILED (needs 60 and every probe), the points lost and both probes;
    then the table "Your run beside the par runs" with figures in all three
    columns (you equal to no action, the reference passing with 82.5), never "…".
    """

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        drill = await start_drill(pilot)
        drill.advance_by(drill.session.scenario.duration + 1)
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.report is not None

    assert snap_compare(console("db-primary-async"), terminal_size=SIZE, run_before=run_before)


def test_terminal_too_small(snap_compare) -> None:
    """A drill whose terminal shrinks to 60×20: the size message instead of a broken layout.

    On a blank screen, a heavy yellow-bordered box: "The terminal is 60×20;
    spofdrill needs at least 80×24. Enlarge it to go on. The drill is paused
    until it is."
    """

    async def run_before(pilot: Pilot) -> None:
        drill = await start_drill(pilot)
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert drill.session.paused

    assert snap_compare(console("lb-failover"), terminal_size=SIZE, run_before=run_before)
