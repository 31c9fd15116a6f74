"""The world: the state of one running drill, shared by the simulation's parts.

:class:`World` holds what every part reads and changes (the clock, the scenario
and its random streams, the journal, the graph and the runtime objects built
from it, DNS state, faults in force, dark regions and partitions, marks and
hints, version counters, the series) and the few questions all parts ask of it
(reachability, a replica's root log, boot time). The parts of
:class:`engine.sim.simulation.Simulation` (traffic, monitoring, automation, faults,
commands) each receive the world; none reaches into another's private names.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import simpy

from engine.scenario.schema import Fault, Scenario
from engine.scenario.topology import build_graph, clusters, vip_groups
from engine.sim.alerts import AlertEvaluator
from engine.sim.journal import Journal
from engine.sim.model import DEFAULT_BOOT, Cluster, Node, VipGroup, WriteLog
from engine.sim.rng import Streams
from engine.sim.traffic import RateCurve

SERIES = (
    "t", "requests", "ok", "degraded", "failed", "availability", "error_ratio", "p50", "p95", "p99", "writes",
    "writes_acked", "writes_failed", "write_error_ratio", "burn_short", "burn_long", "split_brain", "redundant",
    "db_load", "cache_hit_ratio", "max_lag",
)
"""The global per-second series, in the order they are kept."""


class World:
    """The state of one drill over one scenario and seed, and the questions every part asks of it."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seed = int(seed)
        self.duration = float(scenario.duration)
        self.streams = Streams(self.seed)
        self.env = simpy.Environment()
        self.journal = Journal()
        self.graph = build_graph(scenario)
        self.tick = scenario.engine.tick
        self.version = 0
        """Bumped by every state change that can alter routing (plans and caches key on it)."""
        self.flow_t = 0.0
        """Traffic is accounted up to this time."""
        self.integrate: Callable[[float], None] = lambda t: None
        """Accounts traffic up to a time (set by the simulation once its traffic part exists)."""
        self.next_id = 0
        self.write_times: list[tuple[int, float]] = []
        self.marks: set[str] = set()
        """SPOF hunt: components the trainee marked."""
        self.hints_revealed: list[int] = []
        """Indexes of the scenario's hints shown so far, in the order they were shown."""
        self.hint_cost = 0.0
        self.dark: set[str] = set()
        self.partitions: list[tuple[frozenset[str], frozenset[str]]] = []
        self.faults: dict[int, tuple[Fault, str]] = {}
        self.finished = False

        self._build_nodes()
        kinds = {n.name: n.kind for n in self.nodes.values()}
        self.alerts = AlertEvaluator(scenario.alerts, scenario.slo, kinds)
        self.series: dict[str, list[float]] = {k: [] for k in SERIES}
        self.node_metrics: dict[str, dict[str, float]] = {}
        self.node_history: dict[str, deque[tuple[float, ...]]] = {}

    # ------------------------------------------------------------------ building

    def _build_nodes(self) -> None:
        """The runtime objects of the architecture: nodes, VIP groups, clusters, health views, rate curves, DNS state."""
        sc = self.scenario
        self.nodes: dict[str, Node] = {}
        for order, name in enumerate(self.graph.nodes):
            data = self.graph.nodes[name]
            node = Node(name=name, kind=data["kind"], region=data["region"], spec=data["spec"], group=data["group"], order=order)
            self.nodes[name] = node
        self.vips: dict[str, VipGroup] = {}
        self.vip_of: dict[str, VipGroup] = {}
        for spec in vip_groups(sc):
            first = self.nodes[spec.members[0]]
            group = VipGroup(spec.name, list(spec.members), spec.members[0], first.region, preempt=sc.automation.vrrp.preempt)
            self.vips[spec.name] = group
            for member in spec.members:
                self.vip_of[member] = group
        self.clusters: dict[str, Cluster] = {}
        self.cluster_of: dict[str, Cluster] = {}
        for spec in clusters(sc):
            cluster = Cluster(spec.name, [spec.primary, *spec.replicas], spec.primary, design_replicas=len(spec.replicas))
            self.clusters[spec.name] = cluster
            for name in cluster.members:
                node = self.nodes[name]
                self.cluster_of[name] = cluster
                node.cluster = spec.name
                node.role = "primary" if name == spec.primary else "replica"
                node.mode = node.spec.replication
                node.upstream = None if name == spec.primary else (node.spec.upstream or spec.primary)
                node.log = WriteLog() if name == spec.primary else None
                node.replicating = name != spec.primary
        # health-check view of each load balancer: backend -> [marked_up, consecutive, why the check that marked it down failed]
        self.health: dict[str, dict[str, list]] = {}
        for vip in self.vips.values():
            for member in vip.members:
                self.health[member] = {app: [True, 0, ""] for app in self._pool_of(member, vip)}
        self.curves: dict[str, tuple[RateCurve, RateCurve, RateCurve]] = {}
        for node in self.nodes.values():
            if node.kind == "client":
                stream = self.streams[f"traffic:{node.name}"]
                rates = node.spec.rates
                self.curves[node.name] = tuple(
                    RateCurve(getattr(rates, cls), self.duration, stream) for cls in ("read", "write", "static")
                )
        self.client_timeout = min((n.spec.timeout for n in self.nodes.values() if n.kind == "client"), default=10.0)
        self.dns_state: dict[str, dict[str, Any]] = {}
        for node in self.nodes.values():
            if node.kind == "dns":
                regions = self.dns_regions(node.name)
                weights = node.spec.weights or {r: 1.0 for r in regions}
                current = {r: float(weights.get(r, 0.0)) for r in regions}
                start = _normalised(current)
                self.dns_state[node.name] = {
                    "from": [dict(start) for _ in self.dns_populations(node.name)], "to": dict(current),
                    "since": -1e9, "down_since": None, "excluded": set(),
                }
        self.design = {
            "vip": {v.name: len(v.members) for v in self.vips.values()},
            "groups": self._group_sizes(),
        }
        self.split_seconds = 0.0

    def _group_sizes(self) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for node in self.nodes.values():
            if node.kind in ("app_server", "cache", "service", "cdn", "dns"):
                key = node.group or node.name
                sizes[key] = sizes.get(key, 0) + 1
        return sizes

    def _pool_of(self, lb: str, vip: VipGroup) -> list[str]:
        pool = [t for t in self.graph.successors(lb) if self.graph.nodes[t]["kind"] == "app_server"]
        if not pool:
            for member in vip.members:
                pool = [t for t in self.graph.successors(member) if self.graph.nodes[t]["kind"] == "app_server"]
                if pool:
                    break
        return pool

    def dns_regions(self, dns: str) -> list[str]:
        """The regions a DNS answers with, in the order of its targets."""
        regions = []
        for target in self.graph.successors(dns):
            region = self.graph.nodes[target]["region"]
            if region not in regions:
                regions.append(region)
        return regions

    # ------------------------------------------------------------------ journal and changes

    def record(self, type: str, **data: Any) -> None:
        """Journal an event now, after accounting traffic up to now (keeps the journal in time order)."""
        self.integrate(self.env.now)
        self.journal.record(self.env.now, type, **data)

    def observe(self, type: str, **data: Any) -> None:
        """Journal an observation now (an investigation) without accounting traffic up to this instant.

        The fluid model is not invariant to where a traffic step is split, and what health checks read
        depends on how far traffic was accounted: :meth:`record` would nudge the run. Only seconds that
        closed strictly before now and were not accounted yet (a tick that does not land on whole
        seconds) are accounted, exactly as the ticker would split them, so the journal stays in time order.
        """
        closed = math.ceil(self.env.now) - 1.0
        if closed > self.flow_t:
            self.integrate(closed)
        self.journal.record(self.env.now, type, **data)

    def changed(self) -> None:
        """Call before any state change: account traffic up to now under the old state."""
        self.integrate(self.env.now)
        self.version += 1

    # ------------------------------------------------------------------ shared questions

    def dark_node(self, node: Node) -> bool:
        """Whether the node sits in a region that is out (and is regional: global services stay)."""
        return node.region in self.dark and node.regional

    def reachable(self, src: Node | None, dst: Node) -> bool:
        """Whether ``dst`` answers (from ``src``): up, not in a dark region, not across a partition."""
        if not dst.up:
            return False
        if self.dark and (self.dark_node(dst) or (src is not None and self.dark_node(src))):
            return False
        if self.partitions and src is not None:
            for side_a, side_b in self.partitions:
                a = src.name in side_a or src.region in side_a
                b = dst.name in side_b or dst.region in side_b
                if a and b:
                    return False
                a = src.name in side_b or src.region in side_b
                b = dst.name in side_a or dst.region in side_a
                if a and b:
                    return False
        return True

    def fails_fast(self, src: Node | None, dst: Node) -> bool:
        """True when an unreachable ``dst`` refuses at once (crashed process) rather than timing out."""
        if self.dark_node(dst) or (src is not None and self.dark_node(src)):
            return False
        if dst.fenced or dst.destroyed:
            return False
        if not self.reachable(src, dst) and dst.up:
            return False  # partitioned: packets vanish
        return True

    def root_log(self, node: Node) -> WriteLog | None:
        """The log of the primary at the top of a replica's upstream chain."""
        seen = 0
        while node.role == "replica" and node.upstream is not None and seen < 16:
            node = self.nodes[node.upstream]
            seen += 1
        return node.log if node.role == "primary" else None

    def boot_time(self, node: Node) -> float:
        """Seconds the node takes to start (its spec, else the default of its kind)."""
        return node.spec.boot_time if node.spec.boot_time is not None else DEFAULT_BOOT[node.kind]

    def dns_populations(self, dns: str) -> list[tuple[float, float]]:
        """The clients of ``dns`` as (share, seconds they keep an answer): those that honour the TTL, and
        the ``sticky`` ones that hold it longer (resolvers and JVMs caching past the TTL)."""
        spec = self.nodes[dns].spec
        sticky = spec.sticky
        if sticky is None or sticky.share <= 0:
            return [(1.0, spec.ttl)]
        if sticky.share >= 1:
            return [(1.0, sticky.hold)]
        return [(1.0 - sticky.share, spec.ttl), (sticky.share, sticky.hold)]

    def dns_blends(self, dns: str, t: float) -> list[dict[str, float]]:
        """The normalised weights each population of clients follows at ``t``: a client keeps its cached
        answer until it expires, expiries are uniform over the hold, so each population moves linearly,
        ``(1 - f) * old + f * new`` with ``f = (t - since) / hold`` clipped to [0, 1]."""
        state = self.dns_state[dns]
        new = _normalised(state["to"])
        blends = []
        for (_, hold), old in zip(self.dns_populations(dns), state["from"]):
            frac = min(1.0, max(0.0, (t - state["since"]) / hold))
            blends.append({r: (1.0 - frac) * old.get(r, 0.0) + frac * w for r, w in new.items()})
        return blends

    def dns_weights(self, dns: str, t: float) -> dict[str, float]:
        """The share of answers each region gets from ``dns`` at ``t`` (summing to 1): each population of
        clients follows a change linearly over the TTL (sticky ones over their hold)."""
        out: dict[str, float] = {}
        for (share, _), blend in zip(self.dns_populations(dns), self.dns_blends(dns, t)):
            for r, w in blend.items():
                out[r] = out.get(r, 0.0) + share * w
        return out

    def set_dns_weights(self, dns: str, weights: dict[str, float]) -> None:
        """Answer with ``weights`` from now on; each population of clients moves to them from the blend it
        follows now (a change in the middle of a transition starts where the clients are: no jump)."""
        state = self.dns_state[dns]
        now = self.env.now
        state["from"] = self.dns_blends(dns, now)
        state["to"] = dict(weights)
        state["since"] = now

    # ------------------------------------------------------------------ hints

    def reveal_hint(self, index: int, cost: float) -> None:
        """Show the trainee a hint at a score cost (0 for hints the scenario times)."""
        self.hints_revealed.append(index)
        self.hint_cost += cost
        self.record("HintRevealed", index=index, text=self.scenario.hints[index].text, cost=cost)


def _normalised(weights: dict[str, float]) -> dict[str, float]:
    """Weights scaled to sum to 1 (all-zero weights stay zero)."""
    total = sum(weights.values())
    return {r: w / total for r, w in weights.items()} if total > 0 else dict(weights)
