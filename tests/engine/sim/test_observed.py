"""Observed visibility: the trainee sees what monitoring sees, when it sees it (issue 13).

Every expected time is derived in the test's docstring from the scrape interval
(15 s unless the scenario says), the components' scrape offsets (each scraped at
its own whole second within the interval), the load balancers' health checks
(HAProxy's inter 2 s, fall 3) and the alert rules' ``for``.
"""

from __future__ import annotations

import pytest

from engine.commands import build_command
from engine.scoring.detect import related_components, time_to_detect
from engine.sim.journal import Entry
from engine.sim.simulation import Simulation
from tests.engine.sim.test_behaviour import system


def _scrape_after(sim: Simulation, name: str, t: float) -> float:
    """The first scrape of ``name`` after ``t``: its next scheduled scrape, in steps of the interval."""
    observer = sim.monitoring.observer
    due = observer.next_scrape(name)
    assert due is not None
    while due <= t:
        due += observer.interval
    while due - observer.interval > t:
        due -= observer.interval
    return due


def test_a_crash_shows_as_no_data_at_the_next_scrape_and_not_before():
    """lb-1 crashes at 60.5 s. Monitoring scrapes lb-1 every 15 s, at whole seconds; the first scrape
    after the crash, T, lies in (60.5, 75.5]. Until T the trainee sees lb-1 healthy, as before; at T
    the scrape is refused (the process is gone, the host answers): "no data", last scraped T - 15.
    InstanceDown for load balancers needs up < 1 for 10 s: pending at T, firing at T + 10, not before.
    The truth says "down" from 60.5 on."""
    sim = Simulation(system("method: [{type: crash, target: lb-1, at: 60.5}]"), seed=3)
    sim.run(60)
    T = _scrape_after(sim, "lb-1", 60.5)
    assert 60.5 < T <= 75.5 and T == int(T)
    sim.run(61)
    assert sim.snapshot(view="truth").node("lb-1").state == "down"
    t = 61.0
    while t < T:
        view = sim.snapshot().node("lb-1")
        assert view.state == "healthy" and view.up, t
        t += 0.5
        sim.run(t)
    sim.run(T + 0.5)  # the scrape at T happens when the second closing at T is processed
    view = sim.snapshot().node("lb-1")
    assert view.state == "no data" and not view.up
    assert view.reason == "scrape failed: connection refused"
    assert view.seen_at == T - 15
    assert dict(view.metrics) == {"up": 0.0}
    observed = [e for e in sim.journal.of_type("Observed") if e.data["node"] == "lb-1"]
    assert observed[0].t == T and observed[0].data["state"] == "no data"
    sim.run(T + 9.5)
    assert "InstanceDown:lb-1" not in {a.id for a in sim.snapshot().firing()}
    sim.run(T + 10.5)
    assert "InstanceDown:lb-1" in {a.id for a in sim.snapshot().firing()}
    fired = [e for e in sim.journal.of_type("AlertFired") if e.data["alert"] == "InstanceDown:lb-1"]
    assert fired[0].t == T + 10


def test_with_truth_visibility_the_crash_shows_at_once_and_the_alert_follows_the_truth():
    """visibility: truth: lb-1 reads "down" from the crash (60.5 s); the rule sees the true `up` every
    second, so InstanceDown is pending from the second closing at 61 and fires at 61 + 10 = 71."""
    sim = Simulation(system("visibility: truth\nmethod: [{type: crash, target: lb-1, at: 60.5}]"), seed=3)
    sim.run(60.6)
    assert sim.snapshot().visibility == "truth"
    assert sim.snapshot().node("lb-1").state == "down"
    sim.run(80)
    fired = [e for e in sim.journal.of_type("AlertFired") if e.data["alert"] == "InstanceDown:lb-1"]
    assert fired[0].t == 71.0
    assert not sim.journal.of_type("Observed")  # nothing to set beside the truth: it was shown


def test_a_crashed_app_server_shows_down_when_the_load_balancer_marks_it_down():
    """app-1 crashes at 60.5 s. lb-1 checks it every 2 s; the third failed check in a row marks it down
    (fall 3): 4 s after the first failed check, which falls in (60.5, 62.5], so at some c3 in
    (64.5, 66.5]. From then the trainee sees app-1 "down" with HAProxy's reason, whatever its
    scrape says (a refused TCP connection: the host is up, the process is not)."""
    sim = Simulation(system("method: [{type: crash, target: app-1, at: 60.5}]"), seed=5)
    sim.run(70)
    marked = [e for e in sim.journal.of_type("BackendMarkedDown") if e.data["backend"] == "app-1"]
    c3 = marked[0].t
    assert 64.5 < c3 <= 66.5
    view = sim.snapshot().node("app-1")
    assert view.state == "down"
    assert view.reason == "health checks failing: Layer4 connection problem: Connection refused"


