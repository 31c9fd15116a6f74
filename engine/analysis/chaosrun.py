"""Availability measured: a seeded chaos run of many simulated days, beside the block diagram.

The reliability block diagram (:mod:`engine.analysis.structure`) assumes that failover
is instant and perfect. This module measures instead. Each component fails
and is repaired over many simulated days (an alternating renewal process:
time to failure drawn from an exponential with the component's MTBF, repair
time from one with its MTTR, all from a seeded stream), and every outage is
simulated over the scenario's own traffic with the scenario's automation:
health checks that need ``fall`` misses before they eject a server, VRRP
that waits three adverts plus skew, promotion after the leader key expires,
clients that keep a dark region's address until their DNS TTL runs out.

Simulating years second by second would take hours, and nearly all of it is
quiet: nothing has failed, nothing changes, every request is served. So the
run is cut into *windows*: each window starts a little before an outage
(:data:`LEAD`, enough for a steady state) and ends after the last overlapping
outage is repaired and the system has settled (:data:`SETTLE`). Outages that
overlap or follow each other closely share a window, so double faults are
simulated together. The quiet time between windows counts as fully served,
which is exactly what a simulation of it would measure. Each window starts
from the scenario's initial state: an assumption that the system is back to
its steady state between incidents (it is: repairs are complete and a settle
period has passed).

For the same outages, the block diagram's verdict is computed second by
second (the structure function of each request kind with the failed set),
so the gap between the two numbers is not sampling noise: it is what the
simulation models and the diagram does not. Per component, the gap is
attributed and explained (detection time, failover time, DNS TTL, a cold
cache, capacity). Crashed instances are not restarted by automation in this
run: a failure here is a component outage that lasts its repair time, which
is what MTTR means; failover automation (VRRP, health checks, promotion, DNS
health checks) stays on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from engine.util.parallel import run_all, workers_for
from engine.analysis.expr import holds
from engine.analysis.reliability import ComponentReliability
from engine.analysis.structure import Analysis, Structure, analyze
from engine.sim.rng import Streams
from engine.sim.runner import NO_ACTION, simulate
from engine.scenario.schema import Fault, Scenario

LEAD = 60.0
"""Seconds of steady state simulated before the first outage of a window."""
SETTLE = 180.0
"""Seconds simulated after the last repair of a window (recovery, catch-up, cache warm-up)."""
CAP = 600.0
"""A lone outage longer than this is simulated for this long; the rest is extrapolated (see :func:`window_scenario`)."""
STEADY = 60.0
"""Seconds before the cut whose mean loss rate is extrapolated over the rest of a long outage."""
DAY = 86_400.0
DEFAULT_DAYS = 1825.0
"""Five simulated years: with cloud-like MTBFs, several dozen outages for a small system."""


@dataclass(frozen=True)
class Outage:
    """One component down from ``start`` for ``repair`` seconds (times since the run began)."""

    component: str
    start: float
    repair: float

    @property
    def end(self) -> float:
        return self.start + self.repair


def schedule(reliability: Sequence[ComponentReliability], days: float, seed: int) -> list[Outage]:
    """Every component's outages over ``days`` (seeded; MTBF and MTTR in hours), in time order."""
    horizon = days * DAY
    streams = Streams(seed)
    outages: list[Outage] = []
    for component in reliability:
        rng = streams[f"chaos-availability:{component.name}"]
        t = rng.expovariate(1.0 / (component.mtbf * 3600.0))
        while t < horizon:
            repair = rng.expovariate(1.0 / (component.mttr * 3600.0))
            outages.append(Outage(component.name, t, repair))
            t += repair + rng.expovariate(1.0 / (component.mtbf * 3600.0))
    outages.sort(key=lambda o: (o.start, o.component))
    return outages


def windows(outages: Sequence[Outage]) -> list[list[Outage]]:
    """Outages grouped into windows that do not influence each other (close ones share a window)."""
    groups: list[list[Outage]] = []
    end = -float("inf")
    for outage in sorted(outages, key=lambda o: (o.start, o.component)):
        if groups and outage.start - LEAD < end + SETTLE:
            groups[-1].append(outage)
            end = max(end, outage.end)
        else:
            groups.append([outage])
            end = outage.end
    return groups


