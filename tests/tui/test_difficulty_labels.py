"""One difficulty label everywhere: ``spofdrill list``, the picker's row and the briefing agree.

Issue 13, defect 3: ``spof-baseline`` showed *intro* in the list (declared),
*medium* in the picker (measured) and *intro* in the briefing (declared).
The rule lives in :func:`engine.analysis.calibration.difficulty_label`: the
measured label when ``calibration.json`` holds an entry for exactly this
content (its hash), else the declared one. For spof-baseline, declared
``intro`` and measured ``medium`` (index 0.564) with a current hash, every
place must say ``medium``.
"""

from __future__ import annotations

from textual.app import App
from textual.screen import Screen
from textual.widgets import DataTable

from engine.analysis.calibration import difficulty_label, read_calibration
from engine.cli import main
from engine.scenario.loader import builtin_scenarios, load_scenario
from tui.screens.briefing import BriefingScreen
from tui.screens.picker import PickerScreen

SIZE = (120, 40)


class Host(App):
    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.animation_level = "none"
        self._screen = screen

    def on_mount(self) -> None:
        self.push_screen(self._screen)


def _listed(capsys) -> dict[str, str]:
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    return {line.split()[0]: line.split()[1] for line in lines if line.strip()}


async def _picker_levels() -> dict[str, str]:
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#scenarios", DataTable)
        column = table.get_column_index("level")
        return {str(key.value): str(table.get_cell_at((row, column)))
                for row, key in enumerate(table.rows)}


async def _briefing_level(name: str) -> str:
    app = Host(BriefingScreen(load_scenario(name), seed=1))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        return app.screen.query_one("#briefing-facts").visual.plain.split(" · ")[0].strip()


async def test_list_picker_and_briefing_show_the_same_label(capsys) -> None:
    names = builtin_scenarios()
    listed = _listed(capsys)
    picker = await _picker_levels()
    calibration = read_calibration()
    for name in names:
        expected = difficulty_label(load_scenario(name), calibration).label
        briefing = await _briefing_level(name)
        assert (listed[name], briefing) == (expected, expected), name
        assert expected in picker.values()
    by_source = {}
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        by_source = {e.scenario_id: e.level for e in app.screen.entries}
        table = app.screen.query_one("#scenarios", DataTable)
        column = table.get_column_index("level")
        shown = [e.scenario_id for e in app.screen.shown]
        cells = {sid: str(table.get_cell_at((row, column))) for row, sid in enumerate(shown)}
    for name in names:
        assert cells[name] == listed[name] == by_source[name], name


def test_spof_baseline_is_medium_everywhere_by_hand() -> None:
    """Declared intro; calibration.json measured medium (index 0.564) on this exact content: medium wins."""
    label = difficulty_label(load_scenario("spof-baseline"))
    assert (label.declared, label.measured, label.label) == ("intro", "medium", "medium")
    assert label.long() == "medium (declared intro, measured medium)"


def test_a_stale_calibration_falls_back_to_the_declared_label() -> None:
    scenario = load_scenario("spof-baseline")
    stale = {"spof-baseline": {"hash": "not-this-content", "difficulty": "expert"}}
    label = difficulty_label(scenario, stale)
    assert (label.label, label.measured, label.long()) == ("intro", None, "intro")
    broken = {"spof-baseline": {"hash": None, "difficulty": 7}}
    assert difficulty_label(scenario, broken).label == "intro"
