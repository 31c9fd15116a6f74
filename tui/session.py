"""A drill in progress: the engine driven in slices of simulated time.

:class:`DrillSession` is the console's only handle on the simulation. It
advances the engine by ``wall seconds × speed`` on each timer tick (bounded,
so the UI never blocks), applies commands through the engine API, appends
the journal to a file as the drill runs, and ends the drill. It imports no
Textual: the screens drive it, and tests can drive it directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Callable, Protocol

from engine.commands import Command
from engine.scoring.format import count, number
from engine.util.files import write_atomic
from engine.records.recovery import ProgressMark, hold
from engine.records.replay import LEFT_TYPE, DrillHeader, write_header
from engine.sim.runner import Report, Run, measure, par_runs
from engine.scenario.schema import Scenario
from engine.sim.simulation import Preview, Receipt, Simulation
from engine.sim.journal import Journal
from engine.sim.snapshot import Snapshot

SPEEDS = (1.0, 2.0, 5.0, 10.0)
# Simulated seconds one tick may advance at most, so a stalled UI never jumps far ahead.
MAX_SLICE = 2.0


@dataclass(frozen=True)
class BranchOrigin:
    """Where a branch comes from: the original run and the moment it was taken over."""

    at: float
    original: Run


@dataclass(frozen=True)
class Ending:
    """How a drill ended and its measured result (par runs are computed later)."""

    run: Run
    ended_early: bool


class DrillDriver(Protocol):
    """What the drill screen needs of a drill: :class:`DrillSession` (a local simulation) and
    :class:`tui.remote.RemoteSession` (a team drill's host) both give it."""

    scenario: Scenario
    assess: bool
    journal_path: Path | None
    journal_error: str | None
    reveals: bool
    """Whether the timeline shows hidden events as they happen (a team drill's facilitator)."""
    facilitates: bool
    """Whether this console may inject faults and write notes (a team drill's facilitator): then it has
    ``act(op, target, args)``, whose answer comes through :meth:`listen`."""

    @property
    def speed(self) -> float: ...
    @property
    def paused(self) -> bool: ...
    @property
    def now(self) -> float: ...
    @property
    def finished(self) -> bool: ...
    @property
    def journal(self) -> Journal: ...
    def tick(self, wall_seconds: float) -> bool: ...
    def snapshot(self) -> Snapshot: ...
    def hints_allowed(self) -> bool: ...
    def preview(self, command: Command) -> Preview: ...
    def apply(self, command: Command) -> Receipt | None:
        """The receipt now, or None when it comes later through :meth:`listen` (a remote host)."""
    def listen(self, listener: Callable[[str, str], None]) -> None: ...
    def toggle_pause(self) -> bool: ...
    def set_speed(self, index: int) -> bool: ...
    def flush_journal(self) -> None: ...
    def close(self) -> None: ...


class DrillSession:
    """One trainee's drill over one scenario and seed."""

    reveals = False
    facilitates = False

    def __init__(
        self,
        scenario: Scenario,
        seed: int = 0,
        *,
        assess: bool = False,
        trainee: str = "trainee",
        journal_path: Path | None = None,
        sim: Simulation | None = None,
        branch_of: BranchOrigin | None = None,
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.assess = assess
        self.trainee = trainee
        # ``sim``: a drill rewound and taken over (tui.playback) or recovered (tui.recovery);
        # its journal file starts with what was replayed
        self.sim = Simulation(scenario, seed) if sim is None else sim
        self.branch_of = branch_of
        """For a branch: the run it was taken over from, and when (the debrief compares them)."""
        self.speed_index = 0
        self.paused = False
        self.ended = False
        self.journal_path = journal_path
        self.journal_error: str | None = None
        self._journal_file: IO[str] | None = None
        self._journal_seq = 0
        self._progress: ProgressMark | None = None
        if journal_path is not None:
            self._open_journal(journal_path)
            self.flush_journal()

    # ------------------------------------------------------------------ time

    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    @property
    def now(self) -> float:
        return self.sim.now

    @property
    def finished(self) -> bool:
        """The drill's time is up or the trainee ended it."""
        return self.ended or self.sim.finished

    def tick(self, wall_seconds: float) -> bool:
        """Advance by ``wall_seconds × speed`` of simulated time; True when something moved."""
        if self.finished or self.paused:
            return False
        step = min(MAX_SLICE, wall_seconds * self.speed)
        # whole milliseconds, so a journal (times to the millisecond) replays this drill exactly
        self.sim.run(round(self.sim.now + step, 3))
        self.flush_journal()
        return True

    def set_speed(self, index: int) -> bool:
        """Choose 1×, 2×, 5× or 10×; refused (False) in assessment mode."""
        if self.assess and index != 0:
            return False
        self.speed_index = max(0, min(len(SPEEDS) - 1, index))
        return True

    def toggle_pause(self) -> bool:
        """Pause or resume; pausing is refused (False) in assessment mode (a recovered drill starts paused)."""
        if self.assess and not self.paused:
            return False
        self.paused = not self.paused
        return True

    # ------------------------------------------------------------------ commands and views

    def preview(self, command: Command) -> Preview:
        """What ``command`` would do; a hint counts as destructive here (it spends points), so the console asks first."""
        preview = self.sim.preview(command)
        if command.spec.uses_hints and preview.allowed:
            return replace(preview, destructive=True, text=self._hint_cost_text())
        return preview

    def _hint_cost_text(self) -> str:
        """What the next hint costs, in the words of the confirmation dialog."""
        hints = self.scenario.hints
        left = [index for index in range(len(hints)) if index not in self.sim.hints_revealed]
        cost = hints[left[0]].cost
        return (f"Reveal the next hint now? It costs {number(cost)} {'point' if cost == 1 else 'points'} of your score; "
                f"{count(len(left) - 1, 'hint')} left after it.")

    def apply(self, command: Command) -> Receipt:
        receipt = self.sim.apply(command)
        self.flush_journal()
        return receipt

    def listen(self, listener: Callable[[str, str], None]) -> None:
        """Answers come back from :meth:`apply` at once: nothing arrives later."""

    @property
    def journal(self) -> Journal:
        return self.sim.journal

    def hints_allowed(self) -> bool:
        """Hints are offered in practice, and in assessment only when the scenario allows them."""
        return not self.assess or self.scenario.hints_in_assessment

    def snapshot(self) -> Snapshot:
        return self.sim.snapshot()

    # ------------------------------------------------------------------ the end

    def end(self) -> Ending:
        """End the drill and measure it.

        Ending early means walking away, not stopping the world: the rest of
        the scenario runs without the trainee, so ending early never scores better.
        """
        if not self.sim.finished:
            self.sim.record(LEFT_TYPE)
            self.sim.run(self.sim.duration)
        early = bool(self.sim.journal.of_type(LEFT_TYPE))  # also a recovered drill the trainee had left
        self.ended = True
        self.flush_journal()
        self.close()
        return Ending(measure(self.sim, self.trainee), early)

    def report(self, ending: Ending) -> Report:
        """The trainee's run beside the no-action and reference runs (a few tenths of a second: use a worker)."""
        return Report(self.scenario, ending.run, *par_runs(self.scenario, self.seed))

    # ------------------------------------------------------------------ the journal on disk

    def _open_journal(self, path: Path) -> None:
        header = DrillHeader(self.scenario, self.seed, self.trainee, "assessment" if self.assess else "practice")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_header(path, header)
            # the journal so far (a rebuilt drill's replayed entries), whole and atomically, then appended to:
            # a recovered drill's old journal is replaced only by one that contains it (engine.records.recovery)
            write_atomic(path, self.sim.journal.to_jsonl())
            self._journal_seq = len(self.sim.journal)
            self._journal_file = open(path, "a", encoding="utf-8")
            hold(self._journal_file)
            self._progress = ProgressMark(path, self.sim.now)
        except OSError as exc:
            self.journal_error = f"cannot write the journal to {path}: {exc.strerror or exc}"
            self._journal_file = None

    def flush_journal(self) -> None:
        """Append the entries recorded since the last flush (at most a tick is lost in a crash)."""
        if self._journal_file is None:
            return
        entries = self.sim.journal.since(self._journal_seq)
        if not entries:
            if self._progress is not None:
                self._progress.mark(self.sim.now)
            return
        try:
            self._journal_file.write(self.sim.journal.to_jsonl(entries))
            self._journal_file.flush()
            os.fsync(self._journal_file.fileno())
        except OSError as exc:
            self.journal_error = f"cannot write the journal to {self.journal_path}: {exc.strerror or exc}"
            self._journal_file = None
            return
        self._journal_seq += len(entries)
        if self._progress is not None:
            self._progress.mark(self.sim.now)

    def close(self) -> None:
        if self._progress is not None:  # a complete journal says how far the drill got by itself
            self._progress.close(remove=self.sim.finished)
            self._progress = None
        if self._journal_file is not None:
            try:
                self._journal_file.close()
            except OSError:
                pass
            self._journal_file = None
