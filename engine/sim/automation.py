"""Automation and the node lifecycle: what the system does by itself (and what commands ask of it).

:class:`Automation` is the part of :class:`engine.sim.simulation.Simulation` that crashes,
recovers, restarts and boots nodes, rejoins and promotes databases, scales out
groups, runs load-balancer health checks and VRRP, and watches for database and
DNS failover. It works on the :class:`~engine.sim.world.World` it is given.
"""

from __future__ import annotations

import math

from engine.sim.model import Cluster, Node, VipGroup, WriteLog, common_prefix
from engine.sim.world import World
from engine.util.ranges import merge_ranges, range_count, subtract_ranges


class Automation:
    """Node lifecycle, health checks, VRRP and automatic failover over a world."""

    def __init__(self, world: World) -> None:
        self.world = world

    # ------------------------------------------------------------------ lifecycle

    def crash(self, node: Node, cause: str) -> None:
        """The node's process dies; automation may restart it after its delay."""
        if not node.running or node.destroyed:
            return
        self.world.changed()
        node.running = False
        node.crashed_at = self.world.env.now
        node.backlog = 0.0
        self.world.record("NodeCrashed", node=node.name, cause=cause)
        self.after_down(node)
        restart = self.world.scenario.automation.restart
        if restart.enabled and not node.fenced and node.kind != "client":
            self.world.env.process(self._auto_restart(node, node.crashed_at, restart.delay))

    def after_down(self, node: Node) -> None:
        """Consequences every way a node can become unavailable shares."""
        if node.kind == "load_balancer":
            vip = self.world.vip_of[node.name]
            if vip.holder == node.name:
                self.vrrp_lost_master(vip)
        elif node.kind == "dns":
            state = self.world.dns_state[node.name]
            if state["down_since"] is None:
                state["down_since"] = self.world.env.now

    def recover(self, node: Node, cause: str) -> None:
        """The process comes back by itself (a fault clears): same role as before."""
        if node.running or node.destroyed or node.fenced:
            return
        self.world.changed()
        node.running = True
        node.crashed_at = None
        if node.kind == "cache":
            node.warm = 0.0
        self.world.record("NodeRecovered", node=node.name, cause=cause)
        self.after_up(node)

    def after_up(self, node: Node) -> None:
        """Consequences of a node becoming available again (VRRP, DNS health, a returning primary)."""
        if node.kind == "load_balancer":
            self._vrrp_member_up(self.world.vip_of[node.name], node)
        elif node.kind == "dns":
            self.world.dns_state[node.name]["down_since"] = None
        elif node.kind == "database":
            cluster = self.world.cluster_of[node.name]
            if node.role == "primary" and cluster.writer != node.name:
                if self.world.scenario.automation.db_failover.enabled and self.world.scenario.automation.db_failover.fence:
                    self._rejoin(node, "demoted by automation")
                else:
                    self.world.record("PrimaryReturned", node=node.name, cluster=cluster.name)

    def _auto_restart(self, node: Node, crashed_at: float, delay: float):
        yield self.world.env.timeout(delay)
        if node.crashed_at == crashed_at and not node.running and not node.fenced and not node.destroyed:
            self.world.record("AutoRestartStarted", node=node.name)
            yield from self.boot(node)

    def boot(self, node: Node):
        """Take a node through a restart: down, booting, then up."""
        self.world.changed()
        was_up = node.up
        node.running = True
        node.booting = True
        node.fenced = False
        node.backlog = 0.0
        if was_up:
            self.after_down(node)
        yield self.world.env.timeout(self.world.boot_time(node))
        if node.destroyed:
            return
        self.world.changed()
        node.booting = False
        node.crashed_at = None
        if node.kind == "cache":
            node.warm = 0.0
        if node.kind == "database":
            cluster = self.world.cluster_of[node.name]
            if cluster.writer != node.name:
                self._rejoin(node, "restarted")
        self.world.record("NodeStarted", node=node.name)
        self.after_up(node)

    def report_lost(self, cluster: Cluster, node: Node, ranges: list[list[int]], reason: str) -> None:
        """Journal the writes of ``ranges`` that are gone for good: not on the writer, not reported before.

        Each write id is reported once, however many copies of it are rewound (the old
        primary, a diverged replica): the journal's WritesLost counts add up to the lost writes.
        """
        writer = self.world.nodes[cluster.writer]
        gone = subtract_ranges(subtract_ranges(ranges, cluster.lost), writer.log.ranges if writer.log else [])
        count = range_count(gone)
        if count > 0:
            cluster.lost = merge_ranges(cluster.lost, gone)
            self.world.record("WritesLost", node=node.name, count=count, reason=reason)

    def _rejoin(self, node: Node, why: str) -> None:
        """A database rejoins its cluster as a replica of the writer, rewinding writes the writer lacks."""
        cluster = self.world.cluster_of[node.name]
        writer = self.world.nodes[cluster.writer]
        writer_log = writer.log
        if node.log is None:
            root = self.world.root_log(node)
            mine_ranges = root.prefix(node.received) if root is not None else []
        else:
            mine_ranges = node.log.ranges
        common = common_prefix(mine_ranges, writer_log.ranges if writer_log else [])
        self.report_lost(cluster, node, mine_ranges, f"rewound when {why}")
        node.role = "replica"
        node.log = None
        node.upstream = writer.name
        node.received = node.applied = common
        node.diverged = False
        node.mode = node.spec.replication if node.spec.role == "replica" else "async"
        node.caught_up = node.mode != "sync"
        self.world.record("ReplicaRejoined", node=node.name, upstream=writer.name, why=why)

    def promote(self, node: Node) -> None:
        """Make a replica its cluster's writer.

        Like ``pg_promote``, it first replays the writes it has received; only those it never
        received are lost. Other replicas follow it, or diverge when they received more.
        """
        self.world.changed()
        cluster = self.world.cluster_of[node.name]
        old = self.world.nodes[cluster.writer]
        root = self.world.root_log(node)
        node.applied = node.received
        node.log = root.copy_prefix(node.received) if root is not None else WriteLog()
        node.role = "primary"
        node.upstream = None
        node.mode = "async"
        cluster.writer = node.name
        cluster.ack_carry.pop(node.name, None)
        self.world.record("ReplicaPromoted", node=node.name, cluster=cluster.name, old_primary=old.name)
        if root is not None:
            self.report_lost(cluster, old, root.ranges, f"not replicated to {node.name}")
        for name in cluster.members:
            other = self.world.nodes[name]
            if other is node or other.role != "replica" or other.destroyed:
                continue
            if other.received <= node.received:
                other.upstream = node.name
            else:
                other.diverged = True
                other.replicating = False
                self.world.record("ReplicaDiverged", node=other.name, ahead_by=other.received - node.received)
        if old.up and not self.world.dark_node(old):
            self.world.record("SplitBrainStarted", cluster=cluster.name, primaries=[old.name, node.name])

    def scale_out(self, template: Node, count: int):
        """Add ``count`` booting copies of ``template`` now; returns the process that finishes their boot."""
        self.world.changed()
        group = template.group or template.name
        made = []
        existing = sum(1 for n in self.world.nodes.values() if (n.group or n.name) == group)
        for i in range(count):
            name = f"{group}-{existing + i + 1}"
            while name in self.world.nodes:
                existing += 1
                name = f"{group}-{existing + i + 1}"
            node = Node(
                name=name, kind=template.kind, region=template.region, spec=template.spec, group=group,
                order=len(self.world.nodes),
            )
            node.booting = True
            node.hold = template.hold
            self.world.nodes[name] = node
            self.world.graph.add_node(name, kind=node.kind, region=node.region, spec=node.spec, group=group)
            for src in list(self.world.graph.predecessors(template.name)):
                self.world.graph.add_edge(src, name, **self.world.graph.edges[src, template.name])
                if src in self.world.health:
                    self.world.health[src][name] = [False, 0, "Layer4 connection problem: Connection refused"]
            for dst in list(self.world.graph.successors(template.name)):
                self.world.graph.add_edge(name, dst, **self.world.graph.edges[template.name, dst])
            made.append(node)
            self.world.record("NodeAdded", node=name, group=group)
        self.world.alerts.retarget({n.name: n.kind for n in self.world.nodes.values()})
        return self._finish_boot(made, self.world.boot_time(template))

    def _finish_boot(self, made: list[Node], boot: float):
        yield self.world.env.timeout(boot)
        self.world.changed()
        for node in made:
            node.booting = False
            self.world.record("NodeStarted", node=node.name)

    # ------------------------------------------------------------------ VRRP

    def vrrp_lost_master(self, vip: VipGroup) -> None:
        """The VIP's holder went away: a backup takes over after VRRP's down interval."""
        if not self.world.scenario.automation.vrrp.enabled:
            return
        self.world.env.process(self._vrrp_takeover(vip))

    def _vrrp_member_up(self, vip: VipGroup, node: Node) -> None:
        if not self.world.scenario.automation.vrrp.enabled:
            if vip.holder == node.name:
                self.world.version += 1
            return
        holder = self.world.nodes[vip.holder] if vip.holder else None
        if holder is None or not self.world.reachable(None, holder):
            self.world.env.process(self._vrrp_takeover(vip))
        elif vip.preempt and node.spec.priority > holder.spec.priority:
            self.move_vip(vip, node.name, "VRRP preemption by higher priority")

    def _vrrp_takeover(self, vip: VipGroup):
        """A backup declares the master down after 3 missed adverts plus its skew time."""
        advert = self.world.scenario.automation.vrrp.advert_interval
        last = math.floor(self.world.env.now / advert + 1e-9) * advert
        candidates = self.vip_candidates(vip)
        if not candidates:
            return
        backup = candidates[0]
        down_interval = 3 * advert + (256 - backup.spec.priority) / 256.0
        yield self.world.env.timeout(max(0.0, last + down_interval - self.world.env.now))
        holder = self.world.nodes[vip.holder] if vip.holder else None
        if holder is not None and self.world.reachable(None, holder):
            return
        candidates = self.vip_candidates(vip)
        if candidates:
            self.move_vip(vip, candidates[0].name, "VRRP: master down")

    def vip_candidates(self, vip: VipGroup) -> list[Node]:
        """The members that could take the virtual IP now, best priority first."""
        nodes = [self.world.nodes[m] for m in vip.members if m != vip.holder and self.world.reachable(None, self.world.nodes[m])]
        return sorted(nodes, key=lambda n: (-n.spec.priority, n.order))

    def move_vip(self, vip: VipGroup, to: str, why: str) -> None:
        """Give the virtual IP to ``to``."""
        self.world.changed()
        old = vip.holder
        vip.holder = to
        self.world.record("VipMoved", vip=vip.name, old=old, new=to, why=why)

    # ------------------------------------------------------------------ health checks

    def health_checker(self, lb: Node):
        """The process of one load balancer's health checks of its backends."""
        hc = self.world.scenario.automation.health_check
        stream = self.world.streams[f"checks:{lb.name}"]
        yield self.world.env.timeout(stream.uniform(0.0, hc.interval))
        while True:
            if lb.up:
                self._run_checks(lb, hc, stream)
            yield self.world.env.timeout(hc.interval)

    def _run_checks(self, lb: Node, hc, stream) -> None:
        world = self.world
        view = world.health[lb.name]
        nodes = world.nodes
        # the usual case, decided here as _check() would decide it: no dark region or partition, the
        # backend up (so reachable), quick enough and without an error fault (so no random draw)
        plain = not world.dark and not world.partitions
        http = hc.type == "http"
        timeout = hc.timeout
        for app_name, state in view.items():
            app = nodes[app_name]
            if plain and app.up and (not http or (app.err <= 0 and app.wait + app.spec.service_time * app.slow < timeout)):
                if state[0]:
                    state[1] = 0
                    continue
                failure = None
            else:
                failure = self._check(lb, app, hc, stream)
            passed = failure is None
            marked_up, streak = state[0], state[1]
            if passed == marked_up:
                state[1] = 0
                continue
            streak += 1
            if (marked_up and streak >= hc.fall) or (not marked_up and streak >= hc.rise):
                self.world.changed()
                state[0] = passed
                state[1] = 0
                state[2] = failure or ""
                self.world.record("BackendMarkedUp" if passed else "BackendMarkedDown", lb=lb.name, backend=app_name
                )
            else:
                state[1] = streak

    def _check(self, lb: Node, app: Node, hc, stream) -> str | None:
        """One health check of ``app`` by ``lb``: None when it passes, else why it failed, in HAProxy's words.

        An HTTP check needs a free worker (no dependency): it fails when the queue is deep or on errors;
        a TCP check only sees whether the port answers.
        """
        if not self.world.reachable(lb, app):
            return "Layer4 connection problem: Connection refused" if self.world.fails_fast(lb, app) else "Layer4 timeout"
        if hc.type == "http":
            if app.wait + app.spec.service_time * app.slow >= hc.timeout:
                return "Layer7 timeout"
            if app.err > 0 and stream.random() < app.err:
                return "Layer7 wrong status: HTTP 503"
        return None

    # ------------------------------------------------------------------ failover watches and DNS

    def db_failover_watch(self):
        """The process that promotes the best replica when a cluster's writer stays unreachable past the TTL."""
        conf = self.world.scenario.automation.db_failover
        lost_since: dict[str, float] = {}
        while True:
            yield self.world.env.timeout(1.0)
            for cluster in self.world.clusters.values():
                writer = self.world.nodes[cluster.writer]
                if self.world.reachable(None, writer):
                    lost_since.pop(cluster.name, None)
                    continue
                since = lost_since.setdefault(cluster.name, self.world.env.now)
                if self.world.env.now - since < conf.ttl:
                    continue
                candidates = [
                    self.world.nodes[n]
                    for n in cluster.members
                    if self.world.nodes[n].role == "replica"
                    and self.world.nodes[n].spec.failover_candidate
                    and self.world.reachable(None, self.world.nodes[n])
                    and not self.world.nodes[n].diverged
                ]
                if not candidates:
                    continue
                best = max(candidates, key=lambda n: (n.received, -n.order))
                self.world.record("AutomaticFailoverStarted", cluster=cluster.name, candidate=best.name)
                self.promote(best)
                lost_since.pop(cluster.name, None)

    def dns_failover_watch(self):
        """The process that takes a region out of DNS answers when its VIPs fail checks (and back when they pass)."""
        conf = self.world.scenario.automation.dns_failover
        bad: dict[tuple[str, str], int] = {}
        while True:
            yield self.world.env.timeout(conf.interval)
            for dns, state in self.world.dns_state.items():
                for region in self.world.dns_regions(dns):
                    vips = {self.world.vip_of[s].name for s in self.world.graph.successors(dns) if s in self.world.vip_of and self.world.nodes[s].region == region}
                    healthy = any(
                        self.world.vips[v].holder and self.world.reachable(None, self.world.nodes[self.world.vips[v].holder]) for v in vips
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
                        weights = dict(self.world.dns_state[dns]["to"])
                        self.set_dns(dns, weights, "health check")

    def set_dns(self, dns: str, weights: dict[str, float], why: str) -> None:
        """Change the weights a DNS answers with; clients follow over the TTL."""
        self.world.changed()
        state = self.world.dns_state[dns]
        served = {r: (0.0 if r in state["excluded"] else w) for r, w in weights.items()}
        if sum(served.values()) <= 0:
            served = dict(weights)
        self.world.set_dns_weights(dns, served)
        state["requested"] = weights
        self.world.record("DnsWeightsChanged", dns=dns, weights={r: round(w, 3) for r, w in served.items()}, why=why)
