"""The scenario picker: every drill in a table, a preview of the highlighted one, a filter.

:class:`PickerScreen` lists the built-in scenarios and every ``*.yaml`` file of
the extra directories, with their difficulty, concepts, expected duration and
the trainee's best result. The preview shows what a trainee may know before the
drill (the briefing, objectives and a count of the components); never the
scenario's ``method`` (the faults) nor its ``description``, which authors write
for other authors and which often names what breaks.

A file that does not load is still listed, greyed and marked *invalid*, with
its problems in the preview; choosing it shows the first problem.

Rows come in teaching order: the built-ins by difficulty (intro, easy, medium,
hard, expert: the label the Level column shows, measured when measured) then
title, so the easiest drill is first; the files of the extra directories
follow, by file name. Drills of the trainee's own systems (the drill library
that ``spofdrill generate`` fills, and any file that names its
``architecture``) come last, under a heading row per architecture, each group in
teaching order; the heading's preview describes the system, ``a`` on it opens
its SPOF analysis and ``enter`` moves to its first drill. With no such drill
there are no headings. ``j``/``k`` move like the arrows. Titles are whole when
they fit: the Concepts column gives way first.

The app pushes the screen with a callback, ``push_screen(PickerScreen(...),
on_chosen)``; choosing dismisses with the :class:`~engine.scenario.schema.Scenario` and
also posts :class:`PickerScreen.ScenarioChosen` to the app, for apps that
route by message (handle one or the other, not both).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from weakref import WeakKeyDictionary
from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from engine.analysis.calibration import label_from_entry, measured_difficulty, read_calibration
from engine.records.history import History, HistoryError, Record
from engine.scenario.loader import SCENARIO_SUFFIXES, builtin_scenarios, library_files, load_scenario
from engine.scenario.loader.sizes import over_budget
from engine.records.progress import DIFFICULTIES, DrillOption, NextDrill, suggest_next
from engine.scenario.problems import Problem, ScenarioError
from engine.scenario.schema import Scenario, Topology

from ..messages import AnalysisRequested
from ..wording import clip

__all__ = ["BUILT_IN_HEADING", "Heading", "PickerScreen", "ScenarioEntry", "describe_problem", "load_entries", "matches", "rows_of",
           "teaching_order", "topology_summary"]

_NO_RESULT = "—"
_TITLE_WIDTH = 41
"""Title width before anything is measured (see :meth:`PickerScreen._widths`)."""
_CONCEPTS_WIDTH = 29
"""Widest concepts cell."""
_MIN_CONCEPTS_WIDTH = 10
"""The concepts column shrinks to this before any title is cut."""
_FIXED_WIDTH = 2 + 10 + 7 + 3 + 6
"""Margins, cell padding and the level, minutes and best columns."""

_DIFFICULTY_COLOURS = {"intro": "success", "easy": "success", "medium": "warning", "hard": "error", "expert": "error"}
"""Theme variable that colours each difficulty in the table."""

_TOLD: WeakKeyDictionary[History, set[str]] = WeakKeyDictionary()
"""What each history's readers were already told about it (unreadable rows, a failed read): each is told once
per console, however many pickers the console opens on the same history."""

_KIND_NAMES = {
    "dns": ("DNS", "DNS"),
    "cdn": ("CDN", "CDNs"),
    "load_balancer": ("load balancer", "load balancers"),
    "app_server": ("app server", "app servers"),
    "cache": ("cache", "caches"),
    "database": ("database", "databases"),
    "service": ("service", "services"),
}
"""Singular and plural names of the node kinds the topology summary counts (clients are the users)."""
_GLOBAL_KINDS = ("dns", "cdn")
"""Kinds that are global anycast services, outside every region."""


# --------------------------------------------------------------------------- data (no widgets)


@dataclass(frozen=True)
class ScenarioEntry:
    """One row of the picker: a loaded scenario, or a file that failed to load."""

    source: str
    """A built-in scenario's name or a file's path."""
    scenario: Scenario | None
    """The loaded scenario; ``None`` when the file has problems."""
    problems: tuple[Problem, ...] = ()
    """Why the file does not load (empty when it does)."""
    measured: dict | None = None
    """The difficulty ``spofdrill check`` measured for exactly this content, if any."""
    builtin: bool = False
    """A built-in scenario (listed by name) rather than a file."""

    @property
    def architecture(self) -> str | None:
        """The system a file's drill runs on (its ``architecture``), or ``None`` (built-ins and plain files)."""
        if self.builtin or self.scenario is None:
            return None
        return self.scenario.architecture or None

    @property
    def level(self) -> str:
        """The difficulty label shown everywhere (:func:`engine.analysis.calibration.difficulty_label`); ``invalid``."""
        return label_from_entry(self.scenario, self.measured).label if self.scenario is not None else "invalid"

    @property
    def valid(self) -> bool:
        """Whether the scenario loaded and can be started."""
        return self.scenario is not None

    @property
    def scenario_id(self) -> str:
        """The scenario's id (the history key), or the file stem of an invalid file."""
        if self.scenario is not None and self.scenario.id:
            return self.scenario.id
        return Path(self.source).stem

    @property
    def label(self) -> str:
        """The title, or the file name of an invalid file."""
        return self.scenario.title if self.scenario is not None else Path(self.source).name

    def haystack(self) -> str:
        """The words the filter searches: title, id, file, difficulty, tags."""
        words = [self.label, self.scenario_id, Path(self.source).name]
        if self.scenario is not None:
            words += [self.level, *self.scenario.tags]
        else:
            words.append("invalid")
        return " ".join(words).lower()


