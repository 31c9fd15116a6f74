"""Evidence: what the investigation tools return, read from the simulation's state and journal.

:class:`Evidence` answers the investigation commands of
:mod:`engine.commands.investigate` (through
:meth:`engine.sim.control.SimulationContext.investigate`) with the lines a
responder would see from the real tool:

* ``logs``: a node's recent lines as a central log aggregator holds them,
  written from the journal's events (health-check transitions, VIP moves,
  promotions, starts), from what the node's dependencies look like from it now,
  and from its per-second metrics; a node that is down logs nothing after it
  went down;
* ``probe``: ping and ``nc -zv`` from one node to another, with
  :meth:`engine.sim.world.World.reachable` semantics (a probe from the wrong
  side of a partition sees that side's view);
* ``replication``: ``pg_stat_replication`` on a primary, ``pg_stat_wal_receiver``
  on a replica, with the simulated write positions as positions;
* ``backends``: HAProxy's ``show stat`` of a load balancer's health view;
* ``dig``: a DNS's answers, or what a client's resolvers hold now.

Nothing here changes the simulation, draws randomness or reads the wall
clock: the same state gives the same lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.commands.investigate import PROBE_TIMEOUT, TIMED_OUT
from engine.scoring.format import clock
from engine.sim.journal import Entry
from engine.sim.model import Node

if TYPE_CHECKING:
    from engine.sim.monitoring import Monitoring
    from engine.sim.world import World

LOG_WINDOW = 180.0
"""Seconds of logs the aggregator's query covers (the last three minutes)."""
LOG_LINES = 20
"""Lines ``logs`` returns at most (the newest)."""
STATS_EVERY = 15.0
"""Seconds between a node's periodic status lines."""
ERROR_EVERY = 5.0
"""Seconds between two error lines of one failing dependency (a retry loop's cadence, PostgreSQL's 5 s
``wal_retrieve_retry_interval``)."""
WALSENDER_TIMEOUT = 60.0
"""PostgreSQL's ``wal_sender_timeout``: a primary drops a standby it has not heard from for this long."""

PORTS = {"database": 5432, "cache": 6379, "app_server": 8080, "load_balancer": 80, "service": 80, "dns": 53,
         "cdn": 443, "client": 0}
"""The port each kind of node listens on (what ``nc`` is pointed at)."""
SERVICE = {"database": "postgresql", "cache": "redis-server", "app_server": "app", "load_balancer": "haproxy",
           "service": "service", "dns": "traffic-manager", "cdn": "edge", "client": "client"}
"""The unit name a node's process runs as (``systemd[1]: Starting postgresql...``)."""
_NET = {"client": 1, "dns": 2, "cdn": 3, "load_balancer": 4, "app_server": 5, "cache": 6, "service": 7, "database": 8}

OPEN, REFUSED, TIMEOUT = "open", "connection refused", TIMED_OUT
"""A probe's verdicts."""


