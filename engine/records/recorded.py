"""A recorded drill read back: one reader, one set of rules, for every command that reads one.

``spofdrill replay``, ``spofdrill postmortem``, ``spofdrill verify`` (of a
journal) and crash recovery all read a drill through this module, so a file
one of them accepts, the others accept, and a file one refuses, the others
refuse with the same words. A recorded drill is either

* a **result bundle** (:func:`engine.records.bundle.read_bundle`, read at most
  :data:`~engine.util.limits.MAX_BUNDLE_BYTES`), or
* a **console journal** ``X.jsonl`` beside its drill header ``X.drill.json``.

The rules for a journal (:func:`read_journal_text`, :func:`journal_rows`,
:func:`check_journal`):

1. at most :data:`~engine.util.limits.MAX_JOURNAL_BYTES`, UTF-8, every
   non-empty line a JSON object (a bad line is named);
2. not empty, and its first entry is ``DrillStarted``;
3. every command row follows :meth:`engine.records.replay.TimedCommand.from_dict`,
   at most :data:`~engine.util.limits.MAX_COMMANDS` of them, times never go
   back, nothing follows ``DrillEnded`` (:func:`engine.records.replay.transcript_from_journal`);
4. the header (at most :data:`~engine.util.limits.MAX_HEADER_BYTES`, its
   scenario hashing to the hash it records: :func:`engine.records.replay.read_header`)
   names the scenario and seed the journal's ``DrillStarted`` names.

A journal whose header is *missing* is read with the built-in scenario its
first entry names, with a note saying so (a damaged or mismatched header is
refused: it may have been edited). Every problem is a :class:`RecordError`
whose one-line message names the file, and the line where there is one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from engine.records.replay import (
    DrillHeader,
    Transcript,
    TranscriptError,
    header_path,
    read_header,
    transcript_from_journal,
)
from engine.scenario.schema import Scenario
from engine.util.files import TooLarge, read_limited
from engine.sim.journal import numbered_jsonl
from engine.util.jsontext import parse_json
from engine.util.limits import MAX_JOURNAL_BYTES

if TYPE_CHECKING:
    from engine.records.bundle import Bundle

STARTED_TYPE = "DrillStarted"
"""The first entry of every journal: it names the scenario and the seed."""


class RecordError(ValueError):
    """A recorded drill cannot be read; the one-line message names the file (and the line) and the problem.

    ``edited`` is True for a well-formed bundle whose content was changed after it was written.
    """

    def __init__(self, message: str, *, edited: bool = False) -> None:
        super().__init__(message)
        self.edited = edited


@dataclass(frozen=True)
class RecordedDrill:
    """A drill as recorded: enough to play it again, measure it or verify it."""

    scenario: Scenario
    seed: int
    trainee: str
    mode: str
    transcript: Transcript
    path: Path
    kind: str
    """``journal`` or ``bundle``."""
    notes: tuple[str, ...] = ()
    """What the reader had to assume (no drill header: a built-in scenario by name)."""
    journal_text: str | None = None
    """A journal's own text, to check the replay against (None for a bundle)."""
    bundle: Bundle | None = None
    """The bundle, for a bundle."""
    has_header: bool = True
    """False for a journal read without its drill header (a built-in scenario by name, see ``notes``)."""

    @property
    def scenario_name(self) -> str:
        return self.scenario.id or self.scenario.title


# --------------------------------------------------------------------------- the rules for a journal


def read_journal_text(path: Path | str) -> str:
    """A journal's text, read at most :data:`MAX_JOURNAL_BYTES`; :class:`RecordError` naming the file."""
    path = Path(path)
    if path.is_dir():
        raise RecordError(f"{path}: is a directory, not a journal or a result bundle")
    try:
        raw = read_limited(path, MAX_JOURNAL_BYTES, "a journal")
    except FileNotFoundError:
        raise RecordError(f"{path}: no such file") from None
    except TooLarge as exc:
        raise RecordError(str(exc)) from None
    except OSError as exc:
        raise RecordError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RecordError(f"{path}: not UTF-8 text, so not a journal (a journal is JSON Lines)") from None


journal_rows = numbered_jsonl
"""The entries of a journal's text and the line each is on (:func:`engine.sim.journal.numbered_jsonl`)."""


def check_journal(rows: Sequence[Any], lines: Sequence[int] | None = None) -> Transcript:
    """Rules 2 and 3 for a journal's entries: its transcript, or :class:`TranscriptError` naming the line."""
    if not rows:
        raise TranscriptError("empty: no journal entries")
    first = rows[0]
    if not isinstance(first, Mapping) or first.get("type") != STARTED_TYPE:
        raise TranscriptError(f"not a spofdrill journal (its first entry is not {STARTED_TYPE})")
    return transcript_from_journal(rows, lines)


