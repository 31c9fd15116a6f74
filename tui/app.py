"""The console app: screens and routing only; the drill logic lives in the screens and the session."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding

from engine.scenario.loader.sizes import over_budget
from engine.util.files import data_dir
from engine.records.history import History
from engine.records.trainee import DEFAULT_NAME, stored_name

from .messages import AnalysisRequested, NewDrillRequested, TakeOverRequested
from .screens.briefing import BriefingScreen
from .screens.help import HelpScreen
from .screens.picker import PickerScreen
from .screens.trainee import TraineeDialog
from .screens.too_small import MIN_HEIGHT, MIN_WIDTH, TooSmallScreen

# The screens that run a simulation (and the modules that build one) are imported when first routed to, so
# the picker is on screen before simpy, networkx and the simulation are loaded.
if TYPE_CHECKING:
    from engine.scenario.schema import Scenario

    from .playback import Recording
    from .remote import RemoteSession
    from .screens.drill import DrillScreen
    from .screens.replay import ReplayScreen
    from .session import DrillSession

__all__ = ["MIN_HEIGHT", "MIN_WIDTH", "SpofdrillApp", "TooSmallScreen"]

class SpofdrillApp(App[None]):
    """Picker → briefing → drill → debrief; the app routes between screens, which never import each other.

    Screens dismiss with a result (picker, briefing, dialogs: the callbacks below) or post a message
    (``DrillScreen.DrillEnded``, ``ReplayScreen.ReplayEnded``, :mod:`tui.messages`) that the app answers
    by pushing or switching screens.
    """

    CSS_PATH = "app.tcss"
    TITLE = "spofdrill"
    BINDINGS = [Binding("question_mark", "help", "Help"), Binding("t", "change_trainee", "Your name", show=False)]

    def __init__(
        self,
        *,
        scenario: Scenario | None = None,
        seed: int = 0,
        extra_dirs: list[Path] | None = None,
        assess: bool = False,
        trainee: str | None = "trainee",
        autoplay: bool = True,
        keep_journal: bool = True,
        replay: Recording | None = None,
        replay_speed: float = 1.0,
        remote: RemoteSession | None = None,
    ) -> None:
        super().__init__()
        self.remote = remote  # spofdrill join: a team drill's console, fed by its host
        self.replay = replay  # spofdrill replay: play this recording instead of the picker
        self.replay_speed = replay_speed
        self.start_scenario = scenario
        self.seed = seed
        self.extra_dirs = list(extra_dirs or [])
        self.assess = assess
        # None: the stored name (engine.records.trainee), else the default in practice and asked once in assessment
        self.trainee = trainee if trainee is not None else stored_name() or (None if assess else DEFAULT_NAME)
        self.autoplay = autoplay
        self.keep_journal = keep_journal
        self.session: DrillSession | None = None
        self.history, self.history_problem = History.open_safely()
        self._too_small: TooSmallScreen | None = None
        self._paused_for_size = False

    def on_mount(self) -> None:
        if self.history_problem:
            self.notify(f"{self.history_problem}; results will not be recorded.", severity="warning", timeout=10)
        if self.remote is not None:
            self.run_worker(self._join(self.remote), exclusive=True)
            return
        if self.replay is not None:
            from .screens.replay import ReplayScreen

            self._show(ReplayScreen(self.replay, speed=self.replay_speed, autoplay=self.autoplay))
        elif self.start_scenario is not None:
            self.brief(self.start_scenario)
        else:
            self._show(PickerScreen(self.extra_dirs, self.history), self._picked)
        if self.keep_journal and self.replay is None:
            self.call_after_refresh(self.offer_recovery)  # once the first screen is drawn
        self.call_after_refresh(lambda: self._check_size(self.size.width, self.size.height))

    # ------------------------------------------------------------------ routing

    def _picked(self, scenario: Scenario | None) -> None:
        if scenario is not None:
            self.brief(scenario)

    def brief(self, scenario: Scenario) -> None:
        too_big = over_budget(scenario)
        if too_big is not None:  # a big imported architecture: it loads and can be analysed, not drilled
            self.notify(too_big, title=f"{scenario.id or scenario.title} cannot be drilled", severity="error",
                        timeout=12, markup=False)
            if not any(isinstance(screen, PickerScreen) for screen in self.screen_stack):
                self._show(PickerScreen(self.extra_dirs, self.history), self._picked)
            return
        if self.trainee is None:  # an assessment and no name yet: ask once, before the briefing
            self._show(TraineeDialog(), lambda name: self._named(scenario, name))
            return
        self._show(BriefingScreen(scenario, self.seed, self.assess), lambda go: self._briefed(scenario, go))
        if self.assess:
            self.notify(f"Assessment of {self.trainee} (t changes the name).", timeout=6)

    def _named(self, scenario: Scenario, name: str | None) -> None:
        if name is None:
            self._briefed(scenario, False)
        else:
            self.trainee = name
            self.brief(scenario)

    def action_change_trainee(self) -> None:
        """On the briefing: change the name results are recorded under (and kept for later drills)."""
        self._show(TraineeDialog(self.trainee or "", why="Results are recorded under your name."), self._renamed)

    def _renamed(self, name: str | None) -> None:
        if name is not None:
            self.trainee = name
            self.notify(f"Results will be recorded for {name}.", timeout=4)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "change_trainee":
            return isinstance(self.screen, BriefingScreen)
        return True

    def offer_recovery(self) -> None:
        """Offer the drills that did not finish (engine.records.recovery): recover, discard or later."""
        from engine.records.recovery import find_interrupted

        from .screens.recover import RecoveryDialog

        interrupted = find_interrupted()
        if interrupted:
            self._show(RecoveryDialog(interrupted), self._recovered)

    def _recovered(self, session: DrillSession | None) -> None:
        if session is not None:
            from .recovery import resumed_note

            self.start_session(session)
            self.notify(resumed_note(session), timeout=8)

    def _briefed(self, scenario: Scenario, start: bool | None) -> None:
        if start:
            self.start_drill(scenario)
        elif not any(isinstance(screen, PickerScreen) for screen in self.screen_stack):
            self._show(PickerScreen(self.extra_dirs, self.history), self._picked)

    def start_drill(self, scenario: Scenario) -> DrillScreen:
        from .screens.drill import DrillScreen
        from .session import DrillSession

        journal = None
        if self.keep_journal:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            journal = data_dir() / "journals" / f"{scenario.id}-seed{self.seed}-{stamp}.jsonl"
        self.session = DrillSession(scenario, self.seed, assess=self.assess, trainee=self.trainee, journal_path=journal)
        screen = DrillScreen(self.session, autoplay=self.autoplay)
        self._show(screen)
        return screen

    def start_session(self, session: DrillSession) -> DrillScreen:
        """Hand the trainee a drill built elsewhere (a rewound branch, tui.playback) in place of this screen."""
        from .screens.drill import DrillScreen

        self.session = session
        screen = DrillScreen(session, autoplay=self.autoplay)
        self._show(screen, replace=True)
        return screen

    async def _join(self, remote: RemoteSession) -> None:
        """Join the team drill, then its drill screen; a refusal or an unreachable host ends the console, saying why."""
        from engine.records.replay import TranscriptError
        from engine.team.client import HostGone

        from .screens.drill import DrillScreen

        try:
            await remote.connect()
        except (HostGone, TranscriptError, TimeoutError) as exc:
            self.exit(return_code=2, message=f"spofdrill join: {exc}")
            return
        self.notify(f"Joined {remote.scenario.title} as {remote.role}", timeout=4)
        self._show(DrillScreen(remote))

    async def _team_drill_over(self, remote: RemoteSession) -> None:
        """The team drill ended: everyone's console opens the same debrief (the host's result and transcript).
        When the host went away instead, say so and close the console."""
        import asyncio

        from engine.records.replay import TranscriptError
        from engine.team.client import HostGone

        from .widgets.clock import mmss

        if remote.client.ended is None and not remote.gone:  # this console chose "End & debrief"
            if remote.role != "facilitator":  # a responder or observer leaves; the drill goes on without them
                await remote.client.close()
                self.exit(message=f"You left the team drill at {mmss(remote.now)}; it goes on without you "
                                  "(join again with the same name to rejoin).")
                return
            try:  # the facilitator ends it for everyone: the host answers with the shared debrief
                await remote.client.control("end")
                await remote.client.wait_for(lambda c: c.ended is not None, timeout=60)
            except (HostGone, asyncio.TimeoutError):
                pass
        if remote.gone and remote.client.ended is None:
            await remote.client.close()
            self.exit(return_code=3, message=f"spofdrill join: {remote.gone}; the drill stopped at {mmss(remote.now)}")
            return
        try:
            ending = await asyncio.to_thread(remote.ending)
        except (ValueError, TranscriptError) as exc:
            await remote.client.close()
            score = (remote.client.ended or {}).get("score")
            said = f", score {score:.0f}" if isinstance(score, (int, float)) else ""
            self.exit(message=f"The team drill ended at {mmss(remote.now)}{said} (no shared debrief: {exc}).")
            return
        await remote.client.close()
        self._debrief(remote, ending)

    async def on_unmount(self) -> None:
        """Leaving the console leaves the team drill (the host keeps the name and role for a rejoin)."""
        if self.remote is not None:
            await self.remote.client.close()

    def on_drill_screen_drill_ended(self, event: DrillScreen.DrillEnded) -> None:
        if self.remote is not None:
            self.run_worker(self._team_drill_over(self.remote))
            return
        session = self.session
        if session is None:
            return
        ending = session.end()
        if self.history is not None and session.branch_of is None:  # a what-if branch is not a result
            score = ending.run.score
            try:
                from engine.analysis.hunt import score_hunt
                from engine.records.progress import record_breakdown

                hunt = (score_hunt(session.scenario, set(ending.run.sim.marks)).score
                        if session.scenario.spof_hunt else None)
                self.history.record(
                    trainee=session.trainee, scenario=session.scenario.id or session.scenario.title, seed=session.seed,
                    score=score.score, grade=score.grade, passed=score.passed,
                    breakdown=record_breakdown(score.penalties, hunt),
                    tags=list(session.scenario.tags), mode="assessment" if session.assess else "practice",
                )
            except Exception as exc:  # noqa: BLE001 - a broken history must never cost the debrief
                self.notify(f"could not record the result: {exc}", severity="warning")
        self._debrief(session, ending)

    def on_replay_screen_replay_ended(self, event: ReplayScreen.ReplayEnded) -> None:
        """A replay reached its end: the debrief of the replayed run, in its place."""
        self._debrief(event.session, event.ending)

    def _debrief(self, session, ending) -> None:
        from .screens.debrief import DebriefScreen

        self._show(DebriefScreen(session, ending), replace=True)

    def on_take_over_requested(self, event: TakeOverRequested) -> None:
        """Rewind to the chosen moment and hand the drill over as a new live drill (a what-if branch)."""
        from .playback import branch_journal_path, branch_session, format_moment

        journal = branch_journal_path(event.scenario, event.seed) if self.keep_journal else None
        session = branch_session(event.scenario, event.seed, event.transcript, event.moment, trainee=event.trainee,
                                 original=event.original, journal_path=journal)
        self.start_session(session)
        self.notify(f"You have the controls from {format_moment(event.moment)}, paused: space to go on.",
                    title="Taken over", timeout=6)

    def on_analysis_requested(self, event: AnalysisRequested) -> None:
        from .screens.analysis import AnalysisScreen

        self.push_screen(AnalysisScreen(event.scenario))

    def on_new_drill_requested(self, event: NewDrillRequested) -> None:
        self.action_new_drill()

    def action_new_drill(self) -> None:
        """From the debrief back to a fresh picker."""
        self.session = None
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self._show(PickerScreen(self.extra_dirs, self.history), self._picked)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self._show(HelpScreen(self.screen))

    def _show(self, screen, callback=None, *, replace: bool = False) -> None:
        """Push (or switch to) a screen, keeping the "terminal too small" message on top."""
        if self._too_small is not None and self.screen is self._too_small:
            self.pop_screen()
            self._too_small = None
        if replace:
            self.switch_screen(screen)
        else:
            self.push_screen(screen, callback)
        self.call_after_refresh(lambda: self._check_size(self.size.width, self.size.height))

    # ------------------------------------------------------------------ terminal size

    def on_resize(self, event) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        if small and self._too_small is None:
            session = self.session
            pause = session is not None and not session.finished and not session.assess and not session.paused
            if pause:
                session.paused = True
                self._paused_for_size = True
            self._too_small = TooSmallScreen(width, height, self._paused_for_size)
            self.push_screen(self._too_small)
        elif small and self._too_small is not None:
            self._too_small.show_size(width, height, self._paused_for_size)
        elif not small and self._too_small is not None:
            if self.screen is self._too_small:
                self.pop_screen()
            self._too_small = None
            if self._paused_for_size and self.session is not None:
                self.session.paused = False
            self._paused_for_size = False
