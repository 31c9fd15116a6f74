"""The replay's own panels: the banner and clock line, and a drill-long strip with the trainee's commands."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from engine.sim.snapshot import Snapshot

from .charts import markers, sparkline, time_columns
from .clock import QuietStatic, append_clock

LABEL = 10
"""Label columns, as in :class:`~tui.widgets.metrics.MetricsPanel`, so the strip lines up with the sparklines."""


class ReplayBar(QuietStatic):
    """One line: a REPLAY banner with who drilled what and which seed, then the clock, speed, score and commands."""

    DEFAULT_CSS = """
    ReplayBar { height: 1; background: $panel; color: $text; }
    """

    def show(self, snapshot: Snapshot, *, trainee: str, scenario: str, seed: int, speed: float, paused: bool,
             applied: int, total: int) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" REPLAY ", style="bold reverse red")
        text.append(f" {trainee} · {scenario} · seed {seed} ", style="bold")
        append_clock(text, snapshot, speed=speed, paused=paused)
        text.append(f"▲ {applied}/{total} ", style="cyan")
        firing = len(snapshot.firing())
        if firing:
            text.append(f"🔔{firing}", style="bold red")
        self.show_text(text)


class ReplayStrip(Widget):
    """The whole drill on one line (error rate so far, ``·`` still to come) and the trainee's commands as they happen."""

    DEFAULT_CSS = """
    ReplayStrip { height: 2; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.errors: tuple[float, ...] = ()
        self.duration = 1.0
        self.times: tuple[float, ...] = ()
        self.slo_line = 0.0

    def show(self, errors: Sequence[float], duration: float, times: Sequence[float], slo_line: float) -> None:
        """The error ratio per simulated second so far, the drill's length, and the commands replayed so far."""
        shown = (tuple(errors), max(1.0, duration), tuple(times), slo_line)
        if shown == (self.errors, self.duration, self.times, self.slo_line):
            return  # nothing new this tick: no repaint
        self.errors, self.duration, self.times, self.slo_line = shown
        self.refresh()

    def render(self) -> Text:
        width = max(8, self.content_region.width - LABEL)
        text = Text(no_wrap=True, overflow="crop")
        text.append(f"{'drill':<{LABEL}}", style="bold")
        known = [v for v in time_columns(self.errors, self.duration, width) if v is not None]
        for char, value in zip(sparkline(known, len(known), 1.0), known):
            text.append(char, style="red" if value > self.slo_line else "green")
        text.append("·" * (width - len(known)), style="dim")
        text.append("\n")
        text.append(f"{'commands':<{LABEL}}", style="bold")
        text.append(markers(self.times, self.duration, width), style="bold cyan")
        return text
