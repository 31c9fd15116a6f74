"""The score: an outcome against the scenario's weights, scales and passing bar (docs/scoring.md).

:func:`score_outcome` turns an outcome into a 0-100 score, a grade and a
pass/fail verdict against the scenario's passing bar (score and steady-state probes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.scenario.schema import Scenario
from engine.scoring.outcome import Outcome

GRADES = ((90.0, "A"), (80.0, "B"), (70.0, "C"), (60.0, "D"), (0.0, "F"))


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
