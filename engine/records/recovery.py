"""Nothing lost: drills that did not finish, found again and taken up where they stopped.

**Complete or interrupted.** A console drill writes its journal ``X.jsonl``
as it runs (one fsync per tick) beside its header ``X.drill.json`` (scenario,
seed, trainee, mode), both in ``data_dir()/journals``. The engine journals
``DrillEnded`` when the scenario's time runs out, and a trainee who leaves
reaches the debrief only after the console has run the rest of the scenario
without them, so **every drill that ended normally ends with ``DrillEnded``**.
A journal whose last complete entry is anything else is *interrupted*: the
process was killed, the machine went down, or the trainee chose "Quit"
(which keeps the journal so the drill can be taken up later). Nothing else is
written to mark a drill complete.

**A cut-off last line.** A crash in the middle of a write leaves a last line
without its newline (or not JSON): it is dropped, with a note, and the replay
writes it again. A damaged line anywhere else makes the journal unrecoverable.

**How far it got.** Quiet stretches journal nothing, so the console also
keeps a progress mark ``X.progress``: the simulated time up to which the
journal is on disk, rewritten (and fsynced) every simulated second, after the
journal. A drill stopped at the later of its last entry and its mark: at most
a second of it is lost. The mark is removed when the drill completes.

**Recovering** rebuilds the simulation from the header and the journal's
transcript with :class:`engine.records.replay.Replayer`, up to one console
millisecond past the moment it stopped (so every journaled entry,
including the commands given at that moment, is applied again and nothing the
trainee did is lost), and checks that the replay reproduces every journaled
line byte for byte; a journal that does not match (the scenario or the engine
changed since) is refused with the line that differs. A drill the trainee had
already left is replayed to its end. The console then writes the rebuilt
journal over the old one atomically (it only adds to it) and goes on
appending to it.

**Discarding** moves the journal and its header into
``data_dir()/journals/discarded/``: user data is never deleted silently.

A journal being written by a running console is held with an advisory lock
(:func:`hold`; POSIX only), so a second console does not take it for
interrupted. The lock goes with the process, however it dies.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from engine.util.jsontext import parse_json
from engine.util.files import TooLarge, data_dir, read_limited
from engine.util.limits import MAX_JOURNAL_BYTES, MAX_SMALL_FILE_BYTES
from engine.records.recorded import check_header, check_journal, journal_rows
from engine.records.replay import (
    DrillHeader,
    Replayer,
    Transcript,
    TranscriptError,
    header_path,
    read_header,
    replay,
)
from engine.sim.simulation import Simulation

try:  # advisory locks: POSIX only; elsewhere a live journal is simply not protected
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

JOURNALS = "journals"
"""The folder of ``data_dir()`` live journals are written to."""
DISCARDED = "discarded"
"""The folder of :data:`JOURNALS` discarded drills are moved to."""
ENDED_TYPE = "DrillEnded"
"""The journal entry that marks a drill complete."""
PROGRESS_SUFFIX = ".progress"
"""A live journal ``X.jsonl`` has its progress mark in ``X.progress``."""
PROGRESS_EVERY = 1.0
"""Simulated seconds between progress marks (what a crash can cost at most)."""
RESUME_STEP = 0.001
"""How far past the last journaled moment a recovered drill resumes (one console millisecond)."""
_TAIL = 8192


class RecoveryError(Exception):
    """An interrupted drill cannot be recovered; the message says which file and why."""


def journals_dir() -> Path:
    """Where the console writes live journals."""
    return data_dir() / JOURNALS


@dataclass(frozen=True)
class InterruptedDrill:
    """A journal whose drill did not end, with what recovering it needs (or why it cannot be)."""

    journal: Path
    """The journal file (``X.jsonl``)."""
    modified: float
    """When the journal was last written (seconds since the epoch)."""
    lines: tuple[str, ...]
    """The complete journal lines, without their newlines."""
    header: DrillHeader | None
    """The drill header, or None when it is missing or damaged (see :attr:`problem`)."""
    transcript: Transcript | None
    """The trainee's commands in the journal (None when :attr:`problem` is set)."""
    problem: str | None = None
    """Why the drill cannot be recovered; None when it can."""
    dropped: str | None = None
    """A note about a cut-off last line that was dropped, or None."""
    progress: float | None = None
    """The progress mark (see :class:`ProgressMark`), or None when there is none."""

    @property
    def recoverable(self) -> bool:
        return self.problem is None

    @property
    def last_entry_at(self) -> float:
        """The simulated time of the last journaled entry (0 when there is none)."""
        for line in reversed(self.lines):
            t = _time_of(line)
            if t is not None:
                return t
        return 0.0

    @property
    def stopped_at(self) -> float:
        """How far the drill had got: the later of its last entry and its progress mark."""
        last = self.last_entry_at
        duration = self.header.scenario.duration if self.header is not None else last
        if self.progress is not None and last < self.progress <= duration:
            return self.progress
        return last

    @property
    def left_at(self) -> float | None:
        """When the trainee had left the drill (it was being run to its end), or None."""
        return self.transcript.left_at if self.transcript is not None else None


