"""Blast radius: what fails with a component, from dominators on the traffic graph.

The traffic graph is the dependency graph with the ways traffic can really
take made explicit: clients reach every member of a VIP group (the standby
takes the address), app servers can reach every promotable replica of the
cluster they write to, and a replica is fed by its upstream. A component's
blast radius is everything it dominates from the clients: every path traffic
can take to those components passes through it (``networkx.immediate_dominators``),
so when it fails they are cut off too.
"""

from __future__ import annotations

import networkx as nx

from engine.scenario.schema import Scenario
from engine.scenario.topology import build_graph, clusters, vip_groups

SOURCE = "@clients"


def traffic_graph(scenario: Scenario) -> nx.DiGraph:
    """The dependency graph plus the alternative paths failover provides, rooted at :data:`SOURCE`."""
    graph = build_graph(scenario)
    out = nx.DiGraph()
    out.add_nodes_from(graph.nodes)
    out.add_edges_from(graph.edges)
    members = {}
    for vip in vip_groups(scenario):
        for name in vip.members:
            members[name] = vip.members
    candidates = {}
    nodes = scenario.topology.nodes
    for cluster in clusters(scenario):
        promotable = [r for r in cluster.replicas if nodes[r].failover_candidate]
        for name in (cluster.primary, *cluster.replicas):
            candidates[name] = (cluster.primary, *promotable)
        for replica in cluster.replicas:
            out.add_edge(nodes[replica].upstream or cluster.primary, replica)
    for source, target in list(graph.edges):
        for other in members.get(target, ()):
            out.add_edge(source, other)
        if graph.nodes[source]["kind"] == "app_server":
            for other in candidates.get(target, ()):
                out.add_edge(source, other)
    for vip in vip_groups(scenario):
        # a standby with no backends of its own serves the group's pool
        pool = [t for m in vip.members for t in graph.successors(m)]
        for member in vip.members:
            for target in pool:
                out.add_edge(member, target)
    for name, spec in nodes.items():
        if spec.kind == "client":
            out.add_edge(SOURCE, name)
    return out


def blast_radii(scenario: Scenario) -> dict[str, tuple[str, ...]]:
    """For every component, the components cut off when it fails (in declaration order)."""
    graph = traffic_graph(scenario)
    dominators = nx.immediate_dominators(graph, SOURCE)
    tree = nx.DiGraph((parent, child) for child, parent in dominators.items() if child != parent)
    order = {name: i for i, name in enumerate(scenario.topology.nodes)}
    radii = {}
    for name, spec in scenario.topology.nodes.items():
        if spec.kind == "client":
            continue
        below = nx.descendants(tree, name) if name in tree else set()
        radii[name] = tuple(sorted(below, key=order.get))
    return radii
