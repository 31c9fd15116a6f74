"""What monitoring sees: scrapes, the load balancers' health checks, and the state words they imply.

On call nobody sees the truth. A metrics system scrapes each component every
``alerts.scrape_interval`` seconds (15 s by default, as Prometheus), each at its
own offset within the interval; a scrape that fails leaves ``up = 0`` and no
other data ("no data", itself a clue). The load balancers' health checks say
which backends they send traffic to, and why they stopped ("Layer4 timeout").
The trainee's own commands (a fence, a drain, a promotion in progress) are known
at once: the control plane reports them.

:class:`Observer` keeps the last scrape of every component and the global
series' last scraped second. With ``visibility: observed`` (the default) the
snapshot, the console and the alert rules read only these; with ``truth`` they
read the simulation's state as it is. Either way the observed state words are
computed, and with ``observed`` their changes are journaled (``Observed``) so the
debrief can set what monitoring showed beside what was true.

The metrics system runs outside the simulated regions (a hosted or off-site
Prometheus): a partition between two regions does not stop a scrape, a dark
region does. A database cut off from its app servers by a partition therefore
looks healthy to monitoring while the app servers log connection timeouts.
"""

from __future__ import annotations

import heapq
import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.sim.world import World

if TYPE_CHECKING:
    from engine.sim.model import Node

_DIGITS = re.compile(r"\d[\d,.]*")

SCRAPE_REFUSED = "scrape failed: connection refused"
SCRAPE_TIMEOUT = "scrape failed: context deadline exceeded"


@dataclass(frozen=True)
class Scrape:
    """The last scrape of one component."""

    t: float
    ok: bool
    metrics: tuple[tuple[str, float], ...]
    reason: str | None = None  # why it failed


@dataclass(frozen=True)
class Seen:
    """A component's state as monitoring shows it."""

    state: str
    reason: str | None
    seen_at: float | None  # time of the last successful scrape (None: never scraped yet)


