"""Proof that a scenario is a fair exercise, and its difficulty measured rather than guessed.

A scenario is **fair** when, over every seed checked, its reference solution
meets the passing bar and doing nothing fails it. Its **difficulty** comes
from how the score holds up when the reference is followed imperfectly: the
reference itself, the same steps 30 s and 90 s late, the reference with its
last step left out, with a wrong database promoted where it promotes one, and
a naive responder that only restarts whatever alerts say is down. The
expected score spread is the 10th/50th/90th percentile over all those runs.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable

from engine.util.parallel import run_all
from engine.sim.runner import NO_ACTION, simulate
from engine.analysis.calibration import (  # noqa: F401  (re-exported: check is where a reader looks)
    CALIBRATION_FILE,
    calibration_path,
    measured_difficulty,
    read_calibration,
    scenario_hash,
    write_calibration,
)
from engine.scenario.schema import ActionScript, Scenario, Step, Trigger

DIFFICULTY_LABELS = ("intro", "easy", "medium", "hard", "expert")


# --------------------------------------------------------------------------- policies


def _shift(step: Step, delay: float) -> Step:
    if step.at is not None:
        return step.model_copy(update={"at": step.at + delay})
    return step.model_copy(update={"after": step.after + delay})


def late(script: ActionScript, delay: float) -> ActionScript:
    """The same steps, each ``delay`` seconds later."""
    return ActionScript(name=f"{delay:g} s late", steps=[_shift(s, delay) for s in script.steps])


def without_last(script: ActionScript) -> ActionScript:
    """The reference with its last step left out (often: redundancy never restored)."""
    return ActionScript(name="last step left out", steps=list(script.steps[:-1]))


def wrong_promotion(script: ActionScript, scenario: Scenario) -> ActionScript | None:
    """Promote the replica the reference does not, where it promotes one (None if it never does)."""
    nodes = scenario.topology.nodes
    steps = []
    changed = False
    for step in script.steps:
        if step.command == "promote" and step.target in nodes:
            cluster = nodes[step.target].cluster
            others = [
                n for n, spec in nodes.items()
                if spec.kind == "database" and spec.role == "replica" and spec.cluster == cluster and n != step.target
            ]
            if others:
                # the most lagged other replica: the mistake the briefing warns about
                worst = max(others, key=lambda n: nodes[n].lag)
                step = step.model_copy(update={"target": worst})
                changed = True
        steps.append(step)
    return ActionScript(name="wrong replica promoted", steps=steps) if changed else None


def naive(scenario: Scenario) -> ActionScript:
    """Restart whatever an InstanceDown alert names, half a minute later (and nothing else)."""
    steps = [
        Step(trigger=Trigger(alert="InstanceDown", node=name), after=30.0, command="restart", target=name)
        for name, spec in scenario.topology.nodes.items()
        if spec.kind != "client"
    ]
    return ActionScript(name="naive: restart what is down", steps=steps)


def policies(scenario: Scenario) -> dict[str, ActionScript]:
    """Every policy the difficulty is measured over, by name."""
    ref = scenario.reference_solution
    out = {
        "reference": ref,
        "30 s late": late(ref, 30.0),
        "90 s late": late(ref, 90.0),
        "naive": naive(scenario),
    }
    if len(ref.steps) > 2:
        out["last step left out"] = without_last(ref)
    wrong = wrong_promotion(ref, scenario)
    if wrong is not None:
        out["wrong replica"] = wrong
    for index, pitfall in enumerate(scenario.pitfalls, start=1):
        out[f"pitfall: {pitfall.name or index}"] = pitfall
    return out


# --------------------------------------------------------------------------- running


def _one(args: tuple[Scenario, int, str, ActionScript]) -> tuple[str, int, float, bool]:
    scenario, seed, name, script = args
    run = simulate(scenario, seed, script, name=name)
    return name, seed, run.score.score, run.score.passed


@dataclass
class Check:
    """The verdict on one scenario."""

    scenario: str
    hash: str
    seeds: int
    fair: bool
    reference_passed: int
    no_action_failed: int
    problems: list[str] = field(default_factory=list)
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    difficulty: str | None = None
    difficulty_index: float | None = None
    spread: tuple[float, float, float] | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def calibration(self) -> dict:
        """What the picker shows: the measured difficulty, the spread and what it was measured on."""
        return {
            "hash": self.hash,
            "difficulty": self.difficulty,
            "index": self.difficulty_index,
            "spread": list(self.spread) if self.spread else None,
            "seeds": self.seeds,
        }


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    index = min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))
    return round(values[index], 1)


def difficulty_from(scores: dict[str, list[float]], passes: dict[str, list[bool]]) -> tuple[str, float]:
    """A 0-1 index and its label: the share of imperfect runs that fail the bar (score and probes),
    blended with the score they lose against the reference."""
    ref = statistics.mean(scores["reference"])
    imperfect = [s for name, values in scores.items() if name not in ("reference", "no action") for s in values]
    verdicts = [ok for name, values in passes.items() if name not in ("reference", "no action") for ok in values]
    if not imperfect:
        return DIFFICULTY_LABELS[0], 0.0
    failing = sum(1 for ok in verdicts if not ok) / len(verdicts)
    loss = max(0.0, ref - statistics.mean(imperfect)) / max(1.0, ref)
    index = round(0.6 * failing + 0.4 * min(1.0, loss * 2), 3)
    label = DIFFICULTY_LABELS[min(len(DIFFICULTY_LABELS) - 1, int(index * len(DIFFICULTY_LABELS)))]
    return label, index


def check(
    scenario: Scenario,
    seeds: Iterable[int] = range(20),
    *,
    measure_difficulty: bool = True,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Check:
    """Run the proof (and the difficulty sweep) for one scenario."""
    seeds = list(seeds)
    runs = {"no action": NO_ACTION}
    runs.update(policies(scenario) if measure_difficulty else {"reference": scenario.reference_solution})
    jobs = [(scenario, seed, name, script) for name, script in runs.items() for seed in seeds]
    results = run_all(_one, jobs, workers=workers, min_jobs=9, chunksize=4, progress=progress)
    scores: dict[str, list[float]] = {}
    passes: dict[str, list[bool]] = {}
    passed: dict[tuple[str, int], bool] = {}
    for name, seed, score, ok in results:
        scores.setdefault(name, []).append(score)
        passes.setdefault(name, []).append(ok)
        passed[(name, seed)] = ok
    problems = []
    if not scenario.reference_solution.steps:
        problems.append("the scenario has no reference_solution: write the steps that solve it")
    ref_pass = sum(1 for seed in seeds if passed[("reference", seed)])
    none_fail = sum(1 for seed in seeds if not passed[("no action", seed)])
    for seed in seeds:
        if not passed[("reference", seed)]:
            problems.append(f"seed {seed}: the reference solution does not meet the bar")
        if passed[("no action", seed)]:
            problems.append(f"seed {seed}: doing nothing passes")
    verdict = Check(
        scenario=scenario.id or scenario.title,
        hash=scenario_hash(scenario),
        seeds=len(seeds),
        fair=not problems,
        reference_passed=ref_pass,
        no_action_failed=none_fail,
        problems=problems,
        scores={k: {"min": round(min(v), 1), "mean": round(statistics.mean(v), 1), "max": round(max(v), 1)} for k, v in scores.items()},
    )
    if measure_difficulty:
        label, index = difficulty_from(scores, passes)
        everyone = [s for name, v in scores.items() if name != "no action" for s in v]
        verdict.difficulty = label
        verdict.difficulty_index = index
        verdict.spread = (_pct(everyone, 0.1), _pct(everyone, 0.5), _pct(everyone, 0.9))
    return verdict
