"""The size of a document against the limits of :mod:`engine.util.limits`, checked before anything is validated.

Counting is cheap and bounds everything after it: a topology past
``MAX_NODES``, a list past its limit or a script past ``MAX_COMMANDS`` is
refused from its length alone, so neither the schema nor the cross-checks nor a
simulation ever sees it. The run's own size (ticks and the work budget) needs
the validated duration and tick: :func:`check_run` reports a run past
``MAX_TICKS`` with the cross-checks, and :func:`check_runnable` refuses a run
past the work budget ``MAX_WORK`` when it starts (a big architecture still
loads, validates and is analysed; only simulating it for long is refused).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.scenario.loader.collector import Collector, KeyPath, number
from engine.scenario.problems import Problem, ScenarioError
from engine.scenario.schema import Chaos, Fault, Scenario
from engine.util.limits import (
    MAX_COMMANDS,
    MAX_EDGES,
    MAX_EMBEDDED_VALUES,
    MAX_NODES,
    MAX_SCENARIO_ITEMS,
    MAX_TICKS,
    MAX_WORK,
    MAX_YAML_VALUES,
    over,
    run_work,
)

_LISTS: tuple[tuple[KeyPath, str], ...] = (
    (("topology", "regions"), "the regions of a topology"),
    (("method",), "the faults of a scenario"),
    (("hints",), "the hints of a scenario"),
    (("alerts", "rules"), "the alert rules of a scenario"),
    (("alerts", "disable"), "the disabled alert rules of a scenario"),
    (("steady-state-hypothesis", "probes"), "the probes of a scenario"),
    (("pitfalls",), "the pitfalls of a scenario"),
    (("tags",), "the tags of a scenario"),
    (("objectives",), "the objectives of a scenario"),
    (("lessons",), "the lessons of a scenario"),
    (("chaos", "grouping"), "the chaos groups of a scenario"),
    (("chaos", "exceptions"), "the chaos exceptions of a scenario"),
)


def _at(data: Any, path: KeyPath) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _steps(value: Any) -> Any:
    """The step list of an action script written as a list or as ``{name, steps}``."""
    return value.get("steps") if isinstance(value, Mapping) else value


def _count(collector: Collector, path: KeyPath, value: Any, limit: int, what: str, unit: str = "items") -> bool:
    if isinstance(value, (list, Mapping)) and len(value) > limit:
        collector.add(path, over(what, len(value), limit, unit))
        return False
    return True


def values_within(data: Any, collector: Collector) -> bool:
    """Whether plain data (an embedded scenario) holds at most ``MAX_EMBEDDED_VALUES`` keys and values.

    Counted without recursion and stopped at the limit, so a 64 MiB bundle costs no more than a small one.
    """
    count = 0
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, Mapping):
            count += 2 * len(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            count += len(value)
            pending.extend(value)
        if count > MAX_EMBEDDED_VALUES:
            collector.add((), f"the scenario {over('an embedded scenario', None, MAX_EMBEDDED_VALUES, 'values')} (keys and items)")
            return False
    return True


def scenario_within(data: Mapping[str, Any], collector: Collector) -> bool:
    """Whether every count of scenario data is within its limit; else report each one over it."""
    ok = _count(collector, ("topology", "nodes"), _at(data, ("topology", "nodes")), MAX_NODES, "a topology", "nodes")
    ok = _count(collector, ("topology", "edges"), _at(data, ("topology", "edges")), MAX_EDGES, "a topology", "edges") and ok
    for path, what in _LISTS:
        ok = _count(collector, path, _at(data, path), MAX_SCENARIO_ITEMS, what) and ok
    solution = data.get("reference_solution")
    path: KeyPath = ("reference_solution", "steps") if isinstance(solution, Mapping) else ("reference_solution",)
    ok = _count(collector, path, _steps(solution), MAX_COMMANDS, "an action script", "steps") and ok
    pitfalls = data.get("pitfalls")
    if isinstance(pitfalls, list) and len(pitfalls) <= MAX_SCENARIO_ITEMS:
        for index, pitfall in enumerate(pitfalls):
            steps = _steps(pitfall)
            ok = _count(collector, ("pitfalls", index, "steps"), steps, MAX_COMMANDS, "an action script", "steps") and ok
    return ok


def actions_within(data: Mapping[str, Any], collector: Collector) -> bool:
    """Whether an action script (``{steps: [...]}``) has at most ``MAX_COMMANDS`` steps; else report it."""
    return _count(collector, ("steps",), data.get("steps"), MAX_COMMANDS, "an action script", "steps")


def changes(duration: float, faults: list[Fault], chaos: Chaos | None, steps: int) -> float:
    """About how many state changes a run makes: each re-plans the traffic over every node.

    Two per fault (inject, clear), two per flap cycle, three per chaos kill
    (the kill, the restart, the rejoin), two per step of the reference solution.
    """
    count = 2.0 * steps
    for fault in faults:
        count += 2
        if fault.type == "flap":
            count += 2 * min(fault.duration or duration, duration) / fault.period
    if chaos is not None and chaos.enabled:
        span = max(0.0, min(chaos.end if chaos.end is not None else duration, duration) - chaos.start)
        count += 3 * span / chaos.mean_time_between_kills
    return count


def scenario_work(scenario: Scenario, steps: int | None = None) -> float:
    """The work of one run of a validated scenario (``steps``: the commands it applies; default its reference solution's)."""
    duration = scenario.duration
    if steps is None:
        steps = len(scenario.reference_solution.steps)
    events = changes(duration, list(scenario.method), scenario.chaos, steps)
    alerts = scenario.alerts
    evaluations = len(alerts.rules) * duration / alerts.evaluation_interval
    return run_work(len(scenario.topology.nodes), duration, scenario.engine.tick, events, evaluations)


class RunTooLarge(ScenarioError):
    """A run past the work budget: one problem, whose message names ``MAX_WORK`` and what to do."""

    def __init__(self, problem: Problem) -> None:
        super().__init__([problem])
        self.problem = problem

    def __reduce__(self) -> tuple:
        return (RunTooLarge, (self.problem,))  # a worker process's refusal reaches the parent whole


def over_budget(scenario: Scenario, steps: int | None = None) -> str | None:
    """Why one run of ``scenario`` is past the work budget (one line without a file), or ``None`` when it fits.

    ``steps``: the commands the run applies (default: its reference solution's).
    """
    work = scenario_work(scenario, steps)
    if work <= MAX_WORK:
        return None
    nodes = len(scenario.topology.nodes)
    return (f"a run of {nodes:,} nodes over {number(scenario.duration)} s at a {number(scenario.engine.tick)} s tick "
            f"{over('a run', round(work), MAX_WORK, 'node-steps')}: shorten it (duration, or --horizon for a what-if) "
            f"or use fewer nodes; the scenario still loads, and 'analyze --no-simulation' works on it")


def check_runnable(scenario: Scenario, source: str | None = None, steps: int | None = None) -> None:
    """Raise :class:`RunTooLarge` naming ``source`` (default: the scenario's id) when one run is past ``MAX_WORK``.

    Called when a :class:`~engine.sim.simulation.Simulation` first advances and by the command line before
    its first run, so a run past the budget is refused before any simulated time, with the file named.
    """
    reason = over_budget(scenario, steps)
    if reason is not None:
        raise RunTooLarge(Problem(source or scenario.id or scenario.title, None, None, "", reason))


def check_run(duration: float | None, tick: float | None, collector: Collector) -> None:
    """Report a run past ``MAX_TICKS`` traffic steps (the work budget is checked when a run starts: :func:`check_runnable`)."""
    if duration is None or tick is None:
        return
    ticks = duration / tick
    if ticks > MAX_TICKS:
        words = over("a run", round(ticks), MAX_TICKS, "ticks")
        collector.add(("engine", "tick"), f"a {number(tick)} s tick over {number(duration)} s {words} (duration / tick)")
