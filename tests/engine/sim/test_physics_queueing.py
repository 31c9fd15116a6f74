"""Queueing physics from first principles (issue 12, items 1-3).

Every expected figure is derived by hand in the test's docstring and computed here
independently of the engine (never compared with the engine's own earlier output).
The scenarios are written inline, with noise-free constant rates, so each test shows
the whole system it reasons about.
"""

from __future__ import annotations

import math
import statistics

import pytest

from engine.scenario.loader import load_scenario_text
from engine.sim.queueing import mmc_wait
from engine.sim.simulation import Simulation


def erlang_c_by_sum(c: int, a: float) -> float:
    """Probability of waiting in M/M/c (offered load a = λ/μ, ρ = a/c < 1), straight from its definition:

    C(c, a) = (a^c / c!) / (1 − ρ)  /  ( Σ_{k=0}^{c−1} a^k / k!  +  (a^c / c!) / (1 − ρ) ).
    The terms are summed in log space (lgamma) so that c = 64 does not overflow.
    """
    rho = a / c
    log_terms = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)]
    log_top = c * math.log(a) - math.lgamma(c + 1) - math.log(1.0 - rho)
    m = max(max(log_terms), log_top)
    head = sum(math.exp(x - m) for x in log_terms)
    top = math.exp(log_top - m)
    return top / (head + top)


def mmc_mean_wait(c: int, rho: float, service: float) -> float:
    """W_q = C(c, a) / (c·μ − λ) with μ = 1/service, λ = ρ·c·μ, a = λ/μ = ρ·c."""
    mu = 1.0 / service
    lam = rho * c * mu
    if c == 1:
        return rho / (mu * (1.0 - rho))  # M/M/1
    if c == 2:
        return (2.0 * rho * rho / (1.0 + rho)) / (c * mu - lam)  # C(2, a) = 2ρ²/(1+ρ)
    return erlang_c_by_sum(c, rho * c) / (c * mu - lam)


def _build(nodes: str, edges: str, duration: int = 120, rest: str = ""):
    text = (
        "title: physics\n"
        f"duration: {duration}\n"
        "topology:\n"
        "  regions: [main]\n"
        "  nodes:\n" + "".join(f"    {line.strip()}\n" for line in nodes.strip().splitlines())
        + "  edges:\n" + "".join(f"    {line.strip()}\n" for line in edges.strip().splitlines())
        + rest
    )
    return load_scenario_text(text, "physics.yaml")


def _app_mean_latency(sim: Simulation, app: str, start: int, end: int) -> float:
    """The engine's mean latency of the requests app ``app`` served, averaged over seconds [start, end)."""
    return statistics.fmean(sim.node_series(app, "latency")[start:end])


# --------------------------------------------------------------------------- item 2: the wait formula


@pytest.mark.parametrize("c", [1, 2, 4, 8, 16, 32, 64])
@pytest.mark.parametrize("rho", [0.5, 0.7, 0.8, 0.9, 0.95])
def test_mmc_wait_is_erlang_c(c, rho):
    """M/M/c mean wait: W_q = C(c, a)/(c·μ − λ) (Erlang C).

    c = 1 is M/M/1: W_q = ρ/(μ(1 − ρ)); c = 2 has the closed form C = 2ρ²/(1 + ρ);
    other c use the direct sum of the definition (:func:`erlang_c_by_sum`). Service time 0.1 s.
    The engine's function must agree within 10 % (it is exact, so within rounding).
    """
    expected = mmc_mean_wait(c, rho, 0.1)
    assert mmc_wait(0.1, rho, c) == pytest.approx(expected, rel=0.1)
    assert mmc_wait(0.1, rho, c) == pytest.approx(expected, rel=1e-6)


