"""The architecture as a networkx dependency graph, built from a scenario.

Nodes carry their ``kind``, ``region`` and spec; edges point from the
component that needs to the component it needs, with the edge's
``required``/``share``/``timeout``/``fallback`` attributes. Load balancers
sharing a ``vip`` form a :class:`VipSpec`; databases form replication
clusters. The graph is the input of the engine and of the analysis; runtime
state lives in :mod:`engine.sim.model`.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from engine.scenario.loader import parse_edge
from engine.scenario.schema import EdgeSpec, Scenario

class TopologyError(ValueError):
    """A scenario whose references do not fit together (the loader reports these with lines)."""


def edge_specs(scenario: Scenario) -> list[EdgeSpec]:
    """All edges of a scenario with shorthand strings expanded."""
    out: list[EdgeSpec] = []
    for item in scenario.topology.edges:
        out.extend(parse_edge(item) if isinstance(item, str) else [item])
    return out


@dataclass(frozen=True)
class VipSpec:
    """Load balancers sharing one virtual IP; the first member is the configured primary."""

    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class ClusterSpec:
    """Databases replicating from one primary."""

    name: str
    primary: str
    replicas: tuple[str, ...]


def build_graph(scenario: Scenario) -> nx.DiGraph:
    """The dependency graph of a scenario."""
    graph = nx.DiGraph()
    default_region = scenario.topology.regions[0]
    for name, spec in scenario.topology.nodes.items():
        graph.add_node(name, kind=spec.kind, region=spec.region or default_region, spec=spec, group=spec.group)
    for edge in edge_specs(scenario):
        if edge.source not in graph or edge.target not in graph:
            missing = edge.source if edge.source not in graph else edge.target
            raise TopologyError(f"edge {edge.source} -> {edge.target} names unknown node '{missing}'")
        graph.add_edge(
            edge.source,
            edge.target,
            required=edge.required,
            share=edge.share,
            timeout=edge.timeout,
            fallback=edge.fallback,
        )
    return graph


def vip_groups(scenario: Scenario) -> list[VipSpec]:
    """Load-balancer VIP groups, primary first, in declaration order."""
    groups: dict[str, list[str]] = {}
    for name, spec in scenario.topology.nodes.items():
        if spec.kind == "load_balancer":
            groups.setdefault(spec.vip or name, []).append(name)
    out = []
    for vip, members in groups.items():
        members.sort(key=lambda n: scenario.topology.nodes[n].role != "primary")
        out.append(VipSpec(vip, tuple(members)))
    return out


def clusters(scenario: Scenario) -> list[ClusterSpec]:
    """Database clusters in declaration order."""
    nodes = scenario.topology.nodes
    members: dict[str, list[str]] = {}
    for name, spec in nodes.items():
        if spec.kind != "database":
            continue
        cluster = spec.cluster
        if cluster is None and spec.upstream is not None:
            cluster = nodes[spec.upstream].cluster or spec.upstream
        members.setdefault(cluster or name, []).append(name)
    out = []
    for cluster, names in members.items():
        primaries = [n for n in names if nodes[n].role == "primary"]
        if len(primaries) != 1:
            raise TopologyError(f"cluster '{cluster}' needs exactly one primary, has {len(primaries)}")
        out.append(ClusterSpec(cluster, primaries[0], tuple(n for n in names if n != primaries[0])))
    return out
