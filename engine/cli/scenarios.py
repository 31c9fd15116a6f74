"""Commands about scenarios and commands: ``list``, ``validate``, ``schema``, ``check`` and ``commands``."""

from __future__ import annotations

import argparse
import json
import sys

from engine.cli.common import InputError, Progress, write_output
from engine.commands import command_specs
from engine.scenario.loader import builtin_scenarios, load_scenario, validate_file
from engine.scenario.schema import action_script_json_schema, scenario_json_schema
from engine.scoring.format import count, number
from engine.util.files import WriteError


def cmd_list(args: argparse.Namespace) -> int:
    """The built-in scenarios, then the drills of the trainee's own systems (the drill library), by system."""
    from engine.analysis.calibration import difficulty_label, read_calibration
    from engine.scenario.loader import library_files
    from engine.scenario.problems import ScenarioError

    calibration = read_calibration()
    rows = []
    for name in builtin_scenarios():
        scenario = load_scenario(name)
        rows.append((None, name, difficulty_label(scenario, calibration).label, scenario.title, ", ".join(scenario.tags)))
    folders: dict = {}
    for path in library_files():
        if path.parent not in folders:
            folders[path.parent] = read_calibration(path.parent)
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            rows.append((path.parent.name, path.stem, "invalid", f"{path}: {exc.problems[0].message if exc.problems else exc}", ""))
            continue
        rows.append((scenario.architecture or path.parent.name, scenario.id or path.stem,
                     difficulty_label(scenario, folders[path.parent]).label, scenario.title, ", ".join(scenario.tags)))
    width = max((len(r[1]) for r in rows), default=10)
    print(f"{'scenario':<{width}}  {'difficulty':<10}  title — concepts")
    system = None
    for owner, name, difficulty, title, tags in rows:
        if owner is not None and owner != system:
            system = owner
            print(f"\nyour system {owner} (generated drills):")
        print(f"{name:<{width}}  {difficulty:<10}  {title} — {tags}" if tags else f"{name:<{width}}  {difficulty:<10}  {title}")
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


def cmd_check(args: argparse.Namespace) -> int:
    from engine.analysis.check import check, read_calibration, write_calibration

    scenarios = [load_scenario(source) for source in args.scenarios]
    verdicts = []
    show = sys.stderr.isatty() or args.progress
    for scenario in scenarios:
        label = scenario.id or scenario.title
        verdict = check(
            scenario, range(args.seeds), measure_difficulty=not args.quick, progress=Progress(label, show)
        )
        verdicts.append(verdict)
        mark = "FAIR" if verdict.fair else "NOT FAIR"
        print(f"{label}: {mark} — reference passed {verdict.reference_passed}/{verdict.seeds} seeds, "
              f"no action failed {verdict.no_action_failed}/{verdict.seeds}")
        if verdict.difficulty is not None:
            low, mid, high = verdict.spread
            print(f"  difficulty {verdict.difficulty} (index {verdict.difficulty_index:.2f}; declared {scenario.difficulty}); "
                  f"expected scores p10 {number(low)}, median {number(mid)}, p90 {number(high)}")
            width = max((len(name) for name in verdict.scores), default=22)
            for name, stats in verdict.scores.items():
                print(f"    {name:<{width}} mean {stats['mean']:>5.1f}  (min {number(stats['min'])}, max {number(stats['max'])})")
        for problem in verdict.problems[:10]:
            print(f"  {problem}")
        if len(verdict.problems) > 10:
            print(f"  … and {count(len(verdict.problems) - 10)} more")
    if args.json:
        write_output(args.json, json.dumps([v.to_dict() for v in verdicts], indent=2) + "\n")
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


def cmd_commands(args: argparse.Namespace) -> int:
    for spec in command_specs():
        argtext = " ".join(f"{a.name}=<{a.type.__name__}>" for a in spec.args)
        mark = " (asks for confirmation)" if spec.destructive else ""
        targets = "|".join(spec.targets) or "-"
        print(f"{spec.key:>2}  {spec.name:<12} {targets:<26} {argtext:<28} {spec.help}{mark}")
    return 0
