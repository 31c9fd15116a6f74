"""Commands about what stays on disk: ``history``, ``verify``, ``assess`` and ``postmortem``."""

from __future__ import annotations

import argparse
import json
import sys

from engine.cli.common import EXIT_FAIL, EXIT_INPUT, EXIT_PASS, InputError, Progress, write_output
from engine.scenario.loader import load_scenario
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
                    progress=Progress(f"assess {scenario.id or scenario.title}", show))
    print(format_table(result))
    for path, render, what in ((args.csv, csv_text, "CSV"), (args.json, json_text, "JSON"), (args.junit, junit_text, "JUnit XML")):
        if path:
            write_output(path, render(result))
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
        write_output(args.out, text)
        print(f"postmortem draft written to {args.out}")
    else:
        print(text, end="")
    return 0
