"""The spofdrill engine: the simulation, its formats and scoring, headless (no console imports).

The public API is gathered here, as simpy gathers its own: ``from engine import
Simulation, load_scenario, simulate``. Names are imported on first use (PEP 562),
so ``import engine`` stays cheap for a process that needs one corner of it.

The engine is layered; each layer imports only the ones below it (import-linter
contracts in ``pyproject.toml``, checked by the tests)::

    cli        the headless command line
    records    what stays on disk: journals, bundles, replay, recovery, history, progress, postmortems, assessments
    analysis   SPOFs, cut sets, availability, blast radius, what-if, chaos runs, suggestions, fairness
    sim        the running drill: world, traffic, automation, faults, monitoring, commands applied, snapshots
    scoring    the outcome (from the simulation's public tally) and the score
    scenario   the scenario language: schema, loader, problems, topology
    commands   the trainee's commands: declared once, with their checks, effects and previews
    util       plumbing: atomic files, the data folder, write-id ranges, the parallel runner

``docs/architecture.md`` says where each kind of change goes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from engine.util.version import __version__

_EXPORTS: dict[str, tuple[str, ...]] = {
    "engine.scenario.schema": ("Scenario", "ActionScript", "Step", "Trigger", "Fault", "Topology"),
    "engine.scenario.loader": (
        "load_scenario", "load_scenario_text", "load_actions", "load_actions_text", "validate_file",
        "builtin_scenarios",
    ),
    "engine.scenario.problems": ("Problem", "ScenarioError"),
    "engine.commands": ("Command", "CommandSpec", "CommandError", "build_command", "command_specs"),
    "engine.scoring.outcome": ("Outcome", "Tally", "compute_outcome"),
    "engine.scoring.score": ("Score", "score_outcome"),
    "engine.sim.simulation": ("Simulation", "Preview", "Receipt", "Refused"),
    "engine.sim.snapshot": ("Snapshot", "NodeView", "EdgeView", "AlertView", "PendingView"),
    "engine.sim.journal": ("Journal", "Entry", "read_jsonl"),
    "engine.sim.actions": ("ActionDriver",),
    "engine.sim.runner": ("NO_ACTION", "Run", "Report", "simulate", "measure", "par_runs", "run_with_par"),
    "engine.analysis.structure": ("Analysis", "analyze"),
    "engine.analysis.whatif": ("what_if",),
    "engine.analysis.chaosrun": ("chaos_availability",),
    "engine.analysis.suggest": ("suggestions",),
    "engine.analysis.check": ("check",),
    "engine.analysis.hunt": ("score_hunt",),
    "engine.records.results": ("run_summary", "report_document"),
    "engine.records.bundle": ("Bundle", "BundleError", "read_bundle", "write_bundle", "verify"),
    "engine.records.replay": ("Transcript", "Replayer", "replay", "transcript_of"),
    "engine.records.history": ("History", "Record"),
    "engine.records.postmortem": ("postmortem_markdown",),
    "engine.records.assess": ("assess",),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # for type checkers and editors: the same names, eagerly
    from engine.analysis.check import check
    from engine.analysis.chaosrun import chaos_availability
    from engine.analysis.hunt import score_hunt
    from engine.analysis.structure import Analysis, analyze
    from engine.analysis.suggest import suggestions
    from engine.analysis.whatif import what_if
    from engine.commands import Command, CommandError, CommandSpec, build_command, command_specs
    from engine.records.assess import assess
    from engine.records.bundle import Bundle, BundleError, read_bundle, verify, write_bundle
    from engine.records.history import History, Record
    from engine.records.postmortem import postmortem_markdown
    from engine.records.replay import Replayer, Transcript, replay, transcript_of
    from engine.records.results import report_document, run_summary
    from engine.scenario.loader import (
        builtin_scenarios, load_actions, load_actions_text, load_scenario, load_scenario_text, validate_file,
    )
    from engine.scenario.problems import Problem, ScenarioError
    from engine.scenario.schema import ActionScript, Fault, Scenario, Step, Topology, Trigger
    from engine.scoring.outcome import Outcome, Tally, compute_outcome
    from engine.scoring.score import Score, score_outcome
    from engine.sim.actions import ActionDriver
    from engine.sim.journal import Entry, Journal, read_jsonl
    from engine.sim.runner import NO_ACTION, Report, Run, measure, par_runs, run_with_par, simulate
    from engine.sim.simulation import Preview, Receipt, Refused, Simulation
    from engine.sim.snapshot import AlertView, EdgeView, NodeView, PendingView, Snapshot
