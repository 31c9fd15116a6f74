"""Snapshots as JSON data and back: the one encoding the host sends and participants read.

:func:`encode_snapshot` turns the frozen dataclasses of :mod:`engine.sim.snapshot` into plain dicts and
lists (stable: fields in declaration order, keys sorted when dumped); :func:`decode_snapshot` rebuilds the
frozen views, checking the shape, so a participant's console reads exactly what a local drill's would.
Floats stay floats (JSON keeps them exactly); NaN and infinities are refused by :func:`dumps`.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from engine.sim.snapshot import AlertView, EdgeView, EvidenceView, NodeView, PendingView, Snapshot


class CodecError(ValueError):
    """Data that is not an encoded snapshot; the message says which field."""


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def encode_snapshot(snapshot: Snapshot) -> dict[str, Any]:
    """The snapshot as JSON data (dicts, lists, numbers, text, booleans, null)."""
    return _plain(snapshot)


def _pairs(data: Any, where: str) -> tuple:
    if not isinstance(data, list):
        raise CodecError(f"{where}: expected a list of pairs")
    out = []
    for item in data:
        if not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str):
            raise CodecError(f"{where}: expected [name, value] pairs")
        value = tuple(item[1]) if isinstance(item[1], list) else item[1]
        out.append((item[0], value))
    return tuple(out)


def _view(cls: type, data: Any, where: str, nested: dict[str, Any] | None = None) -> Any:
    if not isinstance(data, dict):
        raise CodecError(f"{where}: expected an object")
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise CodecError(f"{where}: unknown fields {sorted(unknown)}")
    kwargs = {}
    for name, value in data.items():
        convert = (nested or {}).get(name)
        if convert is not None:
            value = convert(value, f"{where}.{name}")
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise CodecError(f"{where}: {exc}") from None


def _many(cls: type, nested: dict[str, Any] | None = None):
    def convert(value: Any, where: str) -> tuple:
        if not isinstance(value, list):
            raise CodecError(f"{where}: expected a list")
        return tuple(_view(cls, item, f"{where}[{i}]", nested) for i, item in enumerate(value))
    return convert


def decode_snapshot(data: Any) -> Snapshot:
    """The frozen :class:`Snapshot` back from :func:`encode_snapshot`'s data; :class:`CodecError` when it is not one."""
    return _view(Snapshot, data, "snapshot", {
        "nodes": _many(NodeView, {"metrics": _pairs}),
        "edges": _many(EdgeView),
        "alerts": _many(AlertView),
        "pending": _many(PendingView),
        "evidence": _many(EvidenceView, {"lines": lambda v, w: tuple(v) if isinstance(v, list) else _bad(w)}),
        "metrics": _pairs,
        "history": _pairs,
    })


def _bad(where: str):
    raise CodecError(f"{where}: expected a list")


def dumps(data: Any) -> str:
    """Stable JSON text: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
