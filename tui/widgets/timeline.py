"""The journal as the trainee may see it: their commands, alerts and observable changes."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from engine.sim.journal import Entry

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
}

SKIP = {"DrillStarted"}


def describe(entry: Entry) -> str:
    """A short line for an entry, without its type's noise."""
    d = entry.data
    kind = entry.type
    if kind == "AlertFired":
        return f"ALERT {d.get('alert')} ({d.get('severity')})"
    if kind == "AlertResolved":
        return f"resolved {d.get('alert')}"
    if kind == "AlertAcknowledged":
        return f"acknowledged {d.get('alert')}"
    if kind == "CommandIssued":
        args = " ".join(f"{k}={v}" for k, v in (d.get("args") or {}).items())
        return f"> {d.get('command')} {d.get('target') or ''} {args}".rstrip()
    if kind == "CommandCompleted":
        return f"done {d.get('command')} {d.get('target') or ''}".rstrip()
    if kind in ("CommandFailed", "CommandRefused"):
        word = "failed" if kind == "CommandFailed" else "refused"
        return f"{word} {d.get('command')} {d.get('target') or ''}: {d.get('reason')}"
    if kind in ("NodeMarked", "NodeUnmarked"):
        return f"{'marked' if kind == 'NodeMarked' else 'unmarked'} {d.get('node')} as a SPOF"
    if kind == "HintRevealed":
        return f"hint: {d.get('text')}"
    if kind == "BackendMarkedDown":
        return f"{d.get('lb')} marked {d.get('backend')} down"
    if kind == "BackendMarkedUp":
        return f"{d.get('lb')} marked {d.get('backend')} up"
    if kind == "EvidenceGathered":
        lines = d.get("lines") or []
        return f"evidence: {d.get('command')} {d.get('target') or ''} ({len(lines)} line{'s' if len(lines) != 1 else ''})"
    if kind == "VipMoved":
        return f"VIP {d.get('vip')} moved to {d.get('new')} ({d.get('why')})"
    return entry.describe()


class Timeline(RichLog):
    """Appends visible journal entries as they happen (hidden ones wait for the debrief)."""

    DEFAULT_CSS = """
    Timeline { scrollbar-size-vertical: 1; }
    """

    def __init__(self, *, reveal: bool = False, marks: bool = False, hints: bool = True, **kwargs) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, **kwargs)
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
            self.write(line)

    @property
    def seen(self) -> int:
        """Journal entries read so far (the next call passes ``journal.since(seen)``)."""
        return self._seen
