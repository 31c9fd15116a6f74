"""Cross-checks that need the whole file: edges name nodes, one primary per cluster, faults and steps target what exists.

They run on the parts of a document that validate on their own, so they are
reported together with the schema problems.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from engine.commands import REGISTRY, CommandError, build_command
from engine.scenario.loader.collector import Collector, KeyPath, article, join_or, number, suggest
from engine.scenario.loader.edges import EdgeSyntaxError, parse_edge
from engine.scenario.loader.sizes import check_run
from engine.scenario.schema import (
    NODE_KINDS,
    AlertRule,
    CacheNode,
    Chaos,
    DatabaseNode,
    DnsNode,
    Duration,
    EdgeSpec,
    EngineSettings,
    Fault,
    Hint,
    LoadBalancerNode,
    NodeSpec,
    Scenario,
    ServiceNode,
    Step,
    Tick,
)
from engine.util.limits import MAX_EDGES, over


_NODE_ADAPTER: TypeAdapter[Any] = TypeAdapter(NodeSpec)
_REGIONS_ADAPTER: TypeAdapter[list[str]] = TypeAdapter(Annotated[list[str], Field(min_length=1)])
_DURATION_ADAPTER: TypeAdapter[float] = TypeAdapter(Duration)
_TICK_ADAPTER: TypeAdapter[float] = TypeAdapter(Tick)


def _salvage(kind: type[BaseModel] | TypeAdapter[Any], value: Any) -> Any:
    """``value`` validated as ``kind``, or ``None`` when it is invalid (the schema pass reports why)."""
    try:
        if isinstance(kind, TypeAdapter):
            return kind.validate_python(value)
        return kind.model_validate(value)
    except ValidationError:
        return None


def _items(value: Any) -> list[tuple[int, Any]]:
    """``enumerate`` of a list, nothing for anything else."""
    return list(enumerate(value)) if isinstance(value, list) else []


def _get(value: Any, key: str, default: Any = None) -> Any:
    """``value[key]`` when ``value`` is a mapping that has it."""
    return value.get(key, default) if isinstance(value, Mapping) else default


@dataclass
class World:
    """What cross-checks know about a scenario: node names (``None`` spec: present but invalid), regions, duration."""

    nodes: dict[str, Any]
    regions: list[str] | None
    duration: float | None
    _cache: dict[str, set[str]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, scenario: Scenario) -> World:
        """The world of a validated scenario."""
        return cls(dict(scenario.topology.nodes), list(scenario.topology.regions), scenario.duration)

    def specs(self, kind: type[BaseModel]) -> dict[str, Any]:
        """The valid nodes of one model class, by name."""
        return {name: spec for name, spec in self.nodes.items() if isinstance(spec, kind)}

    @property
    def groups(self) -> set[str]:
        """Group names used by nodes."""
        return {spec.group for spec in self.nodes.values() if spec is not None and spec.group}

    @property
    def vips(self) -> set[str]:
        """Virtual IP group names of the load balancers."""
        return {spec.vip or name for name, spec in self.specs(LoadBalancerNode).items()}

    @property
    def clusters(self) -> set[str]:
        """Database cluster names (a node without a cluster is its own)."""
        return {spec.cluster or name for name, spec in self.specs(DatabaseNode).items()}

    @property
    def features(self) -> set[str]:
        """Feature names of services, for degrade and enable."""
        return {spec.feature or name for name, spec in self.specs(ServiceNode).items()}

    def named_groups(self) -> set[str]:
        """Names given explicitly to something other than a node: groups, VIPs, clusters, features (computed once:
        a reference solution of 1,000 steps asks for each step, over up to 1,500 nodes)."""
        if "named" in self._cache:
            return self._cache["named"]
        names = self._cache["named"] = set(self.groups)
        for spec in self.nodes.values():
            for field in ("vip", "cluster", "feature"):
                value = getattr(spec, field, None)
                if isinstance(value, str):
                    names.add(value)
        return names

    def target_names(self) -> set[str]:
        """Every name a command may target (computed once, like :meth:`named_groups`)."""
        if "targets" not in self._cache:
            names = set(self.nodes) | self.groups | self.vips | self.clusters | self.features
            self._cache["targets"] = names | set(self.regions or ())
        return self._cache["targets"]


class Checker:
    """Cross-checks between the parts of a scenario, reported into a collector."""

    def __init__(self, world: World, collector: Collector) -> None:
        self.world = world
        self.out = collector

    # -- helpers

    def node(self, name: str, path: KeyPath) -> bool:
        """Report ``name`` unless it names a node; true when it does."""
        if name in self.world.nodes:
            return True
        self.out.add(path, f"unknown node '{name}'{suggest(name, self.world.nodes)}")
        return False

    def region(self, name: str, path: KeyPath) -> bool:
        """Report ``name`` unless it names a declared region (skipped when the regions are invalid)."""
        regions = self.world.regions
        if regions is None or name in regions:
            return True
        self.out.add(path, f"region '{name}' is not declared in topology.regions ({', '.join(regions)}){suggest(name, regions)}")
        return False

    def time(self, at: float | None, path: KeyPath, what: str) -> None:
        """Report a time after the end of the drill."""
        duration = self.world.duration
        if at is not None and duration is not None and at > duration:
            self.out.add(path, f"{what} {number(at)} s, after the end of the drill (duration {number(duration)} s)")

    # -- topology

    def nodes(self) -> None:
        """Regions and DNS weights name declared regions."""
        for name, spec in self.world.nodes.items():
            path: KeyPath = ("topology", "nodes", name)
            if spec is None:
                continue
            if spec.region is not None:
                self.region(spec.region, path + ("region",))
            if isinstance(spec, DnsNode) and spec.weights:
                for region in spec.weights:
                    self.region(region, path + ("weights", region))

    def edges(self, edges: list[tuple[KeyPath, KeyPath, KeyPath, EdgeSpec]]) -> None:
        """Edges join two different nodes, once. Items are (edge path, source path, target path, edge)."""
        seen: dict[tuple[str, str], KeyPath] = {}
        for path, source_path, target_path, edge in edges:
            ok = self.node(edge.source, source_path)
            ok = self.node(edge.target, target_path) and ok
            if not ok:
                continue
            if edge.source == edge.target:
                self.out.add(path, f"an edge from '{edge.source}' to itself")
                continue
            key = (edge.source, edge.target)
            if key in seen:
                first = self.out.line_of(seen[key])
                where = f" (first at line {first})" if first is not None else ""
                self.out.add(path, f"duplicate edge {edge.source} -> {edge.target}{where}")
            else:
                seen[key] = path

    def databases(self) -> None:
        """Upstreams are databases of the same cluster; each cluster has exactly one primary."""
        dbs: dict[str, DatabaseNode] = self.world.specs(DatabaseNode)
        clusters: dict[str, str] = {}
        for name, spec in dbs.items():
            path: KeyPath = ("topology", "nodes", name)
            upstream = spec.upstream
            if upstream is not None:
                if upstream == name:
                    self.out.add(path + ("upstream",), "a database cannot stream from itself")
                elif upstream not in self.world.nodes:
                    self.out.add(path + ("upstream",), f"unknown node '{upstream}'{suggest(upstream, dbs)}")
                elif upstream not in dbs and self.world.nodes[upstream] is not None:
                    kind = self.world.nodes[upstream].kind
                    self.out.add(path + ("upstream",), f"upstream '{upstream}' is {article(kind)}, not a database")
            if spec.role == "replica" and spec.cluster is None and upstream is None:
                self.out.add(path, "a replica needs 'cluster' or 'upstream'")
            cluster = self._cluster(name, dbs, path)
            if cluster is not None:
                clusters[name] = cluster
        for name, spec in dbs.items():
            upstream = spec.upstream
            if upstream in clusters and name in clusters and clusters[upstream] != clusters[name]:
                self.out.add(
                    ("topology", "nodes", name, "upstream"),
                    f"upstream '{upstream}' is in cluster '{clusters[upstream]}', not in cluster '{clusters[name]}'",
                )
        members: dict[str, list[str]] = {}
        for name, cluster in clusters.items():
            members.setdefault(cluster, []).append(name)
        for cluster, names in members.items():
            self._one_primary(f"cluster '{cluster}'", names, dbs)

    def _cluster(self, name: str, dbs: dict[str, DatabaseNode], path: KeyPath) -> str | None:
        """The cluster of a database: its own, else its upstream's; a primary without one is its own."""
        chain = [name]
        current = name
        while True:
            spec = dbs[current]
            if spec.cluster:
                return spec.cluster
            if spec.role == "primary":
                return current
            upstream = spec.upstream
            if upstream is None or upstream not in dbs:
                return None
            if upstream in chain:
                loop = chain[chain.index(upstream) :]
                if upstream == name and name == min(loop):
                    self.out.add(path + ("upstream",), f"replication loop: {' -> '.join(loop + [name])}")
                return None
            chain.append(upstream)
            current = upstream

    def _one_primary(self, what: str, names: list[str], specs: Mapping[str, Any]) -> None:
        """Report a group (cluster, VIP) that has no primary or more than one."""
        primaries = [name for name in names if specs[name].role == "primary"]
        if not primaries:
            self.out.add(("topology", "nodes", names[0], "role"), f"{what} has no primary (members: {', '.join(names)})")
        elif len(primaries) > 1:
            count = "two" if len(primaries) == 2 else str(len(primaries))
            listed = ", ".join(primaries[:-1]) + " and " + primaries[-1]
            self.out.add(("topology", "nodes", primaries[1], "role"), f"{what} has {count} primaries: {listed}")

    def load_balancers(self) -> None:
        """Each VIP group has exactly one primary."""
        lbs = self.world.specs(LoadBalancerNode)
        groups: dict[str, list[str]] = {}
        for name, spec in lbs.items():
            groups.setdefault(spec.vip or name, []).append(name)
        for vip, names in groups.items():
            self._one_primary(f"vip group '{vip}'", names, lbs)

    # -- what happens

    _FAULT_KINDS: dict[str, tuple[type[BaseModel], str]] = {
        "cache_flush": (CacheNode, "a cache"),
        "replication_lag": (DatabaseNode, "a database replica"),
        "replication_break": (DatabaseNode, "a database replica"),
        "dependency_outage": (ServiceNode, "a service"),
    }

    def faults(self, faults: list[tuple[KeyPath, Fault]]) -> None:
        """Faults target existing nodes of the right kind (regions for outages and partitions)."""
        regions = self.world.regions or []
        for path, fault in faults:
            if fault.type == "partition":
                for side_index, side in enumerate(fault.between or []):
                    for name in (part.strip() for part in side.split(",")):
                        if not name:
                            self.out.add(path + ("between", side_index), f"empty name in '{side}'")
                        elif name not in self.world.nodes and name not in regions:
                            hint = suggest(name, [*self.world.nodes, *regions])
                            self.out.add(path + ("between", side_index), f"'{name}' is neither a node nor a region{hint}")
            elif fault.type == "region_outage":
                if fault.target is not None:
                    self.region(fault.target, path + ("target",))
            elif fault.target is not None and self.node(fault.target, path + ("target",)):
                self._fault_kind(fault, path)
            if isinstance(fault.at, (int, float)):
                self.time(fault.at, path + ("at",), f"the {fault.type} fault starts at")
            else:
                self.time(fault.at.between[1], path + ("at",), f"the {fault.type} fault may start as late as")

    def _fault_kind(self, fault: Fault, path: KeyPath) -> None:
        """Faults that only make sense on one kind of node target that kind."""
        if fault.type not in self._FAULT_KINDS or fault.target is None:
            return
        spec = self.world.nodes[fault.target]
        if spec is None:
            return
        kind, words = self._FAULT_KINDS[fault.type]
        if not isinstance(spec, kind):
            actual = article(spec.kind)
        elif isinstance(spec, DatabaseNode) and spec.role != "replica":
            actual = "a primary"
        else:
            return
        self.out.add(path + ("target",), f"{fault.type} needs {words}, but '{fault.target}' is {actual}")

    def chaos(self, chaos: Chaos | None) -> None:
        """Chaos grouping names groups or kinds; exceptions name nodes."""
        if chaos is None:
            return
        allowed = self.world.groups | set(NODE_KINDS)
        for index, entry in enumerate(chaos.grouping):
            if entry not in allowed:
                self.out.add(("chaos", "grouping", index), f"'{entry}' is neither a group nor a node kind{suggest(entry, allowed)}")
        for index, entry in enumerate(chaos.exceptions):
            self.node(entry, ("chaos", "exceptions", index))

    def alerts(self, rules: list[tuple[KeyPath, AlertRule]]) -> None:
        """Alert rules watch existing nodes and known kinds."""
        for path, rule in rules:
            for index, name in enumerate(rule.nodes):
                self.node(name, path + ("nodes", index))
            for index, kind in enumerate(rule.kinds):
                if kind not in NODE_KINDS:
                    message = f"unknown kind '{kind}'; must be one of: {', '.join(NODE_KINDS)}"
                    self.out.add(path + ("kinds", index), message + suggest(kind, NODE_KINDS))

    def hints(self, hints: list[tuple[KeyPath, Hint]]) -> None:
        """Hints appear before the end of the drill."""
        for path, hint in hints:
            self.time(hint.at, path + ("at",), "the hint appears at")

    def steps(self, steps: list[tuple[KeyPath, Step]]) -> None:
        """Commands exist with valid arguments and target things that exist."""
        for path, step in steps:
            if not self.command(path, step):
                continue
            if step.target:
                self._target(path, step)
            if step.command == "shift" and isinstance(step.args.get("to"), str):
                self.region(step.args["to"], path + ("args", "to"))
            if step.trigger is not None and step.trigger.node is not None:
                self.node(step.trigger.node, path + ("trigger", "node"))

    def command(self, path: KeyPath, step: Step) -> bool:
        """Report a step whose command, target presence or arguments are invalid; true when valid."""
        try:
            build_command(step.command, step.target, dict(step.args))
        except CommandError as exc:
            message = str(exc)
            if step.command not in REGISTRY:
                where = path + ("command",)
            elif REGISTRY[step.command].spec.target_required and not step.target:
                where = path + ("target",)
            else:
                argument = re.search(r"argument '([^']+)'", message)
                where = path + ("args", argument.group(1)) if argument else path + ("args",)
            self.out.add(where, message)
            return False
        return True

    def _target(self, path: KeyPath, step: Step) -> None:
        """A step's target names something of a kind its command accepts."""
        spec = REGISTRY[step.command].spec
        target = step.target or ""
        where = path + ("target",)
        if "alert" in spec.targets:
            rule, _, node = target.partition(":")
            if not rule.strip():
                self.out.add(where, f"'{step.command}' needs an alert name, e.g. 'DbDown' or 'DbDown:db-1'")
            elif node:
                self.node(node, where)
            return
        if spec.targets == ("region",):
            self.region(target, where)
            return
        known = self.world.target_names()
        if target not in known:
            self.out.add(where, f"unknown target '{target}'{suggest(target, known)}")
            return
        kinds = [kind for kind in spec.targets if kind in NODE_KINDS]
        other_meaning = target in self.world.named_groups()
        node = self.world.nodes.get(target)
        if "*" in spec.targets or not kinds or node is None or other_meaning or node.kind in kinds:
            return
        wanted = join_or([article(kind) for kind in spec.targets if kind != "*"])
        self.out.add(where, f"'{step.command}' needs {wanted}, but '{target}' is {article(node.kind)}")


