"""Which target and arguments a command gets from what the trainee has selected.

The key bindings, the command palette and the node's context menu all build
commands through these functions; each delegates to the command's own class
(:mod:`engine.commands`), which declares where it is offered and what it targets.
"""

from __future__ import annotations

from typing import Any

from engine.commands import CommandSpec, NoTarget, command_class, command_specs
from engine.sim.snapshot import NodeView, Snapshot

__all__ = ["NoTarget", "applies_to", "choices_for", "commands_for", "default_args", "palette_targets", "target_for"]


def applies_to(spec: CommandSpec, node: NodeView) -> bool:
    """Whether the command makes sense on this node (for menus and the detail panel)."""
    return command_class(spec).offered_on(node)


def commands_for(node: NodeView | None, *, hunt: bool = False) -> list[CommandSpec]:
    """The commands a node offers, in declaration order (hunt-only commands only in a SPOF hunt)."""
    if node is None:
        return []
    return [spec for spec in command_specs() if applies_to(spec, node) and (hunt or not spec.hunt_only)]


def target_for(spec: CommandSpec, node: NodeView | None, snapshot: Snapshot) -> str | None:
    """The command's target given the selected node, or :class:`NoTarget` saying what to select."""
    return command_class(spec).target_for(node, snapshot)


def default_args(spec: CommandSpec, node: NodeView | None, snapshot: Snapshot, target: str | None = None) -> dict[str, Any]:
    """Sensible starting values for a command's arguments (the dialog lets the trainee change them)."""
    return command_class(spec).default_args(node, snapshot, target)


def choices_for(
    spec: CommandSpec, arg_name: str, node: NodeView | None, snapshot: Snapshot, target: str | None = None
) -> tuple[str, ...]:
    """Allowed values of an argument when they are a closed set."""
    return command_class(spec).choices_for(arg_name, node, snapshot, target)


def palette_targets(spec: CommandSpec, snapshot: Snapshot) -> list[str | None]:
    """Every target the palette offers for a command now."""
    return command_class(spec).palette_targets(snapshot)