def _measured_words(entry: ScenarioEntry) -> str:
    """Where the difficulty comes from: measured by ``spofdrill check``, or declared."""
    measured = entry.measured
    if not measured or not measured.get("spread") or entry.scenario is None:
        return "difficulty as declared by its author (not measured with spofdrill check)"
    low, mid, high = measured["spread"]
    return (f"difficulty {label_from_entry(entry.scenario, measured).long()}, measured over {measured.get('seeds', '?')} seeds: expected score "
            f"{low:g}–{high:g} (median {mid:g}) for anything from a naive to a perfect response")


def _calibration(directory: Path | None = None) -> dict[str, dict]:
    """The built-in calibration, or the ``calibration.json`` of a folder of scenario files."""
    return read_calibration(directory)


def _load(source: str | Path, calibration: dict[str, dict] | None = None) -> ScenarioEntry:
    """One entry; ``calibration``: the one to look the scenario up in (default: the built-ins', for a name;
    the file's folder's, for a file)."""
    builtin = not isinstance(source, Path)
    try:
        scenario = load_scenario(source)
        if calibration is None:
            calibration = _calibration(None if builtin else Path(source).parent)
        return ScenarioEntry(str(source), scenario, measured=measured_difficulty(scenario, calibration), builtin=builtin)
    except ScenarioError as exc:
        problems = tuple(exc.problems) or (Problem(str(source), None, None, "", "does not load"),)
        return ScenarioEntry(str(source), None, problems)
    except Exception as exc:  # noqa: BLE001 - a broken file must never take the console down
        return ScenarioEntry(str(source), None, (Problem(str(source), None, None, "", f"internal error: {exc!r}"),))


def teaching_order(entry: ScenarioEntry) -> tuple[int, str, str]:
    """Sort key: the author's declared difficulty (intro first, invalid last), then title, then id.

    The declared difficulty is the teaching order the author meant (the intro drill first); the Level
    column shows the measured label, which says how hard the drill plays, not where it belongs in a course.
    """
    level = entry.scenario.difficulty if entry.scenario is not None else "invalid"
    rank = DIFFICULTIES.index(level) if level in DIFFICULTIES else len(DIFFICULTIES)
    return rank, entry.label.casefold(), entry.scenario_id


