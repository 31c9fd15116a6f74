"""The scenario picker and the briefing, driven with Pilot in a tiny host app.

The host pushes the screen with a result callback, the way the console does,
and records what the screen dismissed with and which messages reached the app.
Nothing here touches the real home: histories live in ``tmp_path``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.app import App
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable

from engine.commands import command_specs
from engine.records.history import History
from engine.scenario.loader import builtin_scenarios, load_scenario
from engine.scenario.problems import Problem
from tui.screens.briefing import BriefingScreen, automation_summary, hint_summary, slo_summary
from tui.screens.picker import PickerScreen, describe_problem, topology_summary
from support import TESTS_DIR

FIXTURES = TESTS_DIR / "fixtures"
SIZE = (100, 30)


class Host(App):
    """Pushes one screen and records its result and the picker's message."""

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.animation_level = "none"
        self._screen = screen
        self.results: list[object] = []
        self.chosen: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self._screen, self.results.append)

    def on_picker_screen_scenario_chosen(self, message: PickerScreen.ScenarioChosen) -> None:
        self.chosen.append(message.scenario)


def _table(app: App) -> DataTable:
    return app.screen.query_one("#scenarios", DataTable)


def _cells(app: App, column: str) -> list[str]:
    table = _table(app)
    return [str(table.get_cell_at((row, table.get_column_index(column)))) for row in range(table.row_count)]


# --------------------------------------------------------------------------- picker


async def test_the_picker_lists_every_builtin_with_its_columns():
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        names = builtin_scenarios()
        assert _table(app).row_count == len(names)
        assert sorted(entry.scenario_id for entry in picker.shown) == sorted(names)
        titles = {load_scenario(name).title for name in names}
        cells = _cells(app, "title")
        assert len(cells) == len(titles)
        assert set(cells) == titles  # at 100 columns no title is cut
        assert set(_cells(app, "level")) <= {"intro", "easy", "medium", "hard", "expert"}
        assert set(_cells(app, "minutes")) == {"10"}
        assert set(_cells(app, "best")) == {"—"}
        assert "load-balancer" in " ".join(_cells(app, "concepts"))


async def test_arrow_down_changes_the_preview():
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = app.screen
        first = picker.preview_text()
        assert picker.shown[0].label in first
        assert "SITUATION" in first and "OBJECTIVES" in first and "ARCHITECTURE" in first
        await pilot.press("down")
        second = picker.preview_text()
        assert second != first
        assert picker.shown[1].label in second
        assert picker.highlighted is picker.shown[1]


async def test_rows_come_in_teaching_order_the_intro_drill_first():
    """The order is the course the authors declared (intro, easy, medium, hard, expert, then title), so
    "The unprotected system" (spof-baseline, the intro drill) comes first even though it plays as a
    measured medium; the Level column still shows how hard each drill plays."""
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = app.screen
        ranks = ["intro", "easy", "medium", "hard", "expert"]
        assert picker.shown[0].scenario_id == "spof-baseline"
        assert picker.highlighted is picker.shown[0]
        assert picker.shown[0].label in picker.preview_text()
        keys = [(ranks.index(e.scenario.difficulty), e.label.casefold()) for e in picker.shown]
        assert keys == sorted(keys)  # declared difficulty, then title
        assert _cells(app, "title") == [e.label for e in picker.shown]
        assert _cells(app, "level") == [e.level for e in picker.shown]  # the label shown everywhere


async def test_enter_in_the_filter_starts_the_matching_drill():
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"vrrp", "enter")
        await pilot.pause()
        assert [s.id for s in app.results] == ["lb-vrrp-flap"]


async def test_j_and_k_move_the_cursor_like_the_arrows():
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = app.screen
        await pilot.press("j")
        assert picker.highlighted is picker.shown[1]
        assert picker.shown[1].label in picker.preview_text()
        await pilot.press("j", "j")
        assert picker.highlighted is picker.shown[3]
        await pilot.press("k")
        assert picker.highlighted is picker.shown[2]
        await pilot.press("k", "k", "k")  # stops at the top
        assert picker.highlighted is picker.shown[0]
        assert app.is_running and app.results == []


async def test_j_and_k_type_into_the_filter():
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", "j", "k")
        assert app.screen.query_one("#filter").value == "jk"


async def test_every_builtin_title_is_whole_at_100_columns():
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        cells = _cells(app, "title")
        for name in builtin_scenarios():
            assert load_scenario(name).title in cells
        assert not any(cell.endswith("…") for cell in cells)
        assert any(cell.endswith("…") for cell in _cells(app, "concepts"))  # concepts give way first


