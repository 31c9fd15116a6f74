"""The measured difficulty of scenarios, as stored beside them (``calibration.json``).

The built-in scenarios' file ships in the ``scenarios`` package; a folder of
generated drills (``spofdrill generate``) or any folder given to the console
with ``--scenarios`` may hold its own ``calibration.json`` in the same format.

Reading it needs no simulation (the picker reads it at start); measuring it is
:func:`engine.analysis.check.check`. An entry counts only for the exact content
it was measured on: :func:`scenario_hash`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from engine.util.jsontext import parse_json
from engine.scenario.loader import builtin_dir
from engine.scenario.schema import Scenario
from engine.util.files import write_atomic


def scenario_hash(scenario: Scenario) -> str:
    """A content hash of everything that decides a run (not the id). Fields left at their defaults
    are left out, so a new optional field in the format does not change existing scenarios' hashes."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude={"id"}, exclude_defaults=True)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


CALIBRATION_FILE = "calibration.json"


def calibration_path() -> Path:
    """The calibration file shipped beside the built-in scenarios."""
    return builtin_dir() / CALIBRATION_FILE


MAX_CALIBRATION_BYTES = 4 * 1024 * 1024
"""A calibration file larger than this is ignored (it holds a few lines per scenario)."""


def read_calibration(directory: Path | None = None) -> dict[str, dict]:
    """Measured difficulty by scenario id: of the built-in scenarios, or of the scenarios in ``directory``.

    Empty when the file is missing, too large, not JSON or not an object: a calibration only adds a label.
    """
    path = calibration_path() if directory is None else Path(directory) / CALIBRATION_FILE
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CALIBRATION_BYTES + 1)
        if len(raw) > MAX_CALIBRATION_BYTES:
            return {}
        data = parse_json(raw.decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_calibration(calibration: dict[str, dict]) -> Path:
    """Store the measured difficulty of the built-in scenarios (atomically)."""
    return write_atomic(calibration_path(), json.dumps(calibration, indent=2, sort_keys=True) + "\n")


def measured_difficulty(scenario: Scenario, calibration: dict[str, dict] | None = None) -> dict | None:
    """The calibration entry for a scenario if it was measured on exactly this content."""
    calibration = read_calibration() if calibration is None else calibration
    entry = calibration.get(scenario.id or "") if isinstance(calibration, dict) else None
    if isinstance(entry, dict) and entry.get("hash") == scenario_hash(scenario):
        return entry
    return None


@dataclass(frozen=True)
class DifficultyLabel:
    """A scenario's difficulty as every screen shows it (:func:`difficulty_label`)."""

    declared: str
    """What the author declared in the scenario."""
    measured: str | None = None
    """What ``spofdrill check`` measured on exactly this content, if anything."""
    index: float | None = None
    """The measured difficulty index (0 easy to 1 hard), if measured."""

    @property
    def label(self) -> str:
        """The one label shown everywhere: the measured one when there is one, else the declared one."""
        return self.measured or self.declared

    def long(self) -> str:
        """Where there is room: ``medium (declared intro, measured medium)`` when they differ, else the label."""
        if self.measured and self.measured != self.declared:
            return f"{self.label} (declared {self.declared}, measured {self.measured})"
        return self.label


def difficulty_label(scenario: Scenario, calibration: dict[str, dict] | None = None) -> DifficultyLabel:
    """THE difficulty label of a scenario, for ``spofdrill list``, the picker, the briefing and the next-drill advice.

    The measured label when the calibration holds an entry for the scenario's
    id measured on exactly this content (:func:`scenario_hash`), else the
    declared one. The calibration is a file: a label that is not non-empty text,
    or an index that is not a finite number, is ignored.
    """
    entry = measured_difficulty(scenario, calibration)
    return label_from_entry(scenario, entry)


def label_from_entry(scenario: Scenario, entry: dict | None) -> DifficultyLabel:
    """:func:`difficulty_label` for a calibration entry already looked up (``None``: not measured)."""
    entry = entry if isinstance(entry, dict) else None
    label = entry.get("difficulty") if entry else None
    index = entry.get("index") if entry else None
    if type(index) not in (int, float) or not math.isfinite(index):
        index = None
    return DifficultyLabel(scenario.difficulty, label if isinstance(label, str) and label else None,
                           float(index) if index is not None else None)
