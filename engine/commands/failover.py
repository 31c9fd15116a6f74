"""Fail a virtual IP over to its standby load balancer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.commands.base import Command, CommandContext, Refused, command, vip_named

if TYPE_CHECKING:
    from engine.sim.model import Node, VipGroup


@command(
    name="failover", title="Fail over load balancer", key="F", targets=("load_balancer",), destructive=True, duration=1.0
)
@dataclass(frozen=True)
class FailOver(Command):
    """Move the virtual IP to the standby load balancer (target: the VIP or the standby)."""

    def check(self, ctx: CommandContext) -> float:
        vip, node = vip_named(ctx, self.target)
        if len(vip.members) < 2:
            raise Refused(f"{vip.name} has no standby load balancer to fail over to")
        target = node if node is not None and node.name != vip.holder else None
        if target is None:
            candidates = ctx.vip_candidates(vip)
            if not candidates:
                raise Refused(f"no standby of {vip.name} is up")
            target = candidates[0]
        if not ctx.reachable(None, target):
            raise Refused(f"{target.name} is down and cannot take the virtual IP")
        return super().check(ctx)

    def _moves(self, ctx: CommandContext) -> tuple[VipGroup, Node]:
        """The VIP group and the load balancer that takes it: the one named, else the best standby."""
        vip, node = vip_named(ctx, self.target)
        return vip, node if node is not None and node.name != vip.holder else ctx.vip_candidates(vip)[0]

    def apply(self, ctx: CommandContext) -> None:
        vip, to = self._moves(ctx)
        ctx.move_vip(vip, to.name, "manual failover")

    def preview(self, ctx: CommandContext) -> str:
        vip, to = self._moves(ctx)
        state = "up" if vip.holder and ctx.nodes[vip.holder].up else "down"
        return f"move virtual IP {vip.name} from {vip.holder} ({state}) to {to.name}"
