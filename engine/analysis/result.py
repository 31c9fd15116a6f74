"""The result of the dependency analysis: per request kind, per component, and for the whole system."""

from __future__ import annotations

from dataclasses import dataclass

from engine.analysis.findings import Classification, Finding
from engine.analysis.reliability import Availability, ComponentReliability


@dataclass(frozen=True)
class KindAnalysis:
    """What one request kind depends on."""

    kind: str
    served: bool
    """False when requests of this kind fail with everything up (a broken topology)."""
    spofs: tuple[str, ...]
    """Components whose failure alone stops every request of this kind (component order)."""
    cut_sets: tuple[tuple[str, ...], ...]
    """Minimal sets of up to three components whose joint failure stops every request of this kind."""
    availability: Availability

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"kind": self.kind, "served": self.served, "spofs": list(self.spofs),
                "cut_sets": [list(c) for c in self.cut_sets], "availability": self.availability.to_dict()}


@dataclass(frozen=True)
class Analysis:
    """The dependency analysis of one scenario."""

    scenario: str
    components: tuple[str, ...]
    """Every component analysed: nodes but clients in declaration order, then ``region:<name>``."""
    kinds: tuple[KindAnalysis, ...]
    """One entry per request kind some client sends."""
    cut_sets: tuple[tuple[str, ...], ...]
    """Minimal sets of up to three components whose failure stops every request of at least one kind."""
    classification: tuple[Classification, ...]
    findings: tuple[Finding, ...]
    reliability: tuple[ComponentReliability, ...]
    availability: Availability
    """Probability that every kind is served at once."""

    def kind(self, name: str) -> KindAnalysis:
        """The result for one request kind (KeyError if no client sends it)."""
        for item in self.kinds:
            if item.kind == name:
                return item
        raise KeyError(name)

    @property
    def spofs(self) -> tuple[str, ...]:
        """Components that are a SPOF for at least one kind, in component order."""
        return tuple(c.name for c in self.classification if c.status == "spof")

    def of(self, name: str) -> Classification:
        """The classification of one component (KeyError if unknown)."""
        for item in self.classification:
            if item.name == name:
                return item
        raise KeyError(name)

    def to_dict(self) -> dict:
        """JSON-ready form, deterministic."""
        return {
            "scenario": self.scenario,
            "components": list(self.components),
            "spofs": list(self.spofs),
            "kinds": {k.kind: k.to_dict() for k in self.kinds},
            "cut_sets": [list(c) for c in self.cut_sets],
            "classification": {c.name: c.to_dict() for c in self.classification},
            "findings": [f.to_dict() for f in self.findings],
            "reliability": [r.to_dict() for r in self.reliability],
            "availability": self.availability.to_dict(),
        }
