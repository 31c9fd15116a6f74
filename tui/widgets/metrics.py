"""Sparklines of the golden signals with the SLO lines."""

from __future__ import annotations

from rich.text import Text

from engine.sim.snapshot import Snapshot

from .charts import sparkline
from .clock import QuietStatic

# (series, label, format, ceiling rule)
ROWS = (
    ("requests", "req/s", "{:>6,.0f}"),
    ("error_ratio", "errors", "{:>5.1%}"),
    ("p99", "p99", "{:>5.2f}s"),
    ("db_load", "db load", "{:>5.0%}"),
    ("cache_hit_ratio", "cache hit", "{:>5.0%}"),
    ("max_lag", "repl lag", "{:>5.1f}s"),
)


class MetricsPanel(QuietStatic):
    """Request rate, error rate (with the SLO line), p99 (with the latency SLO), database load,
    cache hit ratio and replication lag over the last minutes."""

    DEFAULT_CSS = """
    MetricsPanel { padding: 0 1; }
    """

    def __init__(self, slo_target: float, slo_p99: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.slo_target = slo_target
        self.slo_p99 = slo_p99
        self._key: tuple | None = None

    def show(self, snapshot: Snapshot) -> None:
        width = max(8, self.size.width - 2 - 10 - 8 - 11)
        # what the panel draws: its width and the series (they grow once a simulated second, not once a tick)
        key = (width, tuple(snapshot.series(name) for name, _, _ in ROWS))
        if key == self._key:
            return
        self._key = key
        text = Text()
        error_line = 1.0 - self.slo_target
        for i, (key, label, fmt) in enumerate(ROWS):
            values = snapshot.series(key)
            current = values[-1] if values else 0.0
            if key == "error_ratio":
                top = max(error_line * 4, max(values, default=0.0))
                bad = current > error_line
            elif key == "p99":
                top = max(self.slo_p99 * 2, max(values, default=0.0))
                bad = current > self.slo_p99
            elif key in ("db_load",):
                top = max(1.0, max(values, default=0.0))
                bad = current > 0.9
            elif key == "cache_hit_ratio":
                top = 1.0
                bad = current < 0.5
            elif key == "max_lag":
                top = max(5.0, max(values, default=0.0))
                bad = current > 10
            else:
                top = None
                bad = False
            text.append(f"{label:<10}", style="bold")
            text.append(sparkline(values[-width:], width, top), style="red" if bad else "green")
            text.append(" " + fmt.format(current), style="bold red" if bad else "")
            if key == "error_ratio":
                text.append(f"  SLO {error_line:.1%}", style="dim")
            elif key == "p99":
                text.append(f"  SLO {self.slo_p99:g}s", style="dim")
            if i < len(ROWS) - 1:
                text.append("\n")
        self.show_text(text)
