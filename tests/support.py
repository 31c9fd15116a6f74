"""Plain helpers shared by the tests (paths, built-in scenarios, golden journals); fixtures are in conftest.py.

Built-in scenarios are loaded with :func:`engine.scenario.loader.load_scenario` when that
loader is importable; otherwise with ``yaml.safe_load`` and
:meth:`Scenario.model_validate`, the id set to the file stem (what the loader does).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from engine.scenario.schema import Scenario

TESTS_DIR = Path(__file__).resolve().parent
"""This folder: fixtures, golden journals, the crash driver."""
ROOT = ROOT_DIR = TESTS_DIR.parent
"""The checkout: scenarios, docs, bench."""
SCENARIO_DIR = ROOT / "scenarios"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
GOLDEN_SEED = 7
UPDATE_GOLDEN_ENV = "SPOFDRILL_UPDATE_GOLDEN"

try:
    from engine.scenario.loader import load_scenario as _engine_load_scenario
except Exception:  # noqa: BLE001 - ImportError or a half-written loader: fall back to yaml + pydantic
    _engine_load_scenario = None


def builtin_names() -> list[str]:
    """Names (file stems) of the built-in scenarios, sorted."""
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.yaml"))


def _load_with_yaml(path: Path) -> Scenario:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Scenario.model_validate(data).model_copy(update={"id": path.stem})


def load_builtin(name: str) -> Scenario:
    """A built-in scenario by name (``lb-failover``), with ``id`` set to the name."""
    path = SCENARIO_DIR / f"{name}.yaml"
    if _engine_load_scenario is not None:
        return _engine_load_scenario(path)
    return _load_with_yaml(path)


def has_random_fault_times(scenario: Scenario) -> bool:
    """True when some fault of the method starts at a seeded random time (``at: {between: ...}``)."""
    return any(not isinstance(fault.at, (int, float)) for fault in scenario.method)


def reference_journal(scenario: Scenario, seed: int = GOLDEN_SEED) -> str:
    """The JSON Lines journal of the scenario's reference solution run to the end with ``seed``."""
    from engine.sim.runner import simulate

    return simulate(scenario, seed, scenario.reference_solution, name="reference").sim.journal.to_jsonl()


def run_sliced(scenario: Scenario, seed: int, step: float | None):
    """Run the reference solution to the end, calling ``run(k * step)`` for k = 1, 2, ...; one shot for ``None``.

    Returns the finished :class:`~engine.sim.simulation.Simulation`.
    """
    from engine.sim.actions import ActionDriver
    from engine.sim.simulation import Simulation

    sim = Simulation(scenario, seed)
    ActionDriver(sim, scenario.reference_solution).install()
    if step is None:
        sim.run(sim.duration)
        return sim
    k = 1
    while sim.now < sim.duration:
        sim.run(k * step)  # k * step, not repeated +=, so float drift cannot add a slice
        k += 1
    return sim


async def start_drill(pilot, app):
    """From the briefing on screen, start the clock; the drill screen (console tests, Textual Pilot)."""
    from tui.screens.briefing import BriefingScreen
    from tui.screens.drill import DrillScreen

    await pilot.pause()
    assert isinstance(app.screen, BriefingScreen)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, DrillScreen)
    return app.screen


async def select_node(pilot, screen, name: str) -> None:
    """Select a node of a drill by clicking its box on the topology."""
    from tui.widgets.topology import TopologyView

    topology = screen.query_one(TopologyView)
    box = topology.topology_layout.box_of(name)
    assert box is not None, name
    await pilot.click(TopologyView, offset=(box.center, box.y + box.h // 2))
    await pilot.pause()
    assert screen.selected == name


async def run_to_debrief(pilot, app, screen, seconds: float):
    """Advance a drill past its end and wait for the debrief (its result is computed off the UI thread); the debrief."""
    from tui.screens.debrief import DebriefScreen

    screen.advance_by(seconds)
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, DebriefScreen)
    return app.screen