def test_mmc_wait_spot_values():
    """Hand-computed spot values.

    M/M/1, service 0.1 s, ρ = 0.8: W_q = 0.8 · 0.1 / 0.2 = 0.4 s.
    M/M/2, service 0.1 s, ρ = 0.8: C = 2·0.64/1.8 = 0.7111; c·μ − λ = 20 − 16 = 4 /s; W_q = 0.1778 s.
    Non-integer c = 2.5 lies between c = 2 and c = 3 at the same ρ and service time (linear interpolation).
    """
    assert mmc_wait(0.1, 0.8, 1) == pytest.approx(0.4, rel=1e-9)
    assert mmc_wait(0.1, 0.8, 2) == pytest.approx(0.128 / 0.72, rel=1e-9)
    w2, w3 = mmc_wait(0.1, 0.8, 2), mmc_wait(0.1, 0.8, 3)
    assert mmc_wait(0.1, 0.8, 2.5) == pytest.approx((w2 + w3) / 2, rel=1e-9)
    assert mmc_wait(0.1, 0.0, 4) == 0.0


# --------------------------------------------------------------------------- item 1: latency adds up


def test_served_latency_is_the_sum_of_the_path():
    """A served request's latency is the sum of everything on its path, in series.

    Load balancer 0.2 s, app service time 0.05 s, cache 0.01 s with hit ratio 0.5, database
    read 0.1 s, write 0.12 s. Queueing ≈ 0 (CPUs: 1000·0.05 = 50 servers at ρ = 20·0.05/50 = 0.02;
    workers 64 held ≈ 0.17 s at ρ ≈ 0.05; database 2000 q/s at ρ ≈ 0.01).
    A read looks in the cache first and goes to the database on a miss (read-through):
      read  = 0.2 + 0.05 + 0.01 + 0.5 · 0.1 = 0.31 s
      write = 0.2 + 0.05 + 0.12               = 0.37 s
    16 reads/s and 4 writes/s: mean = (16 · 0.31 + 4 · 0.37) / 20 = 0.322 s.
    """
    sim = Simulation(_build("""
        users: {kind: client, rates: {read: {base: 16, noise: 0}, write: {base: 4, noise: 0}, static: 0}}
        lb: {kind: load_balancer, latency: 0.2}
        app: {kind: app_server, capacity: 1000, service_time: 0.05}
        cache: {kind: cache, hit_ratio: 0.5, latency: 0.01}
        db: {kind: database, read_latency: 0.1, write_latency: 0.12}
    """, """
        - users -> lb
        - lb -> app
        - app -> cache, db
    """), seed=0)
    sim.run(120)
    expected = (16 * (0.2 + 0.05 + 0.01 + 0.5 * 0.1) + 4 * (0.2 + 0.05 + 0.12)) / 20
    assert expected == pytest.approx(0.322)
    assert _app_mean_latency(sim, "app", 30, 119) == pytest.approx(expected, rel=0.02)


def test_load_balancer_latency_counts_for_served_requests():
    """0.2 s load balancer + 0.05 s app + 0.1 s database (no cache) = 0.35 s per read, not 0.15 s.

    Low load (10 reads/s): no queueing anywhere. The global p50 of this second's requests
    (all served) is the same 0.35 s, give or take the tiny queueing spread.
    """
    sim = Simulation(_build("""
        users: {kind: client, rates: {read: {base: 10, noise: 0}, write: 0, static: 0}}
        lb: {kind: load_balancer, latency: 0.2}
        app: {kind: app_server, capacity: 1000, service_time: 0.05}
        db: {kind: database, read_latency: 0.1}
    """, """
        - users -> lb
        - lb -> app
        - app -> db
    """), seed=0)
    sim.run(60)
    assert _app_mean_latency(sim, "app", 10, 59) == pytest.approx(0.35, rel=0.02)
    assert statistics.fmean(sim.series["p50"][10:59]) == pytest.approx(0.35, rel=0.02)


# --------------------------------------------------------------------------- item 2: which limit binds


