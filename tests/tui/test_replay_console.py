"""Replays, rewinds and what-if branches in the console (Textual Pilot), and ``spofdrill replay``'s errors.

Engine timers are paused (``autoplay=False``): tests move simulated time with
``advance_by`` on the drill and replay screens and assert on simulated time,
the engine's journal and the widgets' data, never on wall-clock time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.sim.journal import read_jsonl
from engine.scenario.loader import load_scenario
from engine.records.replay import header_path, replay, transcript_from_journal
from engine.sim.runner import measure
from tui.app import SpofdrillApp
from tui.main import main
from tui.playback import format_moment, parse_moment, read_recording
from tui.screens.briefing import BriefingScreen
from tui.screens.debrief import DebriefScreen
from tui.screens.drill import DrillScreen
from tui.screens.dialogs import TakeOverDialog
from tui.screens.replay import ReplayScreen
from tui.widgets.comparison import ComparisonChart
from tui.widgets.playback import ReplayBar, ReplayStrip
from tui.widgets.timeline import Timeline

SCENARIO, SEED = "lb-failover", 2


async def finish(pilot) -> DebriefScreen:
    """Wait for the debrief and its par runs."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    debrief = pilot.app.screen
    assert isinstance(debrief, DebriefScreen)
    assert debrief.report is not None
    return debrief


async def fail_over_drill(pilot) -> DrillScreen:
    """lb-failover seed 2 from the briefing: at 02:00 acknowledge lb-1's alert, at 02:05 fail over to lb-2, with keys."""
    await pilot.pause()
    assert isinstance(pilot.app.screen, BriefingScreen)
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, DrillScreen)
    screen.advance_by(120)
    screen.selected = "lb-1"
    await pilot.press("a")
    screen.advance_by(5)
    screen.selected = "lb-2"
    await pilot.press("F", "y")
    await pilot.pause()
    assert [e.data["command"] for e in screen.session.sim.journal.of_type("CommandIssued")] == ["ack", "failover"]
    return screen


@pytest.fixture
async def recorded(data_dir) -> tuple[Path, float]:
    """A console drill played with keys to its end: its live journal and its final score."""
    app = SpofdrillApp(scenario=load_scenario(SCENARIO), seed=SEED, autoplay=False, trainee="ada")
    async with app.run_test(size=(100, 30)) as pilot:
        drill = await fail_over_drill(pilot)
        drill.advance_by(600)
        debrief = await finish(pilot)
        score = debrief.ending.run.score.score
    (journal,) = (data_dir / "journals").glob(f"{SCENARIO}-*.jsonl")
    return journal, score


def replay_app(path: Path, **kwargs) -> SpofdrillApp:
    return SpofdrillApp(replay=read_recording(path), autoplay=False, **kwargs)


# --------------------------------------------------------------------------- replaying


async def test_a_console_drill_replays_to_the_same_score_with_its_commands_marked(recorded):
    journal, score = recorded
    app = replay_app(journal)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        banner = str(screen.query_one(ReplayBar).render())
        assert "REPLAY" in banner and "ada" in banner and SCENARIO in banner and f"seed {SEED}" in banner
        commands = screen.recording.transcript.commands
        assert [c.command for c in commands] == ["ack", "failover"]
        screen.advance_by(commands[0].t - 1)
        assert screen.query_one(ReplayStrip).times == ()
        screen.advance_by(2)  # the ack is replayed: marked as it happens
        strip = screen.query_one(ReplayStrip)
        assert strip.times == (commands[0].t,)
        assert "▲" in str(strip.render()).splitlines()[1]
        await pilot.press("n")  # to just after the next command
        await pilot.pause()
        assert screen.session.now == pytest.approx(commands[1].t + 0.001)
        assert strip.times == tuple(c.t for c in commands)
        marked = [line.text for line in screen.query_one(Timeline).lines if "▲" in line.text]
        assert any("▲ ack" in text for text in marked) and any("▲ failover" in text for text in marked)
        # read-only: a command key does nothing
        screen.selected = "lb-1"
        await pilot.press("R")
        await pilot.pause()
        assert len(screen.session.sim.journal.of_type("CommandIssued")) == 2
        while isinstance(app.screen, ReplayScreen):
            screen.advance_by(45)  # slices, as the timer would
            await pilot.pause()
        debrief = await finish(pilot)
        assert debrief.ending.run.sim.now == 600
        assert debrief.ending.run.score.score == score
        assert screen.session.mismatch() is None
        assert debrief.ending.run.sim.journal.to_jsonl() == journal.read_text()


