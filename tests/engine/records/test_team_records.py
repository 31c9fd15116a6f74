"""A team drill's records: the bundle lists the participants under its digest, the postmortem names who did what."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.records.bundle import BundleError, bundle_of, digest_of, read_bundle, verify, write_bundle
from engine.records.postmortem import postmortem_markdown
from engine.scenario.loader import load_scenario
from engine.sim.actions import apply_named
from engine.sim.runner import Report, measure, par_runs, simulate
from engine.sim.simulation import Simulation

PARTICIPANTS = ({"name": "gm", "role": "facilitator"}, {"name": "ana", "role": "commander"},
                {"name": "bo", "role": "operator"})


@pytest.fixture(scope="module")
def team_run():
    scenario = load_scenario("lb-failover")
    sim = Simulation(scenario, 3)
    sim.run(40.0)
    apply_named(sim, "logs", "lb-1", {}, by="bo")
    sim.run(45.0)
    apply_named(sim, "failover", "web-vip", {}, by="ana")
    sim.run(sim.duration)
    return measure(sim, "team")


def test_a_team_bundle_records_the_participants_and_verifies(team_run, tmp_path: Path) -> None:
    path = write_bundle(bundle_of(team_run, "team", "practice", PARTICIPANTS), tmp_path / "team.bundle.json")
    doc = json.loads(path.read_text())
    assert doc["participants"] == list(PARTICIPANTS)
    bundle = read_bundle(path)
    assert bundle.participants == PARTICIPANTS
    checked = verify(bundle)
    assert checked.ok, checked.describe()
    assert "ana (commander)" in checked.describe()


def test_the_digest_covers_the_participants(team_run, tmp_path: Path) -> None:
    path = write_bundle(bundle_of(team_run, "team", "practice", PARTICIPANTS), tmp_path / "team.bundle.json")
    doc = json.loads(path.read_text())
    doc["participants"][1]["role"] = "observer"  # someone rewrites who was in charge
    path.write_text(json.dumps(doc))
    with pytest.raises(BundleError) as raised:
        read_bundle(path)
    assert raised.value.edited
    doc["participants"] = "ana"  # re-digested, but not a list of participants
    doc["digest"] = digest_of(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(BundleError, match="participants"):
        read_bundle(path)


def test_a_single_trainee_bundle_is_what_it_always_was(tmp_path: Path) -> None:
    scenario = load_scenario("lb-failover")
    bundle = bundle_of(simulate(scenario, 2, scenario.reference_solution, name="reference"), "ada", "headless")
    doc = bundle.document()
    assert "participants" not in doc  # old bundles (no participants) and new single-player ones have the same keys
    assert read_bundle(write_bundle(bundle, tmp_path / "one.bundle.json")).participants == ()


def test_the_postmortem_names_who_issued_each_command_with_their_role(team_run) -> None:
    scenario = team_run.sim.scenario
    report = Report(scenario, team_run, *par_runs(scenario, 3))
    text = postmortem_markdown(report, roles={p["name"]: p["role"] for p in PARTICIPANTS})
    assert "- **Participants:** gm (facilitator), ana (commander), bo (operator)" in text
    assert "bo (operator) issued `logs lb-1`" in text
    assert "ana (commander) issued `failover web-vip`" in text
    # one trainee: the words it always had
    single = postmortem_markdown(Report(scenario, simulate(scenario, 3, scenario.reference_solution), *par_runs(scenario, 3)),
                                 trainee="ada")
    assert "- **Responder:** ada" in single and "the responder issued" in single and "Participants" not in single
