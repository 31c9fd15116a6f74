"""What-if simulation of each component's failure, and the `spofdrill analyze` command."""

from __future__ import annotations

import json

from engine.analysis.structure import analyze
from engine.cli.main import main
from engine.scenario.loader import load_scenario
from engine.analysis.whatif import what_if


def test_the_seed_system_what_if_matches_the_textbook():
    """The load balancer and the database stop the system, the cache only loads the database, app servers are harmless."""
    scenario = load_scenario("spof-baseline")
    impacts = {w.component: w for w in what_if(scenario, list(analyze(scenario).components), workers=1)}
    assert impacts["lb-1"].status == "spof" and impacts["lb-1"].availability < 0.05
    assert impacts["db-1"].status == "spof" and "writes fail" in impacts["db-1"].reason
    assert impacts["cache"].status == "degrading" and "database load" in impacts["cache"].reason
    assert impacts["app-1"].status == impacts["app-2"].status == "harmless"


def test_automation_shows_up_as_a_disagreement_with_the_graph():
    """db-1 has promotable replicas (not a SPOF on the graph), but with nobody to promote one, writes stop."""
    scenario = load_scenario("db-primary-async")
    graph = analyze(scenario)
    assert graph.of("db-1").status != "spof"
    (impact,) = what_if(scenario, ["db-1"], workers=1)
    assert impact.status == "spof"


def test_analyze_prints_a_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "analysis.json"
    assert main(["analyze", "spof-baseline", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "lb-1" in text and "SPOF (read, write, static)" in text
    assert "minimal cut sets" in text and "nines" in text
    assert "disagree" not in text  # on the seed system the graph and the simulation agree
    doc = json.loads(out.read_text())
    assert set(doc["spofs"]) == {"lb-1", "db-1"}
    assert doc["what_if"]["cache"]["status"] == "degrading"


def test_analyze_reports_disagreements(capsys):
    assert main(["analyze", "db-primary-async", "--chaos-days", "0"]) == 0
    text = capsys.readouterr().out
    assert "disagree" in text and "db-1: the graph says harmless" in text


def test_analyze_without_simulation_and_bad_input(capsys):
    assert main(["analyze", "lb-failover", "--no-simulation"]) == 0
    assert "what if" not in capsys.readouterr().out
    assert main(["analyze", "no-such-scenario"]) == 2
    assert "unknown scenario" in capsys.readouterr().err


def test_suggestions_remove_the_seed_systems_spofs_and_say_what_they_buy():
    from engine.analysis.suggest import suggestions

    scenario = load_scenario("spof-baseline")
    advice, unmodelled = suggestions(scenario)
    by = {item.component: item for item in advice}
    assert set(by) == {"lb-1", "db-1"} and not unmodelled
    assert not by["lb-1"].still_spof and by["lb-1"].what_if_after.startswith("harmless")
    assert not by["db-1"].still_spof
    assert by["db-1"].availability_after > by["db-1"].availability_before
    # an async replica with automatic promotion still loses its lag's worth of writes: measured, not assumed
    assert by["db-1"].what_if_after.startswith(("degrading", "harmless"))


def test_a_spof_without_a_modelled_remedy_is_reported_as_such():
    from engine.analysis.suggest import suggestions

    advice, unmodelled = suggestions(load_scenario("region-outage"), simulate=False)
    assert any(line.startswith("cdn:") for line in unmodelled)


def test_blast_radius_from_dominators_respects_failover_paths():
    from engine.analysis.blast import blast_radii

    seed_system = blast_radii(load_scenario("spof-baseline"))
    assert seed_system["lb-1"] == ("app-1", "app-2", "cache", "db-1")
    assert seed_system["app-1"] == () and seed_system["cache"] == ()
    # a standby sharing the VIP gives traffic another way in: nothing is cut off with lb-1
    assert all(not cut for cut in blast_radii(load_scenario("lb-failover")).values())
    # promotable replicas survive their primary; a replica outside the failover set does not
    assert blast_radii(load_scenario("db-primary-async"))["db-1"] == ()
    assert blast_radii(load_scenario("region-outage"))["db-eu-1"] == ("db-eu-2",)


def _edited(name: str, edit):
    from engine.scenario.schema import Scenario

    data = load_scenario(name).model_dump(mode="json", by_alias=True, exclude_none=True)
    edit(data["topology"])
    return Scenario.model_validate(data)


def test_a_second_dns_provider_removes_the_dns_spof_and_resolvers_really_fail_over():
    from engine.analysis.suggest import suggestions

    scenario = load_scenario("region-outage")
    advice, unmodelled = suggestions(scenario)
    dns = {item.component: item for item in advice}["dns"]
    assert "second DNS provider" in dns.change and not dns.still_spof
    assert dns.what_if_before.startswith("spof") and dns.what_if_after.startswith("harmless")
    assert dns.availability_after > dns.availability_before
    # the CDN has no modelled change, and says why
    assert any(line.startswith("cdn:") and "not model" in line for line in unmodelled)


def test_a_lone_app_server_gets_a_twin_and_a_hard_dependency_a_fallback():
    from engine.analysis.suggest import suggestions

    def one_app(topology):
        del topology["nodes"]["app-2"]
        topology["edges"] = [e for e in topology["edges"] if "app-2" not in (e["from"], e["to"])]

    advice, _ = suggestions(_edited("spof-baseline", one_app))
    app = {item.component: item for item in advice}["app-1"]
    assert "second app server" in app.change and not app.still_spof
    assert app.what_if_before.startswith("spof") and not app.what_if_after.startswith("spof")

    def hard_recs(topology):
        for edge in topology["edges"]:
            if edge["to"] == "recs":
                edge.update(required=True, share=1.0)

    advice, _ = suggestions(_edited("recs-outage", hard_recs))
    recs = {item.component: item for item in advice}["recs"]
    assert "optional with a fallback" in recs.change and not recs.still_spof
    assert recs.what_if_before.startswith("spof") and not recs.what_if_after.startswith("spof")


def test_pairs_of_failures_find_the_double_faults_the_cut_sets_name(tmp_path, capsys):
    from engine.analysis.whatif import what_if_pairs

    scenario = load_scenario("spof-baseline")
    analysis = analyze(scenario)
    singles = {w.component: w for w in what_if(scenario, list(analysis.components), workers=1)}
    cut_pairs = {frozenset(c) for c in analysis.cut_sets if len(c) == 2}
    pairs = {frozenset(p.pair): p for p in what_if_pairs(scenario, singles, cut_pairs, workers=1)}
    # the SPOFs alone are left out; of the rest, only both app servers together stop the system
    assert set(pairs) == {frozenset(p) for p in (("app-1", "app-2"), ("app-1", "cache"), ("app-2", "cache"))}
    both = pairs[frozenset(("app-1", "app-2"))]
    assert both.worse and both.cut_set and both.impact.status == "spof"
    assert not pairs[frozenset(("app-1", "cache"))].worse
    out = tmp_path / "a.json"
    assert main(["analyze", "spof-baseline", "--chaos-days", "0", "--json", str(out)]) == 0
    assert "stop the system together (the cut sets say so too): [app-1, app-2]" in capsys.readouterr().out
    assert len(json.loads(out.read_text())["what_if_pairs"]) == 3
    assert main(["analyze", "spof-baseline", "--chaos-days", "0", "--no-pairs"]) == 0
    assert "pairs failing together" not in capsys.readouterr().out