def test_cpu_bound_app_server_waits_as_erlang_c_over_its_cpus():
    """CPU-bound: capacity 100/s, service time 0.04 s, so c = 100 · 0.04 = 4 CPUs, each at μ = 25/s.

    80 reads/s: ρ_cpu = 80 / 100 = 0.8; the 64 workers, held 0.04 s each, are at
    80 · 0.04 / 64 = 0.05, so the CPUs bind. W_q = C(4, 3.2) / (4 · 25 − 80) = C(4, 3.2) / 20 s
    (C(4, 3.2) ≈ 0.5964 → W_q ≈ 0.0298 s). The engine's mean served latency minus the path
    (load balancer 0.001 s + service 0.04 s; no dependencies) is its mean wait.
    """
    sim = Simulation(_build("""
        users: {kind: client, rates: {read: {base: 80, noise: 0}, write: 0, static: 0}}
        lb: {kind: load_balancer}
        app: {kind: app_server, capacity: 100, service_time: 0.04}
    """, """
        - users -> lb
        - lb -> app
    """), seed=0)
    sim.run(60)
    expected = erlang_c_by_sum(4, 3.2) / 20.0
    assert expected == pytest.approx(0.0298, abs=5e-4)
    wait = _app_mean_latency(sim, "app", 10, 59) - 0.001 - 0.04
    assert wait == pytest.approx(expected, rel=0.1)
    assert sim.node_metrics["app"]["utilisation"] == pytest.approx(0.8, rel=0.01)


def test_worker_bound_app_server_waits_as_erlang_c_over_its_workers():
    """Worker-bound: 4 workers, each held 0.01 s (own CPU) + 0.09 s (database read) = 0.1 s: μ = 10/s.

    32 reads/s: ρ_workers = 32 · 0.1 / 4 = 0.8; the CPUs (1000 · 0.01 = 10 of them) are at
    32 · 0.01 / 10 = 0.032, so the workers bind. W_q = C(4, 3.2) / (4 · 10 − 32) = C(4, 3.2) / 8
    (≈ 0.0746 s). Mean served latency minus the path (0.001 + 0.01 + 0.09 s) is the wait.
    """
    sim = Simulation(_build("""
        users: {kind: client, rates: {read: {base: 32, noise: 0}, write: 0, static: 0}}
        lb: {kind: load_balancer}
        app: {kind: app_server, capacity: 1000, service_time: 0.01, workers: 4}
        db: {kind: database, read_latency: 0.09}
    """, """
        - users -> lb
        - lb -> app
        - app -> db
    """), seed=0)
    sim.run(60)
    expected = erlang_c_by_sum(4, 3.2) / 8.0
    wait = _app_mean_latency(sim, "app", 10, 59) - 0.001 - 0.01 - 0.09
    assert wait == pytest.approx(expected, rel=0.1)
    assert sim.node_metrics["app"]["utilisation"] == pytest.approx(0.8, rel=0.01)


# --------------------------------------------------------------------------- item 3: the queue timeout bounds


def test_overloaded_server_bounds_served_latency_by_the_queue_timeout():
    """150 % load: capacity 100/s (service 0.02 s, 2 CPUs), 150 reads/s, queue_timeout 5 s.

    Fluid model: the backlog grows at λ − μ = 50/s until it holds μ · timeout = 500 requests
    (after 10 s); from then on μ = 100/s are served, each after waiting the full backlog 500/100 = 5 s,
    and λ − μ = 50/s time out: failed share = 50/150 = 1/3. No served request waits past the
    queue timeout, so every served request's latency ≤ 0.001 (LB) + 5 (queue) + 0.02 (service)
    = 5.021 s, well inside the users' 10 s timeout (so none of them give up either). The failed ones
    fail at the queue timeout (5 s) after the load balancer, so the global p99 is ≤ 5.021 s too.
    (TCP health checks: an HTTP check would time out in the 5 s queue and eject the only backend.)
    """
    sim = Simulation(_build("""
        users: {kind: client, rates: {read: {base: 150, noise: 0}, write: 0, static: 0}}
        lb: {kind: load_balancer}
        app: {kind: app_server, capacity: 100, service_time: 0.02, queue_timeout: 5}
    """, """
        - users -> lb
        - lb -> app
    """, rest="automation: {health_check: {type: tcp}}\n"), seed=0)
    sim.run(120)
    bound = 0.001 + 5.0 + 0.02
    s = sim.series
    failed = sum(s["failed"][30:119]) / sum(s["requests"][30:119])
    assert failed == pytest.approx(1.0 / 3.0, abs=0.01)
    assert max(s["p99"][30:119]) <= bound + 1e-9
    assert max(sim.node_series("app", "latency")[30:119]) <= bound + 1e-9
    assert sim.node_metrics["app"]["p99"] <= bound + 1e-9
    assert _app_mean_latency(sim, "app", 30, 119) == pytest.approx(bound, rel=0.01)
