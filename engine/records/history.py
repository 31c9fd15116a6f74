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
import stat
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from engine.util.jsontext import parse_json
from engine.util.files import DATA_DIR_ENV, data_dir
from engine.util.limits import MAX_HISTORY_JSON_BYTES, MAX_HISTORY_TEXT_BYTES
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

MAX_TEXT_BYTES = MAX_HISTORY_TEXT_BYTES
MAX_JSON_BYTES = MAX_HISTORY_JSON_BYTES
MAX_DETAILS = 100
"""Unreadable rows described one by one in :attr:`History.skipped`; past it they are only counted."""

_FIELDS: tuple[tuple[str, int], ...] = (
    ("id", 64),
    ("trainee", MAX_TEXT_BYTES),
    ("scenario", MAX_TEXT_BYTES),
    ("seed", 64),
    ("score", 64),
    ("grade", MAX_TEXT_BYTES),
    ("passed", 64),
    ("breakdown", MAX_JSON_BYTES),
    ("tags", MAX_JSON_BYTES),
    ("mode", MAX_TEXT_BYTES),
    ("finished_at", 64),
)
"""The columns of ``runs`` a :class:`Record` is read from, each with the most bytes read of it."""

_COLUMNS = ", ".join(
    f"typeof({name}), length(CAST({name} AS BLOB)), CASE WHEN length(CAST({name} AS BLOB)) <= {cap} THEN {name} END"
    for name, cap in _FIELDS
)
"""Per column: its storage class, its size in bytes, and its value when not over the cap (a huge value never
reaches Python; SQLite is dynamically typed, so a row may hold anything in any column)."""


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
        self.skipped: list[str] = []
        """Why each unreadable row seen so far was left out, e.g. ``row 7: seed 'seven' is not a whole number``
        (the first :data:`MAX_DETAILS`; :attr:`skipped_rows` counts them all)."""
        self._skipped_ids: set[Any] = set()
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except FileExistsError as exc:
            raise HistoryError(self._message(f"{directory} (or a folder above it) is a file, not a directory")) from exc
        except OSError as exc:
            raise HistoryError(self._message(f"cannot create its directory {directory}: {_reason(exc)}")) from exc
        self._refuse_special_files()
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
        except (UnicodeDecodeError, ValueError) as exc:  # damaged bytes where SQLite keeps its own text (the schema)
            self.close()
            raise HistoryError(self._message(
                f"the file is not a readable SQLite database ({type(exc).__name__}); move it aside to start a new history"
            )) from exc

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

    def _refuse_special_files(self) -> None:
        """A directory, pipe or device where the file (or its WAL companions) should be: SQLite would fail or hang."""
        for path in (self.path, self.path.with_name(self.path.name + "-wal"), self.path.with_name(self.path.name + "-shm")):
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise HistoryError(self._message(f"cannot read {path.name}: {_reason(exc)}")) from exc
            if stat.S_ISDIR(info.st_mode):
                raise HistoryError(self._message(f"{path.name} is a directory, not a file; move it aside to start a new history"))
            if not stat.S_ISREG(info.st_mode):
                raise HistoryError(self._message(f"{path.name} is not a regular file (a pipe, socket or device)"))

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
            detail = _one_line(str(check[0])) if check else "no answer"  # SQLite lists every damaged page, one per line
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
        """The highest-scoring readable run of ``scenario`` (the earliest on a tie), or ``None``."""
        where, params = _filters(scenario, trainee)
        rows = self._query(f"SELECT {_COLUMNS} FROM runs{where} ORDER BY score DESC, finished_at ASC, id ASC", params, 1)
        return rows[0] if rows else None

    def runs(self, scenario: str | None = None, trainee: str | None = None, limit: int = 100) -> list[Record]:
        """Readable runs, newest first, optionally of one scenario and/or one trainee (at most ``limit``)."""
        where, params = _filters(scenario, trainee)
        return self._query(f"SELECT {_COLUMNS} FROM runs{where} ORDER BY finished_at DESC, id DESC", params,
                           max(0, int(limit)))

    def all_runs(self, trainee: str | None = None) -> list[Record]:
        """Every readable run, newest first, optionally of one trainee (progress looks at the whole history)."""
        where, params = _filters(None, trainee)
        return self._query(f"SELECT {_COLUMNS} FROM runs{where} ORDER BY finished_at DESC, id DESC", params)

    def _query(self, sql: str, params: tuple[Any, ...], limit: int | None = None) -> list[Record]:
        """The readable rows of a query, up to ``limit``; the others are skipped and noted in :attr:`skipped`.

        Text is fetched as bytes and decoded here, so a value that is not UTF-8
        is one unreadable row rather than an error that ends the query.
        """
        records: list[Record] = []
        if limit == 0:
            return records
        with self._lock:
            conn = self._connection()
            conn.text_factory = bytes
            try:
                for row in conn.execute(sql, params):
                    try:
                        records.append(_record(row))
                    except _Unreadable as bad:
                        self._skip(bad.rid, str(bad))
                        continue
                    if limit is not None and len(records) >= limit:
                        break
            except sqlite3.Error as exc:
                raise HistoryError(self._message(_explain(exc))) from exc
            finally:
                conn.text_factory = str
        return records

    def _skip(self, rid: Any, why: str) -> None:
        if rid in self._skipped_ids:
            return
        self._skipped_ids.add(rid)
        if len(self.skipped) < MAX_DETAILS:
            self.skipped.append(why)

    @property
    def skipped_rows(self) -> int:
        """How many rows seen so far could not be read (and were left out of every answer)."""
        return len(self._skipped_ids)

    @property
    def problem(self) -> str | None:
        """The unreadable rows seen so far in one line naming the file, or ``None`` when every row read.

        E.g. ``drill history /…/history.sqlite3: 2 rows could not be read (row 7: seed 'seven' is not a whole
        number; row 9: score 'x' is not a number) and are left out``. The rows stay in the file, unchanged.
        """
        count = self.skipped_rows
        if not count:
            return None
        shown = self.skipped[:3]
        more = count - len(shown)
        details = "; ".join(shown) + (f"; and {more:,} more" if more else "")
        rows = "1 row" if count == 1 else f"{count:,} rows"
        return self._message(f"{rows} could not be read ({details}) and {'is' if count == 1 else 'are'} left out")

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


