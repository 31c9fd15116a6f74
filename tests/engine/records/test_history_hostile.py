"""The drill history is untrusted input (issue 11, item 4).

SQLite is dynamically typed: any column of any row may hold text, a number,
NULL or a BLOB of any size, whatever the schema says. A row that is not a run
as spofdrill writes it is left out of every answer and reported once, in one
line naming the file; it is never fatal and never changed. A file that is not
a history at all is one line naming it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.records.history import FILE_NAME, History, HistoryError, Record
from engine.records.progress import catalogue, history_document, history_text, progress, suggest_next

# A hand-made file: the numeric columns with the affinities spofdrill declares, the text columns with none (so a
# number stays a number), nothing NOT NULL, so that every hostile value can be planted (a file from anywhere may
# have any schema).
_LOOSE_SCHEMA = """
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, trainee, scenario, seed INTEGER, score REAL,
                   grade, passed INTEGER, breakdown, tags, mode, finished_at REAL);
CREATE INDEX runs_by_scenario ON runs (scenario, score DESC);
CREATE INDEX runs_by_time ON runs (finished_at DESC);
PRAGMA user_version = 1;
"""

_GOOD = [  # (trainee, scenario, seed, score, grade, passed, finished_at)
    ("ann", "lb-failover", 1, 62.0, "D", 1, 1_700_000_100.0),
    ("ann", "lb-failover", 2, 87.5, "B", 1, 1_700_000_200.0),
    ("bob", "spof-baseline", 3, 40.0, "F", 0, 1_700_000_300.0),
]

# (column, stored value, words the report uses). The bad row is otherwise the best and newest run, so a reader
# that trusted it would show it first.
HOSTILE = [
    ("seed", "seven", "seed 'seven' is not a whole number"),
    ("seed", "99999999999999999999", "seed 1e+20 is not a whole number"),  # past 64 bits: INTEGER affinity makes it REAL
    ("seed", 2.5, "seed 2.5 is not a whole number"),
    ("score", "x", "score 'x' is not a number"),
    ("score", float("inf"), "score inf is not a finite number"),
    ("score", float("nan"), "score is missing (NULL)"),  # SQLite stores NaN as NULL
    ("score", None, "score is missing (NULL)"),
    ("finished_at", None, "finished_at is missing (NULL)"),
    ("finished_at", float("-inf"), "finished_at -inf is not a finite number"),
    ("finished_at", 1e300, "finished_at 1e+300 is not a date"),
    ("finished_at", "yesterday", "finished_at 'yesterday' is not a number"),
    ("passed", "maybe", "passed 'maybe' is neither 0 nor 1"),
    ("passed", 7, "passed 7 is neither 0 nor 1"),
    ("trainee", b"\x00ann", "trainee is binary data (a BLOB), not text"),
    ("trainee", 42, "trainee 42 is not text"),
    ("trainee", "a" * (10 * 1024 * 1024), "trainee is 10,485,760 bytes long"),
    ("trainee", "\x1b]0;owned\x07ann", "trainee '\\x1b]0;owned\\x07ann' has control characters in it"),
    ("scenario", None, "scenario is missing (NULL)"),
    ("grade", 3.5, "grade 3.5 is not text"),
    ("mode", b"practice", "mode is binary data (a BLOB), not text"),
    ("tags", "not json", "tags is not JSON"),
    ("tags", '{"spof": true}', "tags is JSON but not a list"),
    ("tags", "[1, 2]", "a tag 1 is not text"),
    ("tags", 5, "tags 5 is not JSON text"),
    ("breakdown", "{", "breakdown is not JSON"),
    ("breakdown", "[]", "breakdown is JSON but not an object"),
    ("breakdown", "[" * 100_000 + "]" * 100_000, "breakdown is not JSON (nested too deeply"),
    ("breakdown", '{"x": "' + "y" * 2_000_000 + '"}', "breakdown is 2,000,009 bytes long"),
]


def _plant(path: Path, column: str | None = None, value: object = None, *, loose: bool = True) -> int | None:
    """A history with the good runs and, when ``column`` is given, one more run whose ``column`` holds ``value``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if loose:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.executescript(_LOOSE_SCHEMA)
        conn.close()
    with History(path) as history:
        for trainee, scenario, seed, score, grade, passed, when in _GOOD:
            history.record(trainee=trainee, scenario=scenario, seed=seed, score=score, grade=grade, passed=bool(passed),
                           breakdown={"downtime": 10.0}, tags=["spof", "load-balancer"], finished_at=when)
        if column is None:
            return None
        bad = history.record(trainee="ann", scenario="lb-failover", seed=9, score=99.0, grade="A", passed=True,
                             breakdown={}, tags=["spof"], finished_at=1_700_000_900.0)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (value, bad))
    finally:
        conn.close()
    return bad


