"""What if this component fails? Simulated, over the scenario's own traffic and automation.

For each component, the scenario is run with its faults replaced by one
permanent failure of that component (a crash; for a region, the region going
dark) and nobody acting: what users feel then is the component's impact.
The verdict is compared with the dependency analysis (:mod:`engine.analysis.structure`);
where they disagree, that is itself a lesson (automation that saves the day,
capacity that a "redundant" pair does not have, a cache whose loss overloads
the database).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Callable

from engine.util.parallel import run_all
from engine.sim.runner import NO_ACTION, simulate
from engine.scenario.schema import Fault, Scenario

FAIL_AT = 30.0


@dataclass(frozen=True)
class WhatIf:
    """The user-facing impact of one component failing for good."""

    component: str
    status: str  # spof | degrading | harmless
    availability: float  # after the failure
    downtime: float  # request-weighted seconds after the failure
    lost_writes: int
    degraded_share: float
    p99: float  # median user p99 after the failure, seconds
    reason: str

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _fault(component: str) -> Fault:
    if component.startswith("region:"):
        return Fault(type="region_outage", target=component.split(":", 1)[1], at=FAIL_AT)
    return Fault(type="crash", target=component, at=FAIL_AT)


def failure_scenario(scenario: Scenario, component: str | tuple[str, ...], horizon: float) -> Scenario:
    """The scenario with its method replaced by permanent failures of ``component`` (one, or several at once)."""
    faults = [_fault(name) for name in ((component,) if isinstance(component, str) else component)]
    # a what-if run reports per-second averages over minutes: a 1 s traffic step is plenty (state
    # changes still close a segment at their exact time); nobody reads alerts in a what-if run
    engine = scenario.engine.model_copy(update={"tick": max(scenario.engine.tick, 1.0)})
    alerts = scenario.alerts.model_copy(update={"defaults": False, "rules": []})
    return scenario.model_copy(
        update={"method": faults, "chaos": None, "duration": horizon, "hints": [], "engine": engine, "alerts": alerts}
    )



def horizon_over_budget(scenario: Scenario, components: list[str], horizon: float) -> int | None:
    """``None`` when a what-if run of ``scenario`` at ``horizon`` fits the run budget (``MAX_WORK``); else the
    longest horizon that fits, in whole tens of seconds (below ``FAIL_AT + 30``: no useful horizon fits).

    A what-if run is the scenario with one permanent failure, at a tick of at least 1 s and without alert rules
    (:func:`failure_scenario`); its work grows linearly with the horizon.
    """
    from engine.scenario.loader.sizes import scenario_work
    from engine.util.limits import MAX_WORK

    if not components:
        return None
    component = next((name for name in components if not name.startswith("region:")), components[0])

    def work(at: float) -> float:
        return scenario_work(failure_scenario(scenario, component, at))

    if work(horizon) <= MAX_WORK:
        return None
    slope = (work(200.0) - work(100.0)) / 100.0
    return int((MAX_WORK - (work(100.0) - 100.0 * slope)) / slope) // 10 * 10 if slope > 0 else 0


def _impact(args: tuple[Scenario, str | tuple[str, ...], float, int]) -> WhatIf:
    scenario, component, horizon, seed = args
    label = component if isinstance(component, str) else " + ".join(component)
    run = simulate(failure_scenario(scenario, component, horizon), seed, NO_ACTION, name=f"without {label}")
    series = run.sim.series
    start = int(FAIL_AT)
    requests = series["requests"][start:]
    failed = series["failed"][start:]
    degraded = series["degraded"][start:]
    total = sum(requests)
    availability = 1.0 - sum(failed) / total if total > 0 else 1.0
    downtime = sum(f / r for f, r in zip(failed, requests) if r > 0)
    degraded_share = sum(degraded) / total if total > 0 else 0.0
    p99 = statistics.median(series["p99"][start:]) if len(series["p99"]) > start else 0.0
    lost = run.outcome.lost_writes
    slo = scenario.slo
    writes = sum(series["writes"][start:])
    write_loss = sum(series["writes_failed"][start:]) / writes if writes > 0 else 0.0
    before = series["db_load"][5:start] or [0.0]
    load_before, load_after = statistics.median(before), statistics.median(series["db_load"][start:] or [0.0])
    busier = load_after > 1.5 * load_before and load_after - load_before > 0.1
    if availability < 0.5:
        status, reason = "spof", f"users lose {1 - availability:.0%} of requests from then on"
    elif write_loss > 0.5:
        status, reason = "spof", f"{write_loss:.0%} of writes fail from then on ({1 - availability:.1%} of all requests)"
    elif availability < slo.target or degraded_share > 0.01 or p99 > slo.latency_p99 or lost > 0 or busier:
        parts = []
        if busier:
            parts.append(f"database load {load_before:.0%} → {load_after:.0%}")
        if availability < slo.target:
            parts.append(f"{1 - availability:.1%} of requests fail")
        if degraded_share > 0.01:
            parts.append(f"{degraded_share:.0%} served degraded")
        if p99 > slo.latency_p99:
            parts.append(f"p99 {p99:.2f} s")
        if lost:
            parts.append(f"{lost} acknowledged writes lost")
        status, reason = "degrading", "; ".join(parts)
    else:
        status, reason = "harmless", "users do not notice"
    return WhatIf(label, status, availability, downtime, lost, degraded_share, p99, reason)


def what_if(
    scenario: Scenario,
    components: list[str],
    *,
    horizon: float = 600.0,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[WhatIf]:
    """Simulate the failure of each component (on both cores when there are several)."""
    jobs = [(scenario, name, horizon, seed) for name in components]
    return run_all(_impact, jobs, workers=workers, progress=progress)


PAIR_LIMIT = 12
"""Pairs are simulated by default for topologies with at most this many components (66 pairs)."""


@dataclass(frozen=True)
class PairWhatIf:
    """Two components failing at once: what users feel, and how it compares with each alone and the cut sets."""

    pair: tuple[str, str]
    impact: WhatIf
    worse: bool
    """The pair stops the system (or loses writes) where neither alone does: a double fault."""
    cut_set: bool
    """The dependency analysis lists the pair as a minimal cut set."""

    def to_dict(self) -> dict:
        return {"pair": list(self.pair), **self.impact.to_dict(), "worse_than_alone": self.worse,
                "cut_set": self.cut_set}


def what_if_pairs(
    scenario: Scenario,
    singles: dict[str, WhatIf],
    cut_sets: set[frozenset[str]],
    *,
    horizon: float = 600.0,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[PairWhatIf]:
    """Simulate every pair of components that are not SPOFs alone failing together.

    A pair is a *double fault* when together they stop the system though
    neither does alone; the dependency analysis should list it as a cut set of
    two, and where it does not (or lists one the simulation survives), that is
    a disagreement to explain.
    """
    names = [name for name, impact in singles.items() if impact.status != "spof"]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    impacts = run_all(_impact, [(scenario, pair, horizon, seed) for pair in pairs], workers=workers, progress=progress)
    return [
        PairWhatIf(pair, impact, impact.status == "spof", frozenset(pair) in cut_sets)
        for pair, impact in zip(pairs, impacts)
    ]
