"""The drill history: round trip, best, ordering, WAL, and problems reported instead of raised.

Every test works in ``tmp_path`` with ``SPOFDRILL_DATA_DIR`` pointed there, so the
real home directory is never touched.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from engine.records.history import FILE_NAME, SCHEMA_VERSION, History, HistoryError, Record, data_dir, default_path


@pytest.fixture(autouse=True)
def _no_real_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Beside the data folder (conftest), a home of the test's own: the fallbacks are checked too."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    return tmp_path


def _run(history: History, **overrides) -> int:
    values = dict(
        trainee="ann",
        scenario="lb-failover",
        seed=7,
        score=75.0,
        grade="C",
        passed=True,
        breakdown={"penalties": {"downtime": 20.0, "hints": 5.0}, "probes": [{"name": "availability", "ok": True}]},
        tags=["redundancy", "failover"],
    )
    values.update(overrides)
    return history.record(**values)


def test_data_dir_prefers_the_env_variable_then_xdg_then_home(tmp_path, monkeypatch):
    assert default_path() == tmp_path / "data" / FILE_NAME
    monkeypatch.delenv("SPOFDRILL_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "spofdrill"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "spofdrill"


def test_a_record_round_trips_and_the_default_file_is_created(tmp_path):
    with History() as history:
        rid = _run(history, mode="assess", finished_at=1_700_000_000.5)
        (stored,) = history.runs()
    assert (tmp_path / "data" / FILE_NAME).is_file()
    assert stored == Record(
        id=rid,
        trainee="ann",
        scenario="lb-failover",
        seed=7,
        score=75.0,
        grade="C",
        passed=True,
        breakdown={"penalties": {"downtime": 20.0, "hints": 5.0}, "probes": [{"name": "availability", "ok": True}]},
        tags=("redundancy", "failover"),
        mode="assess",
        finished_at=1_700_000_000.5,
    )
    assert stored.result == "75.0 C"
    with History() as reopened:  # persisted, schema not recreated
        assert [r.id for r in reopened.runs()] == [rid]


def test_finished_at_defaults_to_now(tmp_path):
    import time

    before = time.time()
    with History(tmp_path / "h.sqlite3") as history:
        _run(history)
        (stored,) = history.runs()
    assert before <= stored.finished_at <= time.time()
    assert stored.mode == "practice"


def test_best_is_the_highest_score_per_scenario_and_trainee(tmp_path):
    with History(tmp_path / "h.sqlite3") as history:
        assert history.best("lb-failover") is None
        _run(history, score=61.0, grade="D", finished_at=1)
        top = _run(history, score=92.5, grade="A", finished_at=2)
        _run(history, score=80.0, grade="B", finished_at=3)
        bob = _run(history, trainee="bob", score=70.0, finished_at=4)
        _run(history, scenario="spof-baseline", score=99.0, grade="A", finished_at=5)
        assert history.best("lb-failover").id == top
        assert history.best("lb-failover").result == "92.5 A"
        assert history.best("lb-failover", trainee="bob").id == bob
        assert history.best("lb-failover", trainee="carol") is None
        assert history.best("db-primary-async") is None


def test_runs_are_newest_first_and_filtered(tmp_path):
    with History(tmp_path / "h.sqlite3") as history:
        ids = [_run(history, finished_at=t, scenario=s) for t, s in [(10, "a"), (30, "b"), (20, "a"), (40, "a")]]
        assert [r.finished_at for r in history.runs()] == [40, 30, 20, 10]
        assert [r.id for r in history.runs(scenario="a")] == [ids[3], ids[2], ids[0]]
        assert [r.id for r in history.runs(limit=2)] == [ids[3], ids[1]]
        assert history.runs(trainee="nobody") == []


def test_the_file_is_in_wal_mode_with_a_schema_version(tmp_path):
    path = tmp_path / "h.sqlite3"
    with History(path) as history:
        _run(history)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()


def test_a_corrupt_file_gives_a_message_naming_it(tmp_path):
    path = tmp_path / "data" / FILE_NAME
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    history, message = History.open_safely()
    assert history is None
    assert str(path) in message
    assert "not a readable SQLite database" in message
    with pytest.raises(HistoryError):
        History(path)


def test_a_newer_schema_is_refused_with_a_message(tmp_path):
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    history, message = History.open_safely(path)
    assert history is None
    assert str(path) in message and "newer spofdrill" in message


def test_a_data_dir_that_is_a_file_gives_a_message(tmp_path, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the data directory should be")
    monkeypatch.setenv("SPOFDRILL_DATA_DIR", str(blocker / "spofdrill"))
    history, message = History.open_safely()
    assert history is None
    assert str(blocker / "spofdrill" / FILE_NAME) in message
    assert "not a directory" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_an_unwritable_directory_gives_a_message(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        history, message = History.open_safely(locked / FILE_NAME)
        assert history is None
        assert str(locked / FILE_NAME) in message
    finally:
        locked.chmod(0o700)


def test_a_closed_history_raises_history_error_not_sqlite_errors(tmp_path):
    history = History(tmp_path / "h.sqlite3")
    history.close()
    history.close()
    with pytest.raises(HistoryError, match="closed"):
        history.runs()


def test_a_directory_sqlite_cannot_write_into_gives_a_message(tmp_path, monkeypatch):
    """What SQLite says for a read-only directory, simulated so the test also runs as root."""

    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(sqlite3, "connect", refuse)
    history, message = History.open_safely()
    assert history is None
    assert str(tmp_path / "data" / FILE_NAME) in message
    assert "is the directory writable?" in message


def test_files_written_atomically_get_the_usual_permissions_and_keep_an_existing_files(tmp_path):
    import os
    import stat

    from engine.util.files import write_atomic

    fresh = write_atomic(tmp_path / "result.json", "{}\n")
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~mask  # not mkstemp's private 0600
    kept = tmp_path / "shared.json"
    kept.write_text("old")
    kept.chmod(0o640)
    write_atomic(kept, "new")
    assert kept.read_text() == "new" and stat.S_IMODE(kept.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left
