"""Behaviour from first principles: each expected value is derived in the test's docstring.

The scenarios are written inline so each test shows the whole system it reasons about.
"""

from __future__ import annotations

import textwrap

import pytest

from engine.commands import build_command
from engine.scenario.loader import load_scenario_text
from engine.sim.simulation import Simulation

SEED_SYSTEM = """
title: behaviour
duration: {duration}
topology:
  regions: [{regions}]
  nodes:
    users: {{kind: client, rates: {{read: {read}, write: {write}, static: {static}}}}}
    lb-1: {{kind: load_balancer, vip: vip, priority: 150}}
    lb-2: {{kind: load_balancer, vip: vip, role: standby}}
    app-1: {{kind: app_server, group: web, capacity: {capacity}}}
    app-2: {{kind: app_server, group: web, capacity: {capacity}}}
    cache: {{kind: cache, hit_ratio: {hit}}}
    db-1: {{kind: database, cluster: main, capacity: {db_capacity}}}
    db-2: {{kind: database, cluster: main, role: replica, lag: {lag}, replication: {replication}}}
{extra_nodes}
  edges:
    - users -> lb-1
    - lb-1, lb-2 -> app-1, app-2
    - app-1, app-2 -> cache, db-1
{extra_edges}
{rest}
"""


def system(rest: str = "", *, duration=300, read=400, write=100, static=0, capacity=800, hit=0.9,
           db_capacity=2000, lag=2.0, replication="async", regions="main", extra_nodes="", extra_edges=""):
    text = SEED_SYSTEM.format(
        duration=duration, read=read, write=write, static=static, capacity=capacity, hit=hit,
        db_capacity=db_capacity, lag=lag, replication=replication, regions=regions,
        extra_nodes=textwrap.indent(extra_nodes.strip("\n"), "    ") if extra_nodes else "",
        extra_edges=textwrap.indent(extra_edges.strip("\n"), "    ") if extra_edges else "",
        rest=textwrap.dedent(rest),
    )
    return load_scenario_text(text, "behaviour.yaml")


def cmd(name, target=None, **args):
    return build_command(name, target, args)


def test_automatic_failover_costs_about_3_6_seconds():
    """keepalived: master down after 3 adverts (1 s) + skew (256-100)/256 s = 3.609 s of downtime."""
    sim = Simulation(system("""
        automation: {vrrp: {enabled: true}}
        method: [{type: crash, target: lb-1, at: 60}]
    """), seed=1)
    sim.run(300)
    outcome = sim.outcome()
    assert outcome.downtime == pytest.approx(3.609, abs=0.05)
    moved = sim.journal.of_type("VipMoved")
    assert moved[0].t == pytest.approx(63.609, abs=1e-3)
    assert moved[0].data["new"] == "lb-2"


def test_without_vrrp_the_vip_stays_dead_until_a_manual_failover():
    """No adverts: nothing moves the VIP; the outage lasts until the trainee's failover completes (1 s)."""
    sim = Simulation(system("method: [{type: crash, target: lb-1, at: 60}]"), seed=1)
    sim.run(100)
    assert sim.series["availability"][95] == 0.0
    receipt = sim.apply(cmd("failover", "vip"))
    assert receipt.accepted and receipt.completes_at == pytest.approx(101.0)
    sim.run(300)
    assert sim.outcome().downtime == pytest.approx(41.0, abs=0.6)


def test_promoting_an_async_replica_2s_behind_at_100_writes_per_second_loses_about_200_writes():
    """Async lag 2 s x 100 acknowledged writes/s = 200 writes exist only on the dead primary."""
    sim = Simulation(system("method: [{type: crash, target: db-1, at: 60}]"), seed=1)
    sim.run(70)
    preview = sim.preview(cmd("promote", "db-2"))
    assert "loses the 200 writes it never received" in preview.text
    sim.apply(cmd("promote", "db-2"))
    sim.run(300)
    outcome = sim.outcome()
    assert outcome.lost_writes == pytest.approx(200, abs=5)
    assert outcome.rpo == pytest.approx(2.0, abs=0.1)
    assert outcome.phantom_writes == 0


