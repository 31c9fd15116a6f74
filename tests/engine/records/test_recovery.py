"""Nothing lost: interrupted drills are found, recovered byte for byte, or discarded; and the trainee's name.

The kill tests run a real drill in a child process (``tests/crash_driver.py``),
SIGKILL it mid-drill and recover what it left in a temporary data_dir folder.
The console tests drive the recovery prompt and the name dialog with Pilot,
the engine's timer paused (``autoplay=False``).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.sim.journal import read_jsonl
from engine.scenario.loader import load_scenario
from engine.records.recovery import (
    PROGRESS_EVERY,
    RESUME_STEP,
    RecoveryError,
    discard,
    find_interrupted,
    is_complete,
    progress_path,
    rebuild,
)
from engine.records.replay import header_path, read_header, replay, transcript_from_journal
from engine.records.trainee import MAX_LENGTH, TraineeNameError, check_name, store_name, stored_name
from tui.app import SpofdrillApp
from tui.recovery import describe, resume_session
from tui.screens.briefing import BriefingScreen
from tui.screens.debrief import DebriefScreen
from tui.screens.drill import DrillScreen
from tui.screens.picker import PickerScreen
from tui.screens.recover import RecoveryDialog
from tui.screens.trainee import TraineeDialog
from tui.session import DrillSession
from support import TESTS_DIR

DRIVER = TESTS_DIR / "crash_driver.py"


def journals(data_dir: Path) -> Path:
    return data_dir / "journals"


def interrupted_session(data_dir: Path, name: str = "lb-failover", seed: int = 2, until: float = 90.0, *,
                        assess: bool = False, trainee: str = "ada", stem: str | None = None) -> Path:
    """A drill run in this process to ``until`` and left without ending (what "Quit" leaves); its journal."""
    journal = journals(data_dir) / f"{stem or name}.jsonl"
    session = DrillSession(load_scenario(name), seed, assess=assess, trainee=trainee, journal_path=journal)
    while session.now < until:
        session.tick(0.1 if assess else 0.25)
    session.close()
    return journal


def run_and_kill(data_dir: Path, *args: str) -> tuple[Path, float]:
    """Start the driver, wait for its marker, SIGKILL it; the journal it left and the time it reported."""
    env = {**os.environ, "SPOFDRILL_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen([sys.executable, str(DRIVER), *args], stdout=subprocess.PIPE, text=True, env=env)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        assert ready, "the driver printed nothing in 120 s"
        line = proc.stdout.readline()
        assert line.startswith("PASSED"), line
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    scenario, seed = args[0], args[1]
    return journals(data_dir) / f"{scenario}-seed{seed}-crash.jsonl", float(line.split()[1])


# --------------------------------------------------------------------------- killed mid-drill


@pytest.mark.parametrize("name, mark", [("lb-failover", 130.0), ("chaos-monkey", 200.0)])
def test_a_drill_killed_mid_run_recovers_byte_for_byte_and_runs_to_its_end(data_dir, name, mark):
    journal, passed = run_and_kill(data_dir, name, "3", str(mark))
    text = journal.read_text(encoding="utf-8")
    complete = text[: text.rfind("\n") + 1]  # a last line cut off mid-write is allowed (and dropped)
    rows = read_jsonl(complete)
    assert rows[0]["type"] == "DrillStarted" and rows[-1]["type"] != "DrillEnded"
    assert any(r["type"] == "CommandIssued" for r in rows)  # the driver gave the reference's commands
    header = read_header(journal)
    assert (header.scenario.id, header.seed, header.mode) == (name, 3, "practice")

    (drill,) = find_interrupted()
    assert drill.journal == journal and drill.recoverable
    assert drill.lines == tuple(complete.splitlines())
    assert drill.stopped_at >= passed - PROGRESS_EVERY  # at most a second lost
    sim = rebuild(drill)
    assert sim.now == pytest.approx(drill.stopped_at + RESUME_STEP)
    assert sim.journal.to_jsonl(list(sim.journal)[: len(rows)]) == complete  # byte for byte

    session = resume_session(drill)
    assert session.paused and session.trainee == "trainee" and not session.assess
    assert journal.read_text(encoding="utf-8").startswith(complete)  # rewritten: the old entries, then more
    session.paused = False
    while not session.finished:
        session.tick(0.25)
    ending = session.end()
    assert not ending.ended_early
    final = journal.read_text(encoding="utf-8")
    assert final.startswith(complete) and is_complete(journal)
    again = replay(header.scenario, header.seed, transcript_from_journal(read_jsonl(final)))
    assert again.journal.to_jsonl() == final
    assert not progress_path(journal).exists()  # a complete journal needs no mark
    assert find_interrupted() == []


def test_an_assessment_killed_mid_run_recovers_in_assessment_mode(data_dir):
    journal, passed = run_and_kill(data_dir, "db-primary-async", "1", "60", "--assess", "--trainee", "kim")
    (drill,) = find_interrupted()
    assert drill.header.mode == "assessment" and drill.header.trainee == "kim"
    assert "It was an assessment" in describe(drill) and "drilled by kim" in describe(drill)
    session = resume_session(drill)
    assert session.assess and session.trainee == "kim" and session.paused
    assert session.toggle_pause() and not session.paused  # a recovered assessment may be resumed...
    assert not session.toggle_pause() and not session.paused  # ...but not paused again
    assert not session.set_speed(3)


# --------------------------------------------------------------------------- what is found, and what is said


def test_a_complete_drill_and_a_drill_still_running_are_not_offered(data_dir):
    scenario = load_scenario("lb-failover")
    done = DrillSession(scenario, 1, journal_path=journals(data_dir) / "done.jsonl")
    done.tick(0.5)
    done.end()
    running = DrillSession(scenario, 1, journal_path=journals(data_dir) / "running.jsonl")
    running.tick(0.5)
    try:
        assert find_interrupted() == []  # another console holds "running"
    finally:
        running.close()
    (found,) = find_interrupted()
    assert found.journal.name == "running.jsonl"
    assert not progress_path(journals(data_dir) / "done.jsonl").exists()


def test_the_most_recent_interrupted_drill_comes_first(data_dir):
    older = interrupted_session(data_dir, stem="older", until=10)
    newer = interrupted_session(data_dir, stem="newer", until=10)
    os.utime(older, (1_700_000_000, 1_700_000_000))
    assert [d.journal for d in find_interrupted()] == [newer, older]


def test_a_cut_off_last_line_is_dropped_with_a_note_and_written_again(data_dir):
    journal = interrupted_session(data_dir, until=100)
    full = journal.read_text(encoding="utf-8").splitlines()
    journal.write_text("\n".join(full[:-1]) + "\n" + full[-1][:25], encoding="utf-8")  # killed mid-write
    (drill,) = find_interrupted()
    assert drill.recoverable and drill.lines == tuple(full[:-1])
    assert "cut off mid-write" in drill.dropped and "cut off mid-write" in describe(drill)
    sim = rebuild(drill)
    assert [e.to_json() for e in sim.journal][: len(full)] == full  # the dropped entry, whole again
    journal.write_bytes(("\n".join(full[:-1]) + "\n" + full[-1][:25]).encode() + "…".encode()[:2])  # mid-character
    (drill,) = find_interrupted()
    assert drill.recoverable and drill.lines == tuple(full[:-1]) and "27 bytes" in drill.dropped


def test_a_damaged_line_before_the_last_is_reported_and_not_recovered(data_dir):
    journal = interrupted_session(data_dir, until=100)
    lines = journal.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][:-9]
    journal.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (drill,) = find_interrupted()
    assert not drill.recoverable
    assert "line 2: not JSON" in drill.problem and "damaged" in drill.problem
    assert "cannot be recovered" in describe(drill)
    with pytest.raises(RecoveryError, match="line 2"):
        rebuild(drill)


def test_a_missing_or_damaged_header_is_reported(data_dir):
    journal = interrupted_session(data_dir, until=30)
    header_path(journal).unlink()
    (drill,) = find_interrupted()
    assert not drill.recoverable and "lb-failover.drill.json: missing" in drill.problem
    header_path(journal).write_text('{"format": 1, "seed": ', encoding="utf-8")
    (drill,) = find_interrupted()
    assert "not JSON" in drill.problem and "damaged" in drill.problem


def test_a_journal_that_its_replay_does_not_reproduce_is_refused_with_the_line(data_dir):
    journal = interrupted_session(data_dir, until=90)
    _edit_line(journal, 2)  # the journal no longer says what its drill does
    (drill,) = find_interrupted()
    assert drill.recoverable  # as far as reading goes
    with pytest.raises(RecoveryError, match=r"line 2 does not match its replay"):
        rebuild(drill)
    assert journal.read_text(encoding="utf-8").count("\n") == len(drill.lines)  # untouched


def _edit_line(journal: Path, number: int) -> None:
    """Add a field to a journal line: it still reads, but its replay does not write it."""
    lines = journal.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[number - 1] = lines[number - 1].replace("{", '{"edited":true,', 1)
    journal.write_text("".join(lines), encoding="utf-8")


def test_a_header_that_belongs_to_another_drill_is_reported_when_read(data_dir):
    journal = interrupted_session(data_dir, until=30)
    header = json.loads(header_path(journal).read_text(encoding="utf-8"))
    header["seed"] = 99  # a header that does not belong to this journal (its DrillStarted says seed 2)
    header_path(journal).write_text(json.dumps(header), encoding="utf-8")
    (drill,) = find_interrupted()
    assert not drill.recoverable and "the header belongs to another drill" in drill.problem
    assert str(journal) in drill.problem and "seed 99" in drill.problem


def test_a_drill_the_trainee_had_left_recovers_to_its_debrief(data_dir):
    journal = journals(data_dir) / "left.jsonl"
    session = DrillSession(load_scenario("spof-baseline"), 4, trainee="ada", journal_path=journal)
    while session.now < 50:
        session.tick(0.25)
    session.end()  # leaves at 50 s: the rest of the scenario runs without the trainee
    original = journal.read_text(encoding="utf-8")
    journal.write_text(original[: original.index('"DrillEnded"') - 40], encoding="utf-8")  # killed while writing that
    (drill,) = find_interrupted()
    assert drill.left_at is not None and "had left it" in describe(drill)
    recovered = resume_session(drill)
    assert recovered.finished and not recovered.paused
    ending = recovered.end()
    assert ending.ended_early
    assert journal.read_text(encoding="utf-8") == original


def test_discard_moves_the_files_aside_and_never_overwrites(data_dir):
    first = interrupted_session(data_dir, until=10)
    folder = discard(find_interrupted()[0])
    assert folder == journals(data_dir) / "discarded"
    assert not first.exists() and not header_path(first).exists() and not progress_path(first).exists()
    assert (folder / "lb-failover.jsonl").exists() and (folder / "lb-failover.drill.json").exists()
    assert (folder / "lb-failover.progress").exists()
    interrupted_session(data_dir, until=10)  # the same name again
    discard(find_interrupted()[0])
    assert (folder / "lb-failover-2.jsonl").exists() and (folder / "lb-failover-2.drill.json").exists()
    assert find_interrupted() == []


# --------------------------------------------------------------------------- the prompt in the console


async def test_the_prompt_recovers_a_drill_paused_where_it_stopped_and_it_runs_to_the_debrief(data_dir):
    journal = interrupted_session(data_dir, "lb-failover", 2, until=90)
    app = SpofdrillApp(autoplay=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RecoveryDialog)
        text = dialog.text()
        for words in ("An interrupted drill was found", "Load balancer", "seed 2", "drilled by ada", "stopped at 01:30",
                      "lb-failover.jsonl"):
            assert words in text, words
        await pilot.press("r")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        session = screen.session
        assert session.paused and session.journal_path == journal and session.trainee == "ada"
        assert session.now == pytest.approx(90.0 + RESUME_STEP, abs=1.0)
        assert any("Recovered at 01:30" in n.message for n in app._notifications)
        await pilot.press("space")
        assert not session.paused
        screen.advance_by(600)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        assert app.history.best("lb-failover").trainee == "ada"
    assert is_complete(journal)


async def test_the_prompt_discards_into_the_discarded_folder_then_offers_the_next(data_dir):
    older = interrupted_session(data_dir, stem="older", until=20)
    newer = interrupted_session(data_dir, stem="newer", until=20)
    os.utime(older, (1_700_000_000, 1_700_000_000))
    app = SpofdrillApp(autoplay=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, RecoveryDialog) and "newer.jsonl" in app.screen.text()
        assert "1 more interrupted drill" in str(app.screen.query_one("#recovery-more").render())
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, RecoveryDialog) and "older.jsonl" in app.screen.text()
        await pilot.click("#discard")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
    discarded = journals(data_dir) / "discarded"
    assert not newer.exists() and not older.exists()
    assert {p.name for p in discarded.glob("*.jsonl")} == {"newer.jsonl", "older.jsonl"}


async def test_a_drill_that_cannot_be_recovered_is_offered_discard_and_later_only(data_dir):
    journal = interrupted_session(data_dir, until=20)
    header_path(journal).unlink()
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RecoveryDialog)
        assert "cannot be recovered" in dialog.text() and "missing" in dialog.text()
        assert not dialog.query_one("#recover").display
        await pilot.press("r")  # nothing to recover
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("escape")  # later
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)
    assert journal.exists()


async def test_a_replay_that_does_not_match_says_so_in_the_prompt(data_dir):
    journal = interrupted_session(data_dir, until=60)
    _edit_line(journal, 1)
    app = SpofdrillApp(autoplay=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RecoveryDialog)
        assert "does not match its replay" in dialog.text() and not dialog.query_one("#recover").display


async def test_an_assessment_is_recovered_in_assessment_mode_from_the_prompt(data_dir):
    interrupted_session(data_dir, "lb-failover", 1, until=40, assess=True, trainee="kim")
    app = SpofdrillApp(autoplay=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "It was an assessment" in app.screen.text()
        await pilot.press("r")
        await pilot.pause()
        session = app.screen.session
        assert session.assess and session.paused and session.trainee == "kim"
        await pilot.press("space")  # go on
        assert not session.paused
        await pilot.press("space")  # no pausing in an assessment
        assert not session.paused


# --------------------------------------------------------------------------- the trainee's name


def test_a_name_is_trimmed_and_checked():
    assert check_name("  Ada   Lovelace ") == "Ada Lovelace"
    with pytest.raises(TraineeNameError, match="Type your name"):
        check_name("   ")
    with pytest.raises(TraineeNameError, match=f"at most {MAX_LENGTH}"):
        check_name("x" * (MAX_LENGTH + 1))
    assert check_name("x" * MAX_LENGTH) == "x" * MAX_LENGTH


def test_the_name_is_stored_atomically_and_a_bad_file_reads_as_none(data_dir):
    assert stored_name() is None
    store_name(" Ada ")
    assert json.loads((data_dir / "trainee.json").read_text(encoding="utf-8")) == {"name": "Ada"}
    assert stored_name() == "Ada"
    (data_dir / "trainee.json").write_text("{not json", encoding="utf-8")
    assert stored_name() is None


async def test_an_assessment_asks_the_name_once_before_the_briefing(data_dir):
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), assess=True, trainee=None, autoplay=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TraineeDialog)
        await pilot.press("enter")  # empty
        await pilot.pause()
        assert isinstance(app.screen, TraineeDialog)
        assert "Type your name" in str(app.screen.query_one("#trainee-problem").render())
        app.screen.query_one("#trainee-name").value = "y" * 41
        await pilot.press("enter")
        await pilot.pause()
        assert "at most 40" in str(app.screen.query_one("#trainee-problem").render())
        app.screen.query_one("#trainee-name").value = "  Ada Lovelace "
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)
        await pilot.press("enter")
        await pilot.pause()
        session = app.screen.session
        assert session.trainee == "Ada Lovelace" and session.assess
        assert read_header(session.journal_path).trainee == "Ada Lovelace"
        app.screen.advance_by(600)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.history.best("lb-failover").trainee == "Ada Lovelace"
    assert stored_name() == "Ada Lovelace"
    # the next assessment does not ask again
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), assess=True, trainee=None, autoplay=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen) and app.trainee == "Ada Lovelace"


async def test_t_on_the_briefing_changes_the_stored_name(data_dir):
    store_name("Ada")
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), assess=True, trainee=None, autoplay=False,
                       keep_journal=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)
        await pilot.press("t")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, TraineeDialog) and dialog.query_one("#trainee-name").value == "Ada"
        dialog.query_one("#trainee-name").value = "Grace"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.session.trainee == "Grace"
    assert stored_name() == "Grace"


async def test_escape_on_the_name_goes_back_to_the_picker(data_dir):
    app = SpofdrillApp(scenario=load_scenario("lb-failover"), assess=True, trainee=None, autoplay=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
    assert stored_name() is None


def test_trainee_flag_overrides_for_one_run_and_practice_uses_the_stored_name(data_dir):
    assert SpofdrillApp(trainee=None).trainee == "trainee"  # practice, nothing stored
    assert SpofdrillApp(trainee=None, assess=True).trainee is None  # will ask
    store_name("Ada")
    assert SpofdrillApp(trainee=None).trainee == "Ada"
    assert SpofdrillApp(trainee="Bob", assess=True).trainee == "Bob"
    assert stored_name() == "Ada"


@pytest.mark.parametrize("name, words", [("   ", "Type your name"), ("z" * 41, "at most 40")])
def test_a_bad_trainee_flag_is_refused_before_the_console_opens(name, words, capsys):
    from tui.main import main

    assert main(["drill", "lb-failover", "--assess", "--trainee", name]) == 2
    assert words in capsys.readouterr().err