def load_entries(extra_dirs: Iterable[Path] = (), library: bool = True) -> tuple[list[ScenarioEntry], list[str]]:
    """The built-in scenarios in teaching order (:func:`teaching_order`), then every scenario file of
    ``extra_dirs`` (sorted by name), then, with ``library``, the drill library's files; the files that
    name an ``architecture`` are moved to the end, grouped by it (architectures by name, each in teaching order).

    Returns the entries and one warning per extra directory that cannot be read.
    """
    entries = sorted((_load(name) for name in builtin_scenarios()), key=teaching_order)
    warnings: list[str] = []
    files: list[Path] = []
    for directory in extra_dirs:
        directory = Path(directory)
        try:
            files += sorted(p for p in directory.iterdir() if p.suffix in SCENARIO_SUFFIXES and p.is_file())
        except OSError as exc:
            warnings.append(f"{directory}: {exc.strerror or exc}; no scenarios read from it")
    if library:
        files += library_files()
    seen: set[Path] = set()
    calibrations: dict[Path, dict[str, dict]] = {}
    for path in files:
        key = path.resolve()
        if key in seen:  # a library folder also given with --scenarios
            continue
        seen.add(key)
        if path.parent not in calibrations:
            calibrations[path.parent] = _calibration(path.parent)
        entries.append(_load(path, calibrations[path.parent]))
    plain = [entry for entry in entries if entry.architecture is None]
    own = sorted((entry for entry in entries if entry.architecture is not None),
                 key=lambda entry: (entry.architecture.casefold(), entry.architecture, *teaching_order(entry)))
    return plain + own, warnings


@dataclass(frozen=True)
class Heading:
    """A heading row of the picker: the architecture the drills below it run on."""

    architecture: str
    entries: tuple[ScenarioEntry, ...]
    """Its drills (all of them, whatever the filter shows)."""


BUILT_IN_HEADING = "Built-in drills"
"""The heading over the built-in drills and plain files, shown when some drill runs on an architecture of its own."""


def rows_of(entries: list[ScenarioEntry]) -> list[ScenarioEntry | Heading]:
    """The table's rows for entries in :func:`load_entries` order: a heading before each architecture's drills
    (and one over the rest when there are such drills), nothing added when no drill names an architecture."""
    groups: dict[str, list[ScenarioEntry]] = {}
    for entry in entries:
        if entry.architecture is not None:
            groups.setdefault(entry.architecture, []).append(entry)
    if not groups:
        return list(entries)
    rows: list[ScenarioEntry | Heading] = []
    current: str | None = None
    for entry in entries:
        name = entry.architecture
        if not rows and name is None:
            rows.append(Heading(BUILT_IN_HEADING, ()))
        if name is not None and name != current:
            rows.append(Heading(name, tuple(groups[name])))
            current = name
        rows.append(entry)
    return rows


def matches(entry: ScenarioEntry, query: str) -> bool:
    """Whether every word of ``query`` occurs in the entry's title, id, file, difficulty or tags."""
    haystack = entry.haystack()
    return all(word in haystack for word in query.lower().split())


def _count(kind: str, n: int) -> str:
    singular, plural = _KIND_NAMES[kind]
    return f"{n} {singular if n == 1 else plural}"


def _kind_phrase(kind: str, specs: list[tuple[str, object]]) -> str:
    phrase = _count(kind, len(specs))
    if kind == "load_balancer":
        vips = {getattr(spec, "vip", None) or name for name, spec in specs}
        if len(vips) < len(specs):
            phrase += f" ({len(vips)} VIP{'s' if len(vips) != 1 else ''})"
    elif kind == "database":
        clusters = {getattr(spec, "cluster", None) or name for name, spec in specs}
        if len(clusters) < len(specs):
            phrase += f" ({len(clusters)} cluster{'s' if len(clusters) != 1 else ''})"
    return phrase


