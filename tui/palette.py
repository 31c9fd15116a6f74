"""The command palette (ctrl+p or :): every trainee command on every target it applies to, fuzzy-searched."""

from __future__ import annotations

from functools import partial
from typing import Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider

from engine.commands import command_specs
from engine.sim.snapshot import Snapshot

from .session import DrillSession
from .targets import palette_targets


class CommandHost(Protocol):
    """What the palette needs of the screen it serves (the drill screen): its snapshot, session and command entry."""

    last_snapshot: Snapshot | None
    session: DrillSession

    def run_command(self, name: str, target: str | None) -> None: ...


class DrillCommands(Provider):
    """Commands of the drill, built from the engine's declarations."""

    def _candidates(self) -> list[tuple[str, str, object]]:
        screen: CommandHost = self.screen  # type: ignore[assignment]
        snapshot = screen.last_snapshot
        if snapshot is None:
            return []
        out = []
        for spec in command_specs():
            if spec.hunt_only and not screen.session.scenario.spof_hunt:
                continue
            for target in palette_targets(spec, snapshot):
                text = f"{spec.name} {target}" if target else spec.name
                help_text = f"[{spec.key}] {spec.help}" + (" (asks for confirmation)" if spec.destructive else "")
                out.append((text, help_text, partial(screen.run_command, spec.name, target)))
        return out

    async def discover(self) -> Hits:
        for text, help_text, callback in self._candidates():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, callback in self._candidates():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
