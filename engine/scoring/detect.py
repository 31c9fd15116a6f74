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
from dataclasses import dataclass
from typing import Any

from engine.commands import REGISTRY
from engine.scenario.schema import Scenario
from engine.scenario.topology import clusters, vip_groups


def _families(scenario: Scenario) -> list[set[str]]:
    """The components that share a virtual IP, a database cluster or a group."""
    families: list[set[str]] = [set(v.members) for v in vip_groups(scenario)]
    families += [{c.primary, *c.replicas} for c in clusters(scenario)]
    groups: dict[str, set[str]] = {}
    for n, spec in scenario.topology.nodes.items():
        if spec.group:
            groups.setdefault(spec.group, set()).add(n)
    families += list(groups.values())
    return families


def related_components(scenario: Scenario, hit: Iterable[str], families: list[set[str]] | None = None) -> set[str]:
    """The components a fault on ``hit`` (node or region names) points at (``families``: :func:`_families`
    of the scenario, when the caller asks for several faults)."""
    nodes = scenario.topology.nodes
    out: set[str] = set()
    for name in hit:
        if name in nodes:
            out.add(name)
        else:  # a region
            out.update(n for n, spec in nodes.items() if (spec.region or scenario.topology.regions[0]) == name)
    if families is None:
        families = _families(scenario)
    for family in families:
        if out & family:
            out |= family
    return out


def _hit_by(data: dict[str, Any]) -> list[str]:
    target = str(data.get("target") or "")
    parts = [p for side in target.split("/") for p in side.split(",")]
    return [p.strip() for p in parts if p.strip()]


@dataclass(frozen=True)
class Detection:
    """One fault and how it came to light: when it happened, when monitoring showed it, when the trainee acted."""

    fault: str
    """The fault in words, e.g. ``crash lb-1``."""
    t: float
    seen: tuple[float, str] | None
    """The first sign on monitoring: a related component shown not healthy, or marked down by a load balancer."""
    alert: tuple[float, str] | None
    """The first alert about a related component (or a global one) that fired at or after the fault."""
    acted: tuple[float, str] | None
    """The trainee's first relevant action at or after the fault (the rule of :func:`time_to_detect`)."""


_QUIET_STATES = ("healthy", "standby")


def _purpose(name: Any) -> str:
    cls = REGISTRY.get(str(name))
    return cls.spec.purpose if cls is not None else "respond"


def _relevant(e: Any, related: set[str], alert_node: dict[str, str | None]) -> str | None:
    """What the entry shows the trainee did about a fault on ``related``, or None when it is not relevant."""
    if e.type == "AlertAcknowledged":
        alert = str(e.data.get("alert"))
        node = alert_node.get(alert)
        return f"acknowledged {alert}" if node is None or node in related else None
    if e.type == "CommandIssued":
        purpose = _purpose(e.data.get("command"))
        words = " ".join(str(p) for p in (e.data.get("command"), e.data.get("target")) if p)
        if purpose == "mitigate":
            return words
        if purpose == "investigate":
            args = e.data.get("args") or {}
            named = {e.data.get("target"), *(v for v in args.values() if isinstance(v, str))}
            return words if named & related else None
    return None


def detection_path(scenario: Scenario, journal: Sequence[Any], limit: int = 20) -> list[Detection]:
    """For each of the first ``limit`` faults: when it happened, was seen, alerted on and acted upon."""
    out = []
    entries = list(journal)
    alert_node: dict[str, str | None] = {}
    for e in entries:
        if e.type == "AlertFired":
            alert_node.setdefault(str(e.data.get("alert")), e.data.get("node"))
    for i, fault in enumerate(e for e in entries if e.type == "FaultInjected"):
        if i >= limit:
            break
        related = related_components(scenario, _hit_by(fault.data))
        seen = alert = acted = None
        for e in entries:
            if e.seq <= fault.seq:
                continue
            if seen is None and e.type == "Observed" and e.data.get("node") in related \
                    and e.data.get("state") not in _QUIET_STATES:
                seen = (e.t, f"{e.data.get('node')} {e.data.get('state')}")
            elif seen is None and e.type == "BackendMarkedDown" and e.data.get("backend") in related:
                seen = (e.t, f"{e.data.get('lb')} marked {e.data.get('backend')} down")
            elif alert is None and e.type == "AlertFired" and (e.data.get("node") is None or e.data.get("node") in related):
                alert = (e.t, str(e.data.get("alert")))
            elif acted is None:
                did = _relevant(e, related, alert_node)
                if did is not None:
                    acted = (e.t, did)
            if seen is not None and alert is not None and acted is not None:
                break
        what = " ".join(str(p) for p in (fault.data.get("fault"), fault.data.get("target")) if p).replace("_", " ")
        out.append(Detection(what, fault.t, seen, alert, acted))
    return out


def time_to_detect(scenario: Scenario, journal: Sequence[Any]) -> float | None:
    """Seconds from the first fault to the first relevant action (None: none yet, or no fault)."""
    faults = [e for e in journal if e.type == "FaultInjected"]
    if not faults:
        return None
    first = min(e.t for e in faults)
    alert_node: dict[str, str | None] = {}
    hit: list[str] = []
    related: set[str] = set()
    families: list[set[str]] | None = None
    for e in journal:
        if e.type == "FaultInjected":
            hit.extend(_hit_by(e.data))
            if families is None:  # one pass over the topology per call, not per fault
                families = _families(scenario)
            related = related_components(scenario, hit, families)
        elif e.type == "AlertFired":
            alert_node[str(e.data.get("alert"))] = e.data.get("node")
        if e.t >= first and _relevant(e, related, alert_node) is not None:
            return e.t - first
    return None
