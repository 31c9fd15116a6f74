"""The briefing: what the trainee is told before the clock starts.

:class:`BriefingScreen` shows the situation, the objectives, the SLO, what the
architecture does by itself (automation, in words), the hints on offer (their
number and cost, never their text), the keys, and in assessment mode what is
switched off. Nothing about the scenario's ``method``: the trainee must find
what broke. ``enter`` (or the Start button) dismisses with ``True``, ``escape``
with ``False`` (back to the picker).

The command keys come from :func:`engine.commands.command_specs`, so the
briefing always lists the keys the drill screen binds.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from engine.analysis.calibration import difficulty_label
from engine.commands import CommandSpec, command_specs
from engine.scenario.schema import Scenario
from engine.scoring.format import clock

__all__ = ["BriefingScreen", "ConsoleKey", "CONSOLE_KEYS", "automation_summary", "hint_summary", "slo_summary"]

_DIFFICULTY_COLOURS = {"intro": "$success", "easy": "$success", "medium": "$warning", "hard": "$error", "expert": "$error"}


@dataclass(frozen=True)
class ConsoleKey:
    """A key of the console itself (not a trainee command)."""

    key: str
    """The key(s) as shown, e.g. ``1 2 3 4``."""
    title: str
    """What it does."""
    assess_disabled: bool = False
    """Switched off in assessment mode."""
    command: str | None = None
    """A trainee command this key stands for; left out when that command is listed with its own key."""


CONSOLE_KEYS: tuple[ConsoleKey, ...] = (
    ConsoleKey("space", "pause / resume", assess_disabled=True),
    ConsoleKey("1 2 3 4", "speed 1× 2× 5× 10×", assess_disabled=True),
    ConsoleKey("a", "acknowledge alert", command="ack"),
    ConsoleKey("?", "help"),
    ConsoleKey(": ctrl+p", "command palette"),
    ConsoleKey("q", "end the drill / quit"),
)
"""The console's general keys, listed beside the trainee commands."""

# --------------------------------------------------------------------------- words (no widgets)


def _seconds(value: float) -> str:
    """``2 s``, ``500 ms``, ``1.5 s``."""
    return f"{value * 1000:g} ms" if value < 1 else f"{value:g} s"


def _clock(seconds: float) -> str:
    """``2:30`` for 150 s (rounded to the second)."""
    return clock(round(seconds), pad=False)


def _points(cost: float) -> str:
    return f"{cost:g} point{'s' if cost != 1 else ''}"


def slo_summary(scenario: Scenario) -> str:
    """The SLO in words: ``99 % of requests succeed, p99 latency under 1 s``."""
    slo = scenario.slo
    return f"{slo.target * 100:g} % of requests succeed (error budget {100 - slo.target * 100:.3g} %); p99 latency under {_seconds(slo.latency_p99)}"


def visibility_summary(scenario: Scenario) -> list[str]:
    """What the console shows during the drill: monitoring's view (late, partial) or the truth."""
    if scenario.visibility == "truth":
        return ["The truth: every component is drawn as it really is, the moment it changes. "
                "Later drills show only what monitoring sees."]
    every = _seconds(scenario.alerts.scrape_interval)
    return [
        f"What monitoring sees, as on call: each component's metrics as of its last scrape (every {every}); "
        "a failed scrape shows as 'no data' (?), the load balancers' health checks mark servers down with their reason.",
        f"A crash shows up at the next scrape, up to {every} later; the charts, score and alerts lag the same way. "
        "Investigate (logs, probes, replication status) to find the cause; the debrief shows what was true.",
    ]