class _Unreadable(Exception):
    """A row that is not a run as this release writes it; the message says which row and why."""

    def __init__(self, rid: Any, why: str) -> None:
        super().__init__(f"row {_shown(rid)}: {why}")
        self.rid = rid


def _record(row: tuple[Any, ...]) -> Record:
    """A row of ``runs`` (storage class, size and capped value per column of :data:`_FIELDS`) as a :class:`Record`.

    Only values of the type this release writes are accepted; anything else
    raises :class:`_Unreadable` naming the row and the first bad column.
    """
    fields = {}
    for index, (name, cap) in enumerate(_FIELDS):
        storage, size, value = row[3 * index: 3 * index + 3]
        fields[name] = (_text(storage), size, value, cap)
    rid = _value("id", *fields["id"], rid=None)
    if type(rid) is not int:
        raise _Unreadable(rid, f"id {_shown(rid)} is not a whole number")

    def get(name: str) -> Any:
        return _value(name, *fields[name], rid=rid)

    trainee, scenario, grade, mode = (_plain(get(name), name, rid) for name in ("trainee", "scenario", "grade", "mode"))
    seed = get("seed")
    if type(seed) is not int:
        raise _Unreadable(rid, f"seed {_shown(seed)} is not a whole number")
    score = _finite(get("score"), "score", rid)
    passed = get("passed")
    if type(passed) is not int or passed not in (0, 1):
        raise _Unreadable(rid, f"passed {_shown(passed)} is neither 0 nor 1")
    finished_at = _finite(get("finished_at"), "finished_at", rid)
    try:
        datetime.fromtimestamp(finished_at)
        datetime.fromtimestamp(finished_at, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise _Unreadable(rid, f"finished_at {_shown(finished_at)} is not a date") from None
    breakdown = _json(get("breakdown"), "breakdown", dict, "an object", rid)
    tags = _json(get("tags"), "tags", list, "a list", rid)
    for tag in tags:
        _plain(tag, "tags", rid, what="a tag")
    return Record(
        id=rid,
        trainee=trainee,
        scenario=scenario,
        seed=seed,
        score=score,
        grade=grade,
        passed=bool(passed),
        breakdown=breakdown,
        tags=tuple(tags),
        mode=mode,
        finished_at=finished_at,
    )


def _text(raw: Any) -> Any:
    """Text fetched as bytes (the connection's text factory while reading) as ``str``; other values as they are."""
    return raw.decode("utf-8") if isinstance(raw, bytes) else raw


def _value(name: str, storage: Any, size: Any, value: Any, cap: int, *, rid: Any) -> Any:
    """One column's value by its SQLite storage class; :class:`_Unreadable` for a blob, a huge value or bad UTF-8."""
    if storage == "null":
        raise _Unreadable(rid, f"{name} is missing (NULL)")
    if storage == "blob":
        raise _Unreadable(rid, f"{name} is binary data (a BLOB), not {'a number' if cap == 64 else 'text'}")
    if not isinstance(size, int) or size > cap:
        raise _Unreadable(rid, f"{name} is {size:,} bytes long (at most {cap:,} are read)" if isinstance(size, int)
                          else f"{name} has no length")
    if storage == "text":
        try:
            return value.decode("utf-8") if isinstance(value, bytes) else value
        except UnicodeDecodeError:
            raise _Unreadable(rid, f"{name} is not UTF-8 text") from None
    if storage in ("integer", "real"):
        return value
    raise _Unreadable(rid, f"{name} has an unknown type ({_shown(storage)})")


def _plain(value: Any, name: str, rid: Any, *, what: str | None = None) -> str:
    """A text value without control characters (they would be sent to the terminal as they are)."""
    label = what or name
    if not isinstance(value, str):
        raise _Unreadable(rid, f"{label} {_shown(value)} is not text")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise _Unreadable(rid, f"{label} {_shown(value)} has control characters in it")
    return value


def _finite(value: Any, name: str, rid: Any) -> float:
    if type(value) not in (int, float):
        raise _Unreadable(rid, f"{name} {_shown(value)} is not a number")
    if not math.isfinite(value):
        raise _Unreadable(rid, f"{name} {_shown(value)} is not a finite number")
    return float(value)


def _json(value: Any, name: str, kind: type, what: str, rid: Any) -> Any:
    if not isinstance(value, str):
        raise _Unreadable(rid, f"{name} {_shown(value)} is not JSON text")
    try:
        parsed = parse_json(value)
    except ValueError as exc:
        raise _Unreadable(rid, f"{name} is not JSON ({_shorten(str(exc))})") from None
    if not isinstance(parsed, kind):
        raise _Unreadable(rid, f"{name} is JSON but not {what}")
    return parsed


def _shorten(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _shown(value: Any) -> str:
    """A stored value as a short one-line quote: ``'seven'``, ``1e+20``, ``'aaaa…'``."""
    if isinstance(value, float):
        return repr(value)
    return _shorten(repr(value))


class _NotYetWal(Exception):
    """The switch to WAL mode did not happen (another connection had the file open in a transaction)."""


def _is_locked(exc: BaseException) -> bool:
    """Whether a SQLite error is another process holding the file (worth waiting for)."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _one_line(text: str, most: int = 160) -> str:
    """SQLite's multi-line report as one short line: the first problem, and how many more."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("***")]
    if not lines:
        return text.strip()[:most]
    first = lines[0] if len(lines[0]) <= most else lines[0][: most - 1] + "…"
    return first + (f"; and {len(lines) - 1} more" if len(lines) > 1 else "")


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
