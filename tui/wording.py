"""How the console words what does not fit one line (a file's path, a cut title) and values from the journal.

Rich wraps at spaces and folds a word longer than the line anywhere inside it,
so a path in a dialog or a notice came out cut mid-name. :func:`shown_path`
puts the folder and the file name on lines of their own (the home folder as
``~``), each whole where the line allows; :func:`clip` shortens a text that must
stay on one line at a word, with an ellipsis. :func:`value_words` writes a
journal value (a list, a number, a mapping) with the engine's formatters, never
as a Python repr.
"""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len

from engine.scoring.format import count, names, number


def shown_folder(folder: Path | str) -> str:
    """A folder as the trainee reads it: ``~`` for the home folder, ending in ``/``."""
    text = str(folder)
    home = str(Path.home())
    if text == home or text.startswith(home + "/"):
        text = "~" + text[len(home):]
    return text.rstrip("/") + "/"


def shown_path(path: Path | str) -> str:
    """``path`` as two lines: its folder (:func:`shown_folder`) and its file name."""
    path = Path(path)
    return f"{shown_folder(path.parent)}\n{path.name}"


def clip(text: str, width: int) -> str:
    """``text`` if it fits ``width`` cells, else cut at the last word that fits, with ``…``.

    A first word longer than the line is cut inside it (nothing else fits); never an empty result for a text.
    """
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:max(width, 0)]
    room = width - 1
    words = text.split(" ")
    kept = ""
    for word in words:
        candidate = f"{kept} {word}" if kept else word
        if cell_len(candidate) > room:
            break
        kept = candidate
    if not kept:
        kept = text[:room]
    return kept.rstrip(" ,;:-—") + "…"


def value_words(value: object) -> str:
    """A journal value as people write it: ``db-1 and db-3`` for a list, ``14,314`` and ``0.5`` for numbers
    (never ``['db-1', 'db-3']``, ``14314`` or ``1.434e+04``), ``eu-west 0, us-east 2`` for a mapping."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return count(value)
    if isinstance(value, float):
        return number(value, 4)
    if isinstance(value, dict):
        return ", ".join(f"{k} {value_words(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return names(value_words(v) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value))
    return str(value)
