"""The loader reads scenarios and action scripts and reports every problem with its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.scenario import loader
from engine.scenario.loader import library
from engine.scenario.loader import (
    EdgeSyntaxError,
    builtin_path,
    builtin_scenarios,
    load_actions,
    load_actions_text,
    load_scenario,
    load_scenario_text,
    parse_edge,
    parse_edges,
    validate_file,
)
from engine.scenario.problems import Problem, ScenarioError
from engine.scenario.schema import EdgeSpec
from support import TESTS_DIR

FIXTURES = TESTS_DIR / "fixtures"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"


def problems_of(fixture: str) -> list[Problem]:
    """The problems loading a bad fixture raises (action scripts are named ``actions_*``)."""
    path = BAD / fixture
    load = load_actions if fixture.startswith("actions") else load_scenario
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert info.value.problems, "a ScenarioError always carries problems"
    return info.value.problems


# --------------------------------------------------------------------------- bad fixtures

BAD_CASES = [
    ("misspelt_key.yaml", 7, ["topology.nodes.db-1.capcity", "unknown key 'capcity'", "did you mean 'capacity'?"]),
    ("unknown_edge_node.yaml", 7, ["topology.edges[0]", "unknown node 'db1'", "did you mean 'db-1'?"]),
    ("bad_kind.yaml", 6, ["unknown kind 'dtabase'", "must be one of: client, dns", "did you mean 'database'?"]),
    ("bad_yaml.yaml", 5, ["bad YAML", "flow mapping at line 4"]),
    ("duplicate_key.yaml", 6, ["duplicate key 'duration'", "first at line 2"]),
    ("two_primaries.yaml", 8, ["cluster 'main' has two primaries", "db-1 and db-2"]),
    ("fault_unknown_node.yaml", 10, ["method[1].target", "unknown node 'lb-2'", "did you mean 'lb-1'?"]),
    ("fault_wrong_kind.yaml", 7, ["method[0].target", "cache_flush needs a cache", "'db-1' is a database"]),
    ("unknown_command.yaml", 8, ["reference_solution[0].command", "unknown command 'restat'", "did you mean 'restart'?"]),
    ("wrong_arg_type.yaml", 10, ["reference_solution[0].args.percent", "argument 'percent'", "'lots'"]),
    ("wrong_value_type.yaml", 2, ["duration", "expected a number, got 'five minutes'"]),
    ("region_not_declared.yaml", 8, ["region 'eu-wset' is not declared", "did you mean 'eu-west'?"]),
    ("empty.yaml", None, ["the file is empty"]),
    ("edge_syntax.yaml", 7, ["topology.edges[0]", "unknown edge option 'sfot'", "did you mean 'soft'?"]),
    ("missing_title.yaml", 1, ["missing required key 'title'"]),
    ("replica_without_cluster.yaml", 5, ["topology.nodes.db-2", "a replica needs 'cluster' or 'upstream'"]),
    ("hint_after_end.yaml", 8, ["hints[1].at", "400 s, after the end of the drill (duration 300 s)"]),
    ("not_a_mapping.yaml", 1, ["a scenario must be a mapping", "got a list"]),
    ("not_utf8.yaml", 1, ["not UTF-8"]),
    ("actions_bad.yaml", 3, ["steps[1].command", "unknown command 'restat'", "did you mean 'restart'?"]),
    ("actions_bad.yaml", 5, ["steps[2]", "exactly one of 'at' or 'trigger'"]),
    # Many problems in one file are all reported at once, each at its own line.
    ("many_problems.yaml", 7, ["region 'mian' is not declared", "did you mean 'main'?"]),
    ("many_problems.yaml", 10, ["unknown key 'capcity'", "did you mean 'capacity'?"]),
    ("many_problems.yaml", 14, ["unknown node 'app1'", "did you mean 'app-1'?"]),
    ("many_problems.yaml", 16, ["unknown node 'db-2'", "did you mean 'db-1'?"]),
    ("many_problems.yaml", 17, ["method[1].at", "900 s, after the end of the drill"]),
    ("many_problems.yaml", 19, ["unknown command 'promte'", "did you mean 'promote'?"]),
    ("many_problems.yaml", 20, ["unknown target 'db-3'"]),
]


@pytest.mark.parametrize(("fixture", "line", "words"), BAD_CASES, ids=[f"{c[0]}:{c[1]}" for c in BAD_CASES])
def test_bad_fixture_reports_its_problem_at_its_line(fixture: str, line: int | None, words: list[str]) -> None:
    problems = problems_of(fixture)
    matching = [p for p in problems if p.line == line and all(word in str(p) for word in words)]
    assert matching, f"no problem at line {line} with {words}; got:\n" + "\n".join(map(str, problems))


def test_every_bad_fixture_is_in_the_table() -> None:
    assert {path.name for path in BAD.glob("*.yaml")} == {case[0] for case in BAD_CASES}


def test_many_problems_come_in_one_error_in_file_order() -> None:
    problems = problems_of("many_problems.yaml")
    assert len(problems) == 7
    lines = [p.line for p in problems]
    assert lines == sorted(lines)


def test_problems_name_the_file() -> None:
    problem = problems_of("misspelt_key.yaml")[0]
    assert problem.file == str(BAD / "misspelt_key.yaml")
    assert str(problem).startswith(f"{BAD / 'misspelt_key.yaml'}:7:7: topology.nodes.db-1.capcity: unknown key")


# --------------------------------------------------------------------------- good files


def test_minimal_scenario_loads_and_expands_edges() -> None:
    scenario = load_scenario(GOOD / "minimal.yaml")
    assert scenario.id == "minimal"
    assert scenario.title == "The seed's system"
    assert all(isinstance(edge, EdgeSpec) for edge in scenario.topology.edges)
    assert [(edge.source, edge.target) for edge in scenario.topology.edges] == [
        ("users", "lb-1"),
        ("lb-1", "app-1"),
        ("lb-1", "app-2"),
        ("app-1", "cache"),
        ("app-1", "db-1"),
        ("app-2", "cache"),
        ("app-2", "db-1"),
    ]
    assert all(edge.required and edge.share == 1.0 for edge in scenario.topology.edges)
    assert [step.command for step in scenario.reference_solution.steps] == ["restart"]


def test_full_scenario_loads_with_edge_options_and_mapping_edges() -> None:
    scenario = load_scenario(str(GOOD / "two_regions.yaml"))
    edges = {(edge.source, edge.target): edge for edge in scenario.topology.edges}
    soft = edges[("app-2", "reco")]
    assert (soft.required, soft.share, soft.timeout, soft.fallback) == (False, 0.3, 0.5, True)
    assert edges[("app-1", "db-1")].required is True
    assert edges[("app-2", "db-1")].required is True
    assert len(edges) == len(scenario.topology.edges) == 11
    assert scenario.reference_solution.name == "calm hands"
    assert scenario.steady_state_hypothesis.probes[0].tolerance.min == 0.99
    assert scenario.alerts.rules[0].for_ == 30


def test_id_in_the_file_wins_over_the_file_name() -> None:
    text = (GOOD / "minimal.yaml").read_text() + "id: seed\n"
    assert load_scenario_text(text, "elsewhere.yaml").id == "seed"
    assert load_scenario_text(text.replace("id: seed\n", ""), "elsewhere.yaml").id == "elsewhere"
    assert load_scenario_text(text.replace("id: seed\n", "")).id is None


def test_yaml_boolean_words_stay_keys() -> None:
    """YAML 1.1 reads a bare ``on`` or ``yes`` as true; the loader keeps keys as written."""
    with pytest.raises(ScenarioError, match="has no argument 'on'"):
        load_actions_text("- {at: 1, command: hint, args: {on: 1}}\n")
    script = load_actions(GOOD / "actions.yaml")
    assert script.steps[1].trigger is not None and script.steps[1].trigger.node == "lb-1"
    assert script.name == "actions"


def test_action_scripts_load_in_both_forms_and_check_targets() -> None:
    scenario = load_scenario(GOOD / "minimal.yaml")
    listed = load_actions(GOOD / "actions.yaml", scenario)
    named = load_actions(GOOD / "actions_named.yaml", scenario)
    assert [step.command for step in listed.steps] == ["ack", "restart"]
    assert named.name == "by the book"
    assert [step.command for step in named.steps] == ["restart", "hint"]


def test_action_script_targets_are_checked_against_the_scenario() -> None:
    scenario = load_scenario(GOOD / "minimal.yaml")
    text = (
        "- {at: 1, command: restart, target: lb-2}\n"
        "- {at: 2, command: promote, target: lb-1}\n"
        "- {at: 3, command: ack, target: 'NodeDown:db-9'}\n"
        "- {trigger: {node: ap-1}, command: drain, target: app-1}\n"
        "- {at: 4, command: scale, target: app-1, args: {count: many}}\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_actions_text(text, "drill.yaml", scenario)
    messages = {(p.line, p.path): p.message for p in info.value.problems}
    assert messages[(1, "steps[0].target")] == "unknown target 'lb-2'; did you mean 'lb-1'?"
    assert messages[(2, "steps[1].target")] == "'promote' needs a database, but 'lb-1' is a load_balancer"
    assert messages[(3, "steps[2].target")] == "unknown node 'db-9'; did you mean 'db-1'?"
    assert messages[(4, "steps[3].trigger.node")] == "unknown node 'ap-1'; did you mean 'app-1'?"
    assert "argument 'count'" in messages[(5, "steps[4].args.count")]
    # Without a scenario only the commands themselves are checked.
    with pytest.raises(ScenarioError) as info:
        load_actions_text(text, "drill.yaml")
    assert [p.path for p in info.value.problems] == ["steps[4].args.count"]


def test_action_script_unknown_key_suggests_the_field() -> None:
    with pytest.raises(ScenarioError) as info:
        load_actions_text("name: x\nsteps:\n  - {at: 1, command: hint, aftr: 2}\n")
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (3, "steps[0].aftr")
    assert problem.message == "unknown key 'aftr'; did you mean 'after'?"


# --------------------------------------------------------------------------- schema messages


def scenario_problems(text: str) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text)
    return info.value.problems


BASE = "title: t\ntopology:\n  nodes:\n    app-1: {kind: app_server}\n"


def test_union_errors_collapse_to_one_problem_per_value() -> None:
    text = BASE + "    users:\n      kind: client\n      rates: {read: abc, write: {bse: 3}}\n"
    problems = scenario_problems(text)
    assert [(p.path, p.message) for p in problems] == [
        ("topology.nodes.users.rates.read", "expected a number or a mapping, got 'abc'"),
        ("topology.nodes.users.rates.write", "missing required key 'base'"),
        ("topology.nodes.users.rates.write.bse", "unknown key 'bse'; did you mean 'base'?"),
    ]


def test_alias_keys_are_suggested_and_accepted() -> None:
    problems = scenario_problems(BASE + "steady-state-hypotesis: {}\nalerts:\n  rules: [{name: a, metric: m, threshold: 1, fr: 3}]\n")
    assert [p.message for p in problems] == [
        "unknown key 'steady-state-hypotesis'; did you mean 'steady-state-hypothesis'?",
        "unknown key 'fr'; did you mean 'for'?",
    ]


def test_literal_and_bound_errors_read_like_sentences() -> None:
    text = BASE + "difficulty: hardest\nmethod:\n  - {type: crash, target: app-1, rate: 2}\n"
    messages = [p.message for p in scenario_problems(text)]
    assert messages == [
        "must be one of: intro, easy, medium, hard, expert, got 'hardest'; did you mean 'hard'?",
        "must be at most 1, got 2",
    ]


def test_missing_kind_lists_the_kinds() -> None:
    (problem,) = scenario_problems(BASE + "    db-1: {cluster: main}\n")
    assert problem.path == "topology.nodes.db-1"
    assert problem.message.startswith("missing required key 'kind' (one of: client, dns")


def test_unsafe_yaml_tags_are_refused() -> None:
    (problem,) = scenario_problems('title: !!python/object/apply:os.system ["echo owned"]\n' + BASE[9:])
    assert problem.line == 1
    assert problem.message == "bad YAML: unsupported tag '!!python/object/apply:os.system' on a list"


def test_merge_keys_and_anchors_work() -> None:
    text = "title: t\ndefaults: &app {kind: app_server, capacity: 200}\n"
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text + "topology:\n  nodes:\n    app-1: {<<: *app}\n")
    assert [p.path for p in info.value.problems] == ["defaults"]
    nodes = "    a: &app {kind: app_server, capacity: 200}\n    b: {<<: *app, capacity: 300}\n"
    scenario = load_scenario_text("title: t\ntopology:\n  nodes:\n" + nodes)
    assert (scenario.topology.nodes["a"].capacity, scenario.topology.nodes["b"].capacity) == (200, 300)


def test_cross_checks_on_topology() -> None:
    text = (
        "title: t\nduration: 100\ntopology:\n  regions: [us, eu]\n  nodes:\n"
        "    dns: {kind: dns, weights: {us: 1, eux: 1}}\n"
        "    lb-a: {kind: load_balancer, vip: front, role: standby}\n"
        "    db-1: {kind: database}\n"
        "    db-2: {kind: database, role: replica, upstream: db1}\n"
        "  edges: [dns -> lb-a, dns -> lb-a, lb-a -> lb-a]\n"
        "method:\n  - {type: partition, between: [us, 'db-1,db1']}\n  - {type: region_outage, target: asia}\n"
        "chaos: {grouping: [app_servr], exceptions: [lb-b]}\n"
    )
    messages = {(p.line, p.path): p.message for p in scenario_problems(text)}
    assert messages == {
        (6, "topology.nodes.dns.weights.eux"): "region 'eux' is not declared in topology.regions (us, eu); did you mean 'eu'?",
        (7, "topology.nodes.lb-a.role"): "vip group 'front' has no primary (members: lb-a)",
        (9, "topology.nodes.db-2.upstream"): "unknown node 'db1'; did you mean 'db-1'?",
        (10, "topology.edges[1]"): "duplicate edge dns -> lb-a (first at line 10)",
        (10, "topology.edges[2]"): "an edge from 'lb-a' to itself",
        (12, "method[0].between[1]"): "'db1' is neither a node nor a region; did you mean 'db-1'?",
        (13, "method[1].target"): "region 'asia' is not declared in topology.regions (us, eu)",
        (14, "chaos.grouping[0]"): "'app_servr' is neither a group nor a node kind; did you mean 'app_server'?",
        (14, "chaos.exceptions[0]"): "unknown node 'lb-b'; did you mean 'lb-a'?",
    }


# --------------------------------------------------------------------------- edges


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a -> b", [("a", "b", True, 1.0, None, False)]),
        ("  a->b  ", [("a", "b", True, 1.0, None, False)]),
        ("a, b -> c", [("a", "c", True, 1.0, None, False), ("b", "c", True, 1.0, None, False)]),
        ("a -> b (soft)", [("a", "b", False, 1.0, None, False)]),
        ("a -> b (required, share=0.25, timeout=2, fallback)", [("a", "b", True, 0.25, 2.0, True)]),
    ],
)
def test_edge_shorthand(text: str, expected: list[tuple[object, ...]]) -> None:
    edges = parse_edge(text)
    assert [(e.source, e.target, e.required, e.share, e.timeout, e.fallback) for e in edges] == expected


def test_edge_shorthand_is_a_cross_product() -> None:
    edges = parse_edge("a, b -> c, d")
    assert [(e.source, e.target) for e in edges] == [("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a b", "needs an arrow"),
        ("a -> b -> c", "one arrow per edge"),
        ("-> b", "no source before '->'"),
        ("a ->", "no target after '->'"),
        ("a,,b -> c", "empty source name"),
        ("app 1 -> c", "'app 1' is not a node name"),
        ("a -> b (soft", "parentheses at the end"),
        ("a -> b (soft) x", "parentheses at the end"),
        ("a -> b (share=x)", "option 'share' must be a number, got 'x'"),
        ("a -> b (share=2)", "option 'share' must be at most 1"),
        ("a -> b (soft, required)", "contradict"),
        ("a -> b (soft, soft)", "given twice"),
        ("a -> b (soft=1)", "takes no value"),
        ("a -> b (timeout)", "needs a value"),
        ("a -> b (optional)", "unknown edge option 'optional'; options are"),
    ],
)
def test_malformed_edge_names_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(EdgeSyntaxError) as info:
        parse_edge(text)
    assert words in str(info.value)


def test_parse_edges_reports_every_bad_item_at_its_index() -> None:
    edge = EdgeSpec(source="x", target="y")
    assert parse_edges(["a -> b", edge, {"from": "b", "to": "c"}])[1:] == [edge, EdgeSpec(source="b", target="c")]
    with pytest.raises(ScenarioError) as info:
        parse_edges(["a -> b", "a b", {"from": "a"}])
    assert [(p.path, p.message) for p in info.value.problems] == [
        ("topology.edges[1]", "an edge needs an arrow: 'source -> target', got 'a b'"),
        ("topology.edges[2]", "missing required key 'to'"),
    ]


# --------------------------------------------------------------------------- sources


def test_missing_file() -> None:
    for source in (BAD / "nope.yaml", str(BAD / "nope.yaml"), "nope.yml"):
        with pytest.raises(ScenarioError) as info:
            load_scenario(source)
        (problem,) = info.value.problems
        assert problem.message == "file not found"
        assert problem.line is None


def test_directory_given() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(BAD)
    assert "is a directory" in str(info.value)
    with pytest.raises(ScenarioError, match="is a directory"):
        load_actions(GOOD)


@pytest.fixture
def builtins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary built-in scenario directory with two scenarios."""
    (tmp_path / "failover.yaml").write_text((GOOD / "minimal.yaml").read_text())
    (tmp_path / "chaos-monkey.yaml").write_text((GOOD / "minimal.yaml").read_text())
    (tmp_path / "notes.txt").write_text("not a scenario")
    monkeypatch.setattr(library, "builtin_dir", lambda: tmp_path)
    return tmp_path


