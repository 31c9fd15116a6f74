"""The simulation: one API for everyone who drives a drill.

``Simulation(scenario, seed)`` builds the architecture and schedules the
scenario's faults. Drivers (the console, action scripts, replay, reference
solutions, tests) then only ever:

* advance simulated time in bounded slices: :meth:`Simulation.run` /
  :meth:`Simulation.advance`;
* apply commands: :meth:`Simulation.apply` (and :meth:`Simulation.preview`
  to show what a command would do before asking for confirmation);
* read immutable state: :meth:`Simulation.snapshot` and the :attr:`journal`;
* and at the end :meth:`Simulation.outcome` for the ground truth to score.

Traffic is a fluid model integrated over segments of simulated time: a
periodic tick (``engine.tick``) and every discrete state change (a crash, a
health-check transition, a VIP move) close a segment, so a change that
happens at 60.4 s is accounted from 60.4 s exactly. Discrete behaviour
(health checks, VRRP, faults, chaos, commands, automation) is simpy processes.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import simpy

from engine.sim.alerts import AlertEvaluator
from engine.commands import Command, Refused
from engine.sim.control import CommandDesk, Preview, Receipt
from engine.sim.flow import TrafficModel, _SecondAcc
from engine.sim.journal import Journal
from engine.sim.monitoring import Monitoring
from engine.sim.model import (
    DEFAULT_BOOT,
    Cluster,
    Node,
    VipGroup,
    WriteLog,
)
from engine.sim.rng import Streams
from engine.util.ranges import range_count
from engine.scenario.schema import Fault, Scenario
from engine.scoring.outcome import Outcome, Tally, compute_outcome
from engine.scoring.score import score_outcome
from engine.sim.snapshot import AlertView, EdgeView, NodeView, PendingView, Snapshot
from engine.scenario.topology import build_graph, clusters, vip_groups
from engine.sim.traffic import RateCurve


__all__ = ["Preview", "Receipt", "Refused", "Simulation"]

class Simulation(TrafficModel, Monitoring):
    """A running drill over one scenario and seed."""

    def __init__(self, scenario: Scenario, seed: int = 0) -> None:
        self.scenario = scenario
        self.seed = int(seed)
        self.duration = float(scenario.duration)
        self.streams = Streams(self.seed)
        self.env = simpy.Environment()
        self.journal = Journal()
        self.graph = build_graph(scenario)
        self.tick = scenario.engine.tick
        self._version = 0
        self._plan_version = -1
        self._classes_version = -1
        self._classes: list[list[Node]] = []
        self._class_firsts: set[str] = set()
        self._flow_t = 0.0
        self._seg_end = 0.0
        self._next_id = 0
        self._write_times: list[tuple[int, float]] = []
        self.commands = CommandDesk(self)
        self.hints_revealed: list[int] = []
        """Indexes of the scenario's hints shown so far, in the order they were shown."""
        self.marks: set[str] = set()  # SPOF hunt: components the trainee marked
        self._hint_cost = 0.0
        self._dark: set[str] = set()
        self._partitions: list[tuple[frozenset[str], frozenset[str]]] = []
        self._faults: dict[int, tuple[Fault, str]] = {}
        self.finished = False
        self._score_key: tuple | None = None
        self._score = 0.0

        self._build_nodes()
        kinds = {n.name: n.kind for n in self.nodes.values()}
        self.alerts = AlertEvaluator(scenario.alerts, scenario.slo, kinds)
        self._acc = _SecondAcc()
        self.series: dict[str, list[float]] = {
            k: []
            for k in (
                "t",
                "requests",
                "ok",
                "degraded",
                "failed",
                "availability",
                "error_ratio",
                "p50",
                "p95",
                "p99",
                "writes",
                "writes_acked",
                "writes_failed",
                "write_error_ratio",
                "burn_short",
                "burn_long",
                "split_brain",
                "redundant",
                "db_load",
                "cache_hit_ratio",
                "max_lag",
            )
        }
        self.node_metrics: dict[str, dict[str, float]] = {}
        self.node_history: dict[str, deque[tuple[float, ...]]] = {}

        self.journal.record(0.0, "DrillStarted", scenario=scenario.id or scenario.title, seed=self.seed)
        self.env.process(self._ticker())
        for vip in self.vips.values():
            for member in vip.members:
                self.env.process(self._health_checker(self.nodes[member]))
        for index, fault in enumerate(scenario.method):
            self.env.process(self._fault_process(index, fault))
        if scenario.chaos is not None and scenario.chaos.enabled:
            self.env.process(self._chaos_monkey())
        for index, hint in enumerate(scenario.hints):
            if hint.at is not None:
                self.env.process(self._hint_timer(index, hint.at))
        if scenario.automation.db_failover.enabled:
            self.env.process(self._db_failover_watch())
        if scenario.automation.dns_failover.enabled:
            self.env.process(self._dns_failover_watch())

    # ------------------------------------------------------------------ building

    def _build_nodes(self) -> None:
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
        # health-check view of each load balancer: backend -> [marked_up, consecutive]
        self.health: dict[str, dict[str, list]] = {}
        for vip in self.vips.values():
            for member in vip.members:
                self.health[member] = {app: [True, 0] for app in self._pool_of(member, vip)}
        self.curves: dict[str, tuple[RateCurve, RateCurve, RateCurve]] = {}
        for node in self.nodes.values():
            if node.kind == "client":
                stream = self.streams[f"traffic:{node.name}"]
                rates = node.spec.rates
                self.curves[node.name] = tuple(
                    RateCurve(getattr(rates, cls), self.duration, stream) for cls in ("read", "write", "static")
                )
        self._client_timeout = min((n.spec.timeout for n in self.nodes.values() if n.kind == "client"), default=10.0)
        self.dns_state: dict[str, dict[str, Any]] = {}
        for node in self.nodes.values():
            if node.kind == "dns":
                regions = self._dns_regions(node.name)
                weights = node.spec.weights or {r: 1.0 for r in regions}
                current = {r: float(weights.get(r, 0.0)) for r in regions}
                self.dns_state[node.name] = {"from": dict(current), "to": dict(current), "since": -1e9, "down_since": None, "excluded": set()}
        self._design = {
            "vip": {v.name: len(v.members) for v in self.vips.values()},
            "groups": self._group_sizes(),
        }
        self._split_seconds = 0.0

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

    def _dns_regions(self, dns: str) -> list[str]:
        regions = []
        for target in self.graph.successors(dns):
            region = self.graph.nodes[target]["region"]
            if region not in regions:
                regions.append(region)
        return regions

    # ------------------------------------------------------------------ time

    @property
    def now(self) -> float:
        return self.env.now

    def run(self, until: float) -> None:
        """Advance simulated time to ``until`` (bounded by the drill's duration)."""
        # whole microseconds: a console adding 0.1 s ten times must reach 1.0 s, not 0.9999999999999999
        until = min(round(float(until), 6), self.duration)
        if until <= self.env.now:
            return
        self.env.run(until=until)
        # Traffic is integrated by the ticker and at state changes, never at a slice's end,
        # so how a driver slices time cannot change the run.
        if until >= self.duration and not self.finished:
            self._integrate(until)
            self.finished = True
            self.journal.record(self.duration, "DrillEnded")

    def record(self, type: str, **data: Any) -> None:
        """Journal an event now, after accounting traffic up to now (keeps the journal in time order)."""
        self._integrate(self.env.now)
        self.journal.record(self.env.now, type, **data)

    def advance(self, dt: float) -> None:
        """Advance simulated time by ``dt`` seconds."""
        self.run(self.env.now + dt)

    def _ticker(self):
        while True:
            yield self.env.timeout(self.tick)
            self._integrate(self.env.now)

    def _changed(self) -> None:
        """Call before any state change: account traffic up to now under the old state."""
        self._integrate(self.env.now)
        self._version += 1

    def _integrate(self, t: float) -> None:
        while self._flow_t < t:
            boundary = math.floor(self._flow_t) + 1.0
            end = min(t, boundary)
            self._step(self._flow_t, end - self._flow_t)
            self._flow_t = end
            if end == boundary:
                self._close_second(boundary)

    # ------------------------------------------------------------------ reachability

    def _dark_node(self, node: Node) -> bool:
        return node.region in self._dark and node.regional

    def _reachable(self, src: Node | None, dst: Node) -> bool:
        if not dst.up:
            return False
        if self._dark and (self._dark_node(dst) or (src is not None and self._dark_node(src))):
            return False
        if self._partitions and src is not None:
            for side_a, side_b in self._partitions:
                a = src.name in side_a or src.region in side_a
                b = dst.name in side_b or dst.region in side_b
                if a and b:
                    return False
                a = src.name in side_b or src.region in side_b
                b = dst.name in side_a or dst.region in side_a
                if a and b:
                    return False
        return True

    def _fails_fast(self, src: Node | None, dst: Node) -> bool:
        """True when an unreachable ``dst`` refuses at once (crashed process) rather than timing out."""
        if self._dark_node(dst) or (src is not None and self._dark_node(src)):
            return False
        if dst.fenced or dst.destroyed:
            return False
        if not self._reachable(src, dst) and dst.up:
            return False  # partitioned: packets vanish
        return True

    # ------------------------------------------------------------------ lifecycle

    def _root_log(self, node: Node) -> WriteLog | None:
        """The log of the primary at the top of a replica's upstream chain."""
        seen = 0
        while node.role == "replica" and node.upstream is not None and seen < 16:
            node = self.nodes[node.upstream]
            seen += 1
        return node.log if node.role == "primary" else None

    def _boot_time(self, node: Node) -> float:
        return node.spec.boot_time if node.spec.boot_time is not None else DEFAULT_BOOT[node.kind]

    def _crash(self, node: Node, cause: str) -> None:
        if not node.running or node.destroyed:
            return
        self._changed()
        node.running = False
        node.crashed_at = self.env.now
        node.backlog = 0.0
        self.record("NodeCrashed", node=node.name, cause=cause)
        self._after_down(node)
        restart = self.scenario.automation.restart
        if restart.enabled and not node.fenced and node.kind != "client":
            self.env.process(self._auto_restart(node, node.crashed_at, restart.delay))

    def _after_down(self, node: Node) -> None:
        """Consequences every way a node can become unavailable shares."""
        if node.kind == "load_balancer":
            vip = self.vip_of[node.name]
            if vip.holder == node.name:
                self._vrrp_lost_master(vip)
        elif node.kind == "dns":
            state = self.dns_state[node.name]
            if state["down_since"] is None:
                state["down_since"] = self.env.now

    def _recover(self, node: Node, cause: str) -> None:
        """The process comes back by itself (a fault clears): same role as before."""
        if node.running or node.destroyed or node.fenced:
            return
        self._changed()
        node.running = True
        node.crashed_at = None
        if node.kind == "cache":
            node.warm = 0.0
        self.record("NodeRecovered", node=node.name, cause=cause)
        self._after_up(node)

    def _after_up(self, node: Node) -> None:
        if node.kind == "load_balancer":
            self._vrrp_member_up(self.vip_of[node.name], node)
        elif node.kind == "dns":
            self.dns_state[node.name]["down_since"] = None
        elif node.kind == "database":
            cluster = self.cluster_of[node.name]
            if node.role == "primary" and cluster.writer != node.name:
                if self.scenario.automation.db_failover.enabled and self.scenario.automation.db_failover.fence:
                    self._rejoin(node, "demoted by automation")
                else:
                    self.record("PrimaryReturned", node=node.name, cluster=cluster.name)

    def _auto_restart(self, node: Node, crashed_at: float, delay: float):
        yield self.env.timeout(delay)
        if node.crashed_at == crashed_at and not node.running and not node.fenced and not node.destroyed:
            self.record("AutoRestartStarted", node=node.name)
            yield from self._boot(node)

    def _boot(self, node: Node):
        """Take a node through a restart: down, booting, then up."""
        self._changed()
        was_up = node.up
        node.running = True
        node.booting = True
        node.fenced = False
        node.backlog = 0.0
        if was_up:
            self._after_down(node)
        yield self.env.timeout(self._boot_time(node))
        if node.destroyed:
            return
        self._changed()
        node.booting = False
        node.crashed_at = None
        if node.kind == "cache":
            node.warm = 0.0
        if node.kind == "database":
            cluster = self.cluster_of[node.name]
            if cluster.writer != node.name:
                self._rejoin(node, "restarted")
        self.record("NodeStarted", node=node.name)
        self._after_up(node)

    def _rejoin(self, node: Node, why: str) -> None:
        """A database rejoins its cluster as a replica of the writer, rewinding writes the writer lacks."""
        cluster = self.cluster_of[node.name]
        writer = self.nodes[cluster.writer]
        writer_log = writer.log
        mine = node.log if node.log is not None else None
        if mine is None:
            root = self._root_log(node)
            mine_ranges = root.prefix(node.applied) if root is not None else []
        else:
            mine_ranges = mine.ranges
        common = _common_prefix(mine_ranges, writer_log.ranges if writer_log else [])
        lost = range_count(mine_ranges) - common - cluster.reported_lost.pop(node.name, 0)
        if lost > 0:
            self.record("WritesLost", node=node.name, count=lost, reason=f"rewound when {why}")
        node.role = "replica"
        node.log = None
        node.upstream = writer.name
        node.applied = common
        node.diverged = False
        node.mode = node.spec.replication if node.spec.role == "replica" else "async"
        node.caught_up = node.mode != "sync"
        self.record("ReplicaRejoined", node=node.name, upstream=writer.name, why=why)

    # ------------------------------------------------------------------ VRRP

    def _vrrp_lost_master(self, vip: VipGroup) -> None:
        if not self.scenario.automation.vrrp.enabled:
            return
        self.env.process(self._vrrp_takeover(vip))

    def _vrrp_member_up(self, vip: VipGroup, node: Node) -> None:
        if not self.scenario.automation.vrrp.enabled:
            if vip.holder == node.name:
                self._version += 1
            return
        holder = self.nodes[vip.holder] if vip.holder else None
        if holder is None or not self._reachable(None, holder):
            self.env.process(self._vrrp_takeover(vip))
        elif vip.preempt and node.spec.priority > holder.spec.priority:
            self._move_vip(vip, node.name, "VRRP preemption by higher priority")

    def _vrrp_takeover(self, vip: VipGroup):
        """A backup declares the master down after 3 missed adverts plus its skew time."""
        advert = self.scenario.automation.vrrp.advert_interval
        last = math.floor(self.env.now / advert + 1e-9) * advert
        candidates = self._vip_candidates(vip)
        if not candidates:
            return
        backup = candidates[0]
        down_interval = 3 * advert + (256 - backup.spec.priority) / 256.0
        yield self.env.timeout(max(0.0, last + down_interval - self.env.now))
        holder = self.nodes[vip.holder] if vip.holder else None
        if holder is not None and self._reachable(None, holder):
            return
        candidates = self._vip_candidates(vip)
        if candidates:
            self._move_vip(vip, candidates[0].name, "VRRP: master down")

    def _vip_candidates(self, vip: VipGroup) -> list[Node]:
        nodes = [self.nodes[m] for m in vip.members if m != vip.holder and self._reachable(None, self.nodes[m])]
        return sorted(nodes, key=lambda n: (-n.spec.priority, n.order))

    def _move_vip(self, vip: VipGroup, to: str, why: str) -> None:
        self._changed()
        old = vip.holder
        vip.holder = to
        self.record("VipMoved", vip=vip.name, old=old, new=to, why=why)

    # ------------------------------------------------------------------ health checks

    def _health_checker(self, lb: Node):
        hc = self.scenario.automation.health_check
        stream = self.streams[f"checks:{lb.name}"]
        yield self.env.timeout(stream.uniform(0.0, hc.interval))
        while True:
            if lb.up:
                self._run_checks(lb, hc, stream)
            yield self.env.timeout(hc.interval)

    def _run_checks(self, lb: Node, hc, stream) -> None:
        view = self.health[lb.name]
        for app_name, state in view.items():
            app = self.nodes[app_name]
            # an HTTP check needs a free worker (no dependency): it fails when the queue is deep or on errors;
            # a TCP check only sees whether the port answers
            passed = self._reachable(lb, app)
            if passed and hc.type == "http":
                passed = app.wait + app.spec.service_time * app.slow < hc.timeout
                if passed and app.err > 0 and stream.random() < app.err:
                    passed = False
            marked_up, streak = state
            if passed == marked_up:
                state[1] = 0
                continue
            streak += 1
            if (marked_up and streak >= hc.fall) or (not marked_up and streak >= hc.rise):
                self._changed()
                state[0] = passed
                state[1] = 0
                self.record("BackendMarkedUp" if passed else "BackendMarkedDown", lb=lb.name, backend=app_name
                )
            else:
                state[1] = streak

    # ------------------------------------------------------------------ faults

    def _fault_time(self, when) -> float:
        if isinstance(when, (int, float)):
            return float(when)
        low, high = when.between
        return self.streams["faults"].uniform(low, high)

    def _fault_process(self, index: int, fault: Fault):
        start = self._fault_time(fault.at)
        yield self.env.timeout(start)
        self._inject(index, fault)
        if fault.type == "flap":
            end = start + fault.duration if fault.duration else self.duration
            node = self.nodes[fault.target]
            while self.env.now < end:
                self._crash(node, "flap")
                yield self.env.timeout(min(fault.down_for, max(0.0, end - self.env.now)))
                self._recover(node, "flap")
                rest = max(0.0, fault.period - fault.down_for)
                if self.env.now + rest >= end:
                    break
                yield self.env.timeout(rest)
            self._clear(index, fault)
            return
        if fault.duration is not None:
            yield self.env.timeout(fault.duration)
            self._clear(index, fault)

    def _sides(self, side: str) -> frozenset[str]:
        return frozenset(s.strip() for s in side.split(",") if s.strip())

    def _inject(self, index: int, fault: Fault) -> None:
        self.record("FaultInjected", fault=fault.type, target=fault.target or "/".join(fault.between or [])
        )
        self._faults[index] = (fault, "active")
        kind = fault.type
        if kind == "crash":
            node = self.nodes[fault.target]
            if fault.destroy:
                self._changed()
                node.destroyed = True
            self._crash(node, kind)
        elif kind == "dependency_outage":
            node = self.nodes[fault.target]
            was_up = node.up
            self._changed()
            node.held += 1
            if was_up:
                self.record("NodeCrashed", node=node.name, cause=kind)
                self._after_down(node)
        elif kind == "region_outage":
            self._changed()
            self._dark.add(fault.target)
            for node in self.nodes.values():
                if node.region == fault.target and node.regional:
                    self._after_down(node)
        elif kind == "partition":
            self._changed()
            a, b = (self._sides(s) for s in fault.between)
            self._partitions.append((a, b))
            for vip in self.vips.values():
                if vip.holder and not self._reachable(None, self.nodes[vip.holder]):
                    self._vrrp_lost_master(vip)
        elif kind == "cache_flush":
            self._changed()
            self.nodes[fault.target].warm = 0.0
        elif kind == "replication_break":
            self._changed()
            self.nodes[fault.target].replication_broken = True
        elif kind in ("slowdown", "capacity_drop", "error_rate", "replication_lag"):
            self._changed()
            self._refresh_effects(fault.target)

    def _clear(self, index: int, fault: Fault) -> None:
        self._faults[index] = (fault, "cleared")
        self.record("FaultCleared", fault=fault.type, target=fault.target or "/".join(fault.between or []))
        kind = fault.type
        if kind == "crash":
            if not fault.destroy:
                self._recover(self.nodes[fault.target], "fault cleared")
        elif kind == "dependency_outage":
            node = self.nodes[fault.target]
            self._changed()
            node.held = max(0, node.held - 1)
            if node.up:
                self.record("NodeRecovered", node=node.name, cause="dependency back")
                self._after_up(node)
        elif kind == "region_outage":
            self._changed()
            self._dark.discard(fault.target)
            for node in self.nodes.values():
                if node.region == fault.target and node.up:
                    self._after_up(node)
        elif kind == "partition":
            self._changed()
            a, b = (self._sides(s) for s in fault.between)
            if (a, b) in self._partitions:
                self._partitions.remove((a, b))
            for node in self.nodes.values():
                if node.kind == "database" and node.up:
                    self._after_up(node)
        elif kind == "replication_break":
            self._changed()
            self.nodes[fault.target].replication_broken = False
        elif kind in ("slowdown", "capacity_drop", "error_rate", "replication_lag"):
            self._changed()
            self._refresh_effects(fault.target)

    def _refresh_effects(self, target: str) -> None:
        node = self.nodes[target]
        node.slow = node.cap_div = 1.0
        node.err = 0.0
        node.lag_extra = 0.0
        for fault, status in self._faults.values():
            if status != "active" or fault.target != target:
                continue
            if fault.type == "slowdown":
                node.slow *= fault.factor
            elif fault.type == "capacity_drop":
                node.cap_div *= fault.factor
            elif fault.type == "error_rate":
                node.err = 1.0 - (1.0 - node.err) * (1.0 - fault.rate)
            elif fault.type == "replication_lag":
                node.lag_extra += fault.factor

    def _chaos_monkey(self):
        chaos = self.scenario.chaos
        stream = self.streams["chaos"]
        end = chaos.end if chaos.end is not None else self.duration
        yield self.env.timeout(chaos.start)
        while True:
            gap = chaos.min_time_between_kills + stream.expovariate(
                1.0 / max(1e-6, chaos.mean_time_between_kills - chaos.min_time_between_kills)
            )
            yield self.env.timeout(gap)
            if self.env.now >= end:
                return
            grouping = set(chaos.grouping) or {"app_server"}
            # by name, so the victim does not depend on the order nodes are written in
            eligible = sorted(
                (n
                for n in self.nodes.values()
                if (n.group in grouping or n.kind in grouping or n.name in grouping)
                and n.name not in chaos.exceptions
                and n.up
                and n.kind != "client"),
                key=lambda n: n.name,
            )
            if not eligible:
                continue
            victim = eligible[stream.randrange(len(eligible))]
            if chaos.leashed:
                self.record("ChaosKillAnnounced", node=victim.name)
                continue
            self.record("FaultInjected", fault="chaos_kill", target=victim.name)
            self._crash(victim, "chaos monkey")

    def _hint_timer(self, index: int, at: float):
        yield self.env.timeout(at)
        if index not in self.hints_revealed:
            self.hints_revealed.append(index)
            self.record("HintRevealed", index=index, text=self.scenario.hints[index].text, cost=0.0)

    # ------------------------------------------------------------------ automation

    def _db_failover_watch(self):
        conf = self.scenario.automation.db_failover
        lost_since: dict[str, float] = {}
        while True:
            yield self.env.timeout(1.0)
            for cluster in self.clusters.values():
                writer = self.nodes[cluster.writer]
                if self._reachable(None, writer):
                    lost_since.pop(cluster.name, None)
                    continue
                since = lost_since.setdefault(cluster.name, self.env.now)
                if self.env.now - since < conf.ttl:
                    continue
                candidates = [
                    self.nodes[n]
                    for n in cluster.members
                    if self.nodes[n].role == "replica"
                    and self.nodes[n].spec.failover_candidate
                    and self._reachable(None, self.nodes[n])
                    and not self.nodes[n].diverged
                ]
                if not candidates:
                    continue
                best = max(candidates, key=lambda n: (n.applied, -n.order))
                self.record("AutomaticFailoverStarted", cluster=cluster.name, candidate=best.name)
                self._promote(best)
                lost_since.pop(cluster.name, None)

    def _dns_failover_watch(self):
        conf = self.scenario.automation.dns_failover
        bad: dict[tuple[str, str], int] = {}
        while True:
            yield self.env.timeout(conf.interval)
            for dns, state in self.dns_state.items():
                for region in self._dns_regions(dns):
                    vips = {self.vip_of[s].name for s in self.graph.successors(dns) if s in self.vip_of and self.nodes[s].region == region}
                    healthy = any(
                        self.vips[v].holder and self._reachable(None, self.nodes[self.vips[v].holder]) for v in vips
                    )
                    key = (dns, region)
                    excluded = region in state["excluded"]
                    if healthy == (not excluded):
                        bad[key] = 0
                        continue
                    bad[key] = bad.get(key, 0) + 1
                    if bad[key] >= conf.threshold:
                        bad[key] = 0
                        if excluded:
                            state["excluded"].discard(region)
                        else:
                            state["excluded"].add(region)
                        weights = dict(self.dns_state[dns]["to"])
                        self._set_dns(dns, weights, "health check")

    def _set_dns(self, dns: str, weights: dict[str, float], why: str) -> None:
        """Change the weights a DNS answers with; clients follow over the TTL."""
        self._changed()
        state = self.dns_state[dns]
        current = self._dns_weights(dns, self.env.now)
        served = {r: (0.0 if r in state["excluded"] else w) for r, w in weights.items()}
        if sum(served.values()) <= 0:
            served = dict(weights)
        state["from"] = current
        state["to"] = {r: w for r, w in served.items()}
        state["requested"] = weights
        state["since"] = self.env.now
        self.record("DnsWeightsChanged", dns=dns, weights={r: round(w, 3) for r, w in served.items()}, why=why)

    # ------------------------------------------------------------------ commands

    def apply(self, command: Command | dict) -> Receipt:
        """Apply a trainee command now. Refusals come back with the reason and are journaled."""
        return self.commands.apply(command)

    def preview(self, command: Command | dict) -> Preview:
        """What ``command`` would do now, in words, without doing it."""
        return self.commands.preview(command)

    def _reveal_hint(self, index: int, cost: float) -> None:
        self.hints_revealed.append(index)
        self._hint_cost += cost
        self.record("HintRevealed", index=index, text=self.scenario.hints[index].text, cost=cost)

    def _promote(self, node: Node) -> None:
        self._changed()
        cluster = self.cluster_of[node.name]
        old = self.nodes[cluster.writer]
        root = self._root_log(node)
        node.log = root.copy_prefix(node.applied) if root is not None else WriteLog()
        behind = (root.count - node.applied) if root is not None else 0
        node.role = "primary"
        node.upstream = None
        node.mode = "async"
        cluster.writer = node.name
        cluster.ack_carry.pop(node.name, None)
        self.record("ReplicaPromoted", node=node.name, cluster=cluster.name, old_primary=old.name)
        if behind > 0:
            cluster.reported_lost[old.name] = cluster.reported_lost.get(old.name, 0) + behind
            self.record("WritesLost", node=old.name, count=behind, reason=f"not replicated to {node.name}")
        for name in cluster.members:
            other = self.nodes[name]
            if other is node or other.role != "replica" or other.destroyed:
                continue
            if other.applied <= node.applied:
                other.upstream = node.name
            else:
                other.diverged = True
                other.replicating = False
                self.record("ReplicaDiverged", node=other.name, ahead_by=other.applied - node.applied)
        if old.up and not self._dark_node(old):
            self.record("SplitBrainStarted", cluster=cluster.name, primaries=[old.name, node.name])

    def _scale_out(self, template: Node, count: int):
        """Add ``count`` booting copies of ``template`` now; returns the process that finishes their boot."""
        self._changed()
        group = template.group or template.name
        made = []
        existing = sum(1 for n in self.nodes.values() if (n.group or n.name) == group)
        for i in range(count):
            name = f"{group}-{existing + i + 1}"
            while name in self.nodes:
                existing += 1
                name = f"{group}-{existing + i + 1}"
            node = Node(
                name=name, kind=template.kind, region=template.region, spec=template.spec, group=group,
                order=len(self.nodes),
            )
            node.booting = True
            node.hold = template.hold
            self.nodes[name] = node
            self.graph.add_node(name, kind=node.kind, region=node.region, spec=node.spec, group=group)
            for src in list(self.graph.predecessors(template.name)):
                self.graph.add_edge(src, name, **self.graph.edges[src, template.name])
                if src in self.health:
                    self.health[src][name] = [False, 0]
            for dst in list(self.graph.successors(template.name)):
                self.graph.add_edge(name, dst, **self.graph.edges[template.name, dst])
            made.append(node)
            self.record("NodeAdded", node=name, group=group)
        self.alerts.retarget({n.name: n.kind for n in self.nodes.values()})
        return self._finish_boot(made, self._boot_time(template))

    def _finish_boot(self, made: list[Node], boot: float):
        yield self.env.timeout(boot)
        self._changed()
        for node in made:
            node.booting = False
            self.record("NodeStarted", node=node.name)

    # ------------------------------------------------------------------ views

    def node_state(self, node: Node) -> str:
        """The state word a trainee sees for a node."""
        if node.destroyed:
            return "destroyed"
        if node.fenced:
            return "fenced"
        if node.booting:
            return "booting"
        for p in self.commands.pending.values():
            if p.command.target == node.name and p.command.spec.shows_as:
                return p.command.spec.shows_as
        if not node.running or node.held or self._dark_node(node):
            return "down"
        if node.kind == "load_balancer" and self.vip_of[node.name].holder != node.name:
            return "standby"
        if node.drained:
            return "draining"
        if node.kind == "database" and node.role == "replica" and (node.diverged or not node.replicating):
            return "degraded"
        if node.kind == "service" and node.feature_off:
            return "degraded"
        m = self.node_metrics.get(node.name, {})
        if m.get("error_ratio", 0.0) > 0.05 or m.get("utilisation", 0.0) > 0.9:
            return "degraded"
        if node.kind == "cache" and node.warm < 0.5:
            return "degraded"
        return "healthy"

    def snapshot(self, history: int = 300) -> Snapshot:
        """An immutable view of everything the trainee may see now."""
        views = []
        pending_by_node = {p.command.target: p for p in self.commands.pending.values()}
        for node in self.nodes.values():
            role = None
            if node.kind == "database":
                role = node.role
            elif node.kind == "load_balancer":
                role = "master" if self.vip_of[node.name].holder == node.name else "backup"
            progress = None
            p = pending_by_node.get(node.name)
            if p is not None and p.ends > p.started:
                frac = (self.env.now - p.started) / (p.ends - p.started)
                progress = f"{p.command.name} {min(99, int(frac * 100))}%"
            metrics = tuple(sorted(self.node_metrics.get(node.name, {}).items()))
            views.append(
                NodeView(node.name, node.kind, node.region, node.group, node.spec.label or node.name,
                         self.node_state(node), node.up and not self._dark_node(node), role, metrics, progress,
                         node.name in self.marks, len(self.scenario.topology.regions))
            )
        edges = []
        for src, dst, attrs in self.graph.edges(data=True):
            m = self.node_metrics.get(dst, {})
            edges.append(EdgeView(src, dst, "traffic", attrs["required"], rate=m.get("requests", 0.0)))
        for node in self.nodes.values():
            if node.kind == "database" and node.role == "replica" and node.upstream:
                edges.append(
                    EdgeView(node.upstream, node.name, "replication", True, lag=self.replica_lag(node),
                             broken=not node.replicating)
                )
        alerts = tuple(
            AlertView(a.id, a.rule.name, a.node, a.rule.severity, a.rule.summary, a.state,
                      a.firing_since if a.firing_since is not None else (a.pending_since or a.resolved_at or 0.0),
                      a.acknowledged, a.value)
            for a in self.alerts.instances.values()
            if a.state != "inactive"
        )
        pending = tuple(
            PendingView(p.id, p.command.name, p.command.target, p.started, p.ends) for p in self.commands.pending.values()
        )
        current = tuple((k, v[-1]) for k, v in self.series.items() if v and k != "t")
        hist = tuple((k, tuple(v[-history:])) for k, v in self.series.items() if k != "t")
        score = self._current_score()
        return Snapshot(
            t=self.env.now, duration=self.duration, finished=self.finished, nodes=tuple(views), edges=tuple(edges),
            alerts=alerts, pending=pending, metrics=current, history=hist,
            hints_revealed=tuple(self.scenario.hints[i].text for i in self.hints_revealed),
            hints_left=len(self.scenario.hints) - len(self.hints_revealed), score=score,
            journal_length=len(self.journal), regions=tuple(self.scenario.topology.regions),
        )

    def _current_score(self) -> float:
        """The score so far, computed as :meth:`outcome` would, once per state (the console asks many times a second)."""
        key = (self.env.now, self._flow_t, len(self.journal), self._version, self.finished)
        if self._score_key != key:
            self._score_key = key
            self._score = score_outcome(self.outcome(), self.scenario).score
        return self._score

    # ------------------------------------------------------------------ ground truth

    def final_data(self) -> dict[str, list[list[int]]]:
        """For each cluster, the writes the surviving copy holds (the writer, or the best survivor)."""
        out = {}
        for cluster in self.clusters.values():
            writer = self.nodes[cluster.writer]
            if not writer.destroyed and writer.log is not None:
                out[cluster.name] = writer.log.ranges
                continue
            best: list[list[int]] = []
            for name in cluster.members:
                node = self.nodes[name]
                if node.destroyed:
                    continue
                ranges = node.log.ranges if node.log is not None else (self._root_log(node).prefix(node.applied) if self._root_log(node) else [])
                if range_count(ranges) > range_count(best):
                    best = ranges
            out[cluster.name] = best
        return out

    def tally(self) -> Tally:
        """The ground truth so far, as scoring reads it."""
        return Tally(
            scenario=self.scenario, tick=self.tick, series=self.series, journal=list(self.journal),
            allocated={c.name: c.allocated for c in self.clusters.values()}, final_data=self.final_data(),
            write_times=self._write_times, split_brain_seconds=self._split_seconds, hint_cost=self._hint_cost,
        )

    def outcome(self) -> Outcome:
        """What users felt and what was lost so far, from the engine's ground truth."""
        return compute_outcome(self.tally())


def _common_prefix(a: list[list[int]], b: list[list[int]]) -> int:
    """How many leading writes two logs share."""
    n = 0
    for (a0, a1), (b0, b1) in zip(a, b):
        if a0 != b0:
            break
        n += min(a1, b1) - a0
        if a1 != b1:
            break
    return n
