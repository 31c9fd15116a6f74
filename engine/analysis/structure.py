"""Static dependency analysis: single points of failure, double faults, availability.

For every request kind (``read``, ``write``, ``static``) the scenario is turned
into a *structure function*: a monotone AND/OR expression over the
components (every node but the clients, plus one component per region when the
topology has several) that is true when some requests of that kind are still
served. The failover semantics of the engine (:mod:`engine.sim.flow`) are made
explicit in it:

- a client's requests are split over its entries (DNS, virtual IPs): any entry
  that works serves its share, so the entries are alternatives (OR); static
  requests go to the CDN when the client has one, which serves its hits (and,
  with ``stale_if_error``, its misses) whatever the origin does;
- a DNS record with several regions answers with any of them (a shift, by
  health-checked DNS failover or by a human);
- a virtual IP is served by any member load balancer that is up and has a
  working backend (VRRP, or a manual ``failover`` when VRRP is off); a load
  balancer with a VIP of its own is no alternative to another one;
- the app servers behind a load balancer are alternatives (health checks);
- an app server serves static requests from its own disk, writes need the
  writer of its database cluster, reads need the cache *or* the database
  (hits are served while the database is down, misses go to the database while
  the cache is down), and hard service calls (``required``, no ``fallback``,
  ``share`` 1) are needed for reads; soft, fallback and partial calls are not
  (their failure degrades, it does not stop every request);
- a database cluster can write while its primary *or* any replica that is a
  ``failover_candidate`` is up (promotion, automatic or by a human);
- a region going dark takes down every node in it; DNS and CDN are global.

A component is a SPOF for a kind when its failure alone makes the structure
function false: every request of that kind must pass through it. This is the
directed, failover-aware notion the issue asks for (the dominators of the
served state, not articulation points of an undirected view), computed
exactly because nodes that need several things at once (an app server needs
its database *and* a hard service) are AND gates, which a plain path graph
cannot express. Minimal cut sets up to size 3 are found by enumerating the
subsets of the components the function depends on, skipping supersets of
cuts already found. Availability is the probability that the structure
function is true when each component is up with probability
``mtbf / (mtbf + mttr)``: series (AND) and parallel (OR) blocks, with exact
pivotal decomposition (Shannon expansion) on components that appear in more
than one block, such as a database shared by every app server.

The module is pure: no simulation, no textual, no rich.
"""

from __future__ import annotations

import networkx as nx

from engine.analysis.dag import Dag, minimal_cuts, minimal_sets
from engine.analysis.expr import FALSE, Expr, and_, or_, var
from engine.analysis.findings import classify, findings
from engine.analysis.reliability import Availability, component_reliability
from engine.analysis.result import Analysis, KindAnalysis
from engine.scenario.schema import RateSpec, Scenario
from engine.scenario.topology import ClusterSpec, VipSpec, build_graph, clusters, vip_groups

KINDS: tuple[str, ...] = ("read", "write", "static")
"""Request kinds, in report order."""

MAX_CUT_SIZE = 3
"""Largest cut sets enumerated (double and triple faults)."""


def _base_rate(rate) -> float:
    """A client's base rate, whether written as a number or as a rate with a shape."""
    return rate.base if isinstance(rate, RateSpec) else float(rate)


