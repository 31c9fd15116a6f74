"""Static dependency analysis: single points of failure, double faults, availability.

For every request kind (``read``, ``write``, ``static``) the scenario is turned
into a *structure function*: a monotone AND/OR expression over the
components (every node but the clients, plus one component per region when the
topology has several) that is true when some requests of that kind are still
served. The failover semantics of the engine (:mod:`engine.sim.flow`) are made
explicit in it:

- a client's requests are split over its entries (DNS, virtual IPs): any entry
  that works serves its share, so the entries are alternatives (OR); static
  requests go to the CDN when the client has one, which serves its hits (and,
  with ``stale_if_error``, its misses) whatever the origin does;
- a DNS record with several regions answers with any of them (a shift, by
  health-checked DNS failover or by a human);
- a virtual IP is served by any member load balancer that is up and has a
  working backend (VRRP, or a manual ``failover`` when VRRP is off); a load
  balancer with a VIP of its own is no alternative to another one;
- the app servers behind a load balancer are alternatives (health checks);
- an app server serves static requests from its own disk, writes need the
  writer of its database cluster, reads need the cache *or* the database
  (hits are served while the database is down, misses go to the database while
  the cache is down), and hard service calls (``required``, no ``fallback``,
  ``share`` 1) are needed for reads; soft, fallback and partial calls are not
  (their failure degrades, it does not stop every request);
- a database cluster can write while its primary *or* any replica that is a
  ``failover_candidate`` is up (promotion, automatic or by a human);
- a region going dark takes down every node in it; DNS and CDN are global.

A component is a SPOF for a kind when its failure alone makes the structure
function false: every request of that kind must pass through it. This is the
directed, failover-aware notion the issue asks for (the dominators of the
served state, not articulation points of an undirected view), computed
exactly because nodes that need several things at once (an app server needs
its database *and* a hard service) are AND gates, which a plain path graph
cannot express. Minimal cut sets up to size 3 are found by enumerating the
subsets of the components the function depends on, skipping supersets of
cuts already found. Availability is the probability that the structure
function is true when each component is up with probability
``mtbf / (mtbf + mttr)``: series (AND) and parallel (OR) blocks, with exact
pivotal decomposition (Shannon expansion) on components that appear in more
than one block, such as a database shared by every app server.

The module is pure: no simulation, no textual, no rich.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import reduce
from itertools import combinations
from typing import Iterable, Sequence

import networkx as nx

from engine.scenario.schema import RateSpec, Scenario
from engine.scenario.topology import ClusterSpec, VipSpec, build_graph, clusters, vip_groups

KINDS: tuple[str, ...] = ("read", "write", "static")
"""Request kinds, in report order."""

MAX_CUT_SIZE = 3
"""Largest cut sets enumerated (double and triple faults)."""

HOURS_PER_YEAR = 8766.0
"""Hours in a mean (Julian) year of 365.25 days."""

# --------------------------------------------------------------------------- reliability blocks


def series(*availabilities: float) -> float:
    """Availability of blocks that are all needed (AND): the product."""
    return reduce(lambda a, b: a * b, availabilities, 1.0)


def parallel(*availabilities: float) -> float:
    """Availability of blocks of which any one suffices (OR): one minus the product of the unavailabilities."""
    return 1.0 - reduce(lambda a, b: a * (1.0 - b), availabilities, 1.0)


def k_of_n(k: int, n: int, availability: float) -> float:
    """Availability of ``n`` identical blocks of which at least ``k`` are needed (binomial sum)."""
    if not 0 <= k <= n:
        raise ValueError(f"k-of-n needs 0 <= k <= n, got k={k}, n={n}")
    a = availability
    return sum(math.comb(n, i) * a**i * (1.0 - a) ** (n - i) for i in range(k, n + 1))


def k_of(k: int, availabilities: Sequence[float]) -> float:
    """Availability of blocks with different availabilities of which at least ``k`` are needed.

    Dynamic programming over the number of blocks up (Poisson-binomial distribution).
    """
    n = len(availabilities)
    if not 0 <= k <= n:
        raise ValueError(f"k-of-n needs 0 <= k <= n, got k={k}, n={n}")
    up = [1.0] + [0.0] * n  # up[j]: probability that exactly j blocks so far are up
    for a in availabilities:
        for j in range(n, 0, -1):
            up[j] = up[j] * (1.0 - a) + up[j - 1] * a
        up[0] *= 1.0 - a
    return sum(up[k:])


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

# --------------------------------------------------------------------------- boolean structure

# An expression is ("v", name) | ("a", children) | ("o", children) | TRUE | FALSE.
Expr = tuple
TRUE: Expr = ("t",)
FALSE: Expr = ("f",)


def _var(name: str) -> Expr:
    return ("v", name)


def _combine(op: str, parts: Iterable[Expr]) -> Expr:
    absorbing, neutral = (FALSE, TRUE) if op == "a" else (TRUE, FALSE)
    out: list[Expr] = []
    seen: set[Expr] = set()
    for part in parts:
        if part == absorbing:
            return absorbing
        if part == neutral:
            continue
        for item in part[1] if part[0] == op else (part,):
            if item not in seen:
                seen.add(item)
                out.append(item)
    if not out:
        return neutral
    return out[0] if len(out) == 1 else (op, tuple(out))


def _and(*parts: Expr) -> Expr:
    return _combine("a", parts)


def _or(*parts: Expr) -> Expr:
    return _combine("o", parts)


def _holds(expr: Expr, failed: frozenset[str] | set[str]) -> bool:
    """The expression's value when exactly the components in ``failed`` are down."""
    tag = expr[0]
    if tag == "v":
        return expr[1] not in failed
    if tag == "a":
        return all(_holds(child, failed) for child in expr[1])
    if tag == "o":
        return any(_holds(child, failed) for child in expr[1])
    return tag == "t"


