"""Shed load at a load balancer."""

from __future__ import annotations

from dataclasses import dataclass

from engine.commands.base import ArgSpec, Command, CommandContext, Refused, command, vip_named


@command(
    name="shed",
    title="Shed load",
    key="L",
    targets=("load_balancer",),
    destructive=True,
    duration=0.0,
    args=(ArgSpec("percent", float, "share of requests rejected at the load balancer (0 stops shedding)", 20.0),),
)
@dataclass(frozen=True)
class ShedLoad(Command):
    """Reject a share of requests at the load balancer with a fast 503, to save the rest."""

    percent: float = 20.0

    def check(self, ctx: CommandContext) -> float:
        vip_named(ctx, self.target)
        if not 0 <= self.percent <= 95:
            raise Refused("shed between 0 and 95 percent")
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> None:
        ctx.changed()
        vip, _ = vip_named(ctx, self.target)
        vip.shed = self.percent / 100.0

    def preview(self, ctx: CommandContext) -> str:
        vip, _ = vip_named(ctx, self.target)
        return f"reject {self.percent:g}% of requests at {vip.name} with a fast 503"
