"""The drill library: generated drills of the trainee's own systems, by name, in the picker and in the advice.

``spofdrill generate`` writes its drills to ``data_dir()/drills/<architecture>/``
with a ``calibration.json`` beside them. Here such a folder is written by hand
(a built-in drill re-labelled as running on a system of the trainee's), so the
tests do not depend on what the generator produces.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from textual.app import App
from textual.widgets import DataTable

from engine.analysis.calibration import scenario_hash
from engine.records.progress import DrillOption, catalogue, suggest_next
from engine.scenario.loader import builtin_path, library_files, load_scenario
from engine.scenario.problems import ScenarioError
from tui.screens.picker import BUILT_IN_HEADING, Heading, PickerScreen, load_entries


def own_drill(data_dir: Path, system: str, name: str, source: str = "lb-failover", *, measured: str | None = None,
              title: str | None = None) -> Path:
    """A drill of ``system`` in the drill library: the built-in ``source`` with an id, an architecture and a title."""
    data = yaml.safe_load(builtin_path(source).read_text(encoding="utf-8"))
    data.update(id=name, architecture=system, title=title or f"{system}: {data['title']}")
    folder = data_dir / "drills" / system
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    if measured is not None:
        scenario = load_scenario(path)
        calibration = folder / "calibration.json"
        entries = json.loads(calibration.read_text()) if calibration.exists() else {}
        entries[name] = {"hash": scenario_hash(scenario), "difficulty": measured, "index": 0.1,
                         "spread": [40.0, 70.0, 90.0], "seeds": 20}
        calibration.write_text(json.dumps(entries), encoding="utf-8")
    return path


def test_a_generated_drill_is_found_by_name_and_a_builtin_name_still_wins(data_dir: Path) -> None:
    path = own_drill(data_dir, "shop-k8s", "shop-k8s-lb-lost")
    assert library_files() == [path]
    assert load_scenario("shop-k8s-lb-lost").architecture == "shop-k8s"
    own_drill(data_dir, "shop-k8s", "lb-failover")  # same name as a built-in
    assert load_scenario("lb-failover").architecture is None
    try:
        load_scenario("shop-k8s-lb-lots")
    except ScenarioError as exc:
        assert "did you mean 'shop-k8s-lb-lost'" in str(exc)
    else:
        raise AssertionError("an unknown name loaded")


def test_entries_group_own_systems_last_in_teaching_order_with_their_folder_calibration(data_dir: Path) -> None:
    own_drill(data_dir, "zeta", "zeta-db", "db-primary-async", measured="hard")
    own_drill(data_dir, "alpha", "alpha-lb", "lb-failover", measured="easy")
    own_drill(data_dir, "alpha", "alpha-intro", "spof-baseline")  # declared intro, not measured
    entries, warnings = load_entries()
    assert not warnings
    systems = [e.architecture for e in entries]
    first_own = systems.index("alpha")
    assert all(s is None for s in systems[:first_own])
    assert [e.scenario_id for e in entries[first_own:]] == ["alpha-intro", "alpha-lb", "zeta-db"]
    by_id = {e.scenario_id: e for e in entries}
    assert by_id["alpha-lb"].level == "easy" and by_id["zeta-db"].level == "hard"
    assert by_id["alpha-intro"].measured is None
    assert by_id["lb-failover"].architecture is None  # a built-in never counts as the trainee's system


def test_a_broken_calibration_file_only_loses_the_label(data_dir: Path) -> None:
    own_drill(data_dir, "alpha", "alpha-lb", measured="easy")
    (data_dir / "drills" / "alpha" / "calibration.json").write_bytes(b"\xff\xfe[1, 2")
    entries, _ = load_entries()
    entry = next(e for e in entries if e.scenario_id == "alpha-lb")
    assert entry.valid and entry.measured is None


class Host(App):
    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(PickerScreen(), self.chosen.append)


async def test_the_picker_shows_own_drills_under_their_system_heading(data_dir: Path) -> None:
    own_drill(data_dir, "shop-k8s", "shop-k8s-lb-lost", measured="easy", title="The front door")
    own_drill(data_dir, "shop-k8s", "shop-k8s-db-lost", "db-primary-async", measured="hard", title="Orders stop")
    app = Host()
    async with app.run_test(size=(110, 34)) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        headings = [row for row in picker.rows if isinstance(row, Heading)]
        assert [h.architecture for h in headings] == [BUILT_IN_HEADING, "shop-k8s"]
        index = picker.rows.index(headings[1])
        assert [r.label for r in picker.rows[index + 1:]] == ["The front door", "Orders stop"]
        table = picker.query_one("#scenarios", DataTable)
        assert "shop-k8s" in str(table.get_cell_at((index, 0)))
        assert picker.highlighted is picker.shown[0]  # the cursor starts on a drill, not a heading
        table.move_cursor(row=index)
        await pilot.pause()
        assert picker.highlighted is None
        preview = picker.preview_text()
        assert "Your own system: 2 drills" in preview and "The front door" in preview
        await pilot.press("enter")  # on a heading: to its first drill, nothing starts
        await pilot.pause()
        assert picker.highlighted.label == "The front door" and not app.chosen
        await pilot.press("slash", *"stop", "enter")  # enter in the filter starts the first match, not a heading
        await pilot.pause()
        labels = [r.architecture if isinstance(r, Heading) else r.label for r in picker.rows]
        assert labels == ["shop-k8s", "Orders stop"]
        assert app.chosen and app.chosen[0].id == "shop-k8s-db-lost"


def test_without_own_drills_there_are_no_headings(data_dir: Path) -> None:
    from tui.screens.picker import rows_of

    entries, _ = load_entries()
    assert rows_of(entries) == entries


def test_the_advice_chooses_among_builtin_and_own_drills_and_says_which_system(data_dir: Path) -> None:
    own_drill(data_dir, "shop-k8s", "shop-k8s-lb-lost", measured="easy")
    options = catalogue()
    own = next(o for o in options if o.scenario == "shop-k8s-lb-lost")
    assert own.architecture == "shop-k8s" and own.difficulty == "easy"
    assert all(o.architecture is None for o in options if o.scenario != "shop-k8s-lb-lost")
    builtin = DrillOption("lb-failover", "LB", ("load-balancer",), "easy", 0.05)
    mine = DrillOption("shop-lb", "Mine", ("load-balancer",), "easy", 0.3, "shop-k8s")
    harder = DrillOption("shop-lb-hard", "Mine too", ("load-balancer",), "medium", 0.5, "shop-k8s")
    # a newcomer: SPOF hunting comes first in the table, but no option teaches it; load balancing is next
    pick = suggest_next([], [builtin, harder, mine])
    assert pick.scenario == "shop-lb"
    assert "on your system shop-k8s" in pick.reason and "(easy)" in pick.reason
    pick = suggest_next([], [builtin, harder])  # an easier built-in beats a harder own drill
    assert pick.scenario == "lb-failover" and "your system" not in pick.reason


def test_list_names_the_own_drills_under_their_system(data_dir: Path, capsys) -> None:
    from engine.cli.main import main

    own_drill(data_dir, "shop-k8s", "shop-k8s-db-lost", "db-primary-async", measured="hard", title="Orders stop")
    broken = data_dir / "drills" / "shop-k8s" / "zz-broken.yaml"
    broken.write_text("title: [unclosed\n", encoding="utf-8")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    tail = out[out.index("your system shop-k8s"):].splitlines()
    assert tail[1].split()[:2] == ["shop-k8s-db-lost", "hard"] and "Orders stop" in tail[1]
    assert tail[2].split()[:2] == ["zz-broken", "invalid"] and str(broken) in tail[2]
