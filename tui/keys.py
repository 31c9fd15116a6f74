"""Key bindings derived from the engine's command declarations (one binding per command)."""

from __future__ import annotations

from textual.binding import Binding

from engine.commands import command_specs

KEY_NAMES = {"+": "plus", "-": "minus", ":": "colon", "?": "question_mark", "/": "slash"}
"""Textual key names of the characters command keys use."""


def key_name(key: str) -> str:
    """The Textual name of a command's key (``+`` is ``plus``)."""
    return KEY_NAMES.get(key, key)


def command_bindings() -> list[Binding]:
    """One binding per engine command, from its declaration."""
    return [
        Binding(key_name(spec.key), f"command('{spec.name}')", spec.title, show=spec.footer)
        for spec in command_specs()
    ]
