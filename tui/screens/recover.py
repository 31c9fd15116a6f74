"""The prompt shown at start when drills did not finish: Recover, Discard or Later.

:class:`RecoveryDialog` goes through the interrupted drills most recent
first. Recover rebuilds the drill and dismisses with its session (the app
hands it to the trainee); a drill that cannot be rebuilt says why and offers
only Discard and Later. Discard moves the drill's files to
``journals/discarded/`` and shows the next one; Later dismisses with None and
leaves the rest for the next start.
"""

from __future__ import annotations

import dataclasses

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from engine.records.recovery import DISCARDED, InterruptedDrill, RecoveryError, discard

from ..recovery import describe, resume_session
from ..wording import shown_folder
from ..session import DrillSession
from .dialogs import DIALOG_CSS_PATH


class RecoveryDialog(ModalScreen[DrillSession | None]):
    """Take up, discard or keep for later each interrupted drill."""

    CSS_PATH = DIALOG_CSS_PATH
    BINDINGS = [
        ("r", "recover", "Recover"),
        ("d", "discard", "Discard"),
        ("l", "later", "Later"),
        ("escape", "later", "Later"),
    ]

    def __init__(self, drills: list[InterruptedDrill]) -> None:
        super().__init__()
        self.drills = list(drills)
        """The interrupted drills not answered yet, the one shown first."""

    @property
    def current(self) -> InterruptedDrill:
        return self.drills[0]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("An interrupted drill", classes="title")
            yield Static(id="recovery-text")
            yield Static(id="recovery-more")
            with Horizontal(classes="buttons"):
                yield Button("Later (esc)", id="later")
                yield Button("Discard (d)", id="discard", variant="warning")
                yield Button("Recover (r)", id="recover", variant="primary")

    def on_mount(self) -> None:
        self._show()

    def text(self) -> str:
        """What the dialog says about the drill shown (for tests)."""
        return describe(self.current)

    def _show(self) -> None:
        drill = self.current
        self.query_one("#recovery-text", Static).update(describe(drill))
        more = len(self.drills) - 1
        folder = f"{drill.journal.parent.name}/{DISCARDED}/"
        note = f"Discard moves its files to {folder}; Later asks again next time."
        if more:
            note += f"\n{more} more interrupted drill{'s' if more != 1 else ''} after this one."
        self.query_one("#recovery-more", Static).update(note)
        recover = self.query_one("#recover", Button)
        recover.display = drill.recoverable
        (recover if drill.recoverable else self.query_one("#later", Button)).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"recover": self.action_recover, "discard": self.action_discard}.get(event.button.id or "", self.action_later)()

    def action_recover(self) -> None:
        drill = self.current
        if not drill.recoverable:
            return
        try:
            session = resume_session(drill)
        except Exception as exc:  # noqa: BLE001 - RecoveryError, or a journal file the session cannot write
            problem = str(exc) if isinstance(exc, RecoveryError) else f"{drill.journal}: cannot be taken up ({exc})"
            self.drills[0] = dataclasses.replace(drill, problem=problem)
            self._show()
            return
        self.dismiss(session)

    def action_discard(self) -> None:
        drill = self.current
        try:
            folder = discard(drill)
        except OSError as exc:
            self.notify(f"could not move {drill.journal.name}: {exc.strerror or exc}", severity="error", timeout=8)
            return
        self.notify(f"Moved {drill.journal.name} to\n{shown_folder(folder)}", timeout=6)
        self.drills.pop(0)
        if self.drills:
            self._show()
        else:
            self.dismiss(None)

    def action_later(self) -> None:
        self.dismiss(None)
