"""The panels a drill and its replay share: topology, node detail, metrics, alerts and timeline, as one widget.

The screens compose :class:`DrillPanels` and hand it each new snapshot with one call
(:meth:`DrillPanels.show`); what the panels look like is the screens' ``panels.tcss``.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from engine.sim.journal import Journal
from engine.sim.snapshot import NodeView, Snapshot

from .alerts import AlertsPanel
from .detail import NodeDetail
from .evidence import EvidencePanel
from .metrics import MetricsPanel
from .playback import ReplayStrip
from .timeline import Timeline
from .topology import TopologyView


class DrillPanels(Widget):
    """Topology and node detail above; metrics and the alerts/timeline/evidence tabs below.

    ``replay`` gives the read-only variant: no command keys in the detail, the replay strip under the
    metrics, the trainee's commands marked on the timeline, which is the tab shown first.
    """

    DEFAULT_CSS = """
    DrillPanels { layout: vertical; height: 1fr; }
    """
    HELP_NOTE = ("The Alerts and Timeline tabs (bottom right): tab moves from the diagram to the tabs, "
                 "← → switch between Alerts and Timeline, tab again enters the list (↑ ↓ scroll it), "
                 "and tab once more goes back to the diagram; a click on a tab works too.")
    """What help says about reaching the tabs."""

    def __init__(self, slo_target: float, slo_p99: float, *, replay: bool = False, hints: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.slo_target = slo_target
        self.slo_p99 = slo_p99
        self.replay = replay
        """The read-only variant of a replay."""
        self.hints = hints
        """Timed hints may show on the timeline (False in an assessment that offers none)."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield TopologyView(id="topology")
            yield NodeDetail(id="detail", read_only=self.replay)
        with Horizontal(id="bottom"):
            if self.replay:
                with Vertical(id="metrics-column"):
                    yield MetricsPanel(self.slo_target, self.slo_p99, id="metrics")
                    yield ReplayStrip(id="strip")
            else:
                yield MetricsPanel(self.slo_target, self.slo_p99, id="metrics")
            with TabbedContent(id="side", initial="timeline-tab" if self.replay else ""):
                with TabPane("Alerts", id="alerts-tab"):
                    yield AlertsPanel(id="alerts")
                with TabPane("Timeline", id="timeline-tab"):
                    yield (Timeline(id="timeline", marks=True) if self.replay
                           else Timeline(id="timeline", hints=self.hints))
                with TabPane("Evidence", id="evidence-tab"):
                    yield EvidencePanel(id="evidence")

    def show(self, snapshot: Snapshot, journal: Journal, node: NodeView | None, *, hunt: bool) -> None:
        """Render a snapshot into every panel: the selected ``node`` in the detail, new journal entries on the timeline."""
        self.query_one(TopologyView).update_snapshot(snapshot)
        self.show_node(node, hunt=hunt, now=snapshot.t)
        self.query_one(MetricsPanel).show(snapshot)
        self.query_one(AlertsPanel).show(snapshot)
        timeline = self.query_one(Timeline)
        timeline.add_entries(journal.since(timeline.seen))
        if self.query_one(EvidencePanel).show(snapshot):
            self.query_one(TabbedContent).active = "evidence-tab"  # a result came in: show it
        firing = len(snapshot.firing())
        label = f"Alerts {firing}" if firing else "Alerts"
        tab = self.query_one(TabbedContent).get_tab("alerts-tab")
        if tab.label_text != label:  # setting a label lays the whole screen out again, even when it is the same
            tab.label = label

    def show_node(self, node: NodeView | None, *, hunt: bool, now: float | None = None) -> None:
        """Show another node (or none) in the detail panel (``now``: the snapshot's time, for the scrape's age)."""
        self.query_one(NodeDetail).show(node, hunt=hunt, now=now)
    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """The evidence tab takes more of the width (log lines are long); the others keep theirs."""
        self.query_one("#side").set_class(event.pane.id == "evidence-tab", "-wide")

