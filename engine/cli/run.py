"""``spofdrill run``: a scenario played headless, scored beside its par runs, and its report."""

from __future__ import annotations

import argparse
import json
from typing import Any

from engine.cli.common import EXIT_FAIL, EXIT_PASS, InputError, write_output
from engine.records.results import report_document, run_summary
from engine.scenario.loader import load_actions, load_scenario
from engine.scenario.loader.sizes import check_runnable
from engine.scoring.format import names, number, outcome_table, probe_value
from engine.sim.runner import Report, run_with_par, simulate
from engine.util.files import WriteError


def format_report(report: Report) -> str:
    """The readable result of a run with its par runs."""
    sc = report.scenario
    columns = [(title, run.outcome, run.score) for title, run in
               (("this run", report.run), ("no action", report.no_action), ("reference", report.reference))]
    lines = [
        f"{sc.id} — {sc.title}   (seed {report.run.seed}, {sc.duration:.0f} s simulated)",
        "",
        *outcome_table(columns),
        "",
        "  score breakdown (points lost): "
        + ", ".join(f"{k} {v:.1f}" for k, v in report.run.score.penalties.items()),
    ]
    for probe in report.run.score.probes:
        bound = " and ".join(
            part for part in (
                f"at least {number(probe['min'])}" if probe["min"] is not None else "",
                f"at most {number(probe['max'])}" if probe["max"] is not None else "",
            ) if part
        )
        lines.append(f"  probe {probe['name']}: {probe_value(probe['value'])} ({bound}) {'ok' if probe['ok'] else 'FAILED'}")
    if sc.spof_hunt:
        from engine.analysis.hunt import score_hunt

        hunt = score_hunt(sc, set(report.run.sim.marks))
        lines.append(f"  SPOF hunt {hunt.score:.0f}/100: right {names(hunt.right, empty='-')}; "
                     f"missed {names(hunt.missed, empty='-')}; false alarms {names(hunt.false_alarms, empty='-')}")
    verdict = "PASSED" if report.run.score.passed else "FAILED"
    lines.append("")
    lines.append(
        f"  verdict: {verdict} (needs a score of {number(sc.scoring.pass_score)} or more and every probe within tolerance)"
    )
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    if args.postmortem and args.no_par:
        raise InputError("--postmortem compares the run with the par runs: leave out --no-par")
    scenario = load_scenario(args.scenario)
    script = load_actions(args.actions, scenario) if args.actions else None
    check_runnable(scenario, str(args.scenario))  # past the work budget: one line naming the file, before any run
    if args.no_par:
        run = simulate(scenario, args.seed, script, name=script.name if script else "no action")
        report = None
        result: dict[str, Any] = {"scenario": scenario.id, "seed": args.seed, "passed": run.score.passed, "run": run_summary(run)}
        print(f"{scenario.id}: score {run.score.score:.1f} ({run.score.grade}), "
              f"downtime {run.outcome.downtime:.1f} s, lost writes {run.outcome.lost_writes}: "
              f"{'PASSED' if run.score.passed else 'FAILED'}")
    else:
        report = run_with_par(scenario, args.seed, script)
        run = report.run
        result = report_document(report)
        print(format_report(report))
    if args.json:
        write_output(args.json, json.dumps(result, indent=2, sort_keys=True) + "\n")
        print(f"  result written to {args.json}")
    if args.journal:
        write_output(args.journal, run.sim.journal.to_jsonl())
        print(f"  journal written to {args.journal} ({len(run.sim.journal)} entries)")
    if args.bundle:
        from engine.records.bundle import bundle_of, write_bundle

        bundle = bundle_of(run, script.name if script else "no action", "headless")
        try:
            write_bundle(bundle, args.bundle)
        except WriteError as exc:
            raise InputError(str(exc)) from None
        print(f"  result bundle written to {args.bundle} (check it with: spofdrill verify {args.bundle})")
        for note in bundle.notes:
            print(f"  note: {note}")
    if args.postmortem and report is not None:
        from engine.records.postmortem import postmortem_markdown

        write_output(args.postmortem, postmortem_markdown(report))
        print(f"  postmortem draft written to {args.postmortem}")
    return EXIT_PASS if run.score.passed else EXIT_FAIL
