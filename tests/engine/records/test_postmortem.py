"""The blameless postmortem draft: sections, numbers from the Report, tone, determinism, and where it is written.

Drafts are checked against the :class:`~engine.sim.runner.Report` they come from
(never against hand-copied numbers), on the seed's unprotected system
(``spof-baseline``) with no action and with its reference solution, and on
``db-primary-async`` with a promotion that loses writes and splits the brain.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.analysis.structure import analyze
from engine.cli.main import main
from engine.scenario.loader import load_scenario
from engine.records.postmortem import error_budget_used, postmortem_markdown
from engine.scoring.format import clock
from engine.sim.runner import Report, run_with_par
from engine.scenario.schema import ActionScript, Step

SECTIONS = ("## Summary", "## Impact", "## Timeline", "## Contributing factors", "## What went well", "## Action items")
BLAME = re.compile(r"\byou\b|\byour\b|failed to|fault of|\btrainee\b|\bblame(?!less)", re.IGNORECASE)


@pytest.fixture(scope="module")
def idle() -> Report:
    """spof-baseline, seed 3, nobody acts: the load balancer stays down."""
    return run_with_par(load_scenario("spof-baseline"), 3, None)


@pytest.fixture(scope="module")
def solved() -> Report:
    """spof-baseline, seed 3, the reference solution played as the responder."""
    scenario = load_scenario("spof-baseline")
    return run_with_par(scenario, 3, scenario.reference_solution)


@pytest.fixture(scope="module")
def split() -> Report:
    """db-primary-async, seed 3: the lagging replica promoted without fencing the old primary."""
    script = ActionScript(name="hasty", steps=[Step(at=100, command="promote", target="db-3")])
    return run_with_par(load_scenario("db-primary-async"), 3, script)


def section(text: str, heading: str) -> str:
    """The body of one ``## heading`` section."""
    start = text.index(heading) + len(heading)
    ends = [end for end in (text.find("\n## ", start), text.find("\n---", start)) if end >= 0]
    return text[start:min(ends)] if ends else text[start:]


def test_every_section_is_there_in_order(idle: Report) -> None:
    text = postmortem_markdown(idle)
    assert text.startswith(f"# Postmortem: {idle.scenario.title}\n")
    positions = [text.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)


def test_impact_numbers_are_the_reports(split: Report) -> None:
    outcome = split.run.outcome
    assert outcome.lost_writes > 0  # the case worth checking
    impact = section(postmortem_markdown(split), "## Impact")
    lost = re.search(r"Lost acknowledged writes:\*\* ([\d,]+) of ([\d,]+) acknowledged; RPO window ([\d.]+) s", impact)
    assert lost is not None
    assert int(lost.group(1).replace(",", "")) == outcome.lost_writes
    assert int(lost.group(2).replace(",", "")) == outcome.writes_acknowledged
    assert lost.group(3) == f"{outcome.rpo:.1f}"
    assert f"{outcome.downtime:.1f} s" in impact
    assert f"**Full outage:** {outcome.full_outage:.0f} s" in impact
    assert f"{outcome.availability:.2%} of {round(outcome.requests):,} requests" in impact
    assert f"**Split brain:** {outcome.split_brain_seconds:.0f} s" in impact
    budget, used = error_budget_used(split.run, split.scenario.slo.target)
    assert budget == pytest.approx((1 - split.scenario.slo.target) * outcome.requests)
    assert used == pytest.approx(outcome.failed / budget)
    assert f"allowed {round(budget):,} failed requests over the drill; {used:,.0%} of that budget was used" in impact


def test_spofs_of_the_topology_are_contributing_factors(idle: Report) -> None:
    factors = section(postmortem_markdown(idle), "## Contributing factors")
    spofs = analyze(idle.scenario).spofs
    assert set(spofs) == {"lb-1", "db-1"}
    for name in spofs:
        assert f"**{name}** (" in factors and "single point of failure" in factors
    assert "lb-1** (load balancer) is a single point of failure" in factors
    # only the one that broke is said to have failed in this drill
    assert re.search(r"lb-1\*\*[^\n]*it failed in this drill", factors)
    assert not re.search(r"db-1\*\*[^\n]*it failed in this drill", factors)


