"""A recorded drill played back, read-only, and taking it over from any moment (rewind and branch)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane

from engine.records.replay import TimedCommand, Transcript
from engine.sim.runner import Run
from engine.scenario.schema import Scenario

from ..playback import REPLAY_SPEEDS, BranchOrigin, Recording, ReplaySession, branch_journal_path, branch_session
from ..playback import format_moment, parse_moment
from ..widgets.alerts import AlertsPanel
from ..widgets.clock import mmss
from ..widgets.detail import NodeDetail
from ..widgets.metrics import MetricsPanel
from ..widgets.playback import ReplayBar, ReplayStrip
from ..widgets.timeline import Timeline
from ..widgets.topology import TopologyView
from .debrief import DebriefScreen
from .drill import show_panels
from .dialogs import AskDialog

TICK = 0.1  # wall seconds between replay slices


class ReplayScreen(Screen):
    """The drill's panels, read-only, played back at 1× to 60× with the trainee's commands marked as they happen."""

    CSS_PATH = "drill.tcss"
    CSS = """
    #replay-bar { height: 1; }
    #metrics-column { width: 1fr; height: 100%; }
    #metrics-column #metrics { height: 6; }
    """
    BINDINGS = [
        Binding("space", "pause", "Pause"),
        *(Binding(str(i + 1), f"speed({i})", f"{s:g}×", show=False) for i, s in enumerate(REPLAY_SPEEDS)),
        Binding("full_stop", "step", "Step"),
        Binding("n", "next_command", "Next cmd"),
        Binding("t", "take_over", "Take over"),
        Binding("e", "to_end", "End"),
        Binding("q", "quit_replay", "Quit"),
        Binding("escape", "quit_replay", "Quit", show=False),
        Binding("question_mark", "keys", "Keys", show=False),
        Binding("tab", "app.focus_next", "Next panel", show=False),
    ]
    KEYS = ("space pause · 1-6 speed 1× 2× 5× 10× 30× 60× · . one second on · n to just after the next command · "
            "t take over from a moment · e to the end (debrief) · q quit · arrows select a node (read-only)")

    def __init__(self, recording: Recording, *, speed: float = 1.0, autoplay: bool = True) -> None:
        super().__init__()
        self.session = ReplaySession(recording, speed)
        self.autoplay = autoplay
        self.selected: str | None = None
        self._last_tick = time.monotonic()
        self._ended = False

    @property
    def recording(self) -> Recording:
        return self.session.recording

    def compose(self) -> ComposeResult:
        slo = self.recording.scenario.slo
        yield ReplayBar(id="replay-bar")
        with Horizontal(id="top"):
            yield TopologyView(id="topology")
            yield NodeDetail(id="detail", read_only=True)
        with Horizontal(id="bottom"):
            with Vertical(id="metrics-column"):
                yield MetricsPanel(slo.target, slo.latency_p99, id="metrics")
                yield ReplayStrip(id="strip")
            with TabbedContent(id="side", initial="timeline-tab"):
                with TabPane("Alerts", id="alerts-tab"):
                    yield AlertsPanel(id="alerts")
                with TabPane("Timeline", id="timeline-tab"):
                    yield Timeline(id="timeline", marks=True)
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()
        self.query_one(TopologyView).focus()
        self._timer = self.set_interval(TICK, self._on_timer, pause=not self.autoplay)
        for note in self.recording.notes:
            self.notify(note, severity="warning", timeout=15)

    # ------------------------------------------------------------------ time

    def on_screen_suspend(self) -> None:
        """Covered (a dialog, the terminal-too-small message): the replay waits."""
        if getattr(self, "_timer", None) is not None:
            self._timer.pause()

    def on_screen_resume(self) -> None:
        if getattr(self, "_timer", None) is not None and self.autoplay and not self._ended:
            self._last_tick = time.monotonic()
            self._timer.resume()

    def _on_timer(self) -> None:
        now = time.monotonic()
        wall = now - self._last_tick
        self._last_tick = now
        if self.session.tick(wall):
            self._moved()

    def advance_by(self, seconds: float) -> None:
        """Play ``seconds`` of simulated time now (tests; the timer does it in play)."""
        self.session.advance(seconds)
        self._moved()

    def _moved(self) -> None:
        self.refresh_view()
        if self.session.finished:
            self._finish()

    def _finish(self) -> None:
        """The replay reached the end: the debrief of the replayed run (par runs computed as usual)."""
        if self._ended:
            return
        self._ended = True
        self._timer.stop()
        ending = self.session.ending()
        mismatch = self.session.mismatch()
        if mismatch:
            self.notify(f"{mismatch} ({self.recording.path.name}): the scenario or spofdrill changed since the drill.",
                        severity="warning", timeout=15)
        self.app.switch_screen(DebriefScreen(self.session.as_session(), ending))

    def refresh_view(self) -> None:
        session, rec = self.session, self.recording
        snapshot = session.snapshot()
        show_panels(self, snapshot, session.sim.journal, _node(snapshot, self.selected), hunt=rec.scenario.spof_hunt)
        applied = session.applied
        self.query_one(ReplayStrip).show(session.sim.series["error_ratio"], session.sim.duration,
                                         [c.t for c in applied], 1.0 - rec.scenario.slo.target)
        self.query_one(ReplayBar).show(
            snapshot, trainee=rec.trainee, scenario=rec.scenario_name, seed=rec.seed, speed=session.speed,
            paused=session.paused, applied=len(applied), total=len(rec.transcript),
        )

    def on_topology_view_node_selected(self, event: TopologyView.NodeSelected) -> None:
        self.selected = event.node
        self.query_one(NodeDetail).show(_node(self.session.snapshot(), self.selected), hunt=self.recording.scenario.spof_hunt)

    def on_alerts_panel_acknowledge_requested(self, event: AlertsPanel.AcknowledgeRequested) -> None:
        event.stop()
        self.notify("A replay is read-only: t takes it over from a moment of your choice.", severity="warning")

    # ------------------------------------------------------------------ keys

    def action_pause(self) -> None:
        self.session.paused = not self.session.paused
        self.refresh_view()

    def action_speed(self, index: int) -> None:
        self.session.set_speed(index)
        self.notify(f"Replay speed {self.session.speed:g}×", timeout=1.5)
        self.refresh_view()

    def action_step(self) -> None:
        """One simulated second on, and pause."""
        self.session.paused = True
        self.advance_by(1.0)

    def action_next_command(self) -> None:
        """Play to just after the trainee's next command, and pause there."""
        self.session.paused = True
        command = self.session.to_next_command()
        if command is None:
            self.notify("No command left: the trainee gave none after this.", timeout=3)
        else:
            self.notify(f"{mmss(command.t)} {_describe(command)}", title="The trainee's command", timeout=4)
        self._moved()

    def action_to_end(self) -> None:
        self.session.to_end()
        self._moved()

    def action_quit_replay(self) -> None:
        self.app.exit()

    def action_keys(self) -> None:
        self.notify(self.KEYS, title="Replay keys", timeout=12)

    def action_take_over(self) -> None:
        """Ask for a moment (default: now) and take the drill over from there."""
        session, rec = self.session, self.recording
        was_paused = session.paused
        session.paused = True
        self.refresh_view()

        def cancelled() -> None:
            session.paused = was_paused
            self.refresh_view()

        ask_take_over(self, rec.scenario, rec.seed, rec.transcript, trainee=rec.trainee, default=session.now,
                      cancelled=cancelled)


