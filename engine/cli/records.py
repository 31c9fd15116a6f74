"""Commands about what stays on disk: ``history``, ``verify``, ``assess`` and ``postmortem``."""

from __future__ import annotations

import argparse
import json
import sys

from engine.cli.common import EXIT_FAIL, EXIT_INPUT, EXIT_PASS, InputError, Progress, write_output
from engine.scenario.loader import load_scenario
from engine.scoring.format import count
from engine.sim.runner import Report


def cmd_history(args: argparse.Namespace) -> int:
    from engine.records.history import History, HistoryError, default_path
    from engine.records.progress import catalogue, history_document, history_text

    try:
        path = default_path()
    except (OSError, RuntimeError) as exc:  # e.g. no home directory and no SPOFDRILL_DATA_DIR
        raise InputError(f"cannot find the drill history: {exc}") from None
    records, everything, problem = [], [], None
    if path.exists():  # reading never creates a history
        try:
            with History(path) as history:
                records = history.runs(args.scenario, args.trainee, args.limit)
                everything = history.all_runs(args.trainee)
                problem = history.problem  # rows that could not be read: left out, reported once below
        except HistoryError as exc:
            raise InputError(str(exc)) from None
    options = catalogue()
    print(history_text(records, everything, options, trainee=args.trainee, source=str(path)))
    if args.json:
        doc = history_document(records, everything, options, trainee=args.trainee)
        write_output(args.json, json.dumps(doc, indent=2, sort_keys=True) + "\n")
        print(f"history written to {args.json}")
    if problem:
        sys.stdout.flush()
        print(problem, file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """One line a file: OK, DIVERGES (exit 1, as is an edited file) or ERROR (exit 2: unreadable, not a bundle).

    A result bundle re-simulates to its recorded result; a console journal
    (``X.jsonl`` beside its header) replays to itself, byte for byte. Both are
    read by :func:`engine.records.recorded.read_recorded_drill`; a journal without
    its header, or named otherwise, is an ERROR saying it is a journal, not a bundle.
    """
    from engine.records.bundle import verify
    from engine.records.recorded import RecordError, read_recorded_drill, unverifiable_journal

    code = EXIT_PASS
    for path in args.bundles:
        try:
            drill = read_recorded_drill(path)
            problem = unverifiable_journal(drill)
            if problem is not None:
                print(f"{path}: ERROR: {problem}")
                code = max(code, EXIT_INPUT)
                continue
            if drill.kind == "journal":
                line = _verify_journal(drill)
                print(f"{path}: {line}")
                code = max(code, EXIT_PASS if line.startswith("OK") else EXIT_FAIL)
                continue
            verdict = verify(drill.bundle)
        except RecordError as exc:
            print(f"{path}: ERROR: {str(exc).removeprefix(f'{path}: ')}")
            code = max(code, EXIT_FAIL if exc.edited else EXIT_INPUT)
            continue
        except Exception as exc:  # noqa: BLE001 - a bundle is untrusted input: report it, never a traceback
            print(f"{path}: ERROR: cannot re-simulate the transcript ({type(exc).__name__}: {_one_line(exc)})")
            code = EXIT_INPUT
            continue
        print(f"{path}: {verdict.describe()}")
        if not verdict.ok:
            code = max(code, EXIT_FAIL)
    return code


def _verify_journal(drill) -> str:
    """``OK …`` when a journal's replay writes it again byte for byte, else ``DIVERGES: line N …``."""
    from engine.records.replay import replay

    again = replay(drill.scenario, drill.seed, drill.transcript).journal.to_jsonl().splitlines()
    recorded = (drill.journal_text or "").splitlines()
    notes = "".join(f" ({note})" for note in drill.notes)
    for number, (a, b) in enumerate(zip(recorded, again), 1):
        if a != b:
            return f"DIVERGES: line {number} of the journal differs from its replay{notes}"
    if len(recorded) > len(again):
        return f"DIVERGES: the journal goes on after its replay ends (line {len(again) + 1}){notes}"
    if len(recorded) < len(again):
        return (f"OK — {drill.scenario_name} seed {drill.seed}: the journal replays to itself for its "
                f"{count(len(recorded), 'line')} (the drill did not finish: the replay goes on to line {len(again)}){notes}")
    return f"OK — {drill.scenario_name} seed {drill.seed}: the journal replays to itself, {count(len(recorded), 'line')}{notes}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def cmd_assess(args: argparse.Namespace) -> int:
    from engine.records.assess import assess, csv_text, format_table, json_text, junit_text

    if args.jobs is not None and args.jobs < 1:
        raise InputError("--jobs must be 1 or more")
    scenario = load_scenario(args.scenario)
    show = sys.stderr.isatty() or args.progress
    result = assess(scenario, args.submissions, args.seed, jobs=args.jobs,
                    progress=Progress(f"assess {scenario.id or scenario.title}", show))
    print(format_table(result))
    for path, render, what in ((args.csv, csv_text, "CSV"), (args.json, json_text, "JSON"), (args.junit, junit_text, "JUnit XML")):
        if path:
            write_output(path, render(result))
            print(f"{what} written to {path}")
    return result.exit_code


def _recorded_drill(source: str):
    """(scenario, seed, trainee, transcript) of a result bundle or of a console journal with its header.

    The one reader's (:func:`engine.records.recorded.read_recorded_drill`): the same rules as ``spofdrill replay``.
    """
    from engine.records.recorded import RecordError, read_recorded_drill

    try:
        drill = read_recorded_drill(source)
    except RecordError as exc:
        raise InputError(str(exc)) from None
    for note in drill.notes:
        print(f"spofdrill: note: {note}", file=sys.stderr)
    return drill.scenario, drill.seed, drill.trainee, drill.transcript


def cmd_postmortem(args: argparse.Namespace) -> int:
    """A postmortem draft of a recorded drill: a result bundle or a console journal, replayed headless."""
    from engine.records.postmortem import postmortem_markdown
    from engine.records.replay import replay
    from engine.sim.runner import measure, par_runs

    scenario, seed, trainee, transcript = _recorded_drill(args.recording)
    try:
        run = measure(replay(scenario, seed, transcript), trainee)
        text = postmortem_markdown(Report(scenario, run, *par_runs(scenario, seed)), trainee=trainee)
    except Exception as exc:  # noqa: BLE001 - a recording is untrusted input: report it, never a traceback
        raise InputError(f"{args.recording}: cannot be replayed ({type(exc).__name__}: {_one_line(exc)})") from None
    if args.out:
        write_output(args.out, text)
        print(f"postmortem draft written to {args.out}")
    else:
        print(text, end="")
    return 0