def _time_of(line: str) -> float | None:
    try:
        t = parse_json(line).get("t")
        value = float(t) if isinstance(t, (int, float)) and not isinstance(t, bool) else None
    except (ValueError, AttributeError, OverflowError):
        return None
    return value if value is not None and math.isfinite(value) else None


def _last_line(path: Path) -> str:
    """The last non-empty line of a file, read from its end."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - _TAIL))
        tail = handle.read()
    lines = [line for line in tail.split(b"\n") if line.strip()]
    return lines[-1].decode("utf-8", "replace") if lines else ""


def is_complete(journal: Path) -> bool:
    """True when the journal's last line is a complete ``DrillEnded`` entry."""
    line = _last_line(journal)
    try:
        return parse_json(line).get("type") == ENDED_TYPE
    except (ValueError, AttributeError):
        return False


def in_use(journal: Path) -> bool:
    """True when a running console holds the journal (see :func:`hold`)."""
    if fcntl is None:
        return False
    try:
        with open(journal, "rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def hold(handle: IO[Any]) -> None:
    """Mark an open journal as being written by this process (released when it is closed or the process dies)."""
    if fcntl is None:
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass  # another process holds it, or the file system has no locks: nothing to protect with


def progress_path(journal: Path | str) -> Path:
    """Where the progress mark of a journal is kept."""
    path = Path(journal)
    return path.with_name(path.name.removesuffix(".jsonl") + PROGRESS_SUFFIX)


def read_progress(journal: Path | str) -> float | None:
    """The progress mark beside a journal, or None when missing or unreadable."""
    try:
        value = float(read_limited(progress_path(journal), MAX_SMALL_FILE_BYTES, "a progress mark").decode("ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return value if math.isfinite(value) and value >= 0 else None


class ProgressMark:
    """The progress mark of a live journal: how far the drill has got, with everything before it on disk.

    :meth:`mark` is called after each journal flush; it rewrites the file in
    place (one short write and an fsync) once per :data:`PROGRESS_EVERY`
    simulated seconds. A mark that cannot be written is given up silently:
    recovery then goes by the journal's last entry.
    """

    def __init__(self, journal: Path | str, now: float) -> None:
        self.path = progress_path(journal)
        try:
            self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError:
            self._fd = None
        self._marked = -PROGRESS_EVERY
        self.mark(now)

    def mark(self, now: float) -> None:
        """Record that the journal is on disk up to ``now`` (at most once per simulated second)."""
        if self._fd is None or now - self._marked < PROGRESS_EVERY:
            return
        try:
            os.pwrite(self._fd, f"{now:016.3f}\n".encode("ascii"), 0)
            os.fsync(self._fd)
        except OSError:
            self.close()  # the journal is what matters; recovery falls back to its last entry
            return
        self._marked = now

    def close(self, *, remove: bool = False) -> None:
        """Stop marking; ``remove`` deletes the mark (the drill completed, its journal says it all)."""
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = None
        if remove:
            try:
                self.path.unlink()
            except OSError:
                pass


def read_interrupted(journal: Path) -> InterruptedDrill:
    """Read a journal known not to be complete: its lines, header and transcript, or the problem.

    By the rules of :mod:`engine.records.recorded` (size, entries, command
    rows, the header and its match with ``DrillStarted``), except that a
    cut-off last line is dropped with a note.
    """
    journal = Path(journal)
    try:
        modified = journal.stat().st_mtime
        data = read_limited(journal, MAX_JOURNAL_BYTES, "a journal")
    except FileNotFoundError:
        return InterruptedDrill(journal, 0.0, (), None, None, f"{journal}: missing")
    except TooLarge as exc:
        return InterruptedDrill(journal, 0.0, (), None, None, f"{exc}; it cannot be recovered")
    except OSError as exc:
        return InterruptedDrill(journal, 0.0, (), None, None, f"{journal}: cannot be read ({exc.strerror or exc})")
    raw = data.split(b"\n")
    last = raw.pop()  # what follows the last newline: nothing unless the last write was cut off (maybe mid-character)
    if not last.strip() and raw and raw[-1].strip() and _time_of(raw[-1].decode("utf-8", "replace")) is None:
        last = raw.pop()  # a complete but unreadable last line: also what a crash mid-write leaves
    dropped = None
    if last.strip():
        dropped = (
            f"the last line of {journal.name} was cut off mid-write ({len(last)} bytes) and is dropped; "
            "the replay writes it again"
        )
    # a damaged byte elsewhere makes its line unreadable or unlike its replay: both are reported
    lines = [line.decode("utf-8", "replace") for line in raw]
    lines = [line for line in lines if line.strip()]
    try:
        rows, numbers = journal_rows("\n".join(lines))
        transcript = check_journal(rows, numbers)
    except ValueError as exc:  # TranscriptError is a ValueError too
        return InterruptedDrill(journal, modified, tuple(lines), None, None, f"{journal}: {exc}; the journal is damaged", dropped)
    try:
        header = read_header(journal)
        check_header(rows, header, journal)
    except TranscriptError as exc:
        problem = str(exc) if str(exc).startswith(str(header_path(journal))) else f"{journal}: {exc}"
        return InterruptedDrill(journal, modified, tuple(lines), None, None, problem, dropped)
    return InterruptedDrill(journal, modified, tuple(lines), header, transcript, None, dropped, read_progress(journal))


def find_interrupted(directory: Path | None = None) -> list[InterruptedDrill]:
    """The interrupted drills in ``directory`` (default :func:`journals_dir`), most recent first.

    A journal is interrupted when it is not complete (:func:`is_complete`) and
    no running console holds it (:func:`in_use`). Never raises: an unreadable
    journal is returned with its :attr:`~InterruptedDrill.problem`.
    """
    folder = journals_dir() if directory is None else Path(directory)
    try:
        candidates = [path for path in folder.glob("*.jsonl") if path.is_file()]
    except OSError:
        return []
    found = []
    for path in candidates:
        try:
            if is_complete(path) or in_use(path):
                continue
        except OSError:
            pass  # unreadable: read_interrupted says why
        try:
            found.append(read_interrupted(path))
        except Exception as exc:  # noqa: BLE001 - a hostile file must never stop the console from starting
            found.append(InterruptedDrill(path, 0.0, (), None, None,
                                          f"{path}: cannot be read ({type(exc).__name__}: {exc})"))
    found.sort(key=lambda drill: (drill.modified, drill.journal.name), reverse=True)
    return found


def rebuild(drill: InterruptedDrill) -> Simulation:
    """The simulation of an interrupted drill at the moment it stopped; :class:`RecoveryError` when it cannot be.

    The simulation has run to :data:`RESUME_STEP` past the last journaled
    entry (or to its end when the trainee had left) and its journal starts
    with every journaled line, byte for byte.
    """
    if drill.problem is not None or drill.header is None or drill.transcript is None:
        raise RecoveryError(drill.problem or f"{drill.journal}: cannot be recovered")
    header, transcript = drill.header, drill.transcript
    try:
        if transcript.left_at is not None:
            sim = replay(header.scenario, header.seed, transcript)
        else:
            replayer = Replayer(header.scenario, header.seed, transcript)
            replayer.run(drill.stopped_at + RESUME_STEP)
            sim = replayer.detach()
    except Exception as exc:  # noqa: BLE001 - an untrusted file must never crash the console: say why instead
        text = " ".join(str(exc).split())[:200]
        raise RecoveryError(f"{drill.journal}: cannot be replayed ({type(exc).__name__}: {text})") from None
    entries = list(sim.journal)
    for number, line in enumerate(drill.lines, 1):
        again = entries[number - 1].to_json() if number <= len(entries) else None
        if again != line:
            raise RecoveryError(
                f"{drill.journal}: line {number} does not match its replay "
                f"({'the replay has no such entry' if again is None else 'replayed: ' + _short(again)}); "
                "the scenario or spofdrill changed since the drill ran, so it cannot be taken up again"
            )
    return sim


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def discard(drill: InterruptedDrill | Path) -> Path:
    """Move a journal and its header into ``discarded/`` beside it; returns the folder. Raises OSError."""
    journal = drill.journal if isinstance(drill, InterruptedDrill) else Path(drill)
    folder = journal.parent / DISCARDED
    folder.mkdir(parents=True, exist_ok=True)
    stem = journal.name.removesuffix(".jsonl")
    suffix = ""
    number = 1
    while (folder / f"{stem}{suffix}.jsonl").exists() or header_path(folder / f"{stem}{suffix}.jsonl").exists():
        number += 1
        suffix = f"-{number}"
    target = folder / f"{stem}{suffix}.jsonl"
    for beside, moved in ((header_path(journal), header_path(target)), (progress_path(journal), progress_path(target))):
        if beside.exists():
            os.replace(beside, moved)
    if journal.exists():
        os.replace(journal, target)
    return folder
