"""The headless command line: ``spofdrill list|validate|run|schema|check|analyze|verify|assess|history|postmortem|commands``.

Exit codes follow Chaos Toolkit and Maelstrom: ``run`` (and ``assess``) exits
0 when the run meets the scenario's bar, 1 when it does not, 2 on bad input;
``validate`` exits 1 when any file has a problem; ``verify`` 0 when every
bundle re-simulates to its result, 1 when one diverges or was edited, 2 when
one cannot be read. Bad input never produces a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

from engine.commands import command_specs
from engine.util.files import WriteError, write_atomic
from engine.scenario.loader import builtin_scenarios, load_actions, load_scenario, validate_file
from engine.scenario.problems import ScenarioError
from engine.records.results import report_document, run_summary
from engine.sim.runner import Report, Run, run_with_par, simulate
from engine.scenario.schema import action_script_json_schema, scenario_json_schema

EXIT_PASS, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


class InputError(Exception):
    """Bad input from the user: the message says what and where."""


def _write_atomic(path: str, text: str) -> None:
    try:
        write_atomic(path, text)
    except WriteError as exc:
        raise InputError(str(exc)) from None


# --------------------------------------------------------------------------- formatting


def _fmt_s(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def _fmt_row(label: str, runs: Sequence[Run], fn) -> str:
    cells = "".join(f"{fn(r):>14}" for r in runs)
    return f"  {label:<26}{cells}"


def format_report(report: Report) -> str:
    """The readable result of a run with its par runs."""
    sc = report.scenario
    runs = [report.run, report.no_action, report.reference]
    lines = [
        f"{sc.id} — {sc.title}   (seed {report.run.seed}, {sc.duration:.0f} s simulated)",
        "",
        f"  {'':<26}{'this run':>14}{'no action':>14}{'reference':>14}",
        _fmt_row("score", runs, lambda r: f"{r.score.score:.1f} ({r.score.grade})"),
        _fmt_row("availability", runs, lambda r: f"{100 * r.outcome.availability:.2f} %"),
        _fmt_row("downtime (req-weighted)", runs, lambda r: f"{r.outcome.downtime:.1f} s"),
        _fmt_row("full outage", runs, lambda r: f"{r.outcome.full_outage:.0f} s"),
        _fmt_row("lost writes", runs, lambda r: f"{r.outcome.lost_writes}"),
        _fmt_row("RPO window", runs, lambda r: f"{r.outcome.rpo:.1f} s"),
        _fmt_row("split brain", runs, lambda r: f"{r.outcome.split_brain_seconds:.0f} s"),
        _fmt_row("time to detect", runs, lambda r: _fmt_s(r.outcome.time_to_detect)),
        _fmt_row("time to mitigate", runs, lambda r: _fmt_s(r.outcome.time_to_mitigate)),
        _fmt_row("time to recover", runs, lambda r: _fmt_s(r.outcome.time_to_recover)),
        _fmt_row("commands", runs, lambda r: f"{r.outcome.commands}"),
        _fmt_row("hint cost", runs, lambda r: f"{r.outcome.hint_cost:.0f}"),
        "",
        "  score breakdown (points lost): "
        + ", ".join(f"{k} {v:.1f}" for k, v in report.run.score.penalties.items()),
    ]
    for probe in report.run.score.probes:
        bound = " and ".join(
            part for part in (
                f"at least {probe['min']:g}" if probe["min"] is not None else "",
                f"at most {probe['max']:g}" if probe["max"] is not None else "",
            ) if part
        )
        value = probe["value"]
        shown = "never" if value is None else f"{value:.4g}"
        lines.append(f"  probe {probe['name']}: {shown} ({bound}) {'ok' if probe['ok'] else 'FAILED'}")
    if sc.spof_hunt:
        from engine.analysis.hunt import score_hunt

        hunt = score_hunt(sc, set(report.run.sim.marks))
        lines.append(f"  SPOF hunt {hunt.score:.0f}/100: right {', '.join(hunt.right) or '-'}; "
                     f"missed {', '.join(hunt.missed) or '-'}; false alarms {', '.join(hunt.false_alarms) or '-'}")
    verdict = "PASSED" if report.run.score.passed else "FAILED"
    lines.append("")
    lines.append(
        f"  verdict: {verdict} (needs a score of {sc.scoring.pass_score:g} or more and every probe within tolerance)"
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------- commands


def cmd_list(args: argparse.Namespace) -> int:
    rows = []
    for name in builtin_scenarios():
        scenario = load_scenario(name)
        rows.append((name, scenario.difficulty, scenario.title, ", ".join(scenario.tags)))
    width = max((len(r[0]) for r in rows), default=10)
    print(f"{'scenario':<{width}}  {'difficulty':<10}  title — concepts")
    for name, difficulty, title, tags in rows:
        print(f"{name:<{width}}  {difficulty:<10}  {title} — {tags}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    bad = 0
    for path in args.files:
        problems = validate_file(path)
        if problems:
            bad += 1
            for problem in problems:
                print(problem)
        else:
            print(f"{path}: ok")
    if bad:
        print(f"{bad} of {len(args.files)} file(s) have problems", file=sys.stderr)
    return 1 if bad else 0


def cmd_schema(args: argparse.Namespace) -> int:
    schema = action_script_json_schema() if args.actions else scenario_json_schema()
    print(json.dumps(schema, indent=2, sort_keys=True))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.postmortem and args.no_par:
        raise InputError("--postmortem compares the run with the par runs: leave out --no-par")
    scenario = load_scenario(args.scenario)
    script = load_actions(args.actions, scenario) if args.actions else None
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
        _write_atomic(args.json, json.dumps(result, indent=2, sort_keys=True) + "\n")
        print(f"  result written to {args.json}")
    if args.journal:
        _write_atomic(args.journal, run.sim.journal.to_jsonl())
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

        _write_atomic(args.postmortem, postmortem_markdown(report))
        print(f"  postmortem draft written to {args.postmortem}")
    return EXIT_PASS if run.score.passed else EXIT_FAIL


class _Progress:
    """A one-line progress bar on standard error (only when it is a terminal, or forced)."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled
        self._last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * done / total) if total else width
        percent = int(100 * done / total) if total else 100
        if percent == self._last and done != total:
            return
        self._last = percent
        sys.stderr.write(f"\r{self.label:<24} [{'#' * filled}{'-' * (width - filled)}] {done}/{total} runs")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def cmd_check(args: argparse.Namespace) -> int:
    from engine.analysis.check import check, read_calibration, write_calibration

    scenarios = [load_scenario(source) for source in args.scenarios]
    verdicts = []
    show = sys.stderr.isatty() or args.progress
    for scenario in scenarios:
        label = scenario.id or scenario.title
        verdict = check(
            scenario, range(args.seeds), measure_difficulty=not args.quick, progress=_Progress(label, show)
        )
        verdicts.append(verdict)
        mark = "FAIR" if verdict.fair else "NOT FAIR"
        print(f"{label}: {mark} — reference passed {verdict.reference_passed}/{verdict.seeds} seeds, "
              f"no action failed {verdict.no_action_failed}/{verdict.seeds}")
        if verdict.difficulty is not None:
            low, mid, high = verdict.spread
            print(f"  difficulty {verdict.difficulty} (index {verdict.difficulty_index:.2f}; declared {scenario.difficulty}); "
                  f"expected scores p10 {low:g}, median {mid:g}, p90 {high:g}")
            width = max((len(name) for name in verdict.scores), default=22)
            for name, stats in verdict.scores.items():
                print(f"    {name:<{width}} mean {stats['mean']:>5.1f}  (min {stats['min']:g}, max {stats['max']:g})")
        for problem in verdict.problems[:10]:
            print(f"  {problem}")
        if len(verdict.problems) > 10:
            print(f"  … and {len(verdict.problems) - 10} more")
    if args.json:
        _write_atomic(args.json, json.dumps([v.to_dict() for v in verdicts], indent=2) + "\n")
        print(f"results written to {args.json}")
    if args.write_calibration:
        if args.quick:
            raise InputError("--write-calibration needs the difficulty sweep (leave out --quick)")
        calibration = read_calibration()
        for verdict in verdicts:
            if verdict.fair:
                calibration[verdict.scenario] = verdict.calibration()
        try:
            path = write_calibration(calibration)
        except WriteError as exc:
            raise InputError(str(exc)) from None
        print(f"calibration written to {path}")
    return 0 if all(v.fair for v in verdicts) else 1


