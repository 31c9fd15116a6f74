"""SPOF hunt: mark a component as a single point of failure."""

from __future__ import annotations

from dataclasses import dataclass

from engine.commands.base import Command, CommandContext, Refused, command, node_named


@command(name="mark", purpose="respond", title="Mark as a SPOF", key="m", targets=("*",), duration=0.0, hunt_only=True)
@dataclass(frozen=True)
class MarkSpof(Command):
    """SPOF hunt: mark (or unmark) a component you believe is a single point of failure, before failures start."""

    def check(self, ctx: CommandContext) -> float:
        node = node_named(ctx, self.target)
        if not ctx.scenario.spof_hunt:
            raise Refused("this drill has no SPOF hunt")
        if node.kind == "client":
            raise Refused("users are not a component")
        if any(e.type == "FaultInjected" for e in ctx.journal):
            raise Refused("the hunt is over: failures have started")
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> None:
        if self.target in ctx.marks:
            ctx.marks.discard(self.target)
            ctx.record("NodeUnmarked", node=self.target)
        else:
            ctx.marks.add(self.target)
            ctx.record("NodeMarked", node=self.target)
