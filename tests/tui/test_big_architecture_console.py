"""A big imported architecture in the console: it is listed, analysed and explained, never drilled into a crash.

A file past one run's work budget (``MAX_WORK``) loads (the graph analysis works
on it), but a drill of it would take minutes a step. The console says so when it
is chosen, stays on the picker, and its SPOF analysis leaves the simulations out
with the reason; ``spofdrill drill FILE`` refuses it in one line, exit 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.topology import generate
from engine.util.limits import MAX_WORK


def _write(path: Path, n_nodes: int) -> Path:
    scenario = generate(n_nodes)
    document = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    for name, spec in scenario.topology.nodes.items():
        document["topology"]["nodes"][name]["kind"] = spec.kind
    document.update(id="big-shop", title="Big shop (imported)", architecture="big-shop", method=[])
    path.write_text(yaml.safe_dump(document, sort_keys=False, width=1_000_000), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    return _write(tmp_path_factory.mktemp("big") / "big-shop.yaml", 300)


def test_drill_refuses_it_in_one_line(big: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tui.main import main

    assert main(["drill", str(big)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{big}: ") and f"{MAX_WORK:,} node-steps" in err


async def test_choosing_it_says_why_and_its_analysis_leaves_the_simulations_out(big: Path) -> None:
    from textual.widgets import Static

    from tui.app import SpofdrillApp
    from tui.screens.analysis import AnalysisScreen
    from tui.screens.picker import PickerScreen

    app = SpofdrillApp(autoplay=False, keep_journal=False, extra_dirs=[big.parent])
    async with app.run_test(size=(110, 34)) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        await pilot.press("slash", *"big shop", "enter")
        await pilot.pause()
        assert app.screen is picker and picker.highlighted.scenario_id == "big-shop"  # no briefing, no drill
        assert "Too big to drill" in picker.preview_text()
        notes = [str(n.message) for n in app._notifications]
        assert any("node-steps" in note and "fewer nodes" in note for note in notes), notes
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AnalysisScreen) and screen.scenario.id == "big-shop", screen.scenario.id
        assert screen.skipped is not None
        summary = str(screen.query_one("#analysis-text", Static).render())
        assert "not simulated" in summary and "running" not in summary
        assert not screen.workers  # nothing was started off the UI thread


def test_hosting_it_as_a_team_drill_is_refused_in_one_line(big: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli.main import main

    assert main(["host", str(big), "--bind", "127.0.0.1:0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(big) in err and f"{MAX_WORK:,} node-steps" in err
