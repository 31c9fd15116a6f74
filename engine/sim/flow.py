"""Traffic: the fluid model that turns rates into ok, degraded and failed requests.

:class:`Traffic` is the part of :class:`engine.sim.simulation.Simulation` that reads the
world's runtime state (nodes, VIP groups, clusters, health-check views,
partitions) through a :class:`~engine.sim.plan.RoutingPlan` and integrates one
segment of time per :meth:`Traffic.step` call; the database write path is its
:class:`~engine.sim.writes.Writes`. It is the engine's hot path: it runs a few
thousand times per simulated minute.
"""

from __future__ import annotations

import math

from engine.sim.calls import cache_hit, call
from engine.sim.plan import RoutingPlan, callers_first
from engine.sim.queueing import fluid_queue, mmc_wait
from engine.sim.world import World
from engine.sim.writes import Writes
from engine.sim.model import CONNECT_TIMEOUT, DEFAULT_CALL_TIMEOUT, Cluster, Node, SecondAcc, VipGroup

# Per-request CPU time of a static request relative to the app's service time.
STATIC_COST = 0.25
# A write costs the database this many read-equivalents of capacity.
WRITE_COST = 2.0
# Seconds a load balancer adds to a request it forwards when nothing says otherwise (the schema's default).
LB_LATENCY = 0.001
# Latency spread points: (multiplier of the queueing part, weight), so that
# p50, p95 and p99 of an exponential wait land on the right values.
SPREAD = ((0.69, 0.5), (3.0, 0.45), (4.6, 0.04), (6.9, 0.01))


