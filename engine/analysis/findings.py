"""Classification of every component (SPOF, degrading, harmless) and findings on redundancy that does not work.

Both read the scenario through its :class:`Topology` facts (which
:class:`~engine.analysis.structure.Structure` provides) and the SPOFs the cut
sets found; they explain, in one line each, why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import networkx as nx

from engine.scenario.schema import Scenario
from engine.scenario.topology import ClusterSpec, VipSpec


class Topology(Protocol):
    """What the classification reads of a scenario's architecture."""

    scenario: Scenario
    graph: nx.DiGraph
    nodes: Mapping[str, Any]
    multi_region: bool
    vips: list[VipSpec]
    vip_of: dict[str, VipSpec]
    clusters: list[ClusterSpec]
    cluster_of: dict[str, ClusterSpec]
    components: tuple[str, ...]
    optional: dict[str, str]

    def region_of(self, name: str) -> str: ...


@dataclass(frozen=True)
class Classification:
    """A component's role: ``spof``, ``degrading`` or ``harmless``, with a one-line reason."""

    name: str
    kind: str
    status: str
    spof_for: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"name": self.name, "kind": self.kind, "status": self.status,
                "spof_for": list(self.spof_for), "reason": self.reason}


@dataclass(frozen=True)
class Finding:
    """Redundancy that exists on paper but does not work, or needs a human to work."""

    code: str
    """``lb_no_shared_vip``, ``replica_not_candidate``, ``vip_failover_manual``,
    ``db_failover_manual``, ``dns_failover_manual`` or ``apps_in_one_region``."""
    nodes: tuple[str, ...]
    reason: str
    needs_human: bool = False
    """True when the redundancy works, but only once somebody acts."""

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"code": self.code, "nodes": list(self.nodes), "reason": self.reason, "needs_human": self.needs_human}


def findings(s: Topology, spof_kinds: dict[str, list[str]]) -> list[Finding]:
    """Redundancy that exists on paper but does not work, or needs a human to work."""
    scenario, nodes, graph = s.scenario, s.nodes, s.graph
    auto = scenario.automation
    out: list[Finding] = []
    lbs = [n for n, spec in nodes.items() if spec.kind == "load_balancer"]
    routed = {t for src in graph for t in graph.successors(src)
              if nodes[t].kind == "load_balancer" and nodes[src].kind in ("client", "dns", "cdn", "app_server", "service")}
    routed_vips = {s.vip_of[t].name for t in routed}
    for vip in s.vips:
        if len(vip.members) == 1 and len(lbs) > 1:
            lb = vip.members[0]
            others = ", ".join(n for n in lbs if n != lb)
            if vip.name not in routed_vips:
                out.append(Finding("lb_no_shared_vip", (lb,),
                                   f"{lb} has a virtual IP of its own that nothing routes to, and shares none with "
                                   f"{others}: it is a spare no traffic can fail over to"))
            elif spof_kinds.get(lb):
                out.append(Finding("lb_no_shared_vip", (lb,),
                                   f"{lb} does not share its virtual IP with {others}: when it fails, clients "
                                   f"keep connecting to an address nobody holds"))
        elif len(vip.members) > 1 and not auto.vrrp.enabled:
            out.append(Finding("vip_failover_manual", vip.members,
                               f"{', '.join(vip.members)} share virtual IP {vip.name} but VRRP is off: moving the "
                               f"VIP to a standby needs a human ('failover')", needs_human=True))
    for cluster in s.clusters:
        for replica in cluster.replicas:
            if not nodes[replica].failover_candidate:
                out.append(Finding("replica_not_candidate", (replica,),
                                   f"{replica} replicates {cluster.name} but is not a failover candidate: it cannot "
                                   f"be promoted, so it is no standby for {cluster.primary}"))
        candidates = tuple(r for r in cluster.replicas if nodes[r].failover_candidate)
        if candidates and not auto.db_failover.enabled:
            out.append(Finding("db_failover_manual", (cluster.primary, *candidates),
                               f"automatic database failover is off: promoting {', '.join(candidates)} when "
                               f"{cluster.primary} fails needs a human ('promote')", needs_human=True))
    for name, spec in nodes.items():
        if spec.kind != "dns" or auto.dns_failover.enabled:
            continue
        regions = sorted({s.region_of(t) for t in graph.successors(name) if nodes[t].kind == "load_balancer"},
                         key=scenario.topology.regions.index)
        if len(regions) > 1:
            out.append(Finding("dns_failover_manual", (name,),
                               f"{name} answers with {', '.join(regions)} but health-checked DNS failover is off: "
                               f"moving users off a dead region needs a human ('shift')", needs_human=True))
    reachable: set[str] = set()
    for client in (n for n, spec in nodes.items() if spec.kind == "client"):
        reachable |= nx.descendants(graph, client)
    for vip in s.vips:  # a standby member of a reachable VIP serves too
        if any(m in reachable for m in vip.members):
            for m in vip.members:
                reachable |= {m} | nx.descendants(graph, m)
    apps = [n for n, spec in nodes.items() if spec.kind == "app_server" and n in reachable]
    app_regions = {s.region_of(a) for a in apps}
    if len(apps) > 1 and len(app_regions) == 1:
        region = app_regions.pop()
        where = ("the topology has one region" if not s.multi_region
                 else "no other region has app servers that serve users")
        out.append(Finding("apps_in_one_region", tuple(apps),
                           f"{', '.join(apps)} all sit in region {region} and {where}: a region outage takes "
                           f"every one of them"))
    return out


