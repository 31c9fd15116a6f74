"""Reveal the drill's next hint."""

from __future__ import annotations

from dataclasses import dataclass

from engine.commands.base import Command, CommandContext, Refused, command


@command(name="hint", purpose="respond", title="Reveal next hint", key="H", targets=(), duration=0.0, target_required=False, footer=True,
         uses_hints=True)
@dataclass(frozen=True)
class RevealHint(Command):
    """Reveal the next hint now, at its score cost."""

    def check(self, ctx: CommandContext) -> float:
        if _next_hint(ctx) is None:
            raise Refused("no hints left")
        return super().check(ctx)

    def apply(self, ctx: CommandContext) -> None:
        index = _next_hint(ctx)
        ctx.reveal_hint(index, ctx.scenario.hints[index].cost)


def _next_hint(ctx: CommandContext) -> int | None:
    for index in range(len(ctx.scenario.hints)):
        if index not in ctx.hints_revealed:
            return index
    return None
