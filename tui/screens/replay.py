"""A recorded drill played back, read-only, and taking it over from any moment (rewind and branch)."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from ..messages import TakeOverRequested
from ..playback import REPLAY_SPEEDS, Recording, ReplaySession
from ..results import describe_command
from ..session import DrillSession, Ending
from ..widgets.alerts import AlertsPanel
from ..widgets.clock import mmss
from ..widgets.panels import DrillPanels
from ..widgets.playback import ReplayBar, ReplayStrip
from ..widgets.topology import TopologyView
from .dialogs import TakeOverDialog

TICK = 0.1  # wall seconds between replay slices


class ReplayScreen(Screen):
    """The drill's panels, read-only, played back at 1× to 60× with the trainee's commands marked as they happen."""

    CSS_PATH = ["panels.tcss", "replay.tcss"]
    BINDINGS = [
        Binding("space", "pause", "Pause", tooltip="pause / play"),
        *(Binding(str(i + 1), f"speed({i})", f"{s:g}×", show=False) for i, s in enumerate(REPLAY_SPEEDS)),
        Binding("full_stop", "step", "Step", tooltip="one simulated second on"),
        Binding("n", "next_command", "Next cmd", tooltip="play to just after the trainee's next command"),
        Binding("t", "take_over", "Take over", tooltip="take the drill over from a moment (a what-if branch)"),
        Binding("e", "to_end", "End", tooltip="play to the end, then the debrief"),
        Binding("q", "quit_replay", "Quit", tooltip="quit the replay"),
        Binding("escape", "quit_replay", "Quit", show=False),
        Binding("tab", "app.focus_next", "Next panel", show=False),
    ]
    HELP_NOTE = ("A replay is read-only: arrows select a node to see it; the trainee's commands are marked ▲ "
                 "on the timeline and on the strip. 1-6 set the speed.")

    class ReplayEnded(Message):
        """The replay reached its end: the app shows the debrief of the replayed run."""

        def __init__(self, session: DrillSession, ending: Ending) -> None:
            super().__init__()
            self.session = session
            """The replayed drill, as a finished drill session."""
            self.ending = ending
            """How it ended."""

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
        yield DrillPanels(slo.target, slo.latency_p99, replay=True, id="panels")
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
        self.post_message(self.ReplayEnded(self.session.as_session(), ending))

    def refresh_view(self) -> None:
        session, rec = self.session, self.recording
        snapshot = session.snapshot()
        self.query_one(DrillPanels).show(snapshot, session.sim.journal, _node(snapshot, self.selected),
                                         hunt=rec.scenario.spof_hunt)
        applied = session.applied
        self.query_one(ReplayStrip).show(session.sim.series["error_ratio"], session.sim.duration,
                                         [c.t for c in applied], 1.0 - rec.scenario.slo.target)
        self.query_one(ReplayBar).show(
            snapshot, trainee=rec.trainee, scenario=rec.scenario_name, seed=rec.seed, speed=session.speed,
            paused=session.paused, applied=len(applied), total=len(rec.transcript),
        )

    def on_topology_view_node_selected(self, event: TopologyView.NodeSelected) -> None:
        self.selected = event.node
        self.query_one(DrillPanels).show_node(_node(self.session.snapshot(), self.selected),
                                              hunt=self.recording.scenario.spof_hunt)

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
            self.notify(f"{mmss(command.t)} {describe_command(command)}", title="The trainee's command", timeout=4)
        self._moved()

    def action_to_end(self) -> None:
        self.session.to_end()
        self._moved()

    def action_quit_replay(self) -> None:
        self.app.exit()

    def action_take_over(self) -> None:
        """Ask for a moment (default: now) and take the drill over from there."""
        session, rec = self.session, self.recording
        was_paused = session.paused
        session.paused = True
        self.refresh_view()

        def chosen(moment: float | None) -> None:
            if moment is None:
                session.paused = was_paused
                self.refresh_view()
            else:
                self.post_message(TakeOverRequested(rec.scenario, rec.seed, rec.transcript, moment, rec.trainee))

        duration = float(rec.scenario.duration)
        self.app.push_screen(TakeOverDialog(session.now, duration, rec.transcript.commands), chosen)


def _node(snapshot, name: str | None):
    return next((node for node in snapshot.nodes if node.name == name), None) if name else None
