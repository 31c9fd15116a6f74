"""What the trainee did, and doing it again: transcripts and deterministic replays.

A :class:`Transcript` is the trainee's part of a drill: every command with
the simulated time it was applied at (accepted or refused) and, when the
trainee walked away early, when they left. It is read from a finished or
running simulation (exact times) or from a journal file (times to the
millisecond, which is exact for console drills: the console advances time
in whole milliseconds).

:class:`Replayer` rebuilds a drill from its scenario, seed and transcript by
driving a fresh :class:`~engine.sim.simulation.Simulation` exactly as the console does:
advance to a command's time (``run(until=t)``), apply it, go on. Because the
simulation is deterministic for a scenario, seed and command sequence, the
replay reproduces the original journal byte for byte. Result bundles,
``spofdrill verify``, console replays, rewinding and crash recovery all go
through it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from engine.util.jsontext import parse_json
from engine.sim.actions import apply_named
from engine.sim.facilitation import ACTED_TYPE, OPS, FacilitatorRefused
from engine.sim.journal import Entry
from engine.util.files import TooLarge, read_limited, write_atomic
from engine.util.limits import MAX_COMMANDS, MAX_HEADER_BYTES, over
from engine.scenario.schema import Scenario
from engine.sim.simulation import Simulation

ENDED_TYPE = "DrillEnded"
"""The journal entry that ends every drill; nothing follows it."""
COMMAND_TYPES = ("CommandIssued", "CommandRefused")
"""Journal entries that record a trainee command."""
LEFT_TYPE = "TraineeLeft"
"""The journal entry recorded when the trainee ends a drill early."""
FACILITATOR = "facilitator:"
"""A transcript's command named ``facilitator:inject`` or ``facilitator:note`` is a team drill facilitator's act
(a ``FacilitatorActed`` row, :mod:`engine.sim.facilitation`), replayed as such."""


class TranscriptError(ValueError):
    """A transcript or journal cannot be replayed; the message says which entry and why."""


@dataclass(frozen=True)
class TimedCommand:
    """One command as the trainee gave it, at a simulated time."""

    t: float
    command: str
    target: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)
    by: str | None = None
    """In a team drill, the participant who issued it (None: the one trainee)."""

    def to_dict(self) -> dict[str, Any]:
        out = {"t": self.t, "command": self.command, "target": self.target, "args": dict(self.args)}
        if self.by is not None:  # absent for one trainee: single-player transcripts are as they always were
            out["by"] = self.by
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "command") -> TimedCommand:
        """A command from a transcript or a journal row; :class:`TranscriptError` saying where and why.

        The one set of rules for a command read from a file: ``t`` a finite
        number ≥ 0, ``command`` a name, ``target`` a name or null, ``args`` an
        object (or absent/null). The argument values are the command's to judge
        (replaying refuses a bad one with words, as the original run did).
        """
        if not isinstance(data, Mapping):
            raise TranscriptError(f"{where}: expected an object with t, command, target and args")
        t = data.get("t")
        if not _is_time(t):
            raise TranscriptError(f"{where}: 't' must be a simulated time in seconds (a number ≥ 0), not {_shown(t)}")
        name = data.get("command")
        if not isinstance(name, str) or not name:
            raise TranscriptError(f"{where}: 'command' must be a command name, not {_shown(name)}")
        target = data.get("target")
        if target is not None and not isinstance(target, str):
            raise TranscriptError(f"{where}: 'target' must be a name or null, not {_shown(target)}")
        args = data.get("args")
        if args is None:
            args = {}
        if not isinstance(args, Mapping):
            raise TranscriptError(f"{where}: 'args' must be an object, not {_shown(args)}")
        by = data.get("by")
        if by is not None and (not isinstance(by, str) or not by):
            raise TranscriptError(f"{where}: 'by' must be a participant's name or absent, not {_shown(by)}")
        return cls(float(t), name, target, dict(args), by)


def _is_time(t: Any) -> bool:
    """Whether ``t`` is a simulated time: a finite number ≥ 0 (not a bool, not a 400-digit integer)."""
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        return False
    try:
        return math.isfinite(float(t)) and t >= 0
    except OverflowError:
        return False


def _shown(value: Any, limit: int = 60) -> str:
    """A value in a message, cut short (a hostile file may hold a megabyte in one field)."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_count(count: int, what: str, *, counted_all: bool = True) -> None:
    """:class:`TranscriptError` naming the limit when ``count`` commands are more than :data:`MAX_COMMANDS`."""
    if count > MAX_COMMANDS:
        raise TranscriptError(over(what, count if counted_all else None, MAX_COMMANDS, "commands"))


