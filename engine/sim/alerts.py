"""Alert rules and their evaluation, in the manner of Prometheus.

A rule compares a metric with a threshold; the condition must hold for the
rule's ``for`` duration before the alert fires (``pending`` until then), and
the alert resolves when the condition stops holding. Alerts are per node for
node-scoped rules (``InstanceDown:db-1``) and single for global rules.
"""

from __future__ import annotations

import operator
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass

from engine.scenario.schema import GLOBAL_METRICS, NODE_METRICS, AlertRule, Alerts, Slo

__all__ = ["GLOBAL_METRICS", "NODE_METRICS", "AlertEvaluator", "AlertState", "default_rules"]

OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}

def default_rules(slo: Slo) -> list[AlertRule]:
    """The alert set a sensible on-call rotation starts with."""
    rule = AlertRule.model_validate
    return [
        rule({"name": "InstanceDown", "metric": "up", "op": "<", "threshold": 1, "for": 10,
              "severity": "critical", "summary": "instance is not answering its scrape",
              "kinds": ["load_balancer", "database", "dns", "cdn"]}),
        rule({"name": "InstanceDown", "metric": "up", "op": "<", "threshold": 1, "for": 15,
              "severity": "warning", "summary": "instance is not answering its scrape",
              "kinds": ["app_server", "cache", "service"]}),
        rule({"name": "HighErrorRate", "metric": "error_ratio", "scope": "global", "op": ">",
              "threshold": 0.05, "for": 15, "severity": "critical",
              "summary": "more than 5 % of user requests fail"}),
        rule({"name": "HighLatency", "metric": "p99", "scope": "global", "op": ">",
              "threshold": slo.latency_p99, "for": 30, "severity": "warning",
              "summary": f"user p99 latency above {slo.latency_p99:g} s"}),
        rule({"name": "SLOBurnRate", "metric": "burn_short", "scope": "global", "op": ">",
              "threshold": slo.burn_factor, "for": 0, "severity": "page",
              "summary": f"error budget burning faster than {slo.burn_factor:g}x"}),
        rule({"name": "WriteErrors", "metric": "write_error_ratio", "scope": "global", "op": ">",
              "threshold": 0.1, "for": 15, "severity": "critical",
              "summary": "more than 10 % of writes fail"}),
        rule({"name": "NodeErrors", "metric": "error_ratio", "op": ">", "threshold": 0.2, "for": 20,
              "severity": "warning", "summary": "more than 20 % of this component's requests fail",
              "kinds": ["app_server", "cache", "database", "service"]}),
        rule({"name": "NoHealthyBackends", "metric": "healthy_backends", "op": "<", "threshold": 1,
              "for": 5, "severity": "critical", "summary": "the load balancer has no healthy backend"}),
        rule({"name": "Saturated", "metric": "utilisation", "op": ">", "threshold": 0.9, "for": 30,
              "severity": "warning", "summary": "running above 90 % of capacity"}),
        rule({"name": "ReplicationLag", "metric": "lag", "op": ">", "threshold": 10, "for": 30,
              "severity": "warning", "summary": "replica more than 10 s behind"}),
        rule({"name": "ReplicationStopped", "metric": "replicating", "op": "<", "threshold": 1, "for": 30,
              "severity": "warning", "summary": "replica is not streaming from its upstream"}),
        rule({"name": "CacheHitRatioLow", "metric": "hit_ratio", "op": "<", "threshold": 0.5, "for": 60,
              "severity": "warning", "summary": "cache hit ratio below 50 %", "kinds": ["cache"]}),
        rule({"name": "MultiplePrimaries", "metric": "split_brain", "scope": "global", "op": ">",
              "threshold": 0, "for": 0, "severity": "critical",
              "summary": "more than one database accepts writes in a cluster"}),
    ]


@dataclass
class AlertState:
    """One alert instance's evaluation state."""

    id: str
    rule: AlertRule
    node: str | None
    pending_since: float | None = None
    firing_since: float | None = None
    resolved_at: float | None = None
    acknowledged: bool = False
    value: float = 0.0

    @property
    def state(self) -> str:
        if self.firing_since is not None:
            return "firing"
        if self.pending_since is not None:
            return "pending"
        return "resolved" if self.resolved_at is not None else "inactive"