async def test_a_bundle_replays_with_speeds_pause_and_step(tmp_path):
    from engine.records.bundle import bundle_of, write_bundle
    from engine.sim.runner import simulate

    scenario = load_scenario(SCENARIO)
    path = tmp_path / "reference.bundle.json"
    run = simulate(scenario, SEED, scenario.reference_solution, name="reference")
    write_bundle(bundle_of(run, "bob", "practice"), path)
    app = replay_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.recording.kind == "bundle" and screen.recording.trainee == "bob"
        await pilot.press("6")
        assert screen.session.speed == 60.0
        screen.session.tick(0.1)  # a 0.1 s tick plays 6 simulated seconds at 60×
        assert screen.session.now == pytest.approx(6.0)
        await pilot.press("space")
        assert screen.session.paused and not screen.session.tick(0.1)
        await pilot.press("full_stop")
        await pilot.pause()
        assert screen.session.now == pytest.approx(7.0) and screen.session.paused
        await pilot.press("question_mark")  # the replay's own keys, from its bindings (issue 13, defect 6b)
        await pilot.pause()
        from tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        keys = {key for keys, _ in app.screen.rows for key in keys.split()}
        assert {"space", "1", "6", ".", "n", "t", "e", "q", "←"} <= keys and "F" not in keys, keys
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("e")
        debrief = await finish(pilot)
        assert debrief.ending.run.score.score == run.score.score
        assert debrief.session.trainee == "bob"


async def test_a_journal_without_its_header_replays_the_builtin_scenario_and_says_so(recorded):
    journal, score = recorded
    header_path(journal).unlink()
    recording = read_recording(journal)
    assert recording.scenario.id == SCENARIO and recording.seed == SEED
    assert "No usable drill header" in recording.notes[0] and "built-in scenario 'lb-failover'" in recording.notes[0]
    app = replay_app(journal)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert any("built-in scenario" in n.message for n in app._notifications)
        await pilot.press("e")
        debrief = await finish(pilot)
        assert debrief.ending.run.score.score == score


# --------------------------------------------------------------------------- files that cannot be replayed


def _journal_without_header(tmp_path: Path, scenario: str) -> Path:
    path = tmp_path / "orphan.jsonl"
    path.write_text(json.dumps({"seq": 0, "t": 0, "type": "DrillStarted", "visible": True,
                                "scenario": scenario, "seed": 1}) + "\n")
    return path


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("missing.jsonl", None, "no such file"),
        ("empty.jsonl", "", "empty: no journal entries"),
        ("damaged.jsonl", '{"seq": 0, "t": 0, "type": "DrillStarted", "visible": true}\n{"seq": 1, "t"\n',
         "line 2: not JSON"),
        ("other.jsonl", '{"seq": 0, "t": 0, "type": "NodeCrashed", "visible": false}\n', "not a spofdrill journal"),
        ("backwards.jsonl", '{"seq": 0, "t": 0, "type": "DrillStarted", "visible": true}\n'
                            '{"seq": 1, "t": 9, "type": "CommandIssued", "command": "ack", "visible": true}\n'
                            '{"seq": 2, "t": 3, "type": "CommandIssued", "command": "ack", "visible": true}\n',
         "comes after a command at 9 s"),
        ("garbage.bundle.json", "{not json", "not JSON: line 1"),
        ("list.bundle.json", "[1, 2]", "not a result bundle (a JSON list"),
        ("binary.bin", b"\xff\xfe\x00junk", "not UTF-8 text"),
    ],
)
def test_a_file_that_cannot_be_replayed_exits_2_naming_it(tmp_path, capsys, name, content, words):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"spofdrill replay: {path}: ") and words in err, err
    assert "Traceback" not in err


def test_a_journal_with_neither_header_nor_builtin_scenario_is_refused(tmp_path, capsys):
    path = _journal_without_header(tmp_path, "my-own-drill")
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert "orphan.drill.json: missing" in err and "'my-own-drill', which is not a built-in scenario" in err


