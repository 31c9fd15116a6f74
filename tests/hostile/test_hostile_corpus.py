"""The hostile corpus: every file in ``tests/fixtures/hostile`` gets the answer ``expected.yaml`` names, within 1 GiB.

The files reproduce the defects of issue 11 (journal rows of the wrong
types, NaN, nesting past the recursion limit, 5,000-digit integers, empty
journals and headers of another drill, embedded scenarios naming missing
nodes, a billion-second duration, a microsecond tick, infinite rates,
2,000 scale-outs, ``/dev/zero``), and files too large to keep in git are
made here. ``tests/hostile_driver.py`` runs each case in a child process
whose address space is capped at 1 GiB (``RLIMIT_AS``), so a reader that
tries to hold a huge file or simulate a billion seconds fails the test
instead of the machine. Wall-clock times are reported by
``bench/hostile.py``, not asserted here.

The console gets the whole corpus at once in its data folder: it must start,
list what it could not read, and leave every file as it was.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_driver import build_cases, case_names
from support import TESTS_DIR

CORPUS = TESTS_DIR / "fixtures" / "hostile"
DRIVER = TESTS_DIR / "hostile_driver.py"
MEMORY_MIB = 1024
ONE_LINE = {"postmortem", "verify", "replay"}
"""Commands whose error is one line (validate and run list every problem of a YAML file, each with its line)."""


def _tree(folder: Path) -> dict[str, str]:
    """Every file and the hash of its content (SQLite's own -wal and -shm files aside: it makes and clears them)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Every case run once by the driver under the memory limit: name -> (case, report). Files are copies."""
    folder = tmp_path_factory.mktemp("hostile")
    cases = build_cases(folder)
    before = _tree(folder)
    listing = folder / "cases.json"
    listing.write_text(json.dumps([{"name": c["name"], "argv": c["argv"]} for c in cases]), encoding="utf-8")
    env_data = folder / "data"
    proc = subprocess.run(
        [sys.executable, str(DRIVER), str(listing), "--memory-mib", str(MEMORY_MIB)],
        capture_output=True, text=True, timeout=900,
        env={**__import__("os").environ, "SPOFDRILL_DATA_DIR": str(env_data)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports = {r["name"]: r for r in map(json.loads, proc.stdout.splitlines())}
    listing.unlink()
    assert _tree(folder) == before, "a reader changed a file it was given"
    return {c["name"]: (c, reports[c["name"]]) for c in cases}


NAMES = case_names()


@pytest.mark.parametrize("name", NAMES)
def test_every_hostile_file_gets_its_answer_within_1_gib(answers, name):
    case, report = answers[name]
    text = report["out"] + report["err"]
    assert not report["hung"], f"{name}: still running after the hang guard"
    assert report["code"] is not None, f"{name}: the reader raised\n{report['err']}"
    assert "Traceback" not in text, text
    assert report["code"] in case["exit"], (report["code"], text[-2000:])
    for words in case["words"]:
        assert words in text, (words, text[-2000:])
    if report["code"] and case["run"][0] in ONE_LINE:
        problem = report["err"].strip() or report["out"].strip()
        assert len(problem.splitlines()) == 1, problem
        assert Path(case["path"]).name.removesuffix(".jsonl") in problem, problem


# --------------------------------------------------------------------------- the drill history


def test_history_rows_of_every_wrong_type_are_left_out_and_reported_once(data_dir, capsys):
    from engine.cli.main import main
    from engine.records.history import History

    data_dir.mkdir(parents=True)
    path = data_dir / "history.sqlite3"
    with History(path) as history:
        for seed in (1, 2, 3):
            history.record(trainee="ada", scenario="lb-failover", seed=seed, score=80.0, grade="B", passed=True,
                           breakdown={}, tags=["failover"], finished_at=1.7e9 + seed)
    conn = sqlite3.connect(path)
    with conn:
        conn.executescript((CORPUS / "history-bad-rows.sql").read_text(encoding="utf-8"))
    conn.close()
    before = _tree(data_dir)
    assert main(["history"]) == 0
    out, err = capsys.readouterr()
    assert "seed 3" in out or "lb-failover" in out  # the good row is listed
    (line,) = err.strip().splitlines()
    assert "3 rows could not be read" in line and "history.sqlite3" in line and "seven" in line
    assert _tree(data_dir) == before


# --------------------------------------------------------------------------- the console, with all of it in its data folder


async def test_the_console_starts_with_the_whole_corpus_in_its_data_folder_and_changes_nothing(data_dir):
    """Every hostile journal (with its header) sits in ``journals/``, the history holds bad rows and the trainee
    file is garbage: the console still starts, offers none of them for recovery, and every file stays as it was."""
    from engine.records.history import History
    from tui.app import SpofdrillApp
    from tui.screens.picker import PickerScreen
    from tui.screens.recover import RecoveryDialog

    journals = data_dir / "journals"
    journals.mkdir(parents=True)
    for path in CORPUS.glob("journal-*"):
        shutil.copy(path, journals / path.name)
    with History(data_dir / "history.sqlite3") as history:
        history.record(trainee="ada", scenario="lb-failover", seed=1, score=80.0, grade="B", passed=True,
                       breakdown={}, tags=[], finished_at=1.7e9)
    conn = sqlite3.connect(data_dir / "history.sqlite3")
    with conn:
        conn.executescript((CORPUS / "history-bad-rows.sql").read_text(encoding="utf-8"))
    conn.close()
    (data_dir / "trainee.json").write_bytes(b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    before = _tree(data_dir)
    app = SpofdrillApp(autoplay=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for _ in range(20):  # every interrupted drill is shown in turn; none of these can be recovered
            if not isinstance(app.screen, RecoveryDialog):
                break
            assert not app.screen.query_one("#recover").display, app.screen.text()
            await pilot.press("escape")
            await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
    assert _tree(data_dir) == before


# --------------------------------------------------------------------------- the small state files


@pytest.mark.parametrize("content", [b"", b"\xff\xfe", b'{"name": 5}', b'{"name": "' + b"a" * 100 + b'"}',
                                     b"[" * 5000 + b"]" * 5000, b'{"name": "ada"}' + b" " * (64 * 1024)])
def test_a_trainee_name_file_of_any_content_or_size_reads_as_no_name(data_dir, content):
    """The name file past 64 KiB is not read at all (a valid name padded past the limit included)."""
    from engine.records.trainee import path, stored_name

    data_dir.mkdir(parents=True)
    path().write_bytes(content)
    assert stored_name() is None
    assert path().read_bytes() == content


@pytest.mark.parametrize("content", [b"", b"nan", b"inf", b"-1", b"1e400", b"\xff", b"12" + b"0" * (64 * 1024)])
def test_a_progress_mark_of_any_content_or_size_reads_as_no_mark(tmp_path, content):
    from engine.records.recovery import progress_path, read_progress

    journal = tmp_path / "drill.jsonl"
    progress_path(journal).write_bytes(content)
    assert read_progress(journal) is None
