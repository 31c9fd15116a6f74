"""The journal as the trainee may see it: their commands, alerts and observable changes."""

from __future__ import annotations

import re

from rich.text import Text
from textual.widgets import RichLog

from engine.scoring.format import count
from engine.sim.journal import Entry

from ..wording import value_words
from .clock import mmss

STYLES = {
    "AlertFired": "red",
    "AlertResolved": "green",
    "AlertAcknowledged": "cyan",
    "CommandIssued": "bold cyan",
    "CommandCompleted": "cyan",
    "CommandFailed": "bold red",
    "CommandRefused": "yellow",
    "EvidenceGathered": "dim cyan",
    "HintRevealed": "magenta",
    "WritesLost": "bold red",
    "SplitBrainStarted": "bold red",
    "Observed": "yellow",
}

SKIP = {"DrillStarted"}


def _words(kind: str) -> str:
    """``ReplicaRejoined`` -> ``replica rejoined``."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", kind).lower()


def describe(entry: Entry) -> str:
    """A short line for an entry, without its type's noise."""
    d = entry.data
    v = {key: value_words(value) for key, value in d.items()}
    kind = entry.type
    if kind == "AlertFired":
        return f"ALERT {d.get('alert')} ({d.get('severity')})"
    if kind == "AlertResolved":
        return f"resolved {d.get('alert')}"
    if kind == "AlertAcknowledged":
        return f"acknowledged {d.get('alert')}"
    who = f"{d.get('by')}: " if d.get("by") else ""  # a team drill names who did it
    if kind == "CommandIssued":
        args = " ".join(f"{k}={value_words(a)}" for k, a in (d.get("args") or {}).items())
        return f"> {who}{d.get('command')} {d.get('target') or ''} {args}".rstrip()
    if kind == "FacilitatorActed":
        args = d.get("args") or {}
        if d.get("op") == "note":
            return f"note from {d.get('by') or 'the facilitator'}: {args.get('text')}"
        return f"{who}injected {args.get('type')} on {d.get('target')}"
    if kind == "CommandCompleted":
        return f"done {d.get('command')} {d.get('target') or ''}".rstrip()
    if kind in ("CommandFailed", "CommandRefused"):
        word = "failed" if kind == "CommandFailed" else "refused"
        return f"{word} {who}{d.get('command')} {d.get('target') or ''}: {d.get('reason')}"
    if kind in ("NodeMarked", "NodeUnmarked"):
        return f"{'marked' if kind == 'NodeMarked' else 'unmarked'} {d.get('node')} as a SPOF"
    if kind == "HintRevealed":
        return f"hint: {d.get('text')}"
    if kind == "BackendMarkedDown":
        return f"{d.get('lb')} marked {d.get('backend')} down"
    if kind == "BackendMarkedUp":
        return f"{d.get('lb')} marked {d.get('backend')} up"
    if kind == "Observed":
        reason = f": {d.get('reason')}" if d.get("reason") else ""
        return f"monitoring: {d.get('node')} {d.get('state')}{reason}"
    if kind == "EvidenceGathered":
        lines = d.get("lines") or []
        return f"evidence: {d.get('command')} {d.get('target') or ''} ({len(lines)} line{'s' if len(lines) != 1 else ''})"
    if kind == "VipMoved":
        return f"VIP {d.get('vip')} moved to {d.get('new')} ({d.get('why')})"
    if kind == "WritesLost":
        return f"{count(d.get('count') or 0, 'acknowledged write')} lost on {d.get('node')} ({d.get('reason')})"
    if kind == "SplitBrainStarted":
        return f"SPLIT BRAIN in {d.get('cluster')}: {v.get('primaries')} both take writes"
    if kind == "ReplicaPromoted":
        return f"{d.get('node')} promoted to primary of {d.get('cluster')} (was {d.get('old_primary')})"
    if kind == "ReplicaRejoined":
        return f"{d.get('node')} rejoined as a replica of {d.get('upstream')} ({d.get('why')})"
    if kind == "ReplicaDiverged":
        return f"{d.get('node')} diverged: {count(d.get('ahead_by') or 0, 'write')} its primary lacks"
    if kind == "DnsWeightsChanged":
        return f"DNS {d.get('dns')} weights now {v.get('weights')} ({d.get('why')})"
    if kind in ("NodeCrashed", "NodeRecovered"):
        return f"{d.get('node')} {'crashed' if kind == 'NodeCrashed' else 'recovered'} ({d.get('cause')})"
    if kind in ("FaultInjected", "FaultCleared"):
        return f"fault {d.get('fault')} on {d.get('target')} {'injected' if kind == 'FaultInjected' else 'cleared'}"
    if kind in ("NodeStarted", "NodeFenced", "AutoRestartStarted", "ChaosKillAnnounced", "PrimaryReturned", "NodeAdded"):
        return f"{d.get('node')} {_words(kind).removeprefix('node ')}" + (f" ({d['group']})" if d.get("group") else "")
    # any other entry: its type in words, then its fields, each value worded
    fields = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in sorted(v.items())
                       if d[key] not in (None, "", [], {}))
    return f"{_words(kind)}{': ' + fields if fields else ''}"


class Timeline(RichLog):
    """Appends visible journal entries as they happen (hidden ones wait for the debrief)."""

    DEFAULT_CSS = """
    Timeline { scrollbar-size-vertical: 1; }
    """

    def __init__(self, *, reveal: bool = False, marks: bool = False, hints: bool = True, **kwargs) -> None:
        # min_width=1: RichLog renders every line at least 78 cells wide by default, and the panel, a third of
        # the screen, then cut each line mid-word; lines wrap at the panel's width instead
        super().__init__(wrap=True, markup=False, highlight=False, min_width=1, **kwargs)
        self._texts: list[Text] = []
        self._wrapped_at = 0
        self.reveal = reveal
        self.hints = hints  # False in an assessment that offers no hints: timed hints stay out of sight
        self.marks = marks  # replays: the trainee's commands marked ▲, as on the replay's chart
        self._seen = 0

    def add_entries(self, entries: list[Entry]) -> None:
        for entry in entries:
            self._seen = max(self._seen, entry.seq + 1)
            if entry.type in SKIP or (not entry.visible and not self.reveal):
                continue
            if entry.type == "HintRevealed" and not self.hints:
                continue
            line = Text(f"{mmss(entry.t)} ", style="dim")
            style = STYLES.get(entry.type, "" if entry.visible else "italic magenta")
            text = describe(entry)
            if self.marks and entry.type in ("CommandIssued", "CommandRefused"):
                text = "▲ " + text.removeprefix("> ")
            line.append(text, style=style)
            self._texts.append(line)
            self.write(line)

    def on_resize(self, event) -> None:
        """A new width: wrap every line again (RichLog keeps lines as first wrapped); the first size is RichLog's."""
        width = event.size.width
        if self._size_known and width and width != self._wrapped_at:
            self.clear()
            for line in self._texts:
                self.write(line)
        self._wrapped_at = width

    @property
    def seen(self) -> int:
        """Journal entries read so far (the next call passes ``journal.since(seen)``)."""
        return self._seen
