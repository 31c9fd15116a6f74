"""The headless command line: ``spofdrill list|validate|run|schema|check|analyze|verify|assess|history|postmortem|commands|host``.

Exit codes follow Chaos Toolkit and Maelstrom: ``run`` (and ``assess``) exits
0 when the run meets the scenario's bar, 1 when it does not, 2 on bad input;
``validate`` exits 1 when any file has a problem; ``verify`` 0 when every
bundle re-simulates to its result, 1 when one diverges or was edited, 2 when
one cannot be read. Bad input never produces a traceback.
"""

from __future__ import annotations

import argparse
import functools
import sys
import textwrap
from typing import Sequence

from engine.cli.analyze import cmd_analyze
from engine.cli.cluster import add_cluster_argument, cluster_from
from engine.cli.common import EXIT_FAIL, EXIT_INPUT, EXIT_PASS, InputError
from engine.cli.generate import add_generate_parser
from engine.cli.records import cmd_assess, cmd_history, cmd_postmortem, cmd_verify
from engine.cli.run import cmd_run, format_report
from engine.cli.scenarios import cmd_check, cmd_commands, cmd_list, cmd_schema, cmd_validate
from engine.cli.imports import add_import_parser
from engine.cli.team import add_host_parser
from engine.scenario.problems import ScenarioError


class WordWrapFormatter(argparse.HelpFormatter):
    """argparse's help, wrapped at spaces only: a word longer than the line runs past it instead of being cut.

    argparse wraps with :func:`textwrap.wrap`, which breaks long words and at
    hyphens (``list|va`` / ``lidate``, ``action-`` / ``script``).
    """

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_long_words=False, break_on_hyphens=False) or [""]

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(" ".join(text.split()), width, initial_indent=indent, subsequent_indent=indent,
                             break_long_words=False, break_on_hyphens=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spofdrill",
        description="A terminal trainer for incidents and failover (headless commands).",
        formatter_class=WordWrapFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                parser_class=functools.partial(argparse.ArgumentParser,
                                                               formatter_class=WordWrapFormatter))
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
    add_cluster_argument(p)
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
    add_cluster_argument(p)
    p.set_defaults(func=cmd_analyze)
    p = sub.add_parser("history", help="recorded drills, progress per concept and the drill to run next")
    p.add_argument("--trainee", metavar="NAME", help="only this trainee's drills and progress")
    p.add_argument("--scenario", metavar="ID", help="only drills of this scenario (progress still counts every drill)")
    p.add_argument("--limit", type=int, default=20, help="drills to list (default 20)")
    p.add_argument("--json", metavar="FILE", help="write the drills, progress and suggestion as JSON")
    p.set_defaults(func=cmd_history)
    p = sub.add_parser("verify", help="re-simulate result bundles (and console journals) and check what they record")
    p.add_argument("bundles", nargs="+", metavar="BUNDLE|JOURNAL",
                   help="result bundle files (JSON) or console journals (.jsonl beside their .drill.json header)")
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
    add_cluster_argument(p)
    p.set_defaults(func=cmd_assess)
    p = sub.add_parser("postmortem", help="a blameless postmortem draft (Markdown) of a result bundle or a journal")
    p.add_argument("recording", metavar="BUNDLE|JOURNAL", help="a result bundle (.json) or a console journal (.jsonl)")
    p.add_argument("--out", metavar="FILE", help="write it to FILE instead of standard output")
    p.set_defaults(func=cmd_postmortem)
    p = sub.add_parser("commands", help="list the trainee commands")
    p.set_defaults(func=cmd_commands)
    add_host_parser(sub)
    add_import_parser(sub)
    add_generate_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        with cluster_from(args):  # commands with --cluster (or $SPOFDRILL_CLUSTER) fan out on Dask
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


__all__ = ["EXIT_FAIL", "EXIT_INPUT", "EXIT_PASS", "InputError", "build_parser", "format_report", "main"]