def test_lost_writes_and_split_brain_are_explained_from_the_journal(split: Report) -> None:
    text = postmortem_markdown(split)
    factors = section(text, "## Contributing factors")
    assert "**Asynchronous replication:** db-3 replicated asynchronously" in factors
    assert "**Split brain:** db-1, db-3" in factors
    actions = section(text, "## Action items")
    assert "Fence the old primary before any promotion" in actions
    assert "Agree the RPO orders can accept" in actions
    # the reference fenced db-1 and promoted db-2: both become runbook items
    assert "Add `fence db-1` to the runbook" in actions and "Add `promote db-2` to the runbook" in actions


def test_timeline_has_fault_detection_commands_and_timings(solved: Report) -> None:
    text = postmortem_markdown(solved)
    timeline = section(text, "## Timeline")
    outcome = solved.run.outcome
    assert f"| {clock(outcome.first_fault)} | **Fault:** a crash of lb-1 *(hidden during the drill)* |" in timeline
    alerts = [e for e in solved.run.sim.journal.of_type("AlertFired") if e.t >= outcome.first_fault]
    assert f"| {clock(alerts[0].t)} | **Detection:** alert `{alerts[0].data['alert']}`" in timeline
    for entry in solved.run.sim.journal.of_type("CommandIssued"):
        assert f"| {clock(entry.t)} | the responder issued `{entry.data['command']} {entry.data['target']}` |" in timeline
    assert "**Mitigation:**" in timeline and "**Recovery:**" in timeline
    assert (f"time to detect {outcome.time_to_detect:.0f} s, time to mitigate {outcome.time_to_mitigate:.0f} s, "
            f"time to recover {outcome.time_to_recover:.0f} s") in timeline
    times = re.findall(r"^\| (\d\d:\d\d) \|", timeline, re.MULTILINE)
    assert times == sorted(times)


def test_what_went_well_compares_with_the_par_runs(solved: Report, idle: Report) -> None:
    good = section(postmortem_markdown(solved), "## What went well")
    avoided = solved.no_action.outcome.downtime - solved.run.outcome.downtime
    assert f"avoided {avoided:.0f} s of downtime compared with no action" in good
    assert "within par" in good and "met the scenario's bar" in good
    assert "met the scenario's bar" not in section(postmortem_markdown(idle), "## What went well")


def test_action_items_cover_spofs_missing_reference_commands_and_detection(idle: Report, solved: Report) -> None:
    actions = section(postmortem_markdown(idle), "## Action items")
    assert "Remove the SPOF lb-1: add lb-1-standby" in actions
    assert "Remove the SPOF db-1: add db-1-replica" in actions
    assert "Add `restart lb-1` to the runbook" in actions
    assert "Record db-1 as a single point of failure" in actions
    assert "Add an alert" in actions  # nobody responded: time to detect is never
    assert all(line.startswith("- [ ] ") for line in actions.strip().splitlines())
    # the reference played as the responder: no reference command is missing, detection is fine
    done = section(postmortem_markdown(solved), "## Action items")
    assert "to the runbook" not in done and "Add an alert" not in done
    assert "Remove the SPOF lb-1" in done


@pytest.mark.parametrize("name", ["idle", "solved", "split"])
def test_blameless_tone(name: str, request: pytest.FixtureRequest) -> None:
    report = request.getfixturevalue(name)
    text = postmortem_markdown(report, trainee="alice")
    assert not BLAME.findall(text.replace("**Responder:** alice", ""))
    assert "the responder" in text.lower()


def test_same_input_same_text_and_no_date_unless_given(idle: Report) -> None:
    again = run_with_par(load_scenario("spof-baseline"), 3, None)
    first = postmortem_markdown(idle)
    assert first == postmortem_markdown(again) == postmortem_markdown(idle, analyze(idle.scenario))
    assert "Date" not in first and "Responder:" not in first
    dated = postmortem_markdown(idle, when="2026-11-27 10:00", trainee="alice")
    assert "- **Date:** 2026-11-27 10:00" in dated and "- **Responder:** alice" in dated


# --------------------------------------------------------------------------- spofdrill run --postmortem


