"""Time to detect: from a fault to the trainee's first action that shows they found it.

docs/scoring.md defines it. At or after the first fault, the first of:

* acknowledging an alert that points at the incident: one about a component a
  fault hit (or a related one, below), or a global alert about what users feel;
* an investigation (a ``purpose: investigate`` command) of such a component;
* any command that changes the system (``purpose: mitigate``): whatever its target,
  acting on the system shows the trainee has noticed that something is wrong.

Acknowledging an unrelated alert (a red herring), investigating a healthy
component, revealing a hint or marking a SPOF does not count.

A component is *related* to a fault when the fault hit it, or it shares a
group, a virtual IP or a database cluster with one that was hit; a region
outage hits every component of the region, a partition every component named
on either side (or sitting in a region named there).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from engine.commands import REGISTRY
from engine.scenario.schema import Scenario
from engine.scenario.topology import clusters, vip_groups


def related_components(scenario: Scenario, hit: Iterable[str]) -> set[str]:
    """The components a fault on ``hit`` (node or region names) points at."""
    nodes = scenario.topology.nodes
    out: set[str] = set()
    for name in hit:
        if name in nodes:
            out.add(name)
        else:  # a region
            out.update(n for n, spec in nodes.items() if (spec.region or scenario.topology.regions[0]) == name)
    families: list[set[str]] = [set(v.members) for v in vip_groups(scenario)]
    families += [{c.primary, *c.replicas} for c in clusters(scenario)]
    groups: dict[str, set[str]] = {}
    for n, spec in nodes.items():
        if spec.group:
            groups.setdefault(spec.group, set()).add(n)
    families += list(groups.values())
    for family in families:
        if out & family:
            out |= family
    return out


def _hit_by(data: dict[str, Any]) -> list[str]:
    target = str(data.get("target") or "")
    parts = [p for side in target.split("/") for p in side.split(",")]
    return [p.strip() for p in parts if p.strip()]


def time_to_detect(scenario: Scenario, journal: Sequence[Any]) -> float | None:
    """Seconds from the first fault to the first relevant action (None: none yet, or no fault)."""
    faults = [e for e in journal if e.type == "FaultInjected"]
    if not faults:
        return None
    first = min(e.t for e in faults)
    alert_node: dict[str, str | None] = {}
    hit: list[str] = []
    related: set[str] = set()
    for e in journal:
        if e.type == "FaultInjected":
            hit.extend(_hit_by(e.data))
            related = related_components(scenario, hit)
        elif e.type == "AlertFired":
            alert_node[str(e.data.get("alert"))] = e.data.get("node")
        if e.t < first:
            continue
        if e.type == "AlertAcknowledged":
            node = alert_node.get(str(e.data.get("alert")))
            if node is None or node in related:
                return e.t - first
        elif e.type == "CommandIssued":
            cls = REGISTRY.get(str(e.data.get("command")))
            purpose = cls.spec.purpose if cls is not None else "respond"
            if purpose == "mitigate":
                return e.t - first
            if purpose == "investigate":
                args = e.data.get("args") or {}
                named = {e.data.get("target"), *(v for v in args.values() if isinstance(v, str))}
                if named & related:
                    return e.t - first
    return None
