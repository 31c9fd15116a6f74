"""Every reader survives any damaged file: mutation tests per reader (issue 11, "the rule to build to").

Each test takes a valid file of one kind (a scenario, an action script, a
console journal, its drill header, a result bundle, the drill history),
damages it one way (:mod:`mutations`: truncate, flip bytes, paste garbage,
change a value's type, nest a value thousands deep, grow a number past any
sane range) and feeds it to the readers a user would: the command line
(``validate``, ``run``, ``postmortem``, ``verify``, ``assess``, ``history``),
the console's replay reader and crash recovery. The rule, for every one:

* a result or an error, with exit code 0, 1 or 2, never an exception;
* an error names the file, and JSON readers say it on one line;
* nothing on disk changes (the input is never rewritten, moved or deleted).

Hypothesis draws the mutation and a seed; ``derandomize=True`` makes the
examples the same on every run, so CI is reproducible and the suite's time
is bounded (the count of examples per reader is below). Time and memory
(10 s, 1 GiB) are asserted by ``test_hostile_corpus.py`` in a child process
with a hard memory limit, not here.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from engine.cli.main import main
from engine.records.bundle import bundle_of, write_bundle
from engine.records.history import History
from engine.records.replay import DrillHeader, write_header
from engine.scenario.loader import load_scenario
from engine.sim.runner import simulate
from mutations import BYTEWISE, KINDS, STRUCTURAL, json_text, mutate_json, mutate_jsonl, mutate_yaml
from support import SCENARIO_DIR

SCENARIO = "lb-failover"
SEED = 3
EXAMPLES = 30
"""Examples per reader: six kinds of damage, five each on average (derandomized: the same every run)."""

HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: the failing example is printed as drawn
    suppress_health_check=list(HealthCheck),
)
damage = given(kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32 - 1))


# --------------------------------------------------------------------------- valid files to damage


class Files(dict):
    """The valid files by kind (a dict with a short repr, so a failing example prints readably)."""

    def __repr__(self) -> str:
        return f"<valid files: {', '.join(f'{k} {len(v)} bytes' for k, v in self.items())}>"


@pytest.fixture(scope="module")
def valid(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """One valid file of every kind, as bytes: the scenario, its reference as an action script, a journal, its header, a bundle."""
    folder = tmp_path_factory.mktemp("valid")
    scenario = load_scenario(SCENARIO)
    run = simulate(scenario, SEED, scenario.reference_solution, name="ada")
    journal = folder / "drill.jsonl"
    journal.write_text(run.sim.journal.to_jsonl(), encoding="utf-8")
    write_header(journal, DrillHeader(scenario, SEED, "ada", "practice"))
    bundle = write_bundle(bundle_of(run, "ada", "practice"), folder / "bundle.json")
    steps = [step.model_dump(mode="json", exclude_defaults=True, by_alias=True) for step in scenario.reference_solution.steps]
    return Files({
        "scenario": (SCENARIO_DIR / f"{SCENARIO}.yaml").read_bytes(),
        "actions": yaml.safe_dump({"name": "ada", "steps": steps}, sort_keys=False).encode("utf-8"),
        "journal": journal.read_bytes(),
        "header": journal.with_name("drill.drill.json").read_bytes(),
        "bundle": bundle.read_bytes(),
    })


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and the hash of its content: what must not change."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: a usage error is exit 2 too
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def assert_rule(code: int, out: str, err: str, path: Path, *, one_line: bool) -> None:
    """Exit 0, 1 or 2; no traceback; an error names the file (on one line for JSON readers)."""
    assert code in (0, 1, 2), (code, out[-500:], err[-500:])
    assert "Traceback" not in out + err
    if code == 2:
        problem = err.strip() or out.strip()
        assert path.name in problem, problem[:500]
        if one_line:
            assert len(err.strip().splitlines()) <= 1, err[:2000]


def _damaged(base: bytes, mutate, kind: str, seed: int) -> bytes:
    return mutate(base, kind, random.Random(seed))


# --------------------------------------------------------------------------- scenarios and action scripts (YAML)


@HOSTILE
@damage
def test_a_damaged_scenario_is_validated_and_run_or_refused(valid, capsys, kind, seed):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "mine.yaml"
        path.write_bytes(_damaged(valid["scenario"], mutate_yaml, kind, seed))
        before = _tree(folder)
        code, out, err = _cli(["validate", str(path)], capsys)
        assert code in (0, 1, 2) and "Traceback" not in out + err
        if code:
            assert path.name in out + err, (out + err)[:2000]
        code, out, err = _cli(["run", str(path), "--no-par", "--seed", "1"], capsys)
        assert_rule(code, out, err, path, one_line=False)
        assert _tree(folder) == before


@HOSTILE
@damage
def test_a_damaged_action_script_is_played_or_refused(valid, capsys, kind, seed):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "ada.yaml"
        path.write_bytes(_damaged(valid["actions"], mutate_yaml, kind, seed))
        before = _tree(folder)
        code, out, err = _cli(["run", SCENARIO, "--no-par", "--seed", str(SEED), "--actions", str(path)], capsys)
        assert_rule(code, out, err, path, one_line=False)
        assert _tree(folder) == before


# --------------------------------------------------------------------------- journals, headers, bundles (JSON)


def _journal_folder(folder: Path, valid: dict[str, bytes], journal: bytes, header: bytes) -> Path:
    path = folder / "drill.jsonl"
    path.write_bytes(journal)
    path.with_name("drill.drill.json").write_bytes(header)
    return path


def _replay_reader(path: Path) -> None:
    """The console's ``spofdrill replay`` reader: a recording or a RecordingError naming the file."""
    from tui.playback import RecordingError, read_recording

    try:
        read_recording(path)
    except RecordingError as exc:
        named = (path.name, path.name.removesuffix(".jsonl") + ".drill.json")  # the journal, or its header
        assert any(name in str(exc) for name in named) and "\n" not in str(exc).strip(), str(exc)[:500]


