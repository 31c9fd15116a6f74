"""The debrief: the score and why, the par runs beside it, what happened, and the lessons."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from engine.util.files import WriteError, data_dir, write_atomic
from engine.analysis.hunt import score_hunt
from engine.commands import command_specs
from engine.sim.runner import Report, Run
from engine.scoring.detect import detection_path
from engine.scoring.format import detection_steps
from engine.scoring.format import count, names, number, probe_value
from engine.scoring.outcome import Outcome

from ..messages import AnalysisRequested, NewDrillRequested, TakeOverRequested
from ..playback import default_moment
from ..results import branch_comparison, commands_of, outcome_table_rows, result_document
from ..session import DrillSession, Ending
from ..widgets.comparison import ChartBand, ChartMarks, ChartSeries, ComparisonChart
from ..widgets.clock import mmss
from ..widgets.timeline import STYLES, describe
from ..wording import shown_path
from .dialogs import AskDialog, TakeOverDialog


class DebriefScreen(Screen):
    """What the drill cost, why, and what to learn from it."""

    CSS_PATH = "debrief.tcss"
    BINDINGS = [
        # short labels: every key fits the footer at 80 columns
        Binding("s", "save_result", "Save", tooltip="save the result (JSON) and its bundle"),
        Binding("p", "postmortem", "Postmortem", tooltip="write a blameless postmortem draft (Markdown)"),
        Binding("r", "rewind", "Rewind", tooltip="take the drill over from a moment: a what-if branch"),
        Binding("v", "analysis", "SPOFs", tooltip="the SPOF analysis of this architecture"),
        Binding("j", "save_journal", "Journal", tooltip="save the drill's journal"),
        Binding("n", "new_drill", "New", tooltip="a new drill (the picker)"),
        Binding("q", "app.quit", "Quit"),
    ]
    HELP_NOTE = ("The debrief scrolls (↓, page down, the mouse wheel): its last section, \"What happened\", is the "
                 "drill's timeline, with what was hidden during the drill.")

    def __init__(self, session: DrillSession, ending: Ending) -> None:
        super().__init__()
        self.session = session
        self.ending = ending
        self.report: Report | None = None
        self.saved_paths: list[Path] = []
        self.bundle_path: Path | None = None
        """Where ``s`` last saved the result bundle (beside the result JSON)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="headline")
            yield Static(id="branch", classes="section")
            yield Static(id="table", classes="section")
            yield ComparisonChart(id="chart", classes="section")
            yield Static(id="differences", classes="section")
            yield Static(id="hunt", classes="section")
            yield Static(id="lessons", classes="section")
            yield Static(id="detection", classes="section")
            yield Static(id="happened", classes="section")
        yield Footer()

    def on_mount(self) -> None:
        self._render_all()
        self.compute_par()

    @work(thread=True, exclusive=True)
    def compute_par(self) -> None:
        """The par runs take a few tenths of a second: off the UI thread."""
        report = self.session.report(self.ending)
        self.app.call_from_thread(self._par_ready, report)

    def _par_ready(self, report: Report) -> None:
        self.report = report
        self._render_all()

    # ------------------------------------------------------------------ rendering

    def _render_all(self) -> None:
        run = self.ending.run
        self.query_one("#headline", Static).update(self._headline(run))
        self.query_one("#table", Static).update(self._table(run))
        branch = self.query_one("#branch", Static)
        branch.display = self.session.branch_of is not None
        if self.session.branch_of is not None:
            branch.update(branch_comparison(run, self.session.branch_of))
        self._chart(run)
        self.query_one("#differences", Static).update(self._differences(run))
        self.query_one("#lessons", Static).update(self._lessons())
        hunt = self.query_one("#hunt", Static)
        hunt.display = self.session.scenario.spof_hunt
        if self.session.scenario.spof_hunt:
            hunt.update(self._hunt(run))
        self.query_one("#detection", Static).update(self._detection(run))
        self.query_one("#happened", Static).update(self._happened(run))

    def _headline(self, run: Run) -> Text:
        scenario = self.session.scenario
        score = run.score
        text = Text()
        text.append(f"Debrief — {scenario.title}\n", style="bold")
        text.append(f"{score.score:.1f}", style="bold cyan")
        text.append(f" / 100   grade {score.grade}   ")
        text.append("PASSED" if score.passed else "FAILED", style="bold green" if score.passed else "bold red")
        text.append(f"   (needs {number(scenario.scoring.pass_score)} and every probe)", style="dim")
        if self.ending.ended_early:
            left = run.sim.journal.of_type("TraineeLeft")
            when = mmss(left[0].t) if left else "?"
            if self._participants():
                text.append(f"\nThe facilitator ended the drill at {when}; the rest of the scenario ran without the team.",
                            style="yellow")
            else:
                text.append(f"\nYou left at {when}; the rest of the scenario ran without you.", style="yellow")
        if self._participants():
            text.append("\nTeam: " + ", ".join(f"{p['name']} ({p['role']})" for p in self._participants()), style="dim")
        text.append("\nPoints lost: ")
        text.append(", ".join(f"{k} {v:.1f}" for k, v in score.penalties.items() if v > 0.05) or "none")
        for probe in score.probes:
            value = probe["value"]
            shown = probe_value(value)
            text.append(f"\nprobe {probe['name']}: {shown} ", style="")
            text.append("ok" if probe["ok"] else "FAILED", style="green" if probe["ok"] else "bold red")
        return text

    def _participants(self) -> tuple[dict[str, str], ...]:
        """A team drill's participants and roles (none for one trainee)."""
        return tuple(getattr(self.session, "participants", ()))

    def _table(self, run: Run) -> Table:
        table = Table(title="Your run beside the par runs", title_justify="left", expand=False)
        table.add_column("")
        table.add_column("you", justify="right", style="bold")
        table.add_column("no action", justify="right")
        table.add_column("reference", justify="right")
        runs = [run] if self.report is None else [run, self.report.no_action, self.report.reference]
        for label, cells in outcome_table_rows(runs):
            table.add_row(label, *cells, *(["…", "…"] if self.report is None else []))
        return table

    def _chart(self, run: Run) -> None:
        """Errors over the drill: you, the original run (a branch), the reference and no action on the same axes."""
        branch = self.session.branch_of
        runs = [("you", run, "━", "bold cyan")]
        if branch is not None:
            runs.append(("original", branch.original, "╍", "yellow"))
        if self.report is not None:
            runs += [("reference", self.report.reference, "─", "green"), ("no action", self.report.no_action, "░", "red")]
        marks = [ChartMarks(label, tuple(t for t, _ in commands_of(r)), "△" if label == "reference" else "▲", style)
                 for label, r, _, style in runs if label != "no action"]
        if branch is not None:
            marks.append(ChartMarks("took over", (branch.at,), "◆", "bold yellow"))
        lag = run.sim.series["max_lag"]
        self.query_one("#chart", ComparisonChart).plot(
            "Error rate over the drill" + (", beside the original run" if branch else "") + " (▲ commands)",
            [ChartSeries(label, tuple(r.sim.series["error_ratio"]), glyph, style) for label, r, glyph, style in runs],
            duration=run.sim.duration, marks=marks,
            bands=[ChartBand("lag", tuple(lag), max(5.0, max(lag, default=0.0)), "magenta",
                             f"max {max(lag, default=0.0):.1f} s")],
        )

    def _differences(self, run: Run) -> Text:
        text = Text("What you did, and what the reference solution did\n", style="bold")
        mine = commands_of(run)
        text.append("you:       ", style="dim")
        text.append("; ".join(f"{mmss(t)} {c}" for t, c in mine) or "no commands")
        text.append("\nreference: ", style="dim")
        if self.report is None:
            text.append("computing…", style="dim")
        else:
            theirs = commands_of(self.report.reference)
            text.append("; ".join(f"{mmss(t)} {c}" for t, c in theirs) or "no commands")
            my_verbs = {c.split()[0] for _, c in mine}
            on_alerts = {spec.name for spec in command_specs() if "alert" in spec.targets}  # acknowledging is not a remedy
            missing = sorted({c.split()[0] for _, c in theirs} - my_verbs - on_alerts)
            if missing:
                text.append("\nThe reference also used: " + names(missing), style="yellow")
            o_me, o_ref = run.outcome, self.report.reference.outcome
            text.append("\n" + _compare(o_me, o_ref))
        return text

    def _hunt(self, run: Run) -> Text:
        result = score_hunt(self.session.scenario, set(run.sim.marks))
        text = Text(f"SPOF hunt: {result.score:.0f} / 100\n", style="bold")
        for label, marked, style in (("right", result.right, "green"), ("missed", result.missed, "red"),
                                    ("false alarm", result.false_alarms, "yellow")):
            for name in marked:
                text.append(f"{label:<12}", style=style)
                text.append(f"{name}: {result.reasons.get(name, '')}\n")
        if not (result.right or result.missed or result.false_alarms):
            text.append("No single point of failure, and none marked.\n")
        return text

    def _lessons(self) -> Text:
        text = Text("Lessons\n", style="bold")
        for lesson in self.session.scenario.lessons:
            text.append(f"• {lesson}\n")
        return text

    def _detection(self, run: Run) -> Text:
        """Each fault beside what monitoring showed of it and when: what could have been noticed."""
        scenario = self.session.scenario
        text = Text("Detection: what was true, what monitoring showed, and when\n", style="bold")
        paths = detection_path(scenario, run.sim.journal)
        if not paths:
            text.append("No fault was injected.\n")
        for path in paths:
            first, *rest = detection_steps(path, scenario.visibility)
            text.append(first + "\n", style="italic magenta")
            for line in rest:
                text.append(f"  {line}\n")
        return text

    def _happened(self, run: Run) -> Text:
        text = Text("What happened: the truth (magenta, hidden during the drill) beside what monitoring "
                    "showed (yellow) and what you did (cyan), on one clock\n", style="bold")
        for entry in run.sim.journal:
            if entry.type in ("DrillStarted", "AlertResolved"):
                continue
            style = STYLES.get(entry.type, "") if entry.visible else "italic magenta"  # the timeline's colours
            text.append(f"{mmss(entry.t)} ", style="dim")
            text.append(describe(entry) + "\n", style=style)
        return text

    # ------------------------------------------------------------------ saving

    def _save(self, kind: str, text: str, path: Path | None = None, then: Callable[[Path], None] | None = None,
              write: Callable[[Path, str], str] | None = None) -> None:
        """Write ``text`` atomically; when that fails, say why and ask where else (the result stays on screen).

        ``write`` writes ``text`` to the path (default: :func:`write_atomic`) and says what it wrote, for the notice.
        """
        if path is None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            name = f"{self.session.scenario.id}-seed{self.session.seed}-{stamp}"
            path = data_dir() / "results" / (f"{name}.json" if kind == "result" else f"{name}.jsonl")
        if kind == "journal" and path.suffix != ".jsonl":  # the readers find a journal's header by its name X.jsonl
            path = path.with_suffix(".jsonl")
        try:
            if write is None:
                write_atomic(path, text)
                said = f"Saved the {kind} in\n{shown_path(path)}"
            else:
                said = write(path, text)
        except WriteError as exc:
            self._save_elsewhere(kind, text, path, str(exc), then, write)
            return
        self.notify(said, timeout=8)
        self.saved_paths.append(path)
        if then is not None:
            then(path)

    def _save_elsewhere(self, kind: str, text: str, failed: Path, problem: str,
                        then: Callable[[Path], None] | None, write: Callable[[Path, str], str] | None = None) -> None:
        def parse(value: str) -> Path:
            value = value.strip()
            if not value:
                raise ValueError("Enter a file name, e.g. ~/result.json")
            chosen = Path(value).expanduser()
            return chosen / failed.name if chosen.is_dir() else chosen

        def chosen(path: Path | None) -> None:
            if path is None:
                self.notify(f"The {kind} was not saved; it stays on screen (s, j or p to try again).",
                            severity="warning", timeout=8)
            else:
                self._save(kind, text, path, then, write)

        self.app.push_screen(AskDialog(
            f"Could not save the {kind}", f"{problem}.\nThe result stays on screen. Save it somewhere else?",
            str(Path.home() / failed.name), parse, ok="Save", placeholder="a file or a folder", danger=True,
        ), chosen)

    def action_save_result(self) -> None:
        doc = result_document(self.session, self.ending, self.report)
        self._save("result", json.dumps(doc, indent=2, sort_keys=True) + "\n", then=self._save_bundle)

    def _save_bundle(self, result: Path) -> None:
        """The verifiable result bundle beside the result (``spofdrill verify`` re-simulates it)."""
        from engine.records.bundle import bundle_of

        mode = "assessment" if self.session.assess else "practice"
        path = result.with_name(result.stem + ".bundle.json")

        def saved(where: Path) -> None:
            self.bundle_path = where

        bundle = bundle_of(self.ending.run, self.session.trainee, mode, self._participants())
        self._save("result bundle", bundle.to_json(), path, saved)

    def action_save_journal(self) -> None:
        """The journal ``X.jsonl`` and its drill header ``X.drill.json`` beside it: what every reader of a journal wants."""
        self._save("journal", self.ending.run.sim.journal.to_jsonl(), write=self._write_journal)

    def _write_journal(self, path: Path, text: str) -> str:
        """The header (scenario, seed, trainee, mode), then the journal, each atomically; raises :class:`WriteError`."""
        from engine.records.replay import DrillHeader, header_path, write_header

        session = self.session
        header = DrillHeader(session.scenario, session.seed, session.trainee,
                             "assessment" if session.assess else "practice")
        existed = header_path(path).exists()
        written = write_header(path, header)
        try:
            write_atomic(path, text)
        except WriteError:
            if not existed:
                written.unlink(missing_ok=True)
            raise
        return f"Saved the journal in\n{shown_path(path)}\nwith its drill header beside it:\n{written.name}"

    def action_postmortem(self) -> None:
        """Write a blameless postmortem draft to the data directory (postmortems/<scenario>-<seed>-<n>.md)."""
        if self.report is None:
            self.notify("The par runs are still being computed; press p again in a moment.", severity="warning")
            return
        from engine.records.postmortem import postmortem_markdown

        text = getattr(self.session, "postmortem", None)  # a team drill's: the host wrote it, with everyone's role
        if text is None:
            text = postmortem_markdown(self.report, when=time.strftime("%Y-%m-%d %H:%M"), trainee=self.session.trainee)
        folder = data_dir() / "postmortems"
        n = 1
        while (folder / f"{self.session.scenario.id}-{self.session.seed}-{n}.md").exists():
            n += 1
        self._save("postmortem draft", text, folder / f"{self.session.scenario.id}-{self.session.seed}-{n}.md")

    def action_analysis(self) -> None:
        """The architecture's SPOF analysis, now that the drill is over (it would spoil a hunt before)."""
        self.post_message(AnalysisRequested(self.session.scenario))

    def action_new_drill(self) -> None:
        """Back to a fresh picker (the app routes it)."""
        self.post_message(NewDrillRequested())

    def action_rewind(self) -> None:
        """Pick a moment of this run and take it over from there: a what-if branch, compared with this run."""
        from engine.records.replay import transcript_of

        run, session = self.ending.run, self.session
        transcript = transcript_of(run.sim)

        def chosen(moment: float | None) -> None:
            if moment is not None:
                self.post_message(TakeOverRequested(session.scenario, session.seed, transcript, moment,
                                                    session.trainee, original=run))

        default = default_moment(transcript, run.outcome.first_fault)
        self.app.push_screen(TakeOverDialog(default, float(session.scenario.duration), transcript.commands), chosen)


def _compare(me: Outcome, ref: Outcome) -> str:
    """One sentence on where the score went compared to the reference."""
    parts = []
    if me.downtime > ref.downtime + 1:
        parts.append(f"{count(me.downtime - ref.downtime)} s more downtime")
    if me.lost_writes > ref.lost_writes:
        parts.append(count(me.lost_writes - ref.lost_writes, "more lost write"))
    if me.split_brain_seconds > ref.split_brain_seconds:
        parts.append(f"{count(me.split_brain_seconds)} s of split brain")
    if (me.time_to_recover is None) != (ref.time_to_recover is None) and me.time_to_recover is None:
        parts.append("redundancy never restored")
    if not parts:
        return "You matched or beat the reference solution."
    return "Compared with the reference: " + ", ".join(parts) + "."