class Structure:
    """Builds the structure function of each request kind from a scenario."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.graph: nx.DiGraph = build_graph(scenario)
        self.nodes = scenario.topology.nodes
        self.multi_region = len(scenario.topology.regions) > 1
        self.vips: list[VipSpec] = vip_groups(scenario)
        self.vip_of = {m: v for v in self.vips for m in v.members}
        self.clusters: list[ClusterSpec] = clusters(scenario)
        self.cluster_of = {n: c for c in self.clusters for n in (c.primary, *c.replicas)}
        self.components: tuple[str, ...] = tuple(n for n, s in self.nodes.items() if s.kind != "client") + (
            tuple(f"region:{r}" for r in scenario.topology.regions) if self.multi_region else ()
        )
        self.optional: dict[str, str] = {}
        """Components reached through a call that is not needed, with why (soft, fallback, partial)."""
        self._memo: dict[tuple[str, str], Expr] = {}
        self._busy: set[tuple[str, str]] = set()

    def region_of(self, name: str) -> str:
        """The region a node sits in."""
        return self.graph.nodes[name]["region"]

    def up(self, name: str) -> Expr:
        """The node is up: itself, and its region unless it is a global service."""
        if self.multi_region and self.nodes[name].kind not in ("dns", "cdn"):
            return and_(var(name), var(f"region:{self.region_of(name)}"))
        return var(name)

    def kind_sent(self, kind: str) -> bool:
        """Some client sends requests of ``kind``."""
        return any(_base_rate(getattr(s.rates, kind)) > 0 for s in self.nodes.values() if s.kind == "client")

    def served(self, kind: str) -> Expr:
        """Some requests of ``kind`` are served."""
        parts = []
        for name, spec in self.nodes.items():
            if spec.kind != "client" or _base_rate(getattr(spec.rates, kind)) <= 0:
                continue
            targets = list(self.graph.successors(name))
            cdns = [t for t in targets if self.nodes[t].kind == "cdn"]
            if kind == "static" and cdns:
                parts.append(or_(*(self.up(t) for t in cdns)))
            else:
                entries = [t for t in targets if self.nodes[t].kind in ("dns", "load_balancer")]
                parts.append(or_(*(self.node(t, kind) for t in entries)))
        return or_(*parts)

    def node(self, name: str, kind: str) -> Expr:
        """Requests of ``kind`` arriving at ``name`` are served (memoised; a dependency loop serves nothing)."""
        key = (name, kind)
        if key in self._memo:
            return self._memo[key]
        if key in self._busy:
            return FALSE
        self._busy.add(key)
        try:
            out = self._build(name, kind)
        finally:
            self._busy.discard(key)
        self._memo[key] = out
        return out

    def _needed(self, source: str) -> list[str]:
        """Targets of ``source`` whose edge is needed; the others are recorded as optional."""
        out = []
        for target in self.graph.successors(source):
            data = self.graph.edges[source, target]
            if not data["required"]:
                self.optional.setdefault(target, f"a soft dependency of {source} (the feature can be switched off)")
            elif data["fallback"]:
                self.optional.setdefault(target, f"{source} already serves degraded without it (fallback)")
            elif data["share"] < 1.0:
                self.optional.setdefault(target, f"only {data['share']:.0%} of {source}'s reads call it")
            else:
                out.append(target)
        return out

    def _build(self, name: str, kind: str) -> Expr:
        spec = self.nodes[name]
        if spec.kind == "dns":
            targets = [t for t in self.graph.successors(name) if self.nodes[t].kind in ("load_balancer", "dns")]
            return and_(self.up(name), or_(*(self.node(t, kind) for t in targets)))
        if spec.kind == "load_balancer":
            vip = self.vip_of[name]
            return or_(*(
                and_(self.up(m), or_(*(self.node(a, kind) for a in self.graph.successors(m))))
                for m in vip.members
            ))
        if spec.kind == "database":
            cluster = self.cluster_of[name]
            writers = [cluster.primary] + [r for r in cluster.replicas if self.nodes[r].failover_candidate]
            return or_(*(self.up(w) for w in writers))
        if spec.kind == "app_server":
            return self._app(name, kind)
        if spec.kind in ("cache", "cdn"):
            return self.up(name)
        # services (and anything else): up, and every needed dependency
        return and_(self.up(name), *(self.node(t, kind) for t in self._needed(name)))

    def _app(self, name: str, kind: str) -> Expr:
        needed = self._needed(name)
        caches = [t for t in needed if self.nodes[t].kind == "cache"][:1]
        dbs = [t for t in needed if self.nodes[t].kind == "database"][:1]
        services = [t for t in needed if self.nodes[t].kind not in ("cache", "database")]
        parts = [self.up(name)]
        if kind == "write" and dbs:
            parts.append(self.node(dbs[0], kind))
        elif kind == "read":
            if dbs:
                # hits are served while the database is down; misses go to the database while the cache is down
                parts.append(or_(*(self.up(c) for c in caches), self.node(dbs[0], kind)))
            parts.extend(self.node(s, kind) for s in services)
        return and_(*parts)


def analyze(scenario: Scenario) -> Analysis:
    """SPOFs, minimal cut sets, classification, findings and availability of a scenario."""
    s = Structure(scenario)
    order = {c: i for i, c in enumerate(s.components)}
    rel = component_reliability(s.components, s.nodes)
    dag = Dag(s.components)
    dag.p = [r.availability for r in rel]
    kinds: list[KindAnalysis] = []
    roots: list[int] = []
    spof_kinds: dict[str, list[str]] = {}
    used_mask = 0
    for kind in KINDS:
        if not s.kind_sent(kind):
            continue
        root = dag.intern(s.served(kind))
        roots.append(root)
        used_mask |= dag.mask[root]
        cuts = minimal_cuts(dag, root, order, MAX_CUT_SIZE)
        spofs = tuple(c[0] for c in cuts if len(c) == 1)
        for name in spofs:
            spof_kinds.setdefault(name, []).append(kind)
        value, exact = dag.availability(root)
        kinds.append(KindAnalysis(kind, dag.holds(root), spofs, tuple(cuts), Availability(value, exact)))
    used = {name for i, name in enumerate(dag.names) if used_mask >> i & 1}
    system_cuts = minimal_sets((c for k in kinds for c in k.cut_sets), order)
    if roots:
        value, exact = dag.availability(dag.mk("a", roots))
    else:
        value, exact = 0.0, True
    return Analysis(
        scenario=scenario.id or scenario.title,
        components=s.components,
        kinds=tuple(kinds),
        cut_sets=tuple(system_cuts),
        classification=tuple(classify(s, spof_kinds, used)),
        findings=tuple(findings(s, spof_kinds)),
        reliability=tuple(rel),
        availability=Availability(value, exact),
    )


__all__ = ["KINDS", "MAX_CUT_SIZE", "Analysis", "Structure", "analyze"]
