"""Hostile JSON (issue 11, item 2): nesting deeper than the recursion limit and integers of more than 4,300
digits are decode errors like any other, so every reader reports them in one line naming the file."""

from __future__ import annotations

import json
import sys

import pytest

from engine.cli.main import main
from engine.records.bundle import BundleError, read_bundle
from engine.records.recovery import find_interrupted
from engine.records.replay import TranscriptError, read_header
from engine.records.trainee import stored_name
from engine.sim.journal import read_jsonl
from engine.util.jsontext import parse_json

DEEP = "[" * (sys.getrecursionlimit() * 4) + "]" * (sys.getrecursionlimit() * 4)
"""An array nested four times deeper than the interpreter's recursion limit: json.loads raises RecursionError."""
HUGE = '{"seq": 1, "t": ' + "9" * 5000 + "}"
"""An integer of 5,000 digits: json.loads raises ValueError (CPython's 4,300-digit limit), not a decode error."""


@pytest.mark.parametrize("text, words", [(DEEP, "nested too deeply"), (HUGE, "number too long")], ids=("deep", "huge"))
def test_every_failure_is_a_decode_error_saying_what_is_wrong(text, words):
    with pytest.raises(json.JSONDecodeError, match=words):
        parse_json(text)
    assert parse_json('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}


@pytest.mark.parametrize("bad", [DEEP, HUGE], ids=("deep", "huge"))
def test_a_journal_line_names_its_number(bad):
    with pytest.raises(ValueError, match=r"^line 2: not JSON"):
        read_jsonl('{"seq": 0, "t": 0.0, "type": "DrillStarted"}\n' + bad + "\n")


@pytest.mark.parametrize("bad", [DEEP, HUGE], ids=("deep", "huge"))
def test_a_bundle_is_a_bundle_error_naming_the_file(tmp_path, bad):
    path = tmp_path / "student.bundle.json"
    path.write_text(bad)
    with pytest.raises(BundleError) as caught:
        read_bundle(path)
    message = str(caught.value)
    assert "student.bundle.json" in message and "\n" not in message


@pytest.mark.parametrize("bad", [DEEP, HUGE], ids=("deep", "huge"))
def test_verify_exits_2_with_one_line(tmp_path, capsys, bad):
    path = tmp_path / "student.bundle.json"
    path.write_text(bad)
    assert main(["verify", str(path)]) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err and "student.bundle.json" in out.out + out.err


@pytest.mark.parametrize("bad", [DEEP, HUGE], ids=("deep", "huge"))
def test_a_drill_header_is_a_transcript_error_naming_the_file(tmp_path, bad):
    journal = tmp_path / "lb-failover-seed1-x.jsonl"
    journal.write_text("")
    (tmp_path / "lb-failover-seed1-x.drill.json").write_text(bad)
    with pytest.raises(TranscriptError, match=r"lb-failover-seed1-x\.drill\.json"):
        read_header(journal)


@pytest.mark.parametrize("bad", [DEEP, HUGE], ids=("deep", "huge"))
def test_the_console_start_survives_a_hostile_journal_and_name_file(data_dir, bad):
    """What the console reads at start: the interrupted journals and the trainee's name."""
    journals = data_dir / "journals"
    journals.mkdir(parents=True)
    (journals / "x.jsonl").write_text('{"seq": 0, "t": 0.0, "type": "DrillStarted"}\n' + bad + "\n")
    (data_dir / "trainee.json").write_text(bad)
    drills = find_interrupted(journals)
    assert all(d.journal.name == "x.jsonl" for d in drills)
    assert stored_name() is None


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_are_refused_as_decode_errors(literal):
    """Python's json reads these words as floats; RFC 8259 has no such numbers and spofdrill never writes them."""
    with pytest.raises(json.JSONDecodeError, match=f"{literal} is not a JSON number"):
        parse_json('{"args": {"percent": ' + literal + "}}")
