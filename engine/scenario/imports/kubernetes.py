"""Kubernetes manifests read as an :class:`~engine.scenario.imports.model.Architecture`.

Objects read (any ``apiVersion``; a ``kind: List`` is read item by item):

- **Deployment, StatefulSet, ReplicaSet, DaemonSet, Pod**: workloads. ``spec.replicas``
  (default 1, noted); a StatefulSet's instances are numbered from 0; a DaemonSet runs one pod
  per cluster node, which the manifests do not count: one instance, noted. The first container's
  image gives the kind; every container's ``env`` values name what it calls; the first
  ``readinessProbe`` is its health check (``httpGet`` is http, ``tcpSocket``, ``exec`` and
  ``grpc`` are tcp; ``periodSeconds``, ``timeoutSeconds``, ``failureThreshold`` as fall,
  ``successThreshold`` as rise; Kubernetes' defaults 10, 1, 3, 1 fill what is left out).
  ``topologySpreadConstraints`` and ``podAntiAffinity`` on a zone or host key are noted.
- **Service**: its ``selector`` says which workloads answer to its DNS names (``svc``,
  ``svc.ns``, ``svc.ns.svc``, ``svc.ns.svc.cluster.local``); ``type: LoadBalancer`` or
  ``NodePort`` makes them an entry point for users.
- **Ingress**: its backends' Services are reached through the Ingress controller: a workload in the
  manifests whose image is a controller (ingress-nginx, traefik, haproxy-ingress, contour,
  envoy; matched to ``ingressClassName`` when several are), else one ``ingress`` load balancer the
  import adds (an assumption: the cluster's controller is not in the manifests).
- **HorizontalPodAutoscaler**: the workload is modelled at ``minReplicas`` (default 1), the count it
  runs at its low; **PodDisruptionBudget**: noted (the model has no voluntary disruptions).

Every other kind (ConfigMap, Secret, Job, CronJob, NetworkPolicy, Namespace, ...) is skipped with a note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.scenario.imports.kinds import is_ingress_controller
from engine.scenario.imports.model import Architecture, Call, Check, Where, Workload, hosts_in, replica_count
from engine.scenario.imports.source import Document, Notes, value_at

WORKLOADS = ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "Pod")
"""Kinds whose pods serve."""
KUBERNETES_PROBE = {"periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3, "successThreshold": 1}
"""Kubernetes' probe defaults (the Pod API reference)."""
ZONE_KEYS = {"topology.kubernetes.io/zone": "zones", "failure-domain.beta.kubernetes.io/zone": "zones",
             "kubernetes.io/hostname": "cluster nodes"}
"""Topology keys of a spread or anti-affinity, and what they spread over."""


@dataclass
class _Object:
    """One Kubernetes object: its document, key path, kind, name and namespace."""

    document: Document
    path: tuple
    kind: str
    name: str
    namespace: str

    @property
    def where(self) -> Where:
        return Where.of(self.document, self.path)

    def at(self, *keys: Any) -> Where:
        return Where.of(self.document, self.path + keys)

    def get(self, keys: tuple, expected: type | tuple[type, ...], notes: Notes, default: Any = None) -> Any:
        words = f"{self.kind} {self.name}: '{'.'.join(str(k) for k in keys)}'"
        return self.document.get(self.path + keys, expected, notes, words, default)


def is_kubernetes(document: Document) -> bool:
    """A document that looks like a Kubernetes object (or a ``List`` of them)."""
    data = document.data
    return isinstance(data, Mapping) and "kind" in data and "apiVersion" in data


