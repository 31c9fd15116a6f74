"""Trainee commands in the running simulation: checking, timing, applying and previewing them.

:class:`CommandDesk` is the part of :class:`engine.sim.simulation.Simulation` behind
:meth:`~engine.sim.simulation.Simulation.apply` and :meth:`~engine.sim.simulation.Simulation.preview`,
the one way anything (console, scripts, replay, reference solutions) changes the
simulated system on purpose. What each command checks, does and says lives
with the command (:mod:`engine.commands`); the desk journals, times and
sequences them, and hands each one a :class:`SimulationContext`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.commands import Command, CommandError, Refused, build_command
from engine.commands.investigate import EVIDENCE_EVENT
from engine.sim.evidence import Evidence
from engine.sim.journal import plain
from engine.sim.snapshot import EvidenceView
from engine.util.limits import MAX_COMMANDS

if TYPE_CHECKING:
    from engine.sim.automation import Automation
    from engine.sim.monitoring import Monitoring
    from engine.sim.world import World

EVIDENCE_KEPT = 20
"""Investigation results the snapshot carries (the newest)."""


@dataclass(frozen=True)
class Receipt:
    """What happened to an applied command."""

    id: int
    command: str
    target: str | None
    accepted: bool
    reason: str = ""
    completes_at: float | None = None


@dataclass(frozen=True)
class Preview:
    """What a command would do now, for confirmation dialogs."""

    command: str
    target: str | None
    destructive: bool
    allowed: bool
    text: str


@dataclass
class Pending:
    """An accepted command that has not completed yet."""

    id: int
    command: Command
    started: float
    ends: float


class SimulationContext:
    """The simulation as a command sees it (:class:`engine.commands.CommandContext`), and no more."""

    def __init__(self, world: World, automation: Automation, monitoring: Monitoring) -> None:
        self._world = world
        self._automation = automation
        self._monitoring = monitoring
        self._evidence = Evidence(world, monitoring)
        self.observing = False
        """Set while an observing command (an investigation) runs: its rows are journaled as observations."""

    # ------------------------------------------------------------------ state a command reads

    @property
    def scenario(self):
        return self._world.scenario

    @property
    def nodes(self):
        return self._world.nodes

    @property
    def vips(self):
        return self._world.vips

    @property
    def vip_of(self):
        return self._world.vip_of

    @property
    def cluster_of(self):
        return self._world.cluster_of

    @property
    def graph(self):
        return self._world.graph

    @property
    def alerts(self):
        return self._world.alerts

    @property
    def journal(self):
        return self._world.journal

    @property
    def dns_state(self):
        return self._world.dns_state

    @property
    def marks(self):
        return self._world.marks

    @property
    def hints_revealed(self):
        return self._world.hints_revealed

    # ------------------------------------------------------------------ questions and operations

    def changed(self) -> None:
        self._world.changed()

    def record(self, type: str, **data: Any) -> None:
        (self._world.observe if self.observing else self._world.record)(type, **data)

    def reachable(self, src, dst) -> bool:
        return self._world.reachable(src, dst)

    def dark_node(self, node) -> bool:
        return self._world.dark_node(node)

    def root_log(self, node):
        return self._world.root_log(node)

    def replica_lag(self, node) -> float:
        return self._monitoring.replica_lag(node)

    def boot_time(self, node) -> float:
        return self._world.boot_time(node)

    def vip_candidates(self, vip):
        return self._automation.vip_candidates(vip)

    def move_vip(self, vip, to: str, why: str) -> None:
        self._automation.move_vip(vip, to, why)

    def promote(self, node) -> None:
        self._automation.promote(node)

    def boot(self, node):
        return self._automation.boot(node)

    def after_down(self, node) -> None:
        self._automation.after_down(node)

    def set_dns(self, dns: str, weights: dict[str, float], why: str) -> None:
        self._automation.set_dns(dns, weights, why)

    def scale_out(self, template, count: int):
        return self._automation.scale_out(template, count)

    def reveal_hint(self, index: int, cost: float) -> None:
        self._world.reveal_hint(index, cost)

    def investigate(self, tool: str, target: str, args: dict[str, Any]) -> tuple[str, ...]:
        return self._evidence.gather(tool, target, args)


class CommandDesk:
    """Refusals with reasons, timing, journaling and completion of every command."""

    def __init__(self, world: World, automation: Automation, monitoring: Monitoring) -> None:
        self._world = world
        self._env = world.env
        self.context = SimulationContext(world, automation, monitoring)
        self.pending: dict[int, Pending] = {}
        """Accepted commands still running, by id."""
        self._seq = 0
        self.journaled = 0
        """Command rows journaled so far (issued or refused): at most :data:`MAX_COMMANDS`."""
        self._evidence: deque[EvidenceView] = deque(maxlen=EVIDENCE_KEPT)
        self._evidence_seen = 0

    def evidence(self) -> tuple[EvidenceView, ...]:
        """The last :data:`EVIDENCE_KEPT` investigation results, oldest first (read from the journal as it grows)."""
        journal = self._world.journal
        for entry in journal.since(self._evidence_seen):
            if entry.type == EVIDENCE_EVENT:
                d = entry.data
                self._evidence.append(EvidenceView(entry.seq, str(d.get("command")), d.get("target"), entry.t,
                                                   tuple(str(line) for line in d.get("lines") or ())))
        self._evidence_seen = len(journal)
        return tuple(self._evidence)

    def apply(self, command: Command | Mapping, by: str | None = None) -> Receipt:
        """Apply a trainee command now. Refusals come back with the reason and are journaled.

        ``by`` names the participant who issued it in a team drill; its command rows then carry a
        ``by`` field (absent when None, so a single-player journal is as it always was).

        A command that cannot be built (a mapping with an unknown name, a target
        that is not a name, a bad argument; or a command object holding such
        values) raises :class:`~engine.commands.CommandError` and journals
        nothing. After the drill has ended, and once :data:`MAX_COMMANDS`
        commands have been journaled, a command is refused (``accepted`` False,
        with the reason) and *not* journaled: a journal ends with ``DrillEnded``
        and never holds more commands than its readers accept.
        """
        command = self._built(command)
        closed = self._closed()
        if closed is not None:
            return Receipt(0, command.name, command.target, False, closed)
        world, env = self._world, self._env
        record = self._recorder(command)
        if not command.spec.observes:
            world.integrate(env.now)
        self._seq += 1
        self.journaled += 1
        cid = self._seq
        base = {"id": cid, "command": command.name, "target": command.target, "args": command.arguments()}
        if by is not None:
            base["by"] = by
        try:
            duration = self.check(command)
        except Refused as refusal:
            record("CommandRefused", reason=str(refusal), **base)
            return Receipt(cid, command.name, command.target, False, str(refusal))
        record("CommandIssued", **base)
        if duration <= 0:
            # restarts and scale-outs start now and finish when their instances have booted
            ends = env.now + command.process_time(self.context)
            self._complete(cid, command)
            return Receipt(cid, command.name, command.target, True, completes_at=ends)
        ends = env.now + duration
        self.pending[cid] = Pending(cid, command, env.now, ends)
        env.process(self._later(cid, command, duration))
        return Receipt(cid, command.name, command.target, True, completes_at=ends)

    def apply_named(self, name: Any, target: Any, args: Any, by: str | None = None) -> Receipt | None:
        """Apply a command as a script or a transcript names it; one that cannot be built is journaled as refused.

        The refusal row keeps the name, target and arguments as given (in the
        journal's own form, :func:`engine.sim.journal.plain`), so replaying the
        journal refuses it again with the same words. A name that is not text,
        a target that is neither a name nor None or arguments that are not a
        mapping cannot be journaled as a command row at all: :class:`~engine.commands.CommandError`, nothing
        journaled (transcripts and action scripts never hold one). None when
        nothing was journaled (the drill has ended, or the command limit is reached).
        """
        if (not isinstance(name, str) or not name or (target is not None and not isinstance(target, str))
                or (args is not None and not isinstance(args, Mapping))):
            build_command(name, target, args)  # raises CommandError with the words
        given = plain(args) if args is not None else {}
        try:
            command = build_command(name, target, given)
        except CommandError as exc:
            if self._closed() is not None:
                return None
            self.journaled += 1
            who = {} if by is None else {"by": by}
            self._world.record("CommandRefused", command=name, target=target, args=given, reason=str(exc), **who)
            return Receipt(0, name, target, False, str(exc))
        receipt = self.apply(command, by)
        return receipt if receipt.id else None

    def _recorder(self, command: Command):
        """How the desk journals ``command``'s rows: as observations when it changes nothing (investigations)."""
        return self._world.observe if command.spec.observes else self._world.record

    def _built(self, command: Command | Mapping) -> Command:
        """The command checked and normalised by :func:`build_command` (a mapping, or an object built by hand)."""
        if isinstance(command, Command):
            return build_command(command.name, command.target, command.arguments())
        if isinstance(command, Mapping):
            return build_command(command.get("command"), command.get("target"), command.get("args"))
        raise CommandError(f"a command must be a command object or a mapping, not {type(command).__name__}")

    def _closed(self) -> str | None:
        """Why no command is taken any more (the drill ended, the limit is reached), or None."""
        if self._world.finished:
            return "the drill has ended"
        if self.journaled >= MAX_COMMANDS:
            return f"a drill takes at most {MAX_COMMANDS:,} commands and this one has had them all"
        return None

    def check(self, command: Command) -> float:
        """Raise :class:`Refused` if ``command`` cannot run now; return how long it takes."""
        if self._world.finished:
            raise Refused("the drill has ended")
        return command.check(self.context)

    def preview(self, command: Command | Mapping) -> Preview:
        """What ``command`` would do now, in words, without doing it."""
        command = self._built(command)
        spec = command.spec
        try:
            self.check(command)
        except Refused as refusal:
            return Preview(command.name, command.target, spec.destructive, False, str(refusal))
        return Preview(command.name, command.target, spec.destructive, True, command.preview(self.context))

    def running_on(self, node: str) -> Pending | None:
        """The last accepted, still running command whose target is ``node``."""
        found = None
        for p in self.pending.values():
            if p.command.target == node:
                found = p
        return found

    def _later(self, cid: int, command: Command, duration: float):
        yield self._env.timeout(duration)
        self.pending.pop(cid, None)
        try:
            self.check(command)
        except Refused as refusal:
            self._recorder(command)("CommandFailed", id=cid, command=command.name, target=command.target,
                                    reason=str(refusal))
            return
        self._complete(cid, command)

    def _complete(self, cid: int, command: Command) -> None:
        self.context.observing = command.spec.observes
        try:
            result = command.apply(self.context)
        finally:
            self.context.observing = False
        if result is not None and hasattr(result, "__next__"):
            self._env.process(self._finish_process(cid, command, result))
            return
        self._recorder(command)("CommandCompleted", id=cid, command=command.name, target=command.target)

    def _finish_process(self, cid: int, command: Command, process):
        now = self._env.now
        self.pending[cid] = Pending(cid, command, now, now + command.process_time(self.context))
        yield from process
        self.pending.pop(cid, None)
        self._world.record("CommandCompleted", id=cid, command=command.name, target=command.target)
