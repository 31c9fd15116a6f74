"""Result documents: a run, or a trainee's run with its par runs, as the JSON that is saved, bundled and compared."""

from __future__ import annotations

from typing import Any

from engine.analysis.hunt import score_hunt
from engine.sim.runner import Report, Run


def run_summary(run: Run) -> dict[str, Any]:
    """A run's measurements, with its SPOF hunt scored when the drill asks for one."""
    doc = run.summary()
    if run.sim.scenario.spof_hunt:
        doc["spof_hunt"] = score_hunt(run.sim.scenario, set(run.sim.marks)).to_dict()
    return doc


def report_document(report: Report) -> dict[str, Any]:
    """A trainee's run beside the par runs (no action, the reference solution)."""
    return {
        "scenario": report.scenario.id,
        "title": report.scenario.title,
        "seed": report.run.seed,
        "passed": report.run.score.passed,
        "pass_score": report.scenario.scoring.pass_score,
        "run": run_summary(report.run),
        "par": {"no_action": run_summary(report.no_action), "reference": run_summary(report.reference)},
    }
