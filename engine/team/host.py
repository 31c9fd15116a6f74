"""The team-drill host: one simulation, advanced in real time, shared over websockets (aiohttp).

:class:`TeamHost` owns the drill's :class:`~engine.sim.simulation.Simulation`. A clock task advances it in
bounded slices (``sim.run(until=now + wall × speed)``, at most :data:`MAX_SLICE` a step), so the event loop is
never blocked for long; every participant's command goes through :meth:`Simulation.apply` with their name.
After each step the host encodes two snapshots once (what responders see, the truth) and wakes each
participant's sender, which sends the newest state and the journal entries their role may read (the
facilitator also the hidden ones). A slow participant only ever gets the newest state: nothing queues up.

Roles are checked here, never by the client. Every refusal (bad secret, malformed, oversized, unknown,
too fast, not allowed) is answered with the reason and logged; no message can stop the host.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from engine.commands import CommandError, build_command
from engine.records.replay import LEFT_TYPE
from engine.records.replay import scenario_document
from engine.scenario.schema import Scenario
from engine.sim.facilitation import FacilitatorRefused
from engine.sim.simulation import Simulation
from engine.team.codec import dumps, encode_snapshot
from engine.team.journal import LiveJournal
from engine.team.protocol import (
    CONTROL_OPS,
    RESPONDERS,
    ROLES,
    SPEEDS,
    ProtocolError,
    check_name,
    message,
    parse,
)
from engine.util.limits import (
    MAX_JOINING,
    MAX_PARTICIPANTS,
    MAX_TEAM_ENTRIES,
    MAX_TEAM_MESSAGE_BYTES,
    TEAM_BURST,
    TEAM_HELLO_SECONDS,
    TEAM_RATE,
)

log = logging.getLogger("spofdrill.team")

PATH = "/drill"
"""The websocket's path on the host."""
STEP_SECONDS = 0.05
"""Wall seconds between two steps of the clock (20 a second)."""
MAX_SLICE = 2.0
"""Simulated seconds one step advances at most, so a stalled host never jumps far ahead."""
TEAM_TRAINEE = "team"
"""The trainee a team drill's result and bundle name (the bundle lists the participants and their roles)."""
OUTBOX = 64
"""Answers waiting for one participant's sender at most (older ones are dropped for a stalled participant)."""


@dataclass
class Participant:
    """Someone who joined: their name and role stay theirs when they reconnect."""

    name: str
    role: str
    ws: web.WebSocketResponse | None = None
    sent_frame: int = -1
    sent_seq: int = 0
    tokens: float = float(TEAM_BURST)
    refill_at: float = field(default_factory=time.monotonic)
    limited: bool = False
    outbox: list[str] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def allow(self) -> bool:
        """Token bucket: :data:`TEAM_RATE` a second, :data:`TEAM_BURST` at once."""
        now = time.monotonic()
        self.tokens = min(float(TEAM_BURST), self.tokens + (now - self.refill_at) * TEAM_RATE)
        self.refill_at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True

    def send(self, text: str) -> None:
        if len(self.outbox) >= OUTBOX:
            del self.outbox[0]
        self.outbox.append(text)
        self.wake.set()


@dataclass(frozen=True)
class Frame:
    """The state after one step, encoded once for everyone."""

    number: int
    observed: str
    truth: str
    paused: bool
    speed: float
    stepped: float = 0.0
    """The host's wall clock (``time.time()``) when the step was published: on one machine a participant compares
    it with its own clock for the fan-out latency (``bench/team.py``)."""