async def test_slash_and_typing_filters_rows_and_escape_clears():
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        total = _table(app).row_count
        await pilot.press("slash", *"db-primary-async")
        assert [entry.scenario_id for entry in app.screen.shown] == ["db-primary-async"]
        assert _table(app).row_count == 1
        await pilot.press("q")  # typed into the filter, does not quit
        assert app.is_running and _table(app).row_count == 0
        assert "No scenario matches" in app.screen.preview_text()
        await pilot.press("escape")
        assert _table(app).row_count == total
        assert not app.screen.query_one("#filter-bar").display


async def test_the_filter_matches_tags_and_difficulty_and_enter_starts_the_first_match():
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = app.screen
        expected = [e.scenario_id for e in picker.entries if e.level == "expert" or "expert" in e.scenario.tags]
        assert expected, "some built-in scenario measures expert"
        await pilot.press("slash", *"expert")
        await pilot.pause()
        assert [entry.scenario_id for entry in picker.shown] == expected
        await pilot.press("enter")
        await pilot.pause()
        assert [s.id for s in app.results] == expected[:1]


async def test_enter_dismisses_with_the_highlighted_scenario():
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        expected = app.screen.shown[1].scenario_id
        await pilot.press("down", "enter")
        await pilot.pause()
        assert [s.id for s in app.results] == [expected]
        assert [s.id for s in app.chosen] == [expected]
        assert not isinstance(app.screen, PickerScreen)