def _objects(documents: list[Document], notes: Notes) -> list[_Object]:
    out: list[_Object] = []
    for document in documents:
        items: list[tuple] = [()]
        if isinstance(document.data, Mapping) and document.data.get("kind") == "List":
            listed = document.get(("items",), list, notes, "List 'items'", [])
            items = [("items", index) for index in range(len(listed))]
        for path in items:
            value = document.data
            for key in path:
                value = value[key]
            where = Where.of(document, path)
            if not isinstance(value, Mapping) or not isinstance(value.get("kind"), str):
                what = "an object with 'kind'" if isinstance(value, Mapping) else f"a mapping, got {type(value).__name__}"
                notes.problem(where.file, where.line, f"not a Kubernetes object: expected {what}")
                continue
            kind = value["kind"]
            name = document.get(path + ("metadata", "name"), str, notes, f"{kind}: 'metadata.name'")
            if not name:
                if isinstance(value.get("metadata"), Mapping) and "generateName" in value["metadata"]:
                    notes.add("skipped", where.file, where.line, f"{kind} with generateName only: no stable name to import")
                elif value_at(value, ("metadata", "name")) is None:
                    notes.problem(where.file, where.line, f"{kind} has no 'metadata.name'")
                continue
            namespace = document.get(path + ("metadata", "namespace"), str, notes, f"{kind} {name}: 'metadata.namespace'")
            out.append(_Object(document, path, kind, name, namespace or "default"))
    return out


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    return bool(selector) and all(str(labels.get(key)) == str(value) for key, value in selector.items())


def read_kubernetes(documents: list[Document], notes: Notes) -> Architecture:
    """The workloads of a set of manifests, with what they call and how users reach them."""
    objects = _objects(documents, notes)
    workloads: dict[str, Workload] = {}
    pod_labels: dict[str, Mapping[str, Any]] = {}
    envs: dict[str, list[tuple[str, str, Where]]] = {}
    zone_words: list[str] = []
    for obj in objects:
        if obj.kind in WORKLOADS:
            workload, labels, env = _workload(obj, notes, zone_words)
            key = workload.key
            if key in workloads:
                first = workloads[key].where
                notes.problem(obj.where.file, obj.where.line,
                              f"a second workload named {obj.name} in namespace {obj.namespace} (first at {first.file}:{first.line})")
                continue
            workloads[key], pod_labels[key], envs[key] = workload, labels, env
    services: dict[str, list[str]] = {}
    for obj in (o for o in objects if o.kind == "Service"):
        selector = obj.get(("spec", "selector"), Mapping, notes, {})
        selected = [key for key, labels in pod_labels.items()
                    if key.split("/", 1)[0] == obj.namespace and _selects(selector, labels)]
        services[f"{obj.namespace}/{obj.name}"] = selected
        if not selected:
            notes.add("skipped", obj.where.file, obj.where.line,
                      f"Service {obj.name} selects no workload of the manifests" + ("" if selector else " (it has no selector)"))
        service_type = obj.get(("spec", "type"), str, notes, "ClusterIP")
        if service_type in ("LoadBalancer", "NodePort"):
            for key in selected:
                workloads[key].published.append((obj.at("spec", "type"), f"Service {obj.name} of type {service_type}"))
    _resolve_env(workloads, envs, services, notes)
    _ingresses([o for o in objects if o.kind == "Ingress"], workloads, services, notes)
    for obj in (o for o in objects if o.kind == "HorizontalPodAutoscaler"):
        _hpa(obj, workloads, notes)
    for obj in objects:
        if obj.kind == "PodDisruptionBudget":
            _pdb(obj, workloads, pod_labels, notes)
        elif obj.kind not in WORKLOADS and obj.kind not in ("Service", "Ingress", "HorizontalPodAutoscaler"):
            notes.add("skipped", obj.where.file, obj.where.line, f"{obj.kind} {obj.name}: not a serving component, not imported")
    files = list(dict.fromkeys(document.file for document in documents))
    return Architecture(None, list(workloads.values()), files, "; ".join(dict.fromkeys(zone_words)))


