"""Restart a node."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from engine.commands.base import Command, CommandContext, Refused, command, node_named


@command(name="restart", title="Restart node", key="R", targets=("*",), destructive=True, duration=0.0)
@dataclass(frozen=True)
class RestartNode(Command):
    """Restart a node; a database rejoins its cluster as a replica of the current primary."""

    def check(self, ctx: CommandContext) -> float:
        node = node_named(ctx, self.target)
        if node.kind == "client":
            raise Refused("users cannot be restarted")
        if node.destroyed:
            raise Refused(f"{node.name} was destroyed; its disk is gone (scale out or rebuild instead)")
        if node.booting:
            raise Refused(f"{node.name} is already starting")
        if node.held:
            raise Refused(f"{node.name} is out on its provider's side; restarting our end does not bring it back")
        if ctx.dark_node(node):
            raise Refused(f"{node.name}'s region {node.region} is unreachable")
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> Iterator[Any]:
        return ctx.boot(ctx.nodes[self.target])

    def process_time(self, ctx: CommandContext) -> float:
        return ctx.boot_time(ctx.nodes[self.target])

    def preview(self, ctx: CommandContext) -> str:
        return f"restart {self.target}: down for about {ctx.boot_time(ctx.nodes[self.target]):.0f} s"