def automation_summary(scenario: Scenario) -> list[str]:
    """What the architecture does by itself, one sentence per mechanism that applies."""
    auto = scenario.automation
    kinds: dict[str, list] = {}
    for spec in scenario.topology.nodes.values():
        kinds.setdefault(spec.kind, []).append(spec)
    lines: list[str] = []
    if "load_balancer" in kinds:
        hc = auto.health_check
        lines.append(
            f"Health checks every {_seconds(hc.interval)} (fall {hc.fall}, rise {hc.rise}): a server is taken out of "
            f"rotation after {hc.fall} failed checks and back after {hc.rise} passes."
        )
        if auto.vrrp.enabled:
            standbys = [lb.priority for lb in kinds["load_balancer"] if lb.role == "standby"] or [100]
            gap = 3 * auto.vrrp.advert_interval + (256 - max(standbys)) / 256
            lines.append(f"Automatic load-balancer failover (VRRP on): a standby takes the virtual IP about {gap:.1f} s after the holder stops answering.")
        else:
            lines.append("No automatic load-balancer failover (VRRP off): moving a virtual IP is up to you.")
    if auto.restart.enabled:
        lines.append(f"Crashed instances are restarted automatically after {_seconds(auto.restart.delay)} (plus their boot time).")
    else:
        lines.append("Crashed instances are not restarted automatically.")
    if any(db.role == "replica" for db in kinds.get("database", [])):
        if auto.db_failover.enabled:
            fenced = ", and the old primary is fenced" if auto.db_failover.fence else ""
            lines.append(
                f"Automatic database failover: the most advanced replica is promoted once the primary has been "
                f"unreachable for {_seconds(auto.db_failover.ttl)}{fenced}."
            )
        else:
            lines.append("No automatic database failover: promoting a replica is your call.")
    if "dns" in kinds:
        if auto.dns_failover.enabled:
            after = auto.dns_failover.interval * auto.dns_failover.threshold
            lines.append(f"Health-checked DNS stops sending users to a dead region after about {_seconds(after)}.")
        else:
            lines.append("DNS does not fail over by itself: shifting traffic between regions is up to you.")
    return lines


def hint_summary(scenario: Scenario, assess: bool = False) -> list[str]:
    """The hints on offer: how many, when they appear by themselves, what revealing one early costs."""
    hints = scenario.hints
    if not hints:
        return ["No hints in this drill."]
    if assess and not scenario.hints_in_assessment:
        return [f"{len(hints)} hint{'s' if len(hints) != 1 else ''} exist, but hints are disabled in assessment."]
    lines = [f"{len(hints)} hint{'s' if len(hints) != 1 else ''}, revealed in order (each costs points only if you ask for it):"]
    for number, hint in enumerate(hints, start=1):
        if hint.at is not None:
            lines.append(f"{number}. free at {_clock(hint.at)}, or earlier for {_points(hint.cost)}")
        else:
            lines.append(f"{number}. on request, for {_points(hint.cost)}")
    return lines


# --------------------------------------------------------------------------- screen