def _node(snapshot, name: str | None):
    return next((node for node in snapshot.nodes if node.name == name), None) if name else None


def _describe(command: TimedCommand) -> str:
    args = " ".join(f"{k}={v}" for k, v in command.args.items())
    return " ".join(part for part in (command.command, command.target or "", args) if part)


# --------------------------------------------------------------------------- taking over


class TakeOverDialog(AskDialog[float]):
    """Ask for the moment to take a drill over from: mm:ss or seconds, checked before it closes."""

    def __init__(self, default: float, duration: float, commands: Sequence[TimedCommand]) -> None:
        shown = "; ".join(f"{mmss(c.t)} {_describe(c)}" for c in commands[:4])
        if len(commands) > 4:
            shown += f"; and {len(commands) - 4} more"
        super().__init__(
            "Take over from which moment?",
            "What happened before it is replayed; from then on the drill is yours "
            "(paused until you press space). Enter mm:ss or seconds.",
            format_moment(default), lambda text: parse_moment(text, duration), ok="Take over",
            placeholder="mm:ss or seconds", note=f"The trainee's commands: {shown or 'none'}", field_id="moment",
        )


def ask_take_over(
    screen: Screen,
    scenario: Scenario,
    seed: int,
    transcript: Transcript,
    *,
    trainee: str,
    default: float,
    original: Run | None = None,
    cancelled: Callable[[], None] | None = None,
) -> None:
    """Ask for a moment, then rewind to it and hand the drill to the trainee as a new live drill."""
    app = screen.app

    def chosen(moment: float | None) -> None:
        if moment is None:
            if cancelled is not None:
                cancelled()
            return
        journal = branch_journal_path(scenario, seed) if getattr(app, "keep_journal", True) else None
        session = branch_session(scenario, seed, transcript, moment, trainee=trainee, original=original,
                                 journal_path=journal)
        app.start_session(session)
        app.notify(f"You have the controls from {format_moment(moment)}, paused: space to go on.",
                   title="Taken over", timeout=6)

    app.push_screen(TakeOverDialog(default, float(scenario.duration), transcript.commands), chosen)


