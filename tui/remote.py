"""A team drill seen from one participant's console: the drill screen's session, fed by the host.

:class:`RemoteSession` gives :class:`tui.screens.drill.DrillScreen` what :class:`tui.session.DrillSession`
gives it (the :class:`tui.session.DrillDriver` interface), but owns no simulation: snapshots and journal
entries come from the host over the websocket (:class:`engine.team.client.TeamClient`, running in the
console's own event loop) and commands, pause and speed go to the host, which checks the role and answers
later; answers reach the screen through :meth:`listen`. It imports no Textual.
"""

from __future__ import annotations

import asyncio
import bisect
from typing import Any, Callable, Iterator

from engine.commands import Command
from engine.records.replay import LEFT_TYPE, Transcript, replay, scenario_from_document
from engine.sim.control import Preview, Receipt
from engine.sim.journal import Entry
from engine.sim.runner import Report, measure, par_runs
from engine.sim.snapshot import Snapshot
from engine.team.client import HostGone, TeamClient
from engine.team.protocol import SPEEDS as HOST_SPEEDS

from .session import SPEEDS, Ending

_ENTRY_FIELDS = ("seq", "t", "type", "visible")


def json_plain(value: Any) -> Any:
    """``value`` as it reads back from JSON (as the host's message carried it)."""
    import json

    return json.loads(json.dumps(value))


def entry_from(data: dict[str, Any]) -> Entry | None:
    """A journal entry from the host's JSON row (None when it is not one)."""
    try:
        seq, t, kind, visible = (data[k] for k in _ENTRY_FIELDS)
        return Entry(int(seq), float(t), str(kind), bool(visible), {k: v for k, v in data.items() if k not in _ENTRY_FIELDS})
    except (KeyError, TypeError, ValueError):
        return None


class RemoteJournal:
    """The journal entries this participant may read, in order (the read side of :class:`engine.sim.journal.Journal`)."""

    def __init__(self) -> None:
        self._entries: list[Entry] = []
        self._seqs: list[int] = []

    def add(self, entry: Entry) -> None:
        if self._seqs and entry.seq <= self._seqs[-1]:
            return  # a rejoin resends from the start: keep each entry once
        self._entries.append(entry)
        self._seqs.append(entry.seq)

    def since(self, seq: int) -> list[Entry]:
        return self._entries[bisect.bisect_left(self._seqs, seq):]

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)


