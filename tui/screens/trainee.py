"""Asking the trainee's name (assessments ask once; the name is kept, see :mod:`engine.trainee`)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from engine.files import WriteError
from engine.trainee import MAX_LENGTH, TraineeNameError, check_name, store_name

from .dialogs import DIALOG_CSS


class TraineeDialog(ModalScreen[str | None]):
    """A name, checked (not empty, at most 40 characters) and kept for later drills; None when cancelled."""

    DEFAULT_CSS = DIALOG_CSS + "TraineeDialog { align: center middle; } TraineeDialog #trainee-problem { color: $error; }"
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, current: str = "", *, why: str = "Assessment results are recorded under your name.") -> None:
        super().__init__()
        self.current = current
        self.why = why

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Your name", classes="title")
            yield Static(f"{self.why} It is kept for later drills; t on the briefing changes it.")
            yield Input(self.current, placeholder=f"e.g. Ada Lovelace (at most {MAX_LENGTH} characters)", id="trainee-name")
            yield Static("", id="trainee-problem")
            with Horizontal(classes="buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("OK (enter)", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#trainee-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self._submit()
        else:
            self.action_cancel()

    def _submit(self) -> None:
        try:
            name = check_name(self.query_one("#trainee-name", Input).value)
        except TraineeNameError as exc:
            self.query_one("#trainee-problem", Static).update(str(exc))
            return
        try:
            store_name(name)
        except WriteError as exc:
            self.app.notify(f"{exc}; the name is used for this session only.", severity="warning", timeout=8)
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
