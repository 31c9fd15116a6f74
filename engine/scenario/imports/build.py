"""An :class:`~engine.scenario.imports.model.Architecture` turned into scenario data, every choice noted.

The rules (``docs/importing.md`` explains each with an example):

- **kinds**: :mod:`.kinds` (mapping file, label, image, place in the call graph);
- **instances**: a workload of N replicas becomes N nodes ``name-1..N`` (a StatefulSet's
  ``name-0..N-1``) in ``group: name``; one replica is one node named as the workload (a
  StatefulSet's ``name-0``); 0 replicas: left out;
- **databases**: N > 1 replicas become one primary and N-1 async replicas in ``cluster: name``
  (an assumption: check your replication); callers call the primary;
- **load balancers**: N > 1 replicas share one virtual IP (one primary, the others standby) with
  VRRP on, standing for whatever moves traffic off a dead replica (a cloud load balancer, kube-proxy);
- **entry points**: users call every load balancer that publishes a port or serves an Ingress; an
  app that publishes a port and sits behind no such load balancer gets one, ``<name>-lb``, standing
  for Docker's port publishing or the Service's cloud load balancer;
- **calls**: only those the model knows (:data:`~engine.scenario.imports.kinds.CALLS`); a replicated
  service is called with ``share=1/N`` on each instance (the model has no pool for services); a cache
  and its database are both called, as in the built-ins;
- **numbers**: none are invented. Capacities, latencies, hit ratios and the users' rates are the
  schema's defaults, named in a note per component; the health check is the first one declared
  by a load balancer's backend, else HAProxy's defaults (noted).
"""

from __future__ import annotations

import re
from typing import Any

from engine.scenario.imports.kinds import CALLS, KINDS, image_kind, pattern_kind, position_kind
from engine.scenario.imports.mapping import NODE_MODELS, Mapping, check_fields
from engine.scenario.imports.model import Architecture, Call, Where, Workload
from engine.scenario.imports.source import NoteKind, Notes
from engine.scenario.loader.collector import Collector, suggest
from engine.scenario.schema import DAY, ClientNode, HealthCheck
from engine.util.limits import MAX_NODES, over

DEFAULTED_FIELDS: dict[str, tuple[str, ...]] = {
    "load_balancer": ("latency",),
    "app_server": ("capacity", "workers", "service_time", "queue_timeout"),
    "service": ("capacity", "latency"),
    "cache": ("hit_ratio", "capacity", "latency"),
    "database": ("capacity", "read_latency", "write_latency"),
}
"""The numbers of each kind that decide how much it serves and how fast: named when left at the default."""
UNITS = {"capacity": " req/s", "latency": " s", "service_time": " s", "queue_timeout": " s", "read_latency": " s",
         "write_latency": " s", "lag": " s", "timeout": " s"}
USERS = "users"
"""The client node's name."""