def test_builtin_scenarios_by_name(builtins: Path) -> None:
    assert builtin_scenarios() == ["chaos-monkey", "failover"]
    assert builtin_path("failover") == builtins / "failover.yaml"
    scenario = load_scenario("failover")
    assert scenario.id == "failover"
    assert load_scenario("chaos-monkey.yaml").id == "chaos-monkey"


def test_unknown_builtin_name_suggests_one(builtins: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("failovr")
    assert str(info.value) == "failovr: unknown scenario 'failovr'; did you mean 'failover'?"
    with pytest.raises(ScenarioError, match="built-in scenarios: chaos-monkey, failover"):
        load_scenario("zzz")
    with pytest.raises(ScenarioError, match="did you mean 'failover'"):
        builtin_path("failovr")


def test_unknown_name_without_builtins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library, "builtin_dir", lambda: tmp_path / "missing")
    assert builtin_scenarios() == []
    with pytest.raises(ScenarioError, match="unknown scenario 'anything'"):
        load_scenario("anything")


def test_real_builtin_directory_is_the_scenarios_package() -> None:
    assert (loader.builtin_dir() / "__init__.py").is_file()


# --------------------------------------------------------------------------- validate_file


@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.name)
def test_validate_file_reports_bad_files_without_raising(path: Path) -> None:
    problems = validate_file(path)
    assert problems
    assert all(isinstance(p, Problem) for p in problems)
    assert not any("internal error" in p.message for p in problems)