@dataclass(frozen=True)
class Transcript:
    """The trainee's commands in the order given, and when they left (None: stayed to the end)."""

    commands: tuple[TimedCommand, ...] = ()
    left_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"commands": [c.to_dict() for c in self.commands], "left_at": self.left_at}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transcript:
        raw = data.get("commands", [])
        if not isinstance(raw, list):
            raise TranscriptError("'commands' must be a list")
        _check_count(len(raw), "a transcript")
        commands = tuple(TimedCommand.from_dict(item, f"commands[{i}]") for i, item in enumerate(raw))
        left = data.get("left_at")
        if left is not None and not _is_time(left):
            raise TranscriptError(f"'left_at' must be a simulated time or null, not {left!r}")
        transcript = cls(commands, None if left is None else float(left))
        transcript.check_order()
        return transcript

    def check_order(self) -> None:
        """Raise :class:`TranscriptError` when times go backwards or commands follow leaving."""
        last = 0.0
        for index, command in enumerate(self.commands):
            if command.t < last:
                raise TranscriptError(
                    f"commands[{index}] at {command.t:g} s comes after a command at {last:g} s (times must not go back)"
                )
            last = command.t
        if self.left_at is not None and self.commands and self.commands[-1].t > self.left_at:
            raise TranscriptError(f"a command at {self.commands[-1].t:g} s comes after the trainee left at {self.left_at:g} s")

    def until(self, t: float) -> Transcript:
        """The part of the transcript strictly before ``t`` (for rewinding to ``t``)."""
        left = self.left_at if self.left_at is not None and self.left_at < t else None
        return Transcript(tuple(c for c in self.commands if c.t < t), left)

    def __len__(self) -> int:
        return len(self.commands)


def _command_of(entry: Entry | Mapping[str, Any], t: float, where: str = "journal entry") -> TimedCommand:
    """The command of a journal row, checked by :meth:`TimedCommand.from_dict` (the one set of rules)."""
    data = entry.data if isinstance(entry, Entry) else entry
    if (entry.type if isinstance(entry, Entry) else entry.get("type")) == ACTED_TYPE:
        op = data.get("op")
        if op not in OPS:
            raise TranscriptError(f"{where}: a facilitator's act is one of {', '.join(OPS)}, not {_shown(op)}")
        data = {**data, "command": FACILITATOR + op}
    return TimedCommand.from_dict(
        {"t": t, "command": data.get("command"), "target": data.get("target"), "args": data.get("args"),
         "by": data.get("by")}, where
    )


def transcript_of(sim: Simulation) -> Transcript:
    """The transcript of a simulation so far, with exact times."""
    commands = []
    left = None
    for entry in sim.journal:
        if entry.type in COMMAND_TYPES or entry.type == ACTED_TYPE:
            commands.append(_command_of(entry, entry.t, f"journal entry {entry.seq + 1} ({entry.type})"))
        elif entry.type == LEFT_TYPE:
            left = entry.t
    return Transcript(tuple(commands), left)


