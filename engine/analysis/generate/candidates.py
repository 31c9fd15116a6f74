"""Which drills an architecture calls for: one candidate per lesson the dependency analysis finds.

The candidates come from :func:`engine.analysis.structure.analyze`, in this order:

1. **spof**: every component whose failure alone stops a kind of request
   (the analysis' single points of failure). Nothing can take over: the lesson
   is detect fast and restart, and what change would remove it.
2. **manual**: redundancy that only works once a human acts (the analysis'
   ``needs_human`` findings): the holder of a virtual IP with a standby and
   VRRP off (lesson: fail over), a database primary with promotable replicas
   and automatic failover off (lesson: fence, promote the right replica).
3. **degrading**: components whose failure costs users something but not
   everything: an optional service (lesson: switch the feature off), a cache
   or CDN (lesson: bring it back), a synchronous standby (lesson: take it out
   of the synchronous set).
4. **pair**: minimal cut sets of two components (a double fault: both app
   servers of a pool).

Regions are left out: a region outage needs a second region and a traffic
shift to drill, which the generator does not write (see ``region-outage``).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.analysis.result import Analysis
from engine.scenario.schema import Scenario
from engine.scenario.topology import build_graph, clusters, vip_groups

KINDS = ("spof", "manual", "degrading", "pair")
"""Candidate kinds, in the order they are offered (SPOFs first)."""


@dataclass(frozen=True)
class Candidate:
    """One drill the analysis calls for: what fails, why it matters, and the response it teaches."""

    kind: str
    """``spof``, ``manual``, ``degrading`` or ``pair`` (see the module docstring)."""
    components: tuple[str, ...]
    """What fails: one component, or two for a pair."""
    recipe: str
    """The response the drill teaches: ``restart``, ``failover``, ``promote``, ``degrade`` or ``async``."""
    reason: str
    """Why the analysis names it, in its own words."""

    @property
    def label(self) -> str:
        """How the candidate is named in the generator's report: ``db-1 crash``, ``app-1 + app-2 crash``."""
        what = {"restart": "crash", "failover": "crash", "promote": "lost", "degrade": "outage",
                "async": "crash"}[self.recipe]
        return f"{' + '.join(self.components)} {what}"

    @property
    def slug(self) -> str:
        """The part of the drill's id after the architecture: ``lb-1-lost``, ``app-1-and-app-2``."""
        if self.kind == "pair":
            return "-and-".join(self.components)
        return f"{self.components[0]}-{'outage' if self.recipe == 'degrade' else 'lost'}"


def _soft_only(graph, name: str) -> bool:
    """Every call to ``name`` may be switched off (``degrade`` refuses a service with a hard caller)."""
    callers = list(graph.predecessors(name))
    return bool(callers) and all(not graph.edges[c, name]["required"] for c in callers)


def candidates(scenario: Scenario, analysis: Analysis) -> list[Candidate]:
    """Every drill the analysis calls for, SPOFs first, then manual failovers, degrading components and pairs."""
    nodes = scenario.topology.nodes
    graph = build_graph(scenario)
    out: list[Candidate] = []
    for item in analysis.classification:
        if item.status == "spof" and item.kind != "region":
            out.append(Candidate("spof", (item.name,), "restart", item.reason))
    for finding in analysis.findings:
        if not finding.needs_human:
            continue
        if finding.code == "vip_failover_manual":
            vip = next(v for v in vip_groups(scenario) if v.members == finding.nodes)
            out.append(Candidate("manual", (vip.members[0],), "failover", finding.reason))
        elif finding.code == "db_failover_manual":
            out.append(Candidate("manual", (finding.nodes[0],), "promote", finding.reason))
    sync_replicas = {r for c in clusters(scenario) for r in c.replicas if nodes[r].replication == "sync"}
    for item in analysis.classification:
        if item.status != "degrading" or item.kind == "region":
            continue
        if item.kind == "service" and _soft_only(graph, item.name):
            recipe = "degrade"
        elif item.name in sync_replicas:
            recipe = "async"
        else:
            recipe = "restart"
        out.append(Candidate("degrading", (item.name,), recipe, item.reason))
    for cut in analysis.cut_sets:
        if len(cut) == 2 and not any(c.startswith("region:") for c in cut):
            out.append(Candidate("pair", tuple(cut), "restart",
                                 f"{cut[0]} and {cut[1]} back each other up: losing both stops requests"))
    return out


__all__ = ["KINDS", "Candidate", "candidates"]
