"""Switch a service's feature off (graceful degradation) and on again."""

from __future__ import annotations

from dataclasses import dataclass

from engine.commands.base import Command, CommandContext, Refused, command, node_named


@command(name="degrade", title="Switch feature off", key="D", targets=("service",), destructive=False, duration=1.0)
@dataclass(frozen=True)
class DegradeFeature(Command):
    """Switch a feature off: requests that use it are served without it (degraded)."""

    def check(self, ctx: CommandContext) -> float:
        node = node_named(ctx, self.target, ("service",))
        if node.feature_off:
            raise Refused(f"feature {node.spec.feature or node.name} is already off")
        hard = [s for s in ctx.graph.predecessors(node.name) if ctx.graph.edges[s, node.name]["required"]]
        if hard:
            raise Refused(
                f"{node.name} is a hard dependency of {', '.join(hard)}: switching it off would fail those requests"
            )
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> None:
        ctx.changed()
        ctx.nodes[self.target].feature_off = True


@command(name="enable", title="Switch feature on", key="E", targets=("service",), duration=1.0)
@dataclass(frozen=True)
class EnableFeature(Command):
    """Switch a degraded feature back on."""

    def check(self, ctx: CommandContext) -> float:
        node = node_named(ctx, self.target, ("service",))
        if not node.feature_off:
            raise Refused(f"feature {node.spec.feature or node.name} is already on")
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> None:
        ctx.changed()
        ctx.nodes[self.target].feature_off = False
