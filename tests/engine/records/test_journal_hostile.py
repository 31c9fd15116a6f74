"""A damaged journal is refused with one line naming the file and the line, by every reader (issue 11, items 1, 6, 10).

Fixtures are real console journals (``Simulation(...).journal.to_jsonl()`` with
a header from :func:`write_header`), then damaged. Every reader (the one reader
:func:`read_recorded_drill`, ``spofdrill postmortem``, ``spofdrill verify``,
``spofdrill replay``, crash recovery and the console at start) gives the same
verdict; none raises a traceback, none changes the file.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.commands import build_command
from engine.records.recovery import find_interrupted
from engine.records.replay import DrillHeader, TranscriptError, header_path, transcript_from_journal, write_header
from engine.scenario.loader import load_scenario
from engine.sim.journal import read_jsonl
from engine.sim.simulation import Simulation
from engine.util.limits import MAX_COMMANDS

SCENARIO = "lb-failover"
SEED = 4


def real_journal(until: float | None = 40.0) -> str:
    """A console-like journal with two commands (one refused), to ``until`` (None: to the end)."""
    sim = Simulation(load_scenario(SCENARIO), SEED)
    sim.run(20.0)
    sim.apply(build_command("shed", "lb-1", {"percent": 30}))
    sim.apply(build_command("promote", "lb-1"))
    sim.run(sim.duration if until is None else until)
    return sim.journal.to_jsonl()


def plant(folder: Path, text: str, name: str = "drill", *, seed: int = SEED) -> Path:
    """A journal with ``text`` and its header in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    path.write_text(text, encoding="utf-8")
    write_header(path, DrillHeader(load_scenario(SCENARIO), seed, "ada", "practice"))
    return path


def damaged(text: str, kind: str, field: str, value) -> tuple[str, int]:
    """The journal with ``field`` of its first ``kind`` row set to ``value``; and that row's line."""
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        row = json.loads(line)
        if row["type"] == kind:
            row[field] = value
            lines[number - 1] = json.dumps(row, sort_keys=True, separators=(",", ":"))
            return "\n".join(lines) + "\n", number
    raise AssertionError(f"no {kind} row")


HOSTILE = [
    ("CommandIssued", "args", 5), ("CommandIssued", "args", "xy"), ("CommandIssued", "args", [1]),
    ("CommandRefused", "args", [1]), ("CommandIssued", "target", [1]), ("CommandIssued", "target", {}),
    ("CommandRefused", "target", 7), ("CommandIssued", "command", 7), ("CommandRefused", "command", None),
    ("CommandIssued", "command", ["shed"]),
]


def one_line_error(err: str, path: Path) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert str(path) in lines[0], err
    return lines[0]


@pytest.mark.parametrize("kind, field, value", HOSTILE)
def test_a_wrong_typed_command_row_is_refused_naming_the_line(kind, field, value):
    text, line = damaged(real_journal(), kind, field, value)
    with pytest.raises(TranscriptError, match=rf"^line {line} \({kind}\): '{field}' must be"):
        transcript_from_journal(read_jsonl(text))


@pytest.mark.parametrize("kind, field, value", HOSTILE)
def test_every_reader_refuses_a_wrong_typed_command_row_in_one_line(tmp_path, capsys, kind, field, value):
    from tui.main import main as console_main

    text, line = damaged(real_journal(), kind, field, value)
    path = plant(tmp_path, text)
    from engine.records.recorded import RecordError, read_recorded_drill

    with pytest.raises(RecordError, match=rf"^{path}: line {line} "):
        read_recorded_drill(path)
    for argv, main_of in ((["postmortem", str(path)], main), (["replay", str(path)], console_main)):
        assert main_of(argv) == 2
        message = one_line_error(capsys.readouterr().err, path)
        assert f"line {line} ({kind}): '{field}' must be" in message
    assert main(["verify", str(path)]) == 2
    out = capsys.readouterr().out
    assert f"{path}: ERROR: line {line}" in out and "Traceback" not in out
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("kind, field, value", HOSTILE[:5])
def test_recovery_lists_such_a_journal_as_unreadable_and_never_as_recoverable(data_dir, kind, field, value):
    text, line = damaged(real_journal(), kind, field, value)
    path = plant(data_dir / "journals", text)
    (drill,) = find_interrupted()
    assert not drill.recoverable
    assert str(path) in drill.problem and f"line {line}" in drill.problem and "\n" not in drill.problem
    assert path.read_text(encoding="utf-8") == text


