"""Put a database cluster in read-only mode at the application."""

from __future__ import annotations

from dataclasses import dataclass

from engine.commands.base import ArgSpec, Command, CommandContext, Refused, command, node_named


@command(
    name="read-only",
    title="Read-only mode",
    key="O",
    targets=("database",),
    destructive=True,
    duration=1.0,
    args=(ArgSpec("enabled", bool, "true to refuse writes, false to accept them again", True),),
)
@dataclass(frozen=True)
class ReadOnlyMode(Command):
    """Refuse writes at the application for a cluster (reads keep working)."""

    enabled: bool = True

    def check(self, ctx: CommandContext) -> float:
        node = node_named(ctx, self.target, ("database",))
        if ctx.cluster_of[node.name].read_only == self.enabled:
            raise Refused(f"cluster {node.cluster} is already {'read-only' if self.enabled else 'accepting writes'}")
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> None:
        ctx.changed()
        ctx.cluster_of[self.target].read_only = self.enabled

    def preview(self, ctx: CommandContext) -> str:
        return f"{'refuse' if self.enabled else 'accept'} writes to cluster {ctx.nodes[self.target].cluster}"
