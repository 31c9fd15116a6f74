"""Batch grading: many trainees' submissions on one scenario, graded alike and side by side.

A submission is an action script (YAML; the trainee is the script's
``name:`` or the file stem) or a result bundle (JSON; graded by re-simulating
its transcript, so a recorded score counts only if it is reproduced). Every
submission is graded with the scenario's own scoring; the par runs (doing
nothing, the reference solution) are run once per seed. The simulations run
in parallel (one process per core, as :mod:`engine.analysis.check` does) and the rows
come back in input order whatever the workers' timing. A bad submission is
a row with its error, never the end of the batch.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from engine.util.parallel import run_all
from engine.records.bundle import Bundle, BundleError, program_version, read_bundle, verify
from engine.analysis.calibration import scenario_hash
from engine.scenario.loader import load_actions
from engine.scenario.problems import ScenarioError
from engine.scoring.format import duration, probe_value
from engine.sim.runner import NO_ACTION, Run, simulate
from engine.scenario.schema import ActionScript, Scenario

PASS, FAIL, ERROR = "PASS", "FAIL", "ERROR"
CSV_COLUMNS = (
    "index", "trainee", "file", "kind", "seed", "verdict", "score", "grade", "downtime", "lost_writes",
    "time_to_detect", "time_to_mitigate", "time_to_recover", "availability", "penalties", "failed_probes",
    "error", "notes",
)
"""The CSV columns, in order (a stable contract for spreadsheets)."""


@dataclass(frozen=True)
class Row:
    """One graded submission (or one par run)."""

    index: int
    """Position among the submissions, from 1 (0 for par runs)."""
    file: str
    trainee: str
    kind: str
    """``script``, ``bundle`` or ``par``."""
    seed: int
    verdict: str
    """``PASS``, ``FAIL`` or ``ERROR`` (the submission could not be graded)."""
    score: float | None = None
    grade: str | None = None
    outcome: dict[str, Any] | None = None
    penalties: dict[str, float] = field(default_factory=dict)
    probes: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    notes: tuple[str, ...] = ()

    def get(self, key: str) -> Any:
        """An outcome field (None for an error row)."""
        return None if self.outcome is None else self.outcome.get(key)

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["passed"] = self.verdict == PASS
        doc["notes"] = list(self.notes)
        return doc


def _graded(index: int, file: str, kind: str, run: Run, notes: Sequence[str] = ()) -> Row:
    score = run.score.to_dict()
    return Row(index, file, run.name, kind, run.seed, PASS if run.score.passed else FAIL, score["score"],
               score["grade"], run.outcome.to_dict(), score["penalties"], score["probes"], None, tuple(notes))


def _error(index: int, file: str, trainee: str, kind: str, seed: int, message: str) -> Row:
    return Row(index, file, trainee, kind, seed, ERROR, error=message)


# --------------------------------------------------------------------------- jobs (run in worker processes)


@dataclass(frozen=True)
class _Job:
    index: int
    file: str
    kind: str
    seed: int
    script: ActionScript | None = None
    bundle: Bundle | None = None


def _run_job(args: tuple[Scenario, _Job]) -> Row:
    scenario, job = args
    if job.bundle is not None:
        verification = verify(job.bundle)
        notes = []
        if not verification.ok:
            notes.append("the recorded result differs from the re-simulation, which is graded: "
                         + "; ".join(str(d) for d in verification.differences[:4]))
        if verification.version_note:
            notes.append(verification.version_note)
        run = verification.run
        return _graded(job.index, job.file, job.kind, Run(job.bundle.trainee, run.seed, run.sim, run.outcome, run.score),
                       notes)
    script = job.script or NO_ACTION
    return _graded(job.index, job.file, job.kind, simulate(scenario, job.seed, script, name=script.name))


def _stem(path: str) -> str:
    return Path(path).stem or path


def _prepare(scenario: Scenario, index: int, path: str, seed: int) -> _Job | Row:
    """A job for a submission, or the error row that says why it cannot be graded."""
    if path.lower().endswith(".json"):
        try:
            bundle = read_bundle(path)
        except BundleError as exc:
            return _error(index, path, _stem(path), "bundle", seed, str(exc))
        wanted, got = scenario_hash(scenario), bundle.scenario_hash
        if got != wanted:
            return _error(index, path, bundle.trainee, "bundle", bundle.seed,
                          f"{path}: the bundle is a drill of scenario {bundle.scenario_id} (hash {got}), "
                          f"not of {scenario.id or scenario.title} (hash {wanted})")
        return _Job(index, path, "bundle", bundle.seed, bundle=bundle)
    try:
        script = load_actions(path, scenario)
    except ScenarioError as exc:
        return _error(index, path, _stem(path), "script", seed, str(exc))
    return _Job(index, path, "script", seed, script=script)


# --------------------------------------------------------------------------- the batch


@dataclass(frozen=True)
class Assessment:
    """Every submission's row, in input order, and the par runs of each seed graded on."""

    scenario: Scenario
    seed: int
    rows: tuple[Row, ...]
    par: dict[int, tuple[Row, Row]]
    """By seed: the no-action run and the reference solution."""
    version: str

    @property
    def counts(self) -> dict[str, int]:
        return {verdict: sum(1 for r in self.rows if r.verdict == verdict) for verdict in (PASS, FAIL, ERROR)}

    @property
    def exit_code(self) -> int:
        """0 when every submission passes, 1 when any fails, 2 when any is bad input."""
        counts = self.counts
        return 2 if counts[ERROR] else 1 if counts[FAIL] else 0

    def to_dict(self) -> dict[str, Any]:
        counts = self.counts
        return {
            "program": {"name": "spofdrill", "version": self.version},
            "scenario": self.scenario.id or self.scenario.title,
            "title": self.scenario.title,
            "scenario_hash": scenario_hash(self.scenario),
            "seed": self.seed,
            "pass_score": self.scenario.scoring.pass_score,
            "par": [{"seed": seed, "no_action": none.to_dict(), "reference": ref.to_dict()}
                    for seed, (none, ref) in self.par.items()],
            "rows": [row.to_dict() for row in self.rows],
            "summary": {"submissions": len(self.rows), "passed": counts[PASS], "failed": counts[FAIL],
                        "errors": counts[ERROR]},
        }