def test_an_edited_bundle_is_refused(tmp_path, capsys):
    from engine.records.bundle import bundle_of, write_bundle
    from engine.sim.runner import simulate

    scenario = load_scenario(SCENARIO)
    path = tmp_path / "run.bundle.json"
    write_bundle(bundle_of(simulate(scenario, 1, scenario.reference_solution), "eve", "practice"), path)
    doc = json.loads(path.read_text())
    doc["seed"] = 2
    path.write_text(json.dumps(doc))
    assert main(["replay", str(path)]) == 2
    assert "the digest does not match the content" in capsys.readouterr().err


def test_a_speed_that_is_not_offered_is_refused(tmp_path, capsys):
    path = _journal_without_header(tmp_path, SCENARIO)
    assert main(["replay", str(path), "--speed", "7"]) == 2
    assert "'7': the speed is one of 1, 2, 5, 10, 30, 60" in capsys.readouterr().err
    assert main(["replay"]) == 2
    assert "BUNDLE|JOURNAL" in capsys.readouterr().err


def test_moments_are_read_as_mm_ss_or_seconds_with_clear_messages():
    assert parse_moment("01:30", 600) == 90.0
    assert parse_moment(" 95.5 ", 600) == 95.5
    assert parse_moment("2:03.25", 600) == 123.25
    assert format_moment(123.25) == "02:03.25" and format_moment(90) == "01:30"
    for text, words in [("", "Enter a moment"), ("soon", "'soon' is not a moment"), ("1:75", "from 0 to 59"),
                        ("-3", "0 seconds or later"), ("10:00", "not before the end of the drill (10:00)"),
                        ("x:10", "is not a moment"), ("nan", "0 seconds or later")]:
        with pytest.raises(ValueError, match=re.escape(words)):
            parse_moment(text, 600)


# --------------------------------------------------------------------------- rewind and branch


async def take_over_at(pilot, moment: str | None) -> DrillScreen:
    """In the take-over dialog: try a few bad moments (each refused in place), then the given one (None: the default)."""
    dialog = pilot.app.screen
    assert isinstance(dialog, TakeOverDialog)
    field = dialog.query_one("#moment")
    default = field.value
    for bad, words in (("9:99", "from 0 to 59"), ("11:00", "not before the end")):
        field.value = bad
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen is dialog and words in dialog.error
    field.value = default if moment is None else moment
    await pilot.press("enter")
    await pilot.pause()
    branch = pilot.app.screen
    assert isinstance(branch, DrillScreen) and branch.session.branch_of is not None
    assert branch.session.paused  # the trainee takes the controls with the clock stopped
    return branch


async def test_rewinding_from_the_debrief_and_doing_nothing_gives_the_no_action_outcome(data_dir):
    app = SpofdrillApp(scenario=load_scenario(SCENARIO), seed=SEED, autoplay=False, trainee="ada")
    async with app.run_test(size=(100, 30)) as pilot:
        drill = await fail_over_drill(pilot)
        first = drill.session.sim.journal.of_type("CommandIssued")[0].t
        drill.advance_by(600)
        original = await finish(pilot)
        recorded = len(app.history.runs())
        await pilot.press("r")
        await pilot.pause()
        assert pilot.app.screen.query_one("#moment").value == format_moment(first)  # default: the first command
        branch = await take_over_at(pilot, None)
        assert branch.session.now == pytest.approx(first)
        assert not branch.session.sim.journal.of_type("CommandIssued")
        branch.advance_by(600)
        debrief = await finish(pilot)
        # nobody acted from the first command on: the no-action run
        outcome = debrief.ending.run.outcome
        assert outcome.downtime == pytest.approx(original.report.no_action.outcome.downtime)
        assert debrief.ending.run.score.score == original.report.no_action.score.score
        assert len(app.history.runs()) == recorded  # a what-if is not recorded as a result
        table = debrief.query_one("#branch").content
        assert debrief.query_one("#branch").display
        text = _plain(table)
        assert "original" in text and "branch" in text and f"{original.ending.run.score.score:.1f}" in text
        assert f"{debrief.ending.run.score.score:.1f}" in text and "time to mitigate" in text