def transcript_from_journal(rows: Iterable[Mapping[str, Any]], lines: Sequence[int] | None = None) -> Transcript:
    """The transcript in journal rows (as read by :func:`engine.sim.journal.read_jsonl`).

    :class:`TranscriptError` naming the line (``lines[i]`` is the line of
    ``rows[i]``; by default the i-th row is line i + 1) when a row is not an
    object, a command row breaks :meth:`TimedCommand.from_dict`'s rules, a row
    follows ``DrillEnded``, times go back, or there are more than
    :data:`~engine.util.limits.MAX_COMMANDS` command rows.
    """
    commands = []
    left = None
    ended = None
    for index, row in enumerate(rows):
        number = lines[index] if lines is not None and index < len(lines) else index + 1
        if not isinstance(row, Mapping):
            raise TranscriptError(f"line {number}: not a journal entry (a JSON {type(row).__name__}, not an object)")
        if ended is not None:
            raise TranscriptError(f"line {number}: an entry after the drill ended (DrillEnded on line {ended})")
        kind = row.get("type")
        if kind == ENDED_TYPE:
            ended = number
        if kind in COMMAND_TYPES or kind == LEFT_TYPE or kind == ACTED_TYPE:
            t = row.get("t")
            if not _is_time(t):
                raise TranscriptError(f"line {number}: {kind} has no simulated time (a number ≥ 0), but {_shown(t)}")
            if kind == LEFT_TYPE:
                left = float(t)
            else:
                commands.append(_command_of(row, float(t), f"line {number} ({kind})"))
                if len(commands) > MAX_COMMANDS:
                    _check_count(len(commands), "a journal", counted_all=False)
    transcript = Transcript(tuple(commands), left)
    transcript.check_order()
    return transcript


class Replayer:
    """Drives a fresh simulation through a transcript, as the console would have.

    ``run(until)`` advances to ``until`` applying every command due before
    it; :attr:`sim` is an ordinary simulation, so a rewound drill can be taken
    over by the trainee from :attr:`sim.now` on (see :meth:`detach`).
    """

    def __init__(self, scenario: Scenario, seed: int, transcript: Transcript) -> None:
        transcript.check_order()
        self.scenario = scenario
        self.seed = seed
        self.transcript = transcript
        self.sim = Simulation(scenario, seed)
        self._next = 0
        self._left = False

    @property
    def now(self) -> float:
        return self.sim.now

    @property
    def pending(self) -> tuple[TimedCommand, ...]:
        """The commands not applied yet."""
        return self.transcript.commands[self._next:]

    def run(self, until: float) -> None:
        """Advance to ``until``, applying each command at its time (commands at ``until`` wait for the next call)."""
        until = min(until, self.sim.duration)
        commands = self.transcript.commands
        while self._next < len(commands) and commands[self._next].t < until:
            command = commands[self._next]
            self._leave_if_due(command.t)
            if self._left:
                break
            self.sim.run(command.t)
            self._apply(command)
            self._next += 1
        self._leave_if_due(until)
        self.sim.run(until)

    def finish(self) -> Simulation:
        """Run to the end of the drill (the trainee's remaining commands, then nobody) and return the simulation."""
        self.run(self.sim.duration)
        commands = self.transcript.commands
        while self._next < len(commands) and not self._left:  # commands at the very last instant
            self._apply(commands[self._next])
            self._next += 1
        return self.sim

    def detach(self) -> Simulation:
        """Stop replaying: the simulation is the caller's from now on (rewind and branch)."""
        self._next = len(self.transcript.commands)
        self._left = True
        return self.sim

    def _leave_if_due(self, t: float) -> None:
        left = self.transcript.left_at
        if left is not None and not self._left and left < t:
            self.sim.run(left)
            self.sim.record(LEFT_TYPE)
            self._left = True

    def _apply(self, command: TimedCommand) -> None:
        if command.command.startswith(FACILITATOR):
            try:
                self.sim.facilitate(command.command.removeprefix(FACILITATOR), command.target, dict(command.args),
                                    command.by)
            except FacilitatorRefused:
                pass  # an act the original run did not refuse: the replayed journal differs, and verify says so
            return
        apply_named(self.sim, command.command, command.target, command.args, command.by)


def replay(scenario: Scenario, seed: int, transcript: Transcript) -> Simulation:
    """The finished simulation of a scenario, seed and transcript."""
    return Replayer(scenario, seed, transcript).finish()


# --------------------------------------------------------------------------- the drill header beside a live journal

