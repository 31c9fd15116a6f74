"""Playing a recorded drill back, and taking it over from any moment (rewind and branch).

A :class:`Recording` is what a replay needs: the scenario, the seed, who
drilled and how, and the transcript of their commands, read from a result
bundle or from a console journal (and its drill header).
:class:`ReplaySession` plays it through :class:`engine.records.replay.Replayer` in
slices of simulated time, as :class:`~tui.session.DrillSession` plays a live
drill. :func:`branch_session` rewinds to a moment and hands the simulation to
a new live drill. Nothing here imports Textual: the screens drive it, tests
and ``spofdrill replay`` use it directly.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from engine.util.files import data_dir
from engine.records.recorded import RecordedDrill
from engine.records.replay import (
    COMMAND_TYPES,
    Replayer,
    TimedCommand,
    Transcript,
    replay,
)
from engine.sim.runner import Run, measure
from engine.scenario.schema import Scenario
from engine.sim.simulation import Simulation
from engine.sim.snapshot import Snapshot

from .moments import format_moment, parse_moment  # noqa: F401  (the replay's moments, re-exported)
from .session import BranchOrigin, DrillSession, Ending

REPLAY_SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
"""The speeds a replay plays at (keys 1 to 6)."""
MAX_WALL = 0.5
"""Wall seconds one tick may count at most, so a stalled UI never jumps far ahead (30 s at 60×)."""


class RecordingError(ValueError):
    """A file cannot be replayed; the message names the file and the problem."""


Recording = RecordedDrill
"""What a replay needs: the engine's one record of a drill (:class:`engine.records.recorded.RecordedDrill`)."""


# --------------------------------------------------------------------------- reading a recording


def read_recording(path: Path | str) -> Recording:
    """A bundle or a journal, by the one reader (:func:`engine.records.recorded.read_recorded_drill`).

    :class:`RecordingError` naming the file and the problem, the same words
    ``spofdrill postmortem`` and ``spofdrill verify`` give for the same file.
    """
    from engine.records.recorded import RecordError, read_recorded_drill

    try:
        return read_recorded_drill(path)
    except RecordError as exc:
        raise RecordingError(str(exc)) from None


# --------------------------------------------------------------------------- moments


def default_moment(transcript: Transcript, first_fault: float | None = None) -> float:
    """Where a rewind starts by default: the first command, else the first fault, else the start."""
    if transcript.commands:
        return transcript.commands[0].t
    return first_fault or 0.0


# --------------------------------------------------------------------------- playing back


class ReplaySession:
    """A recording played again through :class:`~engine.records.replay.Replayer`, in slices of simulated time."""

    def __init__(self, recording: Recording, speed: float = 1.0) -> None:
        self.recording = recording
        self.replayer = Replayer(recording.scenario, recording.seed, recording.transcript)
        self.speed_index = REPLAY_SPEEDS.index(speed) if speed in REPLAY_SPEEDS else 0
        self.paused = False

    @property
    def sim(self) -> Simulation:
        return self.replayer.sim

    @property
    def now(self) -> float:
        return self.replayer.now

    @property
    def speed(self) -> float:
        return REPLAY_SPEEDS[self.speed_index]

    @property
    def finished(self) -> bool:
        return self.sim.finished

    @property
    def applied(self) -> tuple[TimedCommand, ...]:
        """The trainee's commands replayed so far."""
        commands = self.recording.transcript.commands
        return commands[: len(commands) - len(self.replayer.pending)]

    def snapshot(self) -> Snapshot:
        return self.sim.snapshot()

    def set_speed(self, index: int) -> None:
        self.speed_index = max(0, min(len(REPLAY_SPEEDS) - 1, index))

    def tick(self, wall_seconds: float) -> bool:
        """Advance by ``wall seconds × speed``; True when something moved."""
        if self.finished or self.paused:
            return False
        self.advance(min(MAX_WALL, wall_seconds) * self.speed)
        return True

    def advance(self, seconds: float) -> None:
        """Play ``seconds`` of simulated time (to the millisecond, as the console does)."""
        self.run_to(self.now + seconds)

    def run_to(self, t: float) -> None:
        self.replayer.run(round(t, 3))
        if self.now >= self.sim.duration:
            self.replayer.finish()

    def to_next_command(self) -> TimedCommand | None:
        """Play to just after the trainee's next command (None: there is none left)."""
        pending = self.replayer.pending
        if not pending:
            return None
        self.run_to(pending[0].t + 0.001)
        return pending[0]

    def to_end(self, slice_: float = 60.0) -> None:
        """Play what is left, a slice at a time."""
        while not self.finished:
            self.advance(slice_)

    def ending(self) -> Ending:
        """The replayed run, measured (the replay must have reached the end)."""
        return Ending(measure(self.sim, self.recording.trainee), self.recording.transcript.left_at is not None)

    def as_session(self) -> DrillSession:
        """The finished replay as a drill session, for the debrief."""
        rec = self.recording
        session = DrillSession(rec.scenario, rec.seed, assess=rec.mode == "assessment", trainee=rec.trainee, sim=self.sim)
        session.ended = True
        return session

    def mismatch(self) -> str | None:
        """For a journal: where the replay leaves the recorded journal (None: it matches)."""
        recorded = (self.recording.journal_text or "").splitlines()
        if not recorded:
            return None
        replayed = self.sim.journal.to_jsonl().splitlines()
        for number, (a, b) in enumerate(zip(recorded, replayed), 1):
            if a != b:
                return f"the replay differs from the journal from its line {number}"
        if len(recorded) > len(replayed):
            return f"the journal goes on after the replay ends (line {len(replayed) + 1})"
        return None