def window_scenario(scenario: Scenario, window: Sequence[Outage]) -> Scenario:
    """The scenario with its method replaced by the window's outages (nobody acts, no restarts, no alerts).

    A window with one outage longer than :data:`CAP` simulates only its first
    :data:`CAP` seconds before the repair: by then detection, failover, DNS
    expiry and queues have long settled, the state does not change until the
    repair, and the loss rate of its last :data:`STEADY` seconds holds for the
    rest (added by the caller). Windows with several outages are simulated whole.
    """
    origin = window[0].start - LEAD
    faults = []
    for outage in window:
        at = round(outage.start - origin, 3)
        repair = max(round(min(outage.repair, CAP) if len(window) == 1 else outage.repair, 3), 0.001)
        if outage.component.startswith("region:"):
            faults.append(Fault(type="region_outage", target=outage.component.split(":", 1)[1], at=at, duration=repair))
        else:
            faults.append(Fault(type="crash", target=outage.component, at=at, duration=repair))
    end = max(f.at + f.duration for f in faults) + SETTLE
    automation = scenario.automation.model_copy(
        update={"restart": scenario.automation.restart.model_copy(update={"enabled": False})}
    )
    engine = scenario.engine.model_copy(update={"tick": max(scenario.engine.tick, 1.0)})
    alerts = scenario.alerts.model_copy(update={"defaults": False, "rules": []})
    return scenario.model_copy(
        update={"method": faults, "chaos": None, "duration": end, "hints": [], "automation": automation,
                "engine": engine, "alerts": alerts}
    )


def request_shares(scenario: Scenario) -> dict[str, float]:
    """Each request kind's share of all client requests (by base rate)."""
    s = Structure(scenario)
    totals = {kind: 0.0 for kind in ("read", "write", "static")}
    for spec in scenario.topology.nodes.values():
        if spec.kind == "client":
            for kind in totals:
                rate = getattr(spec.rates, kind)
                totals[kind] += rate.base if hasattr(rate, "base") else float(rate)
    total = sum(totals.values())
    return {kind: value / total for kind, value in totals.items() if value > 0 and s.kind_sent(kind)} if total else {}


def diagram_downtime(window: Sequence[Outage], structures: dict[str, tuple], shares: dict[str, float]) -> float:
    """Request-weighted seconds the block diagram says users lose in a window (instant, perfect failover)."""
    points = sorted({t for o in window for t in (o.start, o.end)})
    lost = 0.0
    for a, b in zip(points, points[1:]):
        failed = {o.component for o in window if o.start <= a and o.end >= b}
        if failed:
            share = sum(shares[kind] for kind, expr in structures.items() if not holds(expr, failed))
            lost += share * (b - a)
    return lost


@dataclass(frozen=True)
class WindowResult:
    """One simulated window: its outages, what users lost, and what the diagram says they would."""

    components: tuple[str, ...]
    simulated: float  # seconds simulated
    downtime: float  # request-weighted seconds, measured
    diagram: float  # request-weighted seconds, block diagram on the same outages
    lost_writes: int


def _run_window(args: tuple[Scenario, list[Outage], dict[str, tuple], dict[str, float], int]) -> WindowResult:
    scenario, window, structures, shares, seed = args
    variant = window_scenario(scenario, window)
    run = simulate(variant, seed, NO_ACTION, name="chaos window")
    extrapolated = 0.0
    if len(window) == 1 and window[0].repair > CAP:
        cut = int(LEAD + CAP)
        series = run.sim.series
        rates = [f / r for f, r in zip(series["failed"][cut - int(STEADY):cut], series["requests"][cut - int(STEADY):cut]) if r > 0]
        extrapolated = (window[0].repair - CAP) * (sum(rates) / len(rates) if rates else 0.0)
    return WindowResult(
        tuple(sorted({o.component for o in window})),
        variant.duration,
        run.outcome.downtime + extrapolated,
        diagram_downtime(window, structures, shares),
        run.outcome.lost_writes,
    )


