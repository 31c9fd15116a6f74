"""Per-second metrics, alert evaluation and the redundancy check.

:class:`Monitoring` is the part of :class:`engine.sim.simulation.Simulation` that, when a
simulated second closes, turns the second's sums (taken from
:class:`~engine.sim.flow.Traffic`) into the world's global series and per-node
metrics, evaluates the alert rules and journals their transitions.
"""

from __future__ import annotations

from collections import deque

from engine.sim.flow import Traffic
from engine.sim.observe import Observer
from engine.sim.world import World
from engine.sim.model import DEFAULT_CALL_TIMEOUT, Cluster, Node, SecondAcc

HISTORY = 180  # seconds of per-node metric history kept for views (sparklines)
HISTORY_METRICS = ("up", "requests", "error_ratio", "utilisation", "latency", "lag")


def error_budget(requests: float, failed: float, slo_target: float) -> tuple[float, float]:
    """``(budget, used)``: the failed requests the SLO allows out of ``requests``, and the share of it
    ``failed`` spends (1.0 = all, above 1 overspent; 0 when nothing was allowed yet).

    The one formula for the error budget: the clock bar shows it live (the snapshot's ``budget_used``)
    and the postmortem over the whole drill (:func:`engine.records.postmortem.error_budget_used`).
    """
    budget = (1.0 - slo_target) * requests
    return budget, (failed / budget if budget > 0 else 0.0)


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