def test_a_partitioned_database_looks_healthy_to_monitoring_while_the_app_servers_fail():
    """A partition cuts app-1 and app-2 off db-1 at 60.5 s. Monitoring runs outside the regions and
    still reaches db-1: it reads healthy (the app servers' queries never arrive, so it has no errors
    and no load) for the rest of the drill. Every write and cache miss of the app servers fails
    (writes are 100 of 500 req/s, so at least 20 % of requests): from the first scrape of the global
    metrics after the partition (at 75 s) the error ratio reads above 5 %, and each app server
    shows something wrong (degraded with its failure share, or down by the health checks) at
    some point within the next scrape intervals."""
    sim = Simulation(system("method: [{type: partition, between: ['app-1,app-2', db-1], at: 60.5}]"), seed=2)
    wrong: dict[str, set[str]] = {"app-1": set(), "app-2": set()}
    t = 61.0
    while t <= 120:
        sim.run(t)
        snap = sim.snapshot()
        assert snap.node("db-1").state == "healthy", t
        if t >= 76:
            assert snap.metric("error_ratio") > 0.05, t
        for app in wrong:
            view = snap.node(app)
            if view.state != "healthy":
                wrong[app].add(view.state)
                assert view.reason.endswith("of requests fail") or view.reason.startswith("health checks failing")
        t += 1.0
    assert all(states & {"degraded", "down"} for states in wrong.values()), wrong


def test_a_broken_replica_shows_the_position_replication_stopped_at():
    """Replication to db-2 breaks at 60.5 s: it applies nothing after that, so its position is frozen
    at what it had applied. At its next scrape (at most 15 s later) it reads "degraded" with
    "replication stopped at position N", N the writes it holds, and the replication edge is broken."""
    sim = Simulation(system("method: [{type: replication_break, target: db-2, at: 60.5}]"), seed=4)
    sim.run(60.5 + 20)
    n = sim.nodes["db-2"].applied
    assert n > 0
    view = sim.snapshot().node("db-2")
    assert view.state == "degraded"
    assert view.reason == f"replication stopped at position {n:,}"
    edge = [e for e in sim.snapshot().edges if e.kind == "replication" and e.target == "db-2"][0]
    assert edge.broken


def test_charts_and_score_stop_at_the_last_scrape_of_the_global_metrics():
    """The global series are scraped every 15 s, at 15, 30, 45 ...: at 100.4 s the charts end at 90 s
    (as_of), with exactly the truth's first 90 seconds, and the score is the outcome's at 90 s."""
    scenario = system("method: [{type: crash, target: lb-1, at: 80.5}]")
    sim = Simulation(scenario, seed=1)
    sim.run(90.2)  # traffic integrated up to 90.0
    from engine.scoring.score import score_outcome
    at_90 = score_outcome(sim.outcome(), scenario).score
    sim.run(100.4)
    snap = sim.snapshot()
    truth = sim.snapshot(view="truth")
    assert snap.as_of == 90.0 and truth.as_of == 100.4
    assert snap.series("availability") == truth.series("availability")[:90]
    assert snap.metric("availability") == truth.series("availability")[89]
    assert snap.score == at_90 and truth.score < at_90


def test_a_node_trigger_fires_when_monitoring_shows_the_node_down():
    """An action script step `{trigger: {node: lb-1}}` reacts to what the trainee could see: lb-1's
    first failed scrape after the crash (T), not the crash itself (60.5 s)."""
    scenario = system("""
        method: [{type: crash, target: lb-1, at: 60.5}]
        reference_solution:
          - {trigger: {node: lb-1}, after: 0, command: failover, target: vip}
    """)
    from engine.sim.actions import ActionDriver
    sim = Simulation(scenario, seed=3)
    ActionDriver(sim, scenario.reference_solution).install()
    sim.run(60)
    T = _scrape_after(sim, "lb-1", 60.5)
    sim.run(120)
    issued = sim.journal.of_type("CommandIssued")
    assert issued[0].t == T


def _entry(seq: int, t: float, kind: str, **data) -> Entry:
    return Entry(seq, t, kind, True, data)


