"""One reader of recorded drills, one set of rules (issue 11, items 6 and 10).

``spofdrill postmortem`` used to accept a header from another seed and an
empty journal where ``spofdrill replay`` refused both; now replay, postmortem,
verify and recovery read through :func:`engine.records.recorded.read_recorded_drill`
(or its parts), with the size caps of :mod:`engine.util.limits`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.records.bundle import bundle_of, digest_of, write_bundle
from engine.records.recovery import find_interrupted
from engine.records.replay import DrillHeader, header_path, write_header
from engine.scenario.loader import load_scenario
from engine.sim.runner import simulate
from engine.util.limits import MAX_BUNDLE_BYTES, MAX_COMMANDS, MAX_HEADER_BYTES, MAX_JOURNAL_BYTES
from tui.main import main as console_main

from test_journal_hostile import SCENARIO, SEED, one_line_error, plant, real_journal


def readers(path: Path, capsys, named: Path | None = None) -> list[str]:
    """The one-line error of each reader (postmortem, replay, verify) for ``path``; each must refuse it.

    ``named``: the file the message names (the header, when the problem is in the header).
    """
    messages = []
    for argv, main_of in ((["postmortem", str(path)], main), (["replay", str(path)], console_main)):
        assert main_of(argv) == 2, argv
        messages.append(one_line_error(capsys.readouterr().err, named or path))
    assert main(["verify", str(path)]) in (1, 2)
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: ERROR: ") and "Traceback" not in out and len(out.splitlines()) == 1
    messages.append(out)
    return messages


def test_a_header_from_another_seed_is_refused_by_every_reader(tmp_path, capsys, data_dir):
    path = plant(data_dir / "journals", real_journal(), seed=SEED + 1)
    for message in readers(path, capsys):
        assert "the header belongs to another drill" in message
    (drill,) = find_interrupted()
    assert not drill.recoverable and "the header belongs to another drill" in drill.problem


def test_a_header_of_another_scenario_is_refused(tmp_path, capsys):
    path = tmp_path / "drill.jsonl"
    path.write_text(real_journal(), encoding="utf-8")
    write_header(path, DrillHeader(load_scenario("db-primary-async"), SEED, "ada", "practice"))
    for message in readers(path, capsys):
        assert "the header belongs to another drill" in message


def test_an_empty_journal_is_refused_by_every_reader(tmp_path, capsys):
    path = plant(tmp_path, "")
    for message in readers(path, capsys):
        assert "empty: no journal entries" in message


def test_a_header_whose_scenario_was_edited_is_refused(tmp_path, capsys):
    path = plant(tmp_path, real_journal())
    header = json.loads(header_path(path).read_text(encoding="utf-8"))
    header["scenario"]["duration"] = header["scenario"]["duration"] + 60
    header_path(path).write_text(json.dumps(header), encoding="utf-8")
    for message in readers(path, capsys, header_path(path)):
        assert "the embedded scenario hashes to" in message and "drill.drill.json" in message


def test_a_good_journal_reads_and_verifies_to_itself(tmp_path, capsys):
    text = real_journal(None)
    path = plant(tmp_path, text)
    from engine.records.recorded import read_recorded_drill

    drill = read_recorded_drill(path)
    assert (drill.kind, drill.seed, drill.trainee, drill.journal_text) == ("journal", SEED, "ada", text)
    assert [c.command for c in drill.transcript.commands] == ["shed", "promote"]
    assert main(["verify", str(path)]) == 0
    assert f"{path}: OK" in capsys.readouterr().out
    assert main(["postmortem", str(path)]) == 0


def test_a_journal_that_does_not_replay_to_itself_diverges(tmp_path, capsys):
    lines = real_journal(None).splitlines(keepends=True)
    lines[3] = lines[3].replace("{", '{"edited":1,', 1)
    path = plant(tmp_path, "".join(lines))
    assert main(["verify", str(path)]) == 1
    assert "DIVERGES: line 4" in capsys.readouterr().out


def _sparse(path: Path, size: int, start: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(start)
        handle.truncate(size)
    return path


@pytest.mark.parametrize("what, limit", [("journal", MAX_JOURNAL_BYTES), ("header", MAX_HEADER_BYTES),
                                         ("bundle", MAX_BUNDLE_BYTES)])
def test_files_over_their_size_limit_are_refused_naming_the_limit(tmp_path, capsys, what, limit):
    if what == "journal":
        path = _sparse(tmp_path / "big.jsonl", limit + 1, b'{"seq":0,"t":0,"type":"DrillStarted"}\n')
        write_header(path, DrillHeader(load_scenario(SCENARIO), SEED, "ada", "practice"))
        words = "over the limit of 64.0 MiB for a journal"
    elif what == "header":
        path = plant(tmp_path, real_journal())
        _sparse(header_path(path), limit + 1, b"{")
        words = "over the limit of 2.0 MiB for a drill header"
    else:
        path = _sparse(tmp_path / "big.json", limit + 1, b"{")
        words = "over the limit of 64.0 MiB for a result bundle"
    from engine.records.recorded import RecordError, read_recorded_drill

    with pytest.raises(RecordError, match=words):
        read_recorded_drill(path)
    for message in readers(path, capsys, header_path(path) if what == "header" else path):
        assert words in message


def test_a_bundle_with_more_commands_than_the_limit_is_refused_naming_it(tmp_path, capsys):
    scenario = load_scenario(SCENARIO)
    path = write_bundle(bundle_of(simulate(scenario, 1, scenario.reference_solution, name="ref"), "ada", "headless"),
                        tmp_path / "many.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["transcript"]["commands"] = [{"t": 1, "command": "ack", "target": "x", "args": {}}] * (MAX_COMMANDS + 1)
    doc["digest"] = digest_of(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    for message in readers(path, capsys):
        assert f"has {MAX_COMMANDS + 1:,} commands, over the limit of {MAX_COMMANDS:,} commands for a transcript" in message


@pytest.mark.parametrize("field, value", [("args", 5), ("target", [1]), ("command", 7), ("t", "NaN")])
def test_a_bundle_transcript_follows_the_same_rules(tmp_path, capsys, field, value):
    scenario = load_scenario(SCENARIO)
    path = write_bundle(bundle_of(simulate(scenario, 1, scenario.reference_solution, name="ref"), "ada", "headless"),
                        tmp_path / "b.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["transcript"]["commands"][0][field] = value
    doc["digest"] = digest_of(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    for message in readers(path, capsys):
        assert f"commands[0]: '{field}' must be" in message
