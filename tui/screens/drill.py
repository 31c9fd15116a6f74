"""The drill: the live architecture, its metrics and alerts, and the trainee's commands."""

from __future__ import annotations

import time
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from engine.commands import REGISTRY, CommandError, build_command
from engine.sim.snapshot import NodeView, Snapshot

from ..keys import command_bindings
from ..palette import DrillCommands
from ..session import SPEEDS, DrillDriver
from ..targets import NoTarget, choices_for, commands_for, default_args, target_for
from ..widgets.alerts import AlertsPanel
from ..widgets.clock import ClockBar, mmss
from ..widgets.panels import DrillPanels
from ..widgets.topology import TopologyView
from ..wording import shown_path
from .dialogs import ArgsDialog, AskDialog, ChoiceMenu, ConfirmDialog, NodeMenu, QuitDialog

TICK = 0.1  # wall seconds between engine slices


class DrillScreen(Screen):
    """The main screen of a drill, driven by a timer that advances the engine in slices."""

    CSS_PATH = ["panels.tcss", "drill.tcss"]
    COMMANDS = {DrillCommands}
    BINDINGS = [
        Binding("space", "pause", "Pause"),
        Binding("1", "speed(0)", "1×", show=False),
        Binding("2", "speed(1)", "2×", show=False),
        Binding("3", "speed(2)", "5×", show=False),
        Binding("4", "speed(3)", "10×", show=False),
        Binding("colon", "app.command_palette", "Commands"),
        Binding("enter", "menu", "Menu", show=False),
        Binding("tab", "app.focus_next", "Next panel", show=False),
        Binding("q", "leave", "Leave"),
        Binding("I", "inject", "Inject fault"),  # a team drill's facilitator only (check_action)
        Binding("W", "note", "Note"),
        Binding("escape", "leave", "Leave", show=False),
        *command_bindings(),
        # an assessment hides pause, speed and hints from the footer (check_action); their keys then say why
        Binding("space", "refused('Pause is')", show=False),
        Binding("1,2,3,4", "refused('Speed-up is')", show=False),
        Binding("H", "refused('Hints are')", show=False),
    ]

    class DrillEnded(Message):
        """The drill's time is up or the trainee ended it."""

    def __init__(self, session: DrillDriver, *, autoplay: bool = True) -> None:
        super().__init__()
        self.session = session
        self.autoplay = autoplay
        self.last_snapshot: Snapshot | None = None
        self.selected: str | None = None
        self._last_tick = time.monotonic()
        self._ended = False

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        scenario = self.session.scenario
        yield ClockBar(id="clock")
        yield DrillPanels(scenario.slo.target, scenario.slo.latency_p99, hints=self.session.hints_allowed(),
                          id="panels")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()
        self.call_after_refresh(self.refresh_view)  # once laid out: a recovered (paused) drill's charts fill their width
        self.query_one(TopologyView).focus()
        self._timer = self.set_interval(TICK, self._on_timer, pause=not self.autoplay)
        if self.session.journal_error:
            self.notify(self.session.journal_error, severity="warning", timeout=8)
        self.session.listen(self._answered)
        self.query_one("#timeline").reveal = self.session.reveals  # a team drill's facilitator sees the hidden events

    def _answered(self, text: str, severity: str) -> None:
        """An answer that came later (a team drill's host): said, and the view refreshed."""
        self.notify(text, severity=severity, timeout=6 if severity == "error" else 3)  # type: ignore[arg-type]
        self.refresh_view()

    # ------------------------------------------------------------------ time

    def _on_timer(self) -> None:
        now = time.monotonic()
        wall = min(0.5, now - self._last_tick)
        self._last_tick = now
        if self.session.tick(wall):
            self.refresh_view()
        if self.session.finished:
            self._finish()

    def advance_by(self, seconds: float) -> None:
        """Advance simulated time directly (tests and replays; the timer does it in play)."""
        self.session.sim.run(self.session.now + seconds)
        self.session.flush_journal()
        self.refresh_view()
        if self.session.finished:
            self._finish()

    def _finish(self) -> None:
        if self._ended:
            return
        self._ended = True
        self._timer.stop()
        self.post_message(self.DrillEnded())

    def refresh_view(self) -> None:
        """Render the current snapshot into every panel."""
        session = self.session
        snapshot = session.snapshot()
        self.last_snapshot = snapshot
        self.query_one(DrillPanels).show(snapshot, session.journal, self.selected_node(),
                                         hunt=session.scenario.spof_hunt)
        self.query_one(ClockBar).show(
            snapshot, speed=session.speed, paused=session.paused, assess=session.assess, hints=session.hints_allowed(),
            title=session.scenario.title,
        )

    def selected_node(self) -> NodeView | None:
        if self.last_snapshot is None or self.selected is None:
            return None
        for node in self.last_snapshot.nodes:
            if node.name == self.selected:
                return node
        return None

    def on_click(self, event: events.Click) -> None:
        """A right click on a node opens its menu (the topology has already selected it)."""
        if event.button != 3:
            return
        topology = self.query_one(TopologyView)
        if event.widget is topology and topology.selected is not None:
            self.selected = topology.selected
            self.action_menu()

    def on_topology_view_node_selected(self, event: TopologyView.NodeSelected) -> None:
        self.selected = event.node
        now = self.last_snapshot.t if self.last_snapshot is not None else None
        self.query_one(DrillPanels).show_node(self.selected_node(), hunt=self.session.scenario.spof_hunt, now=now)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """An assessment does not offer what it disables: pause (but space resumes a recovered one, paused),
        speed-up, and hints unless the scenario allows them."""
        session = self.session
        offered = {"pause": not session.assess or session.paused, "speed": not session.assess,
                   "hint": session.hints_allowed()}
        if action in ("inject", "note"):
            return self.session.facilitates
        if action in ("pause", "speed"):
            return offered[action]
        if action == "command" and parameters == ("hint",):
            return offered["hint"]
        if action == "refused":
            return not offered[{"Pause is": "pause", "Speed-up is": "speed", "Hints are": "hint"}[parameters[0]]]
        return True

    def action_refused(self, what: str) -> None:
        self.notify(f"{what} disabled in assessment mode.", severity="warning")

    def action_pause(self) -> None:
        if not self.session.toggle_pause():
            self.notify("Pause is disabled in assessment mode.", severity="warning")
        self.refresh_bindings()  # a recovered assessment, resumed: no pause in its footer from now on
        self.refresh_view()

    def action_speed(self, index: int) -> None:
        if not self.session.set_speed(index):
            self.notify("Speed-up is disabled in assessment mode.", severity="warning")
            return
        self.notify(f"Speed {SPEEDS[index]:g}×", timeout=1.5)
        self.refresh_view()

    def action_leave(self) -> None:
        note = "The drill keeps running while you decide."
        if self.session.journal_path is not None and not self.session.journal_error:
            note += (f"\nQuit keeps the journal so far in\n{shown_path(self.session.journal_path)}\n"
                     "spofdrill offers to take it up next time.")
        self.app.push_screen(QuitDialog(note), self._left)

    def _left(self, choice: str | None) -> None:
        if choice == "end":
            self._finish()
        elif choice == "quit":
            self.session.flush_journal()
            self.session.close()
            self.app.exit(message=self._quit_message())

    def _quit_message(self) -> str:
        if self.session.journal_path is not None and not self.session.journal_error:
            return (
                f"Drill left at {mmss(self.session.now)}; its journal is in {self.session.journal_path}"
                " (the next start offers to take it up again)"
            )
        return f"Drill left at {mmss(self.session.now)}."

    def action_inject(self) -> None:
        """A team drill's facilitator injects a fault from the palette on the selected node, now."""
        from engine.sim.facilitation import PALETTE

        node = self.selected_node()
        if node is None:
            self.notify("Select the node to break first (arrow keys or mouse).", severity="warning")
            return
        choices = [(kind, kind.replace("_", " ")) for kind in PALETTE]
        self.app.push_screen(ChoiceMenu(f"Inject a fault on {node.name} now", choices),
                             lambda kind: kind and self.session.act("inject", node.name, {"type": kind}))

    def action_note(self) -> None:
        """A team drill's facilitator writes a note on everyone's timeline."""
        from engine.sim.facilitation import MAX_NOTE

        def text(value: str) -> str:
            value = value.strip()
            if not value or len(value) > MAX_NOTE:
                raise ValueError(f"a note is 1 to {MAX_NOTE} characters")
            return value

        self.app.push_screen(AskDialog("Note on the timeline", "Everyone in the drill sees it on their timeline.", "",
                                       text, ok="Write"),
                             lambda value: value and self.session.act("note", None, {"text": value}))

    def action_menu(self) -> None:
        node = self.selected_node()
        if node is None:
            self.notify("Select a node first (arrow keys or mouse).", severity="warning")
            return
        specs = commands_for(node, hunt=self.session.scenario.spof_hunt)
        if not specs:
            self.notify(f"No command applies to {node.name}.", severity="warning")
            return
        self.app.push_screen(NodeMenu(node.name, specs), lambda name: name and self.action_command(name))

    def on_alerts_panel_acknowledge_requested(self, event: AlertsPanel.AcknowledgeRequested) -> None:
        self.run_command("ack", event.alert_id)

    def action_command(self, name: str) -> None:
        """A command's key was pressed: target the selection (or the selected alert for ack)."""
        spec = REGISTRY[name].spec
        snapshot = self.last_snapshot
        if snapshot is None:
            return
        if "alert" in spec.targets and self.focused is self.query_one(AlertsPanel):
            alert = self.query_one(AlertsPanel).selected_alert
            if alert is not None:
                self.run_command(name, alert)
                return
        try:
            target = target_for(spec, self.selected_node(), snapshot)
        except NoTarget as exc:
            self.notify(str(exc), severity="warning")
            return
        self.run_command(name, target)

    def run_command(self, name: str, target: str | None) -> None:
        """Ask for arguments if the command has any, then confirm if destructive, then apply."""
        spec = REGISTRY[name].spec
        if spec.uses_hints and not self.session.hints_allowed():
            self.notify("Hints are disabled in assessment mode (the scenario does not offer them there).",
                        severity="warning")
            return
        if spec.args:
            node = self.selected_node()
            snapshot = self.last_snapshot
            values = default_args(spec, node, snapshot, target)
            choices = {a.name: choices_for(spec, a.name, node, snapshot, target) for a in spec.args}
            self.app.push_screen(
                ArgsDialog(spec, target, values, choices),
                lambda args: args is not None and self._confirm_and_apply(name, target, args),
            )
            return
        self._confirm_and_apply(name, target, {})

    def _confirm_and_apply(self, name: str, target: str | None, args: dict[str, Any]) -> None:
        try:
            command = build_command(name, target, args)
        except CommandError as exc:
            self.notify(str(exc), severity="error")
            return
        preview = self.session.preview(command)
        if not preview.allowed or not preview.destructive:
            self._apply(command)
            return
        self.app.push_screen(
            ConfirmDialog(f"{command.spec.title}?", preview.text, confirm_label=command.spec.title),
            lambda yes: yes and self._apply(command),
        )

    def _apply(self, command) -> None:
        receipt = self.session.apply(command)
        if receipt is None:  # a team drill: the host's answer comes through listen
            return
        if not receipt.accepted:
            self.notify(f"{command.describe()} refused: {receipt.reason}", severity="error", timeout=6)
        elif receipt.completes_at is not None and receipt.completes_at > self.session.now:
            self.notify(f"{command.describe()}: completes at {mmss(receipt.completes_at)}", timeout=3)
        elif command.spec.uses_hints:
            hints = self.session.snapshot().hints_revealed
            self.notify(hints[-1] if hints else "hint revealed", title="Hint", timeout=15)
        else:
            self.notify(f"{command.describe()}: done", timeout=2)
        self.refresh_view()
