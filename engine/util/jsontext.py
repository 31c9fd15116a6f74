"""JSON text from files we did not write: one parser whose only failure is :class:`json.JSONDecodeError`.

``json.loads`` also fails with ``RecursionError`` (arrays or objects nested deeper
than the interpreter's recursion limit) and with ``ValueError`` (an integer of
more than 4,300 digits, CPython's conversion limit). Readers of journals,
bundles, headers, the history and the trainee's name catch decode errors and
report them with the file's name; this makes the other two the same kind of
error, so no hostile file gets past them as a traceback.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["parse_json"]


def parse_json(text: str) -> Any:
    """Parse JSON text; any failure is a :class:`json.JSONDecodeError` saying what is wrong."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply to read", text, 0) from None
    except ValueError as exc:  # CPython's limit on the digits of an integer (sys.get_int_max_str_digits)
        raise json.JSONDecodeError(f"a number too long to read ({exc})", text, 0) from None
