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
from dataclasses import dataclass
from typing import Any, Callable

import simpy

from .alerts import AlertEvaluator
from .commands import Command, build_command
from .journal import Journal
from .model import (
    CONNECT_TIMEOUT,
    DEFAULT_BOOT,
    DEFAULT_CALL_TIMEOUT,
    Cluster,
    Node,
    VipGroup,
    WriteLog,
    range_count,
    subtract_ranges,
)
from .rng import Streams
from .schema import Fault, Scenario
from .snapshot import AlertView, EdgeView, NodeView, PendingView, Snapshot
from .topology import build_graph, clusters, vip_groups
from .traffic import RateCurve

# Per-request CPU time of a static request relative to the app's service time.
STATIC_COST = 0.25
# A write costs the database this many read-equivalents of capacity.
WRITE_COST = 2.0
# Latency spread points: (multiplier of the queueing part, weight), so that
# p50, p95 and p99 of an exponential wait land on the right values.
SPREAD = ((0.69, 0.5), (3.0, 0.45), (4.6, 0.04), (6.9, 0.01))
HISTORY = 600  # seconds of per-node metric history kept for views


@dataclass(frozen=True)
class Receipt:
    """What happened to an applied command."""

    id: int
    command: str
    target: str | None
    accepted: bool
    reason: str = ""
    completes_at: float | None = None


@dataclass(frozen=True)
class Preview:
    """What a command would do now, for confirmation dialogs."""

    command: str
    target: str | None
    destructive: bool
    allowed: bool
    text: str


class Refused(Exception):
    """A command cannot be applied now; the message says why."""


@dataclass
class _Pending:
    id: int
    command: Command
    started: float
    ends: float


class _SecondAcc:
    """Sums for the second being integrated."""

    __slots__ = ("total", "ok", "degraded", "failed", "points", "w_total", "w_ok", "w_failed", "acked")

    def __init__(self) -> None:
        self.total = self.ok = self.degraded = self.failed = 0.0
        self.w_total = self.w_ok = self.w_failed = 0.0
        self.acked = 0
        self.points: list[tuple[float, float]] = []


def _percentiles(points: list[tuple[float, float]], qs: tuple[float, ...]) -> list[float]:
    if not points:
        return [0.0 for _ in qs]
    points.sort()
    total = sum(w for _, w in points)
    out = []
    i = 0
    acc = 0.0
    for q in qs:
        goal = q * total
        while i < len(points) - 1 and acc + points[i][1] < goal:
            acc += points[i][1]
            i += 1
        out.append(points[i][0])
    return out


