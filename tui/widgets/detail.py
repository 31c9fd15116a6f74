"""The selected node's state, metrics and the commands that apply to it."""

from __future__ import annotations

from rich.text import Text

from engine.sim.snapshot import NodeView

from ..targets import commands_for
from .clock import QuietStatic

FORMATS = {
    "requests": ("req/s", "{:,.0f}"),
    "error_ratio": ("errors", "{:.1%}"),
    "utilisation": ("load", "{:.0%}"),
    "latency": ("latency", "{:.3f} s"),
    "p99": ("p99", "{:.3f} s"),
    "queue": ("queue", "{:,.0f}"),
    "hit_ratio": ("hit ratio", "{:.0%}"),
    "lag": ("lag", "{:.1f} s"),
    "position": ("position", "{:,.0f}"),
    "writes_acked": ("writes/s", "{:,.0f}"),
    "healthy_backends": ("backends", "{:.0f}"),
}
STATE_STYLE = {
    "healthy": "green", "degraded": "yellow", "down": "bold red", "standby": "cyan", "promoting": "magenta",
    "fenced": "bold magenta", "booting": "yellow", "draining": "yellow", "destroyed": "bold red",
    "no data": "bold yellow",
}


class NodeDetail(QuietStatic):
    """Details of one node; empty hint text when nothing is selected."""

    DEFAULT_CSS = """
    NodeDetail { padding: 0 1; }
    """

    def __init__(self, *, read_only: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.read_only = read_only  # a replay: no command keys to list
        self._key: tuple | None = None

    def show(self, node: NodeView | None, *, hunt: bool = False, now: float | None = None) -> None:
        """Show ``node``; ``now`` (the snapshot's time) lets it say how old the last scrape is."""
        age = int(now - node.seen_at) if node is not None and now is not None and node.seen_at is not None else None
        key = (node, hunt, self.read_only, age)
        if key == self._key:  # the node's view is unchanged (a frozen dataclass compares by value)
            return
        self._key = key
        if node is None:
            self.show_text(Text("Select a node with the arrow keys or the mouse.", style="dim"))
            return
        text = Text()
        text.append(node.label, style="bold")
        text.append(f"  {node.kind.replace('_', ' ')}", style="dim")
        text.append("\n")
        text.append(node.state, style=STATE_STYLE.get(node.state, ""))
        if node.role:
            text.append(f" · {node.role}")
        if node.metric("sync"):
            text.append(" · sync")
        text.append(f" · {node.region}", style="dim")
        if node.reason:
            text.append(f"\n{node.reason}", style=STATE_STYLE.get(node.state, ""))
        if age is not None and (age >= 20 or node.state == "no data"):
            text.append(f"\nlast scraped {age} s ago", style="dim")
        if node.progress:
            text.append(f"\n⟳ {node.progress}", style="magenta")
        if node.marked:
            text.append("\n⚑ you marked it as a SPOF", style="bold magenta")
        for key, (label, fmt) in FORMATS.items():
            for name, value in node.metrics:
                if name == key:
                    text.append(f"\n{label:<10}{fmt.format(value)}")
        specs = [] if self.read_only else commands_for(node, hunt=hunt)
        if specs:
            text.append("\n")
            for spec in specs:
                text.append(f"\n[{spec.key}] ", style="bold cyan")
                text.append(spec.title + (" …" if spec.destructive else ""))
        self.show_text(text)
