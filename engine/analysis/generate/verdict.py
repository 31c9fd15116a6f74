"""What became of one candidate: the drill as checked, the check's verdict, and why it was dropped."""

from __future__ import annotations

from dataclasses import dataclass

from engine.analysis.check import Check
from engine.analysis.generate.candidates import Candidate
from engine.scenario.schema import Scenario


@dataclass(frozen=True)
class Generated:
    """One candidate and its verdict: the checked drill when it is fair, else why it was dropped."""

    candidate: Candidate
    drill: Scenario
    """The drill as checked; when kept, its ``difficulty`` is the measured label."""
    verdict: Check
    adjusted: str | None = None
    """The one principled adjustment made after a first check failed, in words (None: none was needed)."""

    @property
    def kept(self) -> bool:
        """The drill is fair and will be written."""
        return self.verdict.fair

    @property
    def reason(self) -> str:
        """Why the drill was dropped, in words (empty when kept)."""
        return "" if self.kept else dropped_reason(self.verdict)


def dropped_reason(verdict: Check) -> str:
    """The check's problems in one line: the first seed of each failed condition and what it means."""
    parts = []
    nothing = [p for p in verdict.problems if p.endswith("doing nothing passes")]
    reference = [p for p in verdict.problems if p.endswith("does not meet the bar")]
    others = [p for p in verdict.problems if p not in nothing and p not in reference]
    if nothing:
        seed = nothing[0].split(":")[0]
        parts.append(f"doing nothing passes on {seed} ({len(nothing)}/{verdict.seeds} seeds): the fault does not "
                     "hurt users enough to drill")
    if reference:
        seed = reference[0].split(":")[0]
        parts.append(f"the reference solution misses the bar on {seed} ({len(reference)}/{verdict.seeds} seeds)")
    parts.extend(others)
    return "; ".join(parts) or "not fair"


__all__ = ["Generated", "dropped_reason"]