def _variables(expr: Expr, into: set[str] | None = None) -> set[str]:
    into = set() if into is None else into
    if expr[0] == "v":
        into.add(expr[1])
    elif expr[0] in ("a", "o"):
        for child in expr[1]:
            _variables(child, into)
    return into


def _occurrences(expr: Expr, memo: dict) -> Counter:
    """How often each component appears in the expression read as a tree."""
    hit = memo.get(expr)
    if hit is not None:
        return hit
    if expr[0] == "v":
        out = Counter({expr[1]: 1})
    elif expr[0] in ("a", "o"):
        out = Counter()
        for child in expr[1]:
            out.update(_occurrences(child, memo))
    else:
        out = Counter()
    memo[expr] = out
    return out


def _substitute(expr: Expr, name: str, value: bool, memo: dict) -> Expr:
    hit = memo.get(expr)
    if hit is not None:
        return hit
    tag = expr[0]
    if tag == "v":
        out = (TRUE if value else FALSE) if expr[1] == name else expr
    elif tag in ("a", "o"):
        out = _combine(tag, (_substitute(child, name, value, memo) for child in expr[1]))
    else:
        out = expr
    memo[expr] = out
    return out


def _read_once(expr: Expr, p: dict[str, float]) -> float:
    tag = expr[0]
    if tag == "v":
        return p[expr[1]]
    if tag == "a":
        return series(*(_read_once(child, p) for child in expr[1]))
    if tag == "o":
        return parallel(*(_read_once(child, p) for child in expr[1]))
    return 1.0 if tag == "t" else 0.0


def _probability(expr: Expr, p: dict[str, float], memo: dict) -> float:
    """Exact probability that a monotone expression holds, components independent.

    Series and parallel blocks where every component appears once; otherwise
    pivotal decomposition on the component that appears most often:
    ``P(f) = p_x P(f | x up) + (1 - p_x) P(f | x down)``.
    """
    hit = memo.get(expr)
    if hit is not None:
        return hit
    counts = _occurrences(expr, {})
    shared = [name for name, count in counts.items() if count > 1]
    if not shared:
        out = _read_once(expr, p)
    else:
        pivot = max(sorted(shared), key=lambda name: counts[name])
        up = _probability(_substitute(expr, pivot, True, {}), p, memo)
        down = _probability(_substitute(expr, pivot, False, {}), p, memo)
        out = p[pivot] * up + (1.0 - p[pivot]) * down
    memo[expr] = out
    return out


# --------------------------------------------------------------------------- hash-consed DAG

_T, _F = 0, 1  # ids of the constants in every _Dag

EXACT_BUDGET = 200_000
"""Pivots (Shannon expansions) and inclusion-exclusion terms allowed before the availability
falls back to the approximation (see :func:`_Dag.availability`)."""


class _TooHard(Exception):
    pass


