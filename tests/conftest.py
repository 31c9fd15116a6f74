"""Fixtures every test shares.

Every test runs with its own data folder (``$SPOFDRILL_DATA_DIR`` under
``tmp_path``), so no test reads or writes the real history, journals or
trainee name, and with Textual's animations off, so screens settle at once.
Helpers that are plain functions (built-in scenarios, golden journals) live in
``tests/support.py``; this folder is on ``sys.path`` because this file is here.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data folder of this test (not created: the code under test creates what it needs)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("SPOFDRILL_DATA_DIR", str(folder))
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    return folder
