"""One drill for one candidate: the fault, the story, the lessons and a reference solution derived from the topology.

Every drill keeps the source's architecture (topology, automation, SLO,
alerts) and replaces everything else. The response each recipe teaches, and
so its reference solution, follows from what the topology allows:

``restart``
    Nothing can take over (a lone load balancer, app server, cache, DNS, CDN
    or database; a pair of components that back each other up): crash it,
    restart it when monitoring says it is down.
``failover``
    The holder of a virtual IP with a standby and VRRP off: crash it, move the
    VIP to the standby (``failover VIP``), then restart the old holder.
``promote``
    A database primary with promotable replicas and no automatic failover:
    cut it off from everything (as in ``db-primary-async``), fence it, promote
    the replica with the least lag, and restart the old primary (it rejoins as
    a replica) once the network is back.
``degrade``
    An optional service every caller may switch off: it goes out on its
    owner's side for five minutes; ``degrade`` it, and ``enable`` it once it is
    back.
``async``
    A synchronous standby: it crashes and writes stall; switch it to
    asynchronous replication, restart it, and make it synchronous again.

Each step reacts to an alert that fires for that fault under the default
rules (:func:`engine.sim.alerts.default_rules`): ``InstanceDown`` for a
crash or an outage, ``WriteErrors`` when the database primary is cut off (it
still answers its scrape), after a human reaction delay (5 s to acknowledge,
10 s and more to act), as the built-in drills do.
"""

from __future__ import annotations

import math

from engine.analysis.generate.candidates import Candidate
from engine.analysis.generate.words import describe, names as _names, rates, slug
from engine.analysis.result import Analysis
from engine.analysis.suggest import UNMODELLED, with_change
from engine.scenario.schema import ActionScript, Scenario, Step, Trigger
from engine.scenario.topology import build_graph, clusters, vip_groups
from engine.sim.model import DEFAULT_BOOT

DURATION = 600.0
"""Length of every generated drill (the built-ins' length)."""
FAULT_WINDOW = (60.0, 90.0)
"""When the fault strikes, drawn per seed: after a minute of quiet, like the built-ins."""
PARTITION = 240.0
"""How long a cut-off database primary stays cut off (``db-primary-async``)."""
OUTAGE_WINDOW = (60.0, 100.0)
OUTAGE = 300.0
"""When an optional service goes out and for how long (``recs-outage``)."""
ACK, ACT, SECOND, RESTORE = 5.0, 10.0, 13.0, 30.0
"""Reaction delays after the alert: acknowledge, first action, the action that follows it, restoring redundancy."""
HINT_AT = 150.0
"""When the first, vague hint appears by itself (a minute or more after every fault time)."""
ALERT_FOR = {"load_balancer": 10.0, "database": 10.0, "dns": 10.0, "cdn": 10.0}
"""The default InstanceDown rule's ``for`` by kind (15 s for the others)."""
LOST_WRITES_SECONDS = 15.0
"""``scales.lost_writes`` in seconds of the architecture's writes (``db-primary-async``: 1,500 at 100 writes/s)."""
LOST_WRITES_BAR = 2.0
"""The lost-writes probe in seconds of writes (``db-primary-async``: 200 at 100 writes/s)."""


def _boot(scenario: Scenario, name: str) -> float:
    spec = scenario.topology.nodes[name]
    return spec.boot_time if spec.boot_time is not None else DEFAULT_BOOT[spec.kind]


def _availability_floor(scenario: Scenario, names: tuple[str, ...]) -> float:
    """The availability probe: twice the outage a prompt restart costs (a scrape, the alert's ``for``, the
    reaction, the boot), as a share of the drill, rounded down to 5 %; at most 90 % (the built-ins' bar)."""
    outage = max(scenario.alerts.scrape_interval + ALERT_FOR.get(scenario.topology.nodes[n].kind, 15.0)
                 + ACT + _boot(scenario, n) for n in names)
    return max(0.5, min(0.9, math.floor(20 * (1 - 2 * outage / DURATION)) / 20))


def _down(node: str) -> Trigger:
    return Trigger(alert="InstanceDown", node=node)


def _ack_down(node: str) -> Step:
    return Step(trigger=_down(node), after=ACK, command="ack", target=f"InstanceDown:{node}")