class _Dag:
    """Expressions interned as a DAG of integer nodes (hash-consing): equal sub-expressions are one node.

    Every node has a bit mask of the components it depends on, so independence checks are one
    ``&``; cut sets and probabilities are memoised per node, which makes both linear in the
    size of the DAG rather than of the expression read as a tree.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.index = {n: i for i, n in enumerate(self.names)}
        self.tag: list[str] = ["t", "f"]
        self.kids: list[tuple[int, ...]] = [(), ()]
        self.mask: list[int] = [0, 0]
        self.table: dict[tuple, int] = {}
        self._interned: dict[int, tuple[Expr, int]] = {}
        self._cuts: dict[int, list[frozenset[int]]] = {}
        self._simple: dict[int, int] = {}
        self._restricted: dict[tuple[int, int, int], int] = {}
        self._prob: dict[int, float] = {}
        self._approx: dict[int, float] = {}
        self.p: list[float] = []
        self.work = 0

    # ----------------------------------------------------------------- building

    def var(self, name: str) -> int:
        i = self.index.get(name)
        if i is None:
            i = self.index[name] = len(self.names)
            self.names.append(name)
        key = ("v", i)
        hit = self.table.get(key)
        if hit is None:
            hit = self._new("v", (i,), 1 << i, key)
        return hit

    def _new(self, tag: str, kids: tuple[int, ...], mask: int, key: tuple) -> int:
        n = len(self.tag)
        self.tag.append(tag)
        self.kids.append(kids)
        self.mask.append(mask)
        self.table[key] = n
        return n

    def mk(self, op: str, parts: Iterable[int]) -> int:
        """AND (``a``) or OR (``o``) of nodes: flattened, constants folded, duplicates dropped."""
        absorbing, neutral = (_F, _T) if op == "a" else (_T, _F)
        out: set[int] = set()
        for part in parts:
            if part == absorbing:
                return absorbing
            if part == neutral:
                continue
            if self.tag[part] == op:
                out.update(self.kids[part])
            else:
                out.add(part)
        if not out:
            return neutral
        if len(out) == 1:
            return next(iter(out))
        kids = tuple(sorted(out))
        key = (op, kids)
        hit = self.table.get(key)
        if hit is None:
            mask = 0
            for k in kids:
                mask |= self.mask[k]
            hit = self._new(op, kids, mask, key)
        return hit

    def intern(self, expr: Expr) -> int:
        hit = self._interned.get(id(expr))
        if hit is not None and hit[0] is expr:
            return hit[1]
        tag = expr[0]
        if tag == "v":
            out = self.var(expr[1])
        elif tag in ("a", "o"):
            out = self.mk(tag, [self.intern(child) for child in expr[1]])
        else:
            out = _T if tag == "t" else _F
        self._interned[id(expr)] = (expr, out)  # keeps expr alive so its id is not reused
        return out

    # ----------------------------------------------------------------- cut sets (MOCUS)

    def cuts(self, n: int, limit: int) -> list[frozenset[int]]:
        """Minimal cut sets of node ``n`` with at most ``limit`` components (MOCUS, bottom-up).

        AND (all needed): the union of the children's cut sets; OR (alternatives): one cut of
        every child, joined (cross product). Truncated to ``limit`` and minimised at every step;
        exact for a monotone function because every minimal cut of size <= limit is the union of
        minimal cuts of the children, each of size <= limit.
        """
        hit = self._cuts.get(n)
        if hit is not None:
            return hit
        tag = self.tag[n]
        if tag == "v":
            out = [frozenset(self.kids[n])]
        elif tag == "t":
            out = []
        elif tag == "f":
            out = [frozenset()]
        elif tag == "a":
            out = _minimise(c for k in self.kids[n] for c in self.cuts(k, limit))
        else:
            # join the children with the fewest cuts first: keeps the intermediate products small
            kids = sorted(self.kids[n], key=lambda k: len(self.cuts(k, limit)))
            out = self.cuts(kids[0], limit)
            for k in kids[1:]:
                if not out:
                    break
                other = self.cuts(k, limit)
                other_set = set(other)
                joined: set[frozenset[int]] = set()
                for a in out:
                    if a in other_set:
                        joined.add(a)
                        continue
                    for b in other:
                        u = a | b
                        if len(u) <= limit:
                            joined.add(u)
                out = _minimise(joined)
        self._cuts[n] = out
        return out

    def holds(self, n: int) -> bool:
        """Value with everything up: false only for the FALSE constant (the rest is monotone, no constants)."""
        return n != _F

    # ----------------------------------------------------------------- availability

    def restrict(self, n: int, up: int, down: int) -> int:
        """Node ``n`` with the components of mask ``up`` set up and those of ``down`` set down."""
        if not self.mask[n] & (up | down):
            return n
        key = (n, up, down)
        hit = self._restricted.get(key)
        if hit is not None:
            return hit
        tag = self.tag[n]
        if tag == "v":
            out = _T if self.mask[n] & up else _F
        else:
            out = self.mk(tag, [self.restrict(k, up, down) for k in self.kids[n]])
        self._restricted[key] = out
        return out

    def simplify(self, n: int) -> int:
        """An equivalent node with less sharing between children (exact Boolean identities).

        - context: in ``AND(x, Y)`` component ``x`` is up inside ``Y``; in ``OR(x, Y)`` it is down;
        - factoring: ``OR(AND(g, A), AND(g, B)) = AND(g, OR(A, B))`` and its dual.
        """
        hit = self._simple.get(n)
        if hit is not None:
            return hit
        tag = self.tag[n]
        if tag not in ("a", "o"):
            self._simple[n] = n
            return n
        kids = [self.simplify(k) for k in self.kids[n]]
        m = self.mk(tag, kids)
        if self.tag[m] == tag:
            lits = 0
            for k in self.kids[m]:
                if self.tag[k] == "v":
                    lits |= self.mask[k]
            if lits and any(self.tag[k] != "v" and self.mask[k] & lits for k in self.kids[m]):
                up, down = (lits, 0) if tag == "a" else (0, lits)
                m = self.mk(tag, [k if self.tag[k] == "v" else self.restrict(k, up, down) for k in self.kids[m]])
                m = self.simplify(m) if m != n else m
            elif m != n:
                m = self.simplify(m)
        if self.tag[m] == tag:
            m = self._factor(m)
        self._simple[n] = m
        self._simple.setdefault(m, m)
        return m

    def _factor(self, n: int) -> int:
        tag = self.tag[n]
        inner = "a" if tag == "o" else "o"
        counts: Counter = Counter()
        for k in self.kids[n]:
            if self.tag[k] == inner:
                counts.update(self.kids[k])
        if not counts:
            return n
        g, count = max(counts.items(), key=lambda item: (item[1], -item[0]))
        if count < 2:
            return n
        group = [k for k in self.kids[n] if self.tag[k] == inner and g in self.kids[k]]
        rest = [k for k in self.kids[n] if k not in group]
        rests = [self.mk(inner, [c for c in self.kids[k] if c != g]) for k in group]
        factored = self.mk(inner, [g, self.mk(tag, rests)])
        return self.simplify(self.mk(tag, [*rest, factored]))

    def _leaf(self, n: int) -> float | None:
        """The probability of a component or constant node; None for an AND/OR node."""
        tag = self.tag[n]
        if tag == "v":
            return self.p[self.kids[n][0]]
        if tag in ("t", "f"):
            return 1.0 if tag == "t" else 0.0
        return None

    def probability(self, n: int) -> float:
        """Exact probability that node ``n`` holds, components independent (``self.p``).

        Children that share no component are independent blocks (series / parallel); a group
        of children that share components is solved by inclusion-exclusion when it is an AND
        of up to four ORs, else by pivotal decomposition (Shannon expansion) on the component
        most of them share: ``P(f) = p_x P(f | x up) + (1 - p_x) P(f | x down)``. Raises
        _TooHard beyond EXACT_BUDGET steps.
        """
        hit = self._prob.get(n)
        if hit is not None:
            return hit
        tag = self.tag[n]
        out = self._leaf(n)
        if out is None:
            s = self.simplify(n)
            if s != n:
                out = self.probability(s)
            else:
                values = []
                for group in self._groups(self.kids[n]):
                    if len(group) == 1:
                        values.append(self.probability(group[0]))
                    else:
                        values.append(self._dependent(tag, group))
                out = series(*values) if tag == "a" else parallel(*values)
        self._prob[n] = out
        return out

    def _groups(self, kids: Sequence[int]) -> list[list[int]]:
        groups: list[tuple[int, list[int]]] = []
        for k in kids:
            mask, members = self.mask[k], [k]
            keep = []
            for gmask, gmembers in groups:
                if gmask & mask:
                    mask |= gmask
                    members.extend(gmembers)
                else:
                    keep.append((gmask, gmembers))
            keep.append((mask, members))
            groups = keep
        return [members for _, members in groups]

    def _dependent(self, tag: str, group: list[int]) -> float:
        self.work += 1
        if self.work > EXACT_BUDGET:
            raise _TooHard
        if tag == "a" and 2 <= len(group) <= 4 and all(self.tag[k] == "o" for k in group):
            # P(A and B ...) = sum over non-empty subsets S of (-1)^(|S|+1) P(OR of S)
            total = 0.0
            for size in range(1, len(group) + 1):
                sign = 1.0 if size % 2 else -1.0
                for subset in combinations(group, size):
                    self.work += 1
                    total += sign * self.probability(self.mk("o", subset))
            return min(1.0, max(0.0, total))
        counts: Counter = Counter()
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                shared = self.mask[a] & self.mask[b]
                while shared:
                    low = shared & -shared
                    counts[low.bit_length() - 1] += 1
                    shared ^= low
        pivot = max(counts.items(), key=lambda item: (item[1], -item[0]))[0]
        node = self.mk(tag, group)
        bit = 1 << pivot
        up = self.probability(self.simplify(self.restrict(node, bit, 0)))
        down = self.probability(self.simplify(self.restrict(node, 0, bit)))
        p = self.p[pivot]
        return p * up + (1.0 - p) * down

    def approximate(self, n: int) -> float:
        """Series / parallel evaluation treating every occurrence of a component as independent.

        Not a bound in general (independence overestimates an OR of positively correlated
        blocks and underestimates an AND of them); used only when the exact computation
        exceeds EXACT_BUDGET, and flagged ``exact=False``.
        """
        hit = self._approx.get(n)
        if hit is not None:
            return hit
        tag = self.tag[n]
        out = self._leaf(n)
        if out is not None:
            pass
        elif tag == "a":
            out = series(*(self.approximate(k) for k in self.kids[n]))
        else:
            out = parallel(*(self.approximate(k) for k in self.kids[n]))
        self._approx[n] = out
        return out

    def availability(self, n: int) -> tuple[float, bool]:
        """``(value, exact)``: exact when within EXACT_BUDGET, else :meth:`approximate` on the simplified DAG."""
        try:
            return self.probability(n), True
        except _TooHard:
            return self.approximate(self.simplify(n)), False


def _minimise(cuts: Iterable[frozenset[int]]) -> list[frozenset[int]]:
    """Cut sets that contain no other one (set semantics; sets of up to three components)."""
    pool = set(cuts)
    if frozenset() in pool:
        return [frozenset()]
    out = []
    for c in pool:
        if len(c) == 1:
            out.append(c)
            continue
        items = tuple(c)
        if len(c) == 2:
            subs = (frozenset((items[0],)), frozenset((items[1],)))
        else:
            subs = [frozenset(s) for size in range(1, len(c)) for s in combinations(items, size)]
        if not any(s in pool for s in subs):
            out.append(c)
    return out


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Availability:
    """An expected availability, also in nines and expected downtime per year."""

    value: float
    """Probability of being up, 0..1."""
    exact: bool = True
    """False when the value is the approximation of :meth:`_Dag.approximate` (too many shared
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
class Classification:
    """A component's role: ``spof``, ``degrading`` or ``harmless``, with a one-line reason."""

    name: str
    kind: str
    status: str
    spof_for: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"name": self.name, "kind": self.kind, "status": self.status,
                "spof_for": list(self.spof_for), "reason": self.reason}


