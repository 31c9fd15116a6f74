"""Monotone AND/OR expressions over component names: the structure functions the analysis builds.

An expression is ``("v", name)`` (the component is up), ``("a", children)`` (all
hold), ``("o", children)`` (any holds), :data:`TRUE` or :data:`FALSE`. The
constructors flatten nested gates of the same kind, fold constants and drop
repeats, so equal functions built the same way are equal tuples.
"""

from __future__ import annotations

from typing import Iterable

Expr = tuple
TRUE: Expr = ("t",)
FALSE: Expr = ("f",)


def var(name: str) -> Expr:
    """The component ``name`` is up."""
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


def and_(*parts: Expr) -> Expr:
    """All of ``parts`` hold (series)."""
    return _combine("a", parts)


def or_(*parts: Expr) -> Expr:
    """Any of ``parts`` holds (parallel)."""
    return _combine("o", parts)


def holds(expr: Expr, failed: frozenset[str] | set[str]) -> bool:
    """The expression's value when exactly the components in ``failed`` are down."""
    tag = expr[0]
    if tag == "v":
        return expr[1] not in failed
    if tag == "a":
        return all(holds(child, failed) for child in expr[1])
    if tag == "o":
        return any(holds(child, failed) for child in expr[1])
    return tag == "t"

