"""Each concept is scored by its own measure, and mastery needs demanding drills (issue 13, defect 9)."""

from __future__ import annotations

from engine.records.history import Record
from engine.records.progress import MASTERY_PASSES, history_text, progress, record_breakdown

HUNT = "SPOF hunting"
LB = "load-balancer failover"


def _rec(rid: int, scenario: str, score: float, passed: bool, tags: tuple[str, ...], breakdown: dict | None = None,
         trainee: str = "ann") -> Record:
    return Record(rid, trainee, scenario, 1, score, "A" if passed else "F", passed, breakdown or {}, tags, "practice",
                  float(rid))


def test_the_hunt_concept_shows_the_hunt_score_not_the_drill_score() -> None:
    """spof-baseline teaches spof and load-balancer. One run: drill score 90.6 (passed), hunt score 67.

    SPOF hunting is measured by the hunt: best = latest = 67.0. The drill's score is
    the load-balancer concept's measure: best = latest = 90.6. Hunt 67 is at least
    the hunt bar (60), so the hunt concept counts the run as passed: practised.
    """
    run = _rec(1, "spof-baseline", 90.6, True, ("spof", "load-balancer", "alerting"),
               record_breakdown({"downtime": 9.4}, hunt_score=67.0))
    rows = {r.concept: r for r in progress([run], "ann", difficulties={"spof-baseline": "medium"})}
    assert (rows[HUNT].best, rows[HUNT].latest, rows[HUNT].passed, rows[HUNT].level) == (67.0, 67.0, 1, "practised")
    assert (rows[LB].best, rows[LB].latest) == (90.6, 90.6)
    text = history_text([run], [run], [], trainee="ann")
    hunt_line = next(line for line in text.splitlines() if HUNT in line)
    assert "67.0" in hunt_line and "90.6" not in hunt_line


def test_a_poor_hunt_does_not_pass_the_hunt_concept() -> None:
    """Drill passed at 88, hunt 33 (below the bar of 60): the hunt concept counts 1 drill, 0 passes: learning."""
    run = _rec(1, "spof-baseline", 88.0, True, ("spof",), record_breakdown({}, hunt_score=33.0))
    row = next(r for r in progress([run], "ann", difficulties={"spof-baseline": "medium"}) if r.concept == HUNT)
    assert (row.drills, row.passed, row.best, row.level) == (1, 0, 33.0, "learning")


def test_easy_passes_never_make_a_concept_mastered() -> None:
    """Two easy passes at 95: passed 2, best 95, latest passed, but no pass at medium or harder → practised.

    Even MASTERY_PASSES (3) easy passes stay practised; three medium passes at 95 are mastered.
    """
    easy = {"lb-failover": "easy", "lb-vrrp-flap": "medium"}
    two = [_rec(i, "lb-failover", 95.0, True, ("load-balancer",)) for i in (1, 2)]
    row = next(r for r in progress(two, "ann", difficulties=easy) if r.concept == LB)
    assert (row.passed, row.best, row.level) == (2, 95.0, "practised")
    three = [_rec(i, "lb-failover", 95.0, True, ("load-balancer",)) for i in range(1, MASTERY_PASSES + 1)]
    assert next(r for r in progress(three, "ann", difficulties=easy) if r.concept == LB).level == "practised"
    medium = [_rec(i, "lb-vrrp-flap", 95.0, True, ("vrrp",)) for i in range(1, MASTERY_PASSES + 1)]
    assert next(r for r in progress(medium, "ann", difficulties=easy) if r.concept == LB).level == "mastered"


def test_a_scenario_of_unknown_difficulty_does_not_count_towards_mastery() -> None:
    runs = [_rec(i, "my-own", 95.0, True, ("load-balancer",)) for i in range(1, MASTERY_PASSES + 1)]
    assert next(r for r in progress(runs, "ann", difficulties={}) if r.concept == LB).level == "practised"
