"""What a finished drill is reported as: the result document, the rows of the par table, a branch beside its original.

Plain functions over engine runs (rich tables at most, no Textual): the debrief screen renders them and the
result file saves them, so no screen has to borrow them from another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from engine.analysis.hunt import score_hunt
from engine.records.results import run_summary
from engine.scoring.format import outcome_rows
from engine.sim.runner import Report, Run

from .moments import describe_command, format_moment  # noqa: F401  (describe_command re-exported)
from .session import BranchOrigin
from .wording import value_words

if TYPE_CHECKING:
    from .session import DrillSession, Ending


def outcome_table_rows(runs: Sequence[Run]) -> list[tuple[str, list[str]]]:
    """The debrief's table, one column a run: the outcome table every report shares
    (:func:`engine.scoring.format.outcome_rows`), with the verdict under the score."""
    rows = outcome_rows([(run.outcome, run.score) for run in runs])
    verdict = ("verdict", ["passed" if run.score.passed else "failed" for run in runs])
    return [rows[0], verdict, *rows[1:]]


def commands_of(run: Run) -> list[tuple[float, str]]:
    """The commands a run issued, as (time, "command target args")."""
    out = []
    for entry in run.sim.journal.of_type("CommandIssued"):
        args = " ".join(f"{k}={value_words(v)}" for k, v in (entry.data.get("args") or {}).items())
        out.append((entry.t, f"{entry.data['command']} {entry.data.get('target') or ''} {args}".strip()))
    return out


def result_document(session: DrillSession, ending: Ending, report: Report | None) -> dict:
    """The result as saved to JSON."""
    run = ending.run
    doc = {
        "scenario": session.scenario.id,
        "title": session.scenario.title,
        "seed": session.seed,
        "trainee": session.trainee,
        "mode": "assessment" if session.assess else "practice",
        "ended_early": ending.ended_early,
        "commands": [{"t": t, "command": c} for t, c in commands_of(run)],
        "run": run_summary(run),
    }
    if report is not None:
        doc["par"] = {"no_action": run_summary(report.no_action), "reference": run_summary(report.reference)}
    if session.scenario.spof_hunt:
        doc["spof_hunt"] = score_hunt(session.scenario, set(run.sim.marks)).to_dict()
    return doc


BRANCH_ROWS: tuple[tuple[str, Callable[[Run], float | None], str, bool], ...] = (
    ("score", lambda r: r.score.score, "{:.1f}", True),
    ("downtime (request-weighted)", lambda r: r.outcome.downtime, "{:.1f} s", False),
    ("lost writes", lambda r: r.outcome.lost_writes, "{:.0f}", False),
    ("time to detect", lambda r: r.outcome.time_to_detect, "{:.0f} s", False),
    ("time to mitigate", lambda r: r.outcome.time_to_mitigate, "{:.0f} s", False),
)
"""What a branch is compared with its original on: (label, value, format, higher is better)."""


def _change(before: float | None, after: float | None, higher_better: bool) -> Text:
    if before is None or after is None:  # "never" (detected, mitigated) is worse than any time
        return (Text("same", style="dim") if before is after
                else Text("worse", style="red") if after is None else Text("better", style="green"))
    if abs(after - before) < 0.05:
        return Text("same", style="dim")
    better = (after > before) == higher_better
    return Text(f"{after - before:+.1f}", style="green" if better else "red")


def branch_comparison(branch: Run, origin: BranchOrigin) -> Table:
    """The branch beside the run it was taken over from, with what changed."""
    table = Table(title=f"Your branch (taken over at {format_moment(origin.at)}) beside the original run",
                  title_justify="left", expand=False)
    table.add_column("")
    table.add_column("original", justify="right")
    table.add_column("branch", justify="right", style="bold")
    table.add_column("change", justify="right")
    for label, value, fmt, higher_better in BRANCH_ROWS:
        before, after = value(origin.original), value(branch)
        shown = ["never" if v is None else fmt.format(v) for v in (before, after)]
        table.add_row(label, *shown, _change(before, after, higher_better))
    verdicts = ["passed" if r.score.passed else "failed" for r in (origin.original, branch)]
    table.add_row("verdict", *verdicts, Text("" if verdicts[0] == verdicts[1] else "changed", style="bold"))
    return table
