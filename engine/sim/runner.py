"""Headless runs: a scenario, a seed and an action script, with the par runs beside them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.sim.actions import ActionDriver
from engine.scenario.schema import ActionScript, Scenario
from engine.scoring.outcome import Outcome
from engine.scoring.score import Score, score_outcome
from engine.sim.simulation import Simulation

NO_ACTION = ActionScript(name="no action", steps=[])


@dataclass(frozen=True)
class Run:
    """One finished simulation and its measurements."""

    name: str
    seed: int
    sim: Simulation
    outcome: Outcome
    score: Score

    def summary(self) -> dict[str, Any]:
        """The run's measurements as plain data (the SPOF hunt is scored by :func:`engine.records.results.run_summary`)."""
        return {"name": self.name, "seed": self.seed, "outcome": self.outcome.to_dict(), **self.score.to_dict()}


def simulate(
    scenario: Scenario, seed: int = 0, script: ActionScript | None = None, name: str = "trainee", *, budget: bool = True
) -> Run:
    """Run a scenario to its end with an action script (none: no action); past the work budget it is refused
    (:func:`~engine.scenario.loader.sizes.check_runnable`) unless ``budget`` is False (benchmarks built in code)."""
    sim = Simulation(scenario, seed, budget=budget)
    if script is not None:
        ActionDriver(sim, script).install()
    slice_ = 60.0
    while sim.now < sim.duration:
        sim.run(sim.now + slice_)
    return measure(sim, name)


def measure(sim: Simulation, name: str = "trainee") -> Run:
    """The measurements of a finished simulation."""
    outcome = sim.outcome()
    return Run(name, sim.seed, sim, outcome, score_outcome(outcome, sim.scenario))


@dataclass(frozen=True)
class Report:
    """A trainee run with the par runs: no action and the reference solution."""

    scenario: Scenario
    run: Run
    no_action: Run
    reference: Run


def par_runs(scenario: Scenario, seed: int = 0) -> tuple[Run, Run]:
    """The two par runs on a scenario and seed: no action, and the reference solution."""
    no_action = simulate(scenario, seed, NO_ACTION, name="no action")
    reference = simulate(scenario, seed, scenario.reference_solution, name="reference")
    return no_action, reference


def run_with_par(scenario: Scenario, seed: int = 0, script: ActionScript | None = None) -> Report:
    """The trainee's run and the two par runs on the same scenario and seed."""
    run = simulate(scenario, seed, script or NO_ACTION, name=(script.name if script else "no action"))
    return Report(scenario, run, *par_runs(scenario, seed))