@dataclass(frozen=True)
class ComponentGap:
    """What one component's outages cost users, measured and by the diagram, and why they differ."""

    component: str
    kind: str
    outages: int
    downtime: float
    diagram: float
    lost_writes: int
    cause: str

    def to_dict(self) -> dict:
        return {"component": self.component, "kind": self.kind, "outages": self.outages,
                "downtime": round(self.downtime, 3), "diagram": round(self.diagram, 3),
                "lost_writes": self.lost_writes, "cause": self.cause}


@dataclass(frozen=True)
class ChaosAvailability:
    """The measured availability of a chaos run of many simulated days, and its gap to the diagram."""

    days: float
    seed: int
    outages: int
    windows: int
    simulated_hours: float
    downtime: float  # request-weighted seconds over the whole run
    diagram_downtime: float  # the block diagram, same outages
    expected: float  # the block diagram's expected availability (request-weighted over kinds)
    lost_writes: int
    components: tuple[ComponentGap, ...] = field(default=())
    overlapping: tuple[float, float, int] = (0.0, 0.0, 0)  # downtime, diagram, windows with several failures

    @property
    def availability(self) -> float:
        return 1.0 - self.downtime / (self.days * DAY)

    @property
    def diagram_availability(self) -> float:
        return 1.0 - self.diagram_downtime / (self.days * DAY)

    def per_year(self, seconds: float) -> float:
        return seconds * 365.0 / self.days

    def to_dict(self) -> dict:
        return {
            "days": self.days, "seed": self.seed, "outages": self.outages, "windows": self.windows,
            "simulated_hours": round(self.simulated_hours, 2),
            "availability": self.availability, "diagram_availability_same_outages": self.diagram_availability,
            "diagram_availability_expected": self.expected,
            "downtime_seconds": round(self.downtime, 3), "diagram_downtime_seconds": round(self.diagram_downtime, 3),
            "lost_writes": self.lost_writes,
            "components": [c.to_dict() for c in self.components],
            "overlapping": {"downtime": round(self.overlapping[0], 3), "diagram": round(self.overlapping[1], 3),
                            "windows": self.overlapping[2]},
        }


def _cause(scenario: Scenario, analysis: Analysis, gap: ComponentGap) -> str:
    """Why a component's measured cost differs from the diagram's, in the scenario's own numbers."""
    if gap.outages == 0:
        return "did not fail in this run"
    extra = gap.downtime - gap.diagram
    per = extra / gap.outages
    auto = scenario.automation
    name, kind = gap.component, gap.kind
    if abs(extra) < 0.05 * max(gap.diagram, 1.0) and gap.lost_writes == 0:
        return "as the diagram says" + (" (a SPOF: down for its whole repair)" if gap.diagram > 0 else "")
    if extra < 0:
        return (f"users lose {-per:.1f} s less per outage than the diagram says: part of the traffic is still "
                "served (a cache, a CDN serving stale, a degraded fallback)")
    if gap.diagram > 0:
        also = " (reads that miss the cache need it too)" if kind == "database" else ""
        return (f"+{per:.1f} s per outage beyond its SPOF cost: requests the diagram counts as served fail "
                f"too{also}")
    if name.startswith("region:"):
        ttl = max((spec.ttl for spec in scenario.topology.nodes.values() if spec.kind == "dns"), default=None)
        if not auto.dns_failover.enabled:
            how = ("nothing takes the dark region out of DNS: its clients fail until a human shifts traffic "
                   "(the diagram counts the other region as instant redundancy)")
        else:
            notice = auto.dns_failover.interval * auto.dns_failover.threshold
            how = (f"health-checked DNS needs {notice:g} s to drop the region, then clients keep its address "
                   f"until their TTL ({ttl:g} s) runs out")
        return f"+{per:.1f} s per outage: {how}"
    if kind == "load_balancer":
        vrrp = auto.vrrp
        if gap.diagram == 0 and vrrp.enabled:
            return (f"+{per:.1f} s per outage: VRRP detection and takeover (the standby waits "
                    f"{3 * vrrp.advert_interval:g} s of missed adverts plus skew)")
        return f"+{per:.1f} s per outage: the standby needs a manual failover; nothing moves the virtual IP"
    if kind == "app_server":
        hc = auto.health_check
        return (f"+{per:.1f} s per outage: requests keep going to it until {hc.fall} health checks "
                f"{hc.interval:g} s apart fail, and the remaining servers carry its load")
    if kind == "database":
        db = auto.db_failover
        if gap.diagram == 0 and not db.enabled:
            return (f"+{per:.1f} s per outage: the diagram counts the replica as redundancy, but promotion "
                    "needs a human: writes fail until the repair")
        lost = f"; {gap.lost_writes} acknowledged writes lost (async replication lag)" if gap.lost_writes else ""
        return (f"+{per:.1f} s per outage: writes fail until the leader key expires ({db.ttl:g} s) and a replica "
                f"is promoted{lost}")
    if kind == "cache":
        return f"+{per:.1f} s per outage: every read goes to the database, which queues, and the cache restarts cold"
    if kind == "dns":
        return f"+{per:.1f} s per outage: resolvers' cached answers expire and clients cannot resolve"
    verdict = analysis.of(name).status if name in analysis.components else "harmless"
    return f"+{per:.1f} s per outage ({verdict} in the diagram): capacity and queueing the diagram does not model"


