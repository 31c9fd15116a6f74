"""The routing plan: what traffic can take, rebuilt only when the topology's state changes.

:class:`RoutingPlan` is built by :class:`~engine.sim.flow.Traffic` whenever the
world's version moved: which VIP groups each DNS answers with, what app servers
and services call, where clients enter, which backends each load balancer has in
rotation. Only the pools read the state: the rest reads the graph alone and is
built once per topology (again only after a scale-out), then shared by the plans
of later versions. A traffic step only reads the plan.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from engine.sim.model import DEFAULT_CALL_TIMEOUT, Node
from engine.sim.world import World


class RoutingPlan:
    """Routing structures for one version of the world."""

    def __init__(self, world: World, previous: RoutingPlan | None = None) -> None:
        self.version = world.version
        """The world's version the plan was built for."""
        g = world.graph
        self.shape = (id(g), len(world.nodes), g.number_of_nodes(), g.number_of_edges())
        """What the graph-only parts depend on: the graph, its nodes and edges (they change only by scale-out)."""
        self.route_cache: dict[str, tuple] = {}
        self.pools = {
            lb: [world.nodes[a] for a, state in world.health[lb].items() if state[0] and not world.nodes[a].drained]
            for lb in world.health
        }
        """The backends each load balancer has in rotation: the only part that reads the state."""
        if previous is not None and previous.shape == self.shape:
            # the rest reads only the graph, the specs and the VIP and cluster objects: one build per topology
            self.dns_vips, self.svc_deps = previous.dns_vips, previous.svc_deps
            self.apps, self.entries = previous.apps, previous.entries
            return
        plan_apps: dict[str, dict[str, Any]] = {}
        signatures: dict[tuple, int] = {}
        # DNS answers: region -> one member of each VIP group the DNS points at there
        self.dns_vips: dict[str, dict[str, list[str]]] = {}
        for dns in world.dns_state:
            by_region: dict[str, list[str]] = {}
            seen: set[str] = set()
            for target in g.successors(dns):
                vip = world.vip_of.get(target)
                if vip is None or vip.name in seen:
                    continue
                seen.add(vip.name)
                by_region.setdefault(world.nodes[target].region, []).append(vip.members[0])
            self.dns_vips[dns] = by_region
        # what services call in turn: (node or cluster, share, timeout, needed); a database is its cluster's writer
        self.svc_deps: dict[str, list[tuple[Any, float, float, bool]]] = {}
        for node in world.nodes.values():
            if node.kind != "service":
                continue
            deps = []
            for target in g.successors(node.name):
                attrs = g.edges[node.name, target]
                kind = world.nodes[target].kind
                if kind not in ("cache", "database", "service"):
                    continue
                dest = world.cluster_of[target] if kind == "database" else world.nodes[target]
                timeout = attrs["timeout"] or DEFAULT_CALL_TIMEOUT.get(kind, 1.0)
                deps.append((dest, attrs["share"], timeout, attrs["required"] and not attrs["fallback"]))
            if deps:
                self.svc_deps[node.name] = deps
        for node in world.nodes.values():
            if node.kind != "app_server":
                continue
            caches, dbs, services = [], [], []
            for target in g.successors(node.name):
                attrs = g.edges[node.name, target]
                kind = world.nodes[target].kind
                timeout = attrs["timeout"] or DEFAULT_CALL_TIMEOUT.get(kind, 1.0)
                if kind == "cache":
                    caches.append((world.nodes[target], timeout))
                elif kind == "database":
                    cluster = world.cluster_of[target]
                    if all(c is not cluster for c, _ in dbs):
                        dbs.append((cluster, timeout))
                elif kind == "service":
                    services.append((world.nodes[target], attrs["share"], timeout, attrs["fallback"]))
            sig = (
                node.spec.capacity, node.spec.workers, node.spec.service_time, node.spec.queue_timeout,
                tuple((id(c), t) for c, t in caches), tuple((id(c), t) for c, t in dbs),
                tuple((id(v), sh, t, f) for v, sh, t, f in services),
            )
            plan_apps[node.name] = {"caches": caches, "dbs": dbs, "services": services, "sig": signatures.setdefault(sig, len(signatures))}
        self.apps = plan_apps
        # client entries
        entries: dict[str, tuple[list, list]] = {}
        for node in world.nodes.values():
            if node.kind != "client":
                continue
            dynamic, static = [], []
            for target in g.successors(node.name):
                kind = world.nodes[target].kind
                if kind == "cdn":
                    static.append(("cdn", target))
                elif kind in ("dns", "load_balancer"):
                    dynamic.append(("dns" if kind == "dns" else "vip", target))
            entries[node.name] = (dynamic, static or dynamic)
        self.entries = entries


def callers_first(graph, nodes: dict[str, Node]) -> list[Node]:
    """Caches, databases and services, each service before what it calls (its load reaches them the same step)."""
    services = [name for name, n in nodes.items() if n.kind == "service"]
    calls = graph.subgraph(services)
    try:
        order = list(nx.lexicographical_topological_sort(calls))
    except nx.NetworkXUnfeasible:  # a loop of services: any order (the loop serves nothing anyway)
        order = sorted(services)
    rest = [n for n in nodes.values() if n.kind in ("cache", "database")]
    return [nodes[name] for name in order] + rest
