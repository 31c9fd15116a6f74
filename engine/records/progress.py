"""Progress per concept from the drill history, and which drill to run next.

A scenario teaches the concepts its ``tags`` map to in :data:`CONCEPTS`, one
declarative table; a history :class:`~engine.records.history.Record` keeps the tags
the scenario had when it ran, so a drill counts for the concepts it taught
then. For each trainee and concept :func:`progress` counts the drills, the
passes, the best and the latest score and a mastery level:

``not started``
    no drill teaching the concept yet;
``learning``
    drilled, never passed;
``practised``
    passed at least once;
``mastered``
    passed at least :data:`MASTERY_PASSES` drills rated at least
    :data:`MASTERY_DIFFICULTY` (medium; the label of
    :func:`engine.analysis.calibration.difficulty_label`, a scenario of unknown
    difficulty does not count), best score at least :data:`MASTERY_SCORE`, and
    the latest drill passed. Easy drills make a concept *practised*, never
    *mastered*.

Each concept is scored by its own measure. SPOF hunting is measured by the
hunt score the console stores in the run's breakdown
(``breakdown["spof_hunt"]["score"]``, see :func:`record_breakdown`), not by the
drill's score, and a run passes it only when the drill passed and the hunt
scored at least :data:`HUNT_PASS_SCORE`; a run with no stored hunt score (a
drill that is not a hunt, or one recorded before hunts were stored) is measured
by its drill score. The other concepts are measured by the drill's score and
verdict. E.g. a SPOF hunt scoring 67 in a drill scoring 90.6 shows 67 for SPOF
hunting and 90.6 for load-balancer failover.

:func:`suggest_next` picks the concept where the trainee is weakest (lowest
level, then lowest best score, then teaching order) and, in it, the easiest drill not passed yet
(measured difficulty from ``spofdrill check`` when there is one, else the
declared one), with a one-line reason. It chooses among the built-in drills and
the generated drills of the trainee's own systems (the drill library that
``spofdrill generate`` fills, :func:`catalogue`); at the same difficulty a drill
of their own system comes first, and the reason names the system.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from engine.analysis.calibration import label_from_entry
from engine.records.history import Record
from engine.scenario.schema import Scenario


@dataclass(frozen=True)
class Concept:
    """A skill the drills teach, and the scenario tags that teach it."""

    name: str
    tags: frozenset[str]
    measure: str = "score"
    """What a run is measured by: ``score`` (the drill's score and verdict) or ``hunt`` (the SPOF-hunt score)."""


CONCEPTS: tuple[Concept, ...] = (
    Concept("SPOF hunting", frozenset({"spof"}), measure="hunt"),
    Concept("load-balancer failover", frozenset({"load-balancer", "vrrp", "keepalived"})),
    Concept("replica promotion", frozenset({"promotion", "replication"})),
    Concept("graceful degradation", frozenset({"graceful-degradation", "load-shedding", "feature-flags"})),
    Concept("region evacuation", frozenset({"multi-region", "traffic-shift"})),
    Concept("diagnosis", frozenset({"diagnosis", "red-herring"})),
)
"""Every concept, in teaching order (the order of the progress table), with the tags that teach it."""

LEVELS = ("not started", "learning", "practised", "mastered")
"""Mastery levels, weakest first."""
MASTERY_PASSES = 3
"""Passed drills a concept needs to count as mastered."""
MASTERY_SCORE = 85.0
"""Best score a concept needs to count as mastered."""
DIFFICULTIES = ("intro", "easy", "medium", "hard", "expert")
"""Difficulty labels, easiest first."""
MASTERY_DIFFICULTY = "medium"
"""The easiest difficulty whose passes count towards mastery."""
HUNT_PASS_SCORE = 60.0
"""Hunt score a run needs to pass the SPOF-hunting concept (with the drill passed)."""
HUNT_KEY = "spof_hunt"
"""Where a hunt drill's result sits in a history record's ``breakdown``."""


def concepts_of(tags: Iterable[str]) -> tuple[str, ...]:
    """The concepts a set of scenario tags teaches, in table order."""
    wanted = set(tags)
    return tuple(concept.name for concept in CONCEPTS if concept.tags & wanted)


def mastery(drills: int, passed: int, best: float | None, latest_passed: bool, demanding_passed: int) -> str:
    """The level for a concept's counts (see the module docstring for the thresholds).

    ``demanding_passed``: of the passes, those of drills rated :data:`MASTERY_DIFFICULTY` or harder.
    """
    if drills == 0:
        return "not started"
    if passed == 0:
        return "learning"
    if (demanding_passed >= MASTERY_PASSES and best is not None and best >= MASTERY_SCORE
            and latest_passed):
        return "mastered"
    return "practised"


@dataclass(frozen=True)
class ConceptProgress:
    """One trainee's progress in one concept."""

    trainee: str
    concept: str
    drills: int
    """Drills run that teach the concept."""
    passed: int
    """Of those, how many met their scenario's bar."""
    best: float | None
    """Best score, ``None`` before the first drill."""
    latest: float | None
    """Score of the most recent drill, ``None`` before the first."""
    level: str
    """One of :data:`LEVELS`."""

    @property
    def rank(self) -> int:
        """The level's position in :data:`LEVELS` (0: not started)."""
        return LEVELS.index(self.level)

    def to_dict(self) -> dict:
        return asdict(self)


def _newest_first(records: Iterable[Record]) -> list[Record]:
    return sorted(records, key=lambda r: (r.finished_at, r.id), reverse=True)


def record_breakdown(penalties: dict, hunt_score: float | None = None) -> dict:
    """What the console stores as a run's ``breakdown``: the score's penalties and, for a hunt, the hunt score."""
    breakdown = dict(penalties)
    if hunt_score is not None:
        breakdown[HUNT_KEY] = {"score": float(hunt_score)}
    return breakdown


def hunt_score(record: Record) -> float | None:
    """The SPOF-hunt score stored in a record's breakdown, ``None`` when there is none (or it is not a finite number)."""
    hunt = record.breakdown.get(HUNT_KEY) if isinstance(record.breakdown, dict) else None
    value = hunt.get("score") if isinstance(hunt, dict) else None
    if type(value) not in (int, float) or not math.isfinite(value):
        return None
    return float(value)


def concept_result(concept: Concept, record: Record) -> tuple[float, bool]:
    """A run's score and verdict by the concept's own measure (see the module docstring)."""
    if concept.measure == "hunt":
        hunt = hunt_score(record)
        if hunt is not None:
            return hunt, record.passed and hunt >= HUNT_PASS_SCORE
    return record.score, record.passed


def _demanding(difficulty: str | None) -> bool:
    """Whether a drill of this difficulty counts towards mastery (unknown: no)."""
    if difficulty not in DIFFICULTIES:
        return False
    return DIFFICULTIES.index(difficulty) >= DIFFICULTIES.index(MASTERY_DIFFICULTY)


def _concept_progress(trainee: str, concept: Concept, records: Sequence[Record],
                      difficulties: Mapping[str, str]) -> ConceptProgress:
    """``records`` newest first, of one trainee; ``difficulties`` the label by scenario id."""
    mine = [r for r in records if concept.tags & set(r.tags)]
    results = [concept_result(concept, r) for r in mine]
    passed = sum(1 for _, ok in results if ok)
    demanding = sum(1 for r, (_, ok) in zip(mine, results) if ok and _demanding(difficulties.get(r.scenario)))
    best = max((score for score, _ in results), default=None)
    latest = results[0] if results else None
    level = mastery(len(mine), passed, best, bool(latest and latest[1]), demanding)
    return ConceptProgress(trainee, concept.name, len(mine), passed, best,
                           latest[0] if latest else None, level)


def builtin_difficulties() -> dict[str, str]:
    """The difficulty label of every drill :func:`catalogue` offers (built-in and generated), by id."""
    return {option.scenario: option.difficulty for option in catalogue()}


def progress(records: Iterable[Record], trainee: str | None = None,
             difficulties: Mapping[str, str] | None = None) -> list[ConceptProgress]:
    """Progress per trainee (by name) per concept (table order).

    With ``trainee``, only that trainee's records and rows (every concept, even
    with no drill); without, one block per trainee found in the records.
    ``difficulties``: the difficulty label by scenario id, for mastery (default:
    the built-in scenarios' labels, :func:`builtin_difficulties`).
    """
    ordered = _newest_first(records)
    if difficulties is None:
        difficulties = builtin_difficulties()
    names = [trainee] if trainee is not None else sorted({r.trainee for r in ordered})
    rows = []
    for name in names:
        mine = [r for r in ordered if r.trainee == name]
        rows += [_concept_progress(name, concept, mine, difficulties) for concept in CONCEPTS]
    return rows


# --------------------------------------------------------------------------- what to run next


@dataclass(frozen=True)
class DrillOption:
    """A scenario the trainee could run next, with what it teaches and how hard it is."""

    scenario: str
    """The scenario's id."""
    title: str
    tags: tuple[str, ...]
    difficulty: str
    """The measured difficulty label when there is one, else the declared one."""
    index: float | None = None
    """The measured difficulty index (0 easy to 1 hard), if measured."""
    architecture: str | None = None
    """The trainee's own system the drill runs on (a generated drill), ``None`` for a built-in shop."""

    @classmethod
    def of(cls, scenario: Scenario, measured: dict | None = None, builtin: bool = False) -> DrillOption:
        """From a scenario and its calibration entry (:func:`engine.analysis.check.measured_difficulty`).

        The calibration is a file: a label that is not text or an index that is not a finite number is ignored.
        ``builtin``: a built-in scenario, never counted as the trainee's own system.
        """
        label = label_from_entry(scenario, measured)
        return cls(scenario.id or scenario.title, scenario.title, tuple(scenario.tags), label.label, label.index,
                   None if builtin else scenario.architecture or None)

    @property
    def concepts(self) -> tuple[str, ...]:
        return concepts_of(self.tags)

    def ease(self) -> tuple[int, bool, float, str]:
        """Sort key: easiest first (label), a drill of the trainee's own system before a built-in shop's of the
        same label, then the measured index, then id."""
        rank = DIFFICULTIES.index(self.difficulty) if self.difficulty in DIFFICULTIES else len(DIFFICULTIES)
        return rank, self.architecture is None, self.index if self.index is not None else 0.5, self.scenario

    def where(self) -> str:
        """``on your system shop-k8s`` for a generated drill, else nothing."""
        return f" on your system {self.architecture}" if self.architecture else ""


def catalogue(library: bool = True) -> list[DrillOption]:
    """The built-in scenarios as options, with their measured difficulty, then (with ``library``) the
    generated drills of the drill library that load, with their folder's calibration."""
    from engine.analysis.calibration import measured_difficulty, read_calibration
    from engine.scenario.loader import builtin_scenarios, library_files, load_scenario
    from engine.scenario.problems import ScenarioError

    calibration = read_calibration()
    options = []
    for name in builtin_scenarios():
        scenario = load_scenario(name)
        options.append(DrillOption.of(scenario, measured_difficulty(scenario, calibration), builtin=True))
    known = {option.scenario for option in options}
    folders: dict = {}
    for path in library_files() if library else []:
        try:
            scenario = load_scenario(path)
        except ScenarioError:  # a broken file is the picker's to report; it is no suggestion
            continue
        if scenario.id in known:
            continue
        known.add(scenario.id)
        if path.parent not in folders:
            folders[path.parent] = read_calibration(path.parent)
        options.append(DrillOption.of(scenario, measured_difficulty(scenario, folders[path.parent])))
    return options


@dataclass(frozen=True)
class NextDrill:
    """The suggested next drill and why."""

    scenario: str
    title: str
    concept: str | None
    """The concept it works on (``None`` when every concept is mastered)."""
    reason: str
    """One line, e.g. ``replica promotion not started; the easiest drill teaching it (medium)``."""

    def to_dict(self) -> dict:
        return asdict(self)


def _standing(row: ConceptProgress) -> str:
    if row.level == "not started":
        return f"{row.concept} not started"
    shown = f"best {row.best:.1f}" if row.best is not None else "no score"
    return f"{row.concept} is the weakest concept ({row.level}: {row.drills} drill{'s' if row.drills != 1 else ''}, {shown})"


def suggest_next(records: Iterable[Record], options: Sequence[DrillOption], trainee: str | None = None) -> NextDrill | None:
    """The drill where the trainee is weakest, or ``None`` when there is nothing to suggest.

    ``trainee``: only their records; ``None``: every record (one person's machine).
    The weakest concept is the one with the lowest level, then the lowest best
    score, then teaching order (a newcomer starts at the top of the table); in it, the
    easiest drill not passed yet. When every drill of every unmastered concept
    is passed, the one with the lowest best score is suggested again.
    """
    mine = [r for r in records if trainee is None or r.trainee == trainee]
    ordered = _newest_first(mine)
    difficulties = {o.scenario: o.difficulty for o in options}
    rows = {c.name: _concept_progress(trainee or "", c, ordered, difficulties) for c in CONCEPTS}
    passed = {r.scenario for r in mine if r.passed}
    best: dict[str, float] = {}
    for r in mine:
        best[r.scenario] = max(r.score, best.get(r.scenario, r.score))
    order = {c.name: i for i, c in enumerate(CONCEPTS)}
    open_rows = [row for row in rows.values() if row.level != "mastered"]

    def teaching(concept: str) -> list[DrillOption]:
        return sorted((o for o in options if concept in o.concepts), key=DrillOption.ease)

    first_new: dict[str, DrillOption] = {}
    for row in open_rows:
        fresh = [o for o in teaching(row.concept) if o.scenario not in passed]
        if fresh:
            first_new[row.concept] = fresh[0]
    if first_new:
        row = min((rows[c] for c in first_new),
                  key=lambda r: (r.rank, r.best if r.best is not None else -1.0, order[r.concept], first_new[r.concept].ease()))
        pick = first_new[row.concept]
        what = "the easiest drill that teaches it" if row.level == "not started" else "the easiest drill teaching it not passed yet"
        return NextDrill(pick.scenario, pick.title, row.concept, f"{_standing(row)}; {what}{pick.where()} ({pick.difficulty})")
    for row in sorted(open_rows, key=lambda r: (r.rank, r.best if r.best is not None else -1.0, order[r.concept])):
        replay = sorted(teaching(row.concept), key=lambda o: (best.get(o.scenario, -1.0), o.ease()))
        if replay:
            pick = replay[0]
            return NextDrill(pick.scenario, pick.title, row.concept,
                             f"{_standing(row)}; every drill teaching it passed: replay the lowest best score "
                             f"({best.get(pick.scenario, 0.0):.1f}){pick.where()} towards mastery")
    remaining = sorted(options, key=lambda o: (o.scenario in passed, best.get(o.scenario, -1.0), o.ease()))
    if not remaining:
        return None
    pick = remaining[0]
    if pick.scenario not in passed:
        return NextDrill(pick.scenario, pick.title, None, f"the easiest drill not passed yet{pick.where()} ({pick.difficulty})")
    return NextDrill(pick.scenario, pick.title, None,
                     f"every concept mastered; the lowest best score ({best.get(pick.scenario, 0.0):.1f})")


# --------------------------------------------------------------------------- the `spofdrill history` report


def _trainees(everything: Sequence[Record], trainee: str | None) -> list[str | None]:
    """Whose progress to show: the one asked for, else everyone recorded, else nobody in particular."""
    if trainee is not None:
        return [trainee]
    return sorted({r.trainee for r in everything}) or [None]


def _when(timestamp: float) -> str:
    """Local time to the minute; ``?`` for a time no calendar holds (the history reader refuses those anyway)."""
    from datetime import datetime

    try:
        return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError, TypeError):
        return "?"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def history_text(records: Sequence[Record], everything: Sequence[Record], options: Sequence[DrillOption], *,
                 trainee: str | None = None, source: str = "the drill history") -> str:
    """The drills (``records``, newest first), progress per concept over ``everything``, and the next drill."""
    lines: list[str] = []
    if not everything:
        who = f" for {trainee}" if trainee is not None else ""
        lines += [f"No drills recorded yet{who} in {source}.",
                  "Run one in the console (spofdrill) and it is recorded here when its debrief opens.", ""]
    elif not records:
        lines += ["No recorded drill matches these filters.", ""]
    else:
        width = max(8, *(len(r.scenario) for r in records))
        who = max(7, *(len(r.trainee) for r in records))
        lines.append(f"Drills, newest first ({source}):")
        lines.append(f"  {'finished':<16}  {'trainee':<{who}}  {'scenario':<{width}}  {'seed':>4}  {'score':>5}  "
                     f"grade  passed  mode")
        for r in records:
            lines.append(f"  {_when(r.finished_at):<16}  {r.trainee:<{who}}  {r.scenario:<{width}}  {r.seed:>4}  "
                         f"{r.score:>5.1f}  {r.grade:<5}  {'yes' if r.passed else 'no':<6}  {r.mode}")
        lines.append("")
    if everything:
        rows = progress(everything, trainee, {o.scenario: o.difficulty for o in options})
        who = max(7, *(len(row.trainee) for row in rows))
        lines.append("Progress per concept:")
        lines.append(f"  {'trainee':<{who}}  {'concept':<22}  {'level':<11}  {'drills':>6}  {'passed':>6}  {'best':>5}  {'latest':>6}")
        for row in rows:
            lines.append(f"  {row.trainee:<{who}}  {row.concept:<22}  {row.level:<11}  {row.drills:>6}  {row.passed:>6}  "
                         f"{_score(row.best):>5}  {_score(row.latest):>6}")
        lines.append(f"  (mastered: {MASTERY_PASSES} passes of {MASTERY_DIFFICULTY} or harder drills, a best of "
                     f"{MASTERY_SCORE:g} and the latest drill passed; SPOF hunting counts the hunt score, "
                     f"passed at {HUNT_PASS_SCORE:g})")
        lines.append("")
    names = _trainees(everything, trainee)
    for name in names:
        pick = suggest_next(everything, options, name)
        label = "next" if len(names) == 1 else f"next for {name}"
        lines.append(f"{label}: {pick.scenario} — {pick.reason}" if pick else f"{label}: nothing to suggest")
    return "\n".join(lines)


