"""The size of a document against the limits of :mod:`engine.util.limits`, checked before anything is validated.

Counting is cheap and bounds everything after it: a topology past
``MAX_NODES``, a list past its limit or a script past ``MAX_COMMANDS`` is
refused from its length alone, so neither the schema nor the cross-checks nor a
simulation ever sees it. The run's own size (ticks and the work budget) needs
the validated duration and tick; :func:`check_run` reports it with the
cross-checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.scenario.loader.collector import Collector, KeyPath, number
from engine.util.limits import MAX_COMMANDS, MAX_EDGES, MAX_NODES, MAX_SCENARIO_ITEMS, MAX_TICKS, MAX_WORK, over

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


def check_run(duration: float | None, tick: float | None, nodes: int, collector: Collector) -> None:
    """Report a run past ``MAX_TICKS`` traffic steps or past the work budget ``MAX_WORK``."""
    if duration is None or tick is None:
        return
    ticks = duration / tick
    if ticks > MAX_TICKS:
        words = over("a run", round(ticks), MAX_TICKS, "ticks")
        collector.add(("engine", "tick"), f"a {number(tick)} s tick over {number(duration)} s {words} (duration / tick)")
        return
    work = nodes * (ticks + duration)
    if work > MAX_WORK:
        words = over("a run", round(work), MAX_WORK, "node-steps")
        collector.add(
            ("topology", "nodes"),
            f"{nodes} nodes over {number(duration)} s at a {number(tick)} s tick {words} "
            f"(nodes x (ticks + seconds)): shorten the drill or use fewer nodes",
        )