class Traffic:
    """Request routing, queueing, outcomes, write acknowledgement and replication over a world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.acc = SecondAcc()
        """Sums of the second being integrated; monitoring takes them when the second closes."""
        self.classes: list[list[Node]] = []
        """App servers in classes of identical ones (same plan, same state): computed once per class."""
        self.classes_version = -1
        self.tied: set[int] = set()
        """``id`` of each class (of two or more app servers, all up) whose members' per-second sums are
        their first member's: those sums are then kept on the first member only (see :meth:`untie`)."""
        self._class_firsts: set[str] = set()
        self._seg_end = 0.0
        self.writes = Writes(world)
        """The database write path (acknowledgement and replication)."""
        self.plan: RoutingPlan | None = None
        """The routing structures of the world's current version (built at the first step)."""
        self._downstream_cache: tuple[int, list[Node]] | None = None
        self.spreads: dict[str, tuple[float, float]] = {}
        """Per app server: (mean of the random, M/M/c part of its queueing wait, seconds its mean wait is
        below the queue timeout). The fluid backlog's wait is the same for every request; the M/M/c part
        is exponential; no served request waits past the queue timeout."""
        self._lb_in: dict[str, list[float]] = {}
        """Per app server this step: [requests forwarded to it x the forwarding LB's latency, requests]."""

    @property
    def downstream(self) -> list[Node]:
        """Caches, databases and services in the order their queues are computed (callers first)."""
        cache = self._downstream_cache
        if cache is None or cache[0] != len(self.world.nodes):
            cache = (len(self.world.nodes), callers_first(self.world.graph, self.world.nodes))
            self._downstream_cache = cache
        return cache[1]

    def _plan(self) -> None:
        """Rebuild the routing structures for the world's current version."""
        self.plan = RoutingPlan(self.world, self.plan)

    def _dns_failing(self, name: str, t: float) -> float:
        """The fraction of lookups a DNS provider fails: 0 while up, then rising as cached answers expire (TTL)."""
        node = self.world.nodes[name]
        if node.up:
            return 0.0
        down = self.world.dns_state[name]["down_since"] or t
        return min(1.0, (t - down) / node.spec.ttl)

    def _resolve(self, providers: list, t: float, amount: float, cls: int, into: dict) -> None:
        """A client with several DNS providers (NS records at each): resolvers retry another provider
        when one does not answer, so a lookup fails only when every provider fails it; the rest is
        answered by the providers that do, in proportion to how much each answers."""
        failing = [self._dns_failing(name, t) for _, name in providers]
        lost = amount
        for fail in failing:
            lost *= fail
        if lost > 0:
            self._fail(cls, lost, CONNECT_TIMEOUT, None)
        answering = sum(1.0 - fail for fail in failing)
        if answering <= 0:
            return
        for (_, name), fail in zip(providers, failing):
            if fail < 1.0:
                self._route("dns", name, t, (amount - lost) * (1.0 - fail) / answering, cls, into, None, resolved=True)

    def _route(self, kind: str, name: str, t: float, amount: float, cls: int, into: dict, origin_of: str | None,
               resolved: bool | None = None) -> None:
        """Push ``amount`` requests of class ``cls`` towards VIP groups, recording failures on the way
        (``resolved``: the lookup already succeeded, see :meth:`_resolve`)."""
        if amount <= 0:
            return
        if kind == "vip":
            vip = self.world.vip_of[name]
            arr = into.get(vip.name)
            if arr is None:
                arr = into[vip.name] = [0.0, 0.0, 0.0, 0.0, None]
            arr[cls] += amount
            if origin_of is not None:
                origins = arr[4]
                if origins is None:
                    origins = arr[4] = {}
                origins[origin_of] = origins.get(origin_of, 0.0) + amount
            return
        # DNS: weighted regions, failing over the TTL while the resolver is down
        fail = self._dns_failing(name, t) if resolved is None else 0.0
        if fail > 0:
            self._fail(cls, amount * fail, CONNECT_TIMEOUT, origin_of)
            amount *= 1.0 - fail
        weights = self._step_dns.get(name)
        if weights is None:
            weights = self._step_dns[name] = self.world.dns_weights(name, t)
        by_region = self.plan.dns_vips[name]
        for region, weight in weights.items():
            vips = by_region.get(region)
            if weight <= 0 or not vips:
                continue
            share = amount * weight / len(vips)
            for vip_member in vips:
                self._route("vip", vip_member, t, share, cls, into, origin_of)

    def _fail(self, cls: int, amount: float, latency: float, origin_of: str | None) -> None:
        """Account failed requests (a CDN origin fetch that fails may still be served stale)."""
        acc = self.acc
        if cls == 3 and origin_of is not None:
            cdn = self.world.nodes[origin_of]
            if cdn.spec.stale_if_error and cdn.up:
                acc.ok += amount
                acc.points.append((cdn.spec.latency, amount))
                return
        acc.failed += amount
        acc.points.append((min(latency, self.world.client_timeout), amount))
        if cls == 1:
            acc.w_failed += amount

    def _ok(self, cls: int, amount: float, latency: float, spread: float, degraded: bool = False,
            ceiling: float = math.inf) -> None:
        """Served requests at mean ``latency``: the spread points of an exponential queueing part of mean
        ``spread``, none above ``ceiling`` (the queue timeout's bound) or the users' timeout."""
        if amount <= 0:
            return
        acc = self.acc
        if degraded:
            acc.degraded += amount
        else:
            acc.ok += amount
        base = latency - spread
        pts = acc.points
        limit = self.world.client_timeout
        if ceiling < limit:
            limit = ceiling
        for mult, weight in SPREAD:
            value = base + spread * mult
            pts.append((value if value < limit else limit, amount * weight))

    def _call(self, src: Node, dst: Node, timeout: float) -> tuple[float, float, float]:
        """Outcome of ``src`` calling ``dst`` now: see :func:`engine.sim.calls.call`."""
        return call(self.world, self.plan, src, dst, timeout)

    def step(self, t0: float, dt: float) -> None:
        """Integrate traffic over ``[t0, t0 + dt)`` under the current state."""
        if self.plan is None or self.plan.version != self.world.version:
            self._plan()
        t = t0 + dt * 0.5
        self._seg_end = t0 + dt
        self._step_dns: dict[str, dict[str, float]] = {}
        self._lb_in = {}
        into = self._arrivals(t, dt)
        if self.classes_version != self.world.version:
            self.untie()
            self.classes = self._app_classes()
            self.classes_version = self.world.version
            self.tied = {id(members) for members in self.classes if self._level(members)}
        # 2. VIP groups -> app servers (only each class's first member needs its arrivals)
        app_in: dict[str, list[float]] = {}
        origin_in: dict[str, dict[str, float]] = {}
        for vip_name, amounts in into.items():
            self._balance(self.world.vips[vip_name], amounts, app_in, origin_in)
        admitted = self._admit(app_in, dt)
        self._downstream_queues(dt)
        self._share_outcomes(admitted, origin_in, dt)
        # 6. replication
        self.writes.replicate(t0 + dt, dt)

    @staticmethod
    def _level(members: list[Node]) -> bool:
        """Whether a class's per-second sums can be kept on its first member alone from now on.

        They can when every member's sums are the first's now (so at the start of a second, when
        all are 0) and every later increment is the same for all of them: true of a class that is
        up (each step adds the class's figures to each member; a load balancer that cannot reach
        them, in a dark region, fails the same share of requests on each, as they have one spec).
        """
        if len(members) < 2 or not members[0].up:
            return False
        first = members[0]
        sums = (first.m_req, first.m_fail, first.m_ok, first.m_lat, first.m_util)
        return all((o.m_req, o.m_fail, o.m_ok, o.m_lat, o.m_util) == sums for o in members[1:])

    def untie(self) -> None:
        """Give the members of tied classes their sums (the first member's) and stop keeping them tied."""
        if not self.tied:
            return
        for members in self.classes:
            if id(members) in self.tied:
                first = members[0]
                for other in members[1:]:
                    other.m_req, other.m_fail, other.m_ok = first.m_req, first.m_fail, first.m_ok
                    other.m_lat, other.m_util = first.m_lat, first.m_util
        self.tied = set()

    def _arrivals(self, t: float, dt: float) -> dict[str, list]:
        """Step 1: clients' requests of this segment, resolved (DNS, CDN) to VIP groups."""
        nodes = self.world.nodes
        acc = self.acc
        # 1. clients -> VIP groups
        into: dict[str, list] = {}
        for client, (dynamic, static) in self.plan.entries.items():
            curves = self.world.curves[client]
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
                if len(targets) > 1 and targets is dynamic and all(kind == "dns" for kind, _ in targets):
                    self._resolve(dynamic, t, amount, cls, into)
                    continue
                share = amount / len(targets)
                for kind, name in targets:
                    if kind == "cdn":
                        self._cdn(nodes[name], share, t, into)
                    else:
                        self._route(kind, name, t, share, cls, into, None)
        return into

    def _admit(self, app_in: dict[str, list[float]], dt: float) -> list[tuple[list[Node], tuple, tuple]]:
        """Step 3: what each class of app servers admits, and the load it sends downstream."""
        # 3. app servers admit what their workers can take; downstream load.
        # App servers with the same dependencies, spec, state and arrivals evolve identically
        # (the usual case for a pool behind one VIP): compute each such class once.
        plan_apps = self.plan.apps
        idle = (0.0, 0.0, 0.0, 0.0)
        admitted: list[tuple[list[Node], tuple, tuple]] = []
        for members in self.classes:
            node = members[0]
            k = len(members)
            plan = plan_apps[node.name]
            amounts = app_in.get(node.name) or idle
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
            # each limit is an M/M/c queue: the CPUs are c = capacity x service_time servers of
            # cpu_per_req seconds each, the workers c = workers servers of ``hold`` seconds each;
            # the one with the higher utilisation (the lower capacity) binds and sets the wait
            cpus = node.spec.capacity * node.spec.service_time / node.cap_div
            cpu_capacity = cpus / cpu_per_req
            worker_capacity = node.spec.workers / hold if hold > 0 else 1e9
            if cpu_capacity <= worker_capacity:
                capacity, servers, per_req = cpu_capacity, cpus, cpu_per_req
            else:
                capacity, servers, per_req = worker_capacity, float(node.spec.workers), hold
            drop = fluid_queue(node, total, capacity, node.spec.queue_timeout, dt)
            # the fluid backlog's wait (at most queue_timeout by construction) plus the M/M/c wait;
            # nobody waits past the queue timeout (they fail instead: the fluid queue's drops)
            jitter = mmc_wait(per_req, node.util, servers)
            wait = min(node.spec.queue_timeout, node.backlog / capacity + jitter)
            spread = (min(jitter, wait), node.spec.queue_timeout - wait)
            self.spreads[node.name] = spread
            node.wait = wait
            node.hold = hold
            node.latency = hold + wait
            node.drop = drop
            node.m_req += total
            if k > 1:
                backlog, util, latency = node.backlog, node.util, node.latency
                spreads = self.spreads
                for other in members[1:]:
                    other.backlog = backlog
                    other.util = util
                    other.wait = wait
                    other.hold = hold
                    other.latency = latency
                    other.drop = drop
                    spreads[other.name] = spread
                if id(members) not in self.tied:
                    busy = util * dt
                    for other in members[1:]:
                        other.m_util += busy
                        other.m_req += total
            if total <= 0:
                continue
            served = (1.0 - drop) * (1.0 - node.err)
            admitted.append((members, amounts, (served, wait, hold_r, hold_w, hold_s, spread)))
            reads = amounts[0] * served * k
            writes = amounts[1] * served * k
            # calls reach (load, and show in the metrics of) only the dependencies the app server can reach:
            # behind a partition or a crash they never arrive (the caller counts the failures)
            reach = self.world.reachable
            for cache, _ in plan["caches"][:1]:
                if reach(node, cache):
                    cache.m_in += reads
            for cluster, _ in plan["dbs"][:1]:
                # in read-only mode the application refuses writes before they reach the database
                miss = reads * (1.0 - cache_hit(plan)) + (0.0 if cluster.read_only else writes * WRITE_COST)
                writers = self.writes.writers(cluster, node)
                for primary in writers:
                    if reach(node, primary):
                        primary.m_in += miss / len(writers)
            for svc, share, _, _ in plan["services"]:
                if not svc.feature_off and reach(node, svc):
                    svc.m_in += reads * share
        return admitted

    def _downstream_queues(self, dt: float) -> None:
        """Step 4: caches, databases and services queue what reached them."""
        # 4. downstream queues
        for node in self.downstream:
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
            for dest, share, _, _ in self.plan.svc_deps.get(node.name, ()):
                # a service's own calls load what it calls (services come before what they call)
                (self.world.nodes[dest.writer] if isinstance(dest, Cluster) else dest).m_in += arrivals * share
            node.drop = fluid_queue(node, arrivals, capacity, timeout, dt)
            base = (spec.read_latency if node.kind == "database" else spec.latency) * node.slow
            wait = node.backlog / capacity + mmc_wait(base, node.util, 8.0)
            node.wait = wait
            node.latency = base + wait
            node.m_wlat += node.latency * dt
            if node.kind == "cache" and arrivals > 0 and node.warm < 1.0:
                node.warm += (1.0 - node.warm) * min(1.0, dt / spec.warmup)

    def _share_outcomes(self, admitted: list, origin_in: dict[str, dict[str, float]], dt: float) -> None:
        """Step 5: outcomes, once per class of identical app servers, shared out to its members."""
        plan_apps = self.plan.apps
        # 5. outcomes, once per class of identical app servers, shared out to its members
        for members, amounts, adm in admitted:
            node = members[0]
            k = len(members)
            origins = origin_in.get(node.name)
            if k == 1:
                self._outcomes(node, amounts, adm, plan_apps[node.name], origins, dt)
                continue
            before = (node.m_fail, node.m_lat, node.m_ok)
            scaled = [a * k for a in amounts]
            self._outcomes(node, scaled, adm, plan_apps[node.name], {c: v * k for c, v in origins.items()} if origins else None, dt)
            d_fail = (node.m_fail - before[0]) / k
            d_lat = (node.m_lat - before[1]) / k
            d_ok = (node.m_ok - before[2]) / k
            node.m_fail, node.m_lat, node.m_ok = before[0] + d_fail, before[1] + d_lat, before[2] + d_ok
            if id(members) in self.tied:
                continue  # the members' sums are the first's
            for other in members[1:]:
                other.m_fail += d_fail
                other.m_lat += d_lat
                other.m_ok += d_ok

    def _app_classes(self) -> list[list[Node]]:
        """App servers that evolve identically until the state next changes.

        Same dependencies and spec, same region, same load-balancer pools (so
        the same arrivals) and the same queue state: the usual case for the
        instances of one autoscaling group behind one VIP. Each class is
        computed once per step and shared out to its members.
        """
        pools: dict[str, list[str]] = {}
        for lb, members in self.plan.pools.items():
            for app in members:
                pools.setdefault(app.name, []).append(lb)
        partitioned = bool(self.world.partitions)
        classes: dict[tuple, list[Node]] = {}
        for name, plan in self.plan.apps.items():
            node = self.world.nodes[name]
            key = (
                plan["sig"], node.region, tuple(pools.get(name, ())),
                node.backlog, node.hold, node.slow, node.cap_div, node.err, node.up,
                name if partitioned else None,
            )
            classes.setdefault(key, []).append(node)
        self._class_firsts = {members[0].name for members in classes.values()}
        return list(classes.values())

    def _cdn(self, cdn: Node, amount: float, t: float, into: dict) -> None:
        cdn.m_req += amount
        if not cdn.up:
            self._fail(2, amount, CONNECT_TIMEOUT, None)
            cdn.m_fail += amount
            return
        hit = amount * cdn.spec.hit_ratio
        self._ok(2, hit, cdn.spec.latency, cdn.spec.latency * 0.3)
        miss = amount - hit
        origins = [s for s in self.world.graph.successors(cdn.name)]
        if not origins:
            self._fail(2, miss, CONNECT_TIMEOUT, None)
            return
        for origin in origins:
            kind = "dns" if self.world.nodes[origin].kind == "dns" else "vip"
            self._route(kind, origin, t, miss / len(origins), 3, into, cdn.name)

    def _balance(self, vip: VipGroup, amounts: list, app_in: dict, origin_in: dict) -> None:
        """Spread a VIP's requests over the holder's healthy pool (``amounts[4]``: CDN origin fetches by CDN)."""
        holder = self.world.nodes[vip.holder] if vip.holder else None
        a0, a1, a2, a3, origins = amounts
        total = a0 + a1 + a2 + a3
        if holder is None or not self.world.reachable(None, holder):
            self._fail_share(amounts, 1.0, CONNECT_TIMEOUT)
            if holder is not None:
                holder.m_req += total
                holder.m_fail += total
            return
        holder.m_req += total
        lb_latency = holder.spec.latency
        keep = (1.0 - vip.shed) * (1.0 - holder.err)
        if keep < 1.0:
            self._fail_share(amounts, 1.0 - keep, lb_latency + 0.001)
            holder.m_fail += total * (1.0 - keep)
        pool = self.plan.pools.get(holder.name, [])
        if not pool:
            self._fail_share(amounts, keep, lb_latency + 0.001)
            holder.m_fail += total * keep
            return
        routes, good_w, refused_w, total_w = self._pool_routes(holder, pool)
        redispatch = holder.spec.retries > 0 and good_w > 0
        for app, where, weight in routes:
            share = keep * weight / total_w
            if where == 0:
                if redispatch:
                    share = keep * (weight + refused_w * weight / good_w) / total_w
                lb_in = self._lb_in.get(app.name)
                if lb_in is None:
                    lb_in = self._lb_in[app.name] = [0.0, 0.0]
                lb_in[0] += total * share * lb_latency
                lb_in[1] += total * share
                arr = app_in.get(app.name)
                if arr is None:
                    app_in[app.name] = [a0 * share, a1 * share, a2 * share, a3 * share]
                else:
                    arr[0] += a0 * share
                    arr[1] += a1 * share
                    arr[2] += a2 * share
                    arr[3] += a3 * share
                if origins:
                    per = origin_in.get(app.name)
                    if per is None:
                        per = origin_in[app.name] = {}
                    for cdn, amount in origins.items():
                        per[cdn] = per.get(cdn, 0.0) + amount * share
                continue
            if where == 1 and redispatch:
                continue
            self._fail_share(amounts, share, 0.003 if where == 1 else CONNECT_TIMEOUT)
            app.m_req += total * share
            app.m_fail += total * share
            holder.m_fail += total * share

    def _fail_share(self, amounts: list, fraction: float, latency: float) -> None:
        """Fail ``fraction`` of a VIP's requests of every class (CDN fetches per CDN, for stale serving)."""
        for cls in (0, 1, 2):
            if amounts[cls] > 0:
                self._fail(cls, amounts[cls] * fraction, latency, None)
        if amounts[4]:
            for cdn, amount in amounts[4].items():
                self._fail(3, amount * fraction, latency, cdn)

    def _pool_routes(self, holder: Node, pool: list[Node]) -> tuple[list[tuple[Node, int, float]], float, float, float]:
        """Each backend of ``holder`` with how a request to it ends (0 served, 1 refused, 2 lost) and its weight.

        Only state changes (which bump the version) alter it, so it is cached per plan.
        """
        cached = self.plan.route_cache.get(holder.name)
        if cached is not None:
            return cached
        routes = []
        good_w = refused_w = total_w = 0.0
        firsts = self._class_firsts
        for app in pool:
            weight = app.spec.capacity
            total_w += weight
            if self.world.reachable(holder, app):
                good_w += weight
                if app.name not in firsts:
                    continue  # its class's first member stands for it
                where = 0
            elif self.world.fails_fast(holder, app):
                where = 1
                refused_w += weight
            else:
                where = 2
            routes.append((app, where, weight))
        cached = self.plan.route_cache[holder.name] = (routes, good_w, refused_w, total_w)
        return cached

    def _app_hold(self, node: Node, plan: dict, st: float) -> tuple[float, float]:
        """Seconds a worker is held by a read and by a write, from downstream latencies."""
        read = st
        write = st
        hit = cache_hit(plan)
        for cache, timeout in plan["caches"][:1]:
            ok, lat, fail_lat = self._call(node, cache, timeout)
            read += ok * lat + (1.0 - ok) * fail_lat
        for cluster, timeout in plan["dbs"][:1]:
            writer = self.world.nodes[cluster.writer]
            ok, lat, fail_lat = self._call(node, writer, timeout)
            read += (1.0 - hit) * (ok * lat + (1.0 - ok) * fail_lat)
            stall = self.writes.sync_stalled(cluster, writer)
            if cluster.read_only:
                pass  # refused at once by the application
            elif stall:  # a live primary waits for its sync standby; a dead one refuses (or times out) as with async
                write += ok * timeout + (1.0 - ok) * fail_lat
            else:
                wl = writer.spec.write_latency * writer.slow + writer.wait + self.writes.sync_cost(cluster, writer)
                write += ok * min(wl, timeout) + (1.0 - ok) * fail_lat
        for svc, share, timeout, _ in plan["services"]:
            if svc.feature_off:
                continue
            ok, lat, fail_lat = self._call(node, svc, timeout)
            read += share * (ok * lat + (1.0 - ok) * fail_lat)
        return read, write

    def _outcomes(self, app: Node, amounts: list[float], adm: tuple, plan: dict, origins: dict | None, dt: float) -> None:
        """What became of one app server's admitted and rejected requests this step, class by class."""
        served, wait, hold_r, hold_w, hold_s, spread = adm
        lb_in = self._lb_in.get(app.name)
        lb = lb_in[0] / lb_in[1] if lb_in and lb_in[1] > 0 else LB_LATENCY
        self._rejected(app, amounts, served, origins, lb)
        # static (and CDN origin fetches): served from the app's own disk
        static_ok = amounts[2] * served
        self._client_ok(2, static_ok, lb + wait + hold_s, spread, app, None)
        if origins:
            for cdn, amount in origins.items():
                self._client_ok(3, amount * served, lb + wait + hold_s, spread, app, cdn)
        cluster, writers, db_timeout = self._reads(app, amounts[0] * served, wait, spread, plan, lb)
        writes = amounts[1] * served
        if writes > 0:
            self._writes(app, writes, wait, spread, hold_w, cluster, writers, db_timeout, lb)

    def _rejected(self, app: Node, amounts: list[float], served: float, origins: dict | None, lb: float) -> None:
        """Requests that never got a worker (or hit the error fault), after the load balancer's ``lb`` seconds."""
        rejected = 1.0 - served
        app_fail_lat = lb + (app.spec.queue_timeout if app.drop > 0 else 0.005)
        for cls in range(4):
            if amounts[cls] > 0 and rejected > 0:
                if cls == 3 and origins:
                    for cdn, amount in origins.items():
                        self._fail(3, amount * rejected, app_fail_lat, cdn)
                else:
                    self._fail(cls, amounts[cls] * rejected, app_fail_lat, None)
        app.m_fail += sum(amounts) * rejected

    def _reads(self, app: Node, reads: float, wait: float, spread: tuple[float, float], plan: dict, lb: float) -> tuple[Cluster | None, list[Node], float]:
        """Reads: the load balancer (``lb`` seconds), the cache, then the database, plus optional services.
        Returns the cluster written to, its writers as this app server sees them and the call timeout."""
        hit = 0.0
        cache_lat = 0.0
        data_ok = 1.0
        db_lat = 0.0
        fail_lat = 0.0
        cache_ok = 0.0
        for cache, timeout in plan["caches"][:1]:
            cache_ok, lat, flat = self._call(app, cache, timeout)
            hit = cache_ok * cache_hit(plan)
            cache_lat = cache_ok * lat + (1.0 - cache_ok) * flat
            if self.world.reachable(app, cache):  # a call that never arrived is not the callee's error
                cache.m_fail += reads * (1.0 - cache_ok)
        db_ok = 1.0
        writers: list[Node] = []
        cluster = None
        db_timeout = 3.0
        for cluster, db_timeout in plan["dbs"][:1]:
            writers = self.writes.writers(cluster, app)
            oks = [self._call(app, w, db_timeout) for w in writers]
            if len(oks) == 1:  # one writer (no split brain): what sum(), / 1 and max() of one call give
                o = oks[0]
                db_ok, db_lat, fail_lat = 0.0 + o[0], 0.0 + o[1], o[2]
            else:
                db_ok = sum(o[0] for o in oks) / len(oks)
                db_lat = sum(o[1] for o in oks) / len(oks)
                fail_lat = max(o[2] for o in oks)
            data_ok = hit + (1.0 - hit) * db_ok
            for w, o in zip(writers, oks):
                if self.world.reachable(app, w):
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
            if self.world.reachable(app, svc):
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
        return cluster, writers, db_timeout

    def _writes(self, app: Node, writes: float, wait: float, spread: tuple[float, float], hold_w: float, cluster: Cluster | None,
                writers: list[Node], db_timeout: float, lb: float) -> None:
        """Writes: the load balancer (``lb`` seconds), then the cluster's primary (or primaries, in a split brain)."""
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
            if ok > 0 and self.writes.sync_stalled(cluster, writer):
                ok, flat = 0.0, db_timeout
            good = per * ok
            if good > 0:
                lat_w = lb + wait + app.spec.service_time * app.slow + writer.spec.write_latency * writer.slow
                lat_w += writer.wait + self.writes.sync_cost(cluster, writer)
                good = self._client_ok(1, good, lat_w, spread, app, None)
                self.writes.ack(cluster, writer, good, self._seg_end, self.acc)
            bad = per * (1.0 - ok)  # those past the users' timeout were failed by _client_ok
            if bad > 0:
                self._fail(1, bad, lb + wait + flat, None)
                app.m_fail += bad
                if self.world.reachable(app, writer):
                    writer.m_fail += bad

    def _client_ok(
        self, cls: int, amount: float, latency: float, spread: tuple[float, float], app: Node, cdn: str | None,
        degraded: bool = False,
    ) -> float:
        """Serve ``amount`` requests at mean ``latency``; users past their timeout give up. Returns those served.

        ``spread``: the mean of the exponential part of the app's queueing wait, and how far the
        mean wait is below the queue timeout (no served request waits longer: see :meth:`_ok`).
        """
        if amount <= 0:
            return 0.0
        limit = self.world.client_timeout
        jitter, slack = spread
        late = 0.0
        if latency >= limit:
            late = 1.0
        elif jitter > 1e-9 and latency + slack > limit:
            late = math.exp(-(limit - latency) / jitter) * 0.5
        if late > 0:
            self._fail(cls, amount * late, limit, cdn)
            app.m_fail += amount * late
            amount *= 1.0 - late
        if cls == 3 and cdn is not None:
            latency += self.world.nodes[cdn].spec.latency
        self._ok(cls, amount, latency, jitter, degraded, latency + slack)
        app.m_lat += amount * latency
        app.m_ok += amount
        return amount