# --------------------------------------------------------------------------- a branch in the debrief

BRANCH_ROWS: tuple[tuple[str, Callable[[Run], float | None], str, bool], ...] = (
    ("score", lambda r: r.score.score, "{:.1f}", True),
    ("downtime (request-weighted)", lambda r: r.outcome.downtime, "{:.1f} s", False),
    ("lost writes", lambda r: r.outcome.lost_writes, "{:.0f}", False),
    ("time to detect", lambda r: r.outcome.time_to_detect, "{:.0f} s", False),
    ("time to mitigate", lambda r: r.outcome.time_to_mitigate, "{:.0f} s", False),
)
"""What a branch is compared with its original on: (label, value, format, higher is better)."""


def branch_comparison(branch: Run, origin: BranchOrigin) -> Table:
    """The branch beside the run it was taken over from, with what changed."""
    table = Table(title=f"Your branch (taken over at {format_moment(origin.at)}) beside the original run",
                  title_justify="left", expand=False)
    table.add_column("")
    table.add_column("original", justify="right")
    table.add_column("branch", justify="right", style="bold")
    table.add_column("change", justify="right")
    for label, value, fmt, higher_better in BRANCH_ROWS:
        before, after = value(origin.original), value(branch)
        shown = ["never" if v is None else fmt.format(v) for v in (before, after)]
        if before is None or after is None:  # "never" (detected, mitigated) is worse than any time
            change = (Text("same", style="dim") if before is after
                      else Text("worse", style="red") if after is None else Text("better", style="green"))
        elif abs(after - before) < 0.05:
            change = Text("same", style="dim")
        else:
            better = (after > before) == higher_better
            change = Text(f"{after - before:+.1f}", style="green" if better else "red")
        table.add_row(label, *shown, change)
    verdicts = ["passed" if r.score.passed else "failed" for r in (origin.original, branch)]
    table.add_row("verdict", *verdicts, Text("" if verdicts[0] == verdicts[1] else "changed", style="bold"))
    return table
