"""``spofdrill analyze``: SPOFs, cut sets, what-if runs, pairs, the chaos run and suggestions, as text and JSON."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.cli.common import InputError, Progress, write_output
from engine.scenario.loader import load_scenario
from engine.scenario.loader.sizes import RunTooLarge
from engine.scoring.format import count, number

if TYPE_CHECKING:
    from engine.analysis.structure import Analysis
    from engine.scenario.schema import Scenario


def format_pairs(pairs, fail_at: float) -> str:
    """Double faults found by simulating pairs, beside the cut sets of two."""
    lines = [f"\npairs failing together at {number(fail_at)} s ({count(len(pairs), 'pair')} of components that are no SPOF alone):"]
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
        f"{count(measured.outages, 'outage')} from MTBF/MTTR, {measured.simulated_hours:,.0f} h simulated around them):",
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
    width = _name_width([c.component for c in rows] + ["overlapping"])
    if rows:
        lines.append("  where the gap comes from (request-weighted downtime a year, measured vs the diagram):")
        for c in rows:
            lines.append(f"    {c.component:<{width}}{measured.per_year(c.downtime):>9,.0f} s{measured.per_year(c.diagram):>9,.0f} s"
                         f"  {count(c.outages, 'outage')}: {c.cause}")
    down, diagram, windows = measured.overlapping
    if windows:
        lines.append(f"    {'overlapping':<{width}}{measured.per_year(down):>9,.0f} s{measured.per_year(diagram):>9,.0f} s"
                     f"  {count(windows, 'window')} with several components down at once")
    return "\n".join(lines)


@dataclass(frozen=True)
class _Findings:
    """Everything ``analyze`` measured about one scenario."""

    scenario: Scenario
    analysis: Analysis
    impacts: dict[str, Any]
    pairs: list[Any]
    measured: Any
    advice: list[Any]
    unmodelled: list[str]
    radii: dict[str, Any]
    skipped: str | None = None
    """Why the simulations were left out (past the run budget), or ``None``."""


def _measure(args: argparse.Namespace) -> _Findings:
    """Check the options, load the scenario and run every analysis the options ask for."""
    from engine.analysis.blast import blast_radii
    from engine.analysis.structure import analyze
    from engine.analysis.suggest import suggestions
    from engine.analysis.whatif import PAIR_LIMIT, what_if, what_if_pairs

    if args.chaos_days < 0:
        raise InputError(f"--chaos-days must be 0 (no chaos run) or more, not {number(args.chaos_days)}")
    if args.horizon <= 0:
        raise InputError(f"--horizon must be a positive number of simulated seconds, not {number(args.horizon)}")
    scenario = load_scenario(args.scenario)
    analysis = analyze(scenario)
    label = scenario.id or scenario.title
    skipped = None if args.no_simulation else _over_budget(scenario, list(analysis.components), args.horizon)
    simulate = not args.no_simulation and skipped is None
    impacts = {}
    if simulate:
        show = sys.stderr.isatty() or args.progress
        for impact in what_if(scenario, list(analysis.components), horizon=args.horizon, seed=args.seed,
                              progress=Progress(f"what-if {label}", show)):
            impacts[impact.component] = impact
    pairs = []
    if impacts and not args.no_pairs and (args.pairs or len(analysis.components) <= PAIR_LIMIT):
        cut_pairs = {frozenset(cut) for cut in analysis.cut_sets if len(cut) == 2}
        pairs = what_if_pairs(scenario, impacts, cut_pairs, horizon=args.horizon, seed=args.seed,
                              progress=Progress(f"pairs {label}", show))
    measured = None
    if simulate and args.chaos_days > 0:
        from engine.analysis.chaosrun import chaos_availability

        show = sys.stderr.isatty() or args.progress
        try:
            measured = chaos_availability(scenario, analysis, days=args.chaos_days, seed=args.seed,
                                          progress=Progress(f"chaos run {label}", show))
        except RunTooLarge as exc:  # a window of outages longer than the budget allows
            skipped = f"chaos run skipped: {exc.problem.message}"
    try:
        advice, unmodelled = suggestions(scenario, analysis, simulate=simulate, horizon=args.horizon, seed=args.seed)
    except RunTooLarge:  # the changed copy has a node more: measured without simulating
        advice, unmodelled = suggestions(scenario, analysis, simulate=False, horizon=args.horizon, seed=args.seed)
    radii = blast_radii(scenario)
    return _Findings(scenario, analysis, impacts, pairs, measured, advice, unmodelled, radii, skipped)


def _document(f: _Findings, args: argparse.Namespace) -> dict[str, Any]:
    """The whole analysis as JSON."""
    from engine.analysis.whatif import FAIL_AT

    doc = f.analysis.to_dict()
    doc["what_if"] = {name: impact.to_dict() for name, impact in f.impacts.items()}
    doc["what_if_pairs"] = [pair.to_dict() for pair in f.pairs]
    doc["suggestions"] = [item.to_dict() for item in f.advice]
    doc["blast_radius"] = {name: list(cut_off) for name, cut_off in f.radii.items()}
    doc["chaos_availability"] = f.measured.to_dict() if f.measured is not None else None
    doc["suggestions_not_modelled"] = f.unmodelled
    doc["what_if_settings"] = {"fails_at": FAIL_AT, "horizon": args.horizon, "seed": args.seed}
    doc["simulations_skipped"] = f.skipped
    return doc


def _over_budget(scenario: Scenario, components: list[str], horizon: float) -> str | None:
    """One line saying why the what-if runs at ``horizon`` are past the run budget (and the horizon that fits), or ``None``."""
    from engine.analysis.whatif import FAIL_AT, horizon_over_budget
    from engine.util.limits import MAX_WORK

    fits = horizon_over_budget(scenario, components, horizon)
    if fits is None:
        return None
    what = (f"try --horizon {fits}" if fits >= FAIL_AT + 30 else
            f"no horizon past the failure at {number(FAIL_AT)} s fits: use fewer nodes (import part of the system)")
    return (f"what-if, pairs, chaos run and measured suggestions skipped: {len(scenario.topology.nodes):,} nodes × "
            f"{number(horizon)} s is over the run budget of {MAX_WORK:,} node-steps; {what}")


def _name_width(names) -> int:
    """The name column's width: the longest name and two spaces (16 at least), so long names never run into the next column."""
    return max(16, *(len(name) + 2 for name in names)) if names else 16


