"""The latest investigation's result (logs, probe, replication, backends, dig): its title and its lines."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from engine.sim.snapshot import EvidenceView, Snapshot

from .clock import mmss

BAD = ("ERROR", "FATAL", "ALERT", "DOWN", "timed out", "refused", "Connection refused", "100% packet loss",
       "could not", "stopped", "L4TOUT", "L4CON", "L7STS", "L7TOUT")
"""Words that mark a line as bad news (shown red)."""
GOOD = (": open", "succeeded!", "Entering MASTER", "is UP", "ready to accept connections")
"""Words that mark a line as good news (shown green)."""

TITLES = {"logs": "logs", "probe": "probe", "replstatus": "replication", "backends": "backends", "dig": "dig"}


def title_of(view: EvidenceView) -> str:
    """The title line of a result: ``logs app-1 · 02:15``."""
    return f"{TITLES.get(view.command, view.command)} {view.target or ''} · {mmss(view.t)}"


class EvidencePanel(RichLog):
    """Shows the newest result of the snapshot's evidence, replacing the one before (scrollable when long)."""

    DEFAULT_CSS = """
    EvidencePanel { scrollbar-size-vertical: 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, **kwargs)
        self.shown: int | None = None
        """The journal id of the result shown (None: none yet)."""

    def on_mount(self) -> None:
        self.write(Text("No investigation yet: select a node and press i (logs), p (probe), r (replication), "
                        "b (backends) or n (dig).", style="dim"))

    def show(self, snapshot: Snapshot) -> bool:
        """Show the newest result if it is new; True when it was."""
        if not snapshot.evidence or snapshot.evidence[-1].id == self.shown:
            return False
        view = snapshot.evidence[-1]
        self.shown = view.id
        self.clear()
        self.write(Text(title_of(view), style="bold cyan"))
        for line in view.lines:
            self.write(_styled(line))
        self.scroll_home(animate=False)
        return True


def _styled(line: str) -> Text:
    if any(word in line for word in BAD):
        style = "red"
    elif any(word in line for word in GOOD):
        style = "green"
    else:
        style = ""
    return Text(line, style=style)
