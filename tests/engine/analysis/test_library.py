"""The built-in scenario library: complete, proven fair, and its difficulty measured on its current content."""

from __future__ import annotations

import pytest

from engine.analysis.check import check, measured_difficulty, read_calibration
from engine.scenario.loader import builtin_scenarios, load_scenario
from support import ROOT_DIR

NAMES = builtin_scenarios()
# The concepts of the SPOF guide the library must teach, as tags somewhere in it.
CONCEPTS = {
    "spof", "redundancy", "failover", "replication", "async", "sync", "fencing", "split-brain",
    "cache", "graceful-degradation", "timeouts", "multi-region", "dns", "cdn", "partition",
    "alerting", "chaos", "self-healing",
}


def test_the_library_has_at_least_twelve_scenarios():
    assert len(NAMES) >= 12, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_scenario_is_a_whole_exercise(name):
    scenario = load_scenario(name)
    assert scenario.briefing.strip() and scenario.objectives and scenario.lessons and scenario.tags
    assert scenario.hints and all(h.cost >= 0 for h in scenario.hints)
    assert scenario.reference_solution.steps
    assert scenario.steady_state_hypothesis.probes


@pytest.mark.parametrize("name", NAMES)
def test_each_scenario_is_fair_over_twenty_seeds(name):
    """The reference solution meets the bar and doing nothing fails it, on every one of 20 seeds."""
    verdict = check(load_scenario(name), range(20), measure_difficulty=False)
    assert verdict.fair, verdict.problems


@pytest.mark.parametrize("name", NAMES)
def test_each_scenario_difficulty_was_measured_on_its_current_content(name):
    """`spofdrill check --write-calibration` must be rerun whenever a scenario changes."""
    entry = measured_difficulty(load_scenario(name), read_calibration())
    assert entry is not None, f"recalibrate: spofdrill check {name} --write-calibration"
    assert entry["difficulty"] in ("intro", "easy", "medium", "hard", "expert")
    low, mid, high = entry["spread"]
    assert low <= mid <= high


def test_the_library_covers_the_guide():
    tags = {tag for name in NAMES for tag in load_scenario(name).tags}
    missing = CONCEPTS - tags
    assert not missing, f"no scenario teaches: {sorted(missing)}"


def test_pitfalls_are_checked_like_the_reference_and_played_in_the_difficulty_sweep(tmp_path):
    from pathlib import Path

    from engine.analysis.check import policies
    from engine.scenario.loader import load_scenario, validate_file

    scenario = load_scenario("region-partition")
    played = policies(scenario)
    assert "pitfall: promote the cut-off replica" in played and "pitfall: promote and fence" in played
    assert played["pitfall: promote and fence"] == scenario.pitfalls[1]
    text = (ROOT_DIR / "scenarios" / "region-partition.yaml").read_text()
    broken = text.replace("command: fence, target: db-eu-1", "command: fense, target: db-eu-1")
    path = tmp_path / "region-partition.yaml"
    path.write_text(broken)
    problems = [str(p) for p in validate_file(path)]
    assert any("pitfalls[1].steps[1].command: unknown command 'fense'; did you mean 'fence'?" in p for p in problems)
