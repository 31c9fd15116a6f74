"""The database write path: which primaries take writes, synchronous commit, acknowledgement, replication.

:class:`Writes` is the part of :class:`~engine.sim.flow.Traffic` that gives
acknowledged writes their ids, puts them in the primary's log (and its
synchronous standbys'), and moves replicas along their upstream logs.
"""

from __future__ import annotations

from engine.sim.model import Cluster, Node, SecondAcc, WriteLog
from engine.sim.world import World


class Writes:
    """Writers, synchronous standbys, acknowledgement and replication over a world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._sync_cache: dict[tuple[str, str], list[Node]] = {}
        self._sync_version = -1

    def writers(self, cluster: Cluster, app: Node) -> list[Node]:
        """The primaries this app server's writes go to: every primary it can reach (two or more in a
        split brain), or the cluster's writer when it reaches none (and its writes fail)."""
        nodes = self.world.nodes
        writer = nodes[cluster.writer]
        out = [writer] if self.world.reachable(app, writer) else []
        for name in cluster.members:
            node = nodes[name]
            if node is not writer and node.role == "primary" and self.world.reachable(app, node):
                out.append(node)
        return out or [writer]

    def _sync_standbys(self, cluster: Cluster, primary: Node) -> list[Node]:
        """Replicas in sync mode streaming from ``primary`` (cached until the state changes)."""
        key = (cluster.name, primary.name)
        if self._sync_version != self.world.version:
            self._sync_cache = {}
            self._sync_version = self.world.version
        cached = self._sync_cache.get(key)
        if cached is None:
            cached = self._sync_cache[key] = [
                self.world.nodes[n]
                for n in cluster.members
                if self.world.nodes[n].role == "replica" and self.world.nodes[n].mode == "sync" and self.world.nodes[n].upstream == primary.name
            ]
        return cached

    def sync_stalled(self, cluster: Cluster, primary: Node) -> bool:
        """Synchronous commit needs one caught-up sync standby (ANY 1); without it writes wait."""
        standbys = self._sync_standbys(cluster, primary)
        if not standbys:
            return False
        return not any(s.caught_up and self.world.reachable(primary, s) and not s.replication_broken for s in standbys)

    def sync_cost(self, cluster: Cluster, primary: Node) -> float:
        """Seconds synchronous commit adds to a write: the round trip to the nearest sync standby."""
        standbys = self._sync_standbys(cluster, primary)
        if not standbys:
            return 0.0
        best = min(
            s.spec.sync_rtt * s.slow + (self.world.scenario.topology.inter_region_rtt if s.region != primary.region else 0.0)
            for s in standbys
        )
        return best

    def ack(self, cluster: Cluster, primary: Node, amount: float, now: float, acc: SecondAcc) -> None:
        """Acknowledge writes on ``primary``: whole writes get ids and go into its log."""
        carry = cluster.ack_carry.get(primary.name, 0.0) + amount
        n = int(carry)
        cluster.ack_carry[primary.name] = carry - n
        if n <= 0:
            return
        start = self.world.next_id
        self.world.next_id += n
        primary.log.append(start, n, now)
        primary.m_acked += n
        allocated = cluster.allocated
        if allocated and allocated[-1][1] == start:
            allocated[-1][1] = start + n
        else:
            allocated.append([start, start + n])
        self.world.write_times.append((start, now))
        acc.acked += n
        acc.w_ok += n
        # synchronous standbys hold the write before it is acknowledged
        for standby in self._sync_standbys(cluster, primary):
            if standby.caught_up and self.world.reachable(primary, standby) and not standby.replication_broken:
                standby.received = standby.applied = primary.log.count

    def replicate(self, now: float, dt: float) -> None:
        """Move every streaming replica along its upstream log for a segment ending at ``now``."""
        nodes = self.world.nodes
        for cluster in self.world.clusters.values():
            for name in cluster.members:
                node = nodes[name]
                if node.role != "replica" or node.upstream is None:
                    continue
                up = nodes[node.upstream]
                log = self.world.root_log(node)
                if log is None or node.diverged:
                    node.replicating = False
                    continue
                streaming = node.up and up.up and not node.replication_broken and self.world.reachable(node, up) and self.world.reachable(up, node)
                node.replicating = streaming
                if not streaming:
                    if node.mode == "sync":
                        node.caught_up = False
                    continue
                if node.mode == "sync" and node.caught_up:
                    node.received = node.applied = log.count
                    continue
                # the network: a write arrives (is received and flushed) `lag` seconds after it was acknowledged
                transit = node.spec.lag + node.lag_extra
                received = log.count_at(now - transit)
                if up.role == "replica":
                    received = min(received, up.received)  # a cascading replica streams what its upstream received
                if received > node.received:
                    node.received = received
                # replay: received writes are applied at most `apply_rate` a second, queueing as the write rate nears it
                rate = node.spec.apply_rate / node.slow
                recent = self._write_rate(log, now)
                rho = recent / rate if rate > 0 else 10.0
                delay = transit
                if rho < 1.0:
                    delay += (1.0 / rate) * rho / (1.0 - rho)
                target = min(node.received, log.count_at(now - delay))
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
