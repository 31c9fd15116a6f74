"""Console defects of issue 13 (5 to 8), each with the check that would have caught it.

The drills run with their timer paused (``autoplay=False``); what a trainee
sees is read from the screen as text (:func:`screen_text`), not from widgets'
attributes, because the defects were all in what reached the terminal.
"""

from __future__ import annotations

import io
import re

from rich.console import Console

from engine.scenario.loader import load_scenario
from tui.app import SpofdrillApp
from tui.screens.dialogs import ConfirmDialog, NodeMenu
from tui.widgets.clock import ClockBar
from tui.widgets.topology import TopologyView
from support import select_node as select, start_drill as start


def screen_text(app) -> str:
    """The terminal's text as the trainee sees it (the screen and the screens below a dialog)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True,
                      legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def footer_keys(screen) -> dict[str, str]:
    """The footer's offers: key display -> description."""
    from textual.widgets._footer import FooterKey

    return {key.key_display: key.description for key in screen.query(FooterKey)}



# ---------------------------------------------------------------- defect 6


async def test_the_node_menu_shows_each_commands_key_beside_it():
    """6a: the menu read ``[F] Fail over`` as markup and showed ``Fail over`` without its key."""
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(5)
        await select(pilot, screen, "lb-2")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NodeMenu)
        text = screen_text(app)
        for spec in app.screen.specs:
            assert re.search(rf"{re.escape(spec.key)} +{re.escape(spec.title)}", text), (spec.key, text)


async def test_the_assessment_footer_offers_no_pause_and_no_hints():
    """6c: pause and hints are off in an assessment, so the footer does not offer them (and the keys say why)."""
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), assess=True, autoplay=False, keep_journal=False)
    async with app.run_test(size=(120, 24)) as pilot:
        screen = await start(pilot, app)
        await pilot.pause()
        offered = set(footer_keys(screen).values())
        assert "Pause" not in offered and "Reveal next hint" not in offered, offered
        assert "Leave" in offered
        await pilot.press("space")
        await pilot.pause()
        assert not screen.session.paused
        assert any("disabled in assessment" in n.message for n in app._notifications)
    practice = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False)
    async with practice.run_test(size=(120, 24)) as pilot:
        screen = await start(pilot, practice)
        await pilot.pause()
        offered = set(footer_keys(screen).values())
        assert {"Pause", "Reveal next hint"} <= offered, offered


async def test_a_hint_asks_first_and_says_what_it_costs():
    """6d: H spent points at once; now it asks, with the cost, and n keeps the points."""
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(20)
        await pilot.press("H")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        cost = screen.session.scenario.hints[0].cost
        assert f"{cost:g} points" in app.screen.text
        await pilot.press("n")
        await pilot.pause()
        assert not screen.session.sim.journal.of_type("HintRevealed")
        await pilot.press("H")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert screen.session.sim.journal.of_type("HintRevealed")


async def test_the_clock_bar_says_which_budget_is_spent_and_by_how_much():
    """6e: ``budget spent ×17`` explained nothing; the bar names the error budget and the share spent."""
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), seed=3, autoplay=False, keep_journal=False)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(5)
        await pilot.pause()
        bar = str(screen.query_one(ClockBar).render())
        assert "error budget" in bar and "% left" in bar, bar
        screen.advance_by(120)  # the load balancer is down for a minute: far over the budget
        await pilot.pause()
        bar = str(screen.query_one(ClockBar).render())
        assert "spent ×" not in bar and "error budget" in bar and "% spent" in bar, bar


# ---------------------------------------------------------------- defect 5


def _diagram(view: TopologyView) -> str:
    return "\n".join(view.render_line(y).text for y in range(view.size.height))