def _dump(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM runs ORDER BY id").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize(("column", "value", "words"), HOSTILE, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(HOSTILE)])
def test_a_row_with_a_wrong_value_is_left_out_and_reported_once(tmp_path, column, value, words):
    path = tmp_path / "h.sqlite3"
    bad = _plant(path, column, value)
    before = _dump(path)
    started = time.monotonic()
    with History(path) as history:
        assert history.problem is None  # nothing read yet
        runs = history.runs()
        assert [r.id for r in runs] == [3, 2, 1]
        assert all(isinstance(r, Record) for r in runs)
        assert [r.id for r in history.runs(limit=2)] == [3, 2]  # the limit counts readable rows
        assert [r.id for r in history.all_runs()] == [3, 2, 1]
        assert [r.id for r in history.runs(scenario="lb-failover")] == [2, 1]
        assert history.best("lb-failover").id == 2
        assert history.best("lb-failover").result == "87.5 B"
        assert history.skipped_rows == 1
        assert len(history.skipped) == 1 and history.skipped[0].startswith(f"row {bad}: ")
        problem = history.problem
        assert problem == f"drill history {path}: 1 row could not be read (row {bad}: {history.skipped[0][len(f'row {bad}: '):]}) and is left out"
        assert words in problem
        assert "\n" not in problem and len(problem) < 400
        history.all_runs()
        history.best("lb-failover")
        assert history.problem == problem and history.skipped_rows == 1  # the same row is counted once
    assert time.monotonic() - started < 10
    assert _dump(path) == before or column == "score" and value != value  # never modified (NaN != NaN)


def test_the_cases_of_the_issue_on_a_history_spofdrill_wrote(tmp_path):
    """``UPDATE runs SET seed='seven'`` and friends on the schema spofdrill creates, several bad rows at once."""
    path = tmp_path / "h.sqlite3"
    _plant(path, loose=False)
    with History(path) as history:
        ids = [history.record(trainee="cy", scenario="lb-failover", seed=i, score=50.0, grade="C", passed=True,
                              breakdown={}, tags=[], finished_at=1_700_001_000.0 + i) for i in range(5)]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE runs SET seed = 'seven' WHERE id = ?", (ids[0],))
    conn.execute("UPDATE runs SET score = 'x' WHERE id = ?", (ids[1],))
    conn.execute("UPDATE runs SET passed = 'maybe' WHERE id = ?", (ids[2],))
    conn.execute("UPDATE runs SET trainee = x'00ff' WHERE id = ?", (ids[3],))
    conn.execute("UPDATE runs SET tags = 'spof, vrrp' WHERE id = ?", (ids[4],))
    conn.close()
    before = _dump(path)
    with History(path) as history:
        assert [r.id for r in history.all_runs()] == [3, 2, 1]
        assert history.best("lb-failover").id == 2
        assert history.skipped_rows == 5
        problem = history.problem
    assert problem.startswith(f"drill history {path}: 5 rows could not be read (row {ids[4]}: tags is not JSON")
    assert problem.endswith("; and 2 more) and are left out")
    assert _dump(path) == before


def test_every_record_that_comes_out_is_fit_for_the_progress_report(tmp_path):
    path = tmp_path / "h.sqlite3"
    for index, (column, value, _) in enumerate(HOSTILE):
        _plant(path.with_name(f"{index}.sqlite3"), column, value)
    options = catalogue()
    for file in tmp_path.glob("*.sqlite3"):
        with History(file) as history:
            everything = history.all_runs()
        text = history_text(everything, everything, options)
        assert "87.5" in text and "\x1b" not in text
        history_document(everything, everything, options)
        progress(everything)
        assert suggest_next(everything, options) is not None


def test_unreadable_text_is_a_skipped_row_not_a_failed_query(tmp_path):
    """Text that is not UTF-8 makes Python's sqlite3 raise for the whole query; here it is one row."""
    path = tmp_path / "h.sqlite3"
    bad = _plant(path, "trainee", "ann")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE runs SET trainee = CAST(x'616ee9ff' AS TEXT) WHERE id = ?", (bad,))
    conn.close()
    with History(path) as history:
        assert [r.id for r in history.all_runs()] == [3, 2, 1]
        assert f"row {bad}: trainee is not UTF-8 text" in history.problem
        assert [r.trainee for r in history.runs(trainee="ann")] == ["ann", "ann"]


def test_many_bad_rows_are_counted_and_a_few_described(tmp_path):
    path = tmp_path / "h.sqlite3"
    _plant(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO runs (trainee, scenario, seed, score, grade, passed, breakdown, tags, mode, finished_at)"
                     " VALUES ('z', 'lb-failover', 'seven', 1, 'F', 0, '{}', '[]', 'practice', ?)",
                     [(2e9 + i,) for i in range(5_000)])
    conn.execute("COMMIT")
    conn.close()
    with History(path) as history:
        assert [r.id for r in history.runs(limit=3)] == [3, 2, 1]
        history.all_runs()
        assert history.skipped_rows == 5_000
        assert len(history.skipped) == 100
        assert "5,000 rows could not be read" in history.problem and "; and 4,997 more)" in history.problem


# --------------------------------------------------------------------------- spofdrill history


def test_spofdrill_history_shows_the_good_rows_and_reports_the_bad_in_one_line(data_dir, capsys):
    path = data_dir / FILE_NAME
    bad = _plant(path, "seed", "seven")
    assert main(["history"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "87.5" in out and "62.0" in out and "40.0" in out and "99.0" not in out
    assert err.strip() == (f"drill history {path}: 1 row could not be read (row {bad}: seed 'seven' is not a whole number)"
                           " and is left out")


def test_spofdrill_history_reports_nothing_for_a_clean_history(data_dir, capsys):
    _plant(data_dir / FILE_NAME)
    assert main(["history", "--json", str(data_dir / "h.json")]) == 0
    out, err = capsys.readouterr()
    assert "87.5" in out and err == ""


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"a shopping list, not a database\n" * 100)


def _truncated(path: Path) -> None:
    _plant(path)
    for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        companion.unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])


