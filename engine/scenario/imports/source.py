"""Reading the files an import is given: YAML documents with line marks, within the loader's limits, and the notes.

Every input is untrusted (a Compose file from a repository, a folder of
manifests exported from a cluster). Each file is read with the scenario
loader's reader (:func:`~engine.scenario.loader.yamlfile.read_file` and
:func:`~engine.scenario.loader.yamlfile.read_yaml`): the same size cap, alias
and nesting guards, UTF-8 check and duplicate-key check. A multi-document file
(``---``) is cut at its document markers and each document read on its own, its
lines shifted back to the file's. The whole import shares one budget of bytes
and of YAML values, so many files of tiny values still read in a few seconds.

:class:`Notes` gathers what an import says about its input: problems (bad
input: nothing is written) and notes (assumptions, defaults, things skipped),
each with the file and line it is about.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engine.scenario.loader.collector import Collector, KeyPath, show
from engine.scenario.loader.yamlfile import read_file, read_yaml
from engine.scenario.problems import Problem, ScenarioError
from engine.util.limits import MAX_SCENARIO_BYTES, MAX_YAML_VALUES, MiB, over

MAX_FILE_BYTES = MAX_SCENARIO_BYTES
"""The largest input file: the scenario loader's cap (a Compose file or a manifest is a few KiB)."""
MAX_TOTAL_BYTES = 4 * MiB
"""All input files together (reading YAML costs about 0.6 s per MiB)."""
MAX_TOTAL_VALUES = MAX_YAML_VALUES
"""YAML keys and items of all documents together, as of one scenario file (50,000 take about 2 s to read; a real
application's manifests hold a few thousand). A document is refused unread when its lines and commas, which
bound how many values it can spell out, exceed what is left."""
MAX_FILES = 200
"""Files in one import (a folder of manifests); a real application has tens."""
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
"""The files of a folder that are read."""