async def test_taking_over_a_replay_keeps_what_came_before_and_the_branch_debrief_shows_both(recorded, data_dir):
    journal, score = recorded
    transcript = transcript_from_journal(read_jsonl(journal.read_text()))
    ack, failover = transcript.commands
    moment = round((ack.t + failover.t) / 2, 3)  # after the ack, before the failover
    app = replay_app(journal)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        replaying = app.screen
        replaying.advance_by(moment)
        await pilot.press("t")
        await pilot.pause()
        assert pilot.app.screen.query_one("#moment").value == format_moment(moment)  # default: now
        branch = await take_over_at(pilot, None)
        assert branch.session.now == pytest.approx(moment)
        issued = branch.session.sim.journal.of_type("CommandIssued")
        assert [e.data["command"] for e in issued] == ["ack"]
        # the branch's live journal starts with the replayed entries, as the original's did
        original_lines = journal.read_text().splitlines()
        branch_lines = branch.session.journal_path.read_text().splitlines()
        assert branch_lines and branch_lines == original_lines[: len(branch_lines)]
        assert json.loads(branch_lines[-1])["t"] <= moment
        branch.advance_by(600)
        debrief = await finish(pilot)
        # doing nothing after the moment is the replay of the commands before it
        scenario = load_scenario(SCENARIO)
        expected = measure(replay(scenario, SEED, transcript.until(moment)))
        assert debrief.ending.run.score.score == expected.score.score
        assert debrief.session.branch_of.original.score.score == score
        chart = debrief.query_one(ComparisonChart)
        assert [s.label for s in chart.series] == ["you", "original", "reference", "no action"]
        assert [m.label for m in chart.marks][-1] == "took over" and chart.marks[-1].times == (moment,)
        text = _plain(debrief.query_one("#branch").content)
        assert f"taken over at {format_moment(moment)}" in text


def _plain(renderable) -> str:
    from rich.console import Console

    console = Console(width=100, record=True, file=open("/dev/null", "w"))
    console.print(renderable)
    return console.export_text()


# --------------------------------------------------------------------------- the ghost chart


async def test_the_debrief_chart_shows_you_the_reference_and_no_action_on_the_same_axes():
    app = SpofdrillApp(scenario=load_scenario(SCENARIO), seed=SEED, autoplay=False, keep_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        drill = await fail_over_drill(pilot)
        drill.advance_by(600)
        debrief = await finish(pilot)
        chart = debrief.query_one(ComparisonChart)
        runs = {"you": debrief.ending.run, "reference": debrief.report.reference, "no action": debrief.report.no_action}
        assert [s.label for s in chart.series] == list(runs)
        for series in chart.series:
            assert series.values == tuple(runs[series.label].sim.series["error_ratio"])
        assert len({(s.glyph, s.style) for s in chart.series}) == 3  # distinct styles
        assert chart.duration == 600
        lines = str(chart.render()).splitlines()
        assert lines[-1].split()[:7] == ["━━", "you", "──", "reference", "░░", "no", "action"]  # the legend
        assert max(len(line) for line in lines) <= chart.content_region.width  # fits 80 columns
        top = lines[1]
        assert "░" in top and "━" in top  # no action stays down; you were down before the failover


def test_ghost_chart_snapshot(snap_compare):
    """The lb-failover debrief (seed 2, 80×24) scrolled to its chart, after acknowledging at 02:00 and failing over at 02:05.

    "Error rate over the drill (▲ commands)": five rows from 100% to 0%; on the
    100% row a short cyan ━ stretch (you, down from 01:47 until the failover)
    continued to the right edge by red ░ (no action never recovers); the 0%
    row cyan ━ elsewhere (the reference, green ─, lies under it); the lag band;
    "you" ▲ marks at 02:00 and "reference" △ marks from 01:32 to 01:57 (it acts 5 s after
    InstanceDown fires, 10 s after lb-1's first failed scrape); the time axis 00:00 …
    10:00 and the legend "━━ you  ── reference  ░░ no action".
    """

    async def run_before(pilot) -> None:
        drill = await fail_over_drill(pilot)
        drill.advance_by(600)
        debrief = await finish(pilot)
        debrief.query_one(ComparisonChart).scroll_visible(animate=False, top=True)
        pilot.app.clear_notifications()  # toasts time out on the wall clock: keep them out of the picture
        await pilot.pause()

    app = SpofdrillApp(scenario=load_scenario(SCENARIO), seed=SEED, autoplay=False, keep_journal=False)
    app.animation_level = "none"
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