def test_a_sync_standby_loses_no_acknowledged_write():
    """Synchronous commit: a write is acknowledged only once the standby holds it."""
    sim = Simulation(system("method: [{type: crash, target: db-1, at: 60}]", replication="sync"), seed=1)
    sim.run(70)
    sim.apply(cmd("promote", "db-2"))
    sim.run(300)
    assert sim.outcome().lost_writes == 0
    assert sim.outcome().writes_acknowledged > 20000


def test_writes_stall_when_the_only_sync_standby_dies_until_the_mode_is_switched():
    """With synchronous_standby_names naming one dead standby, every commit waits and times out."""
    sim = Simulation(system("method: [{type: crash, target: db-2, at: 60}]", replication="sync"), seed=1)
    sim.run(100)
    assert sim.series["write_error_ratio"][50] == 0.0
    assert all(r == 1.0 for r in sim.series["write_error_ratio"][62:100])
    sim.apply(cmd("replication", "db-2", mode="async"))
    sim.run(140)
    assert all(r < 1e-6 for r in sim.series["write_error_ratio"][105:140])


def test_sync_writes_are_slower_than_async_writes():
    """A synchronous commit waits one extra round trip to the standby."""
    def p50_write_latency(replication):
        sim = Simulation(system(replication=replication, read=0, write=100), seed=1)
        sim.run(30)
        return sim.series["p50"][20]
    assert p50_write_latency("sync") > p50_write_latency("async") + 0.0015


def test_cache_loss_overloads_a_small_database_latency_first_then_errors():
    """400 reads/s at 90 % hits put 40 reads/s on the database; without the cache 400 + 2x10 writes
    exceed its 300 queries/s: the queue grows, latency climbs, and only once waits pass the
    timeouts do requests fail."""
    sim = Simulation(system("method: [{type: crash, target: cache, at: 60}]", write=10, db_capacity=300), seed=1)
    sim.run(200)
    s = sim.series
    baseline = s["p99"][50]
    slow_at = next(i for i in range(60, 200) if s["p99"][i] > 2 * baseline)
    errors_at = next(i for i in range(60, 200) if s["error_ratio"][i] > 0.01)
    assert s["error_ratio"][50] == 0.0
    assert slow_at < errors_at, (slow_at, errors_at)
    assert s["db_load"][100] > 1.0


def test_a_crashed_app_server_gets_traffic_until_health_checks_eject_it():
    """HAProxy inter 2 s, fall 3: a dead backend is marked down after 3 failed checks (4-6 s);
    until then half the requests go to it and fail; afterwards the survivor serves everyone."""
    sim = Simulation(system("method: [{type: crash, target: app-1, at: 60}]"), seed=1)
    sim.run(120)
    down = sim.journal.of_type("BackendMarkedDown")
    assert down and down[0].data["backend"] == "app-1"
    assert 64.0 <= down[0].t <= 66.0 + 1e-9
    assert sim.series["error_ratio"][61] == pytest.approx(0.5, abs=0.02)
    assert sim.series["error_ratio"][80] == 0.0


def test_an_unfenced_old_primary_that_returns_causes_a_split_brain_and_loses_its_writes():
    """Promote db-2 while db-1 is cut off; when the partition heals db-1 still believes it is
    primary and takes half the writes until someone fences it; those writes are lost."""
    sim = Simulation(system("""
        method: [{type: partition, between: ["db-1", "app-1,app-2,db-2"], at: 60, duration: 60}]
    """, lag=0.2), seed=1)
    sim.run(80)
    sim.apply(cmd("promote", "db-2"))
    sim.run(160)
    assert sim.series["split_brain"][130] == 1.0
    sim.apply(cmd("fence", "db-1"))
    sim.run(300)
    outcome = sim.outcome()
    # roughly half of 100 writes/s for the ~40 s split brain, plus the 0.2 s of lag
    assert 1500 < outcome.lost_writes < 2500
    assert outcome.split_brain_seconds == pytest.approx(40, abs=3)
    assert outcome.phantom_writes == 0


def test_fencing_first_avoids_the_split_brain():
    sim = Simulation(system("""
        method: [{type: partition, between: ["db-1", "app-1,app-2,db-2"], at: 60, duration: 60}]
    """, lag=0.2), seed=1)
    sim.run(80)
    sim.apply(cmd("fence", "db-1"))
    sim.run(83)
    sim.apply(cmd("promote", "db-2"))
    sim.run(300)
    outcome = sim.outcome()
    assert outcome.split_brain_seconds == 0
    assert outcome.lost_writes < 40