def _recovery_reader(folder: Path) -> None:
    """Crash recovery on the folder: listing never raises; a drill offered as recoverable is rebuilt or refused in words."""
    from engine.records.recovery import RecoveryError, find_interrupted, rebuild

    for drill in find_interrupted(folder):
        if drill.problem is not None:
            assert drill.journal.name in drill.problem or "drill" in drill.problem, drill.problem[:500]
        if drill.recoverable:
            try:
                rebuild(drill)
            except RecoveryError as exc:
                assert str(exc).strip()


@HOSTILE
@damage
def test_a_damaged_journal_is_replayed_or_refused_by_every_reader(valid, capsys, kind, seed):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = _journal_folder(folder, valid, _damaged(valid["journal"], mutate_jsonl, kind, seed), valid["header"])
        before = _tree(folder)
        code, out, err = _cli(["postmortem", str(path)], capsys)
        assert_rule(code, out, err, path, one_line=True)
        _replay_reader(path)
        _recovery_reader(folder)
        assert _tree(folder) == before


@HOSTILE
@damage
def test_a_damaged_drill_header_is_read_or_refused_by_every_reader(valid, capsys, kind, seed):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = _journal_folder(folder, valid, valid["journal"], _damaged(valid["header"], mutate_json, kind, seed))
        before = _tree(folder)
        code, out, err = _cli(["postmortem", str(path)], capsys)
        assert code in (0, 1, 2) and "Traceback" not in out + err
        if code == 2:  # the problem is in the header: the message names the header or the journal it belongs to
            assert "drill" in err and len(err.strip().splitlines()) == 1, err[:2000]
        _replay_reader(path)
        _recovery_reader(folder)
        assert _tree(folder) == before


@HOSTILE
@damage
def test_a_damaged_bundle_is_verified_assessed_or_refused(valid, capsys, kind, seed):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "ada.json"
        path.write_bytes(_damaged(valid["bundle"], mutate_json, kind, seed))
        before = _tree(folder)
        code, out, err = _cli(["verify", str(path)], capsys)
        assert code in (0, 1, 2) and "Traceback" not in out + err
        assert out.startswith(f"{path}: ") and len(out.strip().splitlines()) == 1, out[:2000]
        code, out, err = _cli(["postmortem", str(path)], capsys)
        assert_rule(code, out, err, path, one_line=True)
        code, out, err = _cli(["assess", "--scenario", SCENARIO, "--jobs", "1", str(path)], capsys)
        assert code in (0, 1, 2) and "Traceback" not in out + err
        _replay_reader(path)
        assert _tree(folder) == before


# --------------------------------------------------------------------------- resealed: damage that passes the digest and hash checks


def _resealed(base: bytes, kind: str, seed: int, *, part: str | None) -> bytes:
    """A header or bundle damaged inside (``part``: only there) and then sealed again, as a hand editor who
    knows the format would: the scenario hash recomputed when the scenario still validates, the digest always."""
    from engine.analysis.calibration import scenario_hash
    from engine.records.bundle import digest_of
    from engine.scenario.schema import Scenario

    rng = random.Random(seed)
    doc = json.loads(base)
    if part is None:
        doc = STRUCTURAL[kind](doc, rng)
    else:
        doc[part] = STRUCTURAL[kind](doc[part], rng)
    if not isinstance(doc, dict):
        return json_text(doc).encode("utf-8")
    try:
        doc["scenario_hash"] = scenario_hash(Scenario.model_validate(doc["scenario"]))
    except Exception:  # noqa: BLE001 - a scenario that does not validate keeps its old hash
        pass
    if "digest" in doc:
        try:
            doc["digest"] = digest_of(doc)
        except Exception:  # noqa: BLE001 - marks for NaN, huge or deep values: no digest to compute
            pass
    return json_text(doc, indent=1).encode("utf-8")