class RemoteSession:
    """One participant's drill: the host's state in, commands out."""

    assess = False
    journal_path = None
    journal_error = None
    branch_of = None

    def __init__(self, url: str, name: str, role: str = "operator", secret: str | None = None) -> None:
        self.client = TeamClient(url, name, role, secret)
        self.name = name
        self.scenario = None
        self.seed = 0
        self.trainee = name
        self.journal = RemoteJournal()
        self._read = 0
        self._listener: Callable[[str, str], None] = lambda text, severity: None
        self._tasks: set[asyncio.Task] = set()
        self.participants: tuple[dict[str, str], ...] = ()
        """Everyone in the drill with their role (from the host's debrief; the result bundle records them)."""
        self.postmortem: str | None = None
        """The postmortem draft the host wrote, naming who issued each command and their role."""
        self.host_result: dict[str, Any] | None = None
        """The result the host computed (the debrief's replay of the host's transcript must give the same)."""

    async def connect(self) -> None:
        """Join the host (HostGone with the reason when refused or unreachable)."""
        welcome = await self.client.connect()
        self.scenario = scenario_from_document(welcome.get("scenario"), "the host's scenario")
        self.seed = int(welcome.get("seed") or 0)
        await self.client.wait_for(lambda c: c.snapshot is not None)
        self._take_entries()

    @property
    def role(self) -> str | None:
        return self.client.role

    # ------------------------------------------------------------------ what the screen reads

    @property
    def speed(self) -> float:
        return self.client.speed

    @property
    def speed_index(self) -> int:
        return SPEEDS.index(self.speed) if self.speed in SPEEDS else len(SPEEDS) - 1

    @property
    def paused(self) -> bool:
        return self.client.paused

    @property
    def now(self) -> float:
        return self.client.snapshot.t if self.client.snapshot is not None else 0.0

    @property
    def finished(self) -> bool:
        return self.client.ended is not None or self.client.gone is not None

    @property
    def gone(self) -> str | None:
        """Why the connection ended when the host went away before the drill ended."""
        return self.client.gone if self.client.ended is None else None

    def snapshot(self) -> Snapshot:
        assert self.client.snapshot is not None
        return self.client.snapshot

    def tick(self, wall_seconds: float) -> bool:
        """True when the host sent something new since the last tick (the host keeps the time)."""
        changed = self.client.changed.is_set()
        self.client.changed.clear()
        return self._take_entries() or changed

    def _take_entries(self) -> bool:
        entries = self.client.entries
        new = entries[self._read:]
        self._read = len(entries)
        for data in new:
            entry = entry_from(data)
            if entry is not None:
                self.journal.add(entry)
        return bool(new)

    @property
    def reveals(self) -> bool:
        """The facilitator's timeline shows the hidden events as they happen."""
        return self.role == "facilitator"

    @property
    def facilitates(self) -> bool:
        """The facilitator injects faults and writes notes (:meth:`act`)."""
        return self.role == "facilitator"

    def act(self, op: str, target: str | None, args: dict[str, Any]) -> None:
        """Inject a fault on ``target`` or write a note; the host's answer comes through :meth:`listen`."""
        said = f"{args.get('type')} injected on {target}" if op == "inject" else "note written"
        self._send(self.client.act(op, target, args), lambda answer: (said, "information"))

    def hints_allowed(self) -> bool:
        """Hints are the facilitator's to reveal."""
        return self.role == "facilitator"

    # ------------------------------------------------------------------ what the screen sends

    def listen(self, listener: Callable[[str, str], None]) -> None:
        """``listener(text, severity)`` is told the host's answers (receipts and refusals) as they arrive."""
        self._listener = listener

    def _send(self, request, describe: Callable[[dict[str, Any]], tuple[str, str]]) -> None:
        async def run() -> None:
            try:
                answer = await request
            except (HostGone, asyncio.TimeoutError) as exc:
                self._listener(f"not sent: {exc or 'no answer from the host'}", "error")
                return
            if answer.get("type") == "refused":
                self._listener(f"refused by the host: {answer.get('reason')}", "error")
                return
            text, severity = describe(answer)
            if text:
                self._listener(text, severity)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def preview(self, command: Command) -> Preview:
        """The host checks a command when it arrives: destructive ones (and hints) are confirmed first."""
        spec = command.spec
        ask = spec.destructive or spec.uses_hints
        return Preview(command.name, command.target, ask, True,
                       f"{command.describe()}: the host checks and applies it for everyone in the drill.")

    def apply(self, command: Command) -> None:
        """Send the command; its receipt comes through :meth:`listen` (None: no receipt now)."""
        def said(answer: dict[str, Any]) -> tuple[str, str]:
            receipt = Receipt(int(answer.get("id") or 0), str(answer.get("command")), answer.get("target"),
                              bool(answer.get("accepted")), str(answer.get("reason") or ""), answer.get("completes_at"))
            if not receipt.accepted:
                return f"{command.describe()} refused: {receipt.reason}", "error"
            return f"{command.describe()}: accepted", "information"

        self._send(self.client.command(command.name, command.target, command.arguments()), said)
        return None

    def toggle_pause(self) -> bool:
        self._send(self.client.control("resume" if self.paused else "pause"), lambda a: ("", ""))
        return True

    def set_speed(self, index: int) -> bool:
        speed = SPEEDS[max(0, min(len(SPEEDS) - 1, index))]
        if speed in HOST_SPEEDS:
            self._send(self.client.control("speed", speed=speed), lambda a: ("", ""))
        return True

    def flush_journal(self) -> None:
        """The host keeps the journal."""

    # ------------------------------------------------------------------ the shared debrief

    def ending(self) -> Ending:
        """The drill's run for the debrief, from the host's ``ended`` message (a few tenths of a second: a thread).

        The host sends the whole transcript (every participant's command, the facilitator's faults and notes);
        replaying it gives the host's simulation, truth and hidden events included, so the debrief screen reads
        what it reads for one trainee. ValueError when the host sent no debrief or the replay disagrees with it.
        """
        from engine.records.bundle import compare_results
        from engine.records.results import run_summary

        data = self.client.ended or {}
        if not isinstance(data.get("transcript"), dict) or not isinstance(data.get("result"), dict):
            raise ValueError("the host sent no debrief")
        assert self.scenario is not None
        sim = replay(self.scenario, self.seed, Transcript.from_dict(data["transcript"]))
        run = measure(sim, str(data["result"].get("name") or "team"))
        differences = compare_results(data["result"], json_plain(run_summary(run)))
        if differences:
            raise ValueError(f"the debrief's replay differs from the host's result ({differences[0]})")
        self.host_result = data["result"]
        self.participants = tuple({"name": str(p.get("name")), "role": str(p.get("role"))}
                                  for p in data.get("participants") or () if isinstance(p, dict))
        postmortem = data.get("postmortem")
        self.postmortem = postmortem if isinstance(postmortem, str) else None
        return Ending(run, bool(sim.journal.of_type(LEFT_TYPE)))

    def report(self, ending: Ending) -> Report:
        """The team's run beside the par runs (the same no-action and reference runs the host measured)."""
        assert self.scenario is not None
        return Report(self.scenario, ending.run, *par_runs(self.scenario, self.seed))

    def close(self) -> None:
        task = asyncio.get_running_loop().create_task(self.client.close())
        self._tasks.add(task)
