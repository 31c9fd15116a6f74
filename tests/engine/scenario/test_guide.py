"""The scenario-writing guide (docs/scenarios.md) stays true to the format.

Every ```yaml block in the guide is checked:

- a complete scenario (it has ``title:`` and ``topology:``) loads with
  :func:`engine.scenario.loader.load_scenario_text` without a problem;
- an action script (it has ``steps:``, or is a list of steps) loads with
  :func:`engine.scenario.loader.load_actions_text`;
- any other block (a fragment: one or more top-level scenario sections) is
  valid YAML, and validates against the pydantic models when placed on top
  of a minimal scenario;
- a block preceded by ``<!-- guide-test: invalid -->`` is an example of a
  mistake and must be reported as one.

And the guide mentions every field of the format (by alias where there is
one), every node kind, fault type, command, default alert and probe metric,
so that it cannot silently fall behind ``engine/schema.py``.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from engine.sim.alerts import default_rules
from engine.commands import REGISTRY
from engine.scenario.loader import load_actions_text, load_scenario_text, parse_edges
from engine.scenario.problems import ScenarioError
from engine.sim.runner import NO_ACTION, simulate
from engine.scenario.schema import FAULT_TYPES, NODE_KINDS, ActionScript, Probe, Scenario, Slo
from support import ROOT_DIR

GUIDE = ROOT_DIR / "docs" / "scenarios.md"
TEXT = GUIDE.read_text(encoding="utf-8")
INVALID_MARK = "<!-- guide-test: invalid -->"

_FENCE = re.compile(r"^```yaml[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[int, str, bool]]:
    """Every ```yaml block: (line of the fence, text, marked invalid)."""
    out = []
    for match in _FENCE.finditer(TEXT):
        line = TEXT.count("\n", 0, match.start()) + 1
        before = TEXT[: match.start()].rstrip().splitlines()
        marked = bool(before) and before[-1].strip() == INVALID_MARK
        out.append((line, match.group(1), marked))
    return out


BLOCKS = _blocks()


def _has_key(text: str, key: str) -> bool:
    return re.search(rf"^{re.escape(key)}:", text, re.MULTILINE) is not None


def _is_scenario(text: str) -> bool:
    return _has_key(text, "title") and _has_key(text, "topology")


def _is_actions(text: str) -> bool:
    if _has_key(text, "steps"):
        return True
    data = yaml.safe_load(text)
    return isinstance(data, list) and all(isinstance(item, dict) and "command" in item for item in data)


def _kind(text: str) -> str:
    if _is_scenario(text):
        return "scenario"
    if _is_actions(text):
        return "actions"
    return "fragment"


VALID = [(line, text) for line, text, marked in BLOCKS if not marked]
INVALID = [(line, text) for line, text, marked in BLOCKS if marked]
SCENARIOS = [(line, text) for line, text in VALID if _kind(text) == "scenario"]
ACTIONS = [(line, text) for line, text in VALID if _kind(text) == "actions"]
FRAGMENTS = [(line, text) for line, text in VALID if _kind(text) == "fragment"]


def _ids(items: list[tuple[int, str]]) -> list[str]:
    return [f"line-{line}" for line, _ in items]


def _in_place(line: int, text: str) -> str:
    """The block padded so that the loader's line numbers are the guide's."""
    return "\n" * line + text


def test_the_guide_has_examples_of_every_sort():
    assert len(SCENARIOS) >= 3, "complete scenarios (the worked example)"
    assert len(ACTIONS) >= 3, "action scripts"
    assert FRAGMENTS, "fragments of scenario sections"
    assert INVALID, "an example of a mistake"


@pytest.mark.parametrize(("line", "text"), SCENARIOS, ids=_ids(SCENARIOS))
def test_scenario_block_loads(line: int, text: str):
    try:
        scenario = load_scenario_text(_in_place(line, text), "docs/scenarios.md")
    except ScenarioError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"the scenario at docs/scenarios.md line {line} has problems:\n{exc}")
    assert scenario.title


@pytest.mark.parametrize(("line", "text"), ACTIONS, ids=_ids(ACTIONS))
def test_action_script_block_loads(line: int, text: str):
    try:
        script = load_actions_text(_in_place(line, text), "docs/scenarios.md")
    except ScenarioError as exc:  # pragma: no cover
        pytest.fail(f"the action script at docs/scenarios.md line {line} has problems:\n{exc}")
    assert script.steps


_BASE = {
    "title": "fragment host",
    "topology": {"nodes": {"users": {"kind": "client"}, "lb-1": {"kind": "load_balancer"}}, "edges": ["users -> lb-1"]},
}


@pytest.mark.parametrize(("line", "text"), FRAGMENTS, ids=_ids(FRAGMENTS))
def test_fragment_block_is_valid(line: int, text: str):
    data = yaml.safe_load(text)
    assert isinstance(data, dict), f"line {line}: a fragment is a mapping of scenario sections"
    keys = {info.alias or name for name, info in Scenario.model_fields.items()}
    unknown = sorted(set(data) - keys)
    assert not unknown, f"line {line}: not scenario sections: {unknown}"
    Scenario.model_validate({**_BASE, **data})  # raises with the problem
    edges = data.get("topology", {}).get("edges", [])
    parse_edges(edges)


@pytest.mark.parametrize(("line", "text"), INVALID, ids=_ids(INVALID))
def test_invalid_example_is_reported(line: int, text: str):
    load = load_scenario_text if _is_scenario(text) else load_actions_text
    with pytest.raises(ScenarioError) as info:
        load(_in_place(line, text), "docs/scenarios.md")
    assert info.value.problems


def test_worked_example_is_fair_on_seed_0():
    """The guide's final scenario: the reference passes and doing nothing fails (one seed, fast)."""
    finals = [text for _, text in SCENARIOS if "title: Web shop, a standby load balancer" in text and "steady-state-hypothesis:" in text]
    assert finals, "the worked example's complete standby.yaml"
    scenario = load_scenario_text(finals[-1], "standby.yaml")
    assert simulate(scenario, 0, scenario.reference_solution).score.passed
    assert not simulate(scenario, 0, NO_ACTION).score.passed


# --------------------------------------------------------------------------- coverage


def _mentioned(word: str) -> bool:
    return f"`{word}`" in TEXT


def test_every_scenario_field_is_in_the_guide():
    missing = [info.alias or name for name, info in Scenario.model_fields.items() if not _mentioned(info.alias or name)]
    assert not missing, f"docs/scenarios.md does not mention these scenario fields: {missing}"


def _models(annotation: object) -> list[type[BaseModel]]:
    """Pydantic models inside an annotation (through Annotated, unions, lists and dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is None:
        return []
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        args = args[:1]
    return [model for arg in args for model in _models(arg)]


def _all_models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = [Scenario, ActionScript]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.append(model)
        for info in model.model_fields.values():
            todo.extend(_models(info.annotation))
    return seen


@pytest.mark.parametrize("model", _all_models(), ids=lambda m: m.__name__)
def test_every_field_of_every_section_is_in_the_guide(model: type[BaseModel]):
    missing = [info.alias or name for name, info in model.model_fields.items() if not _mentioned(info.alias or name)]
    assert not missing, f"docs/scenarios.md does not mention these fields of {model.__name__}: {missing}"


@pytest.mark.parametrize(
    ("what", "names"),
    [
        ("node kinds", NODE_KINDS),
        ("fault types", FAULT_TYPES),
        ("commands", tuple(REGISTRY)),
        ("default alert rules", tuple(dict.fromkeys(rule.name for rule in default_rules(Slo())))),
        ("probe metrics", typing.get_args(Probe.model_fields["metric"].annotation)),
    ],
    ids=["node-kinds", "fault-types", "commands", "default-alerts", "probe-metrics"],
)
def test_every_name_is_in_the_guide(what: str, names: tuple[str, ...]):
    missing = [name for name in names if not _mentioned(name)]
    assert not missing, f"docs/scenarios.md does not mention these {what}: {missing}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_links_inside_the_guide_resolve():
    outside = re.sub(r"^```.*?^```", "", TEXT, flags=re.MULTILINE | re.DOTALL)
    anchors = {_slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", outside, re.MULTILINE)}
    links = set(re.findall(r"\]\(#([^)]+)\)", outside))
    assert links, "the guide links to its own sections"
    broken = sorted(links - anchors)
    assert not broken, f"links to missing sections: {broken}"
    for target in set(re.findall(r"\]\(([\w.-]+\.md)(?:#[^)]*)?\)", outside)):
        assert (GUIDE.parent / target).is_file(), f"link to a missing page: {target}"
