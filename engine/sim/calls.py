"""One call between components, as the fluid model sees it: the share that succeeds and its latencies.

Pure functions over the world and its routing plan (no state of their own), used by the traffic part
for an app server's calls to its cache, database and services, and by services for their own calls.
"""

from __future__ import annotations

import math

from engine.sim.model import Cluster, Node
from engine.sim.plan import RoutingPlan
from engine.sim.world import World


def call(world: World, plan: RoutingPlan, src: Node, dst: Node, timeout: float,
         depth: int = 0) -> tuple[float, float, float]:
    """Outcome of ``src`` calling ``dst``: (fraction ok, latency when ok, latency when failed).

    A service answers only when what it needs answers too (its own calls, at most a few levels
    deep): their latency adds to its own, their failures become its failures.
    """
    if not world.reachable(src, dst):
        return 0.0, 0.0, (0.002 if world.fails_fast(src, dst) else timeout)
    base = dst.latency
    if src.region != dst.region:
        base += world.scenario.topology.inter_region_rtt
    fail = dst.drop + (1.0 - dst.drop) * dst.err
    dep_ok, dep_flat = 1.0, 0.0
    deps = plan.svc_deps.get(dst.name) if dst.kind == "service" and depth < 6 else None
    if deps:
        for dest, share, dep_timeout, needed in deps:
            target = world.nodes[dest.writer] if isinstance(dest, Cluster) else dest
            ok_d, lat_d, flat_d = call(world, plan, dst, target, dep_timeout, depth + 1)
            base += share * (ok_d * lat_d + (1.0 - ok_d) * flat_d)
            if needed and ok_d < 1.0:
                dep_ok *= 1.0 - share * (1.0 - ok_d)
                dep_flat = max(dep_flat, flat_d)
    if base >= timeout:
        return 0.0, 0.0, timeout
    if dst.wait > 1e-9:
        late = math.exp(-(timeout - base) / dst.wait)
        fail += (1.0 - fail) * late
    fail_lat = timeout if fail > dst.err else 0.002
    if dep_ok < 1.0:  # the service answers with an error once its call has failed
        fail = 1.0 - (1.0 - fail) * dep_ok
        fail_lat = max(fail_lat, min(dep_flat + dst.latency, timeout))
    return 1.0 - fail, base, fail_lat


def cache_hit(plan: dict) -> float:
    """The hit ratio of an app server's first cache (0 when it is down): the warm share of its nominal ratio."""
    for cache, _ in plan["caches"][:1]:
        if cache.up:
            return cache.spec.hit_ratio * cache.warm
    return 0.0