class Monitoring:
    """What the on-call engineer's dashboards and alerts are computed from."""

    def __init__(self, world: World, traffic: Traffic) -> None:
        self.world = world
        self.traffic = traffic
        # running totals of the whole run (the series' sums, added in the same order), for the error budget
        self.requests_total = 0.0
        self.failed_total = 0.0
        self.observer = Observer(world)
        """What monitoring has scraped: the console and (with observed visibility) the alert rules read it."""
        self.scraped: list[str] = []
        """The components the last closed second scraped."""
        self._unevaluated: set[str] = set()
        self._groups_key: tuple[int, int] | None = None
        self._groups_ok = True
        """Components scraped since the alert rules were last evaluated (observed visibility)."""

    def budget_used(self) -> float:
        """The share of the error budget the run has spent so far (whole run, not a window)."""
        return error_budget(self.requests_total, self.failed_total, self.world.scenario.slo.target)[1]

    def close_second(self, t: float) -> None:
        """A simulated second ended at ``t``: append the series and node metrics, evaluate alerts."""
        acc = self.traffic.acc
        self.traffic.acc = SecondAcc()
        s = self.world.series
        total = acc.total
        served = acc.ok + acc.degraded
        p50, p95, p99 = _percentiles(acc.points, (0.5, 0.95, 0.99))
        s["t"].append(t)
        s["requests"].append(total)
        s["ok"].append(acc.ok)
        s["degraded"].append(acc.degraded)
        s["failed"].append(acc.failed)
        self.requests_total += total
        self.failed_total += acc.failed
        s["availability"].append(served / total if total > 0 else 1.0)
        s["error_ratio"].append(acc.failed / total if total > 0 else 0.0)
        s["p50"].append(p50)
        s["p95"].append(p95)
        s["p99"].append(p99)
        s["writes"].append(acc.w_total)
        s["writes_acked"].append(float(acc.acked))
        s["writes_failed"].append(acc.w_failed)
        s["write_error_ratio"].append(acc.w_failed / acc.w_total if acc.w_total > 0 else 0.0)
        budget = 1.0 - self.world.scenario.slo.target
        s["burn_short"].append(self._window_ratio(self.world.scenario.slo.burn_short_window) / budget)
        s["burn_long"].append(self._window_ratio(self.world.scenario.slo.burn_long_window) / budget)
        split = self._split_brain_count()
        s["split_brain"].append(float(split))
        if split:
            self.world.split_seconds += 1.0
        s["redundant"].append(1.0 if self._redundant() else 0.0)
        node_metrics: dict[str, dict[str, float]] = {}
        db_load = 0.0
        # the cache hit ratio: the live caches' ratios weighted by the reads each served; in a second no
        # live cache served a read, the lowest live ratio (0 when every cache is down, 1 without caches)
        caches = live = 0
        live_hit, live_top = 1.0, 0.0
        hits = reads = 0.0
        max_lag = 0.0
        shared: dict[str, dict[str, float]] = {}
        if self.traffic.classes_version == self.world.version:
            # members of one app class had identical seconds: compute the class's metrics once
            tied = self.traffic.tied
            for members in self.traffic.classes:
                if len(members) < 2:
                    continue
                first = members[0]
                if id(members) in tied:  # their sums are the first's by construction (and zeroed below)
                    for other in members[1:]:
                        shared[other.name] = first.name
                    continue
                sums = (first.m_req, first.m_fail, first.m_ok, first.m_lat, first.m_util)
                for other in members[1:]:
                    if (other.m_req, other.m_fail, other.m_ok, other.m_lat, other.m_util) == sums:
                        shared[other.name] = first.name
        else:
            self.traffic.untie()  # every node's own sums are read below
        history = self.world.node_history
        for node in self.world.nodes.values():
            twin = shared.get(node.name)
            if twin is not None:
                m = node_metrics.get(twin)
                if m is not None:
                    # twins are app servers: none of the per-kind figures below read them
                    node.m_req = node.m_fail = node.m_ok = node.m_lat = node.m_util = node.m_wlat = 0.0
                    hist = history.get(node.name)
                    if hist is None:
                        hist = history[node.name] = deque(maxlen=HISTORY)
                    hist.append(history[twin][-1])
                    node_metrics[node.name] = m
                    continue
            m = self._node_second(node)
            node_metrics[node.name] = m
            if node.kind == "database" and node.role == "primary":
                db_load = max(db_load, m.get("utilisation", 0.0))
            if node.kind == "cache":
                caches += 1
                if m["up"]:  # a down (or dark) cache serves nothing: it must not drag the figure down
                    live += 1
                    ratio = m.get("hit_ratio", 0.0)
                    live_hit, live_top = min(live_hit, ratio), max(live_top, ratio)
                    served = m.get("requests", 0.0) * (1.0 - m.get("error_ratio", 0.0))
                    hits += ratio * served
                    reads += served
            if node.kind == "database" and node.role == "replica" and not node.destroyed:
                max_lag = max(max_lag, m.get("lag", 0.0))
        s["db_load"].append(db_load)
        if reads > 0:
            hit = live_hit if live_hit == live_top else hits / reads  # one ratio: exactly it
        elif live:
            hit = live_hit
        else:
            hit = 0.0 if caches else 1.0
        s["cache_hit_ratio"].append(hit)
        s["max_lag"].append(max_lag)
        self.world.node_metrics = node_metrics
        observer = self.observer
        self.scraped = observer.close_second(t, self.budget_used())
        changed: set[str] | None = None
        if observer.observed:  # the rules see what was scraped, as Prometheus' do
            seen = observer.global_seen
            global_metrics = {k: v[seen - 1] for k, v in s.items()} if seen else {}
            node_metrics = observer.latest
            # a node's scraped metrics change only at its scrape: the rules need look at those only
            self._unevaluated.update(self.scraped)
            changed = self._unevaluated
        else:
            global_metrics = {k: v[-1] for k, v in s.items()}
        if int(t) % max(1, int(self.world.alerts.interval)) == 0:
            transitions = self.world.alerts.evaluate(t, global_metrics, node_metrics, changed)
            self._unevaluated = set()
            for change, alert in transitions:
                if change == "fired":
                    self.world.journal.record(
                        t, "AlertFired", alert=alert.id, rule=alert.rule.name, node=alert.node,
                        severity=alert.rule.severity, value=round(alert.value, 4),
                    )
                else:
                    self.world.journal.record(t, "AlertResolved", alert=alert.id, rule=alert.rule.name, node=alert.node)

    def _window_ratio(self, window: float) -> float:
        s = self.world.series
        n = int(window)
        req = s["requests"][-n:]
        failed = s["failed"][-n:]
        total = sum(req)
        return sum(failed) / total if total > 0 else 0.0

    def _node_second(self, node: Node) -> dict[str, float]:
        req, fail, ok, lat = node.m_req, node.m_fail, node.m_ok, node.m_lat
        util, wlat = node.m_util, node.m_wlat
        node.m_req = node.m_fail = node.m_ok = node.m_lat = node.m_util = node.m_wlat = 0.0
        up = 1.0 if node.up and not self.world.dark_node(node) else 0.0
        m: dict[str, float] = {"up": up}
        kind = node.kind
        if kind != "client":
            m["requests"] = req
            m["error_ratio"] = min(1.0, fail / req) if req > 0 else 0.0
        if kind in ("app_server", "cache", "database", "service"):
            m["utilisation"] = util if up else 0.0
            if kind == "app_server":
                mean = lat / ok if ok > 0 else node.latency
            else:
                mean = wlat if wlat > 0 else node.latency
            # nobody waits past a timeout: callers give up (the node's queue is capped at it too)
            cap = self.world.client_timeout if kind == "app_server" else DEFAULT_CALL_TIMEOUT.get(kind, 1.0)
            m["latency"] = min(mean, cap)
            # percentiles of an exponential queueing delay on top of the mean service path; an app
            # server's backlog wait is the same for every request and none waits past its queue timeout
            spread = node.wait
            if kind == "app_server":
                spread, slack = self.traffic.spreads.get(node.name, (spread, cap))
                cap = min(cap, mean + slack)
            base = max(0.0, mean - spread)
            m["p50"] = min(cap, base + spread * 0.69)
            m["p95"] = min(cap, base + spread * 3.0)
            m["p99"] = min(cap, base + spread * 4.6)
            m["queue"] = node.backlog
        if kind == "cache":
            m["hit_ratio"] = node.spec.hit_ratio * node.warm if up else 0.0
        elif kind == "cdn":
            m["hit_ratio"] = node.spec.hit_ratio if node.up else 0.0
        elif kind == "database":
            m["primary"] = 1.0 if node.role == "primary" else 0.0
            if node.role == "replica" and not node.destroyed:
                m["lag"] = self.replica_lag(node)
                m["sync"] = 1.0 if node.mode == "sync" else 0.0
                m["replicating"] = 1.0 if node.replicating else 0.0
                m["position"] = float(node.applied)
            elif node.log is not None:
                m["position"] = float(node.log.count)
                m["writes_acked"] = float(node.m_acked)
                node.m_acked = 0
        elif kind == "load_balancer":
            vip = self.world.vip_of[node.name]
            m["holds_vip"] = 1.0 if vip.holder == node.name else 0.0
            if vip.holder == node.name:
                m["healthy_backends"] = float(len(plan.pools.get(node.name, [])) if (plan := self.traffic.plan) is not None else 0)
        hist = self.world.node_history.get(node.name)
        if hist is None:
            hist = self.world.node_history[node.name] = deque(maxlen=HISTORY)
        hist.append((up, req, m.get("error_ratio", 0.0), m.get("utilisation", 0.0), m.get("latency", 0.0), m.get("lag", 0.0)))
        return m

    def node_series(self, name: str, metric: str) -> list[float]:
        """The last seconds of one of a node's :data:`HISTORY_METRICS`, oldest first."""
        index = HISTORY_METRICS.index(metric)
        return [row[index] for row in self.world.node_history.get(name, ())]

    def replica_lag(self, node: Node) -> float:
        """Seconds of acknowledged writes the replica does not have yet.

        The span from the first write it lacks to the newest write of its
        primary's log: what a failover to it now would lose, in time.
        """
        if node.upstream is None or node.role != "replica":
            return 0.0
        log = self.world.root_log(node)
        if log is None or node.applied >= log.count:
            return 0.0
        since = log.time_of(node.applied + 1)
        return max(0.0, log.marks_t[-1] - since) if since is not None else 0.0

    def _split_brain_count(self) -> int:
        """Clusters in which more than one primary can take writes from some app server."""
        count = 0
        for cluster in self.world.clusters.values():
            primaries = [self.world.nodes[n] for n in cluster.members if self.world.nodes[n].role == "primary" and self.world.nodes[n].up]
            if len(primaries) < 2:
                continue
            apps = [self.world.nodes[a] for a in self._writers_of(cluster)]
            writable = [p for p in primaries if any(self.world.reachable(a, p) for a in apps)]
            if len(writable) > 1:
                count += 1
        return count

    def _writers_of(self, cluster: Cluster) -> list[str]:
        """App servers that write to a cluster."""
        out = []
        for name, plan in self.traffic.plan.apps.items():
            if any(c is cluster for c, _ in plan["dbs"]):
                out.append(name)
        return out

    def _redundant(self) -> bool:
        """Is every piece of designed redundancy in place (and working)?"""
        for vip in self.world.vips.values():
            healthy = [m for m in vip.members if self.world.reachable(None, self.world.nodes[m])]
            if len(healthy) < self.world.design["vip"][vip.name] or vip.holder not in healthy:
                return False
        for cluster in self.world.clusters.values():
            writer = self.world.nodes[cluster.writer]
            if not self.world.reachable(None, writer) or writer.role != "primary":
                return False
            streaming = [n for n in cluster.members if self.world.nodes[n].role == "replica" and self.world.nodes[n].replicating]
            if len(streaming) < cluster.design_replicas:
                return False
        return self._groups_complete()

    def _groups_complete(self) -> bool:
        """Does every group of app servers, caches, services, CDNs and DNS have its designed size up?

        What it reads (up, dark regions, drains, the nodes) changes only with the world's version,
        so the answer is kept per version instead of walking every node each second.
        """
        key = (self.world.version, len(self.world.nodes))
        if self._groups_key != key:
            counts: dict[str, int] = {}
            for node in self.world.nodes.values():
                if node.kind in ("app_server", "cache", "service", "cdn", "dns") and self.world.reachable(None, node) and not node.drained:
                    group = node.group or node.name
                    counts[group] = counts.get(group, 0) + 1
            self._groups_ok = all(counts.get(k, 0) >= v for k, v in self.world.design["groups"].items())
            self._groups_key = key
        return self._groups_ok