def topology_summary(topology: Topology) -> list[str]:
    """Component counts by kind and region, one line per region.

    E.g. ``2 load balancers (1 VIP), 2 app servers, 1 cache, 3 databases (1 cluster) in main``;
    DNS and CDN are global. Only structure: no fault, no state.
    """
    default_region = topology.regions[0]
    placed: dict[str, dict[str, list[tuple[str, object]]]] = {}
    for name, spec in topology.nodes.items():
        if spec.kind not in _KIND_NAMES:
            continue
        region = "global" if spec.kind in _GLOBAL_KINDS else (spec.region or default_region)
        placed.setdefault(region, {}).setdefault(spec.kind, []).append((name, spec))
    order = ["global", *topology.regions, *sorted(set(placed) - {"global", *topology.regions})]
    lines = []
    for region in order:
        kinds = placed.get(region)
        if not kinds:
            continue
        parts = ", ".join(_kind_phrase(kind, kinds[kind]) for kind in _KIND_NAMES if kind in kinds)
        lines.append(f"{parts} (global)" if region == "global" else f"{parts} in {region}")
    return lines or ["no servers"]


_SPOILER_PATHS = ("method", "reference_solution", "chaos", "hints")
"""Key paths whose problems would tell the trainee what breaks or what to do."""


def describe_problem(problem: Problem) -> str:
    """A problem as ``file:line:col: path: message``, with the file's name only.

    A problem inside the faults, chaos, hints or reference solution keeps its
    location but not its words: they would give the drill away.
    ``spofdrill validate`` shows them in full.
    """
    where = Path(problem.file).name
    if problem.line is not None:
        where += f":{problem.line}"
        if problem.column is not None:
            where += f":{problem.column}"
    section = problem.path.split(".")[0].split("[")[0]
    if section in _SPOILER_PATHS:
        return f"{where}: a problem in '{section}' (hidden: it would spoil the drill)"
    return ": ".join(part for part in (where, problem.path, problem.message) if part)


def _reflow(text: str) -> str:
    """Join the hard-wrapped lines of each paragraph so the screen wraps them to its width."""
    paragraphs = [" ".join(part.split()) for part in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))}"


_ellipsis = clip
"""A table cell that must stay one line: cut at a word, with an ellipsis (:func:`tui.wording.clip`)."""


# --------------------------------------------------------------------------- widgets