SERVICE = dict(
    extra_nodes="reco: {kind: service, latency: 0.03}",
    extra_edges="- app-1, app-2 -> reco (soft, share=0.5)",
)


def test_a_dead_optional_service_fails_pages_until_the_feature_is_switched_off():
    """Half the reads call recommendations; while it is down they fail; degraded they are served."""
    sim = Simulation(system("method: [{type: dependency_outage, target: reco, at: 60}]", **SERVICE), seed=1)
    sim.run(90)
    reads_share = 400 / 500
    assert sim.series["error_ratio"][80] == pytest.approx(0.5 * reads_share, abs=0.03)
    sim.apply(cmd("degrade", "reco"))
    sim.run(120)
    assert sim.series["error_ratio"][110] == 0.0
    assert sim.series["degraded"][110] == pytest.approx(200, rel=0.05)


def test_a_slow_dependency_ties_up_workers_and_takes_the_app_down():
    """reco answering in 50 x 30 ms = 1.5 s exceeds its 1 s call timeout: each read that calls it
    holds a worker for 1 s instead of ~0.05 s, so the app's capacity collapses (Little's law)."""
    sim = Simulation(system("method: [{type: slowdown, target: reco, at: 60, factor: 50}]", **SERVICE), seed=1)
    sim.run(150)
    assert sim.series["error_ratio"][50] == 0.0
    assert sim.series["error_ratio"][120] > 0.3
    assert sim.node_metrics["app-1"]["utilisation"] > 1.0


def test_region_shift_follows_the_dns_ttl_and_the_cdn_keeps_static_up():
    """Clients re-resolve over the 60 s TTL: half way through the TTL half the traffic has moved.
    Static content keeps being served by the CDN (stale-if-error) while the origin region is dark."""
    text = """
title: regions
duration: 300
topology:
  regions: [eu, us]
  nodes:
    users: {kind: client, rates: {read: 400, write: 0, static: 200}}
    dns: {kind: dns, ttl: 60, weights: {eu: 1, us: 0}}
    cdn: {kind: cdn, hit_ratio: 0.9}
    lb-eu: {kind: load_balancer, region: eu}
    lb-us: {kind: load_balancer, region: us}
    app-eu: {kind: app_server, region: eu, capacity: 1000}
    app-us: {kind: app_server, region: us, capacity: 1000}
    db: {kind: database, region: eu}
  edges:
    - users -> dns, cdn
    - cdn -> dns
    - dns -> lb-eu, lb-us
    - lb-eu -> app-eu
    - lb-us -> app-us
    - app-eu, app-us -> db
method: [{type: region_outage, target: eu, at: 60}]
"""
    scenario = load_scenario_text(text, "regions.yaml")
    # The database lives in eu too: make the us app read from a us copy instead.
    sim = Simulation(scenario, seed=1)
    sim.run(70)
    assert sim.series["availability"][65] < 0.5
    sim.apply(cmd("shift", "eu", to="us", percent=100))
    sim.run(300)
    weights = [e for e in sim.journal.of_type("DnsWeightsChanged")]
    assert weights and weights[0].t == pytest.approx(72.0)
    # static through the CDN: 90 % hits plus stale-if-error for the misses
    static_ok = sim.series["ok"][65]
    assert static_ok >= 199


def test_dns_ttl_blend_is_linear():
    text = """
title: ttl
duration: 200
topology:
  regions: [eu, us]
  nodes:
    users: {kind: client, rates: {read: 100, write: 0, static: 0}}
    dns: {kind: dns, ttl: 60, weights: {eu: 1, us: 0}}
    lb-eu: {kind: load_balancer, region: eu}
    lb-us: {kind: load_balancer, region: us}
    app-eu: {kind: app_server, region: eu}
    app-us: {kind: app_server, region: us}
  edges:
    - users -> dns
    - dns -> lb-eu, lb-us
    - lb-eu -> app-eu
    - lb-us -> app-us
"""
    sim = Simulation(load_scenario_text(text, "ttl.yaml"), seed=1)
    sim.run(20)
    sim.apply(cmd("shift", "eu", to="us", percent=100))
    sim.run(200)
    us = sim.node_series("app-us", "requests")  # the last 180 s: index i is second i + 20
    # the shift completes at 22 s; at 52 s (half the TTL) about half the requests reach us
    assert us[51 - 20] == pytest.approx(50, abs=3)
    assert us[100 - 20] == pytest.approx(100, abs=1)