def format_pairs(pairs, fail_at: float) -> str:
    """Double faults found by simulating pairs, beside the cut sets of two."""
    lines = [f"\npairs failing together at {fail_at:g} s ({len(pairs)} pairs of components that are no SPOF alone):"]
    double = [p for p in pairs if p.worse]
    agree = [p for p in double if p.cut_set]
    if agree:
        lines.append("  stop the system together (the cut sets say so too): "
                     + " ".join(f"[{', '.join(p.pair)}]" for p in agree))
    for p in double:
        if not p.cut_set:
            lines.append(f"  [{', '.join(p.pair)}] stops the system ({p.impact.reason}) though the graph does not list "
                         "it as a cut set: capacity, load or timing the graph does not see")
    for p in pairs:
        if p.cut_set and not p.worse:
            lines.append(f"  [{', '.join(p.pair)}] is a cut set in the graph, but the simulation says {p.impact.status} "
                         f"({p.impact.reason}): automation or a fallback covers it")
    if not double and not any(p.cut_set for p in pairs):
        lines.append("  no pair stops the system")
    return "\n".join(lines)


def format_chaos(measured) -> str:
    """The chaos run's measured availability beside the block diagram, and the gap explained."""
    from engine.analysis.reliability import Availability

    def pct(value: float) -> str:
        return Availability(value, True).text()

    lines = [
        f"\navailability measured by a chaos run ({measured.days:,.0f} simulated days, seed {measured.seed}: "
        f"{measured.outages} outages from MTBF/MTTR, {measured.simulated_hours:,.0f} h simulated around them):",
        f"  measured: what users felt         {pct(measured.availability)}",
        f"  block diagram, the same outages   {pct(measured.diagram_availability)}",
        f"  block diagram, expected           {pct(measured.expected)}",
        "  (all three weighted by the request mix; the 'all' figure above counts a moment as down when any"
        " kind of request is)",
    ]
    if measured.lost_writes:
        lines.append(f"  acknowledged writes lost          {measured.lost_writes:,} "
                     f"({measured.per_year(measured.lost_writes):,.0f} a year)")
    rows = [c for c in measured.components if c.downtime > 0.5 or c.diagram > 0.5 or c.lost_writes]
    if rows:
        lines.append("  where the gap comes from (request-weighted downtime a year, measured vs the diagram):")
        for c in rows:
            lines.append(f"    {c.component:<16}{measured.per_year(c.downtime):>9,.0f} s{measured.per_year(c.diagram):>9,.0f} s"
                         f"  {c.outages} outage(s): {c.cause}")
    down, diagram, count = measured.overlapping
    if count:
        lines.append(f"    {'overlapping':<16}{measured.per_year(down):>9,.0f} s{measured.per_year(diagram):>9,.0f} s"
                     f"  {count} window(s) with several components down at once")
    return "\n".join(lines)


