"""The diagnosis drills (issue 13): the first and loudest signal points away from the cause.

``noisy-neighbour`` ("The alert that cried wolf"), ``stale-replica`` ("The usual replica") and
``half-partition`` ("The database is fine") are
only worth drilling if the trap is real on the seeds trainees get: the red herring fires first,
acting on it (the scenario's ``pitfalls``) leaves users failing or loses the orders, and the
reference solution, which acts on the cause, recovers them. Each test derives its bound from the
scenario's numbers in its docstring, so a later edit of the YAML that breaks the trap fails here
with the reason, not only as a shifted calibration.
"""

from __future__ import annotations

from functools import cache

import pytest

from engine.scenario.schema import ActionScript, Scenario
from engine.sim.runner import NO_ACTION, Run, simulate
from support import GOLDEN_SEED, load_builtin

SEEDS = (0, 5, GOLDEN_SEED, 13, 19)
"""A few seeds spread over the check's 0-19: the fault windows are drawn per seed."""


@cache
def _scenario(name: str) -> Scenario:
    return load_builtin(name)


@cache
def _run(name: str, seed: int, policy: str) -> Run:
    """The run of ``policy`` ("no action", "reference" or a pitfall's name) on ``name`` and ``seed``."""
    scenario = _scenario(name)
    scripts: dict[str, ActionScript] = {"no action": NO_ACTION, "reference": scenario.reference_solution}
    scripts.update({p.name: p for p in scenario.pitfalls})
    return simulate(scenario, seed, scripts[policy], name=policy)


def _events(run: Run, kind: str) -> list[tuple[float, str]]:
    """(time, name) of the journal's ``kind`` entries: alerts by alert name, faults by target."""
    return [(e.t, e.data.get("alert") or e.data.get("target")) for e in run.sim.journal if e.type == kind]


def _first(run: Run, kind: str, name: str) -> float:
    times = [t for t, n in _events(run, kind) if n == name]
    assert times, f"no {kind} {name} in the journal"
    return times[0]


def _total(run: Run, key: str, start: float, end: float) -> float:
    """The sum of the global per-second series ``key`` over the seconds in [start, end)."""
    series = run.sim.series
    return sum(v for t, v in zip(series["t"], series[key]) if start <= t < end)


def test_both_drills_are_tagged_diagnosis_and_declare_their_herring_as_pitfalls():
    for name in ("noisy-neighbour", "stale-replica", "half-partition"):
        scenario = _scenario(name)
        assert "diagnosis" in scenario.tags and "red-herring" in scenario.tags
        assert scenario.pitfalls, f"{name}: the trap must be played by spofdrill check"


# --------------------------------------------------------------------------- noisy-neighbour

NOISY = "noisy-neighbour"
HERRING_PITFALLS = ("switch off the noisy recommendations", "restart the noisy service")


@pytest.mark.parametrize("seed", SEEDS)
def test_noisy_neighbour_the_herring_pages_before_the_cause_alerts(seed):
    """recs slows down ×10 at 30-50 s: 0.04 s × 10 = 0.4 s, above RecsLatencyHigh's 0.2 s, which
    pages after its 10 s ``for``, so by about 61 s. app-2 starts failing at 100-130 s; the first
    alert that follows from it, HighErrorRate, needs 15 % > 5 % for 15 s (≥ 115 s), and the one
    naming app-2, NodeErrors, 20 s (≥ 120 s). So the herring leads every alert of the cause by
    about 50 s or more, and on the trainee's alert list it comes first and is the only page for a
    minute."""
    run = _run(NOISY, seed, "no action")
    herring = _first(run, "AlertFired", "RecsLatencyHigh:recs")
    fault = _first(run, "FaultInjected", "app-2")
    after_fault = [(t, n) for t, n in _events(run, "AlertFired") if t >= fault]
    assert after_fault, "the cause raised no alert"
    assert herring < fault <= after_fault[0][0]
    assert after_fault[0][0] - herring >= 40, (herring, after_fault)
    assert ("NodeErrors:app-2" in {n for _, n in after_fault}), "the quiet signal of the cause is missing"
    assert all(n != "RecsLatencyHigh:recs" for _, n in after_fault)


def test_noisy_neighbour_the_herring_alone_costs_users_nothing():
    """recs is behind a 300 ms timeout with ``fallback``: a slow recs call fails at the timeout and
    the page is served without the widget (degraded, which counts as available). So between the
    herring's fault and app-2's, with recs failing every call, no user request fails: the herring
    is no part of what users feel (about 60 s of pure noise)."""
    run = _run(NOISY, GOLDEN_SEED, "no action")
    start = _first(run, "FaultInjected", "recs")
    end = _first(run, "FaultInjected", "app-2")
    assert _total(run, "degraded", start + 2, end) > 0, "recs' failures should show as degraded pages"
    assert _total(run, "failed", start, end) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("pitfall", HERRING_PITFALLS)