async def test_region_names_are_on_the_diagram_from_the_first_render_at_80x24():
    """5: at 80×24 the titles' row did not fit, so the diagram dropped the region names."""
    scenario = load_scenario("region-outage")
    app = SpofdrillApp(scenario=scenario, seed=3, autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        view = screen.query_one(TopologyView)
        assert view.topology_layout is not None and view.topology_layout.fits
        drawn = _diagram(view)
        for region in screen.last_snapshot.regions:
            assert region in drawn, (region, drawn)
        drawn_layout = view.topology_layout
        lines = {(cell.x, cell.y) for cell in drawn_layout.lines}
        for title in drawn_layout.titles:  # a title sits on free cells: on no box and no line
            for x in range(title.x, title.x + len(title.text)):
                assert not any(box.contains(x, title.y) for box in drawn_layout.boxes), title
                assert (x, title.y) not in lines, title


async def test_every_member_of_a_group_box_is_reachable_with_the_arrows():
    """5: arrows moved box to box and always chose a group's first member: ``lb ×2``'s second was unreachable."""
    scenario = load_scenario("region-outage")
    app = SpofdrillApp(scenario=scenario, seed=3, autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        view = screen.query_one(TopologyView)
        assert any(box.aggregate for box in view.topology_layout.boxes)
        await pilot.press("down")
        seen, todo = set(), [view.selected]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for key in ("left", "right", "up", "down"):
                view.selected = name
                view.action_move(key)
                todo.append(view.selected)
        assert seen == {node.name for node in screen.last_snapshot.nodes}
        # stepping right through a group: each member in turn, then the next box
        group = next(box for box in view.topology_layout.boxes if box.aggregate)
        view.selected = group.members[0]
        await pilot.pause()
        steps = []
        for _ in group.members[1:]:
            await pilot.press("right")
            steps.append(view.selected)
        assert steps == list(group.members[1:])
        assert screen.selected == group.members[-1]  # the drill heard of it (the detail shows that member)


# ---------------------------------------------------------------- defect 6b


async def _help_rows(pilot, app) -> dict[str, str]:
    from tui.screens.help import HelpScreen

    await pilot.press("question_mark")
    await pilot.pause()
    assert isinstance(app.screen, HelpScreen)
    rows = dict(app.screen.rows)
    await pilot.press("escape")
    await pilot.pause()
    return rows


def _keys(rows: dict[str, str]) -> set[str]:
    return {key for keys in rows for key in keys.split()}


async def test_help_on_the_picker_lists_the_pickers_keys_not_the_drills():
    from tui.screens.picker import PickerScreen

    app = SpofdrillApp(autoplay=False, keep_journal=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        keys = _keys(await _help_rows(pilot, app))
        assert {"/", "r", "a", "g", "j", "k", "enter", "q", "?"} <= keys, keys
        assert "space" not in keys and "F" not in keys
        assert isinstance(app.screen, PickerScreen)


async def test_help_in_the_drill_and_the_debrief_and_a_replay_each_list_their_own_keys():
    from tui.screens.debrief import DebriefScreen

    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await start(pilot, app)
        rows = await _help_rows(pilot, app)
        assert {"space", "1", "2", "3", "4", ":", "enter", "tab", "q", "esc", "←", "h"} <= _keys(rows), rows
        screen.advance_by(600)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        rows = await _help_rows(pilot, app)
        assert {"s", "p", "r", "v", "j", "n", "q"} <= _keys(rows), rows
        assert "space" not in _keys(rows)


async def test_help_explains_the_error_budget_and_how_the_group_keys_work():
    from tui.screens.help import HelpScreen

    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False)
    async with app.run_test(size=(120, 60)) as pilot:
        await start(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(screen_text(app).split())
        assert "error budget" in text and "lb ×2" in text and "Timeline" in text, text


async def test_help_in_an_assessment_does_not_offer_pause():
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), assess=True, autoplay=False, keep_journal=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot, app)
        assert "space" not in _keys(await _help_rows(pilot, app))


# ---------------------------------------------------------------- defect 7


async def test_the_timeline_wraps_at_its_width_instead_of_cutting_lines():
    """7: RichLog drew each line at least 78 cells wide and the panel cut it: ``ALERT NoHealthyBacke``."""
    from textual.widgets import TabbedContent

    from tui.widgets.timeline import Timeline

    app = SpofdrillApp(scenario=load_scenario("db-primary-async"), seed=3, autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.advance_by(120)
        await pilot.pause()
        screen.query_one(TabbedContent).active = "timeline-tab"
        await pilot.pause()
        timeline = screen.query_one(Timeline)
        width = timeline.scrollable_content_region.width
        shown = [strip.text.rstrip() for strip in timeline.lines]
        assert shown and all(len(line) <= width for line in shown), (width, shown)
        words = " ".join(shown).split()
        assert any(word.startswith("NoHealthyBackends") for word in words), shown
        await pilot.resize_terminal(120, 30)  # wider: wrapped again, fewer rows
        await pilot.pause()
        assert len(timeline.lines) < len(shown)


async def test_the_leave_dialog_shows_the_journals_file_name_whole(monkeypatch):
    """7: the journal's path wrapped wherever the line ended, cutting the file name in two."""
    import shutil
    import tempfile
    from pathlib import Path

    from tui.screens.dialogs import QuitDialog

    folder = Path(tempfile.mkdtemp(prefix="sd", dir="/tmp")) / "spofdrill-data"  # short enough to fit a line
    monkeypatch.setenv("SPOFDRILL_DATA_DIR", str(folder))
    try:
        app = SpofdrillApp(scenario=load_scenario("lb-failover"), seed=3, autoplay=False)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await start(pilot, app)
            await pilot.press("q")
            await pilot.pause()
            assert isinstance(app.screen, QuitDialog)
            text = screen_text(app)
            path = screen.session.journal_path
            assert len(str(path)) > 66  # the whole path does not fit the dialog's line (66 cells)
            assert path.name in text and f"{path.parent}/" in text, text
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


def test_a_line_that_must_stay_one_line_is_cut_at_a_word():
    from tui.wording import clip, shown_path

    assert clip("Load balancer crash with a standby", 22) == "Load balancer crash…"
    assert clip("short", 22) == "short"
    assert clip("Supercalifragilistic", 8) == "Superca…"
    assert shown_path("/srv/data/journals/lb-failover-seed3.jsonl") == "/srv/data/journals/\nlb-failover-seed3.jsonl"


async def test_the_clock_bar_cuts_the_title_at_a_word():
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), seed=3, autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        screen.refresh_view()
        await pilot.pause()
        bar = str(screen.query_one(ClockBar).render()).rstrip()
        title = screen.session.scenario.title
        assert bar.endswith("…"), bar
        shown = bar.rsplit(" hints 2 observed ", 1)[1][:-1]
        assert title.startswith(shown) and title[len(shown)] == " ", (shown, title)


def test_spofdrill_help_never_breaks_a_word(monkeypatch):
    """7: argparse's textwrap cut ``list|va`` / ``lidate`` and split words at hyphens."""
    import argparse

    from engine.cli.main import build_parser
    from tui.main import console_parser
    from tui.playback import replay_parser

    parsers = [console_parser(), build_parser(), replay_parser()]
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parsers += list(sub.choices.values())
    for columns in (50, 80):
        monkeypatch.setenv("COLUMNS", str(columns))
        for parser in parsers:
            shown = parser.format_help()
            words = set(shown.split())
            texts = [parser.description or ""] + [action.help or "" for action in parser._actions]
            for text in texts:
                for word in (text % {"prog": parser.prog} if "%(" in text else text).split():
                    assert word in words, (columns, parser.prog, word, shown)


PYTHONISH = re.compile(r"\[|\]|\d\.\d+e[+-]\d|\b\d{5,}\b|(?<![\w,.-])1 [a-z]+s\b|\(s\)")
"""What a number or a list must never look like in the console: a repr, scientific notation, 14314, "1 alerts"."""


def test_no_timeline_line_prints_a_python_repr_or_a_raw_number():
    """7: entries without their own wording printed ``nodes=['db-1', 'db-3']``, ``count=14314``, ``1.434e+04``."""
    from engine.sim.actions import ActionDriver
    from engine.sim.journal import Entry
    from engine.sim.simulation import Simulation
    from tui.widgets.timeline import describe

    made = [
        Entry(0, 1.0, "SplitBrainStarted", True, {"cluster": "orders", "primaries": ["db-1", "db-3"]}),
        Entry(1, 1.0, "WritesLost", False, {"node": "db-1", "count": 14314, "reason": "not replicated"}),
        Entry(2, 1.0, "SomethingNew", True, {"lag": 14340.123, "nodes": ["a", "b"], "n": 1}),
        Entry(3, 1.0, "CommandIssued", True, {"command": "shed", "target": "lb-1", "args": {"percent": 55.0}}),
    ]
    lines = [describe(entry) for entry in made]
    assert lines[0] == "SPLIT BRAIN in orders: db-1 and db-3 both take writes"
    assert "14,314 acknowledged writes" in lines[1]
    assert lines[2] == "something new: lag 14,340, n 1, nodes a and b"
    assert lines[3] == "> shed lb-1 percent=55"
    for name in ("db-primary-async", "region-outage", "cache-stampede", "chaos-monkey", "compound-incident"):
        scenario = load_scenario(name)
        for reference in (False, True):
            sim = Simulation(scenario, 3)
            if reference:
                ActionDriver(sim, scenario.reference_solution).install()
            sim.run(scenario.duration)
            for entry in sim.journal:
                if entry.type != "HintRevealed":  # a hint is the author's own text
                    assert not PYTHONISH.search(describe(entry)), describe(entry)


async def test_the_analysis_words_its_lists_and_counts():
    """7: SPOFs and cut sets printed as ``[lb-1] [app-1, app-2]``; counts as ``1 outages``."""
    from tui.screens.analysis import AnalysisScreen

    app = SpofdrillApp(autoplay=False, keep_journal=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(AnalysisScreen(load_scenario("spof-baseline")))
        await pilot.pause()
        text = str(app.screen._summary())
        assert "SPOFs: lb-1 and db-1" in text, text
        assert "cut sets lb-1; app-1 and app-2" in text, text
        assert not PYTHONISH.search(text), text
        app.screen.workers.cancel_all()


# ---------------------------------------------------------------- defect 8


async def test_the_nodes_marked_in_a_spof_hunt_carry_a_mark_on_the_diagram():
    """8: a mark showed only in the detail panel; the diagram now flags the box (⚑) and drops it when unmarked."""
    from tui.widgets.topology import HUNT_MARK

    app = SpofdrillApp(scenario=load_scenario("spof-baseline"), seed=7, autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        view = screen.query_one(TopologyView)
        assert HUNT_MARK not in _diagram(view)
        await select(pilot, screen, "lb-1")
        await pilot.press("m")
        await pilot.pause()
        drawn = _diagram(view)
        assert f"{HUNT_MARK}lb-1" in drawn, drawn
        assert drawn.count(HUNT_MARK) == 1
        await pilot.press("m")  # m again takes the mark back
        await pilot.pause()
        assert HUNT_MARK not in _diagram(view)
