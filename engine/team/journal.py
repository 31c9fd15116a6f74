"""The host's journal on disk, written like a single-player drill's so the existing recovery path reads it.

The header (``….drill.json``), then the journal so far atomically, then appended to and fsynced at most a
second of simulated (or wall) time apart, with the progress mark beside it (:mod:`engine.records.recovery`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO

from engine.records.recovery import ProgressMark, hold
from engine.records.replay import DrillHeader, write_header
from engine.sim.simulation import Simulation
from engine.util.files import write_atomic

FLUSH_EVERY = 1.0
"""Simulated seconds between two flushes at most (a killed host loses at most this much)."""


class LiveJournal:
    """The journal of a hosted drill, appended as it runs."""

    def __init__(self, sim: Simulation, path: Path, header: DrillHeader) -> None:
        self.sim = sim
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        write_header(path, header)
        write_atomic(path, sim.journal.to_jsonl())
        self._seq = len(sim.journal)
        self._file: IO[str] | None = open(path, "a", encoding="utf-8")
        hold(self._file)
        self._progress: ProgressMark | None = ProgressMark(path, sim.now)
        self._flushed_at = sim.now
        self._wall = time.monotonic()

    def due(self) -> bool:
        """Whether a flush is due: a simulated or a wall second since the last one, or the drill has finished."""
        return (self.sim.now - self._flushed_at >= FLUSH_EVERY or time.monotonic() - self._wall >= FLUSH_EVERY
                or self.sim.finished)

    def flush(self) -> None:
        """Append and fsync the entries recorded since the last flush; OSError propagates."""
        if self._file is None:
            return
        entries = self.sim.journal.since(self._seq)
        if entries:
            self._file.write(self.sim.journal.to_jsonl(entries))
            self._file.flush()
            os.fsync(self._file.fileno())
            self._seq += len(entries)
        self._flushed_at = self.sim.now
        self._wall = time.monotonic()
        if self._progress is not None:
            self._progress.mark(self.sim.now)

    def close(self) -> None:
        self.flush()
        if self._progress is not None:
            self._progress.close(remove=self.sim.finished)
            self._progress = None
        if self._file is not None:
            self._file.close()
            self._file = None