class Evidence:
    """The investigation tools over one world (reads only)."""

    def __init__(self, world: World, monitoring: Monitoring) -> None:
        self.world = world
        self.monitoring = monitoring

    def gather(self, tool: str, target: str, args: dict[str, Any]) -> tuple[str, ...]:
        """The lines ``tool`` returns run against ``target`` now."""
        world = self.world
        if tool == "replstatus" and target not in world.nodes:
            target = world.clusters[target].writer if target in world.clusters else target
        node = world.nodes[target]
        if tool == "logs":
            return self.logs(node)
        if tool == "probe":
            return self.probe(node, world.nodes[str(args.get("to"))])
        if tool == "replstatus":
            return self.replication(node)
        if tool == "backends":
            return self.backends(node)
        if tool == "dig":
            return self.dig(node)
        raise ValueError(f"unknown investigation tool '{tool}'")

    # ------------------------------------------------------------------ shared

    def address(self, node: Node) -> str:
        """A stable private address for a node (by region, kind and order)."""
        regions = self.world.scenario.topology.regions
        region = regions.index(node.region) + 1 if node.region in regions else 9
        return f"10.{region}.{_NET.get(node.kind, 9)}.{10 + node.order}"

    def _cut(self, src: Node, dst: Node) -> bool:
        """Whether the network between two nodes is gone (a dark region, a partition): packets vanish."""
        world = self.world
        if world.dark_node(src) or world.dark_node(dst):
            return True
        for side_a, side_b in world.partitions:
            in_a = [n.name in side_a or n.region in side_a for n in (src, dst)]
            in_b = [n.name in side_b or n.region in side_b for n in (src, dst)]
            if (in_a[0] and in_b[1]) or (in_b[0] and in_a[1]):
                return True
        return False

    def connect(self, src: Node | None, dst: Node) -> str:
        """What a TCP connection from ``src`` (None: the responder's bastion) to ``dst`` gets now."""
        if self.world.reachable(src, dst):
            return OPEN
        if (src is not None and self._cut(src, dst)) or self.world.dark_node(dst) or dst.fenced or dst.destroyed:
            return TIMEOUT
        return REFUSED

    def _pings(self, src: Node, dst: Node) -> bool:
        """Whether the host answers ping (its process may be down; a fenced host is powered off)."""
        return not self._cut(src, dst) and not dst.fenced and not dst.destroyed

    # ------------------------------------------------------------------ probe

    def probe(self, src: Node, dst: Node) -> tuple[str, ...]:
        """``ping -c 3`` and ``nc -zv -w 3`` from ``src`` to ``dst``; the last line ends with the verdict."""
        port = PORTS.get(dst.kind, 80)
        head = f"{src.name}$ nc -zv -w {PROBE_TIMEOUT:g} {dst.name} {port}"
        if not self.world.reachable(None, src) or src.kind == "client":
            why = "not reachable" if src.kind != "client" else "a client population, not a host"
            return (head, f"ssh: connect to host {src.name} port 22: {why}", f"result from {src.name}: could not run the probe")
        if self._pings(src, dst):
            rtt = 0.4 + (self.world.scenario.topology.inter_region_rtt * 1000 if src.region != dst.region else 0.0)
            ping = f"PING {dst.name} ({self.address(dst)}): 3 packets transmitted, 3 received, 0% packet loss, rtt avg {rtt:.1f} ms"
        else:
            ping = f"PING {dst.name} ({self.address(dst)}): 3 packets transmitted, 0 received, 100% packet loss"
        verdict = self.connect(src, dst)
        if verdict == OPEN:
            nc = f"Connection to {dst.name} ({self.address(dst)}) {port} port [tcp/{SERVICE[dst.kind]}] succeeded!"
        elif verdict == REFUSED:
            nc = f"nc: connect to {dst.name} ({self.address(dst)}) port {port} (tcp) failed: Connection refused"
        else:
            nc = f"nc: connect to {dst.name} ({self.address(dst)}) port {port} (tcp) timed out: Operation now in progress"
        return (head, ping, nc, f"result from {src.name} to {dst.name}:{port}: {verdict}")

    # ------------------------------------------------------------------ replication

    def replication(self, node: Node) -> tuple[str, ...]:
        """``pg_stat_replication`` on a primary (and on a replica with replicas of its own), the WAL
        receiver's status on a replica; positions are write counts, lag is seconds."""
        world = self.world
        head = f"{node.name}=# select * from pg_stat_replication;"
        verdict = self.connect(None, node)
        if verdict != OPEN:
            why = "Connection refused" if verdict == REFUSED else "Connection timed out"
            return (f"{node.name}$ psql -h {node.name}",
                    f'psql: error: could not connect to server: connection to server at "{node.name}" '
                    f"({self.address(node)}), port 5432 failed: {why}")
        lines: list[str] = []
        log = world.root_log(node) if node.role == "replica" else node.log
        if node.role == "primary":
            writer = world.cluster_of[node.name].writer
            lines.append(f"{node.name}=# select pg_is_in_recovery(), pg_current_wal_lsn();  -- f, {log.count if log else 0}"
                         + ("" if writer == node.name else "  (not the cluster's writer)"))
        else:
            lines.append(f"{node.name}=# select * from pg_stat_wal_receiver;")
            up = world.nodes[node.upstream] if node.upstream else None
            status = "streaming" if node.replicating else "stopped"
            lines.append(" status    | sender_host | received_lsn | replay_lsn | replay_lag")
            lag = self.monitoring.replica_lag(node)
            lines.append(f" {status:<9} | {up.name if up else '-':<11} | {node.received:>12} | {node.applied:>10} | {lag:.1f} s")
            if node.diverged:
                lines.append(" (diverged: this replica holds writes the new primary never had; rebuild it)")
        downstream = [world.nodes[n] for n in world.cluster_of[node.name].members
                      if world.nodes[n].role == "replica" and world.nodes[n].upstream == node.name]
        if node.role == "primary" or downstream:
            lines.append(head)
            lines.append(" application_name | state     | sync_state | sent_lsn | replay_lsn | replay_lag")
            shown = 0
            for replica in downstream:
                if replica.destroyed:
                    continue
                connected = replica.replicating and world.reachable(node, replica) and world.reachable(replica, node)
                if not connected:
                    state = "stopped"
                elif replica.mode == "sync" and not replica.caught_up:
                    state = "catchup"
                else:
                    state = "streaming"
                sync = "sync" if replica.mode == "sync" else "async"
                lag = self.monitoring.replica_lag(replica)
                lines.append(f" {replica.name:<16} | {state:<9} | {sync:<10} | {replica.received:>8} | "
                             f"{replica.applied:>10} | {lag:.1f} s")
                shown += 1
            lines.append(f"({shown} row{'s' if shown != 1 else ''})")
        return tuple(lines)

    # ------------------------------------------------------------------ backends

    def check_result(self, lb: Node, app: Node) -> str:
        """The result of the load balancer's health check of ``app`` now, in HAProxy's words."""
        hc = self.world.scenario.automation.health_check
        verdict = self.connect(lb, app)
        if verdict == REFUSED:
            return "L4CON"
        if verdict == TIMEOUT:
            return "L4TOUT"
        if hc.type != "http":
            return "L4OK"
        if app.wait + app.spec.service_time * app.slow >= hc.timeout:
            return "L7TOUT"
        if app.err >= 0.5:
            return "L7STS"
        return "L7OK"

    def backends(self, lb: Node) -> tuple[str, ...]:
        """``show stat`` on a load balancer: each backend's status, last check, last change and session rate."""
        world = self.world
        head = f"{lb.name}$ echo 'show stat' | socat stdio /run/haproxy/admin.sock"
        verdict = self.connect(None, lb)
        if verdict != OPEN:
            why = "Connection refused" if verdict == REFUSED else "Connection timed out"
            return (head, f"ssh: connect to host {lb.name} port 22: {why}" if verdict == TIMEOUT
                    else f"socat: connect(/run/haproxy/admin.sock): {why}")
        vip = world.vip_of[lb.name]
        hc = world.scenario.automation.health_check
        view = world.health.get(lb.name, {})
        changed: dict[str, float] = {}
        for entry in world.journal:
            if entry.type in ("BackendMarkedUp", "BackendMarkedDown") and entry.data.get("lb") == lb.name:
                changed[str(entry.data.get("backend"))] = entry.t
        now = world.env.now
        lines = [head, " pxname | svname | status   | check_status | lastchg | rate"]
        up = 0
        for name, state in view.items():
            marked_up, streak = state[0], state[1]
            app = world.nodes[name]
            if marked_up:
                up += 1
                status = f"UP {hc.fall - streak}/{hc.fall}" if streak else "UP"
            else:
                status = f"DOWN {streak}/{hc.rise}" if streak else "DOWN"
            if app.drained:
                status = "MAINT"
            check = self.check_result(lb, app) if lb.up else "-"
            since = now - changed.get(name, 0.0)
            rate = world.node_metrics.get(name, {}).get("requests", 0.0) if (marked_up and vip.holder == lb.name) else 0.0
            group = app.group or "backend"
            lines.append(f" {group} | {name} | {status:<8} | {check:<12} | {_ago(since):>7} | {rate:.0f}")
        role = "holds the virtual IP" if vip.holder == lb.name else "standby: does not hold the virtual IP"
        lines.append(f"{up}/{len(view)} backends UP ({lb.name} {role} {vip.name}; checks every {hc.interval:g} s, "
                     f"fall {hc.fall}, rise {hc.rise})")
        return tuple(lines)

    # ------------------------------------------------------------------ dig

    def dig(self, node: Node) -> tuple[str, ...]:
        """A DNS's answers (target a DNS) or the answers a client population holds (target a client)."""
        world = self.world
        name = f"www.{world.scenario.id or 'shop'}.example."
        if node.kind == "dns":
            return self._dns_answers(node, name)
        lines = [f"{node.name}$ dig {name}"]
        resolvers = [world.nodes[n] for n in world.graph.successors(node.name) if world.nodes[n].kind == "dns"]
        if not resolvers:
            vips = [world.vip_of[n] for n in world.graph.successors(node.name) if n in world.vip_of]
            for vip in vips:
                lines.append(f"{name} static A record: virtual IP {vip.name} (held by {vip.holder or 'nobody'}); no DNS in front")
            if not vips:
                lines.append(f"{name} static A records: {', '.join(world.graph.successors(node.name))}; no DNS in front")
            return tuple(lines)
        now = world.env.now
        for dns in resolvers:
            state = world.dns_state[dns.name]
            pops = world.dns_populations(dns.name)
            age = now - state["since"]
            # each population's share of answers per region now (the world's own blend: TTL and sticky holds)
            blends = world.dns_blends(dns.name, now)
            for index, ((share, hold), blend) in enumerate(zip(pops, blends)):
                kind = "resolvers" if len(pops) == 1 else ("resolvers honouring the TTL", "sticky resolvers")[index]
                answers = ", ".join(f"{r} {w:.0%}" for r, w in blend.items())
                moving = (f"still moving to the current answers, all there in {hold - age:.0f} s" if age < hold
                          else "all on the current answers")
                lines.append(f";; {kind} ({share:.0%} of {node.name}, keep answers {hold:g} s) via {dns.name}: "
                             f"{answers}; {moving}")
        return tuple(lines)

    def _dns_answers(self, dns: Node, name: str) -> tuple[str, ...]:
        world = self.world
        head = f"$ dig @{dns.name} {name}"
        if self.connect(None, dns) != OPEN:
            return (head, ";; connection timed out; no servers could be reached")
        state = world.dns_state[dns.name]
        weights = state["to"]
        total = sum(weights.values())
        lines = [head, ";; ANSWER SECTION:"]
        for region, weight in weights.items():
            holders = [world.vip_of[s] for s in world.graph.successors(dns.name)
                       if s in world.vip_of and world.nodes[s].region == region]
            where = ", ".join(f"{v.name} held by {v.holder or 'nobody'}" for v in holders) or region
            share = weight / total if total > 0 else 0.0
            note = " (excluded by health check)" if region in state["excluded"] else ""
            lines.append(f"{name} {dns.spec.ttl:g} IN A {self._region_address(region)} ; {region} weight {share:.0%}: {where}{note}")
        if dns.spec.sticky is not None and dns.spec.sticky.share > 0:
            lines.append(f";; note: {dns.spec.sticky.share:.0%} of clients sit behind resolvers that keep an answer "
                         f"{dns.spec.sticky.hold:g} s, past the TTL")
        return tuple(lines)

    def _region_address(self, region: str) -> str:
        regions = self.world.scenario.topology.regions
        return f"203.0.113.{10 + (regions.index(region) if region in regions else 90)}"

    # ------------------------------------------------------------------ logs

    def logs(self, node: Node) -> tuple[str, ...]:
        """The node's newest lines in the log aggregator over the last :data:`LOG_WINDOW` seconds."""
        world = self.world
        now = world.env.now
        start = max(0.0, now - LOG_WINDOW)
        cutoff = self._silent_since(node)
        rows: list[tuple[float, str]] = []
        rows += self._event_lines(node, start)
        if cutoff is None and node.up:
            rows += self._condition_lines(node, start, now)
        rows += self._stats_lines(node, start)
        rows = [(t, text) for t, text in rows if start <= t <= now and (cutoff is None or t <= cutoff)]
        rows.sort(key=lambda row: row[0])  # stable: lines of one instant keep the order they were written in
        head = f"{node.name}: logs of the last {LOG_WINDOW / 60:.0f} minutes (newest {LOG_LINES})"
        if not rows:
            return (head, "(no lines)")
        return (head, *(f"{clock(t)} {node.name} {text}" for t, text in rows[-LOG_LINES:]))

    def _silent_since(self, node: Node) -> float | None:
        """When a node that is down now went silent (its last line can be no later), or None if it logs."""
        world = self.world
        if node.up and not world.dark_node(node):
            return None
        if node.booting:
            return None  # booting: its start-up lines come in
        last = None
        for entry in world.journal:
            d = entry.data
            if entry.type in ("NodeCrashed", "NodeFenced") and d.get("node") == node.name:
                last = entry.t
            elif entry.type == "FaultInjected" and d.get("fault") == "region_outage" and d.get("target") == node.region:
                last = entry.t if world.dark_node(node) else last
        return last if last is not None else world.env.now

    def _event_lines(self, node: Node, start: float) -> list[tuple[float, str]]:
        """Lines the journal's events leave in this node's log."""
        world = self.world
        rows: list[tuple[float, str]] = []
        marked: dict[str, bool] = {b: True for b in world.health.get(node.name, {})}
        timelines: dict[str, int] = {}
        deps = set(world.graph.successors(node.name))
        pid = 1000 + 37 * node.order
        for entry in world.journal:
            d, t, kind = entry.data, entry.t, entry.type
            if kind == "ReplicaPromoted":
                timelines[str(d.get("cluster"))] = timelines.get(str(d.get("cluster")), 1) + 1
            if kind == "NodeAdded" and node.name in world.health and d.get("node") in world.health[node.name]:
                marked[str(d.get("node"))] = False
            if kind in ("BackendMarkedUp", "BackendMarkedDown") and d.get("lb") == node.name:
                backend = str(d.get("backend"))
                marked[backend] = kind == "BackendMarkedUp"
                if t < start:
                    continue
                group = world.nodes[backend].group or "backend"
                left = sum(marked.values())
                if kind == "BackendMarkedUp":
                    rows.append((t, f"[WARNING] Server {group}/{backend} is UP, reason: Layer4 check passed. "
                                    f"{left} active and 0 backup servers online."))
                else:
                    rows.append((t, f"[WARNING] Server {group}/{backend} is DOWN, reason: {self._down_reason(node, backend)}. "
                                    f"{left} active and 0 backup servers left."))
                    if left == 0:
                        rows.append((t, f"[ALERT] backend {group} has no server available!"))
                continue
            if t < start:
                continue
            if d.get("node") == node.name:
                rows += [(t, text) for text in self._own_event(node, entry, timelines, pid)]
            elif kind == "VipMoved" and node.name in (d.get("new"), d.get("old")):
                state = "MASTER" if d.get("new") == node.name else "BACKUP"
                rows.append((t, f"Keepalived_vrrp[{pid}]: (VI_{d.get('vip')}) Entering {state} STATE"))
            elif kind == "DnsWeightsChanged" and d.get("dns") == node.name:
                weights = " ".join(f"{r}={w}" for r, w in (d.get("weights") or {}).items())
                rows.append((t, f"answering with weights {weights} ({d.get('why')})"))
            elif kind == "NodeCrashed" and (d.get("node") in deps or d.get("node") == node.upstream):
                rows.append((t, self._peer_died(node, world.nodes[str(d.get("node"))])))
            elif kind == "CommandIssued" and d.get("command") == "restart" and d.get("target") == node.name:
                rows.append((t, f"systemd[1]: Stopping {SERVICE[node.kind]}..."))
        return rows

    def _own_event(self, node: Node, entry: Entry, timelines: dict[str, int], pid: int) -> list[str]:
        """Lines an event about the node itself leaves in its log."""
        d, kind, svc = entry.data, entry.type, SERVICE[node.kind]
        timeline = timelines.get(node.cluster or "", 1)
        if kind == "AutoRestartStarted":
            return [f"systemd[1]: {svc}.service: Scheduled restart job. Starting {svc}..."]
        if kind in ("NodeStarted", "NodeRecovered", "PrimaryReturned"):
            return [_ready(node, pid)]
        if kind == "ReplicaPromoted":
            return ["LOG:  received promote request", f"LOG:  selected new timeline ID: {timeline}",
                    "LOG:  database system is ready to accept connections"]
        if kind == "ReplicaRejoined":
            return [f"LOG:  started streaming WAL from primary {d.get('upstream')} on timeline {timeline} ({d.get('why')})"]
        if kind == "ReplicaDiverged":
            return ["FATAL:  could not start WAL streaming: ERROR:  requested starting point is ahead of the WAL "
                    f"flush position of this server ({d.get('ahead_by')} writes ahead of the new timeline)"]
        return []

    def _peer_died(self, node: Node, peer: Node) -> str:
        """The line a caller (or a replica) writes when the connection to a peer drops under it."""
        if node.kind == "database":
            return "FATAL:  could not receive data from WAL stream: server closed the connection unexpectedly"
        if peer.kind == "cache":
            return f"ERROR Error 104 while reading from {peer.name}:6379: Connection reset by peer"
        if peer.kind == "database":
            return f"ERROR server {peer.name}:5432 closed the connection unexpectedly"
        return f"ERROR connection to {peer.name}:{PORTS.get(peer.kind, 80)} reset by peer"

    def _down_reason(self, lb: Node, backend: str) -> str:
        """Why a backend fails its checks, as HAProxy words it (judged now; a timeout when it passes again)."""
        result = self.check_result(lb, self.world.nodes[backend])
        return {
            "L4CON": 'Layer4 connection problem, info: "Connection refused"',
            "L7TOUT": "Layer7 timeout",
            "L7STS": "Layer7 wrong status, code: 500",
        }.get(result, "Layer4 timeout")

    def _since(self, names: set[str]) -> float:
        """When the last event that could change how these nodes see each other happened."""
        last = 0.0
        for entry in self.world.journal:
            d = entry.data
            if (d.get("node") in names or d.get("target") in names or d.get("new") in names
                    or d.get("fault") in ("partition", "region_outage") or entry.type == "ReplicaPromoted"):
                if entry.type not in ("CommandIssued", "CommandRefused", "EvidenceGathered", "AlertFired",
                                      "AlertResolved", "CommandCompleted"):
                    last = entry.t
        return last

    def _repeat(self, since: float, start: float, now: float, text: str, first: str | None = None) -> list[tuple[float, str]]:
        """``text`` every :data:`ERROR_EVERY` seconds from ``since`` (``first`` at ``since`` itself) until now."""
        rows = []
        t = since + 0.5
        if first is not None:
            rows.append((since + 0.001, first))
            t = since + ERROR_EVERY
        if t < start:
            t += ((start - t) // ERROR_EVERY + 1) * ERROR_EVERY
        while t <= now:
            rows.append((t, text))
            t += ERROR_EVERY
        return rows

    def _condition_lines(self, node: Node, start: float, now: float) -> list[tuple[float, str]]:
        """Lines the node writes now and again about dependencies it cannot use (from the state now)."""
        world = self.world
        rows: list[tuple[float, str]] = []
        if node.kind == "database" and node.role == "replica" and node.upstream:
            up = world.nodes[node.upstream]
            since = self._since({node.name, up.name})
            if node.replication_broken:
                rows += self._repeat(since, start, now, "FATAL:  could not receive data from WAL stream: ERROR:  "
                                                        "requested WAL segment has already been removed")
            elif not node.replicating and not node.diverged:
                verdict = self.connect(node, up)
                why = "Connection refused" if verdict == REFUSED else "Connection timed out"
                rows += self._repeat(since, start, now, f'FATAL:  could not connect to the primary server: connection to '
                                                        f'server at "{up.name}" ({self.address(up)}), port 5432 failed: {why}')
        if node.kind == "database" and node.role == "primary":
            for name in world.cluster_of[node.name].members:
                replica = world.nodes[name]
                if replica.role == "replica" and replica.upstream == node.name and replica.up and not world.reachable(node, replica):
                    since = self._since({node.name, name}) + WALSENDER_TIMEOUT
                    if start <= since <= now:
                        rows.append((since, f"LOG:  terminating walsender process for {name} due to replication timeout"))
        if node.kind in ("app_server", "service", "cdn"):
            for dep_name in world.graph.successors(node.name):
                dep = world.nodes[dep_name]
                if dep.kind == "database" and dep.name in world.cluster_of:
                    dep = world.nodes[world.cluster_of[dep.name].writer]
                verdict = self.connect(node, dep)
                if verdict == OPEN:
                    if dep.kind == "service" and dep.err >= 0.2:
                        rows += self._repeat(self._since({node.name, dep.name}), start, now,
                                             f"WARN GET http://{dep.name}/ returned 503 Service Unavailable")
                    continue
                since = self._since({node.name, dep.name})
                rows += self._repeat(since, start, now, _failure(dep, verdict))
        if node.kind == "load_balancer" and world.vip_of[node.name].holder == node.name:
            view = world.health.get(node.name, {})
            for backend, state in view.items():
                marked_up = state[0]
                app = world.nodes[backend]
                verdict = self.connect(node, app)
                if marked_up and verdict != OPEN:
                    since = self._since({node.name, backend})
                    text = ("upstream timed out (110: Connection timed out) while connecting to upstream, "
                            f'upstream: "http://{self.address(app)}:8080/"' if verdict == TIMEOUT else
                            f'connect() failed (111: Connection refused) while connecting to upstream, upstream: '
                            f'"http://{self.address(app)}:8080/"')
                    rows += self._repeat(since, start, now, text)
            if view and not any(state[0] for state in view.values()):
                group = world.nodes[next(iter(view))].group or "backend"
                rows += self._repeat(self._since(set(view) | {node.name}), start, now,
                                     f"[ALERT] backend {group} has no server available! 503 <NOSRV>")
        return rows

    def _stats_lines(self, node: Node, start: float) -> list[tuple[float, str]]:
        """A status line every :data:`STATS_EVERY` seconds the node was up, from its per-second metrics."""
        world = self.world
        if node.kind == "client":
            return []
        history = world.node_history.get(node.name)
        times = world.series.get("t") or []
        if not history or not times:
            return []
        rows: list[tuple[float, str]] = []
        last_t = times[-1]
        for back, (up, req, err, util, lat, lag) in enumerate(reversed(history)):
            t = last_t - back
            if t < start:
                break
            if not up or round(t) % STATS_EVERY:
                continue
            rows.append((t, _stats(node, req, err, util, lat, lag)))
        rows.reverse()
        return rows


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _ready(node: Node, pid: int) -> str:
    """The line a process writes once it serves."""
    return {
        "database": "LOG:  database system is ready to accept connections",
        "cache": f"{pid}:M * Ready to accept connections tcp",
        "load_balancer": f"[NOTICE] haproxy[{pid}]: Proxy frontend started.",
        "app_server": "INFO Listening on 0.0.0.0:8080",
        "service": "INFO Listening on 0.0.0.0:80",
    }.get(node.kind, f"systemd[1]: Started {SERVICE[node.kind]}.")


def _failure(dep: Node, verdict: str) -> str:
    """The line a caller writes when a call to ``dep`` fails with ``verdict``."""
    refused = verdict == REFUSED
    if dep.kind == "database":
        return f"ERROR connect to {dep.name}:5432 failed: {'connection refused' if refused else 'timed out after 3.0 s'}"
    if dep.kind == "cache":
        return (f"ERROR Error 111 connecting to {dep.name}:6379. Connection refused." if refused
                else f"ERROR Timeout connecting to {dep.name}:6379")
    if refused:
        return f"ERROR GET http://{dep.name}/ failed: [Errno 111] Connection refused"
    return f"ERROR GET http://{dep.name}/ failed: Read timed out."


def _stats(node: Node, req: float, err: float, util: float, lat: float, lag: float) -> str:
    """A periodic status line from one second's metrics."""
    if node.kind == "app_server":
        return f"INFO {req:.0f} req/s, {err:.1%} errors, mean {lat * 1000:.0f} ms, workers {util:.0%} busy"
    if node.kind == "database":
        text = f"LOG:  {req:.0f} queries/s, load {util:.0%}"
        return text + (f", replica lagging {lag:.1f} s behind" if lag >= 1.0 else "")
    if node.kind == "cache":
        return f"{1000 + 37 * node.order}:M {req:.0f} ops/s, load {util:.0%}"
    if node.kind == "load_balancer":
        return f"[INFO] frontend: {req:.0f} req/s, {err:.1%} 5xx"
    return f"INFO {req:.0f} req/s, {err:.1%} errors"


def gist(command: str, lines: list[str] | tuple[str, ...]) -> str:
    """One line saying what an investigation returned (for the postmortem): the verdict, the summary or the
    worst line."""
    lines = [str(line) for line in lines]
    if not lines:
        return "nothing"
    body = lines[1:]
    failed = next((line for line in body if "could not connect" in line or "no servers could be reached" in line
                   or line.startswith("ssh: ") or line.startswith("socat: ")), None)
    if failed is not None:
        return failed
    if command == "probe":
        return lines[-1]
    if command == "backends":
        down = [cells[1].strip() + " " + cells[2].strip() + " " + cells[3].strip()
                for cells in (line.split("|") for line in body) if len(cells) >= 4 and not cells[2].strip().startswith(("UP", "status"))]
        summary = lines[-1].split(" (")[0]
        return summary + (": " + ", ".join(down) if down else "")
    if command == "replstatus":
        rows, header = [], ""
        for line in body:
            cells = [c.strip() for c in line.split("|")]
            if len(cells) < 5:
                continue
            if cells[0] in ("application_name", "status"):
                header = cells[0]
            elif header == "status":  # a replica's WAL receiver
                rows.append(f"receiver {cells[0]} from {cells[1]}, replayed {cells[3]}, lag {cells[4]}")
            else:
                rows.append(f"{cells[0]} {cells[1]} lag {cells[-1]}")
        return ", ".join(rows) or lines[0]
    if command == "dig":
        answers = [line.split(" ; ", 1)[-1] if " ; " in line else line.removeprefix(";; ") for line in body
                   if not line.startswith(";; ANSWER") and not line.startswith(";; note")]
        return "; ".join(answers)
    worst = [line for line in body if any(word in line for word in ("ERROR", "FATAL", "ALERT", "DOWN"))]
    if worst:
        return f"{len(body)} lines, the newest error: {worst[-1]}"
    return f"{len(body)} lines, the newest: {body[-1]}" if body and body != ["(no lines)"] else "no lines"