def assess(
    scenario: Scenario,
    submissions: Sequence[str],
    seed: int = 0,
    *,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Assessment:
    """Grade every submission on ``scenario`` (scripts on ``seed``, bundles on their own seed)."""
    prepared = [_prepare(scenario, index, str(path), seed) for index, path in enumerate(submissions, start=1)]
    seeds = [seed] + sorted({p.seed for p in prepared if isinstance(p, _Job)} - {seed})
    par_jobs = [_Job(0, "", "par", s, script=script)
                for s in seeds for script in (NO_ACTION, scenario.reference_solution.model_copy(update={"name": "reference"}))]
    work = par_jobs + [p for p in prepared if isinstance(p, _Job)]
    args = [(scenario, job) for job in work]
    if progress:
        progress(0, len(args))
    results: list[Row] = run_all(_run_job, args, workers=jobs, progress=progress)
    par_rows, graded = results[:len(par_jobs)], iter(results[len(par_jobs):])
    par = {s: (par_rows[2 * i], par_rows[2 * i + 1]) for i, s in enumerate(seeds)}
    rows = tuple(next(graded) if isinstance(p, _Job) else p for p in prepared)
    return Assessment(scenario, seed, rows, par, program_version())


# --------------------------------------------------------------------------- output


def _cells(row: Row) -> list[str]:
    if row.verdict == ERROR:
        return ["-", "-", ERROR]
    return [f"{row.score:.1f}", row.grade or "-", row.verdict, f"{row.get('downtime'):.1f} s", str(row.get("lost_writes")),
            duration(row.get("time_to_detect")), duration(row.get("time_to_mitigate"))]


def _par_line(seed: int, none: Row, ref: Row) -> str:
    return (f"par on seed {seed}: no action {none.score:.1f} ({none.grade}) {none.verdict}, "
            f"reference {ref.score:.1f} ({ref.grade}) {ref.verdict}")


def format_table(assessment: Assessment) -> str:
    """The readable table: one line a submission, the par runs and a summary line."""
    sc = assessment.scenario
    several = len(assessment.par) > 1
    header = ["#", "trainee", "file"] + (["seed"] if several else []) + \
        ["score", "grade", "verdict", "downtime", "lost writes", "TTD", "TTM"]
    body = []
    for row in assessment.rows:
        body.append([str(row.index), row.trainee, row.file] + ([str(row.seed)] if several else []) + _cells(row))
    widths = [max(len(line[i]) for line in [header] + body if i < len(line)) for i in range(len(header))]
    right = {0, header.index("score"), header.index("lost writes")}

    def render(cells: list[str]) -> str:
        parts = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(cells)]
        return "  " + "  ".join(parts).rstrip()

    lines = [f"{sc.id or sc.title} — {sc.title}   (pass score {sc.scoring.pass_score:g}, "
             f"hash {scenario_hash(sc)}, spofdrill {assessment.version})"]
    lines += ["  " + _par_line(seed, *pair) for seed, pair in assessment.par.items()]
    lines += ["", render(header)]
    for row, cells in zip(assessment.rows, body):
        line = render(cells)
        if row.verdict == ERROR:
            first, *more = (row.error or "").splitlines() or [""]
            line += "  " + first + (f" (and {len(more)} more)" if more else "")
        lines.append(line)
    noted = [(row, note) for row in assessment.rows for note in row.notes]
    if noted:
        lines.append("")
        lines += [f"  note on #{row.index} ({row.file}): {note}" for row, note in noted]
    counts = assessment.counts
    lines.append("")
    lines.append(f"{len(assessment.rows)} submission(s): {counts[PASS]} passed, {counts[FAIL]} failed, "
                 f"{counts[ERROR]} could not be graded")
    return "\n".join(lines)