def test_flapping_primary_with_preemption_costs_an_outage_per_flap_until_fenced():
    """With preempt on, lb-1 takes the VIP back each time it returns, then dies again: each
    death costs ~3.6 s. Fencing it ends the flapping."""
    def run(fence_at):
        sim = Simulation(system("""
            automation: {vrrp: {enabled: true}}
            method: [{type: flap, target: lb-1, at: 60, period: 20, down_for: 8, duration: 200}]
        """), seed=1)
        if fence_at:
            sim.run(fence_at)
            sim.apply(cmd("fence", "lb-1"))
        sim.run(300)
        return sim.outcome().downtime
    unattended = run(None)
    assert unattended == pytest.approx(10 * 3.6, rel=0.15)
    assert run(90) < unattended / 2


def test_shedding_load_saves_the_rest_under_overload():
    """1,400 req/s against 2 x 500 req/s: without shedding the queues fill and most requests time out;
    shedding 35 % leaves 910 req/s, which the servers handle."""
    def availability(shed):
        sim = Simulation(system(read=1400, write=0, capacity=500, hit=0.99), seed=1)
        if shed:
            sim.apply(cmd("shed", "vip", percent=35))
        sim.run(200)
        return sum(sim.series["availability"][100:200]) / 100
    assert availability(0) < 0.75
    assert availability(35) >= 0.64


def test_scale_out_adds_a_booting_instance_that_joins_after_health_checks():
    sim = Simulation(system(), seed=1)
    sim.run(10)
    receipt = sim.apply(cmd("scale", "web", count=1))
    assert receipt.accepted
    assert "web-3" in sim.nodes
    assert sim.snapshot().node("web-3").state == "booting"
    sim.run(60)
    assert sim.snapshot().node("web-3").state != "booting"
    assert sim.health["lb-1"]["web-3"][0] is True


def test_refusals_say_why():
    sim = Simulation(system("method: [{type: crash, target: db-2, at: 5}]"), seed=1)
    sim.run(10)
    receipt = sim.apply(cmd("promote", "db-2"))
    assert not receipt.accepted and "dead replica" in receipt.reason
    assert sim.journal.of_type("CommandRefused")[-1].data["reason"] == receipt.reason
    assert not sim.apply(cmd("promote", "db-1")).accepted
    assert "no firing alert" in sim.apply(cmd("ack", "Nope")).reason


def test_auto_restart_brings_a_crashed_server_back():
    sim = Simulation(system("""
        automation: {restart: {enabled: true, delay: 20}}
        method: [{type: crash, target: app-1, at: 30}]
    """), seed=1)
    sim.run(120)
    started = sim.journal.of_type("NodeStarted")
    assert started and started[0].t == pytest.approx(30 + 20 + 30)


def test_patroni_style_automation_promotes_the_most_advanced_replica():
    sim = Simulation(system("""
        automation: {db_failover: {enabled: true, ttl: 30}}
        method: [{type: crash, target: db-1, at: 60, duration: 100}]
    """, extra_nodes="db-3: {kind: database, cluster: main, role: replica, lag: 5}"), seed=1)
    sim.run(300)
    promoted = sim.journal.of_type("ReplicaPromoted")
    assert promoted and promoted[0].data["node"] == "db-2"
    assert 90 <= promoted[0].t <= 92
    # the old primary came back and was demoted automatically: no split brain
    assert sim.outcome().split_brain_seconds == 0
    assert sim.nodes["db-1"].role == "replica"


def test_chaos_monkey_kills_from_a_seeded_stream_and_leashed_only_announces():
    rest = """
        chaos: {start: 10, mean_time_between_kills: 30, min_time_between_kills: 10, grouping: [web]%s}
        automation: {restart: {enabled: true, delay: 5}}
    """
    sim = Simulation(system(rest % ""), seed=4)
    sim.run(300)
    kills = [e for e in sim.journal.of_type("FaultInjected") if e.data["fault"] == "chaos_kill"]
    assert 4 <= len(kills) <= 20
    gaps = [b.t - a.t for a, b in zip(kills, kills[1:])]
    assert min(gaps) >= 10
    leashed = Simulation(system(rest % ", leashed: true"), seed=4)
    leashed.run(300)
    assert not leashed.journal.of_type("NodeCrashed")
    assert len(leashed.journal.of_type("ChaosKillAnnounced")) == len(kills)