@dataclass(frozen=True)
class Finding:
    """Redundancy that exists on paper but does not work, or needs a human to work."""

    code: str
    """``lb_no_shared_vip``, ``replica_not_candidate``, ``vip_failover_manual``,
    ``db_failover_manual``, ``dns_failover_manual`` or ``apps_in_one_region``."""
    nodes: tuple[str, ...]
    reason: str
    needs_human: bool = False
    """True when the redundancy works, but only once somebody acts."""

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"code": self.code, "nodes": list(self.nodes), "reason": self.reason, "needs_human": self.needs_human}


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


# --------------------------------------------------------------------------- service graph


def _base_rate(rate) -> float:
    return rate.base if isinstance(rate, RateSpec) else float(rate)


class _Structure:
    """Builds the structure function of each request kind from a scenario."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.graph: nx.DiGraph = build_graph(scenario)
        self.nodes = scenario.topology.nodes
        self.multi_region = len(scenario.topology.regions) > 1
        self.vips: list[VipSpec] = vip_groups(scenario)
        self.vip_of = {m: v for v in self.vips for m in v.members}
        self.clusters: list[ClusterSpec] = clusters(scenario)
        self.cluster_of = {n: c for c in self.clusters for n in (c.primary, *c.replicas)}
        self.components: tuple[str, ...] = tuple(n for n, s in self.nodes.items() if s.kind != "client") + (
            tuple(f"region:{r}" for r in scenario.topology.regions) if self.multi_region else ()
        )
        self.optional: dict[str, str] = {}
        """Components reached through a call that is not needed, with why (soft, fallback, partial)."""
        self._memo: dict[tuple[str, str], Expr] = {}
        self._busy: set[tuple[str, str]] = set()

    def region_of(self, name: str) -> str:
        return self.graph.nodes[name]["region"]

    def up(self, name: str) -> Expr:
        """The node is up: itself, and its region unless it is a global service."""
        if self.multi_region and self.nodes[name].kind not in ("dns", "cdn"):
            return _and(_var(name), _var(f"region:{self.region_of(name)}"))
        return _var(name)

    def kind_sent(self, kind: str) -> bool:
        return any(_base_rate(getattr(s.rates, kind)) > 0 for s in self.nodes.values() if s.kind == "client")

    def served(self, kind: str) -> Expr:
        """Some requests of ``kind`` are served."""
        parts = []
        for name, spec in self.nodes.items():
            if spec.kind != "client" or _base_rate(getattr(spec.rates, kind)) <= 0:
                continue
            targets = list(self.graph.successors(name))
            cdns = [t for t in targets if self.nodes[t].kind == "cdn"]
            if kind == "static" and cdns:
                parts.append(_or(*(self.up(t) for t in cdns)))
            else:
                entries = [t for t in targets if self.nodes[t].kind in ("dns", "load_balancer")]
                parts.append(_or(*(self.node(t, kind) for t in entries)))
        return _or(*parts)

    def node(self, name: str, kind: str) -> Expr:
        """Requests of ``kind`` arriving at ``name`` are served (memoised; a dependency loop serves nothing)."""
        key = (name, kind)
        if key in self._memo:
            return self._memo[key]
        if key in self._busy:
            return FALSE
        self._busy.add(key)
        try:
            out = self._build(name, kind)
        finally:
            self._busy.discard(key)
        self._memo[key] = out
        return out

    def _needed(self, source: str) -> list[str]:
        """Targets of ``source`` whose edge is needed; the others are recorded as optional."""
        out = []
        for target in self.graph.successors(source):
            data = self.graph.edges[source, target]
            if not data["required"]:
                self.optional.setdefault(target, f"a soft dependency of {source} (the feature can be switched off)")
            elif data["fallback"]:
                self.optional.setdefault(target, f"{source} already serves degraded without it (fallback)")
            elif data["share"] < 1.0:
                self.optional.setdefault(target, f"only {data['share']:.0%} of {source}'s reads call it")
            else:
                out.append(target)
        return out

    def _build(self, name: str, kind: str) -> Expr:
        spec = self.nodes[name]
        if spec.kind == "dns":
            targets = [t for t in self.graph.successors(name) if self.nodes[t].kind in ("load_balancer", "dns")]
            return _and(self.up(name), _or(*(self.node(t, kind) for t in targets)))
        if spec.kind == "load_balancer":
            vip = self.vip_of[name]
            return _or(*(
                _and(self.up(m), _or(*(self.node(a, kind) for a in self.graph.successors(m))))
                for m in vip.members
            ))
        if spec.kind == "database":
            cluster = self.cluster_of[name]
            writers = [cluster.primary] + [r for r in cluster.replicas if self.nodes[r].failover_candidate]
            return _or(*(self.up(w) for w in writers))
        if spec.kind == "app_server":
            return self._app(name, kind)
        if spec.kind in ("cache", "cdn"):
            return self.up(name)
        # services (and anything else): up, and every needed dependency
        return _and(self.up(name), *(self.node(t, kind) for t in self._needed(name)))

    def _app(self, name: str, kind: str) -> Expr:
        needed = self._needed(name)
        caches = [t for t in needed if self.nodes[t].kind == "cache"][:1]
        dbs = [t for t in needed if self.nodes[t].kind == "database"][:1]
        services = [t for t in needed if self.nodes[t].kind not in ("cache", "database")]
        parts = [self.up(name)]
        if kind == "write" and dbs:
            parts.append(self.node(dbs[0], kind))
        elif kind == "read":
            if dbs:
                # hits are served while the database is down; misses go to the database while the cache is down
                parts.append(_or(*(self.up(c) for c in caches), self.node(dbs[0], kind)))
            parts.extend(self.node(s, kind) for s in services)
        return _and(*parts)


def _minimal_cuts(dag: _Dag, node: int, order: dict[str, int], limit: int) -> list[tuple[str, ...]]:
    """Minimal cut sets of a node, up to ``limit`` components, by size then component order."""
    if not dag.holds(node):
        return []
    names = dag.names
    cuts = [tuple(sorted((names[i] for i in c), key=order.__getitem__)) for c in dag.cuts(node, limit)]
    return sorted(cuts, key=lambda c: (len(c), [order[n] for n in c]))


def _minimal(sets: Iterable[tuple[str, ...]], order: dict[str, int]) -> list[tuple[str, ...]]:
    unique = sorted(set(sets), key=lambda c: (len(c), [order[n] for n in c]))
    out: list[tuple[str, ...]] = []
    for item in unique:
        if not any(set(kept) <= set(item) for kept in out):
            out.append(item)
    return out


# --------------------------------------------------------------------------- findings and classification


def _findings(s: _Structure, spof_kinds: dict[str, list[str]]) -> list[Finding]:
    scenario, nodes, graph = s.scenario, s.nodes, s.graph
    auto = scenario.automation
    out: list[Finding] = []
    lbs = [n for n, spec in nodes.items() if spec.kind == "load_balancer"]
    routed = {t for src in graph for t in graph.successors(src)
              if nodes[t].kind == "load_balancer" and nodes[src].kind in ("client", "dns", "cdn", "app_server", "service")}
    routed_vips = {s.vip_of[t].name for t in routed}
    for vip in s.vips:
        if len(vip.members) == 1 and len(lbs) > 1:
            lb = vip.members[0]
            others = ", ".join(n for n in lbs if n != lb)
            if vip.name not in routed_vips:
                out.append(Finding("lb_no_shared_vip", (lb,),
                                   f"{lb} has a virtual IP of its own that nothing routes to, and shares none with "
                                   f"{others}: it is a spare no traffic can fail over to"))
            elif spof_kinds.get(lb):
                out.append(Finding("lb_no_shared_vip", (lb,),
                                   f"{lb} does not share its virtual IP with {others}: when it fails, clients "
                                   f"keep connecting to an address nobody holds"))
        elif len(vip.members) > 1 and not auto.vrrp.enabled:
            out.append(Finding("vip_failover_manual", vip.members,
                               f"{', '.join(vip.members)} share virtual IP {vip.name} but VRRP is off: moving the "
                               f"VIP to a standby needs a human ('failover')", needs_human=True))
    for cluster in s.clusters:
        for replica in cluster.replicas:
            if not nodes[replica].failover_candidate:
                out.append(Finding("replica_not_candidate", (replica,),
                                   f"{replica} replicates {cluster.name} but is not a failover candidate: it cannot "
                                   f"be promoted, so it is no standby for {cluster.primary}"))
        candidates = tuple(r for r in cluster.replicas if nodes[r].failover_candidate)
        if candidates and not auto.db_failover.enabled:
            out.append(Finding("db_failover_manual", (cluster.primary, *candidates),
                               f"automatic database failover is off: promoting {', '.join(candidates)} when "
                               f"{cluster.primary} fails needs a human ('promote')", needs_human=True))
    for name, spec in nodes.items():
        if spec.kind != "dns" or auto.dns_failover.enabled:
            continue
        regions = sorted({s.region_of(t) for t in graph.successors(name) if nodes[t].kind == "load_balancer"},
                         key=scenario.topology.regions.index)
        if len(regions) > 1:
            out.append(Finding("dns_failover_manual", (name,),
                               f"{name} answers with {', '.join(regions)} but health-checked DNS failover is off: "
                               f"moving users off a dead region needs a human ('shift')", needs_human=True))
    reachable: set[str] = set()
    for client in (n for n, spec in nodes.items() if spec.kind == "client"):
        reachable |= nx.descendants(graph, client)
    for vip in s.vips:  # a standby member of a reachable VIP serves too
        if any(m in reachable for m in vip.members):
            for m in vip.members:
                reachable |= {m} | nx.descendants(graph, m)
    apps = [n for n, spec in nodes.items() if spec.kind == "app_server" and n in reachable]
    app_regions = {s.region_of(a) for a in apps}
    if len(apps) > 1 and len(app_regions) == 1:
        region = app_regions.pop()
        where = ("the topology has one region" if not s.multi_region
                 else "no other region has app servers that serve users")
        out.append(Finding("apps_in_one_region", tuple(apps),
                           f"{', '.join(apps)} all sit in region {region} and {where}: a region outage takes "
                           f"every one of them"))
    return out


def _classify(s: _Structure, spof_kinds: dict[str, list[str]], used: set[str]) -> list[Classification]:
    nodes, graph, auto = s.nodes, s.graph, s.scenario.automation
    out = []
    for comp in s.components:
        kinds = tuple(spof_kinds.get(comp, ()))
        if comp.startswith("region:"):
            kind = "region"
            members = [n for n in nodes if nodes[n].kind not in ("client", "dns", "cdn") and s.region_of(n) == comp[7:]]
        else:
            kind = nodes[comp].kind
        if kinds:
            out.append(Classification(comp, kind, "spof", kinds,
                                      f"its failure alone stops every {'/'.join(kinds)} request"))
            continue
        if kind == "region":
            status, reason = ("degrading", f"takes down {len(members)} components; the other regions serve")
        elif kind == "cache" and comp in used:
            status, reason = "degrading", "reads go to the database while it is down (more load, slower)"
        elif kind == "cdn" and comp in used:
            status, reason = "degrading", "static requests go to the origin instead"
        elif comp in s.optional:
            status, reason = "degrading", f"optional: {s.optional[comp]}"
        elif kind == "database" and nodes[comp].role == "replica" and nodes[comp].replication == "sync":
            status, reason = ("degrading", "a synchronous standby: writes stall until it is switched to async "
                              "(needs a human)")
        elif comp not in used:
            status, reason = "harmless", "no request depends on it"
        elif kind == "load_balancer":
            others = [m for m in s.vip_of[comp].members if m != comp]
            how = "by VRRP" if auto.vrrp.enabled else "by a manual failover (needs a human)"
            status = "harmless"
            reason = (f"shares virtual IP {s.vip_of[comp].name} with {', '.join(others)}: taken over {how}"
                      if others else "other entry points serve its share")
        elif kind == "app_server":
            peers = sorted({a for lb in graph.predecessors(comp) for a in graph.successors(lb)
                            if a != comp and nodes[a].kind == "app_server"}, key=list(nodes).index)
            status = "harmless"
            reason = (f"health checks send its share to {', '.join(peers)}" if peers
                      else "other entry points serve its share")
        elif kind == "database":
            cluster = s.cluster_of[comp]
            status = "harmless"
            if comp == cluster.primary:
                candidates = [r for r in cluster.replicas if nodes[r].failover_candidate]
                how = "automatic failover" if auto.db_failover.enabled else "a manual promotion (needs a human)"
                reason = f"{', '.join(candidates)} can be promoted in its place by {how}"
            elif nodes[comp].failover_candidate:
                reason = f"a standby of {cluster.primary}: its failure removes a failover option"
            else:
                reason = "a replica that is not a failover candidate: nothing fails over to it"
        elif kind == "dns":
            status, reason = "harmless", "clients also reach the service without it"
        else:
            status, reason = "harmless", "its failure alone stops no request: alternatives serve"
        out.append(Classification(comp, kind, status, (), reason))
    return out


def _reliability(s: _Structure) -> list[ComponentReliability]:
    out = []
    for comp in s.components:
        if comp.startswith("region:"):
            mtbf, mttr = DEFAULT_RELIABILITY["region"]
            out.append(ComponentReliability(comp, "region", mtbf, mttr, "default"))
            continue
        spec = s.nodes[comp]
        default_mtbf, default_mttr = DEFAULT_RELIABILITY.get(spec.kind, (4000.0, 1.0))
        source = "scenario" if spec.mtbf is not None and spec.mttr is not None else (
            "default" if spec.mtbf is None and spec.mttr is None else "scenario+default")
        out.append(ComponentReliability(comp, spec.kind, spec.mtbf or default_mtbf, spec.mttr or default_mttr, source))
    return out


# --------------------------------------------------------------------------- entry point


def structure(scenario: Scenario, kind: str) -> Expr:
    """The structure function of one request kind (an AND/OR expression over component names)."""
    return _Structure(scenario).served(kind)


def analyze(scenario: Scenario) -> Analysis:
    """SPOFs, minimal cut sets, classification, findings and availability of a scenario."""
    s = _Structure(scenario)
    order = {c: i for i, c in enumerate(s.components)}
    rel = _reliability(s)
    dag = _Dag(s.components)
    dag.p = [r.availability for r in rel]
    kinds: list[KindAnalysis] = []
    roots: list[int] = []
    spof_kinds: dict[str, list[str]] = {}
    used_mask = 0
    for kind in KINDS:
        if not s.kind_sent(kind):
            continue
        root = dag.intern(s.served(kind))
        roots.append(root)
        used_mask |= dag.mask[root]
        cuts = _minimal_cuts(dag, root, order, MAX_CUT_SIZE)
        spofs = tuple(c[0] for c in cuts if len(c) == 1)
        for name in spofs:
            spof_kinds.setdefault(name, []).append(kind)
        value, exact = dag.availability(root)
        kinds.append(KindAnalysis(kind, dag.holds(root), spofs, tuple(cuts), Availability(value, exact)))
    used = {name for i, name in enumerate(dag.names) if used_mask >> i & 1}
    system_cuts = _minimal((c for k in kinds for c in k.cut_sets), order)
    if roots:
        value, exact = dag.availability(dag.mk("a", roots))
    else:
        value, exact = 0.0, True
    return Analysis(
        scenario=scenario.id or scenario.title,
        components=s.components,
        kinds=tuple(kinds),
        cut_sets=tuple(system_cuts),
        classification=tuple(_classify(s, spof_kinds, used)),
        findings=tuple(_findings(s, spof_kinds)),
        reliability=tuple(rel),
        availability=Availability(value, exact),
    )