def test_nan_or_infinity_in_a_journal_line_is_refused_naming_the_line(tmp_path, capsys):
    """NaN and Infinity are not JSON (RFC 8259) and the engine never writes them: the line is unreadable."""
    text = real_journal().replace('"percent":30', '"percent":NaN')
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "NaN" in row)
    path = plant(tmp_path, text)
    assert main(["verify", str(path)]) == 2
    out = capsys.readouterr().out
    assert f"line {line}: not JSON (NaN is not a JSON number)" in out and len(out.strip().splitlines()) == 1


def test_an_entry_after_drill_ended_is_refused_and_not_offered_for_recovery(data_dir, capsys):
    text = real_journal(None)
    late = {"args": {}, "command": "ack", "id": 9, "seq": 999, "t": 600, "target": "x", "type": "CommandRefused",
            "visible": True, "reason": "the drill has ended"}
    bad = text + json.dumps(late) + "\n"
    path = plant(data_dir / "journals", bad)
    lines = len(text.splitlines())
    assert main(["postmortem", str(path)]) == 2
    assert f"line {lines + 1}: an entry after the drill ended (DrillEnded on line {lines})" in one_line_error(
        capsys.readouterr().err, path)
    (drill,) = find_interrupted()
    assert not drill.recoverable and "after the drill ended" in drill.problem


def test_a_journal_with_more_command_rows_than_the_limit_is_refused_naming_it(tmp_path, capsys):
    started = json.dumps({"scenario": SCENARIO, "seed": SEED, "seq": 0, "t": 0, "type": "DrillStarted", "visible": True})
    rows = [json.dumps({"args": {}, "command": "ack", "id": i, "seq": i, "t": 1, "target": "x",
                        "type": "CommandRefused", "visible": True, "reason": "no"}) for i in range(1, MAX_COMMANDS + 2)]
    path = plant(tmp_path, "\n".join([started, *rows]) + "\n")
    assert main(["postmortem", str(path)]) == 2
    assert f"over the limit of {MAX_COMMANDS:,} commands for a journal" in one_line_error(capsys.readouterr().err, path)


# --------------------------------------------------------------------------- the console at start


async def test_the_console_starts_with_a_hostile_journal_lists_it_and_does_not_offer_recover(data_dir):
    from tui.app import SpofdrillApp
    from tui.screens.recover import RecoveryDialog

    text, line = damaged(real_journal(), "CommandIssued", "target", [1])
    path = plant(data_dir / "journals", text)
    header = header_path(path).read_bytes()
    stamp = os.stat(path).st_mtime_ns
    app = SpofdrillApp(autoplay=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RecoveryDialog)
        assert "cannot be recovered" in dialog.text() and f"line {line}" in dialog.text()
        assert not dialog.query_one("#recover").display
        await pilot.press("r")  # nothing to recover: nothing happens
        await pilot.pause()
        assert app.screen is dialog
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RecoveryDialog)
    assert path.read_text(encoding="utf-8") == text and header_path(path).read_bytes() == header
    assert os.stat(path).st_mtime_ns == stamp


def test_find_interrupted_stays_fast_beside_a_64_mib_complete_journal(data_dir):
    folder = data_dir / "journals"
    folder.mkdir(parents=True)
    big = folder / "big.jsonl"
    with open(big, "wb") as handle:
        handle.truncate(64 * 1024 * 1024 - 200)
        handle.seek(0, os.SEEK_END)
        handle.write(b'\n{"seq":1,"t":600,"type":"DrillEnded","visible":true}\n')
    start = time.perf_counter()
    assert find_interrupted() == []
    assert time.perf_counter() - start < 1.0
