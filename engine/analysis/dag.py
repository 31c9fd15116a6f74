"""Structure functions as a hash-consed DAG: minimal cut sets (MOCUS) and exact availability.

:class:`Dag` interns :mod:`engine.analysis.expr` expressions so that equal
sub-expressions are one node; cut sets and probabilities are memoised per node.
The exact probability uses independent blocks, inclusion-exclusion and pivotal
decomposition within :data:`EXACT_BUDGET` steps, and falls back to a flagged
approximation beyond it.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import Iterable, Sequence

from engine.analysis.expr import Expr
from engine.analysis.reliability import parallel, series

_T, _F = 0, 1  # ids of the constants in every Dag

EXACT_BUDGET = 200_000
"""Pivots (Shannon expansions) and inclusion-exclusion terms allowed before the availability
falls back to the approximation (see :meth:`Dag.availability`)."""


class _TooHard(Exception):
    pass


class Dag:
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


def minimal_cuts(dag: Dag, node: int, order: dict[str, int], limit: int) -> list[tuple[str, ...]]:
    """Minimal cut sets of a node, up to ``limit`` components, by size then component order."""
    if not dag.holds(node):
        return []
    names = dag.names
    cuts = [tuple(sorted((names[i] for i in c), key=order.__getitem__)) for c in dag.cuts(node, limit)]
    return sorted(cuts, key=lambda c: (len(c), [order[n] for n in c]))


def minimal_sets(sets: Iterable[tuple[str, ...]], order: dict[str, int]) -> list[tuple[str, ...]]:
    """The sets that contain no other one, by size then component order."""
    unique = sorted(set(sets), key=lambda c: (len(c), [order[n] for n in c]))
    out: list[tuple[str, ...]] = []
    for item in unique:
        if not any(set(kept) <= set(item) for kept in out):
            out.append(item)
    return out
