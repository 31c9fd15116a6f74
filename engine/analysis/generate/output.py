"""Generated drills as files: readable YAML with a header, written without ever overwriting a user's edit.

Each drill is one ``<id>.yaml``: a header comment (generated from which
file, on which day, how it was checked, and a hash of the body) and the
drill in the order an author writes one, edges in the loader's shorthand.
The body depends only on the input, so the same scenario gives the same
bytes; the day in the header is ``$SOURCE_DATE_EPOCH`` when set (the
reproducible-builds convention), else today.

A file that exists is overwritten only when its body still matches the hash
its own header recorded (nobody edited it since it was generated), or with
``force``. Beside the drills, ``calibration.json`` holds each written drill's
measured difficulty in the format of the built-ins' ``scenarios/calibration.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from typing import TYPE_CHECKING

from engine.analysis.calibration import CALIBRATION_FILE, read_calibration, scenario_hash
from engine.scenario.schema import EdgeSpec, Scenario
from engine.util.files import write_atomic

if TYPE_CHECKING:
    from engine.analysis.generate.verdict import Generated

ORDER = ("id", "title", "description", "architecture", "tags", "difficulty", "visibility", "spof_hunt", "duration",
         "briefing", "objectives", "lessons", "slo", "topology", "automation", "method", "alerts", "hints", "scoring",
         "reference_solution", "pitfalls", "steady-state-hypothesis", "engine")
"""Top-level keys in the order of the built-in scenarios (any other key follows them: nothing is left out)."""
ALWAYS = ("difficulty", "visibility", "duration")
"""Keys written even at their default value: a reader should see them."""
HASH_LINE = "# body sha256: "
_NAME = re.compile(r"^[A-Za-z0-9_.:/-]+$")


class _Dumper(yaml.SafeDumper):
    """``yaml.safe_dump`` with text of several lines as a ``|`` block."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _short(value) -> bool:
    """A mapping or list that reads best on one line: scalars, small mappings (a trigger, a tolerance) and lists
    of scalars (a time range), at most about a line long; a list of mappings never (each gets its own line)."""
    items = list(value.values()) if isinstance(value, dict) else list(value)
    for item in items:
        if isinstance(item, dict) and not _short(item):
            return False
        if isinstance(item, list) and not all(_scalar(v) for v in item):
            return False
        if isinstance(item, str) and "\n" in item:
            return False
    return len(json.dumps(value).replace('"', "")) <= 110


def _mapping(dumper: yaml.SafeDumper, value: dict) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=_short(value))


