"""The scenario and action-script formats, declared once.

Every rule a scenario file must follow lives here as a pydantic model with
``extra="forbid"``; the loader (:mod:`engine.scenario.loader`) turns the YAML into these
models and maps every validation problem back to a file, line and key path.
:func:`scenario_json_schema` exports the same declaration as JSON Schema so
editors can complete and validate scenario files.

Defaults that have a well-known real-world value say where it comes from.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.util.limits import MAX_ARG_MAGNITUDE, MAX_DURATION

# --------------------------------------------------------------------------- bounded numbers
# Every number of the format is finite (no NaN, no infinity) and lies in a range a real system could
# need; each kind of number is declared once here. The loader reports a value outside its range as
# "must be at most 1,000,000, got 1e+09" at the value's key path.

DAY = 86_400.0
"""The longest timer, timeout, delay or span in seconds (a DNS TTL of a day is the longest in common use)."""
MAX_LATENCY = 60.0
"""The longest latency or round trip of one call, in seconds."""
MAX_RATE = 1_000_000.0
"""The most requests (or writes, or queries) per second a population sends or a component serves."""
MIN_INTERVAL = 1.0
"""The shortest period of a repeating timer: a health check, a VRRP advert (VRRPv2's 1 s), an alert
evaluation, a flap, a traffic spike. Every timer costs work on every node it touches."""


def _finite(**bounds: float) -> Any:
    """A ``Field`` with these bounds that refuses NaN and the infinities."""
    return Field(allow_inf_nan=False, **bounds)


Seconds = Annotated[float, _finite(ge=0, le=DAY)]
"""A span of time in seconds that may be zero (a delay, a window, a boot time)."""
Span = Annotated[float, _finite(gt=0, le=DAY)]
"""A positive span of time in seconds (a timeout, a TTL, a fault's duration)."""
DrillTime = Annotated[float, _finite(ge=0, le=MAX_DURATION)]
"""A time within a drill, in seconds from its start (a fault's ``at``, a step's ``at`` or ``after``)."""
Interval = Annotated[float, _finite(ge=MIN_INTERVAL, le=DAY)]
"""The period of something that repeats, in seconds."""
SlowInterval = Annotated[float, _finite(ge=10, le=DAY)]
"""The period of something that repeats at most every 10 s: Route 53 health checks (10 or 30 s), chaos kills."""
Latency = Annotated[float, _finite(ge=0, le=MAX_LATENCY)]
"""The latency or round trip of one call, in seconds."""
PositiveLatency = Annotated[float, _finite(gt=0, le=MAX_LATENCY)]
"""A latency that cannot be zero (a CPU time per request, a latency objective)."""
PerSecond = Annotated[float, _finite(ge=0, le=MAX_RATE)]
"""Requests per second sent."""
Capacity = Annotated[float, _finite(gt=0, le=MAX_RATE)]
"""Requests (or queries, or writes) per second a component can serve."""
Fraction = Annotated[float, _finite(ge=0, le=1)]
"""A share between 0 and 1."""
Factor = Annotated[float, _finite(ge=0.01, le=1_000)]
"""A multiplier (a slowdown's latency factor, a burn-rate threshold)."""
Hours = Annotated[float, _finite(gt=0, le=1_000_000)]
"""A mean time in hours (MTBF, MTTR): up to about a century."""
Points = Annotated[float, _finite(ge=0, le=100)]
"""Points of the 0-100 score."""
Weight = Annotated[float, _finite(ge=0, le=10_000)]
"""A relative share (DNS weights): any unit, 70/30 or 0.7/0.3."""
Finite = Annotated[float, _finite(ge=-1e12, le=1e12)]
"""Any finite value a metric can take (an alert threshold, a probe's tolerance)."""
SmallCount = Annotated[int, Field(ge=1, le=100)]
"""A small count of consecutive events (a health check's fall and rise, a DNS failover threshold)."""
Duration = Annotated[float, _finite(gt=0, le=MAX_DURATION)]
"""How long a drill runs, in simulated seconds."""
Tick = Annotated[float, _finite(ge=0.01, le=5)]
"""Seconds between two traffic steps of the simulation."""


class Strict(BaseModel):
    """Base for every format model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------------- traffic


class RateSpec(Strict):
    """A request rate over time: constant, diurnal (sinusoidal) or spiky."""

    base: PerSecond = Field(description="Mean requests per second.")
    pattern: Literal["constant", "diurnal", "spiky"] = "constant"
    amplitude: Fraction = Field(0.3, description="Diurnal swing as a fraction of base.")
    period: Interval = Field(600.0, description="Diurnal period in seconds.")
    spike_every: Interval = Field(120.0, description="Mean seconds between spikes (seeded).")
    spike_factor: Annotated[float, _finite(ge=1, le=1_000)] = Field(3.0, description="Rate multiplier during a spike.")
    spike_duration: Span = Field(10.0, description="Seconds a spike lasts.")
    noise: Fraction = Field(0.03, description="Seeded per-second jitter as a fraction of the rate.")


Rate = Union[PerSecond, RateSpec]


class Rates(Strict):
    """Requests per second by kind."""

    read: Rate = 0.0
    write: Rate = 0.0
    static: Rate = 0.0


# --------------------------------------------------------------------------- nodes


class NodeBase(Strict):
    """Fields every component has."""

    region: str | None = Field(None, description="Region the node sits in; default the first region.")
    group: str | None = Field(None, description="Group for scaling, chaos eligibility and analysis.")
    label: str | None = Field(None, description="Display label; default the node name.")
    mtbf: Hours | None = Field(None, description="Mean time between failures in hours (analysis).")
    mttr: Hours | None = Field(None, description="Mean time to repair in hours (analysis).")
    boot_time: Seconds | None = Field(None, description="Seconds a restart takes; default by kind.")


class ClientNode(NodeBase):
    """A population of users sending requests."""

    kind: Literal["client"]
    rates: Rates = Rates(read=100.0, write=10.0, static=50.0)
    timeout: Span = Field(10.0, description="Seconds a user waits before giving up.")


class StickyResolvers(Strict):
    """Clients that keep an answer past its TTL: resolvers with a minimum cache time, JVMs caching lookups
    (``networkaddress.cache.ttl``), long-lived connections. They follow a change linearly over ``hold``."""

    share: Fraction = Field(description="Share of the clients behind such resolvers, 0 to 1.")
    hold: Duration = Field(description="Seconds they keep an answer (at least the TTL, at most a drill's length).")


class DnsNode(NodeBase):
    """A global traffic manager answering with weighted regions."""

    kind: Literal["dns"]
    ttl: Span = Field(60.0, description="Record TTL in seconds (60 s: the usual TTL for failover records).")
    weights: dict[str, Weight] | None = Field(
        None, description="Share of traffic per region; default equal over the regions it points at."
    )
    sticky: StickyResolvers | None = Field(
        None, description="Clients that ignore the TTL and follow a change over a longer hold; default none."
    )

    @model_validator(mode="after")
    def _hold_past_ttl(self) -> "DnsNode":
        if self.sticky is not None and self.sticky.hold < self.ttl:
            raise ValueError(f"sticky: 'hold' ({self.sticky.hold:g} s) must be at least the TTL ({self.ttl:g} s)")
        return self


class CdnNode(NodeBase):
    """An edge cache in front of the origin for static content."""

    kind: Literal["cdn"]
    hit_ratio: Fraction = 0.95
    stale_if_error: bool = Field(True, description="Serve stale content while the origin fails (RFC 5861).")
    latency: Latency = 0.02


class LoadBalancerNode(NodeBase):
    """A load balancer; members of one ``vip`` share a virtual IP (VRRP)."""

    kind: Literal["load_balancer"]
    vip: str | None = Field(None, description="Virtual IP group; default a VIP of its own.")
    role: Literal["primary", "standby"] = "primary"
    priority: Annotated[int, Field(ge=1, le=254)] = Field(
        100, description="VRRP priority (keepalived default 100); the skew time is (256 - priority) / 256 s."
    )
    latency: Latency = 0.001
    retries: Annotated[int, Field(ge=0, le=5)] = Field(
        0, description="Re-dispatch a refused connection to another backend this many times (HAProxy redispatch)."
    )


class AppServerNode(NodeBase):
    """An application server with a worker pool."""

    kind: Literal["app_server"]
    capacity: Capacity = Field(500.0, description="Requests per second its CPUs can serve (the compute limit).")
    workers: Annotated[int, Field(ge=1, le=100_000)] = Field(
        64, description="Concurrent requests it can hold (threads); a slow dependency fills them (Little's law)."
    )
    service_time: PositiveLatency = Field(0.02, description="Own CPU time per request in seconds.")
    queue_timeout: Span = Field(5.0, description="Seconds a request may wait for a worker before it fails.")


class CacheNode(NodeBase):
    """A read-through cache (Redis/memcached); misses go to the database."""

    kind: Literal["cache"]
    hit_ratio: Fraction = 0.9
    capacity: Capacity = 50000.0
    latency: Latency = 0.001
    warmup: Span = Field(120.0, description="Seconds for a cold cache to reach 63 % of its hit ratio at full read rate.")


class DatabaseNode(NodeBase):
    """A database server: the primary of its cluster or a replica."""

    kind: Literal["database"]
    cluster: str | None = Field(None, description="Replication cluster; default the node's own name.")
    role: Literal["primary", "replica"] = "primary"
    replication: Literal["async", "sync"] = Field("async", description="How a replica receives writes.")
    upstream: str | None = Field(None, description="Node a replica streams from; default the cluster primary.")
    lag: Seconds = Field(0.2, description="Base replication delay of a replica, in seconds.")
    apply_rate: Capacity = Field(2000.0, description="Writes per second a replica can replay.")
    capacity: Capacity = Field(2000.0, description="Queries per second it serves.")
    read_latency: Latency = 0.004
    write_latency: Latency = 0.008
    sync_rtt: Latency = Field(0.002, description="Round trip a synchronous commit waits for.")
    failover_candidate: bool = Field(True, description="May be promoted by automation.")


class ServiceNode(NodeBase):
    """A dependency the application calls (recommendations, search, payments)."""

    kind: Literal["service"]
    capacity: Capacity = 2000.0
    latency: Latency = 0.03
    feature: str | None = Field(None, description="Feature name for degrade commands; default the node name.")


NodeSpec = Annotated[
    Union[ClientNode, DnsNode, CdnNode, LoadBalancerNode, AppServerNode, CacheNode, DatabaseNode, ServiceNode],
    Field(discriminator="kind"),
]

NODE_KINDS = ("client", "dns", "cdn", "load_balancer", "app_server", "cache", "database", "service")


class EdgeSpec(Strict):
    """A dependency: ``source`` needs ``target`` to serve its requests."""

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    required: bool = Field(True, description="False: a feature that can be switched off (degraded).")
    share: Fraction = Field(1.0, description="Fraction of requests that make this call.")
    timeout: Span | None = Field(None, description="Call timeout in seconds; default by target kind.")
    fallback: bool = Field(False, description="The caller already serves degraded when this call fails.")


class Topology(Strict):
    """Regions, components and their dependencies."""

    regions: list[str] = Field(default_factory=lambda: ["main"], min_length=1)
    nodes: dict[str, NodeSpec] = Field(min_length=1)
    edges: list[Union[str, EdgeSpec]] = Field(default_factory=list)
    inter_region_rtt: Latency = Field(0.05, description="Round trip added to a call that crosses regions, in seconds.")


# --------------------------------------------------------------------------- automation


class HealthCheck(Strict):
    """Load-balancer health checks (HAProxy defaults: ``inter 2s fall 3 rise 2``, timeout check = inter)."""

    type: Literal["http", "tcp"] = Field(
        "http", description="http: the check needs a free worker and a good answer; tcp: only an open port."
    )
    interval: Interval = 2.0
    fall: SmallCount = 3
    rise: SmallCount = 2
    timeout: Span = 2.0


class Vrrp(Strict):
    """Automatic VIP failover (keepalived defaults: advert_int 1 s, preempt on)."""

    enabled: bool = False
    advert_interval: Interval = 1.0
    preempt: bool = True


class AutoRestart(Strict):
    """Self-healing: crashed instances are restarted after a delay."""

    enabled: bool = False
    delay: Seconds = 60.0


class DbFailover(Strict):
    """Patroni-style automatic promotion (leader key TTL 30 s by default)."""

    enabled: bool = False
    ttl: Span = 30.0
    fence: bool = Field(True, description="Fence the old primary when promoting.")


class DnsFailover(Strict):
    """Health-checked DNS that stops answering with a dead region (Route 53: 30 s interval, threshold 3)."""

    enabled: bool = False
    interval: SlowInterval = 30.0
    threshold: SmallCount = 3


class Automation(Strict):
    """What the architecture does by itself."""

    health_check: HealthCheck = HealthCheck()
    vrrp: Vrrp = Vrrp()
    restart: AutoRestart = AutoRestart()
    db_failover: DbFailover = DbFailover()
    dns_failover: DnsFailover = DnsFailover()


# --------------------------------------------------------------------------- faults


class Between(Strict):
    """A time drawn uniformly from a range by the seeded fault stream."""

    between: tuple[DrillTime, DrillTime]

    @model_validator(mode="after")
    def _ordered(self) -> "Between":
        if self.between[0] > self.between[1]:
            raise ValueError("between: the first time must not be after the second")
        return self


FaultTime = Union[DrillTime, Between]

FAULT_TYPES = (
    "crash",
    "flap",
    "slowdown",
    "error_rate",
    "partition",
    "replication_lag",
    "replication_break",
    "region_outage",
    "cache_flush",
    "dependency_outage",
    "capacity_drop",
)


class Fault(Strict):
    """One injection of the scenario's method."""

    type: Literal[
        "crash",
        "flap",
        "slowdown",
        "error_rate",
        "partition",
        "replication_lag",
        "replication_break",
        "region_outage",
        "cache_flush",
        "dependency_outage",
        "capacity_drop",
    ]
    target: str | None = Field(None, description="Node (or region for region_outage).")
    between: list[str] | None = Field(None, description="partition: two nodes or regions, or two lists joined by ','.")
    at: FaultTime = 0.0
    duration: Span | None = Field(None, description="Seconds until it clears; none: it stays.")
    factor: Factor = Field(5.0, description="slowdown: latency ×k; capacity_drop: capacity ÷k; replication_lag: +k s.")
    rate: Fraction = Field(0.5, description="error_rate: fraction of requests that fail.")
    destroy: bool = Field(False, description="crash: the instance and its disk are gone for good.")
    period: Interval = Field(20.0, description="flap: seconds between the starts of two outages.")
    down_for: Span = Field(8.0, description="flap: seconds each outage lasts.")

    @model_validator(mode="after")
    def _needs(self) -> "Fault":
        if self.type == "flap" and self.down_for >= self.period:
            raise ValueError("a flap's 'down_for' must be shorter than its 'period'")
        if self.type == "partition":
            if not self.between or len(self.between) != 2:
                raise ValueError("a partition needs 'between' with exactly two sides")
        elif not self.target:
            raise ValueError(f"a {self.type} fault needs a 'target'")
        return self


class Chaos(Strict):
    """Chaos-Monkey mode: random kills of eligible instances (Chaos Monkey's knobs)."""

    enabled: bool = True
    start: DrillTime = 30.0
    end: DrillTime | None = Field(None, description="Stop killing at this time; default the end of the drill.")
    mean_time_between_kills: SlowInterval = 60.0
    min_time_between_kills: Seconds = 20.0
    grouping: list[str] = Field(default_factory=list, description="Eligible groups or kinds; default app servers.")
    exceptions: list[str] = Field(default_factory=list, description="Nodes never killed.")
    leashed: bool = Field(False, description="Announce kills without killing.")

    @model_validator(mode="after")
    def _bounds(self) -> "Chaos":
        if self.min_time_between_kills > self.mean_time_between_kills:
            raise ValueError("min_time_between_kills must not exceed mean_time_between_kills")
        return self


# --------------------------------------------------------------------------- monitoring

# Which node kinds publish which per-second metric (node-scoped alert rules watch those kinds).
NODE_METRICS: dict[str, tuple[str, ...]] = {
    "up": ("dns", "cdn", "load_balancer", "app_server", "cache", "database", "service"),
    "requests": ("load_balancer", "app_server", "cache", "database", "service", "cdn", "dns"),
    "error_ratio": ("load_balancer", "app_server", "cache", "database", "service", "cdn", "dns"),
    "utilisation": ("app_server", "cache", "database", "service"),
    "latency": ("app_server", "cache", "database", "service"),
    "p50": ("app_server", "cache", "database", "service"),
    "p95": ("app_server", "cache", "database", "service"),
    "p99": ("app_server", "cache", "database", "service"),
    "queue": ("app_server", "cache", "database", "service"),
    "hit_ratio": ("cache", "cdn"),
    "lag": ("database",),
    "replicating": ("database",),
    "sync": ("database",),
    "position": ("database",),
    "primary": ("database",),
    "writes_acked": ("database",),
    "holds_vip": ("load_balancer",),
    "healthy_backends": ("load_balancer",),
}

# Global per-second metrics (the simulation's series).
GLOBAL_METRICS: tuple[str, ...] = (
    "requests", "ok", "degraded", "failed", "availability", "error_ratio", "p50", "p95", "p99",
    "writes", "writes_acked", "writes_failed", "write_error_ratio", "burn_short", "burn_long",
    "split_brain", "redundant", "db_load", "cache_hit_ratio", "max_lag",
)


class AlertRule(Strict):
    """A Prometheus-style rule: the condition must hold for ``for`` seconds before it fires."""

    name: str
    metric: str = Field(description="A metric name (see the README's metric list).")
    scope: Literal["global", "node"] = "node"
    kinds: list[str] = Field(default_factory=list, description="Node kinds the rule watches; default all with the metric.")
    nodes: list[str] = Field(default_factory=list, description="Nodes the rule watches; default all.")
    op: Literal[">", ">=", "<", "<="] = ">"
    threshold: Finite
    for_: Seconds = Field(0.0, alias="for")
    window: Seconds = Field(
        0.0, description="Average the metric over the last this many seconds before comparing (like avg_over_time or "
                         "rate over a range in Prometheus): a flapping condition then does not reset 'for'. 0: the latest value."
    )
    severity: Literal["info", "warning", "critical", "page"] = "warning"
    summary: str = ""

    @model_validator(mode="after")
    def _known_metric(self) -> "AlertRule":
        known = GLOBAL_METRICS if self.scope == "global" else tuple(NODE_METRICS)
        if self.metric not in known:
            close = difflib.get_close_matches(self.metric, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; one of: {', '.join(known)}"
            raise ValueError(f"unknown {self.scope} metric '{self.metric}'{hint}")
        return self


class Alerts(Strict):
    """Alerting: the default rule set plus the scenario's own rules."""

    defaults: bool = True
    evaluation_interval: Interval = Field(1.0, description="Seconds between rule evaluations.")
    scrape_interval: Annotated[float, _finite(ge=1, le=300)] = Field(
        15.0, description="Seconds between two scrapes of a component's metrics (Prometheus' default is 15 s; "
                          "each component is scraped at its own offset within the interval). With 'visibility: "
                          "observed' the console and the alert rules see only what the last scrape returned."
    )
    rules: list[AlertRule] = Field(default_factory=list)
    disable: list[str] = Field(default_factory=list, description="Default rules to leave out, by name.")


class Slo(Strict):
    """The service-level objective users are promised."""

    target: Annotated[float, _finite(gt=0, lt=1)] = 0.99
    latency_p99: PositiveLatency = Field(1.0, description="p99 latency in seconds above which a request counts as slow.")
    burn_short_window: Span = 60.0
    burn_long_window: Span = 300.0
    burn_factor: Factor = Field(14.4, description="Fast-burn threshold (Google SRE workbook: 14.4).")


class Probe(Strict):
    """A steady-state probe: a result metric and its tolerance."""

    name: str
    metric: Literal[
        "availability",
        "downtime",
        "full_outage",
        "lost_writes",
        "rpo",
        "time_to_mitigate",
        "time_to_recover",
        "split_brain_seconds",
        "score",
    ]
    tolerance: "Tolerance"


class Tolerance(Strict):
    """Bounds a probe's value must stay within."""

    min: Finite | None = None
    max: Finite | None = None

    @model_validator(mode="after")
    def _some(self) -> "Tolerance":
        if self.min is None and self.max is None:
            raise ValueError("a tolerance needs 'min' or 'max'")
        return self


class SteadyState(Strict):
    """The hypothesis a run must keep to pass (Chaos Toolkit's name)."""

    title: str = "Users are served and no acknowledged write is lost"
    probes: list[Probe] = Field(default_factory=list)


class Weights(Strict):
    """Points each part of the score is worth; they need not add to 100."""

    downtime: Points = 45.0
    data_loss: Points = 30.0
    mitigation: Points = 15.0
    recovery: Points = 10.0


class Scales(Strict):
    """The amount of each harm that costs the whole weight (linear up to it)."""

    downtime: Span = Field(120.0, description="Request-weighted downtime seconds.")
    lost_writes: Annotated[float, _finite(gt=0, le=1e9)] = 1000.0
    time_to_mitigate: Span = 600.0
    time_to_recover: Span = 900.0


class Scoring(Strict):
    """How the 0-100 score is computed (see the README)."""

    weights: Weights = Weights()
    scales: Scales = Scales()
    pass_score: Points = 60.0
    hold: Span = Field(30.0, description="Seconds the SLO must hold to count as mitigated.")


class Hint(Strict):
    """A hint revealed at a time, or earlier on request at its cost."""

    text: str
    at: DrillTime | None = None
    cost: Points = 5.0


# --------------------------------------------------------------------------- actions


class Trigger(Strict):
    """An event an action step waits for."""

    alert: str | None = Field(None, description="An alert rule name that fires.")
    node: str | None = Field(None, description="With alert: only for this node. Alone: the node goes down (with "
                                               "observed visibility: as monitoring shows it, 'no data' or 'down').")

    @model_validator(mode="after")
    def _some(self) -> "Trigger":
        if self.alert is None and self.node is None:
            raise ValueError("a trigger needs 'alert' or 'node'")
        return self


ArgInt = Annotated[int, Field(ge=-MAX_ARG_MAGNITUDE, le=MAX_ARG_MAGNITUDE)]
"""A whole-number command argument (a count, a percentage)."""
ArgFloat = Annotated[float, _finite(ge=-float(MAX_ARG_MAGNITUDE), le=float(MAX_ARG_MAGNITUDE))]
"""A number command argument: finite."""


class Step(Strict):
    """One step of an action script: a command at a time or on an event."""

    at: DrillTime | None = None
    trigger: Trigger | None = Field(None, description="Run when this event happens (YAML reads a bare 'on' as true, hence the name).")
    after: DrillTime = Field(0.0, description="Reaction delay after the trigger, in seconds.")
    repeat: bool = Field(False, description="With trigger: act on every matching event, not only the first.")
    command: str
    target: str | None = None
    args: dict[str, Union[bool, ArgInt, ArgFloat, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _when(self) -> "Step":
        if (self.at is None) == (self.trigger is None):
            raise ValueError("a step needs exactly one of 'at' or 'trigger'")
        return self


class ActionScript(Strict):
    """An ordered list of steps; reference solutions are action scripts."""

    name: str = "actions"
    steps: list[Step] = Field(default_factory=list)


class EngineSettings(Strict):
    """Numerical settings of the simulation."""

    tick: Tick = Field(0.5, description="Seconds between traffic integration steps.")


class Scenario(Strict):
    """A drill: the architecture, what breaks, what the trainee should learn and how it is scored."""

    id: str | None = None
    title: str
    description: str = ""
    architecture: str | None = Field(
        None, description="The system this drill runs on, when it is not a built-in shop: set by 'spofdrill import' and "
                          "'spofdrill generate'; the picker lists such drills under it.")
    tags: list[str] = Field(default_factory=list)
    difficulty: Literal["intro", "easy", "medium", "hard", "expert"] = "medium"
    visibility: Literal["observed", "truth"] = Field(
        "observed", description="What the trainee sees during the drill: 'observed' (the default) shows what monitoring "
                                "sees: scrapes every alerts.scrape_interval seconds, the load balancers' health checks, "
                                "alerts on scraped data, 'no data' when a scrape fails; 'truth' shows every component's "
                                "real state at once (for introductory drills). The debrief always shows both."
    )
    duration: Duration = Field(
        600.0, description="Simulated seconds of the drill."
    )
    briefing: str = ""
    objectives: list[str] = Field(default_factory=list)
    lessons: list[str] = Field(default_factory=list)
    slo: Slo = Slo()
    topology: Topology
    automation: Automation = Automation()
    method: list[Fault] = Field(default_factory=list)
    chaos: Chaos | None = None
    alerts: Alerts = Alerts()
    hints: list[Hint] = Field(default_factory=list)
    steady_state_hypothesis: SteadyState = Field(default_factory=SteadyState, alias="steady-state-hypothesis")
    scoring: Scoring = Scoring()
    reference_solution: ActionScript | list[Step] = Field(default_factory=lambda: ActionScript(name="reference solution"))
    pitfalls: list[ActionScript] = Field(
        default_factory=list,
        description="Plausible wrong responses: the traps the drill sets. 'spofdrill check' plays each in its difficulty sweep.",
    )
    hints_in_assessment: bool = Field(
        False, description="Assessment mode offers the hints too (timed ones appear, 'hint' works); by default it shows none."
    )
    spof_hunt: bool = Field(
        False, description="A SPOF hunt: before the first fault the trainee marks the components they believe are SPOFs."
    )
    engine: EngineSettings = EngineSettings()

    @field_validator("reference_solution")
    @classmethod
    def _script(cls, value: ActionScript | list[Step]) -> ActionScript:
        if isinstance(value, list):
            return ActionScript(name="reference solution", steps=value)
        return value


Probe.model_rebuild()


def scenario_json_schema() -> dict:
    """The scenario format as JSON Schema (draft 2020-12), for editors."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://spofdrill.invalid/scenario.schema.json"
    return schema


def action_script_json_schema() -> dict:
    """The action-script format as JSON Schema."""
    return ActionScript.model_json_schema(by_alias=True)
