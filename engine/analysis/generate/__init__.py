"""Drills written for any architecture: candidates from the dependency analysis, each proven fair before it is kept.

``generate(scenario, seeds)`` analyses the scenario
(:func:`engine.analysis.structure.analyze`), lists the drills it calls for
(:func:`candidates`: SPOFs, redundancy that needs a human, degrading
components, double faults), builds one drill per candidate
(:func:`drill_for`: fault, briefing, lessons, hints, reference solution,
pitfalls, bar) and checks each with :func:`engine.analysis.check.check`:
only drills whose reference passes on every seed and where doing nothing
fails on every seed are kept, with their measured difficulty. Rendering and
writing the files is :mod:`.output`. See ``docs/generate.md``.
"""

from __future__ import annotations

from typing import Callable, Iterable

from engine.analysis.check import Check, check
from engine.analysis.generate.verdict import Generated, dropped_reason
from engine.analysis.generate.candidates import KINDS, Candidate, candidates
from engine.analysis.generate.drills import architecture_of, best_replica, drill_for
from engine.analysis.generate.output import body
from engine.analysis.generate.words import slug
from engine.analysis.result import Analysis
from engine.analysis.structure import analyze
from engine.scenario.loader import ScenarioError, load_scenario_text
from engine.scenario.loader.sizes import over_budget
from engine.scenario.schema import Scenario

DEFAULT_MAX = 12
"""Drills offered at most by default (SPOFs first)."""


def _adjust(drill: Scenario, verdict: Check) -> tuple[Scenario, str] | None:
    """One principled adjustment for a reference that misses the bar: the downtime scale doubled.

    The built-ins set ``scales.downtime`` to the outage their architecture forces on a good response
    (``cache-stampede``: 240 s); a generated drill starts from the default 120 s, which a slow boot
    can use up on its own. Doubling it once is the same rule for every seed and every drill; a
    drill that still fails is dropped. Doing nothing passing is never adjusted: that fault is not
    worth a drill.
    """
    if any(p.endswith("doing nothing passes") for p in verdict.problems):
        return None
    if not any(p.endswith("does not meet the bar") for p in verdict.problems):
        return None
    scales = drill.scoring.scales
    wider = scales.model_copy(update={"downtime": scales.downtime * 2})
    changed = drill.model_copy(update={"scoring": drill.scoring.model_copy(update={"scales": wider})})
    return as_written(changed), \
        f"downtime scale widened to {wider.downtime:g} s (the reference's boot and reaction time)"


def refused(scenario: Scenario, seeds: int, problem: str) -> Check:
    """The verdict on a candidate that was not checked: not fair, with the reason."""
    return Check(scenario=scenario.id or scenario.title, hash="", seeds=seeds, fair=False, reference_passed=0,
                 no_action_failed=0, problems=[problem])


def unbuilt(scenario: Scenario, seeds: int, exc: Exception) -> Check:
    """The verdict on a candidate no drill could be built for: not fair, with the reason."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return refused(scenario, seeds, f"no drill could be built: {first}")


def as_written(drill: Scenario) -> Scenario:
    """The drill as its file will load: what is checked is exactly what is written."""
    return load_scenario_text(body(drill), f"{drill.id}.yaml")


def generate(
    scenario: Scenario,
    seeds: Iterable[int] = range(20),
    *,
    limit: int = DEFAULT_MAX,
    analysis: Analysis | None = None,
    workers: int | None = None,
    progress: Callable[[Candidate], Callable[[int, int], None] | None] | None = None,
    on_result: Callable[[Generated], None] | None = None,
) -> list[Generated]:
    """Every candidate drill (up to ``limit``), checked over ``seeds``: the fair ones carry their measured difficulty.

    ``progress(candidate)`` may return a ``progress(done, total)`` callback for that candidate's check;
    ``on_result`` is called as each verdict comes in (the command line prints it).
    """
    seeds = list(seeds)
    analysis = analysis or analyze(scenario)
    out: list[Generated] = []
    titles: dict[str, int] = {}
    for candidate in candidates(scenario, analysis)[:max(0, limit)]:
        try:
            drill = drill_for(candidate, scenario, analysis)
        except (ValueError, ScenarioError) as exc:  # a topology the recipe did not foresee: say so, go on
            result = Generated(candidate, scenario, unbuilt(scenario, len(seeds), exc))
            if on_result:
                on_result(result)
            out.append(result)
            continue
        titles[drill.title] = titles.get(drill.title, 0) + 1
        if titles[drill.title] > 1:  # two drills with one symptom: the picker still tells them apart
            drill = drill.model_copy(update={"title": f"{drill.title} ({titles[drill.title]})"})
        drill = as_written(drill)
        too_big = over_budget(drill)
        if too_big is not None:  # every drill of this architecture runs as long on as many nodes: say it once
            result = Generated(candidate, drill, refused(drill, len(seeds), f"too big to drill (every drill of this "
                                                                             f"architecture): {too_big}"))
            if on_result:
                on_result(result)
            out.append(result)
            break
        tick = progress(candidate) if progress else None
        verdict = check(drill, seeds, workers=workers, progress=tick)
        adjusted = None
        if not verdict.fair:
            retry = _adjust(drill, verdict)
            if retry is not None:
                drill, adjusted = retry
                verdict = check(drill, seeds, workers=workers, progress=tick)
        if verdict.fair:
            drill = drill.model_copy(update={"difficulty": verdict.difficulty})
        result = Generated(candidate, drill, verdict, adjusted)
        if on_result:
            on_result(result)
        out.append(result)
    return out


__all__ = [
    "DEFAULT_MAX",
    "KINDS",
    "Candidate",
    "Generated",
    "architecture_of",
    "as_written",
    "best_replica",
    "candidates",
    "drill_for",
    "dropped_reason",
    "generate",
    "slug",
]
