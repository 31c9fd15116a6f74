"""Shift traffic between regions with DNS weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.commands.base import ArgSpec, Command, CommandContext, NoTarget, Refused, command

if TYPE_CHECKING:
    from engine.sim.snapshot import NodeView, Snapshot

# Nodes that stand outside the regions' request path: shifting "their" region means nothing.
_OUTSIDE = ("client", "dns", "cdn")


@command(
    name="shift",
    title="Shift traffic between regions",
    key="S",
    targets=("region",),
    destructive=True,
    duration=2.0,
    args=(
        ArgSpec("to", str, "region receiving the traffic"),
        ArgSpec("percent", float, "share of the source region's traffic to move", 100.0),
    ),
)
@dataclass(frozen=True)
class ShiftTraffic(Command):
    """Change DNS weights: move a share of a region's traffic to another region (clients follow over the TTL)."""

    to: str = ""
    percent: float = 100.0

    def check(self, ctx: CommandContext) -> float:
        regions = ctx.scenario.topology.regions
        if self.target not in regions:
            raise Refused(f"there is no region '{self.target}'")
        if self.to not in regions:
            raise Refused(f"there is no region '{self.to}'")
        if self.to == self.target:
            raise Refused("shift needs two different regions")
        if not 0 < self.percent <= 100:
            raise Refused("percent must be above 0 and at most 100")
        if not ctx.dns_state:
            raise Refused("there is no DNS traffic manager to shift traffic with")
        if not any(self.to in state["to"] for state in ctx.dns_state.values()):
            raise Refused(f"no DNS answers with region {self.to}")
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> None:
        for dns, state in ctx.dns_state.items():
            weights = dict(state.get("requested", state["to"]))
            if self.target not in weights or self.to not in weights:
                continue
            moved = weights[self.target] * self.percent / 100.0
            weights[self.target] -= moved
            weights[self.to] += moved
            ctx.set_dns(dns, weights, f"shift {self.percent:g}% {self.target} -> {self.to}")

    def preview(self, ctx: CommandContext) -> str:
        ttl = max((ctx.nodes[d].spec.ttl for d in ctx.dns_state), default=0)
        return f"move {self.percent:g}% of {self.target}'s traffic to {self.to}; clients follow over the {ttl:.0f} s DNS TTL"

    @classmethod
    def offered_on(cls, node: NodeView, snapshot: Snapshot | None = None) -> bool:
        """On a node of a region, when the drill has another region to shift to."""
        regions = len(snapshot.regions) if snapshot is not None else node.drill_regions
        return node.kind not in _OUTSIDE and regions > 1

    @classmethod
    def target_for(cls, node: NodeView | None, snapshot: Snapshot) -> str | None:
        """The selected node's region."""
        if node is None:
            raise NoTarget(f"select a {cls.kinds()} first")
        return node.region

    @classmethod
    def default_args(cls, node: NodeView | None, snapshot: Snapshot, target: str | None = None) -> dict[str, Any]:
        """To the first other region."""
        args = super().default_args(node, snapshot, target)
        others = cls.choices_for("to", node, snapshot, target)
        if others:
            args["to"] = others[0]
        return args

    @classmethod
    def choices_for(
        cls, arg_name: str, node: NodeView | None, snapshot: Snapshot, target: str | None = None
    ) -> tuple[str, ...]:
        """``to``: every region but the source."""
        if arg_name == "to":
            source = target or (node.region if node is not None else None)
            return tuple(r for r in snapshot.regions if r != source)
        return super().choices_for(arg_name, node, snapshot, target)

    @classmethod
    def palette_targets(cls, snapshot: Snapshot) -> list[str | None]:
        """Every region, when there is more than one."""
        return list(snapshot.regions) if len(snapshot.regions) > 1 else []
