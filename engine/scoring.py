"""Scoring from the engine's ground truth. Every formula is in docs/scoring.md.

:func:`compute_outcome` measures what users felt and what was lost;
:func:`score_outcome` turns it into a 0-100 score, a grade and a pass/fail
verdict against the scenario's passing bar (score and steady-state probes).
"""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .model import range_count, subtract_ranges
from .schema import Scenario

if TYPE_CHECKING:
    from .sim import Simulation

GRADES = ((90.0, "A"), (80.0, "B"), (70.0, "C"), (60.0, "D"), (0.0, "F"))


@dataclass(frozen=True)
class Outcome:
    """What happened, measured. Times are seconds; ``None`` means "never"."""

    elapsed: float
    requests: float
    ok: float
    degraded: float
    failed: float
    availability: float
    downtime: float
    full_outage: float
    writes_attempted: float
    writes_acknowledged: int
    lost_writes: int
    phantom_writes: int
    rpo: float
    split_brain_seconds: float
    first_fault: float | None
    time_to_detect: float | None
    time_to_mitigate: float | None
    time_to_recover: float | None
    hint_cost: float
    commands: int
    impacted: bool

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Score:
    """The 0-100 score, its parts and the verdict."""

    score: float
    grade: str
    passed: bool
    penalties: dict[str, float]
    probes: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "grade": self.grade,
            "passed": self.passed,
            "penalties": {k: round(v, 2) for k, v in self.penalties.items()},
            "probes": self.probes,
        }


def time_to_mitigate(bad: list[bool], faults: list[float], hold: int) -> float | None:
    """Seconds from each incident's fault until users were served again, summed over the incidents.

    ``bad[i]``: second ``i`` of the drill missed the SLO. Bad seconds closer than
    ``hold`` good seconds to each other form one episode; each episode is charged
    to the latest fault at or before its first bad second, and a fault's time to
    mitigate runs to the end of its last episode. So one incident counts from
    its fault to the end of its last bad second (a relapse included), and two
    separate incidents count their own times, not the quiet time between them.
    None when the last episode is not followed by ``hold`` good seconds.
    """
    episodes: list[list[int]] = []  # [first bad, last bad]
    for i, is_bad in enumerate(bad):
        if not is_bad:
            continue
        if episodes and i - episodes[-1][1] - 1 < hold:
            episodes[-1][1] = i
        else:
            episodes.append([i, i])
    if not episodes:
        return 0.0
    if len(bad) - (episodes[-1][1] + 1) < hold:
        return None
    ends: dict[float, int] = {}
    for first, last in episodes:
        charged = [f for f in faults if f <= first + 1]  # a fault during second `first` counts
        fault = max(charged) if charged else min(faults)
        ends[fault] = last + 1
    return sum(max(0.0, end - fault) for fault, end in ends.items())


