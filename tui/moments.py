"""Moments of a drill as people write them (``01:23.450``, ``90``) and recorded commands as they are typed.

Plain functions, light to import: the dialogs and the replay use them, and the picker's start does not
load the simulation because of them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from engine.scoring.format import clock

from .wording import value_words

if TYPE_CHECKING:
    from engine.records.replay import TimedCommand


def format_moment(t: float) -> str:
    """``mm:ss``, with milliseconds when ``t`` is not a whole second (``01:23.450``)."""
    whole = int(t)
    text = clock(whole)
    millis = int(round((t - whole) * 1000))
    return text if millis == 0 else f"{text}.{millis:03d}".rstrip("0")


def parse_moment(text: str, duration: float) -> float:
    """A moment of a drill from ``mm:ss`` or seconds, to the millisecond; ValueError saying what is wrong."""
    raw = text.strip()
    if not raw:
        raise ValueError("Enter a moment: mm:ss (01:30) or seconds (90).")
    minutes, colon, seconds = raw.partition(":")
    not_a_moment = ValueError(f"{raw!r} is not a moment: write mm:ss (01:30) or seconds (90).")
    try:
        secs = float(seconds if colon else raw)
    except ValueError:
        raise not_a_moment from None
    if colon:
        if not minutes.strip().isdigit() or not math.isfinite(secs):
            raise not_a_moment
        if not 0 <= secs < 60:
            raise ValueError(f"{raw!r}: the seconds after ':' go from 0 to 59.")
    t = int(minutes) * 60 + secs if colon else secs
    if not math.isfinite(t) or t < 0:
        raise ValueError(f"{raw!r}: a moment is 0 seconds or later.")
    if t >= duration:
        raise ValueError(f"{format_moment(t)} is not before the end of the drill ({format_moment(duration)}).")
    return round(t, 3)


def describe_command(command: TimedCommand) -> str:
    """A recorded command as the trainee would type it: ``command target key=value``."""
    args = " ".join(f"{k}={value_words(v)}" for k, v in command.args.items())
    return " ".join(part for part in (command.command, command.target or "", args) if part)
