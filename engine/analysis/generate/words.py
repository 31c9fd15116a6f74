"""The system described in plain words, as the on-call engineer knows it: the briefing every generated drill shares.

The description is the same for every drill of one architecture, so it cannot
point at what will break: it says what runs where, what is redundant, what
automation is on, what users do and what the trainee may do about it.
"""

from __future__ import annotations

import re

from engine.scenario.schema import RateSpec, Scenario
from engine.scenario.topology import build_graph, clusters, vip_groups


def slug(text: str) -> str:
    """Lowercase words joined by dashes: ``Web Shop (prod)`` → ``web-shop-prod``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "system"


def _rate(rate) -> float:
    return rate.base if isinstance(rate, RateSpec) else float(rate)


def rates(scenario: Scenario) -> dict[str, float]:
    """Requests per second of each kind, summed over the clients (base rates)."""
    out = {"read": 0.0, "write": 0.0, "static": 0.0}
    for spec in scenario.topology.nodes.values():
        if spec.kind == "client":
            for kind in out:
                out[kind] += _rate(getattr(spec.rates, kind))
    return out


def names(items) -> str:
    """Names joined for reading: ``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


_SMALL = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _count(n: int, one: str, many: str | None = None) -> str:
    number = _SMALL[n] if n < len(_SMALL) else f"{n:,}"
    return f"{number} {one}" if n == 1 else f"{number} {many or one + 's'}"


def _about(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:g}"


def describe(scenario: Scenario, architecture: str) -> str:
    """The briefing's account of the system: components, redundancy, automation, traffic, stakes."""
    nodes = scenario.topology.nodes
    graph = build_graph(scenario)
    auto = scenario.automation
    by_kind: dict[str, list[str]] = {}
    for name, spec in nodes.items():
        by_kind.setdefault(spec.kind, []).append(name)
    lines: list[str] = []
    traffic = rates(scenario)
    parts = []
    if traffic["read"]:
        parts.append(f"about {_about(traffic['read'])} page views (reads)")
    if traffic["write"]:
        parts.append(f"{_about(traffic['write'])} writes (orders, sign-ups, saved changes)")
    if traffic["static"]:
        parts.append(f"{_about(traffic['static'])} requests for static files")
    lines.append(f"You are on call for {architecture}. Users send {names(parts) or 'requests'} per second.")
    if len(scenario.topology.regions) > 1:
        lines.append(f"It runs in {len(scenario.topology.regions)} regions: {names(scenario.topology.regions)}.")
    for name in by_kind.get("dns", []):
        lines.append(f"{name} answers their DNS lookups (TTL {nodes[name].ttl:g} s).")
    for name in by_kind.get("cdn", []):
        lines.append(f"{name}, a CDN, serves about {nodes[name].hit_ratio:.0%} of static files from its edge.")
    for vip in vip_groups(scenario):
        if len(vip.members) == 1:
            lines.append(f"Load balancer {vip.members[0]} takes their requests.")
        else:
            how = ("VRRP (keepalived) moves it automatically when the holder fails" if auto.vrrp.enabled
                   else "automatic VRRP failover is switched off in this environment")
            lines.append(f"Load balancer {vip.members[0]} holds the virtual IP {vip.name}; "
                         f"{names(vip.members[1:])} {'is a standby' if len(vip.members) == 2 else 'are standbys'} "
                         f"sharing it, and {how}.")
    apps = by_kind.get("app_server", [])
    if apps:
        lines.append(f"{_count(len(apps), 'app server').capitalize()} ({names(apps)}) serve{'s' if len(apps) == 1 else ''} "
                     f"the requests; load-balancer health checks take a dead one out of rotation.")
    for name in by_kind.get("cache", []):
        lines.append(f"Reads go through {name}, a cache that answers about {nodes[name].hit_ratio:.0%} of them; "
                     f"misses and writes go to the database.")
    for cluster in clusters(scenario):
        primary = cluster.primary
        if not cluster.replicas:
            lines.append(f"{primary} is the only database{'' if cluster.name == primary else f' of {cluster.name}'}.")
            continue
        described = []
        for r in cluster.replicas:
            spec = nodes[r]
            mode = "synchronous" if spec.replication == "sync" else f"asynchronous, normally about {spec.lag:g} s behind"
            note = "" if spec.failover_candidate else ", not promotable"
            described.append(f"{r} ({mode}{note})")
        lines.append(f"{primary} is the primary database of {cluster.name}; {names(described)} "
                     f"replicate{'s' if len(described) == 1 else ''} from it.")
        if any(nodes[r].failover_candidate for r in cluster.replicas):
            lines.append("Automatic database failover is on." if auto.db_failover.enabled
                         else "There is no automatic database failover: promotion is your call.")
    for name in by_kind.get("service", []):
        spec = nodes[name]
        callers = list(graph.predecessors(name))
        feature = spec.feature or spec.label or name
        if callers and all(not graph.edges[c, name]["required"] for c in callers):
            share = max(graph.edges[c, name]["share"] for c in callers)
            lines.append(f"{name} ({feature}) is called by about {share:.0%} of requests; it is nice to have: the "
                         f"app can serve those pages without it when the feature is switched off.")
        elif callers and all(graph.edges[c, name]["fallback"] for c in callers):
            lines.append(f"{name} ({feature}) is called by {names(callers)}, which fall back to a degraded page "
                         f"when it does not answer.")
        elif callers:
            lines.append(f"{name} ({feature}) is a service {names(callers)} call{'s' if len(callers) == 1 else ''} "
                         f"to serve requests.")
    system = lines
    lines = ["Crashed components are restarted automatically after "
             f"{auto.restart.delay:g} s." if auto.restart.enabled else "Nothing restarts by itself."]
    stakes = (f"The objective is {scenario.slo.target * 100:g}% of requests served; every failed request is a user "
              f"turned away")
    if traffic["write"]:
        stakes += ", and every acknowledged write you lose is something a user was told was saved"
    paragraphs = [system, [*lines, stakes + "."],
                  [f"You can {names(allowed_commands(scenario))}. Watch the alerts; when users are hurting, act."]]
    return "\n".join(_wrap(" ".join(p)) for p in paragraphs)


def allowed_commands(scenario: Scenario) -> list[str]:
    """The trainee's repairs this topology offers, in words (what the briefing says they can do)."""
    nodes = scenario.topology.nodes
    kinds = {spec.kind for spec in nodes.values()}
    out = ["restart components", "fence a node"]
    if any(len(v.members) > 1 for v in vip_groups(scenario)):
        out.append("fail a virtual IP over to its standby")
    if any(c.replicas for c in clusters(scenario)):
        out.append("promote a replica")
    if "service" in kinds:
        out.append("switch optional features off and on")
    if "app_server" in kinds:
        out.append("scale out or drain app servers")
    if "load_balancer" in kinds:
        out.append("shed load at a load balancer")
    return out


def _wrap(text: str, width: int = 78) -> str:
    import textwrap

    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False) + "\n"


__all__ = ["allowed_commands", "describe", "names", "rates", "slug"]
