"""Damage valid files the ways disks, editors and attackers do: the hostile-input tests' mutators.

Every reader of spofdrill must survive any file (issue 11): these helpers
turn a valid file into a damaged one, one mutation at a time, choosing with
a ``random.Random`` so that a hypothesis-drawn seed reproduces the file:

* bytes: :func:`truncate` (a copy or a write cut short), :func:`flip` (bit
  rot, a bad sector), :func:`splice` (garbage pasted in);
* structure, for JSON and YAML documents: :func:`retype` (a value of the
  wrong type: a list for a name, text for a number, null), :func:`nest` (a
  value nested thousands deep), :func:`grow` (a number grown past any sane
  range: 1e308, a 5,000-digit integer, -1, NaN, infinity).

:func:`mutate_json`, :func:`mutate_jsonl` and :func:`mutate_yaml` pick one of
them; :data:`KINDS` names them for the tests' parametrisation.
Not a test module (pytest collects ``test_*.py`` only).
"""

from __future__ import annotations

import json
import random
from typing import Any, Callable

import yaml

BIG = "1" + "0" * 5000
"""An integer literal past Python's 4,300-digit conversion limit."""
_BIG_MARK = "\x00big\x00"
_NAN_MARK = "\x00nan\x00"
_INF_MARK = "\x00inf\x00"

HOSTILE_VALUES: tuple[Any, ...] = (
    None, True, False, -1, 0, 2**63, -(2**63) - 1, 1e308, -1e308, 1e-308, 0.0001,
    "", "x", "seven", "../../etc/passwd", "\u202e\u0000", "x" * 100_000,
    [], [1], ["a", None], {}, {"a": 1}, _BIG_MARK, _NAN_MARK, _INF_MARK,
)
"""What a value may be replaced by: wrong types, extremes, huge text, and (as marks) NaN, infinity and a 5,000-digit int."""


# --------------------------------------------------------------------------- bytes


def truncate(data: bytes, rng: random.Random) -> bytes:
    """The file cut short at a random byte (possibly mid-character, possibly empty)."""
    return data[: rng.randrange(len(data) + 1)] if data else data


def flip(data: bytes, rng: random.Random) -> bytes:
    """One to eight bytes replaced by random ones."""
    if not data:
        return bytes([rng.randrange(256)])
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def splice(data: bytes, rng: random.Random) -> bytes:
    """Garbage (control characters, brackets, quotes, a NUL, invalid UTF-8) pasted in at a random place."""
    junk = rng.choice([b"\x00", b"\xff\xfe", b"{", b"[[[[", b'"', b"\n\n", b"}\n{", b"\\u0000", b"\x1b[2J", b"\xed\xa0\x80"])
    at = rng.randrange(len(data) + 1)
    return data[:at] + junk * rng.randint(1, 4) + data[at:]