def classify(s: Topology, spof_kinds: dict[str, list[str]], used: set[str]) -> list[Classification]:
    """Each component's role; ``used`` holds the components some request depends on."""
    nodes, graph, auto = s.nodes, s.graph, s.scenario.automation
    out = []
    for comp in s.components:
        kinds = tuple(spof_kinds.get(comp, ()))
        if comp.startswith("region:"):
            kind = "region"
            members = [n for n in nodes if nodes[n].kind not in ("client", "dns", "cdn") and s.region_of(n) == comp[7:]]
        else:
            kind = nodes[comp].kind
        if kinds:
            out.append(Classification(comp, kind, "spof", kinds,
                                      f"its failure alone stops every {'/'.join(kinds)} request"))
            continue
        if kind == "region":
            status, reason = ("degrading", f"takes down {len(members)} components; the other regions serve")
        elif kind == "cache" and comp in used:
            status, reason = "degrading", "reads go to the database while it is down (more load, slower)"
        elif kind == "cdn" and comp in used:
            status, reason = "degrading", "static requests go to the origin instead"
        elif comp in s.optional:
            status, reason = "degrading", f"optional: {s.optional[comp]}"
        elif kind == "database" and nodes[comp].role == "replica" and nodes[comp].replication == "sync":
            status, reason = ("degrading", "a synchronous standby: writes stall until it is switched to async "
                              "(needs a human)")
        elif comp not in used:
            status, reason = "harmless", "no request depends on it"
        elif kind == "load_balancer":
            others = [m for m in s.vip_of[comp].members if m != comp]
            how = "by VRRP" if auto.vrrp.enabled else "by a manual failover (needs a human)"
            status = "harmless"
            reason = (f"shares virtual IP {s.vip_of[comp].name} with {', '.join(others)}: taken over {how}"
                      if others else "other entry points serve its share")
        elif kind == "app_server":
            peers = sorted({a for lb in graph.predecessors(comp) for a in graph.successors(lb)
                            if a != comp and nodes[a].kind == "app_server"}, key=list(nodes).index)
            status = "harmless"
            reason = (f"health checks send its share to {', '.join(peers)}" if peers
                      else "other entry points serve its share")
        elif kind == "database":
            cluster = s.cluster_of[comp]
            status = "harmless"
            if comp == cluster.primary:
                candidates = [r for r in cluster.replicas if nodes[r].failover_candidate]
                how = "automatic failover" if auto.db_failover.enabled else "a manual promotion (needs a human)"
                reason = f"{', '.join(candidates)} can be promoted in its place by {how}"
            elif nodes[comp].failover_candidate:
                reason = f"a standby of {cluster.primary}: its failure removes a failover option"
            else:
                reason = "a replica that is not a failover candidate: nothing fails over to it"
        elif kind == "dns":
            status, reason = "harmless", "clients also reach the service without it"
        else:
            status, reason = "harmless", "its failure alone stops no request: alternatives serve"
        out.append(Classification(comp, kind, status, (), reason))
    return out