class TeamHost:
    """The host of one team drill."""

    def __init__(self, scenario: Scenario, seed: int, *, join_secret: str, facilitator_secret: str,
                 journal: LiveJournal | None = None, sim: Simulation | None = None,
                 destructive_by: str = "responders", speed: float = 1.0) -> None:
        self.scenario = scenario
        self.seed = seed
        self.sim = sim if sim is not None else Simulation(scenario, seed)
        self.journal = journal
        self.join_secret = join_secret
        self.facilitator_secret = facilitator_secret
        self.destructive_by = destructive_by
        """``responders`` (commander and operators) or ``commander`` (destructive commands are the commander's)."""
        self.speed = speed
        self.paused = True
        """A drill starts paused: the facilitator starts the clock (``resume``)."""
        self.participants: dict[str, Participant] = {}
        self.frame: Frame | None = None
        self._frames = 0
        self.done = asyncio.Event()
        """Set when the drill has ended and everyone has been told."""
        self._welcome_scenario = scenario_document(scenario)
        self._joining = 0

    # ------------------------------------------------------------------ the clock

    async def run_clock(self) -> None:
        """Advance the drill in bounded slices until it ends; publish a frame after each step."""
        loop = asyncio.get_running_loop()
        last = loop.time()
        self.publish()
        while not self.sim.finished:
            await asyncio.sleep(STEP_SECONDS)
            now = loop.time()
            wall, last = now - last, now
            if not self.paused:
                step = min(MAX_SLICE, wall * self.speed)
                self.sim.run(round(self.sim.now + step, 3))  # whole milliseconds: the journal replays exactly
                self.publish()
            self._flush()  # paused too: a command given during a pause reaches the disk within a second
        await self.finish()

    def _flush(self, force: bool = False) -> None:
        if self.journal is None or not (force or self.journal.due()):
            return
        try:
            self.journal.flush()
        except OSError as exc:
            log.error("cannot write the journal %s: %s; the drill goes on without it", self.journal.path, exc)
            self.journal = None

    def publish(self) -> None:
        """Encode the state once and wake every connected participant's sender."""
        self._frames += 1
        self.frame = Frame(self._frames, dumps(encode_snapshot(self.sim.snapshot())),
                           dumps(encode_snapshot(self.sim.snapshot(view="truth"))), self.paused, self.speed,
                           time.time())
        for p in self.participants.values():
            if p.ws is not None:
                p.wake.set()

    async def finish(self) -> None:
        """The drill is over: journal closed, the debrief computed once, everyone gets the last state and ``ended``
        (with the debrief: the result, the par runs' results, the whole transcript, the participants, the postmortem)."""
        self._flush(force=True)
        if self.journal is not None:
            self.journal.close()
        self.publish()
        try:  # the par runs and the bundle's replay take a few tenths of a second: off the event loop
            debrief = await asyncio.to_thread(self.debrief)
        except Exception:  # a bug here must not keep the participants waiting: they get the score alone
            log.exception("cannot compute the debrief")
            debrief = {}
        ended = message("ended", t=self.sim.now, score=self.sim.snapshot(view="truth").score, **debrief)
        for p in self.participants.values():
            p.send(ended)
        await asyncio.sleep(0.5)  # the senders deliver the last state
        self.done.set()

    def debrief(self) -> dict[str, Any]:
        """The shared debrief, computed once (the host's run is the result); the bundle is written beside the journal."""
        from engine.records.bundle import bundle_of, write_bundle
        from engine.records.postmortem import postmortem_markdown
        from engine.records.results import run_summary
        from engine.records.replay import transcript_of
        from engine.sim.runner import Report, measure, par_runs
        from engine.util.files import WriteError

        run = measure(self.sim, TEAM_TRAINEE)
        no_action, reference = par_runs(self.scenario, self.seed)
        participants = tuple({"name": p.name, "role": p.role} for p in self.participants.values())
        roles = {p["name"]: p["role"] for p in participants}
        postmortem = postmortem_markdown(Report(self.scenario, run, no_action, reference),
                                         when=time.strftime("%Y-%m-%d %H:%M"), roles=roles)
        bundle_path = None
        if self.journal is not None:
            path = self.journal.path.with_name(self.journal.path.stem + ".bundle.json")
            try:
                write_bundle(bundle_of(run, TEAM_TRAINEE, "practice", participants), path)
                bundle_path = str(path)
                log.info("the result bundle is in %s", path)
            except WriteError as exc:
                log.error("cannot write the result bundle: %s", exc)
        return {"result": run_summary(run), "par": {"no_action": run_summary(no_action),
                                                     "reference": run_summary(reference)},
                "transcript": transcript_of(self.sim).to_dict(), "participants": list(participants),
                "postmortem": postmortem, "bundle": bundle_path}

    async def close_all(self, reason: str) -> None:
        """Close every participant's connection, saying why (the drill ended, the host stops)."""
        for p in self.participants.values():
            ws = p.ws
            if ws is not None and not ws.closed:
                try:
                    await ws.close(code=1001, message=reason.encode()[:120])
                except (ConnectionError, RuntimeError):
                    pass

    # ------------------------------------------------------------------ connections

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_get(PATH, self.handle)
        return application

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """One connection: hello with the secret, then messages until it closes. Never raises."""
        peer = request.remote or "?"
        if self._joining >= MAX_JOINING:
            log.warning("refused a connection from %s: %d connections are still saying hello", peer, MAX_JOINING)
            raise web.HTTPServiceUnavailable(text="too many connections joining at once; try again")
        ws = web.WebSocketResponse(max_msg_size=4 * MAX_TEAM_MESSAGE_BYTES, heartbeat=10.0)
        await ws.prepare(request)
        participant = None
        try:
            self._joining += 1
            try:
                participant = await self._hello(ws, peer)
            finally:
                self._joining -= 1
            if participant is None:
                return ws
            sender = asyncio.create_task(self._sender(participant, ws))
            try:
                await self._receive(participant, ws)
            finally:
                sender.cancel()
        except Exception:  # a bug must cost one connection, never the host
            log.exception("connection from %s failed", peer)
        finally:
            if participant is not None and participant.ws is ws:
                participant.ws = None
                log.info("%s (%s) left", participant.name, participant.role)
            await ws.close()
        return ws

    async def _refuse(self, ws: web.WebSocketResponse, peer: str, reason: str, who: str = "", ref: Any = None,
                      close: bool = False) -> None:
        log.warning("refused %s%s: %s", who or "a connection from ", "" if who else peer, reason)
        if not ws.closed:
            await ws.send_str(message("refused", reason=reason, ref=ref if isinstance(ref, (int, str)) else None))
            if close:
                await ws.close(code=4000 + (1 if "secret" in reason else 0), message=reason[:100].encode())

    async def _hello(self, ws: web.WebSocketResponse, peer: str) -> Participant | None:
        try:
            msg = await asyncio.wait_for(ws.receive(), TEAM_HELLO_SECONDS)
        except asyncio.TimeoutError:
            await self._refuse(ws, peer, f"no hello within {TEAM_HELLO_SECONDS:g} s", close=True)
            return None
        if msg.type != WSMsgType.TEXT:
            if msg.type == WSMsgType.ERROR:  # aiohttp closed it: a frame over 4 × the message limit, or broken
                log.warning("refused a connection from %s: %s", peer, ws.exception())
                return None
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                return None
            await self._refuse(ws, peer, "the first message must be a hello (JSON text)", close=True)
            return None
        try:
            data = parse(msg.data)
            if data["type"] != "hello":
                raise ProtocolError("the first message must be a hello")
            secret = data.get("secret")
            if not isinstance(secret, str) or not secret:
                raise ProtocolError("a join secret is needed (ask the facilitator for the join link)")
            facilitator = hmac.compare_digest(secret.encode("utf-8", "surrogatepass"), self.facilitator_secret.encode())
            if not facilitator and not hmac.compare_digest(secret.encode("utf-8", "surrogatepass"), self.join_secret.encode()):
                raise ProtocolError("wrong join secret")
            name = check_name(data.get("name"))
            role = data.get("role", "operator")
            if role not in ROLES:
                raise ProtocolError(f"unknown role {str(role)[:40]!r} (one of {', '.join(ROLES)})")
            if (role == "facilitator") != facilitator:
                raise ProtocolError("the facilitator joins with the facilitator's secret, everyone else with the join secret")
        except ProtocolError as exc:
            await self._refuse(ws, peer, str(exc), close=True)
            return None
        participant = self.participants.get(name)
        if participant is None:
            if len(self.participants) >= MAX_PARTICIPANTS:
                await self._refuse(ws, peer, f"this drill has its {MAX_PARTICIPANTS} participants", close=True)
                return None
            participant = self.participants[name] = Participant(name, role)
            log.info("%s joined as %s from %s", name, role, peer)
        else:
            if (participant.role == "facilitator") != facilitator:
                await self._refuse(ws, peer, f"{name} is this drill's {participant.role}: rejoin with their secret",
                                   close=True)
                return None
            old = participant.ws
            if old is not None and not old.closed:
                await old.close(code=4002, message=b"joined again from another connection")
            log.info("%s rejoined as %s from %s", name, participant.role, peer)
        participant.ws = ws
        participant.sent_frame, participant.sent_seq, participant.outbox = -1, 0, []
        await ws.send_str(message("welcome", name=name, role=participant.role, seed=self.seed,
                                  scenario=self._welcome_scenario, speeds=list(SPEEDS),
                                  destructive_by=self.destructive_by))
        participant.wake.set()
        return participant

    async def _sender(self, p: Participant, ws: web.WebSocketResponse) -> None:
        """Send ``p`` its answers, then the newest state and its journal entries, whenever woken."""
        try:
            while not ws.closed:
                await p.wake.wait()
                p.wake.clear()
                while p.outbox:
                    await ws.send_str(p.outbox.pop(0))
                frame = self.frame
                if frame is None or (frame.number == p.sent_frame and p.sent_seq >= len(self.sim.journal)):
                    continue
                entries = self._entries_for(p)
                text = message("state", paused=frame.paused, speed=frame.speed, entries=entries, stepped=frame.stepped)
                snapshot = frame.truth if p.role == "facilitator" else frame.observed
                # the snapshot was encoded once for everyone: added as the object's last member
                await ws.send_str(text[:-1] + ',"snapshot":' + snapshot + "}")
                p.sent_frame = frame.number
                if p.sent_seq < len(self.sim.journal):
                    p.wake.set()  # more entries than one message carries
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            return

    def _entries_for(self, p: Participant) -> list[dict[str, Any]]:
        out = []
        journal = self.sim.journal
        while p.sent_seq < len(journal) and len(out) < MAX_TEAM_ENTRIES:
            entry = journal[p.sent_seq]
            p.sent_seq += 1
            if entry.visible or p.role == "facilitator":
                out.append(entry.to_dict())
        return out

    async def _receive(self, p: Participant, ws: web.WebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == WSMsgType.ERROR:
                log.warning("%s: connection error %s", p.name, ws.exception())
                return
            who = f"{p.name} ({p.role})"
            if not p.allow():
                if not p.limited:  # one line a burst, not one a message
                    p.limited = True
                    log.warning("refused %s: too many messages (%g a second at most)", who, TEAM_RATE)
                    p.send(message("refused", reason=f"too many messages: at most {TEAM_RATE:g} a second", ref=None))
                continue
            p.limited = False
            if msg.type != WSMsgType.TEXT:
                await self._refuse(ws, "", "only JSON text messages are part of the protocol", who)
                continue
            ref = None
            try:
                data = parse(msg.data)
                ref = data.get("ref")
                answer = self.dispatch(p, data)
            except ProtocolError as exc:
                log.warning("refused %s: %s", who, exc)
                p.send(message("refused", reason=str(exc), ref=ref if isinstance(ref, (int, str)) else None))
                continue
            p.send(answer)

    # ------------------------------------------------------------------ what participants ask

    def dispatch(self, p: Participant, data: dict[str, Any]) -> str:
        """The answer to one parsed message; :class:`ProtocolError` with the reason to refuse it."""
        kind = data["type"]
        ref = data.get("ref")
        if not isinstance(ref, (int, str)) or isinstance(ref, bool):
            ref = None
        if kind == "command" or kind == "preview":
            command = self._command(p, data)
            if kind == "preview":
                preview = self.sim.preview(command)
                return message("preview", ref=ref, allowed=preview.allowed, destructive=preview.destructive,
                               text=preview.text)
            receipt = self.sim.apply(command, by=p.name)
            log.info("%s (%s): %s %s: %s", p.name, p.role, command.name, command.target or "",
                     "accepted" if receipt.accepted else f"refused ({receipt.reason})")
            self._flush()
            self.publish()
            return message("receipt", ref=ref, id=receipt.id, command=receipt.command, target=receipt.target,
                           accepted=receipt.accepted, reason=receipt.reason, completes_at=receipt.completes_at)
        if kind == "control":
            return self._control(p, data, ref)
        if kind == "act":
            return self._act(p, data, ref)
        if kind == "hello":
            raise ProtocolError("already joined")
        raise ProtocolError(f"unknown message type {kind[:40]!r} (command, preview, control, act)")

    def _command(self, p: Participant, data: dict[str, Any]):
        if self.sim.finished:
            raise ProtocolError("the drill has ended")
        try:
            command = build_command(data.get("command"), data.get("target"), data.get("args"))
        except CommandError as exc:
            raise ProtocolError(str(exc)) from None
        spec = command.spec
        if p.role == "observer":
            raise ProtocolError("observers watch: they cannot issue commands")
        if p.role == "facilitator" and not spec.uses_hints:
            raise ProtocolError("the facilitator steers the drill (pause, speed, hints, end); responders issue commands")
        if p.role in RESPONDERS and spec.uses_hints:
            raise ProtocolError("hints are the facilitator's to reveal")
        if spec.destructive and self.destructive_by == "commander" and p.role != "commander":
            raise ProtocolError(f"{command.name} is destructive: in this drill only the incident commander issues it")
        return command

    def _act(self, p: Participant, data: dict[str, Any], ref: Any) -> str:
        """The facilitator injects a fault now or writes a note on the timeline (journaled, replayed)."""
        if p.role != "facilitator":
            raise ProtocolError("only the facilitator injects faults and writes notes")
        op, target, args = data.get("op"), data.get("target"), data.get("args") or {}
        try:
            self.sim.facilitate(op if isinstance(op, str) else "", target, args, by=p.name)
        except FacilitatorRefused as exc:
            raise ProtocolError(str(exc)) from None
        log.info("%s: %s %s %s", p.name, op, target or "", args)
        self._flush()
        self.publish()
        return message("done", ref=ref, op=op, paused=self.paused, speed=self.speed)

    def _control(self, p: Participant, data: dict[str, Any], ref: Any) -> str:
        if p.role != "facilitator":
            raise ProtocolError("only the facilitator pauses, sets the speed or ends the drill")
        op = data.get("op")
        if op not in CONTROL_OPS:
            raise ProtocolError(f"unknown control {str(op)[:40]!r} (one of {', '.join(CONTROL_OPS)})")
        if self.sim.finished:
            raise ProtocolError("the drill has ended")
        if op == "pause":
            self.paused = True
        elif op == "resume":
            self.paused = False
        elif op == "speed":
            speed = data.get("speed")
            if isinstance(speed, bool) or speed not in SPEEDS:
                raise ProtocolError(f"speed is one of {', '.join(f'{s:g}' for s in SPEEDS)}")
            self.speed = float(speed)
        elif op == "end":
            # ending early is walking away, as for one trainee: the scenario runs on to its end without anyone
            self.sim.record(LEFT_TYPE)
            self.sim.run(self.sim.duration)
        log.info("%s: %s%s", p.name, op, f" {self.speed:g}x" if op == "speed" else "")
        self.publish()
        return message("done", ref=ref, op=op, paused=self.paused, speed=self.speed)
