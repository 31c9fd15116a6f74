"""A Docker Compose file read as an :class:`~engine.scenario.imports.model.Architecture`.

What is read, per service (the Compose specification's names):

- ``image`` (or, when it is built, the service name) for the kind;
- ``deploy.replicas``, else the legacy ``scale``, else one instance (a default, noted);
- ``depends_on`` (list or mapping), ``links`` and every ``environment`` value (list or mapping) that
  names another service: a URL (``postgres://user:pw@db:5432/x``, ``http://api:8080``) or a
  ``*_HOST``/``*_ADDR``/``*_SERVER`` variable; the host may be the service name, its
  ``container_name``, ``hostname`` or a network alias;
- ``ports``: a service that publishes a port is an entry point for users;
- ``healthcheck``: ``curl``/``wget`` of an http URL is an http check, anything else tcp;
  ``interval`` and ``timeout`` (Compose durations such as ``10s``, ``1m30s``), ``retries`` is
  the fall count; Docker's defaults (30 s, 30 s, 3) fill what is left out;
- ``labels``: ``spofdrill.kind`` sets the kind.

``${VAR:-default}`` is read as its default; the environment is never read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.scenario.imports.model import Architecture, Call, Check, Where, Workload, hosts_in, interpolate, replica_count
from engine.scenario.imports.source import Document, Notes, value_at
from engine.util.limits import MAX_NODES

DOCKER_CHECK = {"interval": 30.0, "timeout": 30.0, "retries": 3}
"""Docker's health-check defaults (``docker run --health-*``: 30 s interval, 30 s timeout, 3 retries)."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def parse_duration(value: object) -> float | None:
    """Seconds of a Compose duration (``10s``, ``1m30s``, ``500ms``; a bare number is seconds), or ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


def is_compose(document: Document) -> bool:
    """A document that looks like a Compose file: a mapping with ``services`` and no Kubernetes ``kind``."""
    data = document.data
    return isinstance(data, Mapping) and "services" in data and "kind" not in data


def read_compose(document: Document, notes: Notes) -> Architecture:
    """The services of one Compose file."""
    services = document.get(("services",), Mapping, notes, "'services'", {})
    name = document.get(("name",), str, notes, "the project 'name'")
    for key in document.data:
        if key not in ("services", "name", "version", "networks", "volumes", "secrets", "configs", "include") \
                and not str(key).startswith("x-"):
            notes.add("skipped", document.file, document.line((key,)), f"top-level '{key}' is not read by the import")
    if len(services) >= MAX_NODES:  # with the users: refused before reading each service
        notes.problem(document.file, document.line(("services",)), f"the import makes {len(services) + 1:,} components "
                      f"(with users), over the limit of {MAX_NODES:,} for a topology: import part of the system")
        return Architecture(name, [], [document.file])
    workloads: list[Workload] = []
    hosts: dict[str, str] = {}
    raw: list[tuple[Workload, Mapping[str, Any]]] = []
    for service, spec in services.items():
        path = ("services", service)
        where = Where.of(document, path)
        if not isinstance(spec, Mapping):
            notes.problem(where.file, where.line, f"service '{service}' must be a mapping, got {type(spec).__name__ if spec is not None else 'nothing'}")
            continue
        workload = _service(document, service, notes)
        workloads.append(workload)
        raw.append((workload, spec))
        hosts[service.lower()] = service
        for key in ("container_name", "hostname"):
            value = spec.get(key)
            if isinstance(value, str):
                hosts.setdefault(value.lower(), service)
        networks = spec.get("networks")
        if isinstance(networks, Mapping):
            for network in networks.values():
                aliases = network.get("aliases") if isinstance(network, Mapping) else None
                for alias in aliases if isinstance(aliases, list) else []:
                    if isinstance(alias, str):
                        hosts.setdefault(alias.lower(), service)
    for workload, spec in raw:
        _calls(document, workload, spec, hosts, notes)
    return Architecture(name, workloads, [document.file])


def _service(document: Document, service: str, notes: Notes) -> Workload:
    path = ("services", service)
    get = document.get
    workload = Workload(service, service, Where.of(document, path))
    image = get(path + ("image",), str, notes, f"{service}: 'image'", "")
    workload.image = interpolate(image, Where.of(document, path + ("image",)), notes)
    replicas_path = path + ("deploy", "replicas")
    value = value_at(document.data, replicas_path)
    if value is None:
        replicas_path = path + ("scale",)
        value = value_at(document.data, replicas_path)
    where = Where.of(document, replicas_path)
    if value is None:
        workload.replicas_declared = False
    else:
        if isinstance(value, str):
            value = interpolate(value, where, notes)
        count = replica_count(value, where, notes, f"{service}: '{replicas_path[-1]}'")
        workload.replicas = count if count is not None else 1
    labels = _pairs(document, path + ("labels",), notes, f"{service}: 'labels'")
    if "spofdrill.kind" in labels:
        workload.label_kind, workload.label_where = str(labels["spofdrill.kind"][0]), labels["spofdrill.kind"][1]
    ports = get(path + ("ports",), list, notes, f"{service}: 'ports'", [])
    if ports:
        shown = ", ".join(str(p.get("published", p.get("target")) if isinstance(p, Mapping) else p) for p in ports[:3])
        workload.published.append((Where.of(document, path + ("ports",)), f"publishes port {shown}"))
    workload.check = _healthcheck(document, path + ("healthcheck",), service, notes)
    return workload


def _pairs(document: Document, path: tuple, notes: Notes, what: str) -> dict[str, tuple[Any, Where]]:
    """A Compose ``KEY=value`` list or a mapping, as {key: (value, where)}."""
    value = document.get(path, (Mapping, list), notes, what, {})
    out: dict[str, tuple[Any, Where]] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            out[str(key)] = ("" if item is None else item, Where.of(document, path + (key,)))
    else:
        for index, item in enumerate(value):
            if isinstance(item, str):
                key, _, text = item.partition("=")
                out[key.strip()] = (text, Where.of(document, path + (index,)))
            else:
                where = Where.of(document, path + (index,))
                notes.problem(where.file, where.line, f"{what}: each item must be KEY=value text, got {type(item).__name__}")
    return out


def _calls(document: Document, workload: Workload, spec: Mapping[str, Any], hosts: dict[str, str], notes: Notes) -> None:
    """What a service needs: ``depends_on``, ``links`` and the hosts its environment names."""
    service = workload.key
    path = ("services", service)
    depends = document.get(path + ("depends_on",), (list, Mapping), notes, f"{service}: 'depends_on'", [])
    for index, target in enumerate(depends):
        where = Where.of(document, path + ("depends_on", target if isinstance(depends, Mapping) else index))
        if not isinstance(target, str):
            notes.problem(where.file, where.line, f"{service}: 'depends_on' items must be service names")
        elif target not in hosts.values():
            notes.add("skipped", where.file, where.line, f"{service}: depends_on '{target}', which is not a service of this file")
        else:
            workload.calls.append(Call(target, where, "depends_on"))
    links = document.get(path + ("links",), list, notes, f"{service}: 'links'", [])
    for index, link in enumerate(links):
        target = link.split(":", 1)[0] if isinstance(link, str) else None
        if target in hosts.values():
            workload.calls.append(Call(target, Where.of(document, path + ("links", index)), "links"))
    env = _pairs(document, path + ("environment",), notes, f"{service}: 'environment'")
    for key, (value, where) in env.items():
        if not isinstance(value, str):
            continue
        for host in hosts_in(key, interpolate(value, where, notes)):
            target = hosts.get(host) or hosts.get(host.split(".", 1)[0])
            if target is None:
                notes.add("skipped", where.file, where.line,
                          f"{service}: env {key} names host '{host}', which is not a service of this file (an external dependency?)")
            elif target != service:
                workload.calls.append(Call(target, where, f"env {key}"))


def _healthcheck(document: Document, path: tuple, service: str, notes: Notes) -> Check | None:
    spec = document.get(path, Mapping, notes, f"{service}: 'healthcheck'")
    if not spec or spec.get("disable") is True:
        return None
    test = spec.get("test")
    words = " ".join(str(part) for part in test) if isinstance(test, list) else str(test or "")
    if words.strip().upper().startswith("NONE"):
        return None
    kind = "http" if re.search(r"\b(curl|wget)\b", words) and "http" in words else "tcp"
    values: dict[str, float] = {}
    defaulted: list[str] = []
    for field in ("interval", "timeout"):
        raw = spec.get(field)
        if raw is None:
            values[field] = DOCKER_CHECK[field]
            defaulted.append(field)
            continue
        seconds = parse_duration(raw)
        if seconds is None:
            where = Where.of(document, path + (field,))
            notes.problem(where.file, where.line, f"{service}: healthcheck '{field}' must be a duration like 10s or 1m30s, got {raw!r}")
            seconds = DOCKER_CHECK[field]
        values[field] = seconds
    retries = spec.get("retries")
    if retries is None:
        defaulted.append("retries")
        retries = DOCKER_CHECK["retries"]
    elif isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
        where = Where.of(document, path + ("retries",))
        notes.problem(where.file, where.line, f"{service}: healthcheck 'retries' must be a whole number at least 1, got {retries!r}")
        retries = DOCKER_CHECK["retries"]
    return Check(kind, values["interval"], values["timeout"], int(retries), 1, Where.of(document, path),
                 tuple(defaulted) + ("rise",), "Docker")
