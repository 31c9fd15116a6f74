"""The SPOF analysis of a scenario's architecture, on its topology.

Opened from the picker (``a``) so a trainee can study an architecture before
(or after) drilling it. SPOFs are marked on the diagram (``‼``), degrading
components with ``~``; selecting a node shows why, its blast radius (what is
cut off with it) and what happens when it fails (simulated in a worker).
Then a chaos run measures the availability users would feel over simulated
years (:mod:`engine.analysis.chaosrun`) and shows it beside the block diagram, and per
component where the gap comes from.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from engine.analysis.structure import Analysis, analyze
from engine.analysis.blast import blast_radii
from engine.analysis.chaosrun import ChaosAvailability, chaos_availability
from engine.scenario.schema import Scenario
from engine.scoring.format import count, names
from engine.sim.simulation import Simulation
from engine.sim.snapshot import Snapshot
from engine.analysis.whatif import FAIL_AT, WhatIf, horizon_over_budget, what_if
from engine.util.limits import MAX_WORK

from ..widgets.topology import TopologyView

MARKS = {"spof": "‼", "degrading": "~"}


def marked_snapshot(snapshot: Snapshot, analysis: Analysis) -> Snapshot:
    """The snapshot with SPOF (‼) and degrading (~) marks in front of the node labels."""
    nodes = []
    for node in snapshot.nodes:
        mark = ""
        if node.name in analysis.components:
            mark = MARKS.get(analysis.of(node.name).status, "")
        nodes.append(replace(node, label=f"{mark}{node.label}") if mark else node)
    return replace(snapshot, nodes=tuple(nodes))


def blast_snapshot(snapshot: Snapshot, failed: str, cut_off: tuple[str, ...]) -> Snapshot:
    """The diagram as it would look with ``failed`` down: it drawn down, what it cuts off drawn degraded."""
    nodes = []
    for node in snapshot.nodes:
        if node.name == failed:
            nodes.append(replace(node, state="down", up=False))
        elif node.name in cut_off:
            nodes.append(replace(node, state="degraded"))
        else:
            nodes.append(node)
    return replace(snapshot, nodes=tuple(nodes))


WHAT_IF_HORIZON = 600.0
"""Simulated seconds of each what-if run the screen makes (``spofdrill analyze``'s default)."""


class AnalysisScreen(Screen[None]):
    """Dependencies, SPOFs, blast radius and what-if of one architecture."""

    CSS_PATH = "analysis.tcss"
    BINDINGS = [Binding("escape,q", "back", "Back")]
    CHAOS_DAYS = 730.0
    """Simulated days of the console's chaos run (one core, off the UI thread: a few seconds)."""

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario
        self.analysis = analyze(scenario)
        self.radii = blast_radii(scenario)
        self.impacts: dict[str, WhatIf] | None = None
        self.measured: ChaosAvailability | None = None
        self.selected: str | None = None
        fits = horizon_over_budget(scenario, list(self.analysis.components), WHAT_IF_HORIZON)
        self.skipped: str | None = None if fits is None else (
            f"not simulated: {len(scenario.topology.nodes):,} nodes × {WHAT_IF_HORIZON:g} s per component is over one "
            f"run's budget ({MAX_WORK:,} node-steps); 'spofdrill analyze --horizon {fits}' can"
            if fits >= FAIL_AT + 30 else
            f"not simulated: {len(scenario.topology.nodes):,} nodes are too many for one run's budget "
            f"({MAX_WORK:,} node-steps)")
        """Why the what-if and chaos runs are left out (a big imported architecture), or ``None``."""
        self.snapshot = marked_snapshot(Simulation(scenario, 0).snapshot(), self.analysis)

    def compose(self) -> ComposeResult:
        with Horizontal(id="analysis-top"):
            yield TopologyView(id="analysis-topology")
            with VerticalScroll(id="analysis-detail"):
                yield Static(id="analysis-node")
        with VerticalScroll(id="analysis-summary"):
            yield Static(self._summary(), id="analysis-text")
        yield Footer()

    def on_mount(self) -> None:
        topology = self.query_one(TopologyView)
        topology.update_snapshot(self.snapshot)
        topology.focus()
        self._show_node()
        if self.skipped is None:
            self.simulate()

    @work(thread=True, exclusive=True)
    def simulate(self) -> None:
        """Each component's failure, simulated off the UI thread (a second or two)."""
        impacts = {w.component: w for w in what_if(self.scenario, list(self.analysis.components), horizon=WHAT_IF_HORIZON,
                                                   workers=1)}
        self.app.call_from_thread(self._simulated, impacts)
        measured = chaos_availability(self.scenario, self.analysis, days=self.CHAOS_DAYS, workers=1)
        self.app.call_from_thread(self._measured, measured)

    def _simulated(self, impacts: dict[str, WhatIf]) -> None:
        self.impacts = impacts
        self._show_node()

    def _measured(self, measured: ChaosAvailability) -> None:
        self.measured = measured
        self.query_one("#analysis-text", Static).update(self._summary())
        self._show_node()

    def on_topology_view_node_selected(self, event: TopologyView.NodeSelected) -> None:
        self.selected = event.node
        shown = self.snapshot
        if event.node in self.analysis.components:
            shown = blast_snapshot(self.snapshot, event.node, self.radii.get(event.node, ()))
        self.query_one(TopologyView).update_snapshot(shown)
        self._show_node()

    def _summary(self) -> Text:
        a = self.analysis
        text = Text()
        text.append(f"SPOF analysis — {self.scenario.title}\n", style="bold")
        text.append("SPOFs: ", style="bold")
        text.append(names(a.spofs), style="bold red" if a.spofs else "green")
        text.append("   (‼ SPOF, ~ degrading on the diagram)\n", style="dim")
        for part in a.kinds:
            text.append(f"{part.kind:<7}", style="bold")
            text.append(part.availability.text())
            cuts = "; ".join(names(c) for c in part.cut_sets[:6])  # each set: what fails together
            more = len(part.cut_sets) - 6
            text.append(f"   cut sets {cuts}{f'; and {count(more)} more' if more > 0 else ''}\n", style="dim")
        m = self.measured
        if self.skipped is not None:
            text.append(f"measured  {self.skipped}\n", style="dim")
        elif m is None:
            text.append(f"measured  chaos run of {self.CHAOS_DAYS:,.0f} simulated days: running…\n", style="dim")
        else:
            text.append("measured ", style="bold")
            text.append(f"{100 * m.availability:.4f} % over {m.days:,.0f} simulated days ({count(m.outages, 'outage')}) vs "
                        f"{100 * m.diagram_availability:.4f} % by the diagram on the same outages (request-weighted)\n")
            worst = max(m.components, key=lambda c: c.downtime - c.diagram, default=None)
            if worst is not None and worst.downtime - worst.diagram > 0.5:
                text.append(f"  biggest gap: {worst.component}: {worst.cause}\n", style="dim")
        for finding in a.findings:
            text.append("• ", style="yellow")
            text.append(finding.reason + (" (needs a human)" if finding.needs_human else "") + "\n")
        return text

    def _show_node(self) -> None:
        text = Text()
        name = self.selected
        if name is None:
            text.append("Select a component (arrows or mouse) to see why it matters, what fails with it "
                        "and what users feel when it fails.", style="dim")
        elif name not in self.analysis.components:
            text.append(f"{name}\n", style="bold")
            text.append("users: the source of requests", style="dim")
        else:
            verdict = self.analysis.of(name)
            style = {"spof": "bold red", "degrading": "yellow"}.get(verdict.status, "green")
            text.append(f"{name}\n", style="bold")
            text.append(verdict.status.upper() if verdict.status == "spof" else verdict.status, style=style)
            if verdict.spof_for:
                text.append(f" for {names(verdict.spof_for)} requests")
            text.append(f"\n{verdict.reason}\n\n")
            cut = self.radii.get(name, ())
            text.append("Blast radius: ", style="bold")
            text.append(names(cut, empty="nothing else is cut off"), style="red" if cut else "")
            text.append("\n(the diagram shows it down ✗ and what it cuts off degraded !)" if cut else
                        "\n(the diagram shows it down ✗)", style="dim")
            text.append("\n\n")
            text.append(f"If it fails at {FAIL_AT:g} s and nobody acts: ", style="bold")
            if self.skipped is not None:
                text.append(self.skipped, style="dim")
            elif self.impacts is None:
                text.append("simulating…", style="dim")
            else:
                impact = self.impacts.get(name)
                if impact is not None:
                    text.append(f"{impact.status} — {impact.reason}", style={"spof": "red", "degrading": "yellow"}.get(impact.status, "green"))
                    if impact.status != verdict.status:
                        text.append("\nThe graph and the simulation disagree: that is the lesson here.", style="italic")
            gap = next((c for c in self.measured.components if c.component == name), None) if self.measured else None
            if gap is not None and gap.outages:
                year = self.measured.per_year
                text.append("\n\nChaos run: ", style="bold")
                text.append(f"{count(gap.outages, 'outage')} in {self.measured.days:,.0f} days cost {year(gap.downtime):,.0f} s "
                            f"a year (the diagram: {year(gap.diagram):,.0f} s); {gap.cause}")
        self.query_one("#analysis-node", Static).update(text)

    def action_back(self) -> None:
        self.app.pop_screen()