@pytest.mark.parametrize("path", sorted(GOOD.glob("*.yaml")), ids=lambda p: p.name)
def test_validate_file_passes_good_files(path: Path) -> None:
    assert validate_file(path) == []


def test_validate_file_tells_scenarios_from_action_scripts() -> None:
    scenario_problems_ = validate_file(BAD / "many_problems.yaml")
    assert scenario_problems_ == problems_of("many_problems.yaml")
    action_problems = validate_file(BAD / "actions_bad.yaml")
    assert [p.path for p in action_problems] == ["steps[1].command", "steps[2]"]


def test_validate_file_on_missing_path_and_directory(tmp_path: Path) -> None:
    assert [p.message for p in validate_file(tmp_path / "gone.yaml")] == ["file not found"]
    assert [p.message for p in validate_file(tmp_path)] == ["is a directory, not a file"]


# --------------------------------------------------------------------------- problems


def test_problem_str_omits_unknown_parts() -> None:
    assert str(Problem("f.yaml", 3, 5, "method[2].target", "unknown node 'x'")) == "f.yaml:3:5: method[2].target: unknown node 'x'"
    assert str(Problem("f.yaml", 3, None, "", "the file is not UTF-8 text")) == "f.yaml:3: the file is not UTF-8 text"
    assert str(Problem("f.yaml", None, None, "", "file not found")) == "f.yaml: file not found"


def test_scenario_error_lists_every_problem() -> None:
    error = ScenarioError([Problem("a", 1, 1, "x", "one"), Problem("a", 2, 1, "y", "two")])
    assert str(error) == "a:1:1: x: one\na:2:1: y: two"
    assert len(error.problems) == 2


YAMLISH = st.lists(
    st.sampled_from(["a", "b", ":", " ", "-", "[", "]", "{", "}", ",", "&x", "*x", "!", "'", '"', "#", "\n", "\t", "0.5", "->",
                     "title", "topology", "nodes", "kind", "steps", "command", "<<"]),
    max_size=40,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(YAMLISH)
def test_any_text_loads_or_raises_scenario_error(text: str) -> None:
    for load in (load_scenario_text, load_actions_text):
        try:
            load(text)
        except ScenarioError as error:
            assert error.problems