def node_name(name: str) -> str:
    """A scenario node name made from a workload's: lower case letters, digits and ``-``, at most 40 characters."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]+", "-", name.lower())).strip("-")[:40].strip("-") or "component"


class Builder:
    """Builds the scenario data of one architecture; every choice becomes a note."""

    def __init__(self, arch: Architecture, mapping: Mapping | None, notes: Notes) -> None:
        self.arch = arch
        self.mapping = mapping or Mapping("")
        self.notes = notes
        self.kind: dict[str, str] = {}
        self.base: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        self.by_key: dict[str, Workload] = {w.key: w for w in arch.workloads}

    def note(self, kind: NoteKind, where: Where, message: str) -> None:
        """A note about the input at ``where``."""
        self.notes.add(kind, where.file, where.line, message)

    # -- names, kinds, instances

    def names(self) -> None:
        taken = {USERS}
        for workload in self.arch.workloads:
            base = node_name(workload.name)
            candidate, index = base, 2
            while candidate in taken:
                candidate, index = f"{base}-{index}", index + 1
            taken.add(candidate)
            self.base[workload.key] = candidate
            if candidate != workload.name and not workload.synthetic:
                why = "is not a valid node name here" if base != workload.name else "is taken by another workload"
                self.note("assumption", workload.where, f"'{workload.name}' {why}: named '{candidate}'")

    def check_mapping(self) -> None:
        known = {w.name for w in self.arch.workloads}
        for name in self.mapping.nodes:
            if name not in known:
                self.notes.problem(self.mapping.file, self.mapping.line(("nodes", name)),
                                   f"nodes: '{name}' is not a workload of the input{suggest(name, known)}")

    def kinds(self) -> None:
        """Kinds from the mapping, labels and images; the rest from the call graph (:meth:`positions`)."""
        for workload in self.arch.workloads:
            settings = self.mapping.nodes.get(workload.name, {})
            if "replicas" in settings:
                workload.replicas, workload.replicas_declared = settings["replicas"], True
            pattern = pattern_kind(self.mapping.kinds, workload.image, workload.name)
            if "kind" in settings:
                self.kind[workload.key] = settings["kind"]
                line = self.mapping.line(("nodes", workload.name, "kind"))
                workload.kind_source = f"mapping file {self.mapping.file}:{line}"
            elif pattern is not None:
                self.kind[workload.key] = pattern[1]
                line = self.mapping.line(("kinds", pattern[0]))
                workload.kind_source = f"mapping file pattern '{pattern[0]}' ({self.mapping.file}:{line})"
            elif workload.label_kind is not None:
                where = workload.label_where or workload.where
                if workload.label_kind not in KINDS:
                    self.notes.problem(where.file, where.line, f"label spofdrill.kind must be one of {', '.join(KINDS)}, "
                                       f"got {workload.label_kind!r}{suggest(workload.label_kind, KINDS)}")
                    continue
                self.kind[workload.key] = workload.label_kind
                workload.kind_source = f"label spofdrill.kind at {where.file}:{where.line}"
            elif workload.fixed_kind is not None:
                self.kind[workload.key] = workload.fixed_kind
            else:
                found = image_kind(workload.image or workload.name)
                if found is not None:
                    self.kind[workload.key] = found
                    workload.kind_source = f"image '{workload.image}'" if workload.image else "its name (it is built, no image)"

    def entries(self) -> list[str]:
        """The load balancers users call (adding one in front of a published app that has none)."""
        balancers = [w for w in self.arch.workloads if self.kind.get(w.key) == "load_balancer"]
        fronted = {call.target: lb for lb in balancers if lb.published for call in lb.calls}
        entries: list[str] = []
        added: list[Workload] = []
        for workload in self.arch.workloads:
            if not workload.published or workload.replicas == 0:
                continue
            where, words = workload.published[0]
            kind = self.kind.get(workload.key)
            if kind == "load_balancer":
                entries.append(workload.key)
                if not workload.calls:
                    self.note("assumption", where, f"{workload.name} {words} but routes to nothing the import can see "
                                                   f"(no depends_on, links, Ingress or env naming a workload): add its "
                                                   f"backends to the edges, e.g. '{node_name(workload.name)} -> APP'")
            elif kind in ("database", "cache"):
                self.note("assumption", where, f"{workload.name} {words}, but users do not call {kind.replace('_', ' ')}s: "
                                               f"not an entry point (an admin or debug port?)")
            elif workload.key in fronted:
                self.note("assumption", where, f"{workload.name} {words} but sits behind {fronted[workload.key].name}: "
                                               f"users come through {fronted[workload.key].name} (its own port taken for an admin or debug port)")
            else:
                front = Workload(f"{workload.key}-lb", f"{node_name(workload.name)}-lb", where, fixed_kind="load_balancer",
                                 synthetic=True)
                front.calls.append(Call(workload.key, where, words))
                self.kind[front.key] = "load_balancer"
                added.append(front)
                entries.append(front.key)
                self.note("assumption", where, f"users reach {workload.name} directly ({words}): the model routes users "
                                               f"through a load balancer, so '{front.name}' stands for that port")
        for front in added:
            self.arch.workloads.append(front)
            self.by_key[front.key] = front
        return entries

    def positions(self, entries: list[str]) -> None:
        called_by_lb = {c.target for w in self.arch.workloads if self.kind.get(w.key) == "load_balancer" for c in w.calls}
        called = {c.target for w in self.arch.workloads for c in w.calls}
        for workload in self.arch.workloads:
            if workload.key in self.kind:
                continue
            kind, why = position_kind(workload.key in entries, workload.key in called_by_lb, workload.key in called)
            self.kind[workload.key] = kind
            workload.kind_source = why

    # -- nodes and edges

    def nodes(self) -> dict[str, dict[str, Any]]:
        nodes: dict[str, dict[str, Any]] = {USERS: {"kind": "client"}}
        for workload in self.arch.workloads:
            kind, base, count = self.kind[workload.key], self.base[workload.key], workload.replicas
            if count == 0:
                self.note("skipped", workload.where, f"{workload.name} runs 0 replicas: left out, with every call to it")
                self.members[workload.key] = []
                continue
            start = 0 if workload.ordinal else 1
            names = [base] if count == 1 and not workload.ordinal else [f"{base}-{i}" for i in range(start, start + count)]
            self.members[workload.key] = names
            fields = self.mapping.fields(workload.name)
            if fields and not check_fields(kind, fields, _Into(self.notes, self.mapping, workload.name)):
                fields = {}
            for index, name in enumerate(names):
                spec: dict[str, Any] = {"kind": kind}
                if count > 1:
                    spec["group"] = base
                if kind == "database" and count > 1:
                    spec.update({"cluster": base, "role": "primary" if index == 0 else "replica"})
                if kind == "load_balancer" and count > 1:
                    spec.update({"vip": base, "role": "primary" if index == 0 else "standby"})
                spec.update(fields)
                nodes[name] = spec
            self._describe(workload, kind, names, fields)
        return nodes

    def _describe(self, workload: Workload, kind: str, names: list[str], fields: dict[str, Any]) -> None:
        instances = names[0] if len(names) == 1 else f"{len(names)} instances {names[0]}..{names[-1]}"
        source = workload.kind_source or "added by the import"
        self.note("assumption", workload.where, f"{workload.name}: {kind} ({source}), {instances}")
        if not workload.replicas_declared:
            self.note("default", workload.where, f"{workload.name}: 1 replica, the default (none declared)")
        if kind == "database" and len(names) > 1:
            self.note("assumption", workload.where,
                      f"{workload.name}: {names[0]} is the primary and {', '.join(names[1:])} its async replicas, in cluster "
                      f"'{self.base[workload.key]}' (check your replication: sync standbys, or a sharded or multi-primary store, behave otherwise)")
        if kind == "load_balancer" and len(names) > 1:
            self.note("assumption", workload.where,
                      f"{workload.name}: its {len(names)} instances share virtual IP '{self.base[workload.key]}' with "
                      f"automatic takeover (vrrp), standing for what moves traffic off a dead replica")
        model = NODE_MODELS[kind]
        left = [f"{field} {model.model_fields[field].default:g}{UNITS.get(field, '')}"
                for field in DEFAULTED_FIELDS[kind] if field not in fields]
        if left:
            self.note("default", workload.where, f"{workload.name}: {', '.join(left)}: the model's defaults, not measured "
                                                 f"(set them under nodes.{workload.name} in a --mapping file)")

    def edges(self, entries: list[str]) -> list[str]:
        edges: list[str] = []
        seen: set[tuple[str, str]] = set()
        first = [self.members[key][0] for key in entries if self.members.get(key)]
        if first:
            edges.append(f"{USERS} -> {', '.join(first)}")
        for workload in self.arch.workloads:
            sources = self.members[workload.key]
            kind = self.kind[workload.key]
            for call in workload.calls:
                if (workload.key, call.target) in seen or call.target == workload.key:
                    continue
                seen.add((workload.key, call.target))
                edge = self._edge(workload, kind, sources, call)
                if edge:
                    edges.extend(edge)
        return edges

    def _edge(self, workload: Workload, kind: str, sources: list[str], call: Call) -> list[str]:
        target = self.by_key[call.target]
        targets = self.members.get(call.target, [])
        target_kind = self.kind[call.target]
        if not sources or not targets:
            return []
        if target_kind not in CALLS[kind]:
            allowed = ", ".join(k.replace("_", " ") + "s" for k in CALLS[kind]) or "nothing"
            self.note("skipped", call.where, f"{workload.name} -> {target.name} ({call.how}): in the model "
                                             f"{kind.replace('_', ' ')}s call {allowed}, not {target_kind.replace('_', ' ')}s: left out")
            return []
        left = ", ".join(sources)
        if target_kind == "database":
            return [f"{left} -> {targets[0]}"]
        if target_kind == "service" and len(targets) > 1:
            share = round(1 / len(targets), 4)
            self.note("assumption", call.where, f"{workload.name} -> {target.name}: the model has no pool for services, "
                                                f"so each of its {len(targets)} instances takes share={share:g} of the calls")
            return [f"{left} -> {name} (share={share:g})" for name in targets]
        return [f"{left} -> {', '.join(targets)}"]

    def health_check(self) -> dict[str, Any]:
        backends = [c.target for w in self.arch.workloads if self.kind[w.key] == "load_balancer" for c in w.calls]
        checks = [self.by_key[key] for key in dict.fromkeys(backends) if self.by_key[key].check is not None]
        if not checks:
            where = self.arch.workloads[0].where if self.arch.workloads else Where("", None)
            default = HealthCheck()
            self.note("default", Where(where.file, None),
                      f"no health check declared by a load balancer's backend: the model's default (HAProxy: {default.type}, "
                      f"every {default.interval:g} s, timeout {default.timeout:g} s, fall {default.fall}, rise {default.rise})")
            return {}
        chosen = checks[0]
        check = chosen.check
        assert check is not None
        values = {"type": check.type, "interval": check.interval, "timeout": check.timeout, "fall": check.fall, "rise": check.rise}
        bounds = {"interval": (1.0, DAY), "timeout": (0.001, DAY), "fall": (1, 100), "rise": (1, 100)}
        for field, (low, high) in bounds.items():
            value = min(max(values[field], low), high)
            if value != values[field]:
                self.note("assumption", check.where, f"{chosen.name}: health check {field} {values[field]:g} is outside "
                                                     f"the model's range: {value:g}")
                values[field] = value
        words = ", ".join(f"{k} {v:g}" if not isinstance(v, str) else f"{k} {v}" for k, v in values.items())
        self.note("assumption", check.where, f"automation.health_check from {chosen.name}'s check: {words}"
                  + (f"; {', '.join(check.defaulted)} left out: the {check.source} defaults" if check.defaulted else ""))
        for other in checks[1:]:
            if other.check and (other.check.type, other.check.interval) != (check.type, check.interval):
                self.note("assumption", other.check.where, f"{other.name}'s health check differs; the model has one "
                                                           f"health check for every load balancer: {chosen.name}'s is used")
        return {k: (int(v) if k in ("fall", "rise") else v) for k, v in values.items()}

    def users(self, entries: list[str]) -> dict[str, Any]:
        where = Where(self.arch.files[0] if self.arch.files else "", None)
        fields = dict(self.mapping.users)
        client = ClientNode(kind="client")
        if "rates" not in fields:
            rates = client.rates
            self.note("default", where, f"users: read {rates.read:g}, write {rates.write:g}, static {rates.static:g} "
                                        f"requests/s: the model's defaults, not your traffic (set users.rates in a --mapping file)")
        if not entries:
            self.note("assumption", where, "no entry point found (no published port, no Ingress, no LoadBalancer or NodePort "
                                           "Service): users call nothing; add an edge from users to your front load balancer")
        return fields


class _Into(Collector):
    """Reports the node-field problems of a mapping file's ``nodes.<name>`` into the import's notes."""

    def __init__(self, notes: Notes, mapping: Mapping, name: str) -> None:
        super().__init__(mapping.file)
        self._notes, self._mapping, self._name = notes, mapping, name

    def add(self, path: tuple, message: str) -> None:
        full = ("nodes", self._name) + tuple(path)
        where = ".".join(str(p) for p in full)
        self._notes.problem(self._mapping.file, self._mapping.line(full), f"{where}: {message}")


def build(arch: Architecture, mapping: Mapping | None, notes: Notes) -> dict[str, Any]:
    """The topology and automation of an architecture (``{"topology": ..., "automation": ...}``)."""
    builder = Builder(arch, mapping, notes)
    builder.check_mapping()
    builder.kinds()
    notes.raise_problems()
    entries = builder.entries()
    builder.positions(entries)
    builder.names()
    total = 1 + sum(w.replicas for w in arch.workloads)
    if total > MAX_NODES:
        where = arch.workloads[0].where
        notes.problem(where.file, None, f"the import makes {total:,} components (with users), which "
                      f"{over('a topology', total, MAX_NODES, 'nodes').split(', ', 1)[1]}: import part of the system, or "
                      f"lower replicas with a --mapping file")
        notes.raise_problems()
    nodes = builder.nodes()
    notes.raise_problems()
    users = builder.users(entries)
    nodes[USERS].update(users)
    edges = builder.edges(entries)
    if len(edges) > 1:
        notes.add("assumption", arch.files[0], None, "every call is imported as a hard dependency (required, every request): "
                  "the input cannot say which features degrade without it; mark those edges '(soft)' or '(fallback)'")
    automation: dict[str, Any] = {}
    check = builder.health_check()
    if check:
        automation["health_check"] = check
    if any(spec.get("vip") for spec in nodes.values()):
        automation["vrrp"] = {"enabled": True}
    return {"topology": {"nodes": nodes, "edges": edges}, "automation": automation}


__all__ = ["Builder", "build", "node_name"]