def _change(scenario: Scenario, name: str, kind: str) -> str:
    """What would remove the weakness, from the suggestions (:mod:`engine.analysis.suggest`)."""
    changed = with_change(scenario, name)
    if changed is not None:
        return f"The smallest change that removes it: {changed[1]}."
    return f"What would remove it: {UNMODELLED.get(kind, 'redundancy the engine does not model yet')}."


def _callers(scenario: Scenario, name: str) -> list[str]:
    """Components (not users) that call ``name``: where its failure shows first."""
    graph = build_graph(scenario)
    return [c for c in graph.predecessors(name) if scenario.topology.nodes[c].kind != "client"]


def _restart(candidate: Candidate, scenario: Scenario, analysis: Analysis) -> dict:
    names = candidate.components
    nodes = scenario.topology.nodes
    method = [{"type": "crash", "target": n, "at": {"between": list(FAULT_WINDOW)}} for n in names]
    steps = []
    for n in names:
        steps += [_ack_down(n), Step(trigger=_down(n), after=ACT, command="restart", target=n)]
    boot = ", ".join(f"{n} about {_boot(scenario, n):g} s" for n in names)
    pitfalls = []
    callers = sorted({c for n in names for c in _callers(scenario, n)} - set(names), key=list(nodes).index)
    if callers:
        first = names[0]
        pitfalls.append(ActionScript(name="restart the components where the errors show", steps=[
            _ack_down(first),
            *(Step(trigger=_down(first), after=ACT + i, command="restart", target=c) for i, c in enumerate(callers)),
        ]))
    if candidate.kind == "pair":
        a, b = names
        lessons = [
            f"{a} and {b} back each other up, so neither is a single point of failure, but together they are a "
            f"minimal cut set: losing both stops requests. Redundancy of two covers one failure at a time.",
            "When both members of a redundant pair are down there is nothing left to fail over to: restart each as "
            f"soon as monitoring shows it down (boot times: {boot}).",
            "Failures are not independent: the same bad deploy, host batch or rack takes out both members. A third "
            "member, or spreading them over failure domains, makes a double fault survivable.",
        ]
        tags = ["redundancy", "double-fault", "diagnosis"]
        title_symptom = "a bad night"
        objectives = [
            "Notice from alerts and metrics which components stopped answering.",
            "Bring service back as fast as the architecture allows.",
            "Leave every component running again, so the system is redundant once more.",
        ]
        hint1 = "More than one alert names a component. What do the ones that are down have in common?"
        hint2 = f"Nothing can take over: 'restart {a}' and 'restart {b}' are the way back."
    else:
        (name,) = names
        kind = nodes[name].kind
        reason = analysis.of(name).reason
        if candidate.kind == "spof":
            lessons = [
                f"{name} is a single point of failure: {reason}.",
                f"With nothing to fail over to, downtime is detection time plus boot time ({boot}): detect fast, "
                "restart at once.",
                _change(scenario, name, kind),
            ]
            tags = ["spof", *_kind_tags(kind)]
            title_symptom = "users cannot get through" if len(analysis.of(name).spof_for) > 1 else \
                f"{analysis.of(name).spof_for[0]}s stop"
            objectives = [
                "Before anything breaks, mark (m) every component you believe is a single point of failure: the "
                "debrief scores your hunt against the analysis.",
                "Notice from alerts and metrics that users are failing, and find which component they all depend on.",
                "Restore service as fast as the architecture allows.",
                "Say which change to the architecture would have made this failure a non-event.",
            ]
            hint1 = "Every failing request passes through one component. Which one stopped answering?"
        else:
            lessons = [
                f"{name} is not a single point of failure but its loss costs users: {reason}.",
                f"Bring it back promptly (boot: {boot}); until then the system runs without a margin.",
                _change(scenario, name, kind),
            ]
            tags = ["degradation", *_kind_tags(kind)]
            title_symptom = "something is off"
            objectives = [
                "Notice from alerts and metrics that part of the system stopped answering.",
                "Find which component it is and bring it back.",
            ]
            hint1 = "Users still get answers, but not all of them, or slower. Which component stopped answering?"
        hint2 = f"There is no standby for {name}: 'restart {name}' is the way back (about {_boot(scenario, name):g} s)."
    probes = [{"name": f"availability at least {_pct(_availability_floor(scenario, names))}", "metric": "availability",
               "tolerance": {"min": _availability_floor(scenario, names)}}]
    return {
        "title_symptom": title_symptom, "tags": tags, "method": method, "objectives": objectives, "lessons": lessons,
        "hints": [hint1, hint2], "steps": steps, "pitfalls": pitfalls, "probes": probes, "scoring": {},
    }


