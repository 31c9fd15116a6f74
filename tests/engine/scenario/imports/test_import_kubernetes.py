"""``spofdrill import`` of a folder of Kubernetes manifests, checked with the SPOF analysis."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.analysis.structure import analyze
from engine.scenario.imports import import_architecture
from engine.scenario.loader import load_scenario_text

FOLDER = Path(__file__).resolve().parents[3] / "fixtures" / "imports" / "k8s-shop"


def _line(file: str, needle: str, after: str | None = None) -> int:
    lines = (FOLDER / file).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


@pytest.fixture(scope="module")
def imported():
    return import_architecture([str(FOLDER)])


@pytest.fixture(scope="module")
def status(imported):
    return {c.name: c.status for c in analyze(imported.scenario).classification}


def test_the_folder_loads_as_a_scenario_named_after_it(imported):
    scenario = load_scenario_text(imported.yaml_text, "shop.yaml")
    assert scenario.architecture == "k8s-shop"
    assert imported.files == tuple(str(p) for p in sorted(FOLDER.glob("*.yaml")))


def test_the_single_replica_database_and_ingress_controller_are_spofs_the_web_pods_are_not(status):
    assert status["postgres-0"] == "spof"  # a StatefulSet of 1: its pod is numbered from 0
    assert status["ingress-nginx-controller"] == "spof"  # the controller runs 1 replica
    assert [status[f"web-{i}"] for i in (1, 2, 3)] == ["harmless"] * 3
    assert status["redis"] == "degrading"


def test_the_ingress_routes_through_the_controller_to_the_service_s_pods(imported):
    edges = {(e.source, e.target) for e in imported.scenario.topology.edges}
    assert ("users", "ingress-nginx-controller") in edges
    assert {("ingress-nginx-controller", f"web-{i}") for i in (1, 2, 3)} <= edges
    assert "ingress" not in imported.scenario.topology.nodes  # the controller is in the manifests: none added


def test_env_names_services_by_short_and_cluster_dns_names(imported):
    edges = {(e.source, e.target) for e in imported.scenario.topology.edges}
    assert ("web-1", "postgres-0") in edges  # postgres.shop.svc.cluster.local in DATABASE_URL
    assert ("web-3", "redis") in edges  # REDIS_HOST: redis


def test_readiness_probe_becomes_the_health_check_with_kubernetes_defaults_named(imported):
    check = imported.scenario.automation.health_check
    assert (check.type, check.interval, check.fall, check.timeout, check.rise) == ("http", 5.0, 2, 1.0, 1)
    note = next(n for n in imported.notes if n.message.startswith("automation.health_check"))
    assert (note.file, note.line) == (str(FOLDER / "20-web.yaml"), _line("20-web.yaml", "readinessProbe"))
    assert note.message.endswith("timeout, rise left out: the Kubernetes defaults")


def test_configmap_and_secret_are_skipped_with_file_and_line(imported):
    skipped = [(Path(n.file).name, n.line, n.message.split(":")[0]) for n in imported.notes if n.kind == "skipped"]
    assert skipped == [("50-config.yaml", 1, "ConfigMap shop-config"),
                       ("50-config.yaml", _line("50-config.yaml", "apiVersion", after="---"), "Secret shop-secrets")]


def test_hpa_pdb_and_zone_spread_are_reported(imported):
    by_start = {n.message.split(" ")[0]: n for n in imported.notes}
    hpa = by_start["HorizontalPodAutoscaler"]
    assert hpa.kind == "assumption" and "modelled at its minimum, 3" in hpa.message
    pdb = by_start["PodDisruptionBudget"]
    assert pdb.kind == "note" and "at most 1 of its 3 pods may be down voluntarily" in pdb.message
    spread = by_start["Deployment"]
    assert spread.line == _line("20-web.yaml", "- maxSkew")
    assert "topology.kubernetes.io/zone" in spread.message and "one region" in spread.message
    assert imported.scenario.topology.regions == ["main"]


def test_a_replicated_database_is_a_primary_with_async_replicas(tmp_path):
    text = (FOLDER / "30-postgres.yaml").read_text().replace("replicas: 1", "replicas: 3")
    (tmp_path / "pg.yaml").write_text(text)
    imported = import_architecture([str(tmp_path / "pg.yaml")])
    nodes = imported.scenario.topology.nodes
    assert [(n, nodes[n].role, nodes[n].cluster) for n in ("postgres-0", "postgres-1", "postgres-2")] == [
        ("postgres-0", "primary", "postgres"), ("postgres-1", "replica", "postgres"), ("postgres-2", "replica", "postgres")]
    assert {nodes[n].replication for n in ("postgres-1", "postgres-2")} == {"async"}
    assert any("check your replication" in n.message for n in imported.notes)


def test_without_a_controller_one_ingress_load_balancer_is_assumed(tmp_path):
    for name in ("10-ingress.yaml", "20-web.yaml"):
        (tmp_path / name).write_text((FOLDER / name).read_text())
    imported = import_architecture([str(tmp_path)])
    assert imported.scenario.topology.nodes["ingress"].kind == "load_balancer"
    edges = {(e.source, e.target) for e in imported.scenario.topology.edges}
    assert ("users", "ingress") in edges and ("ingress", "web-2") in edges
    note = next(n for n in imported.notes if "no Ingress controller" in n.message)
    assert (Path(note.file).name, note.line, note.kind) == ("10-ingress.yaml", 1, "assumption")


LIST = """{"apiVersion": "v1", "kind": "List", "items": [
 {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
  "spec": {"template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image": "fluent/fluent-bit"}]}}}},
 {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api.v2", "namespace": "prod"},
  "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "api"}},
   "spec": {"containers": [{"name": "a", "image": "example/api", "env": [{"name": "DB_HOST", "value": "db-0.db.prod"}]}]}}}},
 {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "prod"},
  "spec": {"type": "LoadBalancer", "selector": {"app": "api"}}},
 {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "prod", "labels": {"spofdrill.kind": "database"}},
  "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "a", "image": "example/store"}]}}}},
 {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "prod"}, "spec": {"clusterIP": "None", "selector": {"app": "db"}}}
]}
"""


def test_a_json_list_with_a_loadbalancer_service_a_daemonset_and_pod_dns(tmp_path):
    (tmp_path / "cluster.json").write_text(LIST)
    imported = import_architecture([str(tmp_path / "cluster.json")])
    nodes = imported.scenario.topology.nodes
    assert {n: s.kind for n, s in nodes.items()} == {
        "users": "client", "agent": "app_server", "api-v2-1": "app_server", "api-v2-2": "app_server",
        "db-0": "database", "db-1": "database", "api-v2-lb": "load_balancer"}
    edges = {(e.source, e.target) for e in imported.scenario.topology.edges}
    assert {("users", "api-v2-lb"), ("api-v2-lb", "api-v2-1"), ("api-v2-2", "db-0")} <= edges
    words = [(n.line, n.message.split(":")[0]) for n in imported.notes if n.kind == "assumption"]
    assert (2, "DaemonSet agent runs one pod per cluster node, and the manifests do not say how many nodes") in words
    assert (4, "'api.v2' is not a valid node name here") in words
    assert imported.scenario.automation.vrrp.enabled is False