class Observer:
    """The last scrape of each component and the state words monitoring shows."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.interval = float(world.scenario.alerts.scrape_interval)
        self.observed = world.scenario.visibility == "observed"
        self.scrapes: dict[str, Scrape] = {}
        self.latest: dict[str, dict[str, float]] = {}
        """The metrics of each component's last scrape (``{"up": 0}`` after a failed one): what the rules read."""
        self._next: dict[str, float] = {}
        self._queue: list[tuple[float, int, Node]] = []
        """(due, place among the world's nodes, node) of every scraped component: a heap."""
        self._known = 0
        """How many of the world's nodes (in order) have been given their first scrape time."""
        self.global_seen = 0
        """How many seconds of the global series monitoring has scraped (the charts end there)."""
        self.global_at = 0.0
        self.budget_seen = 0.0
        self._next_global = self.interval
        self._shown: dict[str, tuple[str, str | None]] = {}
        self._ok_times: dict[str, float] = {}
        self._journaled_version = -1
        self._checkers_index: dict[str, list[str]] = {}
        self._checkers_size: tuple[int, int] = (-1, -1)

    def _offset(self, name: str) -> float:
        """The component's scrape offset within the interval: whole seconds, from the run's seeded streams."""
        return float(self.world.streams[f"scrape:{name}"].randrange(max(1, int(self.interval))))

    def close_second(self, t: float, budget_used: float) -> list[str]:
        """Scrape what is due at ``t`` (a closed second); the names of the components scraped.

        The components wait in a heap by when they are due (and their place among the world's
        nodes, so a second's scrapes happen in the nodes' order): a second costs what it scrapes,
        not a look at every component.
        """
        world = self.world
        if len(world.nodes) > self._known:  # components not seen yet: the first scrape falls at their offset
            for node in itertools.islice(world.nodes.values(), self._known, None):
                position = self._known
                self._known += 1
                if node.kind == "client":
                    continue
                due = self._next[node.name] = 1.0 + self._offset(node.name)  # a scale-out's at once
                heapq.heappush(self._queue, (due, position, node))
        queue = self._queue
        if not queue or queue[0][0] > t:
            scraped: list[str] = []
        else:
            ready = []
            while queue and queue[0][0] <= t:
                ready.append(heapq.heappop(queue))
            ready.sort(key=lambda item: item[1])
            scraped = []
            for due, position, node in ready:
                name = node.name
                due += self.interval
                while due <= t:
                    due += self.interval
                self._next[name] = due
                heapq.heappush(queue, (due, position, node))
                scrape = self.scrapes[name] = self._scrape(node, t)
                self.latest[name] = dict(scrape.metrics)
                if scrape.ok:
                    self._ok_times[name] = t
                scraped.append(name)
        if t >= self._next_global:
            self._next_global += self.interval
            self.global_seen = len(world.series["t"])
            self.global_at = t
            self.budget_seen = budget_used
        return scraped

    def _scrape(self, node: Node, t: float) -> Scrape:
        world = self.world
        if world.reachable(None, node):
            return Scrape(t, True, tuple(sorted(world.node_metrics.get(node.name, {}).items())))
        reason = SCRAPE_REFUSED if world.fails_fast(None, node) and not node.destroyed else SCRAPE_TIMEOUT
        return Scrape(t, False, (("up", 0.0),), reason)

    def next_scrape(self, name: str) -> float | None:
        """When the component is scraped next (None: not scheduled yet, before its first scrape)."""
        return self._next.get(name)

    # ------------------------------------------------------------------ what is shown

    def metrics(self, name: str) -> dict[str, float]:
        """The metrics of the last scrape (``{"up": 0}`` after a failed one; empty before the first)."""
        return dict(self.latest.get(name, {}))

    def seen(self, node: Node, command_state: str | None) -> Seen:
        """The state word (and why) monitoring shows for ``node`` now.

        ``command_state`` is what a running trainee command makes the node show
        (``promoting``), known at once like fences, drains and boots.
        """
        world = self.world
        scrape = self.scrapes.get(node.name)
        last_ok = self._ok_times.get(node.name)
        if node.fenced:
            return Seen("fenced", "fenced by you", last_ok)
        if node.booting:
            return Seen("booting", "starting up", last_ok)
        if command_state:
            return Seen(command_state, None, last_ok)
        down = self._checks_down(node)
        if down is not None:
            return Seen("down", f"health checks failing: {down}", last_ok)
        if scrape is None:  # nothing scraped yet: the design as configured
            if node.kind == "load_balancer" and world.vip_of[node.name].holder != node.name:
                return Seen("standby", "does not hold the virtual IP", None)
            return Seen("healthy", None, None)
        if not scrape.ok:
            return Seen("no data", scrape.reason, last_ok)
        m = self.latest[node.name]  # the scrape's metrics as a dict (set with it, never changed)
        if node.kind == "load_balancer" and not m.get("holds_vip", 0.0):
            return Seen("standby", "does not hold the virtual IP", last_ok)
        if node.drained:
            return Seen("draining", "drained by you", last_ok)
        if node.kind == "database" and node.role == "replica" and m.get("replicating", 1.0) < 1.0:
            return Seen("degraded", f"replication stopped at position {int(m.get('position', 0.0)):,}", last_ok)
        if node.kind == "service" and node.feature_off:
            return Seen("degraded", "feature switched off by you", last_ok)
        errors = m.get("error_ratio", 0.0)
        if errors > 0.05:
            return Seen("degraded", f"{errors:.0%} of requests fail", last_ok)
        busy = m.get("utilisation", 0.0)
        if busy > 0.9:
            return Seen("degraded", f"saturated: {busy:.0%} busy", last_ok)
        if node.kind == "cache" and m.get("hit_ratio", 1.0) < 0.5 * node.spec.hit_ratio:
            return Seen("degraded", f"cold: hit ratio {m.get('hit_ratio', 0.0):.0%}", last_ok)
        return Seen("healthy", None, last_ok)

    def _checkers(self) -> dict[str, list[str]]:
        """For each backend, the load balancers that health-check it (rebuilt when the pools grow).

        Health views only grow, and only when nodes are added (a scale-out adds the node, then its
        checks): the number of nodes and of views tells when to rebuild, in constant time. Summing the
        views' sizes here cost O(load balancers) per call, O(n^2) per sweep of every component.
        """
        world = self.world
        size = (len(world.nodes), len(world.health))
        if size != self._checkers_size:
            index: dict[str, list[str]] = {}
            for lb_name, view in self.world.health.items():
                for backend in view:
                    index.setdefault(backend, []).append(lb_name)
            self._checkers_index, self._checkers_size = index, size
        return self._checkers_index

    def _checks_down(self, node: Node) -> str | None:
        """Why the load balancers that are up mark ``node`` down (the check that marked it down), or None
        (not checked, or up for one of them)."""
        world = self.world
        reason = None
        for lb_name in self._checkers().get(node.name, ()):
            lb = world.nodes[lb_name]
            if not world.reachable(None, lb):
                continue
            verdict = world.health[lb_name][node.name]
            if verdict[0]:
                return None
            reason = verdict[2] or "Layer4 timeout"
        return reason

    def journal_changes(self, command_states: dict[str, str], scraped: list[str]) -> None:
        """Journal every component whose shown state changed (observed visibility only).

        Called when a second closes. A state word changes only at the component's scrape or
        at a state change (a health-check verdict, a command: the world's ``version``), so a
        second without one looks at the components just scraped only.
        """
        world = self.world
        if not self.observed:
            return
        if world.version != self._journaled_version:
            self._journaled_version = world.version
            names = [name for name, node in world.nodes.items() if node.kind != "client"]
        else:  # plus the targets of running commands (their word shows at once)
            names = scraped + [name for name in command_states if name in world.nodes]
        for name in names:
            node = world.nodes[name]
            seen = self.seen(node, command_states.get(name))
            # a new word or a new kind of reason, not a new figure ("17% of requests fail" → "39% ...")
            key = (seen.state, _DIGITS.sub("N", seen.reason) if seen.reason else None)
            if self._shown.get(name, ("healthy", None)) != key:
                self._shown[name] = key
                world.journal.record(world.env.now, "Observed", node=name, state=seen.state, reason=seen.reason or "")
