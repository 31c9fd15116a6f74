"""A scenario embedded in a bundle or a drill header gets exactly the loader's checks (issue 11, item 3).

``scenario_from_document`` goes through ``load_scenario_data``: the sizes,
the schema and the cross-checks a scenario file gets, and a one-line
``TranscriptError`` naming where, the first problem and how many more. Every
built-in round-trips unchanged.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.analysis.calibration import scenario_hash
from engine.records.replay import (
    DrillHeader,
    TranscriptError,
    header_path,
    read_header,
    scenario_document,
    scenario_from_document,
)
from engine.scenario.loader import ScenarioError, load_scenario_data
from engine.util import limits
from support import builtin_names, load_builtin


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_round_trips_unchanged(name):
    scenario = load_builtin(name)
    document = scenario_document(scenario)
    again = load_scenario_data(copy.deepcopy(document), name)
    assert scenario_document(again) == document
    assert scenario_hash(again) == scenario_hash(scenario)
    assert again == scenario
    assert scenario_from_document(json.loads(json.dumps(document)), "x") == scenario


def _document(name: str = "lb-failover") -> dict[str, Any]:
    return scenario_document(load_builtin(name))


def _error(document: Any, where: str = "bundle.json: 'scenario'") -> str:
    with pytest.raises(TranscriptError) as info:
        scenario_from_document(document, where)
    message = str(info.value)
    assert "\n" not in message and message.startswith(where)
    return message


def test_a_fault_naming_a_missing_node_is_one_line():
    document = _document()
    document["method"][0]["target"] = "ghost"
    message = _error(document)
    assert "method[0].target" in message and "unknown node 'ghost'" in message
    assert "more)" not in message


def test_more_problems_are_counted():
    document = _document()
    document["method"][0]["target"] = "ghost"
    document["duration"] = math.inf
    document["topology"]["edges"][0]["to"] = "nowhere"
    message = _error(document)
    assert message.endswith("(and 2 more)")


def test_an_edge_to_a_missing_node_is_refused():
    document = _document()
    document["topology"]["edges"].append({"from": document["topology"]["edges"][0]["from"], "to": "ghost"})
    message = _error(document)
    assert "topology.edges" in message and "'ghost'" in message


def test_a_topology_past_the_limit_is_refused_from_its_size():
    document = _document()
    template = next(iter(document["topology"]["nodes"].values()))
    for i in range(limits.MAX_NODES + 1):
        document["topology"]["nodes"][f"extra-{i}"] = template
    message = _error(document)
    assert f"{limits.MAX_NODES:,}" in message


def test_an_embedded_duration_of_1e9_is_refused():
    document = _document()
    document["duration"] = 1e9
    assert "duration" in _error(document)


@pytest.mark.parametrize("value", [None, [], "scenario", 3, True])
def test_not_an_object_is_one_line(value):
    _error(value)


def test_read_header_refuses_an_edge_to_a_missing_node(tmp_path):
    journal = tmp_path / "drill.jsonl"
    header = DrillHeader(load_builtin("lb-failover"), 7, "trainee", "practice").to_dict()
    header["scenario"]["topology"]["edges"].append({"from": "lb-1", "to": "ghost"})
    header_path(journal).write_text(json.dumps(header))
    with pytest.raises(TranscriptError) as info:
        read_header(journal)
    message = str(info.value)
    assert "\n" not in message and str(header_path(journal)) in message and "'ghost'" in message


# --------------------------------------------------------------------------- anything at any place


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(_paths(value, prefix + (key,)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out.extend(_paths(value, prefix + (index,)))
    return out


_DOCUMENT = _document("region-outage")
_PATHS = [path for path in _paths(_DOCUMENT) if path]
_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.just([]),
    st.just({}),
    st.just([{"x": 1}]),
    st.just({"kind": "database"}),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_PATHS), _ODD), min_size=1, max_size=3))
def test_any_value_anywhere_is_a_scenario_or_one_line(changes):
    document = copy.deepcopy(_DOCUMENT)
    for path, value in changes:
        target = document
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced a parent
    try:
        scenario_from_document(document, "header.json")
    except TranscriptError as exc:
        assert "\n" not in str(exc)


def test_load_scenario_data_raises_scenario_error_naming_the_source():
    with pytest.raises(ScenarioError) as info:
        load_scenario_data({"title": "x"}, "bundle.json: 'scenario'")
    assert str(info.value).startswith("bundle.json: 'scenario': ")


def test_an_embedded_scenario_past_the_value_limit_is_refused_before_validation():
    document = _document()
    document["alerts"]["rules"] = [{"name": "R", "metric": "up", "threshold": 1, "nodes": ["lb-1"] * limits.MAX_EMBEDDED_VALUES}]
    message = _error(document)
    assert f"{limits.MAX_EMBEDDED_VALUES:,}" in message
