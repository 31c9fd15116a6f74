"""``spofdrill generate``: candidates from the analysis, references from the topology, only fair drills written.

The small architecture below has one of each thing the generator knows: a
lone load balancer (a SPOF), three app servers (no SPOF, no pair: any one
serves), a primary database with two promotable replicas and automatic
failover off (a manual promotion; the least lagged replica is declared
last, so order does not decide), a cache the database can do without (a
deliberately harmless candidate) and an optional service behind soft calls.
It is generated once per module over 2 seeds; one drill is checked over 20.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.analysis.calibration import scenario_hash
from engine.analysis.check import check
from engine.analysis.generate import candidates, drill_for, generate
from engine.analysis.generate.output import body, split, write_calibration, write_drill
from engine.analysis.structure import analyze
from engine.cli.main import main
from engine.scenario.loader import load_scenario, load_scenario_text
from tests.support import load_builtin

SHOP = """\
title: Tiny shop
architecture: Tiny Shop
topology:
  nodes:
    users: {kind: client, rates: {read: 400, write: 100, static: 50}}
    lb: {kind: load_balancer}
    app-1: {kind: app_server, group: web}
    app-2: {kind: app_server, group: web}
    app-3: {kind: app_server, group: web}
    cache: {kind: cache}
    db-1: {kind: database, cluster: orders, role: primary}
    db-2: {kind: database, cluster: orders, role: replica, lag: 2.5, apply_rate: 400}
    db-3: {kind: database, cluster: orders, role: replica, lag: 0.3}
    recs: {kind: service, feature: recommendations}
  edges:
    - users -> lb
    - lb -> app-1, app-2, app-3
    - app-1, app-2, app-3 -> cache, db-1
    - app-1, app-2, app-3 -> recs (soft, share=0.6)
