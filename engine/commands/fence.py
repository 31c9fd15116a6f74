"""Fence a node (STONITH)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.commands.base import Command, CommandContext, Refused, command, node_named


@command(name="fence", title="Fence node", key="X", targets=("*",), destructive=True, duration=2.0)
@dataclass(frozen=True)
class FenceNode(Command):
    """Power a node off and keep it off (STONITH), so it can never serve or accept writes."""

    def check(self, ctx: CommandContext) -> float:
        node = node_named(ctx, self.target)
        if node.fenced:
            raise Refused(f"{node.name} is already fenced")
        if node.destroyed:
            raise Refused(f"{node.name} no longer exists")
        if node.kind == "client":
            raise Refused("users cannot be fenced")
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> None:
        node = ctx.nodes[self.target]
        ctx.changed()
        was_up = node.up
        node.fenced = True
        ctx.record("NodeFenced", node=node.name)
        if was_up:
            ctx.after_down(node)

    def preview(self, ctx: CommandContext) -> str:
        node = ctx.nodes[self.target]
        extra = ""
        if node.kind == "database" and node.role == "primary" and ctx.cluster_of[node.name].writer == node.name:
            extra = "; it is the cluster's writer: writes will fail until a replica is promoted"
        return f"power off {self.target} and keep it off; it will not serve until restarted{extra}"