def _kind_tags(kind: str) -> list[str]:
    return {"load_balancer": ["load-balancer"], "database": ["database"], "cache": ["cache"], "cdn": ["cdn"],
            "dns": ["dns"], "app_server": ["app-server"], "service": ["dependency"]}.get(kind, [])


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _failover(candidate: Candidate, scenario: Scenario, analysis: Analysis) -> dict:
    (holder,) = candidate.components
    vip = next(v for v in vip_groups(scenario) if holder in v.members)
    standby = vip.members[1]
    steps = [
        _ack_down(holder),
        Step(trigger=_down(holder), after=ACT, command="failover", target=vip.name),
        Step(trigger=_down(holder), after=RESTORE, command="restart", target=holder),
    ]
    pitfall = ActionScript(name="restart the failed load balancer instead of failing over", steps=[
        _ack_down(holder), Step(trigger=_down(holder), after=ACT, command="restart", target=holder)])
    floor = _availability_floor(scenario, (holder,))
    return {
        "title_symptom": "the site goes quiet",
        "tags": ["redundancy", "load-balancer", "failover", "vrrp"],
        "method": [{"type": "crash", "target": holder, "at": {"between": list(FAULT_WINDOW)}}],
        "objectives": [
            "Notice from alerts and metrics that users stopped getting answers, and find where.",
            "Move the traffic to what can still take it.",
            "Bring the failed component back so that you have redundancy again.",
        ],
        "lessons": [
            f"{holder} is not a single point of failure on paper: {_names(vip.members[1:])} "
            f"share{'s' if len(vip.members) == 2 else ''} its virtual IP {vip.name}. But VRRP is off: the standby "
            "takes over only when a human runs 'failover', and until then every request to the VIP fails.",
            "A standby only helps once something moves traffic to it; a manual failover costs the time it takes a "
            "human to notice and act.",
            "Automatic failover (VRRP, keepalived) turns minutes of downtime into about 3.6 seconds.",
            "Recovery is not over until redundancy is restored; until then the next crash is an outage.",
        ],
        "hints": ["Which component does every request pass through, and what stands ready beside it?",
                  f"{standby} shares the virtual IP {vip.name}: 'failover {vip.name}' moves it; then restart {holder}."],
        "steps": steps, "pitfalls": [pitfall],
        "probes": [{"name": f"availability at least {_pct(floor)}", "metric": "availability",
                    "tolerance": {"min": floor}}],
        "scoring": {},
    }


def best_replica(scenario: Scenario, primary: str) -> str:
    """The promotable replica of ``primary``'s cluster with the least lag (ties: the faster applier, then order)."""
    nodes = scenario.topology.nodes
    cluster = next(c for c in clusters(scenario) if c.primary == primary)
    order = list(nodes)
    promotable = [r for r in cluster.replicas if nodes[r].failover_candidate]
    return min(promotable, key=lambda r: (nodes[r].lag, -nodes[r].apply_rate, order.index(r)))


