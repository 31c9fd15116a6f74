"""The console starts whatever drill history sits in its data folder (issue 11, item 4).

A row that cannot be read is left out of the best results and the suggestion
and reported once as a warning; a history that cannot be read at all is a
warning too; the picker is shown either way.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.widgets import DataTable

from engine.records.history import FILE_NAME, History
from tui.app import SpofdrillApp
from tui.screens.picker import PickerScreen

SIZE = (100, 30)


def _plant(data_dir: Path) -> int:
    """Two good runs of lb-failover and a better, newer one whose seed is 'seven'."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with History(data_dir / FILE_NAME) as history:
        history.record(trainee="ann", scenario="lb-failover", seed=3, score=62.0, grade="D", passed=True,
                       breakdown={}, tags=["load-balancer"], finished_at=1_700_000_000)
        history.record(trainee="ann", scenario="lb-failover", seed=4, score=87.5, grade="B", passed=True,
                       breakdown={}, tags=["load-balancer"], finished_at=1_700_000_100)
        bad = history.record(trainee="ann", scenario="lb-failover", seed=5, score=99.0, grade="A", passed=True,
                             breakdown={}, tags=["load-balancer"], finished_at=1_700_000_200)
    conn = sqlite3.connect(data_dir / FILE_NAME, isolation_level=None)
    conn.execute("UPDATE runs SET seed = 'seven' WHERE id = ?", (bad,))
    conn.close()
    return bad


def _best(app) -> dict[str, str]:
    picker = app.screen
    table = picker.query_one("#scenarios", DataTable)
    column = table.get_column_index("best")
    return {entry.scenario_id: str(table.get_cell_at((row, column))) for row, entry in enumerate(picker.shown)}


def _warnings(app, words: str) -> list:
    return [n for n in app._notifications if words in n.message and n.severity == "warning"]


async def test_a_bad_row_is_left_out_and_reported_once_and_the_picker_shows_the_good_runs(data_dir):
    bad = _plant(data_dir)
    app = SpofdrillApp(autoplay=False, keep_journal=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert app.history is not None and app.history_problem is None
        assert _best(app)["lb-failover"] == "87.5 B"
        (note,) = _warnings(app, "could not be read")
        assert note.message == (f"drill history {data_dir / FILE_NAME}: 1 row could not be read "
                                f"(row {bad}: seed 'seven' is not a whole number) and is left out")
        app.action_new_drill()  # a fresh picker on the same history: not told again
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen) and _best(app)["lb-failover"] == "87.5 B"
        assert len(_warnings(app, "could not be read")) == 1
    conn = sqlite3.connect(data_dir / FILE_NAME)
    assert conn.execute("SELECT seed FROM runs WHERE id = ?", (bad,)).fetchone() == ("seven",)  # left as it was
    conn.close()


async def test_a_history_without_its_table_is_one_warning_and_the_picker_starts(data_dir):
    data_dir.mkdir(parents=True)
    conn = sqlite3.connect(data_dir / FILE_NAME)
    conn.execute("PRAGMA user_version = 1")  # says it is a history, has no runs table
    conn.close()
    app = SpofdrillApp(autoplay=False, keep_journal=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert set(_best(app).values()) == {"—"}
        (note,) = _warnings(app, "no such table")
        assert note.message.startswith(f"drill history {data_dir / FILE_NAME}: ") and "\n" not in note.message


async def test_a_file_that_is_no_history_is_a_warning_and_the_picker_starts(data_dir):
    data_dir.mkdir(parents=True)
    (data_dir / FILE_NAME).write_bytes(b"not a database\n" * 300)
    app = SpofdrillApp(autoplay=False, keep_journal=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert app.history is None
        (note,) = _warnings(app, str(data_dir / FILE_NAME))
        assert "results will not be recorded" in note.message
    assert (data_dir / FILE_NAME).read_bytes() == b"not a database\n" * 300