NoteKind = Literal["assumption", "default", "skipped", "note"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean(text: object) -> str:
    """Text from a user's file made safe for one line of a report or a YAML comment (no control characters)."""
    return _CONTROL.sub("?", str(text))


@dataclass(frozen=True)
class Note:
    """Something the import assumed, defaulted, skipped or noticed, and where."""

    kind: NoteKind
    """``assumption`` (a mapping choice to check), ``default`` (a value the input does not give),
    ``skipped`` (input that is not modelled) or ``note`` (a fact worth knowing, e.g. a disruption budget)."""
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = clean(self.file) + (f":{self.line}" if self.line is not None else "")
        return f"{where}: {self.kind}: {clean(self.message)}"


class Notes:
    """Problems and notes of one import; problems abort it, notes go with the result."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.notes: list[Note] = []

    def problem(self, file: str, line: int | None, message: str) -> None:
        """Bad input: reported, and nothing is imported."""
        self.problems.append(Problem(clean(file), line, None, "", clean(message)))

    def add(self, kind: NoteKind, file: str, line: int | None, message: str) -> None:
        """A note that goes with the imported scenario."""
        self.notes.append(Note(kind, file, line, message))

    def raise_problems(self) -> None:
        """Raise :class:`ScenarioError` with every problem so far, in file order."""
        if self.problems:
            unique = list(dict.fromkeys(self.problems))
            raise ScenarioError(sorted(unique, key=Problem.sort_key))


@dataclass(frozen=True)
class Document:
    """One YAML document of an input file: its data and where each key path sits."""

    file: str
    data: Any
    positions: Mapping[KeyPath, tuple[int, int]]

    def line(self, path: KeyPath = ()) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            position = self.positions.get(path[:end])
            if position is not None:
                return position[0]
        return None

    def get(self, path: KeyPath, expected: type | tuple[type, ...], notes: Notes, what: str, default: Any = None) -> Any:
        """The value at ``path`` when it has the ``expected`` type; a problem naming ``what`` when it has another."""
        value = value_at(self.data, path)
        if value is None:
            return default
        if isinstance(value, bool) and bool not in (expected if isinstance(expected, tuple) else (expected,)):
            value_ok = False
        else:
            value_ok = isinstance(value, expected)
        if not value_ok:
            notes.problem(self.file, self.line(path), f"{what} must be {_type_words(expected)}, got {show(value)}")
            return default
        return value


def value_at(data: Any, path: KeyPath) -> Any:
    """The value at a key path (mapping keys and list indexes), or ``None`` when the path is not there."""
    for key in path:
        if isinstance(data, Mapping):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def _type_words(expected: type | tuple[type, ...]) -> str:
    names = {dict: "a mapping", Mapping: "a mapping", list: "a list", str: "text", int: "a whole number",
             float: "a number", bool: "true or false"}
    kinds = expected if isinstance(expected, tuple) else (expected,)
    words = list(dict.fromkeys(names.get(kind, kind.__name__) for kind in kinds))
    return " or ".join(words)


_MARKER = re.compile(r"^(---|\.\.\.)(?=[ \t]|$)", re.MULTILINE)


class Reader:
    """Reads input files into documents within the import's shared budget of bytes and values."""

    def __init__(self, notes: Notes) -> None:
        self.notes = notes
        self.bytes_left = MAX_TOTAL_BYTES
        self.values_left = MAX_TOTAL_VALUES

    def files(self, paths: list[str]) -> list[str]:
        """The files named by ``paths``: files as given, folders as their manifest files (sorted, not recursive)."""
        out: list[str] = []
        for raw in paths:
            path = Path(raw)
            try:
                is_dir = path.is_dir()
            except OSError as exc:
                self.notes.problem(raw, None, f"cannot read it: {exc.strerror or exc}")
                continue
            if not is_dir:
                out.append(raw)
                continue
            try:
                found = sorted(str(child) for child in path.iterdir()
                               if child.suffix.lower() in MANIFEST_SUFFIXES and not child.is_dir())
            except OSError as exc:
                self.notes.problem(raw, None, f"cannot list the folder: {exc.strerror or exc}")
                continue
            if not found:
                self.notes.problem(raw, None, f"the folder has no {', '.join(MANIFEST_SUFFIXES)} files to import")
            out.extend(found)
        if len(out) > MAX_FILES:
            self.notes.problem(paths[0], None, over("one import", len(out), MAX_FILES, "files"))
            return []
        return out

    def documents(self, file: str) -> list[Document]:
        """The documents of one file (empty ones left out); problems go to the notes."""
        collector = Collector(file)
        if _waits(file):
            self.notes.problem(file, None, "is a pipe or a socket, not a file: reading it could wait forever")
            return []
        text = read_file(Path(file), collector, min(MAX_FILE_BYTES, max(self.bytes_left, 0)) or 1, "an imported file")
        if text is None:
            self._report(collector)
            return []
        self.bytes_left -= len(text)
        out: list[Document] = []
        for start_line, chunk in _split(text):
            if chunk.count("\n") + chunk.count(",") > self.values_left:  # every value takes a line or a comma
                self.notes.problem(file, start_line + 1, "the import " + over("one import", None, MAX_TOTAL_VALUES, "YAML values")
                                   + ": import fewer or smaller files")
                break
            if _blank(chunk):
                continue
            part = Collector(file)
            document = read_yaml(chunk, part)
            shifted = {path: (line + start_line, column) for path, (line, column) in part.positions.items()}
            for problem in part.problems:
                line = problem.line + start_line if problem.line is not None else start_line + 1
                self.notes.problems.append(dataclasses.replace(problem, line=line, path=""))
            if document is None or document.data is None:
                continue
            self.values_left -= len(part.positions)  # one position per key and list item read
            out.append(Document(file, document.data, shifted))
        return out

    def _report(self, collector: Collector) -> None:
        for problem in collector.problems:
            self.notes.problems.append(dataclasses.replace(problem, path=""))


def _split(text: str) -> list[tuple[int, str]]:
    """The documents of a stream as (lines before it, text), cut at ``---`` and ``...`` markers in column 1.

    A marker is blanked rather than cut (``--- {a: 1}`` keeps ``{a: 1}`` at its column), so each
    piece reads with the file's columns, and its lines are the file's shifted by the lines before it.
    """
    pieces: list[tuple[int, str]] = []
    start, start_line, counted_to, prefix = 0, 0, 0, ""
    for match in _MARKER.finditer(text):
        pieces.append((start_line, prefix + text[start:match.start()]))
        start_line += text.count("\n", counted_to, match.start())
        counted_to = match.start()
        start, prefix = match.end(), " " * len(match.group(1))
    pieces.append((start_line, prefix + text[start:]))
    return pieces


def _waits(file: str) -> bool:
    """A named pipe or a socket: opening it blocks until someone writes."""
    try:
        mode = os.stat(file).st_mode
    except OSError:
        return False  # missing or unreadable: read_file words it
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _blank(text: str) -> bool:
    """Only spaces and comments."""
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())

