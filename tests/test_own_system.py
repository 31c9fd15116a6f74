"""Your own system, end to end, as a team would use it (issue 15's "done when").

Import the Kubernetes fixture, analyse it, generate its drills into the drill
library, then play one generated drill headless (its reference as an action
script, the result bundle verified) and in the console (picked under the
system's heading, the SPOFs hunted, the database restarted by hand, the debrief recorded and
the next drill advised among built-in and own drills).

``generate`` checks over 2 seeds here to keep the suite fast; the command's
default, 20, is what ``tests/engine/analysis/test_generate.py`` checks once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from engine.cli.main import main
from engine.records.progress import catalogue, suggest_next
from engine.scenario.loader import library_files, load_scenario
from support import TESTS_DIR, run_to_debrief, select_node, start_drill

K8S = TESTS_DIR / "fixtures" / "imports" / "k8s-shop"
DB_DRILL = "k8s-shop-postgres-0-lost"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture imported, analysed and its two SPOF drills generated (once for the module)."""
    import contextlib
    import io

    work = tmp_path_factory.mktemp("own-system")
    shop, out = work / "shop.yaml", io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["import", str(K8S), "-o", str(shop)]) == 0
        assert main(["analyze", str(shop), "--no-simulation", "--json", str(work / "analysis.json")]) == 0
        analysis = json.loads((work / "analysis.json").read_text())
        status = {name: c["status"] for name, c in analysis["classification"].items()}
        assert status["postgres-0"] == "spof" and status["ingress-nginx-controller"] == "spof"
        assert {status[f"web-{i}"] for i in (1, 2, 3)} == {"harmless"}
        table = [line for line in out.getvalue().splitlines()
                 if line.startswith("  ") and line.split()[0] in status and line.split()[1] in ("SPOF", "harmless", "degrading")]
        assert len(table) == len(status), table
        assert len({line.index(line.split()[1]) for line in table}) == 1, table  # one column, however long the names
        out.truncate(0)
        assert main(["generate", str(shop), "--seeds", "2", "--max", "2", "-o", str(work / "k8s-shop")]) == 0
    assert out.getvalue().count("written") >= 2, out.getvalue()
    return work / "k8s-shop"


@pytest.fixture
def library(generated: Path, data_dir: Path) -> dict[str, Path]:
    """The generated drills in this test's drill library, as 'generate' without -o would leave them."""
    import shutil

    shutil.copytree(generated, data_dir / "drills" / "k8s-shop")
    files = {path.stem: path for path in library_files()}
    assert set(files) == {"k8s-shop-ingress-nginx-controller-lost", DB_DRILL}
    return files


def test_a_generated_drill_runs_headless_passes_with_its_reference_and_verifies(
        library: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    drill = load_scenario(DB_DRILL)  # by name, from the library
    assert drill.architecture == "k8s-shop" and "generated" in drill.tags
    script = tmp_path / "reference.yaml"
    steps = [step.model_dump(mode="json", by_alias=True, exclude_defaults=True) for step in drill.reference_solution.steps]
    script.write_text(yaml.safe_dump({"name": "by the book", "steps": steps}), encoding="utf-8")
    bundle = tmp_path / "run.bundle.json"
    assert main(["run", DB_DRILL, "--seed", "11", "--actions", str(script), "--bundle", str(bundle)]) == 0  # 0: passed
    assert main(["run", DB_DRILL, "--seed", "11", "--no-par"]) == 1  # doing nothing fails it
    capsys.readouterr()
    assert main(["verify", str(bundle)]) == 0
    assert "OK" in capsys.readouterr().out


async def test_a_generated_drill_is_picked_played_and_advised_in_the_console(library: dict[str, Path]) -> None:
    from tui.app import SpofdrillApp
    from tui.screens.dialogs import ConfirmDialog
    from tui.screens.picker import Heading, PickerScreen

    app = SpofdrillApp(autoplay=False, keep_journal=False, seed=4)
    async with app.run_test(size=(110, 34)) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert "k8s-shop" in [row.architecture for row in picker.rows if isinstance(row, Heading)]
        await pilot.press("slash", *"postgres-0-lost", "enter")
        screen = await start_drill(pilot, app)
        assert screen.session.scenario.id == DB_DRILL and screen.session.scenario.spof_hunt
        await select_node(pilot, screen, "postgres-0")  # the hunt: one of the system's two SPOFs, before the fault
        await pilot.press("m")
        await pilot.pause()
        assert screen.session.sim.marks == {"postgres-0"}
        for _ in range(40):  # the crash comes at 60-90 s; InstanceDown 10 s after the scrape that misses it
            screen.advance_by(5)
            if "InstanceDown:postgres-0" in {a.id for a in screen.last_snapshot.firing()}:
                break
        else:
            raise AssertionError("InstanceDown:postgres-0 never fired")
        await select_node(pilot, screen, "postgres-0")
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        debrief = await run_to_debrief(pilot, app, screen, 700)
        assert debrief.ending.run.score.passed
        assert debrief.ending.run.outcome.downtime < debrief.report.no_action.outcome.downtime
        hunt = str(debrief.query_one("#hunt").render())
        assert "SPOF hunt: 50 / 100" in hunt and "ingress-nginx-controller" in hunt  # one found, one missed
        record = app.history.best(DB_DRILL)
        assert record is not None and record.passed
        pick = suggest_next(app.history.all_runs(), catalogue())
        assert pick is not None and pick.scenario != DB_DRILL


def test_the_compose_fixture_imports_analyses_and_generates_a_fair_drill(tmp_path: Path, capsys) -> None:
    """The other fixture, a typical Compose web app (nginx, web, worker, postgres, redis), through the same path."""
    shop = tmp_path / "webapp.yaml"
    assert main(["import", str(K8S.parent / "compose-webapp" / "docker-compose.yml"), "-o", str(shop)]) == 0
    assert main(["analyze", str(shop), "--no-simulation"]) == 0
    assert "SPOF" in capsys.readouterr().out
    assert main(["generate", str(shop), "--seeds", "2", "--max", "1", "-o", str(tmp_path / "drills")]) == 0
    written = sorted((tmp_path / "drills").glob("*.yaml"))
    assert len(written) == 1 and load_scenario(written[0]).architecture == load_scenario(shop).architecture
