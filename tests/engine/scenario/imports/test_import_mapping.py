"""The mapping file of ``spofdrill import --mapping``: kind overrides and node settings, checked with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.scenario.imports import import_architecture
from engine.scenario.problems import ScenarioError

COMPOSE = Path(__file__).resolve().parents[3] / "fixtures" / "imports" / "compose-webapp" / "docker-compose.yml"


def test_patterns_nodes_and_users_override_the_defaults(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "kinds:\n"
        "  'opensearchproject/*': database\n"
        "nodes:\n"
        "  web: {capacity: 800, workers: 128}\n"
        "  search: {kind: service, replicas: 2, latency: 0.05}\n"
        "users: {rates: {read: 400, write: 40}}\n"
    )
    imported = import_architecture([str(COMPOSE)], mapping=str(mapping), name="Shop")
    nodes = imported.scenario.topology.nodes
    assert nodes["opensearch"].kind == "database"
    assert (nodes["web-2"].capacity, nodes["web-2"].workers) == (800, 128)
    assert [nodes[f"search-{i}"].latency for i in (1, 2)] == [0.05, 0.05]
    assert (nodes["users"].rates.read, nodes["users"].rates.write, nodes["users"].rates.static) == (400, 40, 0)
    assert imported.scenario.architecture == "Shop"
    web = next(n for n in imported.notes if n.message.startswith("web:") and "the model's defaults" in n.message)
    assert "capacity" not in web.message and "service_time 0.02 s" in web.message
    assert not any(n.message.startswith("users:") and n.kind == "default" for n in imported.notes)
    assert any(f"mapping file pattern 'opensearchproject/*' ({mapping}:2)" in n.message for n in imported.notes)
    # a service of 2 instances is called with half the calls on each
    shares = {(e.source, e.target): e.share for e in imported.scenario.topology.edges if e.target.startswith("search-")}
    assert shares[("web-1", "search-1")] == shares[("web-1", "search-2")] == 0.5


def test_every_mapping_problem_is_reported_at_once_with_its_line(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "kinds: {'x*': queue}\n"
        "nodes:\n"
        "  web: {capcity: 800}\n"
        "  db: {kind: database, role: replica}\n"
        "colours: red\n"
    )
    with pytest.raises(ScenarioError) as caught:
        import_architecture([str(COMPOSE)], mapping=str(mapping))
    lines = sorted((p.line, p.message) for p in caught.value.problems)
    assert [line for line, _ in lines] == [1, 3, 4, 5]
    words = " | ".join(message for _, message in lines)
    assert "'queue'" in words and "role" in words and "colours" in words


def test_an_unknown_workload_in_the_mapping_is_a_problem_with_a_suggestion(tmp_path):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("nodes:\n  wbe: {capacity: 10}\n")
    with pytest.raises(ScenarioError) as caught:
        import_architecture([str(COMPOSE)], mapping=str(mapping))
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (str(mapping), 2)
    assert "did you mean 'web'?" in problem.message


def test_a_label_sets_the_kind_and_a_bad_label_is_a_problem(tmp_path):
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  lb: {image: nginx, ports: ['80:80'], depends_on: [api]}\n"
                       "  api: {image: example/api}\n"
                       "  store:\n    image: example/store\n    labels: {spofdrill.kind: databse}\n")
    with pytest.raises(ScenarioError) as caught:
        import_architecture([str(compose)])
    [problem] = caught.value.problems
    assert problem.line == 6 and "did you mean 'database'?" in problem.message
    compose.write_text(compose.read_text().replace("databse", "database") + "    environment: [X=1]\n")
    imported = import_architecture([str(compose)])
    assert imported.scenario.topology.nodes["store"].kind == "database"
    assert imported.scenario.architecture == tmp_path.name  # Compose's default project name: the folder


def test_the_guide_s_mapping_example_is_valid_and_its_sample_output_is_what_the_command_prints(tmp_path, capsys):
    from engine.cli.main import main
    from engine.scenario.imports.mapping import read_mapping

    guide = (Path(__file__).resolve().parents[4] / "docs" / "importing.md").read_text()
    example = guide.split("## The mapping file")[1].split("```yaml\n")[1].split("```")[0]
    (tmp_path / "mapping.yaml").write_text(example)
    mapping = read_mapping(str(tmp_path / "mapping.yaml"))
    assert mapping.kinds == {"myorg/search*": "service", "*-gateway": "load_balancer"}
    assert mapping.nodes["log-agent"] == {"replicas": 3}
    sample = guide.split("```text\n")[1].split("```")[0].strip().splitlines()
    (tmp_path / "docker-compose.yml").write_text(COMPOSE.read_text())
    assert main(["import", str(tmp_path / "docker-compose.yml")]) == 0
    printed = capsys.readouterr().err.replace(f"{tmp_path}/", "").splitlines()
    assert all(line in printed for line in sample), [line for line in sample if line not in printed]