def test_run_never_goes_past_the_duration_and_time_is_sliced():
    sim = Simulation(system(duration=50), seed=1)
    sim.run(10.25)
    assert sim.now == pytest.approx(10.25)
    sim.advance(1000)
    assert sim.now == 50 and sim.finished
    assert sim.journal[-1].type == "DrillEnded"
    assert not sim.apply(cmd("restart", "app-1")).accepted


def test_a_restart_completes_when_the_node_has_booted():
    sim = Simulation(system("method: [{type: crash, target: app-1, at: 5}]"), seed=1)
    sim.run(10)
    receipt = sim.apply(cmd("restart", "app-1"))
    assert receipt.completes_at == pytest.approx(10 + 30)
    sim.run(45)
    done = [e for e in sim.journal.of_type("CommandCompleted") if e.data["command"] == "restart"]
    assert done and done[0].t == pytest.approx(40)


def test_a_dependency_outage_is_not_fixed_by_restarting_our_side():
    sim = Simulation(system("method: [{type: dependency_outage, target: reco, at: 10, duration: 100}]", **SERVICE), seed=1)
    sim.run(20)
    receipt = sim.apply(cmd("restart", "reco"))
    assert not receipt.accepted and "provider" in receipt.reason
    assert sim.snapshot(view="truth").node("reco").state == "down"
    sim.run(120)
    assert sim.snapshot(view="truth").node("reco").state != "down"


def test_read_only_mode_takes_the_writes_off_the_database():
    def db_load(read_only):
        sim = Simulation(system(read=200, write=200), seed=1)
        if read_only:
            sim.apply(cmd("read-only", "db-1", enabled=True))
        sim.run(30)
        return sim.series["db_load"][25]
    assert db_load(True) < db_load(False) / 2


def test_a_repeating_trigger_acts_on_every_matching_event():
    from engine.sim.actions import ActionDriver
    from engine.scenario.schema import ActionScript

    scenario = system("""
        method: [{type: flap, target: app-1, at: 20, period: 60, down_for: 20, duration: 200}]
    """)
    sim = Simulation(scenario, seed=1)
    script = ActionScript.model_validate(
        {"steps": [{"trigger": {"node": "app-1"}, "after": 1, "command": "drain", "target": "app-2", "repeat": True}]}
    )
    ActionDriver(sim, script).install()
    sim.run(300)
    issued = [e for e in sim.journal.of_type("CommandIssued", "CommandRefused") if e.data["command"] == "drain"]
    assert len(issued) >= 3  # once per crash of app-1 (later ones refused: already drained)


def test_spof_hunt_marks_before_the_failures_and_is_scored_against_the_analysis():
    from engine.analysis.hunt import score_hunt
    from engine.scenario.loader import load_scenario

    scenario = load_scenario("spof-baseline")
    assert scenario.spof_hunt
    sim = Simulation(scenario, seed=1)
    sim.run(5)
    assert sim.apply(cmd("mark", "lb-1")).accepted
    assert sim.apply(cmd("mark", "app-1")).accepted
    assert sim.apply(cmd("mark", "app-1")).accepted  # marking again takes the mark back
    assert sim.apply(cmd("mark", "cache")).accepted
    assert sim.marks == {"lb-1", "cache"}
    assert sim.snapshot().node("lb-1").marked
    sim.run(120)
    refused = sim.apply(cmd("mark", "db-1"))
    assert not refused.accepted and "failures have started" in refused.reason
    result = score_hunt(scenario, sim.marks)
    assert result.right == ("lb-1",) and result.missed == ("db-1",) and result.false_alarms == ("cache",)
    assert result.score == pytest.approx(100 / 3, abs=0.1)
    assert "reads go to the database" in result.reasons["cache"]


def test_marking_is_refused_where_there_is_no_hunt():
    sim = Simulation(system(), seed=1)
    receipt = sim.apply(cmd("mark", "lb-1"))
    assert not receipt.accepted and "no SPOF hunt" in receipt.reason


