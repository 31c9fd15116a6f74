"""Where problems sit and how they read: key paths, the problem collector and the small wording helpers.

A :class:`Collector` gathers the problems of one file and maps key paths to the
line and column the YAML reader recorded; the helpers word values, articles and
"did you mean" suggestions the way every loader message does.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from engine.scenario.problems import Problem


Key = str | int
"""One element of a key path: a mapping key or a list index."""
KeyPath = tuple[Key, ...]
"""Where a value sits in a document, e.g. ``("method", 2, "target")``."""
Position = tuple[int, int]
"""A 1-based (line, column)."""


class Collector:
    """Gathers the problems of one file and locates key paths in it."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[KeyPath, Position] = {}
        self.problems: list[Problem] = []
        self.broken: set[KeyPath] = set()
        """Paths whose YAML value could not be read (already reported; schema errors there are noise)."""

    def add(self, path: KeyPath, message: str) -> None:
        """Report a problem at ``path`` (or at its nearest ancestor with a known position)."""
        line, column = self.locate(path) or (None, None)
        self.problems.append(Problem(self.file, line, column, format_path(path), message))

    def add_at(self, line: int | None, column: int | None, message: str, path: KeyPath = ()) -> None:
        """Report a problem at an explicit position."""
        self.problems.append(Problem(self.file, line, column, format_path(path), message))

    def locate(self, path: KeyPath) -> Position | None:
        """The position of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            position = self.positions.get(path[:end])
            if position is not None:
                return position
        return None

    def line_of(self, path: KeyPath) -> int | None:
        """The line of ``path`` (or its nearest located ancestor)."""
        position = self.locate(path)
        return position[0] if position else None

    def result(self) -> list[Problem]:
        """The problems without repeats, in file order."""
        unique = list(dict.fromkeys(self.problems))
        return sorted(unique, key=Problem.sort_key)


def format_path(path: Iterable[Key]) -> str:
    """Write a key path the way authors read it: ``method[2].target``, ``topology.nodes.db-1``."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
    return text


def suggest(word: object, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when ``word`` is close to one of ``choices``, else ``""``."""
    close = difflib.get_close_matches(str(word), sorted(set(choices)), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def show(value: Any) -> str:
    """A value as an author would recognise it in their file."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return str(value)


def article(word: str) -> str:
    """``"an app_server"``, ``"a database"``."""
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def number(value: float) -> str:
    """``60`` rather than ``60.0``."""
    return f"{value:g}"


def join_or(words: list[str]) -> str:
    """``"a, b or c"``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


class Prefixed(Collector):
    """A collector that reports into another one under a key-path prefix."""

    def __init__(self, inner: Collector, prefix: KeyPath) -> None:
        super().__init__(inner.file)
        self._inner = inner
        self._prefix = prefix

    def add(self, path: KeyPath, message: str) -> None:
        self._inner.add(self._prefix + path, message)
