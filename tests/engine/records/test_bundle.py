"""Result bundles: written, read back, verified by re-simulation, and refused clearly when damaged or edited."""

from __future__ import annotations

import json
import random
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import engine
from engine.records.bundle import (
    FORMAT,
    Bundle,
    BundleError,
    bundle_of,
    digest_of,
    program_version,
    read_bundle,
    verify,
    write_bundle,
)
from engine.analysis.check import scenario_hash
from engine.cli.main import main
from engine.scenario.loader import load_scenario
from engine.records.replay import Transcript, transcript_of
from engine.sim.runner import simulate
from support import ROOT_DIR

ROOT = ROOT_DIR



@pytest.fixture(scope="module")
def reference_bundle() -> Bundle:
    scenario = load_scenario("lb-failover")
    return bundle_of(simulate(scenario, 2, scenario.reference_solution, name="reference"), "ada", "headless")


@pytest.fixture
def written(reference_bundle, tmp_path) -> Path:
    return write_bundle(reference_bundle, tmp_path / "ada.json")


def rewrite(path: Path, change, *, digest: bool = True) -> Path:
    """Edit a bundle file's JSON by hand; with ``digest``, recompute the digest as a forger would."""
    doc = json.loads(path.read_text())
    change(doc)
    if digest:
        doc["digest"] = digest_of(doc)
    path.write_text(json.dumps(doc, indent=1))
    return path


def test_the_version_is_the_same_in_pyproject_the_package_and_the_installed_metadata() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert engine.__version__ == declared
    assert metadata.version("spofdrill") == declared == program_version()


def test_a_bundle_round_trips_and_holds_everything_a_verifier_needs(reference_bundle, written) -> None:
    doc = json.loads(written.read_text())
    assert doc["format"] == FORMAT and doc["program"] == {"name": "spofdrill", "version": program_version()}
    assert doc["scenario_id"] == "lb-failover" and doc["scenario_hash"] == scenario_hash(reference_bundle.scenario)
    assert (doc["seed"], doc["trainee"], doc["mode"]) == (2, "ada", "headless")
    assert doc["transcript"]["commands"] and doc["transcript"]["left_at"] is None
    assert {"score", "grade", "passed", "penalties", "probes", "outcome"} <= set(doc["result"])
    assert doc["digest"] == digest_of(doc)
    again = read_bundle(written)
    assert again == reference_bundle and again.result == reference_bundle.result
    assert again.to_json() == written.read_text()
    assert isinstance(again.transcript, Transcript) and again.version == program_version()


def test_a_scripted_run_verifies(reference_bundle) -> None:
    verdict = verify(reference_bundle)
    assert verdict.ok and not reference_bundle.notes
    assert verdict.describe().startswith("OK — lb-failover seed 2, ada (headless): score ")
    assert verdict.run.score.to_dict()["score"] == reference_bundle.result["score"]


def test_a_console_drill_left_early_verifies(tmp_path) -> None:
    from test_replay import _console_drill

    session = _console_drill("db-primary-async", 4, random.Random(11), leave_at=150.0)
    ending = session.end()
    bundle = bundle_of(ending.run, "grace", "assessment")
    assert not bundle.notes and bundle.transcript.left_at is not None
    assert bundle.result["score"] == ending.run.score.score
    verdict = verify(read_bundle(write_bundle(bundle, tmp_path / "grace.json")))
    assert verdict.ok, verdict.describe()


def test_a_hand_edited_score_breaks_the_digest(written) -> None:
    rewrite(written, lambda doc: doc["result"].update(score=100.0), digest=False)
    with pytest.raises(BundleError, match="edited by hand or damaged after it was written") as caught:
        read_bundle(written)
    assert caught.value.edited and str(caught.value).startswith(str(written))


def test_a_forged_score_with_a_recomputed_digest_diverges_on_the_score(written, reference_bundle) -> None:
    rewrite(written, lambda doc: doc["result"].update(score=100.0, grade="A"))
    verdict = verify(read_bundle(written))
    assert not verdict.ok
    assert verdict.differences[0].field == "score"
    assert verdict.differences[0].recorded == 100.0
    assert verdict.differences[0].resimulated == reference_bundle.result["score"]
    assert verdict.describe().startswith(f"DIVERGES: score: recorded 100.0, re-simulated {reference_bundle.result['score']}")


