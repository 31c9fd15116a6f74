"""The trainee's name: asked once for assessments, kept in ``trainee.json`` in the data folder.

Results and journals carry the name of whoever drilled. Assessment drills ask
for it once (the console's name dialog) and keep it in
``data_dir()/trainee.json``, written atomically; later drills, assessment or
practice, use the stored name (``--trainee NAME`` overrides it for one run).
Practice drills with no stored name use :data:`DEFAULT_NAME`.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from engine.util.jsontext import parse_json
from engine.util.files import data_dir, read_limited, write_atomic
from engine.util.limits import MAX_SMALL_FILE_BYTES

FILE_NAME = "trainee.json"
"""The file in :func:`engine.util.files.data_dir` that keeps the name."""
DEFAULT_NAME = "trainee"
"""The name of practice drills when no name is stored."""
MAX_LENGTH = 40
"""The longest name accepted, in characters."""


class TraineeNameError(ValueError):
    """A name that cannot be used; the message says why, to the trainee."""


def check_name(text: str) -> str:
    """The name trimmed of surrounding spaces; :class:`TraineeNameError` when empty, too long or not printable."""
    name = " ".join(str(text).split())
    if not name:
        raise TraineeNameError("Type your name: it is recorded with the results of this assessment.")
    if len(name) > MAX_LENGTH:
        raise TraineeNameError(f"That name is {len(name)} characters long; at most {MAX_LENGTH}, please.")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise TraineeNameError("The name has a control character in it; use letters, digits and punctuation.")
    return name


def path() -> Path:
    """Where the name is kept."""
    return data_dir() / FILE_NAME


def stored_name() -> str | None:
    """The stored name, or None when there is none (or the file is unreadable or holds no valid name)."""
    try:
        data = parse_json(read_limited(path(), MAX_SMALL_FILE_BYTES, "the trainee's name").decode("utf-8"))
        return check_name(data["name"]) if isinstance(data, dict) and isinstance(data.get("name"), str) else None
    except (OSError, ValueError, UnicodeDecodeError):  # TraineeNameError is a ValueError
        return None


def store_name(name: str) -> Path:
    """Keep the name (checked) for later drills; raises :class:`TraineeNameError` or :class:`engine.util.files.WriteError`."""
    return write_atomic(path(), json.dumps({"name": check_name(name)}, ensure_ascii=False) + "\n")
