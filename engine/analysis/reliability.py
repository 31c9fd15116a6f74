"""Reliability blocks: availability of series and parallel blocks, MTBF/MTTR defaults, nines.

The arithmetic of a reliability block diagram and the per-component figures it
starts from; :mod:`engine.analysis.dag` applies it to a structure function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce
from typing import Any, Mapping, Sequence

HOURS_PER_YEAR = 8766.0
"""Hours in a mean (Julian) year of 365.25 days."""


def series(*availabilities: float) -> float:
    """Availability of blocks that are all needed (AND): the product."""
    return reduce(lambda a, b: a * b, availabilities, 1.0)


def parallel(*availabilities: float) -> float:
    """Availability of blocks of which any one suffices (OR): one minus the product of the unavailabilities."""
    return 1.0 - reduce(lambda a, b: a * (1.0 - b), availabilities, 1.0)


def availability_from(mtbf: float, mttr: float) -> float:
    """Steady-state availability of a repairable component: ``MTBF / (MTBF + MTTR)``."""
    if mtbf <= 0 or mttr < 0:
        raise ValueError("MTBF must be positive and MTTR not negative")
    return mtbf / (mtbf + mttr)


def nines(availability: float) -> float:
    """Availability as a number of nines: ``-log10(1 - A)``; 99.95 % is 3.3 nines (infinite at 1)."""
    if availability >= 1.0:
        return math.inf
    return -math.log10(1.0 - availability)


# MTBF and MTTR in hours when a node leaves them out. Order-of-magnitude figures of the kind
# published for cloud infrastructure, not measurements: a single instance (VM plus its
# software) fails about once or twice a year and is replaced or restarted within an hour or
# two (availability ~99.97 %, above the 99.5 % instance-level floor of the big clouds'
# compute SLAs); a database takes longer to repair (restore, catch up); managed global DNS
# and CDN services are far more available (their SLAs: 100 % for Route 53, 99.9 % for
# CloudFront, both usually beaten); a whole cloud region goes dark about once in a few years
# for a few hours.
DEFAULT_RELIABILITY: dict[str, tuple[float, float]] = {
    "load_balancer": (8000.0, 1.0),
    "app_server": (4000.0, 1.0),
    "cache": (4000.0, 1.0),
    "database": (6000.0, 4.0),
    "service": (4000.0, 2.0),
    "dns": (50000.0, 1.0),
    "cdn": (20000.0, 1.0),
    "region": (26000.0, 4.0),
}


@dataclass(frozen=True)
class Availability:
    """An expected availability, also in nines and expected downtime per year."""

    value: float
    """Probability of being up, 0..1."""
    exact: bool = True
    """False when the value is the approximation of :meth:`~engine.analysis.dag.Dag.approximate` (too many shared
    components for the exact computation within EXACT_BUDGET)."""

    @property
    def percent(self) -> float:
        """The availability in percent."""
        return 100.0 * self.value

    @property
    def nines(self) -> float:
        """``-log10(1 - A)``: 99.95 % is 3.3 nines."""
        return nines(self.value)

    @property
    def downtime_hours_per_year(self) -> float:
        """Expected hours down per (365.25-day) year."""
        return (1.0 - self.value) * HOURS_PER_YEAR

    def text(self) -> str:
        """For people: ``99.9512 % (3.3 nines, 4.3 h down a year)``."""
        if math.isinf(self.nines):
            return "100 % (no downtime)"
        digits = min(10, max(2, math.ceil(self.nines)))
        down = self.downtime_hours_per_year
        if down >= 1:
            amount = f"{down:.1f} h"
        elif down * 60 >= 1:
            amount = f"{down * 60:.0f} min"
        else:
            amount = f"{down * 3600:.1f} s"
        return f"{self.percent:.{digits}f} % ({self.nines:.1f} nines, {amount} down a year)"

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "availability": round(self.value, 10),
            "percent": round(self.percent, 6),
            "nines": None if math.isinf(self.nines) else round(self.nines, 3),
            "downtime_hours_per_year": round(self.downtime_hours_per_year, 4),
            "text": self.text(),
            "exact": self.exact,
        }


@dataclass(frozen=True)
class ComponentReliability:
    """A component's MTBF and MTTR (hours) and the availability they give."""

    name: str
    kind: str
    mtbf: float
    mttr: float
    source: str
    """``scenario`` when the node sets both figures, else ``default`` (see DEFAULT_RELIABILITY)."""

    @property
    def availability(self) -> float:
        """``mtbf / (mtbf + mttr)``."""
        return availability_from(self.mtbf, self.mttr)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"name": self.name, "kind": self.kind, "mtbf": self.mtbf, "mttr": self.mttr,
                "source": self.source, "availability": round(self.availability, 10)}


def component_reliability(components: Sequence[str], nodes: Mapping[str, Any]) -> list[ComponentReliability]:
    """MTBF and MTTR of each component: the node's own figures, else :data:`DEFAULT_RELIABILITY`."""
    out = []
    for comp in components:
        if comp.startswith("region:"):
            mtbf, mttr = DEFAULT_RELIABILITY["region"]
            out.append(ComponentReliability(comp, "region", mtbf, mttr, "default"))
            continue
        spec = nodes[comp]
        default_mtbf, default_mttr = DEFAULT_RELIABILITY.get(spec.kind, (4000.0, 1.0))
        source = "scenario" if spec.mtbf is not None and spec.mttr is not None else (
            "default" if spec.mtbf is None and spec.mttr is None else "scenario+default")
        out.append(ComponentReliability(comp, spec.kind, spec.mtbf or default_mtbf, spec.mttr or default_mttr, source))
    return out