def cmd_analyze(args: argparse.Namespace) -> int:
    from engine.analysis.structure import analyze
    from engine.analysis.blast import blast_radii
    from engine.analysis.suggest import suggestions
    from engine.analysis.whatif import FAIL_AT, PAIR_LIMIT, what_if, what_if_pairs

    if args.chaos_days < 0:
        raise InputError(f"--chaos-days must be 0 (no chaos run) or more, not {args.chaos_days:g}")
    if args.horizon <= 0:
        raise InputError(f"--horizon must be a positive number of simulated seconds, not {args.horizon:g}")
    scenario = load_scenario(args.scenario)
    analysis = analyze(scenario)
    label = scenario.id or scenario.title
    impacts = {}
    if not args.no_simulation:
        show = sys.stderr.isatty() or args.progress
        for impact in what_if(scenario, list(analysis.components), horizon=args.horizon, seed=args.seed,
                              progress=_Progress(f"what-if {label}", show)):
            impacts[impact.component] = impact
    pairs = []
    if impacts and not args.no_pairs and (args.pairs or len(analysis.components) <= PAIR_LIMIT):
        cut_pairs = {frozenset(cut) for cut in analysis.cut_sets if len(cut) == 2}
        pairs = what_if_pairs(scenario, impacts, cut_pairs, horizon=args.horizon, seed=args.seed,
                              progress=_Progress(f"pairs {label}", show))
    measured = None
    if not args.no_simulation and args.chaos_days > 0:
        from engine.analysis.chaosrun import chaos_availability

        show = sys.stderr.isatty() or args.progress
        measured = chaos_availability(scenario, analysis, days=args.chaos_days, seed=args.seed,
                                      progress=_Progress(f"chaos run {label}", show))
    advice, unmodelled = suggestions(scenario, analysis, simulate=not args.no_simulation,
                                     horizon=args.horizon, seed=args.seed)
    radii = blast_radii(scenario)
    if args.json:
        doc = analysis.to_dict()
        doc["what_if"] = {name: impact.to_dict() for name, impact in impacts.items()}
        doc["what_if_pairs"] = [pair.to_dict() for pair in pairs]
        doc["suggestions"] = [item.to_dict() for item in advice]
        doc["blast_radius"] = {name: list(cut_off) for name, cut_off in radii.items()}
        doc["chaos_availability"] = measured.to_dict() if measured is not None else None
        doc["suggestions_not_modelled"] = unmodelled
        doc["what_if_settings"] = {"fails_at": FAIL_AT, "horizon": args.horizon, "seed": args.seed}
        _write_atomic(args.json, json.dumps(doc, indent=2, sort_keys=True) + "\n")
    print(f"SPOF analysis — {scenario.title} ({label})")
    print()
    header = f"  {'component':<16}{'dependency analysis':<36}"
    if impacts:
        header += f"what if it fails at {FAIL_AT:g} s (no one acts, {args.horizon:g} s)"
    print(header)
    disagreements = []
    for name in analysis.components:
        verdict = analysis.of(name)
        word = verdict.status.upper() if verdict.status == "spof" else verdict.status
        if verdict.spof_for:
            word += f" ({', '.join(verdict.spof_for)})"
        line = f"  {name:<16}{word:<36}"
        impact = impacts.get(name)
        if impact is not None:
            line += f"{impact.status:<10} {impact.reason}"
            if impact.status != verdict.status:
                disagreements.append((name, verdict, impact))
        print(line)
    print()
    for name in analysis.components:
        verdict = analysis.of(name)
        if verdict.status != "harmless":
            print(f"  {name}: {verdict.reason}")
    wide = {name: cut for name, cut in radii.items() if cut}
    if wide:
        print("\nblast radius (cut off from every client when it fails):")
        for name, cut in wide.items():
            print(f"  {name}: {', '.join(cut)}")
    if disagreements:
        print("\nwhere the simulation and the dependency analysis disagree (each is a lesson):")
        for name, verdict, impact in disagreements:
            print(f"  {name}: the graph says {verdict.status} ({verdict.reason}); the simulation says "
                  f"{impact.status} ({impact.reason})")
    if pairs:
        print(format_pairs(pairs, FAIL_AT))
    print("\nminimal cut sets (failures that together stop requests), up to 3:")
    for part in analysis.kinds:
        sets = " ".join("[" + ", ".join(cut) + "]" for cut in part.cut_sets) or "none"
        print(f"  {part.kind:<7}{sets}")
    print("\navailability from the reliability block diagram (MTBF/MTTR; instant, perfect failover assumed):")
    for part in analysis.kinds:
        print(f"  {part.kind:<7}{part.availability.text()}")
    print(f"  all    {analysis.availability.text()}")
    if measured is not None:
        print(format_chaos(measured))
    if analysis.findings:
        print("\nredundancy that is not wired:")
        for finding in analysis.findings:
            human = " (needs a human)" if finding.needs_human else ""
            print(f"  {', '.join(finding.nodes) or '-'}: {finding.reason}{human}")
    if advice or unmodelled:
        print("\nthe smallest change that removes each SPOF (applied to a copy and measured again):")
        for item in advice:
            print(f"  {item.component}: {item.change}")
            gone = "no longer a SPOF" if not item.still_spof else "still a SPOF"
            print(f"      {gone}; availability {100 * item.availability_before:.4f} % → {100 * item.availability_after:.4f} %")
            if item.what_if_after is not None:
                print(f"      if it fails: before {item.what_if_before}; after {item.what_if_after}")
        for line in unmodelled:
            print(f"  {line}")
    if args.json:
        print(f"\nanalysis written to {args.json}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from engine.records.history import History, HistoryError, default_path
    from engine.records.progress import catalogue, history_document, history_text

    try:
        path = default_path()
    except (OSError, RuntimeError) as exc:  # e.g. no home directory and no SPOFDRILL_DATA_DIR
        raise InputError(f"cannot find the drill history: {exc}") from None
    records, everything = [], []
    if path.exists():  # reading never creates a history
        try:
            with History(path) as history:
                records = history.runs(args.scenario, args.trainee, args.limit)
                everything = history.all_runs(args.trainee)
        except HistoryError as exc:
            raise InputError(str(exc)) from None
    options = catalogue()
    print(history_text(records, everything, options, trainee=args.trainee, source=str(path)))
    if args.json:
        doc = history_document(records, everything, options, trainee=args.trainee)
        _write_atomic(args.json, json.dumps(doc, indent=2, sort_keys=True) + "\n")
        print(f"history written to {args.json}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """One line a bundle: OK, DIVERGES (exit 1, as is an edited file) or ERROR (exit 2: unreadable, not a bundle)."""
    from engine.records.bundle import BundleError, read_bundle, verify

    code = EXIT_PASS
    for path in args.bundles:
        try:
            verdict = verify(read_bundle(path))
        except BundleError as exc:
            print(f"{path}: ERROR: {exc.problem}")
            code = max(code, EXIT_FAIL if exc.edited else EXIT_INPUT)
            continue
        except Exception as exc:  # noqa: BLE001 - a bundle is untrusted input: report it, never a traceback
            print(f"{path}: ERROR: cannot re-simulate the transcript ({type(exc).__name__}: {exc})")
            code = EXIT_INPUT
            continue
        print(f"{path}: {verdict.describe()}")
        if not verdict.ok:
            code = max(code, EXIT_FAIL)
    return code


def cmd_assess(args: argparse.Namespace) -> int:
    from engine.records.assess import assess, csv_text, format_table, json_text, junit_text

    if args.jobs is not None and args.jobs < 1:
        raise InputError("--jobs must be 1 or more")
    scenario = load_scenario(args.scenario)
    show = sys.stderr.isatty() or args.progress
    result = assess(scenario, args.submissions, args.seed, jobs=args.jobs,
                    progress=_Progress(f"assess {scenario.id or scenario.title}", show))
    print(format_table(result))
    for path, render, what in ((args.csv, csv_text, "CSV"), (args.json, json_text, "JSON"), (args.junit, junit_text, "JUnit XML")):
        if path:
            _write_atomic(path, render(result))
            print(f"{what} written to {path}")
    return result.exit_code


def _recorded_drill(source: str):
    """(scenario, seed, trainee, transcript) of a result bundle or of a console journal with its header."""
    from engine.records.bundle import BundleError, read_bundle
    from engine.sim.journal import read_jsonl
    from engine.records.replay import TranscriptError, read_header, transcript_from_journal

    if source.endswith(".jsonl"):
        try:
            header = read_header(source)
            text = open(source, encoding="utf-8").read()
            transcript = transcript_from_journal(read_jsonl(text))
        except FileNotFoundError:
            raise InputError(f"{source}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: cannot be read ({exc})") from None
        except (TranscriptError, ValueError) as exc:
            raise InputError(f"{source}: {exc}") from None
        return header.scenario, header.seed, header.trainee, transcript
    try:
        bundle = read_bundle(source)
    except BundleError as exc:
        raise InputError(str(exc)) from None
    return bundle.scenario, bundle.seed, bundle.trainee, bundle.transcript


def cmd_postmortem(args: argparse.Namespace) -> int:
    """A postmortem draft of a recorded drill: a result bundle or a console journal, replayed headless."""
    from engine.records.postmortem import postmortem_markdown
    from engine.records.replay import replay
    from engine.sim.runner import measure, par_runs

    scenario, seed, trainee, transcript = _recorded_drill(args.recording)
    run = measure(replay(scenario, seed, transcript), trainee)
    text = postmortem_markdown(Report(scenario, run, *par_runs(scenario, seed)), trainee=trainee)
    if args.out:
        _write_atomic(args.out, text)
        print(f"postmortem draft written to {args.out}")
    else:
        print(text, end="")
    return 0


def cmd_commands(args: argparse.Namespace) -> int:
    for spec in command_specs():
        argtext = " ".join(f"{a.name}=<{a.type.__name__}>" for a in spec.args)
        mark = " (asks for confirmation)" if spec.destructive else ""
        targets = "|".join(spec.targets) or "-"
        print(f"{spec.key:>2}  {spec.name:<12} {targets:<26} {argtext:<28} {spec.help}{mark}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spofdrill",
        description="A terminal trainer for incidents and failover (headless commands).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("list", help="list the built-in scenarios")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("validate", help="check scenario or action-script files and report every problem")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("run", help="run a scenario headless and score it beside the par runs")
    p.add_argument("scenario", metavar="SCENARIO", help="a built-in scenario name or a path to a YAML file")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--actions", metavar="FILE", help="an action script to play (default: no action)")
    p.add_argument("--json", metavar="FILE", help="write the result as JSON")
    p.add_argument("--journal", metavar="FILE", help="write the journal as JSON Lines")
    p.add_argument("--no-par", action="store_true", help="skip the no-action and reference runs")
    p.add_argument("--postmortem", metavar="FILE", help="write a blameless postmortem draft (Markdown)")
    p.add_argument("--bundle", metavar="FILE", help="write the result bundle (scenario, seed, commands, result; verifiable)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("schema", help="print the scenario JSON Schema (for editors)")
    p.add_argument("--actions", action="store_true", help="print the action-script schema instead")
    p.set_defaults(func=cmd_schema)
    p = sub.add_parser("check", help="prove scenarios fair over many seeds and measure their difficulty")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="built-in names or YAML files")
    p.add_argument("--seeds", type=int, default=20, help="seeds to run (default 20)")
    p.add_argument("--quick", action="store_true", help="only the proof (reference and no action), no difficulty sweep")
    p.add_argument("--json", metavar="FILE", help="write the verdicts as JSON")
    p.add_argument("--progress", action="store_true", help="show the progress bar even when not on a terminal")
    p.add_argument("--write-calibration", action="store_true",
                   help="store the measured difficulty of fair built-in scenarios for the picker")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("analyze", help="find single points of failure: dependencies, cut sets, what-if, availability")
    p.add_argument("scenario", metavar="SCENARIO", help="a built-in scenario name or a YAML file")
    p.add_argument("--json", metavar="FILE", help="write the whole analysis as JSON")
    p.add_argument("--horizon", type=float, default=600.0, help="simulated seconds of each what-if run (default 600)")
    p.add_argument("--seed", type=int, default=0, help="seed of the what-if runs (default 0)")
    p.add_argument("--no-simulation", action="store_true", help="only the dependency analysis, no what-if or chaos runs")
    p.add_argument("--pairs", action="store_true",
                   help="simulate every pair of failures even on a large topology (default: up to 12 components)")
    p.add_argument("--no-pairs", action="store_true", help="do not simulate pairs of failures")
    p.add_argument("--chaos-days", type=float, default=1825.0, metavar="DAYS",
                   help="simulated days of the chaos run that measures availability (default 1825; 0: skip it)")
    p.add_argument("--progress", action="store_true", help="show the progress bar even when not on a terminal")
    p.set_defaults(func=cmd_analyze)
    p = sub.add_parser("history", help="recorded drills, progress per concept and the drill to run next")
    p.add_argument("--trainee", metavar="NAME", help="only this trainee's drills and progress")
    p.add_argument("--scenario", metavar="ID", help="only drills of this scenario (progress still counts every drill)")
    p.add_argument("--limit", type=int, default=20, help="drills to list (default 20)")
    p.add_argument("--json", metavar="FILE", help="write the drills, progress and suggestion as JSON")
    p.set_defaults(func=cmd_history)
    p = sub.add_parser("verify", help="re-simulate result bundles and check their recorded results")
    p.add_argument("bundles", nargs="+", metavar="BUNDLE", help="result bundle files (JSON)")
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("assess", help="grade many submissions (action scripts or result bundles) on one scenario")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="action scripts (YAML) or result bundles (JSON)")
    p.add_argument("--scenario", required=True, metavar="SCENARIO", help="a built-in scenario name or a YAML file")
    p.add_argument("--seed", type=int, default=0, help="seed for the scripts (default 0; bundles keep their own)")
    p.add_argument("--csv", metavar="FILE", help="write one CSV row per submission")
    p.add_argument("--json", metavar="FILE", help="write the rows, the par runs and the settings as JSON")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML (one test case per submission)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: up to 2, one per core)")
    p.add_argument("--progress", action="store_true", help="show the progress bar even when not on a terminal")
    p.set_defaults(func=cmd_assess)
    p = sub.add_parser("postmortem", help="a blameless postmortem draft (Markdown) of a result bundle or a journal")
    p.add_argument("recording", metavar="BUNDLE|JOURNAL", help="a result bundle (.json) or a console journal (.jsonl)")
    p.add_argument("--out", metavar="FILE", help="write it to FILE instead of standard output")
    p.set_defaults(func=cmd_postmortem)
    p = sub.add_parser("commands", help="list the trainee commands")
    p.set_defaults(func=cmd_commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except InputError as exc:
        print(f"spofdrill: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("spofdrill: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