def _workload(obj: _Object, notes: Notes, zone_words: list[str]) -> tuple[Workload, Mapping[str, Any], list[tuple[str, str, Where]]]:
    workload = Workload(f"{obj.namespace}/{obj.name}", obj.name, obj.where, ordinal=obj.kind == "StatefulSet")
    template: tuple = () if obj.kind == "Pod" else ("spec", "template")
    if obj.kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        value = value_at(obj.document.data, obj.path + ("spec", "replicas"))
        if value is None:
            workload.replicas_declared = False
        else:
            count = replica_count(value, obj.at("spec", "replicas"), notes, f"{obj.kind} {obj.name}: 'spec.replicas'")
            workload.replicas = 1 if count is None else count
    elif obj.kind == "DaemonSet":
        notes.add("assumption", obj.where.file, obj.where.line,
                  f"DaemonSet {obj.name} runs one pod per cluster node, and the manifests do not say how many nodes: "
                  f"modelled as 1 instance (set nodes.{obj.name}.replicas in a --mapping file)")
    labels = obj.get(template + ("metadata", "labels"), Mapping, notes, {})
    for source in (obj.get(("metadata", "labels"), Mapping, notes, {}), labels):
        if "spofdrill.kind" in source:
            where_path = ("metadata", "labels", "spofdrill.kind") if source is not labels else template + ("metadata", "labels", "spofdrill.kind")
            workload.label_kind, workload.label_where = str(source["spofdrill.kind"]), obj.at(*where_path)
    pod = template + ("spec",)
    containers = obj.get(pod + ("containers",), list, notes, [])
    env: list[tuple[str, str, Where]] = []
    for index, container in enumerate(containers):
        path = pod + ("containers", index)
        if not isinstance(container, Mapping):
            notes.problem(obj.where.file, obj.at(*path).line, f"{obj.kind} {obj.name}: each container must be a mapping")
            continue
        image = obj.get(path + ("image",), str, notes, "")
        if index == 0:
            workload.image = image
        for e_index, item in enumerate(obj.get(path + ("env",), list, notes, [])):
            if isinstance(item, Mapping) and isinstance(item.get("name"), str) and isinstance(item.get("value"), str):
                env.append((item["name"], item["value"], obj.at(*path, "env", e_index)))
        probe = obj.get(path + ("readinessProbe",), Mapping, notes)
        if probe and workload.check is None:
            workload.check = _probe(obj, path + ("readinessProbe",), probe, notes)
    if value_at(obj.document.data, obj.path + pod + ("containers",)) in (None, []):
        notes.problem(obj.where.file, obj.where.line, f"{obj.kind} {obj.name} has no containers")
    _spread(obj, pod, notes, zone_words)
    return workload, labels, env


def _probe(obj: _Object, path: tuple, probe: Mapping[str, Any], notes: Notes) -> Check:
    kind = "http" if "httpGet" in probe else "tcp"
    values: dict[str, int] = {}
    defaulted: list[str] = []
    for field, default in KUBERNETES_PROBE.items():
        value = obj.get(path + (field,), int, notes)
        if value is None:
            defaulted.append(field)
            value = default
        values[field] = value
    names = {"periodSeconds": "interval", "timeoutSeconds": "timeout", "failureThreshold": "fall", "successThreshold": "rise"}
    return Check(kind, float(values["periodSeconds"]), float(values["timeoutSeconds"]), values["failureThreshold"],
                 values["successThreshold"], obj.at(*path), tuple(names[f] for f in defaulted), "Kubernetes")


