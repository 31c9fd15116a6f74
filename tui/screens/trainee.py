"""Asking the trainee's name (assessments ask once; the name is kept, see :mod:`engine.records.trainee`)."""

from __future__ import annotations

from engine.util.files import WriteError
from engine.records.trainee import MAX_LENGTH, check_name, store_name

from .dialogs import AskDialog


class TraineeDialog(AskDialog[str]):
    """A name, checked (not empty, at most 40 characters) and kept for later drills; None when cancelled."""

    def __init__(self, current: str = "", *, why: str = "Assessment results are recorded under your name.") -> None:
        super().__init__(
            "Your name", f"{why} It is kept for later drills; t on the briefing changes it.", current, self._keep,
            ok="OK (enter)", placeholder=f"e.g. Ada Lovelace (at most {MAX_LENGTH} characters)", field_id="trainee-name",
            error_id="trainee-problem",
        )
        self.current = current
        self.why = why

    def _keep(self, text: str) -> str:
        name = check_name(text)  # TraineeNameError is a ValueError: shown in place
        try:
            store_name(name)
        except WriteError as exc:
            self.app.notify(f"{exc}; the name is used for this session only.", severity="warning", timeout=8)
        return name