HEADER_SUFFIX = ".drill.json"
"""A live journal ``X.jsonl`` has its drill header in ``X.drill.json``."""
HEADER_FORMAT = 1


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain JSON data (what bundles and drill headers embed)."""
    return scenario.model_dump(mode="json", by_alias=True)


def scenario_from_document(data: Any, where: str) -> Scenario:
    """A scenario back from :func:`scenario_document`; :class:`TranscriptError` naming ``where`` when it is not one.

    The embedded scenario gets exactly the checks of a scenario file (sizes,
    schema, cross-checks: :func:`engine.scenario.loader.load_scenario_data`);
    the error is one line: the first problem and how many more there are.
    """
    from engine.scenario.loader import ScenarioError, load_scenario_data

    if not isinstance(data, Mapping):
        raise TranscriptError(f"{where}: the embedded scenario is missing or not an object")
    try:
        return load_scenario_data(data, where)
    except ScenarioError as exc:
        problems = exc.problems
        first = problems[0] if problems else None
        words = f"{first.path}: {first.message}" if first is not None and first.path else (first.message if first else "")
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        line = f"{where}: the embedded scenario is not valid ({words}){more}"
        raise TranscriptError(" ".join(line.split())) from None


@dataclass(frozen=True)
class DrillHeader:
    """What a journal alone does not say: the whole scenario, the seed, who drilled and how."""

    scenario: Scenario
    seed: int
    trainee: str
    mode: str

    def to_dict(self) -> dict[str, Any]:
        from engine.analysis.calibration import scenario_hash

        return {
            "format": HEADER_FORMAT,
            "scenario": scenario_document(self.scenario),
            "scenario_hash": scenario_hash(self.scenario),
            "seed": self.seed,
            "trainee": self.trainee,
            "mode": self.mode,
        }


def header_path(journal: Path | str) -> Path:
    """Where the drill header of a journal file is kept."""
    path = Path(journal)
    return path.with_name(path.name.removesuffix(".jsonl") + HEADER_SUFFIX)


def write_header(journal: Path | str, header: DrillHeader) -> Path:
    """Write the header beside the journal, atomically; raises :class:`engine.util.files.WriteError`."""
    # not sort_keys: the order of the scenario's mappings (its nodes) is part of the drill
    return write_atomic(header_path(journal), json.dumps(header.to_dict(), indent=1) + "\n")


def read_header(journal: Path | str) -> DrillHeader:
    """The header beside a journal; :class:`TranscriptError` naming the file when missing, too large or damaged.

    Read at most :data:`~engine.util.limits.MAX_HEADER_BYTES`; its scenario
    must hash to the ``scenario_hash`` it records (else it was edited).
    """
    from engine.analysis.calibration import scenario_hash

    path = header_path(journal)
    try:
        data = parse_json(read_limited(path, MAX_HEADER_BYTES, "a drill header").decode("utf-8"))
    except FileNotFoundError:
        raise TranscriptError(f"{path}: missing (it names the scenario and seed of {Path(journal).name})") from None
    except TooLarge as exc:
        raise TranscriptError(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"{path}: line {exc.lineno}: not JSON ({exc.msg}); the file is damaged") from None
    if not isinstance(data, dict):
        raise TranscriptError(f"{path}: not a drill header (expected a JSON object)")
    if data.get("format") != HEADER_FORMAT or isinstance(data.get("format"), bool):
        raise TranscriptError(f"{path}: drill header format {_shown(data.get('format'))}, this release reads {HEADER_FORMAT}")
    scenario = scenario_from_document(data.get("scenario"), str(path))
    recorded = data.get("scenario_hash")
    actual = scenario_hash(scenario)
    if recorded != actual:
        raise TranscriptError(f"{path}: the embedded scenario hashes to {actual}, the header records {_shown(recorded)}: "
                              "edited by hand or damaged after it was written")
    seed = data.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TranscriptError(f"{path}: 'seed' must be a whole number, not {_shown(seed)}")
    trainee, mode = data.get("trainee"), data.get("mode")
    return DrillHeader(scenario, seed, trainee if isinstance(trainee, str) and trainee else "trainee",
                       mode if isinstance(mode, str) and mode else "practice")