"""

SEEDS = range(2)  # few seeds: the module stays within the suite's time budget; one drill is checked over 20


@pytest.fixture(scope="module")
def shop():
    return load_scenario_text(SHOP, "tiny-shop.yaml")


@pytest.fixture(scope="module")
def generated(shop):
    return {g.candidate.label: g for g in generate(shop, SEEDS)}


def _steps(drill):
    return [(s.command, s.target) for s in drill.reference_solution.steps]


# --------------------------------------------------------------------------- candidates and references


def test_candidates_are_the_analysis_spofs_manual_failovers_degrading_and_pairs(shop):
    analysis = analyze(shop)
    found = [(c.kind, c.components, c.recipe) for c in candidates(shop, analysis)]
    assert found == [
        ("spof", ("lb",), "restart"),
        ("manual", ("db-1",), "promote"),
        ("degrading", ("cache",), "restart"),
        ("degrading", ("recs",), "degrade"),
    ]
    assert [c for c in analysis.spofs] == ["lb"]
    assert {c.name for c in analysis.classification if c.status == "degrading"} == {"cache", "recs"}
    assert not [cut for cut in analysis.cut_sets if len(cut) == 2]  # three app servers: no double fault


def test_builtin_pairs_and_failover(tmp_path):
    scenario = load_builtin("lb-failover")
    analysis = analyze(scenario)
    found = {c.components: c for c in candidates(scenario, analysis)}
    pairs = {cut for cut in analysis.cut_sets if len(cut) == 2}
    assert {k for k, c in found.items() if c.kind == "pair"} == pairs == {("lb-1", "lb-2"), ("app-1", "app-2")}
    assert {k for k, c in found.items() if c.kind == "spof"} == {(s,) for s in analysis.spofs}
    failover = drill_for(found[("lb-1",)], scenario, analysis)
    assert _steps(failover) == [("ack", "InstanceDown:lb-1"), ("failover", "web-vip"), ("restart", "lb-1")]
    pair = drill_for(found[("app-1", "app-2")], scenario, analysis)
    assert [f.target for f in pair.method] == ["app-1", "app-2"]
    assert {t for c, t in _steps(pair) if c == "restart"} == {"app-1", "app-2"}


def test_a_synchronous_standby_is_switched_to_async_then_back():
    scenario = load_builtin("db-sync-stall")
    analysis = analyze(scenario)
    (standby,) = [c for c in candidates(scenario, analysis) if c.recipe == "async"]
    drill = drill_for(standby, scenario, analysis)
    assert standby.components == ("db-2",) and drill.method[0].type == "crash"
    steps = drill.reference_solution.steps
    assert [(s.command, s.target, s.args.get("mode")) for s in steps] == [
        ("ack", "WriteErrors", None), ("replication", "db-2", "async"), ("restart", "db-2", None),
        ("replication", "db-2", "sync")]


def test_each_reference_uses_the_command_the_topology_allows(shop):
    analysis = analyze(shop)
    drills = {c.components[0]: drill_for(c, shop, analysis) for c in candidates(shop, analysis)}
    assert _steps(drills["lb"]) == [("ack", "InstanceDown:lb"), ("restart", "lb")]
    # fence the old primary, then promote the least lagged replica (db-3, declared after db-2), later rebuild
    assert _steps(drills["db-1"]) == [("ack", "WriteErrors"), ("fence", "db-1"), ("promote", "db-3"), ("restart", "db-1")]
    fence, promote = drills["db-1"].reference_solution.steps[1:3]
    assert fence.after < promote.after
    assert drills["db-1"].method[0].type == "partition"
    assert _steps(drills["recs"]) == [("ack", "InstanceDown:recs"), ("degrade", "recs"), ("enable", "recs")]
    assert drills["recs"].method[0].type == "dependency_outage"
    assert drills["recs"].reference_solution.steps[-1].at > drills["recs"].method[0].at.between[1] + drills["recs"].method[0].duration
    for drill in drills.values():
        assert drill.architecture == "Tiny Shop" and drill.id.startswith("tiny-shop-")
        assert drill.visibility == "observed" and "generated" in drill.tags
        assert len(drill.hints) == 2 and drill.hints[0].at is not None and drill.hints[1].at is None
        # the briefing is the architecture's, the same for every drill: it cannot point at the fault
        assert drill.briefing == drills["lb"].briefing
        for fault in drill.method:
            assert fault.target is None or fault.target not in drill.description
    assert "promotion" in drills["db-1"].tags and "graceful-degradation" in drills["recs"].tags
    assert [p.name for p in drills["db-1"].pitfalls][0] == "promote without fencing the old primary"


# --------------------------------------------------------------------------- fairness


def test_fair_drills_are_kept_with_their_measured_difficulty(generated):
    assert {label for label, g in generated.items() if g.kept} == {"lb crash", "db-1 lost", "recs outage"}
    for g in generated.values():
        if g.kept:
            assert g.verdict.fair and g.drill.difficulty == g.verdict.difficulty
            assert g.verdict.reference_passed == g.verdict.no_action_failed == len(SEEDS)


def test_a_harmless_candidate_is_dropped_with_the_reason(generated):
    cache = generated["cache crash"]
    assert not cache.kept
    assert cache.reason.startswith("doing nothing passes on seed 0")
    assert "does not hurt users enough" in cache.reason


def test_a_written_drill_loads_and_stays_fair_over_20_seeds(generated, tmp_path):
    result = generated["lb crash"]
    written = write_drill(tmp_path, result, "tiny-shop.yaml", "2026-01-01")
    loaded = load_scenario(written.path)
    assert loaded.id == result.drill.id and scenario_hash(loaded) == scenario_hash(result.drill)
    assert check(loaded, range(20), measure_difficulty=False).fair


def test_a_candidate_no_drill_can_be_built_for_is_dropped_with_the_reason(shop, monkeypatch):
    import engine.analysis.generate as gen

    def broken(candidate, scenario, analysis):
        raise ValueError("a topology nobody foresaw")

    monkeypatch.setattr(gen, "drill_for", broken)
    (result,) = gen.generate(shop, range(1), limit=1)
    assert not result.kept and result.reason == "no drill could be built: a topology nobody foresaw"


# --------------------------------------------------------------------------- files


def test_files_are_deterministic_and_calibrated(generated, tmp_path):
    kept = [g for g in generated.values() if g.kept]
    for folder in (tmp_path / "a", tmp_path / "b"):
        for g in kept:
            write_drill(folder, g, "tiny-shop.yaml", "2026-01-01")
        write_calibration(folder, kept)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted([f"{g.drill.id}.yaml" for g in kept] + ["calibration.json"])
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    calibration = json.loads((tmp_path / "a" / "calibration.json").read_text())
    for g in kept:
        loaded = load_scenario(tmp_path / "a" / f"{g.drill.id}.yaml")
        entry = calibration[g.drill.id]
        assert entry == {**g.verdict.calibration(), "hash": scenario_hash(loaded)}
        assert loaded.difficulty == entry["difficulty"]


def test_an_edited_file_is_never_overwritten_without_force(generated, tmp_path):
    result = generated["recs outage"]
    path = write_drill(tmp_path, result, "x.yaml", "2026-01-01").path
    assert write_drill(tmp_path, result, "x.yaml", "2026-01-02").status == "unchanged"
    edited = path.read_text().replace("pass_score: 80.0", "pass_score: 85.0")
    path.write_text(edited)
    assert write_drill(tmp_path, result, "x.yaml", "2026-01-01").status == "kept"
    assert path.read_text() == edited
    assert write_drill(tmp_path, result, "x.yaml", "2026-01-01", force=True).status == "updated"
    assert split(path.read_text())[1] == body(result.drill)


# --------------------------------------------------------------------------- command line


def _run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_fair_drills_and_says_what_it_dropped(tmp_path, capsys):
    source = tmp_path / "tiny-shop.yaml"
    source.write_text(SHOP)
    code, out, _ = _run(["generate", str(source), "-o", str(tmp_path / "out"), "--seeds", "2", "--max", "1"], capsys)
    assert code == 0
    assert "written  tiny-shop-lb-lost.yaml" in out and "1 of 1 drill fair" in out
    assert "3 more candidates left out by --max 1" in out
    calibration = json.loads((tmp_path / "out" / "calibration.json").read_text())
    assert list(calibration) == ["tiny-shop-lb-lost"]
    code, out, _ = _run(["check", str(tmp_path / "out" / "tiny-shop-lb-lost.yaml"), "--seeds", "2", "--quick"], capsys)
    assert code == 0 and "FAIR" in out


def test_cli_default_folder_is_the_data_folder(tmp_path, capsys, data_dir):
    source = tmp_path / "tiny-shop.yaml"
    source.write_text(SHOP)
    code, out, _ = _run(["generate", str(source), "--seeds", "1", "--max", "1"], capsys)
    assert code == 0
    assert (data_dir / "drills" / "tiny-shop" / "tiny-shop-lb-lost.yaml").is_file()


@pytest.mark.parametrize("text, words", [
    ("title: broken\ntopology:\n  nodes:\n    lb: {kind: load_balancr}\n", "bad.yaml:4"),
    ("title: [unclosed\n", "bad.yaml:"),
])
def test_cli_bad_scenario_is_one_line_exit_2(tmp_path, capsys, text, words):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    code, out, err = _run(["generate", str(bad)], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err


def test_cli_unwritable_folder_is_one_line_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = _run(["generate", "spof-baseline", "-o", str(blocker / "drills")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cannot write to" in err


def test_cli_nothing_to_drill_exits_0_and_writes_nothing(tmp_path, capsys):
    source = tmp_path / "solid.yaml"
    source.write_text("""\