def _spread(obj: _Object, pod: tuple, notes: Notes, zone_words: list[str]) -> None:
    """Note a spread over zones or hosts (the model has no failure domain below a region)."""
    found: list[tuple[str, Where]] = []
    for index, item in enumerate(obj.get(pod + ("topologySpreadConstraints",), list, notes, [])):
        if isinstance(item, Mapping) and isinstance(item.get("topologyKey"), str) and item["topologyKey"] in ZONE_KEYS:
            skew = item.get("maxSkew")
            found.append((f"topologySpreadConstraints over {ZONE_KEYS[item['topologyKey']]} ({item['topologyKey']}"
                          f"{f', maxSkew {skew}' if skew is not None else ''})", obj.at(*pod, "topologySpreadConstraints", index)))
    anti = value_at(obj.document.data, obj.path + pod + ("affinity", "podAntiAffinity"))
    if isinstance(anti, Mapping):
        for rule_kind, rules in anti.items():
            for rule in rules if isinstance(rules, list) else []:
                term = rule.get("podAffinityTerm", rule) if isinstance(rule, Mapping) else {}
                key = term.get("topologyKey") if isinstance(term, Mapping) else None
                if isinstance(key, str) and key in ZONE_KEYS:
                    strength = "required" if rule_kind.startswith("required") else "preferred"
                    found.append((f"a {strength} podAntiAffinity over {ZONE_KEYS[key]} ({key})",
                                  obj.at(*pod, "affinity", "podAntiAffinity")))
    for words, where in found:
        zone_words.append(ZONE_KEYS.get(words.split("(")[1].split(",")[0].rstrip(")"), "zones"))
        notes.add("note", where.file, where.line,
                  f"{obj.kind} {obj.name} has {words}: recorded, not modelled. The imported topology is one region "
                  f"('main'): a scenario region is a failure domain with its own DNS entry in front, which a zone of "
                  f"one cluster behind one load balancer is not; a zone outage is not simulated")


