"""``spofdrill verify`` on a console journal it cannot verify says what the file is (issue 13, item 4).

A journal renamed ``.json`` was read as a result bundle ("not JSON: Extra
data"), and one without its drill header was "verified" against whatever the
built-in scenario of that name is today. Both now get one line: this is a
console journal, not a result bundle, and exit 2. A journal is recognised by
its content (JSON Lines whose first entry has ``type`` and ``seq``), not its name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli.main import main
from engine.records.recorded import read_recorded_drill
from engine.records.replay import header_path

from test_journal_hostile import plant, real_journal

MESSAGE = "this is a console journal, not a result bundle"


def verify_line(path: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["verify", str(path)])
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1 and "Traceback" not in out, out
    return code, out


@pytest.mark.parametrize("lead", ["", "\n", "\n\r\n  \n"], ids=["plain", "blank-line", "blank-lines"])
def test_a_journal_renamed_json_is_named_a_journal_not_a_broken_bundle(tmp_path, capsys, lead):
    saved = plant(tmp_path, real_journal(None))  # X.jsonl beside X.drill.json, as the console saves them
    renamed = saved.rename(saved.with_suffix(".json"))
    renamed.write_text(lead + renamed.read_text(encoding="utf-8"), encoding="utf-8")
    code, out = verify_line(renamed, capsys)
    assert code == 2
    assert out.startswith(f"{renamed}: ERROR: {MESSAGE}") and "Extra data" not in out
    assert "drill.jsonl" in out  # what to rename it to
    assert read_recorded_drill(renamed).kind == "journal"


def test_a_journal_without_its_header_is_named_a_journal(tmp_path, capsys):
    path = plant(tmp_path, real_journal(None))
    header_path(path).unlink()
    code, out = verify_line(path, capsys)
    assert code == 2
    assert out.startswith(f"{path}: ERROR: {MESSAGE}") and "drill.drill.json is missing" in out


def test_a_journal_beside_its_header_still_verifies(tmp_path, capsys):
    path = plant(tmp_path, real_journal(None))
    code, out = verify_line(path, capsys)
    assert code == 0 and out.startswith(f"{path}: OK")


def test_verify_of_several_files_exits_with_the_worst(tmp_path, capsys):
    good = plant(tmp_path, real_journal(None), "good")
    bare = plant(tmp_path, real_journal(None), "bare")
    header_path(bare).unlink()
    capsys.readouterr()
    assert main(["verify", str(good), str(bare)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{good}: OK") and out[1].startswith(f"{bare}: ERROR: {MESSAGE}")
