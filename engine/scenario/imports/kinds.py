"""Which kind of component a container image is, and which kinds may call which: the import's tables, declared once.

A workload's kind is decided in this order (the first that answers wins):

1. the mapping file's ``nodes.<name>.kind``, then its ``kinds`` patterns (the person
   importing decides, and can correct a label they cannot change);
2. the label ``spofdrill.kind`` (Compose ``labels``, Kubernetes ``metadata.labels`` or
   the pod template's labels);
3. the image, by :data:`IMAGE_KINDS` (a workload built from source is looked up by its name);
4. its place in the call graph (:func:`position_kind`): an entry point or a load
   balancer's backend is an ``app_server``; a workload only other workloads call is a
   ``service``; one nothing calls is an ``app_server`` that serves no user request (a
   background worker).
"""

from __future__ import annotations

import fnmatch

IMAGE_KINDS: dict[str, tuple[str, ...]] = {
    "database": (
        "postgres", "postgresql", "postgis", "timescaledb", "mysql", "mariadb", "percona", "percona-server",
        "mongo", "mongodb", "cockroach", "cockroachdb", "cassandra", "scylla", "couchdb", "clickhouse-server",
        "neo4j", "mssql/server", "yugabyte", "tidb",
    ),
    "cache": ("redis", "redis-stack", "memcached", "valkey", "keydb", "dragonfly"),
    "load_balancer": (
        "nginx", "nginx-unprivileged", "openresty", "haproxy", "envoy", "traefik", "caddy", "ingress-nginx/controller",
        "nginx-ingress-controller", "haproxy-ingress", "contour", "kong",
    ),
}
"""Image names by kind: an image matches when its repository (registry and tag left out) is the name, ends
with ``/name``, or its last part starts with ``name-`` (``bitnami/postgresql``, ``nginxinc/nginx-unprivileged``),
unless the last part is a helper (:data:`HELPERS`: ``postgres-exporter`` is no database)."""

HELPERS = ("exporter", "operator", "commander", "admin", "ui", "backup", "migrate", "migrations")
"""Words that make an image a helper of the thing it is named after, not the thing."""

INGRESS_CONTROLLERS = ("ingress-nginx", "nginx-ingress", "traefik", "haproxy-ingress", "contour", "envoy")
"""Images (any part of the repository) of workloads that serve Kubernetes Ingresses."""

KINDS = ("load_balancer", "app_server", "cache", "database", "service")
"""The kinds an imported workload can be (clients, DNS and CDNs are not workloads)."""

CALLS: dict[str, tuple[str, ...]] = {
    "client": ("load_balancer",),
    "load_balancer": ("app_server",),
    "app_server": ("cache", "database", "service"),
    "service": ("service", "cache", "database"),
    "cache": (),
    "database": (),
}
"""Which kinds the model lets each kind call (``docs/scenarios.md`` 2.3, ``engine/sim/plan.py``): users reach a
load balancer, a load balancer spreads over app servers, app servers and services call caches, databases and
services. A dependency outside this table is left out of the topology, with a note."""


def repository(image: str) -> str:
    """``bitnami/postgresql`` for ``docker.io/bitnami/postgresql:16@sha256:…``: lower case, no registry, tag or digest."""
    name = image.strip().lower().split("@", 1)[0]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    last = parts[-1].split(":", 1)[0]
    return "/".join(parts[:-1] + [last])


def image_kind(image: str) -> str | None:
    """The kind :data:`IMAGE_KINDS` gives an image (or a workload name), or ``None``."""
    repo = repository(image)
    last = repo.rsplit("/", 1)[-1]
    if any(word in last.replace("_", "-").split("-") for word in HELPERS):
        return None
    for kind, names in IMAGE_KINDS.items():
        for name in names:
            if repo == name or repo.endswith("/" + name) or ("/" not in name and last.startswith(name + "-")):
                return kind
    return None


def is_ingress_controller(image: str) -> bool:
    """An image of an Ingress controller (:data:`INGRESS_CONTROLLERS`)."""
    repo = repository(image)
    return any(name in repo for name in INGRESS_CONTROLLERS)


def pattern_kind(patterns: dict[str, str], *words: str) -> tuple[str, str] | None:
    """The first ``(pattern, kind)`` of a mapping file's ``kinds`` whose glob matches one of ``words``."""
    for pattern, kind in patterns.items():
        if any(word and fnmatch.fnmatchcase(word.lower(), pattern.lower()) for word in words):
            return pattern, kind
    return None


def position_kind(entry: bool, called_by_lb: bool, called: bool) -> tuple[str, str]:
    """The kind of a workload no table names, from its place in the call graph, and why."""
    if entry or called_by_lb:
        return "app_server", "it serves user requests" + (" (an entry point)" if entry else " behind a load balancer")
    if called:
        return "service", "only other workloads call it"
    return "app_server", "nothing calls it and it publishes no port: a background worker that serves no user request"
