"""DNS moves clients linearly over the TTL (issue 12, item 4): the figures derived by hand.

A record change reaches a client when its cached answer expires. Expiries are uniform over the TTL,
so the share of requests still sent with the old answer falls linearly from the old weight to the new
one over exactly one TTL: ``w(t) = (1 - f) * old + f * new`` with ``f = (t - since) / TTL`` clipped to
[0, 1], both weights normalised. Clients behind resolvers that hold answers past the TTL (``sticky``)
follow the same line over their own ``hold``. Every expected value below is computed in its docstring
from these two sentences, never from an earlier run of the engine.
"""

from __future__ import annotations

import pytest

from engine.commands import build_command
from engine.scenario.loader import load_scenario_text
from engine.sim.simulation import Simulation

RATE = 100.0
TTL = 60.0
T0 = 20.0
"""Region us goes dark at T0."""
T1 = 30.0
"""The trainee shifts us -> eu at T1; the command takes 2 s, the weights change when it completes."""

TWO_REGIONS = """
title: dns physics
duration: {duration}
topology:
  regions: [eu, us]
  nodes:
    users: {{kind: client, rates: {{read: {rate}, write: 0, static: 0}}}}
    dns: {{kind: dns, ttl: {ttl}, weights: {{eu: 1, us: 1}}{sticky}}}
    lb-eu: {{kind: load_balancer, region: eu}}
    lb-us: {{kind: load_balancer, region: us}}
    app-eu: {{kind: app_server, region: eu, capacity: 1000}}
    app-us: {{kind: app_server, region: us, capacity: 1000}}
  edges:
    - users -> dns
    - dns -> lb-eu, lb-us
    - lb-eu -> app-eu
    - lb-us -> app-us
{method}
"""


def _sim(*, duration=300, sticky="", outage=True) -> Simulation:
    method = f"method: [{{type: region_outage, target: us, at: {T0:g}}}]" if outage else ""
    text = TWO_REGIONS.format(duration=duration, rate=RATE, ttl=TTL, sticky=sticky, method=method)
    return Simulation(load_scenario_text(text, "dns-physics.yaml"), seed=1)


def _shift(sim: Simulation, source: str, to: str, at: float) -> float:
    """Run to ``at``, shift all of ``source`` to ``to``; the time the DNS weights changed."""
    sim.run(at)
    assert sim.apply(build_command("shift", source, {"to": to, "percent": 100.0})).accepted
    before = len(sim.journal.of_type("DnsWeightsChanged"))
    sim.run(at + 3)
    changes = sim.journal.of_type("DnsWeightsChanged")
    assert len(changes) == before + 1
    return changes[-1].t


def _extra_failures(sticky: str, duration: float) -> tuple[float, float]:
    """Failed requests after the weights changed, beyond none: (measured, time of the change)."""
    sim = _sim(duration=duration, sticky=sticky)
    changed = _shift(sim, "us", "eu", T1)
    sim.run(duration)
    failed = sum(sim.series["failed"])
    # until the change half the requests went to the dark region
    before = RATE * 0.5 * (changed - T0)
    return failed - before, changed


def test_a_dead_region_at_half_weight_costs_a_quarter_ttl_after_the_shift():
    """Two regions 50/50 behind TTL 60; us dies at 20 s and all weight moves to eu at t1 (32 s).

    After t1 the share still sent to us falls linearly from 1/2 to 0 over the TTL, so the extra failed
    requests are rate x integral of share_us = rate x 1/2 x TTL/2 = 100 x 0.5 x 30 = 1,500 requests,
    i.e. TTL/4 = 15 s of full downtime. (The engine before the fix blended normalised old weights with
    raw new ones, {eu: 2, us: 0}: share_us = (1 - f)/(2 (1 + f)), integral TTL (ln 4 - 1)/2 = 11.6 s.)
    """
    extra, _ = _extra_failures("", 200)
    assert extra == pytest.approx(RATE * 0.5 * TTL / 2, rel=0.01)
    assert extra / RATE == pytest.approx(TTL / 4, abs=0.15)


def test_half_a_ttl_after_the_change_the_share_is_half_way():
    """At t1 + TTL/2, f = 1/2: the share to us is (1/2) x 1/2 + (1/2) x 0 = 1/4 exactly, halfway between
    its old weight 1/2 and its new weight 0; at t1 + TTL it is 0 and eu has everything."""
    sim = _sim(duration=200)
    changed = _shift(sim, "us", "eu", T1)
    weights = sim.world.dns_weights("dns", changed + TTL / 2)
    assert weights["us"] == pytest.approx(0.25, abs=1e-12)
    assert weights["eu"] == pytest.approx(0.75, abs=1e-12)
    assert sim.world.dns_weights("dns", changed + TTL) == pytest.approx({"eu": 1.0, "us": 0.0}, abs=1e-12)
    assert sim.world.dns_weights("dns", changed) == pytest.approx({"eu": 0.5, "us": 0.5}, abs=1e-12)


