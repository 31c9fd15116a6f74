"""Drain an app server out of rotation, and put it back."""

from __future__ import annotations

from dataclasses import dataclass

from engine.commands.base import Command, CommandContext, Refused, command, node_named


@dataclass(frozen=True)
class _Rotation(Command):
    """Drain or undrain: set whether the load balancers send the app server new requests."""

    drained = True  # what the command sets

    def check(self, ctx: CommandContext) -> float:
        node = node_named(ctx, self.target, ("app_server",))
        if node.drained == self.drained:
            raise Refused(f"{node.name} is already drained" if self.drained else f"{node.name} is not drained")
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> None:
        ctx.changed()
        ctx.nodes[self.target].drained = self.drained


@command(name="drain", title="Drain node", key="N", targets=("app_server",), duration=0.0)
@dataclass(frozen=True)
class DrainNode(_Rotation):
    """Stop sending new requests to an app server (it finishes what it has)."""

    drained = True


@command(name="undrain", title="Return node to rotation", key="U", targets=("app_server",), duration=0.0)
@dataclass(frozen=True)
class UndrainNode(_Rotation):
    """Put a drained app server back into rotation."""

    drained = False
