"""The command palette (ctrl+p or :): every trainee command on every target it applies to, searched by its words.

A query matches a command on a target by the words the console shows for it
elsewhere: the command's name, its title (the key's and the menu's label,
"Fail over load balancer") and help, the target's name and its kind ("load
balancer", "database", "app server"), case- and space-insensitively: "fail
over" finds ``failover``, "promote database" lists ``promote`` on each
database. The fuzzy match of the entry's own text still counts (``fo lb1``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Callable, Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider

from engine.commands import CommandSpec, command_specs
from engine.sim.snapshot import Snapshot

from .session import DrillSession
from .targets import palette_targets


class CommandHost(Protocol):
    """What the palette needs of the screen it serves (the drill screen): its snapshot, session and command entry."""

    last_snapshot: Snapshot | None
    session: DrillSession

    def run_command(self, name: str, target: str | None) -> None: ...


@dataclass(frozen=True)
class Candidate:
    """One entry of the palette: a command on a target, and the words it is found by."""

    text: str
    """What the entry shows and runs: ``failover lb-1``."""
    help: str
    callback: Callable[[], None]
    words: str
    """Its name, title, target and the target's kind, squashed (lower case, no spaces), ``|`` between them."""
    help_words: str
    """Its help text, squashed the same way."""


def squash(text: str) -> str:
    """Lower case without white space: "Fail over" and "failover" are the same words."""
    return "".join(text.lower().split())


def kind_words(target: str | None, snapshot: Snapshot) -> tuple[str, ...]:
    """How the console names what ``target`` is: "load balancer" for a node of kind ``load_balancer``…"""
    if target is None:
        return ()
    for node in snapshot.nodes:
        if node.name == target:
            return (node.kind.replace("_", " "), node.label)
    members = {node.kind.replace("_", " ") for node in snapshot.nodes if node.group == target}
    if members:
        return ("group", *sorted(members))
    if target in snapshot.regions:
        return ("region",)
    for alert in snapshot.alerts:
        if alert.id == target:
            return ("alert", alert.rule, alert.node or "")
    return ()


def word_score(query: str, candidate: Candidate) -> float:
    """How well every word of ``query`` is found in the candidate's words: 0 when one is not."""
    words = [squash(word) for word in re.split(r"\s+", query.strip()) if word]
    if not words:
        return 0.0
    whole = squash(query)
    if whole in candidate.words:
        return 0.8 if candidate.words.startswith(whole) else 0.7
    if all(word in candidate.words for word in words):
        return 0.6
    if all(word in candidate.words or word in candidate.help_words for word in words):
        return 0.3
    return 0.0


class DrillCommands(Provider):
    """Commands of the drill, built from the engine's declarations."""

    def _candidates(self) -> list[Candidate]:
        screen: CommandHost = self.screen  # type: ignore[assignment]
        snapshot = screen.last_snapshot
        if snapshot is None:
            return []
        out = []
        for spec in command_specs():
            if spec.hunt_only and not screen.session.scenario.spof_hunt:
                continue
            for target in palette_targets(spec, snapshot):
                out.append(self._candidate(spec, target, snapshot, screen))
        return out

    @staticmethod
    def _candidate(spec: CommandSpec, target: str | None, snapshot: Snapshot, screen: CommandHost) -> Candidate:
        text = f"{spec.name} {target}" if target else spec.name
        help_text = f"[{spec.key}] {spec.help}" + (" (asks for confirmation)" if spec.destructive else "")
        words = "|".join(squash(part) for part in (text, spec.title, *kind_words(target, snapshot)) if part)
        return Candidate(text, help_text, partial(screen.run_command, spec.name, target), words, squash(spec.help))

    async def discover(self) -> Hits:
        for candidate in self._candidates():
            yield DiscoveryHit(candidate.text, candidate.callback, help=candidate.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for candidate in self._candidates():
            score = max(matcher.match(candidate.text), word_score(query, candidate))
            if score > 0:
                yield Hit(score, matcher.highlight(candidate.text), candidate.callback, text=candidate.text,
                          help=candidate.help)