def test_sticky_resolvers_follow_over_their_hold():
    """A share s = 0.2 of clients sits behind resolvers holding answers H = 300 s (TTL 60).

    The share to us after t1 is (1 - s) x 1/2 x (1 - t/TTL)+ + s x 1/2 x (1 - t/H)+, whose integral is
    1/2 x ((1 - s) TTL/2 + s H/2) = 1/2 x (0.8 x 30 + 0.2 x 150) = 27 s: rate x 27 = 2,700 extra
    failed requests (against 1,500 without sticky clients). Half-way through the TTL the share to us is
    0.8 x 1/4 + 0.2 x 1/2 x (1 - 30/300) = 0.2 + 0.09 = 0.29.
    """
    share, hold = 0.2, 300.0
    sticky = f", sticky: {{share: {share}, hold: {hold:g}}}"
    extra, _ = _extra_failures(sticky, 400)
    expected = RATE * 0.5 * ((1 - share) * TTL / 2 + share * hold / 2)
    assert expected == pytest.approx(2700)
    assert extra == pytest.approx(expected, rel=0.01)
    sim = _sim(duration=400, sticky=sticky)
    changed = _shift(sim, "us", "eu", T1)
    assert sim.world.dns_weights("dns", changed + TTL / 2)["us"] == pytest.approx(0.29, abs=1e-12)
    assert sim.world.dns_weights("dns", changed + hold)["us"] == pytest.approx(0.0, abs=1e-12)


def test_a_second_shift_mid_transition_starts_from_the_blended_weights():
    """No outage; 50/50, TTL 60. The first shift (us -> eu, at tA) moves eu towards 1: 20 s later
    eu has 1/2 + 1/2 x 20/60 = 2/3. A second shift then (eu -> us, all of it, at tB) starts from 2/3,
    with no jump, and falls linearly to 0 over one TTL: 2/3 x 1/2 = 1/3 at tB + 30, 0 at tB + 60.

    With sticky clients (s = 0.5, H = 120) each population starts from its own blend: at tB = tA + 20
    the fast half has eu = 2/3 and the sticky half 1/2 + 1/2 x 20/120 = 7/12, together 5/8; 30 s later
    0.5 x (2/3 x 1/2) + 0.5 x (7/12 x (1 - 30/120)) = 1/6 + 7/32 = 37/96.
    """
    for sticky, at_b, after_30 in (("", 2 / 3, 1 / 3), (", sticky: {share: 0.5, hold: 120}", 5 / 8, 37 / 96)):
        sim = _sim(duration=300, sticky=sticky, outage=False)
        t_a = _shift(sim, "us", "eu", 30.0)
        sim.run(t_a + 18)  # the second command completes 2 s later, at t_a + 20
        assert sim.apply(build_command("shift", "eu", {"to": "us", "percent": 100.0})).accepted
        sim.run(t_a + 19.9)
        just_before = sim.world.dns_weights("dns", t_a + 20)
        assert just_before["eu"] == pytest.approx(at_b, abs=1e-12)
        sim.run(t_a + 25)
        t_b = sim.journal.of_type("DnsWeightsChanged")[-1].t
        assert t_b == pytest.approx(t_a + 20)
        assert sim.world.dns_weights("dns", t_b) == pytest.approx(just_before, abs=1e-12)  # continuity
        assert sim.world.dns_weights("dns", t_b + 30)["eu"] == pytest.approx(after_30, abs=1e-12)
        assert sim.world.dns_weights("dns", t_b + 200)["eu"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(("sticky", "message"), [
    (", sticky: {share: 0.1, hold: 30}", "at least the TTL"),
    (", sticky: {share: 1.5, hold: 600}", "must be at most 1"),
    (", sticky: {share: 0.1, hold: 4000}", "3600"),
    (", sticky: {share: 0.1, hold: .nan}", "finite"),
    (", sticky: {share: 0.1}", "hold"),
])
def test_sticky_resolvers_are_bounded(sticky: str, message: str):
    """share in [0, 1]; TTL <= hold <= MAX_DURATION (3,600 s); finite; both declared."""
    from engine.scenario.problems import ScenarioError

    with pytest.raises(ScenarioError) as caught:
        _sim(sticky=sticky)
    assert "sticky" in str(caught.value)
    assert message.lower() in str(caught.value).lower().replace(",", "")


def test_without_sticky_resolvers_every_client_follows_the_ttl():
    """The default is none: one population that holds answers for the TTL."""
    assert _sim().world.dns_populations("dns") == [(1.0, TTL)]


def test_health_checked_dns_failover_then_the_ttl():
    """Route 53-style failover, checks every 30 s (at 30, 60, 90 s), threshold 3: us dies at 20 s, the
    checks at 30, 60 and 90 s fail and the third takes us out of the answers at 90 s. Until then half
    the requests fail: 100 x 1/2 x (90 - 20) = 3,500; then the linear TTL adds 100 x 1/2 x 60/2 = 1,500:
    5,000 failed requests in all."""
    text = TWO_REGIONS.format(duration=250, rate=RATE, ttl=TTL, sticky="", method=f"""
automation: {{dns_failover: {{enabled: true, interval: 30, threshold: 3}}}}
method: [{{type: region_outage, target: us, at: {T0:g}}}]""")
    sim = Simulation(load_scenario_text(text, "dns-failover.yaml"), seed=1)
    sim.run(250)
    changes = sim.journal.of_type("DnsWeightsChanged")
    assert len(changes) == 1 and changes[0].t == pytest.approx(90.0) and changes[0].data["why"] == "health check"
    assert sum(sim.series["failed"]) == pytest.approx(RATE * 0.5 * (90 - T0) + RATE * 0.5 * TTL / 2, rel=0.01)
