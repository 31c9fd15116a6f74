"""JSON text from files we did not write: one parser whose only failure is :class:`json.JSONDecodeError`.

``json.loads`` also fails with ``RecursionError`` (arrays or objects nested deeper
than the interpreter's recursion limit) and with ``ValueError`` (an integer of
more than 4,300 digits, CPython's conversion limit). Readers of journals,
bundles, headers, the history and the trainee's name catch decode errors and
report them with the file's name; this makes the other two the same kind of
error, so no hostile file gets past them as a traceback.

Python's parser also accepts ``NaN``, ``Infinity`` and ``-Infinity``, which
are not JSON (RFC 8259) and which spofdrill never writes: here they are a
decode error too, so no NaN reaches a simulation, a score or a comparison
from a file.
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["parse_json"]

_DIGITS = sys.get_int_max_str_digits() or 4300


class _NotJson(ValueError):
    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


def _refuse_constant(word: str) -> Any:
    raise _NotJson(word)


def parse_json(text: str) -> Any:
    """Parse JSON text; any failure is a :class:`json.JSONDecodeError` saying what is wrong."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError:
        raise
    except _NotJson as exc:
        where = text.find(exc.word)
        raise json.JSONDecodeError(f"{exc.word} is not a JSON number", text, max(where, 0)) from None
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply to read", text, 0) from None
    except ValueError:  # CPython's limit on the digits of an integer (sys.get_int_max_str_digits)
        raise json.JSONDecodeError(f"a number too long to read (more than {_DIGITS:,} digits)", text, 0) from None
