"""The limits every reader enforces, declared once.

Every file spofdrill reads is untrusted (a student's bundle, a journal a
disk hiccup cut short, a scenario from the internet). Each limit here is
checked *before* the work it bounds starts, and a file past it is refused
with a one-line message that names the limit (:func:`over`). They are sized
so that the largest accepted input is still read, simulated and verified
within seconds on a small laptop, and far above anything a real drill
needs; ``docs/limits.md`` lists them with the reasons.
"""

from __future__ import annotations

MiB = 1024 * 1024

# --------------------------------------------------------------------------- file sizes (bytes read before parsing)
MAX_SCENARIO_BYTES = 1 * MiB
"""A scenario file (the largest built-in is under 10 KB)."""
MAX_ACTIONS_BYTES = 1 * MiB
"""An action script file."""
MAX_JOURNAL_BYTES = 64 * MiB
"""A journal (a 10-minute drill writes 1-30 KB)."""
MAX_HEADER_BYTES = 2 * MiB
"""A drill header (the embedded scenario and the seed)."""
MAX_BUNDLE_BYTES = 64 * MiB
"""A result bundle (the embedded scenario, the transcript, the journal)."""
MAX_SMALL_FILE_BYTES = 64 * 1024
"""Small state files: the trainee name, a progress mark."""

# --------------------------------------------------------------------------- work a run may ask for
MAX_COMMANDS = 1_000
"""Commands in one run: a transcript, a journal's command rows, an action script's steps, a console drill."""

MAX_DURATION = 3_600.0
"""Simulated seconds of one drill (the built-ins run 600 s, a test fixture 900 s): also the latest time a
fault, a hint, a step or chaos may be set at."""
MAX_TICKS = 14_400
"""Traffic steps in one run, ``duration / engine.tick`` (the built-ins take 1,200; an hour at a 0.25 s tick)."""
MAX_NODES = 100
"""Components of one topology, counting every instance a scale-out adds during the drill (the built-ins
have at most 16). A command's cost grows faster than the node count (a restart among 500 nodes took
26 ms, among 100 0.75 ms), so 1,000 commands stay under a second. ``bench/topology.py``'s 1,000-node
benchmark is built in code, not loaded."""
MAX_EDGES = 5_000
"""Dependencies of one topology once the edge shorthand (``a, b -> c, d``: four edges) is expanded."""
MAX_WORK = 100_000
"""The work budget of one run, in node-steps: nodes x (ticks + seconds + 4 x state changes + own alert
rule evaluations / 10), see :func:`engine.scenario.loader.sizes.check_run`. The built-ins need 11,000
to 29,500. The heaviest scenarios at the budget (100 nodes for 333 s; 100 nodes with faults, 50 rules
and steps for 110 s; 13 nodes for 749 s at a 0.25 s tick) take at most 4.9 s for ``spofdrill run``
(three runs: the trainee's, no action, the reference) and 2.4 s for ``spofdrill verify``, 160 MB at
most, on 2 shared cores."""
MAX_SCENARIO_ITEMS = 50
"""Items of each other list of a scenario: faults, alert rules, hints, probes, pitfalls, regions, tags,
objectives, lessons, chaos groups and exceptions (the built-ins have at most 12)."""
MAX_YAML_VALUES = 50_000
"""Keys and values one YAML document may hold, counting every alias expansion. Reading YAML is slow
(pure Python: a 1 MiB file of 500,000 one-character items took 11.6 s); the count stops it after
about 1 s. A scenario at every other limit (100 nodes, 1,000 steps) holds under 20,000."""


MAX_ARG_MAGNITUDE = 1_000_000_000
"""The largest number (either sign) a command argument may be, in the console, a script or a journal: far
above any count or percentage, and small enough that no argument overflows a float or the journal."""

# --------------------------------------------------------------------------- the drill history (rows read from SQLite)
MAX_HISTORY_TEXT_BYTES = 4 * 1024
"""The longest trainee, scenario id, grade or mode read from a history row (a stored name is at most 40 characters)."""
MAX_HISTORY_JSON_BYTES = 256 * 1024
"""The longest breakdown or tags JSON read from a history row (a real one is under 2 KiB)."""


def over(what: str, size: int | float | None, limit: int | float, unit: str = "") -> str:
    """The one-line refusal: ``'is 6.0 MiB, over the limit of 1.0 MiB for an action script'``.

    ``size`` None: the size is not known (a device, a pipe), only that it is over.
    """
    if unit == "bytes":
        if size is None:
            return f"is larger than the limit of {_bytes(limit)} for {what}"
        return f"is {_bytes(size)}, over the limit of {_bytes(limit)} for {what}"
    if size is None:
        return f"is over the limit of {limit:,} {unit} for {what}".replace("  ", " ")
    suffix = f" {unit}" if unit else ""
    return f"has {size:,}{suffix}, over the limit of {limit:,}{suffix} for {what}"


def _bytes(n: int | float) -> str:
    if n >= MiB:
        return f"{n / MiB:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{int(n)} bytes"

# --------------------------------------------------------------------------- team drills (engine/team)
MAX_TEAM_MESSAGE_BYTES = 16 * 1024
"""One message a participant sends the host (a command with its arguments is under 300 bytes). A larger one
is refused with this limit named; one past four times it closes the connection (aiohttp's frame limit)."""
TEAM_RATE = 20.0
"""Messages per second a participant may send on average (a person presses keys a few times a second)."""
TEAM_BURST = 40
"""Messages a participant may send at once before :data:`TEAM_RATE` applies (token bucket)."""
MAX_PARTICIPANTS = 50
"""Participants of one team drill (names kept for rejoining), so a flood of names cannot grow the host."""
MAX_JOINING = 100
"""Connections that have not said hello yet, at once (each waits :data:`TEAM_HELLO_SECONDS` at most); more are
answered 503 before the websocket opens, so idle connections cannot pile up."""
TEAM_HELLO_SECONDS = 5.0
"""Wall seconds a new connection has to say who it is (with the secret) before the host closes it."""
MAX_TEAM_ENTRIES = 500
"""Journal entries one state message carries at most (a rejoining participant gets the rest in the next ones)."""