def _service_names(services: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every DNS name of every Service: ``svc.ns``, ``svc.ns.svc``, ``svc.ns.svc.cluster.local`` (and ``svc``)."""
    names: dict[str, list[str]] = {}
    for key, selected in services.items():
        namespace, name = key.split("/", 1)
        for dns in (f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.cluster.local"):
            names[dns.lower()] = selected
    return names


def _resolve_env(workloads: dict[str, Workload], envs: dict[str, list[tuple[str, str, Where]]],
                 services: dict[str, list[str]], notes: Notes) -> None:
    qualified = _service_names(services)
    for key, env in envs.items():
        namespace = key.split("/", 1)[0]
        workload = workloads[key]
        for variable, value, where in env:
            for host in hosts_in(variable, value):
                short = re.sub(r"^[a-z0-9-]+-\d+\.", "", host)  # a StatefulSet pod's name: postgres-0.postgres
                selected = None
                for candidate in (host, short):
                    selected = (services.get(f"{namespace}/{candidate}") if "." not in candidate else None) \
                        or qualified.get(candidate)
                    if selected is not None:
                        break
                if selected is None:
                    notes.add("skipped", where.file, where.line,
                              f"{workload.name}: env {variable} names host '{host}', which is no Service of the manifests "
                              f"(an external dependency?)")
                    continue
                for target in selected:
                    if target != key:
                        workload.calls.append(Call(target, where, f"env {variable}"))


def _ingresses(ingresses: list[_Object], workloads: dict[str, Workload], services: dict[str, list[str]], notes: Notes) -> None:
    controllers = [w for w in workloads.values() if is_ingress_controller(w.image)]
    synthetic: Workload | None = None
    for obj in ingresses:
        backends: list[tuple[str, Where]] = []
        default = value_at(obj.document.data, obj.path + ("spec", "defaultBackend", "service", "name"))
        if isinstance(default, str):
            backends.append((default, obj.at("spec", "defaultBackend")))
        for r_index, rule in enumerate(obj.get(("spec", "rules"), list, notes, [])):
            paths = value_at(rule, ("http", "paths"))
            for p_index, item in enumerate(paths if isinstance(paths, list) else []):
                name = value_at(item, ("backend", "service", "name")) or value_at(item, ("backend", "serviceName"))
                if isinstance(name, str):
                    backends.append((name, obj.at("spec", "rules", r_index, "http", "paths", p_index)))
        class_name = obj.get(("spec", "ingressClassName"), str, notes) or \
            value_at(obj.document.data, obj.path + ("metadata", "annotations", "kubernetes.io/ingress.class"))
        serving = [c for c in controllers if isinstance(class_name, str) and class_name.lower() in (c.name + c.image).lower()]
        serving = serving or controllers
        if not serving:
            if synthetic is None:
                synthetic = Workload("ingress", "ingress", obj.where, fixed_kind="load_balancer", synthetic=True)
                synthetic.published.append((obj.where, f"serves Ingress {obj.name}"))
                workloads["/ingress"] = synthetic
                notes.add("assumption", obj.where.file, obj.where.line,
                          f"Ingress {obj.name}: no Ingress controller in the manifests"
                          f"{f' for class {class_name!r}' if class_name else ''}: added one load balancer 'ingress' "
                          f"with 1 instance for it (check how many replicas your controller runs)")
            serving = [synthetic]
        for controller in serving:
            if not any(words.startswith("serves Ingress") for _, words in controller.published):
                controller.published.append((obj.where, f"serves Ingress {obj.name}"))
            for name, where in backends:
                selected = services.get(f"{obj.namespace}/{name}")
                if selected is None:
                    notes.add("skipped", where.file, where.line, f"Ingress {obj.name}: backend Service '{name}' is not in the manifests")
                    continue
                controller.calls.extend(Call(target, where, f"Ingress {obj.name}") for target in selected)


def _hpa(obj: _Object, workloads: dict[str, Workload], notes: Notes) -> None:
    ref = obj.get(("spec", "scaleTargetRef"), Mapping, notes, {})
    workload = workloads.get(f"{obj.namespace}/{ref.get('name')}")
    if workload is None:
        notes.add("skipped", obj.where.file, obj.where.line,
                  f"{obj.kind} {obj.name}: scales {ref.get('kind') or 'a workload'} '{ref.get('name')}', which is not in the manifests")
        return
    low = obj.get(("spec", "minReplicas"), int, notes)
    high = obj.get(("spec", "maxReplicas"), int, notes)
    count = replica_count(1 if low is None else low, obj.at("spec", "minReplicas"), notes,
                          f"HorizontalPodAutoscaler {obj.name}: 'spec.minReplicas'")
    if count is None:
        return
    before = workload.replicas if workload.replicas_declared else None
    workload.replicas, workload.replicas_declared = max(count, 1), True
    notes.add("assumption", obj.where.file, obj.where.line,
              f"HorizontalPodAutoscaler {obj.name} scales {workload.name} between {low if low is not None else '1 (default)'} and "
              f"{high if high is not None else '?'} pods: modelled at its minimum, {workload.replicas}, the count it runs at its "
              f"low (the autoscaler overrides spec.replicas{f', {before}' if before is not None else ''})")


def _pdb(obj: _Object, workloads: dict[str, Workload], pod_labels: dict[str, Mapping[str, Any]], notes: Notes) -> None:
    selector = obj.get(("spec", "selector", "matchLabels"), Mapping, notes, {})
    selected = [workloads[key] for key, labels in pod_labels.items()
                if key.split("/", 1)[0] == obj.namespace and _selects(selector, labels)]
    names = ", ".join(w.name for w in selected) or "no workload of the manifests"
    spec = obj.get(("spec",), Mapping, notes, {})
    budget = next((f"{field} {spec[field]}" for field in ("minAvailable", "maxUnavailable") if field in spec), "no budget")
    down = ""
    if selected and len(selected) == 1:
        total = selected[0].replicas
        value = spec.get("minAvailable", spec.get("maxUnavailable"))
        if isinstance(value, int) and not isinstance(value, bool):
            allowed = total - value if "minAvailable" in spec else value
            down = f": at most {max(allowed, 0)} of its {total} pods may be down voluntarily (drains, upgrades)"
    notes.add("note", obj.where.file, obj.where.line,
              f"PodDisruptionBudget {obj.name} ({budget}) covers {names}{down}; the model has no voluntary disruptions, "
              f"so it is recorded only")
