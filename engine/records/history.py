"""The local record of drills: one SQLite file in the user's data directory.

Every finished drill becomes a :class:`Record` (who, which scenario and seed,
the score, grade and verdict, the score's breakdown). The console shows the
best result per scenario in the picker and the runs in the debrief.

The file is ``history.sqlite3`` in :func:`data_dir`: ``$SPOFDRILL_DATA_DIR``
when set, else ``$XDG_DATA_HOME/spofdrill``, else ``~/.local/share/spofdrill``.
It is opened in WAL mode (a reader never blocks the writer) and its schema
carries a version (``PRAGMA user_version``) so later releases can migrate it.

A history is a convenience, never a reason to stop: :meth:`History.open_safely`
turns a corrupt file, a file from a newer release or an unwritable directory
into a message naming the file and the problem, and the caller goes on without
records. Only the standard library is used.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from engine.util.jsontext import parse_json
from engine.util.files import DATA_DIR_ENV, data_dir
from typing import Any

"""Environment variable naming the data directory (overrides the XDG location)."""
FILE_NAME = "history.sqlite3"
"""The history file's name inside the data directory."""
SCHEMA_VERSION = 1
"""The schema this release writes (stored as ``PRAGMA user_version``)."""

_SCHEMA_V1 = (
    """CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trainee TEXT NOT NULL,
    scenario TEXT NOT NULL,
    seed INTEGER NOT NULL,
    score REAL NOT NULL,
    grade TEXT NOT NULL,
    passed INTEGER NOT NULL,
    breakdown TEXT NOT NULL,
    tags TEXT NOT NULL,
    mode TEXT NOT NULL,
    finished_at REAL NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS runs_by_scenario ON runs (scenario, score DESC)",
    "CREATE INDEX IF NOT EXISTS runs_by_time ON runs (finished_at DESC)",
)

_MIGRATIONS: dict[int, tuple[str, ...]] = {0: _SCHEMA_V1}
"""The statements that take a database from each version to the next.

Each is idempotent (``IF NOT EXISTS``): a file another process is creating at
the same moment, or one a crash left between statements, migrates the same.
"""

BUSY_TIMEOUT = 5.0
"""Seconds a statement waits for another process's lock before "database is locked"."""
PREPARE_BUSY_TIMEOUT = 1.0
"""The same while opening (each attempt's statements), so that opening ends within :data:`PREPARE_DEADLINE` plus a little."""
PREPARE_DEADLINE = 5.0
"""Seconds opening keeps retrying a locked file (with backoff) before it reports it."""

_COLUMNS = "id, trainee, scenario, seed, score, grade, passed, breakdown, tags, mode, finished_at"


def default_path() -> Path:
    """The history file in :func:`data_dir`."""
    return data_dir() / FILE_NAME


@dataclass(frozen=True)
class Record:
    """One finished drill as stored."""

    id: int
    """Row id, increasing in recording order."""
    trainee: str
    """Who ran the drill."""
    scenario: str
    """The scenario's id."""
    seed: int
    """The seed the drill ran with (same seed, same faults)."""
    score: float
    """The 0-100 score."""
    grade: str
    """The letter grade (A-F)."""
    passed: bool
    """Whether the run met the scenario's bar."""
    breakdown: dict[str, Any] = field(hash=False)
    """The score's parts (penalties, probes), as stored in JSON."""
    tags: tuple[str, ...]
    """The scenario's tags (concepts) at the time of the run."""
    mode: str
    """How the drill ran, e.g. ``practice`` or ``assessment``."""
    finished_at: float
    """When the drill ended, seconds since the epoch."""

    @property
    def result(self) -> str:
        """The score and grade as the picker shows them, e.g. ``87.5 B``."""
        return f"{self.score:.1f} {self.grade}"


class HistoryError(Exception):
    """The history file cannot be used; the message names the file and the problem."""


class History:
    """The drill history in one SQLite file; a context manager.

    Opening creates the directory and the schema when missing and raises
    :class:`HistoryError` when the file cannot be used (use
    :meth:`open_safely` to get a message instead). The connection may be
    shared between threads: calls are serialised by a lock.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path: Path = Path(path) if path is not None else default_path()
        """The history file."""
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except FileExistsError as exc:
            raise HistoryError(self._message(f"{directory} (or a folder above it) is a file, not a directory")) from exc
        except OSError as exc:
            raise HistoryError(self._message(f"cannot create its directory {directory}: {_reason(exc)}")) from exc
        try:
            self._conn = sqlite3.connect(self.path, timeout=PREPARE_BUSY_TIMEOUT, check_same_thread=False,
                                         isolation_level=None)
            self._prepare()
        except HistoryError:
            self.close()
            raise
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise HistoryError(self._message(_explain(exc))) from exc

    # ------------------------------------------------------------------ opening

    @classmethod
    def open_safely(cls, path: Path | str | None = None) -> tuple[History | None, str | None]:
        """``(history, None)``, or ``(None, message)`` when the file cannot be used.

        Never raises: a corrupt file, a newer schema, a missing home directory
        or an unwritable directory all become a message naming the file and
        the problem (the caller adds what it means, e.g. "results will not be recorded").
        """
        try:
            return cls(path), None
        except HistoryError as exc:
            return None, str(exc)
        except (OSError, RuntimeError, ValueError) as exc:  # e.g. Path.home() without a home directory
            where = str(path) if path is not None else "the drill history"
            return None, f"{where}: cannot be opened ({_reason(exc)})"

    def _message(self, problem: str) -> str:
        return f"drill history {self.path}: {problem}"

    def _prepare(self) -> None:
        """WAL mode, integrity check and schema creation or migration; safe against other processes doing the same.

        A "database is locked" while preparing (another process is creating or
        migrating the file this very moment) is retried with backoff for up to
        :data:`PREPARE_DEADLINE` seconds, then reported.
        """
        conn = self._connection()
        deadline = time.monotonic() + PREPARE_DEADLINE
        pause = 0.02
        while True:
            try:
                self._prepare_once(conn)
                break
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or time.monotonic() + pause > deadline:
                    raise
            except _NotYetWal:
                if time.monotonic() + pause > deadline:
                    raise HistoryError(self._message("cannot switch to WAL mode (another process holds the file)")) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.25)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")

    def _prepare_once(self, conn: sqlite3.Connection) -> None:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()
        if not mode or str(mode[0]).lower() != "wal":
            if mode and str(mode[0]).lower() in ("delete", "truncate", "persist"):
                raise _NotYetWal  # another connection kept it from switching: try again
            raise HistoryError(self._message(f"cannot switch to WAL mode (journal mode is {mode[0] if mode else 'unknown'})"))
        check = conn.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            detail = check[0] if check else "no answer"
            raise HistoryError(self._message(f"the database is damaged ({detail}); move the file aside to start a new history"))
        version = self._version(conn)
        if version == SCHEMA_VERSION:
            return
        # Migrate under the write lock, reading the version again: another process may have done it meanwhile.
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = self._version(conn)
            while version < SCHEMA_VERSION:
                for statement in _MIGRATIONS[version]:
                    conn.execute(statement)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the original error says more
            raise

    def _version(self, conn: sqlite3.Connection) -> int:
        """The schema version, refused when newer than this release reads."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(
                self._message(
                    f"written by a newer spofdrill (schema version {version}; this one reads up to {SCHEMA_VERSION})"
                )
            )
        return version

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise HistoryError(self._message("it is closed"))
        return self._conn

    # ------------------------------------------------------------------ records

    def record(
        self,
        *,
        trainee: str,
        scenario: str,
        seed: int,
        score: float,
        grade: str,
        passed: bool,
        breakdown: dict,
        tags: list[str],
        mode: str = "practice",
        finished_at: float | None = None,
    ) -> int:
        """Store a finished drill and return its row id (``finished_at`` defaults to now)."""
        if not math.isfinite(score):
            raise ValueError(f"score must be a finite number, not {score!r}")
        when = time.time() if finished_at is None else float(finished_at)
        row = (
            trainee,
            scenario,
            int(seed),
            float(score),
            grade,
            int(bool(passed)),
            json.dumps(breakdown, sort_keys=True, default=str),
            json.dumps(list(tags)),
            mode,
            when,
        )
        with self._lock:
            try:
                cursor = self._connection().execute(
                    "INSERT INTO runs (trainee, scenario, seed, score, grade, passed, breakdown, tags, mode, finished_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
            except sqlite3.Error as exc:
                raise HistoryError(self._message(_explain(exc))) from exc
        return int(cursor.lastrowid or 0)

    def best(self, scenario: str, trainee: str | None = None) -> Record | None:
        """The highest-scoring run of ``scenario`` (the earliest on a tie), or ``None``."""
        where, params = _filters(scenario, trainee)
        rows = self._query(f"SELECT {_COLUMNS} FROM runs{where} ORDER BY score DESC, finished_at ASC, id ASC LIMIT 1", params)
        return rows[0] if rows else None

    def runs(self, scenario: str | None = None, trainee: str | None = None, limit: int = 100) -> list[Record]:
        """Runs, newest first, optionally of one scenario and/or one trainee."""
        where, params = _filters(scenario, trainee)
        return self._query(
            f"SELECT {_COLUMNS} FROM runs{where} ORDER BY finished_at DESC, id DESC LIMIT ?", (*params, max(0, int(limit)))
        )

    def all_runs(self, trainee: str | None = None) -> list[Record]:
        """Every run, newest first, optionally of one trainee (progress looks at the whole history)."""
        where, params = _filters(None, trainee)
        return self._query(f"SELECT {_COLUMNS} FROM runs{where} ORDER BY finished_at DESC, id DESC", params)

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[Record]:
        with self._lock:
            try:
                rows = self._connection().execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise HistoryError(self._message(_explain(exc))) from exc
        return [_record(row) for row in rows]

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Close the file; further calls raise :class:`HistoryError`. Safe to call twice."""
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                finally:
                    self._conn = None

    def __enter__(self) -> History:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"History({str(self.path)!r})"


def _filters(scenario: str | None, trainee: str | None) -> tuple[str, tuple[Any, ...]]:
    """A WHERE clause and its parameters."""
    clauses, params = [], []
    if scenario is not None:
        clauses.append("scenario = ?")
        params.append(scenario)
    if trainee is not None:
        clauses.append("trainee = ?")
        params.append(trainee)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def _record(row: tuple[Any, ...]) -> Record:
    """A row of ``runs`` as a :class:`Record` (unreadable JSON reads as empty)."""
    rid, trainee, scenario, seed, score, grade, passed, breakdown, tags, mode, finished_at = row
    return Record(
        id=int(rid),
        trainee=trainee,
        scenario=scenario,
        seed=int(seed),
        score=float(score),
        grade=grade,
        passed=bool(passed),
        breakdown=_json(breakdown, dict, {}),
        tags=tuple(str(tag) for tag in _json(tags, list, [])),
        mode=mode,
        finished_at=float(finished_at),
    )


def _json(text: str, kind: type, empty: Any) -> Any:
    try:
        value = parse_json(text)
    except (TypeError, ValueError):
        return empty
    return value if isinstance(value, kind) else empty


class _NotYetWal(Exception):
    """The switch to WAL mode did not happen (another connection had the file open in a transaction)."""


def _is_locked(exc: BaseException) -> bool:
    """Whether a SQLite error is another process holding the file (worth waiting for)."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _reason(exc: BaseException) -> str:
    """An OS error in words: ``permission denied``, ``not a directory``."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def _explain(exc: BaseException) -> str:
    """What a SQLite or OS error means for the person whose file it is."""
    text = str(exc)
    lowered = text.lower()
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return f"the file is not a readable SQLite database ({text}); move it aside to start a new history"
    if "readonly" in lowered or "read-only" in lowered:
        return f"the file or its directory is read-only ({text})"
    if "unable to open" in lowered:
        return f"cannot open the file ({text}): is the directory writable?"
    if "locked" in lowered or "busy" in lowered:
        return f"another process holds the file ({text})"
    if isinstance(exc, OSError):
        return _reason(exc)
    return text


__all__ = ["DATA_DIR_ENV", "FILE_NAME", "SCHEMA_VERSION", "History", "HistoryError", "Record", "data_dir", "default_path"]
