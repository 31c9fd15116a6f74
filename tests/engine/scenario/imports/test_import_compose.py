"""``spofdrill import`` of a Docker Compose file: kinds, replicas, calls from env URLs, health checks, notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.scenario.imports import import_architecture
from engine.scenario.loader import load_scenario_text
from engine.scenario.schema import HealthCheck

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "imports" / "compose-webapp" / "docker-compose.yml"
TEXT = FIXTURE.read_text()


def _line(needle: str, after: str | None = None) -> int:
    """The 1-based line of the fixture where ``needle`` first appears (after ``after``)."""
    lines = TEXT.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


@pytest.fixture(scope="module")
def imported():
    return import_architecture([str(FIXTURE)])


def test_the_yaml_loads_with_the_real_loader_and_names_the_project(imported):
    scenario = load_scenario_text(imported.yaml_text, "imported.yaml")
    assert scenario.architecture == "webapp"  # the project 'name:'
    assert scenario.title == "webapp (imported)"
    assert scenario.method == [] and scenario.reference_solution.steps == []


def test_kinds_come_from_images_labels_and_the_call_graph(imported):
    kinds = {name: spec.kind for name, spec in imported.scenario.topology.nodes.items()}
    assert kinds == {
        "users": "client", "proxy": "load_balancer", "web-1": "app_server", "web-2": "app_server", "web-3": "app_server",
        "worker": "app_server", "search": "service", "opensearch": "service", "db": "database", "cache": "cache",
    }
    label = next(n for n in imported.notes if n.message.startswith("search: service"))
    assert f"label spofdrill.kind at {FIXTURE}:{_line('spofdrill.kind')}" in label.message
    opensearch = next(n for n in imported.notes if n.message.startswith("opensearch: service"))
    assert "only other workloads call it" in opensearch.message


def test_replicas_make_a_group_and_the_users_enter_through_the_published_proxy(imported):
    nodes = imported.scenario.topology.nodes
    assert [nodes[f"web-{i}"].group for i in (1, 2, 3)] == ["web"] * 3
    edges = {(e.source, e.target) for e in imported.scenario.topology.edges}
    assert ("users", "proxy") in edges
    assert {("proxy", f"web-{i}") for i in (1, 2, 3)} <= edges
    assert not any(source == "users" and target != "proxy" for source, target in edges)


def test_env_urls_and_depends_on_become_edges(imported):
    edges = {(e.source, e.target) for e in imported.scenario.topology.edges}
    # DATABASE_URL, REDIS_URL, SEARCH_HOST (mapping form) and the worker's list form
    assert {("web-1", "db"), ("web-1", "cache"), ("web-1", "search"), ("worker", "db"), ("worker", "cache")} <= edges
    assert ("search", "opensearch") in edges  # INDEX_URL: http://opensearch:9200
    skipped = [n for n in imported.notes if n.kind == "skipped"]
    assert [(n.line, "o1.ingest.sentry.io" in n.message) for n in skipped] == [(_line("SENTRY_DSN"), True)]


def test_the_health_check_is_the_backends_own(imported):
    check = imported.scenario.automation.health_check
    # web: curl http://... every 10s, timeout 3s, retries 5; Docker has no rise (healthy after one pass)
    assert (check.type, check.interval, check.timeout, check.fall, check.rise) == ("http", 10.0, 3.0, 5, 1)
    note = next(n for n in imported.notes if n.message.startswith("automation.health_check"))
    assert note.line == _line("healthcheck:", after="  web:")


def test_every_default_is_named_with_its_file_and_line(imported):
    defaults = {n.message.split(":")[0]: n for n in imported.notes if n.kind == "default" and "the model's defaults" in n.message}
    assert defaults["web"].line == _line("  web:")
    assert "capacity 500 req/s" in defaults["web"].message and "workers 64" in defaults["web"].message
    assert "hit_ratio 0.9" in defaults["cache"].message
    assert "read 100, write 10, static 50" in defaults["users"].message
    replicas = [n.message.split(":")[0] for n in imported.notes if n.message.endswith("1 replica, the default (none declared)")]
    assert replicas == ["proxy", "worker", "search", "opensearch", "db", "cache"]
    header = imported.yaml_text.split("\ntitle:")[0]
    for note in imported.notes:  # each note is also a comment of the written scenario, with its place
        assert note.file == str(FIXTURE)
        where = f"{note.file}:{note.line}" if note.line else note.file
        assert f"#   {where}: {note.message}" in header


def test_a_published_database_port_is_not_an_entry_point(imported):
    note = next(n for n in imported.notes if n.message.startswith("db publishes"))
    assert note.line == _line("ports:", after="  db:")
    assert ("users", "db") not in {(e.source, e.target) for e in imported.scenario.topology.edges}


def test_no_number_is_written_that_the_input_does_not_give(imported):
    for name, spec in imported.scenario.topology.nodes.items():
        written = spec.model_dump(exclude_unset=True)
        assert set(written) <= {"kind", "group", "cluster", "role", "vip"}, name
    assert imported.scenario.automation.health_check != HealthCheck()


@pytest.mark.parametrize(("text", "seconds"), [("10s", 10), ("1m30s", 90), ("500ms", 0.5), ("1h2m", 3720), ("2.5s", 2.5),
                                               ("15", 15), ("10 s", None), ("s", None), ("1x", None), ("", None), (True, None)])
def test_compose_durations(text, seconds):
    from engine.scenario.imports.compose import parse_duration

    assert parse_duration(text) == seconds


def test_a_huge_replica_count_is_capped_with_a_note_and_a_fraction_is_a_problem(tmp_path):
    from engine.scenario.problems import ScenarioError

    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  lb: {image: nginx, ports: ['80:80'], depends_on: [web]}\n"
                       "  web:\n    image: example/web\n    deploy: {replicas: 1000000000}\n")
    imported = import_architecture([str(compose)])
    from engine.scenario.imports.model import MAX_REPLICAS

    web = sorted(n for n in imported.scenario.topology.nodes if n.startswith("web-"))
    assert web == sorted(f"web-{i}" for i in range(1, MAX_REPLICAS + 1))
    cap = next(n for n in imported.notes if "1,000,000,000" in n.message)
    assert (cap.line, cap.kind) == (5, "assumption") and f"modelled as {MAX_REPLICAS} instances" in cap.message
    compose.write_text(compose.read_text().replace("1000000000", "2.5"))
    with pytest.raises(ScenarioError) as caught:
        import_architecture([str(compose)])
    assert [str(p) for p in caught.value.problems] == [f"{compose}:5: web: 'replicas' must be a whole number, got 2.5"]


def test_the_analysis_finds_the_proxy_and_the_database_but_not_a_web_replica(imported):
    from engine.analysis.structure import analyze

    status = {c.name: c.status for c in analyze(imported.scenario).classification}
    assert (status["proxy"], status["db"], status["search"]) == ("spof", "spof", "spof")
    assert [status[f"web-{i}"] for i in (1, 2, 3)] == ["harmless"] * 3
    assert (status["worker"], status["cache"]) == ("harmless", "degrading")


def test_a_published_load_balancer_with_no_visible_backend_is_said(tmp_path):
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  proxy:\n    image: caddy:2\n    ports: ['443:443']\n  app: {image: example/app}\n")
    imported = import_architecture([str(compose)])
    note = next(n for n in imported.notes if "routes to nothing the import can see" in n.message)
    assert (note.line, note.kind) == (4, "assumption") and "'proxy -> APP'" in note.message
