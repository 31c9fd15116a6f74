"""Immutable views of the simulation, handed to the console, scripts and tests.

A :class:`Snapshot` is built on demand by :meth:`engine.sim.simulation.Simulation.snapshot`
and never changes afterwards; widgets compare snapshots instead of reading
engine objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NodeView:
    """What the trainee can see of one component."""

    name: str
    kind: str
    region: str
    group: str | None
    label: str
    state: str  # healthy | degraded | down | standby | promoting | fenced | booting | draining | destroyed
    up: bool
    role: str | None  # primary/replica for databases, master/backup for load balancers
    metrics: tuple[tuple[str, float], ...]
    progress: str | None = None  # a running command on this node, e.g. "promote 40%"
    marked: bool = False  # SPOF hunt: the trainee marked it as a single point of failure
    drill_regions: int = 1  # how many regions the drill has (traffic can only be shifted when more than one)
    reason: str | None = None
    """Why the node shows its state, in monitoring's words ("health checks failing: Layer4 timeout",
    "scrape failed: connection refused", "replication stopped at position 4,120")."""
    seen_at: float | None = None
    """With observed visibility: when its metrics were last scraped successfully (None: never yet)."""

    def metric(self, name: str, default: float = 0.0) -> float:
        for key, value in self.metrics:
            if key == name:
                return value
        return default


@dataclass(frozen=True)
class EdgeView:
    """A dependency with the traffic it carries now."""

    source: str
    target: str
    kind: str  # "traffic" or "replication"
    required: bool
    rate: float = 0.0
    lag: float | None = None
    broken: bool = False


@dataclass(frozen=True)
class AlertView:
    """A firing or resolved alert."""

    id: str
    rule: str
    node: str | None
    severity: str
    summary: str
    state: str  # pending | firing | resolved
    since: float
    acknowledged: bool
    value: float


@dataclass(frozen=True)
class PendingView:
    """A command that takes time and has not completed yet."""

    id: int
    command: str
    target: str | None
    started: float
    ends: float


@dataclass(frozen=True)
class EvidenceView:
    """The result of one investigation (logs, probe, replication, backends, dig), as it was when it completed."""

    id: int  # the journal entry that holds it
    command: str
    target: str | None
    t: float
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Snapshot:
    """The whole visible state at one simulated instant."""

    t: float
    duration: float
    finished: bool
    nodes: tuple[NodeView, ...]
    edges: tuple[EdgeView, ...]
    alerts: tuple[AlertView, ...]
    pending: tuple[PendingView, ...]
    metrics: tuple[tuple[str, float], ...]
    history: tuple[tuple[str, tuple[float, ...]], ...]
    hints_revealed: tuple[str, ...]
    hints_left: int
    score: float
    journal_length: int
    regions: tuple[str, ...] = field(default_factory=tuple)
    budget_used: float = 0.0
    """The share of the error budget spent so far over the whole run (1.0 = all of it; above 1 overspent),
    by :func:`engine.sim.monitoring.error_budget`, the postmortem's formula."""
    visibility: str = "truth"
    """``observed``: nodes, edges, metrics, charts, alerts and score are what monitoring has scraped
    (up to ``as_of``); ``truth``: the simulation's state now."""
    as_of: float = 0.0
    """The time of the last scrape the global metrics and charts come from (``t`` with truth)."""
    evidence: tuple[EvidenceView, ...] = ()
    """The last investigations' results, oldest first."""

    def node(self, name: str) -> NodeView:
        for view in self.nodes:
            if view.name == name:
                return view
        raise KeyError(name)

    def metric(self, name: str, default: float = 0.0) -> float:
        for key, value in self.metrics:
            if key == name:
                return value
        return default

    def series(self, name: str) -> tuple[float, ...]:
        for key, values in self.history:
            if key == name:
                return values
        return ()

    def firing(self) -> tuple[AlertView, ...]:
        return tuple(a for a in self.alerts if a.state == "firing")