def chaos_availability(
    scenario: Scenario,
    analysis: Analysis | None = None,
    *,
    days: float = DEFAULT_DAYS,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    outages: Sequence[Outage] | None = None,
) -> ChaosAvailability:
    """Run the chaos measurement (windows on both cores when there are several).

    ``outages`` replaces the seeded schedule (to study given failures); they must fall within ``days``.
    """
    if days <= 0:
        raise ValueError("the chaos run needs a positive number of days")
    analysis = analysis or analyze(scenario)
    structure = Structure(scenario)
    shares = request_shares(scenario)
    structures = {kind: structure.served(kind) for kind in shares}
    outages = list(outages) if outages is not None else schedule(analysis.reliability, days, seed)
    groups = windows(outages)
    jobs = [(scenario, group, structures, shares, seed) for group in groups]
    chunk = max(1, len(jobs) // (8 * workers_for(workers)))
    results = run_all(_run_window, jobs, workers=workers, chunksize=chunk, progress=progress)
    counts: dict[str, int] = {}
    for outage in outages:
        counts[outage.component] = counts.get(outage.component, 0) + 1
    single: dict[str, list[WindowResult]] = {}
    overlap = [0.0, 0.0, 0]
    for result in results:
        if len(result.components) == 1:
            single.setdefault(result.components[0], []).append(result)
        else:
            overlap[0] += result.downtime
            overlap[1] += result.diagram
            overlap[2] += 1
    kinds = {r.name: r.kind for r in analysis.reliability}
    gaps = []
    for name in analysis.components:
        mine = single.get(name, [])
        gap = ComponentGap(name, kinds.get(name, "region"), len(mine), sum(r.downtime for r in mine),
                           sum(r.diagram for r in mine), sum(r.lost_writes for r in mine), "")
        gaps.append(ComponentGap(**{**gap.__dict__, "cause": _cause(scenario, analysis, gap)}))
    expected = sum(share * analysis.kind(kind).availability.value for kind, share in shares.items())
    return ChaosAvailability(
        days=days,
        seed=seed,
        outages=len(outages),
        windows=len(groups),
        simulated_hours=sum(r.simulated for r in results) / 3600.0,
        downtime=sum(r.downtime for r in results),
        diagram_downtime=sum(r.diagram for r in results),
        expected=expected,
        lost_writes=sum(r.lost_writes for r in results),
        components=tuple(gaps),
        overlapping=(overlap[0], overlap[1], overlap[2]),
    )