def _num(value: Any) -> Any:
    return "" if value is None else value


def csv_text(assessment: Assessment) -> str:
    """One CSV row a submission, columns :data:`CSV_COLUMNS`, with a header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in assessment.rows:
        writer.writerow([
            row.index, row.trainee, row.file, row.kind, row.seed, row.verdict, _num(row.score), _num(row.grade),
            _num(row.get("downtime")), _num(row.get("lost_writes")), _num(row.get("time_to_detect")),
            _num(row.get("time_to_mitigate")), _num(row.get("time_to_recover")), _num(row.get("availability")),
            "; ".join(f"{k} {v:g}" for k, v in row.penalties.items()),
            "; ".join(p["name"] for p in row.probes if not p["ok"]),
            row.error or "", " | ".join(row.notes),
        ])
    return out.getvalue()


def json_text(assessment: Assessment) -> str:
    return json.dumps(assessment.to_dict(), indent=2, sort_keys=True) + "\n"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: Any) -> str:
    """Text XML 1.0 can carry (control characters dropped)."""
    return _NOT_XML.sub("", str(text))


def breakdown(row: Row, pass_score: float) -> str:
    """Why a graded row scored what it did: the points lost and the probes."""
    lines = [f"score {row.score:.1f} ({row.grade}); passing needs {pass_score:g} and every probe within tolerance",
             "points lost: " + (", ".join(f"{k} {v:.1f}" for k, v in row.penalties.items()) or "none")]
    for probe in row.probes:
        value = probe_value(probe["value"])
        lines.append(f"probe {probe['name']}: {value} ({'ok' if probe['ok'] else 'FAILED'})")
    lines += [f"note: {note}" for note in row.notes]
    return "\n".join(lines)


def why_failed(row: Row, pass_score: float) -> str:
    """One line on why a graded row did not pass."""
    reasons = []
    if row.score is not None and row.score < pass_score:
        reasons.append(f"score {row.score:.1f} ({row.grade}) is below the passing score {pass_score:g}")
    reasons += [f"probe {p['name']} is out of tolerance" for p in row.probes if not p["ok"]]
    return "; ".join(reasons) or "did not pass"


def junit_text(assessment: Assessment) -> str:
    """JUnit XML: one test suite, one test case a submission (failure: did not pass; error: bad input)."""
    sc = assessment.scenario
    name = sc.id or sc.title
    counts = assessment.counts
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", {
        "name": _x(f"spofdrill assess {name}"), "tests": str(len(assessment.rows)),
        "failures": str(counts[FAIL]), "errors": str(counts[ERROR]), "skipped": "0",
    })
    props = ET.SubElement(suite, "properties")
    values = {"scenario": name, "scenario_hash": scenario_hash(sc), "seed": assessment.seed,
              "spofdrill.version": assessment.version, "pass_score": f"{sc.scoring.pass_score:g}"}
    for seed, (none, ref) in assessment.par.items():
        values[f"par.seed{seed}.no_action"] = f"{none.score:.1f} ({none.grade})"
        values[f"par.seed{seed}.reference"] = f"{ref.score:.1f} ({ref.grade})"
    for key, value in values.items():
        ET.SubElement(props, "property", {"name": key, "value": _x(value)})
    for row in assessment.rows:
        case = ET.SubElement(suite, "testcase", {"classname": _x(name), "name": _x(row.trainee), "file": _x(row.file)})
        if row.verdict == ERROR:
            message = (row.error or "").splitlines()[0] if row.error else "cannot be graded"
            error = ET.SubElement(case, "error", {"message": _x(message), "type": "bad input"})
            error.text = _x(row.error or "")
        elif row.verdict == FAIL:
            failure = ET.SubElement(case, "failure", {"message": _x(why_failed(row, sc.scoring.pass_score)),
                                                      "type": "failed"})
            failure.text = _x(breakdown(row, sc.scoring.pass_score))
        else:
            ET.SubElement(case, "system-out").text = _x(breakdown(row, sc.scoring.pass_score))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
