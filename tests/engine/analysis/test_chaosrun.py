"""Availability measured by a seeded chaos run, beside the block diagram, with the gap explained."""

from __future__ import annotations

import json

import pytest

from engine.analysis.reliability import ComponentReliability
from engine.analysis.chaosrun import CAP, DAY, LEAD, SETTLE, Outage, chaos_availability, diagram_downtime, request_shares, schedule, windows
from engine.cli.main import main
from engine.scenario.loader import load_scenario
from engine.analysis.suggest import with_change


def test_the_outage_schedule_is_seeded_and_follows_mtbf_and_mttr() -> None:
    parts = [ComponentReliability("a", "app_server", 100.0, 2.0, "scenario"),
             ComponentReliability("b", "database", 50.0, 1.0, "scenario")]
    first = schedule(parts, 2000.0, seed=3)
    assert first == schedule(parts, 2000.0, seed=3) and first != schedule(parts, 2000.0, seed=4)
    per = {name: [o for o in first if o.component == name] for name in ("a", "b")}
    # 2,000 days = 48,000 h: about 48,000 / (100 + 2) failures of a, 48,000 / 51 of b
    assert 400 < len(per["a"]) < 560 and 820 < len(per["b"]) < 1060
    assert 1.7 < sum(o.repair for o in per["a"]) / len(per["a"]) / 3600 < 2.3
    for outs in per.values():  # one component is never down twice at once
        assert all(x.end <= y.start for x, y in zip(outs, outs[1:]))
    assert all(0 <= o.start < 2000.0 * DAY for o in first)


def test_close_outages_share_a_window_and_distant_ones_do_not() -> None:
    a = Outage("a", 1000.0, 100.0)
    b = Outage("b", 1100.0 + SETTLE + LEAD - 1, 50.0)  # starts before a's window has settled
    c = Outage("c", 10_000.0, 10.0)
    assert windows([c, b, a]) == [[a, b], [c]]


def test_the_diagram_counts_a_spof_outage_by_its_share_of_requests() -> None:
    scenario = load_scenario("spof-baseline")
    shares = request_shares(scenario)
    assert sum(shares.values()) == pytest.approx(1.0)
    from engine.analysis.structure import Structure

    structures = {kind: Structure(scenario).served(kind) for kind in shares}
    assert diagram_downtime([Outage("lb-1", 0.0, 600.0)], structures, shares) == pytest.approx(600.0)
    assert diagram_downtime([Outage("db-1", 0.0, 600.0)], structures, shares) == pytest.approx(600.0 * shares["write"])
    assert diagram_downtime([Outage("app-1", 0.0, 600.0)], structures, shares) == 0.0
    # both app servers down at once for 100 s of the 600: the diagram loses every request for those 100 s
    both = [Outage("app-1", 0.0, 600.0), Outage("app-2", 500.0, 200.0)]
    assert diagram_downtime(both, structures, shares) == pytest.approx(100.0)


def test_detection_is_the_gap_for_a_redundant_app_server_and_a_spof_costs_its_whole_repair() -> None:
    scenario = load_scenario("spof-baseline")
    outages = [Outage("app-1", 1000.0, 1200.0), Outage("lb-1", 50_000.0, 2 * CAP + 300.0)]
    measured = chaos_availability(scenario, days=1.0, outages=outages, workers=1)
    by = {c.component: c for c in measured.components}
    # the app server: the diagram says nothing is lost; the health checks (fall 3 × 2 s) take seconds
    assert by["app-1"].diagram == 0.0 and 0.5 < by["app-1"].downtime < 8.0
    assert "health checks" in by["app-1"].cause
    # the load balancer: down for its whole repair in both, the long middle extrapolated from its steady state
    assert by["lb-1"].diagram == pytest.approx(2 * CAP + 300.0)
    assert by["lb-1"].downtime == pytest.approx(by["lb-1"].diagram, rel=0.01)
    assert "as the diagram says" in by["lb-1"].cause
    assert measured.availability < measured.diagram_availability < 1.0


def test_automatic_promotion_costs_detection_time_and_async_writes_the_diagram_ignores() -> None:
    scenario, _ = with_change(load_scenario("spof-baseline"), "db-1")
    measured = chaos_availability(scenario, days=1.0, outages=[Outage("db-1", 1000.0, 1800.0)], workers=1)
    db = {c.component: c for c in measured.components}["db-1"]
    assert db.diagram == 0.0  # a promotable replica: redundancy to the diagram
    assert db.downtime > 0 and db.lost_writes > 0
    assert "leader key" in db.cause and "writes lost" in db.cause
    assert measured.lost_writes == db.lost_writes


def test_the_chaos_run_is_reproducible_and_uses_both_cores_to_the_same_result() -> None:
    scenario = load_scenario("spof-baseline")
    one = chaos_availability(scenario, days=400.0, seed=2, workers=1)
    two = chaos_availability(scenario, days=400.0, seed=2, workers=2)
    assert one == two and one.outages > 0


def test_analyze_shows_the_measured_availability_beside_the_diagram(tmp_path, capsys) -> None:
    out = tmp_path / "a.json"
    assert main(["analyze", "spof-baseline", "--chaos-days", "365", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "availability measured by a chaos run (365 simulated days, seed 0" in text
    assert "block diagram, the same outages" in text and "where the gap comes from" in text
    doc = json.loads(out.read_text())["chaos_availability"]
    assert doc["days"] == 365 and 0.99 < doc["availability"] <= doc["diagram_availability_same_outages"]
    assert main(["analyze", "spof-baseline", "--chaos-days", "0", "--no-pairs"]) == 0
    assert "chaos run" not in capsys.readouterr().out
    assert main(["analyze", "spof-baseline", "--chaos-days", "-1"]) == 2
    assert "--chaos-days must be 0 (no chaos run) or more" in capsys.readouterr().err
