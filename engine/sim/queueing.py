"""Queueing formulas of the fluid model: a node's backlog over a segment, and M/M/c waiting time (Erlang C)."""

from __future__ import annotations

import math

from engine.sim.model import Node


def fluid_queue(node: Node, arrivals: float, capacity: float, timeout: float, dt: float) -> float:
    """Fluid queue update; returns the fraction of ``arrivals`` that time out waiting."""
    mu = capacity
    lam = arrivals / dt if dt > 0 else 0.0
    backlog = node.backlog + (lam - mu) * dt
    if backlog < 0:
        backlog = 0.0
    limit = mu * timeout
    dropped = 0.0
    if backlog > limit:
        dropped = backlog - limit
        backlog = limit
    node.backlog = backlog
    rho = lam / mu if mu > 0 else 10.0
    node.util = rho
    node.m_util += rho * dt
    return min(1.0, dropped / arrivals) if arrivals > 0 else 0.0


# Above this many servers the exact recursion costs too much per step; Sakasegawa's approximation
# is used instead (its waits are negligible there except within a hair of saturation).
EXACT_SERVERS = 1024
# Utilisation beyond which the M/M/c part stops growing: from there on the fluid backlog carries the wait.
RHO_MAX = 0.98


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load ``a`` = λ/μ (< c).

    Erlang B by its stable recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)), then
    C = B / (1 − ρ(1 − B)) with ρ = a/c.
    """
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    rho = a / c
    return b / (1.0 - rho * (1.0 - b))


def _wait_int(hold: float, rho: float, c: int) -> float:
    """W_q = C(c, a) / (c·μ − λ) = C(c, ρc) · hold / (c(1 − ρ)) for an integer ``c``."""
    return erlang_c(c, rho * c) * hold / (c * (1.0 - rho))


def mmc_wait(hold: float, rho: float, servers: float) -> float:
    """Mean queueing delay of an M/M/c queue: ``servers`` servers of mean service time ``hold`` at utilisation ``rho``.

    Exact Erlang C. A non-integer ``servers`` interpolates linearly between its floor and ceiling at the
    same utilisation and service time; fewer than one server is one server of the same total rate
    (M/M/1 with service time ``hold / servers``). Utilisation is capped at :data:`RHO_MAX`: at and above
    saturation the fluid backlog (:func:`fluid_queue`) takes over.
    """
    if rho <= 0:
        return 0.0
    rho = min(rho, RHO_MAX)
    if servers <= 1.0:
        return rho * (hold / max(servers, 1e-9)) / (1.0 - rho)
    if servers > EXACT_SERVERS:
        return hold * rho ** (math.sqrt(2.0 * (servers + 1.0)) - 1.0) / (servers * (1.0 - rho))
    lo = int(servers)
    frac = servers - lo
    wait = _wait_int(hold, rho, lo)
    if frac > 1e-12:
        wait += frac * (_wait_int(hold, rho, lo + 1) - wait)
    return wait
