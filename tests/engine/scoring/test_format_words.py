"""Numbers and plurals as people write them: the helpers, and real outputs that use them."""

from __future__ import annotations

import re

import pytest

from engine.cli.main import main
from engine.records.postmortem import postmortem_markdown
from engine.scenario.loader import load_scenario
from engine.scenario.schema import ActionScript, Step
from engine.scoring.format import count, names, number, probe_value
from engine.sim.runner import run_with_par

ONE_PLURAL = re.compile(r"(?<![\d.,])1 (alerts|commands|writes|rows|faults|outages|pairs|lines|requests|windows)\b")


def assert_reads_well(text: str) -> None:
    assert "e+0" not in text and "e-0" not in text
    assert "['" not in text
    assert ONE_PLURAL.search(text) is None, ONE_PLURAL.search(text)


@pytest.mark.parametrize(("n", "noun", "expected"), [
    (1, "alert", "1 alert"), (2, "alert", "2 alerts"), (0, "command", "0 commands"),
    (14314, "write", "14,314 writes"), (1, "lost acknowledged write", "1 lost acknowledged write"),
    (3, "lost acknowledged write", "3 lost acknowledged writes"), (2, "entry", "2 entries"), (2, "day", "2 days"),
    (2, "match", "2 matches"), (2, "person", "2 people")])
def test_count_with_a_noun(n: int, noun: str, expected: str) -> None:
    assert count(n, noun, "people" if noun == "person" else None) == expected


def test_count_without_a_noun_is_as_before() -> None:
    assert count(12345) == "12,345"
    assert count(12.6) == "13"


def test_names() -> None:
    assert names([]) == "none"
    assert names([], empty="-") == "-"
    assert names(["db-1"]) == "db-1"
    assert names(["db-1", "db-3"]) == "db-1 and db-3"
    assert names(["db-1", "db-2", "db-3"]) == "db-1, db-2 and db-3"
    assert names(("a", "b"), conjunction="or") == "a or b"


@pytest.mark.parametrize(("value", "expected"), [
    (14340.0, "14,340"), (1.434e4, "14,340"), (30.0, "30"), (0.25, "0.25"), (1.5e-5, "0.000015"),
    (2.5e7, "25,000,000"), (0, "0"), (-3.5, "-3.5"), (70, "70")])
def test_number_is_never_scientific(value: float, expected: str) -> None:
    assert number(value) == expected


def test_probe_value_is_never_scientific() -> None:
    assert probe_value(0.95123) == "0.9512"
    assert probe_value(0.0000123) == "0.0000123"
    assert probe_value(123456.0) == "123,456"  # whole digits are never dropped
    assert probe_value(None) == "never"


def test_postmortem_of_a_lagging_promotion_reads_well() -> None:
    script = ActionScript(name="hasty", steps=[Step(at=100, command="promote", target="db-3")])
    text = postmortem_markdown(run_with_par(load_scenario("db-primary-async"), 3, script))
    assert_reads_well(text)
    assert re.search(r"\b\d{4,} requests served", text) is None  # thousands separated


def test_postmortem_of_an_idle_run_reads_well() -> None:
    assert_reads_well(postmortem_markdown(run_with_par(load_scenario("spof-baseline"), 3, None)))


@pytest.mark.parametrize("scenario", ["spof-baseline", "db-primary-async"])
def test_run_output_reads_well(scenario: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["run", scenario, "--seed", "3"])
    out = capsys.readouterr().out
    assert out.strip()
    assert_reads_well(out)
