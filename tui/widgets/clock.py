"""The clock bar: simulated time, speed, score so far, error budget, hints left."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from engine.scoring.format import clock, count
from engine.sim.snapshot import Snapshot

from ..wording import clip


mmss = clock
"""Simulated time as ``mm:ss``: the engine's one formatter (:func:`engine.scoring.format.clock`)."""


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


BUDGET_HELP = (
    "The clock bar: time, play state, score so far, the error budget, hints left, firing alerts. "
    "The error budget is the share of requests the SLO lets fail over the whole drill (an SLO of 99 % "
    "lets 1 % of them fail): \"error budget 60% left\" while failures stay within it; past it, how much "
    "has been spent: \"error budget 1,700% spent\" is seventeen times what the SLO allows."
)
"""What help says about the clock bar."""


def budget_words(used: float) -> tuple[str, str]:
    """The error budget in words, and its style: ``error budget 60% left``, past it ``error budget 1,700% spent``.

    ``used`` is the share of the drill's error budget spent so far (the errors
    the SLO allows over the whole drill; 1.0 is all of it).
    """
    if used <= 1.0:
        left = 1.0 - used
        return f"error budget {left * 100:.0f}% left ", "green" if left > 0.5 else "yellow"
    return f"error budget {count(used * 100)}% spent ", "bold red"


class QuietStatic(Static):
    """A :class:`Static` that repaints only when its text changed, and lays out only when its shape changed.

    A drill refreshes every panel on every timer tick; most ticks change
    nothing a panel shows (the clock reads whole seconds, the charts move once
    a simulated second). ``Static.update`` always repaints and lays out the
    whole screen again, so panels that are shown often go through
    :meth:`show_text` instead.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown_text: Text | None = None
        self._shown_shape: tuple[int, ...] | None = None

    def show_text(self, text: Text) -> bool:
        """Show ``text`` unless it is already shown; True when it was repainted."""
        if text == self._shown_text:
            return False
        shape = self._shape(text)
        super().update(text, layout=shape != self._shown_shape)
        self._shown_text, self._shown_shape = text, shape
        return True

    def _shape(self, text: Text) -> tuple[int, ...]:
        """What the content's size depends on: the number of lines, and the lengths of lines that may wrap.

        With a width from the CSS (not ``auto``), a line that fits in the
        content width takes one row whatever its length; only a longer line
        (it wraps) or an ``auto`` width makes lengths matter.
        """
        lengths = [cell_len(line) for line in text.plain.split("\n")]
        width = self.styles.width
        room = self.content_size.width
        if (width is not None and width.is_auto) or room <= 0:
            return (-1, *lengths)
        return (room, *(length if length > room else 0 for length in lengths))

    def update(self, content="", *, layout: bool = True) -> None:
        """Show ``content`` as :class:`Static` does (and forget what :meth:`show_text` showed)."""
        self._shown_text = self._shown_shape = None
        super().update(content, layout=layout)


class ClockBar(QuietStatic):
    """One line that says where the drill stands."""

    HELP_NOTE = BUDGET_HELP
    """What help says about the bar."""

    DEFAULT_CSS = """
    ClockBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def show(self, snapshot: Snapshot, *, speed: float, paused: bool, assess: bool, title: str,
             hints: bool = True) -> None:
        text = Text()
        append_clock(text, snapshot, speed=speed, paused=paused)
        # the engine's figure over the whole run so far (the postmortem's formula), not a sum of the bounded history
        text.append(*budget_words(snapshot.budget_used))
        if assess:
            text.append("ASSESSMENT ", style="bold magenta")
        if hints:
            text.append(f"hints {snapshot.hints_left} ")
        if snapshot.visibility == "observed":  # what monitoring sees, as of its last scrape
            text.append("observed ", style="dim italic")
        firing = len(snapshot.firing())
        if firing:
            text.append(f"🔔{firing} ", style="bold red")
        room = self.content_size.width - cell_len(text.plain)
        text.append(clip(title, room) if room > 0 else title, style="dim")  # one line: cut at a word, not mid-word
        self.show_text(text)