def step_items(value: Any, prefix: KeyPath) -> list[tuple[KeyPath, Step]]:
    """The valid steps of a list, with their key paths."""
    steps = [(prefix + (index,), _salvage(Step, item)) for index, item in _items(value)]
    return [(path, step) for path, step in steps if step is not None]


def check_scenario(data: Mapping[str, Any], collector: Collector) -> list[EdgeSpec]:
    """Run every cross-check on the parts of ``data`` that validate; return the expanded edges."""
    topology = _get(data, "topology", {})
    nodes_raw = _get(topology, "nodes", {})
    nodes = {str(name): _salvage(_NODE_ADAPTER, spec) for name, spec in nodes_raw.items()} if isinstance(nodes_raw, Mapping) else {}
    regions = _salvage(_REGIONS_ADAPTER, _get(topology, "regions", ["main"]))
    duration = _salvage(_DURATION_ADAPTER, _get(data, "duration", Scenario.model_fields["duration"].default))
    checker = Checker(World(nodes, regions, duration), collector)


    edges: list[EdgeSpec] = []
    located: list[tuple[KeyPath, KeyPath, KeyPath, EdgeSpec]] = []
    for index, item in _items(_get(topology, "edges")):
        path: KeyPath = ("topology", "edges", index)
        if isinstance(item, str):
            try:
                expanded = parse_edge(item)
                if len(edges) + len(expanded) > MAX_EDGES:
                    raise EdgeSyntaxError(f"the edges so far {over('a topology', len(edges) + len(expanded), MAX_EDGES, 'edges')}")
            except EdgeSyntaxError as exc:
                collector.add(path, str(exc))
                if len(edges) >= MAX_EDGES or "limit" in str(exc):
                    break
                continue
            located.extend((path, path, path, edge) for edge in expanded)
            edges.extend(expanded)
        elif isinstance(item, Mapping):
            edge = _salvage(EdgeSpec, item)
            if edge is not None:
                source_key = "from" if "from" in item else "source"
                target_key = "to" if "to" in item else "target"
                located.append((path, path + (source_key,), path + (target_key,), edge))
                edges.append(edge)

    checker.nodes()
    checker.edges(located)
    checker.databases()
    checker.load_balancers()
    faults = [(("method", i), _salvage(Fault, item)) for i, item in _items(_get(data, "method"))]
    checker.faults([(path, fault) for path, fault in faults if fault is not None])
    chaos_data = _get(data, "chaos")
    chaos = _salvage(Chaos, chaos_data) if chaos_data is not None else None
    checker.chaos(chaos)
    solution = _get(data, "reference_solution")
    tick = _salvage(_TICK_ADAPTER, _get(_get(data, "engine", {}), "tick", EngineSettings.model_fields["tick"].default))
    check_run(duration, tick, collector)
    rules = [(("alerts", "rules", i), _salvage(AlertRule, item)) for i, item in _items(_get(_get(data, "alerts"), "rules"))]
    checker.alerts([(path, rule) for path, rule in rules if rule is not None])
    hints = [(("hints", i), _salvage(Hint, item)) for i, item in _items(_get(data, "hints"))]
    checker.hints([(path, hint) for path, hint in hints if hint is not None])
    if isinstance(solution, Mapping):
        checker.steps(step_items(solution.get("steps"), ("reference_solution", "steps")))
    else:
        checker.steps(step_items(solution, ("reference_solution",)))
    for index, pitfall in _items(_get(data, "pitfalls")):
        if isinstance(pitfall, Mapping):
            checker.steps(step_items(pitfall.get("steps"), ("pitfalls", index, "steps")))
    return edges