def history_document(records: Sequence[Record], everything: Sequence[Record], options: Sequence[DrillOption], *,
                     trainee: str | None = None) -> dict:
    """The same report for tools (JSON-ready)."""
    from datetime import datetime, timezone

    runs = []
    for r in records:
        doc = asdict(r)
        doc["tags"] = list(r.tags)
        try:
            doc["finished"] = datetime.fromtimestamp(r.finished_at, timezone.utc).isoformat(timespec="seconds")
        except (OverflowError, OSError, ValueError, TypeError):
            doc["finished"] = None
        runs.append(doc)
    nexts = []
    for name in _trainees(everything, trainee):
        pick = suggest_next(everything, options, name)
        nexts.append({"trainee": name, **(pick.to_dict() if pick else {"scenario": None})})
    return {
        "runs": runs,
        "progress": ([row.to_dict() for row in progress(everything, trainee, {o.scenario: o.difficulty for o in options})]
                     if everything else []),
        "levels": {"order": list(LEVELS), "mastery_passes": MASTERY_PASSES, "mastery_score": MASTERY_SCORE,
                   "mastery_difficulty": MASTERY_DIFFICULTY, "hunt_pass_score": HUNT_PASS_SCORE},
        "next": nexts,
    }


__all__ = ["CONCEPTS", "DIFFICULTIES", "HUNT_KEY", "HUNT_PASS_SCORE", "LEVELS", "MASTERY_DIFFICULTY", "MASTERY_PASSES",
           "MASTERY_SCORE", "Concept", "ConceptProgress", "DrillOption", "NextDrill", "builtin_difficulties", "catalogue",
           "concept_result", "concepts_of", "history_document", "history_text", "hunt_score", "mastery", "progress",
           "record_breakdown", "suggest_next"]