def _directory(path: Path) -> None:
    path.mkdir()


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _random(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))


@pytest.mark.parametrize("make", [_not_sqlite, _truncated, _directory, _fifo, _random])
def test_a_file_that_is_no_history_is_one_line_naming_it(data_dir, capsys, make):
    path = data_dir / FILE_NAME
    data_dir.mkdir(parents=True, exist_ok=True)
    make(path)
    started = time.monotonic()
    history, message = History.open_safely()
    if history is not None:  # a truncated file may still open: then reading it is the one line
        try:
            with pytest.raises(HistoryError) as caught:
                history.all_runs()
            message = str(caught.value)
        finally:
            history.close()
    assert message.startswith(f"drill history {path}: ") and "\n" not in message
    assert main(["history"]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert str(path) in err and len(err.strip().splitlines()) == 1
    assert time.monotonic() - started < 10


def test_an_empty_file_is_an_empty_history(data_dir, capsys):
    path = data_dir / FILE_NAME
    data_dir.mkdir(parents=True)
    path.write_bytes(b"")
    assert main(["history"]) == 0
    out, err = capsys.readouterr()
    assert "No drills recorded yet" in out and err == ""


def test_the_progress_report_copes_with_records_built_elsewhere_and_a_hostile_calibration_entry():
    from engine.records.progress import DrillOption
    from engine.scenario.loader import load_scenario

    odd = Record(id=1, trainee="ann", scenario="lb-failover", seed=1, score=50.0, grade="C", passed=True, breakdown={},
                 tags=("spof",), mode="practice", finished_at=1e300)
    options = catalogue()
    text = history_text([odd], [odd], options)
    assert any(line.startswith("  ?  ") and "lb-failover" in line for line in text.splitlines())
    assert history_document([odd], [odd], options)["runs"][0]["finished"] is None
    scenario = load_scenario("lb-failover")
    for entry in ({"difficulty": 7, "index": "high"}, {"difficulty": "hard", "index": float("nan")}, {"index": [1]}):
        option = DrillOption.of(scenario, entry)
        assert option.index is None and isinstance(option.difficulty, str)
        option.ease()