class AlertEvaluator:
    """Evaluates the rules each second and reports transitions."""

    def __init__(self, config: Alerts, slo: Slo, kinds: dict[str, str]) -> None:
        rules = [r for r in default_rules(slo) if config.defaults and r.name not in config.disable]
        rules.extend(config.rules)
        self.rules = rules
        self.interval = config.evaluation_interval
        self.instances: dict[str, AlertState] = {}
        self._recent: dict[str, deque[float]] = {}  # rules with a window: the values inside it, per alert
        self._watch: list[tuple[AlertRule, list[str | None], dict[str | None, int]]] = []
        self._pending: dict[str, AlertState] = {}  # instances pending or firing: they move with time
        self._full = True  # the next evaluation looks at every watched node (after a retarget)
        self.retarget(kinds)

    def retarget(self, kinds: dict[str, str]) -> None:
        """Recompute which nodes each rule watches (after the topology grows)."""
        self._watch = []
        self._full = True
        for rule in self.rules:
            if rule.scope == "global":
                self._watch.append((rule, [None], {None: 0}))
                continue
            allowed = set(rule.kinds) if rule.kinds else set(NODE_METRICS.get(rule.metric, ()))
            names = [n for n, k in kinds.items() if k in allowed and (not rule.nodes or n in rule.nodes)]
            self._watch.append((rule, names, {n: i for i, n in enumerate(names)}))

    def _averaged(self, alert_id: str, rule: AlertRule, value: float) -> float:
        """The mean of the values inside the rule's window, this one included."""
        recent = self._recent.get(alert_id)
        if recent is None:
            recent = self._recent[alert_id] = deque(maxlen=max(1, round(rule.window / self.interval)))
        recent.append(value)
        return sum(recent) / len(recent)

    def evaluate(
        self, t: float, global_metrics: dict[str, float], node_metrics: dict[str, dict[str, float]],
        changed: Collection[str] | None = None,
    ) -> list[tuple[str, AlertState]]:
        """Advance every rule to time ``t``; returns ``("fired"|"resolved", alert)`` transitions.

        ``changed``: the nodes whose metrics may differ from the previous evaluation's (None: any).
        A node-scoped alert that is neither pending nor firing, of a rule without a window, cannot
        change while its node's metrics do not: only the changed nodes and the pending or firing
        alerts are looked at then, in the rule's order, so the transitions come out as from a full
        pass, at a cost that follows what changed instead of the size of the architecture.
        """
        out: list[tuple[str, AlertState]] = []
        full = changed is None or self._full
        self._full = False
        pending = self._pending
        for rule, names, index in self._watch:
            compare = OPS[rule.op]
            if not full and rule.scope != "global" and rule.window <= 0:
                picked = {name for name in changed if name in index}
                prefix = rule.name + ":"
                for inst in pending.values():
                    if inst.node in index and inst.id == prefix + inst.node:
                        picked.add(inst.node)
                names = sorted(picked, key=index.__getitem__) if len(picked) > 1 else list(picked)
            for name in names:
                source = global_metrics if name is None else node_metrics.get(name)
                alert_id = rule.name if name is None else f"{rule.name}:{name}"
                inst = self.instances.get(alert_id)
                if source is None or rule.metric not in source:
                    if inst is None:
                        continue
                    value, holds = inst.value, False  # the series vanished: the alert resolves
                else:
                    value = source[rule.metric]
                    if rule.window > 0:
                        value = self._averaged(alert_id, rule, value)
                    holds = compare(value, rule.threshold)
                if inst is None:
                    if not holds:
                        continue
                    inst = self.instances[alert_id] = AlertState(alert_id, rule, name)
                inst.value = value
                if holds:
                    if inst.pending_since is None:
                        inst.pending_since = t
                        inst.resolved_at = None
                        pending[alert_id] = inst
                    if inst.firing_since is None and t - inst.pending_since >= rule.for_:
                        inst.firing_since = t
                        inst.acknowledged = False
                        out.append(("fired", inst))
                elif inst.pending_since is not None:
                    was_firing = inst.firing_since is not None
                    inst.pending_since = None
                    inst.firing_since = None
                    del pending[alert_id]
                    if was_firing:
                        inst.resolved_at = t
                        out.append(("resolved", inst))
        return out
