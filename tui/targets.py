"""Which target and arguments a command gets from what the trainee has selected.

The key bindings, the command palette and the node's context menu all build
commands through these functions, from the same engine declarations
(:mod:`engine.commands`).
"""

from __future__ import annotations

from typing import Any

from engine.commands import CommandSpec, command_specs
from engine.sim.snapshot import NodeView, Snapshot


class NoTarget(ValueError):
    """The selection does not fit the command; the message says what would."""


def _kinds(spec: CommandSpec) -> str:
    words = [k.replace("_", " ") for k in spec.targets if k not in ("*", "group")]
    return " or ".join(words) or "node"


def applies_to(spec: CommandSpec, node: NodeView) -> bool:
    """Whether the command makes sense on this node (for menus and the detail panel)."""
    if not spec.target_required:
        return False
    if "alert" in spec.targets:
        return True
    if "region" in spec.targets:
        return node.kind not in ("client", "dns", "cdn")
    if "*" in spec.targets:
        return node.kind != "client"
    return node.kind in spec.targets


def commands_for(node: NodeView | None, *, hunt: bool = False) -> list[CommandSpec]:
    """The commands a node offers, in declaration order (hunt-only commands only in a SPOF hunt)."""
    if node is None:
        return []
    return [spec for spec in command_specs() if applies_to(spec, node) and (hunt or not spec.hunt_only)]


def target_for(spec: CommandSpec, node: NodeView | None, snapshot: Snapshot) -> str | None:
    """The command's target given the selected node, or :class:`NoTarget` saying what to select."""
    if not spec.target_required:
        return None
    if "alert" in spec.targets:
        firing = [a for a in snapshot.alerts if a.state == "firing" and not a.acknowledged]
        if not firing:
            raise NoTarget("no unacknowledged alert is firing")
        if node is not None:
            mine = [a for a in firing if a.node == node.name]
            if mine:
                return mine[0].id
        return sorted(firing, key=lambda a: a.since)[0].id
    if node is None:
        raise NoTarget(f"select a {_kinds(spec)} first")
    if "region" in spec.targets:
        return node.region
    if spec.name == "scale" and node.kind == "app_server":
        return node.group or node.name
    if "*" in spec.targets and node.kind != "client":
        return node.name
    if node.kind in spec.targets:
        return node.name
    raise NoTarget(f"'{spec.name}' applies to a {_kinds(spec)}; {node.name} is a {node.kind.replace('_', ' ')}")


def default_args(spec: CommandSpec, node: NodeView | None, snapshot: Snapshot, target: str | None = None) -> dict[str, Any]:
    """Sensible starting values for a command's arguments (the dialog lets the trainee change them)."""
    args: dict[str, Any] = {}
    for arg in spec.args:
        if arg.default is not None:
            args[arg.name] = arg.default
    if spec.name == "replication" and node is not None:
        args["mode"] = "async" if node.metric("sync") else "sync"
    if spec.name == "shift":
        others = choices_for(spec, "to", node, snapshot, target)
        if others:
            args["to"] = others[0]
    return args


def choices_for(
    spec: CommandSpec, arg_name: str, node: NodeView | None, snapshot: Snapshot, target: str | None = None
) -> tuple[str, ...]:
    """Allowed values of an argument when they are a closed set."""
    for arg in spec.args:
        if arg.name == arg_name and arg.choices:
            return arg.choices
    if spec.name == "shift" and arg_name == "to":
        source = target or (node.region if node is not None else None)
        return tuple(r for r in snapshot.regions if r != source)
    return ()


def palette_targets(spec: CommandSpec, snapshot: Snapshot) -> list[str | None]:
    """Every target the palette offers for a command now."""
    if not spec.target_required:
        return [None]
    if "alert" in spec.targets:
        return [a.id for a in snapshot.alerts if a.state == "firing" and not a.acknowledged]
    if "region" in spec.targets:
        return list(snapshot.regions)
    out: list[str | None] = []
    for node in snapshot.nodes:
        if applies_to(spec, node):
            target = node.group or node.name if spec.name == "scale" else node.name
            if target not in out:
                out.append(target)
    return out
