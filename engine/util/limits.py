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
MAX_NODES = 1_500
"""Components of one topology, counting every instance a scale-out adds during the drill (the built-ins
have at most 16; ``spofdrill import`` of a team's own system makes hundreds). Sized by ``spofdrill analyze
--no-simulation`` (load, validate, the whole graph analysis) of files written from ``bench/topology.py``,
medians of 3 on 2 cores shared at a load average of 8: 1,000 nodes 4.0 s, 1,500 5.8 s (100 MB), 2,000
8.5 s, 2,500 10.9 s, 5,000 38 s. Loading alone is linear (5,000 nodes: 2.6 s, 91 MB, almost all of it
PyYAML); the analysis grows faster than the node count (``engine/analysis/findings.py`` sorts each app
server's peers with ``list(nodes).index``, ``result.py``'s ``of`` scans every verdict), so 5,000 waits for
those. A command no longer grows faster than the node count (a scale-out among 1,500 nodes: 0.7 ms), but
the work budget is checked when a run starts: scale-outs during a drill may still take it up to this limit."""
MAX_EDGES = 15_000
"""Dependencies of one topology once the edge shorthand (``a, b -> c, d``: four edges) is expanded: ten per
node at ``MAX_NODES`` (``bench/topology.py`` makes about five)."""
MAX_WORK = 150_000
"""The work budget of one run, in node-steps: (nodes + 40) x (ticks + seconds + state changes + own alert
rule evaluations / 5), see :func:`run_work`. It is checked when a run starts (``spofdrill run``, ``check``,
a what-if, the console), not when a scenario loads, so a big architecture is still loaded, validated and
analysed. Measured medians of one run (``simulate(scenario, 0, NO_ACTION)``) on 2 cores shared at a load
average of 5-8: generated topologies (``bench/topology.py``) cost 5-11 microseconds a node-step (1,500
nodes for 60 s: 3.0 s; 60 nodes for 600 s at a 0.25 s tick: 3.1 s, which the 40 stands for), but an
imported one costs up to 22: a what-if of 199 imported components (11 stacks of nginx x2, api x10,
postgres x3, redis, search x2) for 600 s is 287,000 node-steps and took 6.0-7.8 s (median 6.3 s). The
budget is 3.3 s of that worst shape; generated shapes at it take 0.8-1.7 s. The built-ins need 83,000 to
110,000, the test fixtures up to 144,000."""
NODE_OVERHEAD = 40
"""Nodes' worth of work each tick costs whatever the topology's size (simpy, the ticker, the default alert
rules): 60 nodes for 600 s at a 0.25 s tick took what 100 nodes of a big topology take."""
RULE_WEIGHT = 0.2
"""Node-steps one evaluation of one of the scenario's own alert rules costs per node (measured: 0.15)."""


def run_work(nodes: int, duration: float, tick: float, changes: float, rule_evaluations: float) -> float:
    """The work of one run in node-steps, ``(nodes + 40) x (ticks + seconds + changes + rule evaluations / 5)``.

    Every tick steps the traffic of every node, every second closes the metrics
    of every node, every state change (a fault, a flap, a chaos kill, a command:
    :func:`engine.scenario.loader.sizes.changes`) re-plans the traffic over every
    node (measured: well under one step's worth, 0.3), and every evaluation of
    one of the scenario's own rules looks at every node. Compared with
    :data:`MAX_WORK`, which says how the weights were measured.
    """
    return (nodes + NODE_OVERHEAD) * (duration / tick + duration + changes + RULE_WEIGHT * rule_evaluations)


MAX_SCENARIO_ITEMS = 50
"""Items of each other list of a scenario: faults, alert rules, hints, probes, pitfalls, regions, tags,
objectives, lessons, chaos groups and exceptions (the built-ins have at most 12)."""
MAX_YAML_VALUES = 100_000
"""Keys and values one YAML document may hold, counting every alias expansion. Reading YAML is slow
(pure Python): at a load average of 8 on 2 cores, 150,000 one-character items took 6.8-7.3 s, a
5,000-node scenario of 59,000 values 2.6 s; 100,000 stops a file after about 5 s there. A 1,500-node file
written compactly holds 18,000."""
MAX_EMBEDDED_VALUES = 250_000
"""Keys and values of a scenario embedded as JSON in a bundle or a drill header (edges as objects of six
fields, every default written): a 1,500-node scenario holds 133,000 there, 15,000 edges add 195,000.
Counting and validating plain data is fast (no YAML parser): the 1,500-node one (1.2 MB of JSON) is read,
validated and cross-checked in 0.46 s (median of 3, load average 5), 87 MB."""


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