# --------------------------------------------------------------------------- rewind and branch


def take_over(scenario: Scenario, seed: int, transcript: Transcript, at: float) -> Simulation:
    """The drill rewound to ``at``: the commands before it replayed, nobody having left; the caller's from then on."""
    replayer = Replayer(scenario, seed, Transcript(transcript.until(at).commands, None))
    replayer.run(at)
    return replayer.detach()


def branch_journal_path(scenario: Scenario, seed: int) -> Path:
    """Where a branch's live journal goes (beside the console's other journals)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return data_dir() / "journals" / f"{scenario.id or 'drill'}-seed{seed}-branch-{stamp}.jsonl"


def branch_session(
    scenario: Scenario,
    seed: int,
    transcript: Transcript,
    at: float,
    *,
    trainee: str,
    original: Run | None = None,
    journal_path: Path | None = None,
) -> DrillSession:
    """A live drill taken over at ``at``, paused, its journal starting with the replayed entries.

    ``original`` is the finished run it branches from (replayed from the transcript when not given).
    """
    if original is None:
        original = measure(replay(scenario, seed, transcript), trainee)
    sim = take_over(scenario, seed, transcript, at)
    session = DrillSession(scenario, seed, trainee=trainee, journal_path=journal_path, sim=sim,
                           branch_of=BranchOrigin(at, original))
    session.paused = True
    return session


def commands_in(sim: Simulation) -> list[float]:
    """When a simulation's trainee commands were given (issued or refused)."""
    return [entry.t for entry in sim.journal.of_type(*COMMAND_TYPES)]


# --------------------------------------------------------------------------- spofdrill replay


def _speed(text: str) -> float:
    try:
        value = float(text.rstrip("x×"))
    except ValueError:
        value = -1.0
    if value not in REPLAY_SPEEDS:
        raise argparse.ArgumentTypeError(f"{text!r}: the speed is one of {', '.join(f'{s:g}' for s in REPLAY_SPEEDS)}")
    return value


def replay_parser() -> argparse.ArgumentParser:
    from engine.cli.main import WordWrapFormatter

    parser = argparse.ArgumentParser(
        prog="spofdrill replay",
        description="Play a recorded drill back in the console, read-only; t takes it over from any moment.",
        formatter_class=WordWrapFormatter,
    )
    parser.add_argument("file", metavar="BUNDLE|JOURNAL", help="a result bundle, or a console journal (X.jsonl beside its X.drill.json)")
    parser.add_argument("--speed", type=_speed, default=1.0, help="1, 2, 5, 10, 30 or 60 (default 1; keys 1-6 change it)")
    return parser
