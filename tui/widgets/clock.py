"""The clock bar: simulated time, speed, score so far, error budget, hints left."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from engine.sim.snapshot import Snapshot


def mmss(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def append_clock(text: Text, snapshot: Snapshot, *, speed: float, paused: bool) -> None:
    """Time, play state and score so far: how the clock bar (and the replay's bar) begins."""
    text.append(f"⏱ {mmss(snapshot.t)}/{mmss(snapshot.duration)} ", style="bold")
    if snapshot.finished:
        text.append("■ ended ", style="bold red")
    elif paused:
        text.append("⏸ paused ", style="bold yellow")
    else:
        text.append(f"▶ {speed:g}× ", style="bold green")
    text.append(f"score {snapshot.score:.0f} ", style="bold cyan")


class ClockBar(Static):
    """One line that says where the drill stands."""

    DEFAULT_CSS = """
    ClockBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def show(self, snapshot: Snapshot, *, speed: float, paused: bool, assess: bool, title: str, budget_left: float,
             hints: bool = True) -> None:
        text = Text()
        append_clock(text, snapshot, speed=speed, paused=paused)
        if budget_left >= 0:
            style = "green" if budget_left > 0.5 else "yellow"
            text.append(f"budget {budget_left * 100:.0f}% ", style=style)
        else:
            text.append(f"budget spent ×{1 - budget_left:.0f} ", style="bold red")
        if assess:
            text.append("ASSESSMENT ", style="bold magenta")
        if hints:
            text.append(f"hints {snapshot.hints_left} ")
        firing = len(snapshot.firing())
        if firing:
            text.append(f"🔔{firing} ", style="bold red")
        text.append(title, style="dim")
        self.update(text)
