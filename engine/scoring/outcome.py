"""What users felt and what was lost: the outcome of a drill, measured from its public tally.

Every formula is in docs/scoring.md. :func:`compute_outcome` turns a :class:`Tally`
(which the simulation hands out) into an :class:`Outcome`.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from engine.scenario.schema import Scenario
from engine.scoring.detect import time_to_detect
from engine.util.ranges import range_count, subtract_ranges

if TYPE_CHECKING:  # the journal's entries are read, never built, here
    from engine.sim.journal import Entry


@dataclass(frozen=True)
class Tally:
    """The ground truth a drill has accumulated so far, as the simulation hands it to scoring.

    Scoring reads only this: never the simulation's own objects.
    """

    scenario: Scenario
    tick: float
    series: Mapping[str, Sequence[float]]
    """Per simulated second: requests, ok, degraded, failed, availability, writes, redundant, ..."""
    journal: Sequence[Entry]
    """The journal's entries so far, in time order."""
    allocated: Mapping[str, list[list[int]]]
    """Per database cluster, the write ids ever acknowledged to a client."""
    final_data: Mapping[str, list[list[int]]]
    """Per database cluster, the write ids the surviving copy holds."""
    write_times: Sequence[tuple[int, float]]
    """(first write id, simulated time) marks, in id order: when each write was acknowledged."""
    split_brain_seconds: float
    hint_cost: float
    acknowledged: int | None = None
    """How many write ids ``allocated`` holds in all, when the caller keeps that count (else it is counted here)."""


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


def compute_outcome(tally: Tally) -> Outcome:
    """Measure a drill so far (or at its end) from its public tally."""
    s = tally.series
    scenario = tally.scenario
    total = sum(s["requests"])
    ok = sum(s["ok"])
    degraded = sum(s["degraded"])
    failed = sum(s["failed"])
    availability = (ok + degraded) / total if total > 0 else 1.0
    downtime = sum(f / r for f, r in zip(s["failed"], s["requests"]) if r > 0)
    full = float(sum(1 for a, r in zip(s["availability"], s["requests"]) if r > 0 and a < 0.01))
    # writes
    final = tally.final_data
    lost = phantom = 0
    lost_ranges: list[list[int]] = []
    for cluster, allocated in tally.allocated.items():
        have = final.get(cluster, [])
        if have == allocated:
            # nothing lost and nothing phantom (both differences of equal sets are empty): the usual
            # case, asked at every global scrape, where the ranges are fragmented (ids interleave across
            # clusters) and the subtractions below would walk them all in Python
            continue
        gone = subtract_ranges(allocated, have)
        lost += range_count(gone)
        lost_ranges.extend(gone)
        phantom += range_count(subtract_ranges(have, allocated))
    rpo = 0.0
    if lost_ranges:
        # the marks are searched in place (bisect by key): copying their columns cost O(marks) per call,
        # and the score is asked at every global scrape
        marks = tally.write_times
        start_of, time_of = operator.itemgetter(0), operator.itemgetter(1)

        # ranges are sorted: each cluster's last range ends highest
        top = max(ranges[-1][1] for ranges in tally.allocated.values() if ranges)

        def acked_at(write_id: int, after: bool) -> float:
            # a mark's writes (ids up to the next mark's) were acknowledged spread evenly over the
            # segment that ends at its time, which began at the previous mark (at most one tick earlier)
            i = max(0, bisect.bisect_right(marks, write_id, key=start_of) - 1)
            t = marks[i][1]
            k = bisect.bisect_left(marks, t, 0, i, key=time_of) - 1
            t0 = max(marks[k][1] if k >= 0 else 0.0, t - tally.tick)
            n = (marks[i + 1][0] if i + 1 < len(marks) else top) - marks[i][0]
            share = (write_id - marks[i][0] + (1 if after else 0)) / n if n > 0 else 1.0
            return t0 + (t - t0) * min(1.0, share)

        first = min(r[0] for r in lost_ranges)
        last = max(r[1] - 1 for r in lost_ranges)
        rpo = acked_at(last, True) - acked_at(first, False)
    # incident timing
    journal = tally.journal
    faults = [e.t for e in journal if e.type == "FaultInjected"]
    first_fault = min(faults) if faults else None
    detect = time_to_detect(tally.scenario, journal)
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
        writes_acknowledged=(
            tally.acknowledged if tally.acknowledged is not None else sum(range_count(a) for a in tally.allocated.values())
        ),
        lost_writes=lost,
        phantom_writes=phantom,
        rpo=rpo,
        split_brain_seconds=tally.split_brain_seconds,
        first_fault=first_fault,
        time_to_detect=detect,
        time_to_mitigate=mitigate,
        time_to_recover=recover,
        hint_cost=tally.hint_cost,
        commands=commands,
        impacted=impacted,
    )