def test_time_to_detect_counts_relevant_actions_only():
    """docs/scoring.md: from the first fault (lb-1 at 60 s) to the first acknowledgement of an alert
    about lb-1 (or a related component, or a global one), the first investigation of a related
    component, or the first command that changes the system. Acknowledging an alert about app-1
    (a red herring) at 70 s and revealing a hint at 75 s do not count; investigating lb-2 (lb-1's
    VIP partner) at 80 s does: 80 - 60 = 20 s."""
    scenario = system()
    assert related_components(scenario, ["lb-1"]) == {"lb-1", "lb-2"}
    assert related_components(scenario, ["app-2"]) == {"app-1", "app-2"}
    assert related_components(scenario, ["db-2"]) == {"db-1", "db-2"}
    base = [
        _entry(0, 50, "AlertFired", alert="Saturated:app-1", node="app-1"),
        _entry(1, 60, "FaultInjected", fault="crash", target="lb-1"),
        _entry(2, 65, "AlertFired", alert="InstanceDown:lb-1", node="lb-1"),
        _entry(3, 70, "AlertAcknowledged", alert="Saturated:app-1"),
        _entry(4, 75, "CommandIssued", command="hint", target=None, args={}),
    ]
    assert time_to_detect(scenario, base) is None
    unknown = [_entry(5, 80, "CommandIssued", command="_no_such_", target="lb-2", args={})]
    assert time_to_detect(scenario, base + unknown) is None
    healthy = [_entry(5, 78, "CommandIssued", command="logs", target="db-1", args={})]
    assert time_to_detect(scenario, base + healthy) is None  # investigating a healthy component
    probe = [_entry(5, 80, "CommandIssued", command="logs", target="lb-2", args={})]
    assert time_to_detect(scenario, base + probe) == 20.0
    named = [_entry(5, 81, "CommandIssued", command="probe", target="app-1", args={"to": "lb-1"})]
    assert time_to_detect(scenario, base + named) == 21.0  # the component a probe names counts too
    # a mitigating command counts whatever its target
    act = [_entry(5, 90, "CommandIssued", command="restart", target="app-2", args={})]
    assert time_to_detect(scenario, base + act) == 30.0
    ack = [_entry(5, 66, "AlertAcknowledged", alert="InstanceDown:lb-1")]
    assert time_to_detect(scenario, base + ack) == 6.0
    glob = [_entry(5, 67, "AlertFired", alert="HighErrorRate", node=None), _entry(6, 68, "AlertAcknowledged", alert="HighErrorRate")]
    assert time_to_detect(scenario, base + glob) == 8.0


def test_time_to_detect_of_a_region_fault_covers_the_region():
    """A region outage hits every component of the region: an alert about any of them points at it."""
    scenario = system(regions="eu, us", extra_nodes="app-3: {kind: app_server, region: us}")
    assert "app-3" in related_components(scenario, ["us"])
    assert "app-1" not in related_components(scenario, ["us"])


def test_the_detection_path_sets_the_truth_beside_what_monitoring_showed():
    """lb-1 crashes at 60.5 s; its first scrape after the crash (T, in (60.5, 75.5]) shows "no data".
    The first alert is the global burn rate (for: 0) at the first scrape of the global metrics after
    the crash, 75 s: the last 60 s hold 14.5 s of failures, 24 % errors = 24 × the 1 % budget > 14.4.
    InstanceDown fires at T + 10; the trainee acknowledges it 5 s after that: the path reads
    crash 60.5 → seen T → alert 75 → acted T + 15, and time to detect is T + 15 - 60.5."""
    from engine.scoring.detect import detection_path
    scenario = system("method: [{type: crash, target: lb-1, at: 60.5}]")
    sim = Simulation(scenario, seed=3)
    sim.run(60)
    T = _scrape_after(sim, "lb-1", 60.5)
    sim.run(T + 15)
    assert sim.apply(build_command("ack", "InstanceDown:lb-1")).accepted
    sim.run(T + 20)
    [path] = detection_path(scenario, list(sim.journal))
    assert path.fault == "crash lb-1" and path.t == 60.5
    assert path.seen == (T, "lb-1 no data")
    assert path.alert == (75.0, "SLOBurnRate")
    assert path.acted == (T + 15, "acknowledged InstanceDown:lb-1")
    assert sim.outcome().time_to_detect == pytest.approx(T + 15 - 60.5)


def test_the_postmortem_sets_each_fault_beside_what_monitoring_showed():
    """The postmortem's Detection section names the fault, its first sign on monitoring, the first
    alert and the responder's first relevant action (the same path as the debrief's), blamelessly."""
    from engine.records.postmortem import postmortem_markdown
    from engine.scenario.loader import load_scenario
    from engine.sim.runner import run_with_par
    scenario = load_scenario("lb-failover")
    md = postmortem_markdown(run_with_par(scenario, 0, scenario.reference_solution))
    section = md[md.index("## Detection"):md.index("## Contributing factors")]
    assert "crash lb-1 (hidden during the drill)" in section
    assert "monitoring showed it" in section and "lb-1 no data" in section
    assert "the responder acted" in section and "InstanceDown:lb-1" in section
