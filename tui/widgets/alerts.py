"""Firing and resolved alerts with severity and age; the selected one can be acknowledged."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from engine.sim.snapshot import AlertView, Snapshot

from .clock import mmss

SEVERITY_STYLE = {"page": "bold red", "critical": "bold red", "warning": "yellow", "info": "cyan"}


class AlertsPanel(DataTable):
    """Alerts, firing first; rows are updated by key, not rebuilt."""

    BINDINGS = [Binding("a", "acknowledge", "Ack", tooltip="acknowledge the selected node's alert (in the Alerts tab: the highlighted one)")]

    class AcknowledgeRequested(Message):
        """The trainee asked to acknowledge an alert."""

        def __init__(self, alert_id: str) -> None:
            super().__init__()
            self.alert_id = alert_id

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._shown: dict[str, tuple] = {}

    def on_mount(self) -> None:
        self.add_column("age", key="age", width=5)
        self.add_column("alert", key="alert")

    def show(self, snapshot: Snapshot) -> None:
        alerts = sorted(
            (a for a in snapshot.alerts if a.state in ("firing", "resolved")),
            key=lambda a: (a.state != "firing", a.acknowledged, -a.since, a.id),
        )
        order = [a.id for a in alerts]
        if order != list(self._shown):
            # the set or the order changed (an alert fired or resolved): rebuild, keeping the cursor's alert
            keep = self.selected_alert
            self.clear()
            self._shown = {}
            for alert in alerts:
                cells = self._cells(alert, snapshot.t)
                self.add_row(*cells, key=alert.id)
                self._shown[alert.id] = cells
            if keep in self._shown:
                self.move_cursor(row=order.index(keep))
            return
        for alert in alerts:
            cells = self._cells(alert, snapshot.t)
            shown = self._shown[alert.id]
            if shown != cells:
                for column, value, old in zip(("age", "alert"), cells, shown):
                    if value != old:  # mostly the age alone, once a simulated second
                        self.update_cell(alert.id, column, value)
                self._shown[alert.id] = cells

    def _cells(self, alert: AlertView, now: float) -> tuple:
        """(age, alert): severity by colour and by symbol (‼ page, ● critical, ▲ warning, · info)."""
        if alert.state == "firing":
            symbol = {"page": "‼", "critical": "●", "warning": "▲"}.get(alert.severity, "·")
            style = "dim" if alert.acknowledged else SEVERITY_STYLE.get(alert.severity, "")
            name = Text(f"{'✓' if alert.acknowledged else symbol} {alert.id}", style=style)
        else:
            name = Text(f"○ {alert.id}", style="green dim")
        return (mmss(now - alert.since), name)

    @property
    def selected_alert(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - no valid cursor row
            return None
        return str(key.value)

    def action_acknowledge(self) -> None:
        alert = self.selected_alert
        if alert is not None:
            self.post_message(self.AcknowledgeRequested(alert))