def test_noisy_neighbour_acting_on_the_herring_does_not_raise_availability(pitfall):
    """app-2 takes a third of the traffic and fails 45 % of it: 15 % of all requests fail from
    100-130 s to the end, about 480 s, so doing nothing ends near 1 − 0.15 × 480/600 ≈ 0.88.
    Switching recs off or restarting it touches a call that already falls back: availability
    stays within half a point of doing nothing (a restart of recs only adds its own boot time of
    degraded pages), below the 95 % probe, and the run fails."""
    nothing = _run(NOISY, GOLDEN_SEED, "no action")
    herring = _run(NOISY, GOLDEN_SEED, pitfall)
    assert herring.outcome.availability <= nothing.outcome.availability + 0.005
    assert 0.85 < nothing.outcome.availability < 0.91
    assert herring.outcome.availability < 0.95
    assert not herring.score.passed


def test_noisy_neighbour_the_reference_recovers_users_where_the_pitfalls_do_not():
    """The reference drains app-2 40 s after HighErrorRate fires (15 s after the fault), so 15 % of
    requests fail for about 55 s: 1 − 0.15 × 55/600 ≈ 0.986 ≥ 0.95, mitigated within the
    3-minute probe, and it passes. Restarting app-2 is no better than the herring: the bad deploy
    comes back with it (a TCP health check never ejects it), so it stays near 0.88 and fails.
    Every pitfall ends with users still failing in the last minute; the reference ends clean."""
    ref = _run(NOISY, GOLDEN_SEED, "reference")
    assert ref.score.passed and ref.outcome.availability > 0.98
    end = ref.sim.duration
    assert _total(ref, "failed", end - 60, end) == pytest.approx(0.0, abs=1e-6)
    for pitfall in _scenario(NOISY).pitfalls:
        run = _run(NOISY, GOLDEN_SEED, pitfall.name)
        assert not run.score.passed, pitfall.name
        assert run.outcome.availability < 0.95, pitfall.name
        assert _total(run, "failed", end - 60, end) > 0, f"{pitfall.name}: users should still be failing at the end"


# --------------------------------------------------------------------------- stale-replica

STALE = "stale-replica"


@pytest.mark.parametrize("seed", SEEDS)
def test_stale_replica_the_noisy_replica_alerts_first_and_is_quiet_by_the_crash(seed):
    """db-3's export lag (+12 s on its usual 2 s) starts at 15-30 s and lasts 100 s:
    ReplicationLag (lag > 10 s for 30 s) fires on db-3 at about 60 s and resolves by 130 s.
    db-2's replication stops at 50-70 s; ReplicationStopped needs 30 s, so ≥ 80 s: after the
    herring. The primary crashes at 150-180 s, after db-3's alert resolved, while db-2's is
    still firing: the replica that paged is the good one, the runbook's replica is the stale one."""
    run = _run(STALE, seed, "no action")
    noisy_fired = _first(run, "AlertFired", "ReplicationLag:db-3")
    noisy_resolved = _first(run, "AlertResolved", "ReplicationLag:db-3")
    stopped = _first(run, "AlertFired", "ReplicationStopped:db-2")
    crash = _first(run, "FaultInjected", "db-1")
    assert noisy_fired < stopped < crash
    assert noisy_resolved < crash
    assert not [t for t, n in _events(run, "AlertResolved") if n == "ReplicationStopped:db-2" and t < crash]


@pytest.mark.parametrize("seed", SEEDS)
def test_stale_replica_promoting_the_runbooks_replica_loses_thousands_of_orders(seed):
    """db-2 stopped receiving at 50-70 s and db-1 dies at 150-180 s: at least 80 s of orders at
    100 a second, ≥ 8,000, exist only on db-1 and db-3. Promoting db-2 throws them away (db-3,
    ahead of it, diverges); promoting db-3 loses only its usual 2 s of lag, about 200. The
    availability is the same either way (both promote at the same moment), so only the lost
    orders tell the two apart: the pitfall is over the 500-order probe and fails, the reference
    is within it and passes."""
    ref = _run(STALE, seed, "reference")
    wrong = _run(STALE, seed, "promote the runbook's replica")
    assert ref.score.passed and ref.outcome.lost_writes <= 300
    assert wrong.outcome.lost_writes >= 8000
    assert not wrong.score.passed
    assert wrong.outcome.availability == pytest.approx(ref.outcome.availability, abs=0.002)


