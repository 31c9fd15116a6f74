"""Batch grading: every submission graded alike, bad ones reported per row, the same output on 1 or 2 workers."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from engine.records.assess import CSV_COLUMNS, assess, format_table
from engine.records.bundle import bundle_of, digest_of, program_version, write_bundle
from engine.analysis.check import scenario_hash
from engine.cli.main import main
from engine.scenario.loader import load_scenario
from engine.sim.runner import NO_ACTION, simulate

REFERENCE_LIKE = """\
name: alice
steps:
  - {trigger: {alert: InstanceDown, node: lb-1}, after: 6, command: ack, target: "InstanceDown:lb-1"}
  - {trigger: {alert: InstanceDown, node: lb-1}, after: 11, command: failover, target: web-vip}
  - {trigger: {alert: InstanceDown, node: lb-1}, after: 40, command: restart, target: lb-1}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("submissions")
    (root / "alice.yaml").write_text(REFERENCE_LIKE)
    (root / "noop.yaml").write_text("steps: []\n")
    (root / "broken.yaml").write_text("steps:\n  - {at: 70, command: restat, target: lb-1}\n")
    return root


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_three_scripts_grade_per_row_and_write_csv_json_and_junit_the_same_on_one_or_two_workers(folder, capsys) -> None:
    files = [str(folder / name) for name in ("alice.yaml", "noop.yaml", "broken.yaml")]
    outputs = []
    for jobs in ("1", "2"):
        out_dir = folder / f"jobs{jobs}"
        code, out, err = _cli(capsys, "assess", "--scenario", "lb-failover", *files, "--jobs", jobs,
                              "--csv", str(out_dir / "r.csv"), "--json", str(out_dir / "r.json"),
                              "--junit", str(out_dir / "r.xml"))
        assert code == 2
        assert err == ""  # no progress bar off a terminal, no traceback
        texts = [(out_dir / name).read_text() for name in ("r.csv", "r.json", "r.xml")]
        outputs.append((out.replace(f"jobs{jobs}", "jobsN"), texts))
    assert outputs[0] == outputs[1]
    out, (csv_out, json_out, xml_out) = outputs[0]

    lines = out.splitlines()
    assert lines[0].startswith("lb-failover — ")
    assert lines[1].strip().startswith("par on seed 0: no action 30.0 (F) FAIL, reference 85.7 (B) PASS")
    assert sum("par on seed" in line for line in lines) == 1  # once per scenario and seed, not per submission
    table = [line for line in lines if line.startswith("  1 ") or line.startswith("  2 ") or line.startswith("  3 ")]
    assert "alice" in table[0] and "PASS" in table[0]
    assert "noop" in table[1] and "FAIL" in table[1] and "never" in table[1]
    assert "broken" in table[2] and "ERROR" in table[2] and "unknown command 'restat'" in table[2]
    assert lines[-4] == "3 submission(s): 1 passed, 1 failed, 1 could not be graded"

    rows = list(csv.DictReader(io.StringIO(csv_out)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["trainee"], r["verdict"]) for r in rows] == [("alice", "PASS"), ("noop", "FAIL"), ("broken", "ERROR")]
    assert float(rows[0]["score"]) >= 60 and rows[1]["time_to_detect"] == "" and rows[1]["failed_probes"]
    assert rows[2]["score"] == "" and "broken.yaml:2:" in rows[2]["error"]

    doc = json.loads(json_out)
    scenario = load_scenario("lb-failover")
    assert (doc["scenario"], doc["scenario_hash"], doc["seed"]) == ("lb-failover", scenario_hash(scenario), 0)
    assert doc["program"] == {"name": "spofdrill", "version": program_version()}
    assert len(doc["par"]) == 1 and doc["par"][0]["reference"]["trainee"] == "reference"
    assert doc["par"][0]["no_action"]["verdict"] == "FAIL"
    assert [r["verdict"] for r in doc["rows"]] == ["PASS", "FAIL", "ERROR"]
    assert doc["rows"][0]["passed"] is True and doc["rows"][0]["outcome"]["lost_writes"] == 0
    assert doc["summary"] == {"submissions": 3, "passed": 1, "failed": 1, "errors": 1}

    root = ET.fromstring(xml_out.encode())
    suite = root.find("testsuite")
    assert suite.get("name") == "spofdrill assess lb-failover"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["seed"] == "0" and props["spofdrill.version"] == program_version()
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("lb-failover", "alice"), ("lb-failover", "noop"), ("lb-failover", "broken")]
    assert cases[0].find("failure") is None and cases[0].find("error") is None
    failure = cases[1].find("failure")
    assert "below the passing score 60" in failure.get("message") and "points lost: downtime" in failure.text
    assert "unknown command 'restat'" in cases[2].find("error").get("message")


def test_exit_codes_follow_run(folder, capsys) -> None:
    code, out, _ = _cli(capsys, "assess", "--scenario", "lb-failover", str(folder / "alice.yaml"), "--jobs", "1")
    assert code == 0 and "1 submission(s): 1 passed" in out
    code, _, err = _cli(capsys, "assess", "--scenario", "lb-failover", str(folder / "alice.yaml"),
                        str(folder / "noop.yaml"), "--jobs", "1", "--progress")
    assert code == 1
    assert "assess lb-failover" in err and "4/4 runs" in err  # two par runs and two submissions
    code, out, err = _cli(capsys, "assess", "--scenario", "lb-failovr", str(folder / "alice.yaml"))
    assert code == 2 and out == "" and "unknown scenario 'lb-failovr'" in err and "Traceback" not in err
    code, _, err = _cli(capsys, "assess", "--scenario", "lb-failover", str(folder / "alice.yaml"), "--jobs", "0")
    assert code == 2 and "--jobs" in err


def test_bundles_are_graded_by_re_simulation_and_checked_against_the_scenario(folder, tmp_path) -> None:
    scenario = load_scenario("lb-failover")
    good = write_bundle(bundle_of(simulate(scenario, 3, scenario.reference_solution, name="reference"), "bo", "practice"),
                        tmp_path / "bo.json")
    other = load_scenario("spof-baseline")
    elsewhere = write_bundle(bundle_of(simulate(other, 0, NO_ACTION, name="no action"), "cy", "headless"),
                             tmp_path / "cy.json")
    forged = tmp_path / "di.json"
    doc = json.loads(good.read_text())
    doc["trainee"] = "di"
    doc["result"]["score"] = 100.0
    doc["digest"] = digest_of(doc)
    forged.write_text(json.dumps(doc))
    edited = tmp_path / "ed.json"
    doc["trainee"] = "ed"
    edited.write_text(json.dumps(doc))  # digest left as it was

    result = assess(scenario, [str(good), str(elsewhere), str(forged), str(edited), str(folder / "noop.yaml")], 0, jobs=2)
    rows = result.rows
    assert [r.verdict for r in rows] == ["PASS", "ERROR", "PASS", "ERROR", "FAIL"]
    assert (rows[0].trainee, rows[0].kind, rows[0].seed) == ("bo", "bundle", 3)
    assert "scenario spof-baseline" in rows[1].error and "not of lb-failover" in rows[1].error
    assert rows[2].trainee == "di" and rows[2].score == rows[0].score  # graded on the re-simulation, not on 100
    assert any("recorded result differs" in note and "score: recorded 100.0" in note for note in rows[2].notes)
    assert "edited by hand" in rows[3].error
    assert sorted(result.par) == [0, 3]  # par on the assessment's seed and on the bundles' seed
    table = format_table(result)
    assert "par on seed 3" in table and "note on #3" in table
    assert result.exit_code == 2
