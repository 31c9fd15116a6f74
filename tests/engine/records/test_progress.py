"""Progress per concept, the next drill, and `spofdrill history`.

Records are fabricated (no drill is run); the command-line tests point
``SPOFDRILL_DATA_DIR`` at ``tmp_path`` so the real history is never read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.records.history import History, Record, default_path
from engine.scenario.loader import builtin_scenarios, load_scenario
from engine.records.progress import (
    CONCEPTS,
    LEVELS,
    MASTERY_PASSES,
    MASTERY_SCORE,
    DrillOption,
    catalogue,
    concepts_of,
    mastery,
    progress,
    suggest_next,
)

LB, PROMOTION, DEGRADATION, REGION, HUNT = (
    "load-balancer failover", "replica promotion", "graceful degradation", "region evacuation", "SPOF hunting")


_ids = iter(range(1, 10_000))


def record(scenario: str, score: float, passed: bool, tags: list[str], *, trainee: str = "ann", at: float = 0.0) -> Record:
    rid = next(_ids)
    return Record(rid, trainee, scenario, 1, score, "A" if passed else "F", passed, {}, tuple(tags), "practice",
                  at or float(rid))


def option(scenario: str, tags: list[str], difficulty: str, index: float | None = None) -> DrillOption:
    return DrillOption(scenario, scenario.title(), tuple(tags), difficulty, index)


# --------------------------------------------------------------------------- the concept table


@pytest.mark.parametrize(("scenario", "expected"), [
    ("spof-baseline", {HUNT, LB}),
    ("lb-failover", {LB}),
    ("lb-vrrp-flap", {LB}),
    ("db-primary-async", {PROMOTION}),
    ("recs-outage", {DEGRADATION}),
    ("cache-stampede", {DEGRADATION}),
    ("region-outage", {PROMOTION, REGION}),
    ("region-partition", {PROMOTION, REGION}),
])
def test_scenario_tags_map_to_concepts(scenario: str, expected: set[str]) -> None:
    assert set(concepts_of(load_scenario(scenario).tags)) == expected


def test_every_builtin_scenario_teaches_a_concept_and_every_concept_is_taught() -> None:
    taught: set[str] = set()
    for name in builtin_scenarios():
        concepts = concepts_of(load_scenario(name).tags)
        assert concepts, f"{name} maps to no concept"
        taught.update(concepts)
    assert taught == {c.name for c in CONCEPTS}


def test_concepts_come_in_table_order() -> None:
    assert concepts_of(["traffic-shift", "spof", "vrrp"]) == (HUNT, LB, REGION)
    assert concepts_of(["cache", "chaos"]) == ()


# --------------------------------------------------------------------------- mastery


def test_mastery_thresholds() -> None:
    assert LEVELS == ("not started", "learning", "practised", "mastered")
    assert mastery(0, 0, None, False, 0) == "not started"
    assert mastery(4, 0, 59.0, False, 0) == "learning"
    assert mastery(1, 1, 61.0, True, 1) == "practised"
    assert mastery(MASTERY_PASSES, MASTERY_PASSES, MASTERY_SCORE, True, MASTERY_PASSES) == "mastered"
    assert mastery(MASTERY_PASSES, MASTERY_PASSES - 1, 99.0, True, MASTERY_PASSES - 1) == "practised"  # too few passes
    assert mastery(MASTERY_PASSES, MASTERY_PASSES, MASTERY_SCORE - 0.1, True, MASTERY_PASSES) == "practised"  # best too low
    assert mastery(MASTERY_PASSES + 1, MASTERY_PASSES, 99.0, False, MASTERY_PASSES) == "practised"  # the latest did not pass
    assert mastery(MASTERY_PASSES, MASTERY_PASSES, 99.0, True, MASTERY_PASSES - 1) == "practised"  # too few medium+ passes


def test_progress_counts_per_trainee_and_concept() -> None:
    records = [
        record("lb-failover", 70.0, True, ["load-balancer"], at=10),
        record("lb-failover", 90.0, True, ["load-balancer"], at=20),
        record("lb-vrrp-flap", 88.0, True, ["vrrp", "load-balancer"], at=30),
        record("db-primary-async", 40.0, False, ["replication"], at=40),
        record("db-primary-async", 55.0, False, ["replication"], at=35),
        record("recs-outage", 95.0, True, ["graceful-degradation"], trainee="bob", at=50),
    ]
    rows = {(r.trainee, r.concept): r for r in progress(records)}
    assert {trainee for trainee, _ in rows} == {"ann", "bob"}
    assert len(rows) == 2 * len(CONCEPTS)
    lb = next(r for r in progress(records, "ann", {"lb-failover": "easy", "lb-vrrp-flap": "medium"}) if r.concept == LB)
    # 3 passes, best 90, latest passed, but only lb-vrrp-flap is medium (lb-failover easy): practised (issue 13)
    assert (lb.drills, lb.passed, lb.best, lb.latest, lb.level) == (3, 3, 90.0, 88.0, "practised")
    hard = {"lb-failover": "medium", "lb-vrrp-flap": "medium"}
    assert next(r for r in progress(records, "ann", hard) if r.concept == LB).level == "mastered"
    promo = rows[("ann", PROMOTION)]
    assert (promo.drills, promo.passed, promo.best, promo.latest, promo.level) == (2, 0, 55.0, 40.0, "learning")
    assert rows[("ann", DEGRADATION)].level == "not started" and rows[("ann", DEGRADATION)].best is None
    assert rows[("bob", DEGRADATION)].level == "practised"
    only = progress(records, trainee="carol")
    assert [r.concept for r in only] == [c.name for c in CONCEPTS] and all(r.level == "not started" for r in only)


# --------------------------------------------------------------------------- the next drill

OPTIONS = [
    option("lb-easy", ["load-balancer"], "easy", 0.2),
    option("lb-hard", ["load-balancer"], "hard", 0.7),
    option("promo-medium", ["replication"], "medium", 0.5),
    option("promo-easy", ["replication"], "easy", 0.3),
    option("degrade-medium-b", ["load-shedding"], "medium", 0.45),
    option("degrade-medium-a", ["graceful-degradation"], "medium", 0.4),
    option("region-expert", ["multi-region"], "expert", 0.9),
    option("hunt-intro", ["spof"], "intro", 0.1),
]


def test_the_weakest_concept_gets_its_easiest_unpassed_drill() -> None:
    records = [
        record("hunt-intro", 80.0, True, ["spof"]),
        record("lb-easy", 75.0, True, ["load-balancer"]),
        record("promo-easy", 50.0, False, ["replication"]),
        record("degrade-medium-a", 65.0, True, ["graceful-degradation"]),
        record("region-expert", 30.0, False, ["multi-region"]),
    ]
    # learning: promotion (best 50) and region (best 30); region is weaker
    pick = suggest_next(records, OPTIONS)
    assert pick is not None and (pick.scenario, pick.concept) == ("region-expert", REGION)
    assert pick.reason.startswith("region evacuation is the weakest concept (learning")
    records.append(record("region-expert", 70.0, True, ["multi-region"]))
    # promotion is the only concept still learning; promo-easy was not passed: easiest first
    pick = suggest_next(records, OPTIONS)
    assert (pick.scenario, pick.concept) == ("promo-easy", PROMOTION)
    assert "not passed yet (easy)" in pick.reason


def test_not_started_comes_first_and_ties_go_to_the_easiest_drill() -> None:
    records = [record("lb-easy", 40.0, False, ["load-balancer"])]
    pick = suggest_next(records, OPTIONS)
    # hunting, promotion, degradation and region are not started; hunt-intro is the easiest of their drills
    assert (pick.scenario, pick.concept) == ("hunt-intro", HUNT)
    assert pick.reason == "SPOF hunting not started; the easiest drill that teaches it (intro)"
    without_hunt = [o for o in OPTIONS if o.scenario != "hunt-intro"]
    assert suggest_next(records, without_hunt).scenario == "promo-easy"
    # same label: the measured index decides
    only_degrade = [o for o in OPTIONS if o.scenario.startswith("degrade")]
    assert suggest_next([], only_degrade).scenario == "degrade-medium-a"


def test_every_drill_passed_means_replaying_the_lowest_best_score() -> None:
    options = [option("a", ["load-balancer"], "easy"), option("b", ["load-balancer"], "medium")]
    records = [record("a", 95.0, True, ["load-balancer"]), record("b", 70.0, True, ["load-balancer"])]
    pick = suggest_next(records, options)
    assert pick.scenario == "b" and "replay the lowest best score (70.0)" in pick.reason
    assert suggest_next(records, []) is None


def test_suggestions_are_per_trainee() -> None:
    records = [record("hunt-intro", 90.0, True, ["spof"], trainee="ann")]
    assert suggest_next(records, OPTIONS, "ann").scenario != "hunt-intro"
    assert suggest_next(records, OPTIONS, "bob").scenario == "hunt-intro"


def test_options_use_the_measured_difficulty_when_there_is_one() -> None:
    scenario = load_scenario("lb-failover")
    assert DrillOption.of(scenario).difficulty == scenario.difficulty
    measured = DrillOption.of(scenario, {"difficulty": "expert", "index": 0.95})
    assert (measured.difficulty, measured.index, measured.scenario) == ("expert", 0.95, "lb-failover")
    built = {o.scenario: o for o in catalogue()}
    assert set(built) == set(builtin_scenarios())
    pick = suggest_next([], list(built.values()))
    assert pick is not None and pick.concept in built[pick.scenario].concepts


# --------------------------------------------------------------------------- spofdrill history


def _fill(path: Path | None = None) -> None:
    with History(path) as history:
        history.record(trainee="ann", scenario="lb-failover", seed=3, score=87.5, grade="B", passed=True,
                       breakdown={}, tags=["redundancy", "load-balancer", "failover"], finished_at=1_000_000)
        history.record(trainee="ann", scenario="db-primary-async", seed=1, score=41.0, grade="F", passed=False,
                       breakdown={}, tags=["replication", "async"], finished_at=2_000_000, mode="assessment")
        history.record(trainee="bob", scenario="recs-outage", seed=2, score=93.0, grade="A", passed=True,
                       breakdown={}, tags=["graceful-degradation"], finished_at=3_000_000)


def test_history_when_empty_is_friendly_and_creates_nothing(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert "No drills recorded yet" in out and str(default_path()) in out
    assert "\nnext: " in out
    assert not default_path().exists()


def test_history_lists_newest_first_then_progress_then_next(capsys: pytest.CaptureFixture[str]) -> None:
    _fill()
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    listing = out[: out.index("Progress per concept")]
    assert listing.index("recs-outage") < listing.index("db-primary-async") < listing.index("lb-failover")
    assert "assessment" in listing and "87.5" in listing
    table = out[out.index("Progress per concept"):]
    assert "ann      load-balancer failover  practised" in table
    assert "ann      replica promotion       learning" in table
    assert "bob      graceful degradation    practised" in table
    assert "next for ann: " in out and "next for bob: " in out


def test_history_filters(capsys: pytest.CaptureFixture[str]) -> None:
    _fill()
    assert main(["history", "--trainee", "ann", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    listing = out[: out.index("Progress per concept")]
    assert "db-primary-async" in listing and "lb-failover" not in listing and "bob" not in out
    # progress still counts every drill of the trainee, not only those listed
    assert "load-balancer failover  practised" in out
    ann = suggest_next([r for r in History().all_runs() if r.trainee == "ann"], catalogue(), "ann")
    assert f"\nnext: {ann.scenario} — {ann.reason}" in out
    assert main(["history", "--scenario", "nowhere"]) == 0
    assert "No recorded drill matches" in capsys.readouterr().out


def test_history_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fill()
    out = tmp_path / "history.json"
    assert main(["history", "--trainee", "ann", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert [r["scenario"] for r in doc["runs"]] == ["db-primary-async", "lb-failover"]
    assert doc["runs"][0]["passed"] is False and doc["runs"][0]["tags"] == ["replication", "async"]
    rows = {r["concept"]: r for r in doc["progress"]}
    assert rows[LB]["level"] == "practised" and rows[LB]["best"] == 87.5
    assert [n["trainee"] for n in doc["next"]] == ["ann"] and doc["next"][0]["scenario"]
    assert doc["levels"]["order"] == list(LEVELS)
    assert f"history written to {out}" in capsys.readouterr().out


def test_an_unusable_history_is_a_message_and_exit_2(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    default_path().write_bytes(b"this is not a database, it is a note " * 200)
    assert main(["history"]) == 2
    captured = capsys.readouterr()
    assert str(default_path()) in captured.err and "not a readable SQLite database" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


# --------------------------------------------------------------------------- the picker's suggestion line


async def test_the_picker_suggests_the_next_drill_from_the_history() -> None:
    from textual.widgets import Static

    from tui.app import SpofdrillApp
    from tui.screens.picker import PickerScreen

    _fill()
    app = SpofdrillApp(autoplay=False, keep_journal=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PickerScreen)
        expected = suggest_next(History().all_runs(), [DrillOption.of(e.scenario, e.measured) for e in screen.entries])
        assert screen.suggestion == expected
        line = str(screen.query_one("#picker-suggestion", Static).render())
        assert line == f"Suggested next (g): {expected.title} — {expected.reason}"
        await pilot.press("g")  # the cursor goes to the suggested drill
        await pilot.pause()
        assert screen.highlighted is not None and screen.highlighted.scenario.id == expected.scenario


def test_the_diagnosis_drills_count_towards_a_diagnosis_concept() -> None:
    """Issue 13: the drills whose difficulty is diagnosis (tagged `diagnosis`) are their own concept."""
    from engine.scenario.loader import load_scenario
    from engine.records.progress import concepts_of
    for name in ("noisy-neighbour", "stale-replica", "half-partition"):
        assert "diagnosis" in concepts_of(load_scenario(name).tags), name
    assert "diagnosis" not in concepts_of(load_scenario("lb-failover").tags)
