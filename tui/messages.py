"""Requests the screens post to the app, which routes them: no screen imports another screen.

A screen that wants another screen shown says so with one of these messages (they bubble from the
screen to the app); :class:`tui.app.SpofdrillApp` decides what to push or switch to. Messages that a
single screen sends are nested in it instead (``DrillScreen.DrillEnded``, ``ReplayScreen.ReplayEnded``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # carried, never built here: the picker imports this without loading the simulation
    from engine.records.replay import Transcript
    from engine.scenario.schema import Scenario
    from engine.sim.runner import Run


class AnalysisRequested(Message):
    """Show the SPOF analysis of a scenario's architecture (the picker, the debrief)."""

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario
        """The scenario whose architecture to analyse."""


class NewDrillRequested(Message):
    """Back to a fresh picker (the debrief)."""


@dataclass
class TakeOverRequested(Message):
    """Rewind a recorded drill to ``moment`` and hand it to the trainee as a new live drill (replay, debrief)."""

    scenario: Scenario
    """The scenario of the drill taken over."""
    seed: int
    """Its seed."""
    transcript: Transcript
    """The commands recorded up to the end, replayed up to ``moment``."""
    moment: float
    """Simulated seconds: from then on the drill is the trainee's."""
    trainee: str
    """Who takes it over."""
    original: Run | None = None
    """The finished run it branches from (the debrief's rewind), compared with the branch at its end."""
