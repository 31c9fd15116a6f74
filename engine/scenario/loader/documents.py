"""Scenario and action-script documents: read, validated, cross-checked, with every problem reported at once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from engine.scenario.loader.checks import Checker, World, check_scenario, step_items
from engine.scenario.loader.collector import Collector, show
from engine.scenario.loader.library import scenario_file
from engine.scenario.loader.sizes import actions_within, scenario_within, values_within
from engine.scenario.loader.validation import report_validation
from engine.scenario.loader.yamlfile import read_file, read_yaml, text_within
from engine.scenario.problems import Problem, ScenarioError
from engine.scenario.schema import ActionScript, Scenario
from engine.util.limits import MAX_ACTIONS_BYTES, MAX_SCENARIO_BYTES

_SCENARIO = (MAX_SCENARIO_BYTES, "a scenario file")
_ACTIONS = (MAX_ACTIONS_BYTES, "an action script file")

M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: Any, collector: Collector) -> M | None:
    """``data`` as a ``model``, or ``None`` after reporting every schema problem into ``collector``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        report_validation(exc, data, model, collector)
        return None


def _scenario_from_data(data: Any, collector: Collector, default_id: str | None) -> Scenario | None:
    """Validate and cross-check scenario data; ``None`` when any problem was reported."""
    if not isinstance(data, Mapping):
        collector.add((), f"a scenario must be a mapping with 'title' and 'topology', got {show(data)}")
        return None
    if not scenario_within(data, collector):
        return None
    scenario = _validated(Scenario, data, collector)
    edges = check_scenario(data, collector)
    if scenario is None or collector.problems:
        return None
    update: dict[str, Any] = {"topology": scenario.topology.model_copy(update={"edges": edges})}
    if scenario.id is None and default_id:
        update["id"] = default_id
    return scenario.model_copy(update=update)


def _actions_from_data(data: Any, collector: Collector, scenario: Scenario | None, default_name: str | None) -> ActionScript | None:
    """Validate and cross-check an action script (a list of steps or ``{name, steps}``)."""
    if isinstance(data, list):
        collector.positions = {("steps",) + path: position for path, position in collector.positions.items()}
        data = {"steps": data}
    elif not isinstance(data, Mapping):
        collector.add((), f"an action script must be a list of steps or a mapping with 'steps', got {show(data)}")
        return None
    if not actions_within(data, collector):
        return None
    script = _validated(ActionScript, data, collector)
    world = World.of(scenario) if scenario is not None else World({}, None, None)
    checker = Checker(world, collector)
    steps = step_items(data.get("steps"), ("steps",))
    if scenario is None:
        for path, step in steps:
            checker.command(path, step)
    else:
        checker.steps(steps)
    if script is None or collector.problems:
        return None
    if "name" not in data and default_name:
        script = script.model_copy(update={"name": default_name})
    return script


def _default_name(filename: str) -> str | None:
    """The file stem, for real file names (not ``<string>``)."""
    return None if filename.startswith("<") else Path(filename).stem


def load_scenario_text(text: str, filename: str = "<string>") -> Scenario:
    """Load a scenario from YAML text; raise :class:`ScenarioError` with every problem."""
    collector = Collector(filename)
    document = read_yaml(text, collector) if text_within(text, collector, *_SCENARIO) else None
    scenario = _scenario_from_data(document.data, collector, _default_name(filename)) if document else None
    if scenario is None:
        raise ScenarioError(collector.result())
    return scenario


def load_actions_text(text: str, filename: str = "<string>", scenario: Scenario | None = None) -> ActionScript:
    """Load an action script from YAML text; with ``scenario``, check its targets too."""
    collector = Collector(filename)
    document = read_yaml(text, collector) if text_within(text, collector, *_ACTIONS) else None
    script = _actions_from_data(document.data, collector, scenario, _default_name(filename)) if document else None
    if script is None:
        raise ScenarioError(collector.result())
    return script


def load_scenario_data(data: Any, source_name: str) -> Scenario:
    """A scenario from plain data, through exactly the checks a file gets; raise :class:`ScenarioError`.

    For the scenarios other files embed (a result bundle, a drill header): the
    data (a :func:`~engine.records.replay.scenario_document`, edges as objects)
    is size-checked, validated and cross-checked like a loaded file, and the
    problems name ``source_name`` and key paths (the data has no lines).
    """
    collector = Collector(source_name)
    scenario = _scenario_from_data(data, collector, None) if values_within(data, collector) else None
    if scenario is None:
        raise ScenarioError(collector.result())
    return scenario


def _read_source(path: Path, limit: int, what: str) -> str:
    """The text of a file (at most ``limit`` bytes), or :class:`ScenarioError` saying why it cannot be read."""
    collector = Collector(str(path))
    text = read_file(path, collector, limit, what)
    if text is None:
        raise ScenarioError(collector.result())
    return text


def load_scenario(source: str | Path) -> Scenario:
    """Load a scenario from a YAML file or by built-in name; raise :class:`ScenarioError` with every problem.

    The scenario's ``id`` defaults to the file stem and its edges are expanded
    to :class:`~engine.scenario.schema.EdgeSpec`.
    """
    path = scenario_file(source)
    return load_scenario_text(_read_source(path, *_SCENARIO), str(path))


def load_actions(source: str | Path, scenario: Scenario | None = None) -> ActionScript:
    """Load an action script file; with ``scenario``, also check that its targets exist."""
    path = Path(source)
    return load_actions_text(_read_source(path, *_ACTIONS), str(path), scenario)


def validate_file(path: str | Path, scenario: Scenario | None = None) -> list[Problem]:
    """Every problem of a scenario or action-script file; never raises.

    The kind is decided by content: a mapping with ``topology`` or ``title`` is a
    scenario; a list, or a mapping with ``steps``, is an action script (checked
    against ``scenario`` when given).
    """
    collector = Collector(str(path))
    try:
        text = read_file(Path(path), collector, max(MAX_SCENARIO_BYTES, MAX_ACTIONS_BYTES), "a scenario or action script file")
        document = read_yaml(text, collector) if text is not None else None
        if document is not None:
            data = document.data
            is_scenario = isinstance(data, Mapping) and ("topology" in data or "title" in data)
            if isinstance(data, list) or (isinstance(data, Mapping) and "steps" in data and not is_scenario):
                _actions_from_data(data, collector, scenario, _default_name(str(path)))
            elif isinstance(data, Mapping):
                _scenario_from_data(data, collector, _default_name(str(path)))
            else:
                collector.add(
                    (),
                    f"expected a scenario (a mapping with 'title' and 'topology') or an action script "
                    f"(a list of steps), got {show(data)}",
                )
    except Exception as exc:  # noqa: BLE001 - `spofdrill validate` must report, not crash
        collector.add_at(None, None, f"internal error while checking the file: {exc!r}")
    return collector.result()