def compute_outcome(sim: "Simulation") -> Outcome:
    """Measure a simulation so far (or at its end)."""
    s = sim.series
    scenario = sim.scenario
    total = sum(s["requests"])
    ok = sum(s["ok"])
    degraded = sum(s["degraded"])
    failed = sum(s["failed"])
    availability = (ok + degraded) / total if total > 0 else 1.0
    downtime = sum(f / r for f, r in zip(s["failed"], s["requests"]) if r > 0)
    full = float(sum(1 for a, r in zip(s["availability"], s["requests"]) if r > 0 and a < 0.01))
    # writes
    final = sim.final_data()
    lost = phantom = 0
    lost_ranges: list[list[int]] = []
    for cluster in sim.clusters.values():
        have = final.get(cluster.name, [])
        gone = subtract_ranges(cluster.allocated, have)
        lost += range_count(gone)
        lost_ranges.extend(gone)
        phantom += range_count(subtract_ranges(have, cluster.allocated))
    rpo = 0.0
    if lost_ranges:
        starts = [w[0] for w in sim._write_times]
        times = [w[1] for w in sim._write_times]

        def when(write_id: int) -> float:
            return times[max(0, bisect.bisect_right(starts, write_id) - 1)]

        first = min(r[0] for r in lost_ranges)
        last = max(r[1] - 1 for r in lost_ranges)
        rpo = when(last) - when(first) + (sim.tick if when(last) == when(first) else 0.0)
    # incident timing
    journal = list(sim.journal)
    faults = [e.t for e in journal if e.type == "FaultInjected"]
    first_fault = min(faults) if faults else None
    detect = None
    if first_fault is not None:
        for e in journal:
            if e.t >= first_fault and e.type in ("AlertAcknowledged", "CommandIssued") and e.data.get("command") != "hint":
                detect = e.t - first_fault
                break
    target = scenario.slo.target
    hold = int(scenario.scoring.hold)
    offset = int(first_fault) if first_fault is not None else len(s["t"])
    after = s["availability"][offset:]
    bad = [a < target for a in after]
    impacted = any(bad)
    # nothing has broken yet: nothing to mitigate or recover from
    mitigate = 0.0 if first_fault is None else None
    if first_fault is not None:
        # per incident: two separate incidents count their own times, not the quiet time between them
        before = [False] * offset
        mitigate = time_to_mitigate(before + bad, sorted(faults), hold) if impacted else 0.0
    recover = 0.0 if first_fault is None else None
    if first_fault is not None:
        red = [r < 0.5 for r in s["redundant"][offset:]]
        recover = time_to_mitigate(before + red, sorted(faults), min(hold, max(1, len(red)))) if any(red) else 0.0
    commands = sum(1 for e in journal if e.type == "CommandIssued")
    return Outcome(
        elapsed=float(len(s["t"])),
        requests=total,
        ok=ok,
        degraded=degraded,
        failed=failed,
        availability=availability,
        downtime=downtime,
        full_outage=full,
        writes_attempted=sum(s["writes"]),
        writes_acknowledged=sum(range_count(c.allocated) for c in sim.clusters.values()),
        lost_writes=lost,
        phantom_writes=phantom,
        rpo=rpo,
        split_brain_seconds=sim._split_seconds,
        first_fault=first_fault,
        time_to_detect=detect,
        time_to_mitigate=mitigate,
        time_to_recover=recover,
        hint_cost=sim._hint_cost,
        commands=commands,
        impacted=impacted,
    )


def _part(value: float | None, scale: float) -> float:
    if value is None:
        return 1.0
    return min(1.0, max(0.0, value) / scale)


PROBE_FIELDS = {
    "availability": "availability",
    "downtime": "downtime",
    "full_outage": "full_outage",
    "lost_writes": "lost_writes",
    "rpo": "rpo",
    "time_to_mitigate": "time_to_mitigate",
    "time_to_recover": "time_to_recover",
    "split_brain_seconds": "split_brain_seconds",
}


def score_outcome(outcome: Outcome, scenario: Scenario) -> Score:
    """Score an outcome against the scenario's weights, scales and passing bar."""
    w = scenario.scoring.weights
    sc = scenario.scoring.scales
    parts = {
        "downtime": w.downtime * _part(outcome.downtime, sc.downtime),
        "data_loss": w.data_loss * _part(outcome.lost_writes, sc.lost_writes),
        "mitigation": w.mitigation * _part(outcome.time_to_mitigate, sc.time_to_mitigate),
        "recovery": w.recovery * _part(outcome.time_to_recover, sc.time_to_recover),
    }
    weight_sum = w.downtime + w.data_loss + w.mitigation + w.recovery
    scaled = {k: (100.0 * v / weight_sum if weight_sum > 0 else 0.0) for k, v in parts.items()}
    scaled["hints"] = outcome.hint_cost
    score = round(max(0.0, 100.0 - sum(scaled.values())), 1)
    grade = next(letter for bar, letter in GRADES if score >= bar)
    probes = []
    passed = score >= scenario.scoring.pass_score
    for probe in scenario.steady_state_hypothesis.probes:
        value = score if probe.metric == "score" else getattr(outcome, PROBE_FIELDS[probe.metric])
        ok = value is not None
        if ok and probe.tolerance.min is not None:
            ok = value >= probe.tolerance.min
        if ok and probe.tolerance.max is not None:
            ok = value <= probe.tolerance.max
        probes.append({"name": probe.name, "metric": probe.metric, "value": value, "ok": ok,
                       "min": probe.tolerance.min, "max": probe.tolerance.max})
        passed = passed and ok
    return Score(score, grade, passed, scaled, probes)