def _print_report(f: _Findings, horizon: float) -> None:
    """The analysis as text on standard output."""
    from engine.analysis.whatif import FAIL_AT

    scenario, analysis, impacts, pairs, measured = f.scenario, f.analysis, f.impacts, f.pairs, f.measured
    advice, unmodelled, radii = f.advice, f.unmodelled, f.radii
    label = scenario.id or scenario.title
    print(f"SPOF analysis — {scenario.title} ({label})")
    if f.skipped:
        print(f.skipped)
    print()
    width = _name_width(analysis.components)
    header = f"  {'component':<{width}}{'dependency analysis':<36}"
    if impacts:
        header += f"what if it fails at {number(FAIL_AT)} s (no one acts, {number(horizon)} s)"
    print(header)
    disagreements = []
    for name in analysis.components:
        verdict = analysis.of(name)
        word = verdict.status.upper() if verdict.status == "spof" else verdict.status
        if verdict.spof_for:
            word += f" ({', '.join(verdict.spof_for)})"
        line = f"  {name:<{width}}{word:<36}"
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


def cmd_analyze(args: argparse.Namespace) -> int:
    """Print the analysis (and write it as JSON when asked)."""
    findings = _measure(args)
    if args.json:
        write_output(args.json, json.dumps(_document(findings, args), indent=2, sort_keys=True) + "\n")
    _print_report(findings, args.horizon)
    if args.json:
        print(f"\nanalysis written to {args.json}")
    return 0
