"""The team-drill protocol: JSON text messages over a websocket, each with the protocol version ``v``.

A participant sends ``hello`` first (name, role, secret), then ``command``, ``preview`` and (the facilitator)
``control`` (pause, resume, speed, end) and ``act`` (inject a fault, write a note) messages, each with an optional ``ref`` the answer repeats. The host answers ``welcome`` (the
scenario, seed and role), ``state`` (the snapshot the role may see, the journal entries since the last
state, paused and speed, and ``stepped``, the host's wall clock when the step was published), ``receipt``,
``preview``, ``refused`` (with the reason), ``ended`` and ``bye``. ``ended`` carries the shared debrief the host
computed once: ``score``, ``result`` and ``par`` (run summaries), the whole ``transcript`` (every command with who
gave it, the facilitator's faults and notes), ``participants`` (names and roles), the ``postmortem`` draft and
where the result ``bundle`` was written.
"""

from __future__ import annotations

import json
from typing import Any

from engine.util.jsontext import parse_json
from engine.util.limits import MAX_TEAM_MESSAGE_BYTES

VERSION = 1
"""The protocol version every message carries; a message with another one is refused."""

ROLES = ("facilitator", "commander", "operator", "observer")
"""Who takes part: the facilitator steers, the commander and operators act, observers watch."""
RESPONDERS = ("commander", "operator")
"""The roles that work the incident (investigate and issue commands)."""
SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
"""The speeds the facilitator may choose (30× and 60× are for rehearsals and tests)."""
CONTROL_OPS = ("pause", "resume", "speed", "end")
"""What the facilitator's ``control`` message may ask."""
MAX_NAME = 40
"""Characters of a participant's name."""


class ProtocolError(ValueError):
    """A message the host (or a participant) refuses; the message is the reason, sent back as is."""


def parse(text: str) -> dict[str, Any]:
    """A message from its text: an object with ``v`` equal to :data:`VERSION` and a text ``type``; else ProtocolError."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_TEAM_MESSAGE_BYTES:
        raise ProtocolError(f"a message of {size:,} bytes is over the limit of {MAX_TEAM_MESSAGE_BYTES:,} bytes")
    try:
        data = parse_json(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ProtocolError(f"not JSON ({getattr(exc, 'msg', 'nested too deeply')})") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"a message is a JSON object, not a {type(data).__name__}")
    if data.get("v") != VERSION:
        raise ProtocolError(f"protocol version {data.get('v')!r} is not supported (this host speaks {VERSION})")
    if not isinstance(data.get("type"), str):
        raise ProtocolError("a message needs a 'type'")
    return data


def message(type: str, **fields: Any) -> str:
    """A message's text: sorted keys, no spaces, no NaN."""
    return json.dumps({"v": VERSION, "type": type, **fields}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)


def check_name(name: Any) -> str:
    """A participant's name trimmed; ProtocolError when it is not 1 to :data:`MAX_NAME` printable characters."""
    if not isinstance(name, str) or not name.strip():
        raise ProtocolError("a participant needs a name")
    name = name.strip()
    if len(name) > MAX_NAME or not name.isprintable():
        raise ProtocolError(f"a name is 1 to {MAX_NAME} printable characters")
    return name
