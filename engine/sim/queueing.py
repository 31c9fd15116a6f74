"""Queueing formulas of the fluid model: a node's backlog over a segment, and M/M/c waiting time."""

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


def mmc_wait(hold: float, rho: float, servers: float) -> float:
    """Mean queueing delay of an M/M/c queue (Sakasegawa's approximation)."""
    if rho <= 0:
        return 0.0
    rho = min(rho, 0.98)
    c = max(1.0, servers)
    return hold * rho ** (math.sqrt(2.0 * (c + 1.0)) - 1.0) / (c * (1.0 - rho))