title: Solid
topology:
  nodes:
    users: {kind: client}
    lb-1: {kind: load_balancer, vip: v}
    lb-2: {kind: load_balancer, vip: v, role: standby}
    lb-3: {kind: load_balancer, vip: v, role: standby}
    app-1: {kind: app_server}
    app-2: {kind: app_server}
    app-3: {kind: app_server}
    db-1: {kind: database, cluster: c}
    db-2: {kind: database, cluster: c, role: replica}
    db-3: {kind: database, cluster: c, role: replica}
  edges:
    - users -> lb-1
    - lb-1, lb-2, lb-3 -> app-1, app-2, app-3
    - app-1, app-2, app-3 -> db-1
automation: {vrrp: {enabled: true}, db_failover: {enabled: true}}
""")
    code, out, _ = _run(["generate", str(source), "-o", str(tmp_path / "out")], capsys)
    assert code == 0
    assert "no single point of failure" in out and "nothing written" in out
    assert not (tmp_path / "out").exists()


def test_a_drill_file_holds_every_field_of_the_drill(shop):
    """What is written is the drill: rendering and loading again loses no field (e.g. the SPOF hunt)."""
    analysis = analyze(shop)
    for candidate in candidates(shop, analysis):
        drill = drill_for(candidate, shop, analysis)
        loaded = load_scenario_text(body(drill), f"{drill.id}.yaml")
        assert loaded.model_dump() == drill.model_dump(), candidate
        assert loaded.spof_hunt == (candidate.kind == "spof")


def test_an_architecture_too_big_to_drill_is_said_once_and_nothing_is_checked(monkeypatch):
    """A drill of 300 nodes over 600 s is past one run's budget: no check runs, one line says why."""
    import engine.analysis.generate as gen
    from bench.topology import generate as big

    monkeypatch.setattr(gen, "check", lambda *a, **k: pytest.fail("checked a drill past the run budget"))
    results = generate(big(300), range(3), limit=5)
    assert len(results) == 1 and not results[0].verdict.fair
    (problem,) = results[0].verdict.problems
    assert problem.startswith("too big to drill (every drill of this architecture)") and "node-steps" in problem
