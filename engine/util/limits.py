"""The limits every reader enforces, declared once.

Every file spofdrill reads is untrusted (a student's bundle, a journal a
disk hiccup cut short, a scenario from the internet). Each limit here is
checked *before* the work it bounds starts, and a file past it is refused
with a one-line message that names the limit (:func:`over`). They are sized
so that the largest accepted input is still read, simulated and verified
within seconds on a small laptop, and far above anything a real drill
needs; ``docs/limits.md`` lists them with the reasons.
"""

from __future__ import annotations

MiB = 1024 * 1024

# --------------------------------------------------------------------------- file sizes (bytes read before parsing)
MAX_SCENARIO_BYTES = 1 * MiB
"""A scenario file (the largest built-in is under 10 KB)."""
MAX_ACTIONS_BYTES = 1 * MiB
"""An action script file."""
MAX_JOURNAL_BYTES = 64 * MiB
"""A journal (a 10-minute drill writes 1-30 KB)."""
MAX_HEADER_BYTES = 2 * MiB
"""A drill header (the embedded scenario and the seed)."""
MAX_BUNDLE_BYTES = 64 * MiB
"""A result bundle (the embedded scenario, the transcript, the journal)."""
MAX_SMALL_FILE_BYTES = 64 * 1024
"""Small state files: the trainee name, a progress mark."""

# --------------------------------------------------------------------------- work a run may ask for
MAX_COMMANDS = 1_000
"""Commands in one run: a transcript, a journal's command rows, an action script's steps, a console drill."""


def over(what: str, size: int | float | None, limit: int | float, unit: str = "") -> str:
    """The one-line refusal: ``'is 6.0 MiB, over the limit of 1.0 MiB for an action script'``.

    ``size`` None: the size is not known (a device, a pipe), only that it is over.
    """
    if unit == "bytes":
        if size is None:
            return f"is larger than the limit of {_bytes(limit)} for {what}"
        return f"is {_bytes(size)}, over the limit of {_bytes(limit)} for {what}"
    if size is None:
        return f"is over the limit of {limit:,} {unit} for {what}".replace("  ", " ")
    suffix = f" {unit}" if unit else ""
    return f"has {size:,}{suffix}, over the limit of {limit:,}{suffix} for {what}"


def _bytes(n: int | float) -> str:
    if n >= MiB:
        return f"{n / MiB:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{int(n)} bytes"