def test_a_transcript_with_a_command_removed_diverges(written) -> None:
    rewrite(written, lambda doc: doc["transcript"]["commands"].pop(1))  # the failover
    verdict = verify(read_bundle(written))
    assert not verdict.ok
    fields = [d.field for d in verdict.differences]
    assert "score" in fields and "outcome.commands" in fields


def test_a_truncated_file_says_it_looks_truncated(written) -> None:
    text = written.read_text()
    for cut in (len(text) // 2, len(text) - 3, 1):
        written.write_text(text[:cut])
        with pytest.raises(BundleError, match="looks truncated"):
            read_bundle(written)
    written.write_text("")
    with pytest.raises(BundleError, match="empty .*truncated"):
        read_bundle(written)


def test_not_json_names_line_and_column(tmp_path) -> None:
    path = tmp_path / "b.json"
    path.write_text("{\n  'format': 1\n}\n")
    with pytest.raises(BundleError, match=r"b\.json: not JSON: line 2, column 3"):
        read_bundle(path)


def test_a_missing_file_a_directory_and_a_json_that_is_no_bundle(tmp_path) -> None:
    with pytest.raises(BundleError, match=r"nope\.json: no such file"):
        read_bundle(tmp_path / "nope.json")
    with pytest.raises(BundleError, match="is a directory"):
        read_bundle(tmp_path)
    other = tmp_path / "result.json"
    other.write_text(json.dumps({"scenario": "lb-failover", "seed": 0, "run": {}}))
    with pytest.raises(BundleError, match=r"not a result bundle: missing 'format', 'program'.*'digest'"):
        read_bundle(other)
    other.write_text("[1, 2]")
    with pytest.raises(BundleError, match="not a result bundle"):
        read_bundle(other)


def test_an_unknown_format_number_is_refused(written) -> None:
    rewrite(written, lambda doc: doc.update(format=2))
    with pytest.raises(BundleError, match="bundle format 2; this spofdrill .* reads format 1"):
        read_bundle(written)


def test_a_bundle_from_another_version_still_verifies_with_a_note(written) -> None:
    rewrite(written, lambda doc: doc["program"].update(version="0.0.9"))
    verdict = verify(read_bundle(written))
    assert verdict.ok
    assert f"made by spofdrill 0.0.9, this is {program_version()}; the re-simulation matches" in verdict.describe()
    rewrite(written, lambda doc: doc["result"].update(score=1.0))
    verdict = verify(read_bundle(written))
    assert not verdict.ok and "the difference is likely the version's" in verdict.describe()


def test_an_edited_scenario_does_not_match_its_hash(written) -> None:
    rewrite(written, lambda doc: doc["scenario"].update(duration=300.0))
    with pytest.raises(BundleError, match="embedded scenario hashes to .*edited by hand") as caught:
        read_bundle(written)
    assert caught.value.edited


def test_an_invalid_embedded_scenario_is_named(written) -> None:
    rewrite(written, lambda doc: doc["scenario"].update(topology="nothing"))
    with pytest.raises(BundleError, match=r"ada\.json: 'scenario': the embedded scenario is not valid \(topology"):
        read_bundle(written)


def test_an_invalid_transcript_is_named_with_its_place(reference_bundle, tmp_path) -> None:
    path = write_bundle(reference_bundle, tmp_path / "t.json")
    rewrite(path, lambda doc: doc["transcript"]["commands"][0].update(t="soon"))
    with pytest.raises(BundleError, match=r"t\.json: invalid transcript: commands\[0\]: 't' must be"):
        read_bundle(path)


def test_verify_cli_lines_and_exit_codes(reference_bundle, tmp_path, capsys) -> None:
    good = write_bundle(reference_bundle, tmp_path / "good.json")
    assert main(["verify", str(good)]) == 0
    assert capsys.readouterr().out.startswith(f"{good}: OK — lb-failover seed 2")

    forged = rewrite(write_bundle(reference_bundle, tmp_path / "forged.json"),
                     lambda doc: doc["result"].update(score=99.5))
    edited = rewrite(write_bundle(reference_bundle, tmp_path / "edited.json"),
                     lambda doc: doc["result"].update(score=99.5), digest=False)
    assert main(["verify", str(good), str(forged)]) == 1
    assert main(["verify", str(edited)]) == 1
    truncated = tmp_path / "cut.json"
    truncated.write_text(good.read_text()[:100])
    assert main(["verify", str(good), str(forged), str(truncated)]) == 2
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[1] == f"{forged}: DIVERGES: score: recorded 99.5, re-simulated {reference_bundle.result['score']}"
    assert lines[2].startswith(f"{edited}: ERROR: the digest does not match")
    assert lines[-1].startswith(f"{truncated}: ERROR: the JSON stops at line") and "truncated" in lines[-1]
    assert "Traceback" not in out + err
    assert main(["verify", str(tmp_path / "missing.json")]) == 2
    assert capsys.readouterr().out.strip() == f"{tmp_path / 'missing.json'}: ERROR: no such file"


def test_run_writes_a_bundle_that_verifies(tmp_path, capsys) -> None:
    script = tmp_path / "quick.yaml"
    script.write_text("name: quick hands\nsteps:\n  - {trigger: {alert: InstanceDown, node: lb-1}, after: 3, "
                      "command: failover, target: web-vip}\n")
    path = tmp_path / "out" / "run.json"
    code = main(["run", "lb-failover", "--seed", "1", "--no-par", "--actions", str(script), "--bundle", str(path)])
    assert f"result bundle written to {path}" in capsys.readouterr().out
    bundle = read_bundle(path)
    assert (bundle.trainee, bundle.mode, bundle.seed) == ("quick hands", "headless", 1)
    assert code == (0 if bundle.result["passed"] else 1)
    assert verify(bundle).ok
    assert main(["run", "lb-failover", "--no-par", "--bundle", str(tmp_path)]) == 2  # a directory: bad output path
    assert "cannot write" in capsys.readouterr().err


async def test_the_debrief_saves_a_bundle_beside_the_result(tmp_path) -> None:
    from tui.app import SpofdrillApp
    from tui.screens.debrief import DebriefScreen
    from tui.screens.drill import DrillScreen

    app = SpofdrillApp(scenario=load_scenario("lb-failover"), autoplay=False, keep_journal=False,
                       assess=True, trainee="lin")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DrillScreen)
        screen.advance_by(600)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        await pilot.press("s")
        await pilot.pause()
        debrief = app.screen
        assert len(debrief.saved_paths) == 2 and debrief.bundle_path == debrief.saved_paths[1]
        assert debrief.bundle_path.name == debrief.saved_paths[0].stem + ".bundle.json"
    bundle = read_bundle(debrief.bundle_path)
    assert (bundle.trainee, bundle.mode) == ("lin", "assessment")
    assert verify(bundle).ok
    assert transcript_of(debrief.ending.run.sim) == bundle.transcript


def test_a_bundle_holds_its_journal_and_verify_names_the_first_entry_that_differs(written) -> None:
    bundle = read_bundle(written)
    assert bundle.journal and bundle.journal[0]["type"] == "DrillStarted"
    assert verify(bundle).ok and verify(bundle).journal_divergence is None

    def shift_failover(doc):  # the failover given 5 s later: same commands, different drill
        command = doc["transcript"]["commands"][1]
        assert command["command"] == "failover"
        command["t"] += 5.0

    verdict = verify(read_bundle(rewrite(written, shift_failover)))
    assert not verdict.ok
    where = verdict.journal_divergence
    assert where is not None and where.startswith("entry ")
    assert "recorded 'CommandIssued" in where and "command=failover" in where
    assert "first difference in the journal: entry" in verdict.describe()


def test_a_journal_that_is_not_a_list_of_entries_is_refused(written) -> None:
    rewrite(written, lambda doc: doc.__setitem__("journal", "gone"))
    with pytest.raises(BundleError, match="'journal' must be a list"):
        read_bundle(written)