def _sequence(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    flow = _short(value) and all(not isinstance(v, str) or len(v) < 30 for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(dict, _mapping)
_Dumper.add_representer(list, _sequence)


def _edge_text(edge: EdgeSpec, targets: list[str]) -> str:
    options = []
    if not edge.required:
        options.append("soft")
    if edge.fallback:
        options.append("fallback")
    if edge.share != 1.0:
        options.append(f"share={edge.share:g}")
    if edge.timeout is not None:
        options.append(f"timeout={edge.timeout!r}")
    return f"{edge.source} -> {', '.join(targets)}" + (f" ({', '.join(options)})" if options else "")


def _edges(edges: list) -> list:
    """Edges as the loader's shorthand, consecutive edges of one source and the same options on one line."""
    out: list = []
    group: list[EdgeSpec] = []

    def flush() -> None:
        if group:
            out.append(_edge_text(group[0], [e.target for e in group]))
            group.clear()

    def same(a: EdgeSpec, b: EdgeSpec) -> bool:
        return (a.source, a.required, a.fallback, a.share, a.timeout) == (b.source, b.required, b.fallback, b.share, b.timeout)

    for edge in edges:
        if isinstance(edge, str):
            flush()
            out.append(edge)
        elif not (_NAME.match(edge.source) and _NAME.match(edge.target)):
            flush()  # a name the shorthand cannot carry (a space, a comma, an arrow): the mapping form
            out.append(edge.model_dump(mode="json", by_alias=True, exclude_defaults=True))
        else:
            if group and not same(group[-1], edge):
                flush()
            group.append(edge)
    flush()
    return out


def drill_data(drill: Scenario) -> dict:
    """The drill as the mapping its file holds (defaults left out, a few kept for the reader)."""
    data = drill.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude_none=True)
    full = drill.model_dump(mode="json", by_alias=True)
    for key in ALWAYS:
        data[key] = full[key]
    data["id"] = drill.id
    data.setdefault("topology", {})["edges"] = _edges(list(drill.topology.edges))
    # the kind first, as authors write a node (every node keeps it: it has no default)
    data["topology"]["nodes"] = {name: {"kind": spec["kind"], **spec}
                                 for name, spec in data["topology"].get("nodes", {}).items()}
    steps = drill.reference_solution.steps
    data["reference_solution"] = [s.model_dump(mode="json", by_alias=True, exclude_defaults=True) for s in steps]
    return {**{key: data[key] for key in ORDER if key in data}, **{k: v for k, v in data.items() if k not in ORDER}}


def body(drill: Scenario) -> str:
    """The YAML of a drill, without the header: deterministic."""
    return yaml.dump(drill_data(drill), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def today() -> str:
    """The day to stamp headers with: ``$SOURCE_DATE_EPOCH`` when set (reproducible builds), else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    try:
        moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    except (ValueError, OverflowError, OSError):
        moment = datetime.now(timezone.utc)
    return moment.strftime("%Y-%m-%d")


def render(result: Generated, source: str, day: str) -> str:
    """A drill's file: the header (source, day, how it was checked, body hash) and the body."""
    text = body(result.drill)
    v = result.verdict
    lines = [
        f"# Generated by 'spofdrill generate' from {source} on {day}.",
        f"# Candidate: {result.candidate.label} ({result.candidate.kind}: {result.candidate.reason}).",
        f"# Checked over {v.seeds} seeds: reference passed {v.reference_passed}/{v.seeds}, no action failed "
        f"{v.no_action_failed}/{v.seeds}; measured difficulty {v.difficulty} (index {v.difficulty_index:.3f}).",
    ]
    if result.adjusted:
        lines.append(f"# Adjusted once after a first check: {result.adjusted}.")
    lines.append("# Edit freely: 'spofdrill generate' never overwrites a file whose body no longer matches this hash.")
    lines.append(f"{HASH_LINE}{_digest(text)}")
    return "\n".join(lines) + "\n" + text


def split(text: str) -> tuple[str | None, str]:
    """The hash a file's header recorded (None if it has none) and its body."""
    recorded = None
    rest = text
    while rest.startswith("#"):
        line, _, rest = rest.partition("\n")
        if line.startswith(HASH_LINE):
            recorded = line[len(HASH_LINE):].strip()
    return recorded, rest


@dataclass(frozen=True)
class Written:
    """What happened to one drill's file."""

    path: Path
    status: str
    """``written`` (new), ``updated`` (replaced an unedited older version), ``unchanged`` (same body) or
    ``kept`` (the file was edited since it was generated: left alone)."""


def write_drill(folder: Path, result: Generated, source: str, day: str, *, force: bool = False) -> Written:
    """Write one kept drill into ``folder``, never over a user's edit unless ``force`` (:class:`WriteError`)."""
    path = folder / f"{result.drill.id}.yaml"
    text = render(result, source, day)
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = None
    except (OSError, UnicodeDecodeError):
        old = ""  # unreadable: treat as edited
    status = "written"
    if old is not None:
        recorded, old_body = split(old)
        if old_body == body(result.drill):
            return Written(path, "unchanged")
        if recorded != _digest(old_body) and not force:
            return Written(path, "kept")
        status = "updated"
    write_atomic(path, text)
    return Written(path, status)


def write_calibration(folder: Path, results: list[Generated]) -> Path:
    """Merge the measured difficulty of ``results`` into ``folder/calibration.json`` (the built-ins' format)."""
    path = folder / CALIBRATION_FILE
    current = read_calibration(folder)
    for result in results:
        entry = result.verdict.calibration()
        entry["hash"] = scenario_hash(result.drill)  # the drill as written: with its measured difficulty
        current[result.drill.id] = entry
    return write_atomic(path, json.dumps(current, indent=2, sort_keys=True) + "\n")


__all__ = ["Written", "body", "drill_data", "render", "split", "today", "write_calibration", "write_drill"]
