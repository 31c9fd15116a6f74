"""Runtime state of the simulated architecture (mutable, owned by the simulation).

Nothing outside :mod:`engine` touches these objects: the console and scripts
read :mod:`engine.sim.snapshot` views and send :mod:`engine.commands`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any


# Seconds a restart takes when the scenario does not say (boot + warm-up of the process).
DEFAULT_BOOT = {
    "client": 0.0,
    "dns": 10.0,
    "cdn": 10.0,
    "load_balancer": 10.0,
    "app_server": 30.0,
    "cache": 5.0,
    "database": 30.0,
    "service": 20.0,
}

# Call timeouts by the kind of node called, when the edge does not say.
DEFAULT_CALL_TIMEOUT = {"cache": 0.25, "database": 3.0, "service": 1.0}

# Seconds a client waits for a TCP connection to an address nobody answers on.
CONNECT_TIMEOUT = 3.0


class WriteLog:
    """The acknowledged writes a database holds, as sorted half-open id ranges.

    Write ids are allocated globally by the simulation when a write is
    acknowledged, so a set of ranges names exactly which writes a node has.
    """

    __slots__ = ("ranges", "count", "marks_n", "marks_t")

    def __init__(self, ranges: list[list[int]] | None = None) -> None:
        self.ranges: list[list[int]] = [list(r) for r in ranges or []]
        self.count = sum(b - a for a, b in self.ranges)
        # (position, time) marks: position count reached at time t, for lag in seconds.
        self.marks_n: list[int] = []
        self.marks_t: list[float] = []

    def append(self, start: int, n: int, t: float) -> None:
        """Add ``n`` writes with ids ``start .. start+n-1`` acknowledged at ``t``."""
        if n <= 0:
            return
        if self.ranges and self.ranges[-1][1] == start:
            self.ranges[-1][1] = start + n
        else:
            self.ranges.append([start, start + n])
        self.count += n
        if self.marks_t and self.marks_t[-1] == t:
            self.marks_n[-1] = self.count
        else:
            self.marks_n.append(self.count)
            self.marks_t.append(t)

    def prefix(self, n: int) -> list[list[int]]:
        """The ranges holding the first ``n`` writes of this log."""
        out: list[list[int]] = []
        left = n
        for a, b in self.ranges:
            if left <= 0:
                break
            take = min(b - a, left)
            out.append([a, a + take])
            left -= take
        return out

    def time_of(self, position: int) -> float | None:
        """When this log reached ``position`` writes (None if it has not, or before any mark)."""
        i = bisect.bisect_left(self.marks_n, position)
        if i >= len(self.marks_n):
            return None
        return self.marks_t[i]

    def count_at(self, t: float) -> int:
        """How many writes this log held at time ``t``."""
        marks_t = self.marks_t
        i = bisect.bisect_right(marks_t, t)
        if i >= len(marks_t):
            return self.marks_n[-1] if marks_t else 0
        # writes of a segment arrive spread over it: interpolate inside the segment
        t0, n0 = (marks_t[i - 1], self.marks_n[i - 1]) if i else (0.0, 0)
        t1, n1 = marks_t[i], self.marks_n[i]
        t0 = max(t0, t1 - 1.0)  # a traffic segment never spans more than one second
        if t <= t0 or t1 <= t0:
            return n0
        return n0 + int((n1 - n0) * (t - t0) / (t1 - t0))

    def copy_prefix(self, n: int) -> "WriteLog":
        """A new log holding this log's first ``n`` writes, with their times."""
        out = WriteLog(self.prefix(n))
        keep = bisect.bisect_left(self.marks_n, n)
        out.marks_n = self.marks_n[:keep]
        out.marks_t = self.marks_t[:keep]
        if out.count and (not out.marks_n or out.marks_n[-1] < out.count):
            out.marks_n.append(out.count)
            out.marks_t.append(self.time_of(out.count) or 0.0)
        return out


@dataclass(eq=False)
class Node:
    """One component's runtime state."""

    name: str
    kind: str
    region: str
    spec: Any
    group: str | None = None
    order: int = 0
    # lifecycle
    running: bool = True
    held: int = 0  # active dependency outages: another team's service, out whatever we restart
    fenced: bool = False
    destroyed: bool = False
    booting: bool = False
    crashed_at: float | None = None
    drained: bool = False
    # fault effects (products / values recomputed from active faults)
    slow: float = 1.0
    cap_div: float = 1.0
    err: float = 0.0
    # fluid queue state
    backlog: float = 0.0
    util: float = 0.0
    latency: float = 0.0
    wait: float = 0.0
    drop: float = 0.0
    # app servers: seconds a request holds a worker
    hold: float = 0.0
    # cache
    warm: float = 1.0
    # database
    cluster: str | None = None
    role: str = "primary"
    mode: str = "async"
    upstream: str | None = None
    received: int = 0  # replicas: writes of the upstream log it holds on disk (streamed, flushed)
    applied: int = 0  # replicas: writes of those it has replayed (received >= applied)
    log: WriteLog | None = None
    replicating: bool = False
    replication_broken: bool = False
    diverged: bool = False
    lag_extra: float = 0.0
    read_only: bool = False
    caught_up: bool = True
    # service
    feature_off: bool = False
    # per-second metric sums (reset when the second closes) and downstream arrivals of a step
    m_req: float = 0.0
    m_fail: float = 0.0
    m_ok: float = 0.0
    m_lat: float = 0.0
    m_in: float = 0.0
    m_util: float = 0.0
    m_wlat: float = 0.0
    m_acked: int = 0

    @property
    def regional(self) -> bool:
        """Whether a region outage takes it down (DNS and CDN edges are global, anycast services)."""
        return self.kind not in ("client", "dns", "cdn")

    @property
    def up(self) -> bool:
        """Powered and serving (not crashed, fenced, destroyed, booting, or held down by an outage outside our control)."""
        return self.running and not self.fenced and not self.destroyed and not self.booting and not self.held


@dataclass(eq=False)
class VipGroup:
    """Load balancers sharing one virtual IP."""

    name: str
    members: list[str]
    holder: str | None
    region: str
    shed: float = 0.0
    preempt: bool = True


@dataclass(eq=False)
class Cluster:
    """A replication cluster; ``writer`` is where the application sends writes."""

    name: str
    members: list[str]
    writer: str
    read_only: bool = False
    design_replicas: int = 0
    allocated: list[list[int]] = field(default_factory=list)
    lost: list[list[int]] = field(default_factory=list)  # write ids the journal has reported lost (each once)
    ack_carry: dict[str, float] = field(default_factory=dict)


def common_prefix(a: list[list[int]], b: list[list[int]]) -> int:
    """How many leading writes two logs (as id ranges) share."""
    n = 0
    for (a0, a1), (b0, b1) in zip(a, b):
        if a0 != b0:
            break
        n += min(a1, b1) - a0
        if a1 != b1:
            break
    return n


class SecondAcc:
    """Sums for the second being integrated (monitoring closes it)."""

    __slots__ = ("total", "ok", "degraded", "failed", "points", "w_total", "w_ok", "w_failed", "acked")

    def __init__(self) -> None:
        self.total = self.ok = self.degraded = self.failed = 0.0
        self.w_total = self.w_ok = self.w_failed = 0.0
        self.acked = 0
        self.points: list[tuple[float, float]] = []
