"""Shown instead of a broken layout while the terminal is below the minimum size."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import ModalScreen
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 80, 24
"""The smallest terminal the console lays out in."""


class TooSmallScreen(ModalScreen[None]):
    """Shown instead of a broken layout while the terminal is below the minimum size."""

    CSS_PATH = "too_small.tcss"

    def __init__(self, width: int, height: int, paused: bool) -> None:
        super().__init__()
        self.message = self.text(width, height, paused)

    @staticmethod
    def text(width: int, height: int, paused: bool) -> str:
        """What the screen says for a ``width`` x ``height`` terminal (and whether the drill waits)."""
        note = "\nThe drill is paused until it is." if paused else ""
        return f"The terminal is {width}×{height}; spofdrill needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\nEnlarge it to go on.{note}"

    def compose(self) -> ComposeResult:
        with Middle():
            with Center():
                yield Static(self.message, id="too-small")

    def show_size(self, width: int, height: int, paused: bool) -> None:
        """The terminal changed size and is still too small."""
        self.query_one("#too-small", Static).update(self.text(width, height, paused))