def _promote(candidate: Candidate, scenario: Scenario, analysis: Analysis) -> dict:
    (primary,) = candidate.components
    nodes = scenario.topology.nodes
    cluster = next(c for c in clusters(scenario) if c.primary == primary)
    best = best_replica(scenario, primary)
    others = [r for r in cluster.replicas if r != best]
    callers = sorted({c for m in (primary, *cluster.replicas) for c in _callers(scenario, m)} - {primary},
                     key=list(nodes).index)
    side = ",".join([*callers, *cluster.replicas])
    writes = rates(scenario)["write"]
    trigger = Trigger(alert="WriteErrors") if writes > 0 else Trigger(alert="HighErrorRate")
    alert = trigger.alert
    restore_at = FAULT_WINDOW[1] + PARTITION + 90.0
    steps = [
        Step(trigger=trigger, after=ACK, command="ack", target=alert),
        Step(trigger=trigger, after=ACT, command="fence", target=primary),
        Step(trigger=trigger, after=SECOND, command="promote", target=best),
        Step(at=restore_at, command="restart", target=primary),
    ]
    pitfalls = [
        ActionScript(name="promote without fencing the old primary", steps=[
            Step(trigger=trigger, after=ACK, command="ack", target=alert),
            Step(trigger=trigger, after=ACT, command="promote", target=best)]),
        ActionScript(name=f"restart {primary} instead of failing over", steps=[
            Step(trigger=trigger, after=ACK, command="ack", target=alert),
            Step(trigger=trigger, after=ACT, command="restart", target=primary)]),
    ]
    per_second = max(1.0, writes)
    lag = ", ".join(f"{r} about {nodes[r].lag:g} s" for r in cluster.replicas)
    lessons = [
        f"With asynchronous replication a failover loses the writes the replica had not received yet: at about "
        f"{per_second:,.0f} writes/s, every second of lag is about {per_second:,.0f} lost writes ({lag}).",
        f"Promote the most up-to-date replica ({best})"
        + (f"; promoting a lagging one ({', '.join(others)}) loses more and leaves the others ahead of the new "
           "primary, so they must be rebuilt." if others else "."),
        "An old primary that comes back unfenced keeps accepting writes from clients that still reach it; those "
        "writes are lost when it is demoted. Fence first (STONITH).",
        f"{candidate.reason[:1].upper()}{candidate.reason[1:]}. Automatic failover (Patroni-like) would promote within its leader TTL, without waiting "
        "for a human.",
    ]
    bar = max(20, round(LOST_WRITES_BAR * writes))
    return {
        "title_symptom": "writes in trouble",
        "tags": ["replication", "promotion", "fencing", "split-brain", "rpo"],
        "method": [{"type": "partition", "between": [primary, side], "at": {"between": list(FAULT_WINDOW)},
                    "duration": PARTITION}],
        "objectives": [
            "Notice that writes fail and find why.",
            "Promote the replica that has the most data, and know how many writes it lacks before you do it.",
            "Make sure the old primary can never accept writes again, avoiding a split brain.",
            "Rebuild redundancy by bringing the old primary back as a replica.",
        ],
        "lessons": lessons,
        "hints": [f"Writes fail but {primary} answers its health scrape. Can its callers reach it?",
                  f"Compare the replicas' positions: promote the one closest to the primary ({best}), and fence "
                  f"{primary} first."],
        "steps": steps, "pitfalls": pitfalls,
        "probes": [{"name": "availability at least 90%", "metric": "availability", "tolerance": {"min": 0.9}},
                   {"name": f"at most {bar:,} writes lost", "metric": "lost_writes", "tolerance": {"max": bar}}],
        "scoring": {"scales": {"lost_writes": max(100, round(LOST_WRITES_SECONDS * writes))}},
    }


def _degrade(candidate: Candidate, scenario: Scenario, analysis: Analysis) -> dict:
    (name,) = candidate.components
    spec = scenario.topology.nodes[name]
    feature = spec.feature or name
    enable_at = OUTAGE_WINDOW[1] + OUTAGE + 60.0
    steps = [
        _ack_down(name),
        Step(trigger=_down(name), after=ACT, command="degrade", target=name),
        Step(at=enable_at, command="enable", target=name),
    ]
    callers = _callers(scenario, name)
    pitfalls = [ActionScript(name="restart the app servers where the errors show", steps=[
        _ack_down(name), *(Step(trigger=_down(name), after=ACT + i, command="restart", target=c)
                          for i, c in enumerate(callers))])] if callers else []
    return {
        "title_symptom": "some pages fail",
        "tags": ["graceful-degradation", "feature-flags", "optional-dependency"],
        "method": [{"type": "dependency_outage", "target": name, "at": {"between": list(OUTAGE_WINDOW)},
                    "duration": OUTAGE}],
        "objectives": [
            "Notice that users see errors and find which component the failing requests depend on.",
            "Keep the system serving while that component is broken, without waiting for its owners.",
            "Put the system back to full service once the component works again.",
        ],
        "lessons": [
            f"{name} is optional ({analysis.of(name).reason.removeprefix('optional: ')}): its failure should cost users a feature, not the page. "
            f"With {feature} switched off every request is served, with a note that some features are limited.",
            "A call without a fallback makes an optional service's availability a ceiling on yours.",
            _change(scenario, name, "service"),
            "Turn the feature back on when its owner says it is healthy; a degraded mode left on is a silent loss.",
        ],
        "hints": ["Most failing requests have one thing in common. Which component answers none of its calls?",
                  f"{name} is optional: 'degrade {name}' serves those pages without it. Switch it back on "
                  f"('enable {name}') when it answers again."],
        "steps": steps, "pitfalls": pitfalls,
        "probes": [{"name": "availability at least 95%", "metric": "availability", "tolerance": {"min": 0.95}}],
        "scoring": {"pass_score": 80.0},
    }