async def test_an_extra_dir_lists_good_and_broken_files_and_a_broken_one_cannot_start(tmp_path):
    extra = tmp_path / "mine"
    extra.mkdir()
    shutil.copy(FIXTURES / "good" / "two_regions.yaml", extra / "two_regions.yaml")
    shutil.copy(FIXTURES / "bad" / "many_problems.yaml", extra / "broken.yaml")
    (extra / "notes.txt").write_text("not a scenario")
    app = Host(PickerScreen(extra_dirs=[extra]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = app.screen
        builtins = len(builtin_scenarios())
        assert _table(app).row_count == builtins + 2
        levels = _cells(app, "level")
        assert levels[builtins:] == ["invalid", "medium"]
        assert _cells(app, "title")[builtins] == "broken.yaml"
        await pilot.press(*["down"] * builtins)
        assert picker.highlighted.scenario is None
        preview = picker.preview_text()
        assert "does not load" in preview
        assert "broken.yaml:10:7: topology.nodes.app-1.capcity: unknown key 'capcity'" in preview
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is picker and app.results == []
        (note,) = list(app._notifications)
        assert note.severity == "error" and "broken.yaml:" in note.message
        await pilot.press("down", "enter")
        assert [s.title for s in app.results] == ["Two regions, a replica and a recommendation service"]


async def test_a_missing_extra_dir_is_a_warning_not_a_crash(tmp_path):
    app = Host(PickerScreen(extra_dirs=[tmp_path / "nowhere"]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert _table(app).row_count == len(builtin_scenarios())
        assert any("nowhere" in n.message and n.severity == "warning" for n in app._notifications)


async def test_the_preview_never_shows_the_faults_the_description_or_the_hints():
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        picker = app.screen
        for index, entry in enumerate(picker.shown):
            if index:
                await pilot.press("down")
            text = picker.preview_text()
            scenario = entry.scenario
            assert scenario.title in text
            for secret in ["FaultInjected", "method:", "reference_solution", scenario.description]:
                assert secret not in text, (entry.scenario_id, secret)
            for hint in scenario.hints:
                assert hint.text not in text
            # the title, id and concept tags name the topic a trainee chose; the rest must not name the fault
            body = text.lower().replace(scenario.title.lower(), "").replace(entry.scenario_id, "")
            for tag in scenario.tags:
                body = body.replace(tag.lower(), "")
            for fault in scenario.method:
                assert f"{fault.type} " not in body


async def test_the_best_result_comes_from_the_history(tmp_path):
    with History(tmp_path / "h.sqlite3") as history:
        history.record(trainee="me", scenario="lb-failover", seed=3, score=62.0, grade="D", passed=True, breakdown={}, tags=[])
        history.record(trainee="me", scenario="lb-failover", seed=4, score=87.5, grade="B", passed=True, breakdown={}, tags=[])
        app = Host(PickerScreen(history=history))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            best = dict(zip((e.scenario_id for e in app.screen.shown), _cells(app, "best")))
            assert best["lb-failover"] == "87.5 B"
            assert best["spof-baseline"] == "—"


async def test_q_quits_the_app():
    app = Host(PickerScreen())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


def test_topology_summary_counts_kinds_vips_clusters_and_regions():
    assert topology_summary(load_scenario("lb-failover").topology) == [
        "2 load balancers (1 VIP), 2 app servers, 1 cache, 1 database in main"
    ]
    assert topology_summary(load_scenario("db-primary-async").topology) == [
        "1 load balancer, 2 app servers, 1 cache, 3 databases (1 cluster) in main"
    ]
    assert topology_summary(load_scenario(FIXTURES / "good" / "two_regions.yaml").topology) == [
        "1 DNS (global)",
        "2 load balancers (1 VIP), 1 app server, 1 database, 1 service in us-east",
        "1 app server, 1 database in eu-west",
    ]


def test_problems_in_the_method_keep_their_place_but_not_their_words():
    spoiler = Problem("/x/mine.yaml", 16, 19, "method[0].target", "unknown node 'db-2'")
    assert describe_problem(spoiler).startswith("mine.yaml:16:19: a problem in 'method'")
    assert "db-2" not in describe_problem(spoiler)
    plain = Problem("/x/mine.yaml", 3, 1, "title", "missing")
    assert describe_problem(plain) == "mine.yaml:3:1: title: missing"


# --------------------------------------------------------------------------- briefing


async def test_briefing_enter_starts_and_escape_goes_back():
    scenario = load_scenario("lb-failover")
    for key, expected in (("enter", True), ("escape", False)):
        app = Host(BriefingScreen(scenario, seed=7))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            assert app.results == [expected]


async def test_briefing_start_button_starts():
    app = Host(BriefingScreen(load_scenario("spof-baseline"), seed=1))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.click("#start")
        await pilot.pause()
        assert app.results == [True]


async def test_briefing_says_what_the_trainee_may_know_and_every_command_key():
    scenario = load_scenario("db-primary-async")
    app = Host(BriefingScreen(scenario, seed=7))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = app.screen.briefing_text()
        assert scenario.title in text and "seed 7" in text
        for objective in scenario.objectives:
            assert objective in text
        assert "99 % of requests succeed" in text and "p99 latency under 1 s" in text
        assert "Health checks every 2 s (fall 3, rise 2)" in text
        assert "No automatic database failover" in text
        assert "2 hints" in text and "5 points" in text and "15 points" in text
        lines = text.splitlines()
        for spec in command_specs():
            line = next((line for line in lines if line.strip().startswith(f"{spec.key}  {spec.title}")), None)
            assert line is not None, spec.key
            assert ("asks for confirmation" in line) == spec.destructive
        for key in ("space", "1 2 3 4", "?", ": ctrl+p", "q"):
            assert any(line.strip().startswith(f"{key}  ") for line in lines), key
        for secret in ["method", "between:", "partition", scenario.description, *(hint.text for hint in scenario.hints)]:
            assert secret not in text
        assert "ASSESSMENT" not in text


async def test_briefing_in_assess_mode_says_what_is_disabled():
    app = Host(BriefingScreen(load_scenario("lb-failover"), seed=7, assess=True))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = app.screen.briefing_text()
        assert "Pause, speed-up and hints are disabled" in text
        assert "hints are disabled in assessment" in text


async def test_briefing_fits_80x24_by_scrolling():
    app = Host(BriefingScreen(load_scenario("db-primary-async"), seed=7, assess=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        body = app.screen.query_one("#briefing-body", VerticalScroll)
        assert body.max_scroll_y > 0
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        assert app.screen.query_one("#start").region.height > 0


def test_briefing_words_for_automation_slo_and_hints():
    lb = load_scenario("lb-failover")
    assert automation_summary(lb) == [
        "Health checks every 2 s (fall 3, rise 2): a server is taken out of rotation after 3 failed checks and back after 2 passes.",
        "No automatic load-balancer failover (VRRP off): moving a virtual IP is up to you.",
        "Crashed instances are not restarted automatically.",
    ]
    on = lb.model_copy(
        update={"automation": lb.automation.model_copy(update={"vrrp": lb.automation.vrrp.model_copy(update={"enabled": True})})}
    )
    assert "about 3.6 s" in automation_summary(on)[1]
    assert slo_summary(lb) == "99 % of requests succeed (error budget 1 %); p99 latency under 1 s"
    assert hint_summary(lb) == [
        "2 hints, revealed in order (each costs points only if you ask for it):",
        "1. free at 2:30, or earlier for 5 points",
        "2. on request, for 10 points",
    ]
