"""The mapping file of ``spofdrill import --mapping FILE``: the importer's corrections, checked like a scenario file.

.. code-block:: yaml

    kinds:                      # glob -> kind, matched against each workload's image and name; first match wins
      "myorg/search*": service
      "*-proxy": load_balancer
    nodes:                      # workload name (as written in the input) -> its kind, instances and node fields
      api: {capacity: 800, workers: 128}
      legacy: {kind: database, capacity: 300}
      log-agent: {replicas: 3}  # a DaemonSet: one pod per cluster node
    users: {rates: {read: 400, write: 40, static: 0}, timeout: 10}

``nodes`` take any field of the node's kind (``docs/scenarios.md`` 2.2) except those the
import sets from the structure (``region``, ``group``, ``vip``, ``role``, ``cluster``,
``upstream``); ``users`` takes the fields of a client. Every problem is reported at once, with
the file and line, like ``spofdrill validate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.scenario.imports.model import MAX_REPLICAS
from engine.scenario.loader.collector import Collector, KeyPath, Prefixed, suggest
from engine.scenario.loader.validation import report_validation
from engine.scenario.loader.yamlfile import read_file, read_yaml
from engine.scenario.problems import ScenarioError
from engine.scenario.schema import (
    AppServerNode,
    CacheNode,
    ClientNode,
    DatabaseNode,
    LoadBalancerNode,
    ServiceNode,
)

Kind = Literal["load_balancer", "app_server", "cache", "database", "service"]

NODE_MODELS: dict[str, type[BaseModel]] = {
    "load_balancer": LoadBalancerNode, "app_server": AppServerNode, "cache": CacheNode,
    "database": DatabaseNode, "service": ServiceNode,
}
"""The node model of each kind a workload can be."""
STRUCTURAL = ("region", "group", "vip", "role", "cluster", "upstream")
"""Node fields the import derives from the structure; a mapping file may not set them."""
KNOWN_FIELDS = sorted({"kind", "replicas"} | {f for model in NODE_MODELS.values() for f in model.model_fields} - set(STRUCTURAL))
"""Every key a ``nodes`` entry may have, whatever its kind (the kind's own fields are checked once it is known)."""


class NodeSettings(BaseModel):
    """One workload's corrections: its kind, its instances, and node fields checked against its kind's model."""

    model_config = ConfigDict(extra="allow", frozen=True)
    kind: Kind | None = None
    replicas: int | None = Field(None, ge=0, le=MAX_REPLICAS)


class MappingFile(BaseModel):
    """The mapping file's shape."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kinds: dict[str, Kind] = Field(default_factory=dict)
    nodes: dict[str, NodeSettings] = Field(default_factory=dict)
    users: dict[str, Any] = Field(default_factory=dict)


@dataclass
class Mapping:
    """A checked mapping file; ``line`` locates its keys for the notes."""

    file: str
    kinds: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    collector: Collector | None = None

    def line(self, path: KeyPath) -> int | None:
        """The line of a key path of the file."""
        return self.collector.line_of(path) if self.collector else None

    def fields(self, name: str) -> dict[str, Any]:
        """The node fields set for a workload (not its kind or replicas)."""
        return {k: v for k, v in self.nodes.get(name, {}).items() if k not in ("kind", "replicas")}


def read_mapping(path: str) -> Mapping:
    """Read and check a mapping file; raise :class:`ScenarioError` with every problem."""
    collector = Collector(path)
    text = read_file(Path(path), collector, what="a mapping file")
    document = read_yaml(text, collector) if text is not None else None
    if document is None:
        raise ScenarioError(collector.result())
    data = document.data
    checked: MappingFile | None = None
    try:
        checked = MappingFile.model_validate(data)
    except ValidationError as exc:
        report_validation(exc, data, MappingFile, collector)
    raw_nodes = data.get("nodes") if isinstance(data, dict) else None
    for name, settings in raw_nodes.items() if isinstance(raw_nodes, dict) else ():
        for key in settings if isinstance(settings, dict) else ():
            if key in STRUCTURAL:
                collector.add(("nodes", name, key), f"'{key}' is set by the import from the structure; edit the scenario it writes instead")
            elif key not in KNOWN_FIELDS:
                collector.add(("nodes", name, key), f"unknown node field '{key}'{suggest(key, KNOWN_FIELDS)}")
    if checked is None or collector.problems:
        raise ScenarioError(collector.result())
    nodes = {name: settings.model_dump(exclude_none=True) for name, settings in checked.nodes.items()}
    for name, settings in nodes.items():
        if "kind" in settings:
            check_fields(settings["kind"], {k: v for k, v in settings.items() if k not in ("kind", "replicas")},
                         Prefixed(collector, ("nodes", name)))
    if checked.users:
        _validated(ClientNode, {"kind": "client", **checked.users}, Prefixed(collector, ("users",)))
    if collector.problems:
        raise ScenarioError(collector.result())
    return Mapping(path, dict(checked.kinds), nodes, dict(checked.users), collector)


def check_fields(kind: str, fields: dict[str, Any], collector: Collector) -> bool:
    """Whether ``fields`` are valid node fields of ``kind``; else every problem is reported into ``collector``."""
    if any(key in STRUCTURAL for key in fields):
        return False
    return _validated(NODE_MODELS[kind], {"kind": kind, **fields}, collector)


def _validated(model: type[BaseModel], data: dict[str, Any], collector: Collector) -> bool:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        report_validation(exc, data, model, collector)
        return False
    return True