class BriefingScreen(Screen[bool]):
    """Read the brief, then start the clock (``True``) or go back (``False``)."""

    CSS_PATH = "briefing.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (116, "-wide")]
    BINDINGS = [
        Binding("enter", "start", "Start the clock"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, scenario: Scenario, seed: int, assess: bool = False) -> None:
        super().__init__()
        self.scenario = scenario
        """The scenario about to run."""
        self.seed = seed
        """The seed it runs with."""
        self.assess = assess
        """Assessment mode: no pause, no speed-up, no hints."""

    def compose(self) -> ComposeResult:
        scenario = self.scenario
        with Horizontal(id="briefing-header"):
            yield Static(Content.from_markup("[b $accent]Briefing[/]  [b]$title[/]", title=scenario.title), id="briefing-title")
            yield Static(self._header_facts(), id="briefing-facts")
        with VerticalScroll(id="briefing-body"):
            if self.assess:
                yield Static(
                    Content.from_markup(
                        "[b]ASSESSMENT[/]  Pause, speed-up and hints are disabled: the clock runs at 1× from the moment you start."
                    ),
                    id="assess-line",
                )
            yield _Section("Situation", Content(_reflow(scenario.briefing) or "No briefing."), id="situation")
            if scenario.objectives:
                yield _Section("Objectives", scenario.objectives, id="objectives")
            yield _Section("Service level objective", Content(slo_summary(scenario)), id="slo")
            yield _Section("What you see", visibility_summary(scenario), id="visibility")
            yield _Section("What runs by itself", automation_summary(scenario), id="automation")
            yield _Section("Hints", Content("\n").join(Content(line) for line in hint_summary(scenario, self.assess)), id="hints")
            with Vertical(id="keys", classes="section"):
                yield Static(_heading("Keys"), classes="heading")
                with Horizontal(id="key-columns"):
                    yield Static(self._console_keys(), id="console-keys")
                    yield Static(self._command_keys(), id="command-keys")
        with Horizontal(id="briefing-buttons"):
            yield Button(" Start the clock  ⏎ ", variant="success", id="start", compact=True)
            yield Button(" Back  esc ", id="back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#briefing-body", VerticalScroll).focus()

    # ------------------------------------------------------------------ content

    def _header_facts(self) -> Content:
        scenario = self.scenario
        minutes = max(1, round(scenario.duration / 60))
        level = difficulty_label(scenario).label
        return Content.assemble(
            (level, _DIFFICULTY_COLOURS.get(level, "$text-muted")),
            (f" · {minutes} min · seed {self.seed}", "$text-muted"),
            ("  ASSESS" if self.assess else "", "b $warning"),
        )

    def _command_keys(self) -> Content:
        specs = command_specs()
        width = max((len(spec.key) for spec in specs), default=1)
        title_width = max((len(spec.title) for spec in specs), default=1)
        lines = [Content.styled("Commands (on the selected item)", "b")]
        for spec in specs:
            lines.append(self._command_line(spec, width, title_width))
        return Content("\n").join(lines)

    def _command_line(self, spec: CommandSpec, width: int, title_width: int) -> Content:
        key = (f"{spec.key:>{width}}  ", "b $accent")
        title = spec.title.ljust(title_width)
        if self.assess and spec.uses_hints:
            return Content.assemble(key, (title, "$text-muted strike"), ("  off", "$text-muted"))
        note = ("  asks for confirmation", "$warning") if spec.destructive else ""
        return Content.assemble(key, title, note)

    def _console_keys(self) -> Content:
        commands = {spec.name for spec in command_specs()}
        shown = [key for key in CONSOLE_KEYS if key.command not in commands]
        width = max((len(key.key) for key in shown), default=1)
        lines = [Content.styled("Console", "b")]
        for key in shown:
            label = (f"{key.key:>{width}}  ", "b $accent")
            if self.assess and key.assess_disabled:
                lines.append(Content.assemble(label, (key.title, "$text-muted strike"), ("  off", "$text-muted")))
            else:
                lines.append(Content.assemble(label, key.title))
        return Content("\n").join(lines)

    def briefing_text(self) -> str:
        """Everything the screen says, as plain text (for tests and screen readers)."""
        parts = []
        for static in self.query(Static):
            visual = static.visual
            parts.append(visual.plain if isinstance(visual, Content) else str(static.render()))
        return "\n".join(parts)

    # ------------------------------------------------------------------ actions

    def action_start(self) -> None:
        """Start the clock."""
        self.dismiss(True)

    def action_back(self) -> None:
        """Back to the picker."""
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "start":
            self.action_start()
        elif event.button.id == "back":
            self.action_back()


class _Section(Vertical):
    """A heading and its text, or its bullet points (wrapped with a hanging indent)."""

    def __init__(self, heading: str, body: Content | list[str], *, id: str) -> None:
        super().__init__(id=id, classes="section")
        self._heading = heading
        self._body = body

    def compose(self) -> ComposeResult:
        yield Static(_heading(self._heading), classes="heading")
        if isinstance(self._body, Content):
            yield Static(self._body, classes="body")
            return
        for item in self._body:
            with Horizontal(classes="item"):
                yield Static(Content.styled("•", "$accent"), classes="bullet")
                yield Static(Content(item), classes="text")


def _heading(text: str) -> Content:
    return Content.styled(text.upper(), "b $accent")


def _reflow(text: str) -> str:
    """Join the hard-wrapped lines of each paragraph so the screen wraps them to its width."""
    paragraphs = [" ".join(part.split()) for part in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)
