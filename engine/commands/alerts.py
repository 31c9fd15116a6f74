"""Acknowledge a firing alert."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.commands.base import Command, CommandContext, NoTarget, Refused, command

if TYPE_CHECKING:
    from engine.sim.snapshot import NodeView, Snapshot


@command(name="ack", purpose="respond", title="Acknowledge alert", key="a", targets=("alert",), duration=0.0, footer=True)
@dataclass(frozen=True)
class AcknowledgeAlert(Command):
    """Acknowledge a firing alert: you are on it."""

    def check(self, ctx: CommandContext) -> float:
        alert = ctx.alerts.instances.get(self.target or "")
        if alert is None or alert.state != "firing":
            raise Refused(f"no firing alert '{self.target}'")
        if alert.acknowledged:
            raise Refused(f"alert '{self.target}' is already acknowledged")
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> None:
        alert = ctx.alerts.instances[self.target]
        alert.acknowledged = True
        ctx.record("AlertAcknowledged", alert=alert.id)

    @classmethod
    def offered_on(cls, node: NodeView, snapshot: Snapshot | None = None) -> bool:
        return True

    @classmethod
    def target_for(cls, node: NodeView | None, snapshot: Snapshot) -> str | None:
        """The selected node's firing alert, else the oldest one that nobody acknowledged."""
        firing = _unacknowledged(snapshot)
        if not firing:
            raise NoTarget("no unacknowledged alert is firing")
        if node is not None:
            mine = [a for a in firing if a.node == node.name]
            if mine:
                return mine[0].id
        return sorted(firing, key=lambda a: a.since)[0].id

    @classmethod
    def palette_targets(cls, snapshot: Snapshot) -> list[str | None]:
        return [a.id for a in _unacknowledged(snapshot)]


def _unacknowledged(snapshot: Snapshot) -> list:
    return [a for a in snapshot.alerts if a.state == "firing" and not a.acknowledged]
