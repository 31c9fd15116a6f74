"""Result bundles: one JSON file that says what a drill was, what the trainee did and what it scored.

A bundle holds the whole scenario (not just its name, so a changed scenario
file cannot change the verdict), the seed, the trainee's transcript with
exact simulated times, and the result. Its recorded result is always the
result of replaying its own transcript, so anyone can check it:
:func:`verify` re-simulates the transcript headless and compares. A sha256
``digest`` over the canonical JSON of everything else catches files edited
by hand or damaged after they were written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

from engine.util.jsontext import parse_json
from engine.analysis.calibration import scenario_hash
from engine.util.files import TooLarge, read_limited, write_atomic
from engine.util.limits import MAX_BUNDLE_BYTES
from engine.util.version import __version__
from engine.records.replay import Transcript, TranscriptError, replay, scenario_document, scenario_from_document, transcript_of
from engine.records.results import run_summary
from engine.scoring.format import clock
from engine.sim.runner import Run, measure
from engine.scenario.schema import Scenario

FORMAT = 1
"""The bundle format this release writes and reads."""
MODES = ("practice", "assessment", "headless")
"""How a drill was done: in the console (practice or assessment) or from an action script."""
PROGRAM = "spofdrill"
REQUIRED = ("format", "program", "scenario", "scenario_id", "scenario_hash", "seed", "trainee", "mode",
            "transcript", "result", "digest")
"""The keys every bundle has."""
RESULT_KEYS = ("score", "grade", "passed", "penalties", "outcome")
"""The keys every recorded result has."""
COMPARED = ("score", "grade", "passed", "penalties", "probes", "outcome", "spof_hunt")
"""The parts of a result that verification compares, in the order differences are reported."""


def program_version() -> str:
    """The installed spofdrill version (the package's own ``__version__`` when not installed)."""
    try:
        return metadata.version(PROGRAM)
    except metadata.PackageNotFoundError:
        return __version__


def _plain(value: Any) -> Any:
    """``value`` as it reads back from JSON (lists for tuples, string keys)."""
    return json.loads(json.dumps(value))


def digest_of(document: Mapping[str, Any]) -> str:
    """The sha256 of the canonical JSON (sorted keys, compact) of a bundle document without its digest."""
    body = {key: value for key, value in document.items() if key != "digest"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class BundleError(Exception):
    """A bundle cannot be used; the message names the file and the problem.

    ``edited`` is True when the file is well formed but its content was
    changed after it was written (the digest or the scenario hash does not
    match); otherwise the file is unreadable or not a bundle.
    """

    def __init__(self, path: Path | str, problem: str, *, edited: bool = False) -> None:
        self.path = str(path)
        self.problem = problem
        self.edited = edited
        super().__init__(f"{self.path}: {problem}")


@dataclass(frozen=True)
class Bundle:
    """A drill's scenario, seed, trainee, transcript and result, as one verifiable file."""

    scenario: Scenario
    """The whole scenario drilled."""
    seed: int
    """The random seed of the drill."""
    trainee: str
    """Who drilled (the script's name for headless runs)."""
    mode: str
    """``practice``, ``assessment`` or ``headless``."""
    transcript: Transcript
    """The trainee's commands with their simulated times, and when they left."""
    result: dict[str, Any] = field(compare=False)
    """The result of replaying the transcript (:meth:`engine.sim.runner.Run.summary`)."""
    version: str = field(default_factory=program_version)
    """The spofdrill version that made the bundle."""
    notes: tuple[str, ...] = ()
    """What the maker noticed (e.g. the run and its replay disagreed and the replay was recorded)."""
    journal: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    """The replay's journal, entry by entry (verification names the first entry that differs)."""
    participants: tuple[dict[str, str], ...] = ()
    """A team drill's participants, each ``{"name", "role"}`` (none for one trainee: the key is then left out,
    so a single-player bundle is what it always was); the digest covers them."""

    @property
    def scenario_id(self) -> str:
        return self.scenario.id or self.scenario.title

    @property
    def scenario_hash(self) -> str:
        return scenario_hash(self.scenario)

    def document(self) -> dict[str, Any]:
        """The bundle as JSON data, with its digest."""
        doc = _plain({
            "format": FORMAT,
            "program": {"name": PROGRAM, "version": self.version},
            "scenario": scenario_document(self.scenario),
            "scenario_id": self.scenario_id,
            "scenario_hash": self.scenario_hash,
            "seed": self.seed,
            "trainee": self.trainee,
            "mode": self.mode,
            "transcript": self.transcript.to_dict(),
            "result": self.result,
            "notes": list(self.notes),
            "journal": list(self.journal),
        })
        if self.participants:
            doc["participants"] = _plain(list(self.participants))
        doc["digest"] = digest_of(doc)
        return doc

    def to_json(self) -> str:
        """The bundle file's text."""
        # not sort_keys: the scenario keeps the order it was written in (the digest is order-free)
        return json.dumps(self.document(), indent=1, ensure_ascii=False) + "\n"


def bundle_of(run: Run, trainee: str, mode: str, participants: tuple[dict[str, str], ...] = ()) -> Bundle:
    """The bundle of a finished run; its result is that of replaying the run's transcript.

    The two agree for scripted runs and console drills; if they ever did not,
    the replay's result is recorded (so the bundle verifies) and a note says so.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    sim = run.sim
    transcript = transcript_of(sim)
    replayed = measure(replay(sim.scenario, sim.seed, transcript), run.name)
    journal = tuple(entry.to_dict() for entry in replayed.sim.journal)
    result = _plain(run_summary(replayed))
    notes = []
    differences = compare_results(_plain(run_summary(run)), result)
    if differences:
        notes.append("the replay of the transcript differs from the run ("
                     + _listed(differences) + "); the bundle records the replay")
    return Bundle(sim.scenario, sim.seed, trainee, mode, transcript, result, notes=tuple(notes), journal=journal,
                  participants=tuple({"name": str(p["name"]), "role": str(p["role"])} for p in participants))


def write_bundle(bundle: Bundle, path: Path | str) -> Path:
    """Write a bundle atomically; raises :class:`engine.util.files.WriteError`."""
    return write_atomic(path, bundle.to_json())


# --------------------------------------------------------------------------- reading


def _parse(path: Path) -> dict[str, Any]:
    try:
        if path.is_dir():
            raise BundleError(path, "is a directory, not a bundle file")
        text = read_limited(path, MAX_BUNDLE_BYTES, "a result bundle").decode("utf-8")
    except FileNotFoundError:
        raise BundleError(path, "no such file") from None
    except TooLarge as exc:
        raise BundleError(path, str(exc).removeprefix(f"{path}: ")) from None
    except UnicodeDecodeError:
        raise BundleError(path, "cannot be read: not UTF-8 text (a bundle is JSON)") from None
    except OSError as exc:
        raise BundleError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not text.strip():
        raise BundleError(path, "the file is empty (it looks truncated: was it written completely?)")
    try:
        data = parse_json(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("{") and _cut_short(text, exc):
            raise BundleError(path, f"the JSON stops at line {exc.lineno}, column {exc.colno} before it is complete: "
                                    "the file looks truncated (was it copied or written completely?)") from None
        raise BundleError(path, f"not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise BundleError(path, f"not a result bundle (a JSON {type(data).__name__}, not an object)")
    return data


def _cut_short(text: str, exc: json.JSONDecodeError) -> bool:
    """Whether JSON text is a good start cut short: brackets left open, and the error at its very end
    (in the last, unfinished word or string), not in the middle (that is a damaged file)."""
    if not _unclosed(text):
        return False
    stripped = text.rstrip()
    word = len(stripped) - len(stripped.rstrip("0123456789.+-eEtrufalsn"))
    return exc.msg.startswith("Unterminated string") or exc.pos >= len(stripped) - word


def _unclosed(text: str) -> bool:
    """Whether JSON text stops with brackets or a string still open."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return in_string or depth > 0


def _check_result(path: Path, result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise BundleError(path, "not a result bundle: 'result' is not an object")
    missing = [key for key in RESULT_KEYS if key not in result]
    if missing:
        raise BundleError(path, "not a result bundle: 'result' lacks " + ", ".join(missing))
    return result


def read_bundle(path: Path | str) -> Bundle:
    """Read and check a bundle file; :class:`BundleError` naming the file and the problem."""
    path = Path(path)
    data = _parse(path)
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise BundleError(path, f"not a result bundle: missing {', '.join(repr(k) for k in missing)}")
    number = data["format"]
    if number != FORMAT or isinstance(number, bool):
        raise BundleError(path, f"bundle format {number!r}; this spofdrill ({program_version()}) reads format {FORMAT}")
    if data["digest"] != digest_of(data):
        raise BundleError(path, "the digest does not match the content: edited by hand or damaged after it was written",
                          edited=True)
    program = data["program"]
    version = program.get("version") if isinstance(program, dict) else None
    if not isinstance(version, str):
        raise BundleError(path, "not a result bundle: 'program' has no version")
    try:
        scenario = scenario_from_document(data["scenario"], "'scenario'")
    except TranscriptError as exc:
        raise BundleError(path, str(exc)) from None
    actual = scenario_hash(scenario)
    if actual != data["scenario_hash"]:
        raise BundleError(path, f"the embedded scenario hashes to {actual}, the bundle records {data['scenario_hash']!r}: "
                                "edited by hand or damaged after it was written", edited=True)
    seed = data["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise BundleError(path, f"'seed' must be a whole number, not {seed!r}")
    mode = data["mode"]
    if mode not in MODES:
        raise BundleError(path, f"'mode' must be one of {', '.join(MODES)}, not {mode!r}")
    if not isinstance(data["trainee"], str):
        raise BundleError(path, f"'trainee' must be a name, not {data['trainee']!r}")
    if not isinstance(data["transcript"], dict):
        raise BundleError(path, "invalid transcript: expected an object with 'commands' and 'left_at'")
    try:
        transcript = Transcript.from_dict(data["transcript"])
    except TranscriptError as exc:
        raise BundleError(path, f"invalid transcript: {exc}") from None
    notes = data.get("notes") or []
    journal = data.get("journal") or []
    if not isinstance(journal, list) or not all(isinstance(row, dict) for row in journal):
        raise BundleError(path, "'journal' must be a list of journal entries (objects)")
    participants = data.get("participants") or []
    if not isinstance(participants, list) or not all(
            isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("role"), str) for p in participants):
        raise BundleError(path, "'participants' must be a list of objects with a 'name' and a 'role'")
    return Bundle(scenario, seed, data["trainee"], mode, transcript, _check_result(path, data["result"]),
                  version=version, notes=tuple(str(note) for note in notes) if isinstance(notes, list) else (),
                  journal=tuple(journal),
                  participants=tuple({"name": p["name"], "role": p["role"]} for p in participants))


# --------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class Difference:
    """One place where a recorded result and its re-simulation disagree."""

    field: str
    """Dotted path in the result, e.g. ``score`` or ``outcome.lost_writes``."""
    recorded: Any
    resimulated: Any

    def __str__(self) -> str:
        return f"{self.field}: recorded {_shown(self.recorded)}, re-simulated {_shown(self.resimulated)}"


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _diff(path: str, recorded: Any, resimulated: Any, out: list[Difference]) -> None:
    if isinstance(recorded, dict) and isinstance(resimulated, dict):
        for key in list(recorded) + [k for k in resimulated if k not in recorded]:
            _diff(f"{path}.{key}", recorded.get(key), resimulated.get(key), out)
    elif isinstance(recorded, list) and isinstance(resimulated, list) and len(recorded) == len(resimulated):
        for index, (a, b) in enumerate(zip(recorded, resimulated)):
            name = a.get("name") if isinstance(a, dict) else None
            _diff(f"{path}[{name if isinstance(name, str) else index}]", a, b, out)
    elif recorded != resimulated or isinstance(recorded, bool) != isinstance(resimulated, bool):
        out.append(Difference(path, recorded, resimulated))


def compare_results(recorded: Mapping[str, Any], resimulated: Mapping[str, Any]) -> list[Difference]:
    """Where two results (as JSON data) differ in what is compared, in :data:`COMPARED` order."""
    out: list[Difference] = []
    for key in COMPARED:
        if key in recorded or key in resimulated:
            _diff(key, recorded.get(key), resimulated.get(key), out)
    return out


def _listed(differences: list[Difference], most: int = 4) -> str:
    text = "; ".join(str(d) for d in differences[:most])
    if len(differences) > most:
        text += f"; and {len(differences) - most} more"
    return text


@dataclass(frozen=True)
class Verification:
    """A bundle checked against a headless re-simulation of its transcript."""

    bundle: Bundle
    run: Run
    """The re-simulation."""
    differences: tuple[Difference, ...]
    """Where the recorded result and the re-simulation disagree (none: it verifies)."""
    version_note: str | None = None
    """Set when the bundle was made by another spofdrill version."""
    journal_divergence: str | None = None
    """The first journal entry where the re-simulation differs from the recorded journal (None: none, or no journal)."""

    @property
    def ok(self) -> bool:
        return not self.differences and self.journal_divergence is None

    def describe(self) -> str:
        """``OK …`` or ``DIVERGES: …``, on one line."""
        b = self.bundle
        if self.ok:
            score = self.run.score
            who = ("team " + ", ".join(f"{p['name']} ({p['role']})" for p in b.participants)) if b.participants else b.trainee
            text = (f"OK — {b.scenario_id} seed {b.seed}, {who} ({b.mode}): score {score.score:.1f} "
                    f"({score.grade}) {'PASSED' if score.passed else 'FAILED'}")
            if self.version_note:
                text += f" ({self.version_note}; the re-simulation matches)"
            return text
        parts = [_listed(list(self.differences))] if self.differences else ["the result matches but the journal does not"]
        if self.journal_divergence:
            parts.append(f"first difference in the journal: {self.journal_divergence}")
        text = "DIVERGES: " + "; ".join(parts)
        if self.version_note:
            text += f" ({self.version_note}: the difference is likely the version's)"
        return text


def verify(bundle: Bundle) -> Verification:
    """Re-simulate a bundle's transcript headless and compare the result with the recorded one."""
    name = bundle.result.get("name") if isinstance(bundle.result.get("name"), str) else bundle.trainee
    run = measure(replay(bundle.scenario, bundle.seed, bundle.transcript), name)
    differences = compare_results(bundle.result, _plain(run_summary(run)))
    current = program_version()
    note = None if bundle.version == current else f"made by spofdrill {bundle.version}, this is {current}"
    divergence = None
    if bundle.journal:
        divergence = first_divergence(list(bundle.journal), [entry.to_dict() for entry in run.sim.journal])
    return Verification(bundle, run, tuple(differences), note, divergence)


def _entry_text(row: Mapping[str, Any]) -> str:
    fields = " ".join(f"{k}={_shown(v)}" for k, v in row.items() if k not in ("seq", "t", "type", "visible"))
    return f"{row.get('type')} {fields}".strip()


def first_divergence(recorded: list[Mapping[str, Any]], resimulated: list[Mapping[str, Any]]) -> str | None:
    """Where two journals first differ, in words (entry number, simulated time, both versions); None when equal."""
    for index, (a, b) in enumerate(zip(recorded, resimulated)):
        if _plain(a) != _plain(b):
            t = a.get("t", b.get("t"))
            when = clock(t, millis=True) if isinstance(t, (int, float)) else "?"
            return (f"entry {index + 1} at {when}: recorded '{_entry_text(a)}', "
                    f"re-simulated '{_entry_text(b)}'")
    if len(recorded) != len(resimulated):
        shorter, n = ("recorded", len(recorded)) if len(recorded) < len(resimulated) else ("re-simulated", len(resimulated))
        longer = resimulated if shorter == "recorded" else recorded
        return f"the {shorter} journal ends after entry {n}; the other goes on with '{_entry_text(longer[n])}'"
    return None
