"""For each single point of failure, the smallest change that removes it — computed, not asserted.

Each suggestion is applied to a copy of the scenario; the copy is analysed
again (availability from the block diagram) and the component's failure is
simulated again (what-if). Changes are made only where the engine models the
redundancy they add:

* a load balancer: a standby sharing its virtual IP, with VRRP so it takes
  over by itself;
* a database primary: an asynchronous replica in its failover set, with
  automatic promotion (Patroni-like) so it is used without a human;
* a cache: a warm second cache is not modelled by the engine, so no
  suggestion is made (the report says so).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from engine.analysis.structure import Analysis, analyze
from engine.analysis.whatif import what_if
from engine.scenario.loader.edges import parse_edges
from engine.scenario.schema import Scenario


@dataclass(frozen=True)
class Suggestion:
    """One change, and what it buys."""

    component: str
    change: str
    availability_before: float
    availability_after: float
    what_if_before: str | None
    what_if_after: str | None
    still_spof: bool

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 8) if isinstance(v, float) else v) for k, v in asdict(self).items()}


UNMODELLED = {
    "cdn": ("a second CDN (multi-CDN steering) or falling back to the origin would remove it, but the engine "
            "does not model clients moving between CDNs, so the change could not be measured"),
    "region": ("a second region would remove it: a copy of the whole stack, cross-region replication and DNS "
               "in front; too large a change to apply automatically (see the region-outage scenario)"),
    "cache": "a cache cluster with replicas; the engine models one cache node per app tier",
}
"""Why a SPOF of each kind has no change applied automatically (kinds :func:`with_change` cannot handle)."""


def _unique(name: str, taken: dict[str, Any]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{name}-{n}"
        n += 1
    return candidate


def with_change(scenario: Scenario, component: str) -> tuple[Scenario, str] | None:
    """The scenario with the smallest change that removes ``component`` as a SPOF, and its description."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    # every edge as a mapping (a scenario built in code may still hold the shorthand strings the loader expands)
    data["topology"]["edges"] = [edge.model_dump(mode="json", by_alias=True, exclude_none=True)
                                 for edge in parse_edges(scenario.topology.edges)]
    nodes = data["topology"]["nodes"]
    spec = nodes.get(component)
    if spec is None:
        return None
    automation = data.setdefault("automation", {})
    if spec["kind"] == "load_balancer":
        vip = spec.get("vip") or component
        spec["vip"] = vip
        standby = _unique(f"{component}-standby", nodes)
        nodes[standby] = {
            "kind": "load_balancer", "region": spec.get("region") or scenario.topology.regions[0],
            "vip": vip, "role": "standby", "priority": 100,
        }
        edges = data["topology"]["edges"]
        edges.extend({**edge, "from": standby} for edge in list(edges) if edge["from"] == component)
        automation.setdefault("vrrp", {})["enabled"] = True
        change = f"add {standby}, a standby load balancer sharing the virtual IP {vip}, and turn on VRRP"
    elif spec["kind"] == "database" and spec.get("role", "primary") == "primary":
        cluster = spec.get("cluster") or component
        spec["cluster"] = cluster
        replica = _unique(f"{component}-replica", nodes)
        nodes[replica] = {
            "kind": "database", "region": spec.get("region") or scenario.topology.regions[0],
            "cluster": cluster, "role": "replica", "replication": "async", "lag": 0.5,
        }
        automation.setdefault("db_failover", {})["enabled"] = True
        change = f"add {replica}, an asynchronous replica of {cluster} in its failover set, with automatic promotion"
    elif spec["kind"] == "dns":
        secondary = _unique(f"{component}-secondary", nodes)
        nodes[secondary] = dict(spec)
        _copy_edges(data["topology"]["edges"], component, secondary)
        change = (f"add {secondary}, a second DNS provider serving the same records (NS records at both: "
                  "resolvers retry the other when one does not answer)")
    elif spec["kind"] == "app_server":
        twin = _unique(f"{component}-2", nodes)
        nodes[twin] = dict(spec)
        _copy_edges(data["topology"]["edges"], component, twin)
        change = f"add {twin}, a second app server behind the same load balancers (health checks eject a dead one)"
    elif spec["kind"] == "service":
        edges = [edge for edge in data["topology"]["edges"] if edge["to"] == component]
        for edge in edges:
            edge["required"] = False
            edge["fallback"] = True
        callers = ", ".join(sorted({edge["from"] for edge in edges}))
        change = (f"make the call to {component} optional with a fallback in {callers} "
                  "(serve degraded instead of failing: graceful degradation)")
    else:
        return None
    return Scenario.model_validate(data), change


def _copy_edges(edges: list[dict], original: str, copy: str) -> None:
    """Give ``copy`` every dependency of ``original``, both ways."""
    for edge in list(edges):
        if edge["from"] == original:
            edges.append({**edge, "from": copy})
        elif edge["to"] == original:
            edges.append({**edge, "to": copy})


def suggestions(scenario: Scenario, analysis: Analysis | None = None, *, simulate: bool = True,
                horizon: float = 600.0, seed: int = 0) -> tuple[list[Suggestion], list[str]]:
    """Suggestions for every SPOF, and the SPOFs no modelled change can remove (with why)."""
    analysis = analysis or analyze(scenario)
    out: list[Suggestion] = []
    unmodelled: list[str] = []
    before = {w.component: w for w in what_if(scenario, list(analysis.spofs), horizon=horizon, seed=seed, workers=1)} if simulate else {}
    for component in analysis.spofs:
        changed = with_change(scenario, component)
        if changed is None:
            kind = analysis.of(component).kind
            unmodelled.append(f"{component}: {UNMODELLED.get(kind, 'no change for it is modelled yet')}")
            continue
        new_scenario, change = changed
        after_analysis = analyze(new_scenario)
        after = what_if(new_scenario, [component], horizon=horizon, seed=seed, workers=1)[0] if simulate else None
        out.append(Suggestion(
            component=component,
            change=change,
            availability_before=analysis.availability.value,
            availability_after=after_analysis.availability.value,
            what_if_before=f"{before[component].status}: {before[component].reason}" if component in before else None,
            what_if_after=f"{after.status}: {after.reason}" if after is not None else None,
            still_spof=component in after_analysis.spofs,
        ))
    return out, unmodelled