STRUCTURAL_KINDS = tuple(STRUCTURAL)


@HOSTILE
@given(kind=st.sampled_from(STRUCTURAL_KINDS), seed=st.integers(0, 2**32 - 1))
def test_a_resealed_drill_header_with_a_damaged_scenario_is_read_or_refused(valid, capsys, kind, seed):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = _journal_folder(folder, valid, valid["journal"], _resealed(valid["header"], kind, seed, part="scenario"))
        before = _tree(folder)
        code, out, err = _cli(["postmortem", str(path)], capsys)
        assert code in (0, 1, 2) and "Traceback" not in out + err
        if code == 2:
            assert "drill" in err and len(err.strip().splitlines()) == 1, err[:2000]
        _replay_reader(path)
        _recovery_reader(folder)
        assert _tree(folder) == before


@HOSTILE
@given(kind=st.sampled_from(STRUCTURAL_KINDS), seed=st.integers(0, 2**32 - 1),
       part=st.sampled_from(("scenario", "transcript", "result", "seed", None)))
def test_a_resealed_bundle_with_damage_inside_is_verified_or_refused(valid, capsys, kind, seed, part):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "ada.json"
        path.write_bytes(_resealed(valid["bundle"], kind, seed, part=part))
        before = _tree(folder)
        code, out, err = _cli(["verify", str(path)], capsys)
        assert code in (0, 1, 2) and "Traceback" not in out + err
        assert out.startswith(f"{path}: ") and len(out.strip().splitlines()) == 1, out[:2000]
        code, out, err = _cli(["postmortem", str(path)], capsys)
        assert_rule(code, out, err, path, one_line=True)
        _replay_reader(path)
        assert _tree(folder) == before


# --------------------------------------------------------------------------- the drill history (SQLite)


def _history_with_runs(path: Path) -> None:
    with History(path) as history:
        for seed, score in ((1, 91.5), (2, 40.0), (3, 77.0)):
            history.record(trainee="ada", scenario=SCENARIO, seed=seed, score=score, grade="B", passed=score >= 70,
                           breakdown={"downtime": 5.0}, tags=["failover"], mode="practice", finished_at=1.7e9 + seed)


COLUMNS = ("trainee", "scenario", "seed", "score", "grade", "passed", "breakdown", "tags", "mode", "finished_at")
SQL_VALUES = ("seven", None, b"\xff\x00", -1, 2**63 - 1, 1e308, float("nan"), float("inf"), "x" * 1_000_000, "[1,",
              "{\"a\": " * 3000, "9" * 5000, "", 0)


@HOSTILE
@given(column=st.sampled_from(COLUMNS), value=st.sampled_from(SQL_VALUES), row=st.integers(1, 3))
def test_a_history_row_of_any_type_is_skipped_or_shown_never_fatal(capsys, data_dir, column, value, row):
    """Whatever a row holds (SQLite keeps any type in any column), ``spofdrill history`` shows the readable rows and exits 0."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "history.sqlite3"
    if path.exists():  # hypothesis reuses the test's data folder between examples
        path.unlink()
    _history_with_runs(path)
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (value, row))
    except sqlite3.IntegrityError:  # a NOT NULL column: SQLite itself refuses the value, so no file can hold it
        return
    finally:
        conn.close()
    before = _tree(data_dir)
    code, out, err = _cli(["history"], capsys)
    assert code == 0, (out[-500:], err[-500:])
    assert "Traceback" not in out + err
    assert len(err.strip().splitlines()) <= 1, err[:2000]
    assert _tree(data_dir) == before


@HOSTILE
@given(kind=st.sampled_from(("truncate", "flip", "splice")), seed=st.integers(0, 2**32 - 1))
def test_a_damaged_history_file_gives_one_line_and_is_left_alone(capsys, data_dir, kind, seed):
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "history.sqlite3"
    for stale in data_dir.glob("history.sqlite3*"):
        stale.unlink()
    _history_with_runs(path)
    path.write_bytes(BYTEWISE[kind](path.read_bytes(), random.Random(seed)))
    before = path.read_bytes()
    code, out, err = _cli(["history"], capsys)
    assert code in (0, 2) and "Traceback" not in out + err
    if code == 2:
        assert path.name in err and len(err.strip().splitlines()) == 1, err[:2000]
    assert path.read_bytes() == before