def test_stale_replica_waiting_for_the_primary_keeps_the_orders_but_not_the_users():
    """db-1 replays its log for 300 s whenever it starts (its ``boot_time``). Restarting it instead of promoting
    loses no order but leaves the orders database down for about 10 + 15 + 300 s; with the cache
    answering 80 % of reads, about 30 % of requests fail meanwhile (80 read misses + 100 writes of
    600 a second): 1 − 0.3 × 325/600 ≈ 0.84, under the 85 % probe, while the reference, promoting
    db-3 25 s after the page, stays near 0.98."""
    wait = _run(STALE, GOLDEN_SEED, "wait for the primary to come back")
    ref = _run(STALE, GOLDEN_SEED, "reference")
    assert wait.outcome.lost_writes == 0
    assert wait.outcome.availability < 0.85 < ref.outcome.availability
    assert not wait.score.passed and ref.score.passed


# --------------------------------------------------------------------------- half-partition

HALF = "half-partition"
DATABASE_PITFALLS = ("fail over the database", "promote the standby", "restart the database")


@pytest.mark.parametrize("seed", SEEDS)
def test_half_partition_the_first_alerts_say_orders_fail_and_none_names_a_database(seed):
    """app-3 (a third of the traffic) loses both databases at 60-90 s: every write it takes fails,
    so a third of all writes fail (WriteErrors: > 10 % for 15 s) together with its cache misses
    (HighErrorRate: > 5 % for 15 s). The alerts that name app-3 need more: NodeErrors 20 s, and
    Saturated 30 s of its workers held by 3 s database timeouts. db-1 and db-2 see nothing wrong
    (fewer queries, no errors), so over the whole drill no alert names a database: the first
    page reads "orders fail", the database looks healthy from its own side, and the node that
    is actually broken is named only afterwards, by warnings."""
    run = _run(HALF, seed, "no action")
    fired = _events(run, "AlertFired")
    fault = _first(run, "FaultInjected", "app-3/db-1,db-2")
    writes = _first(run, "AlertFired", "WriteErrors")
    app3 = [t for t, n in fired if n.endswith(":app-3")]
    assert fault < writes < min(app3), (fault, fired)
    assert {n for _, n in fired if ":" in n} <= {"NodeErrors:app-3", "Saturated:app-3"}
    assert not [n for _, n in fired if "db-" in n]


@pytest.mark.parametrize("pitfall", DATABASE_PITFALLS)
def test_half_partition_acting_on_the_database_does_not_raise_availability(pitfall):
    """About 17 % of requests fail from the partition (60-90 s) to the end: 1 − 0.17 × 505/600 ≈
    0.855 doing nothing. db-2 sits behind the same switch as db-1, so after a failover app-3
    still reaches no database and fails as before; a restart of db-1 mends nothing for app-3 (the
    30 s it is down are failures for everyone instead). Availability stays within half a point of doing nothing and under the 95 %
    probe, and the run fails."""
    nothing = _run(HALF, GOLDEN_SEED, "no action")
    herring = _run(HALF, GOLDEN_SEED, pitfall)
    assert 0.83 < nothing.outcome.availability < 0.88
    assert herring.outcome.availability <= nothing.outcome.availability + 0.005
    assert herring.outcome.availability < 0.95
    assert not herring.score.passed


def test_half_partition_a_failover_also_costs_orders_and_the_reference_costs_none():
    """Fencing db-1 and promoting db-2 throws away db-2's 0.4 s of lag: about 40 successful
    writes a second (two thirds of 60) × 0.4 s ≈ 16 orders, for no gain. Promoting without
    fencing leaves db-1 writable for app-1 and app-2: two primaries until the end, and every
    write db-1 takes after the promotion (≈ 40/s for minutes, thousands) is lost. The reference
    touches no database: it drains app-3 about 60 s into the partition (1 − 0.17 × 60/600 ≈
    0.983), loses nothing and passes."""
    ref = _run(HALF, GOLDEN_SEED, "reference")
    assert ref.score.passed and ref.outcome.lost_writes == 0 and ref.outcome.availability > 0.98
    fenced = _run(HALF, GOLDEN_SEED, "fail over the database")
    assert 5 <= fenced.outcome.lost_writes <= 50 and fenced.outcome.split_brain_seconds == 0
    unfenced = _run(HALF, GOLDEN_SEED, "promote the standby")
    assert unfenced.outcome.split_brain_seconds > 300 and unfenced.outcome.lost_writes > 5000