def _async(candidate: Candidate, scenario: Scenario, analysis: Analysis) -> dict:
    (name,) = candidate.components
    trigger = Trigger(alert="WriteErrors")
    boot = _boot(scenario, name)
    steps = [
        Step(trigger=trigger, after=ACK, command="ack", target="WriteErrors"),
        Step(trigger=trigger, after=ACT, command="replication", target=name, args={"mode": "async"}),
        Step(trigger=trigger, after=ACT + RESTORE, command="restart", target=name),
        Step(trigger=trigger, after=ACT + RESTORE + boot + 60.0, command="replication", target=name,
             args={"mode": "sync"}),
    ]
    pitfall = ActionScript(name=f"only restart {name}", steps=[
        Step(trigger=trigger, after=ACK, command="ack", target="WriteErrors"),
        Step(trigger=trigger, after=ACT, command="restart", target=name)])
    return {
        "title_symptom": "writes hang",
        "tags": ["replication", "sync", "degradation"],
        "method": [{"type": "crash", "target": name, "at": {"between": list(FAULT_WINDOW)}}],
        "objectives": [
            "Notice that writes stall and find what they wait for.",
            "Get writes flowing again without losing an acknowledged one.",
            "Restore the synchronous standby once it is healthy.",
        ],
        "lessons": [
            f"{name} is {analysis.of(name).reason}.",
            "Synchronous replication trades availability for zero loss: a primary that waits for a dead standby "
            "stops taking writes. Switch the standby to asynchronous replication to let writes through.",
            "Switch it back to synchronous once it has caught up, or the next primary failure may lose writes.",
        ],
        "hints": ["Writes stall though the primary is up. What does every commit wait for?",
                  f"'replication {name} mode=async' lets the primary commit without it; restart {name} afterwards."],
        "steps": steps, "pitfalls": [pitfall],
        "probes": [{"name": "availability at least 90%", "metric": "availability", "tolerance": {"min": 0.9}}],
        "scoring": {},
    }


RECIPES = {"restart": _restart, "failover": _failover, "promote": _promote, "degrade": _degrade, "async": _async}
"""The response each recipe teaches (see the module docstring)."""


def architecture_of(scenario: Scenario) -> str:
    """The name of the system a scenario runs on: its ``architecture``, else its id, else its title."""
    return scenario.architecture or scenario.id or scenario.title


def drill_for(candidate: Candidate, scenario: Scenario, analysis: Analysis) -> Scenario:
    """The drill that teaches ``candidate``'s lesson on ``scenario``'s architecture (not yet checked)."""
    parts = RECIPES[candidate.recipe](candidate, scenario, analysis)
    architecture = architecture_of(scenario)
    hint1, hint2 = parts["hints"]
    scoring = {"pass_score": 60.0, **parts["scoring"]}
    data = {
        "id": f"{slug(architecture)}-{candidate.slug}",
        "title": f"{architecture}: {parts['title_symptom']}",
        "description": (f"Something in {architecture} breaks in the first minutes of the shift. Find what from the "
                        "alerts and metrics, keep users served, and leave the system as redundant as you found it."),
        "architecture": architecture,
        "tags": [*dict.fromkeys([*parts["tags"], "generated"])],
        "difficulty": "medium",
        "visibility": "observed",
        "duration": DURATION,
        "briefing": describe(scenario, architecture),
        "objectives": parts["objectives"],
        "lessons": parts["lessons"],
        "slo": scenario.slo,
        "topology": scenario.topology,
        "automation": scenario.automation,
        "method": parts["method"],
        "alerts": scenario.alerts,
        "hints": [{"text": hint1, "at": HINT_AT, "cost": 5.0}, {"text": hint2, "cost": 10.0}],
        "scoring": scoring,
        "reference_solution": ActionScript(name="reference solution", steps=parts["steps"]),
        "pitfalls": parts["pitfalls"],
        "steady-state-hypothesis": {"title": "Users are served and no acknowledged write is lost",
                                    "probes": parts["probes"]},
        "engine": scenario.engine,
        # a SPOF of the trainee's own system: find them all first (the SPOF-hunting concept), then survive one
        "spof_hunt": "spof" in parts["tags"],
    }
    return Scenario.model_validate(data)


__all__ = ["DURATION", "FAULT_WINDOW", "RECIPES", "architecture_of", "best_replica", "drill_for"]
