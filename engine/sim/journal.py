"""The append-only journal of what happened, in the past tense.

Each entry has a simulated timestamp, a type (``NodeCrashed``,
``AlertFired``, ``CommandIssued`` ...), a visibility flag and its fields.
Entries the trainee could not have observed during the drill (the injected
fault, the true crash, the writes lost) are ``visible=False``: the console
shows them only in the debrief. Serialisation is canonical (sorted keys,
times rounded to the millisecond), so the same run gives byte-identical JSON
Lines.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

from engine.util.jsontext import parse_json

# Event types the trainee cannot observe while the drill runs.
HIDDEN_TYPES = frozenset(
    {
        "FaultInjected",
        "FaultCleared",
        "NodeCrashed",
        "NodeRecovered",
        "WritesLost",
        "ChaosKillAnnounced",
    }
)


_EXACT = 2**53
"""Floats at or beyond this are not whole numbers one can write as JSON integers safely: kept as floats."""
_INT_BITS = 14_000
"""Integers longer than this (about 4,200 digits) are not readable JSON (CPython's 4,300-digit limit)."""


def _canon(value: Any) -> Any:
    """``value`` as the journal writes it: JSON data that reads back as itself.

    Floats to the millisecond (a whole one as an integer), NaN and ±infinity as
    the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` (JSON has no such
    numbers), integers too long to read back as a short string, tuples as lists,
    mapping keys as text, anything else as its text. ``_canon(_canon(x)) ==
    _canon(x)`` and the JSON of ``_canon(x)`` parses back to ``_canon(x)``.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
        rounded = round(value, 3)
        return int(rounded) if rounded.is_integer() and abs(rounded) < _EXACT else rounded + 0.0
    if isinstance(value, int):
        return value if value.bit_length() <= _INT_BITS else f"an integer of {value.bit_length()} bits"
    if isinstance(value, Mapping):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    return str(value)


def plain(value: Any) -> Any:
    """``value`` in the journal's own form (see :func:`_canon`): what a journal line says it was, exactly."""
    return _canon(value)


@dataclass(frozen=True)
class Entry:
    """One journal entry."""

    seq: int
    t: float
    type: str
    visible: bool
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "t": _canon(self.t), "type": self.type, "visible": self.visible, **_canon(self.data)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    def describe(self) -> str:
        """A short human line, e.g. ``AlertFired InstanceDown node=lb-1``."""
        parts = [f"{k}={v}" for k, v in sorted(_canon(self.data).items()) if v not in (None, "", [], {})]
        return " ".join([self.type, *parts])


class Journal:
    """An append-only list of entries with subscribers."""

    def __init__(self) -> None:
        self._entries: list[Entry] = []
        self._listeners: list[Callable[[Entry], None]] = []

    def record(self, t: float, type: str, visible: bool | None = None, **data: Any) -> Entry:
        """Append an entry and tell the subscribers."""
        if visible is None:
            visible = type not in HIDDEN_TYPES
        entry = Entry(len(self._entries), float(t), type, visible, data)
        self._entries.append(entry)
        for listener in self._listeners:
            listener(entry)
        return entry

    def subscribe(self, listener: Callable[[Entry], None]) -> None:
        self._listeners.append(listener)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def __getitem__(self, index: int) -> Entry:
        return self._entries[index]

    def since(self, seq: int) -> list[Entry]:
        """Entries with a sequence number of ``seq`` or more (for incremental views)."""
        return self._entries[seq:]

    def of_type(self, *types: str) -> list[Entry]:
        return [e for e in self._entries if e.type in types]

    def visible(self) -> list[Entry]:
        return [e for e in self._entries if e.visible]

    def to_jsonl(self, entries: Iterable[Entry] | None = None) -> str:
        """The journal as JSON Lines, one canonical object per line."""
        return "".join(e.to_json() + "\n" for e in (self._entries if entries is None else entries))


def numbered_jsonl(text: str) -> tuple[list[Any], list[int]]:
    """The entries of JSON Lines text and the line each is on; ValueError ``line N: not JSON (…)``.

    Lines are split on ``\n`` only: a journal is written with ``ensure_ascii=False``, so a
    name may hold U+2028 or U+0085, which ``str.splitlines`` would wrongly cut at.
    """
    rows: list[Any] = []
    lines: list[int] = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            rows.append(parse_json(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number}: not JSON ({exc.msg})") from None
        lines.append(number)
    return rows, lines


def read_jsonl(text: str) -> list[Any]:
    """Parse a JSON Lines journal; raises ValueError naming the bad line."""
    return numbered_jsonl(text)[0]
