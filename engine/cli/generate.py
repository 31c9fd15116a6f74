"""``spofdrill generate SCENARIO``: write fair drills for an architecture, with their measured difficulty.

The work is :func:`engine.analysis.generate.generate`; this module loads the
scenario, picks the folder, prints one line per candidate as its verdict
comes in and writes the kept drills (:mod:`engine.analysis.generate.output`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from engine.cli.cluster import add_cluster_argument
from engine.cli.common import InputError, Progress
from engine.scenario.loader import load_scenario
from engine.scoring.format import count
from engine.util.files import WriteError, data_dir


def _ready(folder: Path) -> None:
    """Fail early, in one line, when ``folder`` cannot take files (before minutes of checking)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".spofdrill-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"generate: cannot write to {folder}: {exc.strerror or exc}") from None


def cmd_generate(args: argparse.Namespace) -> int:
    from engine.analysis.generate import architecture_of, candidates, generate, slug
    from engine.analysis.generate.output import today, write_calibration, write_drill
    from engine.analysis.structure import analyze

    if args.seeds < 1:
        raise InputError("generate: --seeds must be at least 1")
    if args.max < 0:
        raise InputError("generate: --max must be 0 or more")
    scenario = load_scenario(args.scenario)
    analysis = analyze(scenario)
    architecture = architecture_of(scenario)
    offered = candidates(scenario, analysis)
    if not analysis.spofs:
        print(f"{architecture}: the analysis finds no single point of failure")
    if not offered:
        print(f"{architecture}: nothing to drill (no SPOF, no manual failover, nothing degrading, no double fault); "
              "nothing written")
        return 0
    folder = Path(args.output) if args.output else data_dir() / "drills" / slug(architecture)
    _ready(folder)
    chosen = offered[:args.max]
    print(f"{architecture}: {count(len(offered), 'candidate')}, checking {len(chosen)} over {count(args.seeds, 'seed')}")
    show = sys.stderr.isatty() or args.progress
    day = today()
    kept: list = []
    statuses: dict[str, int] = {}

    def report(result) -> None:
        label = f"{result.candidate.label} ({result.candidate.kind})"
        if not result.kept:
            print(f"  dropped  {label}: {result.reason}")
            return
        try:
            written = write_drill(folder, result, args.scenario, day, force=args.force)
        except WriteError as exc:
            raise InputError(f"generate: {exc}") from None
        statuses[written.status] = statuses.get(written.status, 0) + 1
        v = result.verdict
        what = {"written": "written", "updated": "updated", "unchanged": "same", "kept": "kept"}[written.status]
        note = "; the file was edited since it was generated: left alone (--force replaces it)" \
            if written.status == "kept" else ""
        extra = f"; {result.adjusted}" if result.adjusted else ""
        print(f"  {what:<8} {written.path.name}  {v.difficulty} (index {v.difficulty_index:.2f}) — {label}{extra}{note}")
        if written.status != "kept":
            kept.append(result)
            try:  # after each drill, so an interrupted run leaves every written drill calibrated
                write_calibration(folder, [result])
            except WriteError as exc:
                raise InputError(f"generate: {exc}") from None

    results = generate(scenario, range(args.seeds), limit=args.max,
                       analysis=analysis, progress=lambda c: Progress(c.label, show), on_result=report)
    fair = [r for r in results if r.kept]
    levels: dict[str, int] = {}
    for r in fair:
        levels[r.verdict.difficulty] = levels.get(r.verdict.difficulty, 0) + 1
    order = ("intro", "easy", "medium", "hard", "expert")
    spread = ", ".join(f"{n} {label}" for label, n in sorted(levels.items(), key=lambda item: order.index(item[0])))
    files = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
    print(f"{len(fair)} of {count(len(results), 'drill')} fair ({spread or 'none'}), {len(results) - len(fair)} dropped"
          + (f"; files: {files} in {folder}" if files else "; nothing written"))
    if len(offered) > len(chosen):
        print(f"{count(len(offered) - len(chosen), 'more candidate')} left out by --max {args.max}")
    return 0


def add_generate_parser(sub) -> None:
    p = sub.add_parser("generate", help="write fair drills for an architecture: its SPOFs, manual failovers, "
                                        "degrading components and double faults")
    p.add_argument("scenario", metavar="SCENARIO", help="a built-in scenario name or a YAML file (e.g. from 'import')")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="where to write the drills (default: the data folder's drills/<architecture>/)")
    p.add_argument("--seeds", type=int, default=20, help="seeds each drill is checked over (default 20)")
    p.add_argument("--max", type=int, default=12, help="drills to try at most, SPOFs first (default 12)")
    p.add_argument("--force", action="store_true", help="replace drill files that were edited since they were generated")
    p.add_argument("--progress", action="store_true", help="show the progress bar even when not on a terminal")
    add_cluster_argument(p)
    p.set_defaults(func=cmd_generate)
