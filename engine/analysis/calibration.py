"""The measured difficulty of the built-in scenarios, as stored beside them (``calibration.json``).

Reading it needs no simulation (the picker reads it at start); measuring it is
:func:`engine.analysis.check.check`. An entry counts only for the exact content
it was measured on: :func:`scenario_hash`.
"""

from __future__ import annotations

import hashlib
import json
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


def read_calibration() -> dict[str, dict]:
    """Measured difficulty of the built-in scenarios, by id (empty if the file is missing or broken)."""
    try:
        return parse_json(calibration_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_calibration(calibration: dict[str, dict]) -> Path:
    """Store the measured difficulty of the built-in scenarios (atomically)."""
    return write_atomic(calibration_path(), json.dumps(calibration, indent=2, sort_keys=True) + "\n")


def measured_difficulty(scenario: Scenario, calibration: dict[str, dict] | None = None) -> dict | None:
    """The calibration entry for a scenario if it was measured on exactly this content."""
    calibration = read_calibration() if calibration is None else calibration
    entry = calibration.get(scenario.id or "")
    if entry and entry.get("hash") == scenario_hash(scenario):
        return entry
    return None
