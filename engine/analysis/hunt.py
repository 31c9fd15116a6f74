"""The SPOF hunt: the trainee's marks scored against the analysis, with the reasons."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from engine.analysis.structure import Analysis, analyze
from engine.scenario.schema import Scenario


@dataclass(frozen=True)
class HuntResult:
    """Right, missed and false-alarm marks, and a 0-100 hunt score."""

    right: tuple[str, ...]
    missed: tuple[str, ...]
    false_alarms: tuple[str, ...]
    reasons: dict[str, str]
    score: float

    def to_dict(self) -> dict:
        return asdict(self)


def score_hunt(scenario: Scenario, marks: set[str] | frozenset[str], analysis: Analysis | None = None) -> HuntResult:
    """Compare the marked components with the SPOFs the dependency analysis finds."""
    analysis = analysis or analyze(scenario)
    spofs = set(analysis.spofs)
    order = {name: i for i, name in enumerate(scenario.topology.nodes)}
    right = tuple(sorted(spofs & marks, key=order.get))
    missed = tuple(sorted(spofs - marks, key=order.get))
    false = tuple(sorted(marks - spofs, key=order.get))
    reasons = {name: analysis.of(name).reason for name in (*right, *missed, *false) if name in analysis.components}
    total = len(right) + len(missed) + len(false)
    score = round(100.0 * len(right) / total, 1) if total else 100.0
    return HuntResult(right, missed, false, reasons, score)
