"""A journal saved with ``j`` in the debrief is read by ``spofdrill postmortem`` (issue 13, item 4).

The debrief wrote ``X.jsonl`` alone; every reader of a journal wants its drill
header ``X.drill.json`` beside it (the whole scenario, the seed, the trainee and
the mode), so a drill of a scenario that is not built in could not be read back.
The debrief now writes the header too, atomically, and names both files.
"""

from __future__ import annotations


from engine.cli.main import main
from engine.records.recorded import read_recorded_drill
from engine.records.replay import header_path, read_header
from engine.scenario.loader import load_scenario
from tui.app import SpofdrillApp
from support import start_drill
from tui.screens.debrief import DebriefScreen


async def test_a_journal_saved_in_the_debrief_has_its_header_and_postmortem_reads_it(capsys):
    # not a built-in scenario: without the header, nothing says what the drill was
    scenario = load_scenario("lb-failover").model_copy(update={"id": "my-own-drill"})
    app = SpofdrillApp(scenario=scenario, seed=5, trainee="ada", autoplay=False, keep_journal=False)
    async with app.run_test(size=(100, 30)) as pilot:
        drill = await start_drill(pilot, app)
        drill.advance_by(scenario.duration)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        debrief = app.screen
        assert isinstance(debrief, DebriefScreen)
        await pilot.press("j")
        await pilot.pause()
        (saved,) = debrief.saved_paths
        notices = [str(n.message) for n in app._notifications]
    assert saved.suffix == ".jsonl" and saved.exists()
    header = header_path(saved)
    assert header.exists() and header.name == saved.name.removesuffix(".jsonl") + ".drill.json"
    # the folder and the file name each on a line of their own, so a notice never cuts a name (issue 13, defect 7)
    assert any(f"{saved.parent}/\n{saved.name}" in n and header.name in n for n in notices), notices
    assert [p for p in header.parent.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"] == []

    written = read_header(saved)
    assert (written.scenario.id, written.seed, written.trainee, written.mode) == ("my-own-drill", 5, "ada", "practice")
    recorded = read_recorded_drill(saved)
    assert recorded.notes == () and recorded.scenario_name == "my-own-drill"

    capsys.readouterr()
    assert main(["postmortem", str(saved)]) == 0
    assert "my-own-drill" in capsys.readouterr().out
    assert main(["verify", str(saved)]) == 0
    assert "OK" in capsys.readouterr().out