def check_header(rows: Sequence[Any], header: DrillHeader, where: Path | str) -> None:
    """Rule 4: the header names the drill the journal's ``DrillStarted`` names; else :class:`TranscriptError`."""
    first = rows[0]
    name, seed = first.get("scenario"), first.get("seed")
    mine = header.scenario.id or header.scenario.title
    if header.seed != seed or isinstance(seed, bool) or mine != name:
        raise TranscriptError(
            f"its header {header_path(where).name} says {mine!r} seed {header.seed}, the journal "
            f"{_short(name)} seed {_short(seed)}: the header belongs to another drill"
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


# --------------------------------------------------------------------------- the one reader


def read_recorded_drill(path: Path | str) -> RecordedDrill:
    """A result bundle or a console journal (by its name ``.jsonl`` or its content); :class:`RecordError`."""
    path = Path(path)
    if path.suffix == ".jsonl":
        return read_journal_drill(path)
    if path.is_dir():
        raise RecordError(f"{path}: is a directory, not a journal or a result bundle")
    try:
        with open(path, "rb") as handle:
            start = handle.read(4096)
    except FileNotFoundError:
        raise RecordError(f"{path}: no such file") from None
    except OSError as exc:
        raise RecordError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if _starts_like_a_journal(start):
        return read_journal_drill(path)
    return _read_bundle(path)


def _starts_like_a_journal(start: bytes) -> bool:
    """JSON Lines by content: the first non-blank line is a JSON object with ``type`` and ``seq`` (a journal entry)."""
    line = start.lstrip(b" \t\r\n").split(b"\n", 1)[0].strip()
    if not line.startswith(b"{") or b'"seq"' not in line or b'"type"' not in line:
        return False
    try:
        row = parse_json(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(row, dict) and "type" in row and "seq" in row


JOURNAL_NOT_BUNDLE = "this is a console journal, not a result bundle"
"""How ``spofdrill verify`` begins its refusal of a journal it cannot verify (no header, or not named ``.jsonl``)."""


def unverifiable_journal(drill: RecordedDrill) -> str | None:
    """Why ``spofdrill verify`` refuses this console journal (one line, without the file name), or None.

    A journal is verified against its drill header: ``X.jsonl`` beside ``X.drill.json``. One renamed
    ``.json`` or without its header is refused; the built-in scenario its first entry names may have
    changed since the drill, so an OK would prove nothing.
    """
    if drill.kind != "journal":
        return None
    name = drill.path.name
    if drill.path.suffix != ".jsonl":
        stem = name.removesuffix(drill.path.suffix) if drill.path.suffix else name
        return (f"{JOURNAL_NOT_BUNDLE} (JSON Lines named {name}): verify takes a result bundle (s in the debrief) "
                f"or a journal named X.jsonl beside its X.drill.json header; rename it {stem}.jsonl")
    if not drill.has_header:
        return (f"{JOURNAL_NOT_BUNDLE}, and its drill header {header_path(drill.path).name} is missing, so it "
                "cannot be verified: verify takes a result bundle (s in the debrief) or a journal beside its header")
    return None


def _read_bundle(path: Path) -> RecordedDrill:
    from engine.records.bundle import BundleError, read_bundle

    try:
        bundle = read_bundle(path)
    except BundleError as exc:
        raise RecordError(str(exc), edited=exc.edited) from None
    return RecordedDrill(bundle.scenario, bundle.seed, bundle.trainee, bundle.mode, bundle.transcript, path, "bundle",
                         bundle=bundle)


def read_journal_drill(path: Path | str) -> RecordedDrill:
    """A console journal and its header, by every rule above; :class:`RecordError` naming the file and line."""
    path = Path(path)
    text = read_journal_text(path)
    try:
        rows, lines = journal_rows(text)
        transcript = check_journal(rows, lines)
    except ValueError as exc:  # TranscriptError is one too
        raise RecordError(f"{path}: {exc}") from None
    try:
        header = read_header(path)
    except TranscriptError as exc:
        if header_path(path).exists() or header_path(path).is_symlink():
            raise RecordError(str(exc)) from None
        scenario, seed = _builtin_fallback(path, rows[0], str(exc))
        name = scenario.id or scenario.title
        note = (f"No usable drill header ({exc}): replaying the built-in scenario {name!r} with seed {seed}, "
                "as the journal's first entry names them; if that scenario changed since the drill, the replay differs.")
        return RecordedDrill(scenario, seed, "trainee", "practice", transcript, path, "journal", (note,), text,
                             has_header=False)
    try:
        check_header(rows, header, path)
    except TranscriptError as exc:
        raise RecordError(f"{path}: {exc}") from None
    return RecordedDrill(header.scenario, header.seed, header.trainee, header.mode, transcript, path, "journal",
                         journal_text=text)


def _builtin_fallback(path: Path, first: Mapping[str, Any], problem: str) -> tuple[Scenario, int]:
    from engine.scenario.loader import builtin_scenarios, load_scenario
    from engine.scenario.problems import ScenarioError

    name, seed = first.get("scenario"), first.get("seed")
    if not isinstance(name, str) or name not in builtin_scenarios():
        raise RecordError(
            f"{path}: cannot be replayed: {problem}; and the journal's first entry names scenario {_short(name)}, "
            "which is not a built-in scenario (replay the drill's result bundle instead)"
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise RecordError(f"{path}: cannot be replayed: {problem}; and the journal's first entry has no seed")
    try:
        return load_scenario(name), seed
    except ScenarioError as exc:
        raise RecordError(f"{path}: cannot be replayed: {problem}; and the built-in scenario {name!r} "
                          f"does not load ({exc})") from None