class Simulation:
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
        self._flow_t = 0.0
        self._seg_end = 0.0
        self._next_id = 0
        self._write_times: list[tuple[int, float]] = []
        self._cmd_seq = 0
        self._pending: dict[int, _Pending] = {}
        self._hints_revealed: list[int] = []
        self._hint_cost = 0.0
        self._dark: set[str] = set()
        self._partitions: list[tuple[frozenset[str], frozenset[str]]] = []
        self._faults: dict[int, tuple[Fault, str]] = {}
        self._destroyed_logs: list[list[list[int]]] = []
        self.finished = False

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
        self._node_metric_names: dict[str, tuple[str, ...]] = {}

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
        until = min(float(until), self.duration)
        if until <= self.env.now:
            return
        self.env.run(until=until)
        self._integrate(until)
        if until >= self.duration and not self.finished:
            self.finished = True
            self.journal.record(self.duration, "DrillEnded")

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
        while self._flow_t < t - 1e-12:
            boundary = math.floor(self._flow_t + 1e-9) + 1.0
            end = min(t, boundary)
            self._step(self._flow_t, end - self._flow_t)
            self._flow_t = end
            if end >= boundary - 1e-9:
                self._flow_t = boundary
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

    # ------------------------------------------------------------------ the plan

    def _plan(self) -> None:
        """Routing structures that only change when the topology state does."""
        g = self.graph
        self._plan_version = self._version
        plan_apps: dict[str, dict[str, list]] = {}
        for node in self.nodes.values():
            if node.kind != "app_server":
                continue
            caches, dbs, services = [], [], []
            for target in g.successors(node.name):
                attrs = g.edges[node.name, target]
                kind = self.nodes[target].kind
                timeout = attrs["timeout"] or DEFAULT_CALL_TIMEOUT.get(kind, 1.0)
                if kind == "cache":
                    caches.append((self.nodes[target], timeout))
                elif kind == "database":
                    cluster = self.cluster_of[target]
                    if all(c is not cluster for c, _ in dbs):
                        dbs.append((cluster, timeout))
                elif kind == "service":
                    services.append((self.nodes[target], attrs["share"], timeout, attrs["fallback"]))
            plan_apps[node.name] = {"caches": caches, "dbs": dbs, "services": services}
        self._plan_apps = plan_apps
        # client entries
        entries: dict[str, tuple[list, list]] = {}
        for node in self.nodes.values():
            if node.kind != "client":
                continue
            dynamic, static = [], []
            for target in g.successors(node.name):
                kind = self.nodes[target].kind
                if kind == "cdn":
                    static.append(("cdn", target))
                elif kind in ("dns", "load_balancer"):
                    dynamic.append(("dns" if kind == "dns" else "vip", target))
            entries[node.name] = (dynamic, static or dynamic)
        self._entries = entries
        self._pools = {
            lb: [self.nodes[a] for a, state in self.health[lb].items() if state[0] and not self.nodes[a].drained]
            for lb in self.health
        }

    # ------------------------------------------------------------------ the flow (hot path)

    def _dns_weights(self, dns: str, t: float) -> dict[str, float]:
        state = self.dns_state[dns]
        frac = min(1.0, max(0.0, (t - state["since"]) / self.nodes[dns].spec.ttl))
        old, new = state["from"], state["to"]
        out = {r: old.get(r, 0.0) + (new.get(r, 0.0) - old.get(r, 0.0)) * frac for r in new}
        total = sum(out.values())
        return {r: w / total for r, w in out.items()} if total > 0 else out

    def _route(self, kind: str, name: str, t: float, amount: float, cls: int, into: dict, origin_of: str | None) -> None:
        """Push ``amount`` requests of class ``cls`` towards VIP groups, recording failures on the way."""
        if amount <= 0:
            return
        if kind == "vip":
            vip = self.vip_of[name]
            key = (vip.name, origin_of)
            arr = into.get(key)
            if arr is None:
                arr = into[key] = [0.0, 0.0, 0.0, 0.0]
            arr[cls] += amount
            return
        # DNS: weighted regions, failing over the TTL while the resolver is down
        node = self.nodes[name]
        fail = 0.0
        if not node.up:
            down = self.dns_state[name]["down_since"] or t
            fail = min(1.0, (t - down) / node.spec.ttl)
        if fail > 0:
            self._fail(cls, amount * fail, CONNECT_TIMEOUT, origin_of)
            amount *= 1.0 - fail
        weights = self._dns_weights(name, t)
        targets = [s for s in self.graph.successors(name)]
        for region, weight in weights.items():
            if weight <= 0:
                continue
            lbs = [s for s in targets if self.nodes[s].region == region]
            vips = []
            for lb in lbs:
                vip = self.vip_of.get(lb)
                if vip is not None and vip.name not in vips:
                    vips.append(vip.name)
            for vip_name in vips:
                self._route("vip", self.vips[vip_name].members[0], t, amount * weight / len(vips), cls, into, origin_of)

    def _fail(self, cls: int, amount: float, latency: float, origin_of: str | None) -> None:
        """Account failed requests (a CDN origin fetch that fails may still be served stale)."""
        acc = self._acc
        if cls == 3 and origin_of is not None:
            cdn = self.nodes[origin_of]
            if cdn.spec.stale_if_error and cdn.up:
                acc.ok += amount
                acc.points.append((cdn.spec.latency, amount))
                return
        acc.failed += amount
        acc.points.append((min(latency, self._client_timeout), amount))
        if cls == 1:
            acc.w_failed += amount

    def _ok(self, cls: int, amount: float, latency: float, spread: float, degraded: bool = False) -> None:
        if amount <= 0:
            return
        acc = self._acc
        if degraded:
            acc.degraded += amount
        else:
            acc.ok += amount
        base = latency - spread
        pts = acc.points
        limit = self._client_timeout
        for mult, weight in SPREAD:
            value = base + spread * mult
            pts.append((value if value < limit else limit, amount * weight))

    def _queue(self, node: Node, arrivals: float, capacity: float, timeout: float, dt: float) -> float:
        """Fluid queue update; returns the fraction of ``arrivals`` that time out waiting."""
        mu = capacity
        lam = arrivals / dt if dt > 0 else 0.0
        backlog = node.backlog + (lam - mu) * dt
        if backlog < 0:
            backlog = 0.0
        limit = mu * timeout
        dropped = 0.0
        if backlog > limit:
            dropped = backlog - limit
            backlog = limit
        node.backlog = backlog
        rho = lam / mu if mu > 0 else 10.0
        node.util = rho
        node.m_util += rho * dt
        return min(1.0, dropped / arrivals) if arrivals > 0 else 0.0

    def _mmc_wait(self, hold: float, rho: float, servers: float) -> float:
        """Mean queueing delay of an M/M/c queue (Sakasegawa's approximation)."""
        if rho <= 0:
            return 0.0
        rho = min(rho, 0.98)
        c = max(1.0, servers)
        return hold * rho ** (math.sqrt(2.0 * (c + 1.0)) - 1.0) / (c * (1.0 - rho))

    def _call(self, src: Node, dst: Node, timeout: float) -> tuple[float, float, float]:
        """Outcome of ``src`` calling ``dst``: (fraction ok, latency when ok, latency when failed)."""
        if not self._reachable(src, dst):
            return 0.0, 0.0, (0.002 if self._fails_fast(src, dst) else timeout)
        base = dst.latency
        if src.region != dst.region:
            base += self.scenario.topology.inter_region_rtt
        fail = dst.drop + (1.0 - dst.drop) * dst.err
        if base >= timeout:
            return 0.0, 0.0, timeout
        if dst.wait > 1e-9:
            late = math.exp(-(timeout - base) / dst.wait)
            fail += (1.0 - fail) * late
        return 1.0 - fail, base, timeout if fail > dst.err else 0.002

    def _step(self, t0: float, dt: float) -> None:
        if self._plan_version != self._version:
            self._plan()
        t = t0 + dt * 0.5
        self._seg_end = t0 + dt
        nodes = self.nodes
        acc = self._acc
        # 1. clients -> VIP groups
        into: dict[tuple[str, str | None], list[float]] = {}
        for client, (dynamic, static) in self._entries.items():
            curves = self.curves[client]
            for cls in (0, 1, 2):
                amount = curves[cls].at(t) * dt
                if amount <= 0:
                    continue
                acc.total += amount
                if cls == 1:
                    acc.w_total += amount
                targets = static if cls == 2 else dynamic
                if not targets:
                    self._fail(cls, amount, CONNECT_TIMEOUT, None)
                    continue
                share = amount / len(targets)
                for kind, name in targets:
                    if kind == "cdn":
                        self._cdn(nodes[name], share, t, into)
                    else:
                        self._route(kind, name, t, share, cls, into, None)
        # 2. VIP groups -> app servers
        app_in: dict[str, list[float]] = {}
        origin_in: dict[str, dict[str, float]] = {}
        for (vip_name, origin), amounts in into.items():
            self._balance(self.vips[vip_name], amounts, origin, app_in, origin_in)
        # 3. app servers admit what their workers can take; downstream load
        plan_apps = self._plan_apps
        admitted: dict[str, tuple[float, float, float, float, float]] = {}
        idle = [0.0, 0.0, 0.0, 0.0]
        for name, plan in plan_apps.items():
            amounts = app_in.get(name, idle)
            node = nodes[name]
            total = amounts[0] + amounts[1] + amounts[2] + amounts[3]
            st = node.spec.service_time * node.slow
            hold_r, hold_w = self._app_hold(node, plan, st)
            hold_s = st * STATIC_COST
            busy = amounts[0] * hold_r + amounts[1] * hold_w + (amounts[2] + amounts[3]) * hold_s
            hold = busy / total if total > 0 else hold_r
            # workers see dependency latency through the requests they hold: smooth over ~2 s
            if node.hold > 0:
                hold = node.hold + (hold - node.hold) * min(1.0, dt / 2.0)
            # two limits: the CPUs (capacity, scaled by the request mix's CPU cost) and the
            # worker pool (workers / seconds each request holds one)
            cpu = (amounts[0] + amounts[1]) * st + (amounts[2] + amounts[3]) * st * STATIC_COST
            cpu_per_req = cpu / total if total > 0 else st
            cpu_capacity = node.spec.capacity * node.spec.service_time / cpu_per_req / node.cap_div
            capacity = min(cpu_capacity, node.spec.workers / hold if hold > 0 else 1e9)
            drop = self._queue(node, total, capacity, node.spec.queue_timeout, dt)
            wait = node.backlog / capacity + self._mmc_wait(hold, node.util, node.spec.workers)
            node.wait = wait
            node.hold = hold
            node.latency = hold + wait
            node.drop = drop
            served = (1.0 - drop) * (1.0 - node.err)
            node.m_req += total
            if total <= 0:
                continue
            admitted[name] = (served, wait, hold_r, hold_w, hold_s)
            reads = amounts[0] * served
            writes = amounts[1] * served
            for cache, _ in plan["caches"][:1]:
                cache.m_in += reads
            for cluster, _ in plan["dbs"][:1]:
                miss = reads * (1.0 - self._hit(plan)) + writes * WRITE_COST
                for primary in self._writers(cluster, node):
                    primary.m_in += miss / max(1, len(self._writers(cluster, node)))
            for svc, share, _, _ in plan["services"]:
                if not svc.feature_off:
                    svc.m_in += reads * share
        # 4. downstream queues
        for node in self._downstream:
            arrivals = node.m_in
            node.m_in = 0.0
            node.m_req += arrivals
            if not node.up:
                node.util = 0.0
                node.backlog = 0.0
                continue
            spec = node.spec
            capacity = spec.capacity / node.cap_div / node.slow
            timeout = DEFAULT_CALL_TIMEOUT.get(node.kind, 1.0)
            node.drop = self._queue(node, arrivals, capacity, timeout, dt)
            base = (spec.read_latency if node.kind == "database" else spec.latency) * node.slow
            wait = node.backlog / capacity + self._mmc_wait(base, node.util, 8.0)
            node.wait = wait
            node.latency = base + wait
            node.m_wlat += node.latency * dt
            if node.kind == "cache" and arrivals > 0 and node.warm < 1.0:
                node.warm += (1.0 - node.warm) * min(1.0, dt / spec.warmup)
        # 5. outcomes per app server
        for name, amounts in app_in.items():
            self._outcomes(nodes[name], amounts, admitted[name], plan_apps[name], origin_in.get(name), dt)
        # 6. replication
        self._replicate(t0 + dt, dt)

    def _cdn(self, cdn: Node, amount: float, t: float, into: dict) -> None:
        cdn.m_req += amount
        if not cdn.up:
            self._fail(2, amount, CONNECT_TIMEOUT, None)
            cdn.m_fail += amount
            return
        hit = amount * cdn.spec.hit_ratio
        self._ok(2, hit, cdn.spec.latency, cdn.spec.latency * 0.3)
        miss = amount - hit
        origins = [s for s in self.graph.successors(cdn.name)]
        if not origins:
            self._fail(2, miss, CONNECT_TIMEOUT, None)
            return
        for origin in origins:
            kind = "dns" if self.nodes[origin].kind == "dns" else "vip"
            self._route(kind, origin, t, miss / len(origins), 3, into, cdn.name)

    def _balance(self, vip: VipGroup, amounts: list[float], origin: str | None, app_in: dict, origin_in: dict) -> None:
        holder = self.nodes[vip.holder] if vip.holder else None
        total = amounts[0] + amounts[1] + amounts[2] + amounts[3]
        if holder is None or not self._reachable(None, holder) or self.env.now < vip.in_transition_until:
            for cls in range(4):
                self._fail(cls, amounts[cls], CONNECT_TIMEOUT, origin)
            if holder is not None:
                holder.m_req += total
                holder.m_fail += total
            return
        holder.m_req += total
        lb_latency = holder.spec.latency
        keep = (1.0 - vip.shed) * (1.0 - holder.err)
        if keep < 1.0:
            for cls in range(4):
                self._fail(cls, amounts[cls] * (1.0 - keep), lb_latency + 0.001, origin)
            holder.m_fail += total * (1.0 - keep)
        pool = self._pools.get(holder.name, [])
        if not pool:
            for cls in range(4):
                self._fail(cls, amounts[cls] * keep, lb_latency + 0.001, origin)
            holder.m_fail += total * keep
            return
        good, refused, lost = [], [], []
        for app in pool:
            if self._reachable(holder, app):
                good.append(app)
            elif self._fails_fast(holder, app):
                refused.append(app)
            else:
                lost.append(app)
        weights = {a.name: a.spec.capacity for a in pool}
        total_w = sum(weights.values())
        redispatch = holder.spec.retries > 0 and good
        good_w = sum(weights[a.name] for a in good)
        for app in pool:
            share = keep * weights[app.name] / total_w
            if app in good:
                if redispatch:
                    lost_w = sum(weights[a.name] for a in refused)
                    share = keep * (weights[app.name] + lost_w * weights[app.name] / good_w) / total_w
                arr = app_in.get(app.name)
                if arr is None:
                    arr = app_in[app.name] = [0.0, 0.0, 0.0, 0.0]
                for cls in range(4):
                    arr[cls] += amounts[cls] * share
                if origin is not None and amounts[3] > 0:
                    per = origin_in.setdefault(app.name, {})
                    per[origin] = per.get(origin, 0.0) + amounts[3] * share
                continue
            if app in refused and redispatch:
                continue
            latency = 0.003 if app in refused else CONNECT_TIMEOUT
            for cls in range(4):
                self._fail(cls, amounts[cls] * share, latency, origin)
            app.m_req += total * share
            app.m_fail += total * share
            holder.m_fail += total * share

    def _hit(self, plan: dict) -> float:
        for cache, _ in plan["caches"][:1]:
            if cache.up:
                return cache.spec.hit_ratio * cache.warm
        return 0.0

    def _writers(self, cluster: Cluster, app: Node) -> list[Node]:
        """The primaries this app server's writes reach (two or more in a split brain)."""
        nodes = self.nodes
        writer = nodes[cluster.writer]
        out = [writer]
        for name in cluster.members:
            node = nodes[name]
            if node is not writer and node.role == "primary" and node.up:
                out.append(node)
        return out

    def _app_hold(self, node: Node, plan: dict, st: float) -> tuple[float, float]:
        """Seconds a worker is held by a read and by a write, from downstream latencies."""
        read = st
        write = st
        hit = self._hit(plan)
        for cache, timeout in plan["caches"][:1]:
            ok, lat, fail_lat = self._call(node, cache, timeout)
            read += ok * lat + (1.0 - ok) * fail_lat
        for cluster, timeout in plan["dbs"][:1]:
            writer = self.nodes[cluster.writer]
            ok, lat, fail_lat = self._call(node, writer, timeout)
            read += (1.0 - hit) * (ok * lat + (1.0 - ok) * fail_lat)
            stall = self._sync_stalled(cluster, writer)
            if stall or cluster.read_only:
                write += timeout if stall else 0.0
            else:
                wl = writer.spec.write_latency * writer.slow + writer.wait + self._sync_cost(cluster, writer)
                write += ok * min(wl, timeout) + (1.0 - ok) * fail_lat
        for svc, share, timeout, _ in plan["services"]:
            if svc.feature_off:
                continue
            ok, lat, fail_lat = self._call(node, svc, timeout)
            read += share * (ok * lat + (1.0 - ok) * fail_lat)
        return read, write

    def _sync_standbys(self, cluster: Cluster, primary: Node) -> list[Node]:
        return [
            self.nodes[n]
            for n in cluster.members
            if self.nodes[n].role == "replica" and self.nodes[n].mode == "sync" and self.nodes[n].upstream == primary.name
        ]

    def _sync_stalled(self, cluster: Cluster, primary: Node) -> bool:
        """Synchronous commit needs one caught-up sync standby (ANY 1); without it writes wait."""
        standbys = self._sync_standbys(cluster, primary)
        if not standbys:
            return False
        return not any(s.caught_up and self._reachable(primary, s) and not s.replication_broken for s in standbys)

    def _sync_cost(self, cluster: Cluster, primary: Node) -> float:
        standbys = self._sync_standbys(cluster, primary)
        if not standbys:
            return 0.0
        best = min(
            s.spec.sync_rtt * s.slow + (self.scenario.topology.inter_region_rtt if s.region != primary.region else 0.0)
            for s in standbys
        )
        return best

    def _outcomes(self, app: Node, amounts: list[float], adm: tuple, plan: dict, origins: dict | None, dt: float) -> None:
        served, wait, hold_r, hold_w, hold_s = adm
        lb = 0.001
        timeout_app = app.spec.queue_timeout
        rejected = 1.0 - served
        app_fail_lat = timeout_app if app.drop > 0 else 0.005
        # requests that never got a worker (or hit the error fault)
        for cls in range(4):
            if amounts[cls] > 0 and rejected > 0:
                if cls == 3 and origins:
                    for cdn, amount in origins.items():
                        self._fail(3, amount * rejected, app_fail_lat, cdn)
                else:
                    self._fail(cls, amounts[cls] * rejected, app_fail_lat, None)
        app.m_fail += sum(amounts) * rejected
        spread = wait
        # static (and CDN origin fetches): served from the app's own disk
        static_ok = amounts[2] * served
        self._client_ok(2, static_ok, lb + wait + hold_s, spread, app, None)
        if origins:
            for cdn, amount in origins.items():
                self._client_ok(3, amount * served, lb + wait + hold_s, spread, app, cdn)
        # reads: cache, then database, plus optional services
        reads = amounts[0] * served
        writes = amounts[1] * served
        hit = 0.0
        cache_lat = 0.0
        data_ok = 1.0
        db_lat = 0.0
        fail_lat = 0.0
        cache_ok = 0.0
        for cache, timeout in plan["caches"][:1]:
            cache_ok, lat, flat = self._call(app, cache, timeout)
            hit = cache_ok * self._hit(plan)
            cache_lat = cache_ok * lat + (1.0 - cache_ok) * flat
            cache.m_fail += reads * (1.0 - cache_ok)
        db_ok = 1.0
        writers: list[Node] = []
        cluster = None
        db_timeout = 3.0
        for cluster, db_timeout in plan["dbs"][:1]:
            writers = self._writers(cluster, app)
            oks = [self._call(app, w, db_timeout) for w in writers]
            db_ok = sum(o[0] for o in oks) / len(oks)
            db_lat = sum(o[1] for o in oks) / len(oks)
            fail_lat = max(o[2] for o in oks)
            data_ok = hit + (1.0 - hit) * db_ok
            for w, o in zip(writers, oks):
                w.m_fail += reads * (1.0 - hit) * (1.0 - o[0]) / len(oks)
        if not plan["dbs"]:
            data_ok = 1.0
        ok_all = data_ok
        no_fail = data_ok
        svc_lat = 0.0
        for svc, share, timeout, fallback in plan["services"]:
            if svc.feature_off:
                ok_all *= 1.0 - share
                continue
            s_ok, s_lat, s_flat = self._call(app, svc, timeout)
            svc.m_fail += reads * share * (1.0 - s_ok)
            ok_all *= (1.0 - share) + share * s_ok
            if not fallback:
                no_fail *= (1.0 - share) + share * s_ok
            svc_lat += share * (s_ok * s_lat + (1.0 - s_ok) * s_flat)
            fail_lat = max(fail_lat, s_flat)
        read_lat = lb + wait + app.spec.service_time * app.slow + cache_lat + (1.0 - hit) * db_lat + svc_lat
        self._client_ok(0, reads * ok_all, read_lat, spread, app, None)
        self._client_ok(0, reads * (no_fail - ok_all), read_lat, spread, app, None, degraded=True)
        if reads * (1.0 - no_fail) > 0:
            self._fail(0, reads * (1.0 - no_fail), lb + wait + max(fail_lat, 0.005), None)
            app.m_fail += reads * (1.0 - no_fail)
        # writes: the cluster's primary (or primaries, in a split brain)
        if writes > 0:
            if cluster is None:
                self._client_ok(1, writes, lb + wait + hold_w, spread, app, None)
                return
            if cluster.read_only:
                self._fail(1, writes, lb + wait + 0.005, None)
                app.m_fail += writes
                return
            per = writes / len(writers)
            for writer in writers:
                ok, lat, flat = self._call(app, writer, db_timeout)
                if ok > 0 and self._sync_stalled(cluster, writer):
                    ok, flat = 0.0, db_timeout
                good = per * ok
                if good > 0:
                    lat_w = lb + wait + app.spec.service_time * app.slow + writer.spec.write_latency * writer.slow
                    lat_w += writer.wait + self._sync_cost(cluster, writer)
                    good = self._client_ok(1, good, lat_w, spread, app, None)
                    self._ack(cluster, writer, good)
                bad = per - good
                if bad > 0:
                    self._fail(1, bad, lb + wait + flat, None)
                    app.m_fail += bad
                    writer.m_fail += bad

    def _client_ok(
        self, cls: int, amount: float, latency: float, spread: float, app: Node, cdn: str | None, degraded: bool = False
    ) -> float:
        """Serve ``amount`` requests at ``latency``; users past their timeout give up. Returns those served."""
        if amount <= 0:
            return 0.0
        limit = self._client_timeout
        late = 0.0
        if latency >= limit:
            late = 1.0
        elif spread > 1e-9:
            late = math.exp(-(limit - latency) / spread) * 0.5
        if late > 0:
            self._fail(cls, amount * late, limit, cdn)
            app.m_fail += amount * late
            amount *= 1.0 - late
        if cls == 3 and cdn is not None:
            latency += self.nodes[cdn].spec.latency
        self._ok(cls, amount, latency, spread, degraded)
        app.m_lat += amount * latency
        app.m_ok += amount
        return amount

    def _ack(self, cluster: Cluster, primary: Node, amount: float) -> None:
        """Acknowledge writes on ``primary``: whole writes get ids and go into its log."""
        carry = cluster.ack_carry.get(primary.name, 0.0) + amount
        n = int(carry)
        cluster.ack_carry[primary.name] = carry - n
        if n <= 0:
            return
        now = self._seg_end
        start = self._next_id
        self._next_id += n
        primary.log.append(start, n, now)
        allocated = cluster.allocated
        if allocated and allocated[-1][1] == start:
            allocated[-1][1] = start + n
        else:
            allocated.append([start, start + n])
        self._write_times.append((start, now))
        self._acc.acked += n
        self._acc.w_ok += n
        # synchronous standbys hold the write before it is acknowledged
        for standby in self._sync_standbys(cluster, primary):
            if standby.caught_up and self._reachable(primary, standby) and not standby.replication_broken:
                standby.applied = primary.log.count

    def _replicate(self, now: float, dt: float) -> None:
        nodes = self.nodes
        for cluster in self.clusters.values():
            for name in cluster.members:
                node = nodes[name]
                if node.role != "replica" or node.upstream is None:
                    continue
                up = nodes[node.upstream]
                log = self._root_log(node)
                if log is None or node.diverged:
                    node.replicating = False
                    continue
                streaming = node.up and up.up and not node.replication_broken and self._reachable(node, up) and self._reachable(up, node)
                node.replicating = streaming
                if not streaming:
                    if node.mode == "sync":
                        node.caught_up = False
                    continue
                if node.mode == "sync" and node.caught_up:
                    node.applied = log.count
                    continue
                delay = node.spec.lag + node.lag_extra
                rate = node.spec.apply_rate / node.slow
                recent = self._write_rate(log, now)
                rho = recent / rate if rate > 0 else 10.0
                if rho < 1.0:
                    delay += (1.0 / rate) * rho / (1.0 - rho)
                target = log.count_at(now - delay)
                if up.role == "replica":
                    target = min(target, up.applied)
                step = rate * dt
                if target > node.applied:
                    node.applied = min(target, node.applied + max(1, int(step)))
                if node.mode == "sync" and node.applied >= log.count:
                    node.caught_up = True

    def _write_rate(self, log: WriteLog, now: float) -> float:
        marks_t = log.marks_t
        if not marks_t or now - marks_t[-1] > 5.0:
            return 0.0
        first = log.count_at(now - 5.0)
        return (log.count - first) / 5.0

    # ------------------------------------------------------------------ per-second metrics

    @property
    def _downstream(self) -> list[Node]:
        cache = getattr(self, "_downstream_cache", None)
        if cache is None or cache[0] != len(self.nodes):
            cache = (len(self.nodes), [n for n in self.nodes.values() if n.kind in ("cache", "database", "service")])
            self._downstream_cache = cache
        return cache[1]

    def _close_second(self, t: float) -> None:
        acc = self._acc
        self._acc = _SecondAcc()
        s = self.series
        total = acc.total
        served = acc.ok + acc.degraded
        p50, p95, p99 = _percentiles(acc.points, (0.5, 0.95, 0.99))
        s["t"].append(t)
        s["requests"].append(total)
        s["ok"].append(acc.ok)
        s["degraded"].append(acc.degraded)
        s["failed"].append(acc.failed)
        s["availability"].append(served / total if total > 0 else 1.0)
        s["error_ratio"].append(acc.failed / total if total > 0 else 0.0)
        s["p50"].append(p50)
        s["p95"].append(p95)
        s["p99"].append(p99)
        s["writes"].append(acc.w_total)
        s["writes_acked"].append(float(acc.acked))
        s["writes_failed"].append(acc.w_failed)
        s["write_error_ratio"].append(acc.w_failed / acc.w_total if acc.w_total > 0 else 0.0)
        budget = 1.0 - self.scenario.slo.target
        s["burn_short"].append(self._window_ratio(self.scenario.slo.burn_short_window) / budget)
        s["burn_long"].append(self._window_ratio(self.scenario.slo.burn_long_window) / budget)
        split = self._split_brain_count()
        s["split_brain"].append(float(split))
        if split:
            self._split_seconds += 1.0
        s["redundant"].append(1.0 if self._redundant() else 0.0)
        node_metrics: dict[str, dict[str, float]] = {}
        db_load = 0.0
        hit = 1.0
        max_lag = 0.0
        for node in self.nodes.values():
            m = self._node_second(node)
            node_metrics[node.name] = m
            if node.kind == "database" and node.role == "primary":
                db_load = max(db_load, m.get("utilisation", 0.0))
            if node.kind == "cache":
                hit = min(hit, m.get("hit_ratio", 0.0))
            if node.kind == "database" and node.role == "replica":
                max_lag = max(max_lag, m.get("lag", 0.0))
        s["db_load"].append(db_load)
        s["cache_hit_ratio"].append(hit)
        s["max_lag"].append(max_lag)
        self.node_metrics = node_metrics
        global_metrics = {k: v[-1] for k, v in s.items()}
        if int(t) % max(1, int(self.alerts.interval)) == 0:
            for change, alert in self.alerts.evaluate(t, global_metrics, node_metrics):
                if change == "fired":
                    self.journal.record(
                        t, "AlertFired", alert=alert.id, rule=alert.rule.name, node=alert.node,
                        severity=alert.rule.severity, value=round(alert.value, 4),
                    )
                else:
                    self.journal.record(t, "AlertResolved", alert=alert.id, rule=alert.rule.name, node=alert.node)

    def _window_ratio(self, window: float) -> float:
        s = self.series
        n = int(window)
        req = s["requests"][-n:]
        failed = s["failed"][-n:]
        total = sum(req)
        return sum(failed) / total if total > 0 else 0.0

    def _node_second(self, node: Node) -> dict[str, float]:
        req, fail, ok, lat = node.m_req, node.m_fail, node.m_ok, node.m_lat
        util, wlat = node.m_util, node.m_wlat
        node.m_req = node.m_fail = node.m_ok = node.m_lat = node.m_util = node.m_wlat = 0.0
        up = 1.0 if node.up and not self._dark_node(node) else 0.0
        m: dict[str, float] = {"up": up}
        kind = node.kind
        if kind != "client":
            m["requests"] = req
            m["error_ratio"] = min(1.0, fail / req) if req > 0 else 0.0
        if kind in ("app_server", "cache", "database", "service"):
            m["utilisation"] = util if node.up else 0.0
            if kind == "app_server":
                m["latency"] = lat / ok if ok > 0 else node.latency
            else:
                m["latency"] = wlat if wlat > 0 else node.latency
            m["queue"] = node.backlog
        if kind == "cache":
            m["hit_ratio"] = node.spec.hit_ratio * node.warm if node.up else 0.0
        elif kind == "cdn":
            m["hit_ratio"] = node.spec.hit_ratio if node.up else 0.0
        elif kind == "database":
            m["primary"] = 1.0 if node.role == "primary" else 0.0
            if node.role == "replica":
                m["lag"] = self.replica_lag(node)
                m["replicating"] = 1.0 if node.replicating else 0.0
                m["position"] = float(node.applied)
            elif node.log is not None:
                m["position"] = float(node.log.count)
        elif kind == "load_balancer":
            vip = self.vip_of[node.name]
            m["holds_vip"] = 1.0 if vip.holder == node.name else 0.0
            if vip.holder == node.name:
                m["healthy_backends"] = float(len(self._pools.get(node.name, [])) if hasattr(self, "_pools") else 0)
        self._node_metric_names.setdefault(node.name, tuple(m))
        hist = self.node_history.get(node.name)
        if hist is None:
            hist = self.node_history[node.name] = deque(maxlen=HISTORY)
        hist.append(tuple(m.get(k, 0.0) for k in self._node_metric_names[node.name]))
        return m

    def replica_lag(self, node: Node) -> float:
        """Seconds of acknowledged writes the replica does not have yet.

        The span from the first write it lacks to the newest write of its
        primary's log: what a failover to it now would lose, in time.
        """
        if node.upstream is None or node.role != "replica":
            return 0.0
        log = self._root_log(node)
        if log is None or node.applied >= log.count:
            return 0.0
        since = log.time_of(node.applied + 1)
        return max(0.0, log.marks_t[-1] - since) if since is not None else 0.0

    def _split_brain_count(self) -> int:
        """Clusters in which more than one primary can take writes from some app server."""
        count = 0
        for cluster in self.clusters.values():
            primaries = [self.nodes[n] for n in cluster.members if self.nodes[n].role == "primary" and self.nodes[n].up]
            if len(primaries) < 2:
                continue
            apps = [self.nodes[a] for a in self._writers_of(cluster)]
            writable = [p for p in primaries if any(self._reachable(a, p) for a in apps)]
            if len(writable) > 1:
                count += 1
        return count

    def _writers_of(self, cluster: Cluster) -> list[str]:
        """App servers that write to a cluster."""
        out = []
        for name, plan in self._plan_apps.items():
            if any(c is cluster for c, _ in plan["dbs"]):
                out.append(name)
        return out

    def _redundant(self) -> bool:
        """Is every piece of designed redundancy in place (and working)?"""
        for vip in self.vips.values():
            healthy = [m for m in vip.members if self.nodes[m].up]
            if len(healthy) < self._design["vip"][vip.name] or vip.holder not in healthy:
                return False
        for cluster in self.clusters.values():
            writer = self.nodes[cluster.writer]
            if not writer.up or writer.role != "primary":
                return False
            streaming = [n for n in cluster.members if self.nodes[n].role == "replica" and self.nodes[n].replicating]
            if len(streaming) < cluster.design_replicas:
                return False
        counts: dict[str, int] = {}
        for node in self.nodes.values():
            if node.kind in ("app_server", "cache", "service", "cdn", "dns") and node.up and not node.drained:
                key = node.group or node.name
                counts[key] = counts.get(key, 0) + 1
        return all(counts.get(k, 0) >= v for k, v in self._design["groups"].items())

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
        self.journal.record(self.env.now, "NodeCrashed", node=node.name, cause=cause)
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
        self.journal.record(self.env.now, "NodeRecovered", node=node.name, cause=cause)
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
                    self.journal.record(self.env.now, "PrimaryReturned", node=node.name, cluster=cluster.name)

    def _auto_restart(self, node: Node, crashed_at: float, delay: float):
        yield self.env.timeout(delay)
        if node.crashed_at == crashed_at and not node.running and not node.fenced and not node.destroyed:
            self.journal.record(self.env.now, "AutoRestartStarted", node=node.name)
            yield from self._boot(node)

    def _boot(self, node: Node):
        """Take a node through a restart: down, booting, then up."""
        self._changed()
        was_up = node.up
        node.running = True
        node.booting = True
        node.fenced = False
        node.backlog = 0.0
        node.boot_done = self.env.now + self._boot_time(node)
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
        self.journal.record(self.env.now, "NodeStarted", node=node.name)
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
            self.journal.record(self.env.now, "WritesLost", node=node.name, count=lost, reason=f"rewound when {why}")
        node.role = "replica"
        node.log = None
        node.upstream = writer.name
        node.applied = common
        node.diverged = False
        node.mode = node.spec.replication if node.spec.role == "replica" else "async"
        node.caught_up = node.mode != "sync"
        self.journal.record(self.env.now, "ReplicaRejoined", node=node.name, upstream=writer.name, why=why)

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
        self.journal.record(self.env.now, "VipMoved", vip=vip.name, old=old, new=to, why=why)

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
            # the check endpoint needs a free worker but no dependency: it fails when the queue is deep
            passed = self._reachable(lb, app) and app.wait + app.spec.service_time * app.slow < hc.timeout
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
                self.journal.record(
                    self.env.now, "BackendMarkedUp" if passed else "BackendMarkedDown", lb=lb.name, backend=app_name
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
                rest = fault.period - fault.down_for
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
        self.journal.record(
            self.env.now, "FaultInjected", fault=fault.type, target=fault.target or "/".join(fault.between or [])
        )
        self._faults[index] = (fault, "active")
        kind = fault.type
        if kind in ("crash", "dependency_outage"):
            node = self.nodes[fault.target]
            if fault.destroy:
                self._changed()
                node.destroyed = True
            self._crash(node, kind)
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
        self.journal.record(self.env.now, "FaultCleared", fault=fault.type, target=fault.target or "/".join(fault.between or []))
        kind = fault.type
        if kind in ("crash", "dependency_outage"):
            if not fault.destroy:
                self._recover(self.nodes[fault.target], "fault cleared")
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
            eligible = [
                n
                for n in self.nodes.values()
                if (n.group in grouping or n.kind in grouping or n.name in grouping)
                and n.name not in chaos.exceptions
                and n.up
                and n.kind != "client"
            ]
            if not eligible:
                continue
            victim = eligible[stream.randrange(len(eligible))]
            if chaos.leashed:
                self.journal.record(self.env.now, "ChaosKillAnnounced", node=victim.name)
                continue
            self.journal.record(self.env.now, "FaultInjected", fault="chaos_kill", target=victim.name)
            self._crash(victim, "chaos monkey")

    def _hint_timer(self, index: int, at: float):
        yield self.env.timeout(at)
        if index not in self._hints_revealed:
            self._hints_revealed.append(index)
            self.journal.record(self.env.now, "HintRevealed", index=index, text=self.scenario.hints[index].text, cost=0.0)

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
                self.journal.record(self.env.now, "AutomaticFailoverStarted", cluster=cluster.name, candidate=best.name)
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
        self.journal.record(self.env.now, "DnsWeightsChanged", dns=dns, weights={r: round(w, 3) for r, w in served.items()}, why=why)

    # ------------------------------------------------------------------ commands

    def apply(self, command: Command | dict) -> Receipt:
        """Apply a trainee command now. Refusals come back with the reason and are journaled."""
        if isinstance(command, dict):
            command = build_command(command["command"], command.get("target"), command.get("args"))
        self._integrate(self.env.now)
        self._cmd_seq += 1
        cid = self._cmd_seq
        base = {"id": cid, "command": command.name, "target": command.target, "args": command.arguments()}
        try:
            duration = self._check(command)
        except Refused as refusal:
            self.journal.record(self.env.now, "CommandRefused", reason=str(refusal), **base)
            return Receipt(cid, command.name, command.target, False, str(refusal))
        self.journal.record(self.env.now, "CommandIssued", **base)
        if duration <= 0:
            self._complete(cid, command)
            return Receipt(cid, command.name, command.target, True, completes_at=self.env.now)
        ends = self.env.now + duration
        self._pending[cid] = _Pending(cid, command, self.env.now, ends)
        self.env.process(self._later(cid, command, duration))
        return Receipt(cid, command.name, command.target, True, completes_at=ends)

    def _later(self, cid: int, command: Command, duration: float):
        yield self.env.timeout(duration)
        self._pending.pop(cid, None)
        try:
            self._check(command)
        except Refused as refusal:
            self.journal.record(self.env.now, "CommandFailed", id=cid, command=command.name, target=command.target, reason=str(refusal))
            return
        self._complete(cid, command)

    def _complete(self, cid: int, command: Command) -> None:
        result = self._execute(command)
        if result is not None and hasattr(result, "__next__"):
            self.env.process(self._finish_process(cid, command, result))
            return
        self.journal.record(self.env.now, "CommandCompleted", id=cid, command=command.name, target=command.target)

    def _finish_process(self, cid: int, command: Command, process):
        self._pending[cid] = _Pending(cid, command, self.env.now, self.env.now + self._process_time(command))
        yield from process
        self._pending.pop(cid, None)
        self.journal.record(self.env.now, "CommandCompleted", id=cid, command=command.name, target=command.target)

    def _process_time(self, command: Command) -> float:
        if command.name == "restart":
            return self._boot_time(self.nodes[command.target])
        if command.name == "scale":
            return self._boot_time(self._scale_template(command.target))
        return 0.0

    def _node(self, name: str | None, kinds: tuple[str, ...] = ()) -> Node:
        node = self.nodes.get(name or "")
        if node is None:
            raise Refused(f"there is no node '{name}'")
        if kinds and node.kind not in kinds:
            raise Refused(f"{name} is a {node.kind.replace('_', ' ')}, not a {' or '.join(k.replace('_', ' ') for k in kinds)}")
        return node

    def _vip_for(self, target: str | None) -> tuple[VipGroup, Node | None]:
        if target in self.vips:
            return self.vips[target], None
        node = self._node(target, ("load_balancer",))
        return self.vip_of[node.name], node

    def _check(self, command: Command) -> float:
        """Raise :class:`Refused` if ``command`` cannot run now; return how long it takes."""
        name = command.name
        spec = command.spec
        if self.finished:
            raise Refused("the drill has ended")
        if name == "ack":
            alert = self.alerts.instances.get(command.target or "")
            if alert is None or alert.state != "firing":
                raise Refused(f"no firing alert '{command.target}'")
            if alert.acknowledged:
                raise Refused(f"alert '{command.target}' is already acknowledged")
        elif name == "failover":
            vip, node = self._vip_for(command.target)
            if len(vip.members) < 2:
                raise Refused(f"{vip.name} has no standby load balancer to fail over to")
            target = node if node is not None and node.name != vip.holder else None
            if target is None:
                candidates = self._vip_candidates(vip)
                if not candidates:
                    raise Refused(f"no standby of {vip.name} is up")
                target = candidates[0]
            if not self._reachable(None, target):
                raise Refused(f"{target.name} is down and cannot take the virtual IP")
        elif name == "promote":
            node = self._node(command.target, ("database",))
            if node.role == "primary":
                raise Refused(f"{node.name} is already a primary")
            if not node.up or self._dark_node(node):
                raise Refused(f"{node.name} is down: a dead replica cannot be promoted")
            if node.diverged:
                raise Refused(f"{node.name} has diverged from the new timeline; restart it to rebuild it first")
        elif name == "fence":
            node = self._node(command.target)
            if node.fenced:
                raise Refused(f"{node.name} is already fenced")
            if node.destroyed:
                raise Refused(f"{node.name} no longer exists")
            if node.kind == "client":
                raise Refused("users cannot be fenced")
        elif name == "restart":
            node = self._node(command.target)
            if node.kind == "client":
                raise Refused("users cannot be restarted")
            if node.destroyed:
                raise Refused(f"{node.name} was destroyed; its disk is gone (scale out or rebuild instead)")
            if node.booting:
                raise Refused(f"{node.name} is already starting")
            if self._dark_node(node):
                raise Refused(f"{node.name}'s region {node.region} is unreachable")
        elif name in ("degrade", "enable"):
            node = self._node(command.target, ("service",))
            if name == "degrade":
                if node.feature_off:
                    raise Refused(f"feature {node.spec.feature or node.name} is already off")
                hard = [s for s in self.graph.predecessors(node.name) if self.graph.edges[s, node.name]["required"]]
                if hard:
                    raise Refused(
                        f"{node.name} is a hard dependency of {', '.join(hard)}: switching it off would fail those requests"
                    )
            elif not node.feature_off:
                raise Refused(f"feature {node.spec.feature or node.name} is already on")
        elif name == "replication":
            node = self._node(command.target, ("database",))
            if node.role != "replica":
                raise Refused(f"{node.name} is a primary; set the mode on one of its replicas")
            if node.mode == command.mode:
                raise Refused(f"{node.name} already replicates {command.mode}")
        elif name == "shift":
            if command.target not in self.scenario.topology.regions:
                raise Refused(f"there is no region '{command.target}'")
            if command.to not in self.scenario.topology.regions:
                raise Refused(f"there is no region '{command.to}'")
            if command.to == command.target:
                raise Refused("shift needs two different regions")
            if not 0 < command.percent <= 100:
                raise Refused("percent must be above 0 and at most 100")
            if not self.dns_state:
                raise Refused("there is no DNS traffic manager to shift traffic with")
            if not any(command.to in state["to"] for state in self.dns_state.values()):
                raise Refused(f"no DNS answers with region {command.to}")
        elif name == "scale":
            template = self._scale_template(command.target)
            if template is None:
                raise Refused(f"'{command.target}' is neither an app server nor an app-server group")
            if not 1 <= command.count <= 20:
                raise Refused("scale out by 1 to 20 instances at a time")
        elif name in ("drain", "undrain"):
            node = self._node(command.target, ("app_server",))
            if name == "drain" and node.drained:
                raise Refused(f"{node.name} is already drained")
            if name == "undrain" and not node.drained:
                raise Refused(f"{node.name} is not drained")
        elif name == "read-only":
            node = self._node(command.target, ("database",))
            if self.cluster_of[node.name].read_only == command.enabled:
                raise Refused(f"cluster {node.cluster} is already {'read-only' if command.enabled else 'accepting writes'}")
        elif name == "shed":
            self._vip_for(command.target)
            if not 0 <= command.percent <= 95:
                raise Refused("shed between 0 and 95 percent")
        elif name == "hint":
            if self._next_hint() is None:
                raise Refused("no hints left")
        return spec.duration

    def _next_hint(self) -> int | None:
        for index in range(len(self.scenario.hints)):
            if index not in self._hints_revealed:
                return index
        return None

    def _scale_template(self, target: str | None) -> Node | None:
        node = self.nodes.get(target or "")
        if node is not None:
            return node if node.kind == "app_server" else None
        members = [n for n in self.nodes.values() if n.kind == "app_server" and n.group == target]
        return members[0] if members else None

    def _execute(self, command: Command):
        name = command.name
        now = self.env.now
        if name == "ack":
            alert = self.alerts.instances[command.target]
            alert.acknowledged = True
            self.journal.record(now, "AlertAcknowledged", alert=alert.id)
        elif name == "failover":
            vip, node = self._vip_for(command.target)
            target = node if node is not None and node.name != vip.holder else self._vip_candidates(vip)[0]
            self._move_vip(vip, target.name, "manual failover")
        elif name == "promote":
            self._promote(self.nodes[command.target])
        elif name == "fence":
            node = self.nodes[command.target]
            self._changed()
            was_up = node.up
            node.fenced = True
            self.journal.record(now, "NodeFenced", node=node.name)
            if was_up:
                self._after_down(node)
        elif name == "restart":
            return self._boot(self.nodes[command.target])
        elif name == "degrade":
            self._changed()
            self.nodes[command.target].feature_off = True
        elif name == "enable":
            self._changed()
            self.nodes[command.target].feature_off = False
        elif name == "replication":
            self._changed()
            node = self.nodes[command.target]
            node.mode = command.mode
            root = self._root_log(node)
            node.caught_up = command.mode != "sync" or (root is not None and node.applied >= root.count)
        elif name == "shift":
            for dns, state in self.dns_state.items():
                weights = dict(state.get("requested", state["to"]))
                if command.target not in weights or command.to not in weights:
                    continue
                moved = weights[command.target] * command.percent / 100.0
                weights[command.target] -= moved
                weights[command.to] += moved
                self._set_dns(dns, weights, f"shift {command.percent:g}% {command.target} -> {command.to}")
        elif name == "scale":
            return self._scale_out(self._scale_template(command.target), command.count)
        elif name in ("drain", "undrain"):
            self._changed()
            self.nodes[command.target].drained = name == "drain"
        elif name == "read-only":
            self._changed()
            self.cluster_of[command.target].read_only = command.enabled
        elif name == "shed":
            self._changed()
            vip, _ = self._vip_for(command.target)
            vip.shed = command.percent / 100.0
        elif name == "hint":
            index = self._next_hint()
            hint = self.scenario.hints[index]
            self._hints_revealed.append(index)
            self._hint_cost += hint.cost
            self.journal.record(now, "HintRevealed", index=index, text=hint.text, cost=hint.cost)
        return None

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
        self.journal.record(self.env.now, "ReplicaPromoted", node=node.name, cluster=cluster.name, old_primary=old.name)
        if behind > 0:
            cluster.reported_lost[old.name] = cluster.reported_lost.get(old.name, 0) + behind
            self.journal.record(self.env.now, "WritesLost", node=old.name, count=behind, reason=f"not replicated to {node.name}")
        for name in cluster.members:
            other = self.nodes[name]
            if other is node or other.role != "replica":
                continue
            if other.applied <= node.applied:
                other.upstream = node.name
            else:
                other.diverged = True
                other.replicating = False
                self.journal.record(self.env.now, "ReplicaDiverged", node=other.name, ahead_by=other.applied - node.applied)
        if old.up and not self._dark_node(old):
            self.journal.record(self.env.now, "SplitBrainStarted", cluster=cluster.name, primaries=[old.name, node.name])

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
            self.journal.record(self.env.now, "NodeAdded", node=name, group=group)
        self.alerts.retarget({n.name: n.kind for n in self.nodes.values()})
        return self._finish_boot(made, self._boot_time(template))

    def _finish_boot(self, made: list[Node], boot: float):
        yield self.env.timeout(boot)
        self._changed()
        for node in made:
            node.booting = False
            self.journal.record(self.env.now, "NodeStarted", node=node.name)

    def preview(self, command: Command | dict) -> Preview:
        """What ``command`` would do now, in words, without doing it."""
        if isinstance(command, dict):
            command = build_command(command["command"], command.get("target"), command.get("args"))
        spec = command.spec
        try:
            self._check(command)
        except Refused as refusal:
            return Preview(command.name, command.target, spec.destructive, False, str(refusal))
        return Preview(command.name, command.target, spec.destructive, True, self._describe_effect(command))

    def _describe_effect(self, command: Command) -> str:
        name, target = command.name, command.target
        if name == "promote":
            node = self.nodes[target]
            root = self._root_log(node)
            behind = (root.count - node.applied) if root else 0
            lag = self.replica_lag(node)
            cluster = self.cluster_of[node.name]
            old = self.nodes[cluster.writer]
            text = f"promote {target}: {lag:.1f} s behind the primary; about {_about(behind)} acknowledged writes will be lost"
            if old.up and not self._dark_node(old) and not old.fenced:
                text += f". {old.name} is still running and not fenced: both will accept writes (split brain)"
            return text
        if name == "failover":
            vip, node = self._vip_for(target)
            to = node if node is not None and node.name != vip.holder else self._vip_candidates(vip)[0]
            state = "up" if vip.holder and self.nodes[vip.holder].up else "down"
            return f"move virtual IP {vip.name} from {vip.holder} ({state}) to {to.name}"
        if name == "fence":
            node = self.nodes[target]
            extra = ""
            if node.kind == "database" and node.role == "primary" and self.cluster_of[node.name].writer == node.name:
                extra = "; it is the cluster's writer: writes will fail until a replica is promoted"
            return f"power off {target} and keep it off; it will not serve until restarted{extra}"
        if name == "restart":
            node = self.nodes[target]
            return f"restart {target}: down for about {self._boot_time(node):.0f} s"
        if name == "shift":
            ttl = max((self.nodes[d].spec.ttl for d in self.dns_state), default=0)
            return f"move {command.percent:g}% of {target}'s traffic to {command.to}; clients follow over the {ttl:.0f} s DNS TTL"
        if name == "shed":
            vip, _ = self._vip_for(target)
            return f"reject {command.percent:g}% of requests at {vip.name} with a fast 503"
        if name == "read-only":
            node = self.nodes[target]
            return f"{'refuse' if command.enabled else 'accept'} writes to cluster {node.cluster}"
        if name == "replication":
            return f"{target} replicates {command.mode} from now on"
        return f"{command.spec.title.lower()}: {command.describe()}"

    # ------------------------------------------------------------------ views

    def node_state(self, node: Node) -> str:
        """The state word a trainee sees for a node."""
        if node.destroyed:
            return "destroyed"
        if node.fenced:
            return "fenced"
        if node.booting:
            return "booting"
        if any(p.command.name == "promote" and p.command.target == node.name for p in self._pending.values()):
            return "promoting"
        if not node.running or self._dark_node(node):
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
        pending_by_node = {p.command.target: p for p in self._pending.values()}
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
                         self.node_state(node), node.up and not self._dark_node(node), role, metrics, progress)
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
            PendingView(p.id, p.command.name, p.command.target, p.started, p.ends) for p in self._pending.values()
        )
        current = tuple((k, v[-1]) for k, v in self.series.items() if v and k != "t")
        hist = tuple((k, tuple(v[-history:])) for k, v in self.series.items() if k != "t")
        from .scoring import score_outcome

        score = score_outcome(self.outcome(), self.scenario).score
        return Snapshot(
            t=self.env.now, duration=self.duration, finished=self.finished, nodes=tuple(views), edges=tuple(edges),
            alerts=alerts, pending=pending, metrics=current, history=hist,
            hints_revealed=tuple(self.scenario.hints[i].text for i in self._hints_revealed),
            hints_left=len(self.scenario.hints) - len(self._hints_revealed), score=score,
            journal_length=len(self.journal), regions=tuple(self.scenario.topology.regions),
        )

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

    def outcome(self) -> "Outcome":
        """What users felt and what was lost so far, from the engine's ground truth."""
        from .scoring import Outcome, compute_outcome

        return compute_outcome(self)


def _about(n: int) -> int:
    """A count rounded to two significant digits, for "about N" in messages."""
    if n < 100:
        return n
    digits = len(str(n)) - 2
    return int(round(n, -digits))


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