def _with_pricing(dependency: str, rest: str = "") -> Simulation:
    """The seed system whose reads all call a pricing service, which calls its own database."""
    return Simulation(system(rest, extra_nodes="""
pricing: {kind: service, capacity: 3000, latency: 0.01}
pricing-db: {kind: database, cluster: prices, capacity: 3000}
""", extra_edges=f"""
- app-1, app-2 -> pricing
- {dependency}
"""), seed=1)


def test_a_service_needs_what_it_calls_and_loads_it():
    sim = _with_pricing("pricing -> pricing-db", """
        method: [{type: crash, target: pricing-db, at: 100}]
    """)
    sim.run(90)
    assert sim.node_metrics["pricing-db"]["requests"] == pytest.approx(400, rel=0.05)  # every read's pricing call
    healthy_p50 = sim.series["p50"][-1]
    sim.run(300)
    outcome = sim.outcome()
    # reads (4 in 5 requests) fail while pricing's database is down; writes do not call pricing
    assert outcome.downtime == pytest.approx(200 * 0.8, rel=0.05)
    assert sim.series["write_error_ratio"][-1] == 0.0
    assert healthy_p50 > 0.01  # the service's own call is in the users' latency


def test_a_soft_dependency_of_a_service_does_not_fail_its_answers():
    sim = _with_pricing("pricing -> pricing-db (soft)", """
        method: [{type: crash, target: pricing-db, at: 100}]
    """)
    sim.run(300)
    assert sim.outcome().downtime == pytest.approx(0.0, abs=0.5)


def test_a_service_follows_its_database_cluster_through_a_promotion():
    sim = Simulation(system("""
        automation: {db_failover: {enabled: true, ttl: 10}}
        method: [{type: crash, target: pricing-db, at: 100}]
    """, extra_nodes="""
pricing: {kind: service, capacity: 3000}
pricing-db: {kind: database, cluster: prices, capacity: 3000}
pricing-db-2: {kind: database, cluster: prices, role: replica, lag: 0.1}
""", extra_edges="""
- app-1, app-2 -> pricing
- pricing -> pricing-db
"""), seed=1)
    sim.run(300)
    down = sim.outcome().downtime
    assert 5 < down < 40  # the leader key's 10 s and the promotion, not the rest of the drill
    assert sim.node_metrics["pricing-db-2"]["requests"] > 300


def test_an_alert_window_averages_a_flapping_metric_so_for_does_not_reset():
    from engine.sim.alerts import AlertEvaluator
    from engine.scenario.schema import AlertRule, Alerts, Slo

    def fired(window: float) -> float | None:
        rule = AlertRule.model_validate({"name": "Errors", "metric": "error_ratio", "scope": "global",
                                         "threshold": 0.05, "for": 10, "window": window})
        evaluator = AlertEvaluator(Alerts(defaults=False, rules=[rule]), Slo(), {})
        for t in range(1, 61):  # 20 % errors every other second: 10 % on average
            for change, alert in evaluator.evaluate(float(t), {"error_ratio": 0.2 if t % 2 else 0.0}, {}):
                if change == "fired":
                    return float(t)
        return None

    assert fired(0) is None  # every good second resets the 'for' clock
    at = fired(30)
    assert at is not None and 10 <= at <= 13  # the 30 s mean (10 %) is over 5 % from the first second on


def test_time_to_mitigate_counts_each_incident_not_the_quiet_time_between():
    from engine.scoring.outcome import time_to_mitigate

    bad = [False] * 600
    for second in list(range(61, 81)) + list(range(301, 341)):  # two incidents, 20 s and 40 s of bad seconds
        bad[second] = True
    assert time_to_mitigate(bad, [60.5, 300.2], hold=30) == pytest.approx((81 - 60.5) + (341 - 300.2))
    # one fault: from the fault to the end of the last bad second, a relapse included
    assert time_to_mitigate(bad, [60.5], hold=30) == pytest.approx(341 - 60.5)
    # a relapse closer than the hold is the same episode; a second fault inside an incident belongs to it
    close = [False] * 600
    for second in list(range(61, 81)) + list(range(90, 100)):
        close[second] = True
    assert time_to_mitigate(close, [60.5, 85.0], hold=30) == pytest.approx(100 - 60.5)
    # never mitigated: the drill ends bad, or fewer than `hold` good seconds follow
    assert time_to_mitigate(bad[:350], [60.5, 300.2], hold=30) is None
    assert time_to_mitigate([False] * 600, [60.5], hold=30) == 0.0
