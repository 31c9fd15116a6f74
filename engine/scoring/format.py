"""How results read: simulated times (mm:ss), durations, counts and the outcome table, in one place.

The command line, the postmortem and the console show the same figures; they
take their wording from here so that a time or a count reads the same
everywhere. Plain text only: no rich, no textual.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from engine.scoring.detect import Detection
from engine.scoring.outcome import Outcome
from engine.scoring.score import Score


def clock(seconds: float, *, millis: bool = False, pad: bool = True) -> str:
    """Simulated time as ``mm:ss`` (``02:30``), cut to the whole second and never negative.

    ``millis``: ``mm:ss.mmm`` (``02:30.250``), to the millisecond, as where two
    journals diverge. ``pad=False``: minutes without a leading zero (``2:30``).
    """
    if millis:
        return f"{int(seconds // 60):02d}:{seconds % 60:06.3f}"
    whole = max(0, int(seconds))
    minutes = f"{whole // 60:02d}" if pad else f"{whole // 60}"
    return f"{minutes}:{whole % 60:02d}"


def duration(value: float | None, digits: int = 1) -> str:
    """A measured time in seconds, ``12.5 s``, or ``never`` when it did not happen (``None``)."""
    return "never" if value is None else f"{value:.{digits}f} s"


def plural(noun: str) -> str:
    """The plural of an English ``noun`` as the results use them: ``alert`` -> ``alerts``, ``entry`` -> ``entries``."""
    if noun.endswith("y") and noun[-2:-1] not in ("", "a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def count(n: float, noun: str | None = None, plural_form: str | None = None) -> str:
    """A count with thousands separators, rounded to a whole number: ``12,345``.

    With a ``noun``, the noun after it, in the plural unless the count is one:
    ``1 alert``, ``2 alerts``, ``14,314 writes``. ``plural_form`` for an
    irregular plural. Only the last word of ``noun`` is put in the plural
    (``count(2, "lost write")`` -> ``2 lost writes``).
    """
    whole = round(n)
    if noun is None:
        return f"{whole:,}"
    if whole != 1:
        head, space, last = noun.rpartition(" ")
        noun = plural_form or (head + space + plural(last))
    return f"{whole:,} {noun}"


def names(items: Iterable[object], *, empty: str = "none", conjunction: str = "and") -> str:
    """Names as a sentence lists them: ``db-1``, ``db-1 and db-3``, ``db-1, db-2 and db-3``; ``empty`` for none."""
    words = [str(item) for item in items]
    if not words:
        return empty
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def number(value: float, digits: int = 6) -> str:
    """A number as people write it, never in scientific notation: ``14,340``, ``0.5``, ``0.00012``.

    At most ``digits`` significant digits (like ``:g``), thousands separators,
    no trailing zeros.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def probe_value(value: float | None) -> str:
    """A steady-state probe's measured value, ``0.9512``, or ``never`` when it was never measured."""
    return "never" if value is None else number(value, 4)


Cell = Callable[[Outcome, Score], str]
"""One row's cell for one run: from the run's outcome and score."""

OUTCOME_ROWS: tuple[tuple[str, Cell], ...] = (
    ("score", lambda o, s: f"{s.score:.1f} ({s.grade})"),
    ("availability", lambda o, s: f"{100 * o.availability:.2f} %"),
    ("downtime (req-weighted)", lambda o, s: f"{o.downtime:.1f} s"),
    ("full outage", lambda o, s: f"{o.full_outage:.0f} s"),
    ("lost writes", lambda o, s: count(o.lost_writes)),
    ("RPO window", lambda o, s: f"{o.rpo:.1f} s"),
    ("split brain", lambda o, s: f"{o.split_brain_seconds:.0f} s"),
    ("time to detect", lambda o, s: duration(o.time_to_detect)),
    ("time to mitigate", lambda o, s: duration(o.time_to_mitigate)),
    ("time to recover", lambda o, s: duration(o.time_to_recover)),
    ("commands", lambda o, s: count(o.commands)),
    ("hint cost", lambda o, s: f"{o.hint_cost:.0f}"),
)
"""The rows of the outcome table, in order: label and cell."""

LABEL_WIDTH = 26
"""Characters of the outcome table's label column."""
CELL_WIDTH = 14
"""Characters of each run's column (right-aligned)."""


def outcome_rows(runs: Sequence[tuple[Outcome, Score]]) -> list[tuple[str, list[str]]]:
    """Each row of :data:`OUTCOME_ROWS` with its cells for ``runs``: for a table widget to lay out."""
    return [(label, [cell(outcome, score) for outcome, score in runs]) for label, cell in OUTCOME_ROWS]


def outcome_table(columns: Sequence[tuple[str, Outcome, Score]]) -> list[str]:
    """The outcome table as text lines, one column a run: a header of the columns' titles, then the rows."""
    lines = [f"  {'':<{LABEL_WIDTH}}" + "".join(f"{title:>{CELL_WIDTH}}" for title, _, _ in columns)]
    for label, cells in outcome_rows([(outcome, score) for _, outcome, score in columns]):
        lines.append(f"  {label:<{LABEL_WIDTH}}" + "".join(f"{cell:>{CELL_WIDTH}}" for cell in cells))
    return lines


__all__ = ["CELL_WIDTH", "LABEL_WIDTH", "OUTCOME_ROWS", "clock", "count", "detection_steps", "duration", "names", "number", "outcome_rows",
           "outcome_table", "plural", "probe_value"]


def detection_steps(path: Detection, visibility: str = "observed", who: str = "you") -> list[str]:
    """The path in words, on the drill's clock: the truth, what monitoring showed, the alert, the action.

    ``who`` acted: "you" in the debrief, "the responder" in the (blameless) postmortem.
    """
    def step(label: str, at: tuple[float, str] | None, none: str) -> str:
        if at is None:
            return f"{label}: {none}"
        return f"{label} {clock(at[0])} (+{at[0] - path.t:.0f} s): {at[1]}"
    shown = ("shown at once (a truth drill shows every component as it is)" if visibility == "truth"
             else "nothing in what monitoring showed")
    return [
        f"{clock(path.t)} {path.fault} (hidden during the drill)",
        step("monitoring showed it", path.seen, shown),
        step("first alert", path.alert, "none fired"),
        step(f"{who} acted", path.acted, "no relevant action"),
    ]