def test_run_writes_the_postmortem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pm" / "draft.md"
    code = main(["run", "spof-baseline", "--seed", "3", "--postmortem", str(out)])
    assert code == 1  # no action does not pass; the draft is written all the same
    assert out.read_text(encoding="utf-8") == postmortem_markdown(run_with_par(load_scenario("spof-baseline"), 3, None))
    assert f"postmortem draft written to {out}" in capsys.readouterr().out


def test_run_postmortem_problems_are_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["run", "spof-baseline", "--postmortem", str(blocker / "draft.md")]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err
    assert main(["run", "spof-baseline", "--no-par", "--postmortem", str(tmp_path / "x.md")]) == 2
    assert "--no-par" in capsys.readouterr().err
    assert not (tmp_path / "x.md").exists()


# --------------------------------------------------------------------------- the debrief's p


async def reach_debrief(pilot, app):
    """Start the drill from its briefing, run it to its end and wait for the par runs."""
    from tui.screens.debrief import DebriefScreen

    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    app.screen.advance_by(600)
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, DebriefScreen) and app.screen.report is not None
    return app.screen


async def test_debrief_p_writes_numbered_drafts(data_dir: Path) -> None:
    from tui.app import SpofdrillApp

    app = SpofdrillApp(scenario=load_scenario("spof-baseline"), seed=7, autoplay=False, keep_journal=False, trainee="alice")
    async with app.run_test(size=(100, 32)) as pilot:
        debrief = await reach_debrief(pilot, app)
        await pilot.press("p", "p")
        await pilot.pause()
        folder = data_dir / "postmortems"
        assert debrief.saved_paths == [folder / "spof-baseline-7-1.md", folder / "spof-baseline-7-2.md"]
        text = debrief.saved_paths[0].read_text(encoding="utf-8")
        assert text.startswith("# Postmortem: The unprotected system") and "- **Responder:** alice" in text
        assert section(text, "## Impact") == section(postmortem_markdown(debrief.report), "## Impact")
        saved = debrief.saved_paths[0]
        assert any(f"{saved.parent}/\n{saved.name}" in n.message for n in app._notifications)


async def test_debrief_p_reports_a_write_error_and_keeps_the_result(data_dir: Path) -> None:
    from tui.app import SpofdrillApp

    app = SpofdrillApp(scenario=load_scenario("spof-baseline"), seed=7, autoplay=False, keep_journal=False)
    async with app.run_test(size=(100, 32)) as pilot:
        debrief = await reach_debrief(pilot, app)
        (data_dir / "postmortems").write_text("a file where the folder should be")
        await pilot.press("p")
        await pilot.pause()
        # the problem is named, the result stays on screen, and the trainee is asked where else to save it
        from tui.screens.dialogs import AskDialog

        dialog = app.screen
        assert isinstance(dialog, AskDialog) and debrief.saved_paths == []
        assert "cannot write" in dialog.text and "stays on screen" in dialog.text
        elsewhere = data_dir / "elsewhere"
        elsewhere.mkdir()
        dialog.query_one("#ask-value").value = str(elsewhere)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is debrief and debrief.saved_paths == [elsewhere / "spof-baseline-7-1.md"]
        assert "# Postmortem" in debrief.saved_paths[0].read_text(encoding="utf-8")


def test_the_postmortem_command_drafts_from_a_bundle_or_a_journal(tmp_path, capsys) -> None:
    from engine.records.bundle import bundle_of, write_bundle
    from engine.cli.main import main
    from engine.sim.runner import simulate
    from tui.session import DrillSession

    scenario = load_scenario("lb-failover")
    bundle = write_bundle(bundle_of(simulate(scenario, 1, scenario.reference_solution, name="ref"), "ada", "headless"),
                          tmp_path / "ada.json")
    assert main(["postmortem", str(bundle)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# Postmortem: Load balancer crash with a standby") and "**Responder:** ada" in text
    journal = tmp_path / "j" / "drill.jsonl"
    session = DrillSession(scenario, 1, trainee="bo", journal_path=journal)
    session.tick(1.0)
    session.end()
    out = tmp_path / "pm.md"
    assert main(["postmortem", str(journal), "--out", str(out)]) == 0
    assert "**Responder:** bo" in out.read_text()
    assert main(["postmortem", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err