class _ScenarioTable(DataTable):
    """The scenario list; ``enter`` chooses (shown in the footer); ``j``/``k`` move like the arrows."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Start", show=True, tooltip="the highlighted drill's briefing"),
        Binding("j", "cursor_down", "Down", show=False, tooltip="down the list (as ↓)"),
        Binding("k", "cursor_up", "Up", show=False, tooltip="up the list (as ↑)"),
    ]


class PickerScreen(Screen[Scenario]):
    """Choose a drill: a table of scenarios, a preview, a filter."""

    CSS_PATH = "picker.tcss"
    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/",
                tooltip="filter the list by name, concept or tag (enter starts the first match)"),
        Binding("escape", "clear_filter", "Clear filter"),
        Binding("r", "reload", "Reload", tooltip="read the scenario files again"),
        Binding("a", "analyze", "SPOF analysis", tooltip="the SPOF analysis of the highlighted drill's architecture"),
        Binding("g", "go_suggested", "Suggested", show=False,  # the suggestion line names the key
                tooltip="the suggested next drill"),
        Binding("q", "quit", "Quit"),
    ]

    class ScenarioChosen(Message):
        """The trainee chose a scenario to run (posted to the app)."""

        def __init__(self, scenario: Scenario) -> None:
            self.scenario = scenario
            """The chosen scenario."""
            super().__init__()

    def __init__(self, extra_dirs: list[Path] | None = None, history: History | None = None) -> None:
        super().__init__()
        self.extra_dirs: list[Path] = [Path(d) for d in extra_dirs or []]
        """Directories whose scenario files are listed after the built-ins."""
        self.history = history
        """Where best results come from; ``None``: none shown."""
        self.entries: list[ScenarioEntry] = []
        """Every scenario and file, in display order before filtering."""
        self.shown: list[ScenarioEntry] = []
        """The entries the filter lets through, in table order."""
        self.rows: list[ScenarioEntry | Heading] = []
        """The table's rows: :attr:`shown` with the architecture headings (:func:`rows_of`)."""
        self._best: dict[str, Record | None] = {}
        self.suggestion: NextDrill | None = None
        """The drill suggested next from the history (:func:`engine.records.progress.suggest_next`)."""
        self._preview_content = Content("")
        self._widths_used = (_TITLE_WIDTH, _CONCEPTS_WIDTH)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Horizontal(id="picker-header"):
            yield Static(Content.from_markup("[b $accent]spofdrill[/]  [b]Choose a drill[/]"), id="picker-title")
            yield Static("", id="picker-count")
        yield _ScenarioTable(id="scenarios", cursor_type="row", zebra_stripes=True)
        yield Static("", id="picker-suggestion")
        with VerticalScroll(id="preview"):
            yield Static("", id="preview-body")
        with Horizontal(id="filter-bar"):
            yield Static(Content.styled("/", "b $accent"), id="filter-label")
            yield Input(placeholder="words in the title, id, concepts or level", id="filter", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#scenarios", DataTable)
        table.add_column("Scenario", key="title")
        table.add_column("Level", key="level")
        table.add_column("Concepts", key="concepts")
        table.add_column(Text("Min", justify="right"), key="minutes")
        table.add_column("Best", key="best")
        self.query_one("#preview", VerticalScroll).border_title = "Preview"
        self.query_one("#filter-bar").display = False
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self._load()
        table.focus()

    def on_unmount(self) -> None:
        self.app.theme_changed_signal.unsubscribe(self)

    def _on_theme_changed(self, _theme: object) -> None:
        """The table's colours come from the theme: redraw it."""
        self._fill_table()

    def on_screen_resume(self) -> None:
        """Back from a drill: results may have changed."""
        if self.entries:
            self._refresh_best()
            self._fill_table()

    # ------------------------------------------------------------------ data

    def _load(self) -> None:
        self.entries, warnings = load_entries(self.extra_dirs)
        for warning in warnings:
            self.notify(warning, title="Scenario directory", severity="warning")
        self._refresh_best()
        self._fill_table()

    def _refresh_suggestion(self) -> None:
        """Where the trainee is weakest, from every readable recorded drill (none when the history cannot be read)."""
        try:
            records = self.history.all_runs() if self.history is not None else []
        except HistoryError as exc:
            self._history_problem(str(exc))
            records = []
        options = [DrillOption.of(e.scenario, e.measured, builtin=e.builtin) for e in self.entries if e.scenario is not None]
        self.suggestion = suggest_next(records, options)
        line = self.query_one("#picker-suggestion", Static)
        line.display = self.suggestion is not None
        if self.suggestion is not None:
            line.update(Content.assemble(("Suggested next (g): ", "b"), self.suggestion.title,
                                         f" — {self.suggestion.reason}"))

    def _refresh_best(self) -> None:
        self._refresh_suggestion()
        self._best = {}
        if self.history is None:
            return
        for entry in self.entries:
            if entry.valid and entry.scenario_id not in self._best:
                try:
                    self._best[entry.scenario_id] = self.history.best(entry.scenario_id)
                except HistoryError as exc:
                    self._history_problem(str(exc))
                    self._best[entry.scenario_id] = None
        if self.history.problem:  # rows that could not be read are left out of the results shown
            self._history_problem(self.history.problem)

    def _history_problem(self, message: str) -> None:
        """Tell the trainee what could not be read from the history, once per console and problem."""
        if self.history is None:
            return
        told = _TOLD.setdefault(self.history, set())
        if message not in told:
            told.add(message)
            self.notify(message, title="Drill history", severity="warning", timeout=10, markup=False)

    def best(self, entry: ScenarioEntry) -> str:
        """The best result shown for an entry: ``87.5 B`` or ``—``."""
        record = self._best.get(entry.scenario_id) if entry.valid else None
        return record.result if record is not None else _NO_RESULT

    @property
    def query_text(self) -> str:
        """The current filter text."""
        return self.query_one("#filter", Input).value.strip()

    @property
    def highlighted_row(self) -> ScenarioEntry | Heading | None:
        """The row under the cursor: an entry, a heading, or ``None`` when no row is shown."""
        table = self.query_one("#scenarios", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @property
    def highlighted(self) -> ScenarioEntry | None:
        """The entry under the cursor, if a drill's row is highlighted (``None`` on a heading)."""
        row = self.highlighted_row
        return row if isinstance(row, ScenarioEntry) else None

    def _move_to(self, entry: ScenarioEntry) -> None:
        """Put the cursor on an entry's row."""
        self.query_one("#scenarios", DataTable).move_cursor(row=self.rows.index(entry), animate=False)

    # ------------------------------------------------------------------ table

    def _colour(self, variable: str) -> str:
        variables = self.app.theme_variables or self.app.get_css_variables()
        return variables.get(variable, "")

    def _widths(self) -> tuple[int, int]:
        """Title and concepts widths that fit the screen (the rest is fixed).

        The title column gets the longest title when it fits; the concepts column
        gives way first (down to :data:`_MIN_CONCEPTS_WIDTH`), then titles are cut.
        """
        free = max(30, self.size.width - _FIXED_WIDTH) if self.size.width else _TITLE_WIDTH + _CONCEPTS_WIDTH
        longest = max((len(entry.label) for entry in self.entries), default=_TITLE_WIDTH)
        title = max(16, min(longest, free - _MIN_CONCEPTS_WIDTH))
        return title, max(_MIN_CONCEPTS_WIDTH, min(_CONCEPTS_WIDTH, free - title))

    def on_resize(self) -> None:
        if self.entries and self._widths() != self._widths_used:
            self._fill_table()

    def _heading_row(self, heading: Heading) -> tuple[Text, ...]:
        title_width, concepts_width = self._widths_used
        accent = f"bold {self._colour('accent')}".strip()
        if not heading.entries:
            return (Text(_ellipsis(heading.architecture, title_width), style=accent), Text(""), Text(""), Text(""), Text(""))
        count = len(heading.entries)
        return (
            Text(_ellipsis(f"▾ {heading.architecture}", title_width), style=accent),
            Text("system", style=self._colour("text-muted")),
            Text(_ellipsis(f"{count} drill{'s' if count != 1 else ''} of your own system", concepts_width),
                 style=self._colour("text-muted")),
            Text(""),
            Text(""),
        )

    def _row(self, entry: ScenarioEntry) -> tuple[Text, ...]:
        title_width, concepts_width = self._widths_used
        if entry.scenario is None:
            dim = "dim"
            return (
                Text(_ellipsis(entry.label, title_width), style=dim),
                Text("invalid", style=f"bold {self._colour('error')}".strip()),
                Text(_ellipsis(f"{len(entry.problems)} problem{'s' if len(entry.problems) != 1 else ''}", concepts_width), style=dim),
                Text(_NO_RESULT, style=dim, justify="right"),
                Text(_NO_RESULT, style=dim),
            )
        scenario = entry.scenario
        best = self.best(entry)
        return (
            Text(_ellipsis(scenario.title, title_width)),
            Text(entry.level, style=self._colour(_DIFFICULTY_COLOURS.get(entry.level, "text-muted"))),
            Text(_ellipsis(", ".join(scenario.tags), concepts_width)),
            Text(_minutes(scenario.duration), justify="right"),
            Text(best, style="dim" if best == _NO_RESULT else "bold"),
        )

    def _fill_table(self) -> None:
        """Rebuild the rows from the filter, keeping the highlighted entry when it is still shown."""
        table = self.query_one("#scenarios", DataTable)
        previous = self.highlighted_row
        query = self.query_text
        self.shown = [entry for entry in self.entries if matches(entry, query)]
        self.rows = rows_of(self.shown)
        self._widths_used = self._widths()
        table.clear()
        for index, row in enumerate(self.rows):
            cells = self._heading_row(row) if isinstance(row, Heading) else self._row(row)
            table.add_row(*cells, key=f"row-{index}")
        if previous in self.rows:
            table.move_cursor(row=self.rows.index(previous), animate=False)
        elif self.shown:  # the first drill, not a heading
            self._move_to(self.shown[0])
        count = self.query_one("#picker-count", Static)
        shown, total = len(self.shown), len(self.entries)
        words = f"{total} scenario{'s' if total != 1 else ''}" if not query else f"{shown} of {total} match “{query}”"
        count.update(Content.styled(words, "$text-muted"))
        self._show_preview(self.highlighted_row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_preview(self.highlighted_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_choose()

    # ------------------------------------------------------------------ preview

    def preview_text(self) -> str:
        """The preview as plain text (what the trainee reads)."""
        return self._preview_content.plain

    def _show_preview(self, entry: ScenarioEntry | Heading | None) -> None:
        body = self.query_one("#preview-body", Static)
        if isinstance(entry, Heading):
            self._preview_content = self._heading_preview(entry)
        elif entry is None:
            words = f"No scenario matches “{self.query_text}”. Press escape to clear the filter." if self.entries else "No scenarios found."
            self._preview_content = Content.styled(words, "$text-muted")
        elif entry.scenario is None:
            self._preview_content = self._invalid_preview(entry)
        else:
            self._preview_content = self._preview(entry, entry.scenario)
        body.update(self._preview_content)
        self.query_one("#preview", VerticalScroll).scroll_home(animate=False)

    def _preview(self, entry: ScenarioEntry, scenario: Scenario) -> Content:
        colour = _DIFFICULTY_COLOURS.get(entry.level, "text-muted")
        lines: list[Content] = [
            Content.from_markup("[b $accent]$title[/]", title=scenario.title),
            Content.from_markup(
                f"[$text-muted]$id · [${colour}]$level[/] · $minutes min · $concepts[/]",
                id=entry.scenario_id,
                level=entry.level,
                minutes=_minutes(scenario.duration),
                concepts=", ".join(scenario.tags) or "no tags",
            ),
            Content.styled(_measured_words(entry), "$text-muted"),
            Content(""),
        ]
        too_big = over_budget(scenario)
        if too_big is not None:
            lines += [Content.styled(f"Too big to drill: {too_big}. Press a for its SPOF analysis.", "$error"), Content("")]
        lines += [
            _heading("Situation"),
            Content(_reflow(scenario.briefing) or "No briefing."),
        ]
        if scenario.objectives:
            lines += [Content(""), _heading("Objectives")]
            lines += [Content.assemble(("• ", "$accent"), objective) for objective in scenario.objectives]
        lines += [Content(""), _heading("Architecture")]
        lines += [Content(line) for line in topology_summary(scenario.topology)]
        record = self._best.get(entry.scenario_id)
        if record is not None:
            when = datetime.fromtimestamp(record.finished_at).strftime("%Y-%m-%d")
            verdict = ("passed", "$success") if record.passed else ("not passed", "$warning")
            lines += [
                Content(""),
                Content.assemble(("Your best: ", "b"), (record.result, "b"), " (", verdict, f", seed {record.seed}, {when})"),
            ]
        return Content("\n").join(lines)

    def _heading_preview(self, heading: Heading) -> Content:
        if not heading.entries:
            return Content.assemble((heading.architecture, "b $accent"), "\n",
                                    ("The drills that ship with spofdrill, in teaching order.", "$text-muted"))
        first = next((e.scenario for e in heading.entries if e.scenario is not None), None)
        folders = sorted({str(Path(e.source).parent) for e in heading.entries})
        count = len(heading.entries)
        lines: list[Content] = [
            Content.from_markup("[b $accent]$name[/]", name=heading.architecture),
            Content.styled(f"Your own system: {count} drill{'s' if count != 1 else ''} in {', '.join(folders)}",
                           "$text-muted"),
            Content(""),
            _heading("Drills"),
        ]
        lines += [Content.assemble(("• ", "$accent"), e.label, (f"  {e.level}", "$text-muted")) for e in heading.entries]
        if first is not None:
            lines += [Content(""), _heading("Architecture")]
            lines += [Content(line) for line in topology_summary(first.topology)]
        lines += [Content(""), Content.styled("enter: its first drill · a: its SPOF analysis", "$text-muted")]
        return Content("\n").join(lines)

    def _invalid_preview(self, entry: ScenarioEntry) -> Content:
        n = len(entry.problems)
        lines = [
            Content.from_markup("[b $error]$name does not load[/]", name=Path(entry.source).name),
            Content.styled(f"{n} problem{'s' if n != 1 else ''} in {entry.source}:", "$text-muted"),
            Content(""),
        ]
        lines += [Content.assemble(("• ", "$error"), describe_problem(problem)) for problem in entry.problems]
        lines += [
            Content(""),
            Content.styled("Fix the file and press r to reload, or run: spofdrill validate FILE", "$text-muted"),
        ]
        return Content("\n").join(lines)

    # ------------------------------------------------------------------ actions

    def action_analyze(self) -> None:
        """Open the SPOF analysis of the highlighted scenario's architecture (on a heading: of its drills' system)."""
        row = self.highlighted_row
        entry = row if isinstance(row, ScenarioEntry) else next(
            (e for e in row.entries if e.scenario is not None), None) if isinstance(row, Heading) else None
        if entry is None or entry.scenario is None:
            self.notify("Only a scenario that loads can be analysed.", severity="warning")
            return
        self.post_message(AnalysisRequested(entry.scenario))

    def action_choose(self) -> None:
        """Start the highlighted scenario, or say why it cannot be started (on a heading: move to its first drill)."""
        row = self.highlighted_row
        if isinstance(row, Heading):
            index = self.rows.index(row)
            if index + 1 < len(self.rows):
                self.query_one("#scenarios", DataTable).move_cursor(row=index + 1, animate=False)
            return
        entry = row
        if entry is None:
            return
        if entry.scenario is None:
            first = describe_problem(entry.problems[0]) if entry.problems else "it does not load"
            more = len(entry.problems) - 1
            suffix = f"\n(and {more} more problem{'s' if more != 1 else ''}; see the preview)" if more > 0 else ""
            self.notify(f"{first}{suffix}", title=f"{Path(entry.source).name} does not load", severity="error", markup=False)
            return
        too_big = over_budget(entry.scenario)
        if too_big is not None:  # a big imported architecture: analyse it (a), do not drill it
            self.notify(f"{too_big}. Press a for its SPOF analysis.", title=f"{entry.scenario_id} cannot be drilled",
                        severity="error", timeout=12, markup=False)
            return
        self.app.post_message(self.ScenarioChosen(entry.scenario))
        if len(self.app.screen_stack) > 1 and self.app.screen is self:
            self.dismiss(entry.scenario)

    def action_go_suggested(self) -> None:
        """Move the cursor to the suggested drill (clearing a filter that hides it)."""
        if self.suggestion is None:
            self.notify("No suggestion yet: nothing to compare with.", timeout=3)
            return
        wanted = self.suggestion.scenario
        if not any(e.scenario is not None and (e.scenario.id or e.scenario.title) == wanted for e in self.shown):
            self.action_clear_filter()
            self._fill_table()
        for entry in self.shown:
            if entry.scenario is not None and (entry.scenario.id or entry.scenario.title) == wanted:
                self._move_to(entry)
                self.query_one("#scenarios", DataTable).focus()
                return

    def action_filter(self) -> None:
        """Show the filter input and type into it."""
        self.query_one("#filter-bar").display = True
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        """Clear and close the filter."""
        field = self.query_one("#filter", Input)
        had_text = bool(field.value)
        field.value = ""
        self.query_one("#filter-bar").display = False
        self.query_one("#scenarios", DataTable).focus()
        if had_text:
            self._fill_table()

    def action_reload(self) -> None:
        """Read the scenario files again (after fixing one)."""
        self._load()
        self.notify(f"{len(self.entries)} scenarios read", timeout=2)

    def action_quit(self) -> None:
        """Leave the console."""
        self.app.exit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return bool(self.query_one("#filter-bar").display or self.query_one("#filter", Input).value)
        return True

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill_table()
        self.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter: with a filter and a matching row, start that drill; else back to the table."""
        event.stop()
        field = self.query_one("#filter", Input)
        table = self.query_one("#scenarios", DataTable)
        if not field.value.strip():
            field.value = ""
            self.query_one("#filter-bar").display = False
        table.focus()
        self.refresh_bindings()
        if field.value.strip() and table.row_count:
            self.action_choose()


def _heading(text: str) -> Content:
    return Content.styled(text.upper(), "b $accent")
