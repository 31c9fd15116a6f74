"""Problems found in scenario and action-script files, reported all at once.

A :class:`Problem` says where (file, line, column, key path) and what is wrong,
in words a scenario author can act on; :class:`ScenarioError` carries every
problem of one file so the author fixes them in one pass instead of one per run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, located as precisely as the reader knows."""

    file: str
    """The file as the user named it (``<string>`` for text given directly)."""
    line: int | None
    """1-based line of the offending key or item, when known."""
    column: int | None
    """1-based column of the offending key or item, when known."""
    path: str
    """Dotted key path in the document, e.g. ``topology.nodes.db-1.capcity`` or ``method[2].target``."""
    message: str
    """What is wrong, e.g. ``unknown key 'capcity'; did you mean 'capacity'?``."""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        parts = [part for part in (where, self.path, self.message) if part]
        return ": ".join(parts)

    def sort_key(self) -> tuple[str, int, int]:
        """Order problems by file, then position; problems without a position come first."""
        return (self.file, self.line or 0, self.column or 0)


class ScenarioError(Exception):
    """A scenario or action script could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


__all__ = ["Problem", "ScenarioError"]