# --------------------------------------------------------------------------- structure


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a document (the root included)."""
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.extend(_paths(value, prefix + (key,)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out.extend(_paths(value, prefix + (index,)))
    return out


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        copy = dict(doc)
        copy[head] = _replace(doc[head], rest, value)
        return copy
    copy = list(doc)
    copy[head] = _replace(doc[head], rest, value)
    return copy


def _pick_path(doc: Any, rng: random.Random, numbers_only: bool = False) -> tuple | None:
    paths = _paths(doc)
    if numbers_only:
        paths = [p for p in paths if _is_number(_get(doc, p))]
    else:  # a leaf more often than a whole subtree, a top-level field (a row's args, its target) often too
        leaves = [p for p in paths if not isinstance(_get(doc, p), (dict, list))]
        top = [p for p in paths if len(p) == 1]
        roll = rng.random()
        paths = leaves if leaves and roll < 0.5 else top if top and roll < 0.8 else paths
    return rng.choice(paths) if paths else None


def _get(doc: Any, path: tuple) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def retype(doc: Any, rng: random.Random) -> Any:
    """One value (usually a leaf) replaced by a hostile one of another type or size."""
    path = _pick_path(doc, rng)
    return doc if path is None else _replace(doc, path, rng.choice(HOSTILE_VALUES))


_NESTED: dict[str, str] = {}
"""Marks standing for deeply nested JSON text (no encoder writes 5,000 levels: the text is spliced in)."""


def nest(doc: Any, rng: random.Random) -> Any:
    """One value wrapped in lists or objects thousands deep (past Python's recursion limit)."""
    path = _pick_path(doc, rng)
    if path is None:
        return doc
    depth = rng.choice([50, 1_200, 5_000])
    inner = _get(doc, path)
    text = json.dumps(inner if not isinstance(inner, (dict, list)) else [])
    opening, closing = ("[", "]") if rng.random() < 0.5 else ('{"a":', "}")
    mark = f"\x00nest{len(_NESTED)}\x00"
    _NESTED[mark] = opening * depth + text + closing * depth
    return _replace(doc, path, mark)


def grow(doc: Any, rng: random.Random) -> Any:
    """One number grown past any sane range (or to NaN, infinity, a negative, zero)."""
    path = _pick_path(doc, rng, numbers_only=True)
    if path is None:
        return retype(doc, rng)
    old = _get(doc, path)
    new = rng.choice([old * 1e9, old * 1e300, -abs(old) - 1, 0, 1e-9, 2**70, _BIG_MARK, _NAN_MARK, _INF_MARK, 1e308])
    return _replace(doc, path, new)


STRUCTURAL: dict[str, Callable[[Any, random.Random], Any]] = {"retype": retype, "nest": nest, "grow": grow}
BYTEWISE: dict[str, Callable[[bytes, random.Random], bytes]] = {"truncate": truncate, "flip": flip, "splice": splice}
KINDS: tuple[str, ...] = (*BYTEWISE, *STRUCTURAL)
"""The names of the mutations, bytes first."""


# --------------------------------------------------------------------------- documents


def json_text(doc: Any, **dump: Any) -> str:
    """JSON with the marks written as what no encoder writes: NaN, Infinity and a 5,000-digit integer."""
    text = json.dumps(doc, ensure_ascii=False, **dump)
    for mark, nested in _NESTED.items():
        text = text.replace(json.dumps(mark), nested)
    return (text.replace(json.dumps(_BIG_MARK), BIG).replace(json.dumps(_NAN_MARK), "NaN")
            .replace(json.dumps(_INF_MARK), "Infinity"))


def mutate_json(data: bytes, kind: str, rng: random.Random) -> bytes:
    """A JSON document (a bundle, a drill header) with one mutation of ``kind``."""
    if kind in BYTEWISE:
        return BYTEWISE[kind](data, rng)
    doc = json.loads(data)
    return json_text(STRUCTURAL[kind](doc, rng), indent=1).encode("utf-8")


def mutate_jsonl(data: bytes, kind: str, rng: random.Random) -> bytes:
    """A journal (JSON Lines) with one mutation of ``kind`` in one line (structural kinds keep one object per line)."""
    if kind in BYTEWISE:
        return BYTEWISE[kind](data, rng)
    lines = data.decode("utf-8").splitlines()
    if not lines:
        return data
    # command rows are where the readers have the most to check: hit them more often
    commands = [i for i, line in enumerate(lines) if '"Command' in line or '"TraineeLeft"' in line]
    index = rng.choice(commands) if commands and rng.random() < 0.6 else rng.randrange(len(lines))
    lines[index] = json_text(STRUCTURAL[kind](json.loads(lines[index]), rng), sort_keys=False, separators=(",", ":"))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _yaml_value(value: Any) -> Any:
    if value == _BIG_MARK:
        return int(BIG[:4000])  # YAML has no 5,000-digit limit to test; a 4,000-digit integer is hostile enough
    if value == _NAN_MARK:
        return float("nan")
    if value == _INF_MARK:
        return float("inf")
    if isinstance(value, dict):
        return {k: _yaml_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_yaml_value(v) for v in value]
    return value


def mutate_yaml(data: bytes, kind: str, rng: random.Random) -> bytes:
    """A scenario or action script (YAML) with one mutation of ``kind``."""
    if kind in BYTEWISE:
        return BYTEWISE[kind](data, rng)
    doc = yaml.safe_load(data)
    if kind == "nest":  # a YAML flow collection thousands deep, as an attacker would write it
        depth = rng.choice([50, 1_200, 5_000])
        path = _pick_path(doc, rng)
        if path:
            return yaml.safe_dump(_replace(doc, path, "ZZDEEPZZ"), sort_keys=False).replace(
                "ZZDEEPZZ", "[" * depth + "]" * depth).encode("utf-8")
    return yaml.safe_dump(_yaml_value(STRUCTURAL[kind](doc, rng)), sort_keys=False, allow_unicode=True).encode("utf-8")
